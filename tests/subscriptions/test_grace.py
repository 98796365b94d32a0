"""R13: the grace subscription («Продлевающая», «обещанный платеж»).

On an ended posted base only; starting the day it is recorded (so never before
the day after the base ends); for 1 to the tariff's grace days; only within the
tariff's window after the end; once per base (also a unique constraint); the
base's tariff and limits, no extensions. Each refusal below has its own test,
which fails without its rule. Then the limits, the API and the cabinet.
(A renewal — «Продлить» — is an «Основная» that continues the base:
tests/subscriptions/test_renewal.py and tests/cabinet/test_renewal_form.py.)
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from api.models import ApiToken
from subscribers.models import Subscriber
from subscriptions import clock, kept_limits, rules, selectors, services
from subscriptions.kept_limits import SubscriberLimits
from subscriptions.models import ExtensionSubscription, Status, Subscription
from tests import factories
from tests.cabinet.pages import field_errors, page_form

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
# «Стандарт»'s quarter 01.03.2027–31.05.2027: the grace may be recorded 01.06–30.06.2027.
BASE_START = datetime.date(2027, 3, 1)
BASE_END = datetime.date(2027, 5, 31)


@pytest.fixture
def quarter_ended(subscriber, base_tariff):
    """A posted quarter of «Стандарт» (5 sessions, 2 infobases), 01.03–31.05.2027."""
    with clock.today_is(BASE_START):
        return factories.SubscriptionFactory(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=3),
            starts_on=BASE_START,
        )


def grace(base, user, *, on, days=None):
    with clock.today_is(on):
        return services.grace_create(subscription=base, days=days, user=user)


def refused(base, user, *, on, days=None) -> ValidationError:
    with pytest.raises(ValidationError) as error:
        grace(base, user, on=on, days=days)
    return error.value


def codes(error: ValidationError) -> dict:
    return {field: {e.code for e in errors} for field, errors in error.error_dict.items()}


def message(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- What is recorded --------------------------------------------------------------------------


def test_a_grace_subscription_starts_the_day_it_is_recorded_for_the_tariffs_days(
    quarter_ended, operator
):
    recorded = grace(quarter_ended, operator, on=BASE_END + 3 * DAY)

    recorded.refresh_from_db()
    assert recorded.kind == Subscription.Kind.GRACE and recorded.kind_label == "Продлевающая"
    assert (recorded.starts_on, recorded.ends_on) == (BASE_END + 3 * DAY, BASE_END + 9 * DAY)
    assert recorded.period is None and recorded.period_label == "7 дней"
    assert (recorded.subscriber, recorded.tariff, recorded.renews) == (
        quarter_ended.subscriber,
        quarter_ended.tariff,
        quarter_ended,
    )
    assert recorded.is_posted and recorded.posted_by == operator
    assert recorded.current_amount == Decimal("0")  # amount 0 unless the tariff sets a price
    assert not recorded.extensions.exists()
    entry = recorded.history.get()
    assert (entry.history_user, entry.history_change_reason) == (operator, "Продлевающая подписка")


def test_the_operator_picks_fewer_days_and_the_last_day_is_computed(quarter_ended, operator):
    recorded = grace(quarter_ended, operator, on=BASE_END + DAY, days=3)

    assert (recorded.starts_on, recorded.ends_on) == (BASE_END + DAY, BASE_END + 3 * DAY)


def test_the_tariffs_grace_price_is_its_amount_in_lists_too(
    quarter_ended, operator, admin_user, base_tariff, organization
):
    base_tariff.grace_price = Decimal("1500")
    services.tariff_save(tariff=base_tariff, user=admin_user)

    recorded = grace(quarter_ended, operator, on=BASE_END + DAY)

    assert recorded.current_amount == Decimal("1500")
    rows = selectors.document_rows(selectors.organization_documents(organization).queryset)
    row = next(r for r in rows if r.number == recorded.number)
    assert (row.kind_label, row.is_grace, row.continues_number) == (
        "Продлевающая",
        True,
        quarter_ended.number,
    )
    assert (row.amount, row.period_label) == (Decimal("1500"), "7 дней")


def test_extensions_are_not_carried_nor_posted_onto_a_grace(
    quarter_ended, operator, session_tariff
):
    with clock.today_is(BASE_START):
        factories.ExtensionFactory(
            subscription=quarter_ended,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=3),
            starts_on=BASE_START,
        )
    recorded = grace(quarter_ended, operator, on=BASE_END + DAY)
    assert not recorded.extensions.exists()

    with clock.today_is(BASE_END + DAY), pytest.raises(ValidationError) as error:
        services.extension_save(
            extension=ExtensionSubscription(
                subscription=recorded,
                tariff=session_tariff,
                period=session_tariff.periods.get(count=1),
                starts_on=BASE_END + DAY,
            ),
            user=operator,
            post=True,
        )
    assert codes(error.value)["__all__"] == {"base_is_grace"}


# --- Each refusal, on its boundary day ---------------------------------------------------------


def test_not_before_the_day_after_the_base_ends(quarter_ended, operator):
    error = refused(quarter_ended, operator, on=BASE_END)

    assert codes(error) == {"__all__": {"grace_base_not_ended"}}
    assert "с 01.06.2027" in message(error) and "«Продлить»" in message(error)
    assert grace(quarter_ended, operator, on=BASE_END + DAY).starts_on == BASE_END + DAY


def test_only_within_the_tariffs_window_after_the_end(quarter_ended, operator):
    error = refused(quarter_ended, operator, on=BASE_END + 31 * DAY)

    assert codes(error) == {"__all__": {"grace_window_passed"}}
    assert "не позже 30.06.2027" in message(error)
    assert grace(quarter_ended, operator, on=BASE_END + 30 * DAY).is_posted


def test_the_window_is_the_tariffs_setting(quarter_ended, operator, admin_user, base_tariff):
    base_tariff.grace_window_days = 10
    services.tariff_save(tariff=base_tariff, user=admin_user)

    assert codes(refused(quarter_ended, operator, on=BASE_END + 11 * DAY)) == {
        "__all__": {"grace_window_passed"}
    }
    assert grace(quarter_ended, operator, on=BASE_END + 10 * DAY).is_posted


def test_once_per_base(quarter_ended, operator):
    first = grace(quarter_ended, operator, on=BASE_END + DAY, days=2)

    error = refused(quarter_ended, operator, on=BASE_END + 5 * DAY)

    assert codes(error) == {"__all__": {"grace_used"}}
    assert f"№ {first.number}" in message(error)


def test_once_per_base_even_past_the_rules_in_the_database(quarter_ended, operator):
    first = grace(quarter_ended, operator, on=BASE_END + DAY, days=2)

    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.create(
            subscriber=first.subscriber,
            organization=first.organization,
            tariff=first.tariff,
            kind=Subscription.Kind.GRACE,
            renews=quarter_ended,
            starts_on=BASE_END + 10 * DAY,
            ends_on=BASE_END + 11 * DAY,
            number="Т99999999",
        )


def test_only_on_a_posted_base(subscriber, base_tariff, operator):
    with clock.today_is(BASE_START):
        draft = factories.SubscriptionFactory(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=3),
            starts_on=BASE_START,
            status=Status.DRAFT,
        )

    error = refused(draft, operator, on=BASE_END + DAY)

    assert codes(error) == {"__all__": {"grace_base_not_posted"}}


def test_at_most_the_tariffs_grace_days(quarter_ended, operator, admin_user, base_tariff):
    base_tariff.grace_days = 3
    services.tariff_save(tariff=base_tariff, user=admin_user)

    error = refused(quarter_ended, operator, on=BASE_END + DAY, days=4)

    assert codes(error) == {"days": {"grace_too_long"}}
    [days_error] = error.error_dict["days"]
    assert days_error.params[rules.ADVICE] == {"days": 3}
    assert "самое большее 3 дня" in message(error)
    assert codes(refused(quarter_ended, operator, on=BASE_END + DAY, days=0)) == {
        "days": {"grace_too_long"}
    }
    assert grace(quarter_ended, operator, on=BASE_END + DAY, days=3).ends_on == BASE_END + 3 * DAY


def test_not_on_a_base_a_renewal_already_continues(quarter_ended, operator, base_tariff):
    with clock.today_is(BASE_END - DAY):
        renewal = services.subscription_renew(
            subscription=quarter_ended,
            period=base_tariff.periods.get(count=1),
            copy_extensions=False,
            user=operator,
        )

    error = refused(quarter_ended, operator, on=BASE_END + DAY)

    assert codes(error) == {"__all__": {"grace_base_renewed"}}
    assert f"№ {renewal.number}" in message(error)


def test_not_of_a_grace_subscription(quarter_ended, operator):
    recorded = grace(quarter_ended, operator, on=BASE_END + DAY, days=1)

    error = refused(recorded, operator, on=BASE_END + 2 * DAY)

    assert codes(error) == {"__all__": {"grace_of_grace"}}


def test_not_over_days_another_subscription_of_the_tariff_covers(
    quarter_ended, operator, subscriber, base_tariff
):
    with clock.today_is(BASE_END + DAY):
        factories.SubscriptionFactory(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=1),
            starts_on=BASE_END + DAY,
        )

    error = refused(quarter_ended, operator, on=BASE_END + 2 * DAY)

    assert codes(error) == {"__all__": {"grace_covered"}}


def test_ends_before_a_later_subscription_of_the_tariff_and_says_how_many_days_fit(
    quarter_ended, operator, subscriber, base_tariff
):
    with clock.today_is(BASE_END + DAY):
        later = factories.SubscriptionFactory(
            subscriber=subscriber,
            tariff=base_tariff,
            period=base_tariff.periods.get(count=1),
            starts_on=BASE_END + 5 * DAY,
        )

    error = refused(quarter_ended, operator, on=BASE_END + DAY)

    assert codes(error) == {"days": {"grace_runs_into_next"}}
    [days_error] = error.error_dict["days"]
    assert f"№ {later.number}" in message(error)
    advised = days_error.params[rules.ADVICE]["days"]
    assert advised == 4
    assert grace(quarter_ended, operator, on=BASE_END + DAY, days=advised).ends_on == (
        later.starts_on - DAY
    )


def test_posted_again_later_it_must_start_that_day(quarter_ended, operator):
    recorded = grace(quarter_ended, operator, on=BASE_END + DAY, days=2)
    # Back to a draft (as an un-posting on its day would leave it), posted a day later.
    Subscription.objects.filter(pk=recorded.pk).update(status=Status.DRAFT)

    with clock.today_is(BASE_END + 2 * DAY), pytest.raises(ValidationError) as error:
        services.subscription_post(subscription=recorded, user=operator)

    assert codes(error.value) == {"starts_on": {"grace_start_not_today"}}


# --- The base it continues -----------------------------------------------------------------------


def test_the_base_stays_as_it_ended_while_its_grace_is_posted(quarter_ended, operator, base_tariff):
    grace(quarter_ended, operator, on=BASE_END + DAY)
    base = Subscription.objects.get(pk=quarter_ended.pk)
    base.period = base_tariff.periods.get(count=6)

    with clock.today_is(BASE_END + 2 * DAY), pytest.raises(ValidationError) as error:
        services.subscription_save(subscription=base, user=operator)

    assert codes(error.value) == {"__all__": {"base_change_strands_grace"}}


def test_a_renewal_after_a_grace_starts_the_day_after_the_grace(
    quarter_ended, operator, base_tariff
):
    recorded = grace(quarter_ended, operator, on=BASE_END + 2 * DAY, days=5)

    with clock.today_is(BASE_END + 4 * DAY):
        renewal = services.subscription_renew(
            subscription=quarter_ended,
            period=base_tariff.periods.get(count=1),
            copy_extensions=False,
            user=operator,
        )

    assert renewal.starts_on == recorded.ends_on + DAY
    assert renewal.kind == Subscription.Kind.MAIN and renewal.renews == quarter_ended


def test_a_grace_is_not_renewed_the_base_is(quarter_ended, operator, base_tariff):
    recorded = grace(quarter_ended, operator, on=BASE_END + DAY)

    with clock.today_is(BASE_END + 2 * DAY), pytest.raises(ValidationError) as error:
        services.subscription_renew(
            subscription=recorded,
            period=base_tariff.periods.get(count=1),
            copy_extensions=False,
            user=operator,
        )

    assert error.value.code == "renew_grace"
    assert error.value.params[rules.ADVICE] == {"subscription": quarter_ended.pk}


# --- Limits, the API and the lists agree on every boundary day -----------------------------------


def test_a_posted_grace_counts_in_the_limits_like_its_base_on_every_boundary_day(
    quarter_ended, operator, organization, owner, client
):
    recorded = grace(quarter_ended, operator, on=BASE_END + 3 * DAY, days=2)
    subscriber = quarter_ended.subscriber
    subscribers = Subscriber.objects.filter(pk=subscriber.pk)
    key = ApiToken.issue(organization=organization, name="1С", created_by=owner)[1]
    url = reverse("api-subscriber-limits", args=[subscriber.pk])
    expected = {
        BASE_END: (5, 2),  # the base's last day
        BASE_END + DAY: (0, 0),  # ended, no grace recorded for these days
        recorded.starts_on - DAY: (0, 0),
        recorded.starts_on: (5, 2),  # the grace: the base's tariff and limits
        recorded.ends_on: (5, 2),
        recorded.ends_on + DAY: (0, 0),
    }

    for day, (sessions, infobases) in expected.items():
        want = selectors.Limits(sessions, infobases)
        annotated = selectors.annotate_limits(subscribers, day).get()
        assert selectors.Limits(annotated.limit_sessions, annotated.limit_infobases) == want, day
        assert selectors.limits_for_subscribers(subscribers, day)[subscriber.pk] == want, day
        assert selectors.limits_breakdown(subscriber, day).limits == want, day
        answer = client.get(url, {"date": day.isoformat()}, HTTP_AUTHORIZATION=f"Bearer {key}")
        assert (answer.json()["sessions"], answer.json()["infobases"]) == (sessions, infobases)
        with clock.today_is(day):
            kept_limits.refresh()
            kept = SubscriberLimits.objects.get(subscriber=subscriber)
            assert (kept.sessions, kept.infobases) == (sessions, infobases), day


def test_the_api_shows_the_kind(quarter_ended, operator, organization, owner, client):
    recorded = grace(quarter_ended, operator, on=BASE_END + DAY)
    key = ApiToken.issue(organization=organization, name="1С", created_by=owner)[1]

    with clock.today_is(BASE_END + DAY):
        body = client.get(
            reverse("api-subscriber-subscriptions", args=[quarter_ended.subscriber_id]),
            HTTP_AUTHORIZATION=f"Bearer {key}",
        ).json()

    by_number = {row["number"]: row for row in body["results"]}
    assert {
        k: by_number[recorded.number][k] for k in ("type", "type_label", "kind", "renews", "period")
    } == {
        "type": "grace",
        "type_label": "Продлевающая",
        "kind": "grace",
        "renews": quarter_ended.number,
        "period": "7 дней",
    }
    assert by_number[quarter_ended.number]["kind"] == "main"


# --- The cabinet: the base card's button and the form -----------------------------------------


def grace_url(base):
    return reverse("grace_create", args=[base.pk])


def card(client, base):
    return client.get(reverse("subscription_detail", args=[base.pk]))


def test_the_card_of_an_ended_base_offers_it_and_the_form_posts_it(
    logged_in, operator, quarter_ended
):
    client = logged_in(operator)
    with clock.today_is(BASE_END + DAY):
        assertContains(card(client, quarter_ended), f'href="{grace_url(quarter_ended)}"')
        page = client.get(grace_url(quarter_ended))
        assert page.status_code == 200
        assertContains(page, "<h1>Продлевающая подписка</h1>")
        data = page_form(page)
        assert data["days"] == "7"
        data["days"] = "5"

        response = client.post(grace_url(quarter_ended), data)

        recorded = Subscription.objects.get(kind=Subscription.Kind.GRACE)
        assert response.status_code == 302
        assert response["Location"] == reverse("subscription_detail", args=[recorded.pk])
        assert recorded.ends_on == BASE_END + 5 * DAY
        # A second click of the same form shows the first one's result.
        again = client.post(grace_url(quarter_ended), data)
        assert again["Location"] == response["Location"]
        assert Subscription.objects.filter(kind=Subscription.Kind.GRACE).count() == 1
        # Both ways: the grace names its base, the base its grace; the button is gone.
        grace_card = card(client, recorded)
        assertContains(grace_card, "Продлевающая — к подписке")
        base_card = card(client, quarter_ended)
        assertContains(base_card, f"№&nbsp;{recorded.number}</a>")
        assertNotContains(base_card, f'href="{grace_url(quarter_ended)}"')
        assertContains(base_card, "Кнопка «Продлевающая подписка» недоступна.")
        assertContains(base_card, f"уже оформлена продлевающая подписка № {recorded.number}")


def test_the_forms_refusal_is_next_to_the_days_and_nothing_is_written(
    logged_in, operator, quarter_ended
):
    client = logged_in(operator)
    with clock.today_is(BASE_END + DAY):
        data = page_form(client.get(grace_url(quarter_ended)))
        data["days"] = "8"

        response = client.post(grace_url(quarter_ended), data)

    assert response.status_code == 400
    assert "самое большее 7 дней" in field_errors(response, "days")[0]
    assert not Subscription.objects.filter(kind=Subscription.Kind.GRACE).exists()


def test_the_button_is_hidden_with_the_reason_once_the_window_passed(
    logged_in, operator, quarter_ended
):
    client = logged_in(operator)
    with clock.today_is(BASE_END + 31 * DAY):
        page = card(client, quarter_ended)
        assertNotContains(page, f'href="{grace_url(quarter_ended)}"')
        assertContains(page, "оформляют не позже 30.06.2027")
        # Typed into the address bar, the form sends the operator back with the reason.
        response = client.get(grace_url(quarter_ended), follow=True)
    assertContains(response, "оформляют не позже 30.06.2027")


def test_a_running_base_shows_nothing_about_it(logged_in, operator, quarter_ended):
    with clock.today_is(BASE_END):
        page = card(logged_in(operator), quarter_ended)

    assertNotContains(page, "Продлевающая подписка")


def test_another_organizations_base_is_a_404(logged_in, other_operator, quarter_ended):
    client = logged_in(other_operator)
    with clock.today_is(BASE_END + DAY):
        assert client.get(grace_url(quarter_ended)).status_code == 404
        assert client.post(grace_url(quarter_ended), {"days": "3"}).status_code == 404
    assert not Subscription.objects.filter(kind=Subscription.Kind.GRACE).exists()


def test_a_viewer_cannot_record_it(logged_in, viewer, quarter_ended):
    client = logged_in(viewer)
    with clock.today_is(BASE_END + DAY):
        assertNotContains(card(client, quarter_ended), f'href="{grace_url(quarter_ended)}"')
        assert client.post(grace_url(quarter_ended), {"days": "3"}).status_code in (403, 404)
    assert not Subscription.objects.filter(kind=Subscription.Kind.GRACE).exists()


# The session, the user, the membership with its organization; then the base, and R13's
# three reads (its grace, its renewal, a subscription in force today).
GRACE_FORM_QUERIES = 3 + 4


def test_the_forms_query_count(logged_in, operator, quarter_ended, django_assert_num_queries):
    client = logged_in(operator)
    with clock.today_is(BASE_END + DAY), django_assert_num_queries(GRACE_FORM_QUERIES):
        assert client.get(grace_url(quarter_ended)).status_code == 200


# --- The admin --------------------------------------------------------------------------------


def test_the_admin_shows_the_kind_and_the_tariffs_grace_settings(
    admin_client, quarter_ended, operator, base_tariff
):
    recorded = grace(quarter_ended, operator, on=BASE_END + DAY)

    listing = admin_client.get(
        reverse("admin:subscriptions_subscription_changelist"), {"kind__exact": "grace"}
    )
    change = admin_client.get(
        reverse("admin:subscriptions_subscription_change", args=[recorded.pk])
    )
    tariff = admin_client.get(reverse("admin:subscriptions_tariff_change", args=[base_tariff.pk]))

    assert listing.status_code == change.status_code == tariff.status_code == 200
    assertContains(listing, recorded.number)
    assertNotContains(listing, f">{quarter_ended.number}<")
    assertContains(listing, "Продлевающая")
    assertContains(change, "Продлевающая")
    for name in ("grace_days", "grace_window_days", "grace_price"):
        assertContains(tariff, f'name="{name}"')


# --- The words: a renewal continues its base, shown both ways ------------------------------------


def test_the_window_and_the_list_say_who_continues_whom(
    logged_in, operator, quarter_ended, base_tariff
):
    with clock.today_is(BASE_END - DAY):
        renewal = services.subscription_renew(
            subscription=quarter_ended,
            period=base_tariff.periods.get(count=1),
            copy_extensions=False,
            user=operator,
        )
    client = logged_in(operator)

    window = client.get(reverse("subscriber_subscriptions", args=[quarter_ended.subscriber_id]))
    listing = client.get(reverse("subscription_list"))
    renewal_card = card(client, renewal)
    base_card = card(client, quarter_ended)

    for page in (window, listing):
        assertContains(page, f"продолжает подписку № {quarter_ended.number}")
    assertContains(window, f"продолжена подпиской № {renewal.number}")
    assertContains(renewal_card, "Основная — продолжает подписку")
    assertContains(base_card, "Продолжена")
    assertContains(base_card, f"№&nbsp;{renewal.number}</a>")
    assertNotContains(window, "Продлевающая")


def test_the_window_names_the_base_of_a_grace(logged_in, operator, quarter_ended):
    recorded = grace(quarter_ended, operator, on=BASE_END + DAY)

    with clock.today_is(BASE_END + DAY):
        window = logged_in(operator).get(
            reverse("subscriber_subscriptions", args=[quarter_ended.subscriber_id])
        )

    assertContains(window, recorded.number)
    assertContains(
        window, f'Продлевающая <span class="muted nowrap">к подписке № {quarter_ended.number}'
    )


@pytest.mark.parametrize(
    ("language", "heading", "refusal"),
    [
        ("en", "Grace subscription", "lasts at most 7 days"),
        ("kk", "Ұзартушы жазылым", "ең көбі 7 күн"),
    ],
)
def test_the_form_and_its_refusal_in_kazakh_and_english(
    logged_in, operator, quarter_ended, settings, language, heading, refusal
):
    client = logged_in(operator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with clock.today_is(BASE_END + DAY):
        page = client.get(grace_url(quarter_ended))
        data = page_form(page)
        data["days"] = "9"
        response = client.post(grace_url(quarter_ended), data)

    assertContains(page, f"<h1>{heading}</h1>")
    assert refusal in field_errors(response, "days")[0]
