"""Every admin change list of the service, and the stock peer at the same page size.

    python -m benchmarks.run --scale large|sizes --only admin [--rounds 5] [--per-round 6]

Logged in as `bench_admin` (a superuser), with Django's test Client in this
process (as the cabinet pages: no network). Measured, each after 3 warm-ups
whose queries are counted (they must agree):

- the first page of every change list registered on the admin site — ours
  and those of the apps we install (auth, django-axes, django-tasks: marked
  `third_party`), at whatever size the data has;
- the big lists searched and filtered as the service owner does: documents by
  the partner's name, posted only, one month of the date hierarchy; the
  subscribers by a name part that most of them contain («ТОО») and by partner;
  the reminders by threshold;
- the history pages (django-simple-history) of the objects with the most
  rows around them, and of a tariff with a long history: the run writes
  `LONG_HISTORY` versions of «Стандарт» first and deletes them afterwards.

The stock peer (`benchmarks/stock_admin.py`) is a plain `ModelAdmin` with the
same `list_display` and the same `list_per_page` as ours — like with like:
the same rows and cells on the page, Django's defaults for everything else.
Ours and the stock list are requested alternately (ours, stock, stock, ours, …)
in `rounds` rounds of `per_round` requests each; the ratio stock ÷ ours is
taken within each round (the round's p50 over the round's p50) and reported
as the median [min–max] over the rounds, so that the shared machine's load
falls on both alike.
"""

import contextlib
import datetime
import statistics
import sys
import time
from dataclasses import dataclass, field

from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from subscribers.models import ServiceOrganization, Subscriber
from subscriptions.models import ExtensionSubscription, ReminderSent, Subscription, Tariff

WARMUPS = 3
# Apps whose admin classes are ours; the other registered lists come with the apps we install.
OUR_APPS = ("subscribers", "subscriptions", "api")
# Versions of «Стандарт» written for its history page (a tariff edited every week for two years).
LONG_HISTORY = 120
HISTORY_REASON = "benchmark: long history"


@dataclass
class Case:
    name: str
    url_name: str
    args: list = field(default_factory=list)
    query: dict = field(default_factory=dict)
    model: type | None = None
    stock_url_name: str | None = None
    third_party: bool = False
    kind: str = "list"  # list, search/filter, history


def _changelist(model, site: str = "admin") -> str:
    return f"{site}:{model._meta.app_label}_{model._meta.model_name}_changelist"


def cases(targets) -> list[Case]:
    """What is measured: every change list, the big lists searched and filtered, history pages."""
    from benchmarks.stock_admin import MODELS

    found = []
    registry = sorted(
        admin.site._registry.items(),
        key=lambda item: (item[0]._meta.app_label not in OUR_APPS, item[0]._meta.label),
    )
    for model, _ in registry:
        found.append(
            Case(
                name=str(model._meta.verbose_name_plural),
                url_name=_changelist(model),
                model=model,
                stock_url_name=_changelist(model, "bench_stock_admin") if model in MODELS else None,
                third_party=model._meta.app_label not in OUR_APPS,
            )
        )
    today = targets.today
    partner = targets.organization.name
    month = {"starts_on__year": today.year, "starts_on__month": today.month}
    for model in (Subscription, ExtensionSubscription):
        plural = str(model._meta.verbose_name_plural)
        found += [
            Case(f"{plural}: поиск по партнеру", _changelist(model), query={"q": partner},
                 model=model, kind="search/filter"),
            Case(f"{plural}: проведенные", _changelist(model), query={"status__exact": "posted"},
                 model=model, kind="search/filter"),
            Case(f"{plural}: месяц", _changelist(model), query=month, model=model,
                 kind="search/filter"),
        ]  # fmt: skip
    plural = str(Subscriber._meta.verbose_name_plural)
    found += [
        Case(f"{plural}: поиск «ТОО»", _changelist(Subscriber), query={"q": "ТОО"},
             model=Subscriber, kind="search/filter"),
        Case(f"{plural}: поиск по коду", _changelist(Subscriber),
             query={"q": targets.subscriber.code}, model=Subscriber, kind="search/filter"),
        Case(f"{plural}: партнер", _changelist(Subscriber),
             query={"organization__id__exact": targets.organization.pk}, model=Subscriber,
             kind="search/filter"),
        Case(f"{ReminderSent._meta.verbose_name_plural}: за 3 дня", _changelist(ReminderSent),
             query={"threshold_days": 3}, model=ReminderSent, kind="search/filter"),
    ]  # fmt: skip
    for label, model, pk in (
        (f"история: тариф «{targets.standard.name}»", Tariff, targets.standard.pk),
        ("история: подписка на тариф", Subscription, targets.base.pk),
        ("история: абонент", Subscriber, targets.subscriber.pk),
        ("история: партнер", ServiceOrganization, targets.organization.pk),
    ):
        opts = model._meta
        found.append(
            Case(label, f"admin:{opts.app_label}_{opts.model_name}_history", [pk], model=model,
                 kind="history")
        )  # fmt: skip
    return found


@contextlib.contextmanager
def long_history(tariff, versions: int = LONG_HISTORY):
    """`versions` more historical rows of `tariff` (its current values, a week apart), then none."""
    history = type(tariff).history
    now = timezone.now()
    rows = []
    for index in range(versions):
        row = history.model(
            history_date=now - datetime.timedelta(days=7 * (versions - index)),
            history_type="~",
            history_change_reason=HISTORY_REASON,
        )
        for model_field in tariff._meta.concrete_fields:
            setattr(row, model_field.attname, getattr(tariff, model_field.attname))
        rows.append(row)
    history.model.objects.bulk_create(rows)
    try:
        yield
    finally:
        history.model.objects.filter(history_change_reason=HISTORY_REASON).delete()


def _request(client, path, query):
    started = time.perf_counter()
    response = client.get(path, query)
    return time.perf_counter() - started, response


def _warm_up(client, path, query) -> dict:
    counts, status = [], None
    for _ in range(WARMUPS):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, query)
        counts.append(len(captured.captured_queries))
        status = response.status_code
    return {"http_status": status, "queries": counts[-1], "queries_stable": len(set(counts)) == 1}


def _figures(times: list[float]) -> dict:
    from benchmarks.run import ms, percentile

    return {
        "p50_ms": ms(percentile(times, 50)),
        "p95_ms": ms(percentile(times, 95)),
        "mean_ms": ms(statistics.fmean(times)),
        "n": len(times),
    }


def measure_case(client: Client, case: Case, rounds: int, per_round: int) -> dict:
    """Our page (and the stock peer's, alternately); see the module's docstring."""
    row = {
        "name": case.name,
        "kind": case.kind,
        "third_party": case.third_party,
        "query": case.query,
        "model": case.model._meta.label if case.model else None,
    }
    if case.model is not None:
        row["table_rows"] = case.model._default_manager.count()
        model_admin = admin.site.get_model_admin(case.model)
        row["list_per_page"] = model_admin.list_per_page
    try:
        paths = {"ours": reverse(case.url_name, args=case.args)}
        if case.stock_url_name:
            paths["stock"] = reverse(case.stock_url_name)
        row["path"] = paths["ours"]
        sides = list(paths)
        warm = {side: _warm_up(client, paths[side], case.query if side == "ours" else {})
                for side in sides}  # fmt: skip
        times = {side: [] for side in sides}
        per_round_p50 = []
        for round_index in range(rounds):
            this_round = {side: [] for side in sides}
            order = sides if round_index % 2 == 0 else sides[::-1]
            for step in range(per_round):
                for side in order if step % 2 == 0 else order[::-1]:
                    elapsed, _ = _request(client, paths[side], case.query if side == "ours" else {})
                    this_round[side].append(elapsed)
                    times[side].append(elapsed)
            per_round_p50.append({side: statistics.median(v) for side, v in this_round.items()})
    except Exception as exc:  # a broken page is a result too, not the end of the run
        row.update(status="error", detail=f"{type(exc).__name__}: {exc}"[:200])
        _progress(row)
        return row
    for side in sides:
        row[side] = {"name": f"{side}: {case.name}", **warm[side], **_figures(times[side])}
        row[side]["status"] = "ok" if warm[side]["http_status"] == 200 else (
            f"HTTP {warm[side]['http_status']}"
        )  # fmt: skip
    row["status"] = row["ours"]["status"]
    if "stock" in row:
        ratios = [p["stock"] / p["ours"] for p in per_round_p50]
        row["stock_over_ours"] = {
            "median": round(statistics.median(ratios), 2),
            "min": round(min(ratios), 2),
            "max": round(max(ratios), 2),
            "rounds": [round(value, 2) for value in ratios],
        }
    _progress(row)
    return row


def _progress(row: dict) -> None:
    if row.get("status") == "error":
        print(f"  admin {row['name']}: {row['detail']}", file=sys.stderr, flush=True)
        return
    figure = f"{row['ours']['p50_ms']} / {row['ours']['p95_ms']} ms"
    if "stock" in row:
        figure += f", stock {row['stock']['p50_ms']} ms ({row['stock_over_ours']['median']}×)"
    print(f"  admin {row['name']}: {figure}", file=sys.stderr, flush=True)


def bench_admin(targets, rounds: int, per_round: int) -> dict:
    from benchmarks.run import bench_settings

    client = Client()
    client.force_login(targets.admin)
    with (
        bench_settings(),
        override_settings(ROOT_URLCONF="benchmarks.urls"),
        long_history(targets.standard),
    ):
        rows = [measure_case(client, case, rounds, per_round) for case in cases(targets)]
    return {"rounds": rounds, "per_round": per_round, "cases": rows}
