from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    """Long operations a user starts and comes back to: big downloads, bulk work.

    A job is a row the pages read (state, progress, result file) and a
    django-tasks task that does the work in a worker (jobs/tasks.py). The kinds
    of job are registered by the apps that own the work (jobs/registry.py).
    """

    name = "jobs"
    verbose_name = _("Длительные операции")

    def ready(self):
        from . import storage  # noqa: F401  (resets the files' storage when settings change)
