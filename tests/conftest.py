import datetime

import pytest
from django.db import connection

from tests import factories


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts and ends in Russian: a request in another language
    (the cookie, Accept-Language) leaves that language active in the thread."""
    from django.utils import translation

    translation.activate("ru")
    yield
    translation.activate("ru")


@pytest.fixture
def today():
    return factories.today()


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
    from subscriptions.periods import Periodicity, add_months

    starts_on = add_months(today + datetime.timedelta(days=10), -3)
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
