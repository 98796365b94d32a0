"""Вход, «Личный кабинет», «Обслуживаемые абоненты» and the «Абонент» card."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from cabinet.forms.auth import INVALID_LOGIN_MESSAGE
from subscriptions.models import Status
from subscriptions.periods import Periodicity
from tests import factories

DAY = datetime.timedelta(days=1)
PASSWORD = "secret-pass-123"


def logged_in(client, user):
    client.force_login(user)
    return client


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


# --- Вход и выход --------------------------------------------------------------


def test_login_page_is_titled_vhod(client, db):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assertContains(response, '<h1 id="login-title">Вход</h1>', html=False)
    assertContains(response, "<title>Вход — Fresh Cabinet</title>")


def test_partner_user_logs_in_to_the_personal_cabinet(client, operator):
    response = client.post(reverse("login"), {"username": "operator", "password": PASSWORD})

    assertRedirects(response, reverse("home"))
    assertContains(client.get(reverse("home")), "<h1>Личный кабинет</h1>")


@pytest.mark.parametrize(
    "username, password",
    [("operator", "wrong-password"), ("nobody", PASSWORD), ("", "")],
)
def test_wrong_login_says_exactly_what_design_says(client, operator, username, password):
    response = client.post(reverse("login"), {"username": username, "password": password})

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    if username:
        assertContains(response, "Логин или пароль введены неправильно. Попробуйте еще раз.")
        assert str(INVALID_LOGIN_MESSAGE) in response.context["form"].non_field_errors()


def test_inactive_user_gets_the_same_message(client, operator):
    operator.is_active = False
    operator.save()

    response = client.post(reverse("login"), {"username": "operator", "password": PASSWORD})

    assertContains(response, "Логин или пароль введены неправильно. Попробуйте еще раз.")


def test_staff_without_membership_is_sent_to_the_admin(client, admin_user):
    response = client.post(reverse("login"), {"username": "admin", "password": PASSWORD})

    assertRedirects(response, reverse("admin:index"))
    # and a cabinet page sends them there too
    assertRedirects(client.get(reverse("home")), reverse("admin:index"))


def test_user_without_organization_cannot_log_in(client, db):
    get_user_model().objects.create_user("stranger", password=PASSWORD)

    response = client.post(reverse("login"), {"username": "stranger", "password": PASSWORD})

    assertContains(response, "не привязана к обслуживающей организации")
    assert not response.wsgi_request.user.is_authenticated


def test_login_follows_a_safe_next(client, operator, subscriber):
    url = reverse("subscriber_detail", args=[subscriber.pk])

    response = client.post(
        f"{reverse('login')}?next={url}", {"username": "operator", "password": PASSWORD}
    )

    assertRedirects(response, url)


def test_logged_in_user_visiting_login_goes_home(client, operator):
    response = logged_in(client, operator).get(reverse("login"))

    assertRedirects(response, reverse("home"))


def test_logout_is_a_post_form_in_the_layout(client, operator):
    client = logged_in(client, operator)
    page = client.get(reverse("home"))
    assertContains(page, f'<form class="logout-form" method="post" action="{reverse("logout")}">')

    response = client.post(reverse("logout"))

    assertRedirects(response, reverse("login"))
    assertRedirects(client.get(reverse("home")), f"{reverse('login')}?next=/")


@pytest.mark.parametrize("name", ["home", "subscriber_list"])
def test_anonymous_user_is_asked_to_log_in(client, db, name):
    response = client.get(reverse(name))

    assertRedirects(response, f"{reverse('login')}?next={reverse(name)}")


# --- Layout ------------------------------------------------------------------


def test_layout_shows_service_organization_user_role_and_navigation(client, operator):
    response = logged_in(client, operator).get(reverse("home"))

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


# --- Личный кабинет -------------------------------------------------------------


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
    extension_draft = factories.ExtensionFactory(
        subscription=ending,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
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


def test_home_shows_base_subscriptions_ending_within_30_days(client, operator, attention, today):
    response = logged_in(client, operator).get(reverse("home"))

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


def test_home_shows_drafts_of_both_kinds_linking_to_their_documents(client, operator, attention):
    response = logged_in(client, operator).get(reverse("home"))

    base_url = reverse("subscription_detail", args=[attention["base_draft"].pk])
    extension_url = reverse("extension_detail", args=[attention["extension_draft"].pk])
    assertContains(response, f'<a href="{base_url}">{attention["base_draft"].number}</a>')
    assertContains(response, f'<a href="{extension_url}">{attention["extension_draft"].number}</a>')
    assert response.context["counts"]["drafts"] == 2
    assertContains(response, "Расширяющая")
    assertContains(response, '<span class="badge badge-draft">Черновик</span>', count=2)


def test_home_counts_subscribers_and_those_with_a_tariff_today(
    client, operator, organization, attention
):
    factories.SubscriberFactory(organization=organization)  # no subscription at all

    response = logged_in(client, operator).get(reverse("home"))

    # Ромашка (active), the ending-today one (active), the later one (starts in 5 days), the new one
    assert response.context["counts"]["subscribers"] == 4
    assert response.context["counts"]["with_tariff"] == 2
    assertContains(response, 'href="/subscribers/"')


def test_home_marks_a_renewed_subscription(client, operator, attention, base_tariff):
    ending = attention["ending"]
    factories.SubscriptionFactory(
        subscriber=ending.subscriber,
        tariff=base_tariff,
        period=ending.period,
        starts_on=ending.ends_on + DAY,
        renews=ending,
    )

    response = logged_in(client, operator).get(reverse("home"))

    renewed = {s.pk: s.is_renewed for s in response.context["ending"]}
    assert renewed[ending.pk] is True
    assertContains(response, "Продлена")


# --- Обслуживаемые абоненты --------------------------------------------------------


@pytest.fixture
def roster(organization, other_organization, base_tariff, session_tariff, today):
    """Three subscribers of the organization with distinct sort keys, one of another."""
    make = factories.SubscriberFactory
    romashka = make(organization=organization, name='ТОО "Ромашка"', city="Алматы")
    vasilek = make(organization=organization, name="ИП Василек", city="Астана")
    lotos = make(organization=organization, name="АО Лотос", city="Шымкент")
    make(organization=other_organization, name="ТОО Чужой абонент")
    base = factories.SubscriptionFactory(
        subscriber=romashka, tariff=base_tariff, period=base_tariff.periods.get(count=12)
    )
    factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        quantity=3,
    )
    # Василек: a bigger tariff, so sorting by sessions differs from sorting by name.
    big = factories.BaseTariffFactory(name="Корпоративный", sessions=20, infobases=1)
    factories.SubscriptionFactory(
        subscriber=vasilek, tariff=big, period=factories.TariffPeriodFactory(tariff=big)
    )
    return {"romashka": romashka, "vasilek": vasilek, "lotos": lotos}


def test_subscriber_list_shows_only_the_organizations_subscribers(client, viewer, roster):
    response = logged_in(client, viewer).get(reverse("subscriber_list"))

    assert response.status_code == 200
    assertContains(response, "<h1>Обслуживаемые абоненты</h1>")
    assert row_names(response) == ["АО Лотос", "ИП Василек", 'ТОО "Ромашка"']
    assertNotContains(response, "Чужой")


def test_subscriber_rows_show_code_bin_city_tariff_and_todays_limits(client, viewer, roster):
    romashka = roster["romashka"]

    response = logged_in(client, viewer).get(reverse("subscriber_list"))

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


@pytest.mark.parametrize(
    "query, expected",
    [
        ("ромашка", ['ТОО "Ромашка"']),  # Cyrillic, other case: on SQLite too
        ("РОМАШ", ['ТОО "Ромашка"']),
        ("ип ", ["ИП Василек"]),
        ("нет такого", []),
    ],
)
def test_subscriber_search_by_name_ignores_case(client, viewer, roster, query, expected):
    response = logged_in(client, viewer).get(reverse("subscriber_list"), {"q": query})

    assert row_names(response) == expected


def test_subscriber_search_by_bin_iin_and_code(client, viewer, roster):
    lotos = roster["lotos"]
    client = logged_in(client, viewer)

    assert row_names(client.get(reverse("subscriber_list"), {"q": lotos.bin_iin})) == ["АО Лотос"]
    assert row_names(client.get(reverse("subscriber_list"), {"q": lotos.code})) == ["АО Лотос"]
    assert "АО Лотос" in row_names(client.get(reverse("subscriber_list"), {"q": lotos.code[:6]}))


def test_subscriber_search_never_finds_another_organizations_subscriber(
    client, viewer, roster, other_organization
):
    foreign = other_organization.subscribers.get()

    response = logged_in(client, viewer).get(reverse("subscriber_list"), {"q": foreign.code})

    assert row_names(response) == []
    assertContains(response, "абоненты не найдены")


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
def test_subscriber_list_sorts_by_column_headers(client, viewer, roster, sort, expected):
    response = logged_in(client, viewer).get(reverse("subscriber_list"), {"sort": sort})

    assert response.status_code == 200
    assert row_names(response) == expected


@pytest.mark.parametrize("key", ["code", "bin_iin"])
def test_subscriber_list_sorts_by_numbers_both_ways(client, viewer, roster, key):
    client = logged_in(client, viewer)
    # Equal values (the factories may repeat a BIN/IIN) keep the primary key order.
    subscribers = roster.values()

    ascending = row_names(client.get(reverse("subscriber_list"), {"sort": key}))
    descending = row_names(client.get(reverse("subscriber_list"), {"sort": f"-{key}"}))

    assert ascending == [
        s.name for s in sorted(subscribers, key=lambda s: (int(getattr(s, key)), s.pk))
    ]
    assert descending == [
        s.name for s in sorted(subscribers, key=lambda s: (-int(getattr(s, key)), s.pk))
    ]


def test_sort_header_links_toggle_direction_and_keep_the_search(client, viewer, roster):
    response = logged_in(client, viewer).get(
        reverse("subscriber_list"), {"q": "о", "sort": "name", "page": "1"}
    )

    html = response.content.decode()
    assert 'aria-sort="ascending"><a class="sort-link" href="?q=%D0%BE&amp;sort=-name"' in html
    assert 'href="?q=%D0%BE&amp;sort=city"' in html  # page dropped, search kept


def test_subscriber_list_pages_by_25_and_page_links_keep_search_and_sort(
    client, viewer, organization
):
    for n in range(30):
        factories.SubscriberFactory(organization=organization, name=f"ТОО Альфа {n:02d}")
    factories.SubscriberFactory(organization=organization, name="ИП Бета")
    client = logged_in(client, viewer)

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


def test_long_lists_elide_page_numbers(client, viewer, organization):
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

    response = logged_in(client, viewer).get(reverse("subscriber_list"), {"page": 6})

    assertContains(
        response, '<span class="pagination__link is-current" aria-current="page">6</span>'
    )
    assertContains(response, '<span class="pagination__gap">…</span>', count=2)
    assertContains(response, 'href="?page=12"')
    assertContains(response, "126–150 из 300")


def test_subscriber_search_that_is_too_long_is_a_400_with_a_message(client, viewer, roster):
    response = logged_in(client, viewer).get(reverse("subscriber_list"), {"q": "я" * 201})

    assert response.status_code == 400
    assertContains(response, "Не длиннее 200 символов.", status_code=400)


# --- Абонент ---------------------------------------------------------------------


@pytest.fixture
def card(subscriber, base_tariff, session_tariff, infobase_tariff, today):
    base = factories.SubscriptionFactory(
        subscriber=subscriber, tariff=base_tariff, period=base_tariff.periods.get(count=12)
    )
    sessions = factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        quantity=3,
    )
    infobases = factories.ExtensionFactory(
        subscription=base,
        tariff=infobase_tariff,
        period=infobase_tariff.periods.get(count=3),
        quantity=2,
    )
    # Not counted: a draft, and one that starts tomorrow.
    factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        quantity=4,
        status=Status.DRAFT,
    )
    factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=today + DAY,
        quantity=5,
    )
    return {"base": base, "sessions": sessions, "infobases": infobases}


def test_subscriber_card_shows_details(client, viewer, subscriber):
    subscriber.email = "info@romashka.kz"
    subscriber.phone = "+7 727 000 00 00"
    subscriber.save()

    response = logged_in(client, viewer).get(reverse("subscriber_detail", args=[subscriber.pk]))

    assert response.status_code == 200
    assertContains(response, "<h1>Абонент</h1>")
    for text in [
        escape(subscriber.name),
        "Код абонента",
        subscriber.code,
        "БИН/ИИН",
        subscriber.bin_iin,
        "Алматы",
        "info@romashka.kz",
        "+7 727 000 00 00",
        "Демо-партнер",
    ]:
        assertContains(response, text)
    subscriptions_url = reverse("subscriber_subscriptions", args=[subscriber.pk])
    assertContains(response, f'href="{subscriptions_url}">Подписки на тарифы</a>')


def test_subscriber_card_shows_todays_limits_and_their_breakdown(
    client, viewer, subscriber, card, today
):
    response = logged_in(client, viewer).get(reverse("subscriber_detail", args=[subscriber.pk]))

    assertContains(response, '<span class="limit__value" data-limit="sessions">8</span>')
    assertContains(response, '<span class="limit__value" data-limit="infobases">4</span>')
    breakdown = response.context["breakdown"]
    assert [b.pk for b in breakdown.bases] == [card["base"].pk]
    assert {e.pk for e in breakdown.extensions} == {card["sessions"].pk, card["infobases"].pk}
    for document, name in [
        (card["base"], "subscription_detail"),
        (card["sessions"], "extension_detail"),
        (card["infobases"], "extension_detail"),
    ]:
        url = reverse(name, args=[document.pk])
        assertContains(response, f'<a href="{url}">{document.number}</a>')
    assertContains(response, "Дополнительный сеанс")
    assertContains(response, "Дополнительная база")
    assertContains(response, "+3")
    assertContains(response, "+2")
    assertContains(response, card["infobases"].ends_on.strftime("%d.%m.%Y"))
    assertContains(response, f"Лимиты на {today:%d.%m.%Y}")


def test_subscriber_card_without_subscriptions_says_so(client, viewer, subscriber):
    response = logged_in(client, viewer).get(reverse("subscriber_detail", args=[subscriber.pk]))

    assertContains(response, '<span class="limit__value" data-limit="sessions">0</span>')
    assertContains(response, "нет действующих проведенных подписок")


def test_read_only_user_sees_no_write_buttons(client, viewer, subscriber, card):
    response = logged_in(client, viewer).get(reverse("subscriber_detail", args=[subscriber.pk]))

    assertNotContains(response, reverse("subscription_create", args=[subscriber.pk]))


@pytest.mark.parametrize("role", ["owner", "operator"])
def test_writers_see_the_button_for_a_new_base_subscription(client, request, subscriber, role):
    user = request.getfixturevalue(role)

    response = logged_in(client, user).get(reverse("subscriber_detail", args=[subscriber.pk]))

    assertContains(response, reverse("subscription_create", args=[subscriber.pk]))


# --- Isolation: another organization's objects are a 404 -----------------------------


@pytest.mark.parametrize("role", ["owner", "operator", "viewer"])
def test_another_organizations_subscriber_is_a_404(client, request, role, other_organization):
    foreign = factories.SubscriberFactory(organization=other_organization)
    user = request.getfixturevalue(role)

    response = logged_in(client, user).get(reverse("subscriber_detail", args=[foreign.pk]))

    assert response.status_code == 404


def test_a_missing_subscriber_is_a_404(client, viewer):
    response = logged_in(client, viewer).get(reverse("subscriber_detail", args=[999999]))

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["home", "subscriber_list", "subscriber_detail"])
def test_user_without_organization_gets_404_everywhere(client, subscriber, name):
    stranger = get_user_model().objects.create_user("stranger", password=PASSWORD)
    args = [subscriber.pk] if name == "subscriber_detail" else []

    response = logged_in(client, stranger).get(reverse(name, args=args))

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["home", "subscriber_list", "subscriber_detail"])
def test_read_only_user_posting_to_a_page_gets_403(client, viewer, subscriber, name):
    args = [subscriber.pk] if name == "subscriber_detail" else []

    response = logged_in(client, viewer).post(reverse(name, args=args))

    assert response.status_code == 403


# --- Query counts: the same for 5 rows as for 50 ---------------------------------

# Every count includes the 3 queries of any logged-in request: the session, the
# user and the membership.
EXPECTED_QUERIES = {
    "home": 3 + 5,  # subscriber counts, ending count, ending rows, drafts count, draft rows
    "subscriber_list": 3 + 2,  # count, page (limits and tariff are subqueries)
    "subscriber_list_sorted": 3 + 2,
    "subscriber_list_search": 3 + 2,
    "subscriber_detail": 3 + 3,  # subscriber, active bases, active extensions
}


def _count_queries(client, url, data=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("rows", [5, 50])
def test_list_pages_run_a_constant_number_of_queries(
    client, viewer, populate, rows, django_assert_num_queries
):
    subscribers = populate(rows)
    client = logged_in(client, viewer)

    with django_assert_num_queries(EXPECTED_QUERIES["home"]):
        response = client.get(reverse("home"))
    assert len(response.context["ending"]) == min(rows, 10)
    assert response.context["counts"]["drafts"] == rows

    with django_assert_num_queries(EXPECTED_QUERIES["subscriber_list"]):
        response = client.get(reverse("subscriber_list"))
    assert len(response.context["page_obj"]) == min(rows, 25)

    with django_assert_num_queries(EXPECTED_QUERIES["subscriber_list_sorted"]):
        client.get(reverse("subscriber_list"), {"sort": "-sessions", "page": 2})

    with django_assert_num_queries(EXPECTED_QUERIES["subscriber_list_search"]):
        client.get(reverse("subscriber_list"), {"q": "абонент"})

    with django_assert_num_queries(EXPECTED_QUERIES["subscriber_detail"]):
        client.get(reverse("subscriber_detail", args=[subscribers[0].pk]))


@pytest.mark.parametrize("rows", [5, 50])
def test_subscriber_card_queries_do_not_grow_with_its_extensions(
    client, viewer, subscriber, base_tariff, session_tariff, rows, django_assert_num_queries
):
    base = factories.SubscriptionFactory(
        subscriber=subscriber, tariff=base_tariff, period=base_tariff.periods.get(count=12)
    )
    week = factories.TariffPeriodFactory(
        tariff=session_tariff, periodicity=Periodicity.WEEK, count=1, price=900
    )
    for _ in range(rows):
        factories.ExtensionFactory(subscription=base, tariff=session_tariff, period=week)
    client = logged_in(client, viewer)

    with django_assert_num_queries(EXPECTED_QUERIES["subscriber_detail"]):
        response = client.get(reverse("subscriber_detail", args=[subscriber.pk]))

    assert len(response.context["breakdown"].extensions) == rows
    assertContains(response, f'data-limit="sessions">{5 + rows}</span>')


@pytest.mark.parametrize(
    "next_url", ["0", "subscribers/", "//evil.example/", "https://evil.example/"]
)
def test_login_goes_home_when_next_is_not_a_path_of_this_site(client, operator, next_url):
    response = client.post(
        reverse("login"), {"username": "operator", "password": "secret-pass-123", "next": next_url}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
