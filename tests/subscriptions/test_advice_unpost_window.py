"""Refusals that used to say «отмените проведение» advise it only while R15 allows it.

R15: a posted document is un-posted only before it starts or on the day it was
posted. A refusal that needs a posted document out of the way (editing or
deleting it, changing the base it belongs to, lowering a tariff's maximum)
computes that with `rules.check_unpost_window`: while un-posting is allowed the
advice stays «сначала отмените проведение» ({"unpost": pk}); once the document
runs and was posted on another day it is «Прекратить» ({"end_early": pk}); a
document that has ended is left as it is. Each test builds the late situation,
shows that the old advice — un-posting — is refused there, and applies the new
advice through `subscriptions/services.py`, as in test_advice_succeeds.py.
"""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from subscriptions import clock, rules, services
from subscriptions.models import ExtensionSubscription, Status, Subscription
from subscriptions.periods import add_months
from tests import factories
from tests.subscriptions.test_advice_succeeds import advice, message, refusal, the_error

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
REASON = "Клиент отказался от расширения"


def days_ago(days: int) -> datetime.datetime:
    """A moment `days` days before now: when a document was posted «on another day»."""
    return timezone.now() - days * DAY


def late_unpost_refused(unpost) -> None:
    """The old advice: un-posting is refused by R15."""
    error = refusal(unpost)
    assert error.error_dict["__all__"][0].code == "unpost_window_closed"


@pytest.fixture
def running_sessions(base_twelve_months, session_tariff, today):
    """«Дополнительный сеанс» × 2 for a month, running since 5 days ago, posted that day."""
    return factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today - 5 * DAY,
        quantity=2,
        posted_at=days_ago(5),
    )


@pytest.fixture
def running_base(subscriber, base_tariff, today):
    """A posted year of «Стандарт» that began 30 days ago and was posted that day."""
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=today - 30 * DAY,
        posted_at=days_ago(30),
    )


# --- Editing a posted extension -------------------------------------------------------------


def test_editing_a_running_extension_posted_earlier_is_advised_to_end_it_early(
    operator, running_sessions, today
):
    edited = ExtensionSubscription.objects.get(pk=running_sessions.pk)
    edited.quantity = 3

    error = refusal(lambda: services.extension_save(extension=edited, user=operator))

    assert error.code == "edit_posted"
    assert advice(error) == {rules.END_EARLY: running_sessions.pk}
    assert "«Прекратить»" in message(error) and "отмените" not in message(error)
    late_unpost_refused(
        lambda: services.extension_unpost(extension=running_sessions, user=operator)
    )
    ended = services.extension_end_early(
        extension=ExtensionSubscription.objects.get(pk=advice(error)[rules.END_EARLY]),
        last_day=today,
        reason=REASON,
        user=operator,
    )
    assert ended.is_ended_early and ended.ends_on == today


def test_editing_an_extension_posted_today_is_still_advised_to_unpost_it(
    operator, sessions_extension
):
    edited = ExtensionSubscription.objects.get(pk=sessions_extension.pk)
    edited.quantity = 3

    error = refusal(lambda: services.extension_save(extension=edited, user=operator))

    assert advice(error) == {rules.UNPOST: sessions_extension.pk}
    assert message(error) == "Проведенное расширение не изменяют: сначала отмените проведение."
    draft = services.extension_unpost(extension=sessions_extension, user=operator)
    draft.quantity = 3
    assert services.extension_save(extension=draft, user=operator).quantity == 3


def test_editing_an_extension_that_has_ended_advises_nothing_it_cannot_do(
    operator, subscriber, base_tariff, session_tariff, today
):
    base = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=today - 60 * DAY,
        posted_at=days_ago(60),
    )
    ended = factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=add_months(today, -1) - 2 * DAY,
        posted_at=days_ago(35),
    )
    assert ended.ends_on < today
    ended.quantity = 3

    error = refusal(lambda: services.extension_save(extension=ended, user=operator))

    assert rules.ADVICE not in error.params
    assert message(error) == (
        "Проведенное расширение не изменяют: оно закончилось "
        f"{ended.ends_on:%d.%m.%Y} и остается в истории как есть."
    )
    late_unpost_refused(lambda: services.extension_unpost(extension=ended, user=operator))


def test_the_edit_page_of_a_running_extension_points_to_end_it_early(
    logged_in, operator, running_sessions
):
    response = logged_in(operator).get(
        reverse("extension_edit", args=[running_sessions.pk]), follow=True
    )

    assert "нажмите «Прекратить» в его карточке" in response.content.decode()
    assert "сначала отмените проведение" not in response.content.decode()


# --- Deleting a posted document -------------------------------------------------------------


def test_deleting_a_running_base_posted_earlier_is_advised_to_end_it_early(
    operator, running_base, today
):
    error = refusal(lambda: services.subscription_delete(subscription=running_base, user=operator))

    assert error.code == "delete_posted"
    assert advice(error) == {rules.END_EARLY: running_base.pk}
    assert message(error).startswith("Проведенную подписку удалить нельзя, и ее проведение")
    late_unpost_refused(
        lambda: services.subscription_unpost(subscription=running_base, user=operator)
    )
    ended = services.subscription_end_early(
        subscription=Subscription.objects.get(pk=advice(error)[rules.END_EARLY]),
        last_day=today,
        reason=REASON,
        user=operator,
    )
    assert ended.is_ended_early and Subscription.objects.filter(pk=running_base.pk).exists()


def test_deleting_a_running_extension_posted_earlier_is_advised_to_end_it_early(
    operator, running_sessions, today
):
    error = refusal(lambda: services.extension_delete(extension=running_sessions, user=operator))

    assert error.code == "delete_posted"
    assert advice(error) == {rules.END_EARLY: running_sessions.pk}
    assert "нажмите «Прекратить» в его карточке" in message(error)
    late_unpost_refused(
        lambda: services.extension_unpost(extension=running_sessions, user=operator)
    )
    ended = services.extension_end_early(
        extension=running_sessions, last_day=today, reason=REASON, user=operator
    )
    assert ended.is_ended_early


def test_deleting_an_ended_base_says_it_stays_in_the_history(operator, subscriber, base_tariff):
    ended = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=add_months(clock.today(), -2),
        posted_at=days_ago(62),
    )

    error = refusal(lambda: services.subscription_delete(subscription=ended, user=operator))

    assert rules.ADVICE not in error.params
    assert "остается в истории как есть" in message(error)
    late_unpost_refused(lambda: services.subscription_unpost(subscription=ended, user=operator))


def test_deleting_a_base_posted_today_is_still_advised_to_unpost_it(
    operator, draft_base_in_400_days
):
    base = draft_base_in_400_days
    services.subscription_post(subscription=base, user=operator)

    error = refusal(lambda: services.subscription_delete(subscription=base, user=operator))

    assert advice(error) == {rules.UNPOST: base.pk}
    assert message(error) == "Проведенную подписку удалить нельзя: сначала отмените проведение."
    services.subscription_unpost(subscription=base, user=operator)
    services.subscription_delete(subscription=base, user=operator)
    assert not Subscription.objects.filter(pk=base.pk).exists()


# --- The grace subscription (R13) -----------------------------------------------------------


@pytest.fixture
def ended_quarter(subscriber, base_tariff, today):
    """A posted quarter of «Стандарт» that ended 5 days ago (a grace may be recorded)."""
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=3),
        starts_on=add_months(today - 5 * DAY, -3),
        posted_at=days_ago(100),
    )


def grace_recorded(base, user, *, days_before_today: int):
    """A grace of `base` recorded `days_before_today` days ago (started and posted then)."""
    with clock.today_is(clock.today() - days_before_today * DAY):
        grace = services.grace_create(subscription=base, days=7, user=user)
    Subscription.objects.filter(pk=grace.pk).update(posted_at=days_ago(days_before_today))
    return Subscription.objects.get(pk=grace.pk)


def test_a_grace_recorded_yesterday_is_advised_to_be_ended_early_not_unposted(
    logged_in, operator, ended_quarter, today
):
    grace = grace_recorded(ended_quarter, operator, days_before_today=1)

    error = rules.grace_edit_refusal(grace, today=today)
    page = logged_in(operator).get(reverse("subscription_edit", args=[grace.pk]), follow=True)

    assert advice(error) == {rules.END_EARLY: grace.pk}
    assert message(error) in page.content.decode()
    assert "нажмите «Прекратить»" in message(error) and "отмените" not in message(error)
    late_unpost_refused(lambda: services.subscription_unpost(subscription=grace, user=operator))
    ended = services.subscription_end_early(
        subscription=grace, last_day=today, reason="Клиент оплатил продление", user=operator
    )
    assert ended.is_ended_early
    # The grace ends on the day chosen; its end by contract is kept, and so are the invariants.
    stored = Subscription.objects.get(pk=grace.pk)
    assert (stored.ends_on, stored.planned_ends_on) == (today, grace.ends_on)
    call_command("check_invariants", stdout=StringIO())  # raises CommandError on a violation


def test_a_grace_recorded_today_is_still_advised_to_be_unposted(operator, ended_quarter, today):
    grace = grace_recorded(ended_quarter, operator, days_before_today=0)

    error = rules.grace_edit_refusal(grace, today=today)

    assert advice(error) == {rules.UNPOST: grace.pk}
    assert services.subscription_unpost(subscription=grace, user=operator).is_draft


def test_changing_a_base_continued_by_a_grace_recorded_earlier_does_not_advise_unposting_it(
    operator, ended_quarter, base_tariff
):
    grace = grace_recorded(ended_quarter, operator, days_before_today=2)
    changed = Subscription.objects.get(pk=ended_quarter.pk)
    changed.period = base_tariff.periods.get(count=1)

    error = the_error(
        refusal(lambda: services.subscription_save(subscription=changed, user=operator)),
        "__all__",
        "base_change_strands_grace",
    )

    assert rules.ADVICE not in error.params
    assert "отмените" not in message(error)
    assert "срок и проведение этой подписки больше не меняют" in message(error)
    late_unpost_refused(lambda: services.subscription_unpost(subscription=grace, user=operator))


def test_changing_a_base_continued_by_a_grace_recorded_today_is_advised_to_unpost_it(
    operator, ended_quarter, base_tariff
):
    grace = grace_recorded(ended_quarter, operator, days_before_today=0)
    changed = Subscription.objects.get(pk=ended_quarter.pk)
    changed.period = base_tariff.periods.get(count=1)

    error = the_error(
        refusal(lambda: services.subscription_save(subscription=changed, user=operator)),
        "__all__",
        "base_change_strands_grace",
    )

    assert advice(error) == {rules.UNPOST: grace.pk}
    services.subscription_unpost(
        subscription=Subscription.objects.get(pk=advice(error)[rules.UNPOST]), user=operator
    )
    assert services.subscription_save(subscription=changed, user=operator).period.count == 1


# --- A base's tariff, term and renewal ------------------------------------------------------


def test_changing_the_tariff_under_a_running_extension_is_advised_to_end_the_base_with_it(
    operator, subscriber, running_base, session_tariff, today
):
    sessions = factories.ExtensionFactory(
        subscription=running_base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today - 5 * DAY,
        posted_at=days_ago(5),
    )
    business = factories.BaseTariffFactory(name="Бизнес", sessions=10, infobases=5)
    business_year = factories.TariffPeriodFactory(tariff=business, count=12, price=200000)
    changed = Subscription.objects.get(pk=running_base.pk)
    changed.tariff, changed.period = business, business_year

    error = the_error(
        refusal(lambda: services.subscription_save(subscription=changed, user=operator)),
        "tariff",
        "tariff_change_strands_extensions",
    )

    assert advice(error) == {rules.END_EARLY: running_base.pk, "end_extensions": True}
    assert "«Прекратить»" in message(error) and "отмените" not in message(error)
    late_unpost_refused(lambda: services.extension_unpost(extension=sessions, user=operator))
    services.subscription_end_early(
        subscription=Subscription.objects.get(pk=advice(error)[rules.END_EARLY]),
        last_day=today,
        reason="Переход на тариф «Бизнес»",
        end_extensions=advice(error)["end_extensions"],
        user=operator,
    )
    new_base = services.subscription_save(
        subscription=Subscription(
            subscriber=subscriber,
            tariff=business,
            period=business_year,
            starts_on=today + DAY,
            status=Status.POSTED,
        ),
        user=operator,
    )
    assert new_base.is_posted
    assert ExtensionSubscription.objects.get(pk=sessions.pk).ends_on == today


def test_moving_a_renewed_base_past_a_running_extension_does_not_advise_unposting_it(
    operator, running_base, session_tariff, today
):
    base = running_base
    extension = factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today - 5 * DAY,
        posted_at=days_ago(5),
    )
    services.subscription_renew(
        subscription=base, period=base.period, copy_extensions=False, user=operator
    )
    moved = Subscription.objects.get(pk=base.pk)
    moved.starts_on = today - 2 * DAY  # after the extension began

    error = the_error(
        refusal(lambda: services.subscription_save(subscription=moved, user=operator)),
        "__all__",
        "base_change_strands_extensions",
    )

    assert "отмените" not in message(error)
    assert f"Расширения № {extension.number} уже действуют" in message(error)
    late_unpost_refused(lambda: services.extension_unpost(extension=extension, user=operator))
    # «оставьте подписке срок, который их покрывает»: its own start is written again.
    moved.starts_on = base.starts_on
    assert services.subscription_save(subscription=moved, user=operator).starts_on == base.starts_on


def test_changing_a_base_whose_renewal_already_runs_does_not_advise_unposting_the_renewal(
    operator, subscriber, base_tariff, today
):
    # A quarter that ended 10 days ago, renewed by a quarter posted then and running since.
    ended = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=3),
        starts_on=add_months(today - 10 * DAY, -3),
        posted_at=days_ago(100),
    )
    with clock.today_is(ended.ends_on - DAY):
        renewal = services.subscription_renew(
            subscription=ended, period=ended.period, copy_extensions=False, user=operator
        )
    Subscription.objects.filter(pk=renewal.pk).update(posted_at=days_ago(11))
    changed = Subscription.objects.get(pk=ended.pk)
    changed.period = base_tariff.periods.get(count=1)

    error = the_error(
        refusal(lambda: services.subscription_save(subscription=changed, user=operator)),
        "period",
        "renewed_change_breaks_renewal",
    )

    assert "отмените" not in message(error)
    assert f"Подписка № {renewal.number} уже действует" in message(error)
    late_unpost_refused(
        lambda: services.subscription_unpost(
            subscription=Subscription.objects.get(pk=renewal.pk), user=operator
        )
    )


# --- A tariff's maximum (R8 «in use») -------------------------------------------------------


def test_lowering_a_maximum_below_a_running_extension_does_not_advise_unposting_it(
    admin_user, operator, running_sessions, session_tariff
):
    session_tariff.max_quantity = 1  # `running_sessions` is posted × 2, running

    error = the_error(
        refusal(lambda: services.tariff_save(tariff=session_tariff, user=admin_user)),
        "max_quantity",
        "max_quantity_in_use",
    )

    assert "отмените" not in message(error)
    assert "проведение расширений, которые уже действуют, не отменить" in message(error)
    late_unpost_refused(
        lambda: services.extension_unpost(extension=running_sessions, user=operator)
    )
    session_tariff.max_quantity = advice(error)["max_quantity"]
    assert services.tariff_save(tariff=session_tariff, user=admin_user).max_quantity == 2
