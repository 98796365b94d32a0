"""R12: two operators at once cannot break R4–R11 (PostgreSQL, real row locks).

Every test ends with `check_invariants` over the whole database. The races of
reference data against posting, and of deletion against posting, are in
test_reference_data.py and test_lost_rows.py.
"""

import datetime
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from subscriptions import services
from subscriptions.models import ExtensionSubscription, Status, Subscription
from subscriptions.periods import add_months
from tests import factories
from tests.conftest import requires_postgres
from tests.races import run_together

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def no_invariant_is_broken():
    """The whole database, not just the rows the test looked at (check_invariants)."""
    report = StringIO()
    try:
        call_command("check_invariants", stdout=report)
    except CommandError as broken:
        raise AssertionError(report.getvalue()) from broken


@pytest.mark.parametrize("round_", range(6))
def test_posting_to_the_end_while_the_base_is_shortened(
    round_, subscriber, base_tariff, session_tariff, operator, owner, today
):
    base = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=add_months(today.replace(day=1), -1),
    )
    # an extension that ends exactly with the 12-month base
    draft = services.extension_save(
        extension=ExtensionSubscription(
            subscription=base,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=1),
            starts_on=add_months(base.starts_on, 11),
            quantity=1,
        ),
        user=operator,
    )
    assert draft.ends_on == base.ends_on

    def post():
        services.extension_post(extension=draft, user=operator)

    def shorten():
        change = Subscription.objects.get(pk=base.pk)
        change.period = base_tariff.periods.get(count=6)
        services.subscription_save(subscription=change, user=owner)

    actions = (post, shorten) if round_ % 2 == 0 else (shorten, post)
    outcomes = run_together(*actions)

    assert not any(str(o).startswith("error") for o in outcomes), outcomes
    base.refresh_from_db()
    draft.refresh_from_db()
    # whichever won, exactly one of the two happened and R5 holds
    assert (draft.status == Status.POSTED) != (base.period.count == 6), outcomes
    for ext in ExtensionSubscription.objects.filter(subscription=base, status=Status.POSTED):
        assert base.starts_on <= ext.starts_on and ext.ends_on <= base.ends_on
    no_invariant_is_broken()


def test_two_overlapping_bases_posted_at_once_only_one_lands(
    subscriber, base_tariff, operator, owner, today
):
    drafts = [
        services.subscription_save(
            subscription=Subscription(
                subscriber=subscriber,
                tariff=base_tariff,
                period=base_tariff.periods.get(count=12),
                starts_on=today + i * datetime.timedelta(days=1),
            ),
            user=operator,
        )
        for i in range(2)
    ]
    outcomes = run_together(
        *(lambda d=d: services.subscription_post(subscription=d, user=owner) for d in drafts)
    )
    assert sorted(outcomes) == ["base_overlaps", "done"], outcomes
    assert Subscription.objects.filter(subscriber=subscriber, status=Status.POSTED).count() == 1
    no_invariant_is_broken()


def test_the_same_form_submitted_twice_at_once_makes_one_document(
    subscriber, base_tariff, session_tariff, operator, today
):
    base = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=add_months(today.replace(day=1), -1),
    )
    token = uuid.uuid4()

    def submit():
        services.extension_save(
            extension=ExtensionSubscription(
                subscription=base,
                tariff=session_tariff,
                period=session_tariff.periods.get(count=1),
                starts_on=today,
                quantity=1,
            ),
            user=operator,
            post=True,
            request_token=token,
        )

    outcomes = run_together(submit, submit)
    assert outcomes == ["done", "done"], outcomes
    assert ExtensionSubscription.objects.filter(subscription=base).count() == 1
    no_invariant_is_broken()
