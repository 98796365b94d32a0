"""The service owner's view of the partners' billing settings.

Requisites are changed through `billing.services.requisites_save` (the
organization's row locked, the history kept), as in the cabinet. The price
lists are for reading: a partner's owner sets its prices in the cabinet
(«Прайс-лист»), and each change stays in the history with who and when.
"""

from django.contrib import admin
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyHistoryAdmin, ServiceWriteMixin, TamperedIdsMixin
from common.admin_russian import RussianNamesMixin
from common.formatting import format_tenge

from .models import OrganizationRequisites, PartnerPrice
from .services import REQUISITES_FIELDS, requisites_save


@admin.register(OrganizationRequisites)
class OrganizationRequisitesAdmin(
    RussianNamesMixin, ServiceWriteMixin, TamperedIdsMixin, ReadOnlyHistoryAdmin
):
    name_accusative = "реквизиты организации"
    # Counted by the organizations they belong to: «1 организация с реквизитами».
    plural_forms = (
        "организация с реквизитами",
        "организации с реквизитами",
        "организаций с реквизитами",
    )
    list_display = ["organization", "legal_name", "bin", "bank_name", "pays_vat", "updated_at"]
    list_filter = ["pays_vat"]
    search_fields = ["organization__name", "legal_name", "=bin"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (_("Организация"), {"fields": ["organization", "legal_name", "bin", "legal_address"]}),
        (_("Банк"), {"fields": ["bank_name", "bik", "iik", "kbe"]}),
        (_("Подписи"), {"fields": ["director_name", "accountant_name"]}),
        (_("Счета"), {"fields": ["pays_vat", "vat_rate", "invoice_due_days"]}),
        (_("Служебное"), {"fields": ["updated_at"]}),
    ]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        # Codes may be typed with spaces («KZ86 125K …»): the model stores them without
        # (OrganizationRequisites.clean_fields), so the length is checked after that.
        for name in OrganizationRequisites.NORMALIZED_CODES:
            field = form.base_fields.get(name)
            if field is not None:
                field.max_length = None
                field.validators = [
                    v for v in field.validators if not isinstance(v, MaxLengthValidator)
                ]
                field.widget.attrs.pop("maxlength", None)
        return form

    def get_readonly_fields(self, request, obj=None):
        # An organization's requisites stay its own: the organization is chosen once.
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "organization"] if obj is not None else readonly

    def has_delete_permission(self, request, obj=None):
        return False  # invoices print them: corrected, never removed

    def save_through_service(self, request, obj, form, change):
        saved = requisites_save(
            organization=obj.organization,
            data={name: getattr(obj, name) for name in REQUISITES_FIELDS},
            user=request.user,
        )
        obj.pk = saved.pk


@admin.register(PartnerPrice)
class PartnerPriceAdmin(RussianNamesMixin, TamperedIdsMixin, ReadOnlyHistoryAdmin):
    name_accusative = "цену партнера"
    plural_forms = ("цена партнера", "цены партнеров", "цен партнеров")
    list_display = [
        "organization",
        "tariff_name",
        "period_label",
        "price_tenge",
        "service_price_tenge",
        "valid_from",
        "created_by",
        "created_at",
    ]
    list_filter = ["organization", "period__tariff"]
    search_fields = ["organization__name", "period__tariff__name"]
    list_select_related = ["organization", "period__tariff", "created_by"]
    date_hierarchy = "valid_from"
    fields = [
        "organization",
        "period",
        "price_tenge",
        "service_price_tenge",
        "valid_from",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("цена партнера"), ordering="price")
    def price_tenge(self, obj):
        return format_tenge(obj.price) if obj.price is not None else _("по цене сервиса")

    @admin.display(description=_("тариф"), ordering="period__tariff__name")
    def tariff_name(self, obj):
        return obj.period.tariff.name

    @admin.display(description=_("период действия"))
    def period_label(self, obj):
        return obj.period.label

    @admin.display(description=_("цена сервиса"))
    def service_price_tenge(self, obj):
        return format_tenge(obj.period.price)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
