"""Hostile input: what the property-based tests share.

Every test sets up two partners' data once (`world`), then Hypothesis sends it
many requests. Function-scoped fixtures are not reset between Hypothesis
examples, so each example runs inside a savepoint that is rolled back
(`rolled_back()`): examples are independent although the data is made once.

After each request: never a 5xx; the other partner's rows are exactly as they
were (counts and a hash of every field, their history included); a refused
request (4xx) wrote nothing at all; and every rule still holds over all
documents (`assert_rules_hold`).

The profile: 40 examples per test (HOSTILE_EXAMPLES=N for a longer run);
with CI=true the examples are derandomized, so a run can be repeated exactly.
"""

import contextlib
import datetime
import hashlib
import os
import uuid
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.db.models import Count, F, Max
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from api.models import ApiToken
from cabinet.exports import start_export_job
from cabinet.views.bulk_renewal import BULK_RENEWAL_JOB
from jobs.models import Job
from jobs.services import job_start
from subscribers.models import Membership, ServiceOrganization, Subscriber
from subscriptions.models import (
    ExtensionSubscription,
    Status,
    Subscription,
    Tariff,
    TariffPeriod,
)
from subscriptions.periods import Periodicity
from subscriptions.rules import ranges_overlap
from tests import factories

DAY = datetime.timedelta(days=1)

settings.register_profile(
    "hostile",
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "40")),
    # A request takes milliseconds to a second on a busy 2-core machine.
    deadline=None,
    # The `world` fixture is made once per test on purpose; each example
    # rolls its writes back (see rolled_back()).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=os.environ.get("CI") == "true",
    database=None if os.environ.get("CI") == "true" else settings.default.database,
    print_blob=True,
)
hostile = settings.get_profile("hostile")


@contextlib.contextmanager
def rolled_back():
    """A savepoint rolled back at the end, whatever happened inside."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- The two partners ------------------------------------------------------------


@dataclass
class Side:
    organization: ServiceOrganization
    owner: object
    subscriber: Subscriber
    base: Subscription  # posted, a year that began 30 days ago
    draft_base: Subscription  # draft, a month a year from now
    extension: ExtensionSubscription  # posted «Дополнительный сеанс» × 2 from today
    draft_extension: ExtensionSubscription  # draft «Дополнительная база» in 10 days
    api_token: ApiToken  # a key of the organization, not revoked
    job: Job  # a big download of «Обслуживаемые абоненты», done: its page and its file
    bulk_batch: Job  # a «Продление за месяц» batch of this month, done (no rows)


@dataclass
class World:
    ours: Side
    theirs: Side
    viewer: object
    base_tariff: Tariff
    other_base_tariff: Tariff
    session_tariff: Tariff
    infobase_tariff: Tariff
    today: datetime.date

    def tariff_ids(self) -> list[int]:
        return list(Tariff.objects.order_by("pk").values_list("pk", flat=True))

    def period_ids(self) -> list[int]:
        return list(TariffPeriod.objects.order_by("pk").values_list("pk", flat=True))

    def document_ids(self) -> list[int]:
        """Every id a URL could name: both sides' subscribers and documents of both kinds."""
        ids = set()
        for side in (self.ours, self.theirs):
            ids |= {
                side.subscriber.pk,
                side.base.pk,
                side.draft_base.pk,
                side.extension.pk,
                side.draft_extension.pk,
            }
        return sorted(ids)


def _side(organization, username, base_tariff, session_tariff, infobase_tariff, today) -> Side:
    owner = factories.UserFactory(username=username)
    factories.MembershipFactory(organization=organization, user=owner, role="owner")
    subscriber = factories.SubscriberFactory(organization=organization)
    base = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(periodicity=Periodicity.MONTH, count=12),
        starts_on=today - 30 * DAY,
    )
    draft_base = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(periodicity=Periodicity.MONTH, count=1),
        starts_on=today + 400 * DAY,
        status=Status.DRAFT,
    )
    extension = factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(periodicity=Periodicity.MONTH, count=1),
        starts_on=today,
        quantity=2,
    )
    draft_extension = factories.ExtensionFactory(
        subscription=base,
        tariff=infobase_tariff,
        period=infobase_tariff.periods.get(periodicity=Periodicity.MONTH, count=3),
        starts_on=today + 10 * DAY,
        status=Status.DRAFT,
    )
    # As the services would have left them: who posted, when, at what price.
    now = timezone.now()
    Subscription.objects.filter(pk=base.pk).update(posted_by=owner, posted_at=now)
    ExtensionSubscription.objects.filter(pk=extension.pk).update(
        posted_by=owner,
        posted_at=now,
        unit_price=extension.period.price,
        amount=extension.period.price * extension.quantity,
    )
    for document in (base, extension):
        document.refresh_from_db()
    api_token, _key = ApiToken.issue(organization=organization, name="Учет", created_by=owner)
    job = start_export_job(
        organization=organization,
        user=owner,
        source="subscribers",
        fmt="csv",
        query={},
        today=today,
    )
    bulk_batch = job_start(
        organization=organization,
        user=owner,
        kind=BULK_RENEWAL_JOB,
        parameters={
            "token": str(uuid.uuid4()),
            "month": today.replace(day=1).isoformat(),
            "tariff": None,
            "carry": True,
            "items": [],
            "language": "ru",
        },
    )
    return Side(
        organization,
        owner,
        subscriber,
        base,
        draft_base,
        extension,
        draft_extension,
        api_token,
        job,
        bulk_batch,
    )


@pytest.fixture
def world(
    organization, other_organization, base_tariff, session_tariff, infobase_tariff, today
) -> World:
    other_base_tariff = factories.BaseTariffFactory(name="Другой основной")
    factories.TariffPeriodFactory(tariff=other_base_tariff, count=12, price=99000)
    factories.TariffPeriodFactory(
        tariff=session_tariff, periodicity=Periodicity.DAY, count=5, price=500
    )
    tariffs = (base_tariff, session_tariff, infobase_tariff, today)
    ours = _side(organization, "owner", *tariffs)
    theirs = _side(other_organization, "other-owner", *tariffs)
    viewer = factories.UserFactory(username="viewer")
    factories.MembershipFactory(organization=organization, user=viewer, role="user")
    return World(
        ours=ours,
        theirs=theirs,
        viewer=viewer,
        base_tariff=base_tariff,
        other_base_tariff=other_base_tariff,
        session_tariff=session_tariff,
        infobase_tariff=infobase_tariff,
        today=today,
    )


_handler = None


def client_for(user) -> Client:
    """A client (logged in as `user` unless None) that returns a 500 instead of raising it.

    Every client shares one handler: a new one loads the middleware again on
    its first request (~0.1 s), which would be most of an example's time.
    """
    global _handler
    client = Client(raise_request_exception=False)
    if _handler is None:
        _handler = client.handler
    client.handler = _handler
    if user is not None:
        client.force_login(user)
    return client


# --- Snapshots -------------------------------------------------------------------


def _digest(rows) -> str:
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _by_organization(queryset, organization_field) -> dict:
    """Every field of every row, grouped by the organization that owns the row."""
    grouped = {}
    rows = queryset.annotate(owner_id=F(organization_field)).order_by("pk").values()
    for row in rows:
        grouped.setdefault(row["owner_id"], []).append(row)
    return grouped


def _history_by_organization(model, organization_field) -> dict:
    """History is only ever appended to: its count and last id per organization."""
    rows = (
        model.history.annotate(owner_id=F(organization_field))
        .values("owner_id")
        .annotate(count=Count("history_id"), last=Max("history_id"))
        .order_by("owner_id")
    )
    return {row["owner_id"]: (row["count"], row["last"]) for row in rows}


def snapshot() -> dict:
    """Per organization: a hash of every field of all it owns; and the tariff catalogue.

    One query per table: cheap enough to run before and after every request.
    """
    tables = {
        "organization": _by_organization(ServiceOrganization.objects.all(), "pk"),
        "memberships": _by_organization(Membership.objects.all(), "organization_id"),
        "subscribers": _by_organization(Subscriber.objects.all(), "organization_id"),
        "bases": _by_organization(Subscription.objects.all(), "subscriber__organization_id"),
        "extensions": _by_organization(
            ExtensionSubscription.objects.all(), "subscription__subscriber__organization_id"
        ),
    }
    histories = {
        "base_history": _history_by_organization(Subscription, "subscriber__organization_id"),
        "extension_history": _history_by_organization(
            ExtensionSubscription, "subscription__subscriber__organization_id"
        ),
        "subscriber_history": _history_by_organization(Subscriber, "organization_id"),
    }
    organizations = {
        owner_id for grouped in [*tables.values(), *histories.values()] for owner_id in grouped
    }
    result = {
        owner_id: {
            **{name: _digest(grouped.get(owner_id, [])) for name, grouped in tables.items()},
            **{name: grouped.get(owner_id) for name, grouped in histories.items()},
        }
        for owner_id in organizations
    }
    result["catalogue"] = _digest(
        [
            list(Tariff.objects.order_by("pk").values()),
            list(Tariff.offered_for.through.objects.order_by("pk").values()),
            list(TariffPeriod.objects.order_by("pk").values()),
        ]
    )
    return result


def everything_snapshot(world) -> tuple:
    """(ours, theirs, the catalogue): what a request may change, and what it may not."""
    state = snapshot()
    return (
        state.get(world.ours.organization.pk),
        state.get(world.theirs.organization.pk),
        state["catalogue"],
    )


# --- The rules, checked over every document -------------------------------------------


def assert_rules_hold() -> None:
    """R2–R5, R8, R9, R11 and the posted-extension invariants over all documents."""
    bases = list(Subscription.objects.select_related("tariff", "period", "subscriber"))
    for base in bases:
        where = f"base {base.number}"
        assert base.status in Status.values, where
        assert base.tariff.kind == Tariff.Kind.BASE, where  # R2
        assert base.period.tariff_id == base.tariff_id, where  # R3
        assert base.ends_on == base.period.end_for(base.starts_on), where  # R3
        assert base.starts_on <= base.ends_on, where  # R9
        if base.is_posted:
            assert base.posted_at is not None, where
    posted = [b for b in bases if b.is_posted]
    for i, a in enumerate(posted):  # R11
        for b in posted[i + 1 :]:
            if a.subscriber_id == b.subscriber_id and a.tariff_id == b.tariff_id:
                assert not ranges_overlap(a.starts_on, a.ends_on, b.starts_on, b.ends_on), (
                    f"posted bases {a.number} and {b.number} overlap"
                )
    by_pk = {base.pk: base for base in bases}
    offered = set(Tariff.offered_for.through.objects.values_list("from_tariff_id", "to_tariff_id"))
    extensions = ExtensionSubscription.objects.select_related("tariff", "period")
    for extension in extensions:
        where = f"extension {extension.number}"
        base = by_pk[extension.subscription_id]
        tariff = extension.tariff
        assert extension.status in Status.values, where
        assert tariff.kind == Tariff.Kind.EXTENSION, where  # R2
        assert (tariff.pk, base.tariff_id) in offered, where  # R2
        assert extension.period.tariff_id == extension.tariff_id, where  # R3
        assert extension.ends_on == extension.period.end_for(extension.starts_on), where
        assert extension.starts_on <= extension.ends_on, where  # R9
        assert 1 <= extension.quantity <= tariff.max_quantity, where  # R8
        if extension.is_posted:
            assert base.is_posted, f"{where} is posted on a draft base"  # R6, R10
            assert base.starts_on <= extension.starts_on, where  # R4, R10
            assert extension.ends_on <= base.ends_on, where  # R5, R10
            assert extension.amount == extension.unit_price * extension.quantity, where


def assert_survived(response, world, before) -> None:
    """No 5xx; the other partner untouched; a refusal wrote nothing; the rules hold."""
    assert response.status_code < 500, response.status_code
    after = everything_snapshot(world)
    assert after[1] == before[1], "another organization's data changed"
    assert after[2] == before[2], "tariffs or periods changed"
    if 400 <= response.status_code < 500:
        assert after == before, f"a refused request ({response.status_code}) wrote something"
    assert_rules_hold()


# --- Strategies -------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "' OR 1=1 --",
    "'; DROP TABLE subscriptions_subscription; --",
    '" OR ""="',
    "1; SELECT pg_sleep(5)",
    "%",
    "_",
    "\\",
    "%00",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "{{ settings.SECRET_KEY }}",
    "${jndi:ldap://x}",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "1e308",
    "1e-308",
    "-0",
    "0x10",
    "١٢",  # Arabic-Indic digits
    "１２",  # full-width digits
    "²",
    "9" * 40,
    "-" + "9" * 40,
    "2**64",
    "true",
    "null",
    "None",
    "[]",
    "{}",
    "\u202e\u0410\u0431\u043e\u043d\u0435\u043d\u0442",
    "🙂" * 30,
    "\ud7ff\ue000\ufffd",
    "Ж" * 5000,
    "x" * 100_000,
]
MALFORMED_DATES = [
    "2024-02-30",
    "2025-02-29",
    "31.02.2025",
    "2025-13-01",
    "00.00.0000",
    "0000-01-01",
    "0001-01-01",
    "01.01.0001",
    "9999-12-31",
    "31.12.9999",
    "9999-12-01",
    "10000-01-01",
    "-2025-01-01",
    "2025/01/01",
    "1.1.1",
    "2025-1-1",
    "20250101",
    "2025-01-01T00:00:00",
    "2025-01-01\x00",
    " 2025-01-01 ",
]


def _date_text(day: datetime.date) -> st.SearchStrategy:
    return st.sampled_from([day.isoformat(), day.strftime("%d.%m.%Y")])


def numbers() -> st.SearchStrategy:
    return st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.integers(min_value=-3, max_value=1001).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.decimals(allow_nan=True).map(str),
    )


def dates(world: World | None = None) -> st.SearchStrategy:
    """Any date, malformed dates, and the days that matter for the world's documents."""
    options = [
        st.dates().flatmap(_date_text),
        st.sampled_from(MALFORMED_DATES),
    ]
    if world is not None:
        base = world.ours.base
        days = [
            world.today + offset * DAY for offset in (-31, -1, 0, 1, 2, 10, 30, 60, 200, 400)
        ] + [base.starts_on, base.ends_on, base.ends_on - 30 * DAY, base.ends_on + DAY]
        options.append(st.sampled_from(days).flatmap(_date_text))
    return st.one_of(*options)


def anything() -> st.SearchStrategy:
    """Any text a client could send in a field."""
    return st.one_of(
        st.text(max_size=40),
        st.text(min_size=41, max_size=300),
        st.sampled_from(NASTY),
        numbers(),
        dates(),
        st.uuids().map(str),
    )


def ids(known: list[int]) -> st.SearchStrategy:
    """An id a client could send: one of `known`, a missing one, or a huge one."""
    return st.one_of(
        st.sampled_from(known),
        st.integers(min_value=0, max_value=2**63 + 10),
    )


def field(plausible: st.SearchStrategy) -> st.SearchStrategy:
    """A field's value: plausible most of the time (so writes happen), anything otherwise."""
    return st.one_of(plausible, plausible, anything())


_MISSING = object()


def form_data(fields: dict) -> st.SearchStrategy:
    """A request body: each field usually present, sometimes missing or repeated; stray keys."""

    def one_field(strategy):
        return st.one_of(
            strategy,
            strategy,
            strategy,
            st.lists(strategy, min_size=2, max_size=3),
            st.just(_MISSING),
        )

    stray = {
        "csrfmiddlewaretoken": anything(),
        "id": anything(),
        "pk": anything(),
        "status": st.sampled_from(["posted", "draft", "deleted", ""]),
        "subscription": anything(),
        "subscriber": anything(),
        "organization": anything(),
        "created_by": anything(),
        "ends_on": dates(),
    }
    return st.fixed_dictionaries(
        {name: one_field(strategy) for name, strategy in fields.items()},
        optional={k: v for k, v in stray.items() if k not in fields},
    ).map(lambda body: {k: v for k, v in body.items() if v is not _MISSING})
