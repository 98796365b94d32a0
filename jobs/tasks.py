"""The jobs' background tasks (django-tasks; run by `manage.py db_worker`).

`run_job` runs any registered kind of job (jobs/registry.py) for one job row;
`purge_jobs` is the cleanup that `manage.py purge_jobs --enqueue` hands to a
worker. Arguments are ids (JSON), as every task of the project's.
"""

import logging

from django.conf import settings
from django.utils import translation
from django_tasks import task

from .registry import kind_of
from .services import (
    GENERAL_FAILURE,
    JobGone,
    JobRefused,
    JobRun,
    job_begin,
    job_fail,
    job_finish,
    jobs_purge,
)

logger = logging.getLogger(__name__)


@task()
def run_job(job_id: int) -> dict:
    """Run the job `job_id`: its kind's work, its progress, its file; done or failed.

    A job that is not queued (its twin ran it, it was given up) is left alone.
    A refusal (`JobRefused`) fails the job with its message; any other error
    fails it with a general message and fails the task too, with the traceback
    (the admin's «Фоновые задачи»).
    """
    job = job_begin(job_id)
    if job is None:
        return {"job": job_id, "skipped": True}
    run = JobRun(job)
    language = job.parameters.get("language") or settings.LANGUAGE_CODE
    try:
        with translation.override(language):
            kind = kind_of(job.kind)
            summary = kind.run(run)
            finished = job_finish(run, summary)
    except JobGone:
        logger.warning("job %s was given up while it ran", job_id)
        return {"job": job_id, "gone": True}
    except JobRefused as refusal:
        job_fail(job_id, str(refusal))
        return {"job": job_id, "failed": str(refusal)}
    except Exception:
        logger.exception("job %s (%s) failed", job_id, job.kind)
        job_fail(job_id, GENERAL_FAILURE)
        raise
    finally:
        run.discard_file()
    return {"job": job_id, "state": finished.state, "done": finished.done, **finished.summary}


@task()
def purge_jobs() -> dict:
    """`jobs_purge()` in a worker: expired files, stalled and forgotten jobs, old rows."""
    purged = jobs_purge()
    return {
        "files_deleted": purged.files_deleted,
        "stalled_failed": purged.stalled_failed,
        "never_started_failed": purged.never_started_failed,
        "rows_deleted": purged.rows_deleted,
    }
