"""What every admin of the service shares: large-table paging, read-only history,
refusing tampered ids and hostile query strings, and writing through services
with their refusals put back onto the form.

Writes through services: a refusal the form could not foresee (a rule checked
under a row lock, another user's change or deletion meanwhile) comes back from
the service as a `ValidationError` after the form was valid.
`ServiceWriteMixin.save_model()` (and the inlines' saves) turn it into
`LateRefusal`, which leaves the admin's `transaction.atomic()` and so rolls back
everything the request wrote — the object, its inlines, the log entry.
`changeform_view()` then runs the same POST once more with the refusal put onto
the form (next to its field, or on the inline row that caused it); that form is
invalid, so the page is re-rendered with the user's input and the service's own
Russian message, and nothing is saved. A row that another user deleted
meanwhile ends on the list instead, with the service's message.
"""

import json
import re

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin

from .locking import VANISHED_CODES


class LargeTablePaginator(Paginator):
    """An exact count, except for the unfiltered list of a large PostgreSQL table.

    There `COUNT(*)` reads the whole table on every page; the planner's row
    estimate (`pg_class.reltuples`, kept fresh by autovacuum) is used instead.
    A filter or search is counted exactly up to COUNT_UP_TO rows (the count
    stops there: `COUNT(*)` over `LIMIT COUNT_UP_TO + 1`); past that, on
    PostgreSQL, the planner's estimate for the filtered list is shown (one
    `EXPLAIN` more), as for the unfiltered table — «posted documents», a
    month of them, a common name part would otherwise be counted to the last
    of 100,000 rows on every page. A small table, a result of up to 10,000
    rows, or SQLite gets the exact count.
    """

    ESTIMATE_FROM_ROWS = 100_000
    COUNT_UP_TO = 10_000

    @cached_property
    def count(self):
        counted = self._estimated_or_counted_rows()
        if counted is not None:
            return counted
        queryset = self.object_list
        if (
            not isinstance(queryset, QuerySet)
            or queryset.query.is_sliced
            or connections[queryset.db].vendor != "postgresql"
        ):
            return super().count
        counted = queryset.order_by()[: self.COUNT_UP_TO + 1].count()
        if counted <= self.COUNT_UP_TO:
            return counted
        return max(self._planner_rows(queryset), counted)

    def page(self, number):
        """The page's rows, their keys chosen first.

        `SELECT … WHERE pk IN (SELECT pk … ORDER BY … LIMIT 25 OFFSET n)`: the
        keys come from an index alone when it holds the order and the filter
        (the subscribers' `(name, id)`, the documents' `(-starts_on, -id)`), so
        the rows a search or a deep page skips are never read from the table;
        only the page's rows are, with their joins. Still a queryset (the
        list's forms and actions take it as one).
        """
        page = super().page(number)
        rows = page.object_list
        if isinstance(rows, QuerySet) and rows.query.is_sliced and rows.query.order_by:
            page.object_list = self.object_list.filter(pk__in=rows.values("pk"))
        return page

    @staticmethod
    def _planner_rows(queryset) -> int:
        """The planner's estimate of the rows of `queryset` (EXPLAIN, nothing run)."""
        plan = json.loads(queryset.order_by().explain(format="json"))
        return int(plan[0]["Plan"]["Plan Rows"])

    def _unfiltered_postgresql_table(self):
        """The unfiltered queryset's connection and table, or None."""
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or queryset.query.where or queryset.query.is_sliced:
            return None
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        return connection, queryset.model._meta.db_table

    def _estimated_or_counted_rows(self) -> int | None:
        """The estimate for a large table, else the exact count — in one statement.

        So the list runs the same number of queries on a small table as on a
        large one. reltuples is -1 for a table never analyzed: counted too.
        """
        target = self._unfiltered_postgresql_table()
        if target is None:
            return None
        connection, table = target
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN c.reltuples >= %s THEN c.reltuples::bigint "
                f"ELSE (SELECT count(*) FROM {connection.ops.quote_name(table)}) END "
                "FROM pg_class c WHERE c.oid = to_regclass(%s)",
                [self.ESTIMATE_FROM_ROWS, table],
            )
            row = cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def _estimated_rows(self) -> int | None:
        target = self._unfiltered_postgresql_table()
        if target is None:
            return None
        connection, table = target
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table]
            )
            row = cursor.fetchone()
        # reltuples is -1 for a table never analyzed: fall back to counting.
        return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


def search_words(search_term: str) -> list[str]:
    """The words of an admin search, as Django's own search splits them (quotes keep a phrase).

    Each word must match: an admin's `get_search_results()` ANDs a condition per word.
    """
    words = []
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit.strip():
            words.append(bit.strip())
    return words


def _is_id_of(field, value) -> bool:
    """Whether `value` could be a value of `field` (an id in range, not «abc» or «1.5»)."""
    try:
        value = field.to_python(value)
        field.run_validators(value)
    except ValidationError:
        return False
    return value is not None


class SafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete select, re-rendering a tampered value as no choice.

    Django looks the posted value up with `pk__in` when it shows the form
    again; «abc» for an id would be a 500 instead of the form's own «выберите
    корректный вариант».
    """

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        return super().optgroups(name, [v for v in value if _is_id_of(target, v)], attr)


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """History is for reading: restoring an old version would write past the
    rules' homes (services.py, the models' clean() against the stored row).

    25 versions a page, as the lists: each is compared with the one before it
    for its «what changed» column.
    """

    history_list_per_page = 25

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class TamperedIdsMixin:
    """Ids posted to the admin that cannot be ids are refused, never a 500.

    Two places in Django's admin query with posted ids as they came: an
    action's `_selected_action` (filtered with `pk__in`) and an autocomplete
    field shown again on an invalid form. Such values select nothing.

    The list's checkbox that posts `_selected_action` is written out directly:
    Django renders a form widget's template for every row (≈15 % of a 25-row
    list's request), for the same `<input>` (tests/test_admin_lists.py compares
    them).
    """

    def action_checkbox(self, obj):
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    def response_action(self, request, queryset):
        name = helpers.ACTION_CHECKBOX_NAME
        selected = request.POST.getlist(name)
        valid = [value for value in selected if _is_id_of(self.opts.pk, value)]
        if len(valid) != len(selected):
            request.POST = request.POST.copy()
            request.POST.setlist(name, valid)
        return super().response_action(request, queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Hostile query strings -----------------------------------------------------------

# A date hierarchy's parts: Django builds datetime(year, month, day) from them and
# adds a day, a month or a year — 9999 and beyond, or a 20-digit year, is a 500.
_DATE_PART = re.compile(r"__(year|month|day)$")
_DATE_PART_RANGE = {"year": (1, 9998), "month": (1, 12), "day": (1, 31)}


def admin_query_refusal(query) -> str:
    """Why an admin query string cannot be a filter (empty: it can be tried).

    A NUL character anywhere (PostgreSQL refuses it in a text parameter, so a
    filter on `status=%00` fails only when the page is drawn) and a date part
    that is not a small whole number in range. Everything else is Django's own
    concern (`IncorrectLookupParameters` → the list with «?e=1»).
    """
    for key, values in query.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return "NUL in the query string"
        part = _DATE_PART.search(key)
        if part is None:
            continue
        low, high = _DATE_PART_RANGE[part.group(1)]
        for value in values:
            if not (value.isascii() and value.isdigit() and len(value) <= 4):
                return f"{key} is not a number"
            if not low <= int(value) <= high:
                return f"{key} out of range"
    return ""


class AdminQueryGuardMiddleware:
    """Every admin page (every change list, Django's and third-party ones too) answers
    a query string it cannot filter by with 400, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        if match is None or "admin" not in match.namespaces:
            return None
        if reason := admin_query_refusal(request.GET):
            raise BadRequest(reason)
        return None


# --- Writes through services, refusals onto the form ------------------------------------


class LateRefusal(Exception):
    """A service refused a write that the admin form had accepted."""

    def __init__(self, error: ValidationError, *, formset_prefix=None, form_index=None, label=""):
        super().__init__(error)
        self.error = error
        self.formset_prefix = formset_prefix
        self.form_index = form_index
        self.label = label

    @property
    def row_vanished(self) -> bool:
        """The object (not an inline row) was deleted by someone else meanwhile."""
        return self.formset_prefix is None and any(
            getattr(error, "code", None) in VANISHED_CODES for error in _flat(self.error)
        )

    def messages_for_list(self) -> list[str]:
        prefix = f"{self.label}: " if self.label else ""
        return [prefix + message for message in self.error.messages]


def _flat(error: ValidationError) -> list[ValidationError]:
    if hasattr(error, "error_dict"):
        return [e for errors in error.error_dict.values() for e in errors]
    return list(error.error_list)


def add_error_to_form(form, error: ValidationError) -> None:
    """Put a service's error on a form: next to its field when the form shows it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def late_refusal(request) -> LateRefusal | None:
    return getattr(request, "_late_refusal", None)


def refuse_second_write(request) -> None:
    # The second run exists only to show the refusal; its form is invalid, so
    # reaching a write here would be a bug, and it must not save anything.
    if late_refusal(request) is not None:
        raise RuntimeError("the admin tried to write while showing a refusal")


class LateErrorFormMixin:
    """Adds the refusal of the first run to the form of the second run."""

    late_error = None

    def clean(self):
        cleaned_data = super().clean()
        if self.late_error is not None:
            add_error_to_form(self, self.late_error)
        return cleaned_data


class LateErrorFormSetMixin:
    """Adds the refusal of the first run to the inline row that caused it."""

    late_refusal = None

    def clean(self):
        super().clean()
        refusal = self.late_refusal
        if refusal is None or refusal.formset_prefix != self.prefix:
            return
        index = refusal.form_index
        if index is not None and index < len(self.forms):
            row = self.forms[index]
            if not (self.can_delete and self._should_delete_form(row)):
                add_error_to_form(row, refusal.error)
                return
        # A row being deleted is skipped by is_valid(): the error goes above the table.
        raise ValidationError(refusal.messages_for_list())


class LateRefusalInlineMixin:
    """An inline whose formset shows the refusal of the first run on its row."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        refusal = late_refusal(request)
        if refusal is not None and refusal.formset_prefix is not None:
            formset = type(
                formset.__name__, (LateErrorFormSetMixin, formset), {"late_refusal": refusal}
            )
        return formset


def inline_rows(formset):
    """(index, row, existing, deleting) for each row of an inline formset that changes something."""
    initial_count = formset.initial_form_count()
    for index, row in enumerate(formset.forms):
        existing = index < initial_count and row.instance.pk is not None
        deleting = formset.can_delete and formset._should_delete_form(row)
        if not existing and (deleting or not row.has_changed()):
            continue
        if existing and not deleting and not row.has_changed():
            continue
        yield index, row, existing, deleting


class ServiceWriteMixin:
    """A ModelAdmin whose saves and deletions go through services.

    Subclasses implement `save_through_service(request, obj, form, change)` and
    `delete_through_service(request, obj)`; a refusal lands on the form (a
    change), on the page (a deletion) or on the list (bulk deletion: all or
    nothing, in one transaction).
    """

    def save_through_service(self, request, obj, form, change):
        raise NotImplementedError

    def delete_through_service(self, request, obj):
        raise NotImplementedError

    def _list_url(self):
        opts = self.opts
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")

    def _to_list(self, request, refusal: LateRefusal):
        for message in refusal.messages_for_list():
            messages.error(request, message)
        return HttpResponseRedirect(self._list_url())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except LateRefusal as refusal:
            if refusal.row_vanished:
                return self._to_list(request, refusal)
            request._late_refusal = refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        refusal = late_refusal(request)
        if refusal is not None and refusal.formset_prefix is None:
            form = type(form.__name__, (LateErrorFormMixin, form), {"late_error": refusal.error})
        return form

    def save_model(self, request, obj, form, change):
        refuse_second_write(request)
        try:
            self.save_through_service(request, obj, form, change)
        except ValidationError as exc:
            raise LateRefusal(exc) from exc

    def refusal_label(self, obj) -> str:
        """How a refusal of a deletion names the object (on the page and the list)."""
        return str(obj)

    def delete_model(self, request, obj):
        try:
            self.delete_through_service(request, obj)
        except ValidationError as exc:
            raise LateRefusal(exc, label=self.refusal_label(obj)) from exc

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset.order_by("pk"):
                self.delete_model(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except LateRefusal as refusal:
            if refusal.row_vanished:
                return self._to_list(request, refusal)
            for message in refusal.messages_for_list():
                messages.error(request, message)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            )

    def changelist_view(self, request, extra_context=None):
        # Bulk deletion («Удалить выбранные») runs delete_queryset(): one refusal
        # and nothing is deleted.
        try:
            return super().changelist_view(request, extra_context)
        except LateRefusal as refusal:
            return self._to_list(request, refusal)
