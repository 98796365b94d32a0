"""`manage.py refresh_limits [--date YYYY-MM-DD] [--enqueue]`: the nightly recompute of kept limits.

Meant for cron right after midnight in Asia/Almaty, when every subscriber's
kept limits become a day old, e.g. `CRON_TZ=Asia/Almaty` and
`1 0 * * * cd /srv/fresh-cabinet && .venv/bin/python manage.py refresh_limits`.
It recomputes every row that is not as of today (see subscriptions/kept_limits.py),
chunk by chunk, each chunk one transaction under its rows' locks: safe beside
the cabinet, safe to run twice. Until it has run, «Обслуживаемые абоненты»
sorted by a limit computes the limits from the documents (slower, never wrong).
`--enqueue` hands the work to a `db_worker` instead (the task
`subscriptions.tasks.refresh_kept_limits`).
"""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from subscriptions import clock, kept_limits


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"Дата «{value}» не распознана: укажите ее в формате ГГГГ-ММ-ДД, например 2025-01-31."
        ) from None


class Command(BaseCommand):
    help = (
        "Пересчитывает сохраненные лимиты абонентов (сеансы и базы) на сегодня: запускайте "
        "каждую ночь сразу после полуночи по Asia/Almaty."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            metavar="ГГГГ-ММ-ДД",
            help="Считать сегодняшним этот день (по умолчанию — сегодня в Asia/Almaty).",
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Поставить пересчет в очередь фоновых задач (выполнит manage.py db_worker).",
        )

    def handle(self, *args, date=None, enqueue=False, **options):
        day = _day(date) if date else clock.today()
        if enqueue:
            from subscriptions.tasks import refresh_kept_limits

            result = refresh_kept_limits.enqueue(day=day.isoformat())
            self.stdout.write(f"Пересчет лимитов на {day:%d.%m.%Y} в очереди: задача {result.id}.")
            return
        started = time.perf_counter()
        count = kept_limits.refresh(day)
        self.stdout.write(
            f"Лимиты на {day:%d.%m.%Y} пересчитаны: абонентов {count}, "
            f"{time.perf_counter() - started:.1f} с."
        )
