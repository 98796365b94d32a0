"""The service owner's admin: requisites changed through the service, price lists read-only."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import OrganizationRequisites, PartnerPrice
from billing.services import PriceChange, price_list_save, requisites_save

from .conftest import TYPED_REQUISITES


@pytest.fixture
def saved(organization, owner, session_tariff, today):
    requisites = requisites_save(organization=organization, data=TYPED_REQUISITES, user=owner)
    price_list_save(
        organization=organization,
        changes=[PriceChange(session_tariff.periods.get(count=1), Decimal("3500"))],
        valid_from=today,
        user=owner,
    )
    return requisites, PartnerPrice.objects.get()


@pytest.mark.parametrize("model", ["organizationrequisites", "partnerprice"])
def test_the_lists_and_pages_open(admin_client, saved, model):
    obj = saved[0] if model == "organizationrequisites" else saved[1]
    for name, args in (("changelist", []), ("change", [obj.pk]), ("history", [obj.pk])):
        response = admin_client.get(reverse(f"admin:billing_{model}_{name}", args=args))
        assert response.status_code == 200, name
    search = admin_client.get(reverse(f"admin:billing_{model}_changelist"), {"q": "Демо"})
    assert search.status_code == 200 and search.context["cl"].result_count == 1


def test_the_price_history_cannot_be_added_changed_or_deleted(admin_client, saved):
    row = saved[1]
    assert admin_client.get(reverse("admin:billing_partnerprice_add")).status_code == 403
    page = admin_client.get(reverse("admin:billing_partnerprice_change", args=[row.pk]))
    assert 'name="price"' not in page.content.decode()
    assert "3\u00a0500\u00a0₸" in page.content.decode()
    deleted = admin_client.post(reverse("admin:billing_partnerprice_delete", args=[row.pk]))
    assert deleted.status_code == 403 and PartnerPrice.objects.filter(pk=row.pk).exists()


def test_the_service_owner_corrects_requisites_through_the_service(admin_client, admin_user, saved):
    requisites = saved[0]
    url = reverse("admin:billing_organizationrequisites_change", args=[requisites.pk])
    data = {**TYPED_REQUISITES, "vat_rate": "12", "invoice_due_days": "10"}

    refused = admin_client.post(url, {**data, "iik": "KZ87125KZT5004100100"})
    saved_response = admin_client.post(url, data)

    assert refused.status_code == 200
    assert "не проходит проверку контрольных цифр" in refused.content.decode()
    assert saved_response.status_code == 302
    stored = OrganizationRequisites.objects.get()
    assert (stored.invoice_due_days, stored.iik) == (10, "KZ86125KZT5004100100")
    assert stored.history.latest("history_id").history_user == admin_user
