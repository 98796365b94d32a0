"""The pages around subscribers.

Личный кабинет → Обслуживаемые абоненты → Абонент. Every page is scoped
to the user's organization by `cabinet_view`; each runs a fixed number of
queries however many rows it shows.
"""

import datetime
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from spreadsheets.export import requested_format
from subscribers.models import Subscriber
from subscribers.selectors import subscriber_search_q
from subscriptions import clock
from subscriptions.models import Status, Subscription
from subscriptions.selectors import (
    annotate_active_tariff,
    annotate_limits,
    document_rows,
    limits_breakdown,
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


@cabinet_view
def home(request):
    """«Личный кабинет»: counts and what needs attention."""
    organization = request.organization
    today = clock.today()
    horizon = today + datetime.timedelta(days=ATTENTION_DAYS)

    counts = Subscriber.objects.for_organization(organization).aggregate(
        subscribers=Count("pk"),
        with_tariff=Count(
            "pk",
            filter=Q(
                Exists(Subscription.objects.active_on(today).filter(subscriber=OuterRef("pk")))
            ),
        ),
    )
    ending_soon = Q(status=Status.POSTED, ends_on__range=(today, horizon))
    bases = Subscription.objects.for_organization(organization)
    counts["ending_soon"] = bases.filter(ending_soon).count()
    ending = list(
        bases.filter(ending_soon)
        .select_related("subscriber", "tariff")
        .annotate(
            is_renewed=Exists(
                Subscription.objects.filter(renews=OuterRef("pk"), status=Status.POSTED)
            )
        )
        .order_by("ends_on", "pk")[:ATTENTION_ROWS]
    )
    for subscription in ending:
        subscription.days_left = (subscription.ends_on - today).days

    drafts = organization_documents(organization, status=Status.DRAFT)
    counts["drafts"] = drafts.count()
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
# request names a key, never a field, and the primary key keeps pages stable.
SUBSCRIBER_SORTS = {
    "name": ("name",),
    "code": ("code",),
    "bin_iin": ("bin_iin",),
    "city": ("city", "name"),
    "sessions": ("limit_sessions",),
    "infobases": ("limit_infobases",),
}
DEFAULT_SUBSCRIBER_SORT = "name"


def _subscriber_ordering(sort: str) -> tuple[str, list[str]]:
    """The accepted sort parameter (`key` or `-key`) and the order_by() fields for it."""
    key = sort.removeprefix("-")
    if key not in SUBSCRIBER_SORTS:
        key, sort = DEFAULT_SUBSCRIBER_SORT, DEFAULT_SUBSCRIBER_SORT
    sign = "-" if sort.startswith("-") else ""
    return sort, [f"{sign}{field}" for field in SUBSCRIBER_SORTS[key]] + ["pk"]


@dataclass
class SubscriberListQuery:
    """What «Обслуживаемые абоненты» shows: the search form, the sort and the rows.

    `subscribers` is None when the search is invalid (the page is then a 400).
    """

    form: SubscriberSearchForm
    sort: str
    today: datetime.date
    subscribers: QuerySet | None


def subscriber_list_query(request) -> SubscriberListQuery:
    """The searched, sorted subscribers with today's limits: the page and its download."""
    form = SubscriberSearchForm(request.GET)
    sort, ordering = _subscriber_ordering(request.GET.get("sort", ""))
    today = clock.today()
    if not form.is_valid():
        return SubscriberListQuery(form, sort, today, None)
    subscribers = Subscriber.objects.for_organization(request.organization).filter(
        subscriber_search_q(form.cleaned_data["q"])
    )
    subscribers = annotate_active_tariff(annotate_limits(subscribers, today), today)
    return SubscriberListQuery(form, sort, today, subscribers.order_by(*ordering))


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
    page = Paginator(query.subscribers, PAGE_SIZE).get_page(request.GET.get("page"))
    return _render_subscriber_list(request, query, page_obj=page)


@cabinet_view
def subscriber_list_export(request):
    """«Обслуживаемые абоненты» as XLSX or CSV: the page's search and sort, every page."""
    fmt = requested_format(request)
    query = subscriber_list_query(request)
    if query.subscribers is None:
        return _render_subscriber_list(request, query)
    return exports.subscriber_list_response(query.subscribers, today=query.today, fmt=fmt)


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
