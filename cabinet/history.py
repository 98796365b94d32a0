"""A document's history («История») for its card, read from django-simple-history.

Each record says when, who, why (the service's change reason) and which of the
fields a partner cares about changed. Constant queries: the records with their
users, then the tariffs and periods they mention, whatever the record count.
"""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from common.formatting import fmt, format_tenge
from subscriptions.models import UNTIL_BASE_END_LABEL, Status, Tariff, TariffPeriod

BASE_FIELDS = (
    ("status", _("Состояние")),
    ("tariff", _("Тариф")),
    ("period", _("Период действия")),
    ("starts_on", _("Действует с")),
    ("ends_on", _("Действует по")),
)
EXTENSION_FIELDS = (
    *BASE_FIELDS,
    ("quantity", _("Количество расширений")),
    ("amount", _("Сумма")),
)


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime.datetime
    user: str
    reason: str
    changes: list
    is_creation: bool


def _display(name, value, tariffs, periods) -> str:
    if value is None or value == "":
        return "—"
    if name == "status":
        return str(Status(value).label)
    if name == "tariff":
        tariff = tariffs.get(value)
        return tariff.name if tariff else f"#{value}"
    if name == "period":
        if value == UNTIL_BASE_END:
            return str(UNTIL_BASE_END_LABEL)
        period = periods.get(value)
        return period.label if period else f"#{value}"
    if isinstance(value, datetime.date):
        return fmt(value)
    if name == "amount":
        return format_tenge(value)
    return str(value)


# An extension «до окончания подписки на тариф» has no period: its record shows that instead.
UNTIL_BASE_END = "until_base_end"


def _value(record, name):
    if name == "period" and getattr(record, "until_base_end", False):
        return UNTIL_BASE_END
    # Foreign keys are compared by id: no query per record.
    if name in ("tariff", "period"):
        return getattr(record, f"{name}_id")
    return getattr(record, name)


def document_history(document, fields) -> list[HistoryEntry]:
    """The document's history, newest first."""
    records = list(document.history.select_related("history_user").order_by("history_date", "pk"))
    tariff_ids = {r.tariff_id for r in records}
    period_ids = {r.period_id for r in records}
    tariffs = Tariff.objects.in_bulk(tariff_ids)
    periods = TariffPeriod.objects.in_bulk(period_ids)
    entries = []
    previous = None
    for record in records:
        changes = []
        for name, label in fields:
            new = _value(record, name)
            if previous is None:
                if new not in (None, ""):
                    changes.append(Change(str(label), "", _display(name, new, tariffs, periods)))
                continue
            old = _value(previous, name)
            if old != new:
                changes.append(
                    Change(
                        str(label),
                        _display(name, old, tariffs, periods),
                        _display(name, new, tariffs, periods),
                    )
                )
        user = record.history_user
        entries.append(
            HistoryEntry(
                when=record.history_date,
                user=(user.get_full_name() or user.get_username()) if user else "—",
                reason=record.history_change_reason or record.get_history_type_display(),
                changes=changes,
                is_creation=previous is None,
            )
        )
        previous = record
    entries.reverse()
    return entries
