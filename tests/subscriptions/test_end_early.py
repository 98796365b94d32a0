"""«Прекратить» (R14): a posted base or extension ends early, from today to its end.

The kept price stays; the unused part follows the span rule (whole calendar
months at the document's monthly share, the rest at 1/30 of it a day, whole
tenge); limits drop from the day after; the history says who, when and why;
a base is not ended before its posted extensions unless they end with it, in
the same transaction. Every refusal here is checked through the service, and
`check_invariants` passes after each action.
"""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from subscriptions import clock, kept_limits, pricing, rules, services
from subscriptions.kept_limits import SubscriberLimits
from subscriptions.models import ExtensionSubscription, Status, Subscription
from subscriptions.periods import Periodicity
from subscriptions.selectors import subscriber_limits
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
MARCH_15 = datetime.date(2026, 3, 15)


def codes(error: ValidationError) -> dict[str, set[str]]:
    return {field: {e.code for e in errors} for field, errors in error.error_dict.items()}


def assert_invariants_hold():
    out = StringIO()
    call_command("check_invariants", stdout=out)  # raises CommandError on a violation


@pytest.fixture
def on_march_15(today):
    """«Today» is 15.03.2026 (the autouse `today` fixture releases the clock afterwards)."""
    clock.set_today(MARCH_15)
    return MARCH_15


@pytest.fixture
def year_2026(on_march_15, subscriber, base_tariff):
    """A posted year of «Стандарт» (120 000 ₸) from 01.01.2026 to 31.12.2026."""
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=datetime.date(2026, 1, 1),
    )


def extension_on(base, tariff, starts_on, *, months=1, quantity=1, **kwargs):
    return factories.ExtensionFactory(
        subscription=base,
        tariff=tariff,
        period=tariff.periods.get(periodicity=Periodicity.MONTH, count=months),
        starts_on=starts_on,
        quantity=quantity,
        **kwargs,
    )


def end_base(base, last_day, *, user, reason="Клиент отказался", end_extensions=False):
    return services.subscription_end_early(
        subscription=base,
        last_day=last_day,
        reason=reason,
        end_extensions=end_extensions,
        user=user,
    )


def end_extension(extension, last_day, *, user, reason="Клиент отказался"):
    return services.extension_end_early(
        extension=extension, last_day=last_day, reason=reason, user=user
    )


# --- The amounts ----------------------------------------------------------------------------


def test_the_unused_part_of_a_year_is_7_months_and_12_days_at_its_monthly_share(
    year_2026, operator
):
    # the days after 19.05 up to 31.12 are 7 months (20.05–19.12) and 12 days (20.12–31.12)
    ended = end_base(year_2026, datetime.date(2026, 5, 19), user=operator)

    assert (ended.ends_on, ended.ended_early_on) == (datetime.date(2026, 5, 19),) * 2
    assert ended.planned_ends_on == datetime.date(2026, 12, 31)
    # 120 000 ÷ 12 = 10 000 a month: 7 × 10 000 + 12 × 10 000 ÷ 30
    assert ended.unused_amount == Decimal("74000")
    assert ended.current_amount == Decimal("120000")  # the price stays
    stored = Subscription.objects.get(pk=year_2026.pk)
    assert (stored.ends_on, stored.unused_amount, stored.status) == (
        datetime.date(2026, 5, 19),
        Decimal("74000"),
        Status.POSTED,
    )
    assert_invariants_hold()


def test_the_unused_part_is_rounded_to_whole_tenge_and_multiplied_by_the_quantity(
    year_2026, session_tariff, operator
):
    # «3 месяца» at 8 500: a monthly share of 2 833,33…
    extension = extension_on(year_2026, session_tariff, MARCH_15, months=3, quantity=2)
    assert extension.ends_on == datetime.date(2026, 6, 14)

    ended = end_extension(extension, datetime.date(2026, 4, 1), user=operator)

    # 02.04–14.06: 2 months and 13 days; one unit 2 × 2 833,33 + 13 × 2 833,33 ÷ 30 = 6 894,44
    assert pricing.span_unit_price(
        extension, datetime.date(2026, 4, 2), datetime.date(2026, 6, 14)
    ) == Decimal("6894")
    assert ended.unused_amount == Decimal("13788")
    assert (ended.amount, ended.unit_price) == (Decimal("17000"), Decimal("8500"))
    assert_invariants_hold()


def test_rounding_is_half_up():
    # 15 days of a 45 ₸ monthly price are 22,5 ₸ → 23; of 44 ₸, 22 ₸
    assert pricing.span_amount(Decimal("45"), MARCH_15, MARCH_15 + 14 * DAY) == Decimal("23")
    assert pricing.span_amount(Decimal("44"), MARCH_15, MARCH_15 + 14 * DAY) == Decimal("22")


def test_a_period_counted_in_days_is_shared_out_by_the_day(year_2026, session_tariff, operator):
    ten_days = factories.TariffPeriodFactory(
        tariff=session_tariff, periodicity=Periodicity.DECADE, count=1, price=500
    )
    extension = factories.ExtensionFactory(
        subscription=year_2026, tariff=session_tariff, period=ten_days, starts_on=MARCH_15
    )
    assert extension.ends_on == MARCH_15 + 9 * DAY

    ended = end_extension(extension, MARCH_15 + 2 * DAY, user=operator)

    assert ended.unused_amount == Decimal("350")  # 7 of 10 days of 500


def test_the_unused_part_never_exceeds_the_kept_amount(year_2026, session_tariff, operator):
    extension = extension_on(year_2026, session_tariff, MARCH_15 + DAY, months=3)
    # a kept amount below the unit price (a discount written by hand, long ago)
    ExtensionSubscription.objects.filter(pk=extension.pk).update(amount=100)

    assert pricing.unused_amount(
        ExtensionSubscription.objects.get(pk=extension.pk), MARCH_15 + DAY
    ) == Decimal("100")


def test_ending_again_earlier_keeps_the_end_by_contract(year_2026, operator):
    end_base(year_2026, datetime.date(2026, 9, 30), user=operator)

    again = end_base(year_2026, datetime.date(2026, 5, 19), user=operator, reason="Совсем ушел")

    assert again.planned_ends_on == datetime.date(2026, 12, 31)
    assert again.unused_amount == Decimal("74000")
    assert again.early_end_reason == "Совсем ушел"
    assert_invariants_hold()


# --- R14: the day --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_day", "allowed"),
    [
        (lambda today, ends_on: today, True),
        (lambda today, ends_on: ends_on, True),
        (lambda today, ends_on: ends_on + DAY, False),
        (lambda today, ends_on: today - DAY, False),
    ],
    ids=["today", "ends_on", "ends_on+1", "yesterday"],
)
def test_the_last_day_is_from_today_to_the_current_end(
    sessions_extension, operator, today, last_day, allowed
):
    day = last_day(today, sessions_extension.ends_on)
    if allowed:
        ended = end_extension(sessions_extension, day, user=operator)
        assert ended.ends_on == day
        assert_invariants_hold()
        return
    with pytest.raises(ValidationError) as refused:
        end_extension(sessions_extension, day, user=operator)
    assert codes(refused.value) == {"last_day": {"early_end_out_of_range"}}
    message = " ".join(refused.value.messages)
    assert f"с {today:%d.%m.%Y} по {sessions_extension.ends_on:%d.%m.%Y}" in message
    assert ExtensionSubscription.objects.get(pk=sessions_extension.pk).ended_early_on is None


@pytest.mark.parametrize(("offset", "allowed"), [(-1, False), (0, True)], ids=["before", "first"])
def test_a_document_that_has_not_started_ends_not_before_its_first_day(
    base_twelve_months, session_tariff, operator, today, offset, allowed
):
    later = extension_on(base_twelve_months, session_tariff, today + 10 * DAY)
    day = later.starts_on + offset * DAY
    if allowed:
        assert end_extension(later, day, user=operator).ends_on == later.starts_on
        return
    with pytest.raises(ValidationError) as refused:
        end_extension(later, day, user=operator)
    assert codes(refused.value) == {"last_day": {"early_end_out_of_range"}}


def test_a_draft_is_not_ended(draft_infobases_extension, operator, today):
    with pytest.raises(ValidationError) as refused:
        end_extension(draft_infobases_extension, today + 20 * DAY, user=operator)
    assert codes(refused.value) == {"__all__": {"early_end_not_posted"}}


def test_a_document_that_has_ended_is_not_ended_again(subscriber, base_tariff, operator, today):
    ended_yesterday = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=today - 40 * DAY,
    )
    assert ended_yesterday.ends_on < today

    with pytest.raises(ValidationError) as refused:
        end_base(ended_yesterday, today, user=operator)
    assert codes(refused.value) == {"__all__": {"early_end_already_ended"}}


@pytest.mark.parametrize("reason", ["", "   "])
def test_the_reason_is_required(sessions_extension, operator, today, reason):
    with pytest.raises(ValidationError) as refused:
        end_extension(sessions_extension, today, user=operator, reason=reason)
    assert codes(refused.value) == {"reason": {"early_end_reason_required"}}
    assert ExtensionSubscription.objects.get(pk=sessions_extension.pk).ended_early_on is None


def test_the_rule_functions_say_the_allowed_range(today):
    errors = rules.check_early_end_day(
        today=today,
        last_day=today + 40 * DAY,
        starts_on=today - DAY,
        ends_on=today + 30 * DAY,
        is_posted=True,
    )
    assert errors["last_day"].code == "early_end_out_of_range"
    assert rules.early_end_range(
        today=today, starts_on=today + 5 * DAY, ends_on=today + 9 * DAY
    ) == (today + 5 * DAY, today + 9 * DAY)


# --- A base and its extensions --------------------------------------------------------------


@pytest.fixture
def base_with_two_running(year_2026, session_tariff, infobase_tariff):
    """On `year_2026`: «Дополнительный сеанс» × 2 for 6 months from 15.03, and
    «Дополнительная база» × 1 for 1 month from 15.03 (ends 14.04)."""
    return {
        "sessions": extension_on(year_2026, session_tariff, MARCH_15, months=6, quantity=2),
        "infobases": extension_on(year_2026, infobase_tariff, MARCH_15, months=1),
    }


def test_a_base_is_not_ended_before_its_posted_extensions_and_the_refusal_names_them(
    year_2026, base_with_two_running, operator
):
    sessions = base_with_two_running["sessions"]

    with pytest.raises(ValidationError) as refused:
        end_base(year_2026, datetime.date(2026, 5, 19), user=operator)

    assert codes(refused.value) == {"end_extensions": {"base_early_end_strands_extensions"}}
    message = " ".join(refused.value.messages)
    assert f"№ {sessions.number}" in message and "прекратить и расширения" in message
    assert base_with_two_running["infobases"].number not in message  # it ends before
    assert Subscription.objects.get(pk=year_2026.pk).ended_early_on is None


def test_a_base_ends_with_its_extensions_in_one_transaction(
    year_2026, base_with_two_running, operator
):
    last_day = datetime.date(2026, 5, 19)

    end_base(year_2026, last_day, user=operator, end_extensions=True)

    sessions = ExtensionSubscription.objects.get(pk=base_with_two_running["sessions"].pk)
    infobases = ExtensionSubscription.objects.get(pk=base_with_two_running["infobases"].pk)
    assert sessions.ends_on == last_day and sessions.planned_ends_on == datetime.date(2026, 9, 14)
    # its own unused part: 20.05–14.09 is 3 months and 26 days of 16 000 ÷ 6 a month, × 2
    share = Decimal("16000") / 6
    assert sessions.unused_amount == (share * 3 + share * 26 / 30).quantize(Decimal("1")) * 2
    assert infobases.ended_early_on is None  # it ended before 19.05 anyway
    record = sessions.history.order_by("-history_date", "-history_id").first()
    assert record.history_user == operator
    assert record.history_change_reason.startswith(
        f"Прекращение вместе с подпиской № {year_2026.number}"
    )
    assert record.early_end_reason == "Клиент отказался"
    assert_invariants_hold()


def test_an_extension_that_would_start_after_the_last_day_is_named_not_ended(
    year_2026, session_tariff, operator
):
    later = extension_on(year_2026, session_tariff, datetime.date(2026, 6, 1))

    with pytest.raises(ValidationError) as refused:
        end_base(year_2026, datetime.date(2026, 5, 19), user=operator, end_extensions=True)

    assert codes(refused.value) == {"end_extensions": {"base_early_end_extensions_not_started"}}
    assert f"№ {later.number}" in " ".join(refused.value.messages)


def test_a_refusal_after_the_extensions_were_ended_rolls_them_back(
    year_2026, base_with_two_running, base_tariff, operator
):
    # a posted renewal follows the base: ending the base early would leave a gap (refused)
    factories.SubscriptionFactory(
        subscriber=year_2026.subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=datetime.date(2027, 1, 1),
        renews=year_2026,
    )

    with pytest.raises(ValidationError):
        end_base(year_2026, datetime.date(2026, 5, 19), user=operator, end_extensions=True)

    sessions = ExtensionSubscription.objects.get(pk=base_with_two_running["sessions"].pk)
    assert (sessions.ends_on, sessions.ended_early_on) == (datetime.date(2026, 9, 14), None)
    assert sessions.history.count() == 1


def test_a_base_ended_early_keeps_its_start_and_period(year_2026, base_tariff, operator):
    end_base(year_2026, datetime.date(2026, 9, 30), user=operator)
    base = Subscription.objects.get(pk=year_2026.pk)
    base.period = base_tariff.periods.get(count=6)

    with pytest.raises(ValidationError) as refused:
        services.subscription_save(subscription=base, user=operator)

    assert codes(refused.value) == {"__all__": {"ended_early_term_kept"}}


# --- Limits and history -------------------------------------------------------------------


def test_limits_drop_from_the_day_after(year_2026, base_with_two_running, operator):
    subscriber = year_2026.subscriber
    last_day = datetime.date(2026, 5, 19)
    assert subscriber_limits(subscriber, last_day + DAY).sessions == 5 + 2

    end_extension(base_with_two_running["sessions"], last_day, user=operator)

    assert subscriber_limits(subscriber, last_day).sessions == 5 + 2
    assert subscriber_limits(subscriber, last_day + DAY).sessions == 5
    # today's kept row stays true; the day after the last day the nightly job drops it
    row = SubscriberLimits.objects.get(subscriber=subscriber)
    assert (row.sessions, row.as_of) == (5 + 2, MARCH_15)
    with clock.today_is(last_day + DAY):
        kept_limits.refresh()
        assert SubscriberLimits.objects.get(subscriber=subscriber).sessions == 5


def test_an_early_end_today_keeps_today_and_drops_tomorrow(sessions_extension, operator, today):
    subscriber = sessions_extension.subscription.subscriber
    end_extension(sessions_extension, today, user=operator)

    assert SubscriberLimits.objects.get(subscriber=subscriber).sessions == 5 + 2
    assert subscriber_limits(subscriber, today + DAY).sessions == 5


def test_the_history_says_who_when_and_why(sessions_extension, operator, today):
    end_extension(sessions_extension, today + 3 * DAY, user=operator, reason="Закрыл филиал")

    record = sessions_extension.history.order_by("-history_date", "-history_id").first()
    assert record.history_user == operator
    assert record.history_change_reason == "Прекращение: Закрыл филиал"
    assert (record.ended_early_on, record.ends_on) == (today + 3 * DAY, today + 3 * DAY)
    assert record.ended_early_by_id == operator.pk and record.ended_early_at is not None


def test_a_long_reason_is_kept_whole_on_the_document_and_cut_in_the_history_reason(
    sessions_extension, operator, today
):
    reason = "Клиент переходит на другой тариф. " * 8

    ended = end_extension(sessions_extension, today, user=operator, reason=reason)

    assert ended.early_end_reason == reason.strip()
    record = sessions_extension.history.order_by("-history_date", "-history_id").first()
    assert len(record.history_change_reason) == 100 and record.history_change_reason.endswith("…")


def test_an_ended_document_un_posted_on_its_posting_day_forgets_its_early_end(
    base_twelve_months, session_tariff, operator, today
):
    later = extension_on(base_twelve_months, session_tariff, today + 10 * DAY, months=3)
    end_extension(later, today + 20 * DAY, user=operator)

    unposted = services.extension_unpost(extension=later, user=operator)

    assert unposted.status == Status.DRAFT
    assert (unposted.ended_early_on, unposted.planned_ends_on, unposted.unused_amount) == (
        None,
        None,
        None,
    )
    assert unposted.ends_on == later.period.end_for(later.starts_on)
    assert_invariants_hold()


def test_the_invariants_find_an_early_end_outside_the_term(sessions_extension, operator, today):
    end_extension(sessions_extension, today, user=operator)
    ExtensionSubscription.objects.filter(pk=sessions_extension.pk).update(
        ended_early_on=today + 90 * DAY
    )
    from subscriptions.invariants import CHECKS

    check = next(c for c in CHECKS if c.code == "early_end_outside_term")
    assert {v.number for v in check.find()} == {sessions_extension.number}


def test_the_admin_shows_the_early_end_read_only(admin_client, sessions_extension, operator, today):
    end_extension(sessions_extension, today + 2 * DAY, user=operator, reason="Закрыл офис")
    base = sessions_extension.subscription

    for url in (
        reverse("admin:subscriptions_extensionsubscription_change", args=[sessions_extension.pk]),
        reverse("admin:subscriptions_subscription_change", args=[base.pk]),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert "Досрочное прекращение" in response.content.decode()
    page = admin_client.get(
        reverse("admin:subscriptions_extensionsubscription_change", args=[sessions_extension.pk])
    ).content.decode()
    assert "Закрыл офис" in page
    assert 'name="early_end_reason"' not in page and 'name="ended_early_on"' not in page
