"""The life of a job: started, run with progress, finished with its file or failed.

Kinds of job made for these tests (`register_kind`) do small, visible work;
the cabinet's downloads are tested through their pages in tests/cabinet/.
"""

import datetime
import logging

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from jobs.models import Job
from jobs.services import (
    GENERAL_FAILURE,
    JobLimitReached,
    JobRefused,
    job_begin,
    job_fail,
    job_start,
)
from jobs.storage import job_files
from jobs.tasks import run_job

from .conftest import files_in

pytestmark = pytest.mark.django_db


def write_lines(run):
    """A job that writes three lines, one step each, into a text file."""
    run.set_total(3)
    target = run.result_file(filename="Три строки.txt", content_type="text/plain; charset=utf-8")
    for line in run.counted(["один", "два", "три"]):
        target.write(f"{line}\n".encode())
    return {"lines": 3}


def start(organization, user, kind="tests.lines", parameters=None, **options):
    return job_start(
        organization=organization,
        user=user,
        kind=kind,
        parameters=parameters if parameters is not None else {"n": 1},
        **options,
    )


def test_a_started_job_runs_and_keeps_its_file(
    register_kind, organization, operator, job_files_folder, settings
):
    register_kind("tests.lines", write_lines)
    before = timezone.now()

    job = start(organization, operator)

    assert job.state == Job.State.DONE
    assert (job.done, job.total) == (3, 3)
    assert job.summary == {"lines": 3}
    assert job.result_name == "Три строки.txt"
    assert job.result_content_type == "text/plain; charset=utf-8"
    assert job.result_size == len("один\nдва\nтри\n".encode())
    with job_files.open(job.result_file.name, "rb") as stored:
        assert stored.read().decode() == "один\nдва\nтри\n"
    assert files_in(job_files_folder) == [job.result_file.name]
    assert before <= job.started_at <= job.finished_at
    keep = datetime.timedelta(hours=settings.JOB_FILES_KEEP_HOURS)
    assert job.expires_at == job.finished_at + keep
    assert job.task_id  # the django-tasks result it ran as
    assert job.organization == organization and job.created_by == operator


def test_the_stored_name_is_the_services_own_never_the_users_text(
    register_kind, organization, operator
):
    def sneaky(run):
        run.result_file(filename="../../etc/passwd", content_type="text/plain").write(b"x")
        return {}

    register_kind("tests.sneaky", sneaky)

    job = start(organization, operator, kind="tests.sneaky")

    assert ".." not in job.result_file.name
    assert job.result_file.name.startswith(f"{timezone.localdate():%Y/%m/%d}/job-{job.pk}-")
    assert job.result_name == "../../etc/passwd"  # only ever sent as a header, quoted


def test_progress_is_written_while_the_job_runs(
    register_kind, organization, operator, progress_every_step
):
    seen = []

    def counting(run):
        run.set_total(4)
        for _step in run.counted(range(4)):
            row = Job.objects.get(pk=run.job.pk)
            seen.append((row.state, row.done, row.total))
        return {}

    register_kind("tests.counting", counting)

    job = start(organization, operator, kind="tests.counting")

    # What the page reads at each step: running, the steps before this one done.
    assert seen == [("running", n, 4) for n in range(4)]
    assert (job.state, job.done, job.total) == ("done", 4, 4)


def test_progress_is_written_at_most_every_interval(
    register_kind, organization, operator, settings, django_assert_max_num_queries
):
    settings.JOB_PROGRESS_INTERVAL_SECONDS = 3600
    writes = []

    def many_steps(run):
        run.set_total(1000)
        with django_assert_max_num_queries(0) as queries:
            for _step in run.counted(range(1000)):
                pass
        writes.append(len(queries))
        return {}

    register_kind("tests.many", many_steps)

    job = start(organization, operator, kind="tests.many")

    assert writes == [0]  # the first write was set_total's; the next is due in an hour
    assert (job.done, job.total) == (1000, 1000)  # the finish writes the last count


def test_a_refusal_fails_the_job_with_its_message_and_keeps_no_file(
    register_kind, organization, operator, job_files_folder
):
    def refusing(run):
        run.result_file(filename="x.txt", content_type="text/plain").write(b"half")
        raise JobRefused("Абонента больше нет в списке организации.")

    register_kind("tests.refusing", refusing)

    job = start(organization, operator, kind="tests.refusing")

    assert job.state == Job.State.FAILED
    assert job.error == "Абонента больше нет в списке организации."
    assert not job.result_file
    assert job.finished_at is not None and job.expires_at is not None
    assert files_in(job_files_folder) == []


def test_an_error_fails_the_job_with_a_general_message_and_logs_it(
    register_kind, organization, operator, caplog
):
    def broken(run):
        run.set_total(10)
        raise RuntimeError("the database went away")

    register_kind("tests.broken", broken)

    with caplog.at_level(logging.ERROR, logger="jobs.tasks"):
        job = start(organization, operator, kind="tests.broken")

    assert job.state == Job.State.FAILED
    assert job.error == GENERAL_FAILURE  # stored as the source, translated when shown
    assert "the database went away" not in job.error
    assert any("the database went away" in (r.exc_text or "") for r in caplog.records)


def test_a_job_that_is_not_queued_is_left_alone(register_kind, organization, operator):
    """A twin of the task (enqueued twice, retried by hand) finds nothing to do."""
    runs = []
    register_kind("tests.once", lambda run: runs.append(run.job.pk) or {})
    job = start(organization, operator, kind="tests.once")

    result = run_job.call(job.pk)

    assert result == {"job": job.pk, "skipped": True}
    assert runs == [job.pk]
    assert job_begin(job.pk) is None


def test_the_same_job_started_again_while_it_waits_is_the_same_job(
    register_kind, organization, operator, queue_only
):
    register_kind("tests.lines", write_lines)

    first = start(organization, operator, parameters={"q": ["ромашка"]})
    again = start(organization, operator, parameters={"q": ["ромашка"]})
    other = start(organization, operator, parameters={"q": ["лотос"]})

    assert first.state == Job.State.QUEUED
    assert again.pk == first.pk
    assert other.pk != first.pk
    assert Job.objects.count() == 2


def test_a_user_has_at_most_so_many_jobs_waiting_or_running(
    register_kind, organization, operator, owner, queue_only, settings
):
    settings.JOBS_ACTIVE_PER_USER = 2
    register_kind("tests.lines", write_lines)
    start(organization, operator, parameters={"n": 1})
    start(organization, operator, parameters={"n": 2})

    with pytest.raises(JobLimitReached) as refused:
        start(organization, operator, parameters={"n": 3})

    assert refused.value.code == "too_many_jobs"
    assert "не больше 2 сразу" in refused.value.message
    assert Job.objects.count() == 2
    # Another user of the same organization has a limit of its own.
    assert start(organization, owner, parameters={"n": 3}).state == Job.State.QUEUED


def test_a_job_given_up_while_it_runs_stops_and_keeps_no_file(
    register_kind, organization, operator, job_files_folder, progress_every_step
):
    """purge_jobs took the job for dead (its worker was slow): the worker stops at its
    next progress write and its file is never stored."""

    def slow(run):
        target = run.result_file(filename="x.txt", content_type="text/plain")
        run.set_total(3)
        for step in run.counted(range(3)):
            target.write(b"x")
            if step == 0:
                job_fail(run.job.pk, "Операция прервалась.")
        return {}

    register_kind("tests.slow", slow)

    job = start(organization, operator, kind="tests.slow")

    assert job.state == Job.State.FAILED
    assert job.error == "Операция прервалась."
    assert job.done == 0  # the one step it wrote before it was given up
    assert files_in(job_files_folder) == []


def test_an_unknown_kind_is_refused_before_anything_is_written(organization, operator):
    with pytest.raises(LookupError):
        start(organization, operator, kind="tests.nobody-registered-this")

    assert not Job.objects.exists()


# --- The rules of a job row --------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"state": "paused"}, "jobs_job_state_valid"),
        ({"state": "done"}, "jobs_job_finished_when_done_or_failed"),  # no finished_at
        ({"result_file": "2026/12/01/x.csv"}, "jobs_job_file_only_when_done"),
    ],
)
def test_the_database_refuses_a_job_row_that_breaks_a_rule(
    register_kind, organization, operator, queue_only, changes, constraint
):
    register_kind("tests.lines", write_lines)
    job = start(organization, operator)

    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Job.objects.filter(pk=job.pk).update(**changes)


def test_another_organization_never_shares_a_job(
    register_kind, organization, other_organization, operator, other_operator
):
    register_kind("tests.lines", write_lines)
    ours = start(organization, operator)
    theirs = start(other_organization, other_operator)

    assert list(Job.objects.filter(organization=organization)) == [ours]
    assert list(Job.objects.filter(organization=other_organization)) == [theirs]
