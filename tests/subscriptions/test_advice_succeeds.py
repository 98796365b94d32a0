"""Every refusal's advice would succeed (issue 14: «messages that lead somewhere»).

For each refusal that advises a value — a date, a period, a quantity — the test
builds the refused situation, takes the advised value from the error
(`params["advice"]`, {field: value}, a period by its pk; `params["alternative"]`
when the message offers a second choice), applies it and writes again through
`subscriptions/services.py`, as the cabinet does: the write now succeeds. Each
situation is one where the advice the messages used to give (the base's start,
«today», «a shorter period», the day after the overlapping base) is refused
again, so each test fails with the old advice.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from subscriptions import clock, rules, services
from subscriptions.models import ExtensionSubscription, Status, Subscription, TariffPeriod
from subscriptions.periods import Periodicity, add_months, latest_start_ending_by, period_end
from tests import factories
from tests.cabinet.pages import field_errors, page_form

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


# --- Helpers ------------------------------------------------------------------------------


def refusal(write) -> ValidationError:
    """The ValidationError `write()` raises (the test fails if it succeeds)."""
    with pytest.raises(ValidationError) as refused:
        write()
    return refused.value


def the_error(error: ValidationError, field: str, code: str) -> ValidationError:
    """The refusal with `code` next to `field` (NON_FIELD_ERRORS: "__all__")."""
    found = [e for e in error.error_dict.get(field, []) if e.code == code]
    assert found, f"no {code} on {field}: {error}"
    return found[0]


def advice(error: ValidationError, key: str = rules.ADVICE) -> dict:
    assert key in error.params, f"the refusal advises no value: {error.message}"
    return error.params[key]


def message(error: ValidationError) -> str:
    return error.message % error.params


def applied(document, values: dict):
    """`document` with the advised values: a period by its pk, the rest as they are."""
    for field, value in values.items():
        if field == "period":
            document.period = TariffPeriod.objects.get(pk=value) if value is not None else None
        else:
            setattr(document, field, value)
    return document


def extension(base, tariff, *, count=1, starts_on, quantity=1, pk=None):
    """A new extension as the cabinet's form builds it (its base fixed by the page)."""
    return ExtensionSubscription(
        pk=pk,
        subscription=base,
        tariff=tariff,
        period=tariff.periods.get(count=count),
        starts_on=starts_on,
        quantity=quantity,
    )


def post_extension(document, user):
    return services.extension_save(extension=document, user=user, post=True)


def posted_base(subscriber, tariff, *, count, starts_on):
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=tariff,
        period=tariff.periods.get(count=count),
        starts_on=starts_on,
    )


# --- R4: a start before the base's ----------------------------------------------------------


def test_start_before_a_base_that_began_in_the_past_is_advised_today(
    operator, base_twelve_months, session_tariff, today
):
    # The base began 30 days ago: its start would be refused as a start in the past (R7).
    base = base_twelve_months
    refused = extension(base, session_tariff, starts_on=base.starts_on - DAY)

    error = the_error(
        refusal(lambda: post_extension(refused, operator)),
        "starts_on",
        "extension_starts_before_base",
    )

    assert advice(error) == {"starts_on": today}
    saved = post_extension(applied(refused, advice(error)), operator)
    assert saved.is_posted and saved.starts_on == today
    # The old advice, «не ранее <the base's start>», is refused again.
    old = extension(base, session_tariff, starts_on=base.starts_on)
    assert refusal(lambda: post_extension(old, operator)).error_dict["starts_on"]


def test_start_before_a_base_that_begins_later_is_advised_its_start_and_a_period_that_fits(
    operator, subscriber, base_tariff, session_tariff, today
):
    # A quarter that begins in 20 days; six months of sessions cannot fit it from any day.
    base = posted_base(subscriber, base_tariff, count=3, starts_on=today + 20 * DAY)
    refused = extension(base, session_tariff, count=6, starts_on=base.starts_on - 5 * DAY)

    error = the_error(
        refusal(lambda: post_extension(refused, operator)),
        "starts_on",
        "extension_starts_before_base",
    )

    three_months = session_tariff.periods.get(count=3)
    assert advice(error) == {"starts_on": base.starts_on, "period": three_months.pk}
    assert "не длиннее «3 месяца»" in message(error)
    saved = post_extension(applied(refused, advice(error)), operator)
    assert saved.is_posted and saved.ends_on == base.ends_on
    # The old advice, the base's start alone, is refused again: six months outrun it.
    old = extension(base, session_tariff, count=6, starts_on=base.starts_on)
    assert refusal(lambda: post_extension(old, operator)).error_dict["period"]


def test_start_before_a_base_that_begins_later_keeps_the_period_when_it_fits(
    operator, subscriber, base_tariff, session_tariff, today
):
    base = posted_base(subscriber, base_tariff, count=3, starts_on=today + 20 * DAY)
    refused = extension(base, session_tariff, count=1, starts_on=base.starts_on - DAY)

    error = the_error(
        refusal(lambda: post_extension(refused, operator)),
        "starts_on",
        "extension_starts_before_base",
    )

    assert advice(error) == {"starts_on": base.starts_on}
    assert post_extension(applied(refused, advice(error)), operator).is_posted


# --- R5: an end after the base's ------------------------------------------------------------


def test_start_after_the_base_end_is_advised_the_latest_start_not_a_shorter_period(
    operator, base_three_months, session_tariff
):
    base = base_three_months
    refused = extension(base, session_tariff, count=1, starts_on=base.ends_on + 10 * DAY)

    error = the_error(
        refusal(lambda: post_extension(refused, operator)), "period", "extension_ends_after_base"
    )

    latest = latest_start_ending_by(base.ends_on, Periodicity.MONTH, 1)
    assert advice(error) == {"starts_on": latest}
    assert "короткий" not in message(error)
    saved = post_extension(applied(refused, advice(error)), operator)
    assert saved.is_posted and saved.ends_on <= base.ends_on
    # The old advice, «a shorter period», cannot help a start after the base's end.
    for period in session_tariff.periods.all():
        shorter = extension(base, session_tariff, starts_on=base.ends_on + 10 * DAY)
        shorter.period = period
        assert refusal(lambda d=shorter: post_extension(d, operator)).error_dict["period"]


def test_end_after_the_base_end_is_advised_the_longest_period_that_fits(
    operator, base_twelve_months, session_tariff, today
):
    # Twelve months from today outrun a year that began 30 days ago.
    refused = extension(base_twelve_months, session_tariff, count=12, starts_on=today)

    error = the_error(
        refusal(lambda: post_extension(refused, operator)), "period", "extension_ends_after_base"
    )

    assert advice(error) == {"period": session_tariff.periods.get(count=6).pk}
    saved = post_extension(applied(refused, advice(error)), operator)
    assert saved.is_posted and saved.starts_on == today


def test_end_after_the_base_end_with_no_shorter_period_left_is_advised_an_earlier_start(
    operator, base_twelve_months, session_tariff
):
    # 20 days before the base's end not even a month fits: only an earlier start helps.
    base = base_twelve_months
    refused = extension(base, session_tariff, count=3, starts_on=base.ends_on - 20 * DAY)

    error = the_error(
        refusal(lambda: post_extension(refused, operator)), "period", "extension_ends_after_base"
    )

    assert advice(error) == {
        "starts_on": latest_start_ending_by(base.ends_on, Periodicity.MONTH, 3)
    }
    assert post_extension(applied(refused, advice(error)), operator).is_posted


def test_end_after_the_base_end_offers_a_period_or_a_start_and_both_succeed(
    operator, subscriber, base_tariff, session_tariff, today
):
    two_years = factories.TariffPeriodFactory(
        tariff=base_tariff, periodicity=Periodicity.YEAR, count=2, price=230000
    )
    base = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=two_years,
        starts_on=today - 30 * DAY,
    )
    starts_on = base.ends_on - 200 * DAY

    error = the_error(
        refusal(
            lambda: post_extension(
                extension(base, session_tariff, count=12, starts_on=starts_on), operator
            )
        ),
        "period",
        "extension_ends_after_base",
    )

    assert advice(error) == {"period": session_tariff.periods.get(count=6).pk}
    latest = latest_start_ending_by(base.ends_on, Periodicity.MONTH, 12)
    assert advice(error, rules.ALTERNATIVE) == {"starts_on": latest}
    for values in (advice(error), advice(error, rules.ALTERNATIVE)):
        document = extension(base, session_tariff, count=12, starts_on=starts_on)
        assert post_extension(applied(document, values), operator).is_posted


def test_when_no_period_fits_the_advice_is_to_the_base_end_where_the_tariff_offers_it(
    operator, subscriber, base_tariff, session_tariff, today
):
    # A month of the base that ends in 10 days: no period of the tariff fits from today.
    base = posted_base(subscriber, base_tariff, count=1, starts_on=today - 20 * DAY)
    assert base.ends_on < add_months(today, 1) - DAY
    refused = extension(base, session_tariff, starts_on=today)

    error = the_error(
        refusal(lambda: post_extension(refused, operator)), "period", "extension_ends_after_base"
    )

    assert advice(error) == {"starts_on": today, "period": None, "until_base_end": True}
    assert "«до окончания подписки на тариф»" in message(error)
    saved = post_extension(applied(refused, advice(error)), operator)
    assert saved.is_posted and saved.ends_on == base.ends_on


def test_when_no_period_fits_and_the_tariff_has_no_base_end_option_the_advice_is_to_renew(
    operator, admin_user, subscriber, base_tariff, session_tariff, today
):
    session_tariff.offers_until_base_end = False
    services.tariff_save(tariff=session_tariff, user=admin_user)
    base = posted_base(subscriber, base_tariff, count=1, starts_on=today - 20 * DAY)

    error = the_error(
        refusal(lambda: post_extension(extension(base, session_tariff, starts_on=today), operator)),
        "period",
        "extension_ends_after_base",
    )

    assert rules.ADVICE not in error.params
    assert "«Продлить»" in message(error)
    renewal = services.subscription_renew(
        subscription=base,
        period=base_tariff.periods.get(count=1),
        copy_extensions=False,
        user=operator,
    )
    on_renewal = extension(renewal, session_tariff, starts_on=renewal.starts_on)
    assert post_extension(on_renewal, operator).is_posted


# --- R7: posting with a start in the past ---------------------------------------------------


def test_posting_with_a_start_in_the_past_is_advised_a_start_and_period_that_can_be_posted(
    operator, base_twelve_months, session_tariff, today
):
    # From today twelve months would outrun the base: «today» alone would be refused.
    refused = extension(base_twelve_months, session_tariff, count=12, starts_on=today - DAY)

    error = the_error(
        refusal(lambda: post_extension(refused, operator)), "starts_on", "extension_starts_in_past"
    )

    assert advice(error) == {"starts_on": today, "period": session_tariff.periods.get(count=6).pk}
    assert post_extension(applied(refused, advice(error)), operator).is_posted
    # The old advice, «не ранее <today>» with the chosen period, is refused again.
    old = extension(base_twelve_months, session_tariff, count=12, starts_on=today)
    assert refusal(lambda: post_extension(old, operator)).error_dict["period"]


def test_posting_a_late_draft_from_its_card_is_advised_a_start_and_period_that_can_be_posted(
    operator, subscriber, base_tariff, session_tariff
):
    week = factories.TariffPeriodFactory(
        tariff=session_tariff, periodicity=Periodicity.WEEK, count=1, price=800
    )
    with clock.today_is(datetime.date(2027, 6, 10)) as today:
        # A month of the base from 08.06 to 07.07, and a draft month of sessions with it.
        base = posted_base(subscriber, base_tariff, count=1, starts_on=today - 2 * DAY)
        draft = factories.ExtensionFactory(
            subscription=base,
            tariff=session_tariff,
            period=session_tariff.periods.get(periodicity=Periodicity.MONTH, count=1),
            starts_on=base.starts_on,
            status=Status.DRAFT,
        )

        error = the_error(
            refusal(lambda: services.extension_post(extension=draft, user=operator)),
            "starts_on",
            "extension_starts_in_past",
        )

        # From today a month would end on 09.07, after the base: a week still fits.
        assert advice(error) == {"starts_on": today, "period": week.pk}
        draft.refresh_from_db()
        assert post_extension(applied(draft, advice(error)), operator).is_posted


# --- R8: the quantity -----------------------------------------------------------------------


def test_quantity_above_the_maximum_is_advised_the_maximum(
    operator, base_twelve_months, session_tariff, today
):
    refused = extension(base_twelve_months, session_tariff, starts_on=today, quantity=11)

    error = the_error(
        refusal(lambda: post_extension(refused, operator)), "quantity", "quantity_above_max"
    )

    assert advice(error) == {"quantity": 10}
    saved = post_extension(applied(refused, advice(error)), operator)
    assert saved.is_posted and saved.quantity == 10


def test_lowering_a_maximum_below_a_posted_quantity_is_advised_the_lowest_that_keeps_it(
    admin_user, sessions_extension, session_tariff
):
    session_tariff.max_quantity = 1  # `sessions_extension` is posted × 2

    error = the_error(
        refusal(lambda: services.tariff_save(tariff=session_tariff, user=admin_user)),
        "max_quantity",
        "max_quantity_in_use",
    )

    assert advice(error) == {"max_quantity": 2}
    assert services.tariff_save(tariff=applied(session_tariff, advice(error)), user=admin_user)


# --- R11: overlapping bases -----------------------------------------------------------------


def test_overlapping_base_is_advised_the_first_start_free_of_every_posted_base(
    operator, subscriber, base_tariff, base_twelve_months, today
):
    # Another posted year begins 40 days after the current one ends: the day after the
    # current one is not free for a year.
    later = posted_base(
        subscriber, base_tariff, count=12, starts_on=base_twelve_months.ends_on + 40 * DAY
    )
    refused = Subscription(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=today,
        status=Status.POSTED,
    )

    error = the_error(
        refusal(lambda: services.subscription_save(subscription=refused, user=operator)),
        "starts_on",
        "base_overlaps",
    )

    assert advice(error) == {"starts_on": later.ends_on + DAY}
    # The old advice, the day after the overlapping base, overlaps the later one.
    old = Subscription(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=base_twelve_months.ends_on + DAY,
        status=Status.POSTED,
    )
    assert refusal(lambda: services.subscription_save(subscription=old, user=operator))
    saved = services.subscription_save(subscription=applied(refused, advice(error)), user=operator)
    assert saved.is_posted


def test_a_renewal_overlapping_a_later_base_is_advised_a_period_that_ends_before_it(
    operator, subscriber, base_tariff, base_three_months
):
    base = base_three_months
    # A posted month begins a month and 5 days after the base ends.
    later = posted_base(
        subscriber, base_tariff, count=1, starts_on=add_months(base.ends_on + DAY, 1) + 5 * DAY
    )

    error = the_error(
        refusal(
            lambda: services.subscription_renew(
                subscription=base,
                period=base_tariff.periods.get(count=12),
                copy_extensions=False,
                user=operator,
            )
        ),
        "period",
        "base_overlaps",
    )

    assert advice(error) == {"period": base_tariff.periods.get(count=1).pk}
    assert f"№ {later.number}" in message(error)
    renewal = services.subscription_renew(
        subscription=base,
        period=TariffPeriod.objects.get(pk=advice(error)["period"]),
        copy_extensions=False,
        user=operator,
    )
    assert renewal.is_posted and renewal.ends_on < later.starts_on


# --- Renewal ---------------------------------------------------------------------------------


def renew(base, user, *, copy_extensions=False, period=None):
    return services.subscription_renew(
        subscription=base, period=period or base.period, copy_extensions=copy_extensions, user=user
    )


def test_renewing_a_renewed_base_is_advised_to_renew_its_renewal(operator, base_three_months):
    renewal = renew(base_three_months, operator)

    error = refusal(lambda: renew(base_three_months, operator))

    assert error.code == "already_renewed"
    assert advice(error) == {"subscription": renewal.pk}
    renewed_again = renew(Subscription.objects.get(pk=advice(error)["subscription"]), operator)
    assert renewed_again.renews_id == renewal.pk


def test_renewing_on_a_retired_tariff_is_advised_a_new_base_from_the_day_after(
    operator, admin_user, subscriber, base_three_months
):
    base = base_three_months
    base.tariff.is_active = False
    services.tariff_save(tariff=base.tariff, user=admin_user)

    error = refusal(lambda: renew(Subscription.objects.get(pk=base.pk), operator))

    assert error.code == "tariff_inactive"
    assert advice(error) == {"starts_on": base.ends_on + DAY}
    active = factories.BaseTariffFactory(name="Бизнес")
    new_base = Subscription(
        subscriber=subscriber,
        tariff=active,
        period=factories.TariffPeriodFactory(tariff=active, count=12),
        status=Status.POSTED,
    )
    saved = services.subscription_save(subscription=applied(new_base, advice(error)), user=operator)
    assert saved.is_posted and saved.starts_on == base.ends_on + DAY


def test_carrying_an_extension_into_a_renewal_begun_in_the_past_is_advised_to_untick_it(
    operator, subscriber, base_tariff, session_tariff, today
):
    # A month that ended 3 days ago, with a month of sessions that ended with it.
    base = posted_base(subscriber, base_tariff, count=1, starts_on=add_months(today, -1) - 2 * DAY)
    factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=base.starts_on,
    )
    assert base.ends_on < today

    error = the_error(
        refusal(lambda: renew(base, operator, copy_extensions=True)),
        "copy_extensions",
        "carry_refused",
    )

    assert advice(error) == {"copy_extensions": False}
    assert renew(base, operator, **advice(error)).is_posted


def test_a_renewal_not_adjacent_to_its_base_is_advised_the_day_after(
    operator, subscriber, base_tariff, base_three_months
):
    draft = Subscription(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=3),
        starts_on=base_three_months.ends_on + 5 * DAY,
        renews=base_three_months,
    )

    error = the_error(
        refusal(lambda: services.subscription_save(subscription=draft, user=operator)),
        "starts_on",
        "renewal_not_adjacent",
    )

    assert advice(error) == {"starts_on": base_three_months.ends_on + DAY}
    assert services.subscription_save(subscription=applied(draft, advice(error)), user=operator)


# --- R10: a base change that would strand its extensions ------------------------------------


def test_shortening_a_base_under_its_extensions_is_advised_the_shortest_period_that_keeps_them(
    operator, base_twelve_months, session_tariff, today
):
    base = base_twelve_months
    factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=3),
        starts_on=add_months(base.starts_on, 3),
    )
    base.period = base.tariff.periods.get(count=3)

    error = the_error(
        refusal(lambda: services.subscription_save(subscription=base, user=operator)),
        "__all__",
        "base_change_strands_extensions",
    )

    assert advice(error) == {"period": base.tariff.periods.get(count=6).pk}
    saved = services.subscription_save(subscription=applied(base, advice(error)), user=operator)
    assert saved.period.count == 6


def test_moving_a_base_past_its_extensions_start_is_advised_the_latest_start_that_keeps_them(
    operator, base_twelve_months, session_tariff, sessions_extension, today
):
    base = base_twelve_months
    base.starts_on = today + 5 * DAY  # after `sessions_extension` begins (today)

    error = the_error(
        refusal(lambda: services.subscription_save(subscription=base, user=operator)),
        "__all__",
        "base_change_strands_extensions",
    )

    assert advice(error) == {"starts_on": today}
    saved = services.subscription_save(subscription=applied(base, advice(error)), user=operator)
    assert saved.starts_on == today


# --- R18: a period that would end past the business range -----------------------------------


def test_a_period_ending_past_2099_is_advised_the_latest_start_that_ends_in_range(
    operator, subscriber, base_tariff
):
    draft = Subscription(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=datetime.date(2099, 6, 15),
    )

    error = the_error(
        refusal(lambda: services.subscription_save(subscription=draft, user=operator)),
        "starts_on",
        "period_out_of_range",
    )

    assert advice(error) == {"starts_on": datetime.date(2099, 1, 1)}
    saved = services.subscription_save(subscription=applied(draft, advice(error)), user=operator)
    assert saved.ends_on == datetime.date(2099, 12, 31)


# --- The cabinet's form: the advice as the page shows it -------------------------------------


def test_the_extension_forms_advice_is_a_value_the_form_then_posts(
    logged_in, operator, base_twelve_months, session_tariff, today
):
    # The case: the base's start is in the past, so «не ранее <base start>» would
    # be refused again.
    url = reverse("extension_create", args=[base_twelve_months.pk])
    client = logged_in(operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=1).pk,
        starts_on=(base_twelve_months.starts_on - DAY).isoformat(),
        quantity="1",
        action="post",
    )

    refused = client.post(url, data)

    assert refused.status_code == 400
    [error] = refused.context["form"].errors.as_data()["starts_on"]
    assert error.code == "extension_starts_before_base"
    assert f"с {today.strftime('%d.%m.%Y')} по" in field_errors(refused, "starts_on")[0]
    data["starts_on"] = advice(error)["starts_on"].isoformat()
    posted = client.post(url, data)
    assert posted.status_code == 302
    assert ExtensionSubscription.objects.get().starts_on == today


# --- The arithmetic behind the advised starts (periods.py) ---------------------------------


@pytest.mark.parametrize(
    ("last_day", "periodicity", "count", "latest"),
    [
        (datetime.date(2027, 4, 30), Periodicity.MONTH, 1, datetime.date(2027, 4, 1)),
        # Clamped: a quarter from 30.01 or 31.01.2024 ends on 29.04.2024 (30.04 − 1 day).
        (datetime.date(2024, 4, 29), Periodicity.QUARTER, 1, datetime.date(2024, 1, 31)),
        (datetime.date(2027, 3, 30), Periodicity.MONTH, 1, datetime.date(2027, 2, 28)),
        (datetime.date(2099, 12, 31), Periodicity.YEAR, 1, datetime.date(2099, 1, 1)),
        (datetime.date(2027, 6, 16), Periodicity.WEEK, 1, datetime.date(2027, 6, 10)),
    ],
)
def test_latest_start_is_the_last_day_from_which_the_period_still_ends_in_time(
    last_day, periodicity, count, latest
):
    assert latest_start_ending_by(last_day, periodicity, count) == latest
    assert period_end(latest, periodicity, count) <= last_day
    assert period_end(latest + DAY, periodicity, count) > last_day
