"""The factories cannot produce invalid rows: they go through `full_clean()`."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from subscriptions.invariants import find_violations
from subscriptions.models import ExtensionSubscription, Status, Subscription
from tests import factories

DAY = datetime.timedelta(days=1)


def test_an_extension_that_outruns_its_base_is_refused(base_three_months, session_tariff):
    with pytest.raises(ValidationError) as refused:
        factories.ExtensionFactory(
            subscription=base_three_months,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=12),
        )

    assert refused.value.error_dict["period"][0].code == "extension_ends_after_base"
    assert not ExtensionSubscription.objects.exists()


def test_a_posted_extension_on_a_draft_base_is_refused(draft_base_in_400_days, session_tariff):
    with pytest.raises(ValidationError):
        factories.ExtensionFactory(
            subscription=draft_base_in_400_days,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=1),
            starts_on=draft_base_in_400_days.starts_on,
        )

    assert not ExtensionSubscription.objects.exists()


def test_a_posted_extension_that_began_in_the_past_is_checked_on_its_first_day(
    base_twelve_months, session_tariff, today
):
    # posted on the day it began: valid then, so valid as a stored row
    extension = factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today - 20 * DAY,
    )

    assert extension.status == Status.POSTED and extension.starts_on == today - 20 * DAY


def test_overlapping_posted_bases_of_one_tariff_are_refused(base_twelve_months, base_tariff, today):
    with pytest.raises(ValidationError) as refused:
        factories.SubscriptionFactory(
            subscriber=base_twelve_months.subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=1),
            starts_on=today,
        )

    assert "base_overlaps" in [e.code for e in refused.value.error_dict["starts_on"]]
    assert Subscription.objects.count() == 1


def test_a_user_gets_the_password_hashed(db):
    user = factories.UserFactory(username="cashier", password="kassa-pass-123")

    assert user.password != "kassa-pass-123"
    assert user.check_password("kassa-pass-123")


def test_rows_the_factories_make_break_no_invariant(base_twelve_months, session_tariff):
    """A posted extension keeps its prices as posting would (R16): check_invariants is clean."""
    extension = factories.ExtensionFactory(subscription=base_twelve_months, tariff=session_tariff)

    assert (extension.unit_price, extension.amount) == (
        extension.period.price,
        extension.period.price * extension.quantity,
    )
    assert list(find_violations()) == []
