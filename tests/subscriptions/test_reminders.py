"""`manage.py send_reminders`: who is reminded about what, once per threshold.

The command enqueues one task per organization; the tests run tasks at once
(the immediate backend), so a run's mails are sent when the command returns.
tests/subscriptions/test_tasks.py runs them through the database queue.
"""

import datetime
import threading
import time
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from subscriptions.models import ReminderSent, Status, Tariff
from subscriptions.periods import Periodicity
from subscriptions.reminders import due_reminders, due_threshold
from tests import factories
from tests.conftest import requires_postgres

# Every test runs "today" on a fixed day, passed to the command as --date.
TODAY = datetime.date(2026, 3, 10)


def _member(organization, username, role, email=None):
    user = factories.UserFactory(
        username=username, email=f"{username}@example.kz" if email is None else email
    )
    factories.MembershipFactory(organization=organization, user=user, role=role)
    return user


@pytest.fixture
def staff(organization):
    """An owner and an operator who get reminders; a read-only user and one without e-mail."""
    return {
        "owner": _member(organization, "owner", "owner"),
        "operator": _member(organization, "operator", "operator"),
        "viewer": _member(organization, "viewer", "user"),
        "no_email": _member(organization, "no-email", "operator", email=""),
    }


@pytest.fixture
def other_staff(other_organization):
    return _member(other_organization, "other-owner", "owner")


@pytest.fixture
def long_period(base_tariff):
    return factories.TariffPeriodFactory(
        tariff=base_tariff, periodicity=Periodicity.DAY, count=100, price=10000
    )


@pytest.fixture
def ending_in(organization, base_tariff, long_period):
    """ending_in(days) → a posted base subscription whose last day is TODAY + days.

    Each for a new subscriber of `organization` unless given one (R11: a
    subscriber's posted subscriptions of one tariff never overlap).
    """

    def make(days, *, subscriber=None, status=Status.POSTED):
        ends_on = TODAY + datetime.timedelta(days=days)
        return factories.SubscriptionFactory(
            subscriber=subscriber or factories.SubscriberFactory(organization=organization),
            tariff=base_tariff,
            period=long_period,
            starts_on=ends_on - datetime.timedelta(days=long_period.count - 1),
            status=status,
        )

    return make


def _extension(base, tariff, *, ends_on, status=Status.POSTED, quantity=1):
    """An extension of `base` that lasts 10 days up to `ends_on`."""
    period = factories.TariffPeriodFactory(
        tariff=tariff, periodicity=Periodicity.DAY, count=10, price=500
    )
    extension = factories.ExtensionFactory(
        subscription=base,
        tariff=tariff,
        period=period,
        starts_on=ends_on - datetime.timedelta(days=9),
        quantity=quantity,
        status=status,
    )
    assert extension.ends_on == ends_on
    return extension


def run(*args, day=TODAY):
    out, err = StringIO(), StringIO()
    call_command("send_reminders", "--date", day.isoformat(), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_run_twice_sends_one_mail_per_organization_then_none(
    staff, other_staff, other_organization, ending_in, mailoutbox
):
    ending_in(10)
    ending_in(20)
    ending_in(5, subscriber=factories.SubscriberFactory(organization=other_organization))

    run()

    assert len(mailoutbox) == 2
    assert ReminderSent.objects.count() == 3

    run()

    assert len(mailoutbox) == 2
    assert ReminderSent.objects.count() == 3


@pytest.mark.parametrize(
    ("days_left", "expected_threshold"),
    [(31, None), (30, 30), (15, 30), (14, 14), (4, 14), (3, 3), (2, 3), (0, 3), (-1, None)],
)
def test_a_subscription_is_reminded_at_the_smallest_threshold_it_has_reached(
    staff, ending_in, mailoutbox, days_left, expected_threshold
):
    subscription = ending_in(days_left)

    run()

    sent = list(ReminderSent.objects.values_list("subscription_id", "threshold_days"))
    if expected_threshold is None:
        assert sent == []
        assert mailoutbox == []
    else:
        assert sent == [(subscription.pk, expected_threshold)]
        assert len(mailoutbox) == 1


def test_two_days_before_the_end_a_never_reminded_subscription_gets_only_the_3_day_reminder(
    staff, ending_in, mailoutbox
):
    subscription = ending_in(2)

    run()
    run()

    assert list(subscription.reminders.values_list("threshold_days", flat=True)) == [3]
    assert len(mailoutbox) == 1
    assert mailoutbox[0].body.count(subscription.number) == 1


def test_each_threshold_is_reminded_once_as_the_end_comes_closer(staff, ending_in, mailoutbox):
    subscription = ending_in(30)

    for day_offset in range(0, 31):
        run(day=TODAY + datetime.timedelta(days=day_offset))

    assert sorted(subscription.reminders.values_list("threshold_days", flat=True)) == [3, 14, 30]
    assert len(mailoutbox) == 3


def test_the_pure_rule_ignores_larger_thresholds_already_sent():
    assert due_threshold(2, (30, 14, 3), already_sent={30, 14}) == 3
    assert due_threshold(2, (30, 14, 3), already_sent={3}) is None
    assert due_threshold(20, (30, 14, 3), already_sent={3}) == 30
    assert due_threshold(5, (), already_sent=()) is None


def test_choosing_the_reminders_takes_a_fixed_number_of_queries(
    staff, other_staff, other_organization, ending_in, session_tariff
):
    from django.test.utils import CaptureQueriesContext

    base = ending_in(10)
    _extension(base, session_tariff, ends_on=base.ends_on)
    with CaptureQueriesContext(connection) as few:
        assert len(due_reminders(TODAY)) == 1
    for days in (1, 5, 20, 30):
        more = ending_in(days)
        _extension(more, session_tariff, ends_on=more.ends_on)
        ending_in(days, subscriber=factories.SubscriberFactory(organization=other_organization))
    with CaptureQueriesContext(connection) as many:
        assert len(due_reminders(TODAY)) == 2

    assert len(few) == len(many) == 5


def test_owners_and_operators_with_an_email_receive_it(staff, ending_in, mailoutbox):
    ending_in(10)

    run()

    assert sorted(mailoutbox[0].to) == ["operator@example.kz", "owner@example.kz"]


def test_another_organizations_subscriptions_are_not_in_this_organizations_mail(
    staff, other_staff, other_organization, ending_in, mailoutbox
):
    own = ending_in(10)
    foreign = ending_in(10, subscriber=factories.SubscriberFactory(organization=other_organization))

    run()

    by_recipient = {tuple(sorted(message.to)): message for message in mailoutbox}
    own_mail = by_recipient[("operator@example.kz", "owner@example.kz")]
    other_mail = by_recipient[("other-owner@example.kz",)]
    assert own.number in own_mail.body and foreign.number not in own_mail.body
    assert foreign.number in other_mail.body and own.number not in other_mail.body
    assert foreign.subscriber.name not in own_mail.alternatives[0][0]


def test_extensions_that_end_with_the_base_are_listed_others_not(
    staff, ending_in, session_tariff, infobase_tariff, mailoutbox
):
    base = ending_in(10)
    with_base = _extension(base, session_tariff, ends_on=base.ends_on, quantity=3)
    also_with_base = _extension(base, infobase_tariff, ends_on=base.ends_on)
    earlier = _extension(base, session_tariff, ends_on=base.ends_on - datetime.timedelta(days=1))
    draft = _extension(base, infobase_tariff, ends_on=base.ends_on, status=Status.DRAFT)

    run()

    (message,) = mailoutbox
    html = message.alternatives[0][0]
    for listed in (with_base, also_with_base):
        assert listed.number in message.body
        assert listed.number in html
    for not_listed in (earlier, draft):
        assert not_listed.number not in message.body
        assert not_listed.number not in html
    assert "Дополнительный сеанс × 3" in message.body


def test_drafts_are_ignored(staff, ending_in, mailoutbox):
    ending_in(10, status=Status.DRAFT)

    run()

    assert mailoutbox == []
    assert not ReminderSent.objects.exists()


def test_a_subscription_already_renewed_is_not_reminded(staff, ending_in, mailoutbox):
    base = ending_in(10)
    factories.SubscriptionFactory(
        subscriber=base.subscriber,
        tariff=base.tariff,
        period=base.period,
        starts_on=base.ends_on + datetime.timedelta(days=1),
        renews=base,
    )

    run()

    assert mailoutbox == []


def test_a_tariff_without_thresholds_is_not_reminded(staff, ending_in, base_tariff, mailoutbox):
    Tariff.objects.filter(pk=base_tariff.pk).update(reminder_days="")
    ending_in(1)

    run()

    assert mailoutbox == []


def test_the_mail_has_a_plain_text_and_an_html_part_in_russian(staff, ending_in, mailoutbox):
    subscription = ending_in(2)

    run()

    (message,) = mailoutbox
    assert isinstance(message, EmailMultiAlternatives)
    assert "заканчиваются подписки" in message.subject
    ends_on = subscription.ends_on.strftime("%d.%m.%Y")
    assert ends_on == "12.03.2026"
    text = message.body
    assert subscription.subscriber.name in text
    assert subscription.number in text
    assert subscription.tariff.name in text
    assert f"Действует по {ends_on} — осталось 2 дня" in text
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert ends_on in html
    assert "&quot;Абонент" in html or "ТОО" in html
    assert "осталось 2 дня" in html


def test_the_mail_advises_to_renew_not_the_grace_subscription(staff, ending_in, mailoutbox):
    # A renewal («Продлить») is an «Основная» that continues the base; a «Продлевающая»
    # is the few days' grace after the end (R13), not what keeps a client working.
    ending_in(10)

    run()

    (message,) = mailoutbox
    ((html, _mimetype),) = message.alternatives
    assert (
        "Чтобы абонент продолжил работу без перерыва, продлите подписку по ссылке «Продлить» "
        "или в карточке подписки в личном кабинете." in message.body
    )
    assert "продлите подписку: «Продлить» в ее строке или в карточке подписки" in html
    for text in (message.subject, message.body, html):
        assert "продлевающ" not in text.lower()


def test_a_failed_send_records_nothing_and_the_next_run_retries(
    staff, ending_in, mailoutbox, monkeypatch, caplog
):
    subscription = ending_in(10)

    def broken_send(self, fail_silently=False):
        raise ConnectionRefusedError("SMTP server is down")

    with monkeypatch.context() as patched:
        patched.setattr(EmailMultiAlternatives, "send", broken_send)
        run()  # the task fails; the command only enqueued it

    assert not ReminderSent.objects.exists()
    assert mailoutbox == []
    assert "Reminders for Демо-партнер not sent" in caplog.text
    assert "SMTP server is down" in caplog.text

    run()

    assert list(subscription.reminders.values_list("threshold_days", flat=True)) == [14]
    assert len(mailoutbox) == 1


def test_a_reminder_another_run_already_recorded_is_not_sent_again(staff, ending_in, mailoutbox):
    subscription = ending_in(10)
    (stale_batch,) = due_reminders(TODAY)  # what this run saw before the other one committed
    ReminderSent.objects.create(
        subscription=subscription, threshold_days=14, ends_on=subscription.ends_on
    )

    from subscriptions.reminders import _send_organization

    sent = _send_organization(stale_batch, TODAY)

    assert sent.reminders == []
    assert mailoutbox == []
    assert subscription.reminders.count() == 1


def test_an_organization_without_recipients_is_reported_and_retried_later(
    organization, ending_in, mailoutbox
):
    _member(organization, "viewer", "user")
    ending_in(10)

    out, err = run()

    assert mailoutbox == []
    assert not ReminderSent.objects.exists()
    assert "нет владельца или оператора с электронной почтой" in err


def test_a_run_only_enqueues_one_task_per_organization_and_says_so(
    staff, other_staff, other_organization, ending_in, mailoutbox, settings
):
    from django_tasks import default_task_backend

    from subscriptions.tasks import send_organization_reminders

    # The dummy backend keeps what was enqueued and runs nothing.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    own = ending_in(10)
    ending_in(20)
    ending_in(5, subscriber=factories.SubscriberFactory(organization=other_organization))

    out, _ = run()

    enqueued = sorted(
        (result.task.func, result.kwargs["organization_id"], result.kwargs["day"])
        for result in default_task_backend.results
    )
    assert enqueued == sorted(
        [
            (send_organization_reminders.func, own.subscriber.organization_id, "2026-03-10"),
            (send_organization_reminders.func, other_organization.pk, "2026-03-10"),
        ]
    )
    assert mailoutbox == []
    assert not ReminderSent.objects.exists()
    assert (
        "Демо-партнер: в очереди письмо для operator@example.kz, owner@example.kz — 2 подписки"
        in out
    )
    assert own.number in out
    assert "Поставлено в очередь задач: 2" in out


def test_dry_run_sends_and_records_nothing(staff, ending_in, mailoutbox):
    subscription = ending_in(10)

    out, _ = run("--dry-run")

    assert mailoutbox == []
    assert not ReminderSent.objects.exists()
    assert "будет отправлено" in out
    assert subscription.number in out


def test_a_bad_date_is_refused_in_russian(db):
    with pytest.raises(CommandError, match="ГГГГ-ММ-ДД"):
        call_command("send_reminders", "--date", "10.03.2026")


def test_nothing_due_says_so(db, mailoutbox):
    out, _ = run()

    assert "напоминать не о чем" in out
    assert mailoutbox == []


# --- The tariff's thresholds ------------------------------------------------


def test_reminder_days_default_to_30_14_3(base_tariff):
    assert base_tariff.reminder_days == "30,14,3"
    assert base_tariff.reminder_thresholds == (30, 14, 3)


def test_reminder_days_are_normalized(base_tariff):
    base_tariff.reminder_days = " 3, 30,14,3"

    base_tariff.full_clean()

    assert base_tariff.reminder_days == "30,14,3"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("abc", "reminder_days_format"),
        ("30;14", "reminder_days_format"),
        ("0", "reminder_days_range"),
        ("400", "reminder_days_range"),
    ],
)
def test_bad_reminder_days_are_refused(base_tariff, value, code):
    base_tariff.reminder_days = value

    with pytest.raises(ValidationError) as caught:
        base_tariff.full_clean()

    assert caught.value.error_dict["reminder_days"][0].code == code


@pytest.mark.parametrize("value", ["abc", "30, 14", "030", "30,"])
def test_the_database_refuses_malformed_reminder_days(base_tariff, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        Tariff.objects.filter(pk=base_tariff.pk).update(reminder_days=value)


def test_the_database_refuses_a_second_reminder_at_one_threshold(ending_in):
    subscription = ending_in(10)
    ReminderSent.objects.create(subscription=subscription, threshold_days=14, ends_on=TODAY)

    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderSent.objects.create(subscription=subscription, threshold_days=14, ends_on=TODAY)


# --- Two runs at once -------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_tasks_for_one_organization_at_once_send_each_reminder_once(
    organization, base_tariff, long_period, monkeypatch
):
    """Two runs of the command enqueue two tasks; two workers run them at the same moment."""
    from django.core import mail

    from subscriptions.tasks import send_organization_reminders

    _member(organization, "owner", "owner")
    for days in (1, 10, 25):
        ends_on = TODAY + datetime.timedelta(days=days)
        factories.SubscriptionFactory(
            subscriber=factories.SubscriberFactory(organization=organization),
            tariff=base_tariff,
            period=long_period,
            starts_on=ends_on - datetime.timedelta(days=long_period.count - 1),
        )
    original_send = EmailMultiAlternatives.send

    def slow_send(self, fail_silently=False):
        time.sleep(0.5)  # both runs have chosen their reminders before either commits
        return original_send(self, fail_silently=fail_silently)

    monkeypatch.setattr(EmailMultiAlternatives, "send", slow_send)
    mail.outbox = []
    start = threading.Barrier(2)
    errors, results = [], []

    def one_run():
        try:
            start.wait()
            results.append(send_organization_reminders.call(organization.pk, TODAY.isoformat()))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(mail.outbox) == 1
    assert ReminderSent.objects.count() == 3
    assert sorted(len(result["reminders"]) for result in results) == [0, 3]


# --- Admin -------------------------------------------------------------------


def test_admin_shows_sent_reminders_read_only(logged_in, admin_user, ending_in):
    subscription = ending_in(10)
    reminder = ReminderSent.objects.create(
        subscription=subscription,
        threshold_days=14,
        ends_on=subscription.ends_on,
        recipients="owner@example.kz",
    )
    client = logged_in(admin_user)

    changelist = reverse("admin:subscriptions_remindersent_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": subscription.number}).status_code == 200
    change = reverse("admin:subscriptions_remindersent_change", args=[reminder.pk])
    assert client.get(change).status_code == 200
    assert client.get(reverse("admin:subscriptions_remindersent_add")).status_code == 403
