"""R15: un-posting is a correction — only before the document starts or on the day it
was posted (in Asia/Almaty); otherwise the refusal points to «Прекратить». Checked on
every write path: the services, the base's save (a status change) and the admin."""

import datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from subscriptions import rules, services
from subscriptions.models import ExtensionSubscription, Status, Subscription
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def codes(error: ValidationError) -> dict[str, set[str]]:
    return {field: {e.code for e in errors} for field, errors in error.error_dict.items()}


def posted_yesterday(document):
    """As if posted 24 hours ago: the day before in the service's time zone."""
    type(document).objects.filter(pk=document.pk).update(
        posted_at=timezone.now() - datetime.timedelta(days=1)
    )
    document.refresh_from_db()
    return document


def assert_invariants_hold():
    call_command("check_invariants", stdout=StringIO())


# --- The rule, day by day ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts", "posted", "allowed"),
    [
        (1, -1, True),  # not started yet, posted yesterday
        (1, None, True),  # not started yet, posting day unknown
        (0, 0, True),  # starts today, posted today
        (0, -1, False),  # starts today, posted yesterday
        (-5, 0, True),  # running, posted today
        (-5, -1, False),  # running, posted yesterday
        (-5, None, False),  # running, posting day unknown
    ],
)
def test_the_unpost_window(today, starts, posted, allowed):
    errors = rules.check_unpost_window(
        today=today,
        starts_on=today + starts * DAY,
        posted_on=None if posted is None else today + posted * DAY,
        number="Р00000001",
    )
    assert (errors == {}) is allowed
    if not allowed:
        assert errors["__all__"].code == "unpost_window_closed"
        assert "«Прекратить»" in " ".join(errors["__all__"].messages)


# --- Extensions ------------------------------------------------------------------------------


def test_a_running_extension_posted_yesterday_is_not_unposted(sessions_extension, operator, today):
    posted_yesterday(sessions_extension)  # starts today

    with pytest.raises(ValidationError) as refused:
        services.extension_unpost(extension=sessions_extension, user=operator)

    assert codes(refused.value) == {"__all__": {"unpost_window_closed"}}
    message = " ".join(refused.value.messages)
    assert f"проведен {(today - DAY):%d.%m.%Y}" in message and "«Прекратить»" in message
    stored = ExtensionSubscription.objects.get(pk=sessions_extension.pk)
    assert stored.status == Status.POSTED and stored.amount is not None


def test_an_extension_posted_today_is_unposted_even_once_it_started(sessions_extension, operator):
    unposted = services.extension_unpost(extension=sessions_extension, user=operator)

    assert unposted.status == Status.DRAFT and unposted.amount is None
    assert_invariants_hold()


def test_an_extension_that_has_not_started_is_unposted_whenever_it_was_posted(
    base_twelve_months, session_tariff, operator, today
):
    tomorrow = factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today + DAY,
    )
    posted_yesterday(tomorrow)

    assert services.extension_unpost(extension=tomorrow, user=operator).status == Status.DRAFT


def test_the_posting_day_is_the_days_in_almaty(sessions_extension, operator, today):
    # 00:30 today in Almaty is still yesterday in UTC: it counts as posted today
    almaty_midnight = datetime.datetime.combine(today, datetime.time(0, 30))
    posted_at = timezone.make_aware(almaty_midnight, timezone.get_default_timezone())
    ExtensionSubscription.objects.filter(pk=sessions_extension.pk).update(posted_at=posted_at)
    sessions_extension.refresh_from_db()
    assert sessions_extension.posted_at.astimezone(datetime.UTC).date() == today - DAY

    assert services.posted_day(sessions_extension) == today
    services.extension_unpost(extension=sessions_extension, user=operator)


# --- Bases -----------------------------------------------------------------------------------


def test_a_running_base_posted_yesterday_is_not_unposted(base_twelve_months, operator):
    posted_yesterday(base_twelve_months)

    with pytest.raises(ValidationError) as refused:
        services.subscription_unpost(subscription=base_twelve_months, user=operator)

    assert codes(refused.value) == {"__all__": {"unpost_window_closed"}}
    assert Subscription.objects.get(pk=base_twelve_months.pk).status == Status.POSTED


def test_a_base_form_that_unposts_is_refused_too(base_twelve_months, operator):
    posted_yesterday(base_twelve_months)
    base = Subscription.objects.get(pk=base_twelve_months.pk)
    base.status = Status.DRAFT

    with pytest.raises(ValidationError) as refused:
        services.subscription_save(subscription=base, user=operator)

    assert codes(refused.value) == {"__all__": {"unpost_window_closed"}}
    assert Subscription.objects.get(pk=base_twelve_months.pk).status == Status.POSTED


def test_a_base_without_a_posting_day_unposts_only_before_it_starts(
    subscriber, base_tariff, operator, today
):
    legacy = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=today,
        posted_at=None,
    )

    with pytest.raises(ValidationError) as refused:
        services.subscription_unpost(subscription=legacy, user=operator)
    assert codes(refused.value) == {"__all__": {"unpost_window_closed"}}


def test_the_admin_action_reports_the_refusal_by_number(admin_client, base_twelve_months):
    posted_yesterday(base_twelve_months)

    response = admin_client.post(
        reverse("admin:subscriptions_subscription_changelist"),
        {"action": "unpost_selected", "_selected_action": [base_twelve_months.pk]},
        follow=True,
    )

    texts = [str(m) for m in response.context["messages"]]
    assert any(
        t.startswith(f"№ {base_twelve_months.number}:") and "«Прекратить»" in t for t in texts
    )
    assert Subscription.objects.get(pk=base_twelve_months.pk).status == Status.POSTED


def test_the_admin_form_refuses_a_late_unpost_of_an_extension(admin_client, sessions_extension):
    posted_yesterday(sessions_extension)
    url = reverse("admin:subscriptions_extensionsubscription_change", args=[sessions_extension.pk])
    page = admin_client.get(url)
    data = {
        name: value
        for name, value in page.context["adminform"].form.initial.items()
        if name in page.context["adminform"].form.fields
    }
    data.update(status=Status.DRAFT, subscription=sessions_extension.subscription_id)

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "«Прекратить»" in response.content.decode()
    assert ExtensionSubscription.objects.get(pk=sessions_extension.pk).status == Status.POSTED
