"""The rules on one row of billing: in the model's validators (the message next to the
field) and in the database (a CheckConstraint), both tested."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from billing.models import OrganizationRequisites, PartnerPrice

from .conftest import STORED_REQUISITES, TYPED_REQUISITES

DAY = datetime.timedelta(days=1)


def codes(error: ValidationError) -> dict:
    return {field: {e.code for e in errors} for field, errors in error.error_dict.items()}


@pytest.fixture
def requisites(organization):
    return OrganizationRequisites(organization=organization, **STORED_REQUISITES)


def test_complete_requisites_pass(requisites):
    requisites.full_clean()


def test_codes_typed_with_spaces_are_stored_as_the_bank_prints_them(organization):
    typed = OrganizationRequisites(organization=organization, **TYPED_REQUISITES)
    typed.full_clean()
    assert (typed.bik, typed.iik) == ("HSBKKZKX", "KZ86125KZT5004100100")


def test_defaults_are_no_vat_at_12_percent_and_5_days(organization):
    assert (OrganizationRequisites().pays_vat, OrganizationRequisites().vat_rate) == (
        False,
        Decimal("12"),
    )
    assert OrganizationRequisites().invoice_due_days == 5


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("vat_rate", Decimal("-0.01"), "min_value"),
        ("vat_rate", Decimal("100.01"), "max_value"),
        ("invoice_due_days", 0, "min_value"),
        ("invoice_due_days", 91, "max_value"),
        ("bin", "940440000125", "bin_iin_checksum"),
        ("iik", "KZ87125KZT5004100100", "iik_checksum"),
        ("bik", "HSBKRUKX", "bik_format"),
        ("kbe", "30", "kbe_format"),
        ("legal_name", "", "blank"),
        ("director_name", "", "blank"),
    ],
)
def test_a_wrong_value_is_refused_next_to_its_field(requisites, field, value, code):
    setattr(requisites, field, value)
    with pytest.raises(ValidationError) as error:
        requisites.full_clean()
    assert code in codes(error.value)[field]


@pytest.mark.parametrize("vat_rate", [Decimal("0"), Decimal("100")])
def test_the_vat_rate_boundaries_pass(requisites, vat_rate):
    requisites.vat_rate = vat_rate
    requisites.full_clean()


@pytest.mark.parametrize(
    ("field", "value"),
    [("vat_rate", Decimal("100.5")), ("vat_rate", Decimal("-1")), ("invoice_due_days", 0)],
)
def test_the_database_refuses_what_the_validators_refuse(requisites, field, value):
    setattr(requisites, field, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        requisites.save()


def test_a_partner_price_below_zero_is_refused_by_the_database(organization, session_tariff, today):
    period = session_tariff.periods.get(count=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerPrice.objects.create(
            organization=organization, period=period, price=Decimal("-1"), valid_from=today
        )


def test_two_prices_of_one_period_from_one_day_are_refused(organization, session_tariff, today):
    period = session_tariff.periods.get(count=1)
    PartnerPrice.objects.create(organization=organization, period=period, price=1, valid_from=today)
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerPrice.objects.create(
            organization=organization, period=period, price=2, valid_from=today
        )


def test_a_new_price_from_yesterday_is_refused(organization, session_tariff, today):
    row = PartnerPrice(
        organization=organization,
        period=session_tariff.periods.get(count=1),
        price=Decimal("3500"),
        valid_from=today - DAY,
    )
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert codes(error.value)["valid_from"] == {"valid_from_in_past"}


def test_a_price_outside_the_business_range_is_refused(organization, session_tariff):
    row = PartnerPrice(
        organization=organization,
        period=session_tariff.periods.get(count=1),
        price=Decimal("3500"),
        valid_from=datetime.date(2100, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "valid_from" in codes(error.value)
