"""The one price function (R16): what a document costs, in tenge.

A document's amount is its period's price × its quantity (a base subscription
counts as one). Once posted, an extension keeps the price it was posted at
(`unit_price`, `amount`), so later price changes never rewrite history; a
draft shows today's price. Pages that compute amounts one by one call
`document_amount()`; lists and reports that sum them in the database use
`amount_expression()`, its SQL twin. Nothing else multiplies a price.
"""

from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F
from django.db.models.functions import Coalesce

MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)


def period_amount(period, quantity: int | None = 1) -> Decimal | None:
    """`quantity` units of `period` at its current price; None when either is missing."""
    if period is None or quantity is None or quantity < 1:
        return None
    return period.price * quantity


def kept_prices(period, quantity: int) -> tuple[Decimal, Decimal]:
    """What posting keeps on the document: (unit price, amount)."""
    return period.price, period_amount(period, quantity) or Decimal("0")


def document_amount(document) -> Decimal | None:
    """The amount of a base or extension document: the kept one once posted, else
    its period's current price × its quantity."""
    kept = getattr(document, "amount", None)
    if kept is not None:
        return kept
    if not document.period_id:
        return None
    return period_amount(document.period, getattr(document, "quantity", 1))


def amount_expression(model, prefix: str = ""):
    """`document_amount` as SQL for a queryset of `model` (reached through `prefix`)."""
    price = F(f"{prefix}period__price")
    if not any(field.name == "amount" for field in model._meta.concrete_fields):
        return ExpressionWrapper(price, output_field=MONEY_FIELD)
    return Coalesce(
        F(f"{prefix}amount"),
        ExpressionWrapper(price * F(f"{prefix}quantity"), output_field=MONEY_FIELD),
        output_field=MONEY_FIELD,
    )
