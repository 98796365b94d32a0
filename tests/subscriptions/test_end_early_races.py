"""R14 against other writers at once (PostgreSQL, real row locks): an early end of a
base races a posting past its new last day and a quantity change of its extension.
Whichever comes first, the other sees it; `check_invariants` finds nothing."""

import datetime
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

DAY = datetime.timedelta(days=1)


def no_invariant_is_broken():
    report = StringIO()
    try:
        call_command("check_invariants", stdout=report)
    except CommandError as broken:
        raise AssertionError(report.getvalue()) from broken


@pytest.fixture
def year_from_the_first(subscriber, base_tariff, today):
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=add_months(today.replace(day=1), -1),
    )


@pytest.mark.parametrize("round_", range(4))
def test_an_early_end_races_a_posting_past_its_last_day(
    round_, year_from_the_first, session_tariff, operator, owner, today
):
    base = year_from_the_first
    last_day = today + 5 * DAY
    draft = services.extension_save(
        extension=ExtensionSubscription(
            subscription=base,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=1),
            starts_on=today + DAY,
            quantity=1,
        ),
        user=operator,
    )

    def post():
        services.extension_post(extension=draft, user=operator)

    def end():
        services.subscription_end_early(
            subscription=base, last_day=last_day, reason="Закрылся", user=owner
        )

    outcomes = run_together(*((post, end) if round_ % 2 == 0 else (end, post)))

    assert not any(str(o).startswith("error") for o in outcomes), outcomes
    base.refresh_from_db()
    draft.refresh_from_db()
    # one of them won: an ended base refuses the posting (R5), a posted extension the end
    assert (draft.status == Status.POSTED) != (base.ended_early_on == last_day), outcomes
    no_invariant_is_broken()


@pytest.mark.parametrize("round_", range(4))
def test_an_early_end_with_its_extensions_races_a_quantity_change(
    round_, year_from_the_first, session_tariff, operator, owner, today
):
    base = year_from_the_first
    running = factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=6),
        starts_on=base.starts_on,
        quantity=2,
    )
    last_day = today + 10 * DAY

    def change():
        services.extension_change_quantity(
            extension=running, change_on=today + 20 * DAY, quantity=4, user=operator
        )

    def end():
        services.subscription_end_early(
            subscription=base,
            last_day=last_day,
            reason="Закрылся",
            end_extensions=True,
            user=owner,
        )

    outcomes = run_together(*((change, end) if round_ % 2 == 0 else (end, change)))

    assert not any(str(o).startswith("error") for o in outcomes), outcomes
    # the change's new extension would start after the last day: only one of them lands
    assert outcomes.count("done") == 1, outcomes
    base.refresh_from_db()
    for extension in ExtensionSubscription.objects.filter(subscription=base, status=Status.POSTED):
        assert extension.ends_on <= base.ends_on, outcomes
    assert Subscription.objects.get(pk=base.pk).is_posted
    no_invariant_is_broken()
