"""Migrations never lose data: a database full of data at the first migration
is migrated forward to the latest, and everything is still there."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

APPS = ("subscribers", "subscriptions")


def _leaf_nodes(executor):
    """The latest migration of every app: going back to the first migrations of
    APPS also unapplies the apps that depend on them (billing), which must come
    back for the tests after this one."""
    return executor.loader.graph.leaf_nodes()


def _first_nodes(executor):
    return [(app, "0001_initial") for app in APPS]


def test_data_survives_migrating_forward_from_the_first_migration():
    executor = MigrationExecutor(connection)
    latest = _leaf_nodes(executor)
    executor.migrate(_first_nodes(executor))
    old = MigrationExecutor(connection).loader.project_state(_first_nodes(executor)).apps

    Organization = old.get_model("subscribers", "ServiceOrganization")
    Subscriber = old.get_model("subscribers", "Subscriber")
    Tariff = old.get_model("subscriptions", "Tariff")
    TariffPeriod = old.get_model("subscriptions", "TariffPeriod")
    Subscription = old.get_model("subscriptions", "Subscription")
    Extension = old.get_model("subscriptions", "ExtensionSubscription")

    start = datetime.date(2026, 1, 15)
    org = Organization.objects.create(name="Демо-партнер")
    base_tariff = Tariff.objects.create(name="Стандарт", kind="base", sessions=5, infobases=3)
    ext_tariff = Tariff.objects.create(
        name="Дополнительный сеанс", kind="extension", resource="sessions", max_quantity=50
    )
    ext_tariff.offered_for.add(base_tariff)
    year = TariffPeriod.objects.create(
        tariff=base_tariff, periodicity="month", count=12, price=120000, approx_days=365
    )
    month = TariffPeriod.objects.create(
        tariff=ext_tariff, periodicity="month", count=1, price=3000, approx_days=30
    )
    for i in range(40):
        subscriber = Subscriber.objects.create(
            organization=org,
            name=f"Абонент {i}",
            code=f"{100000000000 + i}",
            bin_iin="123456789013",
        )
        base = Subscription.objects.create(
            number=f"Т{i:08d}",
            subscriber=subscriber,
            tariff=base_tariff,
            period=year,
            starts_on=start,
            ends_on=datetime.date(2027, 1, 14),
            status="posted",
        )
        Extension.objects.create(
            number=f"Р{i:08d}",
            subscription=base,
            tariff=ext_tariff,
            period=month,
            starts_on=start,
            ends_on=datetime.date(2026, 2, 14),
            quantity=1 + i % 5,
            status="posted",
            amount=3000 * (1 + i % 5),
        )
    before = {
        "subscribers": sorted(Subscriber.objects.values_list("code", "name")),
        "bases": sorted(
            Subscription.objects.values_list("number", "starts_on", "ends_on", "status")
        ),
        "extensions": sorted(Extension.objects.values_list("number", "quantity", "amount")),
    }

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)
    new = executor.loader.project_state(latest).apps

    after = {
        "subscribers": sorted(
            new.get_model("subscribers", "Subscriber").objects.values_list("code", "name")
        ),
        "bases": sorted(
            new.get_model("subscriptions", "Subscription").objects.values_list(
                "number", "starts_on", "ends_on", "status"
            )
        ),
        "extensions": sorted(
            new.get_model("subscriptions", "ExtensionSubscription").objects.values_list(
                "number", "quantity", "amount"
            )
        ),
    }
    assert after == before
    assert len(after["extensions"]) == 40
    # «До окончания подписки на тариф»: offered by the extension tariffs, never by a base one.
    offers = new.get_model("subscriptions", "Tariff").objects.values_list(
        "name", "offers_until_base_end"
    )
    assert dict(offers) == {"Стандарт": False, "Дополнительный сеанс": True}
