"""Settings for the test suite: the same as production code paths, faster hashing."""

import atexit
import shutil
import tempfile

from .settings import *  # noqa: F403

# Login tests would spend seconds in PBKDF2 otherwise.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
POSTING_LOCK_TIMEOUT_MS = 2000
# Login throttling counts failures in the database and needs a request in
# authenticate(); it is switched on by the tests that exercise it
# (tests/subscribers/test_login_security.py, tests/hostile/).
AXES_ENABLED = False
# Threads in the race tests and the live server open their own connections;
# persistent ones would outlive the test and block dropping the test database.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Tasks run at once, in the thread that enqueues them, so a test sees their
# effects right after `enqueue()`; tests/subscriptions/test_tasks.py switches
# back to the database backend to prove tasks also run through the queue.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# The jobs' files of this test run go to a temporary folder of its own (removed at
# exit), never to var/ in the checkout; tests that look at the files give each
# test a folder (tests/jobs/conftest.py).
_JOB_FILES = tempfile.mkdtemp(prefix="fresh-cabinet-test-job-files-")
atexit.register(shutil.rmtree, _JOB_FILES, ignore_errors=True)
STORAGES["job_files"]["OPTIONS"]["location"] = _JOB_FILES  # noqa: F405
# A test database is thrown away: on PostgreSQL its commits need not wait for the
# disk (the transactional tests and the live server commit thousands of times).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"  # noqa: F405
