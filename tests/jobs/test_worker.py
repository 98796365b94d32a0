"""Jobs through the database queue, as production runs them: the request only
queues the job, a `db_worker` runs it (in this process here, as in
tests/subscriptions/test_tasks.py)."""

import signal
from io import StringIO

import pytest
from django.core.management import call_command
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jobs.models import Job
from jobs.services import GENERAL_FAILURE, job_start
from jobs.tasks import run_job

from .conftest import files_in

pytestmark = pytest.mark.django_db(transaction=True)
HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


@pytest.fixture
def worker_signals():
    """The worker installs its own signal handlers: put the test runner's back."""
    handlers = {signum: signal.getsignal(signum) for signum in HANDLED_SIGNALS}
    yield
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


def run_the_queue_once():
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


def test_a_job_waits_in_the_database_until_a_worker_runs_it(
    database_queue, worker_signals, register_kind, organization, operator, job_files_folder
):
    def two_rows(run):
        run.set_total(2)
        target = run.result_file(filename="Строки.csv", content_type="text/csv")
        for row in run.counted(["a", "b"]):
            target.write(row.encode())
        return {"rows": 2}

    register_kind("tests.rows", two_rows)

    job = job_start(organization=organization, user=operator, kind="tests.rows", parameters={})

    (queued,) = DBTaskResult.objects.all()
    assert job.state == Job.State.QUEUED and job.total is None
    assert str(queued.id) == job.task_id
    assert queued.task_path == run_job.module_path
    assert queued.args_kwargs["kwargs"] == {"job_id": job.pk}
    assert files_in(job_files_folder) == []

    run_the_queue_once()

    job.refresh_from_db()
    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    assert (job.state, job.done, job.total) == (Job.State.DONE, 2, 2)
    assert files_in(job_files_folder) == [job.result_file.name]


def test_a_job_that_breaks_fails_and_its_task_keeps_the_traceback(
    database_queue, worker_signals, register_kind, organization, operator
):
    def broken(run):
        raise ZeroDivisionError("division by zero in the tests")

    register_kind("tests.broken", broken)
    job = job_start(organization=organization, user=operator, kind="tests.broken", parameters={})

    run_the_queue_once()

    job.refresh_from_db()
    (task_row,) = DBTaskResult.objects.all()
    assert (job.state, job.error) == (Job.State.FAILED, GENERAL_FAILURE)
    assert task_row.status == TaskResultStatus.FAILED
    assert "division by zero in the tests" in task_row.traceback
