"""Rules across rows, as small pure functions over plain values.

Each returns a dict of field name → ValidationError (empty when the rule holds),
so a model's clean() can merge it into one ValidationError and the message lands
next to its field. Codes are stable: tests and callers rely on them.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from common.formatting import fmt

from .periods import PeriodOutOfRange, describe_period, latest_start_ending_by
from .validators import BUSINESS_LAST_DAY

DAY = datetime.timedelta(days=1)


def ranges_overlap(a_start, a_end, b_start, b_end) -> bool:
    """Two inclusive day ranges share at least one day."""
    return a_start <= b_end and b_start <= a_end


# --- Advice that would succeed ---------------------------------------------------------
#
# A refusal that advises a value (a date, a period, a quantity) advises one that
# passes the rules it was refused by, computed here from the same values. The
# value is also in the error's params: params["advice"] is {field: value} (a
# period by its pk), params["alternative"] another such choice when the message
# offers two; so a page or a test can apply it. Periods here are anything with
# `pk`, `label`, `periodicity`, `count` and `end_for(start)` (a TariffPeriod).

ADVICE = "advice"
ALTERNATIVE = "alternative"


def end_or_none(period, starts_on: datetime.date) -> datetime.date | None:
    """The period's last day from `starts_on`; None past the calendar's end."""
    try:
        return period.end_for(starts_on)
    except PeriodOutOfRange:
        return None


def fits_by(period, starts_on: datetime.date, last_day: datetime.date) -> bool:
    """From `starts_on`, the period ends on or before `last_day`."""
    ends_on = end_or_none(period, starts_on)
    return ends_on is not None and ends_on <= last_day


def longest_period_ending_by(periods, starts_on: datetime.date, last_day: datetime.date):
    """Of `periods`, the one that ends latest but on or before `last_day`; None when none does."""
    fitting = [p for p in periods if fits_by(p, starts_on, last_day)]
    return max(fitting, key=lambda p: (p.end_for(starts_on), -(p.pk or 0)), default=None)


def latest_start_for(period, last_day: datetime.date) -> datetime.date:
    """The latest start from which `period` ends on or before `last_day` (periods.py)."""
    return latest_start_ending_by(last_day, period.periodicity, period.count)


def earliest_extension_start(*, base_starts_on, base_ends_on, today) -> datetime.date:
    """The first day an extension of this base may start and still be posted (R4, R7):
    the later of today and the base's start. Once the base has ended nothing can be
    posted to it (R6), and a draft may start with the base."""
    if today is None or (base_ends_on is not None and today > base_ends_on):
        return base_starts_on
    return max(today, base_starts_on)


def extension_dates_advice(
    *, starts_on, period, periods, base_starts_on, base_ends_on, today, until_base_end=False
) -> tuple[str, dict]:
    """What to choose so that an extension lies inside its base and can be posted
    (R4, R5, R7): a sentence and its params (with the advice). The operator's own
    start is kept when it is allowed; else the nearest allowed one. When no period
    fits, «до окончания подписки на тариф» if the tariff offers it (`until_base_end`:
    a bool, or a callable asked only then), else a renewal."""
    earliest = earliest_extension_start(
        base_starts_on=base_starts_on, base_ends_on=base_ends_on, today=today
    )
    params = {"earliest": fmt(earliest), "base_ends_on": fmt(base_ends_on)}
    latest = None
    if period is not None:
        params["chosen_period"] = period.label
        latest = min(latest_start_for(period, base_ends_on), base_ends_on)
        if latest < earliest:
            latest = None
    start_allowed = starts_on is not None and earliest <= starts_on <= base_ends_on
    if start_allowed and period is not None and not fits_by(period, starts_on, base_ends_on):
        shorter = longest_period_ending_by(periods, starts_on, base_ends_on)
        if shorter is not None:
            params.update(starts_on=fmt(starts_on), advised_period=shorter.label)
            params[ADVICE] = {"period": shorter.pk}
            if latest is None:
                text = _(
                    "С %(starts_on)s до окончания подписки на тариф (%(base_ends_on)s) "
                    "помещается период не длиннее «%(advised_period)s»: выберите его."
                )
                return text, params
            params.update(latest=fmt(latest))
            params[ALTERNATIVE] = {"starts_on": latest}
            text = _(
                "С %(starts_on)s до окончания подписки на тариф (%(base_ends_on)s) помещается "
                "период не длиннее «%(advised_period)s»: выберите его или, с периодом "
                "«%(chosen_period)s», дату начала с %(earliest)s по %(latest)s."
            )
            return text, params
    if period is None:
        params[ADVICE] = {"starts_on": earliest}
        return _("Выберите дату начала не ранее %(earliest)s."), params
    if latest is not None:
        advised = earliest if starts_on is None or starts_on < earliest else latest
        params[ADVICE] = {"starts_on": advised}
        if earliest == latest:
            return _("С периодом «%(chosen_period)s» выберите дату начала %(earliest)s."), params
        params.update(latest=fmt(latest))
        text = _(
            "С периодом «%(chosen_period)s» выберите дату начала с %(earliest)s по %(latest)s."
        )
        return text, params
    shorter = longest_period_ending_by(periods, earliest, base_ends_on)
    if shorter is not None:
        params.update(advised_period=shorter.label)
        params[ADVICE] = {"starts_on": earliest, "period": shorter.pk}
        text = _(
            "С %(earliest)s до окончания подписки на тариф (%(base_ends_on)s) период "
            "«%(chosen_period)s» не помещается: выберите дату начала %(earliest)s и период не "
            "длиннее «%(advised_period)s»."
        )
        return text, params
    if until_base_end() if callable(until_base_end) else until_base_end:
        start = starts_on if start_allowed else earliest
        params.update(date=fmt(start))
        params[ADVICE] = {"starts_on": start, "period": None, "until_base_end": True}
        text = _(
            "Ни один период тарифа не помещается до окончания подписки на тариф "
            "(%(base_ends_on)s): выберите «до окончания подписки на тариф» с %(date)s."
        )
        return text, params
    text = _(
        "С %(earliest)s до окончания подписки на тариф (%(base_ends_on)s) не помещается ни "
        "один период тарифа: продлите подписку на тариф (кнопка «Продлить» в ее карточке) и "
        "оформите расширение к продлению."
    )
    return text, params


def _refusal(refusal: str, advice: tuple[str, dict], code: str, **params) -> ValidationError:
    """A refusal followed by its advice, as one message with both sets of params."""
    text, advice_params = advice
    return ValidationError(f"{refusal} {text}", code=code, params={**advice_params, **params})


def renewal_start(renewed_ends_on: datetime.date) -> datetime.date:
    """A renewal starts the day after the subscription it continues ends."""
    return renewed_ends_on + datetime.timedelta(days=1)


def check_renewal_follows(
    *, renewed_ends_on, renewal_starts_on, renewal_number=None, renewal_unpost_allowed=True
) -> dict:
    """A renewal and the subscription it renews meet without a gap or an overlap.

    Checked from the renewal (its start, `renewal_number` None) and from the
    renewed subscription (its end, naming the renewal in the way; un-posting the
    renewal first is advised only while R15 allows it: `renewal_unpost_allowed`).
    """
    if not (renewed_ends_on and renewal_starts_on):
        return {}
    if renewal_starts_on == renewal_start(renewed_ends_on):
        return {}
    if renewal_number is None:
        return {
            "starts_on": ValidationError(
                _(
                    "Продление начинается на следующий день после окончания подписки, которую "
                    "оно продолжает: %(day)s."
                ),
                code="renewal_not_adjacent",
                params={
                    "day": fmt(renewal_start(renewed_ends_on)),
                    ADVICE: {"starts_on": renewal_start(renewed_ends_on)},
                },
            )
        }
    if renewal_unpost_allowed:
        message = _(
            "Подписку продолжает проведенная подписка № %(number)s с %(starts_on)s, поэтому "
            "эта должна действовать ровно по %(last_day)s. Чтобы изменить срок, сначала "
            "отмените проведение подписки № %(number)s."
        )
    else:
        message = _(
            "Подписку продолжает проведенная подписка № %(number)s с %(starts_on)s, поэтому "
            "эта должна действовать ровно по %(last_day)s. Подписка № %(number)s уже "
            "действует, и ее проведение не отменить: срок этой подписки больше не меняют."
        )
    return {
        "period": ValidationError(
            message,
            code="renewed_change_breaks_renewal",
            params={
                "number": renewal_number,
                "starts_on": fmt(renewal_starts_on),
                "last_day": fmt(renewal_starts_on - datetime.timedelta(days=1)),
            },
        )
    }


def check_start_not_after_end(starts_on, ends_on) -> dict:
    """R9."""
    if starts_on and ends_on and ends_on < starts_on:
        return {
            "starts_on": ValidationError(
                _("Дата окончания %(ends_on)s раньше даты начала %(starts_on)s."),
                code="ends_before_starts",
                params={"ends_on": fmt(ends_on), "starts_on": fmt(starts_on)},
            )
        }
    return {}


def check_ends_in_business_range(ends_on, *, beyond_calendar: bool = False, period=None) -> dict:
    """R18 for the computed end: a period must not end past the business range.

    `beyond_calendar`: the end is not even a date (past 31.12.9999). With the
    `period`, the refusal names the latest start from which it ends in the range.
    """
    if not beyond_calendar and (ends_on is None or ends_on <= BUSINESS_LAST_DAY):
        return {}
    params = {"last": fmt(BUSINESS_LAST_DAY)}
    if beyond_calendar:
        refusal = _(
            "С этой даты период действия закончился бы позже %(last)s, последнего дня рабочего "
            "диапазона сервиса."
        )
    else:
        refusal = _(
            "С этой даты период действия закончился бы %(ends_on)s — позже %(last)s, последнего "
            "дня рабочего диапазона сервиса."
        )
        params["ends_on"] = fmt(ends_on)
    if period is None:
        advice = _("Выберите более раннюю дату начала или более короткий период.")
    else:
        latest = latest_start_for(period, BUSINESS_LAST_DAY)
        advice = _(
            "С периодом «%(chosen_period)s» выберите дату начала не позже %(latest)s или более "
            "короткий период."
        )
        params.update(chosen_period=period.label, latest=fmt(latest))
        params[ADVICE] = {"starts_on": latest}
    return {
        "starts_on": ValidationError(
            f"{refusal} {advice}", code="period_out_of_range", params=params
        ),
    }


def check_offer_active(*, tariff_name, tariff_is_active, period_label, period_is_active) -> dict:
    """R8: what is posted is offered now — an inactive tariff or period is not posted."""
    errors = {}
    if tariff_is_active is False:
        errors["tariff"] = ValidationError(
            _(
                "Тариф «%(tariff)s» больше не действует: провести по нему документ нельзя. "
                "Выберите действующий тариф."
            ),
            code="tariff_inactive",
            params={"tariff": tariff_name},
        )
    if period_is_active is False:
        errors["period"] = ValidationError(
            _(
                "Период действия «%(period)s» больше не предлагается: провести с ним документ "
                "нельзя. Выберите другой период."
            ),
            code="period_inactive",
            params={"period": period_label},
        )
    return errors


def check_max_quantity_keeps_posted(*, max_quantity, posted_above, today=None) -> dict:
    """R8 «in use»: a tariff's maximum is never lowered below a posted quantity.

    `posted_above`: the posted extensions whose quantity exceeds `max_quantity`.
    Un-posting them first is advised only while R15 allows it for each (`today`).
    """
    if max_quantity is None or not posted_above:
        return {}
    if today is None or all(
        unpost_allowed(today=today, starts_on=e.starts_on, posted_on=e.posted_on)
        for e in posted_above
    ):
        message = _(
            "Уже проведены расширения с большим количеством: %(list)s. Максимум не может "
            "быть меньше %(needed)s; чтобы его снизить, сначала отмените проведение этих "
            "расширений."
        )
    else:
        message = _(
            "Уже проведены расширения с большим количеством: %(list)s. Максимум не может "
            "быть меньше %(needed)s: проведение расширений, которые уже действуют, не отменить."
        )
    return {
        "max_quantity": ValidationError(
            message,
            code="max_quantity_in_use",
            params={
                "list": ", ".join(
                    f"№ {e.number} × {e.quantity}" for e in posted_above[:DOCUMENTS_NAMED]
                )
                + ("…" if len(posted_above) > DOCUMENTS_NAMED else ""),
                "needed": max(e.quantity for e in posted_above),
                ADVICE: {"max_quantity": max(e.quantity for e in posted_above)},
            },
        )
    }


def check_offered_for_keeps_extensions(*, tariff_name, stranded_names) -> dict:
    """R2 «in use»: a base tariff leaves the offers only while no extension of it stands there."""
    if not stranded_names:
        return {}
    return {
        "offered_for": ValidationError(
            _(
                "К подпискам на тарифы %(names)s уже оформлены расширения «%(tariff)s»: "
                "эти тарифы нельзя убрать из списка."
            ),
            code="offered_for_in_use",
            params={
                "names": ", ".join(f"«{name}»" for name in stranded_names),
                "tariff": tariff_name,
            },
        )
    }


def check_extension_within_base(
    *,
    starts_on,
    ends_on,
    base_starts_on,
    base_ends_on,
    today=None,
    period=None,
    periods=(),
    start_refused: bool = False,
    until_base_end=False,
) -> dict:
    """R4 and R5: an extension lies inside its base subscription.

    The advice (`extension_dates_advice`) needs `today`, the chosen `period` and
    the tariff's offered `periods`; without them it names the base's dates.
    `start_refused`: another rule (R7) already refuses the start with the same
    advice, so the period's refusal does not repeat it.
    """
    errors = {}

    def advice():
        return extension_dates_advice(
            starts_on=starts_on,
            period=period,
            periods=periods,
            base_starts_on=base_starts_on,
            base_ends_on=base_ends_on,
            today=today,
            until_base_end=until_base_end,
        )

    if starts_on and base_starts_on and starts_on < base_starts_on:
        errors["starts_on"] = _refusal(
            _("Расширение не может начинаться раньше подписки на тариф (%(base_starts_on)s)."),
            advice(),
            "extension_starts_before_base",
            base_starts_on=fmt(base_starts_on),
        )
    if ends_on and base_ends_on and ends_on > base_ends_on:
        refusal = _(
            "Расширение действовало бы по %(ends_on)s, а подписка на тариф — только по "
            "%(base_ends_on)s."
        )
        params = {"ends_on": fmt(ends_on), "base_ends_on": fmt(base_ends_on)}
        if "starts_on" in errors or start_refused or starts_on is None or period is None:
            errors["period"] = ValidationError(
                refusal, code="extension_ends_after_base", params=params
            )
        else:
            errors["period"] = _refusal(refusal, advice(), "extension_ends_after_base", **params)
    return errors


def check_extension_posting(
    *,
    today,
    starts_on,
    base_number,
    base_is_posted,
    base_ends_on,
    base_starts_on=None,
    period=None,
    periods=(),
    base_is_grace: bool = False,
    until_base_end=False,
) -> dict:
    """R6 and R7: what must hold on the day an extension is posted.

    A grace subscription (R13) carries no extensions: it lends the base's own limits.

    The start's advice is `extension_dates_advice`'s (it needs the base's start,
    the chosen `period` and the tariff's offered `periods`).
    """
    errors = {}
    base_ended = base_ends_on is not None and today > base_ends_on
    if not base_is_posted:
        errors["__all__"] = ValidationError(
            _(
                "Подписка на тариф № %(number)s не проведена: сначала проведите ее "
                "(кнопка «Провести» в ее карточке), затем оформляйте расширение."
            ),
            code="base_not_posted",
            params={"number": base_number},
        )
    elif base_is_grace:
        errors["__all__"] = ValidationError(
            _(
                "Подписка № %(number)s — продлевающая: к ней расширения не оформляют. Продлите "
                "подписку на тариф, которую она продолжает («Продлить» в ее карточке), и "
                "оформите расширение к продлению."
            ),
            code="base_is_grace",
            params={"number": base_number},
        )
    elif base_ended:
        errors["__all__"] = ValidationError(
            _(
                "Подписка на тариф № %(number)s закончилась %(base_ends_on)s: расширение к ней "
                "провести уже нельзя. Оформите абоненту новую подписку на тариф («Добавить "
                "подписку на тариф» в окне «Подписка») и расширение к ней."
            ),
            code="base_ended",
            params={"number": base_number, "base_ends_on": fmt(base_ends_on)},
        )
    # After the base's end no start helps: the refusal above says what to do.
    if starts_on and starts_on < today and not base_ended:
        if base_ends_on is None:
            advice = (
                _("Выберите дату начала не ранее %(earliest)s."),
                {"earliest": fmt(today), ADVICE: {"starts_on": today}},
            )
        else:
            advice = extension_dates_advice(
                starts_on=starts_on,
                period=period,
                periods=periods,
                base_starts_on=base_starts_on or today,
                base_ends_on=base_ends_on,
                today=today,
                until_base_end=until_base_end,
            )
        errors["starts_on"] = _refusal(
            _("Расширение проводится с сегодняшнего дня или позже."),
            advice,
            "extension_starts_in_past",
            today=fmt(today),
        )
    return errors


def check_quantity(*, quantity, max_quantity) -> dict:
    """R8, the part that depends on the tariff."""
    if quantity is not None and max_quantity is not None and quantity > max_quantity:
        return {
            "quantity": ValidationError(
                _(
                    "Количество расширений — от 1 до %(max)s для этого тарифа: укажите не больше "
                    "%(max)s."
                ),
                code="quantity_above_max",
                params={"max": max_quantity, ADVICE: {"quantity": max_quantity}},
            )
        }
    return {}


def check_until_base_end(*, starts_on, base_ends_on, tariff_name, offered, has_month_price) -> dict:
    """R3/R16 for an extension «до окончания подписки на тариф»: it starts by the
    base's last day; posted only while its tariff offers it (`offered`) and has an
    offered «1 месяц» period to price it (`has_month_price`). None: not asked (a
    draft is not checked against the offer; posting is)."""
    errors = {}
    if starts_on and base_ends_on and starts_on > base_ends_on:
        errors["starts_on"] = ValidationError(
            _(
                "Подписка на тариф действует по %(base_ends_on)s: расширение до ее окончания "
                "должно начинаться не позже этого дня. Выберите более раннюю дату начала."
            ),
            code="until_base_end_starts_after_base",
            params={"base_ends_on": fmt(base_ends_on)},
        )
    if offered is False:
        errors["period"] = ValidationError(
            _(
                "Тариф «%(tariff)s» не предлагает период «до окончания подписки на тариф»: "
                "выберите период действия из списка."
            ),
            code="until_base_end_not_offered",
            params={"tariff": tariff_name},
        )
    elif has_month_price is False:
        errors["period"] = ValidationError(
            _(
                "У тарифа «%(tariff)s» нет предлагаемого периода «1 месяц», по цене которого "
                "считается расширение до окончания подписки на тариф: выберите период действия "
                "из списка."
            ),
            code="until_base_end_no_month_price",
            params={"tariff": tariff_name},
        )
    return errors


# A refusal names at most this many documents in the way (and says there are more).
DOCUMENTS_NAMED = 10


def describe_documents(documents) -> str:
    return ", ".join(f"№ {d.number} ({fmt(d.starts_on)}–{fmt(d.ends_on)})" for d in documents)


def base_covering_advice(*, starts_on, period, periods, earliest, latest, fixed_end=None):
    """A start and a period with which a base covers `earliest`..`latest` (and ends on
    `fixed_end` when a posted renewal fixes its end); None when none does.

    The operator's start is kept when it is early enough, with the shortest period
    that reaches `latest`; else the start moves to `earliest`, with the chosen
    period if it then reaches, or the shortest that does.
    """

    def covers(start, candidate):
        ends_on = end_or_none(candidate, start)
        return (
            ends_on is not None
            and latest <= ends_on <= BUSINESS_LAST_DAY
            and (fixed_end is None or ends_on == fixed_end)
        )

    def by_end(start):
        return sorted(
            periods, key=lambda p: (end_or_none(p, start) or datetime.date.max, p.pk or 0)
        )

    if starts_on <= earliest:
        options = [(starts_on, p) for p in by_end(starts_on)]
    else:
        options = [(earliest, period)] + [(earliest, p) for p in by_end(earliest)]
    return next(((start, p) for start, p in options if p is not None and covers(start, p)), None)


def check_base_keeps_extensions(
    *,
    starts_on,
    ends_on,
    is_posted,
    posted_extensions,
    period=None,
    periods=(),
    fixed_end=None,
    today=None,
) -> dict:
    """R10: a base change must not leave a posted extension outside the base.

    `posted_extensions` are the base's posted extensions as they are stored. With
    the chosen `period` and the tariff's offered `periods` the refusal advises a
    start and period that keep them inside (`base_covering_advice`); when none
    does, un-posting the extensions in the way — only while R15 allows it (`today`).
    """
    if not posted_extensions:
        return {}
    if not is_posted:
        return {
            "__all__": ValidationError(
                _(
                    "Нельзя отменить проведение: к подписке проведены расширения: %(list)s. "
                    "Откройте их на вкладке «Подписки на расширения» и сначала отмените их "
                    "проведение."
                ),
                code="base_unpost_strands_extensions",
                params={"list": describe_documents(posted_extensions)},
            )
        }
    if not (starts_on and ends_on):
        return {}
    outside = [e for e in posted_extensions if e.starts_on < starts_on or e.ends_on > ends_on]
    if not outside:
        return {}
    earliest_start = min(e.starts_on for e in posted_extensions)
    latest_end = max(e.ends_on for e in posted_extensions)
    params = {
        "list": describe_documents(outside),
        "earliest": fmt(earliest_start),
        "latest": fmt(latest_end),
    }
    refusal = _(
        "Изменение не записано: проведенные расширения %(list)s вышли бы за срок подписки. "
        "Подписка должна начинаться не позже %(earliest)s и заканчиваться не раньше "
        "%(latest)s."
    )
    found = None
    if period is not None:
        found = base_covering_advice(
            starts_on=starts_on,
            period=period,
            periods=periods,
            earliest=earliest_start,
            latest=latest_end,
            fixed_end=fixed_end,
        )
    running = [
        e
        for e in outside
        if today is not None
        and not unpost_allowed(today=today, starts_on=e.starts_on, posted_on=e.posted_on)
    ]
    if found is None and running:
        advice = _(
            "Расширения %(running)s уже действуют, и их проведение не отменить: оставьте "
            "подписке срок, который их покрывает."
        )
        params["running"] = ", ".join(f"№ {e.number}" for e in running)
    elif found is None:
        advice = _("Иначе сначала отмените проведение этих расширений.")
    else:
        advised_start, advised_period = found
        params[ADVICE] = {}
        if advised_start != starts_on:
            params[ADVICE]["starts_on"] = advised_start
            params["date"] = fmt(advised_start)
        if advised_period is not period:
            params[ADVICE]["period"] = advised_period.pk
            params["advised_period"] = advised_period.label
        if "period" not in params[ADVICE]:
            advice = _("Выберите дату начала %(date)s.")
        elif "starts_on" not in params[ADVICE]:
            advice = _("Выберите период «%(advised_period)s».")
        else:
            advice = _("Выберите дату начала %(date)s и период «%(advised_period)s».")
    return {
        "__all__": ValidationError(
            f"{refusal} {advice}", code="base_change_strands_extensions", params=params
        )
    }


def next_free_start(starts_on, period, posted) -> datetime.date | None:
    """The first day from `starts_on` from which `period` overlaps none of the `posted`
    bases (R11) and ends within the business range (R18); None when there is none."""
    candidate = starts_on
    for other in sorted(posted, key=lambda d: d.starts_on):
        ends_on = end_or_none(period, candidate)
        if ends_on is None or ends_on > BUSINESS_LAST_DAY:
            return None
        if ranges_overlap(candidate, ends_on, other.starts_on, other.ends_on):
            candidate = other.ends_on + DAY
    ends_on = end_or_none(period, candidate)
    return candidate if ends_on is not None and ends_on <= BUSINESS_LAST_DAY else None


def check_base_no_overlap(
    *,
    tariff_name,
    overlapping,
    starts_on=None,
    period=None,
    periods=(),
    posted=None,
    is_renewal: bool = False,
) -> dict:
    """R11: no two posted base subscriptions of one tariff overlap for a subscriber.

    The advice: for a renewal (its start is fixed), the longest offered `periods`
    that ends before the next posted base; otherwise the first start from which
    the chosen `period` overlaps none of the subscriber's `posted` bases of the
    tariff (`next_free_start`).
    """
    if not overlapping:
        return {}
    params = {"tariff": tariff_name, "list": describe_documents(overlapping)}
    if is_renewal and starts_on is not None:
        following = min(overlapping, key=lambda d: d.starts_on)
        params.update(number=following.number, next_start=fmt(following.starts_on))
        refusal = _(
            "Продление пересекается с проведенной подпиской на тариф «%(tariff)s» %(list)s."
        )
        shorter = longest_period_ending_by(periods, starts_on, following.starts_on - DAY)
        if shorter is None:
            advice = _(
                "Ни один период тарифа не заканчивается раньше %(next_start)s: продлевать не "
                "нужно — с этого дня абонент работает по подписке № %(number)s."
            )
        else:
            advice = _(
                "Выберите период не длиннее «%(advised_period)s»: продление закончится до "
                "%(next_start)s, начала подписки № %(number)s."
            )
            params["advised_period"] = shorter.label
            params[ADVICE] = {"period": shorter.pk}
        return {
            "period": ValidationError(f"{refusal} {advice}", code="base_overlaps", params=params)
        }
    refusal = _(
        "У абонента уже есть проведенная подписка на тариф «%(tariff)s» %(list)s, "
        "и сроки пересекаются."
    )
    free = None
    if period is not None and starts_on is not None and posted is not None:
        free = next_free_start(starts_on, period, posted)
    if free is None:
        latest_end = max(s.ends_on for s in overlapping)
        params["next_day"] = fmt(latest_end + DAY)
        advice = _("Выберите дату начала не ранее %(next_day)s.")
    else:
        params.update(chosen_period=period.label, date=fmt(free))
        params[ADVICE] = {"starts_on": free}
        advice = _(
            "Ближайшая дата начала, с которой подписка на период «%(chosen_period)s» не "
            "пересекается ни с одной проведенной подпиской на этот тариф, — %(date)s."
        )
    return {
        "starts_on": ValidationError(f"{refusal} {advice}", code="base_overlaps", params=params)
    }


# --- R13: the grace subscription («Продлевающая», «обещанный платеж») ------------------------


def grace_first_day(base_ends_on: datetime.date) -> datetime.date:
    """The first day a grace subscription may be recorded (and start): the day after the base."""
    return base_ends_on + DAY


def grace_last_recording_day(base_ends_on: datetime.date, window_days: int) -> datetime.date:
    """The last day a grace subscription may be recorded: `window_days` after the base's end."""
    return base_ends_on + datetime.timedelta(days=window_days)


def grace_refusal(
    *,
    today,
    base_number,
    base_is_posted: bool,
    base_is_grace: bool,
    base_ends_on,
    window_days: int,
    used=None,
    renewed_by=None,
    covering=(),
) -> ValidationError | None:
    """R13 about the base: why no grace subscription can be recorded for it today, or None.

    Only on a posted main subscription that has ended (today after its end), within
    `window_days` after the end, once per base (`used`: the grace already recorded),
    while no posted renewal continues the base (`renewed_by`), and not over days
    another posted subscription of the tariff already covers (`covering`).
    """
    params = {"number": base_number}
    if base_is_grace:
        return ValidationError(
            _(
                "Подписка № %(number)s сама продлевающая: продлевающую подписку оформляют к "
                "основной подписке на тариф."
            ),
            code="grace_of_grace",
            params=params,
        )
    if not base_is_posted:
        return ValidationError(
            _(
                "Подписка № %(number)s не проведена: продлевающую подписку оформляют только к "
                "проведенной подписке на тариф после ее окончания."
            ),
            code="grace_base_not_posted",
            params=params,
        )
    if used is not None:
        return ValidationError(
            _(
                "К подписке № %(number)s уже оформлена продлевающая подписка № %(grace)s: она "
                "оформляется один раз. Чтобы абонент работал дальше, продлите подписку "
                "(«Продлить»)."
            ),
            code="grace_used",
            params={**params, "grace": used.number},
        )
    if renewed_by is not None:
        return ValidationError(
            _(
                "Подписку № %(number)s уже продолжает проведенная подписка № %(renewal)s: "
                "продлевающая подписка к ней не нужна."
            ),
            code="grace_base_renewed",
            params={**params, "renewal": renewed_by.number},
        )
    params["ends_on"] = fmt(base_ends_on)
    if today <= base_ends_on:
        params["first_day"] = fmt(grace_first_day(base_ends_on))
        return ValidationError(
            _(
                "Подписка № %(number)s действует по %(ends_on)s: продлевающая подписка "
                "оформляется после ее окончания, с %(first_day)s. Чтобы абонент работал дальше "
                "без перерыва, продлите подписку («Продлить»)."
            ),
            code="grace_base_not_ended",
            params=params,
        )
    last_day = grace_last_recording_day(base_ends_on, window_days)
    if today > last_day:
        params["last_day"] = fmt(last_day)
        return ValidationError(
            _(
                "Подписка № %(number)s закончилась %(ends_on)s, а продлевающую подписку "
                "оформляют не позже %(last_day)s. Продлите подписку («Продлить») или оформите "
                "абоненту новую подписку на тариф."
            ),
            code="grace_window_passed",
            params=params,
        )
    if covering:
        params["list"] = describe_documents(covering)
        return ValidationError(
            _(
                "На эти дни у абонента уже есть проведенная подписка на этот тариф %(list)s: "
                "продлевающая подписка не нужна."
            ),
            code="grace_covered",
            params=params,
        )
    return None


def check_grace(
    *,
    today,
    starts_on,
    ends_on,
    grace_days: int,
    base_number,
    base_is_posted: bool,
    base_is_grace: bool,
    base_ends_on,
    window_days: int,
    used=None,
    renewed_by=None,
    covering=(),
) -> dict:
    """R13: a grace subscription, as it is posted. The base's part (`grace_refusal`)
    under "__all__"; then it starts on the day it is recorded (today — so never
    before the day after the base ends) and lasts 1 to `grace_days` days, ending
    before any posted subscription of the tariff that begins later (`covering`:
    those its days overlap)."""
    later = [d for d in covering if starts_on is not None and d.starts_on > starts_on]
    refusal = grace_refusal(
        today=today,
        base_number=base_number,
        base_is_posted=base_is_posted,
        base_is_grace=base_is_grace,
        base_ends_on=base_ends_on,
        window_days=window_days,
        used=used,
        renewed_by=renewed_by,
        covering=[d for d in covering if d not in later],
    )
    if refusal is not None:
        return {"__all__": refusal}
    if later:
        following = min(later, key=lambda d: d.starts_on)
        room = (following.starts_on - starts_on).days
        return {
            "days": ValidationError(
                _(
                    "С %(next_start)s у абонента действует подписка № %(number)s: продлевающая "
                    "подписка — не больше %(most)s, до ее начала. Укажите от 1 до %(max)s."
                ),
                code="grace_runs_into_next",
                params={
                    "next_start": fmt(following.starts_on),
                    "number": following.number,
                    "most": describe_period("day", room),
                    "max": room,
                    ADVICE: {"days": room},
                },
            )
        }
    errors = {}
    if starts_on is not None and starts_on != today:
        errors["starts_on"] = ValidationError(
            _("Продлевающая подписка начинается в день оформления — %(today)s."),
            code="grace_start_not_today",
            params={"today": fmt(today), ADVICE: {"starts_on": today}},
        )
    if starts_on is not None and ends_on is not None:
        errors.update(check_grace_days(days=(ends_on - starts_on).days + 1, grace_days=grace_days))
    return errors


def check_grace_days(*, days, grace_days: int) -> dict:
    """R13: a grace subscription lasts from 1 to the tariff's `grace_days` days."""
    if days is not None and 1 <= days <= grace_days:
        return {}
    return {
        "days": ValidationError(
            _(
                "Продлевающая подписка по этому тарифу длится самое большее %(most)s: укажите "
                "от 1 до %(max)s."
            ),
            code="grace_too_long",
            params={
                "most": describe_period("day", grace_days),
                "max": grace_days,
                ADVICE: {"days": grace_days},
            },
        )
    }


# --- R15: un-posting is a correction ------------------------------------------------------


def check_unpost_window(*, today, starts_on, posted_on, number) -> dict:
    """R15: a posted document is un-posted only before it starts or on the day it was posted.

    `posted_on` is the day (in the service's time zone) it was posted; None when
    unknown (posted before the day was recorded), which only «before it starts» allows.
    """
    if starts_on is None or today < starts_on or (posted_on is not None and posted_on == today):
        return {}
    if posted_on is None:
        message = _(
            "Проведение № %(number)s отменить нельзя: документ действует с %(starts_on)s, а "
            "отменить проведение можно только до начала действия или в день проведения. Чтобы "
            "закончить его раньше срока, нажмите «Прекратить» в карточке документа."
        )
    else:
        message = _(
            "Проведение № %(number)s отменить нельзя: документ действует с %(starts_on)s и "
            "проведен %(posted_on)s, а отменить проведение можно только до начала действия или "
            "в день проведения. Чтобы закончить его раньше срока, нажмите «Прекратить» в "
            "карточке документа."
        )
    return {
        "__all__": ValidationError(
            message,
            code="unpost_window_closed",
            params={
                "number": number,
                "starts_on": fmt(starts_on),
                "posted_on": fmt(posted_on) if posted_on else "",
            },
        )
    }


def check_unpost_keeps_replacement(*, replacement_number) -> dict:
    """R14/R15: a document continued by a posted replacement stays posted while it stands."""
    if not replacement_number:
        return {}
    return {
        "__all__": ValidationError(
            _(
                "Количество расширения изменено: его продолжает проведенное расширение "
                "№ %(number)s. Сначала отмените проведение расширения № %(number)s."
            ),
            code="unpost_replaced",
            params={"number": replacement_number},
        )
    }


# --- R15 in other refusals: advise only what the rules then allow ----------------------------
#
# A refusal that needs a posted document out of the way advises «отмените проведение»
# only while R15 allows un-posting it (computed, never assumed); once the document runs
# and was posted on another day, the advice is «Прекратить» (R14, from today); a document
# that has ended stays as it is. params[ADVICE] names the action and the document:
# {"unpost": pk} or {"end_early": pk}.

UNPOST = "unpost"
END_EARLY = "end_early"


def unpost_allowed(*, today, starts_on, posted_on) -> bool:
    """R15 as a yes or no (`check_unpost_window`), for the advice of other refusals."""
    return not check_unpost_window(today=today, starts_on=starts_on, posted_on=posted_on, number="")


def way_out(document, *, today) -> str | None:
    """How a posted `document` (its `starts_on`, `ends_on`, `posted_on`) can be taken out
    of the way today: UNPOST while R15 allows it, END_EARLY while it still runs, None
    once it has ended."""
    if unpost_allowed(today=today, starts_on=document.starts_on, posted_on=document.posted_on):
        return UNPOST
    if document.ends_on is not None and document.ends_on >= today:
        return END_EARLY
    return None


def posted_edit_refusal(extension, *, today) -> ValidationError:
    """A posted extension is not edited in place (its dates and kept price stay): what
    to do instead, by R15 and R14."""
    way = way_out(extension, today=today)
    if way == UNPOST:
        message = _("Проведенное расширение не изменяют: сначала отмените проведение.")
        params = {ADVICE: {UNPOST: extension.pk}}
    elif way == END_EARLY:
        message = _(
            "Проведенное расширение не изменяют, а его проведение уже не отменить: оно "
            "действует с %(since)s. Чтобы закончить его раньше срока, нажмите «Прекратить» в "
            "его карточке."
        )
        params = {"since": fmt(extension.starts_on), ADVICE: {END_EARLY: extension.pk}}
    else:
        message = _(
            "Проведенное расширение не изменяют: оно закончилось %(ended)s и остается в "
            "истории как есть."
        )
        params = {"ended": fmt(extension.ends_on)}
    return ValidationError(message, code="edit_posted", params=params)


def posted_delete_refusal(document, *, today, is_base: bool) -> ValidationError:
    """A posted document is never deleted: what to do instead, by R15 and R14."""
    way = way_out(document, today=today)
    params = {}
    if way == UNPOST:
        message = (
            _("Проведенную подписку удалить нельзя: сначала отмените проведение.")
            if is_base
            else _("Проведенное расширение удалить нельзя: сначала отмените проведение.")
        )
        params[ADVICE] = {UNPOST: document.pk}
    elif way == END_EARLY:
        message = (
            _(
                "Проведенную подписку удалить нельзя, и ее проведение уже не отменить: она "
                "действует с %(since)s. Чтобы закончить ее раньше срока, нажмите «Прекратить» "
                "в ее карточке."
            )
            if is_base
            else _(
                "Проведенное расширение удалить нельзя, и его проведение уже не отменить: оно "
                "действует с %(since)s. Чтобы закончить его раньше срока, нажмите «Прекратить» "
                "в его карточке."
            )
        )
        params.update(since=fmt(document.starts_on))
        params[ADVICE] = {END_EARLY: document.pk}
    else:
        message = (
            _(
                "Проведенную подписку удалить нельзя: она закончилась %(ended)s и остается в "
                "истории как есть."
            )
            if is_base
            else _(
                "Проведенное расширение удалить нельзя: оно закончилось %(ended)s и остается в "
                "истории как есть."
            )
        )
        params["ended"] = fmt(document.ends_on)
    return ValidationError(message, code="delete_posted", params=params)


def grace_edit_refusal(grace, *, today) -> ValidationError:
    """R13: a grace subscription's days are chosen once, when it is recorded; one recorded
    by mistake is un-posted only as R15 allows, else ended early."""
    way = way_out(grace, today=today)
    if way == UNPOST:
        message = _(
            "Продлевающую подписку не изменяют: ее дни выбирают, когда ее оформляют. Если "
            "она оформлена по ошибке, отмените ее проведение."
        )
        params = {ADVICE: {UNPOST: grace.pk}}
    elif way == END_EARLY:
        message = _(
            "Продлевающую подписку не изменяют: ее дни выбирают, когда ее оформляют. Ее "
            "проведение уже не отменить (она действует с %(since)s): чтобы закончить ее "
            "раньше срока, нажмите «Прекратить»."
        )
        params = {"since": fmt(grace.starts_on), ADVICE: {END_EARLY: grace.pk}}
    else:
        message = _(
            "Продлевающую подписку не изменяют: ее дни выбирают, когда ее оформляют. Она "
            "закончилась %(ended)s и остается в истории как есть."
        )
        params = {"ended": fmt(grace.ends_on)}
    return ValidationError(message, code="grace_not_edited", params=params)


def check_base_keeps_grace(*, grace, today) -> dict:
    """R13: while a posted grace subscription continues a base, the base's term and
    posting stay as they were; un-posting the grace first is advised only while R15
    allows it."""
    if unpost_allowed(today=today, starts_on=grace.starts_on, posted_on=grace.posted_on):
        message = _(
            "Подписку продолжает проведенная продлевающая подписка № %(number)s: пока она "
            "проведена, подписку не меняют и не отменяют. Сначала отмените проведение "
            "продлевающей подписки."
        )
        params = {"number": grace.number, ADVICE: {UNPOST: grace.pk}}
    else:
        message = _(
            "Подписку продолжает проведенная продлевающая подписка № %(number)s, а ее "
            "проведение уже не отменить (она действует с %(since)s): срок и проведение этой "
            "подписки больше не меняют."
        )
        params = {"number": grace.number, "since": fmt(grace.starts_on)}
    return {"__all__": ValidationError(message, code="base_change_strands_grace", params=params)}


def check_tariff_change_keeps_extensions(
    *, tariff_name, foreign, today, base_pk, base_ends_on
) -> dict:
    """R2 for a base changing its tariff: its extensions not offered for the new tariff
    go first — un-posted (as R15 allows) and deleted. When some cannot be un-posted, the
    way to the new tariff is to end this base with them («Прекратить») and record a new one.

    `foreign`: the base's extensions (any status) not offered for the new tariff.
    """
    if not foreign:
        return {}
    params = {"list": describe_documents(foreign), "tariff": tariff_name}
    running = [
        e
        for e in foreign
        if e.is_posted
        and not unpost_allowed(today=today, starts_on=e.starts_on, posted_on=e.posted_on)
    ]
    if not running:
        message = _(
            "К подписке оформлены расширения %(list)s, которые не предлагаются для тарифа "
            "«%(tariff)s»: сначала отмените их проведение и удалите их."
        )
    elif base_ends_on is not None and base_ends_on >= today:
        message = _(
            "К подписке оформлены расширения %(list)s, которые не предлагаются для тарифа "
            "«%(tariff)s», а проведение уже действующих не отменить. Чтобы перевести абонента "
            "на тариф «%(tariff)s», прекратите эту подписку вместе с расширениями "
            "(«Прекратить», «прекратить и расширения») и оформите новую подписку на тариф "
            "«%(tariff)s»."
        )
        params[ADVICE] = {END_EARLY: base_pk, "end_extensions": True}
    else:
        message = _(
            "К подписке оформлены расширения %(list)s, которые не предлагаются для тарифа "
            "«%(tariff)s», а их проведение уже не отменить: тариф этой подписки не меняют."
        )
    return {
        "tariff": ValidationError(message, code="tariff_change_strands_extensions", params=params)
    }


# --- R14: «Прекратить» and «Изменить количество» --------------------------------------------


def early_end_range(*, today, starts_on, ends_on) -> tuple[datetime.date, datetime.date]:
    """The days a document may be ended on: from today (not before its first day) to its end."""
    return max(today, starts_on), ends_on


def check_early_end_day(*, today, last_day, starts_on, ends_on, is_posted) -> dict:
    """R14: «Прекратить» — a posted document's new last day is from today to its current end."""
    if not is_posted:
        return {
            "__all__": ValidationError(
                _(
                    "Прекратить можно только проведенный документ. Черновик не действует: "
                    "измените или удалите его."
                ),
                code="early_end_not_posted",
            )
        }
    if ends_on < today:
        return {
            "__all__": ValidationError(
                _("Документ уже закончился %(ends_on)s: прекращать нечего."),
                code="early_end_already_ended",
                params={"ends_on": fmt(ends_on)},
            )
        }
    if last_day is None:
        return {}
    first, last = early_end_range(today=today, starts_on=starts_on, ends_on=ends_on)
    if first <= last_day <= last:
        return {}
    return {
        "last_day": ValidationError(
            _("Последний день действия — с %(first)s по %(last)s: выберите дату в этих пределах."),
            code="early_end_out_of_range",
            params={"first": fmt(first), "last": fmt(last)},
        )
    }


def check_early_end_reason(reason) -> dict:
    """R14: every early end says why (the history keeps it)."""
    if reason and reason.strip():
        return {}
    return {
        "reason": ValidationError(
            _("Укажите причину прекращения: она сохранится в истории документа."),
            code="early_end_reason_required",
        )
    }


def check_ended_early_keeps_term(*, last_day, changed: bool) -> dict:
    """R14: a document ended early keeps its start and period (its unused part follows them)."""
    if last_day is None or not changed:
        return {}
    return {
        "__all__": ValidationError(
            _(
                "Документ прекращен досрочно (последний день — %(last_day)s): его дата начала и "
                "период действия больше не меняются."
            ),
            code="ended_early_term_kept",
            params={"last_day": fmt(last_day)},
        )
    }


def check_base_early_end_keeps_extensions(
    *, starts_on, last_day, posted_extensions, end_extensions: bool
) -> dict:
    """R14 with R10: a base is not ended before its posted extensions, unless they end with it.

    `posted_extensions`: the base's posted extensions as stored. With
    `end_extensions` («прекратить и расширения») those that run past `last_day`
    are ended on it too — all but those that would only start after it.
    """
    if last_day is None or not check_base_keeps_extensions(
        starts_on=starts_on, ends_on=last_day, is_posted=True, posted_extensions=posted_extensions
    ):
        return {}
    outside = [e for e in posted_extensions if e.ends_on > last_day]
    if not end_extensions:
        return {
            "end_extensions": ValidationError(
                _(
                    "Проведенные расширения %(list)s действуют после %(last_day)s. Отметьте "
                    "«прекратить и расширения», чтобы они закончились в тот же день, или "
                    "выберите последний день не раньше %(latest)s."
                ),
                code="base_early_end_strands_extensions",
                params={
                    "list": describe_documents(outside[:DOCUMENTS_NAMED])
                    + ("…" if len(outside) > DOCUMENTS_NAMED else ""),
                    "last_day": fmt(last_day),
                    "latest": fmt(max(e.ends_on for e in outside)),
                },
            )
        }
    later = [e for e in outside if e.starts_on > last_day]
    if not later:
        return {}
    return {
        "end_extensions": ValidationError(
            _(
                "Расширения %(list)s начинаются после %(last_day)s: закончить их этим днем "
                "нельзя. Они еще не действуют — сначала отмените их проведение, или выберите "
                "последний день не раньше %(earliest)s."
            ),
            code="base_early_end_extensions_not_started",
            params={
                "list": describe_documents(later[:DOCUMENTS_NAMED])
                + ("…" if len(later) > DOCUMENTS_NAMED else ""),
                "last_day": fmt(last_day),
                "earliest": fmt(max(e.starts_on for e in later)),
            },
        )
    }


def quantity_change_range(*, today, starts_on, ends_on) -> tuple[datetime.date, datetime.date]:
    """The days a new quantity may start on: from today, after the first day, to the end."""
    return max(today, starts_on + datetime.timedelta(days=1)), ends_on


def check_quantity_change(
    *,
    today,
    change_on,
    starts_on,
    ends_on,
    is_posted,
    quantity,
    new_quantity,
    max_quantity,
    replaced_by_number=None,
) -> dict:
    """R14 «Изменить количество» on a running posted extension, and R8 for the new quantity.

    From `change_on` the extension continues with `new_quantity`: it ends the
    day before, and a replacement runs from `change_on` to the same end.
    """
    if not is_posted:
        return {
            "__all__": ValidationError(
                _(
                    "Количество меняют у проведенного расширения. В черновике измените его в "
                    "форме (кнопка «Изменить»)."
                ),
                code="quantity_change_not_posted",
            )
        }
    if replaced_by_number:
        return {
            "__all__": ValidationError(
                _(
                    "Количество уже изменено: его продолжает расширение № %(number)s. Измените "
                    "количество в нем."
                ),
                code="quantity_change_already_replaced",
                params={"number": replaced_by_number},
            )
        }
    if ends_on < today:
        return {
            "__all__": ValidationError(
                _(
                    "Расширение закончилось %(ends_on)s: количество уже не меняют. Оформите "
                    "новое расширение."
                ),
                code="quantity_change_ended",
                params={"ends_on": fmt(ends_on)},
            )
        }
    if starts_on > today:
        return {
            "__all__": ValidationError(
                _(
                    "Расширение еще не действует (начнется %(starts_on)s): отмените его "
                    "проведение, исправьте количество и проведите снова."
                ),
                code="quantity_change_not_started",
                params={"starts_on": fmt(starts_on)},
            )
        }
    first, last = quantity_change_range(today=today, starts_on=starts_on, ends_on=ends_on)
    if first > last:
        return {
            "__all__": ValidationError(
                _(
                    "Расширение действует только по %(ends_on)s: менять количество уже не с "
                    "чего. Оформите новое расширение."
                ),
                code="quantity_change_no_days_left",
                params={"ends_on": fmt(ends_on)},
            )
        }
    errors = {}
    if change_on is not None and not first <= change_on <= last:
        errors["change_on"] = ValidationError(
            _(
                "Новое количество может действовать с даты с %(first)s по %(last)s: выберите "
                "дату в этих пределах."
            ),
            code="quantity_change_out_of_range",
            params={"first": fmt(first), "last": fmt(last)},
        )
    if new_quantity is not None:
        if new_quantity == quantity:
            errors["quantity"] = ValidationError(
                _("Количество и так %(quantity)s: укажите другое."),
                code="quantity_unchanged",
                params={"quantity": quantity},
            )
        else:
            errors.update(check_quantity(quantity=new_quantity, max_quantity=max_quantity))
    return errors


def check_replacement_undo(*, number, replaced_number, replaced_changed: bool) -> dict:
    """R15 for a replacement: un-posting it gives the replaced extension back its end,
    only while that one is as the change left it."""
    if not replaced_changed:
        return {}
    return {
        "__all__": ValidationError(
            _(
                "Расширение № %(replaced)s изменено уже после замены: отменить проведение "
                "№ %(number)s нельзя. Чтобы закончить его раньше срока, нажмите «Прекратить»."
            ),
            code="replacement_undo_stale",
            params={"number": number, "replaced": replaced_number},
        )
    }


def check_replacement_draft_stays(*, number, replaced_number) -> dict:
    """R14: a replacement left as a draft (its change undone) is not posted or edited again."""
    return {
        "__all__": ValidationError(
            _(
                "Черновик № %(number)s остался от отмененного изменения количества расширения "
                "№ %(replaced)s: его не проводят и не изменяют. Удалите черновик и нажмите "
                "«Изменить количество» в расширении № %(replaced)s."
            ),
            code="replacement_draft",
            params={"number": number, "replaced": replaced_number},
        )
    }


# --- Warnings that do not block ----------------------------------------------------------
#
# Unlike the rules above, these refuse nothing: the document is written, and the
# page shows the text next to its «Провести» (role="status"). Each returns
# {code: text}, empty when there is nothing to say; subscriptions/warnings.py
# reads what they need from the rows.


def warn_extension_overlaps(*, tariff_name, overlapping, posted: bool = False) -> dict:
    """Another posted extension of the same tariff on the same base shares days with this one:
    often a double entry, sometimes really more sessions. Before posting it asks («добавить
    еще?»); once `posted`, it says what was added and how to take it back (R15: un-posting is
    allowed on the day it was posted)."""
    if not overlapping:
        return {}
    params = {"list": describe_documents(overlapping[:DOCUMENTS_NAMED]), "tariff": tariff_name}
    if posted:
        return {
            "extension_overlaps": _(
                "На эти даты уже была подписка %(list)s на «%(tariff)s»: добавлена еще одна, "
                "количество расширений сложилось. Если она лишняя, отмените ее проведение "
                "сегодня («Отменить проведение» в ее карточке)."
            )
            % params
        }
    return {
        "extension_overlaps": _(
            "Уже есть подписка %(list)s на «%(tariff)s» на эти даты — добавить еще? Если да, "
            "проведите и эту: количество расширений сложится."
        )
        % params
    }


def warn_renewal_in_past(*, starts_on, ends_on, today) -> dict:
    """A renewal whose every day has passed adds the subscriber no working day."""
    if not (starts_on and ends_on and today) or ends_on >= today:
        return {}
    return {
        "renewal_in_past": _(
            "Продление целиком в прошлом: с %(starts_on)s по %(ends_on)s. Абоненту оно не "
            "добавит ни одного дня работы; если подписка нужна сейчас, оформите новую подписку "
            "на тариф с сегодняшнего дня."
        )
        % {"starts_on": fmt(starts_on), "ends_on": fmt(ends_on)}
    }


def warn_draft_starts_in_past(*, starts_on, today, is_draft: bool) -> dict:
    """A draft extension whose start has passed cannot be posted as it is (R7)."""
    if not (is_draft and starts_on and today) or starts_on >= today:
        return {}
    return {
        "draft_starts_in_past": _(
            "Начало в прошлом (%(starts_on)s): провести расширение нельзя, пока не перенесете "
            "начало на сегодня или позже."
        )
        % {"starts_on": fmt(starts_on)}
    }
