"""The subscription document screens: the window «Подписка», base and extension
subscriptions (create, card, change, post, un-post, delete), for every role.

Forms are tested as pretix does: GET the page, take its form, POST bad data and
assert the field's message and that nothing was written; POST good data and
assert the redirect and the new row.
"""

import datetime
import re
import uuid
from html import unescape
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from cabinet.forms.documents import is_aligned
from common.formatting import fmt
from subscriptions import services
from subscriptions.models import ExtensionSubscription, Status, Subscription
from subscriptions.periods import Periodicity, add_months
from tests import factories

DAY = datetime.timedelta(days=1)


# --- Helpers ---------------------------------------------------------------------


class _FormParser(HTMLParser):
    """The fields of the page's document form, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.in_form = False
        self.done = False
        self.select = None
        self.option_value = None
        self.data = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "data-subscription-form" in attrs and not self.done:
            self.in_form = True
        if not self.in_form:
            return
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "button"):
            self.data[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self.select = attrs["name"]
            self.data.setdefault(self.select, "")
        elif tag == "option" and self.select and "selected" in attrs:
            self.data[self.select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "form" and self.in_form:
            self.in_form = False
            self.done = True


def page_form(response) -> dict:
    parser = _FormParser()
    parser.feed(response.content.decode())
    assert parser.done, "the page has no document form"
    return parser.data


def logged_in(client, user):
    client.force_login(user)
    return client


def text_of(response) -> str:
    return unescape(response.content.decode())


def field_errors(response, name) -> list[str]:
    return list(response.context["form"].errors.get(name, []))


def query_count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# --- Fixtures ----------------------------------------------------------------------


@pytest.fixture
def base(subscriber, base_tariff, session_tariff, infobase_tariff, today):
    """A posted year of «Стандарт» that began 30 days ago."""
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=today - 30 * DAY,
    )


@pytest.fixture
def extension(base, session_tariff, today):
    """A posted «Дополнительный сеанс» × 2 for a month from today."""
    return factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today,
        quantity=2,
    )


@pytest.fixture
def draft_extension(base, infobase_tariff, today):
    return factories.ExtensionFactory(
        subscription=base,
        tariff=infobase_tariff,
        period=infobase_tariff.periods.get(count=3),
        starts_on=today + 10 * DAY,
        status=Status.DRAFT,
    )


@pytest.fixture
def draft_base(subscriber, base_tariff, today):
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=today + 400 * DAY,
        status=Status.DRAFT,
    )


def extension_data(session_tariff, today, **overrides) -> dict:
    data = {
        "tariff": session_tariff.pk,
        "period": session_tariff.periods.get(count=1).pk,
        "starts_on": today.isoformat(),
        "quantity": 2,
        "request_token": str(uuid.uuid4()),
        "action": "post",
    }
    data.update(overrides)
    return data


# --- Window «Подписка» ------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "operator", "viewer"])
def test_subscriber_subscriptions_lists_base_and_extension_rows_for_every_role(
    client, request, role, subscriber, base, extension, draft_extension
):
    user = request.getfixturevalue(role)

    response = logged_in(client, user).get(
        reverse("subscriber_subscriptions", args=[subscriber.pk])
    )

    assert response.status_code == 200
    assertContains(response, "<h1>Подписка</h1>", html=False)
    assert subscriber.name in text_of(response)
    for header in (
        "Номер",
        "Тип подписки",
        "Тариф",
        "Период действия",
        "Действует с",
        "по",
        "Количество расширений",
        "Состояние",
        "Сумма",
    ):
        assert f">{header}</th>" in text_of(response)
    for document, url_name in (
        (base, "subscription_detail"),
        (extension, "extension_detail"),
        (draft_extension, "extension_detail"),
    ):
        url = reverse(url_name, args=[document.pk])
        assertContains(response, f'data-href="{url}" tabindex="0"', html=False)
        assertContains(response, f'<a href="{url}">{document.number}</a>', html=False)
    page = text_of(response)
    assert "Основная" in page and "Расширяющая" in page
    assert "6 000 ₸".replace(" ", "\u00a0") in page  # 3 000 ₸ × 2
    # The base first, then its extensions by start.
    assert (
        page.index(base.number) < page.index(extension.number) < page.index(draft_extension.number)
    )


def test_subscriber_subscriptions_orders_bases_newest_first_each_followed_by_its_extensions(
    client, operator, subscriber, base_tariff, session_tariff, today
):
    old = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=3),
        starts_on=today - 200 * DAY,
        status=Status.DRAFT,
    )
    new = factories.SubscriptionFactory(
        subscriber=subscriber, tariff=base_tariff, period=base_tariff.periods.get(count=12)
    )
    old_ext = factories.ExtensionFactory(
        subscription=old,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=old.starts_on,
        status=Status.DRAFT,
    )
    new_ext = factories.ExtensionFactory(
        subscription=new, tariff=session_tariff, period=session_tariff.periods.get(count=1)
    )

    page = text_of(
        logged_in(client, operator).get(reverse("subscriber_subscriptions", args=[subscriber.pk]))
    )

    positions = [page.index(f">{d.number}</a>") for d in (new, new_ext, old, old_ext)]
    assert positions == sorted(positions)


def test_add_base_subscription_button_is_for_writers_only(client, owner, viewer, subscriber):
    url = reverse("subscriber_subscriptions", args=[subscriber.pk])
    create_url = reverse("subscription_create", args=[subscriber.pk])

    assertContains(logged_in(client, owner).get(url), create_url)
    assertNotContains(logged_in(client, viewer).get(url), "Добавить подписку на тариф")


# --- New base subscription ---------------------------------------------------------


def test_new_base_subscription_form_refuses_a_period_of_another_tariff_then_posts(
    client, operator, subscriber, base_tariff, today
):
    other = factories.BaseTariffFactory(name="Профи", sessions=10, infobases=5)
    other_period = factories.TariffPeriodFactory(tariff=other, count=3, price=90000)
    url = reverse("subscription_create", args=[subscriber.pk])
    client = logged_in(client, operator)
    page = client.get(url)
    assertContains(page, "Стандарт — 12 месяцев — 120\u00a0000\u00a0₸")
    data = page_form(page)
    assert data["starts_on"] == today.isoformat()
    assert data["request_token"]

    # Bad: a period of «Профи» with the tariff «Стандарт».
    data.update(tariff=base_tariff.pk, period=other_period.pk, action="post")
    response = client.post(url, data)

    assert response.status_code == 400
    assert response.context["form"].has_error("period", "period_not_of_tariff")
    assert Subscription.objects.count() == 0

    # Good.
    data["period"] = base_tariff.periods.get(count=12).pk
    response = client.post(url, data)

    assertRedirects(response, reverse("subscriber_subscriptions", args=[subscriber.pk]))
    created = Subscription.objects.get()
    assert created.subscriber == subscriber
    assert created.status == Status.POSTED
    assert created.created_by == operator and created.posted_by == operator
    assert created.ends_on == add_months(today, 12) - DAY


def test_new_base_subscription_saved_as_draft_opens_its_card(
    client, owner, subscriber, base_tariff, today
):
    url = reverse("subscription_create", args=[subscriber.pk])
    client = logged_in(client, owner)
    data = page_form(client.get(url))
    data.update(tariff=base_tariff.pk, period=base_tariff.periods.get(count=1).pk, action="save")

    response = client.post(url, data)

    created = Subscription.objects.get()
    assertRedirects(response, reverse("subscription_detail", args=[created.pk]))
    assert created.status == Status.DRAFT


def test_new_base_subscription_overlapping_a_posted_one_is_refused(
    client, operator, subscriber, base, base_tariff, today
):
    url = reverse("subscription_create", args=[subscriber.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))
    data.update(
        tariff=base_tariff.pk,
        period=base_tariff.periods.get(count=1).pk,
        starts_on=today.isoformat(),
        action="post",
    )

    response = client.post(url, data)

    assert response.status_code == 400
    assert response.context["form"].has_error("starts_on", "base_overlaps")
    assert "пересекаются" in text_of(response)
    assert Subscription.objects.count() == 1


def test_new_base_subscription_with_an_extension_tariff_or_unknown_ids_is_a_field_error(
    client, operator, subscriber, session_tariff, today
):
    url = reverse("subscription_create", args=[subscriber.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))

    for tariff, period in (
        (session_tariff.pk, session_tariff.periods.get(count=1).pk),
        (999999, 999999),
        ("abc", "1; DROP TABLE"),
    ):
        data.update(tariff=tariff, period=period, action="post")
        response = client.post(url, data)

        assert response.status_code == 400
        assert response.context["form"].has_error("tariff", "invalid_choice")
        assert response.context["form"].has_error("period", "invalid_choice")
    assert Subscription.objects.count() == 0


def test_double_submit_of_a_new_base_subscription_writes_one(
    client, operator, subscriber, base_tariff
):
    url = reverse("subscription_create", args=[subscriber.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))
    data.update(tariff=base_tariff.pk, period=base_tariff.periods.get(count=1).pk, action="post")

    first = client.post(url, data)
    second = client.post(url, data)

    assert first.status_code == second.status_code == 302
    assert Subscription.objects.count() == 1


# --- Base subscription card -----------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "operator"])
def test_base_card_shows_fields_extensions_timeline_history_and_actions_to_writers(
    client, request, role, base, extension, draft_extension, today
):
    user = request.getfixturevalue(role)
    services.subscription_save(subscription=base, user=user)  # a history record by a user

    response = logged_in(client, user).get(reverse("subscription_detail", args=[base.pk]))

    assert response.status_code == 200
    page = text_of(response)
    assert f"Подписка на тариф № {base.number}" in page
    assert f"с {fmt(base.starts_on)} по {fmt(base.ends_on)}" in page
    assert 'id="extensions"' in page and "Подписки на расширения" in page
    assert reverse("extension_create", args=[base.pk]) in page
    assert "Подписать на расширение тарифа" in page
    for action in ("subscription_unpost", "subscription_edit"):
        assert reverse(action, args=[base.pk]) in page
    assert reverse("subscription_delete", args=[base.pk]) not in page  # posted, has extensions
    # The extensions tab: each row opens on double-click and has a link.
    for ext in (extension, draft_extension):
        url = reverse("extension_detail", args=[ext.pk])
        assert f'data-href="{url}" tabindex="0"' in page
    # The timeline: a bar per document, today marked, drafts told apart.
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert svg.count('class="tl-bar ') == 3
    assert "tl-bar--ext tl-bar--sessions" in svg
    assert "tl-bar--ext tl-bar--infobases is-draft" in svg
    assert "Доп. сеанс × 2" in svg
    assert f"Сегодня {fmt(today)}" in svg
    assert "style=" not in svg and "<script" not in svg
    # History.
    assert "История" in page and "Изменение" in page and user.username in page


def test_viewer_sees_the_card_without_any_action(client, viewer, base, extension):
    response = logged_in(client, viewer).get(reverse("subscription_detail", args=[base.pk]))

    assert response.status_code == 200
    page = text_of(response)
    for label in (
        "Провести",
        "Отменить проведение",
        "Изменить",
        "Удалить",
        "Подписать на расширение",
    ):
        assert f">{label}<" not in page
    assert reverse("extension_create", args=[base.pk]) not in page


def test_extension_button_is_unavailable_with_a_reason_on_a_draft_base(
    client, operator, draft_base
):
    response = logged_in(client, operator).get(reverse("subscription_detail", args=[draft_base.pk]))

    assert reverse("extension_create", args=[draft_base.pk]) not in text_of(response)
    assertContains(response, "не проведена: сначала проведите ее")
    # A draft without extensions can be posted and deleted.
    assertContains(response, reverse("subscription_post", args=[draft_base.pk]))
    assertContains(response, reverse("subscription_delete", args=[draft_base.pk]))


def test_extension_button_is_unavailable_with_a_reason_on_an_ended_base(
    client, operator, subscriber, base_tariff, today
):
    ended = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=add_months(today, -2),
    )

    response = logged_in(client, operator).get(reverse("subscription_detail", args=[ended.pk]))

    assert reverse("extension_create", args=[ended.pk]) not in text_of(response)
    assertContains(response, f"Подписка закончилась {fmt(ended.ends_on)}")


def test_posting_a_draft_base_from_its_card(client, operator, draft_base):
    response = logged_in(client, operator).post(reverse("subscription_post", args=[draft_base.pk]))

    assertRedirects(response, reverse("subscription_detail", args=[draft_base.pk]))
    draft_base.refresh_from_db()
    assert draft_base.status == Status.POSTED and draft_base.posted_by == operator


def test_unposting_a_base_with_a_posted_extension_is_refused_on_the_card(
    client, operator, base, extension
):
    client = logged_in(client, operator)

    response = client.post(reverse("subscription_unpost", args=[base.pk]), follow=True)

    assert response.status_code == 200
    assertContains(response, "Нельзя отменить проведение")
    assertContains(response, extension.number)
    base.refresh_from_db()
    assert base.status == Status.POSTED


def test_unposting_a_base_without_extensions(client, owner, base):
    logged_in(client, owner).post(reverse("subscription_unpost", args=[base.pk]))

    base.refresh_from_db()
    assert base.status == Status.DRAFT


def test_deleting_a_draft_base_asks_for_confirmation_first(client, operator, draft_base):
    client = logged_in(client, operator)
    url = reverse("subscription_delete", args=[draft_base.pk])

    confirm = client.post(url)

    assert confirm.status_code == 200
    assertContains(confirm, f"Удалить черновик № {draft_base.number}?")
    assert Subscription.objects.filter(pk=draft_base.pk).exists()

    response = client.post(url, {"confirm": "yes"})

    assertRedirects(response, reverse("subscriber_subscriptions", args=[draft_base.subscriber_id]))
    assert not Subscription.objects.filter(pk=draft_base.pk).exists()


def test_deleting_a_posted_base_is_refused_on_the_card(client, operator, base):
    response = logged_in(client, operator).post(
        reverse("subscription_delete", args=[base.pk]), {"confirm": "yes"}, follow=True
    )

    assertContains(response, "Проведенную подписку удалить нельзя")
    assert Subscription.objects.filter(pk=base.pk).exists()


# --- Changing a base subscription ------------------------------------------------------


def test_shortening_a_base_under_a_posted_extension_is_refused_on_the_form(
    client, operator, base, extension, base_tariff
):
    url = reverse("subscription_edit", args=[base.pk])
    client = logged_in(client, operator)
    page = client.get(url)
    assertContains(page, f"Подписка на тариф № {base.number} (изменение)")
    data = page_form(page)
    data.update(period=base_tariff.periods.get(count=1).pk, action="save")

    response = client.post(url, data)

    assert response.status_code == 400
    assert response.context["form"].has_error("__all__", "base_change_strands_extensions")
    assertContains(response, extension.number, status_code=400)
    base.refresh_from_db()
    assert base.period.count == 12


def test_changing_a_draft_base_period(client, operator, draft_base, base_tariff):
    url = reverse("subscription_edit", args=[draft_base.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))
    data.update(period=base_tariff.periods.get(count=6).pk, tariff="999")  # tariff is fixed

    response = client.post(url, data)

    assertRedirects(response, reverse("subscription_detail", args=[draft_base.pk]))
    draft_base.refresh_from_db()
    assert draft_base.period.count == 6 and draft_base.tariff == base_tariff
    assert draft_base.ends_on == add_months(draft_base.starts_on, 6) - DAY


# --- Form «Подписка (создание)» ----------------------------------------------------------


def test_extension_form_offers_what_the_base_allows(
    client, operator, base, session_tariff, infobase_tariff, today
):
    foreign = factories.ExtensionTariffFactory(
        name="Дополнительный диск", resource="infobases", max_quantity=3, offered_for=[]
    )
    factories.TariffPeriodFactory(tariff=foreign, count=1, price=1000)

    response = logged_in(client, operator).get(reverse("extension_create", args=[base.pk]))

    assert response.status_code == 200
    page = text_of(response)
    assert "<h1>Подписка (создание)</h1>" in page
    labels = re.findall(r'<label class="form-row__label" for="id_(\w+)">', page)
    assert labels == ["tariff", "period", "starts_on", "quantity"]
    for label in ("Тариф", "Период действия", "Действует с", "Количество расширений"):
        assert f">{label}<" in page
    assert "Дополнительный сеанс" in page and "Дополнительная база" in page
    assert "Дополнительный диск" not in page
    # 12 months from the recommended start end after the base: marked with the reason.
    recommended = response.context["form"].recommended
    twelve = add_months(recommended, 12) - DAY
    assert (
        f"недоступно: закончится {fmt(twelve)}, позже окончания подписки {fmt(base.ends_on)}"
        in page
    )
    # The recommended aligned start, as the initial value and as a one-click link.
    assert today <= recommended <= base.ends_on and is_aligned(base, recommended)
    assert f"Рекомендуемая дата: {fmt(recommended)}" in page
    assert page_form(response)["starts_on"] == recommended.isoformat()
    # How «по» is computed, where users see it; the data for the script.
    assert "день перед «дата начала + период»" in page
    assert 'id="extension-form-data" type="application/json"' in page
    assert 'value="post">Провести и закрыть<' in page
    assert 'value="save">Записать<' in page
    assert ">Закрыть<" in page


def test_recommended_start_is_the_next_day_with_the_base_day_of_month(
    client, operator, subscriber, base_tariff, session_tariff, today
):
    starts_on = add_months(today, -1) + 3 * DAY  # the aligned day is 3 days ahead
    base = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=starts_on,
    )

    response = logged_in(client, operator).get(reverse("extension_create", args=[base.pk]))

    expected = next(
        add_months(starts_on, n) for n in range(0, 14) if add_months(starts_on, n) >= today
    )
    assert response.context["form"].recommended == expected


def test_extension_form_notes_a_start_not_aligned_with_the_base(client, operator, base, today):
    client = logged_in(client, operator)
    url = reverse("extension_create", args=[base.pk])
    recommended = client.get(url).context["form"].recommended
    not_aligned = recommended + DAY

    response = client.get(url, {"starts_on": not_aligned.isoformat()})

    assert page_form(response)["starts_on"] == not_aligned.isoformat()
    assertContains(response, "Дата начала не совпадает с числом начала подписки")
    aligned = client.get(url, {"starts_on": recommended.isoformat()})
    assertNotContains(aligned, "Дата начала не совпадает с числом начала подписки (")


def test_posting_an_extension_goes_back_to_the_base_card_with_the_new_row(
    client, operator, base, session_tariff, today
):
    url = reverse("extension_create", args=[base.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=1).pk,
        starts_on=today.isoformat(),
        quantity="3",
        action="post",
    )

    response = client.post(url, data)

    created = ExtensionSubscription.objects.get()
    detail = reverse("subscription_detail", args=[base.pk])
    assertRedirects(
        response, f"{detail}?new={created.pk}#extensions", fetch_redirect_response=False
    )
    assert created.subscription == base
    assert created.status == Status.POSTED
    assert created.created_by == operator and created.posted_by == operator
    assert created.quantity == 3 and created.amount == 9000
    card = client.get(f"{detail}?new={created.pk}")
    assertContains(card, f'id="extension-{created.pk}" data-href=')
    assertContains(card, 'class="is-new"')
    assertContains(card, f"Подписка на расширение тарифа № {created.number} проведена.")
    window = client.get(reverse("subscriber_subscriptions", args=[base.subscriber_id]))
    assertContains(window, created.number)


def test_saving_an_extension_as_draft_opens_its_card(client, owner, base, session_tariff, today):
    url = reverse("extension_create", args=[base.pk])
    client = logged_in(client, owner)
    data = page_form(client.get(url))
    data.update(tariff=session_tariff.pk, period=session_tariff.periods.get(count=1).pk)
    data["action"] = "save"

    response = client.post(url, data)

    created = ExtensionSubscription.objects.get()
    assertRedirects(response, reverse("extension_detail", args=[created.pk]))
    assert created.status == Status.DRAFT and created.amount is None


def _refused(client, url, data, field, code):
    before = ExtensionSubscription.objects.count()
    response = client.post(url, data)
    assert response.status_code == 400, response.status_code
    form = response.context["form"]
    assert form.has_error(field, code), form.errors.as_data()
    assert ExtensionSubscription.objects.count() == before
    return response


def test_extension_starting_before_the_base_is_refused(
    client, operator, base, session_tariff, today
):
    url = reverse("extension_create", args=[base.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=1).pk,
        starts_on=(base.starts_on - DAY).isoformat(),
        action="save",
    )

    response = _refused(client, url, data, "starts_on", "extension_starts_before_base")

    assert f"выберите дату не ранее {fmt(base.starts_on)}" in field_errors(response, "starts_on")[0]


def test_extension_ending_after_the_base_is_refused_naming_the_last_allowed_day(
    client, operator, base, session_tariff, today
):
    url = reverse("extension_create", args=[base.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=12).pk,
        starts_on=today.isoformat(),
    )

    response = _refused(client, url, data, "period", "extension_ends_after_base")

    message = field_errors(response, "period")[0]
    assert f"Последний допустимый день окончания — {fmt(base.ends_on)}" in message
    # The refused form keeps what was typed, and the chosen period stays selectable.
    kept = page_form(response)
    assert kept["period"] == str(data["period"]) and kept["quantity"] == data["quantity"]


def test_extension_posted_with_a_start_in_the_past_is_refused(
    client, operator, base, session_tariff, today
):
    url = reverse("extension_create", args=[base.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=1).pk,
        starts_on=(today - DAY).isoformat(),
        quantity="4",
        action="post",
    )

    response = _refused(client, url, data, "starts_on", "extension_starts_in_past")

    assert f"не ранее {fmt(today)}" in field_errors(response, "starts_on")[0]
    # The total is computed on the server too: 3 000 ₸ × 4.
    assertContains(response, "12\u00a0000\u00a0₸", status_code=400)


@pytest.mark.parametrize(
    ("quantity", "code", "message"),
    [
        ("0", "min_value", "Количество расширений — не меньше 1."),
        ("-3", "min_value", "Количество расширений — не меньше 1."),
        ("11", "quantity_above_max", "Количество расширений — от 1 до 10 для этого тарифа."),
    ],
)
def test_extension_quantity_outside_one_to_the_tariff_maximum_is_refused(
    client, operator, base, session_tariff, today, quantity, code, message
):
    url = reverse("extension_create", args=[base.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=1).pk,
        starts_on=today.isoformat(),
        quantity=quantity,
    )

    response = _refused(client, url, data, "quantity", code)

    assert field_errors(response, "quantity") == [message]


def test_extension_tariff_not_offered_for_the_base_is_a_field_error(
    client, operator, base, session_tariff, today
):
    foreign = factories.ExtensionTariffFactory(
        name="Дополнительный диск", resource="infobases", max_quantity=3, offered_for=[]
    )
    foreign_period = factories.TariffPeriodFactory(tariff=foreign, count=1, price=1000)
    url = reverse("extension_create", args=[base.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))
    data.update(tariff=foreign.pk, period=foreign_period.pk, starts_on=today.isoformat())

    response = _refused(client, url, data, "tariff", "invalid_choice")

    assert response.context["form"].has_error("period", "invalid_choice")


def test_extension_period_of_the_other_extension_tariff_is_refused(
    client, operator, base, session_tariff, infobase_tariff, today
):
    url = reverse("extension_create", args=[base.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=infobase_tariff.periods.get(count=1).pk,
        starts_on=today.isoformat(),
    )

    response = _refused(client, url, data, "period", "period_not_of_tariff")

    assert (
        "не предлагается для тарифа «Дополнительный сеанс»" in field_errors(response, "period")[0]
    )


@pytest.mark.parametrize("value", ["999999", "abc", "", "1 OR 1=1"])
def test_extension_tampered_tariff_or_period_ids_are_field_errors(
    client, operator, base, session_tariff, today, value
):
    url = reverse("extension_create", args=[base.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))
    data.update(tariff=value, period=value, starts_on=today.isoformat())

    code = "required" if value == "" else "invalid_choice"
    response = _refused(client, url, data, "tariff", code)

    assert response.context["form"].has_error("period", code)


def test_extension_base_comes_from_the_url_not_from_the_post(
    client, operator, base, session_tariff, other_organization, base_tariff, today
):
    foreign_base = factories.SubscriptionFactory(
        subscriber=factories.SubscriberFactory(organization=other_organization),
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
    )
    url = reverse("extension_create", args=[base.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=1).pk,
        subscription=foreign_base.pk,
        starts_on=today.isoformat(),
    )

    client.post(url, data)

    assert ExtensionSubscription.objects.get().subscription == base
    assert not foreign_base.extensions.exists()


def test_double_submit_of_an_extension_writes_one_row(
    client, operator, base, session_tariff, today
):
    url = reverse("extension_create", args=[base.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))
    data.update(
        tariff=session_tariff.pk,
        period=session_tariff.periods.get(count=1).pk,
        starts_on=today.isoformat(),
    )

    first = client.post(url, data)
    second = client.post(url, data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert ExtensionSubscription.objects.count() == 1


def test_each_opening_of_the_form_gets_its_own_token(client, operator, base):
    url = reverse("extension_create", args=[base.pk])
    client = logged_in(client, operator)

    assert (
        page_form(client.get(url))["request_token"] != page_form(client.get(url))["request_token"]
    )


def test_the_extension_form_of_a_draft_base_sends_back_to_the_card_with_the_reason(
    client, operator, draft_base, session_tariff
):
    url = reverse("extension_create", args=[draft_base.pk])
    client = logged_in(client, operator)
    before = ExtensionSubscription.objects.count()

    opened = client.get(url, follow=True)
    posted = client.post(
        url,
        {
            "tariff": session_tariff.pk,
            "period": session_tariff.periods.get(count=1).pk,
            "starts_on": draft_base.starts_on.isoformat(),
            "quantity": 1,
            "action": "post",
        },
        follow=True,
    )

    card = reverse("subscription_detail", args=[draft_base.pk])
    for response in (opened, posted):
        assert response.redirect_chain == [(card, 302)]
        assertContains(response, "не проведена: сначала проведите ее")
    assert ExtensionSubscription.objects.count() == before


def test_a_refusal_from_the_service_goes_back_onto_the_form(
    client, operator, base, session_tariff, today, monkeypatch
):
    from django.core.exceptions import ValidationError

    def busy(**kwargs):
        raise ValidationError({"starts_on": ValidationError("Занято.", code="document_busy")})

    monkeypatch.setattr(services, "extension_save", busy)
    url = reverse("extension_create", args=[base.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))
    data.update(tariff=session_tariff.pk, period=session_tariff.periods.get(count=1).pk)

    response = _refused(client, url, data, "starts_on", "document_busy")

    assert field_errors(response, "starts_on") == ["Занято."]


# --- Extension card ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "operator", "viewer"])
def test_posted_extension_card_shows_the_kept_price(
    client, request, role, base, session_tariff, today
):
    user = request.getfixturevalue(role)
    extension = ExtensionSubscription(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today,
        quantity=2,
    )
    operator_user = factories.UserFactory(username="poster")
    services.extension_save(extension=extension, user=operator_user, post=True)
    session_tariff.periods.filter(count=1).update(price=5000)  # a later price change

    response = logged_in(client, user).get(reverse("extension_detail", args=[extension.pk]))

    assert response.status_code == 200
    page = text_of(response)
    assert f"Подписка на расширение тарифа № {extension.number}" in page
    assert "Цена за единицу" in page and "3\u00a0000\u00a0₸" in page
    assert "6\u00a0000\u00a0₸" in page
    assert "История" in page and "Проведение" in page and "poster" in page
    unpost = reverse("extension_unpost", args=[extension.pk])
    assert (unpost in page) == (role != "viewer")
    assert reverse("extension_edit", args=[extension.pk]) not in page  # posted: no edit
    assert reverse("extension_delete", args=[extension.pk]) not in page


def test_draft_extension_card_offers_post_edit_delete_to_writers(client, operator, draft_extension):
    response = logged_in(client, operator).get(
        reverse("extension_detail", args=[draft_extension.pk])
    )

    for action in ("extension_post", "extension_edit", "extension_delete"):
        assertContains(response, reverse(action, args=[draft_extension.pk]))
    assertNotContains(response, reverse("extension_unpost", args=[draft_extension.pk]))


def test_viewer_sees_a_draft_extension_without_actions(client, viewer, draft_extension):
    response = logged_in(client, viewer).get(reverse("extension_detail", args=[draft_extension.pk]))

    assert response.status_code == 200
    for label in ("Провести", "Отменить проведение", "Изменить", "Удалить"):
        assertNotContains(response, f">{label}<")


def test_posting_a_draft_extension_from_its_card(client, operator, draft_extension):
    response = logged_in(client, operator).post(
        reverse("extension_post", args=[draft_extension.pk]), follow=True
    )

    assertContains(response, "проведена")
    draft_extension.refresh_from_db()
    assert draft_extension.status == Status.POSTED and draft_extension.amount == 5500


def test_posting_an_extension_whose_start_has_passed_is_refused_on_the_card(
    client, operator, base, session_tariff, today
):
    late = factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today - 2 * DAY,
        status=Status.DRAFT,
    )

    response = logged_in(client, operator).post(
        reverse("extension_post", args=[late.pk]), follow=True
    )

    assertContains(response, f"выберите дату не ранее {fmt(today)}")
    late.refresh_from_db()
    assert late.status == Status.DRAFT


def test_posting_an_extension_on_a_draft_base_is_refused_on_the_card(
    client, operator, draft_base, session_tariff
):
    draft = factories.ExtensionFactory(
        subscription=draft_base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=draft_base.starts_on,
        status=Status.DRAFT,
    )

    response = logged_in(client, operator).post(
        reverse("extension_post", args=[draft.pk]), follow=True
    )

    assertContains(response, "сначала проведите ее")
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_unposting_an_extension(client, owner, extension):
    response = logged_in(client, owner).post(reverse("extension_unpost", args=[extension.pk]))

    assertRedirects(response, reverse("extension_detail", args=[extension.pk]))
    extension.refresh_from_db()
    assert extension.status == Status.DRAFT and extension.amount is None


def test_deleting_a_draft_extension_asks_for_confirmation_first(client, operator, draft_extension):
    client = logged_in(client, operator)
    url = reverse("extension_delete", args=[draft_extension.pk])

    confirm = client.post(url)

    assertContains(confirm, f"Удалить черновик № {draft_extension.number}?")
    assertContains(confirm, 'name="confirm" value="yes"')
    assert ExtensionSubscription.objects.filter(pk=draft_extension.pk).exists()

    response = client.post(url, {"confirm": "yes"})

    base_url = reverse("subscription_detail", args=[draft_extension.subscription_id])
    assertRedirects(response, f"{base_url}#extensions", fetch_redirect_response=False)
    assert not ExtensionSubscription.objects.filter(pk=draft_extension.pk).exists()


def test_deleting_a_posted_extension_is_refused(client, operator, extension):
    response = logged_in(client, operator).post(
        reverse("extension_delete", args=[extension.pk]), {"confirm": "yes"}, follow=True
    )

    assertContains(response, "Проведенное расширение удалить нельзя")
    assert ExtensionSubscription.objects.filter(pk=extension.pk).exists()


@pytest.mark.parametrize(
    ("url_name", "document", "refusal"),
    [
        ("subscription_delete", "base", "Проведенную подписку удалить нельзя"),
        ("extension_delete", "extension", "Проведенное расширение удалить нельзя"),
    ],
)
def test_a_posted_document_is_never_offered_as_a_draft_to_delete(
    client, operator, url_name, document, refusal, request
):
    document = request.getfixturevalue(document)

    response = logged_in(client, operator).post(reverse(url_name, args=[document.pk]), follow=True)

    assertContains(response, refusal)
    assertNotContains(response, "Удалить черновик")
    assert type(document).objects.filter(pk=document.pk).exists()


def test_editing_a_draft_extension_then_posting_it(
    client, operator, draft_extension, infobase_tariff, today
):
    url = reverse("extension_edit", args=[draft_extension.pk])
    client = logged_in(client, operator)
    page = client.get(url)
    assertContains(
        page, f"<h1>Подписка на расширение тарифа № {draft_extension.number} (изменение)</h1>"
    )
    data = page_form(page)
    assert "request_token" not in data
    assert data["period"] == str(draft_extension.period_id)

    data.update(quantity="9", action="save")
    response = _refused(client, url, data, "quantity", "quantity_above_max")  # max 5

    data.update(quantity="4", action="post")
    response = client.post(url, data)

    detail = reverse("subscription_detail", args=[draft_extension.subscription_id])
    assertRedirects(
        response, f"{detail}?new={draft_extension.pk}#extensions", fetch_redirect_response=False
    )
    draft_extension.refresh_from_db()
    assert draft_extension.quantity == 4 and draft_extension.status == Status.POSTED
    assert ExtensionSubscription.objects.count() == 1


def test_a_posted_extension_is_not_edited(client, operator, extension):
    client = logged_in(client, operator)

    for method in (client.get, client.post):
        response = method(reverse("extension_edit", args=[extension.pk]), follow=True)
        assertContains(response, "сначала отмените проведение")
    extension.refresh_from_db()
    assert extension.status == Status.POSTED


# --- Method, role and organization checks ------------------------------------------


POST_ONLY = [
    ("subscription_post", "draft_base"),
    ("subscription_unpost", "base"),
    ("subscription_delete", "draft_base"),
    ("extension_post", "draft_extension"),
    ("extension_unpost", "extension"),
    ("extension_delete", "draft_extension"),
]


@pytest.mark.parametrize(("name", "target"), POST_ONLY)
def test_post_only_actions_answer_405_to_get(client, request, operator, name, target):
    obj = request.getfixturevalue(target)

    response = logged_in(client, operator).get(reverse(name, args=[obj.pk]))

    assert response.status_code == 405


ALL_URLS = [
    ("subscriber_subscriptions", "subscriber"),
    ("subscription_create", "subscriber"),
    ("subscription_detail", "base"),
    ("subscription_edit", "base"),
    ("extension_create", "base"),
    *POST_ONLY,
    ("extension_detail", "draft_extension"),
    ("extension_edit", "draft_extension"),
]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "target"), ALL_URLS)
def test_another_organizations_objects_are_404_on_every_url(
    client,
    request,
    other_operator,
    name,
    target,
    method,
    base,
    draft_base,
    extension,
    draft_extension,
    session_tariff,
    today,
):
    obj = request.getfixturevalue(target)
    documents = (Subscription.objects.count(), ExtensionSubscription.objects.count())
    statuses = sorted(Subscription.objects.values_list("pk", "status"))

    response = getattr(logged_in(client, other_operator), method)(
        reverse(name, args=[obj.pk]),
        {**extension_data(session_tariff, today), "confirm": "yes"} if method == "post" else {},
    )

    assert response.status_code == 404
    assert documents == (Subscription.objects.count(), ExtensionSubscription.objects.count())
    assert statuses == sorted(Subscription.objects.values_list("pk", "status"))


WRITE_URLS = [
    ("subscription_create", "subscriber"),
    ("subscription_edit", "base"),
    ("extension_create", "base"),
    *POST_ONLY,
    ("extension_edit", "draft_extension"),
]


@pytest.mark.parametrize(("name", "target"), WRITE_URLS)
def test_viewer_posts_are_forbidden(
    client,
    request,
    viewer,
    name,
    target,
    base,
    draft_base,
    extension,
    draft_extension,
    session_tariff,
    today,
):
    obj = request.getfixturevalue(target)
    documents = (Subscription.objects.count(), ExtensionSubscription.objects.count())

    response = logged_in(client, viewer).post(
        reverse(name, args=[obj.pk]), {**extension_data(session_tariff, today), "confirm": "yes"}
    )

    assert response.status_code == 403
    assert documents == (Subscription.objects.count(), ExtensionSubscription.objects.count())


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("subscription_create", "subscriber"),
        ("subscription_edit", "base"),
        ("extension_create", "base"),
        ("extension_edit", "draft_extension"),
    ],
)
def test_viewer_cannot_open_the_forms(client, request, viewer, name, target):
    obj = request.getfixturevalue(target)

    assert logged_in(client, viewer).get(reverse(name, args=[obj.pk])).status_code == 403


def test_anonymous_user_is_sent_to_login(client, base):
    response = client.get(reverse("subscription_detail", args=[base.pk]))

    assert response.status_code == 302 and reverse("login") in response["Location"]


# --- Query counts: constant in the number of documents -------------------------------


def _base_with_extensions(subscriber, base_tariff, session_tariff, infobase_tariff, today, n):
    base = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=12),
        starts_on=today - 30 * DAY,
    )
    for i in range(n):
        tariff = session_tariff if i % 2 else infobase_tariff
        extension = factories.ExtensionFactory(
            subscription=base,
            tariff=tariff,
            period=tariff.periods.get(count=1),
            starts_on=today + i * 5 * DAY,
            status=Status.POSTED if i % 3 else Status.DRAFT,
        )
        if i % 4 == 0:
            extension.quantity = 2
            extension._change_reason = "Изменение"
            extension.save()
    return base


def _subscriber_with_documents(organization, base_tariff, session_tariff, today, n):
    subscriber = factories.SubscriberFactory(organization=organization)
    bases = n // 5
    for b in range(bases):
        base = factories.SubscriptionFactory(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=12),
            starts_on=add_months(today, -12 * (b + 1)),
            status=Status.POSTED if b % 2 else Status.DRAFT,
        )
        for i in range(4):
            factories.ExtensionFactory(
                subscription=base,
                tariff=session_tariff,
                period=session_tariff.periods.get(count=1),
                starts_on=add_months(base.starts_on, i),
            )
    return subscriber


# The session, the user, the membership with its organization, then the page's own.
SUBSCRIBER_SUBSCRIPTIONS_QUERIES = 3 + 3  # subscriber, bases, extensions
SUBSCRIPTION_DETAIL_QUERIES = 3 + 5  # base, extensions, history ×3 (records, tariffs, periods)
EXTENSION_DETAIL_QUERIES = 3 + 4  # extension, history ×3
EXTENSION_FORM_QUERIES = 3 + 3  # base, tariffs, periods


@pytest.mark.parametrize("n", [5, 50])
def test_subscriber_subscriptions_query_count_is_constant(
    client,
    operator,
    organization,
    base_tariff,
    session_tariff,
    today,
    n,
    django_assert_num_queries,
):
    subscriber = _subscriber_with_documents(organization, base_tariff, session_tariff, today, n)
    url = reverse("subscriber_subscriptions", args=[subscriber.pk])
    client = logged_in(client, operator)

    with django_assert_num_queries(SUBSCRIBER_SUBSCRIPTIONS_QUERIES):
        response = client.get(url)

    assert text_of(response).count('tabindex="0"') == n


@pytest.mark.parametrize("n", [5, 50])
def test_base_card_query_count_is_constant(
    client,
    operator,
    subscriber,
    base_tariff,
    session_tariff,
    infobase_tariff,
    today,
    n,
    django_assert_num_queries,
):
    base = _base_with_extensions(subscriber, base_tariff, session_tariff, infobase_tariff, today, n)
    client = logged_in(client, operator)

    with django_assert_num_queries(SUBSCRIPTION_DETAIL_QUERIES):
        response = client.get(reverse("subscription_detail", args=[base.pk]))

    assert text_of(response).count('class="tl-bar tl-bar--ext') == n


@pytest.mark.parametrize("n", [5, 50])
def test_extension_card_and_form_query_counts_are_constant(
    client,
    operator,
    subscriber,
    base_tariff,
    session_tariff,
    infobase_tariff,
    today,
    n,
    django_assert_num_queries,
):
    base = _base_with_extensions(subscriber, base_tariff, session_tariff, infobase_tariff, today, n)
    extension = base.extensions.order_by("pk").first()
    for i in range(n):  # a long history
        extension.quantity = 1 + i % 3
        extension._change_reason = "Изменение"
        extension.save()
    client = logged_in(client, operator)

    with django_assert_num_queries(EXTENSION_DETAIL_QUERIES):
        client.get(reverse("extension_detail", args=[extension.pk]))
    with django_assert_num_queries(EXTENSION_FORM_QUERIES):
        client.get(reverse("extension_create", args=[base.pk]))
    draft = base.extensions.filter(status=Status.DRAFT).first()
    with django_assert_num_queries(EXTENSION_FORM_QUERIES):
        client.get(reverse("extension_edit", args=[draft.pk]))
    with django_assert_num_queries(3 + 3):  # subscriber, tariffs, periods
        client.get(reverse("subscription_create", args=[subscriber.pk]))


# --- The timeline's geometry ----------------------------------------------------------


def test_timeline_puts_consecutive_extensions_in_one_lane_and_marks_today(
    subscriber, base_tariff, session_tariff, today
):
    from cabinet.timeline import build_timeline

    base = factories.SubscriptionFactory(
        subscriber=subscriber, tariff=base_tariff, period=base_tariff.periods.get(count=12)
    )
    first = factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=6),
        starts_on=base.starts_on,
    )
    second = factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=3),
        starts_on=first.ends_on + DAY,
    )

    timeline = build_timeline(base, [second, first], today)

    assert [bar.lane for bar in timeline.bars] == [0, 0]
    left, right = timeline.bars
    assert left.x < right.x and abs(left.x + left.width - right.x) < 0.01
    assert timeline.base.x <= timeline.today_x <= timeline.base.x + timeline.base.width
    assert "осталось" in timeline.summary
    assert any(tick.label.startswith("янв") for tick in timeline.ticks if tick.label) or (
        base.ends_on.year == base.starts_on.year
    )


def test_timeline_of_an_ended_base_says_so(subscriber, base_tariff, today):
    from cabinet.timeline import build_timeline

    ended = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=add_months(today, -3),
    )

    timeline = build_timeline(ended, [], today)

    assert timeline.today_x is None
    assert f"Подписка закончилась {fmt(ended.ends_on)}" in timeline.summary


def test_day_based_periods_compute_the_end_in_days(client, operator, base, session_tariff, today):
    week = factories.TariffPeriodFactory(
        tariff=session_tariff, periodicity=Periodicity.WEEK, count=2, price=1500
    )
    url = reverse("extension_create", args=[base.pk])
    client = logged_in(client, operator)
    data = page_form(client.get(url))
    data.update(tariff=session_tariff.pk, period=week.pk, starts_on=today.isoformat())

    client.post(url, data)

    assert ExtensionSubscription.objects.get().ends_on == today + 13 * DAY
