"""The service owner's admin for partners, their staff and their subscribers.

Every model with `history` is registered on SimpleHistoryAdmin, so its change
page has «История» (who changed what and when). Partners and subscribers are
written and deleted through `subscribers/services.py` (their row locked, «in
use» checked under the lock); a refusal lands on the form or the page.
"""

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from common.admin import (
    LargeTablePaginator,
    ReadOnlyHistoryAdmin,
    ServiceWriteMixin,
    TamperedIdsMixin,
    search_words,
)
from common.admin_russian import RussianNamesMixin

from .models import Membership, ServiceOrganization, Subscriber
from .selectors import subscriber_search_q
from .services import (
    organization_delete,
    organization_save,
    subscriber_delete,
    subscriber_save,
)


class MembershipInline(TamperedIdsMixin, admin.TabularInline):
    model = Membership
    fields = ["user", "role", "language"]
    autocomplete_fields = ["user"]
    extra = 0
    verbose_name = _("сотрудник")
    verbose_name_plural = _("сотрудники")
    name_accusative = "сотрудника"


@admin.register(ServiceOrganization)
class ServiceOrganizationAdmin(
    RussianNamesMixin, ServiceWriteMixin, TamperedIdsMixin, ReadOnlyHistoryAdmin
):
    name_accusative = "обслуживающую организацию"
    plural_forms = (
        "обслуживающая организация",
        "обслуживающие организации",
        "обслуживающих организаций",
    )
    list_display = ["name", "bin", "subscriber_count", "created_at"]
    list_per_page = 25  # each row counts its subscribers (an index-only count)
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

    def save_through_service(self, request, obj, form, change):
        organization_save(organization=obj, user=request.user)

    def delete_through_service(self, request, obj):
        organization_delete(organization=obj, user=request.user)


@admin.register(Membership)
class MembershipAdmin(RussianNamesMixin, TamperedIdsMixin, ReadOnlyHistoryAdmin):
    name_accusative = "сотрудника партнера"
    plural_forms = ("сотрудник партнера", "сотрудника партнеров", "сотрудников партнеров")
    list_display = ["user", "organization", "role", "language"]
    list_filter = ["role", "language", "organization"]
    search_fields = ["user__username", "user__last_name", "user__email", "organization__name"]
    list_select_related = ["user", "organization"]
    autocomplete_fields = ["user", "organization"]
    fieldsets = [
        (_("Сотрудник партнера"), {"fields": ["organization", "user", "role", "language"]})
    ]


@admin.register(Subscriber)
class SubscriberAdmin(RussianNamesMixin, ServiceWriteMixin, TamperedIdsMixin, ReadOnlyHistoryAdmin):
    name_accusative = "абонента"
    plural_forms = ("абонент", "абонента", "абонентов")
    list_display = ["name", "code", "bin_iin", "organization", "city", "phone", "email"]
    list_filter = ["organization"]
    # Searched as in the cabinet, from indexes (get_search_results); the e-mail too.
    search_fields = ["name", "=code", "=bin_iin", "email"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["created_at"]
    fieldsets = [
        (_("Абонент"), {"fields": ["organization", "name", "code", "bin_iin"]}),
        (_("Контакты"), {"fields": ["city", "email", "phone"]}),
        (_("Для счетов"), {"fields": ["legal_address", "invoice_email"]}),
        (_("Служебное"), {"fields": ["created_at"]}),
    ]
    # 25 rows, the count one statement at any size, sorted by name from an index
    # (subscriber_name_pk_idx: the model's ordering, name then id).
    list_per_page = 25
    show_full_result_count = False
    paginator = LargeTablePaginator

    def get_search_results(self, request, queryset, search_term):
        """Each word finds subscribers as the cabinet's search does — a part of the
        name (a trigram index on PostgreSQL), the start of the code or the BIN/IIN
        (their indexes) — or, with an «@», a part of the e-mail.

        Django's own search would compare UPPER(code) and every e-mail in one OR,
        which no index serves: the code search read all 100,000 subscribers.
        Used by the list and by the subscriber autocomplete of the documents.
        """
        for word in search_words(search_term):
            condition = subscriber_search_q(word)
            if "@" in word:
                condition |= Q(email__icontains=word)
            queryset = queryset.filter(condition)
        return queryset, False

    def save_through_service(self, request, obj, form, change):
        subscriber_save(subscriber=obj, user=request.user)

    def delete_through_service(self, request, obj):
        subscriber_delete(subscriber=obj, user=request.user)
