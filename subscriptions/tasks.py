"""Background tasks of the subscriptions domain (django-tasks, database backend).

A task is enqueued as a row in the database (`task.enqueue(...)`) and run by
one of the `manage.py db_worker` processes (README «Deploy»); the tests run it
at once, in the enqueuing thread. How a task here is written:

- Arguments are JSON: ids and ISO dates, never model instances or `clock`
  state — the worker is another process, perhaps on another machine, and runs
  the task later. The task re-reads what it needs and writes through the
  domain's services, with their transactions and locks, as a request would.
- A task can have a twin running at the same moment on another worker (the
  command run twice, a run repeated after a failure): make it idempotent in
  the database, as the reminders' ReminderSent rows are.
- An exception fails the task: the database backend keeps its traceback (the
  admin's «Фоновые задачи»). Nothing retries it, nor a task whose worker died
  (it stays «Running»): the next run of whatever enqueued it covers it.
- Enqueued inside `transaction.atomic()`, the task's row commits or rolls
  back with the work that asked for it.
- Progress the user can reload (bulk work): the task updates a row of the
  domain's own (done / total) that the page reads; the page reads the task's
  state with `the_task.get_result(result_id)`, `result_id` being `.id` of
  what `enqueue()` returned.
"""

import datetime
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_tasks import task

from . import services
from .models import Subscription, TariffPeriod
from .reminders import send_due_reminders


@task()
def send_organization_reminders(organization_id: int, day: str) -> dict:
    """Mail one organization's reminders due on `day` (ISO date: the day of the run),
    one mail per language its recipients chose in the cabinet.

    Returns, for the task's result, the recipients and the subscriptions
    reminded (number → threshold in days); both empty when nothing was sent.
    """
    sent = send_due_reminders(
        organization_id=organization_id, today=datetime.date.fromisoformat(day)
    )
    if sent is None or not sent.reminders:
        return {"recipients": [], "reminders": {}}
    return {
        "recipients": sent.recipients,
        "reminders": {
            reminder.subscription.number: reminder.threshold_days for reminder in sent.reminders
        },
    }


@task()
def refresh_kept_limits(day: str) -> dict:
    """Recompute the kept limits that are not as of `day` (ISO date): the nightly job.

    Idempotent: a row already as of `day` is left alone (subscriptions/kept_limits.py).
    """
    from .kept_limits import refresh

    return {"day": day, "recomputed": refresh(datetime.date.fromisoformat(day))}


# --- «Продление за месяц»: a batch of renewals, one subscriber at a time ---------------------
#
# Run by the cabinet's bulk renewal job (jobs/: its page, its progress, its file), in a
# worker or, for a page of rows, in the request. No task of its own: the job's task
# (`jobs.tasks.run_job`) is the one that runs it.


@dataclass(frozen=True)
class BulkRenewalOutcome:
    """What became of one base of a batch: renewed (the new number) or refused (why)."""

    base_id: int
    base_number: str
    subscriber_name: str
    tariff_name: str
    base_ends_on: datetime.date | None
    renewal_id: int | None = None
    renewal_number: str = ""
    period_label: str = ""
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    carried: int = 0
    reason: str = ""

    @property
    def renewed(self) -> bool:
        return self.renewal_id is not None

    def as_json(self) -> dict:
        data = asdict(self)
        for name in ("base_ends_on", "starts_on", "ends_on"):
            data[name] = data[name].isoformat() if data[name] else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> "BulkRenewalOutcome":
        data = dict(data)
        for name in ("base_ends_on", "starts_on", "ends_on"):
            data[name] = datetime.date.fromisoformat(data[name]) if data.get(name) else None
        return cls(**data)


def batch_renewal_token(batch_token: str, base_id: int) -> uuid.UUID:
    """The one-time token of one base's renewal within a batch: the same batch run twice
    (a twin task, a retry) gets back the renewal it made, never a second one."""
    return uuid.uuid5(uuid.UUID(str(batch_token)), str(base_id))


def renew_bases(
    *,
    organization_id: int,
    items,
    carry: bool,
    user,
    batch_token: str,
    progress: Callable[[], None] | None = None,
) -> Iterator[BulkRenewalOutcome]:
    """Renew each base of `items` — (base pk, period pk or None for its own period), in
    order — through `services.subscription_renew`, carrying the extensions that end
    with it when `carry`: each in its own transaction, under the service's locks and
    rules. A refusal is that row's outcome (the service's words), not the batch's end;
    a base already renewed is refused as the single renewal refuses it. Yields one
    outcome per item, calling `progress()` after each.
    """
    items = [(int(base_id), int(period_id) if period_id else None) for base_id, period_id in items]
    bases = Subscription.objects.filter(
        organization_id=organization_id, pk__in=[base_id for base_id, _ in items]
    ).select_related("subscriber", "tariff", "period")
    bases = {base.pk: base for base in bases}
    periods = TariffPeriod.objects.in_bulk([period_id for _, period_id in items if period_id])
    for base_id, period_id in items:
        base = bases.get(base_id)
        if base is None:
            yield BulkRenewalOutcome(
                base_id=base_id,
                base_number="",
                subscriber_name="",
                tariff_name="",
                base_ends_on=None,
                reason=" ".join(services.document_deleted_error().messages),
            )
        else:
            yield _renew_one(
                base,
                periods.get(period_id) if period_id else base.period,
                carry=carry,
                user=user,
                token=batch_renewal_token(batch_token, base.pk),
            )
        if progress is not None:
            progress()


def _renew_one(base, period, *, carry, user, token) -> BulkRenewalOutcome:
    outcome = {
        "base_id": base.pk,
        "base_number": base.number,
        "subscriber_name": base.subscriber.name,
        "tariff_name": base.tariff.name,
        "base_ends_on": base.ends_on,
        "period_label": period.label if period is not None else "",
    }
    if period is None:  # the chosen period was deleted meanwhile
        return BulkRenewalOutcome(
            **outcome,
            reason=_(
                "Тариф больше не предлагает этот период: обновите страницу и выберите период снова."
            ),
        )
    try:
        renewal = services.subscription_renew(
            subscription=base,
            period=period,
            copy_extensions=carry,
            user=user,
            request_token=token,
        )
    except ValidationError as refusal:
        return BulkRenewalOutcome(**outcome, reason=" ".join(refusal.messages))
    return BulkRenewalOutcome(
        **{**outcome, "period_label": renewal.period_label},
        renewal_id=renewal.pk,
        renewal_number=renewal.number,
        starts_on=renewal.starts_on,
        ends_on=renewal.ends_on,
        carried=renewal.extensions.count(),
    )
