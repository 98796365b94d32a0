from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CabinetConfig(AppConfig):
    """The partner's screens over the domain apps; no models of its own."""

    name = "cabinet"
    verbose_name = _("Кабинет партнера")

    def ready(self):
        from jobs.registry import register

        from .exports import EXPORT_JOB_KIND
        from .views.bulk_renewal import BULK_RENEWAL_JOB_KIND

        # Big downloads run as jobs (cabinet/exports.py): the web processes and the
        # workers (`db_worker` loads the apps too) know the kind by its name.
        register(EXPORT_JOB_KIND)
        # «Продление за месяц» in bulk (cabinet/views/bulk_renewal.py).
        register(BULK_RENEWAL_JOB_KIND)
