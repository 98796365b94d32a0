"""Every cabinet page for partners of different sizes, interleaved in one process.

    python -m benchmarks.run --scale sizes [--rounds 5] [--per-round 6] [--record]

On scale `sizes` (one database, partners of 50,000, 5,000 and 500 subscribers,
see `benchmarks.generate`) each page is requested for each partner in turn —
partner A, B, C, then C, B, A, … — by its own logged-in operator, so that the
machine's load (2 shared cores) falls on every size alike. A page's figures:

- per partner: the queries of one request (counted on the warm-ups; they must
  agree), p50 and p95 over `rounds × per_round` timed requests;
- per size against the smallest partner: the ratio of the two p50 *within each
  round* (each round's requests are interleaved), reported as the median and
  the min–max of the rounds — the spread says how much the machine moved.

`bench_statistics()` is the fresh-database case on SQLite: the pages timed with
no statistics at all (as a database fresh from `migrate` and a first import),
then after the cabinet's own statistics upkeep (`subscribers/sqlite.py`) has run.
"""

import datetime
import statistics
import sys
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks import generate as gen
from subscribers import sqlite as sqlite_upkeep
from subscribers.models import Subscriber
from subscriptions.models import ExtensionSubscription, SubscriberLimits, Subscription

WARMUPS = 3


class Partner:
    """A sized partner of the scale: its objects to open and its logged-in operator."""

    def __init__(self, index: int, targets):
        self.index = index
        self.targets = targets
        self.organization = targets.organization
        self.subscribers = Subscriber.objects.filter(organization=self.organization).count()
        self.client = Client()
        self.client.force_login(targets.operator)

    @property
    def label(self) -> str:
        return f"{self.subscribers:,}"

    def describe(self) -> dict:
        return {
            "index": self.index,
            "organization": self.organization.name,
            "subscribers": self.subscribers,
            "bases": Subscription.objects.filter(organization=self.organization).count(),
            "extensions": ExtensionSubscription.objects.filter(
                organization=self.organization
            ).count(),
            "card_subscriber_documents": self.targets.subscriber_documents,
            "card_base_extensions": self.targets.base_extensions,
        }


def partners(today, scale_name: str, targets_class, known=None) -> list["Partner"]:
    """The scale's sized partners, smallest first (`known`: Targets already built, by index)."""
    scale = gen.SCALES[scale_name]
    known = known or {}
    found = [
        Partner(index, known.get(index) or targets_class(today, index))
        for index in range(len(scale.sized))
    ]
    return sorted(found, key=lambda partner: partner.subscribers)


def _interleaved(order: list, rounds: int, per_round: int):
    """(round, partner) in the order requests are made: forwards, backwards, rotated per round."""
    for round_index in range(rounds):
        shift = round_index % len(order)
        rotated = order[shift:] + order[:shift]
        for step in range(per_round):
            for partner in rotated if step % 2 == 0 else reversed(rotated):
                yield round_index, partner


def measure_page(page_index: int, group: list[Partner], rounds: int, per_round: int,
                 name: str | None = None) -> dict:  # fmt: skip
    """One page for every partner of `group`, interleaved; see the module's docstring."""
    specs = {}
    for partner in group:
        page_name, url_name, args, query = partner.targets.pages()[page_index]
        specs[partner.index] = (reverse(url_name, args=args), query)
    name = name or page_name
    row = {"name": name, "url_name": url_name, "query": query, "partners": {}}
    counts = {partner.index: [] for partner in group}
    status = {}
    try:
        for _ in range(WARMUPS):
            for partner in group:
                path, query = specs[partner.index]
                with CaptureQueriesContext(connection) as captured:
                    response = partner.client.get(path, query)
                counts[partner.index].append(len(captured.captured_queries))
                status[partner.index] = response.status_code
        times = {partner.index: [] for partner in group}
        per_round_times = [{partner.index: [] for partner in group} for _ in range(rounds)]
        for round_index, partner in _interleaved(group, rounds, per_round):
            path, query = specs[partner.index]
            started = time.perf_counter()
            partner.client.get(path, query)
            elapsed = time.perf_counter() - started
            times[partner.index].append(elapsed)
            per_round_times[round_index][partner.index].append(elapsed)
    except Exception as exc:  # a broken page is a result too, not the end of the run
        row.update(status="error", detail=f"{type(exc).__name__}: {exc}"[:200])
        _progress(row)
        return row
    from benchmarks.run import ms, percentile

    for partner in group:
        values = times[partner.index]
        row["partners"][partner.label] = {
            "subscribers": partner.subscribers,
            "http_status": status[partner.index],
            "queries": counts[partner.index][-1],
            "queries_stable": len(set(counts[partner.index])) == 1,
            "p50_ms": ms(percentile(values, 50)),
            "p95_ms": ms(percentile(values, 95)),
            "mean_ms": ms(statistics.fmean(values)),
            "n": len(values),
        }
    smallest = group[0]
    row["ratios"] = {}
    for partner in group[1:]:
        per_round = [
            statistics.median(round_times[partner.index])
            / statistics.median(round_times[smallest.index])
            for round_times in per_round_times
        ]
        row["ratios"][partner.label] = {
            "over": smallest.label,
            "median": round(statistics.median(per_round), 2),
            "min": round(min(per_round), 2),
            "max": round(max(per_round), 2),
            "rounds": [round(value, 2) for value in per_round],
        }
    statuses = {figures["http_status"] for figures in row["partners"].values()}
    row["status"] = "ok" if statuses == {200} else "HTTP " + "/".join(map(str, sorted(statuses)))
    _progress(row)
    return row


def _progress(row: dict) -> None:
    if row.get("status") == "error":
        print(f"  {row['name']}: {row['detail']}", file=sys.stderr, flush=True)
        return
    figures = ", ".join(f"{label}: {f['p50_ms']} ms" for label, f in row["partners"].items())
    print(f"  {row['name']}: {figures}", file=sys.stderr, flush=True)


def bench_sizes(group: list[Partner], rounds: int, per_round: int) -> dict:
    pages = len(group[0].targets.pages())
    # A process's first request ends with PRAGMA optimize on SQLite (subscribers/sqlite.py):
    # made here, uncounted, so that the warm-ups' query counts compare like with like.
    for partner in group:
        partner.client.get(reverse("home"))
    rows = [measure_page(index, group, rounds, per_round) for index in range(pages)]
    rows.append(measure_before_the_nightly_job(group, rounds, per_round))
    return {
        "partners": [partner.describe() for partner in group],
        "rounds": rounds,
        "per_round": per_round,
        "pages": rows,
    }


BEFORE_THE_JOB = "… по сеансам ↓, до ночного пересчета лимитов"


def measure_before_the_nightly_job(group: list[Partner], rounds: int, per_round: int) -> dict:
    """«по сеансам ↓» while the kept limits are a day old (after midnight, before the job).

    The list then computes the limits from the documents, as it did for every
    request before the limits were kept. The rows are made a day old and put
    back as they were: their values are today's all along.
    """
    index = next(
        i for i, page in enumerate(group[0].targets.pages()) if page[3].get("sort") == "-sessions"
    )
    kept = SubscriberLimits.objects.filter(organization__in=[p.organization for p in group])
    day = group[0].targets.today
    assert not kept.exclude(as_of=day).exists(), "the kept limits must be current to begin with"
    kept.update(as_of=day - datetime.timedelta(days=1))
    try:
        row = measure_page(index, group, rounds, per_round, name=BEFORE_THE_JOB)
    finally:
        kept.update(as_of=day)
    # A reference, not a page as partners see it: no targets, not in the picture.
    row["reference"] = True
    return row


# --- The fresh database (SQLite) ------------------------------------------------


def _drop_statistics() -> None:
    """Forget every statistic, as in a database that never ran ANALYZE, and reconnect."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_stat%'")
        for (table,) in cursor.fetchall():
            cursor.execute(f"DELETE FROM {table}")
        # SQLite reads the statistics when a connection loads the schema: reload it.
        cursor.execute("ANALYZE sqlite_master")
    connection.close()


def _statistics_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute("SELECT count(*) FROM sqlite_stat1")
        return cursor.fetchone()[0]


def _time_pages(partner: Partner, page_indexes, repeat: int) -> list[dict]:
    from benchmarks.run import ms, percentile

    rows = []
    for page_index in page_indexes:
        name, url_name, args, query = partner.targets.pages()[page_index]
        path = reverse(url_name, args=args)
        partner.client.get(path, query)  # warm-up
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            partner.client.get(path, query)
            times.append(time.perf_counter() - started)
        rows.append(
            {"name": name, "p50_ms": ms(percentile(times, 50)), "p95_ms": ms(percentile(times, 95))}
        )
    return rows


def bench_statistics(partner: Partner, repeat: int) -> dict:
    """The biggest partner's pages with no statistics, then after the cabinet's upkeep ran."""
    if connection.vendor != "sqlite":
        return {"status": "skipped", "detail": "PostgreSQL's autovacuum keeps its statistics"}
    page_indexes = range(len(partner.targets.pages()))
    with sqlite_upkeep.upkeep_paused():
        _drop_statistics()
        before_rows = _statistics_rows()
        without = _time_pages(partner, page_indexes, repeat)
    # What the cabinet does by itself: its first request's end runs PRAGMA optimize.
    sqlite_upkeep.reset_upkeep_clock()
    started = time.perf_counter()
    name, url_name, args, query = partner.targets.pages()[0]
    partner.client.get(reverse(url_name, args=args), query)
    first_request = time.perf_counter() - started
    after_rows = _statistics_rows()
    with sqlite_upkeep.upkeep_paused():
        upkept = _time_pages(partner, page_indexes, repeat)
        # Leave the database as the generator left it: a full ANALYZE.
        started = time.perf_counter()
        sqlite_upkeep.analyze(connection)
        analyze_s = time.perf_counter() - started
        analyzed = _time_pages(partner, page_indexes, repeat)
    pages = []
    for a, b, c in zip(without, upkept, analyzed, strict=True):
        pages.append(
            {
                "name": a["name"],
                "no_statistics_p50_ms": a["p50_ms"],
                "after_upkeep_p50_ms": b["p50_ms"],
                "after_analyze_p50_ms": c["p50_ms"],
                "no_statistics_over_upkeep": round(a["p50_ms"] / b["p50_ms"], 2),
            }
        )
    return {
        "status": "ok",
        "partner_subscribers": partner.subscribers,
        "repeat": repeat,
        "statistics_rows": {"dropped_to": before_rows, "after_first_request": after_rows},
        "first_request_with_optimize_ms": round(first_request * 1000, 1),
        "full_analyze_ms": round(analyze_s * 1000, 1),
        "pages": pages,
    }
