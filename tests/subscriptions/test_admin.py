import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.formatting import fmt
from subscriptions.models import (
    ExtensionSubscription,
    NumberSequence,
    Status,
    Subscription,
    Tariff,
    TariffPeriod,
)
from subscriptions.periods import Periodicity, latest_start_ending_by
from tests import factories
from tests.admin_forms import add_inline_row, page_data

pytestmark = pytest.mark.django_db

R5_TEXT = "а подписка на тариф — только по"
INLINE = "extensions"


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _counts():
    return (
        Subscription.objects.count(),
        ExtensionSubscription.objects.count(),
        LogEntry.objects.count(),
        list(NumberSequence.objects.order_by("name").values_list("last_value", flat=True)),
    )


def _messages(response):
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


@pytest.fixture
def posted_month_of_sessions(base_three_months, session_tariff, today):
    """A posted «Дополнительный сеанс» × 1 for a month from today on `base_three_months`."""
    return factories.ExtensionFactory(
        subscription=base_three_months,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today,
    )


def _period(tariff, months):
    return tariff.periods.get(periodicity="month", count=months)


# --- every page opens ----------------------------------------------------------


@pytest.mark.parametrize(
    "model", [Tariff, TariffPeriod, Subscription, ExtensionSubscription, NumberSequence]
)
def test_every_admin_page_opens(admin_client, posted_month_of_sessions, model):
    obj = {
        Tariff: posted_month_of_sessions.tariff,
        TariffPeriod: posted_month_of_sessions.period,
        Subscription: posted_month_of_sessions.subscription,
        ExtensionSubscription: posted_month_of_sessions,
        NumberSequence: NumberSequence.objects.first(),
    }[model]

    assert admin_client.get(_url(model, "changelist")).status_code == 200
    assert admin_client.get(_url(model, "changelist"), {"q": "Ромашка"}).status_code == 200
    assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200
    add = admin_client.get(_url(model, "add"))
    assert add.status_code == (403 if model is NumberSequence else 200)
    if model is not NumberSequence:
        assert admin_client.get(_url(model, "history", obj.pk)).status_code == 200


def test_subscription_list_filters_by_date_and_finds_by_number(
    admin_client, posted_month_of_sessions
):
    base = posted_month_of_sessions.subscription
    url = _url(Subscription, "changelist")

    by_number = admin_client.get(url, {"q": base.number})
    by_year = admin_client.get(url, {"starts_on__year": base.starts_on.year})

    assert list(by_number.context["cl"].result_list) == [base]
    assert list(by_year.context["cl"].result_list) == [base]


def test_a_historical_version_cannot_be_restored(admin_client, base_three_months):
    record = base_three_months.history.latest()
    url = reverse(
        "admin:subscriptions_subscription_simple_history", args=[base_three_months.pk, record.pk]
    )

    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"status": "draft"}).status_code == 403


# --- base subscriptions go through the services -----------------------------------


def test_base_added_as_posted_is_posted_by_the_service(
    admin_client, admin_user, subscriber, base_tariff, today
):
    data = page_data(admin_client.get(_url(Subscription, "add")))
    data.update(
        subscriber=str(subscriber.pk),
        tariff=str(base_tariff.pk),
        period=str(_period(base_tariff, 12).pk),
        starts_on=str(today),
        status=Status.POSTED,
    )

    response = admin_client.post(_url(Subscription, "add"), data)

    assert response.status_code == 302
    created = Subscription.objects.get()
    assert created.status == Status.POSTED
    assert created.posted_by == admin_user and created.created_by == admin_user
    assert created.ends_on == _period(base_tariff, 12).end_for(today)
    assert created.history.latest().history_user == admin_user


def test_changing_posted_base_so_posted_extension_falls_outside_is_refused(
    admin_client, base_three_months, posted_month_of_sessions
):
    page = admin_client.get(_url(Subscription, "change", base_three_months.pk))
    data = page_data(page)
    data["period"] = str(_period(base_three_months.tariff, 1).pk)
    before = _counts()

    response = admin_client.post(_url(Subscription, "change", base_three_months.pk), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any(f"№ {posted_month_of_sessions.number}" in error for error in errors)
    assert f"№ {posted_month_of_sessions.number}" in response.content.decode()
    base_three_months.refresh_from_db()
    assert base_three_months.period == _period(base_three_months.tariff, 3)
    assert _counts() == before


def test_unposting_base_in_form_with_posted_extension_is_refused(
    admin_client, base_three_months, posted_month_of_sessions
):
    data = page_data(admin_client.get(_url(Subscription, "change", base_three_months.pk)))
    data["status"] = Status.DRAFT

    response = admin_client.post(_url(Subscription, "change", base_three_months.pk), data)

    assert response.status_code == 200
    assert "Нельзя отменить проведение" in response.content.decode()
    base_three_months.refresh_from_db()
    assert base_three_months.status == Status.POSTED


def test_unposting_base_in_form_clears_who_posted(admin_client, base_three_months):
    data = page_data(admin_client.get(_url(Subscription, "change", base_three_months.pk)))
    data["status"] = Status.DRAFT

    response = admin_client.post(_url(Subscription, "change", base_three_months.pk), data)

    assert response.status_code == 302
    base_three_months.refresh_from_db()
    assert base_three_months.status == Status.DRAFT and base_three_months.posted_at is None


def test_posting_a_draft_base_in_form_saves_changes_then_posts(
    admin_client, admin_user, base_three_months
):
    Subscription.objects.filter(pk=base_three_months.pk).update(status=Status.DRAFT, posted_at=None)
    data = page_data(admin_client.get(_url(Subscription, "change", base_three_months.pk)))
    data.update(status=Status.POSTED, period=str(_period(base_three_months.tariff, 12).pk))

    response = admin_client.post(_url(Subscription, "change", base_three_months.pk), data)

    assert response.status_code == 302
    base_three_months.refresh_from_db()
    assert base_three_months.status == Status.POSTED and base_three_months.posted_by == admin_user
    assert base_three_months.ends_on == _period(base_three_months.tariff, 12).end_for(
        base_three_months.starts_on
    )
    reasons = list(base_three_months.history.values_list("history_change_reason", flat=True)[:2])
    assert reasons == ["Проведение", "Изменение"]


def test_a_refusal_under_the_lock_lands_on_the_form_and_saves_nothing(
    admin_client, subscriber, base_tariff, today, monkeypatch
):
    def busy(**kwargs):
        raise ValidationError("Эту подписку сейчас изменяет другой пользователь.", code="busy")

    monkeypatch.setattr("subscriptions.admin.subscription_save", busy)
    data = page_data(admin_client.get(_url(Subscription, "add")))
    data.update(
        subscriber=str(subscriber.pk),
        tariff=str(base_tariff.pk),
        period=str(_period(base_tariff, 12).pk),
        starts_on=str(today),
    )
    before = _counts()

    response = admin_client.post(_url(Subscription, "add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Эту подписку сейчас изменяет другой пользователь."
    ]
    assert _counts() == before


def test_deleting_a_posted_base_is_refused_with_a_message(admin_client, base_three_months):
    response = admin_client.post(
        _url(Subscription, "delete", base_three_months.pk), {"post": "yes"}, follow=True
    )

    assert (
        "error",
        f"№ {base_three_months.number}: "
        "Проведенную подписку удалить нельзя: сначала отмените проведение.",
    ) in _messages(response)
    assert Subscription.objects.filter(pk=base_three_months.pk).exists()


def test_deleting_a_draft_base_goes_through_the_service(admin_client, base_three_months):
    Subscription.objects.filter(pk=base_three_months.pk).update(status=Status.DRAFT)

    response = admin_client.post(
        _url(Subscription, "delete", base_three_months.pk), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Subscription.objects.filter(pk=base_three_months.pk).exists()


# --- extensions: the R5 refusal shows and saves nothing -------------------------


def test_extension_ending_after_base_is_refused_in_admin_add_form(
    admin_client, base_three_months, session_tariff, today
):
    data = page_data(admin_client.get(_url(ExtensionSubscription, "add")))
    data.update(
        subscription=str(base_three_months.pk),
        tariff=str(session_tariff.pk),
        period=str(_period(session_tariff, 3).pk),
        starts_on=str(today),
        quantity="1",
        status=Status.POSTED,
    )
    before = _counts()

    response = admin_client.post(_url(ExtensionSubscription, "add"), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert [e.code for e in form.errors.as_data()["period"]] == ["extension_ends_after_base"]
    assert f"{R5_TEXT} {fmt(base_three_months.ends_on)}" in response.content.decode()
    assert _counts() == before


def test_extension_added_in_admin_is_posted_with_its_price(
    admin_client, admin_user, base_three_months, session_tariff, today
):
    data = page_data(admin_client.get(_url(ExtensionSubscription, "add")))
    data.update(
        subscription=str(base_three_months.pk),
        tariff=str(session_tariff.pk),
        period=str(_period(session_tariff, 1).pk),
        starts_on=str(today),
        quantity="2",
        status=Status.POSTED,
    )

    response = admin_client.post(_url(ExtensionSubscription, "add"), data)

    assert response.status_code == 302
    created = ExtensionSubscription.objects.get()
    assert created.status == Status.POSTED and created.posted_by == admin_user
    assert created.amount == 2 * _period(session_tariff, 1).price


def test_inline_extension_ending_after_base_is_refused(
    admin_client, base_three_months, session_tariff, today
):
    data = page_data(admin_client.get(_url(Subscription, "change", base_three_months.pk)))
    add_inline_row(
        data,
        INLINE,
        {
            "tariff": str(session_tariff.pk),
            "period": str(_period(session_tariff, 3).pk),
            "starts_on": str(today),
            "quantity": "1",
            "status": Status.POSTED,
        },
    )
    before = _counts()

    response = admin_client.post(_url(Subscription, "change", base_three_months.pk), data)

    assert response.status_code == 200
    row = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert [e.code for e in row.errors.as_data()["period"]] == ["extension_ends_after_base"]
    assert R5_TEXT in response.content.decode()
    assert _counts() == before


def test_inline_extension_under_a_new_base_refused_late_saves_neither(
    admin_client, subscriber, base_tariff, session_tariff, today
):
    # The form cannot check R5 before the base exists: the service refuses it
    # after the base was written, and the whole request is rolled back.
    data = page_data(admin_client.get(_url(Subscription, "add")))
    data.update(
        subscriber=str(subscriber.pk),
        tariff=str(base_tariff.pk),
        period=str(_period(base_tariff, 1).pk),
        starts_on=str(today),
        status=Status.POSTED,
    )
    add_inline_row(
        data,
        INLINE,
        {
            "tariff": str(session_tariff.pk),
            "period": str(_period(session_tariff, 3).pk),
            "starts_on": str(today),
            "quantity": "1",
            "status": Status.POSTED,
        },
    )
    before = _counts()

    response = admin_client.post(_url(Subscription, "add"), data)

    assert response.status_code == 200
    row = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert [e.code for e in row.errors.as_data()["period"]] == ["extension_ends_after_base"]
    assert R5_TEXT in response.content.decode()
    assert response.context["adminform"].form["starts_on"].value() == str(today)
    assert _counts() == before


def test_posted_inline_extension_under_a_new_draft_base_is_refused(
    admin_client, subscriber, base_tariff, session_tariff, today
):
    data = page_data(admin_client.get(_url(Subscription, "add")))
    data.update(
        subscriber=str(subscriber.pk),
        tariff=str(base_tariff.pk),
        period=str(_period(base_tariff, 12).pk),
        starts_on=str(today),
        status=Status.DRAFT,
    )
    add_inline_row(
        data,
        INLINE,
        {
            "tariff": str(session_tariff.pk),
            "period": str(_period(session_tariff, 1).pk),
            "starts_on": str(today),
            "quantity": "1",
            "status": Status.POSTED,
        },
    )
    before = _counts()

    response = admin_client.post(_url(Subscription, "add"), data)

    assert response.status_code == 200
    row = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert [e.code for e in row.non_field_errors().as_data()] == ["base_not_posted"]
    assert _counts() == before


def test_new_base_with_inline_extensions_is_written_through_the_services(
    admin_client, subscriber, base_tariff, session_tariff, today
):
    data = page_data(admin_client.get(_url(Subscription, "add")))
    data.update(
        subscriber=str(subscriber.pk),
        tariff=str(base_tariff.pk),
        period=str(_period(base_tariff, 12).pk),
        starts_on=str(today),
        status=Status.POSTED,
    )
    for status in (Status.POSTED, Status.DRAFT):
        add_inline_row(
            data,
            INLINE,
            {
                "tariff": str(session_tariff.pk),
                "period": str(_period(session_tariff, 1).pk),
                "starts_on": str(today),
                "quantity": "3",
                "status": status,
            },
        )

    response = admin_client.post(_url(Subscription, "add"), data)

    assert response.status_code == 302
    base = Subscription.objects.get()
    assert sorted(base.extensions.values_list("status", flat=True)) == ["draft", "posted"]
    posted = base.extensions.get(status=Status.POSTED)
    assert posted.amount == 3 * _period(session_tariff, 1).price
    assert posted.history.latest().history_change_reason == "Проведение"


def test_posted_inline_extension_is_read_only_except_its_status(
    admin_client, base_three_months, posted_month_of_sessions
):
    response = admin_client.get(_url(Subscription, "change", base_three_months.pk))

    row = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert {name for name, field in row.fields.items() if not field.disabled} >= {"status"}
    assert row.fields["starts_on"].disabled and row.fields["quantity"].disabled
    assert not row.fields["status"].disabled


def test_unposting_an_inline_extension_through_its_status(
    admin_client, base_three_months, posted_month_of_sessions
):
    data = page_data(admin_client.get(_url(Subscription, "change", base_three_months.pk)))
    data[f"{INLINE}-0-status"] = Status.DRAFT

    response = admin_client.post(_url(Subscription, "change", base_three_months.pk), data)

    assert response.status_code == 302
    posted_month_of_sessions.refresh_from_db()
    assert (
        posted_month_of_sessions.status == Status.DRAFT and posted_month_of_sessions.amount is None
    )


def test_deleting_a_posted_inline_extension_is_refused_and_saves_nothing(
    admin_client, base_three_months, posted_month_of_sessions, session_tariff, today
):
    data = page_data(admin_client.get(_url(Subscription, "change", base_three_months.pk)))
    add_inline_row(
        data,
        INLINE,
        {
            "tariff": str(session_tariff.pk),
            "period": str(_period(session_tariff, 1).pk),
            "starts_on": str(today),
            "quantity": "1",
            "status": Status.DRAFT,
        },
    )
    data[f"{INLINE}-0-DELETE"] = "on"
    before = _counts()

    response = admin_client.post(_url(Subscription, "change", base_three_months.pk), data)

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.non_form_errors() == [
        f"№ {posted_month_of_sessions.number}: Проведенное расширение удалить нельзя: "
        "сначала отмените проведение."
    ]
    assert _counts() == before


# --- admin actions ------------------------------------------------------------------


def test_post_action_posts_each_draft_and_counts_them(admin_client, base_tariff, today):
    drafts = [
        factories.SubscriptionFactory(tariff=base_tariff, status=Status.DRAFT, starts_on=today)
        for _ in range(2)
    ]
    already = factories.SubscriptionFactory(tariff=base_tariff, starts_on=today)

    response = admin_client.post(
        _url(Subscription, "changelist"),
        {"action": "post_selected", "_selected_action": [s.pk for s in [*drafts, already]]},
        follow=True,
    )

    assert ("success", "Проведено подписок: 2.") in _messages(response)
    assert ("info", "Уже были проведены: 1.") in _messages(response)
    assert set(Subscription.objects.values_list("status", flat=True)) == {Status.POSTED}


def test_unpost_action_refuses_base_with_posted_extension_naming_it(
    admin_client, base_three_months, posted_month_of_sessions, base_tariff, today
):
    free = factories.SubscriptionFactory(tariff=base_tariff, starts_on=today)

    response = admin_client.post(
        _url(Subscription, "changelist"),
        {"action": "unpost_selected", "_selected_action": [base_three_months.pk, free.pk]},
        follow=True,
    )

    messages = _messages(response)
    assert ("success", "Отменено проведение подписок: 1.") in messages
    (error,) = [text for level, text in messages if level == "error"]
    assert error.startswith(f"№ {base_three_months.number}: Нельзя отменить проведение")
    assert f"№ {posted_month_of_sessions.number}" in error
    base_three_months.refresh_from_db()
    free.refresh_from_db()
    assert (base_three_months.status, free.status) == (Status.POSTED, Status.DRAFT)


def test_extension_actions_post_unpost_and_report_refusals(
    admin_client, base_three_months, session_tariff, today
):
    period = _period(session_tariff, 1)
    ready = factories.ExtensionFactory(
        subscription=base_three_months, tariff=session_tariff, period=period, status=Status.DRAFT
    )
    late = factories.ExtensionFactory(
        subscription=base_three_months,
        tariff=session_tariff,
        period=period,
        status=Status.DRAFT,
        starts_on=today - datetime.timedelta(days=1),
    )
    url = _url(ExtensionSubscription, "changelist")

    posted = admin_client.post(
        url, {"action": "post_selected", "_selected_action": [ready.pk, late.pk]}, follow=True
    )

    messages = _messages(posted)
    assert ("success", "Проведено расширений: 1.") in messages
    assert (
        "error",
        f"№ {late.number}: Расширение проводится с сегодняшнего дня или позже. С периодом "
        f"«1 месяц» выберите дату начала с {fmt(today)} по "
        f"{fmt(latest_start_ending_by(base_three_months.ends_on, Periodicity.MONTH, 1))}.",
    ) in messages
    ready.refresh_from_db()
    assert ready.status == Status.POSTED and ready.amount == period.price

    unposted = admin_client.post(
        url, {"action": "unpost_selected", "_selected_action": [ready.pk]}, follow=True
    )

    assert ("success", "Отменено проведение расширений: 1.") in _messages(unposted)
    ready.refresh_from_db()
    assert ready.status == Status.DRAFT


def test_actions_need_no_bulk_delete(admin_client):
    response = admin_client.get(_url(Subscription, "changelist"))

    choices = dict(response.context["action_form"].fields["action"].choices)
    assert set(choices) == {"", "post_selected", "unpost_selected"}


# --- tariffs -------------------------------------------------------------------


def test_tariff_offered_for_accepts_only_base_tariffs(
    admin_client, session_tariff, infobase_tariff
):
    url = _url(Tariff, "change", infobase_tariff.pk)
    data = page_data(admin_client.get(url))
    data["offered_for"] = [*data["offered_for"], str(session_tariff.pk)]

    response = admin_client.post(url, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert [e.code for e in form.errors.as_data()["offered_for"]] == ["offered_for_not_base"]
    assert "«Дополнительный сеанс» — не основной" in response.content.decode()
    assert list(infobase_tariff.offered_for.all()) == [session_tariff.offered_for.get()]


def test_base_tariff_is_offered_for_nothing(admin_client, base_tariff):
    other = factories.BaseTariffFactory(name="Базовый")
    url = _url(Tariff, "change", base_tariff.pk)
    data = page_data(admin_client.get(url))
    data["offered_for"] = [str(other.pk)]

    response = admin_client.post(url, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert [e.code for e in form.errors.as_data()["offered_for"]] == ["base_offered_for"]


def test_a_used_tariff_keeps_its_kind(admin_client, posted_month_of_sessions):
    tariff = posted_month_of_sessions.subscription.tariff
    url = _url(Tariff, "change", tariff.pk)
    data = page_data(admin_client.get(url))
    data.update(kind=Tariff.Kind.EXTENSION, resource="sessions", max_quantity="5")

    response = admin_client.post(url, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert [e.code for e in form.errors.as_data()["kind"]] == ["tariff_in_use"]
    tariff.refresh_from_db()
    assert tariff.kind == Tariff.Kind.BASE


def test_a_used_period_keeps_its_length(admin_client, posted_month_of_sessions):
    period = posted_month_of_sessions.period
    unused = factories.TariffPeriodFactory(tariff=period.tariff, count=2, price=5000)

    used_page = admin_client.get(_url(TariffPeriod, "change", period.pk))
    unused_page = admin_client.get(_url(TariffPeriod, "change", unused.pk))

    assert used_page.context["adminform"].form.fields["count"].disabled
    assert not unused_page.context["adminform"].form.fields["count"].disabled


def test_a_posted_extension_page_lets_only_its_status_change(
    admin_client, posted_month_of_sessions
):
    url = _url(ExtensionSubscription, "change", posted_month_of_sessions.pk)
    page = admin_client.get(url)
    data = page_data(page)
    assert set(page.context["adminform"].form.fields) == {"status"}
    data["status"] = Status.DRAFT

    response = admin_client.post(url, data)

    assert response.status_code == 302
    posted_month_of_sessions.refresh_from_db()
    assert posted_month_of_sessions.status == Status.DRAFT


# --- performance ------------------------------------------------------------------


@pytest.mark.parametrize("model", [Subscription, ExtensionSubscription])
def test_change_list_queries_do_not_grow_with_rows(
    admin_client, django_assert_max_num_queries, base_tariff, session_tariff, today, model
):
    def add_rows(n):
        for _ in range(n):
            base = factories.SubscriptionFactory(tariff=base_tariff, starts_on=today)
            factories.ExtensionFactory(
                subscription=base, tariff=session_tariff, period=_period(session_tariff, 1)
            )

    url = _url(model, "changelist")
    add_rows(2)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    add_rows(10)

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize("model", [Subscription, ExtensionSubscription])
def test_change_list_date_hierarchy_offers_years_without_scanning_dates(
    admin_client, base_tariff, session_tariff, today, model
):
    # given documents starting this year and two years ago
    for starts_on in (today, today.replace(year=today.year - 2, day=1)):
        base = factories.SubscriptionFactory(tariff=base_tariff, starts_on=starts_on)
        factories.ExtensionFactory(
            subscription=base,
            tariff=session_tariff,
            period=_period(session_tariff, 1),
            starts_on=starts_on,
        )
    # when the change list opens
    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(_url(model, "changelist"))
    # then the years run from the first start to the last, with no DISTINCT over the dates
    assert response.status_code == 200
    for year in range(today.year - 2, today.year + 1):
        assert f"starts_on__year={year}" in response.text
    assert f"starts_on__year={today.year + 1}" not in response.text
    assert not any("DISTINCT" in query["sql"].upper() for query in ctx.captured_queries)
    # and a year opens its months, a month its days
    year = admin_client.get(_url(model, "changelist"), {"starts_on__year": today.year})
    assert f"starts_on__month={today.month}" in year.text


def test_change_list_finds_documents_by_organization_name(admin_client, base_tariff):
    # names whose words appear in no other field (codes, BIN/IIN, numbers)
    base = factories.SubscriptionFactory(
        tariff=base_tariff, subscriber__organization__name="Солнечный Сервис"
    )
    other = factories.SubscriptionFactory(
        tariff=base_tariff, subscriber__organization__name="Лунный Сервис"
    )

    response = admin_client.get(_url(Subscription, "changelist"), {"q": "Солнечный"})

    assert list(response.context["cl"].result_list) == [base]
    assert other.organization_id != base.organization_id
