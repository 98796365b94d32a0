from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = _("Подписки")

    def ready(self):
        from django.db.models.signals import post_delete, post_save, pre_save

        # The reminders' admin lives in its own module (admin.py is the documents' admin).
        from . import (
            admin_reminders,  # noqa: F401
            kept_limits,
        )
        from .models import ExtensionSubscription, Subscription, Tariff

        # Today's limits kept per subscriber follow every write of what they are made of.
        for model in (Subscription, ExtensionSubscription):
            post_save.connect(
                kept_limits.document_saved,
                sender=model,
                dispatch_uid=f"kept_limits_{model.__name__}",
            )
            post_delete.connect(
                kept_limits.document_deleted,
                sender=model,
                dispatch_uid=f"kept_limits_deleted_{model.__name__}",
            )
        post_save.connect(
            kept_limits.subscriber_saved,
            sender="subscribers.Subscriber",
            dispatch_uid="kept_limits_subscriber",
        )
        pre_save.connect(
            kept_limits.tariff_loaded, sender=Tariff, dispatch_uid="kept_limits_tariff_pre"
        )
        post_save.connect(
            kept_limits.tariff_saved, sender=Tariff, dispatch_uid="kept_limits_tariff"
        )
