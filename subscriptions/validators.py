"""Field validators of the subscriptions app."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

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
