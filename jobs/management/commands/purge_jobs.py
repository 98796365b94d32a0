"""`manage.py purge_jobs [--dry-run] [--enqueue]`: the jobs' cleanup, for cron.

Deletes the result files of finished jobs past their time (JOB_FILES_KEEP_HOURS
after they finished), fails the running jobs whose worker died (no progress for
JOB_STALLED_AFTER_MINUTES) and the queued ones no worker took, and deletes the
rows finished more than JOB_ROWS_KEEP_DAYS ago. Hourly is enough, e.g.
`17 * * * * cd /srv/fresh_cabinet && .venv/bin/python manage.py purge_jobs`.
Safe beside the workers and safe to run twice.
"""

from django.core.management.base import BaseCommand

from jobs.services import jobs_purge


class Command(BaseCommand):
    help = (
        "Удаляет файлы длительных операций, срок хранения которых прошел, завершает с ошибкой "
        "операции, чей обработчик остановился, и удаляет старые записи. Запускайте каждый час."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Только показать, что было бы сделано; ничего не менять.",
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Поставить очистку в очередь фоновых задач (выполнит manage.py db_worker).",
        )

    def handle(self, *args, dry_run=False, enqueue=False, **options):
        if enqueue:
            from jobs.tasks import purge_jobs

            result = purge_jobs.enqueue()
            self.stdout.write(f"Очистка длительных операций в очереди: задача {result.id}.")
            return
        purged = jobs_purge(dry_run=dry_run)
        if dry_run:
            self.stdout.write("Проверка без изменений (--dry-run): вот что было бы сделано.")
        for label, count in (
            ("Удалено файлов", purged.files_deleted),
            ("Прервавшихся операций завершено с ошибкой", purged.stalled_failed),
            ("Не начавшихся операций завершено с ошибкой", purged.never_started_failed),
            ("Удалено старых записей", purged.rows_deleted),
        ):
            self.stdout.write(f"{label}: {count}")
