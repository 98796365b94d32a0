"""Card «Абонент»: details, today's limits and what makes them, the way to the window
«Подписка»."""

import datetime

import pytest
from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains

from subscriptions.models import Status
from subscriptions.periods import Periodicity
from tests import factories

DAY = datetime.timedelta(days=1)


@pytest.fixture
def documents_for_todays_limits(subscriber, base_tariff, session_tariff, infobase_tariff, today):
    """A posted year of «Стандарт» with «Дополнительный сеанс» × 3 and «Дополнительная база»
    × 2 that count today; a draft and one that starts tomorrow, which do not."""
    base = factories.SubscriptionFactory(
        subscriber=subscriber, tariff=base_tariff, period=base_tariff.periods.get(count=12)
    )
    sessions = factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        quantity=3,
    )
    infobases = factories.ExtensionFactory(
        subscription=base,
        tariff=infobase_tariff,
        period=infobase_tariff.periods.get(count=3),
        quantity=2,
    )
    # Not counted: a draft, and one that starts tomorrow.
    factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        quantity=4,
        status=Status.DRAFT,
    )
    factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today + DAY,
        quantity=5,
    )
    return {"base": base, "sessions": sessions, "infobases": infobases}


def test_subscriber_card_shows_details(logged_in, viewer, subscriber):
    subscriber.email = "info@romashka.kz"
    subscriber.phone = "+7 727 000 00 00"
    subscriber.save()

    response = logged_in(viewer).get(reverse("subscriber_detail", args=[subscriber.pk]))

    assert response.status_code == 200
    assertContains(response, "<h1>Абонент</h1>")
    for text in [
        escape(subscriber.name),
        "Код абонента",
        subscriber.code,
        "БИН/ИИН",
        subscriber.bin_iin,
        "Алматы",
        "info@romashka.kz",
        "+7 727 000 00 00",
        "Демо-партнер",
    ]:
        assertContains(response, text)
    subscriptions_url = reverse("subscriber_subscriptions", args=[subscriber.pk])
    assertContains(response, f'href="{subscriptions_url}">Подписки на тарифы</a>')


def test_subscriber_card_shows_todays_limits_and_their_breakdown(
    logged_in, viewer, subscriber, documents_for_todays_limits, today
):
    response = logged_in(viewer).get(reverse("subscriber_detail", args=[subscriber.pk]))

    assertContains(response, '<span class="limit__value" data-limit="sessions">8</span>')
    assertContains(response, '<span class="limit__value" data-limit="infobases">4</span>')
    breakdown = response.context["breakdown"]
    assert [b.pk for b in breakdown.bases] == [documents_for_todays_limits["base"].pk]
    assert {e.pk for e in breakdown.extensions} == {
        documents_for_todays_limits["sessions"].pk,
        documents_for_todays_limits["infobases"].pk,
    }
    for document, name in [
        (documents_for_todays_limits["base"], "subscription_detail"),
        (documents_for_todays_limits["sessions"], "extension_detail"),
        (documents_for_todays_limits["infobases"], "extension_detail"),
    ]:
        url = reverse(name, args=[document.pk])
        assertContains(response, f'<a href="{url}">{document.number}</a>')
    assertContains(response, "Дополнительный сеанс")
    assertContains(response, "Дополнительная база")
    assertContains(response, "+3")
    assertContains(response, "+2")
    assertContains(response, documents_for_todays_limits["infobases"].ends_on.strftime("%d.%m.%Y"))
    assertContains(response, f"Лимиты на {today:%d.%m.%Y}")


def test_subscriber_card_without_subscriptions_says_so(logged_in, viewer, subscriber):
    response = logged_in(viewer).get(reverse("subscriber_detail", args=[subscriber.pk]))

    assertContains(response, '<span class="limit__value" data-limit="sessions">0</span>')
    assertContains(response, "нет действующих проведенных подписок")


def test_read_only_user_sees_no_write_buttons(
    logged_in, viewer, subscriber, documents_for_todays_limits
):
    response = logged_in(viewer).get(reverse("subscriber_detail", args=[subscriber.pk]))

    assertNotContains(response, reverse("subscription_create", args=[subscriber.pk]))


@pytest.mark.parametrize("role", ["owner", "operator"])
def test_writers_see_the_button_for_a_new_base_subscription(logged_in, request, subscriber, role):
    user = request.getfixturevalue(role)

    response = logged_in(user).get(reverse("subscriber_detail", args=[subscriber.pk]))

    assertContains(response, reverse("subscription_create", args=[subscriber.pk]))


# --- Another organization's subscriber is a 404 ---------------------------------------


@pytest.mark.parametrize("role", ["owner", "operator", "viewer"])
def test_another_organizations_subscriber_is_a_404(logged_in, request, role, other_organization):
    foreign = factories.SubscriberFactory(organization=other_organization)
    user = request.getfixturevalue(role)

    response = logged_in(user).get(reverse("subscriber_detail", args=[foreign.pk]))

    assert response.status_code == 404


def test_a_missing_subscriber_is_a_404(logged_in, viewer):
    response = logged_in(viewer).get(reverse("subscriber_detail", args=[999999]))

    assert response.status_code == 404


# --- Query count: the same for 5 rows as for 50 ---------------------------------------


# The 3 queries of any logged-in request (the session, the user and the membership),
# then the subscriber, its active bases, its active extensions.
SUBSCRIBER_DETAIL_QUERIES = 3 + 3


@pytest.mark.parametrize("rows", [5, 50])
def test_subscriber_card_runs_a_constant_number_of_queries(
    logged_in, viewer, populate, rows, django_assert_num_queries
):
    subscribers = populate(rows)
    client = logged_in(viewer)

    with django_assert_num_queries(SUBSCRIBER_DETAIL_QUERIES):
        response = client.get(reverse("subscriber_detail", args=[subscribers[0].pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("rows", [5, 50])
def test_subscriber_card_queries_do_not_grow_with_its_extensions(
    logged_in, viewer, subscriber, base_tariff, session_tariff, rows, django_assert_num_queries
):
    base = factories.SubscriptionFactory(
        subscriber=subscriber, tariff=base_tariff, period=base_tariff.periods.get(count=12)
    )
    week = factories.TariffPeriodFactory(
        tariff=session_tariff, periodicity=Periodicity.WEEK, count=1, price=900
    )
    for _ in range(rows):
        factories.ExtensionFactory(subscription=base, tariff=session_tariff, period=week)
    client = logged_in(viewer)

    with django_assert_num_queries(SUBSCRIBER_DETAIL_QUERIES):
        response = client.get(reverse("subscriber_detail", args=[subscriber.pk]))

    assert len(response.context["breakdown"].extensions) == rows
    assertContains(response, f'data-limit="sessions">{5 + rows}</span>')
