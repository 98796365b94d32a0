"""The partner's own price of a tariff period on a day (R16): one function, and its SQL twin.

The price in effect on a day is the partner's price-list row with the latest
`valid_from` on or before that day; without one — or when that row says «по
цене сервиса» (no price) — it is the service's price, `TariffPeriod.price`.
`partner_price()` answers it for one period (one query); pages that show many
periods annotate them with `partner_price_expression()`, the same rule in SQL.

Posting keeps this price on the document beside the service's
(`subscriptions.pricing.partner_kept_prices`). subscriptions/ does not import
billing/ — billing builds on it — so `BillingConfig.ready()` hands
`partner_price` to `subscriptions.pricing.use_partner_price`, the one place
the posting path asks.
"""

import datetime
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from .models import PartnerPrice

PRICE_FIELD = DecimalField(max_digits=12, decimal_places=2)


def _organization_id(organization) -> int:
    return getattr(organization, "pk", organization)


def _in_effect(organization_id, period, day: datetime.date):
    """The price-list rows of a period that have begun by `day`, the one in effect first."""
    return PartnerPrice.objects.filter(
        organization_id=organization_id, period=period, valid_from__lte=day
    ).order_by("-valid_from")


def partner_price(organization, period, day: datetime.date) -> Decimal:
    """The partner's price of one unit of `period` on `day`; the service's without its own.

    `organization`: the partner or its pk. One query.
    """
    own = _in_effect(_organization_id(organization), period.pk, day).values_list("price", flat=True)
    price = own.first()
    return period.price if price is None else price


def partner_price_expression(organization, day: datetime.date, prefix: str = ""):
    """`partner_price` as SQL: over a queryset of periods (`prefix` ""), or of rows that
    reach their period through `prefix` (e.g. "period__" on documents)."""
    own = _in_effect(_organization_id(organization), OuterRef(f"{prefix}pk"), day).values("price")
    return Coalesce(
        Subquery(own[:1], output_field=PRICE_FIELD), F(f"{prefix}price"), output_field=PRICE_FIELD
    )


def own_price_expression(organization, day: datetime.date, field: str, prefix: str = ""):
    """A column (`price`, `valid_from`) of the price-list row in effect on `day`; NULL if none."""
    own = _in_effect(_organization_id(organization), OuterRef(f"{prefix}pk"), day).values(field)
    return Subquery(own[:1])


def scheduled_expression(organization, after: datetime.date, field: str, prefix: str = ""):
    """A column of the first price-list row that begins after `after` (a scheduled change)."""
    rows = (
        PartnerPrice.objects.filter(
            organization_id=_organization_id(organization),
            period=OuterRef(f"{prefix}pk"),
            valid_from__gt=after,
        )
        .order_by("valid_from")
        .values(field)[:1]
    )
    return Subquery(rows)
