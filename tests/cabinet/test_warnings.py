"""Warnings that do not block, on the pages: the document is written, the page says what
to look at (role="status"). An extension that overlaps a posted one of its tariff asks
«добавить еще?» on the form and on its draft's card («Да, добавить еще» posts it), and,
posted at once, says what was added; a draft starting in the past says it cannot be
posted as it is; a renewal wholly in the past says so before and after."""

import datetime
import re

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from common.formatting import fmt
from subscriptions.models import ExtensionSubscription, Status, Subscription
from subscriptions.periods import add_months
from tests import factories
from tests.cabinet.pages import page_form

DAY = datetime.timedelta(days=1)
OVERLAP = "на эти даты — добавить еще?"
PAST_START = "провести расширение нельзя, пока не перенесете начало на сегодня или позже"


def status_messages(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'role="status"[^>]*>\s*(?:<p[^>]*>)?([^<]+)', html)


@pytest.fixture
def extension_form(logged_in, operator, base_twelve_months, session_tariff, today):
    """submit(action, **values) → the response to the base's extension form filled with
    «Дополнительный сеанс» × 1 for a month from today (the dates of `sessions_extension`)."""
    client = logged_in(operator)
    url = reverse("extension_create", args=[base_twelve_months.pk])

    def submit(action, **values):
        data = page_form(client.get(url))
        data.update(
            {
                "tariff": session_tariff.pk,
                "period": session_tariff.periods.get(count=1).pk,
                "starts_on": fmt(today),
                "quantity": "1",
                **values,
            }
        )
        if action == "preview":
            data["preview"] = "1"
        else:
            data["action"] = action
        return client.post(url, data)

    submit.client = client
    return submit


def newest():
    return ExtensionSubscription.objects.latest("pk")


# --- «Уже есть подписка № … на эти даты — добавить еще?» ---------------------------------


def test_saving_an_overlapping_extension_saves_it_and_its_card_asks(
    extension_form, sessions_extension
):
    response = extension_form("save")

    draft = newest()
    assert draft.pk != sessions_extension.pk and draft.is_draft
    assert response["Location"] == reverse("extension_detail", args=[draft.pk])
    card = extension_form.client.get(response["Location"])
    warning = f"Уже есть подписка № {sessions_extension.number}"
    assert any(warning in text and OVERLAP in text for text in status_messages(card))
    assertContains(card, "Да, добавить еще")
    assertContains(card, f'action="{reverse("extension_post", args=[draft.pk])}"')


def test_yes_on_the_drafts_card_posts_it(extension_form, sessions_extension):
    extension_form("save")
    draft = newest()

    extension_form.client.post(reverse("extension_post", args=[draft.pk]))  # «Да, добавить еще»

    draft.refresh_from_db()
    assert draft.is_posted


def test_posting_an_overlapping_extension_posts_it_and_says_what_was_added(
    extension_form, sessions_extension
):
    response = extension_form("post")

    added = newest()
    assert added.is_posted  # the warning does not block
    card = extension_form.client.get(response["Location"])
    assert any(
        f"На эти даты уже была подписка № {sessions_extension.number}" in text
        and "отмените ее проведение сегодня" in text
        for text in status_messages(card)
    )


def test_the_form_asks_when_recalculated(extension_form, sessions_extension):
    response = extension_form("preview")

    assert any(OVERLAP in text for text in status_messages(response))
    assertNotContains(response, "Да, добавить еще")  # on the form, «Провести» is the answer


def test_an_extension_that_overlaps_nothing_is_posted_without_a_word(
    extension_form, sessions_extension, today
):
    after = fmt(sessions_extension.ends_on + DAY)
    assertNotContains(extension_form("preview", starts_on=after), OVERLAP)

    response = extension_form("post", starts_on=after)

    assert newest().is_posted
    page = extension_form.client.get(response["Location"])
    assertNotContains(page, OVERLAP)
    assertNotContains(page, "На эти даты уже была подписка")


# --- A draft with its start in the past -------------------------------------------------


def test_a_draft_starting_in_the_past_says_it_cannot_be_posted_as_it_is(
    logged_in, operator, base_twelve_months, session_tariff, today
):
    client = logged_in(operator)

    def draft(starts_on):
        return factories.ExtensionFactory(
            subscription=base_twelve_months,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=1),
            starts_on=starts_on,
            status=Status.DRAFT,
        )

    past = client.get(reverse("extension_detail", args=[draft(today - 3 * DAY).pk]))
    current = client.get(reverse("extension_detail", args=[draft(today + 40 * DAY).pk]))

    assert any(
        f"Начало в прошлом ({fmt(today - 3 * DAY)})" in text and PAST_START in text
        for text in status_messages(past)
    )
    assertNotContains(current, PAST_START)


def test_a_posted_extension_carries_no_warning(logged_in, operator, sessions_extension):
    card = logged_in(operator).get(reverse("extension_detail", args=[sessions_extension.pk]))

    assertNotContains(card, OVERLAP)
    assertNotContains(card, "data-warning")


# --- A renewal wholly in the past --------------------------------------------------------


@pytest.fixture
def quarter_ended_long_ago(subscriber, base_tariff, today):
    """A posted quarter of «Стандарт» that ended about five months ago."""
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=3),
        starts_on=add_months(today, -8),
    )


def test_the_renewal_form_warns_of_a_renewal_wholly_in_the_past_and_still_posts_it(
    logged_in, operator, quarter_ended_long_ago, base_tariff
):
    client = logged_in(operator)
    url = reverse("subscription_renew", args=[quarter_ended_long_ago.pk])
    month = base_tariff.periods.get(count=1)
    year = base_tariff.periods.get(count=12)

    form = client.get(url)
    data = form.context["form_data"]["periods"]

    # its own quarter ended already, and so would a month; a year reaches today
    assert any("Продление целиком в прошлом" in text for text in status_messages(form))
    assert data[str(month.pk)]["warning"].startswith("Продление целиком в прошлом")
    assert data[str(year.pk)]["warning"] == ""

    response = client.post(
        url, {"period": month.pk, "request_token": form.context["form"].initial["request_token"]}
    )

    renewal = Subscription.objects.get(renews=quarter_ended_long_ago)
    assert renewal.is_posted and renewal.period == month
    card = client.get(response["Location"])
    assert any("Продление целиком в прошлом" in text for text in status_messages(card))


def test_a_renewal_reaching_today_is_not_warned(logged_in, operator, base_three_months):
    client = logged_in(operator)
    url = reverse("subscription_renew", args=[base_three_months.pk])

    form = client.get(url)

    assertContains(form, "data-renewal-warning hidden")
    assertNotContains(form, "Продление целиком в прошлом")


def test_the_bulk_page_warns_of_a_renewal_wholly_in_the_past(
    logged_in, operator, quarter_ended_long_ago, today
):
    ended = add_months(today, -8)
    month = add_months(ended, 3) - DAY

    response = logged_in(operator).get(reverse("bulk_renewal"), {"month": month.strftime("%m.%Y")})

    (row,) = response.context["rows"]
    assert row.shown["warnings"][0].startswith("Продление целиком в прошлом")
