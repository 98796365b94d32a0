"""The service owner sees every organization's API keys and may revoke them.

Keys are issued only in the cabinet, by the organization's owner, because the
plain key is shown once to the person who will use it.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.admin_russian import RussianNamesMixin
from subscribers.admin import TamperedIdsMixin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(RussianNamesMixin, TamperedIdsMixin, admin.ModelAdmin):
    name_accusative = "ключ API"
    plural_forms = ("ключ API", "ключа API", "ключей API")
    list_display = [
        "name",
        "organization",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "organization"]
    list_select_related = ["organization", "created_by"]
    search_fields = ["name", "prefix", "organization__name"]
    readonly_fields = [
        "organization",
        "name",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    fieldsets = [
        (_("Ключ"), {"fields": ["organization", "name", "prefix"]}),
        (_("Кто и когда"), {"fields": ["created_by", "created_at", "last_used_at", "revoked_at"]}),
    ]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Отозвать выбранные ключи"))
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            token.revoke()
        self.message_user(
            request,
            ngettext("Отозван %(count)d ключ.", "Отозвано ключей: %(count)d.", len(tokens))
            % {"count": len(tokens)},
            messages.SUCCESS,
        )
