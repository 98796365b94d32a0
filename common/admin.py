"""What every admin of the service shares: large-table paging, read-only history
and refusing tampered ids."""

from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from simple_history.admin import SimpleHistoryAdmin


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
        counted = self._estimated_or_counted_rows()
        if counted is not None:
            return counted
        return super().count

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
    rules' homes (services.py, the models' clean() against the stored row)."""

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
    """

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
