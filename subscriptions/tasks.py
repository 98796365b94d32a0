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

from django_tasks import task

from .reminders import send_due_reminders


@task()
def send_organization_reminders(organization_id: int, day: str) -> dict:
    """Mail one organization's reminders due on `day` (ISO date: the day of the run).

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
