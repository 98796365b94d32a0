import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from subscribers.models import ServiceOrganization

from .storage import job_files_storage


class Job(models.Model):
    """A long operation a partner user started: a big download, a bulk renewal.

    The row is what the pages read — the state, the progress (`done` of
    `total`), the result — so that the page survives a reload and any app
    server can show it; the work runs in a background worker (jobs/tasks.py)
    and writes here only in short statements (jobs/services.py).

    Invariants: `state` is one of `State`; a queued or running job has no
    `finished_at`, a done or failed one has it; only a done job has a result
    file, kept until `expires_at`, after which `purge_jobs` deletes the file
    (the row stays a while, for the admin). The job belongs to one
    organization: another organization's user never sees it (a 404).
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("в очереди")
        RUNNING = "running", _("выполняется")
        DONE = "done", _("готово")
        FAILED = "failed", _("ошибка")

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)
    FINISHED_STATES = (State.DONE, State.FAILED)

    organization = models.ForeignKey(
        ServiceOrganization,
        on_delete=models.CASCADE,
        related_name="jobs",
        verbose_name=_("обслуживающая организация"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кто запустил"),
    )
    kind = models.CharField(_("вид"), max_length=64)
    parameters = models.JSONField(
        _("параметры"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    state = models.CharField(
        _("состояние"), max_length=16, choices=State.choices, default=State.QUEUED
    )
    done = models.PositiveIntegerField(_("выполнено"), default=0)
    total = models.PositiveIntegerField(_("всего"), null=True, blank=True)
    result_file = models.FileField(_("файл"), storage=job_files_storage, max_length=255, blank=True)
    result_name = models.CharField(_("имя файла"), max_length=200, blank=True)
    result_content_type = models.CharField(_("тип файла"), max_length=100, blank=True)
    result_size = models.PositiveBigIntegerField(_("размер файла, байт"), null=True, blank=True)
    summary = models.JSONField(_("итог"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    error = models.TextField(_("ошибка"), blank=True)
    task_id = models.CharField(_("фоновая задача"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("запущена"), default=timezone.now)
    started_at = models.DateTimeField(_("начата"), null=True, blank=True)
    # The worker's last sign of life (every progress write): a running job whose
    # worker died stops changing it (see `is_stalled`).
    updated_at = models.DateTimeField(_("обновлена"), default=timezone.now)
    finished_at = models.DateTimeField(_("завершена"), null=True, blank=True)
    expires_at = models.DateTimeField(_("хранится до"), null=True, blank=True)

    class Meta:
        verbose_name = _("длительная операция")
        verbose_name_plural = _("длительные операции")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # A user's recent jobs (the cabinet's list, the twin of a new job).
            models.Index(
                fields=["organization", "created_by", "-created_at"], name="jobs_job_user_recent"
            ),
            # purge_jobs: files past their time, stalled and forgotten jobs.
            models.Index(fields=["state", "expires_at"], name="jobs_job_state_expires"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["queued", "running", "done", "failed"]),
                name="jobs_job_state_valid",
                violation_error_code="state_invalid",
            ),
            models.CheckConstraint(
                condition=(~Q(state__in=["queued", "running"]) | Q(finished_at__isnull=True))
                & (~Q(state__in=["done", "failed"]) | Q(finished_at__isnull=False)),
                name="jobs_job_finished_when_done_or_failed",
                violation_error_code="finished_at_state",
            ),
            models.CheckConstraint(
                condition=Q(state="done") | Q(result_file=""),
                name="jobs_job_file_only_when_done",
                violation_error_code="file_not_done",
            ),
        ]

    def __str__(self):
        return f"{self.kind} №{self.pk} ({self.get_state_display()})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED_STATES

    @property
    def percent(self) -> int | None:
        """Whole percent done, None while the total is unknown."""
        if not self.total:
            return None if self.total is None else 100
        return min(100, self.done * 100 // self.total)

    def is_stalled(self, now: datetime.datetime | None = None) -> bool:
        """Running, and its worker not heard of for JOB_STALLED_AFTER_MINUTES: the worker died
        (killed, machine lost) and nothing will finish the job. A queued job only waits."""
        if self.state != self.State.RUNNING:
            return False
        now = now or timezone.now()
        limit = datetime.timedelta(minutes=settings.JOB_STALLED_AFTER_MINUTES)
        return now - self.updated_at > limit

    def is_expired(self, now: datetime.datetime | None = None) -> bool:
        """Finished and past `expires_at`: its file is no longer offered."""
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def has_file(self) -> bool:
        return self.state == self.State.DONE and bool(self.result_file.name)
