"""What posting costs (issue 13): every check, lock and history row, in few statements.

Each posting below is listed statement by statement — the list is the test.
The locks are taken in LOCK_ORDER (subscriber → base → extension → tariff →
period → number), each row locked and read by one statement; the rules run
in full_clean() without asking the database what it was just told (keys of
loaded rows; the check constraints, decided in Python); the document number
is one statement; the kept limits take the document's share in one
statement, or none when the document is not active today.

A refusal is worded exactly as `full_clean()` words it: the constraints are
decided as Django's own validation decides them (compared below), and the
uniqueness of the number and of the token, which a posting does not ask, is
asked whenever the rules refuse.
"""

import datetime
import re
import threading
import time
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext

from subscribers.models import Subscriber
from subscriptions import services
from subscriptions.models import (
    ExtensionSubscription,
    NumberSequence,
    Status,
    SubscriberLimits,
    SubscriberLimitsPending,
    Subscription,
    next_document_number,
)
from subscriptions.selectors import Limits, limits_for_subscribers
from tests import factories
from tests.conftest import requires_postgres

DAY = datetime.timedelta(days=1)
POSTGRES = connection.vendor == "postgresql"
LOCK_CLAUSES = ("FOR UPDATE SKIP LOCKED", "FOR UPDATE", "FOR SHARE")

# The statements, as patterns. On SQLite the lock timeout is not set and the
# lock clauses are absent (its IMMEDIATE transaction is the only writer); a
# transaction nested in the test's is a savepoint.
BEGIN = r"^(BEGIN|SAVEPOINT)"
LOCK_TIMEOUT = "PG: set_config('lock_timeout'"
COMMIT = r"^(COMMIT|RELEASE SAVEPOINT)"
EXTENSION_STORED_BASE = r'^SELECT "subscriptions_extensionsubscription"."subscription_id" AS'
BASE_STORED_SUBSCRIBER = r'^SELECT "subscriptions_subscription"."subscriber_id" AS'
SUBSCRIBER_LOCKED = r'^SELECT "subscribers_subscriber"\."id", .* FOR UPDATE$'
BASE_LOCKED = r'^SELECT "subscriptions_subscription"\."id", .* FOR UPDATE$'
EXTENSION_LOCKED = r'^SELECT "subscriptions_extensionsubscription"\."id", .* FOR UPDATE$'
TARIFFS_SHARED = (
    r'^SELECT "(subscriptions_tariff"\.")?id", .* FROM "subscriptions_tariff" WHERE .* FOR SHARE$'
)
PERIODS_SHARED = (
    r'^SELECT "(subscriptions_tariffperiod"\.")?id", .* FROM "subscriptions_tariffperiod" WHERE '
    r".* FOR SHARE$"
)
TOKEN = r'"subscriptions_extensionsubscription"\."request_token" = '
OFFERED = r'INNER JOIN "subscriptions_tariff_offered_for"'  # R2
NUMBER = r'^INSERT INTO "subscriptions_numbersequence" .* RETURNING'
EXTENSION_INSERTED = r'^INSERT INTO "subscriptions_extensionsubscription"'
EXTENSION_UPDATED = r'^UPDATE "subscriptions_extensionsubscription" SET'
BASE_UPDATED = r'^UPDATE "subscriptions_subscription" SET'
EXTENSION_HISTORY = r'^INSERT INTO "subscriptions_historicalextensionsubscription"'
BASE_HISTORY = r'^INSERT INTO "subscriptions_historicalsubscription"'
KEPT_ADDED = r'^UPDATE "subscriptions_subscriberlimits" SET sessions = sessions \+'
# Subscription.clean() (the row as stored is the one read under the lock): what continues
# it, posted (its grace subscription, R13; a renewal), R10's posted extensions, R11's
# overlapping bases.
BASE_CONTINUING = r'"renews_id" = \d+ AND "subscriptions_subscription"\."status" = \'posted\''
BASE_POSTED_EXTENSIONS = r'FROM "subscriptions_extensionsubscription" WHERE .*"status" = \'posted\''
BASE_OVERLAPPING = r'"subscriptions_subscription"\."subscriber_id" = .*"tariff_id" = '
# R16: the partner's own price on the posting day (billing's price list), kept.
PARTNER_PRICE = r'FROM "billing_partnerprice"'

EXTENSION_POSTING = [  # a new extension, written and posted («Провести и закрыть»)
    BEGIN, LOCK_TIMEOUT, BASE_LOCKED, TARIFFS_SHARED, PERIODS_SHARED, PARTNER_PRICE, OFFERED,
    NUMBER, EXTENSION_INSERTED, EXTENSION_HISTORY, KEPT_ADDED, COMMIT,
]  # fmt: skip
DRAFT_POSTING = [  # a draft posted from its card («Провести»)
    BEGIN, LOCK_TIMEOUT, EXTENSION_STORED_BASE, BASE_LOCKED, EXTENSION_LOCKED, TARIFFS_SHARED,
    PERIODS_SHARED, PARTNER_PRICE, OFFERED, EXTENSION_UPDATED, EXTENSION_HISTORY, KEPT_ADDED,
    COMMIT,
]  # fmt: skip
BASE_POSTING = [  # a draft base posted from its card («Провести»)
    BEGIN, LOCK_TIMEOUT, BASE_STORED_SUBSCRIBER, SUBSCRIBER_LOCKED, BASE_LOCKED, TARIFFS_SHARED,
    PERIODS_SHARED, PARTNER_PRICE, BASE_CONTINUING, BASE_POSTED_EXTENSIONS, BASE_OVERLAPPING,
    BASE_UPDATED, BASE_HISTORY, KEPT_ADDED, COMMIT,
]  # fmt: skip


def expected(steps, *, without=()) -> list[str]:
    """The steps on this database: PostgreSQL's own ones and lock clauses only there."""
    out = []
    for step in steps:
        if step in without:
            continue
        if step.startswith("PG: "):
            if POSTGRES:
                out.append(re.escape(step[4:]))
            continue
        if not POSTGRES:
            for clause in LOCK_CLAUSES:
                step = step.replace(f" {clause}$", "$").replace(f" {clause}", "")
        out.append(step)
    return out


def with_token(steps) -> list[str]:
    """The steps of a posting with a one-time token: looked up right after the base's lock."""
    locked = steps.index(expected([BASE_LOCKED])[0]) + 1
    return [*steps[:locked], TOKEN, *steps[locked:]]


def assert_statements(captured, steps) -> None:
    sql = [" ".join(q["sql"].split()) for q in captured.captured_queries]
    listing = "\n".join(f"{n:2}. {s[:160]}" for n, s in enumerate(sql, 1))
    assert len(sql) == len(steps), f"{len(sql)} statements, {len(steps)} expected:\n{listing}"
    for number, (statement, step) in enumerate(zip(sql, steps, strict=True), 1):
        assert re.search(step, statement), f"statement {number} is not «{step}»:\n{listing}"


def kept(subscriber) -> Limits:
    row = SubscriberLimits.objects.get(subscriber=subscriber)
    return Limits(row.sessions, row.infobases)


def computed(subscriber, day) -> Limits:
    return limits_for_subscribers(Subscriber.objects.filter(pk=subscriber.pk), day)[subscriber.pk]


def new_extension(base, tariff, *, starts_on, quantity=2) -> ExtensionSubscription:
    return ExtensionSubscription(
        subscription_id=base.pk,
        tariff=tariff,
        period=tariff.periods.get(count=1),
        starts_on=starts_on,
        quantity=quantity,
    )


# --- The statements of a posting ------------------------------------------------------


def test_posting_a_new_extension_runs_these_statements(
    base_twelve_months, session_tariff, operator, subscriber, today
):
    extension = new_extension(base_twelve_months, session_tariff, starts_on=today, quantity=3)

    with CaptureQueriesContext(connection) as captured:
        services.extension_save(extension=extension, user=operator, post=True)

    assert_statements(captured, expected(EXTENSION_POSTING))
    extension.refresh_from_db()
    assert extension.status == Status.POSTED and extension.amount == 9000
    assert extension.history.get().history_change_reason == "Проведение"
    assert kept(subscriber) == computed(subscriber, today) == Limits(8, 2)


def test_a_one_time_token_is_looked_up_once_under_the_lock(
    base_twelve_months, session_tariff, operator, today
):
    token = uuid.uuid4()
    extension = new_extension(base_twelve_months, session_tariff, starts_on=today)

    with CaptureQueriesContext(connection) as captured:
        services.extension_save(extension=extension, user=operator, post=True, request_token=token)

    assert_statements(captured, with_token(expected(EXTENSION_POSTING)))
    again = new_extension(base_twelve_months, session_tariff, starts_on=today)
    assert (
        services.extension_save(extension=again, user=operator, post=True, request_token=token)
        == extension
    )


def test_posting_a_draft_runs_these_statements(
    base_twelve_months, session_tariff, operator, subscriber, today
):
    draft = services.extension_save(
        extension=new_extension(base_twelve_months, session_tariff, starts_on=today),
        user=operator,
    )
    draft = ExtensionSubscription.objects.get(pk=draft.pk)  # as the card's view reads it

    with CaptureQueriesContext(connection) as captured:
        services.extension_post(extension=draft, user=operator)

    assert_statements(captured, expected(DRAFT_POSTING))
    assert [h.history_change_reason for h in draft.history.order_by("history_id")] == [
        "Создание",
        "Проведение",
    ]
    assert kept(subscriber) == computed(subscriber, today) == Limits(7, 2)


def test_posting_an_extension_that_starts_later_leaves_the_kept_row_alone(
    base_twelve_months, session_tariff, operator, subscriber, today
):
    extension = new_extension(base_twelve_months, session_tariff, starts_on=today + DAY)

    with CaptureQueriesContext(connection) as captured:
        services.extension_save(extension=extension, user=operator, post=True)

    assert_statements(captured, expected(EXTENSION_POSTING, without=[KEPT_ADDED]))
    assert kept(subscriber) == computed(subscriber, today) == Limits(5, 2)
    assert SubscriberLimits.objects.get(subscriber=subscriber).as_of == today


def test_posting_a_base_runs_these_statements(
    subscriber, base_tariff, base_twelve_months, operator, today
):
    """A second base of another tariff, from today: its sessions and its tariff kept."""
    other = factories.BaseTariffFactory(name="Второй", sessions=3, infobases=1)
    factories.TariffPeriodFactory(tariff=other, count=1, price=1000)
    draft = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=other,
        period=other.periods.get(count=1),
        starts_on=today,
        status=Status.DRAFT,
    )
    draft = Subscription.objects.get(pk=draft.pk)  # as the card's view reads it

    with CaptureQueriesContext(connection) as captured:
        services.subscription_post(subscription=draft, user=operator)

    assert_statements(captured, expected(BASE_POSTING))
    assert kept(subscriber) == computed(subscriber, today) == Limits(8, 3)
    # the latest-started base active today names the tariff
    assert SubscriberLimits.objects.get(subscriber=subscriber).tariff_id == other.pk


def test_posting_a_base_that_starts_later_leaves_the_kept_row_alone(
    subscriber, draft_base_in_400_days, operator, today
):
    with CaptureQueriesContext(connection) as captured:
        services.subscription_post(subscription=draft_base_in_400_days, user=operator)

    assert_statements(captured, expected(BASE_POSTING, without=[KEPT_ADDED]))
    assert kept(subscriber) == computed(subscriber, today) == Limits(0, 0)


def test_a_stale_kept_row_is_recomputed_for_today_instead(
    base_twelve_months, session_tariff, operator, subscriber, today
):
    """Not as of today (the nightly job has not run): the row is recomputed, as any save."""
    SubscriberLimits.objects.filter(subscriber=subscriber).update(sessions=99, as_of=today - DAY)

    services.extension_save(
        extension=new_extension(base_twelve_months, session_tariff, starts_on=today),
        user=operator,
        post=True,
    )

    row = SubscriberLimits.objects.get(subscriber=subscriber)
    assert (row.sessions, row.infobases, row.as_of) == (7, 2, today)
    assert Limits(row.sessions, row.infobases) == computed(subscriber, today)


def test_a_missing_kept_row_is_made_instead(
    base_twelve_months, session_tariff, operator, subscriber, today
):
    SubscriberLimits.objects.filter(subscriber=subscriber).delete()

    services.extension_save(
        extension=new_extension(base_twelve_months, session_tariff, starts_on=today),
        user=operator,
        post=True,
    )

    if POSTGRES:  # no row to lock: pending, recomputed after the commit
        assert SubscriberLimitsPending.objects.filter(subscriber=subscriber).exists()
    else:
        assert kept(subscriber) == computed(subscriber, today) == Limits(7, 2)


def test_an_infobase_extension_adds_infobases(
    base_twelve_months, infobase_tariff, operator, subscriber, today
):
    services.extension_save(
        extension=new_extension(base_twelve_months, infobase_tariff, starts_on=today, quantity=4),
        user=operator,
        post=True,
    )

    assert kept(subscriber) == computed(subscriber, today) == Limits(5, 6)


# --- The numbers ---------------------------------------------------------------------


def test_document_numbers_follow_the_sequence_and_start_it_when_missing(db):
    NumberSequence.objects.filter(name="Р").update(last_value=41)
    NumberSequence.objects.filter(name="Т").delete()

    assert next_document_number("Р") == "Р00000042"
    assert next_document_number("Р") == "Р00000043"
    assert next_document_number("Т") == "Т00000001"
    assert NumberSequence.objects.get(name="Т").last_value == 1


def test_a_refused_posting_gives_no_number_back_and_takes_none(
    base_twelve_months, session_tariff, operator, today
):
    before = NumberSequence.objects.get(name="Р").last_value

    with pytest.raises(ValidationError):
        services.extension_save(
            extension=new_extension(base_twelve_months, session_tariff, starts_on=today - DAY),
            user=operator,
            post=True,
        )

    assert NumberSequence.objects.get(name="Р").last_value == before


# --- Constraints: decided in Python, as the database would, the same refusals -----------


def _documents(base, session_tariff, base_tariff, today):
    """Documents that keep and that break each constraint of both kinds (unsaved)."""
    month, base_month = session_tariff.periods.get(count=1), base_tariff.periods.get(count=1)
    ends = month.end_for(today)

    def extension(**changes):
        fields = dict(subscription=base, tariff=session_tariff, period=month, starts_on=today,
                      ends_on=ends, quantity=1, status=Status.POSTED)  # fmt: skip
        return ExtensionSubscription(**{**fields, **changes})

    def base_document(**changes):
        fields = dict(subscriber=base.subscriber, tariff=base_tariff, period=base_month,
                      starts_on=today, ends_on=base_month.end_for(today),
                      status=Status.POSTED)  # fmt: skip
        return Subscription(**{**fields, **changes})

    grace = dict(kind=Subscription.Kind.GRACE, period=None, renews=base)
    return [
        extension(),
        extension(ends_on=today - DAY),
        extension(ends_on=None),
        extension(quantity=0),
        extension(quantity=1000),
        extension(status="cancelled"),
        extension(starts_on=datetime.date(1999, 12, 31)),
        extension(ends_on=datetime.date(2100, 1, 1)),
        extension(period=None),
        extension(until_base_end=True),
        extension(until_base_end=True, period=None),
        base_document(),
        base_document(renews=base),  # a renewal: not bound by «one grace per base»
        base_document(ends_on=today - DAY),
        base_document(status="cancelled"),
        base_document(starts_on=datetime.date(1999, 12, 31)),
        base_document(period=None),
        base_document(**grace),
        base_document(**{**grace, "renews": None}),
        base_document(**{**grace, "period": base_month}),
    ]


def _refusal(check) -> dict:
    try:
        check()
    except ValidationError as error:
        return {field: sorted(messages) for field, messages in error.message_dict.items()}
    return {}


@pytest.mark.parametrize("exclude", [None, {"starts_on"}, {"period", "quantity"}])
def test_constraints_are_decided_as_the_database_decides_them(
    base_twelve_months, session_tariff, base_tariff, today, exclude
):
    """Every document, every exclusion: the same refusal as Django's own validation, which
    asks the database; and no query for a document no unique constraint binds."""
    documents = _documents(base_twelve_months, session_tariff, base_tariff, today)
    for number, document in enumerate(documents):
        with CaptureQueriesContext(connection) as captured:
            ours = _refusal(lambda d=document: d.validate_constraints(exclude))
        django = _refusal(lambda d=document: models.Model.validate_constraints(d, exclude))
        assert ours == django, number
        if getattr(document, "kind", None) != Subscription.Kind.GRACE:
            assert captured.captured_queries == [], number


def test_each_constraint_of_the_documents_is_broken_by_a_document_above(
    base_twelve_months, session_tariff, base_tariff, today
):
    """So the comparison above covers each (a new constraint needs its documents there)."""
    # A grace subscription of the base already there (written past the rules), for the
    # documents that would be its second one.
    Subscription(
        subscriber=base_twelve_months.subscriber,
        tariff=base_tariff,
        kind=Subscription.Kind.GRACE,
        renews=base_twelve_months,
        starts_on=today,
        ends_on=today + 3 * DAY,
    ).save()
    documents = _documents(base_twelve_months, session_tariff, base_tariff, today)
    unbroken = []
    for model in (Subscription, ExtensionSubscription):
        for constraint in model._meta.constraints:
            broken = False
            for document in documents:
                if isinstance(document, model):
                    try:
                        constraint.validate(model, document)
                    except ValidationError:
                        broken = True
            if not broken:
                unbroken.append(constraint.name)

    assert unbroken == []


def test_the_constraints_own_message_is_kept_when_another_rule_refuses_first(
    base_twelve_months, session_tariff, base_tariff, today
):
    document = ExtensionSubscription(
        subscription=base_twelve_months,
        tariff=base_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today,
        quantity=1000,
    )

    with pytest.raises(ValidationError) as refusal:
        services._full_clean(document)
    with pytest.raises(ValidationError) as full:
        document.full_clean()

    assert refusal.value.message_dict == full.value.message_dict
    assert "Количество расширений — от 1 до 999." in refusal.value.message_dict["__all__"]


# --- Foreign keys: no query when the object is at hand, the same refusal when not ------


def test_full_clean_asks_nothing_about_keys_whose_objects_are_loaded(
    base_twelve_months, session_tariff, operator, today
):
    extension = new_extension(base_twelve_months, session_tariff, starts_on=today)
    extension.subscription = base_twelve_months
    extension.created_by = extension.posted_by = operator

    with CaptureQueriesContext(connection) as captured:
        extension.clean_fields()

    assert captured.captured_queries == []


def test_a_key_unchanged_since_it_was_read_still_points_at_a_row():
    """Why such a key is not looked up again: while a document points at a row, the
    row stays (PROTECT), or the key is set to NULL with it, or the document goes too."""
    for model in (Subscription, ExtensionSubscription):
        for field in model._meta.concrete_fields:
            if field.many_to_one:
                assert field.remote_field.on_delete in (
                    models.PROTECT,
                    models.SET_NULL,
                    models.CASCADE,
                ), f"{model.__name__}.{field.name}"


@pytest.mark.parametrize("case", ["deleted", "unsaved", "other kind", "unloaded"])
def test_a_key_is_refused_as_before_when_its_object_is_not_proof(
    base_twelve_months, session_tariff, base_tariff, today, case
):
    extension = new_extension(base_twelve_months, session_tariff, starts_on=today)
    if case == "deleted":
        gone = factories.ExtensionTariffFactory(name="Удаленный", offered_for=[])
        extension.tariff = gone
        gone_pk = gone.pk
        gone.delete()
        extension.tariff_id = gone_pk
    elif case == "unsaved":
        extension.tariff_id = 999_999
    elif case == "other kind":
        extension.tariff = base_tariff  # limit_choices_to: extension tariffs only
    else:
        extension.period_id = 999_999

    with pytest.raises(ValidationError) as ours:
        extension.clean_fields()
    with pytest.raises(ValidationError) as django:
        models.Model.clean_fields(extension)

    assert ours.value.message_dict == django.value.message_dict


# --- Locks still hold (PostgreSQL, real row locks) ------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_kept_row_held_by_another_transaction_is_left_pending_and_recomputed(
    base_twelve_months, session_tariff, operator, subscriber, today
):
    locked, release = threading.Event(), threading.Event()
    pending = SubscriberLimitsPending.objects.filter(subscriber=subscriber)

    def hold_the_kept_row():
        """Hold the row until the posting has committed its pending mark (then the
        recompute after its commit, which waits for the row, gets it)."""
        try:
            with transaction.atomic():
                list(SubscriberLimits.objects.select_for_update().filter(subscriber=subscriber))
                locked.set()
                for _ in range(200):
                    if release.is_set() or pending.exists():
                        break
                    time.sleep(0.02)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_kept_row)
    holder.start()
    try:
        assert locked.wait(10)
        services.extension_save(
            extension=new_extension(base_twelve_months, session_tariff, starts_on=today),
            user=operator,
            post=True,
        )
    finally:
        release.set()
        holder.join()
    # the posting did not wait for the row: pending, then recomputed after the commit
    assert not SubscriberLimitsPending.objects.exists()
    assert kept(subscriber) == computed(subscriber, today) == Limits(7, 2)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_base_and_its_extensions_posted_at_once_leave_the_kept_row_right(
    subscriber, base_tariff, session_tariff, infobase_tariff, operator, today
):
    """Two clients post extensions on one base while a third posts the subscriber's
    second base: the increments add up, the tariff is the latest base's."""
    first = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=today - 5 * DAY,
    )
    other = factories.BaseTariffFactory(name="Второй", sessions=3, infobases=1)
    factories.TariffPeriodFactory(tariff=other, count=1, price=1000)
    second = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=other,
        period=other.periods.get(count=1),
        starts_on=today,
        status=Status.DRAFT,
    )
    barrier = threading.Barrier(3)
    errors = []

    def run(action):
        try:
            barrier.wait(10)
            for _ in range(3):
                action()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    def post_extension(tariff):
        return lambda: services.extension_save(
            extension=new_extension(first, tariff, starts_on=today, quantity=1),
            user=operator,
            post=True,
        )

    def post_base():
        services.subscription_post(subscription=second, user=operator)

    threads = [
        threading.Thread(target=run, args=(action,))
        for action in (post_extension(session_tariff), post_extension(infobase_tariff), post_base)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert kept(subscriber) == computed(subscriber, today) == Limits(5 + 3 + 3, 2 + 1 + 3)
    assert SubscriberLimits.objects.get(subscriber=subscriber).tariff_id == other.pk
    assert not SubscriberLimitsPending.objects.exists()
