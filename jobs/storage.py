"""Where the jobs' result files are kept: the storage alias `job_files` of STORAGES.

By default a folder on the local disk (`JOB_FILES_ROOT`, see settings and README
«Deploy»), never served by a URL of its own: a file leaves only through the
cabinet's download view, which checks the user's organization. Any Django
storage works (a shared volume, an object store): the jobs use only the
Storage API — save, open, exists, delete.
"""

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

ALIAS = "job_files"


class JobFilesStorage(LazyObject):
    """`storages["job_files"]`, looked up on first use (and again after a settings change)."""

    def _setup(self):
        self._wrapped = storages[ALIAS]


job_files = JobFilesStorage()


def job_files_storage():
    """The FileField's storage (a callable, so that migrations name it, not a folder)."""
    return job_files


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs):
    # Django forgets its storages when STORAGES changes (tests override it); so do we.
    if setting == "STORAGES":
        job_files._wrapped = empty
