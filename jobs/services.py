"""Every write of the jobs: start, run (progress), finish, fail, purge.

How a job lives:

1. `job_start()` (a request) creates the row, queued, and enqueues the task
   `jobs.tasks.run_job` in the same transaction: both commit, or neither.
2. A worker takes the task: `job_begin()` marks the job running (only a
   queued job: a twin task or a retry finds nothing to do), then the kind's
   `run(JobRun)` does the work. Progress is written by single UPDATE
   statements, each its own short transaction, at most every
   JOB_PROGRESS_INTERVAL_SECONDS — the page reads them while the work goes on,
   and no lock is held between them.
3. `job_finish()` saves the result file into the `job_files` storage and marks
   the job done with the file and its expiry (JOB_FILES_KEEP_HOURS);
   `job_fail()` marks it failed with a message for the user.
4. `jobs_purge()` (`manage.py purge_jobs`, from cron) deletes the files past
   their time, fails the jobs whose worker died, and deletes old rows.

Every state change is a conditional UPDATE (`state=` what it must be now), so
two workers, a purge and a finish can never move a job backwards.
"""

import datetime
import logging
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .models import Job
from .registry import kind_of
from .storage import job_files

logger = logging.getLogger(__name__)


class JobRefused(Exception):
    """Raised by a kind's `run` to fail the job with this message for the user."""


class JobLimitReached(ValidationError):
    """The user already has JOBS_ACTIVE_PER_USER jobs queued or running."""


class JobGone(Exception):
    """The job is no longer running (purged as stalled, deleted): stop the work."""


# --- Start --------------------------------------------------------------------------


def job_start(
    *,
    organization,
    user,
    kind: str,
    parameters: dict,
    reuse_active: bool = True,
    enqueue: bool = True,
) -> Job:
    """Create a queued job of `kind` for `user` of `organization` and enqueue its task.

    With `reuse_active`, the same user's job of the same kind and parameters
    that is still queued or running is returned instead of a second one (a
    double click, a reload of the starting URL). Refused with JobLimitReached
    when the user has JOBS_ACTIVE_PER_USER jobs waiting or running. Without
    `enqueue`, no task is enqueued: the caller runs the job itself with
    `job_run_here()` once this transaction has committed (work small enough
    for the request that starts it, kept as a job for its page and its file).
    """
    from .tasks import run_job

    kind_of(kind)  # an unknown kind is a programming error, not a job that fails later
    with transaction.atomic():
        active = list(
            Job.objects.filter(
                organization=organization, created_by=user, state__in=Job.ACTIVE_STATES
            ).order_by("-created_at", "-pk")
        )
        active = [job for job in active if not job.is_stalled()]
        if reuse_active:
            for job in active:
                if job.kind == kind and job.parameters == parameters:
                    return job
        if len(active) >= settings.JOBS_ACTIVE_PER_USER:
            raise JobLimitReached(
                _(
                    "Уже готовятся файлы, начатые вами раньше (не больше %(count)d сразу). "
                    "Дождитесь их и начните снова."
                )
                % {"count": settings.JOBS_ACTIVE_PER_USER},
                code="too_many_jobs",
            )
        now = timezone.now()
        job = Job(
            organization=organization,
            created_by=user,
            kind=kind,
            parameters=parameters,
            created_at=now,
            updated_at=now,
        )
        job.full_clean()
        job.save()
        if enqueue:
            # Inside the transaction: the worker sees the task only with the job row.
            # (The tests' immediate backend runs the task right here.)
            result = run_job.enqueue(job_id=job.pk)
            Job.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.refresh_from_db()
    return job


def job_run_here(job: Job) -> Job:
    """Run the queued `job` (started with `enqueue=False`) in this process, now: the same
    work, progress, file and end as in a worker (`run_job`). Returns the job as it ended."""
    from .tasks import run_job

    run_job.call(job_id=job.pk)
    job.refresh_from_db()
    return job


# --- Run ----------------------------------------------------------------------------


def job_begin(job_id: int) -> Job | None:
    """Mark the queued job `job_id` running; None when it is not queued (nothing to do)."""
    now = timezone.now()
    taken = Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, started_at=now, updated_at=now
    )
    if not taken:
        return None
    return Job.objects.select_related("organization", "created_by").get(pk=job_id)


class JobRun:
    """What a kind's `run` works with: the job, its progress, its result file.

    `job` is the row as it was when the work began (parameters, organization,
    who started it); read it, never save it — the run's writes go through the
    methods here.
    """

    def __init__(self, job: Job):
        self.job = job
        self.done = 0
        self.total: int | None = None
        self._written_at = 0.0
        self._written_done = -1
        self._file = None
        self._file_path = None
        self.result_name = ""
        self.result_content_type = ""

    # Progress

    def set_total(self, total: int | None) -> None:
        """How many steps the work has (rows, bases): the page's bar fills towards it."""
        self.total = total
        self._write(force=True)

    def advance(self, count: int = 1) -> None:
        """`count` more steps done; written at most every JOB_PROGRESS_INTERVAL_SECONDS."""
        self.done += count
        self._write()

    def counted(self, iterable: Iterable) -> Iterator:
        """`iterable`, advancing the progress by one for each item taken from it."""
        for item in iterable:
            yield item
            self.advance()

    def _write(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._written_at < settings.JOB_PROGRESS_INTERVAL_SECONDS:
            return
        if not force and self.done == self._written_done:
            return
        # One UPDATE, its own transaction (autocommit): the page sees it at once.
        updated = Job.objects.filter(pk=self.job.pk, state=Job.State.RUNNING).update(
            done=self.done, total=self.total, updated_at=timezone.now()
        )
        if not updated:
            raise JobGone(f"job {self.job.pk} is no longer running")
        self._written_at = now
        self._written_done = self.done

    # The result file

    def result_file(self, *, filename: str, content_type: str):
        """A binary file to write the result into: kept as the job's file when `run` returns.

        `filename` is what the user's browser saves it as (any language);
        `content_type` what it is served as. The file is written on local disk
        (the temporary folder) and moved into the `job_files` storage at the end.
        """
        if self._file is not None:
            raise RuntimeError("a job keeps one result file")
        handle, self._file_path = tempfile.mkstemp(prefix=f"job-{self.job.pk}-")
        self._file = os.fdopen(handle, "w+b")
        self.result_name = filename
        self.result_content_type = content_type
        return self._file

    def discard_file(self) -> None:
        if self._file is not None:
            self._file.close()
        if self._file_path and os.path.exists(self._file_path):
            os.unlink(self._file_path)
        self._file = self._file_path = None


def _expiry(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(hours=settings.JOB_FILES_KEEP_HOURS)


def _stored_name(job: Job, filename: str) -> str:
    """The file's name in storage: the job and a random part, never the user's text."""
    extension = os.path.splitext(filename)[1].lower()
    if not extension[1:].isalnum():
        extension = ""
    day = timezone.localdate()
    return f"{day:%Y/%m/%d}/job-{job.pk}-{get_random_string(16)}{extension}"


def job_finish(run: JobRun, summary: dict) -> Job:
    """Mark the run's job done, with its file (if any) kept until JOB_FILES_KEEP_HOURS from now."""
    job = run.job
    name, size = "", None
    if run._file is not None:
        run._file.flush()
        run._file.seek(0, os.SEEK_END)
        size = run._file.tell()
        run._file.seek(0)
        # The file goes into storage before the row names it; outside any transaction,
        # since a file cannot roll back.
        name = job_files.save(_stored_name(job, run.result_name), File(run._file))
        run.discard_file()
    now = timezone.now()
    finished = Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(
        state=Job.State.DONE,
        done=run.done,
        total=max(run.total or 0, run.done),
        result_file=name,
        result_name=run.result_name if name else "",
        result_content_type=run.result_content_type if name else "",
        result_size=size,
        summary=summary or {},
        updated_at=now,
        finished_at=now,
        expires_at=_expiry(now),
    )
    if not finished and name:
        job_files.delete(name)  # given up meanwhile (purged as stalled): no file without a row
    return Job.objects.get(pk=job.pk)


def job_fail(job_id: int, message: str) -> bool:
    """Mark the queued or running job failed with `message` (shown to the user)."""
    now = timezone.now()
    return bool(
        Job.objects.filter(pk=job_id, state__in=Job.ACTIVE_STATES).update(
            state=Job.State.FAILED,
            error=message,
            updated_at=now,
            finished_at=now,
            expires_at=_expiry(now),
        )
    )


# The service's own failure messages are stored as their Russian source text and
# translated when shown (`gettext(job.error)`), so that the reader's language
# decides, not the language of the process that wrote them (cron, a worker).
GENERAL_FAILURE = gettext_noop(
    "Не удалось выполнить операцию из-за ошибки на сервере. Попробуйте еще раз; "
    "если ошибка повторится, сообщите в поддержку сервиса."
)
STALLED = gettext_noop(
    "Операция прервалась: фоновый обработчик остановился, не закончив ее. Запустите ее еще раз."
)
NEVER_STARTED = gettext_noop(
    "Операция так и не началась: фоновый обработчик не работает. "
    "Запустите ее позже или сообщите в поддержку сервиса."
)


# --- Purge --------------------------------------------------------------------------


@dataclass(frozen=True)
class Purged:
    files_deleted: int
    stalled_failed: int
    never_started_failed: int
    rows_deleted: int


def jobs_purge(*, now: datetime.datetime | None = None, dry_run: bool = False) -> Purged:
    """Delete the result files past their `expires_at`, fail the running jobs whose
    worker died (no progress for JOB_STALLED_AFTER_MINUTES) and the queued jobs no
    worker took within JOB_FILES_KEEP_HOURS, and delete the rows finished more than
    JOB_ROWS_KEEP_DAYS ago. Safe to run twice at once: every step is conditional.
    """
    now = now or timezone.now()
    stalled = Job.objects.filter(
        state=Job.State.RUNNING,
        updated_at__lt=now - datetime.timedelta(minutes=settings.JOB_STALLED_AFTER_MINUTES),
    )
    forgotten = Job.objects.filter(
        state=Job.State.QUEUED,
        created_at__lt=now - datetime.timedelta(hours=settings.JOB_FILES_KEEP_HOURS),
    )
    expired = Job.objects.filter(state=Job.State.DONE, expires_at__lte=now).exclude(result_file="")
    old_rows = Job.objects.filter(
        finished_at__lt=now - datetime.timedelta(days=settings.JOB_ROWS_KEEP_DAYS)
    )
    if dry_run:
        return Purged(expired.count(), stalled.count(), forgotten.count(), old_rows.count())

    stalled_count = 0
    for pk in list(stalled.values_list("pk", flat=True)):
        # Still stalled under the condition: a worker that woke up meanwhile wins.
        stalled_count += stalled.filter(pk=pk).update(
            state=Job.State.FAILED,
            error=STALLED,
            updated_at=now,
            finished_at=now,
            expires_at=_expiry(now),
        )
    forgotten_count = 0
    for pk in list(forgotten.values_list("pk", flat=True)):
        forgotten_count += forgotten.filter(pk=pk).update(
            state=Job.State.FAILED,
            error=NEVER_STARTED,
            updated_at=now,
            finished_at=now,
            expires_at=_expiry(now),
        )
    files = 0
    for pk, name in list(expired.values_list("pk", "result_file")):
        # The file first: a row that names a missing file reads as expired anyway,
        # while a file that no row names would be kept forever.
        job_files.delete(name)
        files += Job.objects.filter(pk=pk, result_file=name).update(result_file="")
    for job in old_rows.exclude(result_file="").only("pk", "result_file"):
        job_files.delete(job.result_file.name)
    rows = old_rows.delete()[0]
    return Purged(files, stalled_count, forgotten_count, rows)
