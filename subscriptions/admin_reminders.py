"""The admin's read-only log of reminder mails (`manage.py send_reminders`).

Kept apart from admin.py and registered from `SubscriptionsConfig.ready()`.
Rows are written only by the command: deleting one makes the command send
that reminder again on its next run, which is the one edit the admin allows.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.admin_russian import RussianNamesMixin
from subscribers.admin import TamperedIdsMixin

from .admin import LargeListMixin
from .models import ReminderSent, Tariff


class ThresholdFilter(admin.SimpleListFilter):
    """«порог, дней до окончания»: the thresholds the tariffs list (a few rows),
    not a `SELECT DISTINCT` over every reminder ever sent."""

    title = ReminderSent._meta.get_field("threshold_days").verbose_name
    parameter_name = "threshold_days"

    def lookups(self, request, model_admin):
        tariffs = Tariff.objects.exclude(reminder_days="").only("pk", "reminder_days")
        days = {day for tariff in tariffs for day in tariff.reminder_thresholds}
        return [(str(day), str(day)) for day in sorted(days, reverse=True)]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not (value.isascii() and value.isdigit() and len(value) <= 4):
            return queryset.none()
        return queryset.filter(threshold_days=int(value))


@admin.register(ReminderSent)
class ReminderSentAdmin(RussianNamesMixin, LargeListMixin, TamperedIdsMixin, admin.ModelAdmin):
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
    # A table that grows by every reminder sent: 25 rows a page, the order from an
    # index (reminder_sent_order_idx), the years of the hierarchy from MIN/MAX.
    list_filter = [ThresholdFilter, "sent_at"]
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
