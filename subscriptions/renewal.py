"""Renewal («Продлить»): what a renewal is made of.

A renewal («Продление») is an «Основная» subscription that continues the base
(«продолжает подписку № …»): the base's subscriber and tariff, starting the day
after the base ends — after its grace subscription («Продлевающая», R13), if it
has one. The extensions that end with the base
(posted, `ends_on` = the base's `ends_on`) may be carried onto it: the same
tariff and quantity, starting with the renewal, for

1. the extension tariff's offered period of the same length as the renewal's
   (ending the same day), if there is one; otherwise
2. the longest offered period that still ends inside the renewal.

An extension «до окончания подписки на тариф» stays one on the renewal — to the
renewal's last day, priced by the span rule — while its tariff offers that and
has an offered «1 месяц» period; otherwise it gets a period as above.

`services.subscription_renew` writes all of it in one transaction; the form
here offers the choices and says beforehand what will be carried and for
which period. The rules themselves stay in the models' `clean()`.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef
from django.utils.translation import gettext

from common.formatting import fmt, format_tenge

from .models import ExtensionSubscription, Status, Subscription, Tariff, TariffPeriod
from .periods import (
    Periodicity,
    PeriodOutOfRange,
    add_months,
    describe_months_and_days,
    months_and_days,
)
from .pricing import period_amount, span_prices
from .rules import (
    ADVICE,
    check_base_no_overlap,
    check_ends_in_business_range,
    check_extension_posting,
    check_extension_within_base,
    check_offer_active,
    renewal_start,
)
from .validators import in_business_range
from .warnings import renewal_warnings


def renewal_starts_on(base: Subscription) -> datetime.date:
    """The day after the base — or after its posted grace subscription — ends."""
    return renewal_start(base.continued_until())


def posted_renewal(base: Subscription) -> Subscription | None:
    """The posted main subscription that already continues `base`, if any."""
    return (
        base.renewals.filter(kind=Subscription.Kind.MAIN, status=Status.POSTED)
        .order_by("pk")
        .first()
    )


# `renewal_refusal(renewal=…)` not given: read it.
_UNREAD = object()


def renewal_refusal(
    base: Subscription, *, renewal=_UNREAD, starts_on: datetime.date | None = None
) -> ValidationError | None:
    """Why `base` cannot be renewed now, or None (the form and the service ask this).

    `renewal` (its posted renewal, or None) and `starts_on` (`renewal_starts_on`)
    are read here unless the caller read them already, for many bases at once
    (`RenewalPlanner`, «Продление за месяц»).
    """
    if base.is_grace:
        return ValidationError(
            gettext(
                "Продлевающую подписку не продлевают: продлите подписку № %(number)s, которую "
                "она продолжает."
            ),
            code="renew_grace",
            params={"number": base.renews.number, ADVICE: {"subscription": base.renews_id}},
        )
    if not base.is_posted:
        return ValidationError(
            gettext("Продлить можно только проведенную подписку: сначала проведите ее."),
            code="renew_not_posted",
        )
    if renewal is _UNREAD:
        renewal = posted_renewal(base)
    if renewal is not None:
        return ValidationError(
            gettext(
                "Подписка уже продлена: ее продолжает проведенная подписка № %(number)s. Чтобы "
                "продлить дальше, откройте подписку № %(number)s и продлите ее."
            ),
            code="already_renewed",
            params={"number": renewal.number, ADVICE: {"subscription": renewal.pk}},
        )
    if starts_on is None:
        starts_on = renewal_starts_on(base)
    if not in_business_range(starts_on):
        return ValidationError(
            gettext(
                "Подписка действует по %(ends_on)s, последний день рабочего диапазона сервиса: "
                "продление началось бы за его пределами. Продлить ее нельзя."
            ),
            code="renewal_out_of_range",
            params={"ends_on": fmt(base.ends_on)},
        )
    if check_offer_active(  # R8, from its rule; the advice is the renewal's own
        tariff_name=base.tariff.name,
        tariff_is_active=base.tariff.is_active,
        period_label="",
        period_is_active=None,
    ):
        return ValidationError(
            gettext(
                "Тариф «%(tariff)s» больше не действует: продлить подписку по нему нельзя. "
                "Оформите абоненту подписку на действующий тариф с %(date)s («Добавить подписку "
                "на тариф» в окне «Подписка»)."
            ),
            code="tariff_inactive",
            params={
                "tariff": base.tariff.name,
                "date": fmt(starts_on),
                ADVICE: {"starts_on": starts_on},
            },
        )
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


def month_period_among(periods) -> TariffPeriod | None:
    """The offered «1 месяц» period among a tariff's `periods` (no query)."""
    return next(
        (
            period
            for period in periods
            if period.periodicity == Periodicity.MONTH and period.count == 1 and period.is_active
        ),
        None,
    )


def carries_until_base_end(extension: ExtensionSubscription, periods) -> bool:
    """A carried extension «до окончания подписки на тариф» stays one on the renewal:
    while its tariff offers it and has an offered «1 месяц» among `periods` (the
    tariff's offered periods)."""
    return bool(
        extension.until_base_end
        and extension.tariff.offers_until_base_end
        and month_period_among(periods) is not None
    )


@dataclass(frozen=True)
class CarryPlan:
    """What renewing for one period would do with one extension."""

    extension: ExtensionSubscription
    period: TariffPeriod | None
    starts_on: datetime.date
    ends_on: datetime.date | None
    renewal_ends_on: datetime.date
    problem: str  # why it cannot be carried ("" when it can)
    # «До окончания подписки на тариф» (period None), priced by this «1 месяц».
    month_period: TariffPeriod | None = None

    @property
    def until_base_end(self) -> bool:
        return self.month_period is not None

    @property
    def amount(self):
        if self.until_base_end:
            prices = span_prices(
                self.month_period, self.starts_on, self.ends_on, self.extension.quantity
            )
            return prices[1] if prices else None
        return period_amount(self.period, self.extension.quantity)

    def describe(self) -> str:
        if self.problem:
            return gettext("не переносится: %(problem)s") % {"problem": self.problem}
        if self.until_base_end:
            return gettext(
                "до окончания подписки на тариф, с %(starts_on)s по %(ends_on)s (%(span)s), "
                "%(amount)s"
            ) % {
                "starts_on": fmt(self.starts_on),
                "ends_on": fmt(self.ends_on),
                "span": describe_months_and_days(*months_and_days(self.starts_on, self.ends_on)),
                "amount": format_tenge(self.amount),
            }
        text = gettext("на период «%(period)s», с %(starts_on)s по %(ends_on)s, %(amount)s") % {
            "period": self.period.label,
            "starts_on": fmt(self.starts_on),
            "ends_on": fmt(self.ends_on),
            "amount": format_tenge(self.amount),
        }
        if self.ends_on != self.renewal_ends_on:
            text += gettext(
                " — периода такой же длины, как продление, у тарифа нет; взят самый длинный, "
                "который помещается в продление"
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
            "продление начинается %(starts_on)s, в прошлом, а расширение проводится с "
            "сегодняшнего дня или позже"
        ) % {"starts_on": fmt(starts_on)}
    elif carries_until_base_end(extension, periods):
        return CarryPlan(
            extension=extension,
            period=None,
            starts_on=starts_on,
            ends_on=renewal_ends_on,
            renewal_ends_on=renewal_ends_on,
            problem="",
            month_period=month_period_among(periods),
        )
    else:
        period = carried_period(
            periods, starts_on=starts_on, ends_on=renewal_ends_on, like=renewal_period
        )
        if period is None:
            problem = gettext(
                "у тарифа «%(tariff)s» нет периода, который поместился бы в продление (по "
                "%(ends_on)s)"
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


# --- «Продление за месяц»: many bases planned at once ---------------------------------------


def bases_ending_in(organization, month: datetime.date, *, tariff=None):
    """The organization's posted main subscriptions whose last day falls in `month` (any
    day of it), optionally of one `tariff`: the rows of «Продление за месяц», by last day,
    subscriber and number. (A grace subscription is renewed through the one it continues.)"""
    first = month.replace(day=1)
    last = add_months(first, 1) - datetime.timedelta(days=1)
    bases = Subscription.objects.for_organization(organization).filter(
        status=Status.POSTED, kind=Subscription.Kind.MAIN, ends_on__range=(first, last)
    )
    if tariff is not None:
        bases = bases.filter(tariff=tariff)
    return bases.select_related("subscriber", "tariff", "period").order_by(
        "ends_on", "subscriber__name", "number"
    )


@dataclass(frozen=True)
class RenewalPlan:
    """What renewing one base for one period would do, and whether the rules allow it.

    `carry_plans`: the base's extensions that end with it, each planned as the single
    renewal form plans it; they are carried when `carry`. `refusal`: why the rules
    would refuse the renewal ("" when they would not), in the words of the single
    renewal; `warnings`: what does not block (rules.warn_*).
    """

    base: Subscription
    period: TariffPeriod | None
    starts_on: datetime.date
    ends_on: datetime.date | None
    carry: bool
    carry_plans: tuple
    refusal: str
    refusal_code: str
    warnings: dict

    @property
    def can_renew(self) -> bool:
        return not self.refusal

    @property
    def amount(self):
        """The renewal's own amount (the one price function)."""
        return period_amount(self.period)

    @property
    def carried(self) -> tuple:
        """The plans of the extensions that would be carried."""
        return self.carry_plans if self.carry else ()

    @property
    def total(self):
        """The renewal and the carried extensions together; None when anything is unpriced."""
        amounts = [self.amount, *(plan.amount for plan in self.carried)]
        if any(amount is None for amount in amounts):
            return None
        return sum(amounts)


class RenewalPlanner:
    """Plans the renewal of many bases in four queries, whatever their number.

    The same planning as the single renewal form's: `renewal_refusal`,
    `carry_plan`, R18's `check_ends_in_business_range` and R11's
    `check_base_no_overlap` for a renewal — over rows read at once instead of per
    base: what already continues each base (its posted renewal, its posted grace
    subscription), the extensions that end with it, the offered periods of every
    tariff involved and the subscribers' posted bases a renewal could overlap.
    Plan a base with `plan(base, period)`, for any of its `periods(base)`.
    """

    def __init__(self, bases, *, today: datetime.date):
        self.today = today
        bases = list(bases)
        pks = [base.pk for base in bases]
        self._renewals: dict[int, Subscription] = {}
        self._grace_ends: dict[int, datetime.date] = {}
        self._carried: dict[int, list[ExtensionSubscription]] = {}
        self._periods: dict[int, list[TariffPeriod]] = {}
        self._posted: dict[tuple[int, int], list[Subscription]] = {}
        if not bases:
            return
        continuing = (
            Subscription.objects.filter(renews__in=pks, status=Status.POSTED)
            .only("number", "renews_id", "kind", "ends_on")
            .order_by("pk")
        )
        for subscription in continuing:
            if subscription.kind == Subscription.Kind.MAIN:
                self._renewals.setdefault(subscription.renews_id, subscription)
            else:
                self._grace_ends.setdefault(subscription.renews_id, subscription.ends_on)
        carried = (
            ExtensionSubscription.objects.filter(
                subscription__in=pks,
                status=Status.POSTED,
                ends_on=F("subscription__ends_on"),
            )
            .select_related("tariff", "period")
            .annotate(
                still_offered=Exists(
                    Tariff.offered_for.through.objects.filter(
                        from_tariff=OuterRef("tariff_id"),
                        to_tariff=OuterRef("subscription__tariff"),
                    )
                )
            )
            .order_by("starts_on", "pk")
        )
        for extension in carried:
            self._carried.setdefault(extension.subscription_id, []).append(extension)
        tariff_ids = {base.tariff_id for base in bases}
        for extensions in self._carried.values():
            tariff_ids |= {extension.tariff_id for extension in extensions}
        self._periods = offered_periods_by_tariff(tariff_ids)
        earliest = min(self.starts_on(base) for base in bases)
        posted = Subscription.objects.filter(
            subscriber__in={base.subscriber_id for base in bases},
            tariff__in={base.tariff_id for base in bases},
            status=Status.POSTED,
            ends_on__gte=earliest,
        ).only("number", "subscriber_id", "tariff_id", "starts_on", "ends_on")
        for subscription in posted.order_by("starts_on", "pk"):
            key = (subscription.subscriber_id, subscription.tariff_id)
            self._posted.setdefault(key, []).append(subscription)

    def starts_on(self, base: Subscription) -> datetime.date:
        """`renewal_starts_on(base)`: the day after the base — or its posted grace — ends."""
        continued_until = max(base.ends_on, self._grace_ends.get(base.pk, base.ends_on))
        return renewal_start(continued_until)

    def periods(self, base: Subscription) -> list[TariffPeriod]:
        """The base tariff's offered periods: what the row's period may be."""
        return self._periods.get(base.tariff_id, [])

    def default_period(self, base: Subscription) -> TariffPeriod | None:
        """The base's own period while its tariff still offers it, as the single form's."""
        return next((p for p in self.periods(base) if p.pk == base.period_id), None)

    def extensions(self, base: Subscription) -> list[ExtensionSubscription]:
        """The base's posted extensions that end with it (`carried_extensions`)."""
        return self._carried.get(base.pk, [])

    def plan(
        self, base: Subscription, period: TariffPeriod | None = None, *, carry: bool = True
    ) -> RenewalPlan:
        """The plan for renewing `base` for `period` (default: its own) — carrying its
        extensions when `carry` — and what the rules would say."""
        period = period or self.default_period(base)
        starts_on = self.starts_on(base)
        ends_on = None
        errors = {}
        if period is not None:
            try:
                ends_on = period.end_for(starts_on)
            except PeriodOutOfRange:
                errors = check_ends_in_business_range(None, beyond_calendar=True, period=period)
            else:
                errors = check_ends_in_business_range(ends_on, period=period)
        refusal = renewal_refusal(base, renewal=self._renewals.get(base.pk), starts_on=starts_on)
        if refusal is None and period is None:
            errors = {
                "period": ValidationError(
                    gettext(
                        "Тариф «%(tariff)s» больше не предлагает период «%(period)s»: выберите "
                        "период продления."
                    ),
                    code="period_not_offered",
                    params={"tariff": base.tariff.name, "period": base.period_label},
                )
            }
        elif refusal is None and not errors:
            errors = check_base_no_overlap(
                tariff_name=base.tariff.name,
                overlapping=self._overlapping(base, starts_on, ends_on),
                starts_on=starts_on,
                periods=self.periods(base),
                is_renewal=True,
            )
        if refusal is None and errors:
            refusal = next(iter(errors.values()))
        carry_plans = ()
        if period is not None and ends_on is not None:
            carry_plans = tuple(
                carry_plan(
                    extension,
                    self._periods.get(extension.tariff_id, []),
                    renewal_period=period,
                    starts_on=starts_on,
                    today=self.today,
                )
                for extension in self.extensions(base)
            )
        if refusal is None and carry:
            stuck = next((plan for plan in carry_plans if plan.problem), None)
            if stuck is not None:
                refusal = ValidationError(
                    gettext(
                        "Расширение № %(number)s («%(tariff)s» × %(quantity)s) не переносится: "
                        "%(problem)s. Чтобы продлить подписку без него, выберите «Не переносить» "
                        "в поле «Расширения» или продлите ее отдельно («Продлить» в ее карточке)."
                    ),
                    code="carry_refused",
                    params={
                        "number": stuck.extension.number,
                        "tariff": stuck.extension.tariff.name,
                        "quantity": stuck.extension.quantity,
                        "problem": stuck.problem,
                    },
                )
        return RenewalPlan(
            base=base,
            period=period,
            starts_on=starts_on,
            ends_on=ends_on,
            carry=carry,
            carry_plans=carry_plans,
            refusal=" ".join(refusal.messages) if refusal is not None else "",
            refusal_code=(refusal.code or "") if refusal is not None else "",
            warnings=renewal_warnings(starts_on=starts_on, ends_on=ends_on, today=self.today)
            if ends_on is not None
            else {},
        )

    def _overlapping(self, base, starts_on, ends_on) -> list[Subscription]:
        """The subscriber's posted bases of the tariff that share a day with the renewal."""
        return [
            other
            for other in self._posted.get((base.subscriber_id, base.tariff_id), [])
            if other.pk != base.pk and other.starts_on <= ends_on and other.ends_on >= starts_on
        ]
