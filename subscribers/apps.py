from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscribersConfig(AppConfig):
    name = "subscribers"
    verbose_name = _("Партнеры и абоненты")

    def ready(self):
        from django.db.backends.signals import connection_created

        from .sqlite import install_unicode_like

        connection_created.connect(install_unicode_like, dispatch_uid="subscribers_unicode_like")
