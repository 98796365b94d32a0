"""The HTTP load run: the cabinet under gunicorn, browsed and posted to by operators.

    python -m benchmarks.load --scale small|large|sizes [--users 8] [--duration 30]
                              [--workers 2] [--db-worker] [--health 10]
                              [--conn-max-age N] [--json PATH] [--record]

On the database in DATABASE_URL (the scale's data is generated first when it is
not there), it

1. runs `collectstatic` and starts gunicorn with the production settings
   (DEBUG=False, a SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, SECURE_SSL_REDIRECT=False)
   and `--workers 2` on 127.0.0.1 and a free port — traffic never leaves this
   machine;
2. runs `--users` virtual users at once, asyncio + aiohttp, each logged in as
   `bench_operator` through the real login form (GET /login/, POST with the
   CSRF token, cookies kept), then all browse for `--duration` seconds (timed
   from the last login) with no think time. Each request comes "through the
   load balancer" (X-Forwarded-Proto: https), as in production, so secure
   cookies and the CSRF origin checks are the real ones;
3. each user picks, again and again: «Личный кабинет», «Обслуживаемые абоненты»
   (also searched and paged), a subscriber's card, its «Подписка» window, a base
   subscription's card, «Подписки обслуживаемых абонентов» (with a filter), the
   creation form — and posts an extension through that form («Провести и
   закрыть», quantity 1, today's start) on a base that has room, following the
   redirect to the base's card like a browser;
4. with `--db-worker`, runs `manage.py db_worker` (django-tasks' worker, as
   in production) beside gunicorn for the whole run, with the same settings:
   it polls the queue every second and runs whatever is enqueued meanwhile
   (the run reports the tasks it finished and whether it was still running);
5. then (`--health N`, default 10 s; 0: not) the same number of users request
   only `/health/` (one `SELECT 1` through the whole middleware stack) for N
   seconds: the floor — what the server gives for a request that does nothing,
   on the same machine, workers and users;
6. prints requests/s, p50/p95/p99 and the error count (5xx, connection errors,
   timeouts and any other unexpected status); a 4xx answer to a posting is a
   refusal by the rules and counted apart as "refused". Static files are never
   requested. Writes the figures as JSON outside the checkout (as
   `benchmarks.run`; `--record` writes the committed
   `benchmarks/results/load-<vendor>-<scale>[-<workers>w<users>u].json`), stops
   gunicorn (and the worker) and deletes the extensions it posted (unless --keep).
"""

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import aiohttp
from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from benchmarks import generate as gen
from benchmarks.posting import delete_posted
from benchmarks.run import machine, output_dir, percentile
from subscribers.models import ServiceOrganization, Subscriber
from subscriptions import clock
from subscriptions.models import ExtensionSubscription, Status, Subscription
from subscriptions.periods import Periodicity, period_end

HOST = "127.0.0.1"  # the only address this run ever talks to
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN_RE = re.compile(r'name="request_token"[^>]*?value="([^"]*)"')

# What a user does next, with weights: mostly reading, one step in ten a posting.
ACTIONS = {
    "home": 8,
    "subscriber_list": 12,
    "subscriber_search": 6,
    "subscriber_card": 14,
    "subscriber_subscriptions": 14,
    "base_card": 14,
    "subscription_list": 8,
    "subscription_list_filtered": 6,
    "extension_form": 8,
    "post_extension": 10,
}


# --- The server -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_env(args) -> dict:
    env = dict(os.environ)
    env.update(
        DEBUG="False",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY", "bench-" + "k" * 50),
        ALLOWED_HOSTS=HOST,
        SECURE_SSL_REDIRECT="False",
        DJANGO_SETTINGS_MODULE="fresh_cabinet.settings",
        LOG_LEVEL="WARNING",
    )
    if args.conn_max_age is not None:
        env["CONN_MAX_AGE"] = str(args.conn_max_age)
    return env


def gunicorn_command(port: int, workers: int) -> list[str]:
    command = [sys.executable, "-m", "gunicorn"]
    help_text = subprocess.run(
        [*command, "--help"], capture_output=True, text=True, check=True
    ).stdout
    options = [
        "fresh_cabinet.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
    ]
    if "--no-control-socket" in help_text:  # gunicorn ≥ 24 opens a control socket otherwise
        options.append("--no-control-socket")
    return [*command, *options]


class Server:
    def __init__(self, args):
        self.port = args.port or free_port()
        self.origin = f"http://{HOST}:{self.port}"
        self.env = server_env(args)
        self.command = gunicorn_command(self.port, args.workers)
        self.log = tempfile.NamedTemporaryFile(
            "w+", prefix="fc-gunicorn-", suffix=".log", delete=False
        )
        self.process = None

    def start(self, wait: float = 60.0) -> None:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
            cwd=settings.BASE_DIR,
            env=self.env,
            check=True,
        )
        self.process = subprocess.Popen(
            self.command,
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped at start:\n{self.log_tail()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"gunicorn did not listen within {wait} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        return "".join(Path(self.log.name).read_text(errors="replace").splitlines(True)[-lines:])


class TaskWorker:
    """`manage.py db_worker` beside the server, with its settings, for the whole run."""

    def __init__(self, env: dict):
        self.env = env
        self.command = [sys.executable, "manage.py", "db_worker", "--interval", "1"]
        self.log = tempfile.NamedTemporaryFile(
            "w+", prefix="fc-db-worker-", suffix=".log", delete=False
        )
        self.process = None
        self.started_at = None

    def start(self) -> None:
        self.started_at = timezone.now()
        self.process = subprocess.Popen(
            self.command,
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def report(self) -> dict:
        """Still running? And the tasks it finished since it started."""
        from django_tasks_db.models import DBTaskResult

        running = self.process is not None and self.process.poll() is None
        finished = DBTaskResult.objects.filter(finished_at__gte=self.started_at)
        return {
            "command": " ".join(self.command[1:]),
            "running_at_the_end": running,
            "exit_code": None if running else self.process.returncode,
            "tasks_finished": finished.count(),
            "tasks_failed": finished.filter(status="FAILED").count(),
        }

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # finishes its task, then stops
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        Path(self.log.name).unlink(missing_ok=True)


# --- What the users open ------------------------------------------------------------


class Plan:
    """Ids picked from the database beforehand: the operator's organization only."""

    def __init__(self, rng: random.Random):
        today = clock.today()
        self.today = today.strftime("%d.%m.%Y")
        organization = ServiceOrganization.objects.get(name=f"{gen.ORGANIZATION_PREFIX}000")
        subscribers = list(
            Subscriber.objects.filter(organization=organization).values_list("pk", flat=True)
        )
        self.subscribers = rng.sample(subscribers, min(300, len(subscribers)))
        bases = Subscription.objects.filter(subscriber__organization=organization)
        self.bases = list(
            bases.filter(subscriber__in=self.subscribers).values_list("pk", flat=True)[:300]
        )
        room = period_end(today, Periodicity.MONTH, 1)
        self.bases_with_room = list(
            bases.filter(status=Status.POSTED, starts_on__lte=today, ends_on__gte=room)
            .order_by("pk")
            .values_list("pk", flat=True)[:200]
        )
        catalog = gen.ensure_tariffs()
        tariff, periods = catalog.extensions[0]
        self.tariff, self.period = tariff.pk, periods[1].pk
        self.tariffs = [t.pk for t, _ in catalog.bases]
        self.pages = max(1, len(subscribers) // 25)


class Stats:
    def __init__(self):
        self.samples = defaultdict(list)  # label → latencies (s)
        self.statuses = Counter()
        self.errors = Counter()  # kind → count
        self.refused = 0
        self.posted = 0

    def browsing_latencies(self):
        """Every request but the logins (one per user, dominated by password hashing)."""
        return [
            value
            for label, values in self.samples.items()
            if not label.startswith("login")
            for value in values
        ]


class User:
    def __init__(self, index, origin, plan, stats, rng, password):
        self.index, self.origin, self.plan, self.stats = index, origin, plan, stats
        self.rng, self.password = rng, password
        jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[origin])
        self.session = aiohttp.ClientSession(
            base_url=origin,
            cookie_jar=jar,
            # The load balancer terminated TLS: Django sees an HTTPS request.
            headers={"X-Forwarded-Proto": "https", "User-Agent": f"fc-bench/{index}"},
            timeout=aiohttp.ClientTimeout(total=30),
        )

    async def request(self, label, method, path, *, data=None, expect=(200,), posting=False):
        headers = {}
        if method == "POST":
            https_origin = self.origin.replace("http://", "https://")
            headers = {"Origin": https_origin, "Referer": f"{https_origin}{path}"}
        started = time.perf_counter()
        try:
            async with self.session.request(
                method, path, data=data, headers=headers, allow_redirects=False
            ) as response:
                body = await response.text()
                status = response.status
                location = response.headers.get("Location", "")
        except (TimeoutError, aiohttp.ClientError) as exc:
            self.stats.samples[label].append(time.perf_counter() - started)
            self.stats.errors[f"{label}: {type(exc).__name__}"] += 1
            return None, "", ""
        self.stats.samples[label].append(time.perf_counter() - started)
        self.stats.statuses[status] += 1
        if status >= 500:
            self.stats.errors[f"{label}: HTTP {status}"] += 1
        elif posting and 400 <= status < 500:
            self.stats.refused += 1
        elif status not in expect:
            self.stats.errors[f"{label}: HTTP {status}"] += 1
        return status, body, location

    async def login(self) -> bool:
        _, body, _ = await self.request("login form", "GET", "/login/")
        match = CSRF_RE.search(body or "")
        if not match:
            self.stats.errors["login: no CSRF token"] += 1
            return False
        data = {
            "csrfmiddlewaretoken": match.group(1),
            "username": gen.OPERATOR_USERNAME,
            "password": self.password,
        }
        status, _, _ = await self.request("login", "POST", "/login/", data=data, expect=(302,))
        return status == 302

    async def step(self) -> None:
        plan, rng = self.plan, self.rng
        action = rng.choices(list(ACTIONS), list(ACTIONS.values()))[0]
        subscriber, base = rng.choice(plan.subscribers), rng.choice(plan.bases)
        if action == "home":
            await self.request(action, "GET", "/")
        elif action == "subscriber_list":
            sort = rng.choice(["", "?sort=code", "?sort=-sessions", f"?page={rng.randint(2, 5)}"])
            await self.request(action, "GET", f"/subscribers/{sort}")
        elif action == "subscriber_search":
            page = rng.randint(1, max(1, plan.pages // 2))
            await self.request(action, "GET", f"/subscribers/?q=%D0%A2%D0%9E%D0%9E&page={page}")
        elif action == "subscriber_card":
            await self.request(action, "GET", f"/subscribers/{subscriber}/")
        elif action == "subscriber_subscriptions":
            await self.request(action, "GET", f"/subscribers/{subscriber}/subscriptions/")
        elif action == "base_card":
            await self.request(action, "GET", f"/subscriptions/{base}/")
        elif action == "subscription_list":
            await self.request(action, "GET", "/subscriptions/")
        elif action == "subscription_list_filtered":
            query = rng.choice(
                [
                    f"tariff={rng.choice(plan.tariffs)}",
                    "status=posted",
                    f"active_on={plan.today}",
                    "ends_within=30",
                ]
            )
            await self.request(action, "GET", f"/subscriptions/?{query}")
        elif action == "extension_form":
            room = rng.choice(plan.bases_with_room)
            await self.request(action, "GET", f"/subscriptions/{room}/extensions/new/")
        else:
            await self.post_extension(rng.choice(plan.bases_with_room))

    async def post_extension(self, base: int) -> None:
        path = f"/subscriptions/{base}/extensions/new/"
        status, body, _ = await self.request("post: form", "GET", path)
        csrf, token = CSRF_RE.search(body or ""), TOKEN_RE.search(body or "")
        if status != 200 or not csrf:
            return
        data = {
            "csrfmiddlewaretoken": csrf.group(1),
            "request_token": token.group(1) if token else "",
            "tariff": self.plan.tariff,
            "period": self.plan.period,
            "starts_on": self.plan.today,
            "quantity": 1,
            "action": "post",
        }
        status, _, location = await self.request(
            "post: Провести и закрыть", "POST", path, data=data, expect=(302,), posting=True
        )
        if status == 302 and location:
            self.stats.posted += 1
            await self.request("post: base card", "GET", location)

    async def browse(self, deadline: float) -> None:
        try:
            while time.monotonic() < deadline:
                await self.step()
        finally:
            await self.session.close()


async def _health_user(origin: str, stats: Stats, deadline: float) -> None:
    async with aiohttp.ClientSession(
        base_url=origin,
        headers={"X-Forwarded-Proto": "https", "User-Agent": "fc-bench/health"},
        timeout=aiohttp.ClientTimeout(total=30),
    ) as session:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                async with session.get("/health/") as response:
                    await response.read()
                    status = response.status
            except (TimeoutError, aiohttp.ClientError) as exc:
                stats.samples["health"].append(time.perf_counter() - started)
                stats.errors[f"health: {type(exc).__name__}"] += 1
                continue
            stats.samples["health"].append(time.perf_counter() - started)
            stats.statuses[status] += 1
            if status != 200:
                stats.errors[f"health: HTTP {status}"] += 1


async def drive_health(origin, users, duration) -> tuple[Stats, float]:
    """The floor: `users` clients requesting only /health/ for `duration` seconds."""
    stats = Stats()
    started = time.monotonic()
    deadline = started + duration
    await asyncio.gather(*(_health_user(origin, stats, deadline) for _ in range(users)))
    return stats, time.monotonic() - started


async def drive(origin, plan, users, duration, seed, password) -> tuple[Stats, float]:
    """Every user logs in (password hashing: ≈1 s of a core each), then all browse
    for `duration` seconds, timed from when the last login is done."""
    stats = Stats()
    crowd = [User(i, origin, plan, stats, random.Random(seed + i), password) for i in range(users)]
    logged_in = await asyncio.gather(*(user.login() for user in crowd))
    for user, ok in zip(crowd, logged_in, strict=True):
        if not ok:
            await user.session.close()
    browsing = [user for user, ok in zip(crowd, logged_in, strict=True) if ok]
    started = time.monotonic()
    deadline = started + duration
    await asyncio.gather(*(user.browse(deadline) for user in browsing))
    return stats, time.monotonic() - started


# --- Report ---------------------------------------------------------------------------


def summarize(stats: Stats, elapsed: float) -> dict:
    def figures(values):
        if not values:
            return {"requests": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None}
        return {
            "requests": len(values),
            "p50_ms": round(percentile(values, 50) * 1000, 1),
            "p95_ms": round(percentile(values, 95) * 1000, 1),
            "p99_ms": round(percentile(values, 99) * 1000, 1),
        }

    everything = stats.browsing_latencies()
    return {
        "elapsed_s": round(elapsed, 1),
        "requests": len(everything),
        "requests_per_s": round(len(everything) / elapsed, 1),
        **{k: v for k, v in figures(everything).items() if k != "requests"},
        "errors": sum(stats.errors.values()),
        "error_kinds": dict(stats.errors),
        "refused": stats.refused,
        "posted": stats.posted,
        "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
        "by_action": {label: figures(values) for label, values in sorted(stats.samples.items())},
    }


def render(result: dict) -> str:
    meta, total = result["meta"], result["total"]
    worker = result.get("db_worker")
    lines = [
        f"HTTP load — scale {meta['scale']}, {meta['machine']['database']}, gunicorn "
        f"{meta['workers']} workers, {meta['users']} users × {meta['duration_s']} s, "
        f"CONN_MAX_AGE={meta['conn_max_age']}" + (", db_worker beside it" if worker else ""),
        f"requests (logins aside) {total['requests']} in {total['elapsed_s']} s"
        f" = {total['requests_per_s']} req/s;"
        f" p50 {total['p50_ms']} ms, p95 {total['p95_ms']} ms, p99 {total['p99_ms']} ms;"
        f" errors {total['errors']}; refused {total['refused']}; posted {total['posted']}",
    ]
    if worker:
        lines.append(
            f"db_worker: running at the end {worker['running_at_the_end']}, "
            f"tasks finished {worker['tasks_finished']} (failed {worker['tasks_failed']})"
        )
    health = result.get("health")
    if health:
        lines.append(
            f"floor, /health/ only ({meta['users']} users × {health['elapsed_s']} s): "
            f"{health['requests_per_s']} req/s; p50 {health['p50_ms']} ms, "
            f"p95 {health['p95_ms']} ms; errors {health['errors']}"
        )
    if total["error_kinds"]:
        lines.append("errors: " + ", ".join(f"{k} × {v}" for k, v in total["error_kinds"].items()))
    width = max(len(label) for label in total["by_action"])
    lines.append(f"| {'action'.ljust(width)} | requests | p50 ms | p95 ms | p99 ms |")
    lines.append(f"|{'-' * (width + 2)}|----------|--------|--------|--------|")
    for label, row in total["by_action"].items():
        lines.append(
            f"| {label.ljust(width)} | {row['requests']:>8} | {row['p50_ms']:>6} |"
            f" {row['p95_ms']:>6} | {row['p99_ms']:>6} |"
        )
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "large", "sizes"], default="small")
    parser.add_argument("--users", type=int, default=8, help="concurrent virtual users")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument(
        "--conn-max-age", type=int, default=None, help="CONN_MAX_AGE for the server"
    )
    parser.add_argument(
        "--db-worker", action="store_true", help="run manage.py db_worker beside the server"
    )
    parser.add_argument(
        "--health", type=float, default=10.0, help="seconds of /health/ only afterwards (0: none)"
    )
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the extensions it posted")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--record", action="store_true", help="write the committed benchmarks/results/ file"
    )
    parser.add_argument("--password", default=gen.DEFAULT_PASSWORD)
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 200 or not 1 <= args.duration <= 600:
        parser.error("--users from 1 to 200, --duration from 1 to 600 seconds")

    gen.ensure(args.scale, password=args.password)
    plan = Plan(random.Random(args.seed))
    if not plan.bases_with_room:
        raise SystemExit("no base subscription with room for an extension")
    before = ExtensionSubscription.objects.aggregate(top=Max("pk"))["top"] or 0
    connection.close()  # the server's workers get the database to themselves

    server = Server(args)
    worker = TaskWorker(server.env) if args.db_worker else None
    server.start()
    health = None
    try:
        if worker:
            worker.start()
        stats, elapsed = asyncio.run(
            drive(server.origin, plan, args.users, args.duration, args.seed, args.password)
        )
        worker_report = worker.report() if worker else None
        if args.health > 0:
            health = asyncio.run(drive_health(server.origin, args.users, args.health))
    finally:
        if worker:
            worker.stop()
        server.stop()
    result = {
        "meta": {
            "scale": args.scale,
            "vendor": connection.vendor,
            "started_at": timezone.localtime().strftime("%Y-%m-%d %H:%M %Z"),
            "users": args.users,
            "duration_s": args.duration,
            "workers": args.workers,
            "conn_max_age": server.env.get(
                "CONN_MAX_AGE", settings.DATABASES["default"].get("CONN_MAX_AGE", 0)
            ),
            "command": "python -m benchmarks.load "
            + " ".join(sys.argv[1:] if argv is None else argv),
            "machine": machine(),
            "server": " ".join(server.command[1:]),
        },
        "total": summarize(stats, elapsed),
    }
    if worker:
        result["db_worker"] = worker_report
    if health:
        figures = summarize(*health)
        result["health"] = {
            key: figures[key]
            for key in ("elapsed_s", "requests", "requests_per_s", "p50_ms", "p95_ms",
                        "p99_ms", "errors", "error_kinds")
        }  # fmt: skip
    if (
        result["total"]["errors"]
        or not result["total"]["requests"]
        or (health and result["health"]["errors"])
    ):
        result["server_log_tail"] = server.log_tail()
    if not args.keep:
        posted = ExtensionSubscription.objects.filter(
            pk__gt=before, created_by__username=gen.OPERATOR_USERNAME
        ).values_list("pk", flat=True)
        delete_posted(posted)
    print(render(result))
    if "server_log_tail" in result:
        print("server log (tail):\n" + result["server_log_tail"])
    name = f"load-{connection.vendor}-{args.scale}"
    if (args.workers, args.users) != (2, 8):
        name += f"-{args.workers}w{args.users}u"
    path = args.json or output_dir(args.record) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"JSON: {path}")
    Path(server.log.name).unlink(missing_ok=True)
    return result


if __name__ == "__main__":
    main()
