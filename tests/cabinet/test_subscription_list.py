"""«Подписки обслуживаемых абонентов»: base and extension subscriptions in one table."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from subscriptions.periods import Periodicity
from tests import factories

DAY = datetime.timedelta(days=1)
URL = "/subscriptions/"


def numbers(response) -> list[str]:
    return [row.number for row in response.context["rows"]]


def test_lists_base_and_extension_subscriptions_of_the_organization(
    logged_in, viewer, documents_of_every_kind
):
    response = logged_in(viewer).get(URL)

    assert response.status_code == 200
    assertContains(response, "<h1>Подписки обслуживаемых абонентов</h1>")
    d = documents_of_every_kind
    # newest start first, then by number
    assert numbers(response) == [
        d["renewal"].number,
        d["infobases"].number,
        d["sessions"].number,
        d["short"].number,
        d["current"].number,
    ]
    assertNotContains(response, d["foreign"].number)
    assertNotContains(response, "Чужой")


def test_rows_show_type_tariff_period_dates_quantity_status_and_amount(
    logged_in, viewer, documents_of_every_kind
):
    response = logged_in(viewer).get(URL)

    rows = {row.number: row for row in response.context["rows"]}
    d = documents_of_every_kind
    assert rows[d["current"].number].kind_label == "Основная"
    # A renewal is a main subscription that continues another, and says so.
    assert rows[d["renewal"].number].kind_label == "Основная"
    assert rows[d["renewal"].number].continues_number == d["current"].number
    assert rows[d["sessions"].number].kind_label == "Расширяющая"
    html = response.content.decode()

    def row_html(document, name):
        url = reverse(name, args=[document.pk])
        return re.search(rf'<tr data-href="{url}" tabindex="0">(.*?)</tr>', html, re.S).group(1)

    sessions = row_html(d["sessions"], "extension_detail")
    assert f'<a href="{reverse("extension_detail", args=[d["sessions"].pk])}">' in sessions
    assert "Дополнительный сеанс" in sessions
    assert "1 месяц" in sessions
    assert d["sessions"].starts_on.strftime("%d.%m.%Y") in sessions
    assert d["sessions"].ends_on.strftime("%d.%m.%Y") in sessions
    assert '<td class="num">3</td>' in sessions
    assert '<span class="badge badge-posted">Проведена</span>' in sessions
    assert "9\u00a0000\u00a0₸" in sessions  # 3 000 ₸ × 3

    current = row_html(d["current"], "subscription_detail")
    assert "Основная" in current
    assert "12 месяцев" in current
    assert "120\u00a0000\u00a0₸" in current
    assert '<td class="num"></td>' in current  # no quantity for a base
    assert "ТОО Ромашка" in current

    draft = row_html(d["infobases"], "extension_detail")
    assert '<span class="badge badge-draft">Черновик</span>' in draft
    assert "11\u00a0000\u00a0₸" in draft  # a draft: today's price 5 500 ₸ × 2


def test_a_posted_extension_shows_its_kept_amount(logged_in, viewer, documents_of_every_kind):
    documents_of_every_kind["sessions"].__class__.objects.filter(
        pk=documents_of_every_kind["sessions"].pk
    ).update(unit_price=2500, amount=7500)

    response = logged_in(viewer).get(URL)

    row = next(
        r
        for r in response.context["rows"]
        if r.number == documents_of_every_kind["sessions"].number
    )
    assert row.amount == 7500


def test_filter_by_tariff(logged_in, viewer, documents_of_every_kind, session_tariff, base_tariff):
    client = logged_in(viewer)

    response = client.get(URL, {"tariff": session_tariff.pk})
    assert numbers(response) == [documents_of_every_kind["sessions"].number]

    response = client.get(URL, {"tariff": base_tariff.pk})
    assert set(numbers(response)) == {
        documents_of_every_kind[k].number for k in ("current", "renewal", "short")
    }
    assertContains(response, f'<option value="{session_tariff.pk}">Дополнительный сеанс</option>')


def test_filter_by_status(logged_in, viewer, documents_of_every_kind):
    response = logged_in(viewer).get(URL, {"status": "draft"})

    assert numbers(response) == [
        documents_of_every_kind["renewal"].number,
        documents_of_every_kind["infobases"].number,
    ]


def test_filter_by_kind(logged_in, viewer, documents_of_every_kind):
    client = logged_in(viewer)

    extensions = numbers(client.get(URL, {"kind": "extension"}))
    bases = numbers(client.get(URL, {"kind": "base"}))

    assert extensions == [
        documents_of_every_kind["infobases"].number,
        documents_of_every_kind["sessions"].number,
    ]
    assert bases == [documents_of_every_kind[k].number for k in ("renewal", "short", "current")]


@pytest.mark.parametrize("date_format", ["%Y-%m-%d", "%d.%m.%Y"])
def test_filter_active_on_a_date(logged_in, viewer, documents_of_every_kind, today, date_format):
    client = logged_in(viewer)
    d = documents_of_every_kind

    on_today = numbers(client.get(URL, {"active_on": today.strftime(date_format)}))
    # posted and in force that day: the current base, the sessions, Лотос's month
    assert on_today == [d["sessions"].number, d["short"].number, d["current"].number]

    in_two_months = today + 60 * DAY
    later = numbers(client.get(URL, {"active_on": in_two_months.strftime(date_format)}))
    assert later == [d["current"].number]  # the draft infobases would be, but are not posted


def test_filter_ending_within_n_days(logged_in, viewer, documents_of_every_kind, today):
    client = logged_in(viewer)
    short = documents_of_every_kind["short"]  # a month from 20 days ago: ends in about 10 days
    days_left = (short.ends_on - today).days

    assert numbers(client.get(URL, {"ends_within": days_left})) == [short.number]
    assert numbers(client.get(URL, {"ends_within": days_left - 1})) == []
    assert numbers(client.get(URL, {"ends_within": 0})) == []


def test_filter_by_subscriber(logged_in, viewer, documents_of_every_kind):
    client = logged_in(viewer)
    lotos = documents_of_every_kind["short"].subscriber

    assert numbers(client.get(URL, {"q": "лотос"})) == [documents_of_every_kind["short"].number]
    assert numbers(client.get(URL, {"q": lotos.bin_iin})) == [
        documents_of_every_kind["short"].number
    ]
    assert len(numbers(client.get(URL, {"q": "ромашка"}))) == 4
    # another organization's subscriber stays invisible however it is searched for
    foreign = documents_of_every_kind["foreign"].subscriber
    assert numbers(client.get(URL, {"q": foreign.code})) == []
    assert numbers(client.get(URL, {"q": "Чужой"})) == []


def test_filters_combine(logged_in, viewer, documents_of_every_kind, session_tariff, today):
    response = logged_in(viewer).get(
        URL,
        {"q": "ромашка", "status": "posted", "kind": "extension", "active_on": today.isoformat()},
    )

    assert numbers(response) == [documents_of_every_kind["sessions"].number]


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"active_on": "2024-13-45"}, "active_on", "Введите дату в формате ДД.ММ.ГГГГ."),
        ({"active_on": "31.02.2025"}, "active_on", "Введите дату в формате ДД.ММ.ГГГГ."),
        ({"ends_within": "-1"}, "ends_within", "Число дней не может быть отрицательным."),
        ({"ends_within": "десять"}, "ends_within", "Введите целое число дней."),
        ({"ends_within": "99999"}, "ends_within", "Не больше 3650 дней."),
        ({"tariff": "999999"}, "tariff", "Такого тарифа нет: выберите тариф из списка."),
        ({"tariff": "abc"}, "tariff", "Такого тарифа нет: выберите тариф из списка."),
        ({"status": "deleted"}, "status", "Выберите состояние из списка."),
        ({"kind": "other"}, "kind", "Выберите тип подписки из списка."),
    ],
)
def test_bad_filter_input_is_a_400_with_the_message_next_to_its_field(
    logged_in, viewer, documents_of_every_kind, params, field, message
):
    response = logged_in(viewer).get(URL, params)

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assertContains(
        response, f'<p class="field-error" id="id_{field}_errors">{message}</p>', status_code=400
    )
    assertContains(response, "Исправьте фильтр", status_code=400)
    assert "rows" not in response.context


def test_page_links_keep_the_filters(logged_in, viewer, organization, base_tariff, today):
    subscriber = factories.SubscriberFactory(organization=organization)
    day = factories.TariffPeriodFactory(tariff=base_tariff, periodicity=Periodicity.DAY, count=1)
    for n in range(30):
        factories.SubscriptionFactory(
            subscriber=subscriber, tariff=base_tariff, period=day, starts_on=today - n * DAY
        )
    client = logged_in(viewer)

    first = client.get(URL, {"status": "posted"})
    second = client.get(URL, {"status": "posted", "page": 2})

    assert len(first.context["rows"]) == 25
    assert len(second.context["rows"]) == 5
    assert first.context["rows"][0].starts_on == today
    assert second.context["rows"][-1].starts_on == today - 29 * DAY
    assert not set(numbers(first)) & set(numbers(second))
    assertContains(first, 'href="?status=posted&amp;page=2"')
    assertContains(first, "1–25 из 30")


def test_empty_results_say_so(logged_in, viewer, documents_of_every_kind):
    response = logged_in(viewer).get(URL, {"q": "нет такого абонента"})

    assert response.status_code == 200
    assertContains(response, "Подписок с такими условиями нет.")


# --- Roles and isolation --------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "operator", "viewer"])
def test_every_role_reads_the_list(logged_in, request, documents_of_every_kind, role):
    response = logged_in(request.getfixturevalue(role)).get(URL)

    assert response.status_code == 200
    assert len(response.context["rows"]) == 5


def test_the_other_partner_sees_only_its_own(logged_in, other_operator, documents_of_every_kind):
    response = logged_in(other_operator).get(URL)

    assert numbers(response) == [documents_of_every_kind["foreign"].number]


def test_user_without_organization_gets_404(logged_in, documents_of_every_kind):
    stranger = get_user_model().objects.create_user("stranger", password="secret-pass-123")

    assert logged_in(stranger).get(URL).status_code == 404


def test_read_only_user_posting_gets_403(logged_in, viewer):
    assert logged_in(viewer).post(URL).status_code == 403


def test_anonymous_user_is_asked_to_log_in(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={URL}"


# --- Query count: the same for 5 rows as for 50 ---------------------------------------


# 3 for any logged-in request (session, user, membership), the tariff options,
# the count and the page (one UNION ALL query).


EXPECTED_QUERIES = 3 + 3


@pytest.mark.parametrize("rows", [5, 50])
@pytest.mark.parametrize(
    "params, extra",
    [
        ({}, 0),
        ({"status": "posted", "kind": "extension", "page": 2}, 0),
        ({"q": "абонент", "ends_within": 30, "active_on": "__today__"}, 0),
        ({"tariff": "__session_tariff__"}, 1),  # checking that the tariff exists
    ],
)
def test_query_count_does_not_grow_with_rows(
    logged_in,
    viewer,
    populate,
    session_tariff,
    today,
    rows,
    params,
    extra,
    django_assert_num_queries,
):
    populate(rows)  # 3 documents per subscriber
    replace = {"__today__": today.isoformat(), "__session_tariff__": session_tariff.pk}
    params = {key: replace.get(value, value) for key, value in params.items()}
    client = logged_in(viewer)

    with django_assert_num_queries(EXPECTED_QUERIES + extra):
        response = client.get(URL, params)

    assert response.status_code == 200
    assert response.context["rows"]
