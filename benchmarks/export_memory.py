"""Memory of a download as its rows grow: a job's writer holds a few chunks, never the table.

    python -m benchmarks.export_memory                       # generated rows: 10,000 and 100,000
    python -m benchmarks.export_memory --sizes 20000,200000  # other sizes
    python -m benchmarks.export_memory --database             # the partners of scale `sizes` too

Each case runs in a fresh Python process and writes one table the way a job
does (cabinet/exports.py `write_table`: rows read from the database CHUNK_ROWS
at a time, openpyxl's write-only workbook or the CSV writer, into a file). It
prints the rows, the seconds, the file's size and the memory the write added
to the process: its peak resident set size (the kernel's high-water mark,
C libraries such as lxml and the database driver included) less what the
process held just before the write. Sizes ten times apart with the same
memory are the point; the seconds are what README «Deploy» sizes the worker
timeouts by (they grow with the rows, and with the machine's load).

Cases:
- generated rows of «Подписки обслуживаемых абонентов»'s shape (no database);
- with `--database`, «Подписки обслуживаемых абонентов» and «Обслуживаемые
  абоненты» of the partners `benchmarks.generate --scale sizes` makes (500,
  5,000 and 50,000 subscribers: ≈2,000, 20,000 and 200,000 documents), read
  from the database named by DATABASE_URL. Nothing is written to it; the
  files go to a temporary folder and are deleted.

`--tracemalloc` reports Python's own allocations instead (tracemalloc's peak:
exact, but it slows the write several times).
"""

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

PARTNERS = [f"Бенчмарк-партнер {n:03d}" for n in (2, 1, 0)]  # 500, 5,000, 50,000 subscribers
TABLES = ("subscriptions", "subscribers")
TITLES = {
    "subscriptions": "Подписки обслуживаемых абонентов",
    "subscribers": "Обслуживаемые абоненты",
}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _reset_peak_rss() -> None:
    """Start the kernel's high-water mark afresh (Linux ≥ 4.0), so that the peak is the write's."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        pass  # the peak then includes the start-up's, and the figure is a lower bound


def _peak_rss_bytes() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def synthetic_rows(n: int):
    from subscriptions.selectors import DocumentRow

    day = datetime.date(2026, 1, 1)
    for i in range(n):
        yield DocumentRow(
            kind="extension" if i % 3 else "base",
            pk=i,
            number=f"Р{i:08d}",
            kind_label="Расширяющая",
            subscriber_id=i // 3,
            subscriber_name=f'ТОО "Абонент {i // 3:06d}"',
            tariff_name="Дополнительный сеанс",
            period_label="3 месяца",
            starts_on=day,
            ends_on=day + datetime.timedelta(days=89),
            quantity=1 + i % 5,
            status="posted",
            status_label="Проведен",
            amount=Decimal(8500 + i % 7),
        )


def _writer(case: dict):
    """(a function writing the case's table into a binary file, its row count, its label)."""
    from cabinet.exports import subscription_list_columns, write_table
    from spreadsheets.export import write_csv, write_xlsx

    fmt = case["format"]
    if case["source"] == "generated":
        n = case["rows"]
        columns = subscription_list_columns()
        if fmt == "csv":
            return (lambda target: write_csv(columns, synthetic_rows(n), target)), n, "generated"

        def write(target):
            write_xlsx(columns, synthetic_rows(n), sheet_title="Подписки", target=target)

        return write, n, "generated"

    from django.http import QueryDict

    from cabinet.views.lists import subscription_list_download
    from cabinet.views.subscribers import subscriber_list_download
    from subscribers.models import ServiceOrganization
    from subscriptions import clock

    organization = ServiceOrganization.objects.get(name=case["partner"])
    build = {
        "subscriptions": subscription_list_download,
        "subscribers": subscriber_list_download,
    }[case["source"]]
    table = build(organization, QueryDict(), today=clock.today())
    rows = table.count(None)
    return (lambda target: write_table(table, fmt, target)), rows, case["partner"]


def run_case(case: dict, traced: bool) -> dict:
    """One case, in this process (a child of `main`)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fresh_cabinet.settings")
    django.setup()
    write, rows, label = _writer(case)
    with tempfile.TemporaryFile() as target:
        if traced:
            import tracemalloc

            tracemalloc.start()
        _reset_peak_rss()
        before = _rss_bytes()
        started = time.perf_counter()
        write(target)
        seconds = time.perf_counter() - started
        if traced:
            added = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        else:
            added = max(_peak_rss_bytes() - before, 0)
        target.seek(0, os.SEEK_END)
        size = target.tell()
    return {**case, "label": label, "rows": rows, "seconds": seconds, "added": added, "size": size}


def _in_a_child(case: dict, traced: bool) -> dict:
    command = [sys.executable, "-m", "benchmarks.export_memory", "--case", json.dumps(case)]
    if traced:
        command.append("--tracemalloc")
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def cases(sizes: list[int], database: bool) -> list[dict]:
    found = [
        {"source": "generated", "format": fmt, "rows": n} for fmt in ("csv", "xlsx") for n in sizes
    ]
    if database:
        found += [
            {"source": source, "format": fmt, "partner": partner}
            for source in TABLES
            for fmt in ("csv", "xlsx")
            for partner in PARTNERS
        ]
    return found


def _check_partners():
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fresh_cabinet.settings")
    django.setup()
    from subscribers.models import ServiceOrganization

    if ServiceOrganization.objects.filter(name__in=PARTNERS).count() != len(PARTNERS):
        sys.exit(
            "The partners of scale `sizes` are not in this database: run "
            "`python -m benchmarks.generate --scale sizes` first (benchmarks/README.md)."
        )


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="generated rows, comma-separated")
    parser.add_argument("--database", action="store_true", help="the partners of scale `sizes`")
    parser.add_argument("--tracemalloc", action="store_true", help="Python's allocations instead")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # a child's one case (JSON)
    args = parser.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(json.loads(args.case), args.tracemalloc)))
        return []
    if args.database:
        _check_partners()
    memory = "Python allocations (tracemalloc)" if args.tracemalloc else "added peak RSS"
    print(f"| table | format | rows | seconds | file, MiB | {memory}, MiB |")
    print("|---|---|---:|---:|---:|---:|")
    results = []
    for case in cases([int(n) for n in args.sizes.split(",")], args.database):
        row = _in_a_child(case, args.tracemalloc)
        table = TITLES.get(row["source"], "generated rows")
        where = "" if row["source"] == "generated" else f" ({row['label']})"
        print(
            f"| {table}{where} | {row['format']} | {row['rows']:,} | {row['seconds']:.1f} | "
            f"{row['size'] / 2**20:.1f} | {row['added'] / 2**20:.1f} |",
            flush=True,
        )
        results.append(row)
    return results


if __name__ == "__main__":
    main()
