"""`manage.py check_invariants [--max-listed N]`: is the stored data what the rules promise?

Scans every organization's documents (see subscriptions/invariants.py: one
query per check, the offending rows only, streamed) and prints each broken
invariant with its document's number and organization, then one line per
check. Exits with status 1 when it found anything, 0 otherwise — for a
restore (README «Backup and restore»), a monitoring job, or the end of a
stress test.
"""

from django.core.management.base import BaseCommand, CommandError

from subscriptions.invariants import CHECKS


class Command(BaseCommand):
    help = (
        "Проверяет по всей базе правила DESIGN.md (R1–R18 о хранимых документах) и печатает "
        "каждое нарушение; код выхода 1, если нарушения есть."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-listed",
            type=int,
            default=0,
            help="Печатать не больше N нарушений каждой проверки (0 — все); считаются все.",
        )

    def handle(self, *args, max_listed: int, **options):
        total = 0
        summary = []
        for check in CHECKS:
            found = 0
            for violation in check.find():
                found += 1
                if not max_listed or found <= max_listed:
                    self.stdout.write(str(violation))
            total += found
            summary.append((check, found))
        self.stdout.write("")
        for check, found in summary:
            mark = "ok" if not found else f"нарушений: {found}"
            self.stdout.write(f"{check.rule:<8} {check.title}: {mark}")
        if total:
            raise CommandError(f"Найдено нарушений: {total}.", returncode=1)
        self.stdout.write(self.style.SUCCESS("Нарушений нет."))
