"""The admin's read-only log of reminder mails (`manage.py send_reminders`).

Kept apart from admin.py and registered from `SubscriptionsConfig.ready()`.
Rows are written only by the command: deleting one makes the command send
that reminder again on its next run, which is the one edit the admin allows.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.admin_russian import RussianNamesMixin
from subscribers.admin import TamperedIdsMixin

from .models import ReminderSent


@admin.register(ReminderSent)
class ReminderSentAdmin(RussianNamesMixin, TamperedIdsMixin, admin.ModelAdmin):
    name_accusative = "отправленное напоминание"
    plural_forms = (
        "отправленное напоминание",
        "отправленных напоминания",
        "отправленных напоминаний",
    )
    list_display = [
        "sent_at",
        "subscription",
        "subscriber_name",
        "organization_name",
        "threshold_days",
        "ends_on",
        "recipients",
    ]
    list_filter = ["threshold_days", "sent_at"]
    list_select_related = ["subscription__subscriber__organization", "subscription__tariff"]
    search_fields = [
        "subscription__number",
        "subscription__subscriber__name",
        "subscription__subscriber__code",
        "subscription__subscriber__organization__name",
        "recipients",
    ]
    date_hierarchy = "sent_at"
    readonly_fields = ["subscription", "threshold_days", "ends_on", "recipients", "sent_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("абонент"), ordering="subscription__subscriber__name")
    def subscriber_name(self, obj):
        return obj.subscription.subscriber.name

    @admin.display(
        description=_("обслуживающая организация"),
        ordering="subscription__subscriber__organization__name",
    )
    def organization_name(self, obj):
        return obj.subscription.subscriber.organization.name
