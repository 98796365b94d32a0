"""The cross-row rules as pure functions, with a table of boundary days."""

import datetime

import pytest

from subscriptions import rules

D = datetime.date
BASE_START, BASE_END = D(2027, 3, 15), D(2028, 3, 14)


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "refused"),
    [
        (BASE_START, BASE_START, set()),  # R4: equal to the base's start
        (BASE_START - datetime.timedelta(days=1), BASE_START, {"starts_on"}),  # one day before
        (BASE_END, BASE_END, set()),  # R5: equal to the base's end
        (BASE_END - datetime.timedelta(days=10), BASE_END + datetime.timedelta(days=1), {"period"}),
        (
            BASE_START - datetime.timedelta(days=1),
            BASE_END + datetime.timedelta(days=1),
            {"starts_on", "period"},
        ),
    ],
)
def test_extension_within_base(starts_on, ends_on, refused):
    errors = rules.check_extension_within_base(
        starts_on=starts_on, ends_on=ends_on, base_starts_on=BASE_START, base_ends_on=BASE_END
    )
    assert set(errors) == refused


def test_extension_after_base_message_names_the_last_allowed_day():
    errors = rules.check_extension_within_base(
        starts_on=BASE_START,
        ends_on=D(2028, 3, 15),
        base_starts_on=BASE_START,
        base_ends_on=BASE_END,
    )
    error = errors["period"]
    assert error.code == "extension_ends_after_base"
    assert "14.03.2028" in error.message % error.params


TODAY = D(2027, 6, 1)


@pytest.mark.parametrize(
    ("starts_on", "base_is_posted", "base_ends_on", "codes"),
    [
        (TODAY, True, TODAY, set()),  # R6: the base's last day is still allowed; R7: today
        (TODAY + datetime.timedelta(days=1), True, D(2027, 12, 1), set()),
        (TODAY - datetime.timedelta(days=1), True, D(2027, 12, 1), {"extension_starts_in_past"}),
        (TODAY, True, TODAY - datetime.timedelta(days=1), {"base_ended"}),
        (TODAY, False, D(2027, 12, 1), {"base_not_posted"}),
    ],
)
def test_extension_posting_window(starts_on, base_is_posted, base_ends_on, codes):
    errors = rules.check_extension_posting(
        today=TODAY,
        starts_on=starts_on,
        base_number="Т00000001",
        base_is_posted=base_is_posted,
        base_ends_on=base_ends_on,
    )
    assert {e.code for e in errors.values()} == codes


@pytest.mark.parametrize(
    ("quantity", "refused"), [(1, False), (10, False), (11, True), (None, False)]
)
def test_quantity_up_to_the_tariffs_maximum(quantity, refused):
    assert bool(rules.check_quantity(quantity=quantity, max_quantity=10)) is refused


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ((D(2027, 1, 1), D(2027, 1, 31)), (D(2027, 1, 31), D(2027, 2, 28)), True),
        ((D(2027, 1, 1), D(2027, 1, 31)), (D(2027, 2, 1), D(2027, 2, 28)), False),
        ((D(2027, 2, 1), D(2027, 2, 28)), (D(2027, 1, 1), D(2027, 1, 31)), False),
        ((D(2027, 1, 1), D(2027, 12, 31)), (D(2027, 5, 1), D(2027, 5, 1)), True),
    ],
)
def test_ranges_overlap_inclusive(a, b, overlap):
    assert rules.ranges_overlap(*a, *b) is overlap


def test_start_not_after_end():
    assert rules.check_start_not_after_end(D(2027, 1, 1), D(2027, 1, 1)) == {}
    assert rules.check_start_not_after_end(D(2027, 1, 2), D(2027, 1, 1))["starts_on"].code == (
        "ends_before_starts"
    )
