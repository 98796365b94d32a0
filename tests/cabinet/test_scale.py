"""Pages that must not grow with the partner: kept limits, «Личный кабинет»'s counts,
the query counts of the subscriber list and the home page (issue 13).

«Обслуживаемые абоненты» sorted by a limit reads today's limits kept per
subscriber (subscriptions/kept_limits.py) when they are current, and computes
them from the documents when they are not; both must give the same page.
"""

import datetime
import io
import re
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from subscribers.models import Subscriber
from subscriptions import clock, kept_limits, services
from subscriptions.models import (
    ExtensionSubscription,
    Status,
    SubscriberLimits,
    SubscriberLimitsPending,
    Subscription,
)
from subscriptions.selectors import Limits, limits_for_subscribers
from tests import factories
from tests.conftest import requires_postgres

DAY = datetime.timedelta(days=1)
# The 3 queries of any logged-in request (the session, the user and the membership).
REQUEST_QUERIES = 3
# «Обслуживаемые абоненты» sorted by a limit: are the kept limits current, the count, the page.
SORTED_LIST_QUERIES = REQUEST_QUERIES + 3
# «Личный кабинет»: the four counts, the ending rows, the draft rows.
HOME_QUERIES = REQUEST_QUERIES + 3


def kept(subscriber) -> Limits:
    row = SubscriberLimits.objects.get(subscriber=subscriber)
    return Limits(row.sessions, row.infobases)


def computed(subscriber, day) -> Limits:
    return limits_for_subscribers(Subscriber.objects.filter(pk=subscriber.pk), day)[subscriber.pk]


def row_names(response) -> list[str]:
    from html import unescape

    return [
        unescape(name)
        for name in re.findall(
            r'<tr data-href="/subscribers/\d+/" tabindex="0">.*?<a href="[^"]+">(.*?)</a>',
            response.content.decode(),
            re.S,
        )
    ]


def limit_cells(response) -> list[tuple[str, str]]:
    return re.findall(
        r'<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>', response.content.decode()
    )


@pytest.fixture
def spread(organization, base_tariff, session_tariff, infobase_tariff, today):
    """Five subscribers with different limits today (and one whose extension starts tomorrow)."""
    made = {}
    for index, (sessions, infobases) in enumerate([(0, 0), (3, 1), (1, 0), (5, 2), (2, 4)]):
        subscriber = factories.SubscriberFactory(organization=organization, name=f"Абонент {index}")
        base = factories.SubscriptionFactory(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=12),
            starts_on=today - 10 * DAY,
        )
        for tariff, quantity in ((session_tariff, sessions), (infobase_tariff, infobases)):
            if quantity:
                factories.ExtensionFactory(
                    subscription=base,
                    tariff=tariff,
                    period=tariff.periods.get(count=1),
                    starts_on=today,
                    quantity=quantity,
                )
        made[index] = subscriber
    factories.ExtensionFactory(
        subscription=made[0].subscriptions.get(),
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today + DAY,
        quantity=9,
    )
    return made


# --- The kept rows follow every write ----------------------------------------------


def test_a_new_subscriber_has_kept_limits_of_zero_as_of_today(organization, today):
    subscriber = factories.SubscriberFactory(organization=organization)

    row = SubscriberLimits.objects.get(subscriber=subscriber)

    assert (row.sessions, row.infobases, row.tariff_id, row.as_of) == (0, 0, None, today)
    assert row.organization_id == organization.pk


def test_kept_limits_follow_posting_and_unposting_through_the_services(
    subscriber, base_tariff, session_tariff, operator, today
):
    base = services.subscription_save(
        subscription=Subscription(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=12),
            starts_on=today,
            status=Status.POSTED,
        ),
        user=operator,
    )
    assert kept(subscriber) == Limits(5, 2)

    extension = services.extension_save(
        extension=ExtensionSubscription(
            subscription=base,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=1),
            starts_on=today,
            quantity=3,
        ),
        user=operator,
        post=True,
    )
    assert kept(subscriber) == Limits(8, 2) == computed(subscriber, today)
    assert SubscriberLimits.objects.get(subscriber=subscriber).tariff_id == base_tariff.pk

    services.extension_unpost(extension=extension, user=operator)
    assert kept(subscriber) == Limits(5, 2) == computed(subscriber, today)


def test_a_draft_saved_again_does_not_touch_the_kept_row(
    subscriber, base_twelve_months, session_tariff, today
):
    draft = factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today,
        status=Status.DRAFT,
    )
    SubscriberLimits.objects.filter(subscriber=subscriber).update(sessions=42)
    draft = ExtensionSubscription.objects.get(pk=draft.pk)
    draft.quantity = 4

    draft.save()

    assert SubscriberLimits.objects.get(subscriber=subscriber).sessions == 42


def test_kept_limits_equal_the_selector_for_every_subscriber(spread, today):
    everyone = limits_for_subscribers(Subscriber.objects.all(), today)

    assert {row.subscriber_id: Limits(row.sessions, row.infobases)
            for row in SubscriberLimits.objects.all()} == everyone  # fmt: skip
    assert everyone[spread[3].pk] == Limits(10, 4)


def test_a_subscriber_moved_to_another_organization_takes_its_row_along(
    organization, other_organization
):
    subscriber = factories.SubscriberFactory(organization=organization)

    subscriber.organization = other_organization
    subscriber.save()

    assert SubscriberLimits.objects.get(subscriber=subscriber).organization == other_organization


def test_a_changed_base_tariff_leaves_its_subscribers_pending_until_recomputed(
    spread, base_tariff, organization, today, django_capture_on_commit_callbacks
):
    base_tariff.sessions = 7

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        base_tariff.save()

    assert SubscriberLimitsPending.objects.filter(organization=organization).count() == 5
    assert not kept_limits.kept_limits_current(organization, today)
    for callback in callbacks:
        callback()
    assert not SubscriberLimitsPending.objects.exists()
    assert kept_limits.kept_limits_current(organization, today)
    assert kept(spread[1]) == computed(spread[1], today) == Limits(10, 3)


# --- Days pass: the nightly job, and the list before it ran -------------------------


def test_the_kept_limits_are_not_current_the_next_day_until_the_nightly_job(
    spread, organization, today
):
    tomorrow = today + DAY
    assert kept_limits.kept_limits_current(organization, today)

    with clock.today_is(tomorrow):
        assert not kept_limits.kept_limits_current(organization, tomorrow)
        call_command("refresh_limits", stdout=io.StringIO())
        assert kept_limits.kept_limits_current(organization, tomorrow)
        # the extension of 9 sessions that starts tomorrow now counts
        assert kept(spread[0]) == computed(spread[0], tomorrow) == Limits(14, 2)


@pytest.mark.parametrize("sort", ["-sessions", "sessions", "-infobases", "infobases"])
def test_the_sorted_list_is_the_same_from_kept_and_from_computed_limits(
    logged_in, viewer, spread, organization, today, sort
):
    client = logged_in(viewer)
    from_kept = client.get(reverse("subscriber_list"), {"sort": sort})
    SubscriberLimits.objects.filter(organization=organization).update(as_of=today - DAY)
    assert not kept_limits.kept_limits_current(organization, today)

    from_documents = client.get(reverse("subscriber_list"), {"sort": sort})

    assert row_names(from_kept) == row_names(from_documents)
    assert limit_cells(from_kept) == limit_cells(from_documents)
    if sort == "-sessions":
        assert row_names(from_kept)[:2] == ["Абонент 3", "Абонент 1"]
        assert limit_cells(from_kept)[0] == ("10", "4")


def test_a_stale_kept_row_never_shows_on_the_list(logged_in, viewer, spread, organization, today):
    """A wrong value marked stale: the list computes from the documents instead."""
    SubscriberLimits.objects.filter(subscriber=spread[2]).update(sessions=99, as_of=None)

    response = logged_in(viewer).get(reverse("subscriber_list"), {"sort": "-sessions"})

    assert row_names(response)[0] == "Абонент 3"
    assert ("99", "2") not in limit_cells(response)


# --- Query counts: the same for 5 subscribers as for 50, kept or computed ------------


@pytest.mark.parametrize("rows", [5, 50])
@pytest.mark.parametrize("current", [True, False], ids=["kept", "computed"])
@pytest.mark.parametrize("sort", ["-sessions", "infobases"])
def test_the_list_sorted_by_a_limit_runs_a_constant_number_of_queries(
    logged_in, viewer, populate, organization, today, rows, current, sort,
    django_assert_num_queries,
):  # fmt: skip
    populate(rows)
    if not current:
        SubscriberLimits.objects.filter(organization=organization).update(as_of=None)
    client = logged_in(viewer)

    with django_assert_num_queries(SORTED_LIST_QUERIES):
        response = client.get(reverse("subscriber_list"), {"sort": sort, "page": 2})

    assert response.status_code == 200
    assert len(response.context["page_obj"]) == (5 if rows == 5 else 25)


@pytest.mark.parametrize("rows", [5, 50])
@pytest.mark.parametrize("current", [True, False], ids=["kept", "computed"])
def test_home_runs_a_constant_number_of_queries_and_counts_the_same(
    logged_in, viewer, populate, organization, today, rows, current, django_assert_num_queries
):
    populate(rows)
    factories.SubscriberFactory(organization=organization)  # no tariff
    if not current:
        SubscriberLimits.objects.filter(organization=organization).update(as_of=None)
    client = logged_in(viewer)

    with django_assert_num_queries(HOME_QUERIES):
        response = client.get(reverse("home"))

    counts = response.context["counts"]
    assert counts["subscribers"] == rows + 1
    assert counts["with_tariff"] == rows
    assert counts["drafts"] == rows


def test_a_deep_page_of_a_search_shows_its_own_rows(logged_in, viewer, populate, organization):
    """The page's rows are chosen first, then annotated: the same rows as a plain slice."""
    populate(60)
    client = logged_in(viewer)

    page_three = client.get(reverse("subscriber_list"), {"sort": "-sessions", "page": 3})
    names = list(
        Subscriber.objects.filter(organization=organization)
        .order_by("-kept_limits__sessions", "-pk")
        .values_list("name", flat=True)[50:60]
    )

    assert row_names(page_three) == names
    assert "51–60 из 60" in page_three.content.decode()


# --- Two postings for one subscriber at once (PostgreSQL, real row locks) ------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_postings_for_one_subscriber_at_once_leave_its_kept_row_right(
    subscriber, base_tariff, session_tariff, operator, today
):
    other_tariff = factories.BaseTariffFactory(name="Второй", sessions=1, infobases=1)
    factories.TariffPeriodFactory(tariff=other_tariff, count=12, price=1000)
    session_tariff.offered_for.add(other_tariff)
    first, second = (
        factories.SubscriptionFactory(
            subscriber=subscriber,
            tariff=tariff,
            period=tariff.periods.get(count=12),
            starts_on=today - 5 * DAY,
        )
        for tariff in (base_tariff, other_tariff)
    )
    barrier = threading.Barrier(2)
    errors = []

    def post(base, quantity):
        try:
            barrier.wait(10)
            services.extension_save(
                extension=ExtensionSubscription(
                    subscription=base,
                    tariff=session_tariff,
                    period=session_tariff.periods.get(count=1),
                    starts_on=today,
                    quantity=quantity,
                ),
                user=operator,
                post=True,
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(b, q)) for b, q in ((first, 2), (second, 3))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert kept(subscriber) == computed(subscriber, today)
    assert not SubscriberLimitsPending.objects.exists()
