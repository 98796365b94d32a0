"""`RenewalPlanner`: many bases planned as the single renewal plans one, in four queries;
`renew_bases`: a batch renewed base by base through the service. (The page:
tests/cabinet/test_bulk_renewal.py.)"""

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError

from subscriptions import clock, services
from subscriptions.models import Subscription, TariffPeriod
from subscriptions.periods import add_months
from subscriptions.renewal import (
    RenewalPlanner,
    bases_ending_in,
    carried_extensions,
    carry_plan,
    offered_periods_by_tariff,
    renewal_refusal,
    renewal_starts_on,
)
from subscriptions.tasks import BulkRenewalOutcome, renew_bases
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def quarters(organization, tariff, session_tariff, n, *, starts_on):
    """n posted quarters of `tariff` from `starts_on`, each with a month of sessions ending
    with it."""
    bases = []
    for _ in range(n):
        base = factories.SubscriptionFactory(
            subscriber=factories.SubscriberFactory(organization=organization),
            tariff=tariff,
            period=tariff.periods.get(count=3),
            starts_on=starts_on,
        )
        factories.ExtensionFactory(
            subscription=base,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=1),
            starts_on=add_months(starts_on, 2),
            quantity=3,
        )
        bases.append(base)
    return bases


@pytest.fixture
def quarters_ending_this_month(organization, base_tariff, session_tariff, today):
    start = add_months(today.replace(day=1), -2)
    return lambda n: quarters(organization, base_tariff, session_tariff, n, starts_on=start)


@pytest.mark.parametrize("n", [1, 12])
def test_the_planner_reads_in_four_queries_whatever_the_number_of_bases(
    quarters_ending_this_month, organization, today, django_assert_num_queries, n
):
    quarters_ending_this_month(n)
    bases = list(bases_ending_in(organization, today))
    assert len(bases) == n

    with django_assert_num_queries(4):
        planner = RenewalPlanner(bases, today=today)
        for base in bases:
            for period in planner.periods(base):
                planner.plan(base, period)


def test_no_bases_no_queries(today, django_assert_num_queries):
    with django_assert_num_queries(0):
        RenewalPlanner([], today=today)


def test_each_plan_is_the_single_renewals(quarters_ending_this_month, organization, today):
    (base,) = quarters_ending_this_month(1)
    planner = RenewalPlanner(bases_ending_in(organization, today), today=today)
    extensions = list(carried_extensions(base))
    periods = offered_periods_by_tariff(e.tariff_id for e in extensions)
    base_periods = list(TariffPeriod.objects.filter(tariff=base.tariff))
    assert extensions and base_periods  # the loop below compares something

    for period in base_periods:
        plan = planner.plan(base, period)
        starts_on = renewal_starts_on(base)
        assert (plan.starts_on, plan.ends_on) == (starts_on, period.end_for(starts_on))
        assert plan.amount == period.price
        single = [
            carry_plan(
                extension,
                periods[extension.tariff_id],
                renewal_period=period,
                starts_on=starts_on,
                today=today,
            )
            for extension in extensions
        ]
        assert [p.describe() for p in plan.carry_plans] == [p.describe() for p in single]
        assert plan.total == period.price + sum(p.amount for p in single)
        assert plan.refusal == ""


def test_a_base_continued_by_its_grace_subscription_is_renewed_after_it(
    subscriber, base_tariff, operator
):
    with clock.today_is(datetime.date(2027, 3, 1)):
        base = factories.SubscriptionFactory(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=3),
            starts_on=datetime.date(2027, 3, 1),
        )
    with clock.today_is(datetime.date(2027, 6, 3)):
        grace = services.grace_create(subscription=base, days=5, user=operator)
        planner = RenewalPlanner([base], today=clock.today())

        assert planner.starts_on(base) == renewal_starts_on(base) == grace.ends_on + DAY
        assert planner.plan(base).starts_on == grace.ends_on + DAY


def test_refusals_are_the_single_renewals(quarters_ending_this_month, organization, today):
    renewed, inactive = quarters_ending_this_month(2)
    services.subscription_renew(
        subscription=renewed, period=renewed.period, copy_extensions=False, user=None
    )
    inactive.tariff.__class__.objects.filter(pk=inactive.tariff_id).update(is_active=False)
    bases = list(bases_ending_in(organization, today))

    planner = RenewalPlanner(bases, today=today)

    assert {base.pk for base in bases} == {renewed.pk, inactive.pk}
    for base in bases:
        expected = renewal_refusal(base)
        assert expected is not None, base.number
        assert planner.plan(base).refusal == " ".join(expected.messages)
        assert planner.plan(base).refusal_code == expected.code


def test_an_extension_that_cannot_be_carried_refuses_the_row_unless_kept(
    quarters_ending_this_month, organization, today, base_tariff, session_tariff
):
    (base,) = quarters_ending_this_month(1)
    session_tariff.offered_for.remove(base_tariff)
    planner = RenewalPlanner([base], today=today)
    extension = base.extensions.get()

    carried = planner.plan(base, carry=True)
    kept = planner.plan(base, carry=False)

    assert carried.refusal_code == "carry_refused"
    assert f"Расширение № {extension.number}" in carried.refusal
    assert "больше не предлагается для этого тарифа" in carried.refusal
    # the service refuses it too, and renews without it
    with pytest.raises(ValidationError):
        services.subscription_renew(
            subscription=base, period=base.period, copy_extensions=True, user=None
        )
    assert kept.refusal == "" and kept.carried == ()


def test_a_renewal_wholly_in_the_past_is_planned_with_a_warning(
    organization, base_tariff, session_tariff, today
):
    (base,) = quarters(
        organization,
        base_tariff,
        session_tariff,
        1,
        starts_on=add_months(today.replace(day=1), -9),
    )
    month = base_tariff.periods.get(count=1)
    year = base_tariff.periods.get(count=12)
    planner = RenewalPlanner([base], today=today)

    assert "renewal_in_past" in planner.plan(base, month, carry=False).warnings
    assert planner.plan(base, year, carry=False).warnings == {}
    # and its extension starts in the past: not carried (R7), said in the single form's words
    assert "в прошлом" in planner.plan(base, month, carry=True).refusal


# --- renew_bases ----------------------------------------------------------------------


def test_a_batch_renews_each_base_and_says_why_it_did_not(
    quarters_ending_this_month, base_tariff, organization, operator
):
    first, second, third = quarters_ending_this_month(3)
    services.subscription_renew(
        subscription=second, period=second.period, copy_extensions=False, user=None
    )
    year = base_tariff.periods.get(count=12)
    steps = []

    outcomes = list(
        renew_bases(
            organization_id=organization.pk,
            items=[(first.pk, year.pk), (second.pk, None), (third.pk, None), (10**9, None)],
            carry=True,
            user=operator,
            batch_token=str(uuid.uuid4()),
            progress=lambda: steps.append(1),
        )
    )

    assert len(steps) == 4
    renewed = Subscription.objects.get(renews=first)
    assert outcomes[0].renewal_number == renewed.number and renewed.period == year
    assert outcomes[0].carried == 1
    assert not outcomes[1].renewed and "уже продлена" in outcomes[1].reason
    assert outcomes[2].renewed
    assert not outcomes[3].renewed and "удален" in outcomes[3].reason
    assert BulkRenewalOutcome.from_json(outcomes[0].as_json()) == outcomes[0]


def test_a_batch_never_touches_another_organizations_base(
    other_organization, base_tariff, session_tariff, organization, today
):
    (foreign,) = quarters(
        other_organization,
        base_tariff,
        session_tariff,
        1,
        starts_on=add_months(today.replace(day=1), -2),
    )

    (outcome,) = renew_bases(
        organization_id=organization.pk,
        items=[(foreign.pk, None)],
        carry=False,
        user=None,
        batch_token=str(uuid.uuid4()),
    )

    assert not outcome.renewed and not Subscription.objects.filter(renews=foreign).exists()
