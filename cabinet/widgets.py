"""The cabinet's date controls: every day reads ДД.ММ.ГГГГ and every month ММ.ГГГГ.

One format in every language and whatever the browser's locale: a native
`<input type="date">` shows the browser's own format (mm/dd/yyyy in an English
Chromium), so the controls are text inputs the server parses itself. ISO
(ГГГГ-ММ-ДД, ГГГГ-ММ) is still accepted, for links and bookmarks, and shown
back in the cabinet's format.

static/cabinet/date_control.js finds the inputs by `data-date-control` and adds
the vendored calendar (static/vendor/vanillajs-datepicker) in the page's
language; without JavaScript the typed text is all there is and the server
accepts it. The format hint is read by screen readers (aria-describedby).
"""

import datetime
import re

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from subscriptions import clock

DATE_FORMAT = "%d.%m.%Y"
# Shown format first; ISO for links, tests and old bookmarks.
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]
MONTH_FORMAT = "%m.%Y"

DATE_PATTERN = r"\s*(\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{1,2}-\d{1,2})\s*"
MONTH_PATTERN = r"\s*(\d{1,2}\.\d{4}|\d{4}-\d{1,2})\s*"

_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_ISO_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def _iso_day(text: str) -> datetime.date | None:
    match = _ISO_DAY.match(text)
    if match is None or int(match[1]) < 1000:  # «01.01.999» would not read back
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _iso_month(text: str) -> datetime.date | None:
    match = _ISO_MONTH.match(text)
    if match is None or int(match[1]) < 1000:
        return None
    try:
        return datetime.date(int(match[1]), int(match[2]), 1)
    except ValueError:  # month 13, year 0: shown back as typed, the field says why
        return None


class _ControlMixin:
    """What both controls share: the attributes, the hint, aria-describedby."""

    kind = ""  # data-date-control: "day" or "month", read by date_control.js
    placeholder = ""
    pattern = ""
    hint = ""  # the format, and the calendar's keys, for screen readers
    invalid_message = ""  # the browser's message for a mistyped value (set by the script)

    def control_attrs(self, attrs) -> dict:
        return {
            "data-date-control": self.kind,
            "data-invalid-message": self.invalid_message,
            "data-label-previous": _("Назад"),
            "data-label-next": _("Вперед"),
            "placeholder": self.placeholder,
            "pattern": self.pattern,
            "inputmode": "numeric",
            "autocomplete": "off",
            "spellcheck": "false",
            **(attrs or {}),
        }

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        # The calendar's «today» is the cabinet's (the one clock), not the browser's.
        widget_attrs["data-today"] = clock.today().isoformat()
        control_id = widget_attrs.get("id")
        if control_id:
            # Django names the field's errors «<id>_error»; the cabinet's
            # templates give that element the id «<id>_errors».
            described = [
                f"{control_id}_errors" if ref == f"{control_id}_error" else ref
                for ref in str(widget_attrs.get("aria-describedby") or "").split()
            ]
            widget_attrs["aria-describedby"] = " ".join([f"{control_id}_format", *described])
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        control_id = self.build_attrs(self.attrs, attrs).get("id")
        if not control_id:
            return html
        return format_html(
            '{}<span class="visually-hidden" id="{}_format">{}</span>', html, control_id, self.hint
        )


class DateControl(_ControlMixin, forms.DateInput):
    """A day typed as ДД.ММ.ГГГГ or picked in the calendar; use with
    `forms.DateField(input_formats=DATE_INPUT_FORMATS)`."""

    input_type = "text"
    kind = "day"
    placeholder = _("ДД.ММ.ГГГГ")
    pattern = DATE_PATTERN
    hint = _(
        "Дата в формате ДД.ММ.ГГГГ. Календарь: стрелки выбирают день, Enter — выбрать, "
        "Esc — закрыть."
    )
    invalid_message = _("Введите дату в формате ДД.ММ.ГГГГ.")

    def __init__(self, attrs=None):
        super().__init__(attrs=self.control_attrs(attrs), format=DATE_FORMAT)

    def format_value(self, value):
        # A value from a link (?starts_on=2026-12-05) reads as the cabinet writes it.
        if isinstance(value, str) and (day := _iso_day(value)) is not None:
            value = day
        return super().format_value(value)


class MonthControl(_ControlMixin, forms.TextInput):
    """A month typed as ММ.ГГГГ or picked in the calendar's months (see MonthField)."""

    kind = "month"
    placeholder = _("ММ.ГГГГ")
    pattern = MONTH_PATTERN
    hint = _(
        "Месяц в формате ММ.ГГГГ. Календарь: стрелки выбирают месяц, Enter — выбрать, "
        "Esc — закрыть."
    )
    invalid_message = _("Введите месяц в формате ММ.ГГГГ, например 11.2026.")

    def __init__(self, attrs=None):
        super().__init__(attrs=self.control_attrs({"maxlength": 7, "size": 8, **(attrs or {})}))

    def format_value(self, value):
        if isinstance(value, datetime.date):
            return value.strftime(MONTH_FORMAT)
        if isinstance(value, str) and (month := _iso_month(value)) is not None:
            return month.strftime(MONTH_FORMAT)
        return super().format_value(value)
