"""billing/services.py: requisites and price-list changes, written under the organization's
lock with who and when; and posting, which keeps both prices on the document (R16)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.models import OrganizationRequisites, PartnerPrice
from billing.services import PriceChange, price_change_cancel, price_list_save, requisites_save
from subscriptions import clock, services
from subscriptions.models import ExtensionSubscription, Status, Subscription
from tests import factories

from .conftest import STORED_REQUISITES, TYPED_REQUISITES

DAY = datetime.timedelta(days=1)


# --- Requisites ---------------------------------------------------------------------------


def test_requisites_are_created_then_changed_with_who_and_when(organization, owner, admin_user):
    requisites_save(organization=organization, data=TYPED_REQUISITES, user=owner)
    requisites_save(
        organization=organization,
        data={**TYPED_REQUISITES, "pays_vat": True, "vat_rate": Decimal("12")},
        user=admin_user,
    )

    stored = OrganizationRequisites.objects.get()
    assert {name: getattr(stored, name) for name in STORED_REQUISITES} == {
        **STORED_REQUISITES,
        "pays_vat": True,
    }
    history = list(stored.history.order_by("history_id"))
    assert [(h.history_user, h.history_change_reason, h.pays_vat) for h in history] == [
        (owner, "Создание", False),
        (admin_user, "Изменение", True),
    ]
    assert all(h.history_date is not None for h in history)


def test_refused_requisites_write_nothing(organization, owner):
    with pytest.raises(ValidationError) as error:
        requisites_save(
            organization=organization,
            data={**TYPED_REQUISITES, "iik": "KZ87125KZT5004100100", "kbe": "3"},
            user=owner,
        )
    assert set(error.value.error_dict) == {"iik", "kbe"}
    assert not OrganizationRequisites.objects.exists()


# --- The price list -----------------------------------------------------------------------


@pytest.fixture
def month_of_sessions(session_tariff):
    return session_tariff.periods.get(count=1)


def test_a_price_change_is_recorded_with_who_and_when(
    organization, owner, month_of_sessions, today
):
    written = price_list_save(
        organization=organization,
        changes=[PriceChange(month_of_sessions, Decimal("3500"))],
        valid_from=today + 5 * DAY,
        user=owner,
    )

    row = PartnerPrice.objects.get()
    assert written == [row]
    assert (row.price, row.valid_from, row.created_by) == (Decimal("3500"), today + 5 * DAY, owner)
    record = row.history.get()
    assert (record.history_user, record.history_change_reason) == (owner, "Цена партнера")


def test_an_unchanged_price_writes_nothing(organization, owner, month_of_sessions, today):
    # empty (the service's price) where there is no own price yet
    assert (
        price_list_save(
            organization=organization,
            changes=[PriceChange(month_of_sessions, None)],
            valid_from=today,
            user=owner,
        )
        == []
    )
    price_list_save(
        organization=organization,
        changes=[PriceChange(month_of_sessions, Decimal("3500"))],
        valid_from=today,
        user=owner,
    )
    # the same price again, from a later day: it is already in effect then
    price_list_save(
        organization=organization,
        changes=[PriceChange(month_of_sessions, Decimal("3500"))],
        valid_from=today + 3 * DAY,
        user=owner,
    )
    assert PartnerPrice.objects.count() == 1


def test_a_change_from_the_same_day_replaces_the_scheduled_one(
    organization, owner, admin_user, month_of_sessions, today
):
    day = today + 7 * DAY
    for price, user in ((Decimal("3500"), owner), (Decimal("3600"), admin_user)):
        price_list_save(
            organization=organization,
            changes=[PriceChange(month_of_sessions, price)],
            valid_from=day,
            user=user,
        )

    row = PartnerPrice.objects.get()
    assert (row.price, row.created_by) == (Decimal("3600"), admin_user)
    assert [h.price for h in row.history.order_by("history_id")] == [
        Decimal("3500"),
        Decimal("3600"),
    ]


def test_back_to_the_services_price_from_a_day(organization, owner, month_of_sessions, today):
    price_list_save(
        organization=organization,
        changes=[PriceChange(month_of_sessions, Decimal("3500"))],
        valid_from=today,
        user=owner,
    )
    price_list_save(
        organization=organization,
        changes=[PriceChange(month_of_sessions, None)],
        valid_from=today + 10 * DAY,
        user=owner,
    )
    assert list(PartnerPrice.objects.order_by("valid_from").values_list("price", flat=True)) == [
        Decimal("3500"),
        None,
    ]


def test_a_change_from_a_past_day_is_refused(organization, owner, month_of_sessions, today):
    with pytest.raises(ValidationError) as error:
        price_list_save(
            organization=organization,
            changes=[PriceChange(month_of_sessions, Decimal("3500"))],
            valid_from=today - DAY,
            user=owner,
        )
    assert error.value.error_dict["valid_from"][0].code == "valid_from_in_past"
    assert not PartnerPrice.objects.exists()


def test_a_negative_price_is_refused_and_nothing_of_the_batch_is_written(
    organization, owner, session_tariff, today
):
    month, quarter = session_tariff.periods.get(count=1), session_tariff.periods.get(count=3)
    with pytest.raises(ValidationError):
        price_list_save(
            organization=organization,
            changes=[PriceChange(month, Decimal("3500")), PriceChange(quarter, Decimal("-1"))],
            valid_from=today,
            user=owner,
        )
    assert not PartnerPrice.objects.exists()


def test_only_a_scheduled_change_can_be_cancelled(organization, owner, month_of_sessions, today):
    price_list_save(
        organization=organization,
        changes=[PriceChange(month_of_sessions, Decimal("3500"))],
        valid_from=today,
        user=owner,
    )
    price_list_save(
        organization=organization,
        changes=[PriceChange(month_of_sessions, Decimal("4000"))],
        valid_from=today + DAY,
        user=owner,
    )
    started, scheduled = PartnerPrice.objects.order_by("valid_from")

    with pytest.raises(ValidationError) as error:
        price_change_cancel(organization=organization, pk=started.pk, user=owner)
    assert error.value.code == "price_change_started"

    price_change_cancel(organization=organization, pk=scheduled.pk, user=owner)
    assert list(PartnerPrice.objects.all()) == [started]
    deleted = PartnerPrice.history.filter(history_type="-").get()
    assert (deleted.history_user, deleted.price) == (owner, Decimal("4000"))


def test_another_partners_change_cannot_be_cancelled(
    organization, other_organization, owner, month_of_sessions, today
):
    theirs = PartnerPrice.objects.create(
        organization=other_organization, period=month_of_sessions, price=1, valid_from=today + DAY
    )
    with pytest.raises(ValidationError) as error:
        price_change_cancel(organization=organization, pk=theirs.pk, user=owner)
    assert error.value.code == "price_change_missing"
    assert PartnerPrice.objects.filter(pk=theirs.pk).exists()


# --- Posting keeps both prices (R16) --------------------------------------------------------


def set_price(organization, period, price, valid_from, user=None):
    price_list_save(
        organization=organization,
        changes=[PriceChange(period, Decimal(price))],
        valid_from=valid_from,
        user=user,
    )


def new_extension(base, tariff, *, starts_on, quantity=2, **kwargs):
    return ExtensionSubscription(
        subscription=base,
        tariff=tariff,
        period=kwargs.pop("period", tariff.periods.get(count=1)),
        starts_on=starts_on,
        quantity=quantity,
        **kwargs,
    )


def test_posting_an_extension_keeps_the_services_and_the_partners_price(
    organization, operator, base_twelve_months, session_tariff, month_of_sessions, today
):
    set_price(organization, month_of_sessions, "3500", today)

    extension = services.extension_save(
        extension=new_extension(base_twelve_months, session_tariff, starts_on=today, quantity=2),
        user=operator,
        post=True,
    )

    extension.refresh_from_db()
    assert (extension.unit_price, extension.amount) == (Decimal("3000"), Decimal("6000"))
    assert (extension.partner_unit_price, extension.partner_amount) == (
        Decimal("3500"),
        Decimal("7000"),
    )


@pytest.mark.parametrize(
    ("posted_in_days", "partner_unit"),
    [(4, Decimal("3000")), (5, Decimal("3500"))],
    ids=["the day before the change", "the day it applies"],
)
def test_posting_takes_the_partner_price_of_the_posting_day(
    organization,
    operator,
    base_twelve_months,
    session_tariff,
    month_of_sessions,
    today,
    posted_in_days,
    partner_unit,
):
    set_price(organization, month_of_sessions, "3500", today + 5 * DAY)
    draft = services.extension_save(
        extension=new_extension(base_twelve_months, session_tariff, starts_on=today + 20 * DAY),
        user=operator,
    )

    with clock.today_is(today + posted_in_days * DAY):
        posted = services.extension_post(extension=draft, user=operator)

    assert posted.partner_unit_price == partner_unit
    assert posted.partner_amount == partner_unit * 2


def test_a_later_price_change_does_not_rewrite_a_posted_document(
    organization, owner, operator, admin_user, base_twelve_months, session_tariff, today
):
    month = session_tariff.periods.get(count=1)
    set_price(organization, month, "3500", today)
    posted = services.extension_save(
        extension=new_extension(base_twelve_months, session_tariff, starts_on=today),
        user=operator,
        post=True,
    )

    set_price(organization, month, "9999", today, user=owner)
    month.price = Decimal("5000")
    services.tariff_period_save(period=month, user=admin_user)

    posted.refresh_from_db()
    assert (posted.unit_price, posted.amount) == (Decimal("3000"), Decimal("6000"))
    assert (posted.partner_unit_price, posted.partner_amount) == (
        Decimal("3500"),
        Decimal("7000"),
    )


def test_unposting_forgets_both_prices(
    organization, operator, base_twelve_months, session_tariff, month_of_sessions, today
):
    set_price(organization, month_of_sessions, "3500", today)
    posted = services.extension_save(
        extension=new_extension(base_twelve_months, session_tariff, starts_on=today + DAY),
        user=operator,
        post=True,
    )

    draft = services.extension_unpost(extension=posted, user=operator)

    draft.refresh_from_db()
    assert (draft.unit_price, draft.amount, draft.partner_unit_price, draft.partner_amount) == (
        None,
        None,
        None,
        None,
    )


def test_an_extension_until_the_bases_end_keeps_the_partners_span_price(
    organization, operator, base_year_from_15_march_2027, session_tariff
):
    """15.03.2027–14.03.2028 base; from 20.03.2027 to its end: 11 months and 24 days."""
    month = session_tariff.periods.get(count=1)
    with clock.today_is(datetime.date(2027, 3, 20)):
        set_price(organization, month, "3600", datetime.date(2027, 3, 20))
        posted = services.extension_save(
            extension=new_extension(
                base_year_from_15_march_2027,
                session_tariff,
                starts_on=datetime.date(2027, 3, 20),
                quantity=1,
                period=None,
                until_base_end=True,
            ),
            user=operator,
            post=True,
        )

    # 11 months + 24 days at 3 000 ₸ and at 3 600 ₸ a month (a day is 1/30 of it)
    assert posted.amount == Decimal("3000") * 11 + Decimal("3000") * 24 / 30
    assert posted.partner_amount == Decimal("3600") * 11 + Decimal("3600") * 24 / 30


def test_a_quantity_change_prices_the_replacement_at_the_partners_month_price(
    organization, operator, base_twelve_months, session_tariff, today
):
    month = session_tariff.periods.get(count=1)
    quarter = session_tariff.periods.get(count=3)
    posted = services.extension_save(
        extension=new_extension(
            base_twelve_months, session_tariff, starts_on=today, quantity=2, period=quarter
        ),
        user=operator,
        post=True,
    )
    set_price(organization, month, "4000", today)

    with clock.today_is(today + DAY):
        replacement = services.extension_change_quantity(
            extension=posted, change_on=today + DAY, quantity=3, user=operator
        )

    old = ExtensionSubscription.objects.get(pk=posted.pk)
    assert old.partner_amount == Decimal("17000")  # kept: 8 500 ₸ × 2, posted before the change
    ratio = Decimal("4000") / Decimal("3000")
    assert replacement.partner_unit_price == (replacement.unit_price * ratio).quantize(Decimal("1"))
    assert replacement.partner_amount == replacement.partner_unit_price * 3


def test_posting_a_base_keeps_both_prices(organization, operator, subscriber, base_tariff, today):
    month = base_tariff.periods.get(count=1)
    set_price(organization, month, "15000", today)
    draft = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=month,
        starts_on=today + 400 * DAY,
        status=Status.DRAFT,
    )
    assert (draft.amount, draft.partner_amount) == (None, None)

    posted = services.subscription_post(subscription=draft, user=operator)

    posted = Subscription.objects.get(pk=posted.pk)
    assert (posted.amount, posted.partner_amount) == (Decimal("12000"), Decimal("15000"))
    assert posted.current_amount == Decimal("12000")

    services.subscription_unpost(subscription=posted, user=operator)
    assert Subscription.objects.filter(pk=posted.pk).values_list(
        "amount", "partner_amount"
    ).get() == (None, None)


def test_a_renewal_and_its_carried_extensions_keep_the_partners_prices(
    organization,
    operator,
    base_three_months,
    extensions_of_base_three_months,
    base_tariff,
    session_tariff,
    today,
):
    year = base_tariff.periods.get(count=12)
    set_price(organization, year, "100000", today)
    set_price(organization, session_tariff.periods.get(count=1), "3300", today)

    renewal = services.subscription_renew(
        subscription=base_three_months, period=year, copy_extensions=True, user=operator
    )

    assert (renewal.amount, renewal.partner_amount) == (Decimal("120000"), Decimal("100000"))
    copies = ExtensionSubscription.objects.filter(subscription=renewal)
    assert copies.exists()
    for copy in copies:
        assert copy.partner_amount is not None and copy.amount is not None
