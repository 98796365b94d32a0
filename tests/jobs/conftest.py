"""What the jobs' tests share: a folder of files per test, kinds of job made for
the tests, and the two ways a job runs (at once, or waiting for a worker)."""

import pytest

from jobs import registry
from jobs.registry import JobKind
from jobs.storage import ALIAS


@pytest.fixture(autouse=True)
def job_files_folder(settings, tmp_path):
    """The jobs' files of this test, in a folder of its own (returned)."""
    folder = tmp_path / "job_files"
    settings.STORAGES = {
        **settings.STORAGES,
        ALIAS: {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        },
    }
    return folder


@pytest.fixture
def progress_every_step(settings):
    """Every step of a job's progress is written (no interval between writes)."""
    settings.JOB_PROGRESS_INTERVAL_SECONDS = 0


@pytest.fixture
def queue_only(settings):
    """Tasks wait (in memory) instead of running at once: a started job stays queued."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def register_kind(monkeypatch):
    """register_kind(name, run, **options) → a JobKind known for this test only."""

    def register(name, run, **options):
        kind = JobKind(name=name, run=run, title=options.pop("title", lambda job: name), **options)
        monkeypatch.setitem(registry._KINDS, name, kind)
        return kind

    return register


def files_in(folder) -> list:
    """The files kept under `folder`, relative paths, sorted."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
