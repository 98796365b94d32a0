"""Logins: throttling of failures per username and per address (django-axes),
Django's password validators, and the session's expiry.

The suite runs with Axes off (`AXES_ENABLED = False` in the test settings);
every test here switches it on. Axes counts in the database, so each test
starts from no failures.
"""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from cabinet.throttling import client_ip_address
from tests import factories

PASSWORD = "secret-pass-123"
WRONG_LOGIN = "Логин или пароль введены неправильно. Попробуйте еще раз."
LOCKED_OUT = (
    "Слишком много неудачных попыток входа. Попробуйте через 15 минут "
    "или обратитесь к владельцу организации."
)
OFFICE = "198.51.100.7"
ELSEWHERE = "203.0.113.9"


@pytest.fixture(autouse=True)
def throttled(settings):
    settings.AXES_ENABLED = True
    return settings


def log_in(client, username, password, *, address=OFFICE, url=None, **headers):
    return client.post(
        url or reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def fail(client, username, times, *, address=OFFICE, url=None):
    """`times` wrong passwords; the responses' status codes."""
    return [
        log_in(client, username, "wrong-password", address=address, url=url).status_code
        for _ in range(times)
    ]


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def move_failures_back(minutes):
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=minutes))


# --- Throttling per username -------------------------------------------------------


def test_a_wrong_login_still_says_exactly_what_design_says(client, operator):
    response = log_in(client, "operator", "wrong-password")

    assert response.status_code == 200
    assertContains(response, WRONG_LOGIN)
    assertNotContains(response, "Слишком много")


def test_five_wrong_passwords_lock_the_username_even_against_the_right_one(client, operator):
    assert fail(client, "operator", 4) == [200, 200, 200, 200]

    fifth = log_in(client, "operator", "wrong-password")
    right = log_in(client, "operator", PASSWORD)

    assert fifth.status_code == 429
    assertContains(fifth, LOCKED_OUT, status_code=429)
    assert right.status_code == 429
    assertContains(right, LOCKED_OUT, status_code=429)
    assert not is_logged_in(client)
    assertRedirects(
        client.get(reverse("home")), f"{reverse('login')}?next=/", fetch_redirect_response=False
    )


def test_the_lockout_is_the_login_page_in_the_cabinet_layout(client, operator):
    fail(client, "operator", 5)

    response = log_in(client, "operator", PASSWORD)

    assertContains(response, '<h1 id="login-title">Вход</h1>', status_code=429, html=False)
    assertContains(response, "<title>Вход — Fresh Cabinet</title>", status_code=429)
    assertContains(response, "Fresh Cabinet — кабинет обслуживающей организации", status_code=429)
    assertContains(response, 'role="alert"', status_code=429)
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_a_locked_username_is_locked_from_every_address(client, operator):
    fail(client, "operator", 5, address=OFFICE)

    response = log_in(client, "operator", PASSWORD, address=ELSEWHERE)

    assert response.status_code == 429
    assert not is_logged_in(client)


def test_a_locked_username_does_not_lock_another_user_at_the_same_address(client, operator, viewer):
    fail(client, "operator", 5)

    response = log_in(client, "viewer", PASSWORD)

    assertRedirects(response, reverse("home"), fetch_redirect_response=False)


def test_the_lockout_ends_after_the_cool_off(client, operator):
    fail(client, "operator", 5)

    move_failures_back(14)
    still_locked = log_in(client, "operator", PASSWORD)
    move_failures_back(16)
    after_cool_off = log_in(client, "operator", PASSWORD)

    assert still_locked.status_code == 429
    assertRedirects(after_cool_off, reverse("home"), fetch_redirect_response=False)


def test_attempts_during_a_lockout_are_refused_without_extending_it(client, operator):
    fail(client, "operator", 5)
    move_failures_back(10)
    before = list(AccessAttempt.objects.values_list("failures_since_start", "attempt_time"))

    assert fail(client, "operator", 3) == [429, 429, 429]

    assert list(AccessAttempt.objects.values_list("failures_since_start", "attempt_time")) == before


def test_a_successful_login_clears_the_usernames_failures(client, operator):
    fail(client, "operator", 4)
    assertRedirects(
        log_in(client, "operator", PASSWORD), reverse("home"), fetch_redirect_response=False
    )
    client.post(reverse("logout"))

    assert fail(client, "operator", 5) == [200, 200, 200, 200, 429]


def test_logging_in_to_ones_own_account_does_not_clear_failures_against_another(
    client, operator, owner
):
    # Axes alone would delete every failure from the address on a success.
    fail(client, "owner", 4)
    assertRedirects(
        log_in(client, "operator", PASSWORD), reverse("home"), fetch_redirect_response=False
    )
    client.post(reverse("logout"))

    assert fail(client, "owner", 1) == [429]


def test_unknown_usernames_are_counted_and_locked_too(client, db):
    assert fail(client, "nobody", 5) == [200, 200, 200, 200, 429]


# --- Throttling per address ----------------------------------------------------------


def test_an_address_is_locked_after_twenty_failures_whatever_the_usernames(
    client, operator, viewer
):
    # Four wrong passwords each for four usernames: 16 failures, no username locked.
    for username in ("anna", "boris", "vera", "gleb"):
        assert fail(client, username, 4) == [200] * 4
    assertRedirects(
        log_in(client, "operator", PASSWORD), reverse("home"), fetch_redirect_response=False
    )
    client.post(reverse("logout"))

    # The 17th to 20th failures, all under usernames never tried before.
    assert fail(client, "dina", 3) == [200] * 3
    assert fail(client, "egor", 1) == [429]

    assert log_in(client, "viewer", PASSWORD).status_code == 429
    assert log_in(client, "operator", PASSWORD).status_code == 429
    assertRedirects(
        log_in(client, "viewer", PASSWORD, address=ELSEWHERE),
        reverse("home"),
        fetch_redirect_response=False,
    )


def test_x_forwarded_for_is_ignored_without_trusted_proxies(client, operator, throttled):
    throttled.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 3
    for n in range(3):
        # each failure claims another client address: all come from OFFICE
        log_in(client, f"user{n}", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    response = log_in(client, "operator", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200")

    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_throttled(client, operator, throttled):
    throttled.TRUSTED_PROXY_COUNT = 1
    throttled.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 3
    proxy = "10.0.0.1"
    for n in range(3):
        log_in(client, f"user{n}", "wrong", address=proxy, HTTP_X_FORWARDED_FOR=OFFICE)

    locked = log_in(client, "operator", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=OFFICE)
    # a client that forges the header gets its own address appended by the proxy
    forged = log_in(
        client,
        "operator",
        PASSWORD,
        address=proxy,
        HTTP_X_FORWARDED_FOR=f"{ELSEWHERE}, {OFFICE}",
    )
    other_client = log_in(
        client, "operator", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE
    )

    assert locked.status_code == 429
    assert forged.status_code == 429
    assertRedirects(other_client, reverse("home"), fetch_redirect_response=False)


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "", "198.51.100.7"),
        (0, "198.51.100.7", "203.0.113.9", "198.51.100.7"),
        (1, "10.0.0.1", "203.0.113.9", "203.0.113.9"),
        (1, "10.0.0.1", "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        (2, "10.0.0.2", "1.2.3.4, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        # fewer entries than proxies: the request did not come through them
        (2, "198.51.100.7", "203.0.113.9", "198.51.100.7"),
        (1, "10.0.0.1", "", "10.0.0.1"),
        (1, "10.0.0.1", "not-an-address", "10.0.0.1"),
        (1, "10.0.0.1", "fe80::1%eth0", "10.0.0.1"),
        (1, "10.0.0.1", "2001:DB8:0:0::1", "2001:db8::1"),
        (0, "", "", None),
    ],
)
def test_client_address(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip_address(request) == expected


# --- The admin's login ---------------------------------------------------------------


def test_the_admins_login_is_throttled_the_same_way(client, admin_user):
    url = reverse("admin:login")

    statuses = fail(client, "admin", 5, url=url)
    right = log_in(client, "admin", PASSWORD, url=url)

    assert statuses == [200, 200, 200, 200, 429]
    assertContains(right, LOCKED_OUT, status_code=429)
    assert not is_logged_in(client)
    assert client.get(reverse("admin:index")).status_code == 302


def test_failures_at_the_admin_and_the_cabinet_add_up(client, admin_user):
    fail(client, "admin", 3, url=reverse("admin:login"))

    assert fail(client, "admin", 2) == [200, 429]


# --- Password validators -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Ab1!xyz", "password_too_short"),
        ("qwerty123", "password_too_common"),
        ("password1", "password_too_common"),
        ("83920174659", "password_entirely_numeric"),
        ("ivanov.petr", "password_too_similar"),
    ],
)
def test_a_weak_password_is_refused_by_the_validators(db, password, code):
    user = get_user_model()(username="ivanov.petr", email="ivanov.petr@example.kz")

    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=user)

    assert code in [error.code for error in refused.value.error_list]


def test_a_strong_password_passes_the_validators(db):
    user = get_user_model()(username="ivanov.petr")

    validate_password("Тёплый-март-2031", user=user)


def test_the_admin_refuses_a_weak_password_for_a_new_user(admin_client):
    users = get_user_model().objects.count()

    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "new.operator",
            "password1": "12345678",
            "password2": "12345678",
            "usable_password": "true",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["password2"]
    assert get_user_model().objects.count() == users


# --- Session expiry ------------------------------------------------------------------------


def test_a_login_session_lasts_eight_hours_and_ends_with_the_browser(client, operator):
    before = timezone.now()

    log_in(client, "operator", PASSWORD)

    session = Session.objects.get(session_key=client.cookies["sessionid"].value)
    assert (
        before + datetime.timedelta(hours=8)
        <= session.expire_date
        <= timezone.now() + datetime.timedelta(hours=8)
    )
    # no Max-Age / Expires: the browser drops the cookie when it closes
    assert not client.cookies["sessionid"]["max-age"]
    assert not client.cookies["sessionid"]["expires"]


@pytest.mark.parametrize(
    "name, args",
    [("home", []), ("subscriber_list", []), ("subscription_list", [])],
)
def test_an_expired_session_is_sent_to_login(client, operator, name, args):
    log_in(client, "operator", PASSWORD)
    url = reverse(name, args=args)
    assert client.get(url).status_code == 200

    Session.objects.filter(session_key=client.cookies["sessionid"].value).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    assertRedirects(client.get(url), f"{reverse('login')}?next={url}")


def test_a_session_older_than_eight_hours_is_sent_to_login_from_a_document(
    client, operator, organization
):
    document = factories.SubscriptionFactory(
        subscriber=factories.SubscriberFactory(organization=organization)
    )
    url = reverse("subscription_detail", args=[document.pk])
    log_in(client, "operator", PASSWORD)
    session = client.session
    session.set_expiry(-1)  # as if the 8 hours had passed
    session.save()

    assertRedirects(client.get(url), f"{reverse('login')}?next={url}")
