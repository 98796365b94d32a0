"""The admin's lists at any size (issue 13): a page of 25 rows in a fixed number of
queries, searches that reach the rows through indexes, and the same page as Django
would draw it."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from subscribers.models import ServiceOrganization, Subscriber
from subscriptions.models import ExtensionSubscription, ReminderSent, Subscription
from tests import factories

pytestmark = pytest.mark.django_db


def _url(model, view="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _listed(response):
    return list(response.context["cl"].result_list)


def _period(tariff, months):
    return tariff.periods.get(periodicity="month", count=months)


def _documents(n, base_tariff, session_tariff, today, **subscriber):
    bases = []
    for _ in range(n):
        base = factories.SubscriptionFactory(
            tariff=base_tariff,
            starts_on=today,
            **{f"subscriber__{k}": v for k, v in subscriber.items()},
        )
        factories.ExtensionFactory(
            subscription=base, tariff=session_tariff, period=_period(session_tariff, 1)
        )
        bases.append(base)
    return bases


def _reminders(n, base_tariff, today):
    for index in range(n):
        base = factories.SubscriptionFactory(tariff=base_tariff, starts_on=today)
        ReminderSent.objects.create(
            subscription=base,
            threshold_days=(30, 14, 3)[index % 3],
            ends_on=base.ends_on,
            recipients="owner@example.kz",
        )


# --- a fixed number of queries, however many rows --------------------------------------


@pytest.mark.parametrize("model", [Subscriber, ServiceOrganization, ReminderSent])
def test_a_change_list_runs_the_same_queries_for_few_rows_and_for_more_than_a_page(
    admin_client, django_assert_max_num_queries, base_tariff, today, model
):
    def add_rows(n):
        if model is ReminderSent:
            _reminders(n, base_tariff, today)
        elif model is ServiceOrganization:
            for _ in range(n):
                factories.SubscriberFactory(organization=factories.OrganizationFactory())
        else:
            factories.SubscriberFactory.create_batch(n)

    add_rows(2)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(_url(model)).status_code == 200
    add_rows(30)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(_url(model))

    assert response.status_code == 200
    assert len(_listed(response)) == 25


@pytest.mark.parametrize(
    "model", [Subscription, ExtensionSubscription, Subscriber, ServiceOrganization, ReminderSent]
)
def test_the_big_lists_show_25_rows_a_page(model):
    assert admin.site.get_model_admin(model).list_per_page == 25


def test_the_reminders_list_asks_no_distinct_of_the_whole_table(admin_client, base_tariff, today):
    # given reminders at two thresholds
    _reminders(2, base_tariff, today)

    # when the list opens, and filtered by a threshold
    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(_url(ReminderSent))
    filtered = admin_client.get(_url(ReminderSent), {"threshold_days": "14"})

    # then neither the threshold filter nor the date hierarchy ran a DISTINCT over the table
    assert response.status_code == 200
    assert not any("DISTINCT" in query["sql"].upper() for query in ctx.captured_queries)
    # the thresholds offered are the tariffs' («30,14,3»), the years those that have reminders
    assert "threshold_days=14" in response.text and "threshold_days=3" in response.text
    assert f"sent_at__year={today.year}" in response.text
    assert [r.threshold_days for r in _listed(filtered)] == [14]
    # a threshold that cannot be one lists nothing, never a 500
    assert _listed(admin_client.get(_url(ReminderSent), {"threshold_days": "abc"})) == []


# --- searches through indexes ---------------------------------------------------------


def test_the_subscriber_search_finds_as_the_cabinet_does(admin_client, organization):
    target = factories.SubscriberFactory(
        organization=organization, name='ТОО "Ромашка"', email="buh@romashka.kz"
    )
    other = factories.SubscriberFactory(organization=organization, name='ИП "Василек"')

    def found(text):
        return _listed(admin_client.get(_url(Subscriber), {"q": text}))

    assert found("ромаш") == [target]  # a part of the name, any case
    assert target in found(target.code[:5])  # the start of the code
    assert found(target.code) == [target]
    assert found(target.bin_iin) == [target]
    assert found("buh@romashka") == [target]  # with an «@»: the e-mail
    assert found('ТОО "Ромашка"') == [target]  # a quoted phrase
    assert found("ТОО Ромашка") == [target]  # every word must match
    assert found("Василек Ромашка") == []
    assert set(found("")) == {target, other}


def test_the_subscriber_search_compares_codes_as_stored(admin_client, subscriber):
    # Django's «=code» compared UPPER(code), which no index serves.
    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(_url(Subscriber), {"q": subscriber.code})

    assert _listed(response) == [subscriber]
    searched = [q["sql"] for q in ctx.captured_queries if "subscribers_subscriber" in q["sql"]]
    assert not any('UPPER("subscribers_subscriber"."code"' in sql for sql in searched)


def test_the_subscriber_autocomplete_of_a_document_uses_the_same_search(
    admin_client, subscriber, organization
):
    factories.SubscriberFactory(organization=organization, name='ТОО "Другой"')

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": subscriber.code,
            "app_label": "subscriptions",
            "model_name": "subscription",
            "field_name": "subscriber",
        },
    )

    assert [item["id"] for item in response.json()["results"]] == [str(subscriber.pk)]


@pytest.mark.parametrize("model", [Subscription, ExtensionSubscription])
def test_the_document_search_finds_by_number_subscriber_and_partner(
    admin_client, base_tariff, session_tariff, today, model
):
    mine = factories.OrganizationFactory(name="Солнечный Сервис")
    (base,) = _documents(1, base_tariff, session_tariff, today, organization=mine,
                         name='ТОО "Ромашка"')  # fmt: skip
    _documents(1, base_tariff, session_tariff, today, name='ИП "Василек"')
    document = base if model is Subscription else base.extensions.get()
    subscriber = base.subscriber

    def found(text):
        return _listed(admin_client.get(_url(model), {"q": text}))

    assert found("Солнечный") == [document]  # a part of the partner's name
    assert found("солнечный сервис") == [document]  # its whole name: that partner's list
    assert found("ромашка") == [document]  # the subscriber's name
    assert found(subscriber.code) == [document]  # its code
    assert found(document.number) == [document]  # the number, and a Latin T or P for it
    assert found(document.number.replace("Т", "T").replace("Р", "P")) == [document]
    assert found(document.number[-4:]) == [document]  # a part of the number
    assert found("Солнечный Василек") == []
    if model is ExtensionSubscription:
        assert found(base.number) == [document]  # the base's number


@pytest.mark.parametrize("model", [Subscription, ExtensionSubscription])
def test_a_searched_document_list_runs_the_same_queries_for_more_rows(
    admin_client, django_assert_max_num_queries, base_tariff, session_tariff, today, model
):
    mine = factories.OrganizationFactory(name="Солнечный Сервис")
    _documents(2, base_tariff, session_tariff, today, organization=mine)
    url = _url(model)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url, {"q": "Солнечный"}).status_code == 200
    _documents(27, base_tariff, session_tariff, today, organization=mine)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(url, {"q": "Солнечный"})

    assert len(_listed(response)) == 25
    assert response.context["cl"].result_count == 29


# --- the same page as Django draws ------------------------------------------------------


@pytest.mark.parametrize("model", [Subscription, Subscriber])
def test_the_action_checkbox_is_the_input_django_renders(
    admin_client, base_tariff, session_tariff, today, model
):
    (base,) = _documents(1, base_tariff, session_tariff, today, name='ТОО "Кавычки <&>"')
    obj = base if model is Subscription else base.subscriber
    ours = admin.site.get_model_admin(model)

    assert ours.action_checkbox(obj) == ModelAdmin.action_checkbox(ours, obj)
    response = admin_client.get(_url(model))
    assert str(ours.action_checkbox(obj)) in response.text
    assert 'id="action-toggle"' in response.text


def test_a_tariff_with_a_long_history_pages_it(admin_client, base_tariff):
    from benchmarks.admin_lists import HISTORY_REASON, long_history

    with long_history(base_tariff, versions=120):
        response = admin_client.get(_url(type(base_tariff), "history", base_tariff.pk))
        assert response.status_code == 200
        assert response.context["page_obj"].paginator.count >= 120
        assert len(response.context["page_obj"].object_list) == 25
    assert not type(base_tariff).history.filter(history_change_reason=HISTORY_REASON).exists()


def test_a_reminder_date_hierarchy_starts_at_the_first_year_sent(admin_client, base_tariff, today):
    base = factories.SubscriptionFactory(tariff=base_tariff, starts_on=today)
    ReminderSent.objects.create(
        subscription=base, threshold_days=30, ends_on=base.ends_on, recipients="a@example.kz",
        sent_at=datetime.datetime(today.year - 2, 6, 1, 9, tzinfo=datetime.UTC),
    )  # fmt: skip

    response = admin_client.get(_url(ReminderSent))

    assert f"sent_at__year={today.year - 2}" in response.text
    assert f"sent_at__year={today.year - 3}" not in response.text


# --- the count of a filtered list ---------------------------------------------------------


def test_a_filtered_count_is_exact_up_to_its_cap(organization, monkeypatch):
    from common.admin import LargeTablePaginator

    factories.SubscriberFactory.create_batch(5, organization=organization)
    found = Subscriber.objects.filter(organization=organization)
    monkeypatch.setattr(LargeTablePaginator, "COUNT_UP_TO", 5)

    with CaptureQueriesContext(connection) as ctx:
        count = LargeTablePaginator(found, 2).count

    assert count == 5
    assert len(ctx.captured_queries) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN's estimate is PostgreSQL's")
def test_past_its_cap_a_filtered_count_is_the_planners_estimate(organization, monkeypatch):
    from common.admin import LargeTablePaginator

    factories.SubscriberFactory.create_batch(5, organization=organization)
    found = Subscriber.objects.filter(organization=organization)
    monkeypatch.setattr(LargeTablePaginator, "COUNT_UP_TO", 2)

    with CaptureQueriesContext(connection) as ctx:
        count = LargeTablePaginator(found, 2).count

    # counted no further than the cap, then one EXPLAIN: never below what was counted
    assert count == max(LargeTablePaginator._planner_rows(found), 3)
    assert "LIMIT 3" in ctx.captured_queries[0]["sql"]
    assert ctx.captured_queries[1]["sql"].startswith("EXPLAIN")
    assert len(ctx.captured_queries) == 2
