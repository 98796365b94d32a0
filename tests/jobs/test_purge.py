"""`manage.py purge_jobs`: files past their time go, and so do dead and forgotten jobs."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from jobs.models import Job
from jobs.services import NEVER_STARTED, STALLED, job_begin, job_start, jobs_purge
from jobs.tasks import purge_jobs

from .conftest import files_in

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def one_line(run):
    run.result_file(filename="Файл.csv", content_type="text/csv").write(b"a;b\r\n")
    return {}


@pytest.fixture
def kinds(register_kind):
    register_kind("tests.file", one_line)


def finished_job(organization, user, n=1):
    return job_start(organization=organization, user=user, kind="tests.file", parameters={"n": n})


def test_a_file_past_its_time_is_deleted_and_its_job_stays_listed(
    kinds, organization, operator, job_files_folder, settings
):
    old = finished_job(organization, operator, 1)
    fresh = finished_job(organization, operator, 2)
    keep = datetime.timedelta(hours=settings.JOB_FILES_KEEP_HOURS)
    now = old.finished_at + keep  # the first file's last moment
    Job.objects.filter(pk=fresh.pk).update(expires_at=now + HOUR)

    purged = jobs_purge(now=now)

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert purged.files_deleted == 1
    assert not old.result_file and old.state == Job.State.DONE  # the row stays, for the admin
    assert old.result_size is not None  # what the file was
    assert fresh.result_file
    assert files_in(job_files_folder) == [fresh.result_file.name]


def test_a_running_job_whose_worker_died_is_failed(
    kinds, organization, operator, queue_only, settings
):
    job = finished_job(organization, operator)  # queued: tasks wait in this test
    job_begin(job.pk)
    job.refresh_from_db()
    stalled_at = job.updated_at + datetime.timedelta(minutes=settings.JOB_STALLED_AFTER_MINUTES)

    nothing_yet = jobs_purge(now=stalled_at)
    purged = jobs_purge(now=stalled_at + datetime.timedelta(seconds=1))

    job.refresh_from_db()
    assert nothing_yet.stalled_failed == 0
    assert purged.stalled_failed == 1
    assert (job.state, job.error) == (Job.State.FAILED, STALLED)


def test_a_queued_job_no_worker_took_is_failed_after_the_keeping_time(
    kinds, organization, operator, queue_only, settings
):
    job = finished_job(organization, operator)
    keep = datetime.timedelta(hours=settings.JOB_FILES_KEEP_HOURS)

    waiting = jobs_purge(now=job.created_at + keep - HOUR)
    purged = jobs_purge(now=job.created_at + keep + HOUR)

    job.refresh_from_db()
    assert waiting.never_started_failed == 0
    assert purged.never_started_failed == 1
    assert (job.state, job.error) == (Job.State.FAILED, NEVER_STARTED)
    # The task, when a worker finally runs it, finds nothing to do.
    from jobs.tasks import run_job

    assert run_job.call(job.pk) == {"job": job.pk, "skipped": True}


def test_old_rows_are_deleted_with_any_file_they_still_name(
    kinds, organization, operator, job_files_folder, settings
):
    old = finished_job(organization, operator, 1)
    recent = finished_job(organization, operator, 2)
    now = old.finished_at + datetime.timedelta(days=settings.JOB_ROWS_KEEP_DAYS, seconds=1)
    Job.objects.filter(pk=recent.pk).update(finished_at=now, expires_at=now + HOUR)

    purged = jobs_purge(now=now)

    assert purged.rows_deleted == 1
    assert list(Job.objects.all()) == [recent]
    assert files_in(job_files_folder) == [recent.result_file.name]


def test_a_dry_run_changes_nothing(kinds, organization, operator, job_files_folder, settings):
    job = finished_job(organization, operator)
    later = job.finished_at + datetime.timedelta(hours=settings.JOB_FILES_KEEP_HOURS + 1)

    out = StringIO()
    call_command("purge_jobs", "--dry-run", stdout=out)
    counted = jobs_purge(now=later, dry_run=True)

    assert "--dry-run" in out.getvalue()
    assert counted.files_deleted == 1
    job.refresh_from_db()
    assert job.result_file
    assert files_in(job_files_folder) == [job.result_file.name]


def test_the_command_reports_what_it_did(kinds, organization, operator, job_files_folder):
    job = finished_job(organization, operator)
    Job.objects.filter(pk=job.pk).update(expires_at=timezone.now() - HOUR)

    out = StringIO()
    call_command("purge_jobs", stdout=out)

    assert "Удалено файлов: 1" in out.getvalue()
    assert "Удалено старых записей: 0" in out.getvalue()
    assert files_in(job_files_folder) == []


def test_the_cleanup_runs_as_a_task_too(kinds, organization, operator, job_files_folder):
    job = finished_job(organization, operator)
    Job.objects.filter(pk=job.pk).update(expires_at=timezone.now() - HOUR)

    result = purge_jobs.enqueue()  # the tests' backend runs it at once

    assert result.return_value["files_deleted"] == 1
    assert files_in(job_files_folder) == []
