"""Renewal («Продлить»): what a renewing subscription is made of.

A renewing subscription («Продлевающая») has the base's subscriber and tariff
and starts the day after the base ends. The extensions that end with the base
(posted, `ends_on` = the base's `ends_on`) may be carried onto it: the same
tariff and quantity, starting with the renewal, for

1. the extension tariff's offered period of the same length as the renewal's
   (ending the same day), if there is one; otherwise
2. the longest offered period that still ends inside the renewal.

`services.subscription_renew` writes all of it in one transaction; the form
here offers the choices and says beforehand what will be carried and for
which period. The rules themselves stay in the models' `clean()`.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext

from common.formatting import fmt, format_tenge

from .models import ExtensionSubscription, Status, Subscription, Tariff, TariffPeriod
from .pricing import period_amount
from .rules import (
    check_extension_posting,
    check_extension_within_base,
    check_offer_active,
    renewal_start,
)
from .validators import in_business_range


def renewal_starts_on(base: Subscription) -> datetime.date:
    return renewal_start(base.ends_on)


def posted_renewal(base: Subscription) -> Subscription | None:
    """The posted subscription that already renews `base`, if any."""
    return base.renewals.filter(status=Status.POSTED).order_by("pk").first()


def renewal_refusal(base: Subscription) -> ValidationError | None:
    """Why `base` cannot be renewed now, or None (the form and the service ask this)."""
    if not base.is_posted:
        return ValidationError(
            gettext("Продлить можно только проведенную подписку: сначала проведите ее."),
            code="renew_not_posted",
        )
    renewal = posted_renewal(base)
    if renewal is not None:
        return ValidationError(
            gettext("Подписка уже продлена: продлевающая подписка № %(number)s проведена."),
            code="already_renewed",
            params={"number": renewal.number},
        )
    if not in_business_range(renewal_starts_on(base)):
        return ValidationError(
            gettext(
                "Подписка действует по %(ends_on)s, последний день рабочего диапазона сервиса: "
                "продлевающая подписка началась бы за его пределами. Продлить ее нельзя."
            ),
            code="renewal_out_of_range",
            params={"ends_on": fmt(base.ends_on)},
        )
    inactive = check_offer_active(
        tariff_name=base.tariff.name,
        tariff_is_active=base.tariff.is_active,
        period_label="",
        period_is_active=None,
    )
    if inactive:
        return inactive["tariff"]
    return None


def carried_extensions(base: Subscription):
    """The base's posted extensions that end with it: those a renewal may carry on."""
    return (
        base.extensions.filter(status=Status.POSTED, ends_on=base.ends_on)
        .select_related("tariff", "period")
        .annotate(
            still_offered=Exists(
                Tariff.offered_for.through.objects.filter(
                    from_tariff=OuterRef("tariff_id"), to_tariff=base.tariff_id
                )
            )
        )
        .order_by("starts_on", "pk")
    )


def carried_period(
    periods, *, starts_on: datetime.date, ends_on: datetime.date, like: TariffPeriod | None = None
) -> TariffPeriod | None:
    """The period a carried extension gets inside a renewal from `starts_on` to `ends_on`.

    `periods`: the extension tariff's offered periods. The one that ends on
    `ends_on` (preferring the renewal's own periodicity and count, `like`);
    else the longest one that ends before it; None when none fits.
    """
    fitting = [(period.end_for(starts_on), period) for period in periods]
    fitting = [
        (end, period)
        for end, period in fitting
        if not check_extension_within_base(  # R5, from its rule
            starts_on=None, ends_on=end, base_starts_on=None, base_ends_on=ends_on
        )
    ]
    if not fitting:
        return None

    def preference(item):
        end, period = item
        same_unit = like is not None and (period.periodicity, period.count) == (
            like.periodicity,
            like.count,
        )
        return (end, same_unit, -period.pk)

    return max(fitting, key=preference)[1]


@dataclass(frozen=True)
class CarryPlan:
    """What renewing for one period would do with one extension."""

    extension: ExtensionSubscription
    period: TariffPeriod | None
    starts_on: datetime.date
    ends_on: datetime.date | None
    renewal_ends_on: datetime.date
    problem: str  # why it cannot be carried ("" when it can)

    @property
    def amount(self):
        return period_amount(self.period, self.extension.quantity)

    def describe(self) -> str:
        if self.problem:
            return gettext("не переносится: %(problem)s") % {"problem": self.problem}
        text = gettext("на период «%(period)s», с %(starts_on)s по %(ends_on)s, %(amount)s") % {
            "period": self.period.label,
            "starts_on": fmt(self.starts_on),
            "ends_on": fmt(self.ends_on),
            "amount": format_tenge(self.amount),
        }
        if self.ends_on != self.renewal_ends_on:
            text += gettext(
                " — периода такой же длины, как продление, у тарифа нет; взят самый длинный, "
                "который помещается в продлевающую подписку"
            )
        return text


def carry_plan(
    extension: ExtensionSubscription,
    periods,
    *,
    renewal_period: TariffPeriod,
    starts_on: datetime.date,
    today: datetime.date,
) -> CarryPlan:
    """The plan for one extension; `periods` are its tariff's offered periods."""
    renewal_ends_on = renewal_period.end_for(starts_on)
    problem = ""
    period = None
    if not extension.tariff.is_active:
        problem = gettext("тариф «%(tariff)s» больше не действует") % {
            "tariff": extension.tariff.name
        }
    elif not getattr(extension, "still_offered", True):
        problem = gettext("тариф «%(tariff)s» больше не предлагается для этого тарифа") % {
            "tariff": extension.tariff.name
        }
    elif "starts_on" in check_extension_posting(  # R7, from its rule
        today=today, starts_on=starts_on, base_number="", base_is_posted=True, base_ends_on=None
    ):
        problem = gettext(
            "продлевающая подписка начинается %(starts_on)s, в прошлом, а расширение "
            "проводится с сегодняшнего дня или позже"
        ) % {"starts_on": fmt(starts_on)}
    else:
        period = carried_period(
            periods, starts_on=starts_on, ends_on=renewal_ends_on, like=renewal_period
        )
        if period is None:
            problem = gettext(
                "у тарифа «%(tariff)s» нет периода, который поместился бы в продлевающую "
                "подписку (по %(ends_on)s)"
            ) % {"tariff": extension.tariff.name, "ends_on": fmt(renewal_ends_on)}
    return CarryPlan(
        extension=extension,
        period=period,
        starts_on=starts_on,
        ends_on=period.end_for(starts_on) if period else None,
        renewal_ends_on=renewal_ends_on,
        problem=problem,
    )


def offered_periods_by_tariff(tariff_ids) -> dict[int, list[TariffPeriod]]:
    """The offered (active) periods of the given tariffs, in one query."""
    by_tariff: dict[int, list[TariffPeriod]] = {}
    periods = TariffPeriod.objects.filter(tariff__in=set(tariff_ids), is_active=True).order_by(
        "approx_days", "pk"
    )
    for period in periods:
        by_tariff.setdefault(period.tariff_id, []).append(period)
    return by_tariff
