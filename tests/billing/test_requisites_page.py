"""«Реквизиты»: the owner fills and corrects them; operators and users read them;
another partner never sees them. Refusals next to their fields; nothing half-saved."""

import pytest
from django.urls import reverse

from billing.models import OrganizationRequisites
from billing.services import requisites_save
from tests.cabinet.pages import text_of

from .conftest import STORED_REQUISITES, TYPED_REQUISITES

URL = reverse("requisites")


@pytest.fixture
def saved_requisites(organization, owner):
    return requisites_save(organization=organization, data=TYPED_REQUISITES, user=owner)


def test_the_owner_gets_a_form_started_with_the_organizations_name_and_bin(
    logged_in, owner, organization
):
    organization.bin = "940440000128"
    organization.save()

    response = logged_in(owner).get(URL)

    assert response.status_code == 200
    form = response.context["form"]
    assert form["legal_name"].value() == "Демо-партнер"
    assert form["bin"].value() == "940440000128"
    assert form["pays_vat"].value() is False
    assert str(form["invoice_due_days"].value()) == "5"


def test_the_owner_saves_them_and_the_codes_are_kept_as_the_bank_prints_them(
    logged_in, owner, organization
):
    response = logged_in(owner).post(URL, TYPED_REQUISITES)

    assert response.status_code == 302 and response["Location"] == URL
    stored = OrganizationRequisites.objects.get(organization=organization)
    assert {name: getattr(stored, name) for name in STORED_REQUISITES} == STORED_REQUISITES
    record = stored.history.get()
    assert (record.history_user, record.history_change_reason) == (owner, "Создание")


def test_the_page_shows_who_changed_what_and_when(logged_in, owner, saved_requisites):
    client = logged_in(owner)
    client.post(URL, {**TYPED_REQUISITES, "pays_vat": "on", "vat_rate": "12"})

    page = text_of(client.get(URL))

    assert "История изменений" in page
    assert "Реквизиты заполнены" in page
    assert "плательщик НДС" in page  # the changed field's name
    history = page[page.index("История изменений") :]
    assert history.count(">owner<") == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("iik", "KZ87125KZT5004100100", "не проходит проверку контрольных цифр"),
        ("iik", "KZ86125", "ИИК — 20 знаков"),
        ("bik", "HSBKRUKX", "БИК — 8 латинских букв и цифр"),
        ("bin", "940440000125", "не проходит проверку контрольной цифры"),
        ("kbe", "3", "КБе — 2 цифры"),
        ("vat_rate", "120", "Ставка НДС — от 0 до 100 %."),
        ("invoice_due_days", "0", "Срок оплаты — от 1 до 90 календарных дней."),
        ("legal_name", "", "Обязательное поле."),
    ],
)
def test_a_wrong_value_is_refused_next_to_its_field_and_nothing_is_saved(
    logged_in, owner, field, value, message
):
    response = logged_in(owner).post(URL, {**TYPED_REQUISITES, field: value})

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors
    assert f'id="id_{field}_errors"' in response.content.decode()
    assert not OrganizationRequisites.objects.exists()


def test_a_correction_changes_the_one_row(logged_in, owner, saved_requisites):
    logged_in(owner).post(URL, {**TYPED_REQUISITES, "bank_name": "АО «Kaspi Bank»"})

    stored = OrganizationRequisites.objects.get()
    assert stored.pk == saved_requisites.pk and stored.bank_name == "АО «Kaspi Bank»"


@pytest.mark.parametrize("who", ["operator", "viewer"])
def test_operators_and_users_read_them_and_cannot_change_them(
    request, logged_in, saved_requisites, who
):
    client = logged_in(request.getfixturevalue(who))

    page = client.get(URL)
    refused = client.post(URL, {**TYPED_REQUISITES, "legal_name": "Чужое"})

    assert page.status_code == 200
    assert page.context["form"] is None
    assert "KZ86125KZT5004100100" in text_of(page)
    assert '<form method="post" action="/billing/requisites/"' not in page.content.decode()
    assert refused.status_code == 403
    assert OrganizationRequisites.objects.get().legal_name == "ТОО «Демо-партнер»"


def test_before_they_are_filled_a_reader_is_told_who_fills_them(logged_in, viewer):
    assert "их заполняет владелец организации" in text_of(logged_in(viewer).get(URL))


def test_another_partners_owner_sees_only_its_own(logged_in, other_owner, saved_requisites):
    client = logged_in(other_owner)

    page = text_of(client.get(URL))
    client.post(URL, {**TYPED_REQUISITES, "legal_name": "ТОО «Другой»"})

    assert "KZ86125KZT5004100100" not in page and "Демо-партнер" not in page
    mine, theirs = OrganizationRequisites.objects.order_by("pk")
    assert mine.legal_name == "ТОО «Демо-партнер»"
    assert theirs.organization == other_owner.membership.organization


def test_a_visitor_logs_in_first(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_page_runs_a_fixed_number_of_queries(
    logged_in, owner, saved_requisites, django_assert_max_num_queries
):
    client = logged_in(owner)
    for n in range(12):  # more history than the page shows
        client.post(URL, {**TYPED_REQUISITES, "director_name": f"Директор {n}"})
    # the session, the user, the membership; the requisites; their history with its users
    with django_assert_max_num_queries(5):
        response = client.get(URL)
    assert len(response.context["history"]) == 10
