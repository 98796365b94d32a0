"""The one write path of billing: the partner's requisites and its price list.

Each action is one transaction that first locks the organization's row
(`common.locking.LOCK_ORDER` begins with organizations), so two owners saving
at once queue, and the second sees what the first wrote; it re-reads what it
changes under that lock, runs `full_clean()`, saves, and records who did it
(django-simple-history: who, when, what, why).

The price list is written as changes «from a day» (`PartnerPrice`), never
edited in the past: a change applies from today or later, a scheduled one
(from a later day) can be cancelled. Documents keep the prices they were
posted at (`subscriptions.services`), so no change here rewrites them.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from common.formatting import fmt
from common.locking import locked_transaction, record_deleted_error
from subscribers.models import ServiceOrganization
from subscriptions import clock
from subscriptions.models import TariffPeriod

from .models import OrganizationRequisites, PartnerPrice, price_start_refusal
from .pricing import own_price_expression

REQUISITES_FIELDS = (
    "legal_name",
    "bin",
    "legal_address",
    "bank_name",
    "bik",
    "iik",
    "kbe",
    "director_name",
    "accountant_name",
    "pays_vat",
    "vat_rate",
    "invoice_due_days",
)


def _record(instance, user, reason: str) -> None:
    instance._history_user = user
    instance._change_reason = reason


def _lock_organization(locks, organization) -> None:
    if not locks.exclusive(ServiceOrganization, [organization.pk]):
        raise record_deleted_error()


def requisites_save(*, organization, data: dict, user) -> OrganizationRequisites:
    """Create or change the organization's requisites from `data` (the fields above).

    Under the organization's lock: the stored row (if any) is re-read and
    changed, never a second one inserted; a refusal is a ValidationError by field.
    """
    unknown = set(data) - set(REQUISITES_FIELDS)
    if unknown:
        raise ValueError(f"not requisites fields: {sorted(unknown)}")
    with locked_transaction() as locks:
        _lock_organization(locks, organization)
        requisites = OrganizationRequisites.objects.filter(organization=organization).first()
        existing = requisites is not None
        if not existing:
            requisites = OrganizationRequisites(organization=organization)
        for name, value in data.items():
            setattr(requisites, name, value)
        requisites.full_clean()
        _record(requisites, user, _("Изменение") if existing else _("Создание"))
        requisites.save(force_update=existing)
        return requisites


@dataclass(frozen=True)
class PriceChange:
    """One row of the price list as the owner submitted it: the partner's price of
    `period` from `valid_from` (None: back to the service's price)."""

    period: object
    price: Decimal | None


def price_list_save(
    *, organization, changes: list[PriceChange], valid_from: datetime.date, user
) -> list[PartnerPrice]:
    """Set the partner's prices of several periods from `valid_from` (today or later).

    A period whose price in effect on that day is already the one asked for is
    left alone (no empty history); for the others the row of that day is
    written — created, or changed if one was scheduled for the same day.
    Returns the rows written. One transaction: all of them, or none.
    """
    with locked_transaction() as locks:
        _lock_organization(locks, organization)
        refusal = price_start_refusal(valid_from, clock.today())
        if refusal is not None:
            raise ValidationError({"valid_from": refusal})
        period_ids = [change.period.pk for change in changes]
        # The own price in effect on that day, by R16's one rule (billing.pricing).
        in_effect = dict(
            TariffPeriod.objects.filter(pk__in=period_ids)
            .annotate(own=own_price_expression(organization, valid_from, "price"))
            .values_list("pk", "own")
        )
        same_days = {
            row.period_id: row
            for row in PartnerPrice.objects.filter(
                organization=organization, period_id__in=period_ids, valid_from=valid_from
            )
        }
        written = []
        now = timezone.now()
        for change in changes:
            # None on both sides is «the service's price»: no row, or a row that says so.
            if change.price == in_effect.get(change.period.pk):
                continue
            same_day = same_days.get(change.period.pk)
            row = same_day or PartnerPrice(
                organization=organization, period=change.period, valid_from=valid_from
            )
            row.price = change.price
            row.created_by = user
            row.created_at = now
            row.full_clean(exclude=["organization", "period"])
            _record(row, user, _("По цене сервиса") if change.price is None else _("Цена партнера"))
            row.save(force_update=same_day is not None)
            written.append(row)
        return written


def price_change_cancel(*, organization, pk, user) -> PartnerPrice:
    """Cancel a scheduled change (one that begins after today); the history keeps it."""
    with locked_transaction() as locks:
        _lock_organization(locks, organization)
        row = (
            PartnerPrice.objects.filter(organization=organization, pk=pk)
            .select_related("period__tariff")
            .first()
        )
        if row is None:
            raise ValidationError(
                _("Такого изменения цены нет: его уже отменили. Откройте прайс-лист заново."),
                code="price_change_missing",
            )
        if row.valid_from <= clock.today():
            raise ValidationError(
                _(
                    "Цена с %(day)s уже действует: ее не отменяют, а меняют новой ценой "
                    "с сегодняшнего дня или позже."
                ),
                code="price_change_started",
                params={"day": fmt(row.valid_from)},
            )
        _record(row, user, _("Отмена изменения цены"))
        row.delete()
        return row
