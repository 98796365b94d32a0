"""Form «Подписка на тариф»: a new base subscription from the subscriber's window, and
changing one from its card.

Forms are tested as pretix does: GET the page, take its form, POST bad data and
assert the field's message and that nothing was written; POST good data and
assert the redirect and the new row.
"""

import datetime

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from subscriptions.models import Status, Subscription
from subscriptions.periods import add_months
from tests import factories
from tests.cabinet.pages import page_form, text_of

DAY = datetime.timedelta(days=1)


# --- New base subscription ------------------------------------------------------------


def test_new_base_subscription_form_refuses_a_period_of_another_tariff_then_posts(
    logged_in, operator, subscriber, base_tariff, today
):
    other = factories.BaseTariffFactory(name="Профи", sessions=10, infobases=5)
    other_period = factories.TariffPeriodFactory(tariff=other, count=3, price=90000)
    url = reverse("subscription_create", args=[subscriber.pk])
    client = logged_in(operator)
    page = client.get(url)
    assertContains(page, "Стандарт — 12 месяцев — 120\u00a0000\u00a0₸")
    data = page_form(page)
    assert data["starts_on"] == today.strftime("%d.%m.%Y")
    assert data["request_token"]

    # Bad: a period of «Профи» with the tariff «Стандарт».
    data.update(tariff=base_tariff.pk, period=other_period.pk, action="post")
    response = client.post(url, data)

    assert response.status_code == 400
    assert response.context["form"].has_error("period", "period_not_of_tariff")
    assert Subscription.objects.count() == 0

    # Good.
    data["period"] = base_tariff.periods.get(count=12).pk
    response = client.post(url, data)

    assertRedirects(response, reverse("subscriber_subscriptions", args=[subscriber.pk]))
    created = Subscription.objects.get()
    assert created.subscriber == subscriber
    assert created.status == Status.POSTED
    assert created.created_by == operator and created.posted_by == operator
    assert created.ends_on == add_months(today, 12) - DAY


def test_new_base_subscription_saved_as_draft_opens_its_card(
    logged_in, owner, subscriber, base_tariff, today
):
    url = reverse("subscription_create", args=[subscriber.pk])
    client = logged_in(owner)
    data = page_form(client.get(url))
    data.update(tariff=base_tariff.pk, period=base_tariff.periods.get(count=1).pk, action="save")

    response = client.post(url, data)

    created = Subscription.objects.get()
    assertRedirects(response, reverse("subscription_detail", args=[created.pk]))
    assert created.status == Status.DRAFT


def test_new_base_subscription_overlapping_a_posted_one_is_refused(
    logged_in, operator, subscriber, base_twelve_months, base_tariff, today
):
    url = reverse("subscription_create", args=[subscriber.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(
        tariff=base_tariff.pk,
        period=base_tariff.periods.get(count=1).pk,
        starts_on=today.isoformat(),
        action="post",
    )

    response = client.post(url, data)

    assert response.status_code == 400
    assert response.context["form"].has_error("starts_on", "base_overlaps")
    assert "пересекаются" in text_of(response)
    assert Subscription.objects.count() == 1


def test_new_base_subscription_with_an_extension_tariff_or_unknown_ids_is_a_field_error(
    logged_in, operator, subscriber, session_tariff, today
):
    url = reverse("subscription_create", args=[subscriber.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))

    for tariff, period in (
        (session_tariff.pk, session_tariff.periods.get(count=1).pk),
        (999999, 999999),
        ("abc", "1; DROP TABLE"),
    ):
        data.update(tariff=tariff, period=period, action="post")
        response = client.post(url, data)

        assert response.status_code == 400
        assert response.context["form"].has_error("tariff", "invalid_choice")
        assert response.context["form"].has_error("period", "invalid_choice")
    assert Subscription.objects.count() == 0


def test_double_submit_of_a_new_base_subscription_writes_one(
    logged_in, operator, subscriber, base_tariff
):
    url = reverse("subscription_create", args=[subscriber.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(tariff=base_tariff.pk, period=base_tariff.periods.get(count=1).pk, action="post")

    first = client.post(url, data)
    second = client.post(url, data)

    assert first.status_code == second.status_code == 302
    assert Subscription.objects.count() == 1


# --- Changing a base subscription -----------------------------------------------------


def test_shortening_a_base_under_a_posted_extension_is_refused_on_the_form(
    logged_in, operator, base_twelve_months, sessions_extension, base_tariff
):
    url = reverse("subscription_edit", args=[base_twelve_months.pk])
    client = logged_in(operator)
    page = client.get(url)
    assertContains(page, f"Подписка на тариф № {base_twelve_months.number} (изменение)")
    data = page_form(page)
    data.update(period=base_tariff.periods.get(count=1).pk, action="save")

    response = client.post(url, data)

    assert response.status_code == 400
    assert response.context["form"].has_error("__all__", "base_change_strands_extensions")
    assertContains(response, sessions_extension.number, status_code=400)
    base_twelve_months.refresh_from_db()
    assert base_twelve_months.period.count == 12


def test_changing_a_draft_base_period(logged_in, operator, draft_base_in_400_days, base_tariff):
    url = reverse("subscription_edit", args=[draft_base_in_400_days.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(period=base_tariff.periods.get(count=6).pk, tariff="999")  # tariff is fixed

    response = client.post(url, data)

    assertRedirects(response, reverse("subscription_detail", args=[draft_base_in_400_days.pk]))
    draft_base_in_400_days.refresh_from_db()
    assert draft_base_in_400_days.period.count == 6 and draft_base_in_400_days.tariff == base_tariff
    assert draft_base_in_400_days.ends_on == add_months(draft_base_in_400_days.starts_on, 6) - DAY


# --- Query count: constant in the number of documents ---------------------------------


@pytest.mark.parametrize("n", [5, 50])
def test_new_base_form_query_count_is_constant(
    logged_in, operator, subscriber, base_with_extensions, n, django_assert_num_queries
):
    base_with_extensions(n)
    client = logged_in(operator)

    # The session, the user, the membership; the subscriber, tariffs, periods.
    with django_assert_num_queries(3 + 3):
        client.get(reverse("subscription_create", args=[subscriber.pk]))
