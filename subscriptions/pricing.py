"""The one price function (R16): what a document costs, in tenge.

A document's amount is its period's price × its quantity (a base subscription
counts as one). Once posted, an extension keeps the price it was posted at
(`unit_price`, `amount`), so later price changes never rewrite history; a
draft shows today's price. Pages that compute amounts one by one call
`document_amount()`; lists and reports that sum them in the database use
`amount_expression()`, its SQL twin. Nothing else multiplies a price.

An extension «до окончания подписки на тариф» has no period: one unit costs its
span (its start to its base's last day) at its tariff's 1-month price —
whole calendar months at that price, the days left at the price ÷ 30 a day,
rounded to whole tenge (`span_amount`). Its price follows its dates, which the
SQL twin cannot compute, so such a document keeps `unit_price` and `amount`
while a draft too: every save recomputes them from today's 1-month price and its
dates (`ExtensionSubscription.save`, and a base's change re-saves its drafts),
and posting fixes them. The SQL twin then reads them like a posted document's.
"""

import copy
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, ExpressionWrapper, F
from django.db.models.functions import Coalesce

from subscriptions.periods import months_and_days

MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)


def units_amount(unit: Decimal | None, quantity: int | None) -> Decimal | None:
    """`quantity` units at `unit` each — the one place a unit price is multiplied (0 for
    no units; None when either is missing)."""
    if unit is None or quantity is None:
        return None
    return unit * quantity if quantity >= 1 else Decimal("0")


def period_amount(period, quantity: int | None = 1) -> Decimal | None:
    """`quantity` units of `period` at its current price; None when either is missing."""
    if period is None or quantity is None or quantity < 1:
        return None
    return units_amount(period.price, quantity)


def kept_prices(period, quantity: int, *, span=None) -> tuple[Decimal, Decimal]:
    """What posting keeps on the document: (unit price, amount).

    `span`: the first and last day of a document «до окончания подписки на тариф»;
    `period` is then its tariff's 1-month period, and one unit is the span at its
    price (`span_amount`)."""
    unit = period.price if span is None else span_amount(period.price, *span)
    amount = units_amount(unit, quantity) or Decimal("0")
    return unit, amount


def span_prices(month_period, starts_on, ends_on, quantity) -> tuple[Decimal, Decimal] | None:
    """(unit price, amount) of `quantity` units «до окончания подписки на тариф» from
    `starts_on` to `ends_on` at `month_period`'s price; None until it can be priced
    (no 1-month period, a date missing, the end before the start, no quantity)."""
    if month_period is None or not (starts_on and ends_on) or ends_on < starts_on:
        return None
    if quantity is None or quantity < 1:
        return None
    return kept_prices(month_period, quantity, span=(starts_on, ends_on))


def document_amount(document) -> Decimal | None:
    """The amount of a base or extension document: the kept one once posted, else
    its period's current price × its quantity (for «до окончания подписки на
    тариф», its span at the current 1-month price × its quantity)."""
    kept = getattr(document, "amount", None)
    if kept is not None:
        return kept
    if getattr(document, "until_base_end", False):
        prices = document.current_prices()
        return prices[1] if prices else None
    if getattr(document, "is_grace", False):
        return document.tariff.grace_price  # R13: the tariff's price of a grace subscription
    if not document.period_id:
        return None
    return period_amount(document.period, getattr(document, "quantity", 1))


def amount_expression(model, prefix: str = ""):
    """`document_amount` as SQL for a queryset of `model` (reached through `prefix`).

    The stored amount first: posted documents keep theirs, and so does every
    extension «до окончания подписки на тариф» (its period is NULL; see above)."""
    price = F(f"{prefix}period__price")
    if not any(field.name == "quantity" for field in model._meta.concrete_fields):
        # A base subscription: its kept amount once posted, else its period's price; a
        # grace one (R13) has no period: its tariff's grace price.
        return Coalesce(
            F(f"{prefix}amount"),
            price,
            F(f"{prefix}tariff__grace_price"),
            output_field=MONEY_FIELD,
        )
    return Coalesce(
        F(f"{prefix}amount"),
        ExpressionWrapper(price * F(f"{prefix}quantity"), output_field=MONEY_FIELD),
        output_field=MONEY_FIELD,
    )


# --- A span priced by the month (R16): «до окончания» and the unused part of an early end ---

DAYS_PER_MONTH_PRICE = 30
WHOLE_TENGE = Decimal("1")


def span_amount(monthly_price: Decimal, starts_on, ends_on) -> Decimal:
    """One unit over `starts_on`..`ends_on` (inclusive): whole calendar months at
    `monthly_price`, remaining days at `monthly_price` ÷ 30 a day, rounded to whole
    tenge (half up). A document's amount is this × its quantity."""
    months, days = months_and_days(starts_on, ends_on)
    exact = monthly_price * months + monthly_price * days / DAYS_PER_MONTH_PRICE
    return exact.quantize(WHOLE_TENGE, rounding=ROUND_HALF_UP)


# --- R14: what an early end leaves unused, and what a quantity change costs -----------------

# Periods counted in days are shared out by the day; the others by the month.
DAY_BASED_PERIODICITIES = frozenset({"day", "week", "decade"})


def contract_ends_on(document):
    """The last day a document has by contract: before an early end, or the one a
    replacement took over (`planned_ends_on`), else its `ends_on`."""
    return document.planned_ends_on or document.ends_on


def kept_unit_price(document) -> Decimal | None:
    """One unit's kept price: an extension's `unit_price` once posted; otherwise the
    document's amount ÷ its quantity (a base subscription is one unit at its period's price)."""
    unit = getattr(document, "unit_price", None)
    if unit is not None:
        return unit
    amount = document_amount(document)
    if amount is None:
        return None
    return amount / (getattr(document, "quantity", 1) or 1)


def monthly_share(document) -> Decimal | None:
    """The document's own price of one month for one unit: its kept unit price ÷ the
    months of its term by contract (12 for a year, 3 for a quarter; a term of whole
    months and days — a replacement's — counts each day as 1/30 of a month)."""
    unit = kept_unit_price(document)
    if unit is None:
        return None
    months, days = months_and_days(document.starts_on, contract_ends_on(document))
    span = Decimal(months) + Decimal(days) / DAYS_PER_MONTH_PRICE
    return unit / span if span else None


def span_unit_price(document, first_day, last_day, *, monthly_price=None) -> Decimal:
    """One unit of `document` over `first_day`..`last_day` (inclusive), whole tenge.

    At `monthly_price` when given (a quantity change priced at the tariff's
    1-month price), by `span_amount`. Otherwise at the document's own price:
    a period counted in days (день, неделя, декада) by the day — its kept unit
    price ÷ its days × the days; any other by the month — `span_amount` at its
    `monthly_share` (whole months at it, the remaining days at it ÷ 30).
    """
    if last_day < first_day:
        return Decimal("0")
    if monthly_price is not None:
        return span_amount(monthly_price, first_day, last_day)
    unit = kept_unit_price(document)
    if unit is None:
        return Decimal("0")
    period = document.period if document.period_id else None  # None: «до окончания»
    if period is not None and period.periodicity in DAY_BASED_PERIODICITIES:
        term_days = (contract_ends_on(document) - document.starts_on).days + 1
        days = (last_day - first_day).days + 1
        return (unit * days / term_days).quantize(WHOLE_TENGE, rounding=ROUND_HALF_UP)
    return span_amount(monthly_share(document) or Decimal("0"), first_day, last_day)


def unused_amount(document, last_day) -> Decimal:
    """R14: what a document ended early on `last_day` leaves unused, for the partner's
    settlement with its client: the days after `last_day` up to its end by contract,
    one unit by `span_unit_price` (the document's own price), × its quantity, never
    more than the document's kept amount. The kept amount itself stays as it was.

    Read `document` as stored before the early end (its `planned_ends_on`, if it
    was ended early before, keeps the end by contract).
    """
    kept = document_amount(document)
    end = contract_ends_on(document)
    if kept is None or last_day >= end:
        return Decimal("0")
    quantity = getattr(document, "quantity", 1) or 1
    unit = span_unit_price(document, last_day + timedelta(days=1), end)
    return min(units_amount(unit, quantity), kept)


def month_price_period(tariff_id):
    """The tariff's offered «1 месяц» period: its price prices a quantity change
    (R14) by the span rule; None when the tariff offers none."""
    from subscriptions.models import TariffPeriod  # the models import this module

    return (
        TariffPeriod.objects.filter(tariff_id=tariff_id, periodicity="month", count=1)
        .filter(is_active=True)
        .order_by("pk")
        .first()
    )


# --- The partner's own price (R16): what the client pays, kept beside the service's ----------
#
# The price list lives in billing/ (`billing.pricing.partner_price`: the partner's
# price-list row in effect on a day, else the service's price). billing/ builds on
# subscriptions/, never the reverse, so it hands its lookup to this module when it
# loads (`billing.apps.BillingConfig.ready`); posting asks here. Without billing
# installed, the partner's price is the service's.


def _service_price(organization_id, period, day) -> Decimal:
    return period.price


_partner_price = _service_price


def use_partner_price(lookup) -> None:
    """Install the partner's price lookup `lookup(organization_id, period, day) -> Decimal`
    (None: back to the service's price)."""
    global _partner_price
    _partner_price = lookup or _service_price


def partner_unit_price(organization_id, period, day) -> Decimal:
    """The partner's price of one unit of `period` on `day` (one query with billing/)."""
    return _partner_price(organization_id, period, day)


def partner_kept_prices(
    organization_id, period, quantity: int, day, *, span=None
) -> tuple[Decimal, Decimal]:
    """What posting keeps as the partner's prices: (unit price, amount), as `kept_prices`
    at the partner's price of `period` on `day` (`span`: «до окончания подписки на тариф»,
    `period` its tariff's «1 месяц»)."""
    price = partner_unit_price(organization_id, period, day)
    unit = price if span is None else span_amount(price, *span)
    amount = units_amount(unit, quantity) or Decimal("0")
    return unit, amount


def base_kept_prices(subscription, organization_id, day) -> tuple[Decimal | None, Decimal | None]:
    """What posting keeps on a base subscription: (the service's amount, the partner's).

    A grace subscription (R13) costs its tariff's grace price on both sides (the price
    list has periods only)."""
    if subscription.is_grace or not subscription.period_id:
        price = subscription.tariff.grace_price
        return price, price
    partner = partner_unit_price(organization_id, subscription.period, day)
    return subscription.period.price, partner


def partner_span_unit_price(document, first_day, last_day, *, monthly_price=None) -> Decimal:
    """`span_unit_price` on the partner's side: at the partner's `monthly_price` when given,
    else at the document's own kept partner price (its monthly share)."""
    if monthly_price is not None:
        return span_amount(monthly_price, first_day, last_day)
    partner = copy.copy(document)
    kept_partner_unit = getattr(document, "partner_unit_price", None)
    if kept_partner_unit is not None:
        partner.unit_price = kept_partner_unit
        partner.amount = getattr(document, "partner_amount", None)
    return span_unit_price(partner, first_day, last_day)
