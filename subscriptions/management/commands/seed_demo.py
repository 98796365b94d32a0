"""`manage.py seed_demo [--password P]`: demo data for trying the cabinet.

Idempotent: every row has a natural key (a tariff's name, a period's tariff and
length, a user's login, a subscriber's code) and is written only when it
differs; every subscription carries a fixed `request_token` derived from its
subscriber and its place in the plan, so the services return the document of
the first run instead of making a second one. All subscriptions are written
through `subscriptions/services.py`, i.e. through `full_clean()` under the
lock: the demo data obeys every rule. Dates are relative to
`clock.today()` on the first run.

The password: `--password`, else the environment's DEMO_PASSWORD, else one is
generated and printed once. Existing users keep theirs unless a password is
given explicitly.
"""

import datetime
import os
import secrets
import uuid
from collections import Counter, defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from subscribers import sqlite as sqlite_statistics
from subscribers.models import Membership, ServiceOrganization, Subscriber
from subscribers.validators import bin_iin_control_digit
from subscriptions import clock
from subscriptions.models import ExtensionSubscription, Status, Subscription, Tariff, TariffPeriod
from subscriptions.periods import Periodicity, add_months, period_end
from subscriptions.services import extension_save, subscription_save

# Fixed, so that the tokens of the demo documents are the same on every run.
TOKEN_NAMESPACE = uuid.UUID("5b1c0b6e-3f43-4c55-9d0e-6f7a1de0c0a1")

MONTHS = (1, 3, 6, 12)

# name: (sessions, infobases, price of one month; longer periods are cheaper per month)
BASE_TARIFFS = {
    "Базовый": (3, 1, 9_000),
    "Стандарт": (5, 3, 15_000),
    "Профессиональный": (10, 10, 30_000),
}
# name: (resource, maximum quantity, price of one month for one unit)
EXTENSION_TARIFFS = {
    "Дополнительный сеанс": (Tariff.Resource.SESSIONS, 50, 2_500),
    "Дополнительная база": (Tariff.Resource.INFOBASES, 20, 1_500),
}
DISCOUNT = {1: Decimal("1"), 3: Decimal("0.95"), 6: Decimal("0.9"), 12: Decimal("0.85")}
# Subscriber codes: 77, the partner's series, the subscriber's number.
PARTNER_SERIES = {"Демо-партнер": 1, "Другой партнер": 2}
SESSIONS = "Дополнительный сеанс"
INFOBASES = "Дополнительная база"

DEMO_PARTNER = "Демо-партнер"
OTHER_PARTNER = "Другой партнер"

# login: (organization, role, staff superuser)
USERS = {
    "admin": (None, None, True),
    "owner": (DEMO_PARTNER, Membership.Role.OWNER, False),
    "operator": (DEMO_PARTNER, Membership.Role.OPERATOR, False),
    "viewer": (DEMO_PARTNER, Membership.Role.USER, False),
    "other": (OTHER_PARTNER, Membership.Role.OPERATOR, False),
}

CITIES = (
    "Алматы",
    "Астана",
    "Шымкент",
    "Караганда",
    "Актобе",
    "Павлодар",
    "Усть-Каменогорск",
    "Костанай",
    "Атырау",
    "Тараз",
)

# Демо-партнер's subscribers besides the three named ones; their place in
# this list decides their plan (see DemoSeeder.plan_regular).
REGULAR_SUBSCRIBERS = (
    'ТОО "Алтын Дала"',
    "ИП Ахметова",
    'ТОО "Береке Трейд"',
    'ТОО "Жетысу Логистик"',
    'ТОО "Каспий Строй"',
    "ИП Ким",
    'ТОО "Номад Софт"',
    'ТОО "Сункар"',
    'ТОО "Тулпар Авто"',
    'АО "Казах Инвест Групп"',
    'ТОО "Шанырак Мебель"',
    "ИП Нургалиев",
    'ТОО "Бота Фарм"',
    'ТОО "Арман Агро"',
    'ТОО "Асыл Тас"',
    "ИП Петренко",
    'ТОО "Байтерек Консалт"',
    'ТОО "Дария"',
    'ТОО "Ертис Энерго"',
    'ТОО "Жибек Жолы"',
    "ИП Оспанов",
    'ТОО "Кокжиек"',
    'ТОО "Мерей"',
    'ТОО "Нур Сервис"',
    'ТОО "Орда Бухгалтерия"',
    "ИП Жумабаева",
    'ТОО "Самал Медикал"',
    'ТОО "Тенгри Транс"',
    'ТОО "Умай Текстиль"',
    'ТОО "Хан Тенгри Тур"',
    'ОФ "Добрые руки"',
    'ТОО "Иртыш Зерно"',
    "ИП Ли",
    'ТОО "Степной Ветер"',
    'ТОО "Астана Климат"',
    'ТОО "Медеу Спорт"',
    'ТОО "Каратау Минерал"',
    "ИП Сейтказиев",
    'ТОО "Бурабай Отель"',
    'ТОО "Сарыарка Принт"',
    'КГУ "Школа-гимназия № 12"',
)
ACTIVE_COUNT = 30  # the first 30 hold a posted base active today
ENDING_SOON = {5, 11, 17, 23}  # … of which these end within 30 days
DRAFT_ONLY = range(30, 36)  # a draft base, not yet posted
EXPIRED = range(36, 39)  # a posted base that has ended
# The last two have no subscription yet.


def demo_bin_iin(n: int, *, individual: bool = False) -> str:
    """A deterministic BIN (legal entity) or IIN (individual) with a valid control digit."""
    for attempt in range(100):
        serial = (n * 37 + attempt) % 10_000
        if individual:
            # YYMMDD, 3 = a man born in the 1900s, a serial number.
            body = f"{70 + n % 25:02d}{n % 12 + 1:02d}{n % 28 + 1:02d}3{serial:04d}"
        else:
            # YYMM of registration, 4 = resident legal entity, 0 = head office, a serial number.
            body = f"{5 + n % 19:02d}{n % 12 + 1:02d}40{serial:05d}"
        control = bin_iin_control_digit(body)
        if control is not None:
            return body + str(control)
    raise AssertionError("no valid BIN/IIN found")  # never: most bodies have a control digit


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


class DemoSeeder:
    """Writes the demo data; counts what it created, changed and left as it was."""

    def __init__(self, *, today, explicit_password):
        self.today = today
        self.explicit_password = explicit_password
        self.generated_password = None
        self.new_users = []
        self.counts = defaultdict(Counter)
        self.skipped = []

    # --- helpers -----------------------------------------------------------

    def upsert(self, model, lookup: dict, values: dict):
        """get_or_create by a natural key; save (through full_clean) only what differs."""
        label = str(model._meta.verbose_name_plural)
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
            outcome = "created"
        elif any(getattr(obj, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(obj, name, value)
            outcome = "updated"
        else:
            self.counts[label]["unchanged"] += 1
            return obj
        obj.full_clean()
        obj.save()
        self.counts[label][outcome] += 1
        return obj

    def password_for_new_user(self) -> str:
        if self.explicit_password:
            return self.explicit_password
        if self.generated_password is None:
            self.generated_password = secrets.token_urlsafe(12)
        return self.generated_password

    def token(self, subscriber, slot: str) -> uuid.UUID:
        return uuid.uuid5(TOKEN_NAMESPACE, f"{subscriber.code}/{slot}")

    # --- catalogue, partners, users ------------------------------------------

    def seed_tariffs(self):
        self.periods = {}
        self.tariffs = {}
        monthly_prices = {}
        for name, (sessions, infobases, monthly) in BASE_TARIFFS.items():
            monthly_prices[name] = monthly
            self.tariffs[name] = self.upsert(
                Tariff,
                {"name": name},
                {
                    "kind": Tariff.Kind.BASE,
                    "sessions": sessions,
                    "infobases": infobases,
                    "resource": "",
                    "max_quantity": None,
                    "is_active": True,
                    "description": f"Сеансов: {sessions}, информационных баз: {infobases}.",
                },
            )
        bases = list(self.tariffs.values())
        for name, (resource, max_quantity, monthly) in EXTENSION_TARIFFS.items():
            monthly_prices[name] = monthly
            tariff = self.upsert(
                Tariff,
                {"name": name},
                {
                    "kind": Tariff.Kind.EXTENSION,
                    "sessions": 0,
                    "infobases": 0,
                    "resource": resource,
                    "max_quantity": max_quantity,
                    "is_active": True,
                    "description": "Расширение основного тарифа; цена — за одну единицу.",
                },
            )
            if set(tariff.offered_for.all()) != set(bases):
                tariff.offered_for.set(bases)
            self.tariffs[name] = tariff
        for name, tariff in self.tariffs.items():
            for months in MONTHS:
                # Rounded to whole hundreds of tenge.
                price = Decimal(round(monthly_prices[name] * months * DISCOUNT[months] / 100) * 100)
                self.periods[name, months] = self.upsert(
                    TariffPeriod,
                    {"tariff": tariff, "periodicity": Periodicity.MONTH, "count": months},
                    {"price": price, "is_active": True},
                )

    def seed_organizations_and_users(self):
        self.organizations = {
            DEMO_PARTNER: self.upsert(
                ServiceOrganization, {"name": DEMO_PARTNER}, {"bin": demo_bin_iin(900)}
            ),
            OTHER_PARTNER: self.upsert(
                ServiceOrganization, {"name": OTHER_PARTNER}, {"bin": demo_bin_iin(901)}
            ),
        }
        self.users = {}
        user_model = get_user_model()
        label = str(user_model._meta.verbose_name_plural)
        for username, (organization, role, is_admin) in USERS.items():
            user = user_model.objects.filter(username=username).first()
            flags = {"is_staff": is_admin, "is_superuser": is_admin, "is_active": True}
            if user is None:
                user = user_model(username=username, email=f"{username}@demo.fresh.kz", **flags)
                user.set_password(self.password_for_new_user())
                user.save()
                self.new_users.append(username)
                self.counts[label]["created"] += 1
            else:
                changed = [name for name, value in flags.items() if getattr(user, name) != value]
                for name in changed:
                    setattr(user, name, flags[name])
                if self.explicit_password and not user.check_password(self.explicit_password):
                    user.set_password(self.explicit_password)
                    changed.append("password")
                if changed:
                    user.save()
                self.counts[label]["updated" if changed else "unchanged"] += 1
            self.users[username] = user
            if organization is not None:
                self.upsert(
                    Membership,
                    {"user": user},
                    {"organization": self.organizations[organization], "role": role},
                )

    def subscriber(self, organization, number: int, name: str):
        series = PARTNER_SERIES[organization.name]
        return self.upsert(
            Subscriber,
            {"code": f"77{series:02d}{number:08d}"},
            {
                "organization": organization,
                "name": name,
                "bin_iin": demo_bin_iin(100 * series + number, individual=name.startswith("ИП ")),
                "city": CITIES[number % len(CITIES)],
                "email": f"buh{series}{number:02d}@example.kz",
                "phone": f"+7 70{number % 8} {200 + number:03d} {10 + number % 89:02d} 0{series}",
            },
        )

    # --- documents -----------------------------------------------------------

    def base(self, user, subscriber, slot, *, tariff, months, starts_on, posted, renews=None):
        token = self.token(subscriber, slot)
        label = str(Subscription._meta.verbose_name_plural)
        existing = Subscription.objects.filter(request_token=token).first()
        if existing is not None:
            self.counts[label]["unchanged"] += 1
            return existing
        subscription = Subscription(
            subscriber=subscriber,
            tariff=self.tariffs[tariff],
            period=self.periods[tariff, months],
            starts_on=starts_on,
            status=Status.POSTED if posted else Status.DRAFT,
            renews=renews,
        )
        try:
            subscription = subscription_save(
                subscription=subscription, user=user, request_token=token
            )
        except ValidationError as exc:
            self.skipped.append(f"{subscriber} / {slot}: {' '.join(exc.messages)}")
            return None
        self.counts[label]["created"] += 1
        return subscription

    def extension(self, user, base, slot, *, tariff, starts_on, quantity, posted, months=None):
        """An extension inside `base`: the longest period that fits unless `months` is given."""
        if base is None:
            return None
        token = self.token(base.subscriber, slot)
        label = str(ExtensionSubscription._meta.verbose_name_plural)
        existing = ExtensionSubscription.objects.filter(request_token=token).first()
        if existing is not None:
            self.counts[label]["unchanged"] += 1
            return existing
        choices = (months,) if months else (12, 6, 3, 1)
        fitting = [
            m for m in choices if period_end(starts_on, Periodicity.MONTH, m) <= base.ends_on
        ]
        if not fitting or starts_on < base.starts_on:
            return None  # no period fits inside the base: nothing to record
        extension = ExtensionSubscription(
            subscription=base,
            tariff=self.tariffs[tariff],
            period=self.periods[tariff, fitting[0]],
            starts_on=starts_on,
            quantity=quantity,
        )
        try:
            extension = extension_save(
                extension=extension, user=user, post=posted, request_token=token
            )
        except ValidationError as exc:
            self.skipped.append(f"{base.subscriber} / {slot}: {' '.join(exc.messages)}")
            return None
        self.counts[label]["created"] += 1
        return extension

    def next_aligned_day(self, base) -> datetime.date:
        """The first day after today on the base's day of the month (whole months to pay)."""
        n = 1
        while (day := add_months(base.starts_on, n)) <= self.today:
            n += 1
        return day

    # --- the plan ------------------------------------------------------------

    def seed_demo_partner(self):
        today = self.today
        organization = self.organizations[DEMO_PARTNER]
        user = self.users["operator"]  # records the documents

        # «ТОО "Ромашка"»: renewed a year ago, the current year started 3 months
        # ago and ends in about 9; extensions posted, planned and drafted.
        romashka = self.subscriber(organization, 1, 'ТОО "Ромашка"')
        previous = self.base(
            user,
            romashka,
            "base-previous",
            tariff="Стандарт",
            months=12,
            starts_on=add_months(add_months(today, -3), -12),
            posted=True,
        )
        current = self.base(
            user,
            romashka,
            "base-current",
            tariff="Стандарт",
            months=12,
            starts_on=previous.ends_on + datetime.timedelta(days=1),
            posted=True,
            renews=previous,
        )
        self.extension(
            user,
            current,
            "sessions-today",
            tariff=SESSIONS,
            starts_on=today,
            quantity=2,
            posted=True,
            months=3,
        )
        self.extension(
            user,
            current,
            "infobases-next",
            tariff=INFOBASES,
            starts_on=self.next_aligned_day(current),
            quantity=1,
            posted=True,
            months=6,
        )
        self.extension(
            user,
            current,
            "sessions-draft",
            tariff=SESSIONS,
            starts_on=add_months(current.starts_on, 6),
            quantity=3,
            posted=False,
            months=1,
        )

        # «ИП Садыков»: one base, six months, ended before today.
        sadykov = self.subscriber(organization, 2, "ИП Садыков")
        self.base(
            user,
            sadykov,
            "base",
            tariff="Базовый",
            months=6,
            starts_on=add_months(first_of_month(today), -8),
            posted=True,
        )

        # «ТОО "Весна"»: posted, starts on the first day of the month after next.
        vesna = self.subscriber(organization, 3, 'ТОО "Весна"')
        vesna_base = self.base(
            user,
            vesna,
            "base",
            tariff="Профессиональный",
            months=12,
            starts_on=add_months(first_of_month(today), 2),
            posted=True,
        )
        self.extension(
            user,
            vesna_base,
            "infobases",
            tariff=INFOBASES,
            starts_on=vesna_base.starts_on if vesna_base else today,
            quantity=2,
            posted=True,
        )

        for index, name in enumerate(REGULAR_SUBSCRIBERS):
            subscriber = self.subscriber(organization, 10 + index, name)
            self.plan_regular(user, index, subscriber)

    def plan_regular(self, user, i, subscriber):
        """A realistic mix, decided by the subscriber's place in the list only."""
        today = self.today
        tariff = tuple(BASE_TARIFFS)[i % 3]
        if i in ENDING_SOON:
            # A year that ends in a few days: the home page's attention list.
            starts_on = add_months(today, -12) + datetime.timedelta(days=3 + (i * 3) % 25)
            base = self.base(
                user, subscriber, "base", tariff=tariff, months=12, starts_on=starts_on, posted=True
            )
            if base is not None and i in (5, 11):
                self.base(
                    user,
                    subscriber,
                    "renewal",
                    tariff=tariff,
                    months=12,
                    starts_on=base.ends_on + datetime.timedelta(days=1),
                    posted=i == 11,
                    renews=base,
                )
            return
        if i < ACTIVE_COUNT:
            months = (12, 6, 12, 3)[i % 4]
            if i % 2 == 0:
                # Started k months ago on today's day of the month (0 ≤ k < months).
                starts_on = add_months(today, -(i % months))
            else:
                # Started on the 1st, 1…months-1 months ago.
                starts_on = add_months(first_of_month(today), -(1 + i % (months - 1)))
            base = self.base(
                user,
                subscriber,
                "base",
                tariff=tariff,
                months=months,
                starts_on=starts_on,
                posted=True,
            )
            if base is None:
                return
            if i % 3 == 0:
                self.extension(
                    user,
                    base,
                    "ext-today",
                    tariff=(SESSIONS, INFOBASES)[i % 2],
                    starts_on=today,
                    quantity=1 + i % 4,
                    posted=True,
                )
            if i % 7 == 2:
                self.extension(
                    user,
                    base,
                    "ext-next",
                    tariff=SESSIONS,
                    starts_on=self.next_aligned_day(base),
                    quantity=2,
                    posted=True,
                )
            if i % 5 == 4:
                self.extension(
                    user,
                    base,
                    "ext-draft",
                    tariff=INFOBASES,
                    starts_on=today + datetime.timedelta(days=7),
                    quantity=1,
                    posted=False,
                    months=1,
                )
            return
        if i in DRAFT_ONLY:
            base = self.base(
                user,
                subscriber,
                "base",
                tariff=tariff,
                months=(12, 6, 3)[i % 3],
                starts_on=add_months(first_of_month(today), 1),
                posted=False,
            )
            if base is not None and i % 2 == 0:
                self.extension(
                    user,
                    base,
                    "ext-draft",
                    tariff=SESSIONS,
                    starts_on=base.starts_on,
                    quantity=1,
                    posted=False,
                    months=1,
                )
            return
        if i in EXPIRED:
            self.base(
                user,
                subscriber,
                "base",
                tariff=tariff,
                months=3,
                starts_on=add_months(first_of_month(today), -(4 + i % 3)),
                posted=True,
            )

    def seed_other_partner(self):
        organization = self.organizations[OTHER_PARTNER]
        user = self.users["other"]
        alatau = self.subscriber(organization, 1, 'ТОО "Алатау"')
        self.base(
            user,
            alatau,
            "base",
            tariff="Стандарт",
            months=12,
            starts_on=add_months(self.today, -1),
            posted=True,
        )
        tau = self.subscriber(organization, 2, 'ТОО "Тау Самал"')
        self.base(
            user,
            tau,
            "base",
            tariff="Базовый",
            months=6,
            starts_on=add_months(first_of_month(self.today), -2),
            posted=True,
        )
        self.subscriber(organization, 3, "ИП Абенова")

    def run(self):
        with transaction.atomic():
            self.seed_tariffs()
            self.seed_organizations_and_users()
            self.seed_demo_partner()
            self.seed_other_partner()


class Command(BaseCommand):
    help = (
        "Создает или обновляет демо-данные: тарифы, партнеров «Демо-партнер» и «Другой партнер», "
        "их пользователей, абонентов и подписки. Повторный запуск ничего не дублирует."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help="Пароль всех демо-пользователей (иначе DEMO_PASSWORD, иначе будет создан).",
        )

    def handle(self, *args, password=None, **options):
        explicit = password or os.environ.get("DEMO_PASSWORD") or None
        seeder = DemoSeeder(
            today=clock.today(),
            explicit_password=explicit,
        )
        seeder.run()
        # SQLite plans with what ANALYZE gathered: gather it for the data just made.
        sqlite_statistics.analyze(connection)
        self.report(seeder, explicit)

    def report(self, seeder, explicit):
        self.stdout.write(f"Демо-данные на {seeder.today:%d.%m.%Y}:")
        for label, counts in seeder.counts.items():
            self.stdout.write(
                f"  {str(label).capitalize()}: создано {counts['created']}, "
                f"изменено {counts['updated']}, без изменений {counts['unchanged']}"
            )
        for problem in seeder.skipped:
            self.stderr.write(self.style.WARNING(f"  Пропущено: {problem}"))
        self.stdout.write(
            "Кабинет: http://127.0.0.1:8000/ — owner (владелец), operator (оператор), "
            f"viewer (пользователь) в «{DEMO_PARTNER}»; other (оператор) в «{OTHER_PARTNER}»."
        )
        self.stdout.write("Администрирование: http://127.0.0.1:8000/admin/ — admin.")
        if seeder.generated_password:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Пароль новых пользователей ({', '.join(seeder.new_users)}): "
                    f"{seeder.generated_password}"
                )
            )
            self.stdout.write("Он показан один раз: сохраните его или задайте свой --password.")
        elif explicit:
            self.stdout.write(
                "Пароль всех демо-пользователей — заданный (--password / DEMO_PASSWORD)."
            )
        else:
            self.stdout.write(
                "Пароли существующих пользователей не изменены (--password меняет их)."
            )
