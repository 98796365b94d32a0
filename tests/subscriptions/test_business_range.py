"""R18: every date of a document lies in 01.01.2000 – 31.12.2099.

One home (`subscriptions.validators` for a typed date, `rules.check_ends_in_business_range`
for a computed end, a CheckConstraint behind both); the cabinet's forms, the
admin, the list filter, the report's months and the API's date reach it. A
base posted from 31.12.9998 used to end on 30.12.9999 and break its card.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from api.models import ApiToken
from subscriptions import services
from subscriptions.models import ExtensionSubscription, Status, Subscription
from subscriptions.rules import check_ends_in_business_range
from subscriptions.validators import (
    BUSINESS_FIRST_DAY,
    BUSINESS_LAST_DAY,
    validate_business_date,
)
from tests import factories
from tests.admin_forms import page_data

pytestmark = pytest.mark.django_db

D = datetime.date
OUT_OF_RANGE = "вне рабочего диапазона сервиса"


@pytest.mark.parametrize(
    "day, allowed",
    [
        (D(1, 1, 1), False),
        (D(1999, 12, 31), False),
        (D(2000, 1, 1), True),
        (D(2026, 11, 30), True),
        (D(2099, 12, 31), True),
        (D(2100, 1, 1), False),
        (D(9998, 12, 31), False),
        (D(9999, 12, 31), False),
    ],
)
def test_the_business_range_by_its_boundary_days(day, allowed):
    if allowed:
        validate_business_date(day)
        return
    with pytest.raises(ValidationError) as refusal:
        validate_business_date(day)
    assert refusal.value.code == "date_out_of_range"
    assert refusal.value.messages == [
        "Дата вне рабочего диапазона сервиса: укажите дату с 01.01.2000 по 31.12.2099."
    ]


def test_the_range_is_the_one_the_readme_states():
    assert (BUSINESS_FIRST_DAY, BUSINESS_LAST_DAY) == (D(2000, 1, 1), D(2099, 12, 31))


# --- Typed: the cabinet's base form -----------------------------------------------------------


def test_a_base_posted_from_31_12_9998_is_refused_next_to_its_start(
    client, subscriber, base_tariff, operator
):
    client.force_login(operator)

    response = client.post(
        reverse("subscription_create", args=[subscriber.pk]),
        {
            "tariff": base_tariff.pk,
            "period": base_tariff.periods.get(count=12).pk,
            "starts_on": "31.12.9998",
            "action": "post",
        },
    )

    assert response.status_code == 400
    errors = response.context["form"].errors["starts_on"]
    assert any(OUT_OF_RANGE in e and "31.12.2099" in e for e in errors), errors
    assert not Subscription.objects.exists()


# --- Computed: an end past the range ---------------------------------------------------------


def test_a_period_that_would_end_after_2099_is_refused_naming_its_end(
    subscriber, base_tariff, operator
):
    with pytest.raises(ValidationError) as refusal:
        services.subscription_save(
            subscription=Subscription(
                subscriber=subscriber,
                tariff=base_tariff,
                period=base_tariff.periods.get(count=12),
                starts_on=D(2099, 2, 1),
                status=Status.POSTED,
            ),
            user=operator,
        )

    error = refusal.value.error_dict["starts_on"][0]
    assert error.code == "period_out_of_range"
    assert "31.01.2100" in error.messages[0] and "31.12.2099" in error.messages[0]
    assert not Subscription.objects.exists()


def test_a_period_past_the_calendar_itself_is_refused_without_a_crash(
    subscriber, base_tariff, operator
):
    instance = Subscription(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=D(9999, 6, 1),
    )

    with pytest.raises(ValidationError) as refusal:
        instance.full_clean()

    assert "starts_on" in refusal.value.error_dict


def test_an_extension_form_start_past_2099_is_refused_next_to_its_field(
    client, subscriber, base_tariff, session_tariff, operator, today
):
    base = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=today - datetime.timedelta(days=30),
    )
    client.force_login(operator)

    response = client.post(
        reverse("extension_create", args=[base.pk]),
        {
            "tariff": session_tariff.pk,
            "period": session_tariff.periods.get(count=1).pk,
            "starts_on": "2100-01-01",
            "quantity": "1",
            "action": "post",
        },
    )

    assert response.status_code == 400
    assert any(OUT_OF_RANGE in e for e in response.context["form"].errors["starts_on"])
    assert not ExtensionSubscription.objects.exists()


# --- Stored: the database refuses what slipped past ------------------------------------------


@pytest.mark.parametrize(
    "starts_on, ends_on",
    [(D(1999, 12, 31), D(2000, 12, 30)), (D(2099, 6, 1), D(2100, 5, 31))],
)
def test_the_database_refuses_dates_outside_the_range(starts_on, ends_on, subscriber, base_tariff):
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.create(
            subscriber=subscriber,
            organization=subscriber.organization,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=12),
            starts_on=starts_on,
            ends_on=ends_on,
            number="Т99999999",
        )


# --- Drawn: the last possible base still has a card, and says it cannot be renewed ----------


def test_a_base_ending_on_the_ranges_last_day_draws_its_card_and_refuses_renewal(
    client, subscriber, base_tariff, session_tariff, operator
):
    base = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=D(2099, 1, 1),
    )
    assert base.ends_on == BUSINESS_LAST_DAY
    client.force_login(operator)

    card = client.get(reverse("subscription_detail", args=[base.pk]))
    renewal = client.get(reverse("subscription_renew", args=[base.pk]), follow=True)

    assert card.status_code == 200
    assert "<svg" in card.content.decode()
    assert renewal.redirect_chain[-1][0] == reverse("subscription_detail", args=[base.pk])
    shown = [str(m) for m in renewal.context["messages"]]
    assert any("Продлить ее нельзя" in m for m in shown), shown
    with pytest.raises(ValidationError) as refusal:
        services.subscription_renew(
            subscription=base,
            period=base_tariff.periods.get(count=1),
            copy_extensions=False,
            user=operator,
        )
    assert refusal.value.code == "renewal_out_of_range"


# --- Typed elsewhere: the admin, the list filter, the report, the API -----------------------


def test_the_admin_refuses_a_far_start_next_to_the_field(admin_client, subscriber, base_tariff):
    url = reverse("admin:subscriptions_subscription_add")
    data = page_data(admin_client.get(url))
    data.update(
        subscriber=str(subscriber.pk),
        tariff=str(base_tariff.pk),
        period=str(base_tariff.periods.get(count=12).pk),
        starts_on="9998-12-31",
        status=Status.POSTED,
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["starts_on"]
    assert any(OUT_OF_RANGE in e for e in errors), errors
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("day, status", [("01.01.2100", 400), ("31.12.2099", 200)])
def test_the_list_filter_refuses_a_day_outside_the_range(client, operator, day, status):
    client.force_login(operator)

    response = client.get(reverse("subscription_list"), {"active_on": day})

    assert response.status_code == status
    errors = response.context["form"].errors
    if status == 400:
        assert any(OUT_OF_RANGE in e for e in errors["active_on"]), errors


def test_the_report_offers_only_the_years_of_the_range(client, operator):
    client.force_login(operator)

    response = client.get(reverse("report_extensions_by_month"), {"from_month": "01.2100"})

    assert response.status_code == 400
    assert "Год — от 2000 до 2099." in response.content.decode()


@pytest.mark.parametrize(
    "day, status", [("2100-01-01", 400), ("1999-12-31", 400), ("2099-12-31", 200)]
)
def test_the_apis_limits_day_is_refused_outside_the_range(
    client, subscriber, organization, owner, day, status
):
    key = ApiToken.issue(organization=organization, name="1С", created_by=owner)[1]

    response = client.get(
        reverse("api-subscriber-limits", args=[subscriber.pk]),
        {"date": day},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )

    assert response.status_code == status
    if status == 400:
        assert OUT_OF_RANGE in " ".join(response.json()["date"])


@pytest.mark.parametrize(
    "ends_on, refused",
    [(D(2099, 12, 30), False), (D(2099, 12, 31), False), (D(2100, 1, 1), True), (None, False)],
)
def test_the_computed_end_rule_by_its_boundary_days(ends_on, refused):
    errors = check_ends_in_business_range(ends_on)

    assert bool(errors) == refused
    if refused:
        assert errors["starts_on"].code == "period_out_of_range"
