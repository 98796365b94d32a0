"""Benchmark data in bulk: partners, subscribers, base and extension subscriptions.

    python -m benchmarks.generate --scale small|large|sizes [--reset] [--password PW] [--seed N]

Scale `small` makes 1,000 subscribers in 5 partners; `large` 100,000 subscribers in
200 partners, about 150,000 base subscriptions and 250,000 extensions. The first
partner, «Бенчмарк-партнер 000», is deliberately large (500 / 5,000 subscribers):
its operator `bench_operator` is the user the benchmarks browse as; `bench_admin`
is a superuser for the admin pages.

Scale `sizes` puts three partners ten times apart in one database — 000 with
50,000 subscribers (≈75,000 base subscriptions, ≈125,000 extensions), 001 with
5,000 and 002 with 500, the same mix per subscriber, their rows interleaved in
the tables — with an operator each (`bench_operator`, `bench_operator_001`,
`bench_operator_002`), so that `benchmarks.run --scale sizes` measures every
page for each partner side by side.

Rows go in with `bulk_create` (no `full_clean()` per row, which would take hours
at scale large), so every rule holds by construction:

- R2, R3: base subscriptions have base tariffs, extensions extension tariffs
  offered for the base's tariff; every period is the tariff's own and `ends_on`
  is `periods.period_end(starts_on, …)`.
- R4, R5: an extension lies inside its base (usually starting on the base's day
  of the month, the service's recommendation; sometimes on any day).
- R6, R7, R10: an extension is posted only on a posted base, on a day not after
  its own start nor the base's end; a draft base has only draft extensions.
- R8: quantity 1–5, never above the tariff's maximum.
- R11: a subscriber's posted bases of one tariff never overlap: a chain of
  renewals is back to back, a second chain has another tariff.
- Codes are 12 digits, BIN/IIN pass the control digit, document numbers are
  «Т»/«Р» and 8 digits, taken in blocks from `NumberSequence` so that the
  cabinet goes on numbering after them.
- The reminders `send_reminders` would have sent (`insert_reminders()`): one
  per posted base and threshold of its tariff whose day has come, unless the
  base was renewed before; data generated earlier gets them on the next run.

`tests/test_benchmarks.py` runs `full_clean()` over every row at scale `tiny`.
No history rows are written for generated data.
"""

import argparse
import datetime
import random
import time
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from subscribers import sqlite as sqlite_statistics
from subscribers.models import Membership, ServiceOrganization, Subscriber
from subscribers.validators import bin_iin_control_digit
from subscriptions import clock
from subscriptions.kept_limits import SubscriberLimits
from subscriptions.kept_limits import refresh as refresh_kept_limits
from subscriptions.models import (
    ExtensionSubscription,
    NumberSequence,
    ReminderSent,
    Status,
    Subscription,
    Tariff,
    TariffPeriod,
)
from subscriptions.periods import MONTHS_PER_UNIT, Periodicity, add_months, period_end


@dataclass(frozen=True)
class Scale:
    organizations: int
    subscribers: int
    # Subscribers of the first partners («Бенчмарк-партнер 000», 001, …), each
    # with its own operator; the other partners share the rest.
    sized: tuple[int, ...]
    # The partners' subscribers interleaved in the tables, as a live service's
    # are (no partner's rows sit together on disk); else partner by partner.
    mixed: bool = False

    @property
    def biggest(self) -> int:
        return self.sized[0]


SCALES = {
    "tiny": Scale(organizations=2, subscribers=30, sized=(20,)),  # tests only
    "tiny-sizes": Scale(organizations=3, subscribers=40, sized=(30, 8, 2), mixed=True),  # tests
    "small": Scale(organizations=5, subscribers=1_000, sized=(500,)),
    "large": Scale(organizations=200, subscribers=100_000, sized=(5_000,)),
    # One database, three partners ten times apart: pages measured side by side.
    "sizes": Scale(organizations=3, subscribers=55_500, sized=(50_000, 5_000, 500), mixed=True),
}

ORGANIZATION_PREFIX = "Бенчмарк-партнер "
OPERATOR_USERNAME = "bench_operator"
ADMIN_USERNAME = "bench_admin"
DEFAULT_PASSWORD = "bench-pass-123"
BATCH_SUBSCRIBERS = 5_000  # subscribers per transaction (with their documents)
BATCH_ROWS = 5_000  # rows per INSERT where the database allows that many parameters
CODE_PREFIX = "9"  # generated subscriber codes: 9 and 11 digits of a running number

MONTHS = (1, 3, 6, 12)
# name, sessions, infobases, prices for 1/3/6/12 months (the seed_demo / test tariffs)
BASE_TARIFFS = (
    ("Базовый", 2, 1, (6_000, 17_000, 33_000, 60_000)),
    ("Стандарт", 5, 2, (12_000, 34_000, 66_000, 120_000)),
    ("Профессиональный", 10, 5, (25_000, 70_000, 135_000, 250_000)),
)
BASE_TARIFF_WEIGHTS = (4, 4, 2)
# name, resource, max quantity, prices for 1/3/6/12 months
EXTENSION_TARIFFS = (
    ("Дополнительный сеанс", Tariff.Resource.SESSIONS, 10, (3_000, 8_500, 16_000, 30_000)),
    ("Дополнительная база", Tariff.Resource.INFOBASES, 5, (2_000, 5_500, 10_500, 20_000)),
)
EXTENSION_TARIFF_WEIGHTS = (65, 35)

# The shape of the data (tuned so that scale large gives ~150,000 bases and
# ~250,000 extensions for 100,000 subscribers).
HISTORY_DAYS = 730  # bases started over the last two years
START_SKEW = 2.0  # > 1: more chains started recently
BASE_MONTH_WEIGHTS = (1, 2, 2, 5)  # 1, 3, 6, 12 months
SECOND_CHAIN = 0.12  # a subscriber with a second base tariff
LAPSE = 0.5  # a chain that is not renewed when its link ends
RENEW_AHEAD_DAYS = 30  # renewals are recorded up to a month before the end
DRAFT_LAST_LINK = 0.19  # a chain whose last base is a draft (~85% posted overall)
EXTENSIONS_PER_BASE = {1: (0, 1, 2), 3: (0, 1, 2, 3), 6: (0, 1, 2, 3, 4), 12: (0, 1, 2, 3, 4)}
EXTENSIONS_WEIGHTS = {1: (4, 4, 2), 3: (2, 3, 3, 2), 6: (2, 3, 3, 2, 1), 12: (1, 2, 3, 2, 3)}
ALIGNED = 0.8  # extensions starting on the base's day of the month
QUANTITY_WEIGHTS = (50, 20, 15, 10, 5)  # 1..5
EXTENSION_POSTED = 0.95

COMPANY_WORDS_A = (
    "Алтын", "Береке", "Жулдыз", "Нур", "Сункар", "Дала", "Тау", "Арман", "Шанырак",
    "Кайнар", "Самал", "Жибек", "Асыл", "Бастау", "Мерей", "Орда", "Сарыарка", "Тулпар",
    "Ак", "Кок", "Степной", "Восточный", "Северный", "Южный", "Центр", "Евразия",
)  # fmt: skip
COMPANY_WORDS_B = (
    "Сауда", "Строй", "Трейд", "Сервис", "Агро", "Техника", "Консалт", "Логистик",
    "Медиа", "Фарм", "Энерго", "Маркет", "Инвест", "Транс", "Групп", "Снаб", "Пром",
    "Капитал", "Девелопмент", "Азия", "Ойл", "Дистрибуция", "Телеком", "Финанс",
)  # fmt: skip
SURNAMES = (
    "Ахметов", "Бекова", "Жумабаев", "Иванов", "Касымова", "Нурланов", "Омарова",
    "Петров", "Сериков", "Тулегенова", "Утешев", "Ким", "Абдрахманов", "Смагулова",
)  # fmt: skip
CITIES = ("Алматы", "Астана", "Шымкент", "Караганда", "Актобе", "Павлодар", "Атырау", "Костанай")
LEGAL_FORMS = (("ТОО", 70), ("ИП", 20), ("АО", 7), ("ГКП", 3))


# --- Tariffs and users ---------------------------------------------------------


def _months_of(period: TariffPeriod) -> int | None:
    months = MONTHS_PER_UNIT.get(Periodicity(period.periodicity))
    return months * period.count if months else None


def _month_periods(tariff: Tariff, prices) -> dict[int, TariffPeriod]:
    """The tariff's 1/3/6/12-month periods, reusing existing ones (e.g. seed_demo's)."""
    found: dict[int, TariffPeriod] = {}
    for period in tariff.periods.order_by("-is_active", "pk"):
        months = _months_of(period)
        if months in MONTHS and months not in found:
            found[months] = period
    for months, price in zip(MONTHS, prices, strict=True):
        if months not in found:
            found[months], _ = TariffPeriod.objects.get_or_create(
                tariff=tariff,
                periodicity=Periodicity.MONTH,
                count=months,
                defaults={"price": price},
            )
    return found


@dataclass
class Catalog:
    bases: list  # [(Tariff, {months: TariffPeriod})]
    extensions: list  # [(Tariff, {months: TariffPeriod})]


def ensure_tariffs() -> Catalog:
    """get_or_create the base and extension tariffs, their periods and offers."""
    bases = []
    for name, sessions, infobases, prices in BASE_TARIFFS:
        tariff, _ = Tariff.objects.get_or_create(
            name=name,
            defaults={"kind": Tariff.Kind.BASE, "sessions": sessions, "infobases": infobases},
        )
        if tariff.kind != Tariff.Kind.BASE:
            raise SystemExit(f"Тариф «{name}» уже есть, но он не основной.")
        bases.append((tariff, _month_periods(tariff, prices)))
    extensions = []
    for name, resource, max_quantity, prices in EXTENSION_TARIFFS:
        tariff, _ = Tariff.objects.get_or_create(
            name=name,
            defaults={
                "kind": Tariff.Kind.EXTENSION,
                "resource": resource,
                "max_quantity": max_quantity,
            },
        )
        if tariff.kind != Tariff.Kind.EXTENSION:
            raise SystemExit(f"Тариф «{name}» уже есть, но он не тариф расширения.")
        tariff.offered_for.add(*(base for base, _ in bases))
        extensions.append((tariff, _month_periods(tariff, prices)))
    return Catalog(bases=bases, extensions=extensions)


def operator_username(index: int) -> str:
    """The operator of «Бенчмарк-партнер <index>»: `bench_operator` for 000, else with the index."""
    return OPERATOR_USERNAME if index == 0 else f"{OPERATOR_USERNAME}_{index:03d}"


def ensure_users(organizations, password: str):
    """An operator for each sized partner (`bench_operator` for the first, the biggest)
    and `bench_admin` (superuser). Returns the first operator and the admin."""
    User = get_user_model()
    operators = []
    for index, organization in enumerate(organizations):
        operator, _ = User.objects.get_or_create(username=operator_username(index))
        operator.set_password(password)
        operator.is_staff = operator.is_superuser = False
        operator.first_name, operator.last_name = "Оператор", "Бенчмарка"
        operator.save()
        Membership.objects.update_or_create(
            user=operator,
            defaults={"organization": organization, "role": Membership.Role.OPERATOR},
        )
        operators.append(operator)
    operator = operators[0]
    admin, _ = User.objects.get_or_create(username=ADMIN_USERNAME)
    admin.set_password(password)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    Membership.objects.filter(user=admin).delete()
    return operator, admin


# --- Existing benchmark data ---------------------------------------------------


def benchmark_organizations():
    return ServiceOrganization.objects.filter(name__startswith=ORGANIZATION_PREFIX)


def present_scale() -> str | None:
    """The scale of the benchmark data in the database ("" when it matches none), or None."""
    organizations = benchmark_organizations()
    if not organizations.exists():
        return None
    count = Subscriber.objects.filter(organization__in=organizations).count()
    for name, scale in SCALES.items():
        if count == scale.subscribers and organizations.count() == scale.organizations:
            return name
    return ""


def reset() -> dict[str, int]:
    """Delete the benchmark partners and everything under them (not other data).

    Plain SQL, following every relation that points at a deleted row (and the
    history of each row); the ORM's collector would load every row to send
    signals. Rows of a chain of renewals go in one statement: Django's foreign
    keys are deferred to the commit. Returns the rows deleted per table; on
    PostgreSQL the emptied tables are then compacted (VACUUM FULL), so that the
    next data set is measured without the dead rows of the previous one.
    """
    organization_ids = list(benchmark_organizations().values_list("pk", flat=True))
    if not organization_ids:
        return {}
    marks = ", ".join(["%s"] * len(organization_ids))
    deleted: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        _delete_where(cursor, ServiceOrganization, f"id IN ({marks})", organization_ids, deleted)
    touched = [table for table, count in deleted.items() if count]
    if connection.in_atomic_block:  # VACUUM cannot run in a transaction (tests)
        return deleted
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in touched:
                cursor.execute(f"VACUUM FULL {connection.ops.quote_name(table)}")
        elif connection.vendor == "sqlite":
            cursor.execute("VACUUM")
    return deleted


def _delete_where(cursor, model, where: str, params: list, deleted: dict) -> None:
    qn = connection.ops.quote_name
    table = model._meta.db_table
    ids = f"SELECT {qn(model._meta.pk.column)} FROM {qn(table)} WHERE {where}"
    for relation in model._meta.related_objects:
        if relation.many_to_many or relation.related_model is model:
            continue
        column = qn(relation.field.column)
        _delete_where(cursor, relation.related_model, f"{column} IN ({ids})", params, deleted)
    history = getattr(model, "history", None)
    if history is not None:
        history_table = history.model._meta.db_table
        cursor.execute(f"DELETE FROM {qn(history_table)} WHERE {qn('id')} IN ({ids})", params)
        deleted[history_table] = deleted.get(history_table, 0) + cursor.rowcount
    cursor.execute(f"DELETE FROM {qn(table)} WHERE {where}", params)
    deleted[table] = deleted.get(table, 0) + cursor.rowcount


# --- Plans: plain values, rules by construction --------------------------------


@dataclass
class ExtensionPlan:
    tariff_index: int
    months: int
    starts_on: datetime.date
    ends_on: datetime.date
    quantity: int
    posted: bool
    posted_on: datetime.date | None


@dataclass
class BasePlan:
    tariff_index: int
    months: int
    starts_on: datetime.date
    ends_on: datetime.date
    posted: bool
    posted_on: datetime.date | None
    extensions: list = field(default_factory=list)


def _end(starts_on: datetime.date, months: int) -> datetime.date:
    return period_end(starts_on, Periodicity.MONTH, months)


def plan_chains(rng: random.Random, today: datetime.date) -> list[list[BasePlan]]:
    """A subscriber's base subscriptions: one or two chains of back-to-back renewals."""
    chain_count = 2 if rng.random() < SECOND_CHAIN else 1
    tariffs: list[int] = []
    while len(tariffs) < chain_count:
        index = rng.choices(range(len(BASE_TARIFFS)), BASE_TARIFF_WEIGHTS)[0]
        if index not in tariffs:  # R11: a second chain has another tariff
            tariffs.append(index)
    chains = []
    for tariff_index in tariffs:
        # Over the last two years, more of them recent (a growing service).
        starts_on = today - datetime.timedelta(days=int(HISTORY_DAYS * rng.random() ** START_SKEW))
        links = []
        while True:
            months = rng.choices(MONTHS, BASE_MONTH_WEIGHTS)[0]
            ends_on = _end(starts_on, months)
            links.append(BasePlan(tariff_index, months, starts_on, ends_on, True, None))
            renewable = ends_on < today + datetime.timedelta(days=RENEW_AHEAD_DAYS)
            if not renewable or rng.random() < LAPSE:
                break
            starts_on = ends_on + datetime.timedelta(days=1)
        if rng.random() < DRAFT_LAST_LINK:
            links[-1].posted = False
        for link in links:
            if link.posted:
                # Posted a few days before it started, never in the future.
                day = min(link.starts_on, today) - datetime.timedelta(days=rng.randint(0, 5))
                link.posted_on = day
            link.extensions = plan_extensions(rng, link, today)
        chains.append(links)
    return chains


def plan_extensions(rng: random.Random, base: BasePlan, today: datetime.date) -> list:
    count = rng.choices(EXTENSIONS_PER_BASE[base.months], EXTENSIONS_WEIGHTS[base.months])[0]
    if not base.posted:
        count = min(count, 1)
    plans = []
    for _ in range(count):
        tariff_index = rng.choices(range(len(EXTENSION_TARIFFS)), EXTENSION_TARIFF_WEIGHTS)[0]
        if rng.random() < ALIGNED:
            months = rng.choice([m for m in MONTHS if m <= base.months])
            starts_on = add_months(base.starts_on, rng.randint(0, base.months - months))
        else:
            span = (base.ends_on - base.starts_on).days
            starts_on = base.starts_on + datetime.timedelta(days=rng.randint(0, span))
            fitting = [m for m in MONTHS if _end(starts_on, m) <= base.ends_on]
            if not fitting:
                continue
            months = rng.choice(fitting)
        ends_on = _end(starts_on, months)
        if not (base.starts_on <= starts_on and ends_on <= base.ends_on):  # R4, R5
            continue
        quantity = rng.choices(range(1, 6), QUANTITY_WEIGHTS)[0]
        posted = base.posted and rng.random() < EXTENSION_POSTED
        posted_on = None
        if posted:
            # R6/R7 as of the posting day: not after the start, not after the base's end.
            posted_on = max(
                min(starts_on, today) - datetime.timedelta(days=rng.randint(0, 3)),
                base.posted_on,
            )
            posted_on = min(posted_on, starts_on)
        plans.append(
            ExtensionPlan(tariff_index, months, starts_on, ends_on, quantity, posted, posted_on)
        )
    return plans


# --- Identifiers ---------------------------------------------------------------


def bin_iin_for(n: int) -> str:
    """A valid BIN/IIN derived from n (bodies without a control digit are skipped)."""
    body = 10_000_000_000 + (n * 7_919) % 89_999_999_999
    while True:
        first = f"{body:011d}"
        control = bin_iin_control_digit(first)
        if control is not None:
            return first + str(control)
        body += 1


class Numbers:
    """Document numbers taken in blocks from NumberSequence, as the cabinet would."""

    def __init__(self, prefix: str, model):
        self.prefix = prefix
        with transaction.atomic():
            sequence, _ = NumberSequence.objects.select_for_update().get_or_create(name=prefix)
            used = model.objects.filter(number__startswith=prefix).aggregate(top=Max("number"))
            top = int(used["top"][1:]) if used["top"] else 0
            if sequence.last_value < top:
                NumberSequence.objects.filter(name=prefix).update(last_value=top)

    def take(self, count: int) -> list[str]:
        with transaction.atomic():
            NumberSequence.objects.filter(name=self.prefix).update(
                last_value=F("last_value") + count
            )
            last = NumberSequence.objects.get(name=self.prefix).last_value
        return [f"{self.prefix}{value:08d}" for value in range(last - count + 1, last + 1)]


def _aware(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour), tzinfo=timezone.get_current_timezone()
    )


# --- The generator -------------------------------------------------------------


def organization_sizes(scale: Scale, rng: random.Random) -> list[int]:
    rest, others = scale.subscribers - sum(scale.sized), scale.organizations - len(scale.sized)
    if not others:
        return list(scale.sized)
    weights = [rng.uniform(0.4, 1.6) for _ in range(others)]
    sizes = [int(rest * w / sum(weights)) for w in weights]
    sizes[0] += rest - sum(sizes)
    return [*scale.sized, *sizes]


def subscriber_name(rng: random.Random) -> str:
    form = rng.choices([f for f, _ in LEGAL_FORMS], [w for _, w in LEGAL_FORMS])[0]
    if form == "ИП":
        initials = "".join(f"{rng.choice('АБГДЕЖКМНОРСТ')}." for _ in range(2))
        return f"ИП {rng.choice(SURNAMES)} {initials}"
    return f'{form} "{rng.choice(COMPANY_WORDS_A)} {rng.choice(COMPANY_WORDS_B)}"'


@dataclass
class Made:
    organizations: int = 0
    subscribers: int = 0
    bases: int = 0
    bases_posted: int = 0
    renewals: int = 0
    extensions: int = 0
    extensions_posted: int = 0
    reminders: int = 0
    seconds: float = 0.0


def generate(
    scale_name: str,
    *,
    reset_first: bool = False,
    password: str = DEFAULT_PASSWORD,
    seed: int = 5,
    today: datetime.date | None = None,
    verbose: bool = True,
) -> Made:
    scale = SCALES[scale_name]
    started = time.perf_counter()
    say = print if verbose else (lambda *a, **k: None)
    if reset_first:
        deleted = reset()
        if deleted:
            say("удалено: " + ", ".join(f"{k} {v}" for k, v in deleted.items() if v))
    elif benchmark_organizations().exists():
        raise SystemExit(
            "Данные бенчмарка уже есть (организации «Бенчмарк-партнер …»): добавьте --reset."
        )
    today = today or clock.today()
    rng = random.Random(seed)
    made = Made()
    vendor = connection.vendor
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            # Only this connection: a crash loses at most the last transactions, which
            # --reset removes anyway; it saves a WAL flush per batch.
            cursor.execute("SET synchronous_commit TO off")

    catalog = ensure_tariffs()
    sizes = organization_sizes(scale, rng)
    organizations = ServiceOrganization.objects.bulk_create(
        [
            ServiceOrganization(name=f"{ORGANIZATION_PREFIX}{i:03d}", bin=bin_iin_for(10**6 + i))
            for i in range(scale.organizations)
        ]
    )
    made.organizations = len(organizations)
    operator, _ = ensure_users(organizations[: len(scale.sized)], password)
    base_numbers = Numbers(Subscription.NUMBER_PREFIX, Subscription)
    extension_numbers = Numbers(ExtensionSubscription.NUMBER_PREFIX, ExtensionSubscription)
    taken_codes = set(
        Subscriber.objects.filter(code__startswith=CODE_PREFIX).values_list("code", flat=True)
    )

    owners = [org for org, size in zip(organizations, sizes, strict=True) for _ in range(size)]
    if scale.mixed:
        rng.shuffle(owners)
    code_counter = 0
    for first in range(0, len(owners), BATCH_SUBSCRIBERS):
        batch_owners = owners[first : first + BATCH_SUBSCRIBERS]
        with transaction.atomic():
            subscribers = []
            for offset, organization in enumerate(batch_owners):
                n = first + offset
                while True:
                    code = f"{CODE_PREFIX}{code_counter:011d}"
                    code_counter += 1
                    if code not in taken_codes:
                        break
                subscribers.append(
                    Subscriber(
                        organization=organization,
                        name=subscriber_name(rng),
                        code=code,
                        bin_iin=bin_iin_for(n),
                        city=rng.choice(CITIES),
                        email=f"client{n}@example.kz",
                        phone=f"+7 7{n % 100:02d} {n % 1000:03d} {n % 10000:04d}",
                    )
                )
            Subscriber.objects.bulk_create(subscribers, batch_size=BATCH_ROWS)
            _insert_documents(
                subscribers, rng, today, catalog, operator, base_numbers, extension_numbers, made
            )
        made.subscribers += len(subscribers)
        say(
            f"  {made.subscribers:>7} абонентов, {made.bases:>7} подписок, "
            f"{made.extensions:>7} расширений — {time.perf_counter() - started:6.1f} с"
        )

    # bulk_create sends no signals: today's kept limits of the new subscribers, in bulk.
    started_kept = time.perf_counter()
    refresh_kept_limits(today)
    say(f"  лимиты на {today:%d.%m.%Y} — {time.perf_counter() - started_kept:6.1f} с")
    started_reminders = time.perf_counter()
    made.reminders = insert_reminders(today)
    say(f"  напоминания: {made.reminders} — {time.perf_counter() - started_reminders:6.1f} с")
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("RESET synchronous_commit")
            # Fresh statistics and visibility map, as autovacuum would leave them
            # (VACUUM cannot run inside a transaction: not in tests).
            tables = (
                ServiceOrganization,
                Subscriber,
                Subscription,
                ExtensionSubscription,
                SubscriberLimits,
                ReminderSent,
            )
            for model in tables if not connection.in_atomic_block else ():
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    # SQLite: a full ANALYZE, as after migrate and seed_demo (subscribers/sqlite.py).
    sqlite_statistics.analyze(connection)
    made.seconds = time.perf_counter() - started
    return made


def _insert_documents(
    subscribers, rng, today, catalog, operator, base_numbers, extension_numbers, made
):
    chains_by_subscriber = [(s, plan_chains(rng, today)) for s in subscribers]
    # Level by level, so that a renewal can point at the base it renews.
    depth = max(len(chain) for _, chains in chains_by_subscriber for chain in chains)
    saved: list[tuple[Subscription, BasePlan]] = []
    previous: dict[tuple[int, int], Subscription] = {}
    for level in range(depth):
        rows = []
        for subscriber, chains in chains_by_subscriber:
            for chain_index, chain in enumerate(chains):
                if level >= len(chain):
                    continue
                plan = chain[level]
                tariff, periods = catalog.bases[plan.tariff_index]
                renewed = previous.get((subscriber.pk, chain_index))
                base = Subscription(
                    subscriber_id=subscriber.pk,
                    # bulk_create skips save(): the stored organization is set here.
                    organization_id=subscriber.organization_id,
                    tariff=tariff,
                    period=periods[plan.months],
                    starts_on=plan.starts_on,
                    ends_on=plan.ends_on,
                    renews_id=renewed.pk if renewed else None,
                    status=Status.POSTED if plan.posted else Status.DRAFT,
                    created_by_id=operator.pk,
                    posted_by_id=operator.pk if plan.posted else None,
                    posted_at=_aware(plan.posted_on) if plan.posted else None,
                )
                rows.append((base, plan))
                previous[(subscriber.pk, chain_index)] = base
        for (base, _), number in zip(rows, base_numbers.take(len(rows)), strict=True):
            base.number = number
        Subscription.objects.bulk_create([base for base, _ in rows], batch_size=BATCH_ROWS)
        saved.extend(rows)
        made.bases += len(rows)
        made.bases_posted += sum(1 for _, plan in rows if plan.posted)
        if level:
            made.renewals += len(rows)

    extensions = []
    for base, plan in saved:
        for ext in plan.extensions:
            tariff, periods = catalog.extensions[ext.tariff_index]
            period = periods[ext.months]
            quantity = min(ext.quantity, tariff.max_quantity or 1)
            extensions.append(
                ExtensionSubscription(
                    subscription_id=base.pk,
                    organization_id=base.organization_id,
                    tariff=tariff,
                    period=period,
                    starts_on=ext.starts_on,
                    ends_on=ext.ends_on,
                    quantity=quantity,
                    status=Status.POSTED if ext.posted else Status.DRAFT,
                    unit_price=period.price if ext.posted else None,
                    amount=period.price * quantity if ext.posted else None,
                    created_by_id=operator.pk,
                    posted_by_id=operator.pk if ext.posted else None,
                    posted_at=_aware(ext.posted_on, 11) if ext.posted else None,
                )
            )
    for extension, number in zip(extensions, extension_numbers.take(len(extensions)), strict=True):
        extension.number = number
    ExtensionSubscription.objects.bulk_create(extensions, batch_size=BATCH_ROWS)
    made.extensions += len(extensions)
    made.extensions_posted += sum(1 for e in extensions if e.status == Status.POSTED)


REMINDER_RECIPIENTS = "bench_operator@example.kz"


def insert_reminders(today: datetime.date) -> int:
    """The reminders `send_reminders` would have sent for the benchmark partners' bases.

    Every posted base is reminded at each threshold of its tariff («30,14,3»)
    on the day its end comes that close, if that day has come, the base was
    posted by then and no posted renewal was (the generator's renewals are
    posted up to a month before the end). Skipped when the partners have
    reminders already; returns the rows written.
    """
    bases = Subscription.objects.filter(
        organization__in=benchmark_organizations(), status=Status.POSTED
    )
    if ReminderSent.objects.filter(subscription__in=bases).exists():
        return 0
    thresholds = {
        tariff.pk: tariff.reminder_thresholds for tariff in Tariff.objects.filter(kind="base")
    }
    renewed_on = {
        renews: posted_at.date()
        for renews, posted_at in bases.filter(renews__isnull=False).values_list(
            "renews_id", "posted_at"
        )
    }
    rows = []
    for pk, tariff_id, ends_on, posted_at in bases.values_list(
        "pk", "tariff_id", "ends_on", "posted_at"
    ).order_by("pk"):
        for threshold in thresholds.get(tariff_id, ()):
            day = ends_on - datetime.timedelta(days=threshold)
            if day > today or day < posted_at.date():
                continue
            if pk in renewed_on and renewed_on[pk] <= day:
                continue
            rows.append(
                ReminderSent(
                    subscription_id=pk,
                    threshold_days=threshold,
                    ends_on=ends_on,
                    recipients=REMINDER_RECIPIENTS,
                    sent_at=_aware(day, 9),
                )
            )
    for first in range(0, len(rows), BATCH_ROWS):
        with transaction.atomic():
            ReminderSent.objects.bulk_create(rows[first : first + BATCH_ROWS])
    return len(rows)


def require_migrated() -> None:
    """Stop with a clear message when the database lacks migrations (new apps appear often)."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        raise SystemExit(
            f"База данных не обновлена ({names}…): сначала выполните `manage.py migrate`."
        )


def ensure(scale_name: str, *, password: str = DEFAULT_PASSWORD, verbose: bool = True) -> None:
    """Generate the scale's data unless it is already there (used by benchmarks.run)."""
    require_migrated()
    if present_scale() == scale_name:
        # Data generated before the reminders were: theirs are added (a few seconds).
        insert_reminders(clock.today())
        return
    made = generate(scale_name, reset_first=True, password=password, verbose=verbose)
    if verbose:
        report(scale_name, made)


def report(scale_name: str, made: Made) -> None:
    def share(part, whole):
        return f"{100 * part / whole:.0f}%" if whole else "—"

    print(
        f"Масштаб {scale_name} на {connection.vendor}: "
        f"{made.organizations} организаций, {made.subscribers} абонентов, "
        f"{made.bases} подписок на тарифы ({share(made.bases_posted, made.bases)} проведено, "
        f"продлений: {made.renewals}), {made.extensions} расширений "
        f"({share(made.extensions_posted, made.extensions)} проведено), "
        f"{made.reminders} напоминаний за {made.seconds:.1f} с."
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # «tiny» (30 subscribers) is for the tests and not advertised.
    parser.add_argument(
        "--scale", choices=sorted(SCALES), default="small", metavar="{small,large,sizes}"
    )
    parser.add_argument("--reset", action="store_true", help="delete benchmark data first")
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    require_migrated()
    made = generate(args.scale, reset_first=args.reset, password=args.password, seed=args.seed)
    report(args.scale, made)


if __name__ == "__main__":
    main()
