"""The in-process benchmark: pages, admin change lists, limits and posting.

    python -m benchmarks.run --scale small|large [--repeat N] [--json PATH] [--record]
                             [--only pages,admin,limits,posting,statistics] [--posts N]
    python -m benchmarks.run --scale sizes [--rounds 5] [--per-round 6] [--record]
                             [--only pages,statistics]
    python -m benchmarks.run --scale large|sizes --only admin [--rounds 5] [--per-round 6]

Scale `sizes` measures every cabinet page for partners of 500, 5,000 and 50,000
subscribers in one database, interleaved, and reports the ratios of that run
(`benchmarks/sizes.py`), with a picture (`benchmarks/picture.py`: an SVG beside
the JSON; `--record` writes `benchmarks/sizes.svg`, or `sizes-sqlite.svg`).
`statistics` is the fresh-database case on SQLite (`sizes.bench_statistics`).

Runs on the database in DATABASE_URL and generates the scale's data there first
when it is not present (`benchmarks.generate`). Prints one table per part and
writes the same figures as JSON outside the checkout (default
`$BENCHMARK_OUTPUT_DIR`, else `<temp>/fresh-cabinet-benchmarks/<vendor>-<scale>.json`),
so a run leaves `git status` clean; `--record` writes the committed
`benchmarks/results/<vendor>-<scale>.json` instead.

- Pages: Django's test Client in this process, logged in as `bench_operator`
  (the admin as `bench_admin`). Server time is `time.perf_counter()` around
  `client.get()`: URL resolution, middleware, view, queries, template — no
  network and no browser. Queries are counted with `CaptureQueriesContext` on
  the warm-up requests (they must agree); the timed requests run without the
  debug cursor, with DEBUG=False.
- Admin (`benchmarks/admin_lists.py`): every admin change list, the big ones
  searched and filtered, history pages; the big lists against a stock
  ModelAdmin with the same `list_display` and `list_per_page` on a separate
  AdminSite (`benchmarks/stock_admin.py`), requested alternately in
  `--rounds` × `--per-round`.
- Limits: `selectors.limits_for_subscribers()` for every subscriber against the
  same sums as one hand-written SQL query; both must give the same result.
- Posting: `benchmarks/posting.py` — the form's and the card's posting call by
  one client, by two on one base and by two on two bases, each client a
  process with its own database connection. What it posted is deleted
  afterwards.
"""

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, F
from django.template import TemplateDoesNotExist
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from benchmarks import admin_lists, picture, posting, sizes
from benchmarks import generate as gen
from subscribers.models import ServiceOrganization, Subscriber
from subscriptions import clock
from subscriptions.models import ExtensionSubscription, Status, Subscription
from subscriptions.periods import Periodicity, period_end
from subscriptions.selectors import Limits, limits_for_subscribers

# The committed figures (README «Performance»), written only with --record.
RESULTS_DIR = Path(__file__).resolve().parent / "results"
# Where a run writes by default: outside the checkout.
OUTPUT_DIR = Path(
    os.environ.get("BENCHMARK_OUTPUT_DIR")
    or Path(tempfile.gettempdir()) / "fresh-cabinet-benchmarks"
)


def output_dir(record: bool) -> Path:
    return RESULTS_DIR if record else OUTPUT_DIR


# whitenoise warns once per process when collectstatic has not been run; pages do not need it.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
WARMUPS = 3
PAGE_BUDGET_S = 60.0  # per page: past it, fewer timed requests (the row's `n` says how many)
PARTS = ("pages", "admin", "limits", "posting", "statistics")
# Scale `sizes`: its pages interleaved over the partners, and the fresh-database case.
SIZED_PARTS = ("pages", "statistics")
# Exceptions that mean "this page is not built yet" rather than "it is broken".
MISSING = (NoReverseMatch, ImportError, AttributeError, TemplateDoesNotExist)


def percentile(values, q: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def bench_settings():
    """DEBUG=False (no query log) and the test Client's host allowed."""
    return override_settings(
        DEBUG=False,
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        SECURE_SSL_REDIRECT=False,
    )


# --- What to look at ------------------------------------------------------------


class Targets:
    """The objects the pages open: the worst cases of the operator's organization.

    `index` names the partner («Бенчмарк-партнер 000», 001, …) and its operator
    (`generate.operator_username`); 0 is the biggest partner of every scale.
    """

    def __init__(self, today: datetime.date, index: int = 0):
        self.today = today
        self.organization = ServiceOrganization.objects.get(
            name=f"{gen.ORGANIZATION_PREFIX}{index:03d}"
        )
        in_org = Subscriber.objects.filter(organization=self.organization)
        # The subscriber with the most documents: its card and «Подписка» window are the longest.
        self.subscriber = (
            in_org.annotate(
                bases=Count("subscriptions", distinct=True),
                extensions=Count("subscriptions__extensions", distinct=True),
            )
            .order_by(F("bases").desc(), F("extensions").desc(), "pk")
            .first()
        )
        bases = Subscription.objects.filter(organization=self.organization)
        # The base with the most extensions: the longest «Подписки на расширения» tab.
        self.base = bases.annotate(n=Count("extensions")).order_by("-n", "pk").first()
        # Bases that take a one-month extension from today: the form and posting.
        room = period_end(today, Periodicity.MONTH, 1)
        self.bases_with_room = list(
            bases.filter(status=Status.POSTED, starts_on__lte=today, ends_on__gte=room).order_by(
                "-ends_on", "pk"
            )[:50]
        )
        catalog = gen.ensure_tariffs()
        self.standard = next(t for t, _ in catalog.bases if t.name == "Стандарт")
        self.session_tariff, periods = catalog.extensions[0]
        self.session_period = periods[1]
        self.operator = get_user_model().objects.get(username=gen.operator_username(index))
        self.admin = get_user_model().objects.get(username=gen.ADMIN_USERNAME)
        self.subscriber_documents = self.subscriber.bases + self.subscriber.extensions
        self.base_extensions = self.base.n

    def pages(self):
        """(name, url name, args, query) of every cabinet page measured."""
        day = self.today.strftime("%d.%m.%Y")
        room_base = self.bases_with_room[0].pk
        return [
            ("Личный кабинет", "home", [], {}),
            ("Обслуживаемые абоненты, стр. 1", "subscriber_list", [], {}),
            ("Обслуживаемые абоненты: «ТОО», стр. 10", "subscriber_list", [], {
                "q": "ТОО", "page": 10}),
            ("Обслуживаемые абоненты: по сеансам ↓", "subscriber_list", [], {
                "sort": "-sessions"}),
            ("Обслуживаемые абоненты: поиск по коду", "subscriber_list", [], {
                "q": self.subscriber.code}),
            ("Абонент (карточка)", "subscriber_detail", [self.subscriber.pk], {}),
            ("Подписка (окно абонента)", "subscriber_subscriptions", [self.subscriber.pk], {}),
            ("Подписка на тариф (карточка)", "subscription_detail", [self.base.pk], {}),
            ("Подписка (создание), форма", "extension_create", [room_base], {}),
            ("Подписки обслуживаемых абонентов", "subscription_list", [], {}),
            ("… тариф «Стандарт»", "subscription_list", [], {"tariff": self.standard.pk}),
            ("… состояние «Проведена»", "subscription_list", [], {"status": "posted"}),
            ("… действуют на сегодня", "subscription_list", [], {"active_on": day}),
            ("… заканчиваются в течение 30 дней", "subscription_list", [], {"ends_within": 30}),
        ]  # fmt: skip


# --- Pages ------------------------------------------------------------------------


def measure(client: Client, name: str, url_name: str, args, query, repeat: int) -> dict:
    row = {"name": name, "url_name": url_name, "path": None, "query": query}
    try:
        path = reverse(url_name, args=args)
        row["path"] = path
        counts = []
        page_started = time.perf_counter()
        for _ in range(WARMUPS):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path, query)
            counts.append(len(captured.captured_queries))
            if time.perf_counter() - page_started > PAGE_BUDGET_S / 3:
                break
        row["http_status"] = response.status_code
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(path, query)
            times.append(time.perf_counter() - started)
            if time.perf_counter() - page_started > PAGE_BUDGET_S:
                break  # a pathological page (e.g. a stock list on SQLite) is measured fewer times
    except MISSING as exc:
        row.update(status="missing", detail=f"{type(exc).__name__}: {exc}"[:200])
        progress(row)
        return row
    except Exception as exc:  # a broken page is a result too, not the end of the run
        row.update(status="error", detail=f"{type(exc).__name__}: {exc}"[:200])
        progress(row)
        return row
    row.update(
        status="ok" if response.status_code == 200 else f"HTTP {response.status_code}",
        queries=counts[-1],
        queries_stable=len(set(counts)) == 1,
        p50_ms=ms(percentile(times, 50)),
        p95_ms=ms(percentile(times, 95)),
        mean_ms=ms(statistics.fmean(times)),
        n=len(times),
    )
    progress(row)
    return row


def progress(row: dict) -> None:
    """One line per measured page on stderr, so a long run shows where it is."""
    figure = f"{row['p50_ms']} ms" if "p50_ms" in row else row.get("status")
    print(f"  {row['name']}: {figure}", file=sys.stderr, flush=True)


def bench_pages(targets: Targets, repeat: int) -> list[dict]:
    client = Client()
    client.force_login(targets.operator)
    with bench_settings():
        return [measure(client, *page, repeat) for page in targets.pages()]


# --- Limits -----------------------------------------------------------------------


def raw_limits_sql() -> str:
    """Today's sessions and infobases of every subscriber, as one hand-written query."""
    t = {
        "subscriber": Subscriber._meta.db_table,
        "base": Subscription._meta.db_table,
        "ext": ExtensionSubscription._meta.db_table,
        "tariff": Subscription._meta.get_field("tariff").related_model._meta.db_table,
    }
    return f"""
        SELECT s.id,
               COALESCE(b.sessions, 0) + COALESCE(e.sessions, 0),
               COALESCE(b.infobases, 0) + COALESCE(e.infobases, 0)
        FROM {t["subscriber"]} s
        LEFT JOIN (
            SELECT sub.subscriber_id,
                   SUM(t.sessions) AS sessions,
                   SUM(t.infobases) AS infobases
            FROM {t["base"]} sub
            JOIN {t["tariff"]} t ON t.id = sub.tariff_id
            WHERE sub.status = 'posted' AND sub.starts_on <= %s AND sub.ends_on >= %s
            GROUP BY sub.subscriber_id
        ) b ON b.subscriber_id = s.id
        LEFT JOIN (
            SELECT sub.subscriber_id,
                   SUM(CASE WHEN t.resource = 'sessions' THEN x.quantity ELSE 0 END) AS sessions,
                   SUM(CASE WHEN t.resource = 'infobases' THEN x.quantity ELSE 0 END) AS infobases
            FROM {t["ext"]} x
            JOIN {t["base"]} sub ON sub.id = x.subscription_id
            JOIN {t["tariff"]} t ON t.id = x.tariff_id
            WHERE x.status = 'posted' AND x.starts_on <= %s AND x.ends_on >= %s
            GROUP BY sub.subscriber_id
        ) e ON e.subscriber_id = s.id
    """


def raw_limits(day: datetime.date) -> dict[int, Limits]:
    value = connection.ops.adapt_datefield_value(day)
    with connection.cursor() as cursor:
        cursor.execute(raw_limits_sql(), [value] * 4)
        rows = cursor.fetchall()
    return {pk: Limits(int(sessions), int(infobases)) for pk, sessions, infobases in rows}


def bench_limits(day: datetime.date, repeat: int) -> dict:
    selector_times, raw_times = [], []
    for attempt in range(repeat + 1):  # the first round warms both up
        started = time.perf_counter()
        by_selector = limits_for_subscribers(Subscriber.objects.all(), day)
        selector_time = time.perf_counter() - started
        started = time.perf_counter()
        by_raw = raw_limits(day)
        raw_time = time.perf_counter() - started
        if by_selector != by_raw:
            differing = [pk for pk in by_raw if by_selector.get(pk) != by_raw[pk]][:5]
            raise AssertionError(f"limits differ from the raw SQL for subscribers {differing}")
        if attempt:
            selector_times.append(selector_time)
            raw_times.append(raw_time)
    with CaptureQueriesContext(connection) as captured:
        limits_for_subscribers(Subscriber.objects.all(), day)
    selector_p50, raw_p50 = percentile(selector_times, 50), percentile(raw_times, 50)
    return {
        "subscribers": len(by_raw),
        "with_sessions": sum(1 for limits in by_raw.values() if limits.sessions),
        "selector_queries": len(captured.captured_queries),
        "selector_p50_ms": ms(selector_p50),
        "selector_p95_ms": ms(percentile(selector_times, 95)),
        "raw_p50_ms": ms(raw_p50),
        "raw_p95_ms": ms(percentile(raw_times, 95)),
        "selector_over_raw_p50": round(selector_p50 / raw_p50, 2),
        "identical": True,
        "n": repeat,
    }


# --- Posting ----------------------------------------------------------------------


def bench_posting(targets: Targets, posts: int, mode: str = "process") -> list[dict]:
    """Clients posting at once, on one base and on two (`benchmarks/posting.py`)."""
    return posting.bench(targets, posts, mode=mode)


# --- Report -----------------------------------------------------------------------


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
    else:
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database,
    }


def data_counts(targets: Targets) -> dict:
    return {
        "organizations": ServiceOrganization.objects.count(),
        "subscribers": Subscriber.objects.count(),
        "bases": Subscription.objects.count(),
        "extensions": ExtensionSubscription.objects.count(),
        "operator_organization_subscribers": Subscriber.objects.filter(
            organization=targets.organization
        ).count(),
        "card_subscriber_documents": targets.subscriber_documents,
        "card_base_extensions": targets.base_extensions,
    }


def _table(headers, rows) -> str:
    cells = [[str(c) for c in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(cells):
        line = " | ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        )
        lines.append(f"| {line} |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _page_cells(row: dict, repeat: int) -> list:
    if row.get("status") in ("missing", "error"):
        return [row["name"], row["status"], "", "", "", ""]
    versus = f"{row['p50_vs_small']:.2f}×" if row.get("p50_vs_small") else ""
    queries = row["queries"] if row["queries_stable"] else f"{row['queries']} (varies)"
    notes = [] if row["status"] == "ok" else [row["status"]]
    if row["n"] < repeat:
        notes.append(f"n={row['n']}")
    return [row["name"], queries, row["p50_ms"], row["p95_ms"], versus, ", ".join(notes)]


def render(result: dict) -> str:
    meta = result["meta"]
    out = [
        f"Fresh Cabinet benchmark — scale {meta['scale']}, {meta['machine']['database']}, "
        f"{meta['machine']['cores']} cores ({meta['machine']['cpu']}), "
        f"{meta['started_at']}",
        "data: " + ", ".join(f"{k} {v}" for k, v in meta["data"].items()),
        "",
    ]
    if "pages" in result:
        out.append(
            f"Cabinet pages (in-process, {meta['repeat']} requests after {WARMUPS} warm-ups)"
        )
        out.append(
            _table(
                ["page", "queries", "p50 ms", "p95 ms", "p50 vs small", "note"],
                [_page_cells(row, meta["repeat"]) for row in result["pages"]],
            )
        )
        out.append("")
    if "sizes" in result:
        out.append(render_sizes(result["sizes"]))
        out.append("")
    if "statistics" in result:
        out.append(render_statistics(result["statistics"]))
        out.append("")
    if "admin" in result:
        out.append(render_admin(result["admin"]))
        out.append("")
    if "limits" in result:
        lim = result["limits"]
        out.append(
            f"Today's limits of all {lim['subscribers']} subscribers "
            f"({lim['n']} rounds, results identical)"
        )
        out.append(
            _table(
                ["query", "queries", "p50 ms", "p95 ms"],
                [
                    [
                        "limits_for_subscribers()",
                        lim["selector_queries"],
                        lim["selector_p50_ms"],
                        lim["selector_p95_ms"],
                    ],
                    ["raw SQL (cursor)", 1, lim["raw_p50_ms"], lim["raw_p95_ms"]],
                    ["ratio selector / raw", "", f"{lim['selector_over_raw_p50']}×", ""],
                ],  # fmt: skip
            )
        )
        out.append("")
    if "posting" in result:
        out.append("Posting extensions (benchmarks/posting.py)")
        out.append(posting.render(result["posting"]))
        out.append("")
    if result.get("targets"):
        missed = [t for t in result["targets"] if not t["met"]]
        out.append(
            f"Targets (issues 5 and 13): {len(result['targets']) - len(missed)} met, "
            f"{len(missed)} missed"
        )
        for t in missed:
            out.append(f"  missed: {t['target']} — {t['subject']}: {t['figure']}")
        out.append("")
    return "\n".join(out)


def render_admin(bench: dict) -> str:
    title = (
        f"Admin (in-process, {bench['rounds']} rounds × {bench['per_round']} requests after "
        f"{WARMUPS} warm-ups; ms): ours, and the stock ModelAdmin with the same list_display "
        "and list_per_page, requested alternately"
    )
    headers = ["page", "rows", "per page", "queries", "p50", "p95", "stock q", "stock p50",
               "stock p95", "stock ÷ ours (median [min–max])"]  # fmt: skip
    rows = []
    for row in bench["cases"]:
        name = row["name"] + (" (third-party)" if row.get("third_party") else "")
        if row.get("status") == "error":
            rows.append([name, row["detail"]] + [""] * (len(headers) - 2))
            continue
        ours, stock = row["ours"], row.get("stock")
        queries = ours["queries"] if ours["queries_stable"] else f"{ours['queries']} (varies)"
        if ours["status"] != "ok":
            name += f" ({ours['status']})"
        cells = [name, row.get("table_rows", ""),
                 row.get("list_per_page", "") if row["kind"] != "history" else "",
                 queries, ours["p50_ms"], ours["p95_ms"]]  # fmt: skip
        if stock:
            ratio = row["stock_over_ours"]
            spread = f"{ratio['median']:.2f}× [{ratio['min']:.2f}–{ratio['max']:.2f}]"
            cells += [stock["queries"], stock["p50_ms"], stock["p95_ms"], spread]
        else:
            cells += ["", "", "", ""]
        rows.append(cells)
    return title + "\n" + _table(headers, rows)


def render_sizes(sized: dict) -> str:
    labels = [f"{partner['subscribers']:,}" for partner in sized["partners"]]
    smallest = labels[0]
    headers = ["page", "queries " + " / ".join(labels)]
    headers += [f"p50 {label}" for label in labels] + [f"p95 {labels[-1]}"]
    headers += [f"{label} ÷ {smallest} (median [min–max])" for label in labels[1:]]
    rows = []
    for row in sized["pages"]:
        if row.get("status") == "error":
            rows.append([row["name"], row["detail"]] + [""] * (len(headers) - 2))
            continue
        figures = [row["partners"][label] for label in labels]
        queries = " / ".join(str(f["queries"]) for f in figures)
        if not all(f["queries_stable"] for f in figures):
            queries += " (varies)"
        cells = [row["name"], queries] + [f["p50_ms"] for f in figures] + [figures[-1]["p95_ms"]]
        for label in labels[1:]:
            ratio = row["ratios"][label]
            cells.append(f"{ratio['median']:.2f}× [{ratio['min']:.2f}–{ratio['max']:.2f}]")
        if row["status"] != "ok":
            cells[0] += f" ({row['status']})"
        if row.get("reference"):
            cells[0] += " (reference)"
        rows.append(cells)
    title = (
        f"Cabinet pages by partner size, interleaved ({sized['rounds']} rounds × "
        f"{sized['per_round']} requests per partner, after {WARMUPS} warm-ups; ms)"
    )
    return title + "\n" + _table(headers, rows)


def render_statistics(stats: dict) -> str:
    if stats.get("status") != "ok":
        return f"Fresh database (statistics): {stats.get('status')} — {stats.get('detail', '')}"
    title = (
        f"Fresh SQLite database, partner of {stats['partner_subscribers']:,} subscribers: "
        f"p50 ms over {stats['repeat']} requests with no statistics, after the cabinet's "
        f"PRAGMA optimize (first request {stats['first_request_with_optimize_ms']} ms, "
        f"sqlite_stat1 rows {stats['statistics_rows']['dropped_to']} → "
        f"{stats['statistics_rows']['after_first_request']}), after a full ANALYZE "
        f"({stats['full_analyze_ms']} ms)"
    )
    rows = [
        [
            page["name"],
            page["no_statistics_p50_ms"],
            page["after_upkeep_p50_ms"],
            page["after_analyze_p50_ms"],
            f"{page['no_statistics_over_upkeep']}×",
        ]
        for page in stats["pages"]
    ]
    headers = ["page", "no statistics", "after optimize", "after ANALYZE", "none ÷ optimize"]
    return title + "\n" + _table(headers, rows)


def compare_with_small(result: dict, small: dict) -> None:
    """Add each page's p50 ratio and query count at scale small (from its JSON)."""
    rows = list(result.get("pages", []))
    before = {r["name"]: r for r in small.get("pages", [])}
    for row in result.get("admin", {}).get("cases", []):
        if "ours" in row:
            rows += [row["ours"]]
    small_admin = small.get("admin", [])
    for row in small_admin.get("cases", []) if isinstance(small_admin, dict) else small_admin:
        if "ours" in row:
            before[row["ours"]["name"]] = row["ours"]
    for row in rows:
        then = before.get(row["name"], {})
        if then.get("p50_ms") and row.get("p50_ms"):
            row["p50_vs_small"] = round(row["p50_ms"] / then["p50_ms"], 2)
            row["queries_small"] = then.get("queries")


def check_targets(result: dict) -> list[dict]:
    """Issue 5's targets, each met or missed, with the figure."""
    checks = []

    def check(target, subject, figure, met):
        checks.append({"target": target, "subject": subject, "figure": figure, "met": met})

    for row in result.get("pages", []):
        if row.get("status") != "ok":
            check("page works", row["name"], row.get("status"), False)
            continue
        check("cabinet p95 < 100 ms", row["name"], f"{row['p95_ms']} ms", row["p95_ms"] < 100)
        if "p50_vs_small" in row:
            check("p50 ≤ 1.5 × small", row["name"], f"{row['p50_vs_small']}×",
                  row["p50_vs_small"] <= 1.5)  # fmt: skip
            check("queries as at small", row["name"], f"{row['queries']} / {row['queries_small']}",
                  row["queries"] == row["queries_small"])  # fmt: skip
    for row in result.get("admin", {}).get("cases", []):
        if row.get("status") != "ok":
            check("admin page works", row["name"], row.get("status"), False)
            continue
        ours = row["ours"]
        check("admin p95 < 50 ms", row["name"], f"{ours['p95_ms']} ms", ours["p95_ms"] < 50)
        if "p50_vs_small" in ours:
            check("queries as at small", ours["name"],
                  f"{ours['queries']} / {ours['queries_small']}",
                  ours["queries"] == ours["queries_small"])  # fmt: skip
    sized = result.get("sizes", {})
    for row in sized.get("pages", []):
        if row.get("reference"):
            continue  # «before the nightly job»: what the kept limits spare, not a target
        if row.get("status") != "ok":
            check("page works", row["name"], row.get("status"), False)
            continue
        figures = list(row["partners"].values())
        worst_p95 = max(f["p95_ms"] for f in figures)
        check("cabinet p95 < 100 ms", row["name"], f"{worst_p95} ms", worst_p95 < 100)
        counts = [f["queries"] for f in figures]
        check("queries equal at every size", row["name"], " / ".join(map(str, counts)),
              len(set(counts)) == 1 and all(f["queries_stable"] for f in figures))  # fmt: skip
        if row["ratios"]:
            label, ratio = list(row["ratios"].items())[-1]
            check(f"p50 at {label} ≤ 1.5 × p50 at {ratio['over']}", row["name"],
                  f"{ratio['median']}× [{ratio['min']}–{ratio['max']}]",
                  ratio["median"] <= 1.5)  # fmt: skip
    if "limits" in result:
        ratio = result["limits"]["selector_over_raw_p50"]
        check("limits ≤ 1.5 × raw SQL", "limits_for_subscribers", f"{ratio}×", ratio <= 1.5)
    for row in result.get("posting", []):
        if "p95_ms" in row:
            check("posting p95 < 50 ms", row["name"], f"{row['p95_ms']} ms", row["p95_ms"] < 50)
    return checks


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(gen.SCALES), default="small")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
    parser.add_argument("--limits-repeat", type=int, default=5, help="rounds of the limits query")
    parser.add_argument("--posts", type=int, default=200, help="posts per posting scenario")
    parser.add_argument(
        "--posting-mode", choices=posting.MODES, default="process", help="a client is a …"
    )
    parser.add_argument(
        "--only",
        help=f"parts to run, comma-separated: {','.join(PARTS)} (default: all but statistics; "
        f"{','.join(SIZED_PARTS)} at scale sizes)",
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="scale sizes and admin: rounds per page"
    )
    parser.add_argument(
        "--per-round",
        type=int,
        default=6,
        help="scale sizes: requests per partner and round; admin: per side and round",
    )
    parser.add_argument(
        "--statistics-repeat", type=int, default=10, help="timed requests per page (statistics)"
    )
    parser.add_argument("--json", type=Path, help="where to write the figures")
    parser.add_argument(
        "--record", action="store_true", help="write the committed benchmarks/results/ file"
    )
    parser.add_argument("--password", default=gen.DEFAULT_PASSWORD)
    args = parser.parse_args(argv)
    sized = len(gen.SCALES[args.scale].sized) > 1
    only = args.only or ",".join(SIZED_PARTS if sized else PARTS[:-1])
    parts = [part.strip() for part in only.split(",") if part.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")

    gen.ensure(args.scale, password=args.password)
    today = clock.today()
    targets = Targets(today)
    result = {
        "meta": {
            "scale": args.scale,
            "vendor": connection.vendor,
            "started_at": timezone.localtime().strftime("%Y-%m-%d %H:%M %Z"),
            "today": today.isoformat(),
            "repeat": args.repeat,
            "command": "python -m benchmarks.run "
            + " ".join(sys.argv[1:] if argv is None else argv),
            "machine": machine(),
            "data": data_counts(targets),
        }
    }
    group = None
    if {"pages", "statistics"} & set(parts) and (sized or "statistics" in parts):
        group = sizes.partners(today, args.scale, Targets, known={0: targets})
    if "pages" in parts and sized:
        with bench_settings():
            result["sizes"] = sizes.bench_sizes(group, args.rounds, args.per_round)
    elif "pages" in parts:
        result["pages"] = bench_pages(targets, args.repeat)
    if "admin" in parts:
        result["admin"] = admin_lists.bench_admin(targets, args.rounds, args.per_round)
    small = output_dir(args.record) / f"{connection.vendor}-small.json"
    if not small.exists():
        small = RESULTS_DIR / f"{connection.vendor}-small.json"
    if args.scale != "small" and not sized and small.exists():
        compare_with_small(result, json.loads(small.read_text()))
    if "limits" in parts:
        result["limits"] = bench_limits(today, args.limits_repeat)
    if "posting" in parts:
        result["posting"] = bench_posting(targets, args.posts, args.posting_mode)
    if "statistics" in parts:
        # Last: it drops the statistics (and leaves a full ANALYZE behind).
        with bench_settings():
            result["statistics"] = sizes.bench_statistics(group[-1], args.statistics_repeat)

    result["targets"] = check_targets(result)
    print(render(result))
    path = args.json or output_dir(args.record) / f"{connection.vendor}-{args.scale}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n")
    print(f"JSON: {path}")
    if "sizes" in result:
        if args.record:
            drawing = picture.recorded_path(Path(__file__).resolve().parent, connection.vendor)
        else:
            drawing = path.with_suffix(".svg")
        drawing.write_text(picture.draw_sizes(result), encoding="utf-8")
        print(f"SVG: {drawing}")
    return result


if __name__ == "__main__":
    main()
