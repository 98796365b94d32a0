"""Documents posted before the price list keep the price they were posted at as the
partner's price too (subscriptions 0016): extensions their kept unit price and amount,
bases their period's price (a grace one its tariff's grace price); drafts stay unpriced."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("subscriptions", "0015_kept_partner_prices")]
AFTER = [("subscriptions", "0016_fill_kept_partner_prices")]


def _migrate(targets):
    """Migrate to `targets`; the models as they are then (the other apps at their latest)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    loader = MigrationExecutor(connection).loader
    others = [node for node in loader.graph.leaf_nodes() if node[0] == "subscribers"]
    return loader.project_state([*targets, *others]).apps


def test_posted_documents_get_the_partner_price_equal_to_the_kept_price():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = _migrate(BEFORE)
        Organization = old.get_model("subscribers", "ServiceOrganization")
        Subscriber = old.get_model("subscribers", "Subscriber")
        Tariff = old.get_model("subscriptions", "Tariff")
        TariffPeriod = old.get_model("subscriptions", "TariffPeriod")
        Subscription = old.get_model("subscriptions", "Subscription")
        Extension = old.get_model("subscriptions", "ExtensionSubscription")

        org = Organization.objects.create(name="Демо-партнер")
        subscriber = Subscriber.objects.create(
            organization=org, name="Ромашка", code="100000000001", bin_iin="940440000128"
        )
        base_tariff = Tariff.objects.create(
            name="Стандарт",
            kind="base",
            sessions=5,
            infobases=2,
            grace_price=Decimal("990"),
            offers_until_base_end=False,
        )
        sessions = Tariff.objects.create(
            name="Дополнительный сеанс", kind="extension", resource="sessions", max_quantity=10
        )
        year = TariffPeriod.objects.create(
            tariff=base_tariff, periodicity="month", count=12, price=120000, approx_days=365
        )
        month = TariffPeriod.objects.create(
            tariff=sessions, periodicity="month", count=1, price=3000, approx_days=30
        )
        start = datetime.date(2026, 1, 15)

        def base(number, status, **fields):
            dates = {"starts_on": start, "ends_on": datetime.date(2027, 1, 14)}
            return Subscription.objects.create(
                number=number,
                subscriber=subscriber,
                organization=org,
                tariff=base_tariff,
                status=status,
                **{**dates, **fields},
            )

        posted = base("Т00000001", "posted", period=year)
        draft = base(
            "Т00000002",
            "draft",
            period=year,
            starts_on=datetime.date(2027, 1, 15),
            ends_on=datetime.date(2028, 1, 14),
        )
        grace = base(
            "Т00000003",
            "posted",
            kind="grace",
            renews=posted,
            starts_on=datetime.date(2027, 1, 15),
            ends_on=datetime.date(2027, 1, 21),
        )

        def extension(number, status, **fields):
            return Extension.objects.create(
                number=number,
                subscription=posted,
                organization=org,
                tariff=sessions,
                period=month,
                starts_on=start,
                ends_on=datetime.date(2026, 2, 14),
                status=status,
                **fields,
            )

        # kept at 2 500 ₸ a unit when the period cost that (today it costs 3 000 ₸)
        kept = extension(
            "Р00000001", "posted", quantity=2, unit_price=Decimal("2500"), amount=Decimal("5000")
        )
        unposted = extension("Р00000002", "draft", quantity=1)

        new = _migrate(AFTER)
        Subscription = new.get_model("subscriptions", "Subscription")
        Extension = new.get_model("subscriptions", "ExtensionSubscription")

        prices = dict(Extension.objects.values_list("pk", "partner_unit_price"))
        amounts = dict(Extension.objects.values_list("pk", "partner_amount"))
        assert (prices[kept.pk], amounts[kept.pk]) == (Decimal("2500"), Decimal("5000"))
        assert (prices[unposted.pk], amounts[unposted.pk]) == (None, None)
        bases = {
            row[0]: row[1:]
            for row in Subscription.objects.values_list("pk", "amount", "partner_amount")
        }
        assert bases[posted.pk] == (Decimal("120000"), Decimal("120000"))
        assert bases[grace.pk] == (Decimal("990"), Decimal("990"))
        assert bases[draft.pk] == (None, None)
        # the kept amounts are what they were
        assert Extension.objects.get(pk=kept.pk).amount == Decimal("5000")
    finally:
        _migrate(latest)
