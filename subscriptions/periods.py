"""Period arithmetic: the one place that turns a start and a period into an end.

A subscription is valid from `starts_on` to `ends_on`, both inclusive; the end
is the day before «start + period». Day-based periodicities add days;
month-based ones add calendar months, where a day the target month lacks
becomes that month's last day (31 January + 1 month = 28/29 February).
"""

import calendar
import datetime

from django.db import models
from django.utils.translation import gettext, npgettext
from django.utils.translation import gettext_lazy as _

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


def latest_start_ending_by(last_day: datetime.date, periodicity: str, count: int) -> datetime.date:
    """The latest start from which the period ends on or before `last_day`.

    The end never decreases with the start, so the starts that fit are exactly
    the days up to this one: a month ending by 30.04 starts on 01.04 at the
    latest; a quarter ending by 29.04.2024 on 31.01.2024 (clamped to 30.04, the
    day after).
    """
    periodicity = Periodicity(periodicity)
    first_day_after = last_day + datetime.timedelta(days=1)
    if periodicity in DAYS_PER_UNIT:
        return first_day_after - datetime.timedelta(days=DAYS_PER_UNIT[periodicity] * count)
    months = MONTHS_PER_UNIT[periodicity] * count
    candidate = add_months(first_day_after, -months)
    # Later days of the candidate's month may end on the same day, clamped to a
    # shorter month: a quarter from 30.01.2024 or from 31.01.2024 ends on 29.04.2024.
    while (
        candidate.day < calendar.monthrange(candidate.year, candidate.month)[1]
        and add_months(candidate + datetime.timedelta(days=1), months) <= first_day_after
    ):
        candidate += datetime.timedelta(days=1)
    return candidate


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


# --- A span of days as whole months and days (R16's «до окончания», R14's unused part) ---


# Months counted back from a day never pass the calendar's first year.
MAX_MONTHS_BACK = 12 * 9999


def _months_back(day: datetime.date, months: int) -> datetime.date:
    """`day` moved back by whole calendar months; the calendar's first day when that
    would pass it."""
    try:
        return add_months(day, -months)
    except ValueError:
        return datetime.date.min


def months_and_days(starts_on: datetime.date, ends_on: datetime.date) -> tuple[int, int]:
    """The span from `starts_on` to `ends_on` (both inclusive) as whole calendar months
    and the days left over: 01.03–31.03 is (1, 0), 15.03–26.10 is (7, 12), 15.03–14.03
    the next year is (12, 0).

    The months are counted from the start and, separately, back from the day after
    the end; the count that leaves fewer days wins. Counting one way only breaks on
    the month's last days: a base from 31.03 ends on 30.03 the next year, and an
    extension from 30.04 (its day of the month, clamped) to that end is 11 months —
    counted from 30.04 it would be 11 months and 1 day."""
    if ends_on < starts_on:
        return 0, 0
    months = max(months_between(starts_on, ends_on) - 1, 0)
    while add_months(starts_on, months + 1) <= ends_on + datetime.timedelta(days=1):
        months += 1
    days = (ends_on - add_months(starts_on, months)).days + 1
    try:
        day_after = ends_on + datetime.timedelta(days=1)
    except OverflowError:
        return months, days
    back = max(months_between(starts_on, day_after) - 1, 0)
    while back < MAX_MONTHS_BACK and _months_back(day_after, back + 1) >= starts_on:
        back += 1
    back_days = (_months_back(day_after, back) - starts_on).days
    if back_days < days:
        return back, back_days
    return months, days


def describe_months_and_days(months: int, days: int) -> str:
    """«7 мес. + 12 дн.», «12 мес.», «20 дн.» (abbreviated: no plural forms needed)."""
    parts = []
    if months:
        parts.append(gettext("%(months)s мес.") % {"months": months})
    if days or not months:
        parts.append(gettext("%(days)s дн.") % {"days": days})
    return " + ".join(parts)
