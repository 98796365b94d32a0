from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscribersConfig(AppConfig):
    name = "subscribers"
    verbose_name = _("Партнеры и абоненты")

    def ready(self):
        from django.core.signals import request_finished
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from . import sqlite

        # SQLite only (each receiver checks the vendor): Unicode-aware LIKE and
        # the query planner's statistics kept current.
        connection_created.connect(
            sqlite.install_unicode_like, dispatch_uid="subscribers_unicode_like"
        )
        connection_created.connect(
            sqlite.configure_statistics, dispatch_uid="subscribers_sqlite_statistics"
        )
        request_finished.connect(
            sqlite.optimize_after_request, dispatch_uid="subscribers_sqlite_optimize"
        )
        # Once per migrate (not per app): the statistics of the whole schema.
        post_migrate.connect(
            sqlite.analyze_after_migrate, sender=self, dispatch_uid="subscribers_sqlite_analyze"
        )
