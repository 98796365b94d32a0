"""Today's limits of every subscriber, kept in a table so that a list sorts by them.

«Обслуживаемые абоненты» sorted by sessions or infobases needs today's limits
of *all* the partner's subscribers before it can show the first 25: computed
from the documents that is work proportional to the partner (50,000
subscribers: ≈250,000 index probes per request). Kept per subscriber with an
index `(organization, sessions, subscriber)`, the page reads 25 rows of an
index whatever the partner's size.

How the kept rows stay true (the invariant: a row whose `as_of` is a day D
holds the subscriber's limits on D, exactly as `selectors.limits_for_subscribers`
computes them, unless a `SubscriberLimitsPending` row names the subscriber):

- Every save or delete of a base or extension subscription that is or was
  posted recomputes its subscriber's row for today, in the same transaction
  (`post_save`/`post_delete` receivers, connected in `apps.py`; every write
  path — services, admin, seed — saves through the model). A posting by the
  services (`counts_from_now`) adds the document's own share to the row
  instead, in one statement — an increment, exact whatever else committed
  meanwhile — or does nothing when the document is not active today. To
  recompute, PostgreSQL locks the row first (`FOR UPDATE SKIP LOCKED`), then
  recomputes it by a new statement, so it sees every change committed before
  the lock: of two postings for one subscriber the second recomputes after
  the first committed.
  The lock never waits — the row is the last thing a posting touches, but a
  renewal saves again after it (its copied extensions take a document number),
  and waiting there could close a circle with another posting. When the row is
  busy (another posting of the subscriber, the nightly job), the subscriber is
  marked pending instead, in the same transaction, and recomputed right after
  the commit; until then the list does not trust the organization's rows.
- A change of a base tariff's included sessions or infobases marks the
  subscribers that have it today pending, recomputed after the commit.
- A new subscriber gets its row (zeros: no documents yet) when it is saved; a
  change of organization moves the row with it.
- Days pass: at midnight (Asia/Almaty) every row is one day old. The nightly
  job `manage.py refresh_limits` (or the task `refresh_kept_limits`)
  recomputes the rows that are not as of today, and adds any row missing.
- The list asks `kept_limits_current(organization, day)` (one query): every
  row of the organization as of `day` and nothing pending. If not — the job
  has not run yet, or a recompute is pending — it sorts by limits computed
  from the documents, as before: slower, never wrong.

The rows are written here, in plain SQL (the migration that made the table
filled it once, the benchmark generator calls `refresh`); nothing else in the
cabinet writes them.
"""

import logging
from functools import partial

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Exists, Q
from django.utils.translation import gettext_lazy as _

from . import clock
from .models import ExtensionSubscription, Status, Subscription, Tariff

logger = logging.getLogger(__name__)
# Subscribers recomputed per transaction by the nightly job.
CHUNK = 2_000


class SubscriberLimits(models.Model):
    """A subscriber's sessions and infobases on the day `as_of` (see the module's docstring).

    `organization` is the subscriber's (kept with it) so that one index orders
    a partner's subscribers by either limit. `as_of` NULL: never computed.
    """

    subscriber = models.OneToOneField(
        "subscribers.Subscriber",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="kept_limits",
        verbose_name=_("абонент"),
    )
    organization = models.ForeignKey(
        "subscribers.ServiceOrganization",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("обслуживающая организация"),
    )
    sessions = models.PositiveIntegerField(_("сеансы"), default=0)
    infobases = models.PositiveIntegerField(_("информационные базы"), default=0)
    # The tariff of the latest-started posted base active that day (none: no
    # active tariff). No database constraint: writing it must not share-lock
    # a tariff row that a change of the tariff holds.
    tariff = models.ForeignKey(
        Tariff,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("тариф"),
    )
    as_of = models.DateField(_("на день"), null=True, blank=True)

    class Meta:
        verbose_name = _("лимиты абонента")
        verbose_name_plural = _("лимиты абонентов")
        ordering = ["subscriber"]
        indexes = [
            models.Index(
                fields=["organization", "sessions", "subscriber"], name="kept_org_sessions_idx"
            ),
            models.Index(
                fields=["organization", "infobases", "subscriber"], name="kept_org_infobases_idx"
            ),
            # «Личный кабинет»: the subscribers, and those with a tariff, in one index-only pass.
            models.Index(fields=["organization", "tariff"], name="kept_org_tariff_idx"),
            models.Index(fields=["organization", "as_of"], name="kept_org_as_of_idx"),
        ]

    def __str__(self):
        return f"{self.subscriber_id}: {self.sessions} / {self.infobases} ({self.as_of})"


class SubscriberLimitsPending(models.Model):
    """A subscriber whose kept limits wait for a recompute (see the module's docstring).

    No database constraint on its keys: inserting it must not share-lock the
    subscriber row, which base subscriptions' writes hold exclusively.
    """

    subscriber = models.ForeignKey(
        "subscribers.Subscriber",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="limits_pending",
        verbose_name=_("абонент"),
    )
    organization = models.ForeignKey(
        "subscribers.ServiceOrganization",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("обслуживающая организация"),
    )

    class Meta:
        verbose_name = _("пересчет лимитов абонента")
        verbose_name_plural = _("пересчеты лимитов абонентов")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["organization"], name="kept_pending_org_idx"),
            models.Index(fields=["subscriber"], name="kept_pending_subscriber_idx"),
        ]

    def __str__(self):
        return str(self.subscriber_id)


# --- Reading ----------------------------------------------------------------------


def not_current(organization_id, day):
    """A condition: some kept row of the organization is not as of `day`, or one is pending.

    Four EXISTS, each one probe of an index (`(organization, as_of)`, the
    pending rows' organization) — not one EXISTS over an OR, which SQLite
    answers by reading every row of the organization.
    """
    kept = SubscriberLimits.objects.filter(organization=organization_id)
    return (
        Exists(kept.filter(as_of__isnull=True))
        | Exists(kept.filter(as_of__lt=day))
        | Exists(kept.filter(as_of__gt=day))
        | Exists(SubscriberLimitsPending.objects.filter(organization=organization_id))
    )


def kept_limits_current(organization, day) -> bool:
    """Whether every kept row of the organization holds its limits on `day` (one query)."""
    from subscribers.models import ServiceOrganization

    return not ServiceOrganization.objects.filter(
        not_current(organization.pk, day), pk=organization.pk
    ).exists()


# --- Writing ----------------------------------------------------------------------


def _tables() -> dict:
    from subscribers.models import Subscriber

    qn = connection.ops.quote_name
    return {
        "kept": qn(SubscriberLimits._meta.db_table),
        "pending": qn(SubscriberLimitsPending._meta.db_table),
        "subscriber": qn(Subscriber._meta.db_table),
        "base": qn(Subscription._meta.db_table),
        "ext": qn(ExtensionSubscription._meta.db_table),
        "tariff": qn(Tariff._meta.db_table),
    }


def _recompute_sql(subscribers: str) -> str:
    """UPDATE the kept rows of the subscribers matching `subscribers` (SQL over «id»).

    The sums of DESIGN «What an extension does»: posted base subscriptions
    active on the day (their tariff's included sessions and infobases) plus
    posted extensions active on the day (their quantity, by the tariff's
    resource) — and the tariff of the latest-started of those bases, as
    `selectors.annotate_active_tariff` shows it. Parameters: see `_params`.
    """
    t = _tables()
    posted = Status.POSTED.value
    sessions = Tariff.Resource.SESSIONS.value
    infobases = Tariff.Resource.INFOBASES.value
    return f"""
        UPDATE {t["kept"]}
        SET sessions = v.sessions, infobases = v.infobases, tariff_id = v.tariff_id, as_of = %s
        FROM (
            SELECT s.id AS subscriber_id,
                   COALESCE(b.sessions, 0) + COALESCE(e.sessions, 0) AS sessions,
                   COALESCE(b.infobases, 0) + COALESCE(e.infobases, 0) AS infobases,
                   (
                       SELECT latest.tariff_id FROM {t["base"]} latest
                       WHERE latest.subscriber_id = s.id AND latest.status = '{posted}'
                         AND latest.starts_on <= %s AND latest.ends_on >= %s
                       ORDER BY latest.starts_on DESC, latest.id DESC
                       LIMIT 1
                   ) AS tariff_id
            FROM {t["subscriber"]} s
            LEFT JOIN (
                SELECT sub.subscriber_id,
                       SUM(tariff.sessions) AS sessions, SUM(tariff.infobases) AS infobases
                FROM {t["base"]} sub
                JOIN {t["tariff"]} tariff ON tariff.id = sub.tariff_id
                WHERE sub.status = '{posted}' AND sub.starts_on <= %s AND sub.ends_on >= %s
                  AND sub.subscriber_id {subscribers}
                GROUP BY sub.subscriber_id
            ) b ON b.subscriber_id = s.id
            LEFT JOIN (
                SELECT sub.subscriber_id,
                       SUM(CASE WHEN tariff.resource = '{sessions}' THEN x.quantity ELSE 0 END)
                           AS sessions,
                       SUM(CASE WHEN tariff.resource = '{infobases}' THEN x.quantity ELSE 0 END)
                           AS infobases
                FROM {t["ext"]} x
                JOIN {t["base"]} sub ON sub.id = x.subscription_id
                JOIN {t["tariff"]} tariff ON tariff.id = x.tariff_id
                WHERE x.status = '{posted}' AND x.starts_on <= %s AND x.ends_on >= %s
                  AND sub.subscriber_id {subscribers}
                GROUP BY sub.subscriber_id
            ) e ON e.subscriber_id = s.id
            WHERE s.id {subscribers}
        ) v
        WHERE {t["kept"]}.subscriber_id = v.subscriber_id
    """


def _params(day, subscribers: list) -> list:
    """The parameters of `_recompute_sql` in order: as_of, the latest base's day ×2, the
    bases' day ×2 and subscribers, the extensions' day ×2 and subscribers, the subscribers."""
    value = connection.ops.adapt_datefield_value(day)
    return [value, value, value, value, value, *subscribers, value, value, *subscribers,
            *subscribers]  # fmt: skip


def _recompute(cursor, ids: list[int], day) -> None:
    """Recompute the kept rows of `ids` for `day` (rows that do not exist are not made)."""
    marks = ", ".join(["%s"] * len(ids))
    cursor.execute(_recompute_sql(f"IN ({marks})"), _params(day, ids))


def _insert_missing(cursor, ids: list[int] | None = None) -> int:
    """Rows for subscribers that have none (never computed: as_of NULL); how many were made."""
    t = _tables()
    where, params = "", []
    if ids is not None:
        where, params = "AND s.id BETWEEN %s AND %s", [min(ids), max(ids)]
    cursor.execute(
        f"""
        INSERT INTO {t["kept"]} (subscriber_id, organization_id, sessions, infobases, as_of)
        SELECT s.id, s.organization_id, 0, 0, NULL FROM {t["subscriber"]} s
        WHERE NOT EXISTS (SELECT 1 FROM {t["kept"]} k WHERE k.subscriber_id = s.id) {where}
        ON CONFLICT (subscriber_id) DO NOTHING
        """,
        params,
    )
    return cursor.rowcount


def keep_current(subscriber_ids) -> None:
    """Recompute these subscribers' kept rows for today, inside the current transaction.

    On PostgreSQL a row another transaction holds is not waited for: its
    subscriber is marked pending here and recomputed after the commit.
    """
    ids = sorted({pk for pk in subscriber_ids if pk is not None})
    if not ids:
        return
    if not connection.in_atomic_block:  # a save in autocommit mode (a shell, a script)
        with transaction.atomic():
            keep_current(ids)
        return
    day = clock.today()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            locked = list(
                SubscriberLimits.objects.select_for_update(skip_locked=True)
                .filter(subscriber__in=ids)
                .order_by("subscriber")
                .values_list("subscriber", flat=True)
            )
            if locked:
                _recompute(cursor, locked, day)
            busy = [pk for pk in ids if pk not in set(locked)]
            if busy:
                _mark_pending(cursor, busy)
                transaction.on_commit(partial(refresh_subscribers, busy), robust=True)
        else:
            # SQLite: this IMMEDIATE transaction is the only writer.
            _recompute(cursor, ids, day)
            if cursor.rowcount < len(ids):
                _insert_missing(cursor, ids)
                _recompute(cursor, ids, day)


def counts_from_now(document) -> None:
    """Mark a document a service is about to save posted that counted in no limit as stored.

    It is new, or its row — read under its lock — is a draft. Its `post_save`
    receiver then adds its share of today to its subscriber's kept row in one
    statement (`_add_posted`) instead of recomputing the row. Only the services
    mark: they hold the locks that make the share exact — the base's, and for
    a base the subscriber's, under which every write of the subscriber's
    posted bases runs (LOCK_ORDER), so the latest of them, whose tariff the
    row names, is read as it is.
    """
    document._kept_limits_posting = True


def _add_posted(sender, document) -> bool:
    """Add a just-posted document's share of today to its subscriber's kept row.

    True when done, or when the document is not active today (today's limits
    do not change). False — recompute as for any save — when its tariff is
    not at hand, when the row is not as of today (stale or missing) or when
    another transaction holds it (`FOR UPDATE SKIP LOCKED`, as `keep_current`).
    Sessions and infobases are incremented, so the row stays exact whatever
    committed since this statement's snapshot; a base also sets the row's
    tariff to the latest-started of the subscriber's posted bases active today.
    """
    day = clock.today()
    if document.starts_on is None or document.ends_on is None:
        return False
    if not document.starts_on <= day <= document.ends_on:
        return True
    if not sender._meta.get_field("tariff").is_cached(document):
        return False
    tariff, t = document.tariff, _tables()
    day_value = connection.ops.adapt_datefield_value(day)
    params = []
    if sender is ExtensionSubscription:
        subscriber = _subscriber_of_extension(document)
        quantity = document.quantity or 0
        sessions = quantity if tariff.resource == Tariff.Resource.SESSIONS else 0
        infobases = quantity if tariff.resource == Tariff.Resource.INFOBASES else 0
        latest = ""
    else:
        subscriber = document.subscriber_id
        sessions, infobases = tariff.sessions, tariff.infobases
        latest = f"""
            , tariff_id = (
                SELECT latest.tariff_id FROM {t["base"]} latest
                WHERE latest.subscriber_id = %s AND latest.status = '{Status.POSTED.value}'
                  AND latest.starts_on <= %s AND latest.ends_on >= %s
                ORDER BY latest.starts_on DESC, latest.id DESC
                LIMIT 1
            )"""
        params = [subscriber, day_value, day_value]
    if subscriber is None:
        return False
    if connection.vendor == "postgresql":
        row = f"""(
            SELECT subscriber_id FROM {t["kept"]} WHERE subscriber_id = %s AND as_of = %s
            FOR UPDATE SKIP LOCKED
        )"""
    else:
        row = "%s"  # SQLite: this IMMEDIATE transaction is the only writer.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {t["kept"]}
            SET sessions = sessions + %s, infobases = infobases + %s{latest}
            WHERE subscriber_id = {row} AND as_of = %s
            """,
            [
                sessions,
                infobases,
                *params,
                subscriber,
                *([day_value] if connection.vendor == "postgresql" else []),
                day_value,
            ],
        )
        return cursor.rowcount == 1


def _mark_pending(cursor, ids: list[int]) -> None:
    t = _tables()
    marks = ", ".join(["%s"] * len(ids))
    cursor.execute(
        f"""
        INSERT INTO {t["pending"]} (subscriber_id, organization_id)
        SELECT s.id, s.organization_id FROM {t["subscriber"]} s WHERE s.id IN ({marks})
        """,
        ids,
    )


def refresh_subscribers(ids, day=None, *, whole_range: bool = False) -> None:
    """Recompute these subscribers' rows in a transaction of its own, waiting for their locks.

    What `keep_current` leaves for after the commit; the nightly job runs it
    chunk by chunk with `whole_range` (every row from the first id to the
    last, which the database reads by range rather than by a list). It locks
    kept rows only (in subscriber order) and nothing else, so it may wait
    without closing a circle. Their pending marks committed before the lock
    are dropped: the recompute sees those changes.
    """
    ids = sorted(set(ids))
    if not ids:
        return
    day = day or clock.today()
    t = _tables()
    if whole_range:
        condition, params = "BETWEEN %s AND %s", [ids[0], ids[-1]]
        rows = SubscriberLimits.objects.filter(pk__gte=ids[0], pk__lte=ids[-1])
    else:
        condition, params = f"IN ({', '.join(['%s'] * len(ids))})", ids
        rows = SubscriberLimits.objects.filter(subscriber__in=ids)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT set_config('lock_timeout', %s, true)",
                    [f"{int(settings.POSTING_LOCK_TIMEOUT_MS)}ms"],
                )
            _insert_missing(cursor, ids)
            list(rows.select_for_update().order_by("subscriber").values_list("subscriber"))
            cursor.execute(f"DELETE FROM {t['pending']} WHERE subscriber_id {condition}", params)
            cursor.execute(_recompute_sql(condition), _params(day, params))
    except Exception:
        # The pending marks stay: the list keeps computing from the documents
        # until the nightly job succeeds.
        logger.exception("kept limits: recompute of %s subscribers failed", len(ids))
        raise


def refresh(day=None, *, chunk: int = CHUNK) -> int:
    """The nightly job: every row not as of `day` (or pending, or missing) recomputed.

    Returns the number of subscribers recomputed. Safe to run twice or beside
    the cabinet: each chunk is one transaction under the rows' locks.
    """
    day = day or clock.today()
    with connection.cursor() as cursor:
        with transaction.atomic():
            _insert_missing(cursor)
    stale = (
        SubscriberLimits.objects.filter(Q(as_of__isnull=True) | Q(as_of__lt=day) | Q(as_of__gt=day))
        .order_by("subscriber")
        .values_list("subscriber", flat=True)
    )
    pending = SubscriberLimitsPending.objects.values_list("subscriber", flat=True)
    ids = sorted(set(stale) | set(pending))
    for first in range(0, len(ids), chunk):
        refresh_subscribers(ids[first : first + chunk], day, whole_range=True)
    return len(ids)


# --- Receivers (connected in apps.py) ---------------------------------------------


def _was_posted(instance) -> bool | None:
    """The posted state the instance was read with; None if unknown (not read from the database)."""
    if instance._state.adding:
        return False
    loaded = getattr(instance, "_loaded", None)
    if not loaded or "status" not in loaded:
        return None
    return loaded["status"] == Status.POSTED


def _subscriber_of_extension(extension) -> int | None:
    field = ExtensionSubscription._meta.get_field("subscription")
    if field.is_cached(extension):
        return extension.subscription.subscriber_id
    return (
        Subscription._base_manager.filter(pk=extension.subscription_id)
        .values_list("subscriber_id", flat=True)
        .first()
    )


def document_saved(sender, instance, created=False, **kwargs):
    """`post_save` of a base or extension subscription: keep its subscriber's row current."""
    posting = instance.__dict__.pop("_kept_limits_posting", False)
    was_posted = False if created else _was_posted(instance)
    if instance.status != Status.POSTED and was_posted is False:
        return  # a draft that stays a draft changes no limit
    if posting and instance.status == Status.POSTED and _add_posted(sender, instance):
        return
    if sender is ExtensionSubscription:
        keep_current([_subscriber_of_extension(instance)])
    else:
        moved_from = getattr(instance, "_loaded", {}).get("subscriber_id")
        keep_current([instance.subscriber_id, moved_from])


def document_deleted(sender, instance, **kwargs):
    """`post_delete`: only a posted document counted (the services delete drafts only)."""
    if instance.status != Status.POSTED:
        return
    if sender is ExtensionSubscription:
        keep_current([_subscriber_of_extension(instance)])
    else:
        keep_current([instance.subscriber_id])


def subscriber_saved(sender, instance, created=False, raw=False, **kwargs):
    """`post_save` of a subscriber: its row exists and follows its organization."""
    if raw:
        return
    t = _tables()
    with connection.cursor() as cursor:
        if created:
            # A new subscriber has no documents: zeros, as of today.
            cursor.execute(
                f"""
                INSERT INTO {t["kept"]}
                    (subscriber_id, organization_id, sessions, infobases, as_of)
                VALUES (%s, %s, 0, 0, %s)
                ON CONFLICT (subscriber_id) DO NOTHING
                """,
                [
                    instance.pk,
                    instance.organization_id,
                    connection.ops.adapt_datefield_value(clock.today()),
                ],
            )
        else:
            # Touches (and locks) the row only when the organization changed.
            cursor.execute(
                f"UPDATE {t['kept']} SET organization_id = %s "
                "WHERE subscriber_id = %s AND organization_id <> %s",
                [instance.organization_id, instance.pk, instance.organization_id],
            )


def tariff_loaded(sender, instance, **kwargs):
    """`pre_save` of a tariff: remember the included resources as stored."""
    if instance.pk is None or instance.kind != Tariff.Kind.BASE:
        return
    instance._kept_limits_before = (
        Tariff.objects.filter(pk=instance.pk).values_list("sessions", "infobases").first()
    )


def tariff_saved(sender, instance, created=False, **kwargs):
    """`post_save` of a base tariff whose included resources changed: its subscribers pending."""
    before = getattr(instance, "_kept_limits_before", None)
    if before is None or before == (instance.sessions, instance.infobases):
        return
    day = clock.today()
    affected = list(
        Subscription.objects.active_on(day)
        .filter(tariff=instance)
        .values_list("subscriber_id", flat=True)
        .distinct()
    )
    if not affected:
        return
    with connection.cursor() as cursor:
        for first in range(0, len(affected), CHUNK):
            _mark_pending(cursor, affected[first : first + CHUNK])
    transaction.on_commit(partial(_refresh_in_chunks, affected, day), robust=True)


def _refresh_in_chunks(ids, day) -> None:
    for first in range(0, len(ids), CHUNK):
        refresh_subscribers(ids[first : first + CHUNK], day, whole_range=True)
