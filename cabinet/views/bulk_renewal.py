"""«Продление за месяц»: the organization's posted bases ending in a month, each with
the preview of its renewal, renewed in bulk — and the page of a batch's outcome.

The preview is `subscriptions.renewal.RenewalPlanner`'s: the single renewal's
planning and refusals, for a page of bases in a fixed number of queries. The
page's script only swaps in what the server computed for each offered period
(`preview_data`); without it, «Пересчитать» posts the page back to render the
chosen periods, writing nothing.

«Продлить выбранные» renews the checked rows (or every row of the month) as a
batch: a job (jobs/) whose work is `subscriptions.tasks.renew_bases` — each
base through `services.subscription_renew`, in its own transaction. Up to
BULK_RENEWAL_IMMEDIATE_MAX rows (one page) run in the request; more run in a
worker, and the batch's page shows the progress bar (job_progress.js asking
`job_status`) and survives a reload. A batch is started once per one-time
token: a double submit, a resubmit or «Back» leads to the first batch's page.
A base is never renewed twice: a second batch finds it renewed and says so,
with the single renewal's words. The outcome of every row stays on the job and
downloads as XLSX.

Any role reads the page and a batch; only owners and operators post (a POST of
a read-only role is a 403). Another organization's batch is a 404.
"""

import datetime
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.forms import BoundField
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.formatting import fmt, format_tenge
from common.locking import locked_transaction
from jobs.models import Job
from jobs.registry import JobKind
from jobs.services import JobLimitReached, JobRun, job_run_here, job_start
from spreadsheets.export import DATE, INTEGER, TEXT, XLSX, Column, export_response, filename_for
from subscribers.models import ServiceOrganization
from subscriptions import clock
from subscriptions.renewal import RenewalPlan, RenewalPlanner, bases_ending_in
from subscriptions.tasks import BulkRenewalOutcome, renew_bases

from ..access import cabinet_view
from ..forms.bulk_renewal import BulkRenewalFilterForm, BulkRenewalForm
from ..widgets import MONTH_FORMAT
from .jobs import POLL_MILLISECONDS, REFRESH_SECONDS, ShownJob

BULK_RENEWAL_JOB = "subscriptions.bulk_renewal"
PAGE_SIZE = 25
TEMPLATE = "cabinet/bulk_renewal.html"
READ_METHODS = ["GET", "HEAD"]
BATCH_TEMPLATE = "cabinet/bulk_renewal_batch.html"


def immediate_max() -> int:
    """Up to this many rows run in the request (a page, by default); more become a job."""
    return settings.BULK_RENEWAL_IMMEDIATE_MAX


# --- The preview --------------------------------------------------------------------


def preview(plan: RenewalPlan) -> dict:
    """What a row shows for one plan, as text (the page and its script show the same)."""
    if plan.carry:
        extensions = [
            _("№ %(number)s «%(tariff)s» × %(quantity)s → %(plan)s")
            % {
                "number": carried.extension.number,
                "tariff": carried.extension.tariff.name,
                "quantity": carried.extension.quantity,
                "plan": carried.describe(),
            }
            for carried in plan.carry_plans
        ]
    else:
        extensions = [
            _("№ %(number)s «%(tariff)s» × %(quantity)s — не переносится")
            % {
                "number": extension.number,
                "tariff": extension.tariff.name,
                "quantity": extension.quantity,
            }
            for extension in (carried.extension for carried in plan.carry_plans)
        ]
    return {
        "dates": _("с %(starts_on)s по %(ends_on)s")
        % {
            "starts_on": fmt(plan.starts_on),
            "ends_on": fmt(plan.ends_on) if plan.ends_on else "—",
        },
        "amount": format_tenge(plan.amount),
        "total": format_tenge(plan.total),
        "extensions": extensions,
        "refusal": plan.refusal,
        "warnings": list(plan.warnings.values()),
    }


@dataclass
class Row:
    """One base of the page: its plan for the shown period and its period control."""

    plan: RenewalPlan
    periods: list
    period_field: BoundField | None
    checked: bool
    shown: dict

    @property
    def base(self):
        return self.plan.base


def _rows(bases, planner: RenewalPlanner, form: BulkRenewalForm, *, carry: bool) -> list[Row]:
    checked = set()
    if form.is_bound and hasattr(form, "cleaned_data"):
        checked = set(form.cleaned_data.get("base") or ())
    rows = []
    for base in bases:
        periods = planner.periods(base)
        chosen_id = form.chosen_period_id(base.pk)
        chosen = next((p for p in periods if p.pk == chosen_id), None)
        plan = planner.plan(base, chosen, carry=carry)
        name = form.period_name(base.pk)
        rows.append(
            Row(
                plan=plan,
                periods=periods,
                period_field=form[name] if name in form.fields else None,
                checked=base.pk in checked,
                shown=preview(plan),
            )
        )
    return rows


def preview_data(rows: list[Row], planner: RenewalPlanner, *, carry: bool) -> dict:
    """For the page's script: per row, per offered period, what the row shows."""
    return {
        str(row.base.pk): {
            str(period.pk): preview(planner.plan(row.base, period, carry=carry))
            for period in row.periods
        }
        for row in rows
    }


# --- The page ------------------------------------------------------------------------


@cabinet_view
def bulk_renewal(request):
    """The month's bases with their previews (GET, any role); «Продлить выбранные» and
    «Пересчитать» (POST, owners and operators)."""
    today = clock.today()
    if request.method == "POST" and (batch := _batch_of_token(request)) is not None:
        # The twin of a submitted batch (a double click, «Back» and submit): its page.
        return redirect("bulk_renewal_batch", batch.pk)
    filters = BulkRenewalFilterForm(request.GET, today=today)
    if not filters.is_valid():
        return _render(request, filters, status=400)
    bases = bases_ending_in(
        request.organization, filters.month_value, tariff=filters.cleaned_data["tariff"]
    )
    page = Paginator(bases, PAGE_SIZE).get_page(request.GET.get("page"))
    planner = RenewalPlanner(page.object_list, today=today)
    page_periods = {
        base.pk: (planner.periods(base), planner.default_period(base)) for base in page.object_list
    }
    if request.method != "POST":
        form = BulkRenewalForm(
            initial={"request_token": uuid.uuid4()}, month_ids=(), page_periods=page_periods
        )
        return _render(request, filters, page=page, planner=planner, form=form)

    month_ids = list(bases.values_list("pk", flat=True))
    form = BulkRenewalForm(request.POST, month_ids=month_ids, page_periods=page_periods)
    valid = form.is_valid()
    if request.POST.get("action") == "preview":
        form.forget_nothing_selected()  # a preview needs no row ticked
        status = 400 if form.errors else 200
        return _render(request, filters, page=page, planner=planner, form=form, status=status)
    if not valid:
        return _render(request, filters, page=page, planner=planner, form=form, status=400)
    try:
        batch = start_batch(request, filters, form.items(), form.cleaned_data["request_token"])
    except JobLimitReached:
        form.add_error(
            None,
            _(
                "Уже выполняются длительные операции, начатые вами раньше (не больше %(count)s "
                "сразу). Дождитесь их — они в разделе «Мои файлы» — и продлите снова."
            )
            % {"count": settings.JOBS_ACTIVE_PER_USER},
        )
        return _render(request, filters, page=page, planner=planner, form=form, status=400)
    return redirect("bulk_renewal_batch", batch.pk)


def _render(request, filters, *, page=None, planner=None, form=None, status=200):
    context = {"title": _("Продление за месяц"), "filters": filters, "form": form}
    if page is not None:
        carry = filters.carry
        rows = _rows(page.object_list, planner, form, carry=carry)
        context.update(
            page_obj=page,
            list_query=urlencode({**filters.query(), "page": page.number}),
            rows=rows,
            month=filters.month_value,
            carry=carry,
            refused=sum(1 for row in rows if not row.plan.can_renew),
            immediate_max=immediate_max(),
            js_data=preview_data(rows, planner, carry=carry),
            can_write=request.membership.can_write,
        )
    return render(request, TEMPLATE, context, status=status)


# --- A batch -------------------------------------------------------------------------


def _batch_of_token(request) -> Job | None:
    try:
        token = uuid.UUID(request.POST.get("request_token", ""))
    except ValueError:
        return None
    return _batch_by_token(request.organization, token)


def _batch_by_token(organization, token: uuid.UUID) -> Job | None:
    return (
        Job.objects.filter(
            organization=organization, kind=BULK_RENEWAL_JOB, parameters__token=str(token)
        )
        .order_by("pk")
        .first()
    )


def start_batch(request, filters, items, token: uuid.UUID) -> Job:
    """The batch of `items` ((base pk, period pk or None)) for this one-time `token`: the
    one started already with it, or a new one — run here when it is small, else by a worker.

    The organization's row is locked while the token is looked up and the job is
    created, so two submits of one form at once make one batch.
    """
    organization = request.organization
    parameters = {
        "token": str(token),
        "month": filters.month_value.isoformat(),
        "tariff": filters.cleaned_data["tariff"].pk if filters.cleaned_data["tariff"] else None,
        "carry": filters.carry,
        "items": [[pk, period_id] for pk, period_id in items],
        "language": translation.get_language() or settings.LANGUAGE_CODE,
    }
    here = len(items) <= immediate_max()
    with locked_transaction() as locks:
        locks.exclusive(ServiceOrganization, [organization.pk])
        existing = _batch_by_token(organization, token)
        if existing is not None:
            return existing
        job = job_start(
            organization=organization,
            user=request.user,
            kind=BULK_RENEWAL_JOB,
            parameters=parameters,
            reuse_active=False,
            enqueue=not here,
        )
    if here:
        job = job_run_here(job)
    return job


def run_bulk_renewal(run: JobRun) -> dict:
    """The job's work: each base renewed in turn, the bar moving by one per base; the
    summary keeps every row's outcome (the batch's page and its XLSX read it)."""
    job = run.job
    parameters = job.parameters
    items = parameters["items"]
    run.set_total(len(items))
    outcomes = list(
        renew_bases(
            organization_id=job.organization_id,
            items=items,
            carry=parameters["carry"],
            user=job.created_by,
            batch_token=parameters["token"],
            progress=run.advance,
        )
    )
    renewed = sum(1 for outcome in outcomes if outcome.renewed)
    return {
        "renewed": renewed,
        "refused": len(outcomes) - renewed,
        "outcomes": [outcome.as_json() for outcome in outcomes],
    }


def _month_of(job) -> datetime.date:
    return datetime.date.fromisoformat(job.parameters["month"])


def batch_title(job) -> str:
    """«Продление за месяц 03.2026»."""
    return _("Продление за месяц %(month)s") % {"month": _month_of(job).strftime(MONTH_FORMAT)}


def batch_summary_lines(job) -> list[str]:
    summary = job.summary or {}
    if "renewed" not in summary:
        return []
    return [
        _("Продлено: %(renewed)s; не продлено: %(refused)s.")
        % {
            "renewed": number_format(summary["renewed"], force_grouping=True),
            "refused": number_format(summary["refused"], force_grouping=True),
        }
    ]


BULK_RENEWAL_JOB_KIND = JobKind(
    name=BULK_RENEWAL_JOB,
    run=run_bulk_renewal,
    title=batch_title,
    back_url=lambda job: reverse("bulk_renewal_batch", args=[job.pk]),
    running_heading=gettext_lazy("Продление выполняется…"),
    done_heading=gettext_lazy("Продление выполнено"),
    failed_heading=gettext_lazy("Продление не выполнено"),
    summary_lines=batch_summary_lines,
)


def _batch_in_scope(request, pk) -> Job:
    return get_object_or_404(
        Job.objects.filter(organization=request.organization, kind=BULK_RENEWAL_JOB), pk=pk
    )


def outcomes_of(job) -> list[BulkRenewalOutcome]:
    return [BulkRenewalOutcome.from_json(data) for data in (job.summary or {}).get("outcomes", [])]


@cabinet_view
def bulk_renewal_batch(request, pk):
    """A batch: its progress while it runs (survives a reload), then every row's outcome."""
    job = _batch_in_scope(request, pk)
    if request.method not in READ_METHODS:
        return HttpResponseNotAllowed(READ_METHODS)
    shown = ShownJob(job)
    context = {
        "title": batch_title(job),
        "job": job,
        "shown": shown,
        "poll_ms": POLL_MILLISECONDS,
        "refresh_seconds": REFRESH_SECONDS,
        "month": _month_of(job),
        "back_query": _back_query(job),
    }
    if job.state == Job.State.DONE:
        outcomes = outcomes_of(job)
        page = Paginator(outcomes, PAGE_SIZE).get_page(request.GET.get("page"))
        renewed = sum(1 for outcome in outcomes if outcome.renewed)
        context.update(
            page_obj=page,
            outcomes=page.object_list,
            renewed=renewed,
            refused=len(outcomes) - renewed,
        )
    return render(request, BATCH_TEMPLATE, context)


def _back_query(job) -> str:
    parameters = job.parameters
    query = {"month": _month_of(job).strftime(MONTH_FORMAT)}
    if parameters.get("tariff"):
        query["tariff"] = parameters["tariff"]
    if not parameters.get("carry", True):
        query["extensions"] = "keep"
    return urlencode(query)


def outcome_columns() -> list[Column]:
    return [
        Column(_("Подписка на тариф"), lambda o: o.base_number, TEXT, 12),
        Column(_("Абонент"), lambda o: o.subscriber_name, TEXT, 36),
        Column(_("Тариф"), lambda o: o.tariff_name, TEXT, 20),
        Column(_("Действует по"), lambda o: o.base_ends_on, DATE, 12),
        Column(_("Итог"), lambda o: _("Продлена") if o.renewed else _("Не продлена"), TEXT, 12),
        Column(_("Продление"), lambda o: o.renewal_number, TEXT, 12),
        Column(_("Период действия"), lambda o: o.period_label, TEXT, 14),
        Column(_("Действует с"), lambda o: o.starts_on, DATE, 12),
        Column(_("по"), lambda o: o.ends_on, DATE, 12),
        Column(_("Перенесено расширений"), lambda o: o.carried if o.renewed else None, INTEGER, 12),
        Column(_("Причина"), lambda o: o.reason, TEXT, 60),
    ]


@cabinet_view
def bulk_renewal_batch_export(request, pk):
    """Every row's outcome as XLSX (from the job's summary: as long as the batch is kept)."""
    job = _batch_in_scope(request, pk)
    if request.method not in READ_METHODS:
        return HttpResponseNotAllowed(READ_METHODS)
    if job.state != Job.State.DONE:
        return redirect("bulk_renewal_batch", job.pk)
    month = _month_of(job)
    title = batch_title(job)
    return export_response(
        fmt=XLSX,
        columns=outcome_columns(),
        rows=outcomes_of(job),
        filename=f"{title} ({job.pk}).{XLSX}",
        ascii_filename=filename_for(f"prodlenie-{month:%Y-%m}-{job.pk}", clock.today(), XLSX),
        sheet_title=_("Продление"),
    )
