"""The one clock: «today» is a day in the service's time zone (Asia/Almaty).

Every rule, form, page, command and task asks `today()`; nothing else reads
the date. Tests move the clock in one place (the autouse `today` fixture of
tests/conftest.py holds it for each test; `today_is()` moves it), and the
change reaches every layer at once.
"""

import contextlib
import datetime

from django.utils import timezone

_fixed_today: datetime.date | None = None


def today() -> datetime.date:
    """The service's current day (TIME_ZONE = Asia/Almaty), or the day tests set."""
    return _fixed_today if _fixed_today is not None else timezone.localdate()


def now() -> datetime.datetime:
    """The moment to stamp on an act whose day a rule counts later (R15 counts the day
    a document was posted): the real moment, or — while tests hold «today» — that day
    at the real local time, so the stamped day and `today()` always agree."""
    moment = timezone.localtime()
    if _fixed_today is None:
        return moment
    return moment.replace(year=_fixed_today.year, month=_fixed_today.month, day=_fixed_today.day)


def set_today(day: datetime.date | None) -> None:
    """Fix «today» (None: follow the real clock again). For tests and `--date` runs."""
    global _fixed_today
    _fixed_today = day


@contextlib.contextmanager
def today_is(day: datetime.date):
    """Within the block «today» is `day`."""
    previous = _fixed_today
    set_today(day)
    try:
        yield day
    finally:
        set_today(previous)
