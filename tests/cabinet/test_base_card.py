"""Card «Подписка на тариф № …»: fields, the tab «Подписки на расширения», the timeline,
history, and the actions (post, un-post, delete, «Подписать на расширение тарифа»,
«Продлить») for each role."""

import re

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from common.formatting import fmt
from subscriptions import services
from subscriptions.models import Status, Subscription
from subscriptions.periods import add_months
from tests import factories
from tests.cabinet.pages import text_of


@pytest.mark.parametrize("role", ["owner", "operator"])
def test_base_card_shows_fields_extensions_timeline_history_and_actions_to_writers(
    logged_in,
    request,
    role,
    base_twelve_months,
    sessions_extension,
    draft_infobases_extension,
    today,
):
    user = request.getfixturevalue(role)
    services.subscription_save(subscription=base_twelve_months, user=user)  # a history record

    response = logged_in(user).get(reverse("subscription_detail", args=[base_twelve_months.pk]))

    assert response.status_code == 200
    page = text_of(response)
    assert f"Подписка на тариф № {base_twelve_months.number}" in page
    assert f"с {fmt(base_twelve_months.starts_on)} по {fmt(base_twelve_months.ends_on)}" in page
    assert 'id="extensions"' in page and "Подписки на расширения" in page
    assert reverse("extension_create", args=[base_twelve_months.pk]) in page
    assert "Подписать на расширение тарифа" in page
    for action in ("subscription_unpost", "subscription_edit"):
        assert reverse(action, args=[base_twelve_months.pk]) in page
    # posted, has extensions: no «Удалить»
    assert reverse("subscription_delete", args=[base_twelve_months.pk]) not in page
    # The extensions tab: each row opens on double-click and has a link.
    for ext in (sessions_extension, draft_infobases_extension):
        url = reverse("extension_detail", args=[ext.pk])
        assert f'data-href="{url}" tabindex="0"' in page
    # The timeline: a bar per document, today marked, drafts told apart.
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert svg.count('class="tl-bar ') == 3
    assert "tl-bar--ext tl-bar--sessions" in svg
    assert "tl-bar--ext tl-bar--infobases is-draft" in svg
    assert "Доп. сеанс × 2" in svg
    assert f"Сегодня {fmt(today)}" in svg
    assert "style=" not in svg and "<script" not in svg
    # History.
    assert "История" in page and "Изменение" in page and user.username in page


def test_viewer_sees_the_card_without_any_action(
    logged_in, viewer, base_twelve_months, sessions_extension
):
    response = logged_in(viewer).get(reverse("subscription_detail", args=[base_twelve_months.pk]))

    assert response.status_code == 200
    page = text_of(response)
    for label in (
        "Провести",
        "Отменить проведение",
        "Изменить",
        "Удалить",
        "Подписать на расширение",
    ):
        assert f">{label}<" not in page
    assert reverse("extension_create", args=[base_twelve_months.pk]) not in page


def test_extension_button_is_unavailable_with_a_reason_on_a_draft_base(
    logged_in, operator, draft_base_in_400_days
):
    response = logged_in(operator).get(
        reverse("subscription_detail", args=[draft_base_in_400_days.pk])
    )

    assert reverse("extension_create", args=[draft_base_in_400_days.pk]) not in text_of(response)
    assertContains(response, "не проведена: сначала проведите ее")
    # A draft without extensions can be posted and deleted.
    assertContains(response, reverse("subscription_post", args=[draft_base_in_400_days.pk]))
    assertContains(response, reverse("subscription_delete", args=[draft_base_in_400_days.pk]))


def test_extension_button_is_unavailable_with_a_reason_on_an_ended_base(
    logged_in, operator, subscriber, base_tariff, today
):
    ended = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=add_months(today, -2),
    )

    response = logged_in(operator).get(reverse("subscription_detail", args=[ended.pk]))

    assert reverse("extension_create", args=[ended.pk]) not in text_of(response)
    assertContains(response, f"Подписка закончилась {fmt(ended.ends_on)}")


# --- Post, un-post, delete ------------------------------------------------------------


def test_posting_a_draft_base_from_its_card(logged_in, operator, draft_base_in_400_days):
    response = logged_in(operator).post(
        reverse("subscription_post", args=[draft_base_in_400_days.pk])
    )

    assertRedirects(response, reverse("subscription_detail", args=[draft_base_in_400_days.pk]))
    draft_base_in_400_days.refresh_from_db()
    assert (
        draft_base_in_400_days.status == Status.POSTED
        and draft_base_in_400_days.posted_by == operator
    )


def test_unposting_a_base_with_a_posted_extension_is_refused_on_the_card(
    logged_in, operator, base_twelve_months, sessions_extension
):
    client = logged_in(operator)

    response = client.post(
        reverse("subscription_unpost", args=[base_twelve_months.pk]), follow=True
    )

    assert response.status_code == 200
    assertContains(response, "Нельзя отменить проведение")
    assertContains(response, sessions_extension.number)
    base_twelve_months.refresh_from_db()
    assert base_twelve_months.status == Status.POSTED


def test_unposting_a_base_without_extensions(logged_in, owner, base_twelve_months):
    logged_in(owner).post(reverse("subscription_unpost", args=[base_twelve_months.pk]))

    base_twelve_months.refresh_from_db()
    assert base_twelve_months.status == Status.DRAFT


def test_deleting_a_draft_base_asks_for_confirmation_first(
    logged_in, operator, draft_base_in_400_days
):
    client = logged_in(operator)
    url = reverse("subscription_delete", args=[draft_base_in_400_days.pk])

    confirm = client.post(url)

    assert confirm.status_code == 200
    assertContains(confirm, f"Удалить черновик № {draft_base_in_400_days.number}?")
    assert Subscription.objects.filter(pk=draft_base_in_400_days.pk).exists()

    response = client.post(url, {"confirm": "yes"})

    assertRedirects(
        response, reverse("subscriber_subscriptions", args=[draft_base_in_400_days.subscriber_id])
    )
    assert not Subscription.objects.filter(pk=draft_base_in_400_days.pk).exists()


def test_deleting_a_posted_base_is_refused_on_the_card(logged_in, operator, base_twelve_months):
    response = logged_in(operator).post(
        reverse("subscription_delete", args=[base_twelve_months.pk]),
        {"confirm": "yes"},
        follow=True,
    )

    assertContains(response, "Проведенную подписку удалить нельзя")
    assert Subscription.objects.filter(pk=base_twelve_months.pk).exists()


# --- «Продлить» -----------------------------------------------------------------------


def renew_url(base):
    return reverse("subscription_renew", args=[base.pk])


def card(client, base):
    return client.get(reverse("subscription_detail", args=[base.pk]))


@pytest.mark.parametrize("role", ["owner", "operator"])
def test_a_posted_base_card_offers_prodlit_to_writers(logged_in, request, base_three_months, role):
    response = card(logged_in(request.getfixturevalue(role)), base_three_months)

    assertContains(
        response, f'<a class="btn btn-primary" href="{renew_url(base_three_months)}">Продлить</a>'
    )


def test_the_card_offers_no_prodlit_to_a_viewer_or_on_a_draft(
    logged_in, viewer, operator, base_three_months
):
    assertNotContains(card(logged_in(viewer), base_three_months), "Продлить")

    Subscription.objects.filter(pk=base_three_months.pk).update(status=Status.DRAFT)
    assertNotContains(card(logged_in(operator), base_three_months), renew_url(base_three_months))


# --- Query count: constant in the number of extensions --------------------------------


# The session, the user, the membership with its organization, then the page's own.
SUBSCRIPTION_DETAIL_QUERIES = 3 + 5  # base, extensions, history ×3 (records, tariffs, periods)


@pytest.mark.parametrize("n", [5, 50])
def test_base_card_query_count_is_constant(
    logged_in, operator, base_with_extensions, n, django_assert_num_queries
):
    base = base_with_extensions(n)
    client = logged_in(operator)

    with django_assert_num_queries(SUBSCRIPTION_DETAIL_QUERIES):
        response = client.get(reverse("subscription_detail", args=[base.pk]))

    assert text_of(response).count('class="tl-bar tl-bar--ext') == n
