"""An extension «до окончания подписки на тариф»: to its base's last day, priced by
the span rule (R3, R5, R10, R16).

The rule: whole calendar months at the tariff's «1 месяц» price, the days left at
that price ÷ 30 a day, rounded to whole tenge (half up); the unit price and the
amount are kept at posting. «Today» is 20.03.2027 unless a test says otherwise;
the base is a posted year of «Стандарт» from 15.03.2027 (to 14.03.2028), and
«Дополнительный сеанс» costs 3 000 ₸ a month (100 ₸ a day).
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from subscriptions import clock, invariants, services
from subscriptions.models import ExtensionSubscription, Status, Tariff, TariffPeriod
from subscriptions.periods import describe_months_and_days, months_and_days
from subscriptions.pricing import document_amount, span_amount
from subscriptions.renewal import carry_plan, offered_periods_by_tariff
from subscriptions.selectors import document_rows, organization_documents
from tests import factories

D = datetime.date
DAY = datetime.timedelta(days=1)
MARCH_TODAY = D(2027, 3, 20)  # base_year_from_15_march_2027's «today»


def until_end(base, tariff, starts_on, quantity=2) -> ExtensionSubscription:
    return ExtensionSubscription(
        subscription=base,
        tariff=tariff,
        until_base_end=True,
        starts_on=starts_on,
        quantity=quantity,
    )


def refusal_codes(error: ValidationError, field: str) -> list[str]:
    return [e.code for e in error.error_dict.get(field, [])]


# --- The price rule on its boundary days ----------------------------------------------------


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "months", "days"),
    [
        # On the base's day of the month: whole months only.
        (D(2027, 4, 15), D(2028, 3, 14), 11, 0),
        (D(2027, 3, 15), D(2028, 3, 14), 12, 0),
        # The example.
        (D(2027, 8, 3), D(2028, 3, 14), 7, 12),
        # A day short of a month: its days; the whole month: one month.
        (D(2027, 2, 1), D(2027, 2, 27), 0, 27),
        (D(2027, 2, 1), D(2027, 2, 28), 1, 0),
        (D(2027, 3, 15), D(2027, 4, 13), 0, 30),
        # February: a base from 28.02 (and from 29.02 in a leap year) and its aligned starts.
        (D(2027, 3, 28), D(2028, 2, 27), 11, 0),
        (D(2028, 3, 29), D(2029, 2, 27), 11, 0),
        (D(2028, 1, 29), D(2028, 2, 28), 1, 0),
        (D(2028, 1, 29), D(2028, 2, 29), 1, 1),
        # The 31st: a base from 31.03 ends on 30.03; its day of the month in April is 30.04.
        (D(2027, 4, 30), D(2028, 3, 30), 11, 0),
        (D(2027, 5, 31), D(2028, 3, 30), 10, 0),
        (D(2027, 3, 31), D(2027, 5, 30), 2, 0),
        # A base from 31.01 ends on 30.01; its day of the month in February is the 28th.
        (D(2027, 2, 28), D(2028, 1, 30), 11, 0),
        (D(2027, 1, 31), D(2027, 2, 27), 1, 0),
        # One day.
        (D(2027, 6, 10), D(2027, 6, 10), 0, 1),
    ],
)
def test_a_span_is_whole_calendar_months_and_the_days_left(starts_on, ends_on, months, days):
    assert months_and_days(starts_on, ends_on) == (months, days)
    assert span_amount(Decimal("3000"), starts_on, ends_on) == 3000 * months + 100 * days


def test_the_breakdown_reads_as_months_and_days():
    assert describe_months_and_days(7, 12) == "7 мес. + 12 дн."
    assert describe_months_and_days(11, 0) == "11 мес."
    assert describe_months_and_days(0, 20) == "20 дн."


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "amount"),
    [
        # 1 005 ₸ a month is 33.5 ₸ a day: halves go up, never to the even tenge.
        (D(2027, 6, 10), D(2027, 6, 10), 34),  # 33.5
        (D(2027, 6, 10), D(2027, 6, 12), 101),  # 100.5 (banker's rounding would give 100)
        (D(2027, 6, 10), D(2027, 7, 10), 1039),  # 1 005 + 33.5 = 1 038.5
        (D(2027, 6, 10), D(2027, 6, 11), 67),  # 67, no rounding
    ],
)
def test_the_amount_is_rounded_to_whole_tenge_half_up(starts_on, ends_on, amount):
    assert span_amount(Decimal("1005"), starts_on, ends_on) == Decimal(amount)


# --- Posting: the end is the base's, the price is the span's, both kept ---------------------


def test_posting_ends_it_with_the_base_and_keeps_the_span_price(
    base_year_from_15_march_2027, session_tariff, operator
):
    extension = services.extension_save(
        extension=until_end(base_year_from_15_march_2027, session_tariff, D(2027, 8, 3)),
        user=operator,
        post=True,
    )

    extension.refresh_from_db()
    assert extension.status == Status.POSTED
    assert extension.period_id is None and extension.until_base_end
    assert extension.ends_on == base_year_from_15_march_2027.ends_on == D(2028, 3, 14)
    # 7 months × 3 000 + 12 days × 100, × 2.
    assert extension.unit_price == Decimal("22200")
    assert extension.amount == Decimal("44400")
    assert extension.until_base_end_span == "7 мес. + 12 дн."
    assert extension.period_label == "до окончания подписки на тариф"


def test_starting_on_the_base_day_of_month_costs_whole_months(
    base_year_from_15_march_2027, session_tariff, operator
):
    extension = services.extension_save(
        extension=until_end(
            base_year_from_15_march_2027, session_tariff, D(2027, 4, 15), quantity=1
        ),
        user=operator,
        post=True,
    )

    assert (extension.unit_price, extension.amount) == (Decimal("33000"), Decimal("33000"))


def test_a_later_price_change_does_not_rewrite_the_kept_amount(
    base_year_from_15_march_2027, session_tariff, operator, admin_user
):
    extension = services.extension_save(
        extension=until_end(base_year_from_15_march_2027, session_tariff, D(2027, 8, 3)),
        user=operator,
        post=True,
    )
    month = session_tariff.periods.get(count=1)
    month.price = Decimal("4500")
    services.tariff_period_save(period=month, user=admin_user)

    extension.refresh_from_db()
    assert extension.amount == Decimal("44400")
    assert document_amount(extension) == Decimal("44400")
    [row] = [
        r
        for r in document_rows(organization_documents(base_year_from_15_march_2027.organization))
        if r.kind == "extension"
    ]
    assert row.amount == Decimal("44400")
    assert row.period_label == "до окончания подписки на тариф"


def test_a_draft_keeps_its_price_for_the_lists_and_posting_takes_todays(
    base_year_from_15_march_2027, session_tariff, operator, admin_user
):
    draft = services.extension_save(
        extension=until_end(base_year_from_15_march_2027, session_tariff, D(2027, 8, 3)),
        user=operator,
    )
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.ends_on == base_year_from_15_march_2027.ends_on
    assert (draft.unit_price, draft.amount) == (Decimal("22200"), Decimal("44400"))
    [row] = [
        r
        for r in document_rows(organization_documents(base_year_from_15_march_2027.organization))
        if r.kind == "extension"
    ]
    assert row.amount == draft.current_amount == Decimal("44400")

    month = session_tariff.periods.get(count=1)
    month.price = Decimal("6000")
    services.tariff_period_save(period=month, user=admin_user)
    posted = services.extension_post(extension=draft, user=operator)

    # 7 × 6 000 + 12 × 200, × 2: the price of the day it is posted.
    assert (posted.unit_price, posted.amount) == (Decimal("44400"), Decimal("88800"))


def test_un_posting_makes_it_a_draft_with_todays_price_again(
    base_year_from_15_march_2027, session_tariff, operator
):
    extension = services.extension_save(
        extension=until_end(base_year_from_15_march_2027, session_tariff, D(2027, 8, 3)),
        user=operator,
        post=True,
    )

    draft = services.extension_unpost(extension=extension, user=operator)

    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert (draft.unit_price, draft.amount) == (Decimal("22200"), Decimal("44400"))


# --- Refusals -----------------------------------------------------------------------------


def test_a_start_after_the_base_ends_is_refused(base_year_from_15_march_2027, session_tariff):
    extension = until_end(base_year_from_15_march_2027, session_tariff, D(2028, 3, 15))

    with pytest.raises(ValidationError) as refused:
        extension.full_clean()

    assert refusal_codes(refused.value, "starts_on") == ["until_base_end_starts_after_base"]
    assert "по 14.03.2028" in refused.value.error_dict["starts_on"][0].messages[0]


def test_posting_is_refused_when_the_tariff_no_longer_offers_it(
    base_year_from_15_march_2027, session_tariff, operator, admin_user
):
    draft = services.extension_save(
        extension=until_end(base_year_from_15_march_2027, session_tariff, D(2027, 8, 3)),
        user=operator,
    )
    tariff = Tariff.objects.get(pk=session_tariff.pk)
    tariff.offers_until_base_end = False
    services.tariff_save(tariff=tariff, user=admin_user)

    with pytest.raises(ValidationError) as refused:
        services.extension_post(extension=draft, user=operator)

    assert refusal_codes(refused.value, "period") == ["until_base_end_not_offered"]
    assert ExtensionSubscription.objects.get(pk=draft.pk).status == Status.DRAFT


def test_posting_is_refused_without_an_offered_month_to_price_it(
    base_year_from_15_march_2027, session_tariff, operator, admin_user
):
    draft = services.extension_save(
        extension=until_end(base_year_from_15_march_2027, session_tariff, D(2027, 8, 3)),
        user=operator,
    )
    month = session_tariff.periods.get(count=1)
    month.is_active = False
    services.tariff_period_save(period=month, user=admin_user)

    with pytest.raises(ValidationError) as refused:
        services.extension_post(extension=draft, user=operator)

    assert refusal_codes(refused.value, "period") == ["until_base_end_no_month_price"]


def test_a_period_and_until_base_end_together_are_refused(
    base_year_from_15_march_2027, session_tariff
):
    extension = until_end(base_year_from_15_march_2027, session_tariff, D(2027, 8, 3))
    extension.period = session_tariff.periods.get(count=1)

    with pytest.raises(ValidationError) as refused:
        extension.full_clean()

    assert "period_with_until_base_end" in refusal_codes(refused.value, "period")


def test_neither_a_period_nor_until_base_end_is_refused(
    base_year_from_15_march_2027, session_tariff
):
    extension = ExtensionSubscription(
        subscription=base_year_from_15_march_2027,
        tariff=session_tariff,
        starts_on=D(2027, 8, 3),
        quantity=1,
    )

    with pytest.raises(ValidationError) as refused:
        extension.full_clean()

    assert "period_or_until_base_end" in refusal_codes(refused.value, "__all__")


def test_the_database_refuses_a_period_with_until_base_end_and_neither(
    base_year_from_15_march_2027, session_tariff, operator
):
    coterminous = services.extension_save(
        extension=until_end(base_year_from_15_march_2027, session_tariff, D(2027, 8, 3)),
        user=operator,
    )
    month = factories.ExtensionFactory(
        subscription=base_year_from_15_march_2027,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=D(2027, 4, 1),
        status=Status.DRAFT,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        ExtensionSubscription.objects.filter(pk=coterminous.pk).update(period=month.period)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExtensionSubscription.objects.filter(pk=month.pk).update(period=None)


def test_the_r3_and_r5_refusals_still_hold_for_periods(
    base_year_from_15_march_2027, session_tariff, infobase_tariff
):
    # R5: a year from 01.04.2027 ends after the base.
    too_long = ExtensionSubscription(
        subscription=base_year_from_15_march_2027,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=12),
        starts_on=D(2027, 4, 1),
        quantity=1,
    )
    with pytest.raises(ValidationError) as refused:
        too_long.full_clean()
    assert refusal_codes(refused.value, "period") == ["extension_ends_after_base"]
    # R3: a period of another tariff.
    other = ExtensionSubscription(
        subscription=base_year_from_15_march_2027,
        tariff=session_tariff,
        period=infobase_tariff.periods.get(count=1),
        starts_on=D(2027, 4, 1),
        quantity=1,
    )
    with pytest.raises(ValidationError) as refused:
        other.full_clean()
    assert refusal_codes(refused.value, "period") == ["period_not_of_tariff"]


# --- The base changes: R10 for the posted one, the draft follows ----------------------------


def test_a_base_shortened_below_it_is_refused(
    base_year_from_15_march_2027, base_tariff, session_tariff, operator
):
    services.extension_save(
        extension=until_end(base_year_from_15_march_2027, session_tariff, D(2027, 8, 3)),
        user=operator,
        post=True,
    )
    base = type(base_year_from_15_march_2027).objects.get(pk=base_year_from_15_march_2027.pk)
    base.period = base_tariff.periods.get(count=6)

    with pytest.raises(ValidationError) as refused:
        services.subscription_save(subscription=base, user=operator)

    assert refusal_codes(refused.value, "__all__") == ["base_change_strands_extensions"]
    assert type(base_year_from_15_march_2027).objects.get(
        pk=base_year_from_15_march_2027.pk
    ).ends_on == D(2028, 3, 14)


def test_a_lengthened_base_keeps_the_posted_end_and_moves_the_drafts(
    subscriber, base_tariff, session_tariff, operator
):
    with clock.today_is(MARCH_TODAY):
        base = factories.SubscriptionFactory(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=6),
            starts_on=D(2027, 3, 15),
        )
        posted = services.extension_save(
            extension=until_end(base, session_tariff, D(2027, 4, 15)), user=operator, post=True
        )
        draft = services.extension_save(
            extension=until_end(base, session_tariff, D(2027, 5, 15), quantity=1), user=operator
        )
        base.period = base_tariff.periods.get(count=12)
        services.subscription_save(subscription=base, user=operator)

    posted.refresh_from_db()
    draft.refresh_from_db()
    # Posted: its end and price as posted (5 months to 14.09.2027).
    assert (posted.ends_on, posted.amount) == (D(2027, 9, 14), Decimal("30000"))
    # The draft follows the base: 10 months to 14.03.2028, at today's price.
    assert (draft.ends_on, draft.amount) == (D(2028, 3, 14), Decimal("30000"))
    assert draft.history.first().history_change_reason == (
        f"Изменение подписки на тариф № {base.number}"
    )
    assert not list(invariants.find_violations())


def test_an_early_end_after_the_base_was_lengthened_keeps_the_posted_end_by_contract(
    subscriber, base_tariff, session_tariff, operator
):
    with clock.today_is(MARCH_TODAY):
        base = factories.SubscriptionFactory(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=6),
            starts_on=D(2027, 3, 15),
        )
        posted = services.extension_save(
            extension=until_end(base, session_tariff, D(2027, 4, 15), quantity=1),
            user=operator,
            post=True,
        )
        base.period = base_tariff.periods.get(count=12)
        services.subscription_save(subscription=base, user=operator)
        ended = services.extension_end_early(
            extension=posted, last_day=D(2027, 7, 14), reason="Клиент отказался", user=operator
        )

    ended.refresh_from_db()
    # By contract it ran to the base's end as posted (14.09.2027), not to the new one.
    assert (ended.ends_on, ended.planned_ends_on) == (D(2027, 7, 14), D(2027, 9, 14))
    assert ended.amount == Decimal("15000")
    assert not list(invariants.find_violations())


def test_a_shortened_base_moves_its_draft_with_it(
    subscriber, base_tariff, session_tariff, operator
):
    with clock.today_is(MARCH_TODAY):
        base = factories.SubscriptionFactory(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=12),
            starts_on=D(2027, 3, 15),
        )
        draft = services.extension_save(
            extension=until_end(base, session_tariff, D(2027, 4, 15), quantity=1), user=operator
        )
        base.period = base_tariff.periods.get(count=3)
        services.subscription_save(subscription=base, user=operator)

    draft.refresh_from_db()
    assert (draft.ends_on, draft.amount) == (D(2027, 6, 14), Decimal("6000"))


# --- Renewal carries it -----------------------------------------------------------------


def test_renewal_carries_it_as_one_ending_with_the_renewal(
    base_year_from_15_march_2027, base_tariff, session_tariff, operator
):
    with clock.today_is(MARCH_TODAY):
        carried = services.extension_save(
            extension=until_end(base_year_from_15_march_2027, session_tariff, D(2027, 8, 3)),
            user=operator,
            post=True,
        )
        year = base_tariff.periods.get(count=12)
        plan = carry_plan(
            carried,
            offered_periods_by_tariff([session_tariff.pk])[session_tariff.pk],
            renewal_period=year,
            starts_on=D(2028, 3, 15),
            today=MARCH_TODAY,
        )
        renewal = services.subscription_renew(
            subscription=base_year_from_15_march_2027,
            period=year,
            copy_extensions=True,
            user=operator,
        )

    [copy] = renewal.extensions.all()
    assert copy.until_base_end and copy.period_id is None
    assert (copy.starts_on, copy.ends_on) == (D(2028, 3, 15), renewal.ends_on)
    assert (copy.quantity, copy.amount) == (2, Decimal("72000"))  # 12 months × 3 000 × 2
    assert plan.describe() == (
        "до окончания подписки на тариф, с 15.03.2028 по 14.03.2029 (12 мес.), 72\u00a0000\u00a0₸"
    )


def test_renewal_gives_it_a_period_when_its_tariff_no_longer_offers_it(
    base_year_from_15_march_2027, base_tariff, session_tariff, operator, admin_user
):
    with clock.today_is(MARCH_TODAY):
        services.extension_save(
            extension=until_end(base_year_from_15_march_2027, session_tariff, D(2027, 8, 3)),
            user=operator,
            post=True,
        )
        tariff = Tariff.objects.get(pk=session_tariff.pk)
        tariff.offers_until_base_end = False
        services.tariff_save(tariff=tariff, user=admin_user)
        renewal = services.subscription_renew(
            subscription=base_year_from_15_march_2027,
            period=base_tariff.periods.get(count=12),
            copy_extensions=True,
            user=operator,
        )

    [copy] = renewal.extensions.all()
    assert not copy.until_base_end
    assert copy.period == session_tariff.periods.get(count=12)


# --- The tariff's setting -------------------------------------------------------------------


def test_a_base_tariff_never_offers_it(base_tariff):
    tariff = Tariff.objects.get(pk=base_tariff.pk)
    tariff.offers_until_base_end = True
    tariff.full_clean()
    tariff.save()

    assert Tariff.objects.get(pk=base_tariff.pk).offers_until_base_end is False
    with pytest.raises(IntegrityError), transaction.atomic():
        Tariff.objects.filter(pk=base_tariff.pk).update(offers_until_base_end=True)


def test_an_extension_tariff_offers_it_by_default(session_tariff):
    assert session_tariff.offers_until_base_end is True
    assert session_tariff.month_period() == TariffPeriod.objects.get(tariff=session_tariff, count=1)


def test_the_invariants_hold_with_extensions_to_the_base_end(
    base_year_from_15_march_2027, session_tariff, operator
):
    services.extension_save(
        extension=until_end(base_year_from_15_march_2027, session_tariff, D(2027, 8, 3)),
        user=operator,
        post=True,
    )
    services.extension_save(
        extension=until_end(
            base_year_from_15_march_2027, session_tariff, D(2027, 9, 1), quantity=1
        ),
        user=operator,
    )

    assert list(invariants.find_violations()) == []
