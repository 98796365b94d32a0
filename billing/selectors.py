"""Reads the billing pages and the API share: the price list as it stands on a day."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, IntegerField, Value, When

from subscriptions.models import Tariff, TariffPeriod

from .models import PartnerPrice
from .pricing import own_price_expression, partner_price_expression, scheduled_expression


@dataclass(frozen=True)
class PriceListRow:
    """One offered period: the service's price, the partner's in effect on the day (and
    its own price-list row's price and first day, None when it is the service's), and
    the next scheduled change after the day, if any."""

    period: TariffPeriod
    service_price: Decimal
    price: Decimal
    own_price: Decimal | None
    own_from: datetime.date | None
    next_pk: int | None
    next_price: Decimal | None
    next_from: datetime.date | None

    @property
    def tariff(self) -> Tariff:
        return self.period.tariff

    @property
    def is_own(self) -> bool:
        return self.own_price is not None


def offered_periods():
    """Every offered period of every offered tariff: base tariffs first, then the
    extension tariffs, each by name and length."""
    return (
        TariffPeriod.objects.filter(is_active=True, tariff__is_active=True)
        .select_related("tariff")
        .annotate(
            kind_order=Case(
                When(tariff__kind=Tariff.Kind.BASE, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("kind_order", "tariff__name", "approx_days", "pk")
    )


def price_list(organization, day: datetime.date) -> list[PriceListRow]:
    """The organization's price list on `day`, one row per offered period (one query)."""
    periods = offered_periods().annotate(
        partner_price=partner_price_expression(organization, day),
        own_price=own_price_expression(organization, day, "price"),
        own_from=own_price_expression(organization, day, "valid_from"),
        next_pk=scheduled_expression(organization, day, "pk"),
        next_price=scheduled_expression(organization, day, "price"),
        next_from=scheduled_expression(organization, day, "valid_from"),
    )
    return [
        PriceListRow(
            period=period,
            service_price=period.price,
            price=period.partner_price,
            own_price=period.own_price,
            own_from=period.own_from if period.own_price is not None else None,
            next_pk=period.next_pk,
            next_price=period.next_price,
            next_from=period.next_from,
        )
        for period in periods
    ]


def price_history(organization):
    """Every change of the organization's price list, newest first: set, replaced and
    cancelled ones (django-simple-history's records), with who and the period."""
    return (
        PartnerPrice.history.filter(organization_id=organization.pk)
        .select_related("history_user", "period__tariff")
        .order_by("-history_date", "-history_id")
    )
