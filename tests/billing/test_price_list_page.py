"""«Прайс-лист»: every offered period with the service's price and the partner's; the
owner sets new prices from a day and cancels scheduled ones; the history shows who and
when; operators and users read; another partner never sees them."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import PartnerPrice
from billing.services import PriceChange, price_list_save
from tests.cabinet.pages import text_of

DAY = datetime.timedelta(days=1)
URL = reverse("price_list")


@pytest.fixture
def offer(base_tariff, session_tariff, infobase_tariff):
    return {
        "month": session_tariff.periods.get(count=1),  # 3 000 ₸
        "quarter": session_tariff.periods.get(count=3),  # 8 500 ₸
        "base_year": base_tariff.periods.get(count=12),  # 120 000 ₸
    }


def price_name(period):
    return f"price_{period.pk}"


def form_data(response) -> dict:
    """The price-list form as the browser submits it: every input with its value."""
    page = response.content.decode()
    start = page.index('id="price-list-form"')
    form = page[start : page.index("</form>", start)]
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
    for name in re.findall(r'<input(?![^>]*value=)[^>]*name="([^"]+)"', form):
        data.setdefault(name, "")
    return data


def test_every_offered_period_is_listed_with_both_prices(logged_in, owner, offer, today):
    response = logged_in(owner).get(URL)

    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 12
    page = text_of(response)
    assert "Стандарт" in page and "Дополнительный сеанс" in page
    assert "120\u00a0000\u00a0₸" in page
    assert "(цена сервиса)" in page


def test_the_owner_sets_a_price_from_a_day(logged_in, owner, offer, today):
    client = logged_in(owner)
    data = form_data(client.get(URL))
    assert data[price_name(offer["month"])] == ""  # no own price yet: the placeholder
    data.update(
        {price_name(offer["month"]): "3 500", "valid_from": (today + 3 * DAY).strftime("%d.%m.%Y")}
    )

    response = client.post(URL, data)

    assert response.status_code == 302
    row = PartnerPrice.objects.get()
    assert (row.period, row.price, row.valid_from, row.created_by) == (
        offer["month"],
        Decimal("3500"),
        today + 3 * DAY,
        owner,
    )
    page = text_of(client.get(URL))
    assert "3\u00a0500\u00a0₸ с" in page  # scheduled
    assert ">owner<" in page[page.index("История изменений цен") :]


def test_only_the_changed_rows_are_written(logged_in, owner, offer, today):
    price_list_save(
        organization=owner.membership.organization,
        changes=[PriceChange(offer["quarter"], Decimal("9000"))],
        valid_from=today + 10 * DAY,
        user=owner,
    )
    client = logged_in(owner)
    data = form_data(client.get(URL))
    # from a day after the scheduled 9 000 ₸: the untouched quarter row must keep it
    data.update({price_name(offer["month"]): "3300", "valid_from": (today + 20 * DAY).isoformat()})

    client.post(URL, data)

    assert sorted(PartnerPrice.objects.values_list("period", "price")) == sorted(
        [(offer["quarter"].pk, Decimal("9000")), (offer["month"].pk, Decimal("3300"))]
    )


def test_a_row_not_sent_is_no_change(logged_in, owner, offer, today):
    price_list_save(
        organization=owner.membership.organization,
        changes=[PriceChange(offer["quarter"], Decimal("9000"))],
        valid_from=today,
        user=owner,
    )
    # a partial form: only the date and one row — the quarter's own price stays
    logged_in(owner).post(
        URL, {"valid_from": today.isoformat(), price_name(offer["month"]): "3100"}
    )
    assert set(PartnerPrice.objects.values_list("price", flat=True)) == {
        Decimal("9000"),
        Decimal("3100"),
    }


def test_emptying_a_price_returns_to_the_services_price(logged_in, owner, offer, today):
    price_list_save(
        organization=owner.membership.organization,
        changes=[PriceChange(offer["month"], Decimal("3500"))],
        valid_from=today,
        user=owner,
    )
    client = logged_in(owner)
    data = form_data(client.get(URL))
    assert data[price_name(offer["month"])] == "3500"
    data.update({price_name(offer["month"]): "", "valid_from": (today + DAY).isoformat()})

    client.post(URL, data)

    assert PartnerPrice.objects.get(valid_from=today + DAY).price is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("valid_from", "yesterday", "Новая цена действует с сегодняшнего дня или позже"),
        ("valid_from", "01.01.2100", "Дата вне рабочего диапазона сервиса"),
        ("valid_from", "", "Укажите, с какого дня действуют новые цены."),
        ("price", "abc", "Цена — число в тенге"),
        ("price", "-5", "Цена — не меньше 0 ₸."),
        ("price", "12,345", "не больше 2 знаков после запятой"),
    ],
)
def test_a_wrong_value_is_refused_next_to_its_field(
    logged_in, owner, offer, today, field, value, message
):
    client = logged_in(owner)
    data = form_data(client.get(URL))
    data[price_name(offer["month"])] = "3500"
    if value == "yesterday":
        value = (today - DAY).strftime("%d.%m.%Y")
    name = price_name(offer["quarter"]) if field == "price" else field
    data[name] = value

    response = client.post(URL, data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[name])
    assert f'id="id_{name}_errors"' in response.content.decode()
    assert not PartnerPrice.objects.exists()


def test_the_owner_cancels_a_scheduled_change_but_not_one_in_effect(logged_in, owner, offer, today):
    organization = owner.membership.organization
    for valid_from, price in ((today, "3500"), (today + 5 * DAY, "4000")):
        price_list_save(
            organization=organization,
            changes=[PriceChange(offer["month"], Decimal(price))],
            valid_from=valid_from,
            user=owner,
        )
    started, scheduled = PartnerPrice.objects.order_by("valid_from")
    client = logged_in(owner)
    assert f'id="cancel-{scheduled.pk}"' in client.get(URL).content.decode()

    refused = client.post(URL, {"cancel": started.pk})
    cancelled = client.post(URL, {"cancel": scheduled.pk})

    assert refused.status_code == 200
    assert "уже действует" in text_of(refused)
    assert cancelled.status_code == 302
    assert list(PartnerPrice.objects.all()) == [started]
    assert "отменено" in text_of(client.get(URL))


@pytest.mark.parametrize("who", ["operator", "viewer"])
def test_operators_and_users_read_the_price_list_and_cannot_change_it(
    request, logged_in, offer, today, who
):
    client = logged_in(request.getfixturevalue(who))

    page = client.get(URL)
    refused = client.post(URL, {"valid_from": today.isoformat(), price_name(offer["month"]): "1"})

    assert page.status_code == 200
    assert page.context["form"] is None
    assert 'name="price_' not in page.content.decode()
    assert refused.status_code == 403
    assert not PartnerPrice.objects.exists()


def test_another_partners_prices_and_history_are_never_shown(
    logged_in, owner, other_owner, offer, today
):
    price_list_save(
        organization=owner.membership.organization,
        changes=[PriceChange(offer["month"], Decimal("3777"))],
        valid_from=today,
        user=owner,
    )
    client = logged_in(other_owner)

    page = text_of(client.get(URL))
    client.post(URL, {"cancel": PartnerPrice.objects.get().pk})

    assert "3\u00a0777" not in page and ">owner<" not in page[page.index("История") :]
    assert "Цены еще не менялись" in page
    assert PartnerPrice.objects.count() == 1


def test_the_page_runs_the_same_queries_for_more_periods_and_changes(
    logged_in, owner, offer, today, django_assert_max_num_queries
):
    client = logged_in(owner)
    # the session, the user, the membership; the price list; the history's count and page
    with django_assert_max_num_queries(6):
        client.get(URL)
    for n, count in enumerate((2, 4, 5, 7, 8, 9, 10, 11)):
        period = offer["month"].tariff.periods.create(periodicity="month", count=count, price=100)
        price_list_save(
            organization=owner.membership.organization,
            changes=[PriceChange(period, Decimal(200 + n))],
            valid_from=today + n * DAY,
            user=owner,
        )
    with django_assert_max_num_queries(6):
        response = client.get(URL)
    assert len(response.context["rows"]) == 20
