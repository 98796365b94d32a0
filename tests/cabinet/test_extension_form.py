"""Form «Подписка (создание)» of an extension on its base, and «(изменение)» of a draft.

Forms are tested as pretix does: GET the page, take its form, POST bad data and
assert the field's message and that nothing was written; POST good data and
assert the redirect and the new row.
"""

import datetime
import re

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from cabinet.forms.documents import is_aligned
from common.formatting import fmt
from subscriptions import services
from subscriptions.models import ExtensionSubscription, Status
from subscriptions.periods import Periodicity, add_months
from tests import factories
from tests.cabinet.pages import field_errors, page_form, text_of

DAY = datetime.timedelta(days=1)


def _refused(client, url, data, field, code):
    before = ExtensionSubscription.objects.count()
    response = client.post(url, data)
    assert response.status_code == 400, response.status_code
    form = response.context["form"]
    assert form.has_error(field, code), form.errors.as_data()
    assert ExtensionSubscription.objects.count() == before
    return response


# --- What the form offers -------------------------------------------------------------


def test_extension_form_offers_what_the_base_allows(
    logged_in, operator, base_twelve_months, session_tariff, infobase_tariff, today
):
    foreign = factories.ExtensionTariffFactory(
        name="Дополнительный диск", resource="infobases", max_quantity=3, offered_for=[]
    )
    factories.TariffPeriodFactory(tariff=foreign, count=1, price=1000)

    response = logged_in(operator).get(reverse("extension_create", args=[base_twelve_months.pk]))

    assert response.status_code == 200
    page = text_of(response)
    assert "<h1>Подписка (создание)</h1>" in page
    labels = re.findall(r'<label class="form-row__label" for="id_(\w+)">', page)
    assert labels == ["tariff", "period", "starts_on", "quantity"]
    for label in ("Тариф", "Период действия", "Действует с", "Количество расширений"):
        assert f">{label}<" in page
    assert "Дополнительный сеанс" in page and "Дополнительная база" in page
    assert "Дополнительный диск" not in page
    # 12 months from the recommended start end after the base: marked with the reason.
    recommended = response.context["form"].recommended
    twelve = add_months(recommended, 12) - DAY
    base_ends_on = base_twelve_months.ends_on
    assert (
        f"недоступно: закончится {fmt(twelve)}, позже окончания подписки {fmt(base_ends_on)}"
        in page
    )
    # The recommended aligned start, as the initial value and as a one-click link.
    assert today <= recommended <= base_twelve_months.ends_on and is_aligned(
        base_twelve_months, recommended
    )
    assert f"Рекомендуемая дата: {fmt(recommended)}" in page
    assert page_form(response)["starts_on"] == recommended.strftime("%d.%m.%Y")
    # How «по» is computed, where users see it; the data for the script.
    assert "день перед «дата начала + период»" in page
    assert 'id="extension-form-data" type="application/json"' in page
    assert 'value="post">Провести и закрыть<' in page
    assert 'value="save">Записать<' in page
    assert ">Закрыть<" in page


def test_recommended_start_is_the_next_day_with_the_base_day_of_month(
    logged_in, operator, subscriber, base_tariff, session_tariff, today
):
    starts_on = add_months(today, -1) + 3 * DAY  # the aligned day is 3 days ahead
    base = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=starts_on,
    )

    response = logged_in(operator).get(reverse("extension_create", args=[base.pk]))

    expected = next(
        add_months(starts_on, n) for n in range(0, 14) if add_months(starts_on, n) >= today
    )
    assert response.context["form"].recommended == expected


def test_extension_form_notes_a_start_not_aligned_with_the_base(
    logged_in, operator, base_twelve_months, today
):
    client = logged_in(operator)
    url = reverse("extension_create", args=[base_twelve_months.pk])
    recommended = client.get(url).context["form"].recommended
    not_aligned = recommended + DAY

    response = client.get(url, {"starts_on": not_aligned.isoformat()})

    assert page_form(response)["starts_on"] == not_aligned.strftime("%d.%m.%Y")
    assertContains(response, "Дата начала не совпадает с числом начала подписки")
    aligned = client.get(url, {"starts_on": recommended.isoformat()})
    assertNotContains(aligned, "Дата начала не совпадает с числом начала подписки (")


def test_each_opening_of_the_form_gets_its_own_token(logged_in, operator, base_twelve_months):
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(operator)

    assert (
        page_form(client.get(url))["request_token"] != page_form(client.get(url))["request_token"]
    )


# --- Posting and saving ---------------------------------------------------------------


def test_posting_an_extension_goes_back_to_the_base_card_with_the_new_row(
    logged_in, operator, base_twelve_months, session_tariff, today
):
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=1).pk,
        starts_on=today.isoformat(),
        quantity="3",
        action="post",
    )

    response = client.post(url, data)

    created = ExtensionSubscription.objects.get()
    detail = reverse("subscription_detail", args=[base_twelve_months.pk])
    assertRedirects(
        response, f"{detail}?new={created.pk}#extensions", fetch_redirect_response=False
    )
    assert created.subscription == base_twelve_months
    assert created.status == Status.POSTED
    assert created.created_by == operator and created.posted_by == operator
    assert created.quantity == 3 and created.amount == 9000
    card = client.get(f"{detail}?new={created.pk}")
    assertContains(card, f'id="extension-{created.pk}" data-href=')
    assertContains(card, 'class="is-new"')
    assertContains(card, f"Подписка на расширение тарифа № {created.number} проведена.")
    window = client.get(
        reverse("subscriber_subscriptions", args=[base_twelve_months.subscriber_id])
    )
    assertContains(window, created.number)


def test_saving_an_extension_as_draft_opens_its_card(
    logged_in, owner, base_twelve_months, session_tariff, today
):
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(owner)
    data = page_form(client.get(url))
    data.update(tariff=session_tariff.pk, period=session_tariff.periods.get(count=1).pk)
    data["action"] = "save"

    response = client.post(url, data)

    created = ExtensionSubscription.objects.get()
    assertRedirects(response, reverse("extension_detail", args=[created.pk]))
    assert created.status == Status.DRAFT and created.amount is None


def test_day_based_periods_compute_the_end_in_days(
    logged_in, operator, base_twelve_months, session_tariff, today
):
    week = factories.TariffPeriodFactory(
        tariff=session_tariff, periodicity=Periodicity.WEEK, count=2, price=1500
    )
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(tariff=session_tariff.pk, period=week.pk, starts_on=today.isoformat())

    client.post(url, data)

    assert ExtensionSubscription.objects.get().ends_on == today + 13 * DAY


def test_double_submit_of_an_extension_writes_one_row(
    logged_in, operator, base_twelve_months, session_tariff, today
):
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=1).pk,
        starts_on=today.isoformat(),
    )

    first = client.post(url, data)
    second = client.post(url, data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert ExtensionSubscription.objects.count() == 1


# --- Refusals next to their fields ----------------------------------------------------


def test_extension_starting_before_the_base_is_refused(
    logged_in, operator, base_twelve_months, session_tariff, today
):
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=1).pk,
        starts_on=(base_twelve_months.starts_on - DAY).isoformat(),
        action="save",
    )

    response = _refused(client, url, data, "starts_on", "extension_starts_before_base")

    # The base began 30 days ago: the earliest start that can be posted is today.
    assert field_errors(response, "starts_on")[0].startswith(
        "Расширение не может начинаться раньше подписки на тариф "
        f"({fmt(base_twelve_months.starts_on)}). С периодом «1 месяц» выберите дату начала "
        f"с {fmt(today)} по "
    )


def test_extension_ending_after_the_base_is_refused_naming_the_last_allowed_day(
    logged_in, operator, base_twelve_months, session_tariff, today
):
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=12).pk,
        starts_on=today.isoformat(),
    )

    response = _refused(client, url, data, "period", "extension_ends_after_base")

    message = field_errors(response, "period")[0]
    assert f"только по {fmt(base_twelve_months.ends_on)}" in message
    assert (
        f"С {fmt(today)} до окончания подписки на тариф ({fmt(base_twelve_months.ends_on)}) "
        "помещается период не длиннее «6 месяцев»: выберите его." in message
    )
    # The refused form keeps what was typed, and the chosen period stays selectable.
    kept = page_form(response)
    assert kept["period"] == str(data["period"]) and kept["quantity"] == data["quantity"]


def test_extension_posted_with_a_start_in_the_past_is_refused(
    logged_in, operator, base_twelve_months, session_tariff, today
):
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=1).pk,
        starts_on=(today - DAY).isoformat(),
        quantity="4",
        action="post",
    )

    response = _refused(client, url, data, "starts_on", "extension_starts_in_past")

    assert f"выберите дату начала с {fmt(today)} по " in field_errors(response, "starts_on")[0]
    # The total is computed on the server too: 3 000 ₸ × 4.
    assertContains(response, "12\u00a0000\u00a0₸", status_code=400)


@pytest.mark.parametrize(
    ("quantity", "code", "message"),
    [
        ("0", "min_value", "Количество расширений — не меньше 1."),
        ("-3", "min_value", "Количество расширений — не меньше 1."),
        (
            "11",
            "quantity_above_max",
            "Количество расширений — от 1 до 10 для этого тарифа: укажите не больше 10.",
        ),
    ],
)
def test_extension_quantity_outside_one_to_the_tariff_maximum_is_refused(
    logged_in, operator, base_twelve_months, session_tariff, today, quantity, code, message
):
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=1).pk,
        starts_on=today.isoformat(),
        quantity=quantity,
    )

    response = _refused(client, url, data, "quantity", code)

    assert field_errors(response, "quantity") == [message]


def test_extension_tariff_not_offered_for_the_base_is_a_field_error(
    logged_in, operator, base_twelve_months, session_tariff, today
):
    foreign = factories.ExtensionTariffFactory(
        name="Дополнительный диск", resource="infobases", max_quantity=3, offered_for=[]
    )
    foreign_period = factories.TariffPeriodFactory(tariff=foreign, count=1, price=1000)
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(tariff=foreign.pk, period=foreign_period.pk, starts_on=today.isoformat())

    response = _refused(client, url, data, "tariff", "invalid_choice")

    assert response.context["form"].has_error("period", "invalid_choice")


def test_extension_period_of_the_other_extension_tariff_is_refused(
    logged_in, operator, base_twelve_months, session_tariff, infobase_tariff, today
):
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=infobase_tariff.periods.get(count=1).pk,
        starts_on=today.isoformat(),
    )

    response = _refused(client, url, data, "period", "period_not_of_tariff")

    assert (
        "не предлагается для тарифа «Дополнительный сеанс»" in field_errors(response, "period")[0]
    )


@pytest.mark.parametrize("value", ["999999", "abc", "", "1 OR 1=1"])
def test_extension_tampered_tariff_or_period_ids_are_field_errors(
    logged_in, operator, base_twelve_months, session_tariff, today, value
):
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(tariff=value, period=value, starts_on=today.isoformat())

    code = "required" if value == "" else "invalid_choice"
    response = _refused(client, url, data, "tariff", code)

    assert response.context["form"].has_error("period", code)


def test_extension_base_comes_from_the_url_not_from_the_post(
    logged_in, operator, base_twelve_months, session_tariff, other_organization, base_tariff, today
):
    foreign_base = factories.SubscriptionFactory(
        subscriber=factories.SubscriberFactory(organization=other_organization),
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
    )
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=1).pk,
        subscription=foreign_base.pk,
        starts_on=today.isoformat(),
    )

    client.post(url, data)

    assert ExtensionSubscription.objects.get().subscription == base_twelve_months
    assert not foreign_base.extensions.exists()


def test_the_extension_form_of_a_draft_base_sends_back_to_the_card_with_the_reason(
    logged_in, operator, draft_base_in_400_days, session_tariff
):
    url = reverse("extension_create", args=[draft_base_in_400_days.pk])
    client = logged_in(operator)
    before = ExtensionSubscription.objects.count()

    opened = client.get(url, follow=True)
    posted = client.post(
        url,
        {
            "tariff": session_tariff.pk,
            "period": session_tariff.periods.get(count=1).pk,
            "starts_on": draft_base_in_400_days.starts_on.isoformat(),
            "quantity": 1,
            "action": "post",
        },
        follow=True,
    )

    card = reverse("subscription_detail", args=[draft_base_in_400_days.pk])
    for response in (opened, posted):
        assert response.redirect_chain == [(card, 302)]
        assertContains(response, "не проведена: сначала проведите ее")
    assert ExtensionSubscription.objects.count() == before


def test_a_refusal_from_the_service_goes_back_onto_the_form(
    logged_in, operator, base_twelve_months, session_tariff, today, monkeypatch
):
    from django.core.exceptions import ValidationError

    def busy(**kwargs):
        raise ValidationError({"starts_on": ValidationError("Занято.", code="document_busy")})

    monkeypatch.setattr(services, "extension_save", busy)
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(tariff=session_tariff.pk, period=session_tariff.periods.get(count=1).pk)

    response = _refused(client, url, data, "starts_on", "document_busy")

    assert field_errors(response, "starts_on") == ["Занято."]


# --- Changing a draft extension -------------------------------------------------------


def test_editing_a_draft_extension_then_posting_it(
    logged_in, operator, draft_infobases_extension, infobase_tariff, today
):
    url = reverse("extension_edit", args=[draft_infobases_extension.pk])
    client = logged_in(operator)
    page = client.get(url)
    assertContains(
        page,
        f"<h1>Подписка на расширение тарифа № {draft_infobases_extension.number} (изменение)</h1>",
    )
    data = page_form(page)
    assert "request_token" not in data
    assert data["period"] == str(draft_infobases_extension.period_id)

    data.update(quantity="9", action="save")
    response = _refused(client, url, data, "quantity", "quantity_above_max")  # max 5

    data.update(quantity="4", action="post")
    response = client.post(url, data)

    detail = reverse("subscription_detail", args=[draft_infobases_extension.subscription_id])
    assertRedirects(
        response,
        f"{detail}?new={draft_infobases_extension.pk}#extensions",
        fetch_redirect_response=False,
    )
    draft_infobases_extension.refresh_from_db()
    assert (
        draft_infobases_extension.quantity == 4
        and draft_infobases_extension.status == Status.POSTED
    )
    assert ExtensionSubscription.objects.count() == 1


def test_a_posted_extension_is_not_edited(logged_in, operator, sessions_extension):
    client = logged_in(operator)

    for method in (client.get, client.post):
        response = method(reverse("extension_edit", args=[sessions_extension.pk]), follow=True)
        assertContains(response, "сначала отмените проведение")
    sessions_extension.refresh_from_db()
    assert sessions_extension.status == Status.POSTED


# --- Query count: constant in the number of extensions --------------------------------


# The session, the user, the membership with its organization, then the page's own.
EXTENSION_FORM_QUERIES = 3 + 3  # base, tariffs, periods
# A draft's form also shows its what-if: the base's other extensions, the limits.
WHAT_IF_QUERIES = 2


@pytest.mark.parametrize("n", [5, 50])
def test_extension_form_query_counts_are_constant(
    logged_in, operator, base_with_extensions, n, django_assert_num_queries
):
    base = base_with_extensions(n)
    draft = base.extensions.filter(status=Status.DRAFT).first()
    client = logged_in(operator)

    with django_assert_num_queries(EXTENSION_FORM_QUERIES):
        client.get(reverse("extension_create", args=[base.pk]))
    with django_assert_num_queries(EXTENSION_FORM_QUERIES + WHAT_IF_QUERIES):
        client.get(reverse("extension_edit", args=[draft.pk]))
