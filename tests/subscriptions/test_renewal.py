"""Renewal («Продлить»): the service, the form and the base card's button.

A renewing subscription has the base's subscriber and tariff and starts the
day after the base ends; the extensions that end with the base may be carried
onto it. All of it is posted in one transaction, or nothing is.
"""

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from common.formatting import fmt
from subscriptions import services
from subscriptions.models import ExtensionSubscription, Status, Subscription
from subscriptions.periods import Periodicity, add_months
from subscriptions.renewal import carried_period
from tests import factories

DAY = datetime.timedelta(days=1)


def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def base(subscriber, base_tariff, today):
    """A posted 3-month base that started a month ago (ends in about two months)."""
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=3),
        starts_on=add_months(today, -1),
    )


@pytest.fixture
def extensions(base, session_tariff, infobase_tariff, today):
    """Two posted extensions that end with the base, one that ends earlier, one draft."""
    month = session_tariff.periods.get(count=1)
    return {
        # the base's last month: ends with the base
        "sessions": factories.ExtensionFactory(
            subscription=base,
            tariff=session_tariff,
            period=month,
            starts_on=add_months(base.starts_on, 2),
            quantity=2,
        ),
        # the whole base: ends with it too
        "infobases": factories.ExtensionFactory(
            subscription=base,
            tariff=infobase_tariff,
            period=infobase_tariff.periods.get(count=3),
            starts_on=base.starts_on,
            quantity=1,
        ),
        "earlier": factories.ExtensionFactory(
            subscription=base,
            tariff=session_tariff,
            period=month,
            starts_on=add_months(base.starts_on, 1),
            quantity=4,
        ),
        "draft": factories.ExtensionFactory(
            subscription=base,
            tariff=session_tariff,
            period=month,
            starts_on=add_months(base.starts_on, 2),
            quantity=5,
            status=Status.DRAFT,
        ),
    }


def counts():
    return Subscription.objects.count(), ExtensionSubscription.objects.count()


# --- The period a carried extension gets ------------------------------------------------


def test_carried_period_is_the_one_of_the_renewals_length(session_tariff):
    periods = list(session_tariff.periods.all())
    start = datetime.date(2027, 1, 31)

    chosen = carried_period(periods, starts_on=start, ends_on=add_months(start, 12) - DAY)

    assert (chosen.periodicity, chosen.count) == (Periodicity.MONTH, 12)


def test_carried_period_falls_back_to_the_longest_that_fits(session_tariff):
    periods = list(session_tariff.periods.all())  # 1, 3, 6, 12 months
    start = datetime.date(2027, 1, 31)

    two_months = carried_period(periods, starts_on=start, ends_on=add_months(start, 2) - DAY)
    ten_days = carried_period(periods, starts_on=start, ends_on=start + 9 * DAY)

    assert two_months.count == 1
    assert ten_days is None


def test_carried_period_prefers_the_same_periodicity_among_equal_lengths(session_tariff):
    year = factories.TariffPeriodFactory(
        tariff=session_tariff, periodicity=Periodicity.YEAR, count=1, price=29000
    )
    periods = list(session_tariff.periods.all())
    start = datetime.date(2027, 3, 1)

    chosen = carried_period(
        periods, starts_on=start, ends_on=add_months(start, 12) - DAY, like=year
    )

    assert chosen == year


# --- The service ---------------------------------------------------------------------------


def test_renewal_without_copying_posts_the_renewing_subscription(
    base, extensions, base_tariff, operator
):
    year = base_tariff.periods.get(count=12)

    renewal = services.subscription_renew(
        subscription=base, period=year, copy_extensions=False, user=operator
    )

    renewal.refresh_from_db()
    assert renewal.renews == base
    assert renewal.kind_label == "Продлевающая"
    assert (renewal.subscriber, renewal.tariff, renewal.period) == (
        base.subscriber,
        base.tariff,
        year,
    )
    assert renewal.starts_on == base.ends_on + DAY
    assert renewal.ends_on == add_months(renewal.starts_on, 12) - DAY
    assert renewal.status == Status.POSTED
    assert (renewal.created_by, renewal.posted_by) == (operator, operator)
    assert renewal.posted_at is not None
    assert not renewal.extensions.exists()
    assert renewal.history.latest().history_user == operator


def test_renewal_with_copying_carries_the_extensions_that_end_with_the_base(
    base, extensions, base_tariff, operator
):
    year = base_tariff.periods.get(count=12)

    renewal = services.subscription_renew(
        subscription=base, period=year, copy_extensions=True, user=operator
    )

    carried = list(renewal.extensions.select_related("tariff", "period").order_by("tariff__name"))
    assert [(e.tariff, e.quantity) for e in carried] == [
        (extensions["infobases"].tariff, 1),
        (extensions["sessions"].tariff, 2),
    ]
    for extension in carried:
        assert extension.status == Status.POSTED
        assert extension.starts_on == renewal.starts_on
        assert extension.ends_on == renewal.ends_on
        assert (extension.period.periodicity, extension.period.count) == (Periodicity.MONTH, 12)
        assert extension.amount == extension.period.price * extension.quantity
        assert extension.posted_by == operator
        assert extension.history.latest().history_user == operator
    # the originals are untouched
    assert base.extensions.count() == 4


def test_copies_take_the_longest_period_that_fits_when_none_has_the_renewals_length(
    base, extensions, base_tariff, operator
):
    two_months = factories.TariffPeriodFactory(
        tariff=base_tariff, periodicity=Periodicity.MONTH, count=2, price=23000
    )

    renewal = services.subscription_renew(
        subscription=base, period=two_months, copy_extensions=True, user=operator
    )

    carried = list(renewal.extensions.select_related("period"))
    assert len(carried) == 2
    assert {(e.period.periodicity, e.period.count) for e in carried} == {(Periodicity.MONTH, 1)}
    assert all(e.ends_on < renewal.ends_on for e in carried)


def test_a_copy_refused_by_the_rules_rolls_everything_back(
    base, extensions, base_tariff, infobase_tariff, operator
):
    infobase_tariff.offered_for.remove(base_tariff)  # no longer offered for the base tariff
    before = counts()

    with pytest.raises(ValidationError) as refused:
        services.subscription_renew(
            subscription=base,
            period=base_tariff.periods.get(count=12),
            copy_extensions=True,
            user=operator,
        )

    assert counts() == before  # neither the renewal nor the sessions' copy
    message = refused.value.message_dict["copy_extensions"][0]
    assert f"Расширение № {extensions['infobases'].number}" in message
    assert "не предлагается для тарифа «Стандарт»" in message
    assert "Продление не проведено" in message


def test_a_copy_without_a_fitting_period_rolls_everything_back(
    base, extensions, base_tariff, operator
):
    ten_days = factories.TariffPeriodFactory(
        tariff=base_tariff, periodicity=Periodicity.DECADE, count=1, price=4000
    )
    before = counts()

    with pytest.raises(ValidationError) as refused:
        services.subscription_renew(
            subscription=base, period=ten_days, copy_extensions=True, user=operator
        )

    assert counts() == before
    assert "нет периода" in refused.value.message_dict["copy_extensions"][0]


def test_renewing_an_ended_base_with_copies_is_refused_by_r7(
    subscriber, base_tariff, session_tariff, operator, today
):
    ended = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=add_months(today, -1) - 5 * DAY,
    )
    factories.ExtensionFactory(
        subscription=ended,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=ended.starts_on,
    )
    year = base_tariff.periods.get(count=12)
    before = counts()

    with pytest.raises(ValidationError) as refused:
        services.subscription_renew(
            subscription=ended, period=year, copy_extensions=True, user=operator
        )
    assert counts() == before
    assert "с сегодняшнего дня или позже" in refused.value.message_dict["copy_extensions"][0]

    # without the copies the late renewal is fine: it starts the day after the base
    renewal = services.subscription_renew(
        subscription=ended, period=year, copy_extensions=False, user=operator
    )
    assert renewal.starts_on == ended.ends_on + DAY < today


def test_a_renewed_base_cannot_be_renewed_again(base, base_tariff, operator):
    year = base_tariff.periods.get(count=12)
    first = services.subscription_renew(
        subscription=base, period=year, copy_extensions=False, user=operator
    )

    with pytest.raises(ValidationError) as refused:
        services.subscription_renew(
            subscription=base, period=year, copy_extensions=False, user=operator
        )

    assert refused.value.code == "already_renewed"
    assert first.number in refused.value.messages[0]
    assert base.renewals.count() == 1


def test_a_draft_base_cannot_be_renewed(base, base_tariff, operator):
    Subscription.objects.filter(pk=base.pk).update(status=Status.DRAFT)

    with pytest.raises(ValidationError) as refused:
        services.subscription_renew(
            subscription=base,
            period=base_tariff.periods.get(count=12),
            copy_extensions=False,
            user=operator,
        )

    assert refused.value.code == "renew_not_posted"
    assert not base.renewals.exists()


def test_a_renewal_overlapping_another_posted_subscription_is_refused_by_r11(
    base, base_tariff, operator
):
    factories.SubscriptionFactory(
        subscriber=base.subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=base.ends_on + 10 * DAY,
    )
    before = counts()

    with pytest.raises(ValidationError):
        services.subscription_renew(
            subscription=base,
            period=base_tariff.periods.get(count=12),
            copy_extensions=False,
            user=operator,
        )

    assert counts() == before


def test_the_same_request_token_renews_once(base, extensions, base_tariff, operator):
    token = uuid.uuid4()
    year = base_tariff.periods.get(count=12)

    first = services.subscription_renew(
        subscription=base, period=year, copy_extensions=True, user=operator, request_token=token
    )
    second = services.subscription_renew(
        subscription=base, period=year, copy_extensions=True, user=operator, request_token=token
    )

    assert first.pk == second.pk
    assert base.renewals.count() == 1
    assert first.extensions.count() == 2


# --- The form and the card ---------------------------------------------------------------


def renew_url(base):
    return reverse("subscription_renew", args=[base.pk])


def card(client, base):
    return client.get(reverse("subscription_detail", args=[base.pk]))


@pytest.mark.parametrize("role", ["owner", "operator"])
def test_a_posted_base_card_offers_prodlit_to_writers(client, request, base, role):
    response = card(logged_in(client, request.getfixturevalue(role)), base)

    assertContains(response, f'<a class="btn btn-primary" href="{renew_url(base)}">Продлить</a>')


def test_the_card_offers_no_prodlit_to_a_viewer_or_on_a_draft(client, viewer, operator, base):
    assertNotContains(card(logged_in(client, viewer), base), "Продлить")

    Subscription.objects.filter(pk=base.pk).update(status=Status.DRAFT)
    assertNotContains(card(logged_in(client, operator), base), renew_url(base))


def test_the_form_shows_the_renewal_and_the_extensions_to_carry(client, operator, base, extensions):
    response = logged_in(client, operator).get(renew_url(base))

    assert response.status_code == 200
    assertContains(response, "<h1>Продление подписки</h1>")
    assertContains(response, "Продлевающая — продлевает №&nbsp;" + base.number)
    assertContains(response, f"<strong>{fmt(base.ends_on + DAY)}</strong>")
    assertContains(response, "Перенести расширения, которые заканчиваются вместе с подпиской")
    # the base's own period is offered first: 3 months, and the copies get their 3 months
    form = response.context["form"]
    assert form["period"].value() == base.period_id
    for key in ("sessions", "infobases"):
        assertContains(response, f"№ {extensions[key].number}</a>")
    for key in ("earlier", "draft"):
        assertNotContains(response, f"№ {extensions[key].number}</a>")
    assertContains(response, "на период «3 месяца»", count=2)
    assert 'type="checkbox"' in response.content.decode()


def test_posting_the_form_renews_and_carries(client, operator, base, extensions, base_tariff):
    client = logged_in(client, operator)
    form = client.get(renew_url(base)).context["form"]
    year = base_tariff.periods.get(count=12)

    response = client.post(
        renew_url(base),
        {
            "period": year.pk,
            "copy_extensions": "on",
            "request_token": form.initial["request_token"],
        },
    )

    renewal = base.renewals.get()
    assertRedirects(
        response,
        reverse("subscription_detail", args=[renewal.pk]),
        fetch_redirect_response=False,
    )
    assert renewal.period == year and renewal.is_posted
    assert renewal.extensions.filter(status=Status.POSTED).count() == 2
    page = client.get(response["Location"])
    assertContains(page, f"продлена: проведена продлевающая подписка № {renewal.number}")
    assertContains(page, "Перенесено расширений: 2.")
    assertContains(page, f'продлевает <a href="{reverse("subscription_detail", args=[base.pk])}">')
    # the base's card now says who renewed it and offers no second renewal
    base_card = card(client, base)
    assertContains(base_card, f"№&nbsp;{renewal.number}</a>")
    assertNotContains(base_card, renew_url(base))


def test_posting_without_the_checkbox_carries_nothing(
    client, operator, base, extensions, base_tariff
):
    response = logged_in(client, operator).post(
        renew_url(base), {"period": base_tariff.periods.get(count=12).pk}
    )

    assert response.status_code == 302
    assert not base.renewals.get().extensions.exists()


def test_a_form_without_a_period_is_refused_next_to_the_field(client, operator, base, extensions):
    before = counts()

    response = logged_in(client, operator).post(renew_url(base), {"copy_extensions": "on"})

    assert response.status_code == 400
    assert response.context["form"].errors["period"] == ["Обязательное поле."]
    assert counts() == before


def test_a_refusal_of_the_service_shows_next_to_the_checkbox_and_writes_nothing(
    client, operator, base, extensions, base_tariff, infobase_tariff
):
    infobase_tariff.offered_for.remove(base_tariff)
    before = counts()

    response = logged_in(client, operator).post(
        renew_url(base),
        {"period": base_tariff.periods.get(count=12).pk, "copy_extensions": "on"},
    )

    assert response.status_code == 400
    assert counts() == before
    errors = response.context["form"].errors["copy_extensions"]
    assert f"Расширение № {extensions['infobases'].number}" in errors[0]
    assertContains(response, 'id="id_copy_extensions_errors"', status_code=400)
    # the form said so beforehand, too
    assertContains(response, "больше не предлагается для этого тарифа", status_code=400)


def test_another_organizations_base_is_a_404(client, other_operator, base, base_tariff):
    client = logged_in(client, other_operator)

    assert client.get(renew_url(base)).status_code == 404
    response = client.post(renew_url(base), {"period": base_tariff.periods.get(count=12).pk})
    assert response.status_code == 404
    assert not base.renewals.exists()


def test_a_viewer_gets_a_403(client, viewer, base, base_tariff):
    client = logged_in(client, viewer)

    assert client.get(renew_url(base)).status_code == 403
    response = client.post(renew_url(base), {"period": base_tariff.periods.get(count=12).pk})
    assert response.status_code == 403
    assert not base.renewals.exists()


def test_a_double_submit_renews_once(client, operator, base, extensions, base_tariff):
    client = logged_in(client, operator)
    token = client.get(renew_url(base)).context["form"].initial["request_token"]
    data = {
        "period": base_tariff.periods.get(count=12).pk,
        "copy_extensions": "on",
        "request_token": token,
    }

    first = client.post(renew_url(base), data)
    second = client.post(renew_url(base), data)

    renewal = base.renewals.get()
    assert (
        first["Location"] == second["Location"] == reverse("subscription_detail", args=[renewal.pk])
    )
    assert renewal.extensions.count() == 2


def test_a_renewed_base_sends_the_form_back_to_the_card_with_a_message(
    client, operator, base, base_tariff
):
    renewal = services.subscription_renew(
        subscription=base,
        period=base_tariff.periods.get(count=12),
        copy_extensions=False,
        user=operator,
    )
    client = logged_in(client, operator)

    response = client.get(renew_url(base), follow=True)

    assertRedirects(response, reverse("subscription_detail", args=[base.pk]))
    assertContains(response, f"Подписка уже продлена: продлевающая подписка № {renewal.number}")


def test_a_base_without_extensions_to_carry_says_so(client, operator, base):
    response = logged_in(client, operator).get(renew_url(base))

    assert "copy_extensions" not in response.context["form"].fields
    assertContains(response, "переносить нечего")
