"""Page «Изменить количество» (R14) behind a running posted extension's card: the date
and the quantity with the new extension's price shown before, refusals next to their
fields, both cards linked afterwards. (The service: tests/subscriptions/test_change_quantity.py.)"""

import datetime
import re
from decimal import Decimal

from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from common.formatting import fmt
from subscriptions.models import ExtensionSubscription
from tests import factories
from tests.cabinet.pages import field_errors, text_of

DAY = datetime.timedelta(days=1)
# The session, the user, the membership with its organization; then the page's own:
# the extension with its base, its replacements (the rule), the tariff's «1 месяц».
CHANGE_QUANTITY_PAGE_QUERIES = 3 + 3


def url(extension):
    return reverse("extension_change_quantity", args=[extension.pk])


def card(client, extension):
    return client.get(reverse("extension_detail", args=[extension.pk]))


def words_of(response) -> str:
    """The page's text without its tags."""
    return re.sub(r"<[^>]+>", "", text_of(response))


def test_the_card_offers_it_on_a_running_extension_only(
    logged_in, operator, base_twelve_months, session_tariff, sessions_extension, today
):
    later = factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today + 3 * DAY,
    )
    client = logged_in(operator)

    assertContains(card(client, sessions_extension), url(sessions_extension))
    assertNotContains(card(client, later), url(later))


def test_the_form_shows_the_dates_and_the_new_price(
    logged_in, operator, sessions_extension, today, django_assert_max_num_queries
):
    client = logged_in(operator)

    with django_assert_max_num_queries(CHANGE_QUANTITY_PAGE_QUERIES):
        response = client.get(url(sessions_extension), {})

    assert response.status_code == 200
    form = response.context["form"]
    assert form["change_on"].value() == today + DAY  # it started today
    assert form["quantity"].value() == 2
    text = text_of(response)
    assert f"С {fmt(today + DAY)} по {fmt(sessions_extension.ends_on)}" in text
    assert "От 1 до 10; сейчас — 2." in text

    preview = client.post(
        url(sessions_extension),
        {"change_on": fmt(today + DAY), "quantity": "3", "preview": "1"},
    )
    assert preview.context["form"].new_amount() == preview.context["form"].new_unit_price() * 3
    assert ExtensionSubscription.objects.count() == 1


def test_changing_links_both_cards(logged_in, operator, sessions_extension, today):
    client = logged_in(operator)

    response = client.post(
        url(sessions_extension), {"change_on": fmt(today + DAY), "quantity": "3"}
    )

    new = ExtensionSubscription.objects.exclude(pk=sessions_extension.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "extension_detail", args=[new.pk]
    )
    new_card = words_of(card(client, new))
    assert "(изменение количества)" in new_card  # its term: a span, not the period's length
    assert f"заменяет подписку №\xa0{sessions_extension.number} (количество было 2)" in new_card
    old_card = words_of(card(client, sessions_extension))
    assert f"заменена подпиской №\xa0{new.number} с {fmt(today + DAY)} (количество 3)" in old_card
    # changed again only in the new one
    assertNotContains(card(client, sessions_extension), url(sessions_extension))
    assert new.amount == new.unit_price * 3 and new.unit_price > Decimal("0")


def test_a_date_outside_the_range_is_refused_next_to_the_field(
    logged_in, operator, sessions_extension, today
):
    response = logged_in(operator).post(
        url(sessions_extension), {"change_on": fmt(today), "quantity": "3"}
    )

    assert response.status_code == 400
    assert field_errors(response, "change_on") == [
        f"Новое количество может действовать с даты с {fmt(today + DAY)} по "
        f"{fmt(sessions_extension.ends_on)}: выберите дату в этих пределах."
    ]
    assert ExtensionSubscription.objects.count() == 1


def test_a_quantity_above_the_maximum_is_refused_next_to_the_field(
    logged_in, operator, sessions_extension, today
):
    response = logged_in(operator).post(
        url(sessions_extension), {"change_on": fmt(today + DAY), "quantity": "11"}
    )

    assert response.status_code == 400
    (message,) = field_errors(response, "quantity")
    assert message.startswith("Количество расширений — от 1 до 10 для этого тарифа")
    assert ExtensionSubscription.objects.count() == 1


def test_an_extension_that_has_not_started_sends_back_with_the_way_to_do_it(
    logged_in, operator, base_twelve_months, session_tariff, today
):
    later = factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today + 3 * DAY,
    )

    response = logged_in(operator).get(url(later), follow=True)

    assertContains(response, "отмените его проведение, исправьте количество и проведите снова")
