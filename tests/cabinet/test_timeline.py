"""The base card's timeline: lanes, geometry, today's mark, the summary."""

import datetime

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
