"""GET /api/v1/price-list/: the key's organization's prices on a day, documented like
every operation of the API (its answers and their bodies), 401 without a key."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from api.models import ApiToken
from billing.models import PartnerPrice

DAY = datetime.timedelta(days=1)
URL = "/api/v1/price-list/"


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def own_key(organization):
    return ApiToken.issue(organization=organization, name="1С")[1]


@pytest.fixture
def other_key(other_organization):
    return ApiToken.issue(organization=other_organization, name="Чужой")[1]


@pytest.fixture
def prices(organization, other_organization, session_tariff, infobase_tariff, today):
    """Ours: «Дополнительный сеанс» 1 месяц at 3 500 ₸ from today, 4 000 ₸ from in 10 days.
    Theirs: the same period at 1 ₸."""
    month = session_tariff.periods.get(count=1)
    for price, valid_from in ((Decimal("3500"), today), (Decimal("4000"), today + 10 * DAY)):
        PartnerPrice.objects.create(
            organization=organization, period=month, price=price, valid_from=valid_from
        )
    PartnerPrice.objects.create(
        organization=other_organization, period=month, price=Decimal("1"), valid_from=today
    )
    return month


def row_of(body, period):
    return next(row for row in body["prices"] if row["period_id"] == period.pk)


def test_the_url_is_named_and_documented(client):
    assert reverse("api-price-list") == URL
    document = client.get(reverse("api_schema"), {"format": "json"}).json()
    operation = document["paths"][URL]["get"]
    assert set(operation["responses"]) == {"200", "400", "401", "406"}
    assert {p["name"] for p in operation["parameters"] if p["in"] == "query"} == {"date"}
    assert operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"] == (
        "#/components/schemas/Error"
    )


def test_the_price_list_of_today(client, own_key, prices, today):
    response = client.get(URL, **auth(own_key))

    assert response.status_code == 200
    body = response.json()
    assert body["date"] == today.isoformat()
    assert row_of(body, prices) == {
        "period_id": prices.pk,
        "tariff": "Дополнительный сеанс",
        "tariff_kind": "extension",
        "period": "1 месяц",
        "periodicity": "month",
        "count": 1,
        "service_price": "3000.00",
        "price": "3500.00",
        "is_own": True,
        "own_price_from": today.isoformat(),
    }
    # a period without its own price: the service's
    quarter = row_of(body, prices.tariff.periods.get(count=3))
    assert (quarter["price"], quarter["is_own"], quarter["own_price_from"]) == (
        "8500.00",
        False,
        None,
    )


def test_the_price_list_on_a_later_day(client, own_key, prices, today):
    day = today + 10 * DAY
    body = client.get(URL, {"date": day.isoformat()}, **auth(own_key)).json()
    assert row_of(body, prices)["price"] == "4000.00"


def test_each_key_sees_its_own_organizations_prices(client, own_key, other_key, prices):
    assert row_of(client.get(URL, **auth(own_key)).json(), prices)["price"] == "3500.00"
    assert row_of(client.get(URL, **auth(other_key)).json(), prices)["price"] == "1.00"


@pytest.mark.parametrize("key", ["", "fc_" + "x" * 43])
def test_without_a_valid_key_it_is_a_401(client, prices, key):
    response = client.get(URL, **(auth(key) if key else {}))

    assert response.status_code == 401
    assert "ключ" in response.json()["detail"].lower()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date": "31.01.2026"}, "date"),
        ({"date": "2100-01-01"}, "date"),
        ({"dat": "2026-01-01"}, "dat"),
    ],
)
def test_a_bad_or_unknown_parameter_is_a_400_naming_it(client, own_key, prices, params, field):
    response = client.get(URL, params, **auth(own_key))

    assert response.status_code == 400
    assert set(response.json()) == {field}


def test_only_get_is_answered(client, own_key):
    response = client.post(URL, {}, **auth(own_key))
    assert response.status_code == 405
    assert "GET" in response.json()["detail"]


def test_the_price_list_costs_the_same_queries_for_more_periods(
    client, own_key, prices, base_tariff, django_assert_max_num_queries
):
    # the key, its «last used» mark, the price list (one query)
    with django_assert_max_num_queries(3):
        client.get(URL, **auth(own_key))
    for count in (2, 4, 5, 7, 8, 9, 10, 11):
        prices.tariff.periods.create(periodicity="month", count=count, price=100 * count)
    with django_assert_max_num_queries(2):
        assert len(client.get(URL, **auth(own_key)).json()["prices"]) == 8 + 4 + 8
