"""«Личный кабинет» and the layout every page shares."""

import datetime
import re

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from subscriptions.models import Status
from subscriptions.periods import Periodicity
from tests import factories

DAY = datetime.timedelta(days=1)


# --- Layout ---------------------------------------------------------------------------


def test_layout_shows_service_organization_user_role_and_navigation(logged_in, operator):
    response = logged_in(operator).get(reverse("home"))

    assertContains(response, '<a class="brand" href="/">Fresh Cabinet</a>')
    assertContains(response, "Демо-партнер")
    assertContains(response, '<span class="role-badge">Оператор</span>')
    for label, name in [
        ("Личный кабинет", "home"),
        ("Обслуживаемые абоненты", "subscriber_list"),
        ("Подписки обслуживаемых абонентов", "subscription_list"),
    ]:
        assertContains(response, f'href="{reverse(name)}"')
        assertContains(response, label)
    assertContains(response, "cabinet/cabinet.css")
    assertContains(response, "cabinet/documents.css")
    assertContains(response, "cabinet/cabinet.js")
    # No inline scripts: a strict Content-Security-Policy will forbid them.
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode()) is None


# --- Личный кабинет -------------------------------------------------------------------


@pytest.fixture
def attention(organization, other_organization, base_tariff, session_tariff, today):
    """Documents around the 30-day horizon, a draft of each kind, and another partner's."""
    subscriber = factories.SubscriberFactory(organization=organization, name="ТОО Ромашка")
    one_month = base_tariff.periods.get(count=1)
    days = {
        n: factories.TariffPeriodFactory(tariff=base_tariff, periodicity=Periodicity.DAY, count=n)
        for n in (10, 30)
    }

    def base(starts_on, period=one_month, status=Status.POSTED, who=subscriber):
        return factories.SubscriptionFactory(
            subscriber=who, tariff=base_tariff, period=period, starts_on=starts_on, status=status
        )

    ending = base(today - 20 * DAY, period=days[30])  # ends in 9 days
    ending_today = base(
        today - 9 * DAY, period=days[10], who=factories.SubscriberFactory(organization=organization)
    )
    later = base(today + 5 * DAY, who=factories.SubscriberFactory(organization=organization))
    later_end = later.ends_on  # about 35 days away: not yet
    base_draft = base(today + 40 * DAY, status=Status.DRAFT)
    extension_draft = factories.ExtensionFactory(  # 5 days: within `ending`
        subscription=ending,
        tariff=session_tariff,
        period=factories.TariffPeriodFactory(
            tariff=session_tariff, periodicity=Periodicity.DAY, count=5, price=500
        ),
        starts_on=today,
        status=Status.DRAFT,
    )
    foreign = factories.SubscriptionFactory(
        subscriber=factories.SubscriberFactory(organization=other_organization, name="Чужой"),
        tariff=base_tariff,
        period=one_month,
        starts_on=today - 20 * DAY,
    )
    return {
        "ending": ending,
        "ending_today": ending_today,
        "later": later,
        "later_end": later_end,
        "base_draft": base_draft,
        "extension_draft": extension_draft,
        "foreign": foreign,
    }


def test_home_shows_base_subscriptions_ending_within_30_days(logged_in, operator, attention, today):
    response = logged_in(operator).get(reverse("home"))

    assert response.status_code == 200
    ending = [s.pk for s in response.context["ending"]]
    assert attention["ending"].pk in ending
    assert attention["ending_today"].pk in ending
    assert attention["later"].pk not in ending  # ends after the horizon
    assert attention["base_draft"].pk not in ending  # drafts do not end anything
    assert attention["foreign"].pk not in ending
    assert response.context["counts"]["ending_soon"] == 2
    url = reverse("subscription_detail", args=[attention["ending"].pk])
    assertContains(response, f'<tr data-href="{url}" tabindex="0">')
    assertContains(response, f'<a href="{url}">{attention["ending"].number}</a>')
    assertContains(response, attention["ending"].ends_on.strftime("%d.%m.%Y"))
    assertContains(response, "сегодня последний день")
    assertNotContains(response, "Чужой")


def test_home_shows_drafts_of_both_kinds_linking_to_their_documents(logged_in, operator, attention):
    response = logged_in(operator).get(reverse("home"))

    base_url = reverse("subscription_detail", args=[attention["base_draft"].pk])
    extension_url = reverse("extension_detail", args=[attention["extension_draft"].pk])
    assertContains(response, f'<a href="{base_url}">{attention["base_draft"].number}</a>')
    assertContains(response, f'<a href="{extension_url}">{attention["extension_draft"].number}</a>')
    assert response.context["counts"]["drafts"] == 2
    assertContains(response, "Расширяющая")
    assertContains(response, '<span class="badge badge-draft">Черновик</span>', count=2)


def test_home_counts_subscribers_and_those_with_a_tariff_today(
    logged_in, operator, organization, attention
):
    factories.SubscriberFactory(organization=organization)  # no subscription at all

    response = logged_in(operator).get(reverse("home"))

    # Ромашка (active), the ending-today one (active), the later one (starts in 5 days), the new one
    assert response.context["counts"]["subscribers"] == 4
    assert response.context["counts"]["with_tariff"] == 2
    assertContains(response, 'href="/subscribers/"')


def test_home_marks_a_renewed_subscription(logged_in, operator, attention, base_tariff):
    ending = attention["ending"]
    factories.SubscriptionFactory(
        subscriber=ending.subscriber,
        tariff=base_tariff,
        period=ending.period,
        starts_on=ending.ends_on + DAY,
        renews=ending,
    )

    response = logged_in(operator).get(reverse("home"))

    renewed = {s.pk: s.is_renewed for s in response.context["ending"]}
    assert renewed[ending.pk] is True
    assertContains(response, "Продлена")


# --- Query count: the same for 5 rows as for 50 ---------------------------------------


# The 3 queries of any logged-in request (the session, the user and the membership),
# then the four counts (one query), ending rows, draft rows.
HOME_QUERIES = 3 + 3


@pytest.mark.parametrize("rows", [5, 50])
def test_home_runs_a_constant_number_of_queries(
    logged_in, viewer, populate, rows, django_assert_num_queries
):
    populate(rows)
    client = logged_in(viewer)

    with django_assert_num_queries(HOME_QUERIES):
        response = client.get(reverse("home"))

    assert len(response.context["ending"]) == min(rows, 10)
    assert response.context["counts"]["drafts"] == rows
