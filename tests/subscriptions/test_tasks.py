"""Background tasks through the database queue (django-tasks-db), as production runs them.

The other tests run tasks at once (the immediate backend, test_settings.py);
here `send_reminders` enqueues into the database and `db_worker` runs the
queue: in this process on SQLite and PostgreSQL, and as separate worker
processes on PostgreSQL, where several workers share one queue.
"""

import datetime
import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from subscriptions.models import ReminderSent
from subscriptions.periods import Periodicity
from subscriptions.tasks import send_organization_reminders
from tests import factories

TODAY = datetime.date(2026, 3, 10)
PROJECT = Path(__file__).resolve().parents[2]
# The worker runs as a command in this process; it installs its own SIGINT / SIGTERM handlers.
HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)

pytestmark = pytest.mark.django_db(transaction=True)

# Worker processes need a database they can reach: the SQLite test database lives in
# this process's memory.
requires_a_shared_database = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="worker processes need PostgreSQL (the SQLite test database is in memory); "
    "set DATABASE_URL",
)


@pytest.fixture
def database_queue(settings):
    """The production backend: tasks wait in the database for a worker."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


@pytest.fixture
def worker_signals():
    handlers = {signum: signal.getsignal(signum) for signum in HANDLED_SIGNALS}
    yield
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


@pytest.fixture
def partner_with_a_base_ending_in_ten_days(base_tariff):
    """A partner whose owner has an e-mail and whose one posted base ends on TODAY + 10 days."""
    return _partner_with_a_base_ending_in_ten_days("Демо-партнер", base_tariff)


def _partner_with_a_base_ending_in_ten_days(name, base_tariff):
    organization = factories.OrganizationFactory(name=name)
    owner = factories.UserFactory(email=f"owner-{organization.pk}@example.kz")
    factories.MembershipFactory(organization=organization, user=owner, role="owner")
    period = factories.TariffPeriodFactory(
        tariff=base_tariff, periodicity=Periodicity.DAY, count=100, price=10000
    )
    ends_on = TODAY + datetime.timedelta(days=10)
    base = factories.SubscriptionFactory(
        subscriber=factories.SubscriberFactory(organization=organization),
        tariff=base_tariff,
        period=period,
        starts_on=ends_on - datetime.timedelta(days=period.count - 1),
    )
    return organization, base


def _send_reminders():
    out = StringIO()
    call_command("send_reminders", "--date", TODAY.isoformat(), stdout=out, stderr=StringIO())
    return out.getvalue()


def _run_the_queue_once():
    """`manage.py db_worker --batch`: run every task that is ready, then stop."""
    call_command(
        "db_worker",
        "--batch",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0",
        "--worker-id",
        "test-worker",
        stdout=StringIO(),
    )


def test_reminders_wait_in_the_database_until_a_worker_sends_them(
    database_queue, worker_signals, partner_with_a_base_ending_in_ten_days, mailoutbox
):
    organization, base = partner_with_a_base_ending_in_ten_days

    out = _send_reminders()

    (queued,) = DBTaskResult.objects.all()
    assert queued.status == TaskResultStatus.READY
    assert queued.task_path == send_organization_reminders.module_path
    assert queued.args_kwargs["kwargs"] == {"organization_id": organization.pk, "day": "2026-03-10"}
    assert "Поставлено в очередь задач: 1" in out
    assert mailoutbox == []
    assert not ReminderSent.objects.exists()

    _run_the_queue_once()

    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    assert queued.worker_ids == ["test-worker"]
    owner_email = f"owner-{organization.pk}@example.kz"
    assert queued.return_value == {"recipients": [owner_email], "reminders": {base.number: 14}}
    (message,) = mailoutbox
    assert message.to == [owner_email]
    assert base.number in message.body
    assert list(base.reminders.values_list("threshold_days", flat=True)) == [14]


def test_a_second_task_for_the_same_reminders_sends_nothing(
    database_queue, worker_signals, partner_with_a_base_ending_in_ten_days, mailoutbox
):
    organization, base = partner_with_a_base_ending_in_ten_days
    _send_reminders()
    _send_reminders()  # cron ran twice before any worker did
    assert DBTaskResult.objects.ready().count() == 2

    _run_the_queue_once()

    assert len(mailoutbox) == 1
    results = sorted(
        len(row.return_value["reminders"]) for row in DBTaskResult.objects.successful()
    )
    assert results == [0, 1]


def test_a_task_whose_mail_fails_is_kept_failed_with_its_error_for_the_admin(
    database_queue,
    worker_signals,
    partner_with_a_base_ending_in_ten_days,
    mailoutbox,
    monkeypatch,
    logged_in,
    admin_user,
):
    organization, base = partner_with_a_base_ending_in_ten_days

    def broken_send(self, fail_silently=False):
        raise ConnectionRefusedError("SMTP server is down")

    _send_reminders()
    with monkeypatch.context() as patched:
        patched.setattr(EmailMultiAlternatives, "send", broken_send)
        _run_the_queue_once()

    (failed,) = DBTaskResult.objects.failed()
    assert failed.exception_class_path == "builtins.ConnectionRefusedError"
    assert "SMTP server is down" in failed.traceback
    assert not ReminderSent.objects.exists()
    assert mailoutbox == []

    client = logged_in(admin_user)
    changelist = reverse("admin:django_tasks_database_dbtaskresult_changelist")
    page = client.get(changelist, {"status__exact": TaskResultStatus.FAILED})
    assert page.status_code == 200
    assert "send_organization_reminders" in page.content.decode()
    change = client.get(
        reverse("admin:django_tasks_database_dbtaskresult_change", args=[failed.pk])
    )
    assert change.status_code == 200
    assert "SMTP server is down" in change.content.decode()

    _send_reminders()  # the next run retries
    _run_the_queue_once()

    assert len(mailoutbox) == 1
    assert list(base.reminders.values_list("threshold_days", flat=True)) == [14]


# --- Worker processes on PostgreSQL ------------------------------------------------------


def _worker_process(worker_id, *extra):
    """`manage.py db_worker` as its own process, on the test database, with production settings."""
    database = connection.settings_dict
    address = database["HOST"] + (f":{database['PORT']}" if database["PORT"] else "")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fresh_cabinet.settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD']}@{address}/{database['NAME']}"
        ),
        "DEBUG": "True",
        "LOG_FORMAT": "plain",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
        + ["--interval", "0.1", "--worker-id", worker_id, *extra],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for(condition, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what} after {timeout} s")
        time.sleep(0.1)


def _mails_printed(output):
    return sum(line.startswith("Subject: ") for line in output.splitlines())


def _hold_the_reminder_row(base):
    """Insert `base`'s 14-day ReminderSent row in this process's open transaction: a
    worker sending that reminder waits on the unique index until this transaction ends."""
    ReminderSent.objects.create(subscription=base, threshold_days=14, ends_on=base.ends_on)


@requires_a_shared_database
def test_two_worker_processes_share_the_queue_each_task_run_by_one(database_queue, base_tariff):
    first_partner, first_base = _partner_with_a_base_ending_in_ten_days("Альфа", base_tariff)
    second_partner, _ = _partner_with_a_base_ending_in_ten_days("Бета", base_tariff)
    _send_reminders()  # «Альфа»'s task first, then «Бета»'s
    first_task = DBTaskResult.objects.get(args_kwargs__kwargs__organization_id=first_partner.pk)
    second_task = DBTaskResult.objects.get(args_kwargs__kwargs__organization_id=second_partner.pk)
    workers = []
    try:
        with transaction.atomic():
            _hold_the_reminder_row(first_base)
            workers.append(_worker_process("worker-1", "--batch"))
            _wait_for(
                lambda: DBTaskResult.objects.get(pk=first_task.pk).status == "RUNNING",
                "worker-1 to take «Альфа»'s task",
            )

            # worker-1 is busy: worker-2 takes the next task from the same queue.
            workers.append(_worker_process("worker-2", "--batch"))
            second_output, _ = workers[1].communicate(timeout=180)
            transaction.set_rollback(True)  # worker-1 may go on
        first_output, _ = workers[0].communicate(timeout=180)
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()

    first_task.refresh_from_db()
    second_task.refresh_from_db()
    assert (first_task.status, first_task.worker_ids) == ("SUCCESSFUL", ["worker-1"])
    assert (second_task.status, second_task.worker_ids) == ("SUCCESSFUL", ["worker-2"])
    assert _mails_printed(first_output) == 1
    assert _mails_printed(second_output) == 1
    assert ReminderSent.objects.count() == 2


@requires_a_shared_database
def test_a_task_whose_worker_died_stays_running_and_the_next_run_sends_its_reminders(
    database_queue, partner_with_a_base_ending_in_ten_days
):
    organization, base = partner_with_a_base_ending_in_ten_days
    _send_reminders()
    (lost,) = DBTaskResult.objects.all()
    worker = _worker_process("doomed")
    try:
        with transaction.atomic():
            _hold_the_reminder_row(base)
            _wait_for(
                lambda: DBTaskResult.objects.get(pk=lost.pk).status == "RUNNING",
                "the worker to take the task",
            )
            worker.kill()  # SIGKILL in the middle of the task: its transaction rolls back
            worker.wait()
            transaction.set_rollback(True)
    finally:
        worker.kill()
        worker.wait()

    lost.refresh_from_db()
    assert lost.status == "RUNNING"  # nobody finishes or retries it
    assert not ReminderSent.objects.exists()

    _send_reminders()  # the next run
    worker = _worker_process("survivor", "--batch")
    output, _ = worker.communicate(timeout=180)

    assert _mails_printed(output) == 1
    assert list(base.reminders.values_list("threshold_days", flat=True)) == [14]
    assert DBTaskResult.objects.get(worker_ids=["survivor"]).status == "SUCCESSFUL"
