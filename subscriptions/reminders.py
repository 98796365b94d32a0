"""Reminders about base subscriptions that are ending (`manage.py send_reminders`).

Each tariff lists its reminder thresholds in days («30,14,3»). On a day D a
posted base subscription that ends on E ≥ D, with no posted renewal, is due a
reminder at the *smallest* threshold T with E − D ≤ T, unless one was already
sent at T. Only the smallest counts: a subscription first seen two days
before its end gets the 3-day reminder once, not three mails.

Each organization's owners and operators (with an e-mail) get one mail per
run listing its due subscriptions and, under each, its posted extensions that
end with it.

Idempotency lives in the database: for every organization one transaction
first inserts the ReminderSent rows — the unique (subscription, threshold)
pair refuses a row another run already inserted, or is inserting right now
(PostgreSQL makes the second insert wait for the first transaction's outcome;
SQLite's IMMEDIATE transactions serialize the runs) — then sends the mail
about the rows it did insert. A failed send rolls the rows back, so the next
run tries again. Unlike the cabinet's mails this one is deliberately sent
*inside* the transaction, not in `on_commit`: a reminder is better sent twice
(a crash between sending and committing) than lost.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Prefetch
from django.template.loader import render_to_string

from common.formatting import russian_plural
from subscribers.models import Membership, ServiceOrganization

from .models import ExtensionSubscription, ReminderSent, Status, Subscription, Tariff

logger = logging.getLogger(__name__)

RECIPIENT_ROLES = (Membership.Role.OWNER, Membership.Role.OPERATOR)


def due_threshold(days_left: int, thresholds, already_sent=()) -> int | None:
    """The threshold to remind at today, or None.

    The smallest threshold that `days_left` has reached, unless a reminder was
    already sent at it (a larger one having been sent does not matter).
    """
    if days_left < 0:
        return None
    reached = [threshold for threshold in thresholds if days_left <= threshold]
    if not reached:
        return None
    smallest = min(reached)
    return None if smallest in already_sent else smallest


@dataclass(frozen=True)
class DueReminder:
    subscription: Subscription  # with subscriber, tariff, period and `extensions_ending_with`
    threshold_days: int
    days_left: int

    @property
    def days_left_label(self) -> str:
        if self.days_left == 0:
            return "сегодня последний день"
        words = ("день", "дня", "дней")
        verb = "остался" if russian_plural(self.days_left, words) == "день" else "осталось"
        return f"{verb} {self.days_left} {russian_plural(self.days_left, words)}"


@dataclass
class OrganizationReminders:
    organization: ServiceOrganization
    recipients: list[str]
    reminders: list[DueReminder]


@dataclass
class ReminderRun:
    """What one run did, for the command's output and for tests."""

    today: datetime.date
    dry_run: bool
    sent: list[OrganizationReminders] = field(default_factory=list)
    without_recipients: list[OrganizationReminders] = field(default_factory=list)
    failed: list[tuple[OrganizationReminders, Exception]] = field(default_factory=list)


def _tariff_thresholds() -> dict[int, tuple[int, ...]]:
    tariffs = Tariff.objects.filter(kind=Tariff.Kind.BASE).exclude(reminder_days="")
    return {
        tariff.pk: tariff.reminder_thresholds
        for tariff in tariffs.only("pk", "reminder_days")
        if tariff.reminder_thresholds
    }


def due_reminders(today: datetime.date) -> list[OrganizationReminders]:
    """Every organization's due reminders on `today` (a fixed number of queries)."""
    thresholds = _tariff_thresholds()
    if not thresholds:
        return []
    horizon = today + datetime.timedelta(days=max(max(t) for t in thresholds.values()))
    ending_with_base = (
        ExtensionSubscription.objects.filter(
            status=Status.POSTED, ends_on=F("subscription__ends_on")
        )
        .select_related("tariff", "period")
        .order_by("starts_on", "number")
    )
    candidates = list(
        Subscription.objects.filter(
            status=Status.POSTED,
            tariff__in=thresholds.keys(),
            ends_on__range=(today, horizon),
        )
        .exclude(Exists(Subscription.objects.filter(renews=OuterRef("pk"), status=Status.POSTED)))
        .select_related("subscriber__organization", "tariff", "period")
        .prefetch_related(
            Prefetch("extensions", queryset=ending_with_base, to_attr="extensions_ending_with")
        )
        .order_by("ends_on", "subscriber__name", "number")
    )
    sent = defaultdict(set)
    for subscription_id, threshold in ReminderSent.objects.filter(
        subscription__in=[candidate.pk for candidate in candidates]
    ).values_list("subscription_id", "threshold_days"):
        sent[subscription_id].add(threshold)

    by_organization: dict[int, OrganizationReminders] = {}
    for subscription in candidates:
        days_left = (subscription.ends_on - today).days
        threshold = due_threshold(
            days_left, thresholds[subscription.tariff_id], sent[subscription.pk]
        )
        if threshold is None:
            continue
        organization = subscription.subscriber.organization
        batch = by_organization.setdefault(
            organization.pk, OrganizationReminders(organization, [], [])
        )
        batch.reminders.append(DueReminder(subscription, threshold, days_left))

    recipients = defaultdict(set)
    for organization_id, email in (
        Membership.objects.filter(
            organization__in=by_organization.keys(), role__in=RECIPIENT_ROLES, user__is_active=True
        )
        .exclude(user__email="")
        .values_list("organization_id", "user__email")
    ):
        recipients[organization_id].add(email)
    for organization_id, batch in by_organization.items():
        batch.recipients = sorted(recipients[organization_id])
    return sorted(by_organization.values(), key=lambda batch: batch.organization.name)


def build_message(batch: OrganizationReminders, today: datetime.date) -> EmailMultiAlternatives:
    count = len(batch.reminders)
    context = {
        "organization": batch.organization,
        "reminders": batch.reminders,
        "today": today,
        "count": count,
    }
    subject = (
        f"Fresh Cabinet: заканчиваются подписки абонентов ({count}) — {batch.organization.name}"
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/reminder.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=batch.recipients,
    )
    message.attach_alternative(render_to_string("emails/reminder.html", context), "text/html")
    return message


def _claim(reminder: DueReminder, recipients: str) -> bool:
    """Insert the reminder's row; False when another run already holds it."""
    try:
        with transaction.atomic():
            ReminderSent.objects.create(
                subscription=reminder.subscription,
                threshold_days=reminder.threshold_days,
                ends_on=reminder.subscription.ends_on,
                recipients=recipients,
            )
    except IntegrityError:
        return False
    return True


def _send_organization(batch: OrganizationReminders, today, connection) -> OrganizationReminders:
    """Claim the rows and send the one mail, in one transaction; empty when nothing was claimed."""
    with transaction.atomic():
        recipients = ", ".join(batch.recipients)
        claimed = [reminder for reminder in batch.reminders if _claim(reminder, recipients)]
        if claimed:
            sent = OrganizationReminders(batch.organization, batch.recipients, claimed)
            message = build_message(sent, today)
            message.connection = connection
            # An exception here rolls the claimed rows back: the next run retries.
            message.send(fail_silently=False)
            return sent
    return OrganizationReminders(batch.organization, batch.recipients, [])


def send_reminders(*, today: datetime.date, dry_run: bool = False, connection=None) -> ReminderRun:
    """Send the reminders due on `today`: one mail per organization, each reminder once.

    With `dry_run` nothing is written or sent; the run says what would be.
    An organization whose mail cannot be sent is logged and reported, and
    the others still get theirs.
    """
    run = ReminderRun(today=today, dry_run=dry_run)
    for batch in due_reminders(today):
        if not batch.recipients:
            # Nothing is recorded: the reminders go out once someone has an address.
            logger.warning(
                "Reminders for %s not sent: no owner or operator with an e-mail",
                batch.organization,
            )
            run.without_recipients.append(batch)
            continue
        if dry_run:
            run.sent.append(batch)
            continue
        try:
            sent = _send_organization(batch, today, connection)
        except Exception as exc:  # SMTP errors, a locked database: retried by the next run
            logger.exception("Reminders for %s not sent", batch.organization)
            run.failed.append((batch, exc))
            continue
        if sent.reminders:
            logger.info(
                "Reminders for %s sent to %s: %s",
                batch.organization,
                ", ".join(sent.recipients),
                ", ".join(f"{r.subscription.number} ({r.threshold_days})" for r in sent.reminders),
            )
            run.sent.append(sent)
    return run
