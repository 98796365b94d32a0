"""The service owner's admin for partners, their staff and their subscribers.

Every model with `history` is registered on SimpleHistoryAdmin, so its change
page has «История» (who changed what and when).
"""

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Membership, ServiceOrganization, Subscriber


class LargeTablePaginator(Paginator):
    """An exact count, except for the unfiltered list of a large PostgreSQL table.

    There `COUNT(*)` reads the whole table on every page; the planner's row
    estimate (`pg_class.reltuples`, kept fresh by autovacuum) is used instead.
    Any filter or search, a small table, or SQLite gets the exact count, so the
    numbers a user acts on are always right; only «N всего» on a huge unfiltered
    list is approximate.
    """

    ESTIMATE_FROM_ROWS = 100_000

    @cached_property
    def count(self):
        estimate = self._estimated_rows()
        if estimate is not None and estimate >= self.ESTIMATE_FROM_ROWS:
            return estimate
        return super().count

    def _estimated_rows(self) -> int | None:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or queryset.query.where or queryset.query.is_sliced:
            return None
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                [queryset.model._meta.db_table],
            )
            row = cursor.fetchone()
        # reltuples is -1 for a table never analyzed: fall back to counting.
        return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "role"]
    autocomplete_fields = ["user"]
    extra = 0
    verbose_name = _("сотрудник")
    verbose_name_plural = _("сотрудники")


@admin.register(ServiceOrganization)
class ServiceOrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "bin", "subscriber_count", "created_at"]
    search_fields = ["name", "=bin"]
    readonly_fields = ["created_at"]
    fieldsets = [
        (_("Обслуживающая организация"), {"fields": ["name", "bin"]}),
        (_("Служебное"), {"fields": ["created_at"]}),
    ]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        # One indexed count per listed row, not a GROUP BY over every subscriber.
        per_organization = (
            Subscriber.objects.filter(organization=OuterRef("pk"))
            .order_by()
            .values("organization")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                subscriber_total=Coalesce(
                    Subquery(per_organization, output_field=IntegerField()), Value(0)
                )
            )
        )

    @admin.display(description=_("абонентов"), ordering="subscriber_total")
    def subscriber_count(self, obj):
        return obj.subscriber_total


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "user__last_name", "user__email", "organization__name"]
    list_select_related = ["user", "organization"]
    autocomplete_fields = ["user", "organization"]
    fieldsets = [(_("Сотрудник партнера"), {"fields": ["organization", "user", "role"]})]


@admin.register(Subscriber)
class SubscriberAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "bin_iin", "organization", "city", "phone", "email"]
    list_filter = ["organization"]
    # Exact matches on the codes use their indexes; the name is searched by part.
    search_fields = ["name", "=code", "=bin_iin", "email"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["created_at"]
    fieldsets = [
        (_("Абонент"), {"fields": ["organization", "name", "code", "bin_iin"]}),
        (_("Контакты"), {"fields": ["city", "email", "phone"]}),
        (_("Служебное"), {"fields": ["created_at"]}),
    ]
    show_full_result_count = False
    paginator = LargeTablePaginator
