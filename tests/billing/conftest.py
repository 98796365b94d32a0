"""What the billing tests share: complete requisites, another partner's owner."""

from decimal import Decimal

import pytest

from tests import factories

# Requisites as a partner would type them (the codes with spaces and in lower case).
TYPED_REQUISITES = {
    "legal_name": "ТОО «Демо-партнер»",
    "bin": "940440000128",
    "legal_address": "г. Алматы, пр. Абая, 10",
    "bank_name": "АО «Народный Банк Казахстана»",
    "bik": "hsbk kz kx",
    "iik": "kz86 125k zt50 0410 0100",
    "kbe": "17",
    "director_name": "Ахметов А. А.",
    "accountant_name": "Искакова Б. Б.",
    "pays_vat": False,
    "vat_rate": "12",
    "invoice_due_days": "5",
}

STORED_REQUISITES = {
    **TYPED_REQUISITES,
    "bik": "HSBKKZKX",
    "iik": "KZ86125KZT5004100100",
    "vat_rate": Decimal("12"),
    "invoice_due_days": 5,
}


@pytest.fixture
def other_owner(other_organization):
    user = factories.UserFactory(username="other-owner")
    factories.MembershipFactory(organization=other_organization, user=user, role="owner")
    return user
