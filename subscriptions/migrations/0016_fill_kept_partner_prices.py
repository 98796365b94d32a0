"""Documents posted before the partner's price list keep, as the partner's price, the
price they were posted at (R16): an extension's partner price is its kept unit price and
amount; a posted base subscription keeps its period's price (a grace one, its tariff's
grace price) on both sides — a base kept no price before, its amount was its period's."""

from django.db import migrations
from django.db.models import F, OuterRef, Subquery


def fill(apps, schema_editor):
    Extension = apps.get_model("subscriptions", "ExtensionSubscription")
    Subscription = apps.get_model("subscriptions", "Subscription")
    TariffPeriod = apps.get_model("subscriptions", "TariffPeriod")
    Tariff = apps.get_model("subscriptions", "Tariff")

    Extension.objects.filter(status="posted", amount__isnull=False).update(
        partner_unit_price=F("unit_price"), partner_amount=F("amount")
    )
    period_price = TariffPeriod.objects.filter(pk=OuterRef("period_id")).values("price")[:1]
    grace_price = Tariff.objects.filter(pk=OuterRef("tariff_id")).values("grace_price")[:1]
    posted = Subscription.objects.filter(status="posted", amount__isnull=True)
    posted.filter(period__isnull=False).update(amount=Subquery(period_price))
    posted.filter(period__isnull=True).update(amount=Subquery(grace_price))
    Subscription.objects.filter(status="posted", partner_amount__isnull=True).update(
        partner_amount=F("amount")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0015_kept_partner_prices"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
