"""The report's months: «С месяца» / «По месяц»."""

import datetime
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from subscriptions.periods import add_months
from subscriptions.reports import DEFAULT_MONTHS, MAX_MONTHS, MAX_YEAR, MIN_YEAR, months_in

from ..widgets import MONTH_FORMAT, MonthControl

_MONTH_PATTERNS = (
    re.compile(r"^(?P<month>\d{1,2})\.(?P<year>\d{4})$"),  # 11.2026, as the cabinet shows it
    re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$"),  # 2026-11, in older links
)


class MonthField(forms.Field):
    """A month typed as ММ.ГГГГ (or ГГГГ-ММ, as older links have it); cleaned to
    the month's first day and shown as ММ.ГГГГ."""

    widget = MonthControl
    default_error_messages = {
        "invalid": _("Введите месяц в формате ММ.ГГГГ, например 11.2026."),
        "year": _("Год — от %(min)s до %(max)s."),
    }

    def to_python(self, value):
        text = str(value or "").strip()
        if not text:
            return None
        match = next((m for p in _MONTH_PATTERNS if (m := p.match(text))), None)
        if match is None or not 1 <= int(match["month"]) <= 12:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        year = int(match["year"])
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise forms.ValidationError(
                self.error_messages["year"], code="year", params={"min": MIN_YEAR, "max": MAX_YEAR}
            )
        return datetime.date(year, int(match["month"]), 1)


# The default range: 12 months around today's, 5 before it and 6 after. Extensions
# are counted in the month they start, and they are posted from today on (R7),
# so a partner's months ahead are as full as the past ones.
MONTHS_BEFORE_CURRENT = 5
MONTHS_AFTER_CURRENT = DEFAULT_MONTHS - 1 - MONTHS_BEFORE_CURRENT
FIRST_MONTH = datetime.date(MIN_YEAR, 1, 1)
LAST_MONTH = datetime.date(MAX_YEAR, 12, 1)


def default_months(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """(first, last) month of the default range around `today`'s month, moved
    inside the report's years (R18) when today is near their edge."""
    last = min(add_months(today.replace(day=1), MONTHS_AFTER_CURRENT), LAST_MONTH)
    first = max(add_months(last, 1 - DEFAULT_MONTHS), FIRST_MONTH)
    last = min(add_months(first, DEFAULT_MONTHS - 1), LAST_MONTH)
    return first, last


class MonthRangeForm(forms.Form):
    """«С месяца» / «По месяц»; an empty field takes its default.

    Default: 12 months around the current one (`default_months`). At most 36 months.
    """

    from_month = MonthField(label=_("С месяца"), required=False)
    to_month = MonthField(label=_("По месяц"), required=False)

    def __init__(self, data=None, *, today: datetime.date, **kwargs):
        first, last = default_months(today)
        self.defaults = {"from_month": first, "to_month": last}
        # The page shows the months it reports on, also when they were defaults.
        data = (data or {}).copy()
        for name, default in self.defaults.items():
            if not str(data.get(name, "")).strip():
                data[name] = default.strftime(MONTH_FORMAT)
        super().__init__(data, **kwargs)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("from_month"), cleaned.get("to_month")
        if first and last:
            if last < first:
                self.add_error(
                    "to_month",
                    forms.ValidationError(
                        _("«По месяц» не может быть раньше «С месяца»."), code="range_reversed"
                    ),
                )
            elif len(months_in(first, last)) > MAX_MONTHS:
                self.add_error(
                    "to_month",
                    forms.ValidationError(
                        _("Не больше %(max)s месяцев: сократите период (сейчас %(count)s)."),
                        code="range_too_long",
                        params={"max": MAX_MONTHS, "count": len(months_in(first, last))},
                    ),
                )
        return cleaned

    @property
    def first_month(self) -> datetime.date:
        return self.cleaned_data["from_month"]

    @property
    def last_month(self) -> datetime.date:
        return self.cleaned_data["to_month"]
