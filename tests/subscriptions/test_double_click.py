"""A double click on «Провести и закрыть» of the base form makes one document, and both
clicks show it.

The one-time token decides before the rules do: the twin of a submitted form
that arrives while (or after) the first one commits must not be refused by
the overlap rule (R11) that the first one's document now trips — it shows the
first one's result.
"""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from cabinet.views import documents as document_views
from subscriptions import services
from subscriptions.models import Status, Subscription
from tests import factories
from tests.conftest import requires_postgres
from tests.races import run_together


def base_form_data(tariff, today, token):
    return {
        "tariff": tariff.pk,
        "period": tariff.periods.get(count=12).pk,
        "starts_on": today.strftime("%d.%m.%Y"),
        "request_token": str(token),
        "action": "post",
    }


@pytest.mark.django_db
def test_the_twin_that_committed_during_validation_shows_the_first_result(
    client, monkeypatch, subscriber, base_tariff, operator, today
):
    token = uuid.uuid4()
    data = base_form_data(base_tariff, today, token)
    real_form = document_views.SubscriptionForm

    class FormWhoseTwinCommitsFirst(real_form):
        """While this request validates, its twin (same token) commits its document."""

        def full_clean(self):
            if self.is_bound and not Subscription.objects.filter(request_token=token).exists():
                services.subscription_save(
                    subscription=Subscription(
                        subscriber=subscriber,
                        tariff=base_tariff,
                        period=base_tariff.periods.get(count=12),
                        starts_on=today,
                        status=Status.POSTED,
                    ),
                    user=operator,
                    request_token=token,
                )
            super().full_clean()

    monkeypatch.setattr(document_views, "SubscriptionForm", FormWhoseTwinCommitsFirst)
    client.force_login(operator)

    response = client.post(reverse("subscription_create", args=[subscriber.pk]), data)

    first = Subscription.objects.get(request_token=token)
    assert response.status_code == 302, response.context["form"].errors
    assert response.url == reverse("subscriber_subscriptions", args=[subscriber.pk])
    shown = [str(m) for m in client.get(response.url).context["messages"]]
    assert f"Подписка на тариф № {first.number} проведена." in shown
    assert Subscription.objects.filter(subscriber=subscriber).count() == 1


@pytest.mark.django_db
def test_a_form_refused_for_its_own_reasons_is_still_refused(
    client, subscriber, base_tariff, operator, today
):
    factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=today,
    )
    client.force_login(operator)

    response = client.post(
        reverse("subscription_create", args=[subscriber.pk]),
        base_form_data(base_tariff, today, uuid.uuid4()),
    )

    assert response.status_code == 400
    assert "starts_on" in response.context["form"].errors
    assert Subscription.objects.filter(subscriber=subscriber).count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_twins_of_the_base_form_all_show_one_document(
    organization, base_tariff, operator, today
):
    rounds = 12
    for _ in range(rounds):
        subscriber = factories.SubscriberFactory(organization=organization)
        data = base_form_data(base_tariff, today, uuid.uuid4())
        url = reverse("subscription_create", args=[subscriber.pk])
        clients = [Client(), Client()]
        for twin in clients:
            twin.force_login(operator)
        answers = []

        def submit(twin, url=url, data=data, answers=answers):
            answers.append(twin.post(url, data))

        outcomes = run_together(*(lambda c=c: submit(c) for c in clients))

        assert outcomes == ["done", "done"], outcomes
        assert [a.status_code for a in answers] == [302, 302], [
            a.context["form"].errors for a in answers if a.status_code != 302
        ]
        assert Subscription.objects.filter(subscriber=subscriber).count() == 1
