"""`manage.py send_reminders [--date YYYY-MM-DD] [--dry-run]`: the daily reminder run.

Meant for cron, once a day, e.g. `15 8 * * * cd /srv/fresh-cabinet && .venv/bin/python
manage.py send_reminders`. Safe to run again, or twice at once: each reminder
is sent once (see subscriptions/reminders.py). Exits non-zero when some
organization's mail could not be sent, so cron reports it; the next run retries.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from common.formatting import russian_plural
from subscriptions import clock
from subscriptions.reminders import send_reminders

SUBSCRIPTIONS = ("подписка", "подписки", "подписок")


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"Дата «{value}» не распознана: укажите ее в формате ГГГГ-ММ-ДД, например 2025-01-31."
        ) from None


class Command(BaseCommand):
    help = (
        "Напоминает владельцам и операторам партнеров о заканчивающихся подписках на тарифы "
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
            help="Только показать, кому и о чем было бы отправлено; ничего не записывать.",
        )

    def handle(self, *args, date=None, dry_run=False, **options):
        today = _day(date) if date else clock.today()
        run = send_reminders(today=today, dry_run=dry_run)

        verb = "будет отправлено" if dry_run else "отправлено"
        for batch in run.sent:
            self.stdout.write(
                f"{batch.organization}: {verb} {', '.join(batch.recipients)} — "
                f"{len(batch.reminders)} {russian_plural(len(batch.reminders), SUBSCRIPTIONS)}"
            )
            for reminder in batch.reminders:
                subscription = reminder.subscription
                self.stdout.write(
                    f"  № {subscription.number} {subscription.subscriber.name}: "
                    f"по {subscription.ends_on:%d.%m.%Y}, {reminder.days_left_label} "
                    f"(порог {reminder.threshold_days})"
                )
        for batch in run.without_recipients:
            self.stderr.write(
                f"{batch.organization}: нет владельца или оператора с электронной почтой — "
                f"{len(batch.reminders)} напоминаний не отправлено."
            )
        for batch, exc in run.failed:
            self.stderr.write(f"{batch.organization}: письмо не отправлено ({exc}).")
        if not (run.sent or run.without_recipients or run.failed):
            self.stdout.write(f"На {today:%d.%m.%Y} напоминать не о чем.")
        if run.failed:
            raise CommandError(
                f"Не отправлено писем: {len(run.failed)}. Следующий запуск повторит попытку."
            )
