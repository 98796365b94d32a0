"""Downloads of the cabinet's tables: «Обслуживаемые абоненты», «Подписки
обслуживаемых абонентов», the window «Подписка» of one subscriber and the
report — each the page's columns and order, every row, filters applied.

A download is a `Table`: its columns, its rows (read from the database in
chunks, never all at once) and how many there are. Small tables
(DOWNLOAD_IMMEDIATE_MAX_ROWS rows at most) are answered at once, streamed
from the writers of spreadsheets/export.py. A bigger one becomes a job
(jobs/): the request only starts it and leads to its page, where a progress
bar fills while a worker writes the same table with the same writers into a
file; the page then offers the file. The worker rebuilds the table from what
the request named — the table, the page's query string, the subscriber, the
day and the language — with the very function the request used (`SOURCES`),
so the file holds exactly what an immediate download would have.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _

from jobs.registry import JobKind
from jobs.services import JobLimitReached, JobRefused, JobRun, job_start
from spreadsheets.export import (
    CHUNK_ROWS,
    CONTENT_TYPES,
    DATE,
    INTEGER,
    MONEY,
    MONTH,
    TEXT,
    XLSX,
    Column,
    export_response,
    filename_for,
    write_csv,
    write_xlsx,
)
from subscriptions.models import ExtensionSubscription, Subscription
from subscriptions.reports import Report
from subscriptions.selectors import iter_document_rows, subscriber_window_rows

EXPORT_JOB = "cabinet.export"

# Query parameters a download never passes on: the format is the job's own, and a
# download has every page.
_NOT_FILTERS = ("format", "page")


@dataclass(frozen=True)
class Table:
    """One download: what it is, its columns, its rows and how many there are.

    `rows()` gives a fresh iterator over every row (a database cursor read
    CHUNK_ROWS at a time); `count(limit)` counts them, stopping at `limit`
    when given (is the table bigger than the threshold?). `source` names the
    function of `SOURCES` that builds this table from a query string, and `pk`
    the subscriber of a window.
    """

    source: str
    title: str
    stem: str
    today: datetime.date
    columns: list[Column]
    rows: Callable[[], Iterable]
    count: Callable[[int | None], int]
    sheet_title: str
    emphasize: Callable[[object], bool] | None = None
    pk: int | None = None

    def filename(self, fmt: str) -> str:
        """The name a browser saves it under: «Обслуживаемые абоненты 2026-11-29.xlsx»."""
        return f"{self.title} {self.today.isoformat()}.{fmt}"

    def ascii_filename(self, fmt: str) -> str:
        """The same for a browser that reads only ASCII names: «abonenty-2026-11-29.xlsx»."""
        return filename_for(self.stem, self.today, fmt)


def _counted(queryset) -> Callable[[int | None], int]:
    def count(limit=None):
        keys = queryset.order_by().values("pk")
        return keys.count() if limit is None else keys[:limit].count()

    return count


# --- «Подписки обслуживаемых абонентов» -------------------------------------------


def subscription_list_columns() -> list[Column]:
    """Columns over selectors.DocumentRow."""
    return [
        Column(_("Номер"), lambda r: r.number, TEXT, 12),
        Column(_("Тип подписки"), lambda r: r.kind_label, TEXT, 15),
        Column(_("Абонент"), lambda r: r.subscriber_name, TEXT, 36),
        Column(_("Тариф"), lambda r: r.tariff_name, TEXT, 22),
        Column(_("Период действия"), lambda r: r.period_label, TEXT, 14),
        Column(_("Действует с"), lambda r: r.starts_on, DATE, 12),
        Column(_("по"), lambda r: r.ends_on, DATE, 12),
        Column(_("Количество"), lambda r: r.quantity, INTEGER, 11),
        Column(_("Состояние"), lambda r: r.status_label, TEXT, 12),
        Column(_("Сумма, ₸"), lambda r: r.amount, MONEY, 14),
    ]


def subscription_list_table(documents, *, today: datetime.date) -> Table:
    """`documents`: the page's `organization_documents()` (dicts, the page's order)."""

    def count(limit=None):
        if limit is None:
            return documents.count()
        return documents.queryset.order_by()[:limit].count()

    return Table(
        source="subscriptions",
        title=_("Подписки обслуживаемых абонентов"),
        stem="podpiski",
        today=today,
        columns=subscription_list_columns(),
        rows=lambda: iter_document_rows(documents.iterator(chunk_size=CHUNK_ROWS)),
        count=count,
        sheet_title=_("Подписки"),
    )


# --- The window «Подписка» of one subscriber ---------------------------------------


def subscriber_subscriptions_columns() -> list[Column]:
    """Columns over selectors.WindowRow."""
    return [
        Column(_("Номер"), lambda r: r.document.number, TEXT, 12),
        Column(_("Тип подписки"), lambda r: r.document.kind_label, TEXT, 15),
        Column(_("К подписке"), lambda r: None if r.is_base else r.base.number, TEXT, 12),
        Column(_("Тариф"), lambda r: r.document.tariff.name, TEXT, 22),
        Column(_("Период действия"), lambda r: r.document.period_label, TEXT, 14),
        Column(_("Действует с"), lambda r: r.document.starts_on, DATE, 12),
        Column(_("по"), lambda r: r.document.ends_on, DATE, 12),
        Column(
            _("Количество расширений"),
            lambda r: None if r.is_base else r.document.quantity,
            INTEGER,
            13,
        ),
        Column(_("Состояние"), lambda r: r.document.get_status_display(), TEXT, 12),
        Column(_("Сумма, ₸"), lambda r: r.document.current_amount, MONEY, 14),
    ]


def subscriber_subscriptions_table(subscriber, *, today: datetime.date) -> Table:
    bases = Subscription.objects.filter(subscriber=subscriber).order_by().values_list("pk")
    extensions = (
        ExtensionSubscription.objects.filter(subscription__subscriber=subscriber)
        .order_by()
        .values_list("pk")
    )

    def count(limit=None):
        documents = bases.union(extensions, all=True)
        return documents.count() if limit is None else documents[:limit].count()

    return Table(
        source="window",
        title=f"{_('Подписка')} {subscriber.code}",
        stem=f"podpiska-{subscriber.code}",
        today=today,
        columns=subscriber_subscriptions_columns(),
        # CHUNK_ROWS read when the rows are, so that a test can make the batches small.
        rows=lambda: subscriber_window_rows(subscriber, chunk_size=CHUNK_ROWS),
        count=count,
        sheet_title=_("Подписка"),
        pk=subscriber.pk,
    )


# --- «Обслуживаемые абоненты» ---------------------------------------------------

SUBSCRIBER_LIST_FIELDS = (
    "code",
    "name",
    "bin_iin",
    "city",
    "active_tariff_name",
    "limit_sessions",
    "limit_infobases",
)


def subscriber_list_columns() -> list[Column]:
    """Columns over the dicts of the page's queryset (`SUBSCRIBER_LIST_FIELDS`)."""
    return [
        Column(_("Код абонента"), lambda s: s["code"], TEXT, 15),
        Column(_("Наименование"), lambda s: s["name"], TEXT, 40),
        Column(_("БИН/ИИН"), lambda s: s["bin_iin"], TEXT, 15),
        Column(_("Город"), lambda s: s["city"], TEXT, 18),
        Column(_("Тариф"), lambda s: s["active_tariff_name"], TEXT, 22),
        Column(_("Сеансы"), lambda s: s["limit_sessions"], INTEGER, 10),
        Column(_("Базы"), lambda s: s["limit_infobases"], INTEGER, 10),
    ]


def subscriber_list_table(subscribers, found, *, today: datetime.date) -> Table:
    """`subscribers`: the page's sorted queryset with limits and tariff; `found`: the same
    subscribers without them (what is counted)."""
    return Table(
        source="subscribers",
        title=_("Обслуживаемые абоненты"),
        stem="abonenty",
        today=today,
        columns=subscriber_list_columns(),
        rows=lambda: subscribers.values(*SUBSCRIBER_LIST_FIELDS).iterator(chunk_size=CHUNK_ROWS),
        count=_counted(found),
        sheet_title=_("Абоненты"),
    )


# --- Report «Расширения по месяцам» ------------------------------------------


def report_columns() -> list[Column]:
    return [
        Column(gettext("Месяц"), lambda r: r.month, MONTH, 16),
        Column(gettext("Тариф"), lambda r: r.tariff_label, TEXT, 30),
        Column(gettext("Документов"), lambda r: r.figures.documents, INTEGER, 12),
        Column(gettext("Количество расширений"), lambda r: r.figures.quantity, INTEGER, 14),
        Column(gettext("Сумма, ₸"), lambda r: r.figures.amount, MONEY, 16),
        Column(gettext("Не использовано, ₸"), lambda r: r.figures.unused, MONEY, 18),
    ]


def report_table(report: Report, *, today: datetime.date) -> Table:
    """The report's table with its totals: at most 36 months × the tariffs, already summed."""
    rows = [*report.rows(), *report.total_rows()]
    return Table(
        source="report",
        title=gettext("Расширения по месяцам"),
        stem="rasshireniya-po-mesyacam",
        today=today,
        columns=report_columns(),
        rows=lambda: iter(rows),
        count=lambda limit=None: len(rows) if limit is None else min(len(rows), limit),
        sheet_title=gettext("Расширения по месяцам"),
        emphasize=lambda row: row.is_total,
    )


# --- Immediate or a job -------------------------------------------------------

# Each table by name: the function that builds it from the organization, a query
# string, the day and (for a window) the subscriber's pk — None when the query
# string is invalid. The views use the same functions; named by path because the
# views import this module.
SOURCES = {
    "subscribers": "cabinet.views.subscribers.subscriber_list_download",
    "subscriptions": "cabinet.views.lists.subscription_list_download",
    "window": "cabinet.views.documents.subscriber_subscriptions_download",
    "report": "cabinet.views.reports.report_download",
}

# The page each table is the download of (the job's page links back to it).
PAGES = {
    "subscribers": "subscriber_list",
    "subscriptions": "subscription_list",
    "window": "subscriber_subscriptions",
    "report": "report_extensions_by_month",
}


def table_response(table: Table, fmt: str):
    """The whole table as the response, streamed (the immediate download)."""
    return export_response(
        fmt=fmt,
        columns=table.columns,
        rows=table.rows(),
        filename=table.filename(fmt),
        ascii_filename=table.ascii_filename(fmt),
        sheet_title=table.sheet_title,
        emphasize=table.emphasize,
    )


def write_table(table: Table, fmt: str, target, rows: Iterable | None = None) -> None:
    """The table as `fmt` into the binary file `target` (the job's file): the same writers."""
    rows = table.rows() if rows is None else rows
    if fmt == XLSX:
        write_xlsx(
            table.columns,
            rows,
            sheet_title=table.sheet_title,
            emphasize=table.emphasize,
            target=target,
        )
    else:
        write_csv(table.columns, rows, target)


def download(request, table: Table, *, fmt: str):
    """The download of `table`: at once when it is small, else a job and its page."""
    limit = settings.DOWNLOAD_IMMEDIATE_MAX_ROWS
    if table.count(limit + 1) <= limit:
        return table_response(table, fmt)
    query = {
        key: request.GET.getlist(key) for key in sorted(request.GET) if key not in _NOT_FILTERS
    }
    try:
        job = start_export_job(
            organization=request.organization,
            user=request.user,
            source=table.source,
            fmt=fmt,
            query=query,
            today=table.today,
            pk=table.pk,
        )
    except JobLimitReached as refusal:
        messages.warning(request, refusal.message)
        return redirect("job_list")
    return redirect("job_detail", job.pk)


def start_export_job(*, organization, user, source: str, fmt: str, query: dict, today, pk=None):
    """A job writing the table `source` for `query` (the page's query string, as lists)."""
    if source not in SOURCES or fmt not in CONTENT_TYPES:
        raise ValueError(f"no download {source!r} as {fmt!r}")
    parameters = {
        "table": source,
        "format": fmt,
        "query": query,
        "pk": pk,
        "today": today.isoformat(),
        "language": translation.get_language() or settings.LANGUAGE_CODE,
    }
    return job_start(organization=organization, user=user, kind=EXPORT_JOB, parameters=parameters)


def rebuild_table(job) -> Table | None:
    """The table a job names, built as its request built it (None: the query is no longer valid)."""
    parameters = job.parameters
    data = QueryDict(mutable=True)
    for key, values in parameters.get("query", {}).items():
        data.setlist(key, values)
    source = import_string(SOURCES[parameters["table"]])
    return source(
        job.organization,
        data,
        today=datetime.date.fromisoformat(parameters["today"]),
        pk=parameters.get("pk"),
    )


def run_export(run: JobRun) -> dict:
    """The job's work: count the rows (the bar's end), then write each into the file."""
    fmt = run.job.parameters["format"]
    table = rebuild_table(run.job)
    if table is None:
        raise JobRefused(
            _(
                "Эту таблицу больше нельзя построить: абонента нет в списке организации или "
                "условия списка изменились. Откройте список и скачайте его снова."
            )
        )
    run.set_total(table.count(None))
    target = run.result_file(filename=table.filename(fmt), content_type=CONTENT_TYPES[fmt])
    write_table(table, fmt, target, rows=run.counted(table.rows()))
    return {"rows": run.done, "ascii_name": table.ascii_filename(fmt)}


_TITLES = {
    "subscribers": gettext_lazy("Обслуживаемые абоненты"),
    "subscriptions": gettext_lazy("Подписки обслуживаемых абонентов"),
    "window": gettext_lazy("Подписка абонента"),
    "report": gettext_lazy("Расширения по месяцам"),
}


def export_title(job) -> str:
    """«Подписки обслуживаемых абонентов, XLSX»."""
    parameters = job.parameters
    title = _TITLES.get(parameters.get("table"), gettext_lazy("Выгрузка"))
    return f"{title}, {str(parameters.get('format', '')).upper()}"


def export_back_url(job) -> str | None:
    parameters = job.parameters
    name = PAGES.get(parameters.get("table"))
    if name is None:
        return None
    args = [parameters["pk"]] if parameters.get("pk") is not None else []
    url = reverse(name, args=args)
    query = urlencode(parameters.get("query") or {}, doseq=True)
    return f"{url}?{query}" if query else url


def export_summary_lines(job) -> list[str]:
    rows = (job.summary or {}).get("rows")
    if rows is None:
        return []
    return [_("Строк в файле: %(rows)s") % {"rows": number_format(rows, force_grouping=True)}]


EXPORT_JOB_KIND = JobKind(
    name=EXPORT_JOB,
    run=run_export,
    title=export_title,
    back_url=export_back_url,
    running_heading=gettext_lazy("Подготовка файла…"),
    done_heading=gettext_lazy("Файл готов"),
    failed_heading=gettext_lazy("Не удалось подготовить файл"),
    summary_lines=export_summary_lines,
)
