"""Field validators of the subscriptions app."""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.formatting import fmt

# A reminder more than a year ahead says nothing a partner can act on.
MAX_REMINDER_DAYS = 365

# What the database accepts (the CheckConstraint on Tariff): empty, or
# comma-separated whole numbers without leading zeros, no spaces.
REMINDER_DAYS_REGEX = r"^([1-9][0-9]{0,2}(,[1-9][0-9]{0,2})*)?$"


def parse_reminder_days(value: str) -> tuple[int, ...]:
    """«30, 14,3» → (30, 14, 3): distinct, largest first. Raises ValueError on bad input."""
    parts = [part.strip() for part in (value or "").split(",")]
    if parts == [""]:
        return ()
    days = set()
    for part in parts:
        if not part.isascii() or not part.isdigit():
            raise ValueError(part)
        days.add(int(part))
    return tuple(sorted(days, reverse=True))


def normalize_reminder_days(value: str) -> str:
    """The stored form: «3, 30,14» → «30,14,3» (bad input is returned as it is)."""
    try:
        return ",".join(str(day) for day in parse_reminder_days(value))
    except ValueError:
        return value


def validate_reminder_days(value: str) -> None:
    try:
        days = parse_reminder_days(value)
    except ValueError:
        raise ValidationError(
            _(
                "Укажите пороги напоминаний целыми числами дней через запятую, "
                "например «30,14,3», или оставьте поле пустым."
            ),
            code="reminder_days_format",
        ) from None
    if any(day < 1 or day > MAX_REMINDER_DAYS for day in days):
        raise ValidationError(
            _("Порог напоминания — от 1 до %(max)s дней до окончания подписки."),
            code="reminder_days_range",
            params={"max": MAX_REMINDER_DAYS},
        )


# --- R18: the business range of document dates ----------------------------------

# Every date a document has — typed, computed or drawn — lies in these years.
# Wide enough for any real contract (the service started long after 2000; a
# 12-month base started in 2099 is refused only because it would end in 2100),
# narrow enough that a period, a renewal or a picture built from a stored date
# never leaves the calendar (31.12.9999 + a month is no date at all).
BUSINESS_FIRST_DAY = datetime.date(2000, 1, 1)
BUSINESS_LAST_DAY = datetime.date(2099, 12, 31)


def in_business_range(day: datetime.date | None) -> bool:
    return day is None or BUSINESS_FIRST_DAY <= day <= BUSINESS_LAST_DAY


def business_range_error() -> ValidationError:
    return ValidationError(
        _("Дата вне рабочего диапазона сервиса: укажите дату с %(first)s по %(last)s."),
        code="date_out_of_range",
        params={"first": fmt(BUSINESS_FIRST_DAY), "last": fmt(BUSINESS_LAST_DAY)},
    )


def validate_business_date(value) -> None:
    """R18 for a typed date (a document's start, a filter's day, an API parameter)."""
    day = value.date() if isinstance(value, datetime.datetime) else value
    if isinstance(day, datetime.date) and not in_business_range(day):
        raise business_range_error()
