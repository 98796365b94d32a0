"""Report «Расширения по месяцам»: the page and its download.

Any role reads it; the numbers are the organization's own. Five queries
whatever the range or the number of documents: the three of any cabinet
page, the extension tariffs and the one aggregate.
"""

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from spreadsheets.export import requested_format
from subscriptions import clock
from subscriptions.reports import extensions_by_month

from .. import exports
from ..access import cabinet_view
from ..forms.reports import MonthRangeForm
from ..report_chart import build_chart

TEMPLATE = "subscriptions/report_extensions_by_month.html"


def report_query(request):
    """The range form and the report for it (None when the range is invalid)."""
    return report_query_for(request.organization, request.GET, clock.today())


def report_query_for(organization, data, today):
    """`report_query()` for a query string `data` (a job rebuilds its download so)."""
    form = MonthRangeForm(data, today=today)
    if not form.is_valid():
        return form, None
    return form, extensions_by_month(organization, form.first_month, form.last_month)


def _render(request, form, report=None):
    context = {"title": _("Расширения по месяцам"), "form": form}
    if report is None:
        return render(request, TEMPLATE, context, status=400)
    context.update(report=report, chart=build_chart(report))
    return render(request, TEMPLATE, context)


@cabinet_view
def report_extensions_by_month(request):
    form, report = report_query(request)
    return _render(request, form, report)


@cabinet_view
def report_extensions_by_month_export(request):
    """The report's table (with its totals) as XLSX or CSV."""
    fmt = requested_format(request)
    form, report = report_query(request)
    if report is None:
        return _render(request, form)
    return exports.download(request, exports.report_table(report, today=clock.today()), fmt=fmt)


def report_download(organization, data, *, today, pk=None):
    """The report's table for a query string: what a job writes (exports.SOURCES)."""
    _form, report = report_query_for(organization, data, today)
    return None if report is None else exports.report_table(report, today=today)
