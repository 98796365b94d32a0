"""Limits: Σ included resources of active posted bases + Σ quantities of active extensions."""

import datetime

from subscribers.models import Subscriber
from subscriptions import selectors
from subscriptions.models import ExtensionSubscription, Status
from subscriptions.periods import add_months
from tests import factories

DAY = datetime.timedelta(days=1)


def add(base, tariff, starts_on, months, quantity, status=Status.POSTED):
    ext = ExtensionSubscription(
        subscription=base,
        tariff=tariff,
        period=tariff.periods.get(count=months),
        starts_on=starts_on,
        quantity=quantity,
        status=status,
    )
    ext.save()  # dates in the past are fine for a stored posted document
    return ext


def test_limits_on_a_day_with_overlapping_extensions(
    base_twelve_months_from_the_first, session_tariff, infobase_tariff, subscriber, today
):
    first = add(base_twelve_months_from_the_first, session_tariff, today, 3, 2)
    second = add(base_twelve_months_from_the_first, session_tariff, today + 10 * DAY, 1, 3)
    third = add(base_twelve_months_from_the_first, infobase_tariff, today + 10 * DAY, 1, 4)
    # drafts never count
    add(base_twelve_months_from_the_first, session_tariff, today, 6, 7, status=Status.DRAFT)

    def limits(day):
        return selectors.subscriber_limits(subscriber, day)

    assert limits(today - DAY) == selectors.Limits(5, 2)  # base only
    assert limits(first.starts_on) == selectors.Limits(7, 2)  # first day of the first
    assert limits(second.starts_on) == selectors.Limits(10, 6)  # all three
    assert limits(second.ends_on) == selectors.Limits(10, 6)  # last day of the 2nd and 3rd
    assert limits(second.ends_on + DAY) == selectors.Limits(7, 2)
    assert limits(first.ends_on) == selectors.Limits(7, 2)  # last day of the first
    assert limits(first.ends_on + DAY) == selectors.Limits(5, 2)
    assert third.ends_on == second.ends_on
    assert limits(base_twelve_months_from_the_first.ends_on + DAY) == selectors.Limits(0, 0)


def test_limits_add_up_several_active_bases(base_twelve_months_from_the_first, subscriber, today):
    other = factories.BaseTariffFactory(name="Профессиональный", sessions=10, infobases=10)
    factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=other,
        period=factories.TariffPeriodFactory(tariff=other, count=1),
        starts_on=today,
    )
    assert selectors.subscriber_limits(subscriber, today) == selectors.Limits(15, 12)


def test_limits_for_many_subscribers_in_one_query(
    base_twelve_months_from_the_first,
    session_tariff,
    organization,
    today,
    django_assert_num_queries,
):
    add(base_twelve_months_from_the_first, session_tariff, today, 1, 4)
    idle = factories.SubscriberFactory(organization=organization)
    with django_assert_num_queries(1):
        limits = selectors.limits_for_subscribers(Subscriber.objects.all(), today)
    assert limits == {
        base_twelve_months_from_the_first.subscriber_id: selectors.Limits(9, 2),
        idle.pk: selectors.Limits(0, 0),
    }


def test_breakdown_lists_what_makes_the_limits(
    base_twelve_months_from_the_first, session_tariff, subscriber, today
):
    ext = add(base_twelve_months_from_the_first, session_tariff, today, 1, 4)
    breakdown = selectors.limits_breakdown(subscriber, today)
    assert breakdown.limits == selectors.Limits(9, 2)
    assert breakdown.bases == [base_twelve_months_from_the_first] and breakdown.extensions == [ext]
    assert selectors.subscriber_limits(subscriber, today) == breakdown.limits


def test_organization_documents_pages_match_the_whole_ordered_list(
    base_twelve_months_from_the_first,
    session_tariff,
    subscriber,
    base_tariff,
    organization,
    other_organization,
    today,
):
    # given bases and extensions of the organization starting on many days, and
    # a document of another organization
    for day in range(8):
        add(
            base_twelve_months_from_the_first,
            session_tariff,
            base_twelve_months_from_the_first.starts_on + day * DAY,
            1,
            1,
        )
    earlier = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=add_months(base_twelve_months_from_the_first.starts_on, -1),
    )
    factories.SubscriptionFactory(
        subscriber=factories.SubscriberFactory(organization=other_organization),
        tariff=base_tariff,
    )
    documents = selectors.organization_documents(organization)
    everything = list(documents)
    # then the count, every slice and an index agree with the whole list
    assert documents.count() == len(everything) == 10
    assert earlier.number not in [row["doc_number"] for row in everything[:-1]]
    assert everything[-1]["doc_number"] == earlier.number
    keys = [(-row["doc_starts_on"].toordinal(), row["doc_number"]) for row in everything]
    assert keys == sorted(keys)
    for start, stop in [(0, 3), (3, 6), (6, 9), (9, 12), (0, 10), (4, 4)]:
        assert list(documents[start:stop]) == everything[start:stop]
    assert documents[2] == everything[2]
    # and a filter narrows the count and the page alike
    drafts = selectors.organization_documents(organization, status=Status.DRAFT)
    assert drafts.count() == 0
    assert list(drafts[0:25]) == []


def test_the_three_ways_of_computing_limits_agree(
    base_twelve_months_from_the_first, session_tariff, infobase_tariff, organization, today
):
    # the list page (annotate_limits), the API and the benchmark
    # (limits_for_subscribers) and the card (limits_breakdown) show one figure
    add(base_twelve_months_from_the_first, session_tariff, today, 3, 2)
    add(base_twelve_months_from_the_first, session_tariff, today + 10 * DAY, 1, 3)
    add(base_twelve_months_from_the_first, infobase_tariff, today, 1, 4)
    add(base_twelve_months_from_the_first, session_tariff, today, 6, 7, status=Status.DRAFT)
    factories.SubscriberFactory(organization=organization)  # nothing at all
    subscribers = Subscriber.objects.all()

    for day in (
        today - DAY,
        today,
        today + 10 * DAY,
        base_twelve_months_from_the_first.ends_on,
        base_twelve_months_from_the_first.ends_on + DAY,
    ):
        annotated = {
            s.pk: selectors.Limits(s.limit_sessions, s.limit_infobases)
            for s in selectors.annotate_limits(subscribers, day)
        }
        assert annotated == selectors.limits_for_subscribers(subscribers, day), day
        for subscriber in subscribers:
            assert selectors.limits_breakdown(subscriber, day).limits == annotated[subscriber.pk]
