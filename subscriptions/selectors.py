"""Read queries that pages share: a subscriber's limits on a day, and the
organization's base and extension subscriptions as one list.

sessions(D) = Σ included sessions of the posted base subscriptions active on D
            + Σ quantity of the posted «sessions» extensions active on D;
infobases(D) likewise. Computed in the database: one query for one subscriber
or for any number of them.
"""

import datetime
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connections
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse

from .models import ExtensionSubscription, Status, Subscription, Tariff, describe_term
from .periods import describe_period
from .pricing import amount_expression


@dataclass(frozen=True)
class Limits:
    sessions: int
    infobases: int


def _sum_subquery(queryset, group_by: str, field: str):
    return Coalesce(
        Subquery(
            queryset.order_by().values(group_by).annotate(total=Sum(field)).values("total")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def annotate_limits(subscribers, day: datetime.date):
    """Annotate a Subscriber queryset with `limit_sessions` and `limit_infobases` on `day`."""
    bases = Subscription.objects.filter(
        subscriber=OuterRef("pk"), status=Status.POSTED, starts_on__lte=day, ends_on__gte=day
    )
    extensions = ExtensionSubscription.objects.filter(
        subscription__subscriber=OuterRef("pk"),
        status=Status.POSTED,
        starts_on__lte=day,
        ends_on__gte=day,
    )
    group = "subscription__subscriber"
    return subscribers.annotate(
        limit_sessions=_sum_subquery(bases, "subscriber", "tariff__sessions")
        + _sum_subquery(
            extensions.filter(tariff__resource=Tariff.Resource.SESSIONS), group, "quantity"
        ),
        limit_infobases=_sum_subquery(bases, "subscriber", "tariff__infobases")
        + _sum_subquery(
            extensions.filter(tariff__resource=Tariff.Resource.INFOBASES), group, "quantity"
        ),
    )


@dataclass(frozen=True)
class ListedLimits:
    """A list of subscribers with `limit_sessions`, `limit_infobases` and `active_tariff_name`.

    `page_keys`, when the limits come from the kept rows: the subscribers' keys
    in the order of a limit, read from the kept rows' own index (call it with
    the sort) — the page chooses its rows there, then reads them.
    """

    rows: object
    kept: bool

    def page_keys(self, organization, sort: str, *, among=None):
        """The kept rows' subscriber keys ordered by `sort` («sessions», «-infobases»…)."""
        from .kept_limits import SubscriberLimits

        key, sign = sort.removeprefix("-"), "-" if sort.startswith("-") else ""
        kept = SubscriberLimits.objects.filter(organization=organization)
        if among is not None:
            kept = kept.filter(subscriber__in=among.values("pk"))
        return kept.order_by(f"{sign}{key}", f"{sign}subscriber").values("subscriber")


def list_limits(subscribers, organization, day: datetime.date, *, sorted_by_limit: bool):
    """`ListedLimits` of a list of the organization's subscribers on `day`.

    `sorted_by_limit`: the list is ordered by a limit. Then, when the kept rows
    of the organization are current (`kept_limits.kept_limits_current`, one
    query), the three columns are read from them, so that the database walks
    the index `(organization, sessions, subscriber)` for one page instead of
    computing the limits of every subscriber of the partner first; otherwise —
    the nightly job has not run yet today, a recompute is pending — they are
    computed from the documents. Not sorted by a limit, a page computes them
    for its own rows only and the kept rows are not asked.
    """
    from .kept_limits import kept_limits_current

    if sorted_by_limit and kept_limits_current(organization, day):
        rows = subscribers.filter(kept_limits__organization=organization).annotate(
            limit_sessions=F("kept_limits__sessions"),
            limit_infobases=F("kept_limits__infobases"),
            active_tariff_name=F("kept_limits__tariff__name"),
        )
        return ListedLimits(rows, kept=True)
    return ListedLimits(annotate_active_tariff(annotate_limits(subscribers, day), day), kept=False)


def annotate_active_tariff(subscribers, day: datetime.date):
    """Annotate `active_tariff_name`: the latest-started posted base active on `day`."""
    active = (
        Subscription.objects.filter(
            subscriber=OuterRef("pk"), status=Status.POSTED, starts_on__lte=day, ends_on__gte=day
        )
        .order_by("-starts_on", "-pk")
        .values("tariff__name")[:1]
    )
    return subscribers.annotate(active_tariff_name=Subquery(active))


def limits_for_subscribers(subscribers, day: datetime.date) -> dict[int, Limits]:
    """Limits of every subscriber in a queryset on `day`, in one query.

    One UNION ALL of three grouped parts — every subscriber with zeros, the
    active posted bases' included resources, the active posted extensions'
    quantities — summed up here. Unlike `annotate_limits` (four correlated
    subqueries per row, right for a page of 25), this scans each table once,
    which is what «all 100,000 subscribers at once» needs.
    """
    subscribers = subscribers.order_by()
    # The whole table needs no semi-join: skip it when nothing narrows the queryset.
    narrowed = bool(subscribers.query.where)
    zero = Value(0, output_field=BigIntegerField())
    everyone = subscribers.annotate(s=zero, i=zero).values_list("pk", "s", "i")
    active = {"status": Status.POSTED, "starts_on__lte": day, "ends_on__gte": day}
    bases = Subscription.objects.filter(**active)
    extensions = ExtensionSubscription.objects.filter(**active)
    if narrowed:
        bases = bases.filter(subscriber__in=subscribers.values("pk"))
        extensions = extensions.filter(subscription__subscriber__in=subscribers.values("pk"))
    bases = (
        bases.order_by()
        .values("subscriber_id")
        .annotate(
            s=Sum("tariff__sessions", output_field=BigIntegerField()),
            i=Sum("tariff__infobases", output_field=BigIntegerField()),
        )
        .values_list("subscriber_id", "s", "i")
    )
    extensions = (
        extensions.order_by()
        .values("subscription__subscriber_id")
        .annotate(
            s=Coalesce(
                Sum("quantity", filter=Q(tariff__resource=Tariff.Resource.SESSIONS)),
                0,
                output_field=BigIntegerField(),
            ),
            i=Coalesce(
                Sum("quantity", filter=Q(tariff__resource=Tariff.Resource.INFOBASES)),
                0,
                output_field=BigIntegerField(),
            ),
        )
        .values_list("subscription__subscriber_id", "s", "i")
    )
    parts = everyone.union(bases, extensions, all=True)
    # The ORM writes the three parts; the database adds them up per subscriber,
    # so one row per subscriber crosses the wire.
    compiler = parts.query.get_compiler(using=parts.db)
    sql, params = compiler.as_sql()
    with connections[parts.db].cursor() as cursor:
        cursor.execute(
            f"WITH parts (subscriber_id, s, i) AS ({sql}) "
            "SELECT subscriber_id, SUM(s), SUM(i) FROM parts GROUP BY subscriber_id",
            params,
        )
        return {row[0]: Limits(int(row[1]), int(row[2])) for row in cursor.fetchall()}


def subscriber_limits(subscriber, day: datetime.date) -> Limits:
    """One subscriber's limits on `day`, in one query."""
    from subscribers.models import Subscriber

    return limits_for_subscribers(Subscriber.objects.filter(pk=subscriber.pk), day).get(
        subscriber.pk, Limits(0, 0)
    )


@dataclass(frozen=True)
class LimitsBreakdown:
    limits: Limits
    bases: list
    extensions: list


def limits_breakdown(subscriber, day: datetime.date) -> LimitsBreakdown:
    """What makes up a subscriber's limits on `day`: each active base and extension (2 queries)."""
    bases = list(
        Subscription.objects.active_on(day)
        .filter(subscriber=subscriber)
        .select_related("tariff")
        .order_by("starts_on", "pk")
    )
    extensions = list(
        ExtensionSubscription.objects.active_on(day)
        .filter(subscription__subscriber=subscriber)
        .select_related("tariff", "subscription")
        .order_by("starts_on", "pk")
    )
    sessions = sum(b.tariff.sessions for b in bases) + sum(
        e.quantity for e in extensions if e.tariff.resource == Tariff.Resource.SESSIONS
    )
    infobases = sum(b.tariff.infobases for b in bases) + sum(
        e.quantity for e in extensions if e.tariff.resource == Tariff.Resource.INFOBASES
    )
    return LimitsBreakdown(Limits(sessions, infobases), bases, extensions)


# --- All subscription documents of an organization, base and extension -------


@dataclass(frozen=True)
class DocumentRow:
    """One row of a table that lists base and extension subscriptions together."""

    kind: str  # "base" or "extension"
    pk: int
    number: str
    kind_label: str
    subscriber_id: int
    subscriber_name: str
    tariff_name: str
    period_label: str
    starts_on: datetime.date
    ends_on: datetime.date
    quantity: int | None
    status: str
    status_label: str
    amount: object
    # A base that continues another: a renewal («продолжает подписку № …») or a grace
    # subscription («к подписке № …»), the continued one's number; else None.
    continues_number: str | None = None
    is_grace: bool = False

    @property
    def url(self) -> str:
        name = "subscription_detail" if self.kind == "base" else "extension_detail"
        return reverse(name, args=[self.pk])

    @property
    def is_posted(self) -> bool:
        return self.status == Status.POSTED


def _base_document_values(queryset):
    return queryset.values(
        doc_kind=Value("base", output_field=CharField()),
        doc_pk=F("pk"),
        doc_number=F("number"),
        doc_renews=F("renews_id"),
        doc_subscriber_id=F("subscriber_id"),
        doc_subscriber_name=F("subscriber__name"),
        doc_tariff_name=F("tariff__name"),
        doc_periodicity=F("period__periodicity"),
        doc_period_count=F("period__count"),
        doc_starts_on=F("starts_on"),
        doc_ends_on=F("ends_on"),
        doc_quantity=Value(None, output_field=IntegerField()),
        doc_status=F("status"),
        doc_amount=amount_expression(Subscription),
        doc_base_kind=F("kind"),
        doc_continues=F("renews__number"),
        doc_replacement_ends_on=Value(None, output_field=DateField()),
    )


def _extension_document_values(queryset):
    # The same columns, in the same order, as _base_document_values: UNION
    # matches columns by position. A posted extension shows its kept amount,
    # a draft today's price × quantity (the price function's SQL).
    return queryset.values(
        doc_kind=Value("extension", output_field=CharField()),
        doc_pk=F("pk"),
        doc_number=F("number"),
        doc_renews=Value(None, output_field=BigIntegerField()),
        doc_subscriber_id=F("subscription__subscriber_id"),
        doc_subscriber_name=F("subscription__subscriber__name"),
        doc_tariff_name=F("tariff__name"),
        doc_periodicity=F("period__periodicity"),
        doc_period_count=F("period__count"),
        doc_starts_on=F("starts_on"),
        doc_ends_on=F("ends_on"),
        doc_quantity=F("quantity"),
        doc_status=F("status"),
        doc_amount=amount_expression(ExtensionSubscription),
        doc_base_kind=Value("", output_field=CharField()),
        doc_continues=Value(None, output_field=CharField()),
        # A replacement («Изменить количество») is labelled by its span (describe_term).
        doc_replacement_ends_on=Case(
            When(replaces__isnull=False, then=Coalesce("planned_ends_on", "ends_on")),
            default=Value(None),
            output_field=DateField(),
        ),
    )


DOCUMENT_ORDERING = ("-doc_starts_on", "doc_number")
# The same order on the models' own fields (a part's keys).
_KEY_ORDERING = ("-starts_on", "number")


class OrganizationDocuments:
    """The organization's documents, newest first: counted and sliced like a queryset.

    A page asks for `count()` and one slice, so each UNION ALL part is ordered
    and limited to the slice's end before the parts are combined: with the
    indexes `(organization, -starts_on, number)` the database reads
    offset + page size rows of each table, not every document of the partner.
    The count reads only primary keys (no joins unless a search needs them).
    Iterating (the download) reads every row through `queryset`.
    """

    ordered = True

    def __init__(self, parts, key_parts):
        self._parts = parts
        self._key_parts = key_parts

    @property
    def queryset(self):
        """Every document as one ordered queryset of dicts."""
        return _combine(self._parts).order_by(*DOCUMENT_ORDERING)

    def count(self) -> int:
        """One statement: the sum of each part's COUNT(*), each an index-only count.

        Not COUNT(*) over the UNION ALL: PostgreSQL then carries every row of
        both parts through the union (≈40 % of the count's time at 200,000
        documents).
        """
        if len(self._key_parts) == 1:
            return self._key_parts[0].count()
        db = self._key_parts[0].db
        counts, params = [], []
        for part in self._key_parts:
            counted = part.order_by().annotate(
                n=Func(template="COUNT(*)", output_field=IntegerField())
            )
            sql, part_params = counted.values("n").query.get_compiler(db).as_sql()
            counts.append(f"({sql})")
            params.extend(part_params)
        with connections[db].cursor() as cursor:
            cursor.execute("SELECT " + " + ".join(counts), params)
            return cursor.fetchone()[0]

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        return iter(self.queryset)

    def iterator(self, chunk_size=None):
        return self.queryset.iterator(chunk_size=chunk_size)

    def __getitem__(self, key):
        if isinstance(key, int):
            return self[key : key + 1][0]
        if not isinstance(key, slice) or key.step is not None:
            raise TypeError("OrganizationDocuments takes an index or a slice without a step.")
        stop = key.stop
        if stop is not None and stop <= (key.start or 0):
            return []
        db = self._parts[0].db
        if (
            stop is None
            or len(self._parts) == 1
            or not connections[db].features.supports_slicing_ordering_in_compound
        ):
            return self.queryset[key]
        # PostgreSQL takes ORDER BY … LIMIT inside each part of a UNION;
        # SQLite refuses it (and its lists are small): it sorts the whole union.
        # Each part's keys come first, from its index alone (the organization's
        # order index carries the columns the filters read): a filter that keeps
        # few documents — «заканчиваются в течение 30 дней» drops 31,000 of the
        # 50,000-subscriber partner's newest before a page is full — then skips
        # index entries, not rows read from the table.
        parts = []
        for part, keys in zip(self._parts, self._key_parts, strict=True):
            page_keys = keys.order_by(*_KEY_ORDERING)[:stop]
            parts.append(part.filter(pk__in=page_keys).order_by(*DOCUMENT_ORDERING)[:stop])
        return _combine(parts).order_by(*DOCUMENT_ORDERING)[key]


def _combine(parts):
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


# --- Document numbers typed into a search -------------------------------------------

# A document's number is a Cyrillic «Т» (a base subscription) or «Р» (an extension)
# and 8 digits. On a Latin keyboard the same keys give T and P, and nothing tells
# the two apart on screen: a word of either letter, in either case, followed by
# digits is taken for a document number.
_NUMBER_LOOKALIKE = re.compile(r"(?<!\w)([TtТтPpРр])([0-9]{1,8})(?!\w)")
_NUMBER_LETTER = {"t": "Т", "т": "Т", "p": "Р", "р": "Р"}
_NUMBER_LENGTH = 9


def normalize_document_numbers(text: str) -> str:
    """`text` with every word that looks like a document number spelled as numbers are stored.

    «T00000012», «t00000012» and «т00000012» become «Т00000012»; «P15» becomes
    «Р15» (the start of a number); other words stay as typed. The one place
    where a typed number meets the stored one: the cabinet's list of
    subscriptions and the admin's searches use it.
    """
    return _NUMBER_LOOKALIKE.sub(lambda m: _NUMBER_LETTER[m[1].lower()] + m[2], text)


def document_number_q(text: str) -> Q | None:
    """Documents whose number is `text` (or starts with it), when `text` is a number; else None."""
    text = normalize_document_numbers(text.strip())
    if not _NUMBER_LOOKALIKE.fullmatch(text):
        return None
    if len(text) == _NUMBER_LENGTH:
        return Q(number=text)
    return Q(number__startswith=text)


def organization_documents(
    organization,
    *,
    kind: str = "",
    tariff=None,
    status: str = "",
    active_on: datetime.date | None = None,
    ends_between: tuple[datetime.date, datetime.date] | None = None,
    search: str = "",
) -> OrganizationDocuments:
    """The organization's base and extension subscriptions as one list of dicts.

    A UNION ALL of two `.values()` querysets with the same columns, newest
    start first, then by number (numbers are unique across both kinds: their
    prefixes differ). Paginate it: a count and a page are two queries whatever
    the number of rows (see OrganizationDocuments). Turn rows into DocumentRow
    with `document_rows()`. `active_on` means posted and in force that day, as
    in the limits. `search` finds a document by its number (typed with a Latin
    T or P too) or by its subscriber's name, code or BIN/IIN. Both tables store
    the organization, so no part joins the subscriber or the base to find it.
    """
    from subscribers.selectors import subscriber_search_q

    by_number = document_number_q(search) if search else None

    def narrowed(queryset, subscriber_prefix):
        queryset = queryset.filter(organization=organization)
        if tariff is not None:
            queryset = queryset.filter(tariff=tariff)
        if status:
            queryset = queryset.filter(status=status)
        if active_on is not None:
            queryset = queryset.active_on(active_on)
        if ends_between is not None:
            queryset = queryset.filter(ends_on__range=ends_between)
        if search:
            condition = subscriber_search_q(search, prefix=subscriber_prefix)
            if by_number is not None:
                condition |= by_number
            # The subscriber's organization too: it lets the planner start from
            # the organization's subscribers (subscriber_org_name_idx) whatever
            # it guesses of the name's LIKE.
            queryset = queryset.filter(
                condition, **{f"{subscriber_prefix}organization": organization}
            )
        return queryset.order_by()

    sources = []
    if kind in ("", "base"):
        sources.append((Subscription, "subscriber__", _base_document_values))
    if kind in ("", "extension"):
        sources.append(
            (ExtensionSubscription, "subscription__subscriber__", _extension_document_values)
        )
    parts, key_parts = [], []
    for model, prefix, values in sources:
        queryset = narrowed(model.objects.all(), prefix)
        parts.append(values(queryset))
        key_parts.append(queryset.values_list("pk"))
    return OrganizationDocuments(parts, key_parts)


def document_rows(values) -> list[DocumentRow]:
    """DocumentRow objects for the dicts of `organization_documents()` (no queries)."""
    return list(iter_document_rows(values))


def _period_label(row) -> str:
    """The documents' `period_label`, from a row's columns (models.describe_term)."""
    if row["doc_base_kind"] == Subscription.Kind.GRACE:  # R13: days, no period
        return describe_period("day", (row["doc_ends_on"] - row["doc_starts_on"]).days + 1)
    if row["doc_periodicity"] is None:
        # No period: an extension «до окончания подписки на тариф» (its constraint).
        return describe_term(until_base_end=True)
    if row["doc_replacement_ends_on"] is not None:
        return describe_term(
            replacement_span=(row["doc_starts_on"], row["doc_replacement_ends_on"])
        )
    return describe_term(
        period_label=describe_period(row["doc_periodicity"], row["doc_period_count"])
    )


def iter_document_rows(values) -> Iterator[DocumentRow]:
    """`document_rows()` one at a time, for a download that iterates the queryset."""
    for row in values:
        if row["doc_kind"] == "extension":
            kind_label = ExtensionSubscription.kind_label
        else:
            kind_label = Subscription.Kind(row["doc_base_kind"]).label
        yield DocumentRow(
            kind=row["doc_kind"],
            pk=row["doc_pk"],
            number=row["doc_number"],
            kind_label=kind_label,
            subscriber_id=row["doc_subscriber_id"],
            subscriber_name=row["doc_subscriber_name"],
            tariff_name=row["doc_tariff_name"],
            period_label=_period_label(row),
            starts_on=row["doc_starts_on"],
            ends_on=row["doc_ends_on"],
            quantity=row["doc_quantity"],
            status=row["doc_status"],
            status_label=Status(row["doc_status"]).label,
            amount=row["doc_amount"],
            continues_number=row["doc_continues"],
            is_grace=row["doc_base_kind"] == Subscription.Kind.GRACE,
        )


# --- The window «Подписка» of one subscriber ------------------------------------


@dataclass(frozen=True)
class WindowRow:
    """A row of the window «Подписка»: a base subscription, or an extension under its base."""

    document: object
    base: object = None  # the extension's base; None on a base row

    @property
    def is_base(self) -> bool:
        return self.base is None

    @property
    def url(self) -> str:
        name = "subscription_detail" if self.is_base else "extension_detail"
        return reverse(name, args=[self.document.pk])


def subscriber_window_rows(subscriber, *, chunk_size: int | None = None) -> Iterator[WindowRow]:
    """All the subscriber's subscriptions: each base (newest first), its extensions under it.

    Without `chunk_size`: two queries whatever the number of documents (the
    page). With it: the bases are read `chunk_size` at a time, each batch with
    one query for its extensions, so a download holds one batch in memory.
    Each base carries `renews` (the subscription it continues) and
    `continued_by` (the posted renewal that continues it, when in the same batch).
    """
    bases = (
        Subscription.objects.filter(subscriber=subscriber)
        .select_related("tariff", "period", "renews")
        .order_by("-starts_on", "-pk")
    )
    extensions = ExtensionSubscription.objects.select_related("tariff", "period").order_by(
        "starts_on", "pk"
    )
    if chunk_size is None:
        batches = [(list(bases), extensions.filter(subscription__subscriber=subscriber))]
    else:
        batches = (
            (batch, extensions.filter(subscription__in=[base.pk for base in batch]))
            for batch in _batched(bases.iterator(chunk_size=chunk_size), chunk_size)
        )
    for batch, batch_extensions in batches:
        by_base = {}
        for extension in batch_extensions:
            by_base.setdefault(extension.subscription_id, []).append(extension)
        continued_by = {
            base.renews_id: base
            for base in batch
            if base.renews_id and base.kind == Subscription.Kind.MAIN and base.is_posted
        }
        for base in batch:
            base.continued_by = continued_by.get(base.pk)
            yield WindowRow(base)
            for extension in by_base.get(base.pk, ()):
                extension.subscription = base
                yield WindowRow(extension, base)


def _batched(iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
