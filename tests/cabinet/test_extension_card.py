"""Card «Подписка на расширение тарифа № …»: the kept price, history, and the actions
(post, un-post, change, delete) for each role."""

import datetime

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from common.formatting import fmt
from subscriptions import services
from subscriptions.models import ExtensionSubscription, Status
from tests import factories
from tests.cabinet.pages import text_of

DAY = datetime.timedelta(days=1)


@pytest.mark.parametrize("role", ["owner", "operator", "viewer"])
def test_posted_extension_card_shows_the_kept_price(
    logged_in, request, role, base_twelve_months, session_tariff, today
):
    user = request.getfixturevalue(role)
    extension = ExtensionSubscription(
        subscription=base_twelve_months,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today,
        quantity=2,
    )
    operator_user = factories.UserFactory(username="poster")
    services.extension_save(extension=extension, user=operator_user, post=True)
    session_tariff.periods.filter(count=1).update(price=5000)  # a later price change

    response = logged_in(user).get(reverse("extension_detail", args=[extension.pk]))

    assert response.status_code == 200
    page = text_of(response)
    assert f"Подписка на расширение тарифа № {extension.number}" in page
    assert "Цена за единицу" in page and "3\u00a0000\u00a0₸" in page
    assert "6\u00a0000\u00a0₸" in page
    assert "История" in page and "Проведение" in page and "poster" in page
    unpost = reverse("extension_unpost", args=[extension.pk])
    assert (unpost in page) == (role != "viewer")
    assert reverse("extension_edit", args=[extension.pk]) not in page  # posted: no edit
    assert reverse("extension_delete", args=[extension.pk]) not in page


def test_draft_extension_card_offers_post_edit_delete_to_writers(
    logged_in, operator, draft_infobases_extension
):
    response = logged_in(operator).get(
        reverse("extension_detail", args=[draft_infobases_extension.pk])
    )

    for action in ("extension_post", "extension_edit", "extension_delete"):
        assertContains(response, reverse(action, args=[draft_infobases_extension.pk]))
    assertNotContains(response, reverse("extension_unpost", args=[draft_infobases_extension.pk]))


def test_viewer_sees_a_draft_extension_without_actions(
    logged_in, viewer, draft_infobases_extension
):
    response = logged_in(viewer).get(
        reverse("extension_detail", args=[draft_infobases_extension.pk])
    )

    assert response.status_code == 200
    for label in ("Провести", "Отменить проведение", "Изменить", "Удалить"):
        assertNotContains(response, f">{label}<")


# --- Post, un-post, delete ------------------------------------------------------------


def test_posting_a_draft_extension_from_its_card(logged_in, operator, draft_infobases_extension):
    response = logged_in(operator).post(
        reverse("extension_post", args=[draft_infobases_extension.pk]), follow=True
    )

    assertContains(response, "проведена")
    draft_infobases_extension.refresh_from_db()
    assert (
        draft_infobases_extension.status == Status.POSTED
        and draft_infobases_extension.amount == 5500
    )


def test_posting_an_extension_whose_start_has_passed_is_refused_on_the_card(
    logged_in, operator, base_twelve_months, session_tariff, today
):
    late = factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today - 2 * DAY,
        status=Status.DRAFT,
    )

    response = logged_in(operator).post(reverse("extension_post", args=[late.pk]), follow=True)

    assertContains(response, f"выберите дату начала с {fmt(today)} по ")
    late.refresh_from_db()
    assert late.status == Status.DRAFT


def test_posting_an_extension_on_a_draft_base_is_refused_on_the_card(
    logged_in, operator, draft_base_in_400_days, session_tariff
):
    draft = factories.ExtensionFactory(
        subscription=draft_base_in_400_days,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=draft_base_in_400_days.starts_on,
        status=Status.DRAFT,
    )

    response = logged_in(operator).post(reverse("extension_post", args=[draft.pk]), follow=True)

    assertContains(response, "сначала проведите ее")
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_unposting_an_extension(logged_in, owner, sessions_extension):
    response = logged_in(owner).post(reverse("extension_unpost", args=[sessions_extension.pk]))

    assertRedirects(response, reverse("extension_detail", args=[sessions_extension.pk]))
    sessions_extension.refresh_from_db()
    assert sessions_extension.status == Status.DRAFT and sessions_extension.amount is None


def test_deleting_a_draft_extension_asks_for_confirmation_first(
    logged_in, operator, draft_infobases_extension
):
    client = logged_in(operator)
    url = reverse("extension_delete", args=[draft_infobases_extension.pk])

    confirm = client.post(url)

    assertContains(confirm, f"Удалить черновик № {draft_infobases_extension.number}?")
    assertContains(confirm, 'name="confirm" value="yes"')
    assert ExtensionSubscription.objects.filter(pk=draft_infobases_extension.pk).exists()

    response = client.post(url, {"confirm": "yes"})

    base_url = reverse("subscription_detail", args=[draft_infobases_extension.subscription_id])
    assertRedirects(response, f"{base_url}#extensions", fetch_redirect_response=False)
    assert not ExtensionSubscription.objects.filter(pk=draft_infobases_extension.pk).exists()


def test_deleting_a_posted_extension_is_refused(logged_in, operator, sessions_extension):
    response = logged_in(operator).post(
        reverse("extension_delete", args=[sessions_extension.pk]), {"confirm": "yes"}, follow=True
    )

    assertContains(response, "Проведенное расширение удалить нельзя")
    assert ExtensionSubscription.objects.filter(pk=sessions_extension.pk).exists()


# --- Query count: constant in the length of the history -------------------------------


# The session, the user, the membership with its organization, then the page's own.
# A draft's card also looks for posted extensions it overlaps (a warning that does not block).
EXTENSION_DETAIL_QUERIES = 3 + 6  # extension, its replacements (R14), history ×3, overlaps


@pytest.mark.parametrize("n", [5, 50])
def test_extension_card_query_count_is_constant(
    logged_in, operator, base_with_extensions, n, django_assert_num_queries
):
    base = base_with_extensions(n)
    extension = base.extensions.order_by("pk").first()
    for i in range(n):  # a long history
        extension.quantity = 1 + i % 3
        extension._change_reason = "Изменение"
        extension.save()
    client = logged_in(operator)

    with django_assert_num_queries(EXTENSION_DETAIL_QUERIES):
        response = client.get(reverse("extension_detail", args=[extension.pk]))

    assert response.status_code == 200
