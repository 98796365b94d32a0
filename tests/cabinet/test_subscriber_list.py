"""«Обслуживаемые абоненты»: the organization's subscribers with today's limits; search,
sorting, paging."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains

from tests import factories


def row_names(response) -> list[str]:
    """Subscriber names in table order, from the page (unescaped)."""
    from html import unescape

    return [
        unescape(name)
        for name in re.findall(
            r'<tr data-href="/subscribers/\d+/" tabindex="0">.*?<a href="[^"]+">(.*?)</a>',
            response.content.decode(),
            re.S,
        )
    ]


def test_subscriber_list_shows_only_the_organizations_subscribers(
    logged_in, viewer, three_subscribers
):
    response = logged_in(viewer).get(reverse("subscriber_list"))

    assert response.status_code == 200
    assertContains(response, "<h1>Обслуживаемые абоненты</h1>")
    assert row_names(response) == ["АО Лотос", "ИП Василек", 'ТОО "Ромашка"']
    assertNotContains(response, "Чужой")


def test_subscriber_rows_show_code_bin_city_tariff_and_todays_limits(
    logged_in, viewer, three_subscribers
):
    romashka = three_subscribers["romashka"]

    response = logged_in(viewer).get(reverse("subscriber_list"))

    url = reverse("subscriber_detail", args=[romashka.pk])
    html = response.content.decode()
    row = re.search(rf'<tr data-href="{url}" tabindex="0">(.*?)</tr>', html, re.S).group(1)
    assert romashka.code in row
    assert romashka.bin_iin in row
    assert "Алматы" in row
    assert "Стандарт" in row
    assert f'<a href="{url}">{escape(romashka.name)}</a>' in row
    cells = re.findall(r'<td class="num">(\d+)</td>', row)
    assert cells == ["8", "2"]  # 5 included + 3 extension sessions; 2 infobases
    lotos_row = re.search(r"АО Лотос.*?</tr>", html, re.S).group(0)
    assert "нет действующего" in lotos_row


# --- Search ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ("ромашка", ['ТОО "Ромашка"']),  # Cyrillic, other case: on SQLite too
        ("РОМАШ", ['ТОО "Ромашка"']),
        ("ип ", ["ИП Василек"]),
        ("нет такого", []),
    ],
)
def test_subscriber_search_by_name_ignores_case(
    logged_in, viewer, three_subscribers, query, expected
):
    response = logged_in(viewer).get(reverse("subscriber_list"), {"q": query})

    assert row_names(response) == expected


def test_subscriber_search_by_bin_iin_and_code(logged_in, viewer, three_subscribers):
    lotos = three_subscribers["lotos"]
    client = logged_in(viewer)

    assert row_names(client.get(reverse("subscriber_list"), {"q": lotos.bin_iin})) == ["АО Лотос"]
    assert row_names(client.get(reverse("subscriber_list"), {"q": lotos.code})) == ["АО Лотос"]
    assert "АО Лотос" in row_names(client.get(reverse("subscriber_list"), {"q": lotos.code[:6]}))


def test_subscriber_search_never_finds_another_organizations_subscriber(
    logged_in, viewer, three_subscribers, other_organization
):
    foreign = other_organization.subscribers.get()

    response = logged_in(viewer).get(reverse("subscriber_list"), {"q": foreign.code})

    assert row_names(response) == []
    assertContains(response, "абоненты не найдены")


def test_subscriber_search_that_is_too_long_is_a_400_with_a_message(
    logged_in, viewer, three_subscribers
):
    response = logged_in(viewer).get(reverse("subscriber_list"), {"q": "я" * 201})

    assert response.status_code == 400
    assertContains(response, "Не длиннее 200 символов.", status_code=400)


# --- Sorting and paging ---------------------------------------------------------------


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("name", ["АО Лотос", "ИП Василек", 'ТОО "Ромашка"']),
        ("-name", ['ТОО "Ромашка"', "ИП Василек", "АО Лотос"]),
        ("city", ['ТОО "Ромашка"', "ИП Василек", "АО Лотос"]),
        ("-city", ["АО Лотос", "ИП Василек", 'ТОО "Ромашка"']),
        ("sessions", ["АО Лотос", 'ТОО "Ромашка"', "ИП Василек"]),
        ("-sessions", ["ИП Василек", 'ТОО "Ромашка"', "АО Лотос"]),
        ("infobases", ["АО Лотос", "ИП Василек", 'ТОО "Ромашка"']),
        ("-infobases", ['ТОО "Ромашка"', "ИП Василек", "АО Лотос"]),
        ("secret_field", ["АО Лотос", "ИП Василек", 'ТОО "Ромашка"']),  # unknown → by name
        ("-organization__name", ["АО Лотос", "ИП Василек", 'ТОО "Ромашка"']),
    ],
)
def test_subscriber_list_sorts_by_column_headers(
    logged_in, viewer, three_subscribers, sort, expected
):
    response = logged_in(viewer).get(reverse("subscriber_list"), {"sort": sort})

    assert response.status_code == 200
    assert row_names(response) == expected


@pytest.mark.parametrize("key", ["code", "bin_iin"])
def test_subscriber_list_sorts_by_numbers_both_ways(logged_in, viewer, three_subscribers, key):
    client = logged_in(viewer)
    # Equal values (the factories may repeat a BIN/IIN) keep the primary key order.
    subscribers = three_subscribers.values()

    ascending = row_names(client.get(reverse("subscriber_list"), {"sort": key}))
    descending = row_names(client.get(reverse("subscriber_list"), {"sort": f"-{key}"}))

    assert ascending == [
        s.name for s in sorted(subscribers, key=lambda s: (int(getattr(s, key)), s.pk))
    ]
    assert descending == [
        s.name for s in sorted(subscribers, key=lambda s: (-int(getattr(s, key)), s.pk))
    ]


def test_sort_header_links_toggle_direction_and_keep_the_search(
    logged_in, viewer, three_subscribers
):
    response = logged_in(viewer).get(
        reverse("subscriber_list"), {"q": "о", "sort": "name", "page": "1"}
    )

    html = response.content.decode()
    assert 'aria-sort="ascending"><a class="sort-link" href="?q=%D0%BE&amp;sort=-name"' in html
    assert 'href="?q=%D0%BE&amp;sort=city"' in html  # page dropped, search kept


def test_subscriber_list_pages_by_25_and_page_links_keep_search_and_sort(
    logged_in, viewer, organization
):
    for n in range(30):
        factories.SubscriberFactory(organization=organization, name=f"ТОО Альфа {n:02d}")
    factories.SubscriberFactory(organization=organization, name="ИП Бета")
    client = logged_in(viewer)

    first = client.get(reverse("subscriber_list"), {"q": "альфа", "sort": "-name"})
    second = client.get(reverse("subscriber_list"), {"q": "альфа", "sort": "-name", "page": 2})

    assert len(row_names(first)) == 25
    assert row_names(first)[0] == "ТОО Альфа 29"
    assert row_names(second) == [f"ТОО Альфа {n:02d}" for n in range(4, -1, -1)]
    assertContains(first, 'href="?q=%D0%B0%D0%BB%D1%8C%D1%84%D0%B0&amp;sort=-name&amp;page=2"')
    assertContains(first, "1–25 из 30")
    assertContains(second, "26–30 из 30")
    # A page number out of range shows the last page rather than an error.
    assert row_names(client.get(reverse("subscriber_list"), {"q": "альфа", "page": 99}))


def test_long_lists_elide_page_numbers(logged_in, viewer, organization):
    from subscribers.models import Subscriber

    Subscriber.objects.bulk_create(
        Subscriber(
            organization=organization,
            name=f"ТОО Абонент {n:03d}",
            code=f"{10**11 + n}",
            bin_iin=factories.valid_bin_iin(n),
        )
        for n in range(12 * 25)
    )

    response = logged_in(viewer).get(reverse("subscriber_list"), {"page": 6})

    assertContains(
        response, '<span class="pagination__link is-current" aria-current="page">6</span>'
    )
    assertContains(response, '<span class="pagination__gap">…</span>', count=2)
    assertContains(response, 'href="?page=12"')
    assertContains(response, "126–150 из 300")


# --- Query count: the same for 5 rows as for 50 ---------------------------------------


# The 3 queries of any logged-in request (the session, the user and the membership),
# then the count and the page (limits and tariff are subqueries).
SUBSCRIBER_LIST_QUERIES = 3 + 2


@pytest.mark.parametrize("rows", [5, 50])
@pytest.mark.parametrize(
    "params",
    [{}, {"sort": "-sessions", "page": 2}, {"q": "абонент"}],
    ids=["plain", "sorted", "search"],
)
def test_subscriber_list_runs_a_constant_number_of_queries(
    logged_in, viewer, populate, rows, params, django_assert_num_queries
):
    populate(rows)
    client = logged_in(viewer)
    # Sorted by a limit: one more, are the kept limits current (tests/cabinet/test_scale.py).
    expected = SUBSCRIBER_LIST_QUERIES + (1 if "sort" in params else 0)

    with django_assert_num_queries(expected):
        response = client.get(reverse("subscriber_list"), params)

    assert response.status_code == 200
    if not params:
        assert len(response.context["page_obj"]) == min(rows, 25)
