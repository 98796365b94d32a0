"""Period arithmetic: the one place that turns a start and a period into an end.

A subscription is valid from `starts_on` to `ends_on`, both inclusive; the end
is the day before «start + period». Day-based periodicities add days;
month-based ones add calendar months, where a day the target month lacks
becomes that month's last day (31 January + 1 month = 28/29 February).
"""

import calendar
import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import npgettext

from common.formatting import plural_word


class Periodicity(models.TextChoices):
    DAY = "day", _("день")
    WEEK = "week", _("неделя")
    DECADE = "decade", _("декада")
    MONTH = "month", _("месяц")
    QUARTER = "quarter", _("квартал")
    HALF_YEAR = "half_year", _("полугодие")
    YEAR = "year", _("год")


DAYS_PER_UNIT = {Periodicity.DAY: 1, Periodicity.WEEK: 7, Periodicity.DECADE: 10}
MONTHS_PER_UNIT = {
    Periodicity.MONTH: 1,
    Periodicity.QUARTER: 3,
    Periodicity.HALF_YEAR: 6,
    Periodicity.YEAR: 12,
}


def _plurals(periodicity: str, count: int) -> tuple[tuple[str, str, str], str]:
    """Russian's three forms (one: 1, 21; few: 2-4, 22-24; many: 0, 5-20, 25...)
    and the active language's word for the count (gettext's plural forms)."""
    unit = Periodicity(periodicity)
    if unit == Periodicity.DAY:
        return ("день", "дня", "дней"), npgettext("period", "день", "дней", count)
    if unit == Periodicity.WEEK:
        return ("неделя", "недели", "недель"), npgettext("period", "неделя", "недель", count)
    if unit == Periodicity.DECADE:
        return ("декада", "декады", "декад"), npgettext("period", "декада", "декад", count)
    if unit == Periodicity.MONTH:
        return ("месяц", "месяца", "месяцев"), npgettext("period", "месяц", "месяцев", count)
    if unit == Periodicity.QUARTER:
        return ("квартал", "квартала", "кварталов"), npgettext(
            "period", "квартал", "кварталов", count
        )
    if unit == Periodicity.HALF_YEAR:
        return ("полугодие", "полугодия", "полугодий"), npgettext(
            "period", "полугодие", "полугодий", count
        )
    return ("год", "года", "лет"), npgettext("period", "год", "лет", count)


def describe_period(periodicity: str, count: int) -> str:
    """«1 месяц», «3 месяца», «12 месяцев», «2 недели» (in English «3 months»)."""
    russian_forms, translated = _plurals(periodicity, count)
    return f"{count} {plural_word(count, russian_forms, translated)}"


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by whole calendar months; a missing day becomes the month's last."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last_day))


class PeriodOutOfRange(ValueError):
    """The period would end after the calendar's last day (31.12.9999)."""


def period_start_after(starts_on: datetime.date, periodicity: str, count: int) -> datetime.date:
    """The first day after the period that begins on `starts_on` («start + period»).

    Raises PeriodOutOfRange when that day is past the calendar's end: a start
    typed as 31.12.9999 must become a refusal, never a crash.
    """
    periodicity = Periodicity(periodicity)
    try:
        if periodicity in DAYS_PER_UNIT:
            return starts_on + datetime.timedelta(days=DAYS_PER_UNIT[periodicity] * count)
        return add_months(starts_on, MONTHS_PER_UNIT[periodicity] * count)
    except (OverflowError, ValueError) as exc:
        raise PeriodOutOfRange(f"{starts_on} + {count} {periodicity}") from exc


def period_end(starts_on: datetime.date, periodicity: str, count: int) -> datetime.date:
    """The last day (inclusive) of the period that begins on `starts_on`."""
    return period_start_after(starts_on, periodicity, count) - datetime.timedelta(days=1)


# --- Alignment with a base's day of the month ------------------------------------
# The service recommends starting an extension on the base's day of the month,
# so that the client pays for whole months (DESIGN «Recommendation»).


def months_between(start: datetime.date, day: datetime.date) -> int:
    """Whole calendar months from `start`'s month to `day`'s month."""
    return (day.year - start.year) * 12 + day.month - start.month


def aligned_start(anchor: datetime.date, day: datetime.date) -> datetime.date:
    """The first day ≥ `day` on `anchor`'s day of month (clamped to the month's last day)."""
    months = max(months_between(anchor, day), 0)
    candidate = add_months(anchor, months)
    while candidate < day:
        months += 1
        candidate = add_months(anchor, months)
    return candidate


def is_aligned(anchor: datetime.date, day: datetime.date) -> bool:
    """`day` falls on `anchor`'s day of month (or that month's last day when it lacks it)."""
    return add_months(anchor, months_between(anchor, day)) == day


def recommended_start(
    *, anchor: datetime.date, not_before: datetime.date, last_day: datetime.date
) -> datetime.date:
    """The first aligned day from `not_before`; `not_before` itself when none is left
    by `last_day`."""
    candidate = aligned_start(anchor, not_before)
    return candidate if candidate <= last_day else not_before
