"""A subscriber's «Данные для счетов» (legal address, e-mail for invoices): written by
owners and operators through subscribers/services.py, shown on the card and in the admin."""

import pytest
from django.urls import reverse

from subscribers.models import Subscriber
from tests import factories
from tests.cabinet.pages import text_of


def url(subscriber):
    return reverse("subscriber_invoice_details", args=[subscriber.pk])


DETAILS = {"legal_address": "г. Астана, ул. Кенесары, 1", "invoice_email": "buh@romashka.kz"}


@pytest.mark.parametrize("who", ["owner", "operator"])
def test_owners_and_operators_record_them_and_the_card_shows_them(
    request, logged_in, subscriber, who
):
    user = request.getfixturevalue(who)
    client = logged_in(user)
    assert client.get(url(subscriber)).status_code == 200

    response = client.post(url(subscriber), DETAILS)

    assert response.status_code == 302
    assert response["Location"] == reverse("subscriber_detail", args=[subscriber.pk])
    stored = Subscriber.objects.get(pk=subscriber.pk)
    assert (stored.legal_address, stored.invoice_email) == tuple(DETAILS.values())
    assert stored.invoice_recipient == "buh@romashka.kz"
    record = stored.history.latest("history_id")
    assert (record.history_user, record.history_change_reason) == (user, "Данные для счетов")
    card = text_of(client.get(reverse("subscriber_detail", args=[subscriber.pk])))
    assert "г. Астана, ул. Кенесары, 1" in card and "buh@romashka.kz" in card


def test_without_an_e_mail_for_invoices_they_go_to_the_subscribers_e_mail(subscriber):
    subscriber.email = "info@romashka.kz"
    assert subscriber.invoice_recipient == "info@romashka.kz"


def test_only_these_two_fields_change(logged_in, operator, subscriber):
    # another user renamed the subscriber after this page was opened
    Subscriber.objects.filter(pk=subscriber.pk).update(name="ТОО «Ромашка-2»")

    logged_in(operator).post(url(subscriber), DETAILS)

    assert Subscriber.objects.get(pk=subscriber.pk).name == "ТОО «Ромашка-2»"


def test_a_wrong_e_mail_is_refused_next_to_its_field(logged_in, operator, subscriber):
    response = logged_in(operator).post(url(subscriber), {**DETAILS, "invoice_email": "buh@"})

    assert response.status_code == 200
    assert response.context["form"].errors["invoice_email"]
    assert Subscriber.objects.get(pk=subscriber.pk).invoice_email == ""


def test_a_user_who_reads_only_gets_a_403(logged_in, viewer, subscriber):
    client = logged_in(viewer)
    assert client.get(url(subscriber)).status_code == 403
    assert client.post(url(subscriber), DETAILS).status_code == 403
    assert Subscriber.objects.get(pk=subscriber.pk).legal_address == ""


def test_another_partners_subscriber_is_a_404(logged_in, other_operator, subscriber):
    client = logged_in(other_operator)
    assert client.get(url(subscriber)).status_code == 404
    assert client.post(url(subscriber), DETAILS).status_code == 404
    assert Subscriber.objects.get(pk=subscriber.pk).legal_address == ""


def test_the_admin_shows_them(admin_client, organization):
    subscriber = factories.SubscriberFactory(organization=organization, legal_address="Алматы")
    page = admin_client.get(reverse("admin:subscribers_subscriber_change", args=[subscriber.pk]))
    content = page.content.decode()
    assert 'name="legal_address"' in content and 'name="invoice_email"' in content
    assert "Для счетов" in content
