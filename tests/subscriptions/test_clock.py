"""The one clock (subscriptions/clock.py) and the tests' hold on it (the `today` fixture)."""

import datetime

from django.utils import timezone

from subscriptions import clock
from tests import factories

DAY = datetime.timedelta(days=1)


def test_a_test_sees_one_day_even_when_the_real_clock_moves_on(today, monkeypatch):
    # given the `today` fixture (autouse) holds the clock
    assert clock.today() == today
    # when the real time passes midnight during the test
    tomorrow = timezone.now() + DAY
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    assert timezone.localdate() == today + DAY
    # then «today» stays the day the test started on
    assert clock.today() == today


def test_the_released_clock_reads_the_day_in_almaty(monkeypatch):
    # given the clock released and 20:00 UTC on 31 December (01:00 in Asia/Almaty, UTC+5)
    clock.set_today(None)
    moment = datetime.datetime(2026, 12, 31, 20, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)

    # then «today» is already 1 January
    assert clock.today() == datetime.date(2027, 1, 1)


def test_today_is_moves_the_clock_within_its_block_and_puts_it_back(today):
    with clock.today_is(datetime.date(2028, 1, 31)) as day:
        assert clock.today() == day == datetime.date(2028, 1, 31)

    assert clock.today() == today


def test_factories_take_their_dates_from_the_clock(db):
    with clock.today_is(datetime.date(2028, 1, 31)):
        base = factories.SubscriptionFactory()
        extension = factories.ExtensionFactory(subscription=base)

    assert base.starts_on == datetime.date(2028, 1, 1)  # 30 days before «today»
    assert extension.starts_on == datetime.date(2028, 1, 31)
    assert extension.ends_on == datetime.date(2028, 2, 28)  # a month: 31.01 + 1 month − 1 day
