"""A long operation's page («Подготовка файла…»), its status for the page's
script, its file, and the user's recent ones («Мои файлы»).

The state is the job's row (jobs/), so the page survives a reload and any app
server shows it. Without JavaScript the page reloads itself every few seconds
while the job runs (a <noscript> meta refresh) and has «Обновить»; with it,
static/cabinet/job_progress.js asks `job_status`, moves the bar, and reloads
the page once the job has finished. Another organization's job is a 404 on
every URL here (before anything else); any role of the job's organization may
read it and download its file — a download is a read.
"""

import datetime

from django.conf import settings
from django.http import FileResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jobs.models import Job
from jobs.registry import kind_of
from jobs.services import STALLED
from jobs.storage import job_files
from spreadsheets.export import content_disposition

from ..access import cabinet_view

# How often the page's script asks for the state; how often the page without script reloads.
POLL_MILLISECONDS = 1000
REFRESH_SECONDS = 3
RECENT_JOBS = 20

# What the page shows besides the job's own states.
STALLED_STATE = "stalled"  # running, but its worker died (Job.is_stalled)
EXPIRED_STATE = "expired"  # done, but its file is past its time or already deleted
READ_METHODS = ("GET", "HEAD")


def _job_in_scope(request, pk) -> Job:
    return get_object_or_404(Job.objects.filter(organization=request.organization), pk=pk)


def _not_allowed():
    return HttpResponseNotAllowed(list(READ_METHODS))


class ShownJob:
    """A job as its page and its status answer show it, in the reader's language."""

    def __init__(self, job: Job, now: datetime.datetime | None = None):
        self.job = job
        try:
            self.kind = kind_of(job.kind)
        except LookupError:  # a kind no app registers any more: shown by its name
            self.kind = None
        now = now or timezone.now()
        self.state = job.state
        if job.is_stalled(now):
            self.state = STALLED_STATE
        elif job.state == Job.State.DONE and job.result_file.name and job.is_expired(now):
            self.state = EXPIRED_STATE
        elif job.state == Job.State.DONE and job.result_size is not None and not job.result_file:
            self.state = EXPIRED_STATE  # purged

    @property
    def is_active(self) -> bool:
        return self.state in Job.ACTIVE_STATES

    @property
    def has_file(self) -> bool:
        return self.state == Job.State.DONE and bool(self.job.result_file.name)

    @property
    def title(self) -> str:
        return self.kind.title(self.job) if self.kind else self.job.kind

    @property
    def heading(self) -> str:
        if self.is_active:
            return self.kind.running_heading if self.kind else gettext("Выполняется…")
        if self.state == Job.State.DONE:
            return self.kind.done_heading if self.kind else gettext("Готово")
        if self.state == EXPIRED_STATE:
            return gettext("Файл больше не хранится")
        return self.kind.failed_heading if self.kind else gettext("Не удалось выполнить")

    @property
    def progress_text(self) -> str:
        job = self.job
        if self.state == Job.State.QUEUED:
            return gettext("В очереди: начнется, как только освободится фоновый обработчик.")
        if job.total is None:
            return gettext("Начинаем…")
        if job.done >= job.total:
            return gettext("Почти готово: сохраняем результат…")
        return gettext("Готово %(done)s из %(total)s (%(percent)s %%)") % {
            "done": number_format(job.done, force_grouping=True),
            "total": number_format(job.total, force_grouping=True),
            "percent": job.percent,
        }

    @property
    def error(self) -> str:
        """The failure as the reader should read it (the service's own messages are
        stored as their Russian source and translated here)."""
        if self.state == STALLED_STATE:
            return gettext(STALLED)
        return gettext(self.job.error) if self.job.error else ""

    @property
    def back_url(self) -> str | None:
        return self.kind.back_url(self.job) if self.kind else None

    @property
    def summary_lines(self) -> list[str]:
        return self.kind.summary_lines(self.job) if self.kind and self.has_file else []

    def status(self) -> dict:
        """The answer of `job_status`: what the script shows, formatted by the server."""
        job = self.job
        return {
            "state": self.state,
            "finished": not self.is_active,
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
            "text": self.progress_text,
        }


def _render_job(request, job: Job, shown: ShownJob):
    return render(
        request,
        "cabinet/jobs/detail.html",
        {
            "title": shown.heading,
            "job": job,
            "shown": shown,
            "poll_ms": POLL_MILLISECONDS,
            "refresh_seconds": REFRESH_SECONDS,
        },
        # A file past its time is gone for good.
        status=410 if shown.state == EXPIRED_STATE else 200,
    )


@cabinet_view
def job_detail(request, pk):
    """The job's page: progress while it runs, «Скачать» when done, the error when failed."""
    job = _job_in_scope(request, pk)
    if request.method not in READ_METHODS:
        return _not_allowed()
    return _render_job(request, job, ShownJob(job))


@cabinet_view
def job_status(request, pk):
    """The job's state as JSON, for the page's script (never cached)."""
    job = _job_in_scope(request, pk)
    if request.method not in READ_METHODS:
        return _not_allowed()
    response = JsonResponse(ShownJob(job).status())
    response["Cache-Control"] = "no-store"
    return response


@cabinet_view
def job_download(request, pk):
    """The job's file, as its own type, under the name it was made with (any language).

    A job that has no file (running, failed): its page. A file past its time,
    or missing from the storage: the page saying so, with a 410.
    """
    job = _job_in_scope(request, pk)
    if request.method not in READ_METHODS:
        return _not_allowed()
    shown = ShownJob(job)
    if not shown.has_file:
        if shown.state == EXPIRED_STATE:
            return _render_job(request, job, shown)
        return redirect("job_detail", job.pk)
    try:
        handle = job_files.open(job.result_file.name, "rb")
    except FileNotFoundError:
        shown.state = EXPIRED_STATE
        return _render_job(request, job, shown)
    response = FileResponse(handle, content_type=job.result_content_type or None)
    response["Content-Disposition"] = content_disposition(
        job.result_name or f"job-{job.pk}", (job.summary or {}).get("ascii_name")
    )
    # Personal data: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


@cabinet_view
def job_list(request):
    """«Мои файлы»: the user's jobs of the last JOB_FILES_KEEP_HOURS, newest first."""
    if request.method not in READ_METHODS:
        return _not_allowed()
    now = timezone.now()
    since = now - datetime.timedelta(hours=settings.JOB_FILES_KEEP_HOURS)
    jobs = Job.objects.filter(
        organization=request.organization, created_by=request.user, created_at__gte=since
    ).order_by("-created_at", "-pk")[:RECENT_JOBS]
    return render(
        request,
        "cabinet/jobs/list.html",
        {
            "title": _("Мои файлы"),
            "rows": [ShownJob(job, now) for job in jobs],
            "keep_hours": settings.JOB_FILES_KEEP_HOURS,
        },
    )
