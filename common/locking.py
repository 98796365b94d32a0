"""Row locks in one order, inside transactions whose lock waits are bounded (R12).

`LOCK_ORDER` is the one place that names the order. Every write that locks
rows takes them through `locked_transaction()`, kind by kind in this order
and, within a kind, in primary-key order — so two transactions never wait
for each other in a circle, whatever mix of cabinet, admin, API and
background work runs at once:

1. `subscribers.ServiceOrganization` — a partner's own writes: its deletion,
   its requisites and its price list (`billing.services`: the
   `OrganizationRequisites` and `PartnerPrice` rows are not locked themselves,
   the organization's row stands for them), the start of a bulk renewal
   (`jobs.Job` created under it, so one form submitted twice makes one batch);
2. `subscribers.Subscriber` — a base subscription's writes (exclusive, so two
   new bases of one subscriber serialize, and a change of its organization
   waits for them); an extension relies on its base instead, whose subscriber
   keeps its organization while it has subscriptions;
3. `subscriptions.Subscription` — the base: every write of it or of its
   extensions (exclusive); several bases in pk order;
4. `subscriptions.ExtensionSubscription` — the extension being written;
5. `subscriptions.Tariff` — reference data: a change takes it exclusively;
   posting takes it *shared* (the tariff's kind, offers, maximum, activity);
6. `subscriptions.TariffPeriod` — likewise (length, price, activity);
7. `subscriptions.NumberSequence` — the document number, given out last
   (`next_document_number`).

Rows outside this order are never waited for while these are held:
`subscriptions.SubscriberLimits` (the kept limits) is locked last with
`SKIP LOCKED` (a busy row is marked pending instead), and the nightly job
locks those rows alone (`subscriptions.kept_limits`); `jobs.Job` is written
by single guarded UPDATEs, no lock (`jobs.services`); a partner's price in
effect is read, not locked, by a posting (a change applies from today on, so
a posting that read the old price is one that came first).

A shared lock (PostgreSQL `FOR SHARE`) lets any number of postings rely on a
tariff at once, while a change to that tariff waits for them to commit and
then sees what they posted; a posting that comes second waits for the change
and then sees the new values. On SQLite every transaction is IMMEDIATE (one
writer at a time), which already serializes all of this; the statements still
run there, without the lock clauses SQLite lacks.

A lock not granted within `POSTING_LOCK_TIMEOUT_MS` (or a deadlock) becomes a
polite «try again in a few seconds» ValidationError, never a 500.
"""

import contextlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.utils.translation import gettext as _

LOCK_ORDER = (
    "subscribers.ServiceOrganization",
    "subscribers.Subscriber",
    "subscriptions.Subscription",
    "subscriptions.ExtensionSubscription",
    "subscriptions.Tariff",
    "subscriptions.TariffPeriod",
    "subscriptions.NumberSequence",
)

BUSY_CODE = "document_busy"
RECORD_DELETED_CODE = "record_deleted"
DOCUMENT_DELETED_CODE = "document_deleted"
# The refusals that mean «the row you were changing is gone».
VANISHED_CODES = frozenset({RECORD_DELETED_CODE, DOCUMENT_DELETED_CODE})


class LockOrderError(RuntimeError):
    """A programming error: rows were locked against LOCK_ORDER."""


def busy_error() -> ValidationError:
    return ValidationError(
        _(
            "Эту запись сейчас изменяет другой пользователь. "
            "Повторите действие через несколько секунд."
        ),
        code=BUSY_CODE,
    )


def record_deleted_error() -> ValidationError:
    """A row the user was changing is gone: nothing is written, and nothing re-inserted."""
    return ValidationError(
        _(
            "Эту запись только что удалил другой пользователь: изменения не записаны. "
            "Откройте список заново и, если запись нужна, заведите ее снова."
        ),
        code=RECORD_DELETED_CODE,
    )


class Locks:
    """The locks one service call takes, checked against LOCK_ORDER as they are taken."""

    def __init__(self):
        self.position = -1

    def _advance(self, model) -> None:
        label = model._meta.label
        if label not in LOCK_ORDER:
            raise LockOrderError(f"{label} is not in LOCK_ORDER")
        position = LOCK_ORDER.index(label)
        if position < self.position:
            raise LockOrderError(
                f"{label} locked after {LOCK_ORDER[self.position]}: see LOCK_ORDER"
            )
        self.position = position

    def exclusive(self, model, pks) -> set:
        """Lock the rows of `model` with these pks for update; the pks that exist."""
        self._advance(model)
        pks = sorted({pk for pk in pks if pk is not None})
        if not pks:
            return set()
        # No joins: under READ COMMITTED, PostgreSQL re-checks a locked row that
        # changed meanwhile against the *old* joined rows. Lock, then read.
        return set(
            model._base_manager.select_for_update()
            .filter(pk__in=pks)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def exclusive_rows(self, model, pks) -> dict:
        """Lock the rows of `model` with these pks for update and read them: {pk: row}.

        One statement for both: the rows alone, never joined (see `exclusive`),
        so PostgreSQL returns each row as it is once its lock is granted.
        """
        self._advance(model)
        pks = sorted({pk for pk in pks if pk is not None})
        if not pks:
            return {}
        rows = model._base_manager.select_for_update().filter(pk__in=pks).order_by("pk")
        return {row.pk: row for row in rows}

    def shared(self, model, pks) -> set:
        """Lock the rows of `model` with these pks for share; the pks that exist."""
        self._advance(model)
        pks = sorted({pk for pk in pks if pk is not None})
        if not pks:
            return set()
        if connection.vendor != "postgresql":
            # SQLite: the IMMEDIATE transaction already holds the only write lock.
            return set(model._base_manager.filter(pk__in=pks).values_list("pk", flat=True))
        opts = model._meta
        table = connection.ops.quote_name(opts.db_table)
        column = connection.ops.quote_name(opts.pk.column)
        with connection.cursor() as cursor:
            # Django's select_for_update() has no FOR SHARE; the statement is plain.
            cursor.execute(
                f"SELECT {column} FROM {table} WHERE {column} = ANY(%s) "
                f"ORDER BY {column} FOR SHARE",
                [pks],
            )
            return {row[0] for row in cursor.fetchall()}

    def shared_rows(self, model, pks) -> dict:
        """Lock the rows of `model` with these pks for share and read them: {pk: row}.

        One statement for both, the rows alone (see `exclusive_rows`).
        """
        self._advance(model)
        pks = sorted({pk for pk in pks if pk is not None})
        if not pks:
            return {}
        if connection.vendor != "postgresql":
            # SQLite: the IMMEDIATE transaction already holds the only write lock.
            rows = model._base_manager.filter(pk__in=pks).order_by("pk")
            return {row.pk: row for row in rows}
        opts = model._meta
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in opts.concrete_fields)
        column = quote(opts.pk.column)
        rows = model._base_manager.raw(
            f"SELECT {columns} FROM {quote(opts.db_table)} WHERE {column} = ANY(%s) "
            f"ORDER BY {column} FOR SHARE",
            [pks],
        )
        return {row.pk: row for row in rows}


@contextlib.contextmanager
def locked_transaction():
    """`transaction.atomic()` whose row locks wait a bounded time; yields a `Locks`.

    On PostgreSQL a lock not granted within POSTING_LOCK_TIMEOUT_MS, or a
    deadlock, aborts the transaction; SQLite reports «database is locked»
    after its busy timeout. Either becomes the same polite refusal.
    """
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('lock_timeout', %s, true)",
                        [f"{int(settings.POSTING_LOCK_TIMEOUT_MS)}ms"],
                    )
            yield Locks()
    except OperationalError as exc:
        code = getattr(getattr(exc, "__cause__", None), "pgcode", None)
        if code in ("55P03", "40P01", "40001") or "locked" in str(exc):
            raise busy_error() from exc
        raise
