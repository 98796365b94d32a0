"""«Обслуживаемые абоненты» as a download: the page's columns, every page of rows."""

from django.utils.translation import gettext as _

from spreadsheets.export import (
    CHUNK_ROWS,
    INTEGER,
    TEXT,
    Column,
    export_response,
    filename_for,
)


def subscriber_list_columns() -> list[Column]:
    return [
        Column(_("Код абонента"), lambda s: s.code, TEXT, 15),
        Column(_("Наименование"), lambda s: s.name, TEXT, 40),
        Column(_("БИН/ИИН"), lambda s: s.bin_iin, TEXT, 15),
        Column(_("Город"), lambda s: s.city, TEXT, 18),
        Column(_("Тариф"), lambda s: s.active_tariff_name, TEXT, 22),
        Column(_("Сеансы"), lambda s: s.limit_sessions, INTEGER, 10),
        Column(_("Базы"), lambda s: s.limit_infobases, INTEGER, 10),
    ]


def subscriber_list_response(subscribers, *, today, fmt):
    """`subscribers`: the page's queryset (annotated with limits and the active tariff)."""
    return export_response(
        fmt=fmt,
        columns=subscriber_list_columns(),
        rows=subscribers.iterator(chunk_size=CHUNK_ROWS),
        filename=filename_for("abonenty", today, fmt),
        sheet_title=_("Абоненты"),
    )
