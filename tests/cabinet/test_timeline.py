"""The base card's timeline: lanes, geometry, today's mark, the summary."""

import datetime

import pytest
from django.template.loader import render_to_string

from common.formatting import fmt
from subscriptions.periods import add_months
from tests import factories

DAY = datetime.timedelta(days=1)


def test_timeline_puts_consecutive_extensions_in_one_lane_and_marks_today(
    subscriber, base_tariff, session_tariff, today
):
    from cabinet.timeline import build_timeline

    base = factories.SubscriptionFactory(
        subscriber=subscriber, tariff=base_tariff, period=base_tariff.periods.get(count=12)
    )
    first = factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=6),
        starts_on=base.starts_on,
    )
    second = factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=3),
        starts_on=first.ends_on + DAY,
    )

    timeline = build_timeline(base, [second, first], today)

    assert [bar.lane for bar in timeline.bars] == [0, 0]
    left, right = timeline.bars
    assert left.x < right.x and abs(left.x + left.width - right.x) < 0.01
    assert timeline.base.x <= timeline.today_x <= timeline.base.x + timeline.base.width
    assert "осталось" in timeline.summary
    assert any(tick.label.startswith("янв") for tick in timeline.ticks if tick.label) or (
        base.ends_on.year == base.starts_on.year
    )


def test_timeline_of_an_ended_base_says_so(subscriber, base_tariff, today):
    from cabinet.timeline import build_timeline

    ended = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=add_months(today, -3),
    )

    timeline = build_timeline(ended, [], today)

    assert timeline.today_x is None
    assert f"Подписка закончилась {fmt(ended.ends_on)}" in timeline.summary


# --- The month names -----------------------------------------------------------------

RUSSIAN_MONTHS = "янв фев мар апр май июн июл авг сен окт ноя дек".split()


def month_label(day: datetime.date) -> str:
    return f"{RUSSIAN_MONTHS[day.month - 1]} {day.year}"


@pytest.mark.parametrize(("day_of_month", "next_named"), [(1, True), (2, True), (15, False)])
def test_the_first_month_is_named_with_its_year_at_the_left_edge(
    subscriber, base_tariff, today, day_of_month, next_named
):
    """From the 1st, the 2nd or the 15th: the picture starts with the name of the
    base's first month and its year. The next month's line is named by month only,
    unless the first month's half is too narrow for both names (from the 15th)."""
    from cabinet.timeline import PLOT_LEFT, build_timeline

    starts_on = add_months(today.replace(day=1), -1) + (day_of_month - 1) * DAY
    base = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=starts_on,
    )

    timeline = build_timeline(base, [], today)

    first, second = timeline.ticks[:2]
    assert (first.label, first.x, first.anchor) == (month_label(starts_on), PLOT_LEFT, "start")
    assert not first.line  # a label only: the month's line is its first day's, if anywhere
    next_month = add_months(starts_on.replace(day=1), 1)
    assert second.line and second.x > PLOT_LEFT
    named = (
        month_label(next_month) if next_month.month == 1 else RUSSIAN_MONTHS[next_month.month - 1]
    )
    assert second.label == (named if next_named else "")
    html = render_to_string("subscriptions/includes/timeline.svg.html", {"timeline": timeline})
    assert (
        f'y="16" text-anchor="start" font-size="11" fill="#5d6b7e">{month_label(starts_on)}<'
        in html
    )
    assert f'x1="{PLOT_LEFT:.2f}"' not in html  # the edge itself has no month line


def test_a_month_name_that_would_run_into_the_first_months_is_left_out_and_its_year_moves_on(
    subscriber, base_tariff
):
    """From 29 December, «янв» and «фев» would overlap «дек 2025»: their lines stay
    unnamed, and March carries the year January would have shown."""
    from cabinet.timeline import build_timeline

    base = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=datetime.date(2025, 12, 29),
    )

    timeline = build_timeline(base, [], datetime.date(2026, 6, 1))

    assert [tick.label for tick in timeline.ticks[:4]] == ["дек 2025", "", "", "мар 2026"]
    assert timeline.ticks[1].major and timeline.ticks[1].line  # January's line is still drawn
    assert [tick.label for tick in timeline.ticks[4:6]] == ["апр", "май"]


# --- Links and roles: nothing focusable inside an image ----------------------------


def test_on_the_card_the_bars_are_links_in_a_group_and_in_the_what_if_an_image_without_links(
    subscriber, base_tariff, session_tariff, today
):
    """A role="img" hides its children from screen readers, so a link inside it
    is unreachable (axe: nested-interactive). The base card's picture, whose bars
    lead to the extensions' cards, is a group; the extension form's what-if, inside
    a form being typed, has no links and stays an image (axe: nothing focusable
    in it; its scrolling box takes the focus instead)."""
    from cabinet.timeline import ProposedExtension, build_timeline

    base = factories.SubscriptionFactory(
        subscriber=subscriber, tariff=base_tariff, period=base_tariff.periods.get(count=12)
    )
    extension = factories.ExtensionFactory(
        subscription=base, tariff=session_tariff, period=session_tariff.periods.get(count=1)
    )
    proposed = ProposedExtension(
        session_tariff, 2, extension.ends_on + DAY, add_months(extension.ends_on + DAY, 1) - DAY
    )

    def svg(timeline):
        return render_to_string("subscriptions/includes/timeline.svg.html", {"timeline": timeline})

    card = svg(build_timeline(base, [extension], today))
    what_if = svg(build_timeline(base, [extension], today, proposed))

    assert 'role="group"' in card and 'role="img"' not in card
    assert f'<a class="tl-link" href="/extensions/{extension.pk}/">' in card
    assert 'role="img"' in what_if and 'role="group"' not in what_if
    assert "<a " not in what_if and f"№ {extension.number}" in what_if
    # On a narrow screen the picture scrolls: without links, the keyboard reaches it itself.
    assert '<div class="timeline__scroll" tabindex="0">' in what_if
    assert 'tabindex="0"' not in card
    # With no extension there is nothing to follow: an image.
    assert 'role="img"' in svg(build_timeline(base, [], today))
