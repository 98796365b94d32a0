"""«Подписки обслуживаемых абонентов»: every base and extension subscription of
the organization's subscribers in one table, filtered and paged — and the
same table as a download."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from spreadsheets.export import requested_format
from subscriptions import clock
from subscriptions.selectors import document_rows, organization_documents

from .. import exports
from ..access import cabinet_view
from ..filters import SubscriptionFilterForm

PAGE_SIZE = 25


def subscription_list_query(request):
    """The filter form and the filtered documents (None when a filter is invalid).

    The one place that turns the query string into the list, for the page and
    for its download.
    """
    return subscription_list_query_for(request.organization, request.GET)


def subscription_list_query_for(organization, data):
    """`subscription_list_query()` for a query string `data` (a job rebuilds its download so)."""
    form = SubscriptionFilterForm(data)
    if not form.is_valid():
        return form, None
    return form, organization_documents(organization, **form.filter_kwargs())


def _render_subscription_list(request, form, **extra):
    context = {"title": _("Подписки обслуживаемых абонентов"), "form": form, **extra}
    status = 400 if form.errors else 200
    return render(request, "subscriptions/subscription_list.html", context, status=status)


@cabinet_view
def subscription_list(request):
    form, documents = subscription_list_query(request)
    if documents is None:
        return _render_subscription_list(request, form)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    # A page of dicts becomes DocumentRow objects without further queries.
    page.object_list = document_rows(page.object_list)
    return _render_subscription_list(request, form, page_obj=page, rows=page.object_list)


@cabinet_view
def subscription_list_export(request):
    """The list as XLSX or CSV: the page's filters and order, every page (a big list
    through a job and its progress page, cabinet/exports.py)."""
    fmt = requested_format(request)
    form, documents = subscription_list_query(request)
    if documents is None:
        return _render_subscription_list(request, form)
    table = exports.subscription_list_table(documents, today=clock.today())
    return exports.download(request, table, fmt=fmt)


def subscription_list_download(organization, data, *, today, pk=None):
    """The download's table for a query string: what a job writes (exports.SOURCES)."""
    _form, documents = subscription_list_query_for(organization, data)
    if documents is None:
        return None
    return exports.subscription_list_table(documents, today=today)
