"""Posting with clients at once on one base (issue 13: posting p95 < 50 ms with two clients).

    python -m benchmarks.posting [--scale small] [--posts 200] [--mode process|thread]

Part `posting` of `benchmarks.run` runs the same. Each client is a process of
its own, as gunicorn's workers are (`--mode thread`: threads of this process),
with its own database connection. A posting is one call of the cabinet's
write path, timed around the call with `perf_counter()`:

- «форма» — `services.extension_save(post=True)`, what «Провести и закрыть»
  of the extension form calls: a new one-month «Дополнительный сеанс» from
  today, written and posted;
- «карточка» — `services.extension_post()` of a draft written beforehand (not
  timed), what «Провести» on the draft's card calls.

Either takes the base's row lock first: on one base the clients take turns,
and a posting that finds the lock taken waits for the other's commit. Each
client posts a few times untimed first (its connection, the code paths), then
all start together. Reported per scenario: postings, refusals (a rule, or
«busy»: «повторите» after `POSTING_LOCK_TIMEOUT_MS`), errors (anything
else), posts/s over the wall time, p50 / p95 / max of one posting — waits
for the other client's lock included — and, of that, the p50 / p95 time in
the locking statements (`FOR UPDATE` / `FOR SHARE`: mostly that wait).
Everything posted is deleted afterwards, and the subscribers' kept limits
recomputed.
"""

import argparse
import math
import multiprocessing
import threading
import time

from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from subscriptions import clock, kept_limits, services
from subscriptions.models import ExtensionSubscription, Subscription

WARMUPS = 3  # untimed postings per client
MODES = ("process", "thread")


def _percentile(values, q: float) -> float:
    """Nearest-rank percentile (as `benchmarks.run.percentile`); 0 of nothing."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1] if ordered else 0.0


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _extension(base_pk, targets) -> ExtensionSubscription:
    return ExtensionSubscription(
        subscription_id=base_pk,
        tariff=targets.session_tariff,
        period=targets.session_period,
        starts_on=clock.today(),
        quantity=1,
    )


def _drafts(base_pk, count, targets) -> list[int]:
    return [
        services.extension_save(extension=_extension(base_pk, targets), user=targets.operator).pk
        for _ in range(count)
    ]


def _client(way, base_pk, drafts, count, targets, barrier, report) -> None:
    """One client: WARMUPS untimed postings, the barrier, then `count` timed ones."""
    lock_time = [0.0]

    def time_locks(execute, sql, params, many, context):
        if "FOR UPDATE" not in sql and "FOR SHARE" not in sql:
            return execute(sql, params, many, context)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            lock_time[0] += time.perf_counter() - started

    rows, created, errors = [], [], []
    try:
        with connection.execute_wrapper(time_locks):
            for number in range(WARMUPS + count):
                if number == WARMUPS:
                    barrier.wait(120)
                lock_time[0] = 0.0
                outcome = "posted"
                started = time.perf_counter()
                try:
                    if way == "card":
                        draft = ExtensionSubscription(pk=drafts[number])
                        saved = services.extension_post(extension=draft, user=targets.operator)
                    else:
                        saved = services.extension_save(
                            extension=_extension(base_pk, targets),
                            user=targets.operator,
                            post=True,
                        )
                except ValidationError as refusal:
                    busy = any(e.code == services.BUSY_CODE for e in refusal.error_list)
                    outcome = "busy" if busy else "refused"
                except Exception as exc:  # noqa: BLE001 - counted and shown, the run goes on
                    outcome = "error"
                    errors.append(repr(exc)[:300])
                else:
                    created.append(saved.pk)
                elapsed = time.perf_counter() - started
                if number >= WARMUPS:
                    rows.append((elapsed, lock_time[0], outcome))
    finally:
        connection.close()
        report({"rows": rows, "created": created, "errors": errors})


def run_scenario(name, way, plan, targets, *, mode) -> tuple[dict, list[int]]:
    """`plan`: one (base pk, postings) per client, all started at once."""
    drafts = [
        _drafts(base_pk, WARMUPS + count, targets) if way == "card" else []
        for base_pk, count in plan
    ]
    if mode == "process":
        context = multiprocessing.get_context("fork")
        barrier, queue = context.Barrier(len(plan) + 1), context.Queue()
        connections.close_all()  # each process opens its own
        workers = [
            context.Process(
                target=_client,
                args=(way, base_pk, ids, count, targets, barrier, queue.put),
            )
            for (base_pk, count), ids in zip(plan, drafts, strict=True)
        ]
    else:
        barrier, collected = threading.Barrier(len(plan) + 1), []
        workers = [
            threading.Thread(
                target=_client,
                args=(way, base_pk, ids, count, targets, barrier, collected.append),
            )
            for (base_pk, count), ids in zip(plan, drafts, strict=True)
        ]
    for worker in workers:
        worker.start()
    barrier.wait(120)
    started = time.perf_counter()
    if mode == "process":
        reports = [queue.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(600)
    wall = time.perf_counter() - started
    if mode == "thread":
        reports = collected
    rows = [row for report in reports for row in report["rows"]]
    posted = [row for row in rows if row[2] == "posted"]
    latencies = [row[0] for row in rows]
    lock_times = [row[1] for row in rows]
    errors = [error for report in reports for error in report["errors"]]
    created = [pk for report in reports for pk in report["created"]] + [
        pk for ids in drafts for pk in ids
    ]
    return {
        "name": name,
        "way": way,
        "mode": mode,
        "clients": len(plan),
        "bases": len({base for base, _ in plan}),
        "posts": len(posted),
        "refused": sum(1 for row in rows if row[2] == "refused"),
        "busy": sum(1 for row in rows if row[2] == "busy"),
        "errors": len(errors),
        "error_samples": errors[:3],
        "posts_per_s": round(len(posted) / wall, 1) if wall else None,
        "p50_ms": _ms(_percentile(latencies, 50)),
        "p95_ms": _ms(_percentile(latencies, 95)),
        "max_ms": _ms(max(latencies)) if latencies else None,
        "locks_p50_ms": _ms(_percentile(lock_times, 50)),
        "locks_p95_ms": _ms(_percentile(lock_times, 95)),
        "wall_s": round(wall, 2),
    }, created


def queries_per_posting(base_pk, targets) -> tuple[int, int, list[int]]:
    """Statements of one posting by the form's and by the card's service call (and
    the two extensions posted)."""
    with CaptureQueriesContext(connection) as form:
        saved = services.extension_save(
            extension=_extension(base_pk, targets), user=targets.operator, post=True
        )
    (draft,) = _drafts(base_pk, 1, targets)
    with CaptureQueriesContext(connection) as card:
        services.extension_post(extension=ExtensionSubscription(pk=draft), user=targets.operator)
    return len(form.captured_queries), len(card.captured_queries), [saved.pk, draft]


def delete_posted(pks) -> None:
    """Delete what the run wrote (history too) and recompute its subscribers' kept limits."""
    from benchmarks import generate as gen

    pks = sorted(set(pks))
    subscribers = set(
        Subscription.objects.filter(extensions__pk__in=pks).values_list("subscriber_id", flat=True)
    )
    for first in range(0, len(pks), 500):
        chunk = pks[first : first + 500]
        marks = ", ".join(["%s"] * len(chunk))
        with transaction.atomic(), connection.cursor() as cursor:
            gen._delete_where(cursor, ExtensionSubscription, f"id IN ({marks})", chunk, {})
    kept_limits.refresh_subscribers(subscribers)


def bench(targets, posts: int, *, mode: str = "process") -> list[dict]:
    """The scenarios: one client; two clients on one base (form, card); two on two bases."""
    if len(targets.bases_with_room) < 2:
        return [{"name": "posting", "status": "missing", "detail": "no two bases with room"}]
    first, second = (base.pk for base in targets.bases_with_room[:2])
    half = max(1, posts // 2)
    created: list[int] = []
    rows = []
    try:
        form_queries, card_queries, made = queries_per_posting(first, targets)
        created += made
        scenarios = [
            ("один клиент", "form", [(first, posts)]),
            ("два клиента, одна подписка", "form", [(first, half), (first, half)]),
            ("два клиента, одна подписка, карточка", "card", [(first, half), (first, half)]),
            ("два клиента, разные подписки", "form", [(first, half), (second, half)]),
        ]
        for name, way, plan in scenarios:
            row, made = run_scenario(name, way, plan, targets, mode=mode)
            created += made
            row["queries_per_post"] = card_queries if way == "card" else form_queries
            rows.append(row)
    finally:
        delete_posted(created)
    return rows


def render(rows) -> str:
    from benchmarks.run import _table

    lines = [
        _table(
            ["scenario", "clients", "posts", "refused", "busy", "errors", "posts/s", "p50 ms",
             "p95 ms", "max ms", "in locks p50 / p95 ms", "queries"],
            [
                [r["name"], f"{r.get('clients')} ({r.get('mode')})", r.get("posts"),
                 r.get("refused"), r.get("busy"), r.get("errors"), r.get("posts_per_s"),
                 r.get("p50_ms"), r.get("p95_ms"), r.get("max_ms"),
                 f"{r.get('locks_p50_ms')} / {r.get('locks_p95_ms')}", r.get("queries_per_post")]
                for r in rows
            ],
        )
    ]  # fmt: skip
    for row in rows:
        for sample in row.get("error_samples", []):
            lines.append(f"  error ({row['name']}): {sample}")
    return "\n".join(lines)


def main(argv=None) -> list[dict]:
    from benchmarks import generate as gen
    from benchmarks.run import Targets

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(gen.SCALES), default="small")
    parser.add_argument("--posts", type=int, default=200, help="postings per scenario")
    parser.add_argument("--mode", choices=MODES, default="process")
    parser.add_argument("--password", default=gen.DEFAULT_PASSWORD)
    args = parser.parse_args(argv)
    gen.ensure(args.scale, password=args.password)
    rows = bench(Targets(clock.today()), args.posts, mode=args.mode)
    print(f"Posting extensions ({connection.vendor}, scale {args.scale}, {args.mode}es)")
    print(render(rows))
    return rows


if __name__ == "__main__":
    main()
