import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.admin import LargeTablePaginator
from subscribers.models import Membership, ServiceOrganization, Subscriber
from tests import factories
from tests.admin_forms import page_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(organization, owner, subscriber):
    return {
        ServiceOrganization: organization,
        Membership: owner.membership,
        Subscriber: subscriber,
    }


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", [ServiceOrganization, Membership, Subscriber])
def test_every_admin_page_opens(admin_client, objects, model):
    obj = objects[model]

    assert admin_client.get(_url(model, "changelist")).status_code == 200
    assert admin_client.get(_url(model, "changelist"), {"q": "Ромашка"}).status_code == 200
    assert admin_client.get(_url(model, "add")).status_code == 200
    assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200
    history = admin_client.get(_url(model, "history", obj.pk))
    assert history.status_code == 200


def test_subscriber_search_finds_by_exact_code(admin_client, subscriber, organization):
    factories.SubscriberFactory(organization=organization, name='ТОО "Другой"')

    response = admin_client.get(_url(Subscriber, "changelist"), {"q": subscriber.code})

    assert list(response.context["cl"].result_list) == [subscriber]


def test_subscriber_with_wrong_bin_is_refused_and_nothing_saved(admin_client, organization):
    page = admin_client.get(_url(Subscriber, "add"))
    data = page_data(page)
    data.update(organization=str(organization.pk), name='ТОО "Опечатка"', bin_iin="123456789012")

    response = admin_client.post(_url(Subscriber, "add"), data)

    assert response.status_code == 200
    assert "не проходит проверку контрольной цифры" in response.content.decode()
    assert not Subscriber.objects.filter(name='ТОО "Опечатка"').exists()


def test_subscriber_added_in_admin_gets_a_code(admin_client, organization):
    data = page_data(admin_client.get(_url(Subscriber, "add")))
    data.update(
        organization=str(organization.pk),
        name='ТОО "Новый"',
        bin_iin=factories.valid_bin_iin(77),
        code="",
    )

    response = admin_client.post(_url(Subscriber, "add"), data)

    assert response.status_code == 302
    created = Subscriber.objects.get(name='ТОО "Новый"')
    assert len(created.code) == 12
    assert created.history.count() == 1


def test_organization_page_lists_its_staff_inline(admin_client, organization, owner, operator):
    response = admin_client.get(_url(ServiceOrganization, "change", organization.pk))

    (inline,) = response.context["inline_admin_formsets"]
    assert {form.instance.user.username for form in inline.formset.forms} == {"owner", "operator"}


def test_organization_list_counts_subscribers(admin_client, organization, other_organization):
    factories.SubscriberFactory.create_batch(3, organization=organization)

    response = admin_client.get(_url(ServiceOrganization, "changelist"))

    counts = {o.name: o.subscriber_total for o in response.context["cl"].result_list}
    assert counts == {"Демо-партнер": 3, "Другой партнер": 0}


def test_paginator_counts_exactly_when_filtered_or_small(organization):
    factories.SubscriberFactory.create_batch(3, organization=organization)
    factories.SubscriberFactory(organization=factories.OrganizationFactory())

    assert LargeTablePaginator(Subscriber.objects.all(), 2).count == 4
    assert LargeTablePaginator(Subscriber.objects.filter(organization=organization), 2).count == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reltuples is PostgreSQL's")
def test_paginator_uses_the_planner_estimate_for_a_large_unfiltered_table(
    organization, monkeypatch
):
    factories.SubscriberFactory.create_batch(5, organization=organization)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE subscribers_subscriber")
    monkeypatch.setattr(LargeTablePaginator, "ESTIMATE_FROM_ROWS", 1)

    paginator = LargeTablePaginator(Subscriber.objects.all(), 2)

    assert paginator._estimated_rows() is not None
    assert paginator.count == paginator._estimated_rows()
    filtered = LargeTablePaginator(Subscriber.objects.filter(organization=organization), 2)
    assert filtered._estimated_rows() is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reltuples is PostgreSQL's")
def test_paginator_counts_a_small_unfiltered_table_in_one_statement(organization):
    factories.SubscriberFactory.create_batch(3, organization=organization)

    with CaptureQueriesContext(connection) as ctx:
        count = LargeTablePaginator(Subscriber.objects.all(), 2).count

    assert count == 3
    assert len(ctx.captured_queries) == 1


@pytest.mark.parametrize("model", [ServiceOrganization, Membership, Subscriber])
def test_no_historical_version_can_be_restored(admin_client, objects, model, other_organization):
    obj = objects[model]
    record = obj.history.latest()
    url = reverse(
        f"admin:{model._meta.app_label}_{model._meta.model_name}_simple_history",
        args=[obj.pk, record.pk],
    )
    before = obj.history.count()

    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"organization": other_organization.pk}).status_code == 403
    assert obj.history.count() == before
