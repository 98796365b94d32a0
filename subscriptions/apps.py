from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = _("Подписки")

    def ready(self):
        # The reminders' admin lives in its own module (admin.py is the documents' admin).
        from . import admin_reminders  # noqa: F401
