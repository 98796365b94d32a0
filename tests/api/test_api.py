"""The read-only API: isolation per organization, limits, query counts, the key page."""

import datetime
import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from subscriptions import clock
from subscriptions.models import Status
from subscriptions.periods import Periodicity
from tests import factories


def auth(key, keyword="Bearer"):
    return {"HTTP_AUTHORIZATION": f"{keyword} {key}"}


@pytest.fixture
def own_key(organization, owner):
    return ApiToken.issue(organization=organization, name="1С", created_by=owner)[1]


@pytest.fixture
def other_key(other_organization):
    return ApiToken.issue(organization=other_organization, name="Чужой")[1]


@pytest.fixture
def revoked_key(organization):
    token, key = ApiToken.issue(organization=organization, name="Старый")
    token.revoke()
    return key


def endpoint_urls(subscriber):
    return {
        "detail": reverse("api-subscriber-detail", args=[subscriber.pk]),
        "limits": reverse("api-subscriber-limits", args=[subscriber.pk]),
        "subscriptions": reverse("api-subscriber-subscriptions", args=[subscriber.pk]),
    }


# --- Isolation ---------------------------------------------------------------

DETAIL_ENDPOINTS = ["detail", "limits", "subscriptions"]


@pytest.mark.parametrize("endpoint", DETAIL_ENDPOINTS)
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("own", 200),
        ("own-token-keyword", 200),
        ("other-organization", 404),
        ("revoked", 401),
        ("unknown", 401),
        ("none", 401),
    ],
)
def test_isolation_of_one_subscriber(
    client, subscriber, own_key, other_key, revoked_key, endpoint, who, expected
):
    headers = {
        "own": auth(own_key),
        "own-token-keyword": auth(own_key, "Token"),
        "other-organization": auth(other_key),
        "revoked": auth(revoked_key),
        "unknown": auth("fc_" + "x" * 43),
        "none": {},
    }[who]

    response = client.get(endpoint_urls(subscriber)[endpoint], **headers)

    assert response.status_code == expected
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("who", "expected"),
    [("own", 200), ("other-organization", 200), ("revoked", 401), ("unknown", 401), ("none", 401)],
)
def test_isolation_of_the_subscriber_list(
    client, subscriber, other_organization, own_key, other_key, revoked_key, who, expected
):
    foreign = factories.SubscriberFactory(organization=other_organization)
    headers = {
        "own": auth(own_key),
        "other-organization": auth(other_key),
        "revoked": auth(revoked_key),
        "unknown": auth("nonsense"),
        "none": {},
    }[who]

    response = client.get(reverse("api-subscriber-list"), **headers)

    assert response.status_code == expected
    if expected == 200:
        ids = [row["id"] for row in response.json()["results"]]
        assert ids == ([subscriber.pk] if who == "own" else [foreign.pk])


NOT_FOUND = {
    "detail": "Абонент не найден: проверьте id — ключ открывает только абонентов своей организации."
}


@pytest.mark.parametrize("endpoint", DETAIL_ENDPOINTS)
@pytest.mark.parametrize("which", ["missing", "other-organization", "malformed", "padded"])
def test_a_subscriber_not_found_is_a_404_in_russian(
    client, subscriber, other_organization, own_key, endpoint, which
):
    foreign = factories.SubscriberFactory(organization=other_organization)
    url = endpoint_urls(subscriber)[endpoint]
    url = url.replace(
        f"/{subscriber.pk}/",
        {
            "missing": "/999999/",
            "other-organization": f"/{foreign.pk}/",
            "malformed": "/0.5/",
            "padded": f"/%20{subscriber.pk}/",  # int(" 1") would find it
        }[which],
    )

    response = client.get(url, **auth(own_key))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == NOT_FOUND


def test_the_api_refuses_writes_in_russian(client, subscriber, own_key):
    response = client.post(
        reverse("api-subscriber-list"),
        {"name": "x"},
        content_type="application/json",
        **auth(own_key),
    )

    assert response.status_code == 405
    assert response.json() == {
        "detail": "Метод POST не поддерживается: API только читает данные, используйте GET."
    }


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            None,
            "Нужен ключ API: пришлите заголовок «Authorization: Bearer <ключ>». "
            "Ключ создает владелец организации в кабинете, «Ключи API».",
        ),
        (
            "revoked",
            "Ключ API неверен или отозван: проверьте ключ или создайте новый в кабинете, "
            "«Ключи API».",
        ),
        ("two words", "Заголовок Authorization: укажите «Bearer <ключ>» — одно слово ключа."),
    ],
)
def test_a_refused_key_is_a_401_that_says_what_to_do(
    client, subscriber, revoked_key, key, expected
):
    headers = {None: {}, "revoked": auth(revoked_key), "two words": auth("fc_a fc_b")}[key]

    response = client.get(reverse("api-subscriber-list"), **headers)

    assert response.status_code == 401
    assert response.json() == {"detail": expected}


def test_an_answer_other_than_json_is_a_406_in_russian(client, subscriber, own_key):
    response = client.get(
        reverse("api-subscriber-detail", args=[subscriber.pk]),
        HTTP_ACCEPT="text/html",
        **auth(own_key),
    )

    assert response.status_code == 406
    assert response.json() == {
        "detail": "Ответ API — только JSON: пришлите Accept: application/json "
        "или не присылайте Accept."
    }


def test_a_session_login_does_not_open_the_api(logged_in, owner, subscriber):
    client = logged_in(owner)

    response = client.get(reverse("api-subscriber-list"))

    assert response.status_code == 401


def test_last_use_is_recorded(client, subscriber, organization):
    token, key = ApiToken.issue(organization=organization, name="1С")

    client.get(reverse("api-subscriber-list"), **auth(key))

    token.refresh_from_db()
    assert token.last_used_at is not None


# --- Endpoints ---------------------------------------------------------------


def test_subscriber_list_fields_and_search(client, organization, subscriber, own_key):
    other = factories.SubscriberFactory(organization=organization, name='ИП "Василек"')

    everyone = client.get(reverse("api-subscriber-list"), **auth(own_key)).json()
    found = client.get(reverse("api-subscriber-list"), {"q": "васил"}, **auth(own_key)).json()
    by_code = client.get(
        reverse("api-subscriber-list"), {"q": subscriber.code}, **auth(own_key)
    ).json()

    assert everyone["count"] == 2
    assert set(everyone["results"][0]) == {
        "id",
        "code",
        "name",
        "bin_iin",
        "city",
        "email",
        "phone",
    }
    assert [row["id"] for row in found["results"]] == [other.pk]
    assert [row["id"] for row in by_code["results"]] == [subscriber.pk]


def test_page_size_is_capped(client, organization, own_key):
    for _ in range(3):
        factories.SubscriberFactory(organization=organization)

    page = client.get(reverse("api-subscriber-list"), {"page_size": 2}, **auth(own_key)).json()
    capped = client.get(
        reverse("api-subscriber-list"), {"page_size": 100000}, **auth(own_key)
    ).json()

    assert len(page["results"]) == 2 and page["next"]
    assert len(capped["results"]) == 3

    from api.views import ApiPagination

    assert ApiPagination.max_page_size == 200


def test_limits_on_a_day(
    client, subscriber, base_twelve_months, session_tariff, infobase_tariff, own_key, today
):
    month = session_tariff.periods.get(periodicity=Periodicity.MONTH, count=1)
    extension = factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=session_tariff,
        period=month,
        starts_on=today,
        quantity=3,
    )
    factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=infobase_tariff,
        period=infobase_tariff.periods.get(periodicity=Periodicity.MONTH, count=1),
        starts_on=today,
        status=Status.DRAFT,
    )
    url = reverse("api-subscriber-limits", args=[subscriber.pk])

    def limits(day=None):
        params = {"date": day.isoformat()} if day else {}
        response = client.get(url, params, **auth(own_key))
        assert response.status_code == 200
        return response.json()

    assert limits() == {
        "subscriber": subscriber.pk,
        "date": today.isoformat(),
        "sessions": 8,
        "infobases": 2,
    }
    assert limits(today - datetime.timedelta(days=1))["sessions"] == 5
    assert limits(extension.ends_on)["sessions"] == 8
    assert limits(extension.ends_on + datetime.timedelta(days=1))["sessions"] == 5
    after_base = limits(base_twelve_months.ends_on + datetime.timedelta(days=1))
    assert (after_base["sessions"], after_base["infobases"]) == (0, 0)


@pytest.mark.parametrize(
    "bad", ["31.01.2026", "2026-02-30", "завтра", "2026-1-5T00:00", "2026-1-5", ""]
)
def test_a_bad_date_is_a_400_in_russian(client, subscriber, own_key, bad):
    response = client.get(
        reverse("api-subscriber-limits", args=[subscriber.pk]), {"date": bad}, **auth(own_key)
    )

    assert response.status_code == 400
    assert response.json() == {"date": ["Дата — в формате ГГГГ-ММ-ДД, например 2025-01-31."]}


def test_limits_default_to_today_in_almaty(client, subscriber, own_key, monkeypatch):
    # 20:00 UTC on 31 December is already 1 January in Asia/Almaty (UTC+5).
    moment = datetime.datetime(2026, 12, 31, 20, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    clock.set_today(None)  # the real clock (conftest's `today` holds it otherwise)

    response = client.get(reverse("api-subscriber-limits", args=[subscriber.pk]), **auth(own_key))

    assert response.json()["date"] == "2027-01-01"


def test_subscriptions_with_their_extensions_nested(
    client, subscriber, base_twelve_months, session_tariff, own_key, today
):
    month = session_tariff.periods.get(periodicity=Periodicity.MONTH, count=1)
    posted = factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=session_tariff,
        period=month,
        starts_on=today,
        quantity=2,
    )
    posted.amount = 6000
    posted.save()
    draft = factories.ExtensionFactory(
        subscription=base_twelve_months,
        tariff=session_tariff,
        period=month,
        starts_on=today + datetime.timedelta(days=1),
        status=Status.DRAFT,
    )
    renewal = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_twelve_months.tariff,
        period=base_twelve_months.tariff.periods.get(periodicity=Periodicity.MONTH, count=1),
        starts_on=base_twelve_months.ends_on + datetime.timedelta(days=1),
        renews=base_twelve_months,
        status=Status.DRAFT,
    )

    response = client.get(
        reverse("api-subscriber-subscriptions", args=[subscriber.pk]), **auth(own_key)
    )

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first, second = body["results"]
    assert first["number"] == renewal.number
    # A renewal is a main subscription that continues another (R13's grace is «Продлевающая»).
    assert (first["type"], first["type_label"], first["kind"], first["renews"]) == (
        "renewal",
        "Основная",
        "main",
        base_twelve_months.number,
    )
    assert (first["status"], first["extensions"]) == ("draft", [])
    assert second == {
        "id": base_twelve_months.pk,
        "number": base_twelve_months.number,
        "type": "base",
        "type_label": "Основная",
        "kind": "main",
        "tariff": "Стандарт",
        "period": "12 месяцев",
        "starts_on": base_twelve_months.starts_on.isoformat(),
        "ends_on": base_twelve_months.ends_on.isoformat(),
        "status": "posted",
        "status_label": "Проведена",
        "amount": "120000.00",
        "renews": None,
        "extensions": [
            {
                "id": posted.pk,
                "number": posted.number,
                "type": "extension",
                "type_label": "Расширяющая",
                "tariff": "Дополнительный сеанс",
                "resource": "sessions",
                "period": "1 месяц",
                "until_base_end": False,
                "starts_on": posted.starts_on.isoformat(),
                "ends_on": posted.ends_on.isoformat(),
                "status": "posted",
                "status_label": "Проведена",
                "quantity": 2,
                "amount": "6000.00",
            },
            {
                "id": draft.pk,
                "number": draft.number,
                "type": "extension",
                "type_label": "Расширяющая",
                "tariff": "Дополнительный сеанс",
                "resource": "sessions",
                "period": "1 месяц",
                "until_base_end": False,
                "starts_on": draft.starts_on.isoformat(),
                "ends_on": draft.ends_on.isoformat(),
                "status": "draft",
                "status_label": "Черновик",
                "quantity": 1,
                "amount": "3000.00",
            },
        ],
    }


# --- Query counts --------------------------------------------------------------


def _queries(client, url, key):
    client.get(url, **auth(key))  # the first request records the key's last use
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **auth(key))
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    # key lookup + (count + page | subscriber | subscriber + limits | subscriber + count +
    # page + extensions)
    [("list", 3), ("detail", 2), ("limits", 3), ("subscriptions", 5)],
)
def test_query_counts_do_not_grow_with_the_data(
    client, organization, populate, session_tariff, own_key, endpoint, expected
):
    def url_for(subscriber):
        if endpoint == "list":
            return reverse("api-subscriber-list")
        return endpoint_urls(subscriber)[endpoint]

    (one,) = populate(1)
    small = _queries(client, url_for(one), own_key)
    many = populate(5)
    five_days = factories.TariffPeriodFactory(
        tariff=session_tariff, periodicity=Periodicity.DAY, count=5
    )
    for subscriber in many:
        extra_base = subscriber.subscriptions.get()  # ends in 9 days: a 5-day extension fits
        factories.ExtensionFactory(
            subscription=extra_base, tariff=session_tariff, period=five_days, quantity=1
        )
    # More subscriptions with extensions for the subscriber whose list is read.
    big = many[0]
    for _ in range(2):
        another_base = factories.SubscriptionFactory(subscriber=big)
        factories.ExtensionFactory(subscription=another_base, quantity=2)
    large = _queries(client, url_for(big), own_key)

    assert small == large == expected


# --- The key page in the cabinet -------------------------------------------------


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("api_tokens"))

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_owner_sees_the_form_and_revoke_buttons(logged_in, owner, organization):
    ApiToken.issue(organization=organization, name="1С:Бухгалтерия")
    client = logged_in(owner)

    response = client.get(reverse("api_tokens"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "1С:Бухгалтерия" in page
    assert "Создать ключ" in page
    assert "Отозвать" in page


@pytest.mark.parametrize("role_fixture", ["operator", "viewer"])
def test_operators_and_users_see_the_list_without_buttons(
    logged_in, organization, role_fixture, request
):
    ApiToken.issue(organization=organization, name="1С:Бухгалтерия")
    client = logged_in(request.getfixturevalue(role_fixture))

    response = client.get(reverse("api_tokens"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "1С:Бухгалтерия" in page
    assert "Создать ключ" not in page
    assert "Отозвать" not in page


def test_owner_creates_a_key_shown_once_and_stored_only_as_a_hash(
    logged_in, owner, organization, subscriber
):
    client = logged_in(owner)

    response = client.post(reverse("api_tokens"), {"name": "Интеграция"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    key = response.context["new_key"]
    assert key.startswith(token.prefix) and key in response.content.decode()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert (token.organization, token.created_by, token.name) == (
        organization,
        owner,
        "Интеграция",
    )
    assert key not in str(ApiToken.objects.values().get())
    assert key not in client.get(reverse("api_tokens")).content.decode()
    api_response = client.get(reverse("api-subscriber-list"), **auth(key))
    assert api_response.status_code == 200


def test_a_key_needs_a_name(logged_in, owner):
    client = logged_in(owner)

    response = client.post(reverse("api_tokens"), {"name": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("role_fixture", ["operator", "viewer"])
def test_only_the_owner_may_create(logged_in, role_fixture, request):
    client = logged_in(request.getfixturevalue(role_fixture))

    response = client.post(reverse("api_tokens"), {"name": "Интеграция"})

    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_owner_revokes_a_key_and_it_stops_working(logged_in, owner, organization, subscriber):
    token, key = ApiToken.issue(organization=organization, name="1С")
    client = logged_in(owner)

    response = client.post(reverse("api_token_revoke", args=[token.pk]))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get(reverse("api-subscriber-list"), **auth(key)).status_code == 401


@pytest.mark.parametrize("role_fixture", ["operator", "viewer"])
def test_only_the_owner_may_revoke(logged_in, organization, role_fixture, request):
    token, _ = ApiToken.issue(organization=organization, name="1С")
    client = logged_in(request.getfixturevalue(role_fixture))

    response = client.post(reverse("api_token_revoke", args=[token.pk]))

    assert response.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_another_organizations_key_is_a_404_and_not_listed(
    logged_in, organization, other_organization
):
    token, _ = ApiToken.issue(organization=organization, name="Ключ Демо-партнера")
    other_owner = factories.UserFactory(username="other-owner")
    factories.MembershipFactory(organization=other_organization, user=other_owner, role="owner")
    client = logged_in(other_owner)

    revoke = client.post(reverse("api_token_revoke", args=[token.pk]))
    page = client.get(reverse("api_tokens")).content.decode()

    assert revoke.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "Ключ Демо-партнера" not in page


def test_revoking_twice_keeps_the_first_time(organization):
    token, _ = ApiToken.issue(organization=organization, name="1С")
    token.revoke()
    first = token.revoked_at

    token.revoke()

    token.refresh_from_db()
    assert token.revoked_at == first


# --- Admin and documentation -------------------------------------------------------


def test_admin_lists_and_shows_keys_but_does_not_add(logged_in, admin_user, organization):
    token, _ = ApiToken.issue(organization=organization, name="1С")
    client = logged_in(admin_user)

    assert client.get(reverse("admin:api_apitoken_changelist")).status_code == 200
    assert client.get(reverse("admin:api_apitoken_changelist"), {"q": "1С"}).status_code == 200
    assert client.get(reverse("admin:api_apitoken_change", args=[token.pk])).status_code == 200
    assert client.get(reverse("admin:api_apitoken_add")).status_code == 403


def test_admin_action_revokes(logged_in, admin_user, organization):
    token, _ = ApiToken.issue(organization=organization, name="1С")
    client = logged_in(admin_user)

    client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_openapi_document_and_its_ui_are_served(client, db):
    schema = client.get(reverse("api_schema"), {"format": "json"})
    docs = client.get(reverse("api_docs"))
    script = client.get(reverse("api_docs"), {"script": ""})

    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert set(paths) == {
        "/api/v1/subscribers/",
        "/api/v1/subscribers/{id}/",
        "/api/v1/subscribers/{id}/limits/",
        "/api/v1/subscribers/{id}/subscriptions/",
        "/api/v1/price-list/",  # tests/billing/test_api_price_list.py
    }
    assert docs.status_code == 200
    assert "<script>" not in docs.content.decode()  # the CSP allows no inline script
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_a_search_with_a_nul_character_is_a_400_not_a_500(client, subscriber, own_key):
    response = client.get(reverse("api-subscriber-list"), {"q": "Ром\x00ашка"}, **auth(own_key))

    assert response.status_code == 400
    assert "q" in response.json()


# --- The contract: parameters and answers as the document states them ------------------

OPERATIONS = {
    # path in the document: (URL name, whether it takes a subscriber id)
    "/api/v1/subscribers/": ("api-subscriber-list", False),
    "/api/v1/subscribers/{id}/": ("api-subscriber-detail", True),
    "/api/v1/subscribers/{id}/limits/": ("api-subscriber-limits", True),
    "/api/v1/subscribers/{id}/subscriptions/": ("api-subscriber-subscriptions", True),
}


def operation_url(path, subscriber):
    name, takes_id = OPERATIONS[path]
    return reverse(name, args=[subscriber.pk] if takes_id else [])


@pytest.fixture
def document(client, db):
    return client.get(reverse("api_schema"), {"format": "json"}).json()


def documented_query_parameters(document, path) -> set[str]:
    parameters = document["paths"][path]["get"].get("parameters", [])
    return {p["name"] for p in parameters if p["in"] == "query"}


@pytest.mark.parametrize("path", OPERATIONS)
def test_every_operation_documents_each_answer_with_its_body(document, path):
    responses = document["paths"][path]["get"]["responses"]

    def body(code):
        return responses[code]["content"]["application/json"]["schema"]["$ref"]

    assert set(responses) == {"200", "400", "401", "404", "406"}
    assert body("400") == "#/components/schemas/ParameterErrors"
    assert body("401") == body("404") == body("406") == "#/components/schemas/Error"
    assert all(responses[code]["description"] for code in responses)
    assert document["components"]["schemas"]["Error"]["required"] == ["detail"]


@pytest.mark.parametrize("path", OPERATIONS)
def test_a_query_parameter_the_document_does_not_name_is_a_400_naming_it(
    client, subscriber, own_key, document, path
):
    documented = documented_query_parameters(document, path)

    response = client.get(
        operation_url(path, subscriber), {"dat": "2026-01-01", "format": "json"}, **auth(own_key)
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"dat", "format"}
    if documented:
        assert body["dat"] == [
            f"Неизвестный параметр: у этого запроса есть только {', '.join(sorted(documented))}."
        ]
    else:
        assert body["dat"] == ["Неизвестный параметр: у этого запроса параметров нет."]


@pytest.mark.parametrize("path", OPERATIONS)
def test_every_documented_query_parameter_is_accepted(client, subscriber, own_key, document, path):
    example = {"q": "ром", "page": "1", "page_size": "10", "date": "2026-01-31"}
    params = {name: example[name] for name in documented_query_parameters(document, path)}

    response = client.get(operation_url(path, subscriber), params, **auth(own_key))

    assert response.status_code == 200


def test_a_parameter_given_twice_is_a_400(client, subscriber, own_key):
    response = client.get(
        reverse("api-subscriber-list") + "?page_size=false&page_size=2", **auth(own_key)
    )

    assert response.status_code == 400
    assert response.json() == {
        "page_size": ["Параметр указан несколько раз: укажите его один раз."]
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"page": "0"}, {"page": ["Номер страницы — целое число от 1, например 2."]}),
        ({"page": "last"}, {"page": ["Номер страницы — целое число от 1, например 2."]}),
        ({"page": "1.0"}, {"page": ["Номер страницы — целое число от 1, например 2."]}),
        (
            {"page_size": "false"},
            {"page_size": ["Размер страницы — целое число от 1, например 50."]},
        ),
        ({"page_size": "0"}, {"page_size": ["Размер страницы — целое число от 1, например 50."]}),
        ({"q": "я" * 201}, {"q": ["Не длиннее 200 символов."]}),
    ],
)
def test_a_malformed_list_parameter_is_a_400_in_russian(
    client, subscriber, own_key, params, expected
):
    response = client.get(reverse("api-subscriber-list"), params, **auth(own_key))

    assert response.status_code == 400
    assert response.json() == expected


@pytest.mark.parametrize("endpoint", ["list", "subscriptions"])
def test_a_page_past_the_last_is_a_404_in_russian(
    client, subscriber, base_twelve_months, own_key, endpoint
):
    url = {
        "list": reverse("api-subscriber-list"),
        "subscriptions": reverse("api-subscriber-subscriptions", args=[subscriber.pk]),
    }[endpoint]

    last = client.get(url, {"page": 1}, **auth(own_key))
    past = client.get(url, {"page": 2}, **auth(own_key))

    assert last.status_code == 200 and last.json()["next"] is None
    assert past.status_code == 404
    assert past.json() == {
        "detail": "Страницы 2 нет: начните с первой и переходите по ссылкам next и previous."
    }


def test_an_empty_search_lists_everyone(client, organization, subscriber, own_key):
    factories.SubscriberFactory(organization=organization)

    response = client.get(reverse("api-subscriber-list"), {"q": ""}, **auth(own_key))

    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_the_documented_days_are_the_business_range(document):
    import re

    from subscriptions.validators import BUSINESS_FIRST_DAY, BUSINESS_LAST_DAY

    (date,) = [
        p
        for p in document["paths"]["/api/v1/subscribers/{id}/limits/"]["get"]["parameters"]
        if p["name"] == "date"
    ]
    pattern = re.compile(date["schema"]["pattern"])
    day = datetime.timedelta(days=1)

    assert date["schema"]["format"] == "date"
    assert pattern.match(BUSINESS_FIRST_DAY.isoformat())
    assert pattern.match(BUSINESS_LAST_DAY.isoformat())
    assert not pattern.match((BUSINESS_FIRST_DAY - day).isoformat())
    assert not pattern.match((BUSINESS_LAST_DAY + day).isoformat())


def test_a_day_outside_the_business_range_is_a_400(client, subscriber, own_key):
    response = client.get(
        reverse("api-subscriber-limits", args=[subscriber.pk]),
        {"date": "1999-12-31"},
        **auth(own_key),
    )

    assert response.status_code == 400
    assert list(response.json()) == ["date"]
