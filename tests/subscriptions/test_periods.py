import datetime

import pytest

from subscriptions import periods
from subscriptions.periods import add_months, describe_period, period_end

D = datetime.date


@pytest.mark.parametrize(
    ("starts_on", "periodicity", "count", "ends_on"),
    [
        # the issue's own examples
        (D(2027, 3, 15), "month", 1, D(2027, 4, 14)),
        (D(2028, 1, 31), "month", 1, D(2028, 2, 28)),
        # month ends and 29 February
        (D(2027, 1, 31), "month", 1, D(2027, 2, 27)),  # 28 Feb 2027 is "start + 1 month"
        (D(2028, 2, 29), "month", 1, D(2028, 3, 28)),
        (D(2028, 2, 29), "year", 1, D(2029, 2, 27)),  # no 29 Feb 2029: start + 1y = 28 Feb
        (D(2027, 3, 1), "month", 1, D(2027, 3, 31)),
        (D(2027, 12, 1), "month", 1, D(2027, 12, 31)),
        (D(2027, 12, 15), "month", 1, D(2028, 1, 14)),
        (D(2027, 8, 31), "quarter", 1, D(2027, 11, 29)),  # 30 Nov, minus a day
        (D(2027, 8, 31), "half_year", 1, D(2028, 2, 28)),  # 29 Feb 2028, minus a day
        (D(2027, 1, 1), "year", 1, D(2027, 12, 31)),
        (D(2027, 1, 1), "month", 12, D(2027, 12, 31)),
        (D(2027, 5, 31), "month", 3, D(2027, 8, 30)),
        (D(2027, 1, 31), "quarter", 4, D(2028, 1, 30)),
        # day-based periods add days
        (D(2027, 2, 27), "day", 1, D(2027, 2, 27)),
        (D(2028, 2, 28), "day", 2, D(2028, 2, 29)),
        (D(2027, 2, 25), "week", 1, D(2027, 3, 3)),
        (D(2028, 2, 25), "week", 1, D(2028, 3, 2)),
        (D(2027, 12, 25), "decade", 1, D(2028, 1, 3)),
        (D(2027, 1, 1), "decade", 3, D(2027, 1, 30)),
    ],
)
def test_period_end_is_the_day_before_start_plus_period(starts_on, periodicity, count, ends_on):
    assert period_end(starts_on, periodicity, count) == ends_on


def test_add_months_clamps_to_the_last_day_of_the_month():
    assert add_months(D(2027, 1, 31), 1) == D(2027, 2, 28)
    assert add_months(D(2028, 1, 31), 1) == D(2028, 2, 29)
    assert add_months(D(2027, 10, 31), 2) == D(2027, 12, 31)
    assert add_months(D(2027, 11, 30), 3) == D(2028, 2, 29)
    assert add_months(D(2027, 3, 31), -1) == D(2027, 2, 28)


@pytest.mark.parametrize(
    ("periodicity", "count", "text"),
    [
        ("month", 1, "1 месяц"),
        ("month", 3, "3 месяца"),
        ("month", 6, "6 месяцев"),
        ("month", 12, "12 месяцев"),
        ("month", 21, "21 месяц"),
        ("year", 1, "1 год"),
        ("year", 2, "2 года"),
        ("year", 5, "5 лет"),
        ("week", 2, "2 недели"),
        ("day", 11, "11 дней"),
        ("half_year", 1, "1 полугодие"),
        ("decade", 3, "3 декады"),
        ("quarter", 5, "5 кварталов"),
    ],
)
def test_period_is_described_in_russian(periodicity, count, text):
    assert describe_period(periodicity, count) == text


@pytest.mark.parametrize(
    ("anchor", "day", "aligned", "expected"),
    [
        (D(2026, 1, 15), D(2026, 3, 15), True, D(2026, 3, 15)),
        (D(2026, 1, 15), D(2026, 3, 16), False, D(2026, 4, 15)),
        (D(2026, 1, 31), D(2026, 2, 28), True, D(2026, 2, 28)),  # clamped
        (D(2026, 1, 31), D(2026, 3, 1), False, D(2026, 3, 31)),
        (D(2026, 1, 31), D(2028, 2, 29), True, D(2028, 2, 29)),  # leap year
        (D(2026, 6, 10), D(2026, 5, 1), False, D(2026, 6, 10)),  # before the anchor
    ],
)
def test_alignment_with_the_base_day_of_month(anchor, day, aligned, expected):
    assert periods.is_aligned(anchor, day) is aligned
    assert periods.aligned_start(anchor, day) == expected


def test_recommended_start_falls_back_when_no_aligned_day_is_left():
    anchor, last_day = D(2026, 1, 15), D(2026, 12, 20)
    assert periods.recommended_start(
        anchor=anchor, not_before=D(2026, 11, 16), last_day=last_day
    ) == D(2026, 12, 15)
    assert periods.recommended_start(
        anchor=anchor, not_before=D(2026, 12, 16), last_day=last_day
    ) == D(2026, 12, 16)
