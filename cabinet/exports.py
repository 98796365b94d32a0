"""Downloads of the cabinet's tables: «Обслуживаемые абоненты», «Подписки
обслуживаемых абонентов», the window «Подписка» of one subscriber and the
report — each the page's columns and order, every row, filters applied.
"""

import datetime

from django.utils.translation import gettext
from django.utils.translation import gettext as _

from spreadsheets.export import (
    CHUNK_ROWS,
    DATE,
    INTEGER,
    MONEY,
    MONTH,
    TEXT,
    Column,
    export_response,
    filename_for,
)
from subscriptions.reports import Report
from subscriptions.selectors import iter_document_rows, subscriber_window_rows


def subscription_list_columns() -> list[Column]:
    """Columns over selectors.DocumentRow."""
    return [
        Column(_("Номер"), lambda r: r.number, TEXT, 12),
        Column(_("Тип подписки"), lambda r: r.kind_label, TEXT, 15),
        Column(_("Абонент"), lambda r: r.subscriber_name, TEXT, 36),
        Column(_("Тариф"), lambda r: r.tariff_name, TEXT, 22),
        Column(_("Период действия"), lambda r: r.period_label, TEXT, 14),
        Column(_("Действует с"), lambda r: r.starts_on, DATE, 12),
        Column(_("по"), lambda r: r.ends_on, DATE, 12),
        Column(_("Количество"), lambda r: r.quantity, INTEGER, 11),
        Column(_("Состояние"), lambda r: r.status_label, TEXT, 12),
        Column(_("Сумма, ₸"), lambda r: r.amount, MONEY, 14),
    ]


def subscription_list_response(documents, *, today, fmt):
    """`documents`: the page's `organization_documents()` queryset."""
    return export_response(
        fmt=fmt,
        columns=subscription_list_columns(),
        rows=iter_document_rows(documents.iterator(chunk_size=CHUNK_ROWS)),
        filename=filename_for("podpiski", today, fmt),
        sheet_title=_("Подписки"),
    )


def subscriber_subscriptions_columns() -> list[Column]:
    """Columns over selectors.WindowRow."""
    return [
        Column(_("Номер"), lambda r: r.document.number, TEXT, 12),
        Column(_("Тип подписки"), lambda r: r.document.kind_label, TEXT, 15),
        Column(_("К подписке"), lambda r: None if r.is_base else r.base.number, TEXT, 12),
        Column(_("Тариф"), lambda r: r.document.tariff.name, TEXT, 22),
        Column(_("Период действия"), lambda r: r.document.period.label, TEXT, 14),
        Column(_("Действует с"), lambda r: r.document.starts_on, DATE, 12),
        Column(_("по"), lambda r: r.document.ends_on, DATE, 12),
        Column(
            _("Количество расширений"),
            lambda r: None if r.is_base else r.document.quantity,
            INTEGER,
            13,
        ),
        Column(_("Состояние"), lambda r: r.document.get_status_display(), TEXT, 12),
        Column(_("Сумма, ₸"), lambda r: r.document.current_amount, MONEY, 14),
    ]


def subscriber_subscriptions_response(subscriber, *, today, fmt):
    return export_response(
        fmt=fmt,
        columns=subscriber_subscriptions_columns(),
        rows=subscriber_window_rows(subscriber, chunk_size=CHUNK_ROWS),
        filename=filename_for(f"podpiska-{subscriber.code}", today, fmt),
        sheet_title=_("Подписка"),
    )


# --- «Обслуживаемые абоненты» ---------------------------------------------------


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


# --- Report «Расширения по месяцам» ------------------------------------------


def report_columns() -> list[Column]:
    return [
        Column(gettext("Месяц"), lambda r: r.month, MONTH, 16),
        Column(gettext("Тариф"), lambda r: r.tariff_label, TEXT, 30),
        Column(gettext("Документов"), lambda r: r.figures.documents, INTEGER, 12),
        Column(gettext("Количество расширений"), lambda r: r.figures.quantity, INTEGER, 14),
        Column(gettext("Сумма, ₸"), lambda r: r.figures.amount, MONEY, 16),
    ]


def report_response(report: Report, *, today: datetime.date, fmt: str):
    return export_response(
        fmt=fmt,
        columns=report_columns(),
        rows=[*report.rows(), *report.total_rows()],
        filename=filename_for("rasshireniya-po-mesyacam", today, fmt),
        sheet_title=gettext("Расширения по месяцам"),
        emphasize=lambda row: row.is_total,
    )
