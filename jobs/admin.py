"""The service owner sees every partner's long operations, read-only.

What ran, for whom, how far it got, how it ended and until when its file is
kept. The work itself is a task in «Фоновые задачи» (the column «фоновая
задача» is its id); files are downloaded only in the cabinet, by the
partner's users.
"""

from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.admin import TamperedIdsMixin
from common.admin_russian import RussianNamesMixin

from .models import Job
from .registry import kind_of


@admin.register(Job)
class JobAdmin(RussianNamesMixin, TamperedIdsMixin, admin.ModelAdmin):
    name_accusative = "длительную операцию"
    plural_forms = ("длительная операция", "длительные операции", "длительных операций")
    list_display = [
        "number",
        "what",
        "organization",
        "created_by",
        "state",
        "progress",
        "created_at",
        "finished_at",
        "expires_at",
        "file_size",
    ]
    list_display_links = ["number", "what"]
    list_filter = ["state", "kind", "organization"]
    list_select_related = ["organization", "created_by"]
    search_fields = ["organization__name", "created_by__username", "result_name", "task_id"]
    fieldsets = [
        (
            _("Операция"),
            {"fields": ["what", "kind", "organization", "created_by", "parameters", "task_id"]},
        ),
        (_("Ход"), {"fields": ["state", "progress", "summary", "shown_error"]}),
        (
            _("Файл"),
            {"fields": ["result_name", "result_content_type", "file_size", "stored_as"]},
        ),
        (
            _("Кто и когда"),
            {"fields": ["created_at", "started_at", "updated_at", "finished_at", "expires_at"]},
        ),
    ]
    readonly_fields = [
        "what",
        "kind",
        "organization",
        "created_by",
        "parameters",
        "task_id",
        "state",
        "progress",
        "summary",
        "shown_error",
        "result_name",
        "result_content_type",
        "file_size",
        "stored_as",
        "created_at",
        "started_at",
        "updated_at",
        "finished_at",
        "expires_at",
    ]

    @admin.display(description="№", ordering="pk")
    def number(self, obj):
        return obj.pk

    @admin.display(description=_("что"))
    def what(self, obj):
        try:
            return kind_of(obj.kind).title(obj)
        except LookupError:
            return obj.kind

    @admin.display(description=_("выполнено"))
    def progress(self, obj):
        done = number_format(obj.done, force_grouping=True)
        if obj.total is None:
            return done
        return f"{done} / {number_format(obj.total, force_grouping=True)}"

    @admin.display(description=_("размер файла"))
    def file_size(self, obj):
        return filesizeformat(obj.result_size) if obj.result_size is not None else "—"

    @admin.display(description=_("файл в хранилище"))
    def stored_as(self, obj):
        # The name only: the folder is served by no URL (files leave through the cabinet).
        return obj.result_file.name or "—"

    @admin.display(description=_("ошибка"))
    def shown_error(self, obj):
        return gettext(obj.error) if obj.error else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
