"""Rules across rows, as small pure functions over plain values.

Each returns a dict of field name → ValidationError (empty when the rule holds),
so a model's clean() can merge it into one ValidationError and the message lands
next to its field. Codes are stable: tests and callers rely on them.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from common.formatting import fmt

from .validators import BUSINESS_LAST_DAY


def ranges_overlap(a_start, a_end, b_start, b_end) -> bool:
    """Two inclusive day ranges share at least one day."""
    return a_start <= b_end and b_start <= a_end


def renewal_start(renewed_ends_on: datetime.date) -> datetime.date:
    """A renewing subscription starts the day after the one it renews ends."""
    return renewed_ends_on + datetime.timedelta(days=1)


def check_renewal_follows(*, renewed_ends_on, renewal_starts_on, renewal_number=None) -> dict:
    """A renewal and the subscription it renews meet without a gap or an overlap.

    Checked from the renewal (its start, `renewal_number` None) and from the
    renewed subscription (its end, naming the renewal in the way).
    """
    if not (renewed_ends_on and renewal_starts_on):
        return {}
    if renewal_starts_on == renewal_start(renewed_ends_on):
        return {}
    if renewal_number is None:
        return {
            "starts_on": ValidationError(
                _(
                    "Продлевающая подписка начинается на следующий день после окончания "
                    "продлеваемой: %(day)s."
                ),
                code="renewal_not_adjacent",
                params={"day": fmt(renewal_start(renewed_ends_on))},
            )
        }
    return {
        "period": ValidationError(
            _(
                "Подписку продлевает проведенная подписка № %(number)s с %(starts_on)s, поэтому "
                "эта должна действовать ровно по %(last_day)s. Чтобы изменить срок, сначала "
                "отмените проведение продлевающей подписки."
            ),
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


def check_ends_in_business_range(ends_on, *, beyond_calendar: bool = False) -> dict:
    """R18 for the computed end: a period must not end past the business range.

    `beyond_calendar`: the end is not even a date (past 31.12.9999).
    """
    if not beyond_calendar and (ends_on is None or ends_on <= BUSINESS_LAST_DAY):
        return {}
    if beyond_calendar:
        message = _(
            "С этой даты период действия закончился бы позже %(last)s, последнего дня рабочего "
            "диапазона сервиса: выберите более раннюю дату начала или более короткий период."
        )
        params = {"last": fmt(BUSINESS_LAST_DAY)}
    else:
        message = _(
            "С этой даты период действия закончился бы %(ends_on)s — позже %(last)s, последнего "
            "дня рабочего диапазона сервиса: выберите более раннюю дату начала или более "
            "короткий период."
        )
        params = {"ends_on": fmt(ends_on), "last": fmt(BUSINESS_LAST_DAY)}
    return {
        "starts_on": ValidationError(message, code="period_out_of_range", params=params),
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


def check_max_quantity_keeps_posted(*, max_quantity, posted_above) -> dict:
    """R8 «in use»: a tariff's maximum is never lowered below a posted quantity.

    `posted_above`: the posted extensions whose quantity exceeds `max_quantity`.
    """
    if max_quantity is None or not posted_above:
        return {}
    return {
        "max_quantity": ValidationError(
            _(
                "Уже проведены расширения с большим количеством: %(list)s. Максимум не может "
                "быть меньше %(needed)s; чтобы его снизить, сначала отмените проведение этих "
                "расширений."
            ),
            code="max_quantity_in_use",
            params={
                "list": ", ".join(
                    f"№ {e.number} × {e.quantity}" for e in posted_above[:DOCUMENTS_NAMED]
                )
                + ("…" if len(posted_above) > DOCUMENTS_NAMED else ""),
                "needed": max(e.quantity for e in posted_above),
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


def check_extension_within_base(*, starts_on, ends_on, base_starts_on, base_ends_on) -> dict:
    """R4 and R5: an extension lies inside its base subscription."""
    errors = {}
    if starts_on and base_starts_on and starts_on < base_starts_on:
        errors["starts_on"] = ValidationError(
            _(
                "Расширение не может начинаться раньше подписки на тариф: "
                "выберите дату не ранее %(base_starts_on)s."
            ),
            code="extension_starts_before_base",
            params={"base_starts_on": fmt(base_starts_on)},
        )
    if ends_on and base_ends_on and ends_on > base_ends_on:
        errors["period"] = ValidationError(
            _(
                "Расширение действовало бы по %(ends_on)s, а подписка на тариф — только по "
                "%(base_ends_on)s. Последний допустимый день окончания — %(base_ends_on)s: "
                "выберите более короткий период действия или более раннюю дату начала "
                "(при проведении — не раньше сегодняшнего дня)."
            ),
            code="extension_ends_after_base",
            params={"ends_on": fmt(ends_on), "base_ends_on": fmt(base_ends_on)},
        )
    return errors


def check_extension_posting(*, today, starts_on, base_number, base_is_posted, base_ends_on) -> dict:
    """R6 and R7: what must hold on the day an extension is posted."""
    errors = {}
    if not base_is_posted:
        errors["__all__"] = ValidationError(
            _(
                "Подписка на тариф № %(number)s не проведена: сначала проведите ее "
                "(кнопка «Провести» в ее карточке), затем оформляйте расширение."
            ),
            code="base_not_posted",
            params={"number": base_number},
        )
    elif base_ends_on and today > base_ends_on:
        errors["__all__"] = ValidationError(
            _(
                "Подписка на тариф № %(number)s закончилась %(base_ends_on)s: расширение к ней "
                "провести уже нельзя. Оформите абоненту новую подписку на тариф («Добавить "
                "подписку на тариф» в окне «Подписка») и расширение к ней."
            ),
            code="base_ended",
            params={"number": base_number, "base_ends_on": fmt(base_ends_on)},
        )
    if starts_on and starts_on < today:
        errors["starts_on"] = ValidationError(
            _(
                "Расширение проводится с сегодняшнего дня или позже: "
                "выберите дату не ранее %(today)s."
            ),
            code="extension_starts_in_past",
            params={"today": fmt(today)},
        )
    return errors


def check_quantity(*, quantity, max_quantity) -> dict:
    """R8, the part that depends on the tariff."""
    if quantity is not None and max_quantity is not None and quantity > max_quantity:
        return {
            "quantity": ValidationError(
                _("Количество расширений — от 1 до %(max)s для этого тарифа."),
                code="quantity_above_max",
                params={"max": max_quantity},
            )
        }
    return {}


# A refusal names at most this many documents in the way (and says there are more).
DOCUMENTS_NAMED = 10


def describe_documents(documents) -> str:
    return ", ".join(f"№ {d.number} ({fmt(d.starts_on)}–{fmt(d.ends_on)})" for d in documents)


def check_base_keeps_extensions(*, starts_on, ends_on, is_posted, posted_extensions) -> dict:
    """R10: a base change must not leave a posted extension outside the base.

    `posted_extensions` are the base's posted extensions as they are stored.
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
    return {
        "__all__": ValidationError(
            _(
                "Изменение не записано: проведенные расширения %(list)s вышли бы за срок "
                "подписки. Подписка должна начинаться не позже %(earliest)s и заканчиваться "
                "не раньше %(latest)s; иначе сначала отмените проведение этих расширений."
            ),
            code="base_change_strands_extensions",
            params={
                "list": describe_documents(outside),
                "earliest": fmt(earliest_start),
                "latest": fmt(latest_end),
            },
        )
    }


def check_base_no_overlap(*, tariff_name, overlapping) -> dict:
    """R11: no two posted base subscriptions of one tariff overlap for a subscriber."""
    if not overlapping:
        return {}
    latest_end = max(s.ends_on for s in overlapping)
    return {
        "starts_on": ValidationError(
            _(
                "У абонента уже есть проведенная подписка на тариф «%(tariff)s» %(list)s, "
                "и сроки пересекаются. Выберите дату начала не ранее %(next_day)s "
                "или оформите продление."
            ),
            code="base_overlaps",
            params={
                "tariff": tariff_name,
                "list": describe_documents(overlapping),
                "next_day": fmt(latest_end + datetime.timedelta(days=1)),
            },
        )
    }
