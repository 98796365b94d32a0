"""The pages around subscribers.

Личный кабинет → Обслуживаемые абоненты → Абонент. Every page is scoped
to the user's organization by `cabinet_view`; each runs a fixed number of
queries however many rows it shows.
"""

import datetime
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from spreadsheets.export import requested_format
from subscribers.models import ServiceOrganization, Subscriber
from subscribers.selectors import subscriber_search_q
from subscriptions import clock
from subscriptions.kept_limits import not_current
from subscriptions.models import (
    ExtensionSubscription,
    Status,
    SubscriberLimits,
    Subscription,
)
from subscriptions.selectors import (
    document_rows,
    limits_breakdown,
    list_limits,
    organization_documents,
)

from .. import exports
from ..access import cabinet_view
from ..forms.subscribers import SubscriberSearchForm

PAGE_SIZE = 25
# «Личный кабинет» asks for attention to what ends within this many days and
# shows at most this many rows per list (with a link to the full list).
ATTENTION_DAYS = 30
ATTENTION_ROWS = 10


def _count(queryset):
    """COUNT(*) of `queryset` as a scalar subquery: nothing but an index needs reading."""
    counted = queryset.order_by().annotate(n=Func(template="COUNT(*)", output_field=IntegerField()))
    counted = counted.values("n")
    return Subquery(counted[:1], output_field=IntegerField())


def home_counts(organization, today: datetime.date, ending_soon: Q) -> dict:
    """«Личный кабинет»'s four figures in one query, each a count over an index.

    Subscribers with a tariff today come from the kept limits (`tariff`, index
    `(organization, tariff)`) when they are current, else from the documents
    (an EXISTS per subscriber: what the kept rows spare a 50,000-subscriber
    partner); the database evaluates only the branch it takes. The
    organization is a constant in every part (not a correlated reference), so
    that the planner estimates each count with the organization's statistics.
    """
    org = organization.pk
    kept = SubscriberLimits.objects.filter(organization=org)
    subscribers = Subscriber.objects.filter(organization=org)
    with_tariff_computed = subscribers.filter(
        Exists(Subscription.objects.active_on(today).filter(subscriber=OuterRef("pk")))
    )
    drafts = Q(status=Status.DRAFT, organization=org)
    counts = (
        ServiceOrganization.objects.filter(pk=organization.pk)
        .annotate(
            n_subscribers=_count(subscribers),
            with_tariff=Case(
                When(
                    ~not_current(org, today),
                    then=_count(kept.filter(tariff__isnull=False)),
                ),
                default=_count(with_tariff_computed),
            ),
            ending_soon=_count(Subscription.objects.filter(ending_soon, organization=org)),
            drafts=_count(Subscription.objects.filter(drafts))
            + _count(ExtensionSubscription.objects.filter(drafts)),
        )
        .values("n_subscribers", "with_tariff", "ending_soon", "drafts")
        .get()
    )
    counts["subscribers"] = counts.pop("n_subscribers")
    return counts


@cabinet_view
def home(request):
    """«Личный кабинет»: counts and what needs attention (the same queries at any size)."""
    organization = request.organization
    today = clock.today()
    horizon = today + datetime.timedelta(days=ATTENTION_DAYS)

    ending_soon = Q(status=Status.POSTED, ends_on__range=(today, horizon))
    counts = home_counts(organization, today, ending_soon)
    # The first rows by index, then their details: «is it renewed» is asked for
    # these 10 rows, never planned as a scan of every renewal in the table.
    first_ending = (
        Subscription.objects.for_organization(organization)
        .filter(ending_soon)
        .order_by("ends_on", "pk")
        .values("pk")[:ATTENTION_ROWS]
    )
    ending = list(
        Subscription.objects.filter(pk__in=Subquery(first_ending))
        .select_related("subscriber", "tariff")
        .annotate(
            # Renewed by a main subscription; a grace one (R13) only lends a few days.
            is_renewed=Exists(
                Subscription.objects.filter(
                    renews=OuterRef("pk"), kind=Subscription.Kind.MAIN, status=Status.POSTED
                )
            )
        )
        .order_by("ends_on", "pk")
    )
    for subscription in ending:
        subscription.days_left = (subscription.ends_on - today).days

    drafts = organization_documents(organization, status=Status.DRAFT)
    draft_rows = document_rows(drafts[:ATTENTION_ROWS])

    return render(
        request,
        "subscribers/home.html",
        {
            "title": _("Личный кабинет"),
            "counts": counts,
            "ending": ending,
            "drafts": draft_rows,
            "attention_days": ATTENTION_DAYS,
            "today": today,
        },
    )


# Sort keys offered by the column headers of «Обслуживаемые абоненты»; the
# request names a key, never a field, and the primary key keeps pages stable
# (in the same direction: a descending sort is the ascending one reversed,
# which an index reads backwards).
SUBSCRIBER_SORTS = {
    "name": ("name",),
    "code": ("code",),
    "bin_iin": ("bin_iin",),
    "city": ("city", "name"),
    "sessions": ("limit_sessions",),
    "infobases": ("limit_infobases",),
}
DEFAULT_SUBSCRIBER_SORT = "name"
LIMIT_SORTS = {"sessions", "infobases"}


def _subscriber_ordering(sort: str) -> tuple[str, list[str]]:
    """The accepted sort parameter (`key` or `-key`) and the order_by() fields for it."""
    key = sort.removeprefix("-")
    if key not in SUBSCRIBER_SORTS:
        key, sort = DEFAULT_SUBSCRIBER_SORT, DEFAULT_SUBSCRIBER_SORT
    sign = "-" if sort.startswith("-") else ""
    return sort, [f"{sign}{field}" for field in (*SUBSCRIBER_SORTS[key], "pk")]


NUMERIC_SORT_FIELDS = {"limit_sessions", "limit_infobases", "pk"}


def _sorting_what_was_found(ordering: list[str]) -> list:
    """The same order, as expressions no index provides (`COALESCE(name, '')`).

    Without a search the database walks an index in the sort's order and stops
    after one page. With a search it would walk the same index filtering every
    row until a page of matches turns up — the whole partner when the text is
    rare (the planner cannot know how rare: a code matches 1 subscriber where it
    guesses hundreds). Sorting by an expression makes it collect the matches
    first (the trigram and code indexes) and sort only those. Used when the
    count says the matches are few (`_PagedRows`): a search then costs what it
    finds, not what the partner has.
    """
    expressions = []
    for name in ordering:
        field = name.removeprefix("-")
        blank = Value(0) if field in NUMERIC_SORT_FIELDS else Value("")
        expression = Coalesce(F(field), blank)
        expressions.append(expression.desc() if name.startswith("-") else expression.asc())
    return expressions


@dataclass
class SubscriberListQuery:
    """What «Обслуживаемые абоненты» shows: the search form, the sort and the rows.

    `subscribers` is None when the search is invalid (the page is then a 400).
    `found` has the same rows without what sorting needs (the kept limits'
    join): the page counts it. `searched`, for a search, has them in the same
    order by expressions (`_sorting_what_was_found`). `page_keys`, sorted by a
    kept limit: the subscribers' keys in that order, from the kept rows alone.
    """

    form: SubscriberSearchForm
    sort: str
    today: datetime.date
    subscribers: QuerySet | None
    found: QuerySet | None = None
    searched: QuerySet | None = None
    page_keys: QuerySet | None = None


class _PagedRows:
    """Sorted, annotated rows for a Paginator: a page costs the same on page 1 and page 100.

    The count comes from `found` (the same rows, without the joins sorting
    needs); a page's primary keys are chosen first, by the sort alone, and only
    those rows get the limit and tariff columns — not every row the OFFSET skips.
    A search that found at most SORT_FOUND_UP_TO rows sorts them (`searched`);
    one that found more walks the sort's index, where matches are dense. Sorted
    by a kept limit, the keys come from the kept rows' index (`page_keys`): the
    database cannot start from the subscribers and sort them all instead.
    """

    ordered = True
    SORT_FOUND_UP_TO = 2_000

    def __init__(self, rows, found, searched=None, page_keys=None):
        self._rows = rows
        self._found = found
        self._searched = searched
        self._page_keys = page_keys
        self._count = None

    def count(self) -> int:
        if self._count is None:
            self._count = self._found.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        rows, keys = self._rows, self._page_keys
        if self._searched is not None and self.count() <= self.SORT_FOUND_UP_TO:
            rows, keys = self._searched, None
        if not isinstance(key, slice):
            return rows[key]
        page = (keys if keys is not None else rows.values("pk"))[key]
        return list(rows.filter(pk__in=Subquery(page)))


def subscriber_list_query(request) -> SubscriberListQuery:
    """The searched, sorted subscribers with today's limits: the page and its download."""
    return subscriber_list_query_for(request.organization, request.GET, clock.today())


def subscriber_list_query_for(organization, data, today: datetime.date) -> SubscriberListQuery:
    """`subscriber_list_query()` for a query string `data` (a job rebuilds its download so)."""
    form = SubscriberSearchForm(data)
    sort, ordering = _subscriber_ordering(data.get("sort", ""))
    if not form.is_valid():
        return SubscriberListQuery(form, sort, today, None)
    text = form.cleaned_data["q"].strip()
    found = Subscriber.objects.for_organization(organization).filter(subscriber_search_q(text))
    by_limit = sort.removeprefix("-") in LIMIT_SORTS
    listed = list_limits(found, organization, today, sorted_by_limit=by_limit)
    subscribers = listed.rows
    searched = subscribers.order_by(*_sorting_what_was_found(ordering)) if text else None
    page_keys = None
    if listed.kept:
        page_keys = listed.page_keys(organization, sort, among=found if text else None)
    return SubscriberListQuery(
        form, sort, today, subscribers.order_by(*ordering), found, searched, page_keys
    )


def _render_subscriber_list(request, query: SubscriberListQuery, **extra):
    context = {"title": _("Обслуживаемые абоненты"), "form": query.form, "sort": query.sort}
    if query.subscribers is None:
        return render(request, "subscribers/subscriber_list.html", context, status=400)
    context.update(extra, today=query.today)
    return render(request, "subscribers/subscriber_list.html", context)


@cabinet_view
def subscriber_list(request):
    """«Обслуживаемые абоненты»: search, sorting, paging; limits and tariff per row."""
    query = subscriber_list_query(request)
    if query.subscribers is None:
        return _render_subscriber_list(request, query)
    rows = _PagedRows(query.subscribers, query.found, query.searched, query.page_keys)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return _render_subscriber_list(request, query, page_obj=page)


@cabinet_view
def subscriber_list_export(request):
    """«Обслуживаемые абоненты» as XLSX or CSV: the page's search and sort, every page
    (a big list through a job and its progress page, cabinet/exports.py)."""
    fmt = requested_format(request)
    query = subscriber_list_query(request)
    if query.subscribers is None:
        return _render_subscriber_list(request, query)
    table = exports.subscriber_list_table(query.subscribers, query.found, today=query.today)
    return exports.download(request, table, fmt=fmt)


def subscriber_list_download(organization, data, *, today, pk=None):
    """The download's table for a query string: what a job writes (exports.SOURCES)."""
    query = subscriber_list_query_for(organization, data, today)
    if query.subscribers is None:
        return None
    return exports.subscriber_list_table(query.subscribers, query.found, today=today)


@cabinet_view
def subscriber_detail(request, pk):
    """«Абонент»: details and today's limits with what makes them up."""
    subscriber = get_object_or_404(
        Subscriber.objects.for_organization(request.organization).select_related("organization"),
        pk=pk,
    )
    today = clock.today()
    return render(
        request,
        "subscribers/subscriber_detail.html",
        {
            "title": _("Абонент"),
            "subscriber": subscriber,
            "breakdown": limits_breakdown(subscriber, today),
            "today": today,
        },
    )
