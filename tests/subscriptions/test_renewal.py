"""Renewal («Продлить»): the period a carried extension gets, and the service.

A renewing subscription has the base's subscriber and tariff and starts the
day after the base ends; the extensions that end with the base may be carried
onto it. All of it is posted in one transaction, or nothing is.
(The form and the card's button: tests/cabinet/test_renewal_form.py, test_base_card.py.)
"""

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError

from subscriptions import services
from subscriptions.models import ExtensionSubscription, Status, Subscription
from subscriptions.periods import Periodicity, add_months
from subscriptions.renewal import carried_period
from tests import factories

DAY = datetime.timedelta(days=1)


def counts():
    return Subscription.objects.count(), ExtensionSubscription.objects.count()


# --- The period a carried extension gets ----------------------------------------------


def test_carried_period_is_the_one_of_the_renewals_length(session_tariff):
    periods = list(session_tariff.periods.all())
    start = datetime.date(2027, 1, 31)

    chosen = carried_period(periods, starts_on=start, ends_on=add_months(start, 12) - DAY)

    assert (chosen.periodicity, chosen.count) == (Periodicity.MONTH, 12)


def test_carried_period_falls_back_to_the_longest_that_fits(session_tariff):
    periods = list(session_tariff.periods.all())  # 1, 3, 6, 12 months
    start = datetime.date(2027, 1, 31)

    two_months = carried_period(periods, starts_on=start, ends_on=add_months(start, 2) - DAY)
    ten_days = carried_period(periods, starts_on=start, ends_on=start + 9 * DAY)

    assert two_months.count == 1
    assert ten_days is None


def test_carried_period_prefers_the_same_periodicity_among_equal_lengths(session_tariff):
    year = factories.TariffPeriodFactory(
        tariff=session_tariff, periodicity=Periodicity.YEAR, count=1, price=29000
    )
    periods = list(session_tariff.periods.all())
    start = datetime.date(2027, 3, 1)

    chosen = carried_period(
        periods, starts_on=start, ends_on=add_months(start, 12) - DAY, like=year
    )

    assert chosen == year


# --- The service ----------------------------------------------------------------------


def test_renewal_without_copying_posts_the_renewing_subscription(
    base_three_months, extensions_of_base_three_months, base_tariff, operator
):
    year = base_tariff.periods.get(count=12)

    renewal = services.subscription_renew(
        subscription=base_three_months, period=year, copy_extensions=False, user=operator
    )

    renewal.refresh_from_db()
    assert renewal.renews == base_three_months
    # A renewal is a main subscription that continues the base (R13's grace is another kind).
    assert renewal.kind == Subscription.Kind.MAIN and renewal.kind_label == "Основная"
    assert (renewal.subscriber, renewal.tariff, renewal.period) == (
        base_three_months.subscriber,
        base_three_months.tariff,
        year,
    )
    assert renewal.starts_on == base_three_months.ends_on + DAY
    assert renewal.ends_on == add_months(renewal.starts_on, 12) - DAY
    assert renewal.status == Status.POSTED
    assert (renewal.created_by, renewal.posted_by) == (operator, operator)
    assert renewal.posted_at is not None
    assert not renewal.extensions.exists()
    assert renewal.history.latest().history_user == operator


def test_renewal_with_copying_carries_the_extensions_that_end_with_the_base(
    base_three_months, extensions_of_base_three_months, base_tariff, operator
):
    year = base_tariff.periods.get(count=12)

    renewal = services.subscription_renew(
        subscription=base_three_months, period=year, copy_extensions=True, user=operator
    )

    carried = list(renewal.extensions.select_related("tariff", "period").order_by("tariff__name"))
    assert [(e.tariff, e.quantity) for e in carried] == [
        (extensions_of_base_three_months["infobases"].tariff, 1),
        (extensions_of_base_three_months["sessions"].tariff, 2),
    ]
    for extension in carried:
        assert extension.status == Status.POSTED
        assert extension.starts_on == renewal.starts_on
        assert extension.ends_on == renewal.ends_on
        assert (extension.period.periodicity, extension.period.count) == (Periodicity.MONTH, 12)
        assert extension.amount == extension.period.price * extension.quantity
        assert extension.posted_by == operator
        assert extension.history.latest().history_user == operator
    # the originals are untouched
    assert base_three_months.extensions.count() == 4


def test_copies_take_the_longest_period_that_fits_when_none_has_the_renewals_length(
    base_three_months, extensions_of_base_three_months, base_tariff, operator
):
    two_months = factories.TariffPeriodFactory(
        tariff=base_tariff, periodicity=Periodicity.MONTH, count=2, price=23000
    )

    renewal = services.subscription_renew(
        subscription=base_three_months, period=two_months, copy_extensions=True, user=operator
    )

    carried = list(renewal.extensions.select_related("period"))
    assert len(carried) == 2
    assert {(e.period.periodicity, e.period.count) for e in carried} == {(Periodicity.MONTH, 1)}
    assert all(e.ends_on < renewal.ends_on for e in carried)


def test_a_copy_refused_by_the_rules_rolls_everything_back(
    base_three_months, extensions_of_base_three_months, base_tariff, infobase_tariff, operator
):
    infobase_tariff.offered_for.remove(base_tariff)  # no longer offered for the base tariff
    before = counts()

    with pytest.raises(ValidationError) as refused:
        services.subscription_renew(
            subscription=base_three_months,
            period=base_tariff.periods.get(count=12),
            copy_extensions=True,
            user=operator,
        )

    assert counts() == before  # neither the renewal nor the sessions' copy
    message = refused.value.message_dict["copy_extensions"][0]
    assert f"Расширение № {extensions_of_base_three_months['infobases'].number}" in message
    assert "не предлагается для тарифа «Стандарт»" in message
    assert "Продление не проведено" in message


def test_a_copy_without_a_fitting_period_rolls_everything_back(
    base_three_months, extensions_of_base_three_months, base_tariff, operator
):
    ten_days = factories.TariffPeriodFactory(
        tariff=base_tariff, periodicity=Periodicity.DECADE, count=1, price=4000
    )
    before = counts()

    with pytest.raises(ValidationError) as refused:
        services.subscription_renew(
            subscription=base_three_months, period=ten_days, copy_extensions=True, user=operator
        )

    assert counts() == before
    assert "нет периода" in refused.value.message_dict["copy_extensions"][0]


def test_renewing_an_ended_base_with_copies_is_refused_by_r7(
    subscriber, base_tariff, session_tariff, operator, today
):
    ended = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=add_months(today, -1) - 5 * DAY,
    )
    factories.ExtensionFactory(
        subscription=ended,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=ended.starts_on,
    )
    year = base_tariff.periods.get(count=12)
    before = counts()

    with pytest.raises(ValidationError) as refused:
        services.subscription_renew(
            subscription=ended, period=year, copy_extensions=True, user=operator
        )
    assert counts() == before
    assert "с сегодняшнего дня или позже" in refused.value.message_dict["copy_extensions"][0]

    # without the copies the late renewal is fine: it starts the day after the base
    renewal = services.subscription_renew(
        subscription=ended, period=year, copy_extensions=False, user=operator
    )
    assert renewal.starts_on == ended.ends_on + DAY < today


def test_a_renewed_base_cannot_be_renewed_again(base_three_months, base_tariff, operator):
    year = base_tariff.periods.get(count=12)
    first = services.subscription_renew(
        subscription=base_three_months, period=year, copy_extensions=False, user=operator
    )

    with pytest.raises(ValidationError) as refused:
        services.subscription_renew(
            subscription=base_three_months, period=year, copy_extensions=False, user=operator
        )

    assert refused.value.code == "already_renewed"
    assert first.number in refused.value.messages[0]
    assert base_three_months.renewals.count() == 1


def test_a_draft_base_cannot_be_renewed(base_three_months, base_tariff, operator):
    Subscription.objects.filter(pk=base_three_months.pk).update(status=Status.DRAFT)

    with pytest.raises(ValidationError) as refused:
        services.subscription_renew(
            subscription=base_three_months,
            period=base_tariff.periods.get(count=12),
            copy_extensions=False,
            user=operator,
        )

    assert refused.value.code == "renew_not_posted"
    assert not base_three_months.renewals.exists()


def test_a_renewal_overlapping_another_posted_subscription_is_refused_by_r11(
    base_three_months, base_tariff, operator
):
    factories.SubscriptionFactory(
        subscriber=base_three_months.subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=base_three_months.ends_on + 10 * DAY,
    )
    before = counts()

    with pytest.raises(ValidationError):
        services.subscription_renew(
            subscription=base_three_months,
            period=base_tariff.periods.get(count=12),
            copy_extensions=False,
            user=operator,
        )

    assert counts() == before


def test_the_same_request_token_renews_once(
    base_three_months, extensions_of_base_three_months, base_tariff, operator
):
    token = uuid.uuid4()
    year = base_tariff.periods.get(count=12)

    first = services.subscription_renew(
        subscription=base_three_months,
        period=year,
        copy_extensions=True,
        user=operator,
        request_token=token,
    )
    second = services.subscription_renew(
        subscription=base_three_months,
        period=year,
        copy_extensions=True,
        user=operator,
        request_token=token,
    )

    assert first.pk == second.pk
    assert base_three_months.renewals.count() == 1
    assert first.extensions.count() == 2
