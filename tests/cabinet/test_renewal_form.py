"""Form «Продление подписки» («Продлить» on a posted base's card): the renewing
subscription and the extensions to carry, refusals next to their fields, exactly once.
(The renewal service: tests/subscriptions/test_renewal.py.)"""

import datetime

from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from common.formatting import fmt
from subscriptions import services
from subscriptions.models import ExtensionSubscription, Status, Subscription


def counts():
    return Subscription.objects.count(), ExtensionSubscription.objects.count()


DAY = datetime.timedelta(days=1)


def renew_url(base):
    return reverse("subscription_renew", args=[base.pk])


def card(client, base):
    return client.get(reverse("subscription_detail", args=[base.pk]))


def test_the_form_shows_the_renewal_and_the_extensions_to_carry(
    logged_in, operator, base_three_months, extensions_of_base_three_months
):
    response = logged_in(operator).get(renew_url(base_three_months))

    assert response.status_code == 200
    assertContains(response, "<h1>Продление подписки</h1>")
    assertContains(response, "Основная — продолжает подписку №&nbsp;" + base_three_months.number)
    assertContains(response, f"<strong>{fmt(base_three_months.ends_on + DAY)}</strong>")
    assertContains(response, "Перенести расширения, которые заканчиваются вместе с подпиской")
    # the base's own period is offered first: 3 months, and the copies get their 3 months
    form = response.context["form"]
    assert form["period"].value() == base_three_months.period_id
    for key in ("sessions", "infobases"):
        assertContains(response, f"№ {extensions_of_base_three_months[key].number}</a>")
    for key in ("earlier", "draft"):
        assertNotContains(response, f"№ {extensions_of_base_three_months[key].number}</a>")
    assertContains(response, "на период «3 месяца»", count=2)
    assert 'type="checkbox"' in response.content.decode()


def test_posting_the_form_renews_and_carries(
    logged_in, operator, base_three_months, extensions_of_base_three_months, base_tariff
):
    client = logged_in(operator)
    form = client.get(renew_url(base_three_months)).context["form"]
    year = base_tariff.periods.get(count=12)

    response = client.post(
        renew_url(base_three_months),
        {
            "period": year.pk,
            "copy_extensions": "on",
            "request_token": form.initial["request_token"],
        },
    )

    renewal = base_three_months.renewals.get()
    assertRedirects(
        response,
        reverse("subscription_detail", args=[renewal.pk]),
        fetch_redirect_response=False,
    )
    assert renewal.period == year and renewal.is_posted
    assert renewal.extensions.filter(status=Status.POSTED).count() == 2
    page = client.get(response["Location"])
    assertContains(page, f"продлена: проведена подписка № {renewal.number}, которая ее продолжает")
    assertContains(page, "Перенесено расширений: 2.")
    base_url = reverse("subscription_detail", args=[base_three_months.pk])
    assertContains(page, f'продолжает подписку <a href="{base_url}">')
    # the base's card now says who renewed it and offers no second renewal
    base_card = card(client, base_three_months)
    assertContains(base_card, f"№&nbsp;{renewal.number}</a>")
    assertNotContains(base_card, renew_url(base_three_months))


def test_posting_without_the_checkbox_carries_nothing(
    logged_in, operator, base_three_months, extensions_of_base_three_months, base_tariff
):
    response = logged_in(operator).post(
        renew_url(base_three_months), {"period": base_tariff.periods.get(count=12).pk}
    )

    assert response.status_code == 302
    assert not base_three_months.renewals.get().extensions.exists()


def test_a_form_without_a_period_is_refused_next_to_the_field(
    logged_in, operator, base_three_months, extensions_of_base_three_months
):
    before = counts()

    response = logged_in(operator).post(renew_url(base_three_months), {"copy_extensions": "on"})

    assert response.status_code == 400
    assert response.context["form"].errors["period"] == ["Обязательное поле."]
    assert counts() == before


def test_a_refusal_of_the_service_shows_next_to_the_checkbox_and_writes_nothing(
    logged_in,
    operator,
    base_three_months,
    extensions_of_base_three_months,
    base_tariff,
    infobase_tariff,
):
    infobase_tariff.offered_for.remove(base_tariff)
    before = counts()

    response = logged_in(operator).post(
        renew_url(base_three_months),
        {"period": base_tariff.periods.get(count=12).pk, "copy_extensions": "on"},
    )

    assert response.status_code == 400
    assert counts() == before
    errors = response.context["form"].errors["copy_extensions"]
    assert f"Расширение № {extensions_of_base_three_months['infobases'].number}" in errors[0]
    assertContains(response, 'id="id_copy_extensions_errors"', status_code=400)
    # the form said so beforehand, too
    assertContains(response, "больше не предлагается для этого тарифа", status_code=400)


def test_another_organizations_base_is_a_404(
    logged_in, other_operator, base_three_months, base_tariff
):
    client = logged_in(other_operator)

    assert client.get(renew_url(base_three_months)).status_code == 404
    response = client.post(
        renew_url(base_three_months), {"period": base_tariff.periods.get(count=12).pk}
    )
    assert response.status_code == 404
    assert not base_three_months.renewals.exists()


def test_a_viewer_gets_a_403(logged_in, viewer, base_three_months, base_tariff):
    client = logged_in(viewer)

    assert client.get(renew_url(base_three_months)).status_code == 403
    response = client.post(
        renew_url(base_three_months), {"period": base_tariff.periods.get(count=12).pk}
    )
    assert response.status_code == 403
    assert not base_three_months.renewals.exists()


def test_a_double_submit_renews_once(
    logged_in, operator, base_three_months, extensions_of_base_three_months, base_tariff
):
    client = logged_in(operator)
    token = client.get(renew_url(base_three_months)).context["form"].initial["request_token"]
    data = {
        "period": base_tariff.periods.get(count=12).pk,
        "copy_extensions": "on",
        "request_token": token,
    }

    first = client.post(renew_url(base_three_months), data)
    second = client.post(renew_url(base_three_months), data)

    renewal = base_three_months.renewals.get()
    assert (
        first["Location"] == second["Location"] == reverse("subscription_detail", args=[renewal.pk])
    )
    assert renewal.extensions.count() == 2


def test_a_renewed_base_sends_the_form_back_to_the_card_with_a_message(
    logged_in, operator, base_three_months, base_tariff
):
    renewal = services.subscription_renew(
        subscription=base_three_months,
        period=base_tariff.periods.get(count=12),
        copy_extensions=False,
        user=operator,
    )
    client = logged_in(operator)

    response = client.get(renew_url(base_three_months), follow=True)

    assertRedirects(response, reverse("subscription_detail", args=[base_three_months.pk]))
    assertContains(
        response, f"Подписка уже продлена: ее продолжает проведенная подписка № {renewal.number}"
    )


def test_a_base_without_extensions_to_carry_says_so(logged_in, operator, base_three_months):
    response = logged_in(operator).get(renew_url(base_three_months))

    assert "copy_extensions" not in response.context["form"].fields
    assertContains(response, "переносить нечего")
