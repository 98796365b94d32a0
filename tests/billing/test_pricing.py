"""The partner's price on a day (R16): the latest change that has begun, else the
service's — one function, and its SQL twin agreeing with it on every boundary day."""

import datetime
from decimal import Decimal

import pytest

from billing.models import PartnerPrice
from billing.pricing import partner_price, partner_price_expression
from billing.selectors import price_list
from subscriptions import pricing as service_pricing
from subscriptions.models import ExtensionSubscription

DAY = datetime.timedelta(days=1)


@pytest.fixture
def month_of_sessions(session_tariff):
    return session_tariff.periods.get(count=1)  # the service's price: 3 000 ₸


@pytest.fixture
def price_changes(organization, month_of_sessions, today):
    """3 500 ₸ from in 10 days, back to the service's price from in 20 days, 4 000 ₸ from
    in 30 days."""
    for days, price in ((10, Decimal("3500")), (20, None), (30, Decimal("4000"))):
        PartnerPrice.objects.create(
            organization=organization,
            period=month_of_sessions,
            price=price,
            valid_from=today + days * DAY,
        )


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (9, Decimal("3000")),  # the day before the first change: the service's price
        (10, Decimal("3500")),  # on its first day
        (19, Decimal("3500")),
        (20, Decimal("3000")),  # back to the service's price
        (29, Decimal("3000")),
        (30, Decimal("4000")),
        (400, Decimal("4000")),
    ],
)
def test_the_price_in_effect_on_a_day(
    organization, month_of_sessions, price_changes, today, days, expected
):
    day = today + days * DAY
    assert partner_price(organization, month_of_sessions, day) == expected
    # the same from the SQL twin (the price list) and through the posting path's hook
    row = next(r for r in price_list(organization, day) if r.period.pk == month_of_sessions.pk)
    assert row.price == expected
    assert service_pricing.partner_unit_price(organization.pk, month_of_sessions, day) == expected


def test_without_a_price_list_the_partner_price_is_the_services(organization, month_of_sessions):
    assert partner_price(organization, month_of_sessions, datetime.date(2030, 1, 1)) == Decimal(
        "3000"
    )


def test_another_partners_prices_do_not_count(
    organization, other_organization, month_of_sessions, today
):
    PartnerPrice.objects.create(
        organization=other_organization, period=month_of_sessions, price=1, valid_from=today
    )
    assert partner_price(organization, month_of_sessions, today) == Decimal("3000")
    assert partner_price(other_organization, month_of_sessions, today) == Decimal("1")


def test_one_query_answers_a_price(
    organization, month_of_sessions, today, django_assert_num_queries
):
    with django_assert_num_queries(1):
        partner_price(organization, month_of_sessions, today)


def test_the_price_list_is_one_query_for_every_period(
    organization, base_tariff, session_tariff, infobase_tariff, today, django_assert_num_queries
):
    with django_assert_num_queries(1):
        rows = price_list(organization, today)
    assert [(r.tariff.name, r.period.count) for r in rows] == [
        # base tariffs first, then the extension tariffs, each by name and length
        *(("Стандарт", n) for n in (1, 3, 6, 12)),
        *(("Дополнительная база", n) for n in (1, 3, 6, 12)),
        *(("Дополнительный сеанс", n) for n in (1, 3, 6, 12)),
    ]


def test_the_price_list_shows_what_is_in_effect_and_what_is_scheduled(
    organization, month_of_sessions, price_changes, today
):
    row = next(
        r for r in price_list(organization, today + 15 * DAY) if r.period.pk == month_of_sessions.pk
    )
    assert (row.service_price, row.price, row.own_price, row.own_from) == (
        Decimal("3000"),
        Decimal("3500"),
        Decimal("3500"),
        today + 10 * DAY,
    )
    assert (row.next_price, row.next_from) == (None, today + 20 * DAY)
    assert row.is_own


def test_inactive_tariffs_and_periods_are_not_in_the_price_list(
    organization, session_tariff, base_tariff, today
):
    session_tariff.periods.filter(count=12).update(is_active=False)
    base_tariff.__class__.objects.filter(pk=base_tariff.pk).update(is_active=False)
    periods = {(r.tariff.name, r.period.count) for r in price_list(organization, today)}
    assert ("Дополнительный сеанс", 12) not in periods
    assert not any(name == "Стандарт" for name, _count in periods)


def test_the_sql_twin_prices_documents_through_their_period(
    organization, sessions_extension, draft_infobases_extension, today
):
    """On documents (`prefix="period__"`): the partner's price of each one's period."""
    PartnerPrice.objects.create(
        organization=organization,
        period=sessions_extension.period,
        price=Decimal("3300"),
        valid_from=today,
    )

    prices = dict(
        ExtensionSubscription.objects.annotate(
            partner=partner_price_expression(organization, today, prefix="period__")
        ).values_list("pk", "partner")
    )

    assert prices == {
        sessions_extension.pk: Decimal("3300"),
        draft_infobases_extension.pk: draft_infobases_extension.period.price,  # the service's
    }
