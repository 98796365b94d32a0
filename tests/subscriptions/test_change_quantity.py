"""«Изменить количество» (R14): from a date D, a running posted extension ends on D − 1
and a new posted extension that replaces it runs from D to the same end with the new
quantity, priced by the span rule at the tariff's current 1-month price — one
transaction. Un-posting the new one (R15's correction) gives the old one its end back."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from api.models import ApiToken
from subscribers.models import Subscriber
from subscriptions import clock, kept_limits, selectors, services
from subscriptions.kept_limits import SubscriberLimits
from subscriptions.models import ExtensionSubscription, Status, TariffPeriod
from subscriptions.selectors import subscriber_limits
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
MARCH_15 = datetime.date(2026, 3, 15)


def codes(error: ValidationError) -> dict[str, set[str]]:
    return {field: {e.code for e in errors} for field, errors in error.error_dict.items()}


def assert_invariants_hold():
    call_command("check_invariants", stdout=StringIO())


def change(extension, change_on, quantity, *, user):
    return services.extension_change_quantity(
        extension=extension, change_on=change_on, quantity=quantity, user=user
    )


@pytest.fixture
def on_march_15(today):
    clock.set_today(MARCH_15)
    return MARCH_15


@pytest.fixture
def year_2026(on_march_15, subscriber, base_tariff):
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=datetime.date(2026, 1, 1),
    )


@pytest.fixture
def sessions_for_the_year(year_2026, session_tariff):
    """«Дополнительный сеанс» × 2 for 12 months (30 000 ₸ each) from 01.01.2026: running."""
    return factories.ExtensionFactory(
        subscription=year_2026,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=12),
        starts_on=datetime.date(2026, 1, 1),
        quantity=2,
    )


# --- What it does ------------------------------------------------------------------------


def test_the_extension_ends_the_day_before_and_a_replacement_runs_to_the_same_end(
    sessions_for_the_year, operator
):
    new = change(sessions_for_the_year, datetime.date(2026, 5, 20), 3, user=operator)

    old = ExtensionSubscription.objects.get(pk=sessions_for_the_year.pk)
    assert (old.status, old.ends_on, old.quantity) == (Status.POSTED, datetime.date(2026, 5, 19), 2)
    assert old.planned_ends_on == datetime.date(2026, 12, 31)
    assert old.early_end_reason == "Изменение количества с 20.05.2026: 2 → 3"
    assert old.amount == Decimal("60000")  # kept
    assert (new.status, new.starts_on, new.ends_on, new.quantity) == (
        Status.POSTED,
        datetime.date(2026, 5, 20),
        datetime.date(2026, 12, 31),
        3,
    )
    assert new.replaces_id == old.pk and list(old.replacements.all()) == [new]
    assert new.posted_by == operator and new.posted_at is not None
    assert_invariants_hold()


def test_the_replacement_is_priced_at_the_current_1_month_price_by_the_span_rule(
    sessions_for_the_year, operator
):
    # 20.05–31.12 is 7 months and 12 days; «1 месяц» costs 3 000
    new = change(sessions_for_the_year, datetime.date(2026, 5, 20), 3, user=operator)

    assert new.unit_price == Decimal("22200")  # 7 × 3 000 + 12 × 3 000 ÷ 30
    assert new.amount == Decimal("66600")
    # the old one's unused part: the same span at its own monthly share (30 000 ÷ 12), × 2
    old = ExtensionSubscription.objects.get(pk=sessions_for_the_year.pk)
    assert old.unused_amount == Decimal("37000")  # (7 × 2 500 + 12 × 2 500 ÷ 30) × 2


def test_without_a_1_month_period_the_old_ones_monthly_share_prices_it(
    sessions_for_the_year, session_tariff, operator
):
    TariffPeriod.objects.filter(tariff=session_tariff, count=1).update(is_active=False)

    new = change(sessions_for_the_year, datetime.date(2026, 5, 20), 1, user=operator)

    assert new.unit_price == Decimal("18500")  # 7 × 2 500 + 12 × 2 500 ÷ 30
    assert new.period_id == sessions_for_the_year.period_id


def test_limits_change_on_the_day(sessions_for_the_year, operator):
    subscriber = sessions_for_the_year.subscription.subscriber
    change_on = datetime.date(2026, 5, 20)

    change(sessions_for_the_year, change_on, 5, user=operator)

    assert subscriber_limits(subscriber, change_on - DAY).sessions == 5 + 2
    assert subscriber_limits(subscriber, change_on).sessions == 5 + 5
    assert subscriber_limits(subscriber, datetime.date(2026, 12, 31)).sessions == 5 + 5
    assert subscriber_limits(subscriber, datetime.date(2027, 1, 1)).sessions == 0


def test_both_histories_record_the_change_with_the_user(sessions_for_the_year, operator):
    new = change(sessions_for_the_year, datetime.date(2026, 5, 20), 3, user=operator)

    old_record = sessions_for_the_year.history.order_by("-history_date", "-history_id").first()
    new_record = new.history.get()
    assert old_record.history_user == operator == new_record.history_user
    assert old_record.history_change_reason == "Изменение количества с 20.05.2026: 2 → 3"
    assert new_record.history_change_reason == (
        f"Изменение количества: заменяет № {sessions_for_the_year.number}"
    )


# --- Refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "allowed"),
    [
        (MARCH_15, True),  # today (after its first day)
        (datetime.date(2026, 12, 31), True),  # its last day
        (datetime.date(2027, 1, 1), False),  # after its end
        (MARCH_15 - DAY, False),  # yesterday
        (datetime.date(2026, 1, 1), False),  # its first day
    ],
    ids=["today", "ends_on", "ends_on+1", "yesterday", "starts_on"],
)
def test_the_date_is_from_today_after_the_first_day_to_the_end(
    sessions_for_the_year, operator, day, allowed
):
    if allowed:
        new = change(sessions_for_the_year, day, 3, user=operator)
        assert new.starts_on == day
        assert_invariants_hold()
        return
    with pytest.raises(ValidationError) as refused:
        change(sessions_for_the_year, day, 3, user=operator)
    assert codes(refused.value) == {"change_on": {"quantity_change_out_of_range"}}
    assert "с 15.03.2026 по 31.12.2026" in " ".join(refused.value.messages)
    assert ExtensionSubscription.objects.count() == 1


def test_an_extension_that_started_today_changes_from_tomorrow(sessions_extension, operator, today):
    with pytest.raises(ValidationError) as refused:
        change(sessions_extension, today, 3, user=operator)
    assert codes(refused.value) == {"change_on": {"quantity_change_out_of_range"}}

    assert change(sessions_extension, today + DAY, 3, user=operator).starts_on == today + DAY


@pytest.mark.parametrize(
    ("quantity", "code"), [(11, "quantity_above_max"), (2, "quantity_unchanged")]
)
def test_the_quantity_is_another_one_within_the_maximum(
    sessions_for_the_year, operator, quantity, code
):
    with pytest.raises(ValidationError) as refused:
        change(sessions_for_the_year, datetime.date(2026, 5, 20), quantity, user=operator)
    assert codes(refused.value) == {"quantity": {code}}
    assert ExtensionSubscription.objects.count() == 1


def test_an_extension_that_has_not_started_is_un_posted_and_edited_instead(
    year_2026, session_tariff, operator
):
    later = factories.ExtensionFactory(
        subscription=year_2026,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=MARCH_15 + 10 * DAY,
    )
    with pytest.raises(ValidationError) as refused:
        change(later, MARCH_15 + 15 * DAY, 3, user=operator)
    assert codes(refused.value) == {"__all__": {"quantity_change_not_started"}}
    assert "отмените его проведение" in " ".join(refused.value.messages)


def test_a_draft_is_changed_in_its_form(draft_infobases_extension, operator, today):
    with pytest.raises(ValidationError) as refused:
        change(draft_infobases_extension, today + 20 * DAY, 2, user=operator)
    assert codes(refused.value) == {"__all__": {"quantity_change_not_posted"}}


def test_an_extension_that_ended_is_not_changed(year_2026, session_tariff, operator):
    january = factories.ExtensionFactory(
        subscription=year_2026,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=datetime.date(2026, 1, 1),
    )
    with pytest.raises(ValidationError) as refused:
        change(january, MARCH_15, 3, user=operator)
    assert codes(refused.value) == {"__all__": {"quantity_change_ended"}}


def test_a_changed_extension_is_changed_again_in_its_replacement(sessions_for_the_year, operator):
    new = change(sessions_for_the_year, datetime.date(2026, 5, 20), 3, user=operator)
    old = ExtensionSubscription.objects.get(pk=sessions_for_the_year.pk)

    with pytest.raises(ValidationError) as refused:
        change(old, datetime.date(2026, 4, 1), 4, user=operator)

    assert codes(refused.value) == {"__all__": {"quantity_change_already_replaced"}}
    assert f"№ {new.number}" in " ".join(refused.value.messages)


# --- Un-posting: a correction undoes the change (R15) --------------------------------------


def test_unposting_the_replacement_gives_the_old_one_its_end_back(sessions_for_the_year, operator):
    new = change(sessions_for_the_year, datetime.date(2026, 5, 20), 3, user=operator)

    undone = services.extension_unpost(extension=new, user=operator)

    old = ExtensionSubscription.objects.get(pk=sessions_for_the_year.pk)
    assert (old.ends_on, old.ended_early_on, old.unused_amount, old.early_end_reason) == (
        datetime.date(2026, 12, 31),
        None,
        None,
        "",
    )
    assert undone.status == Status.DRAFT and undone.amount is None
    record = old.history.order_by("-history_date", "-history_id").first()
    assert record.history_change_reason == f"Отмена изменения количества (№ {new.number})"
    assert_invariants_hold()
    # and the quantity can be changed again, the draft left behind deleted
    services.extension_delete(extension=undone, user=operator)
    assert change(old, datetime.date(2026, 6, 1), 4, user=operator).quantity == 4


def test_a_left_replacement_draft_is_neither_posted_nor_edited(sessions_for_the_year, operator):
    new = change(sessions_for_the_year, datetime.date(2026, 5, 20), 3, user=operator)
    services.extension_unpost(extension=new, user=operator)

    with pytest.raises(ValidationError) as refused:
        services.extension_post(extension=new, user=operator)
    assert codes(refused.value) == {"__all__": {"replacement_draft"}}

    draft = ExtensionSubscription.objects.get(pk=new.pk)
    draft.quantity = 4
    with pytest.raises(ValidationError) as refused:
        services.extension_save(extension=draft, user=operator)
    assert codes(refused.value) == {"__all__": {"replacement_draft"}}


def test_the_replaced_one_is_not_unposted_while_its_replacement_stands(
    base_twelve_months, session_tariff, operator, today
):
    # posted today, started yesterday: R15 would allow it; the replacement does not
    running = factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=3),
        starts_on=today - DAY,
    )
    new = change(running, today + 5 * DAY, 3, user=operator)

    with pytest.raises(ValidationError) as refused:
        services.extension_unpost(extension=running, user=operator)

    assert codes(refused.value) == {"__all__": {"unpost_replaced"}}
    assert f"№ {new.number}" in " ".join(refused.value.messages)


def test_the_change_is_not_undone_once_the_old_one_changed_again(sessions_for_the_year, operator):
    new = change(sessions_for_the_year, datetime.date(2026, 5, 20), 3, user=operator)
    services.extension_end_early(
        extension=sessions_for_the_year,
        last_day=datetime.date(2026, 4, 30),
        reason="Ушел раньше",
        user=operator,
    )

    with pytest.raises(ValidationError) as refused:
        services.extension_unpost(extension=new, user=operator)

    assert codes(refused.value) == {"__all__": {"replacement_undo_stale"}}
    assert ExtensionSubscription.objects.get(pk=new.pk).status == Status.POSTED


def test_an_early_end_of_the_replacement_uses_its_own_span_price(sessions_for_the_year, operator):
    new = change(sessions_for_the_year, datetime.date(2026, 5, 20), 3, user=operator)

    ended = services.extension_end_early(
        extension=new, last_day=datetime.date(2026, 8, 19), reason="Сократил штат", user=operator
    )

    # 20.08–31.12: 4 months and 12 days at its own monthly share (22 200 ÷ 7,4 = 3 000), × 3
    assert ended.planned_ends_on == datetime.date(2026, 12, 31)
    assert ended.unused_amount == Decimal("39600")
    assert_invariants_hold()


# --- Limits, the API and the kept rows agree on every boundary day -------------------------


def test_limits_the_api_and_the_kept_rows_agree_after_a_change_and_an_early_end(
    sessions_for_the_year, organization, owner, operator, client
):
    base = sessions_for_the_year.subscription
    change_on, last_day = datetime.date(2026, 5, 20), datetime.date(2026, 9, 30)
    change(sessions_for_the_year, change_on, 5, user=operator)
    services.subscription_end_early(
        subscription=base, last_day=last_day, reason="Закрылся", end_extensions=True, user=operator
    )
    subscriber = base.subscriber
    subscribers = Subscriber.objects.filter(pk=subscriber.pk)
    key = ApiToken.issue(organization=organization, name="1С", created_by=owner)[1]
    url = reverse("api-subscriber-limits", args=[subscriber.pk])
    expected = {
        change_on - DAY: (5 + 2, 2),  # the old quantity's last day
        change_on: (5 + 5, 2),  # the new quantity's first
        last_day: (5 + 5, 2),  # the base's and its replacement's last day
        last_day + DAY: (0, 0),  # limits drop from the day after
        datetime.date(2026, 12, 31): (0, 0),  # the end by contract
    }

    for day, (sessions, infobases) in expected.items():
        want = selectors.Limits(sessions, infobases)
        annotated = selectors.annotate_limits(subscribers, day).get()
        assert selectors.Limits(annotated.limit_sessions, annotated.limit_infobases) == want, day
        assert selectors.limits_for_subscribers(subscribers, day)[subscriber.pk] == want, day
        assert selectors.limits_breakdown(subscriber, day).limits == want, day
        answer = client.get(url, {"date": day.isoformat()}, HTTP_AUTHORIZATION=f"Bearer {key}")
        assert (answer.json()["sessions"], answer.json()["infobases"]) == (sessions, infobases)
        with clock.today_is(day):
            kept_limits.refresh()
            kept = SubscriberLimits.objects.get(subscriber=subscriber)
            assert (kept.sessions, kept.infobases) == (sessions, infobases), day
    assert_invariants_hold()
