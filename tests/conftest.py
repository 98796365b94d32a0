"""The tests' house: the clock, logging in, and the fixtures shared by files.

Fixtures are named by what they are (`base_twelve_months`, not `base`): a name
means one thing in the whole suite.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from subscriptions import clock
from subscriptions.models import Status
from subscriptions.periods import Periodicity, add_months
from tests import factories
from tests.report_figures import report_extension

DAY = datetime.timedelta(days=1)


def _delete_instead_of_truncate(original):
    """Empty the tables after a transactional test with DELETE, not TRUNCATE.

    On PostgreSQL, TRUNCATE of the project's ~35 tables gives each a new file and
    costs 2–3 s on this machine; the tables a test leaves behind hold a few rows,
    which DELETE removes in milliseconds. Django's foreign keys are DEFERRABLE
    INITIALLY DEFERRED, so the order of the DELETEs does not matter inside the
    flush's transaction. A test that asks for its sequences reset keeps TRUNCATE.
    """

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return original(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return [f"DELETE FROM {self.quote_name(table)};" for table in tables]

    return sql_flush


def pytest_configure(config):
    from django.db.backends.postgresql.operations import DatabaseOperations

    DatabaseOperations.sql_flush = _delete_instead_of_truncate(DatabaseOperations.sql_flush)


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts and ends in Russian: a request in another language
    (the cookie, Accept-Language) leaves that language active in the thread."""
    from django.utils import translation

    translation.activate("ru")
    yield
    translation.activate("ru")


@pytest.fixture(autouse=True)
def today():
    """«Today» for the whole test: the day it starts on, held on the one clock.

    Autouse, so that no test can forget it: factories, forms, views, services,
    commands and the live server's thread all see one day, even when a test
    runs across midnight in Asia/Almaty. Ask for `today` to know the day; move
    it with `clock.today_is(day)`. The clock is released after every test.
    """
    day = timezone.localdate()
    clock.set_today(day)
    yield day
    clock.set_today(None)


@pytest.fixture
def logged_in(client):
    """`logged_in(user)` → the test's client, logged in as `user` (call again to switch).

    `force_login` checks no password, so nothing is hashed; the tests that log
    in through the form use the fast hasher of fresh_cabinet/test_settings.py.
    """

    def log_in(user):
        client.force_login(user)
        return client

    return log_in


@pytest.fixture
def base_tariff(db):
    tariff = factories.BaseTariffFactory(name="Стандарт", sessions=5, infobases=2)
    for count, price in ((1, 12000), (3, 34000), (6, 66000), (12, 120000)):
        factories.TariffPeriodFactory(tariff=tariff, count=count, price=price)
    return tariff


@pytest.fixture
def session_tariff(base_tariff):
    tariff = factories.ExtensionTariffFactory(
        name="Дополнительный сеанс", resource="sessions", max_quantity=10, offered_for=[base_tariff]
    )
    for count, price in ((1, 3000), (3, 8500), (6, 16000), (12, 30000)):
        factories.TariffPeriodFactory(tariff=tariff, count=count, price=price)
    return tariff


@pytest.fixture
def infobase_tariff(base_tariff):
    tariff = factories.ExtensionTariffFactory(
        name="Дополнительная база", resource="infobases", max_quantity=5, offered_for=[base_tariff]
    )
    for count, price in ((1, 2000), (3, 5500), (6, 10500), (12, 20000)):
        factories.TariffPeriodFactory(tariff=tariff, count=count, price=price)
    return tariff


@pytest.fixture
def organization(db):
    return factories.OrganizationFactory(name="Демо-партнер")


@pytest.fixture
def other_organization(db):
    return factories.OrganizationFactory(name="Другой партнер")


@pytest.fixture
def subscriber(organization):
    return factories.SubscriberFactory(organization=organization, name='ТОО "Ромашка"')


@pytest.fixture
def admin_user(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("admin", "admin@example.kz", "secret-pass-123")


def _member(organization, username, role):
    user = factories.UserFactory(username=username)
    factories.MembershipFactory(organization=organization, user=user, role=role)
    return user


@pytest.fixture
def owner(organization):
    return _member(organization, "owner", "owner")


@pytest.fixture
def operator(organization):
    return _member(organization, "operator", "operator")


@pytest.fixture
def viewer(organization):
    return _member(organization, "viewer", "user")


@pytest.fixture
def other_operator(other_organization):
    return _member(other_organization, "other", "operator")


# --- Base subscriptions: one fixture per meaning ---------------------------------------


@pytest.fixture
def base_twelve_months(subscriber, base_tariff, today):
    """A posted year of «Стандарт» (5 sessions, 2 infobases) that began 30 days ago."""
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=today - 30 * DAY,
    )


@pytest.fixture
def base_twelve_months_from_the_first(subscriber, base_tariff, today):
    """A posted year of «Стандарт» from the 1st of last month (no month-end clamping)."""
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=add_months(today.replace(day=1), -1),
    )


@pytest.fixture
def base_year_from_15_march_2027(subscriber, base_tariff, session_tariff, infobase_tariff):
    """«Today» is 20.03.2027 for the whole test; a posted year of «Стандарт»
    15.03.2027–14.03.2028 (fixed days: the price «до окончания подписки на тариф»
    depends on them)."""
    with clock.today_is(datetime.date(2027, 3, 20)):
        yield factories.SubscriptionFactory(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=12),
            starts_on=datetime.date(2027, 3, 15),
        )


@pytest.fixture
def base_three_months(subscriber, base_tariff, today):
    """A posted 3 months of «Стандарт» that began 30 days ago: it ends in about two months."""
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=3),
        starts_on=today - 30 * DAY,
    )


@pytest.fixture
def draft_base_in_400_days(subscriber, base_tariff, today):
    """A draft month of «Стандарт» that starts in 400 days (after `base_twelve_months` ends)."""
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=today + 400 * DAY,
        status=Status.DRAFT,
    )


@pytest.fixture
def base_two_years_from_2025(subscriber, base_tariff):
    """A posted base for all of 2025 and 2026 (the report does not look at today)."""
    two_years = factories.TariffPeriodFactory(
        tariff=base_tariff, periodicity=Periodicity.YEAR, count=2, price=200000
    )
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=two_years,
        starts_on=datetime.date(2025, 1, 1),
    )


@pytest.fixture
def base_with_extensions(subscriber, base_tariff, session_tariff, infobase_tariff, today):
    """base_with_extensions(n) → a posted year of «Стандарт» begun 30 days ago, with n
    month-long extensions of both tariffs, one every 5 days from today; every third is
    a draft, every fourth was changed once (a history record)."""

    def make(n):
        base = factories.SubscriptionFactory(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=12),
            starts_on=today - 30 * DAY,
        )
        for i in range(n):
            tariff = session_tariff if i % 2 else infobase_tariff
            extension = factories.ExtensionFactory(
                subscription=base,
                tariff=tariff,
                period=tariff.periods.get(count=1),
                starts_on=today + i * 5 * DAY,
                status=Status.POSTED if i % 3 else Status.DRAFT,
            )
            if i % 4 == 0:
                extension.quantity = 2
                extension._change_reason = "Изменение"
                extension.save()
        return base

    return make


# --- Extensions on `base_twelve_months` -------------------------------------------------


@pytest.fixture
def sessions_extension(base_twelve_months, session_tariff, today):
    """A posted «Дополнительный сеанс» × 2 for a month from today."""
    return factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today,
        quantity=2,
    )


@pytest.fixture
def draft_infobases_extension(base_twelve_months, infobase_tariff, today):
    """A draft «Дополнительная база» × 1 for 3 months from in 10 days."""
    return factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=infobase_tariff,
        period=infobase_tariff.periods.get(count=3),
        starts_on=today + 10 * DAY,
        status=Status.DRAFT,
    )


# --- Extensions on other bases ----------------------------------------------------------


@pytest.fixture
def extensions_of_base_three_months(base_three_months, session_tariff, infobase_tariff):
    """On `base_three_months`: two posted extensions that end with it, a posted one that
    ends earlier, and a draft."""
    base = base_three_months
    month = session_tariff.periods.get(count=1)
    return {
        # the base's last month: ends with the base
        "sessions": factories.ExtensionFactory(
            subscription=base,
            tariff=session_tariff,
            period=month,
            starts_on=add_months(base.starts_on, 2),
            quantity=2,
        ),
        # the whole base: ends with it too
        "infobases": factories.ExtensionFactory(
            subscription=base,
            tariff=infobase_tariff,
            period=infobase_tariff.periods.get(count=3),
            starts_on=base.starts_on,
            quantity=1,
        ),
        "earlier": factories.ExtensionFactory(
            subscription=base,
            tariff=session_tariff,
            period=month,
            starts_on=add_months(base.starts_on, 1),
            quantity=4,
        ),
        "draft": factories.ExtensionFactory(
            subscription=base,
            tariff=session_tariff,
            period=month,
            starts_on=add_months(base.starts_on, 2),
            quantity=5,
            status=Status.DRAFT,
        ),
    }


@pytest.fixture
def extensions_of_2025(
    base_two_years_from_2025, session_tariff, infobase_tariff, other_organization, base_tariff
):
    """Posted extensions over a few months of 2025 on `base_two_years_from_2025`, with and
    without a kept amount; a draft; another partner's extension. Returns the five posted."""
    extension = report_extension
    base = base_two_years_from_2025
    docs = [
        # March 2025: both tariffs, one with a kept amount that differs from today's price
        extension(base, session_tariff, "2025-03-01", quantity=2, amount=Decimal("5000")),
        extension(base, session_tariff, "2025-03-31", quantity=3),  # 3 000 × 3
        extension(base, infobase_tariff, "2025-03-15", quantity=1, count=3),  # 5 500
        # April 2025, from its first day
        extension(base, session_tariff, "2025-04-01", quantity=1, count=6),  # 16 000
        # June 2025
        extension(base, infobase_tariff, "2025-06-30", quantity=4, amount=Decimal("7999.50")),
    ]
    extension(base, session_tariff, "2025-03-10", quantity=9, status=Status.DRAFT)
    foreign_base = factories.SubscriptionFactory(
        subscriber=factories.SubscriberFactory(organization=other_organization),
        tariff=base_tariff,
        period=base.period,
        starts_on=datetime.date(2025, 1, 1),
    )
    extension(foreign_base, session_tariff, "2025-03-05", quantity=7)
    return docs


# --- Pages' data ------------------------------------------------------------------------


@pytest.fixture
def three_subscribers(organization, other_organization, base_tariff, session_tariff, today):
    """«Ромашка», «Василек» and «Лотос» of the organization with distinct sort keys (name,
    city, limits), and one subscriber of another organization."""
    make = factories.SubscriberFactory
    romashka = make(organization=organization, name='ТОО "Ромашка"', city="Алматы")
    vasilek = make(organization=organization, name="ИП Василек", city="Астана")
    lotos = make(organization=organization, name="АО Лотос", city="Шымкент")
    make(organization=other_organization, name="ТОО Чужой абонент")
    base = factories.SubscriptionFactory(
        subscriber=romashka, tariff=base_tariff, period=base_tariff.periods.get(count=12)
    )
    factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        quantity=3,
    )
    # Василек: a bigger tariff, so sorting by sessions differs from sorting by name.
    big = factories.BaseTariffFactory(name="Корпоративный", sessions=20, infobases=1)
    factories.SubscriptionFactory(
        subscriber=vasilek, tariff=big, period=factories.TariffPeriodFactory(tariff=big)
    )
    return {"romashka": romashka, "vasilek": vasilek, "lotos": lotos}


@pytest.fixture
def documents_of_every_kind(
    organization, other_organization, base_tariff, session_tariff, infobase_tariff, today
):
    """Two subscribers' documents of every kind and state, and another partner's:
    «current» (a posted year of «Ромашка», begun 100 days ago), its draft «renewal»,
    posted «sessions» × 3 from today and draft «infobases» × 2 from in 10 days on it;
    «short» (a posted month of «Лотос», begun 20 days ago); «foreign»."""
    romashka = factories.SubscriberFactory(organization=organization, name="ТОО Ромашка")
    lotos = factories.SubscriberFactory(organization=organization, name="АО Лотос")
    year = base_tariff.periods.get(count=12)
    current = factories.SubscriptionFactory(
        subscriber=romashka, tariff=base_tariff, period=year, starts_on=today - 100 * DAY
    )
    renewal = factories.SubscriptionFactory(
        subscriber=romashka,
        tariff=base_tariff,
        period=year,
        starts_on=current.ends_on + DAY,
        renews=current,
        status=Status.DRAFT,
    )
    sessions = factories.ExtensionFactory(
        subscription=current,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today,
        quantity=3,
    )
    infobases = factories.ExtensionFactory(
        subscription=current,
        tariff=infobase_tariff,
        period=infobase_tariff.periods.get(count=3),
        starts_on=today + 10 * DAY,
        quantity=2,
        status=Status.DRAFT,
    )
    short = factories.SubscriptionFactory(
        subscriber=lotos,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=today - 20 * DAY,
    )
    foreign = factories.SubscriptionFactory(
        subscriber=factories.SubscriberFactory(organization=other_organization, name="Чужой"),
        tariff=base_tariff,
        period=year,
        starts_on=today - 10 * DAY,
    )
    return {
        "current": current,
        "renewal": renewal,
        "sessions": sessions,
        "infobases": infobases,
        "short": short,
        "foreign": foreign,
    }


requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (row locks / exclusion constraints); set DATABASE_URL",
)


@pytest.fixture
def populate(organization, base_tariff, session_tariff, infobase_tariff, today):
    """populate(n) → n subscribers of `organization`, each with documents of every kind.

    Per subscriber: a posted base subscription (3 months) that ends in 9 days,
    a posted «Дополнительный сеанс» × 2 and a draft «Дополнительная база» for
    5 days from today — valid data that shows on every list page.
    """
    starts_on = add_months(today + 10 * DAY, -3)
    session_days = factories.TariffPeriodFactory(
        tariff=session_tariff, periodicity=Periodicity.DAY, count=5, price=500
    )
    infobase_days = factories.TariffPeriodFactory(
        tariff=infobase_tariff, periodicity=Periodicity.DAY, count=5, price=400
    )

    def make(n, organization=organization):
        subscribers = []
        for _ in range(n):
            base = factories.SubscriptionFactory(
                subscriber=factories.SubscriberFactory(organization=organization),
                tariff=base_tariff,
                period=base_tariff.periods.get(periodicity=Periodicity.MONTH, count=3),
                starts_on=starts_on,
            )
            factories.ExtensionFactory(
                subscription=base, tariff=session_tariff, period=session_days, quantity=2
            )
            factories.ExtensionFactory(
                subscription=base,
                tariff=infobase_tariff,
                period=infobase_days,
                status="draft",
            )
            subscribers.append(base.subscriber)
        return subscribers

    return make
