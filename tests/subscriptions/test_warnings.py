"""Warnings that do not block: rules.warn_* on their boundary days, and
subscriptions/warnings.py reading the rows they need. (Pages: tests/cabinet/test_warnings.py.)"""

import datetime
from types import SimpleNamespace

import pytest

from subscriptions import rules
from subscriptions.models import Status
from subscriptions.warnings import extension_warnings, renewal_warnings
from tests import factories

DAY = datetime.timedelta(days=1)
TODAY = datetime.date(2027, 3, 20)


@pytest.mark.parametrize(
    ("ends_on", "warned"),
    [
        (TODAY - 10 * DAY, True),
        (TODAY - DAY, True),  # its last day was yesterday
        (TODAY, False),  # today is its last day: it still gives a day
        (TODAY + 30 * DAY, False),
    ],
)
def test_a_renewal_is_in_the_past_only_when_its_last_day_has_passed(ends_on, warned):
    warnings = rules.warn_renewal_in_past(
        starts_on=ends_on - 30 * DAY, ends_on=ends_on, today=TODAY
    )

    assert ("renewal_in_past" in warnings) is warned
    if warned:
        assert warnings["renewal_in_past"].startswith("Продление целиком в прошлом: с ")


@pytest.mark.parametrize(
    ("starts_on", "is_draft", "warned"),
    [
        (TODAY - DAY, True, True),
        (TODAY, True, False),  # today may be posted (R7)
        (TODAY + DAY, True, False),
        (TODAY - DAY, False, False),  # the form about to post: R7 refuses it instead
    ],
)
def test_a_draft_starting_in_the_past_is_warned(starts_on, is_draft, warned):
    warnings = rules.warn_draft_starts_in_past(starts_on=starts_on, today=TODAY, is_draft=is_draft)

    assert ("draft_starts_in_past" in warnings) is warned
    if warned:
        assert warnings["draft_starts_in_past"] == (
            "Начало в прошлом (19.03.2027): провести расширение нельзя, пока не перенесете "
            "начало на сегодня или позже."
        )


def test_an_overlap_names_the_extensions_it_overlaps():
    posted = SimpleNamespace(number="Р00000042", starts_on=TODAY, ends_on=TODAY + 30 * DAY)

    assert rules.warn_extension_overlaps(tariff_name="Дополнительный сеанс", overlapping=[]) == {}
    text = rules.warn_extension_overlaps(tariff_name="Дополнительный сеанс", overlapping=[posted])[
        "extension_overlaps"
    ]
    assert text.startswith("Уже есть подписка № Р00000042 (20.03.2027–19.04.2027)")
    assert "«Дополнительный сеанс» на эти даты — добавить еще?" in text


# --- From the rows ----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_extension_is_warned_of_a_posted_one_of_its_tariff_sharing_a_day(
    sessions_extension, base_twelve_months, session_tariff, infobase_tariff, today
):
    month = session_tariff.periods.get(count=1)

    def draft(**values):
        values = {
            "subscription": base_twelve_months,
            "tariff": session_tariff,
            "period": month,
            "starts_on": today,
            "status": Status.DRAFT,
            **values,
        }
        return factories.ExtensionFactory(**values)

    assert "extension_overlaps" in extension_warnings(
        draft(starts_on=sessions_extension.ends_on), today=today, draft=True
    )
    # the day after it ends, another tariff, or the posted one itself: nothing to say
    for quiet in (
        draft(starts_on=sessions_extension.ends_on + DAY),
        draft(tariff=infobase_tariff, period=infobase_tariff.periods.get(count=1)),
        sessions_extension,
    ):
        assert extension_warnings(quiet, today=today, draft=False) == {}


@pytest.mark.django_db
def test_a_draft_extension_is_warned_of_its_past_start(base_twelve_months, session_tariff, today):
    past = factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today - 5 * DAY,
        status=Status.DRAFT,
    )

    assert list(extension_warnings(past, today=today, draft=True)) == ["draft_starts_in_past"]


def test_renewal_warnings_are_the_rules():
    assert renewal_warnings(
        starts_on=TODAY - 40 * DAY, ends_on=TODAY - 10 * DAY, today=TODAY
    ) == rules.warn_renewal_in_past(
        starts_on=TODAY - 40 * DAY, ends_on=TODAY - 10 * DAY, today=TODAY
    )


def test_once_posted_an_overlap_says_what_was_added_and_how_to_take_it_back():
    posted = SimpleNamespace(number="Р00000042", starts_on=TODAY, ends_on=TODAY + 30 * DAY)

    text = rules.warn_extension_overlaps(
        tariff_name="Дополнительный сеанс", overlapping=[posted], posted=True
    )["extension_overlaps"]

    assert text.startswith("На эти даты уже была подписка № Р00000042 (20.03.2027–19.04.2027)")
    assert "отмените ее проведение сегодня" in text
