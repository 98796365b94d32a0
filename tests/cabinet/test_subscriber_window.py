"""Window «Подписка»: a subscriber's base subscriptions, each followed by its extensions."""

import datetime

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from subscriptions import clock, services
from subscriptions.models import Status, Tariff
from subscriptions.periods import add_months
from tests import factories
from tests.cabinet.pages import text_of

DAY = datetime.timedelta(days=1)


@pytest.mark.parametrize("role", ["owner", "operator", "viewer"])
def test_subscriber_subscriptions_lists_base_and_extension_rows_for_every_role(
    logged_in,
    request,
    role,
    subscriber,
    base_twelve_months,
    sessions_extension,
    draft_infobases_extension,
):
    user = request.getfixturevalue(role)

    response = logged_in(user).get(reverse("subscriber_subscriptions", args=[subscriber.pk]))

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
        (base_twelve_months, "subscription_detail"),
        (sessions_extension, "extension_detail"),
        (draft_infobases_extension, "extension_detail"),
    ):
        url = reverse(url_name, args=[document.pk])
        assertContains(response, f'data-href="{url}" tabindex="0"', html=False)
        assertContains(response, f'<a href="{url}">{document.number}</a>', html=False)
    page = text_of(response)
    assert "Основная" in page and "Расширяющая" in page
    assert "6 000 ₸".replace(" ", "\u00a0") in page  # 3 000 ₸ × 2
    # The base first, then its extensions by start.
    assert (
        page.index(base_twelve_months.number)
        < page.index(sessions_extension.number)
        < page.index(draft_infobases_extension.number)
    )


def test_subscriber_subscriptions_orders_bases_newest_first_each_followed_by_its_extensions(
    logged_in, operator, subscriber, base_tariff, session_tariff, today
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
        logged_in(operator).get(reverse("subscriber_subscriptions", args=[subscriber.pk]))
    )

    positions = [page.index(f">{d.number}</a>") for d in (new, new_ext, old, old_ext)]
    assert positions == sorted(positions)


def test_add_base_subscription_button_is_for_writers_only(logged_in, owner, viewer, subscriber):
    url = reverse("subscriber_subscriptions", args=[subscriber.pk])
    create_url = reverse("subscription_create", args=[subscriber.pk])

    assertContains(logged_in(owner).get(url), create_url)
    assertNotContains(logged_in(viewer).get(url), "Добавить подписку на тариф")


# --- Query count: constant in the number of documents ---------------------------------


def _subscriber_with_documents(organization, base_tariff, session_tariff, today, n):
    """A subscriber with n documents: n // 5 bases a year apart, each with 4 extensions
    posted when the base is (a draft base holds only drafts)."""
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
                status=base.status,
            )
    return subscriber


# The session, the user, the membership with its organization, then the page's own.
SUBSCRIBER_SUBSCRIPTIONS_QUERIES = 3 + 3  # subscriber, bases, extensions


@pytest.mark.parametrize("n", [5, 50])
def test_subscriber_subscriptions_query_count_is_constant(
    logged_in,
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
    client = logged_in(operator)

    with django_assert_num_queries(SUBSCRIBER_SUBSCRIPTIONS_QUERIES):
        response = client.get(url)

    assert text_of(response).count('tabindex="0"') == n


def _subscriber_with_continuations(organization, base_tariff, session_tariff, user, cycles):
    """`cycles` times: a quarter that ended, its grace subscription (R13), its renewal, and on
    the renewal an extension «до окончания подписки на тариф» and one changed in quantity
    (R14) — every kind of row the window labels («к подписке», «продолжена подпиской»,
    a replacement's span)."""
    Tariff.objects.filter(pk=session_tariff.pk).update(offers_until_base_end=True)
    session_tariff.refresh_from_db()
    subscriber = factories.SubscriberFactory(organization=organization)
    quarter = base_tariff.periods.get(count=3)
    start = datetime.date(2031, 1, 1)
    with clock.today_is(start):
        base = factories.SubscriptionFactory(
            subscriber=subscriber, tariff=base_tariff, period=quarter, starts_on=start
        )
    for _ in range(cycles):
        with clock.today_is(base.ends_on + DAY):
            services.grace_create(subscription=base, days=3, user=user)
            renewal = services.subscription_renew(
                subscription=base, period=quarter, copy_extensions=False, user=user
            )
        with clock.today_is(renewal.starts_on):
            factories.ExtensionFactory(
                subscription=renewal,
                tariff=session_tariff,
                until_base_end=True,
                starts_on=renewal.starts_on,
            )
            changed = factories.ExtensionFactory(
                subscription=renewal,
                tariff=session_tariff,
                period=session_tariff.periods.get(count=1),
                starts_on=renewal.starts_on,
            )
            services.extension_change_quantity(
                extension=changed, change_on=renewal.starts_on + 10 * DAY, quantity=2, user=user
            )
        base = renewal
    return subscriber


@pytest.mark.parametrize("cycles", [1, 4])
def test_continuations_and_replacements_cost_no_query_per_row(
    logged_in,
    operator,
    organization,
    base_tariff,
    session_tariff,
    cycles,
    django_assert_num_queries,
):
    subscriber = _subscriber_with_continuations(
        organization, base_tariff, session_tariff, operator, cycles
    )
    url = reverse("subscriber_subscriptions", args=[subscriber.pk])
    client = logged_in(operator)

    with django_assert_num_queries(SUBSCRIBER_SUBSCRIPTIONS_QUERIES):
        response = client.get(url)

    page = text_of(response)
    # Per cycle: the grace, the renewal, its three extensions (the changed one and its
    # replacement); and the first quarter.
    assert page.count('tabindex="0"') == 5 * cycles + 1
    assert page.count("к подписке №") == cycles
    assert page.count("продолжена подпиской №") == cycles
    assert page.count("(изменение количества)") == cycles
    assert page.count("до окончания подписки на тариф") == cycles
