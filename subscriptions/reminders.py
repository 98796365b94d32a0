"""Reminders about base subscriptions that are ending (`manage.py send_reminders`).

Each tariff lists its reminder thresholds in days («30,14,3»). On a day D a
posted base subscription that ends on E ≥ D, with no posted renewal, is due a
reminder at the *smallest* threshold T with E − D ≤ T, unless one was already
sent at T. Only the smallest counts: a subscription first seen two days
before its end gets the 3-day reminder once, not three mails.

Each organization's owners and operators (with an e-mail) get one mail per
run listing its due subscriptions and, under each, its posted extensions that
end with it, with links to the base subscription's card and to its renewal
form (absolute, from `settings.CABINET_BASE_URL`: a worker has no request).
The mail is written in each recipient's cabinet language
(`Membership.language`, stored by the header's language switch): recipients
are grouped by language, one mail per group. Colleagues who read one language
share one mail, as all of them did when the mail was Russian only (they see
who else was told, and a run sends at most three mails per organization, not
one per person), and a mail's text depends only on its language.

The command enqueues one background task per organization
(`subscriptions.tasks.send_organization_reminders`); the worker that runs it
calls `send_due_reminders`, which chooses that organization's reminders
afresh — a task that waited in the queue never mails about a subscription
renewed meanwhile.

Idempotency lives in the database: one transaction first inserts the
organization's ReminderSent rows — the unique (subscription, threshold) pair
refuses a row another run already inserted, or is inserting right now
(PostgreSQL makes the second insert wait for the first transaction's outcome;
SQLite's IMMEDIATE transactions serialize the runs) — then sends the mail
about the rows it did insert. So two tasks for one organization (two runs of
the command, two workers on two machines) send each reminder once. A failed
send rolls the rows back and fails the task, so the next run tries again
(also the language groups whose mail had already gone: twice, never lost).
Unlike the cabinet's mails this one is deliberately sent *inside* the
transaction, not in `on_commit`: a reminder is better sent twice (a worker
dying between sending and committing) than lost.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from common.formatting import fmt, plural_word
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
        """«осталось 2 дня», «остался 21 день», «сегодня последний день» in the active language."""
        if self.days_left == 0:
            return gettext("сегодня последний день")
        phrase = plural_word(
            self.days_left,
            ("остался %(count)s день", "осталось %(count)s дня", "осталось %(count)s дней"),
            ngettext("остался %(count)s день", "осталось %(count)s дней", self.days_left),
        )
        return phrase % {"count": self.days_left}

    @property
    def card_url(self) -> str:
        return cabinet_url("subscription_detail", self.subscription.pk)

    @property
    def renewal_url(self) -> str:
        return cabinet_url("subscription_renew", self.subscription.pk)


def cabinet_url(name: str, *args) -> str:
    """The absolute address of a cabinet page, for mails: CABINET_BASE_URL + its path."""
    return settings.CABINET_BASE_URL.rstrip("/") + reverse(name, args=args)


@dataclass
class OrganizationReminders:
    organization: ServiceOrganization
    recipients: list[str]
    reminders: list[DueReminder]
    # Each recipient's cabinet language (e-mail → "ru", "kk", "en").
    languages: dict[str, str] = field(default_factory=dict)

    def recipients_by_language(self) -> list[tuple[str, list[str]]]:
        """[(language, its recipients)], in the order of settings.LANGUAGES."""
        order = [code for code, _name in settings.LANGUAGES]
        groups: dict[str, list[str]] = defaultdict(list)
        for email in self.recipients:
            groups[self.languages.get(email, settings.LANGUAGE_CODE)].append(email)
        return sorted(groups.items(), key=lambda group: order.index(group[0]))


def _tariff_thresholds() -> dict[int, tuple[int, ...]]:
    tariffs = Tariff.objects.filter(kind=Tariff.Kind.BASE).exclude(reminder_days="")
    return {
        tariff.pk: tariff.reminder_thresholds
        for tariff in tariffs.only("pk", "reminder_days")
        if tariff.reminder_thresholds
    }


def due_reminders(
    today: datetime.date, *, organization_id: int | None = None
) -> list[OrganizationReminders]:
    """Every organization's due reminders on `today`, or only `organization_id`'s.

    A fixed number of queries, however many subscriptions and organizations.
    """
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
    ending = Subscription.objects.filter(
        status=Status.POSTED, tariff__in=thresholds.keys(), ends_on__range=(today, horizon)
    )
    if organization_id is not None:
        ending = ending.filter(subscriber__organization_id=organization_id)
    candidates = list(
        ending.exclude(
            Exists(Subscription.objects.filter(renews=OuterRef("pk"), status=Status.POSTED))
        )
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

    languages = defaultdict(dict)
    for organization_id, email, language in (
        Membership.objects.filter(
            organization__in=by_organization.keys(), role__in=RECIPIENT_ROLES, user__is_active=True
        )
        .exclude(user__email="")
        .order_by("pk")
        .values_list("organization_id", "user__email", "language")
    ):
        # Two staff sharing one address get one mail, in the earlier one's language.
        languages[organization_id].setdefault(email, language)
    for organization_id, batch in by_organization.items():
        batch.languages = languages[organization_id]
        batch.recipients = sorted(batch.languages)
    return sorted(by_organization.values(), key=lambda batch: batch.organization.name)


def build_message(
    batch: OrganizationReminders, today: datetime.date, *, language: str, recipients: list[str]
) -> EmailMultiAlternatives:
    """The mail to `recipients`, all of whom read `language`: plain text and HTML."""
    with translation.override(language):
        count = len(batch.reminders)
        context = {
            "organization": batch.organization,
            "reminders": batch.reminders,
            "today": fmt(today),
            "count": count,
            "home_url": cabinet_url("home"),
        }
        subject = gettext(
            "Fresh Cabinet: заканчиваются подписки абонентов (%(count)s) — %(organization)s"
        ) % {"count": count, "organization": batch.organization.name}
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("emails/reminder.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=recipients,
        )
        message.attach_alternative(render_to_string("emails/reminder.html", context), "text/html")
    return message


def build_messages(
    batch: OrganizationReminders, today: datetime.date
) -> list[EmailMultiAlternatives]:
    """One mail per language its recipients read."""
    return [
        build_message(batch, today, language=language, recipients=recipients)
        for language, recipients in batch.recipients_by_language()
    ]


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


def _send_organization(batch: OrganizationReminders, today) -> OrganizationReminders:
    """Claim the rows and send the one mail, in one transaction; empty when nothing was claimed."""
    with transaction.atomic():
        recipients = ", ".join(batch.recipients)
        claimed = [reminder for reminder in batch.reminders if _claim(reminder, recipients)]
        if claimed:
            sent = OrganizationReminders(
                batch.organization, batch.recipients, claimed, batch.languages
            )
            # An exception here rolls the claimed rows back: the next run retries.
            with get_connection() as connection:  # one SMTP session for the language groups
                for message in build_messages(sent, today):
                    message.connection = connection
                    message.send(fail_silently=False)
            return sent
    return OrganizationReminders(batch.organization, batch.recipients, [])


def send_due_reminders(
    *, organization_id: int, today: datetime.date
) -> OrganizationReminders | None:
    """Send `organization_id`'s reminders due on `today` in one mail; return what was sent.

    None when nothing is due. Empty `reminders` when another run already sent
    them, or when the organization has no owner or operator with an e-mail —
    nothing is recorded then, so they go out once someone has an address.
    Raises when the mail cannot be sent; nothing is recorded then either.
    """
    batches = due_reminders(today, organization_id=organization_id)
    if not batches:
        return None
    (batch,) = batches
    if not batch.recipients:
        logger.warning(
            "Reminders for %s not sent: no owner or operator with an e-mail", batch.organization
        )
        return OrganizationReminders(batch.organization, [], [])
    try:
        sent = _send_organization(batch, today)
    except Exception:  # SMTP errors, a locked database: the task fails, the next run retries
        logger.exception("Reminders for %s not sent", batch.organization)
        raise
    if sent.reminders:
        logger.info(
            "Reminders for %s sent to %s: %s",
            batch.organization,
            ", ".join(sent.recipients),
            ", ".join(f"{r.subscription.number} ({r.threshold_days})" for r in sent.reminders),
        )
    return sent
