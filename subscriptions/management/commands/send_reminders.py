"""`manage.py send_reminders [--date YYYY-MM-DD] [--dry-run]`: the daily reminder run.

Meant for cron, once a day, e.g. `15 8 * * * cd /srv/fresh-cabinet && .venv/bin/python
manage.py send_reminders`. It chooses the organizations with reminders due and
enqueues one background task per organization
(`subscriptions.tasks.send_organization_reminders`); a `db_worker` process
sends the mails. Safe to run again, or twice at once: each reminder is sent
once (see subscriptions/reminders.py). A mail that cannot be sent fails its
task (the admin's «Task Results» show it with the error) and records nothing,
so the next run retries.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from common.formatting import russian_plural
from subscriptions import clock
from subscriptions.reminders import due_reminders
from subscriptions.tasks import send_organization_reminders
from subscriptions.validators import business_range_error, in_business_range

SUBSCRIPTIONS = ("подписка", "подписки", "подписок")


def _day(value: str) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"Дата «{value}» не распознана: укажите ее в формате ГГГГ-ММ-ДД, например 2025-01-31."
        ) from None
    # R18: no document lives outside the business range, and the thresholds'
    # horizon past 31.12.9999 is no date at all.
    if not in_business_range(day):
        raise CommandError(f"--date {value}: {' '.join(business_range_error().messages)}")
    return day


class Command(BaseCommand):
    help = (
        "Ставит в очередь напоминания владельцам и операторам партнеров о заканчивающихся "
        "подписках на тарифы: по задаче на партнера, письма отправляет manage.py db_worker "
        "(по порогам тарифа, каждое напоминание — один раз)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            metavar="ГГГГ-ММ-ДД",
            help="Считать сегодняшним этот день (по умолчанию — сегодня в Asia/Almaty).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Только показать, кому и о чем было бы отправлено; ничего не ставить в очередь.",
        )

    def handle(self, *args, date=None, dry_run=False, **options):
        today = _day(date) if date else clock.today()
        batches = due_reminders(today)
        if not batches:
            self.stdout.write(f"На {today:%d.%m.%Y} напоминать не о чем.")
            return

        enqueued = 0
        for batch in batches:
            if not batch.recipients:
                # Nothing is recorded: the reminders go out once someone has an address.
                self.stderr.write(
                    f"{batch.organization}: нет владельца или оператора с электронной почтой — "
                    f"{len(batch.reminders)} напоминаний не отправлено."
                )
                continue
            if not dry_run:
                send_organization_reminders.enqueue(
                    organization_id=batch.organization.pk, day=today.isoformat()
                )
                enqueued += 1
            verb = "будет отправлено" if dry_run else "в очереди письмо для"
            count = len(batch.reminders)
            self.stdout.write(
                f"{batch.organization}: {verb} {', '.join(batch.recipients)} — "
                f"{count} {russian_plural(count, SUBSCRIPTIONS)}"
            )
            for reminder in batch.reminders:
                subscription = reminder.subscription
                self.stdout.write(
                    f"  № {subscription.number} {subscription.subscriber.name}: "
                    f"по {subscription.ends_on:%d.%m.%Y}, {reminder.days_left_label} "
                    f"(порог {reminder.threshold_days})"
                )
        if enqueued:
            self.stdout.write(
                f"Поставлено в очередь задач: {enqueued}. Письма отправит `manage.py db_worker`."
            )
