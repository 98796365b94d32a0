"""«Вход» and logging out."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from cabinet.forms.auth import INVALID_LOGIN_MESSAGE
from subscribers.models import Membership

PASSWORD = "secret-pass-123"


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


@pytest.mark.parametrize(
    "next_url", ["0", "subscribers/", "//evil.example/", "https://evil.example/"]
)
def test_login_goes_home_when_next_is_not_a_path_of_this_site(client, operator, next_url):
    response = client.post(
        reverse("login"), {"username": "operator", "password": "secret-pass-123", "next": next_url}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_logged_in_user_visiting_login_goes_home(logged_in, operator):
    response = logged_in(operator).get(reverse("login"))

    assertRedirects(response, reverse("home"))


def test_logout_is_a_post_form_in_the_layout(logged_in, operator):
    client = logged_in(operator)
    page = client.get(reverse("home"))
    assertContains(page, f'<form class="logout-form" method="post" action="{reverse("logout")}">')

    response = client.post(reverse("logout"))

    assertRedirects(response, reverse("login"))
    assertRedirects(client.get(reverse("home")), f"{reverse('login')}?next=/")


@pytest.mark.parametrize("name", ["home", "subscriber_list"])
def test_anonymous_user_is_asked_to_log_in(client, db, name):
    response = client.get(reverse(name))

    assertRedirects(response, f"{reverse('login')}?next={reverse(name)}")


def test_a_new_browser_opens_the_cabinet_in_the_language_kept_for_the_user(client, operator):
    Membership.objects.filter(user=operator).update(language="kk")

    response = client.post(reverse("login"), {"username": "operator", "password": PASSWORD})

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "kk"
    assertContains(client.get(reverse("home")), '<html lang="kk"')


def test_a_language_chosen_on_the_login_page_is_kept_for_the_user(client, operator):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    client.post(reverse("login"), {"username": "operator", "password": PASSWORD})

    assert Membership.objects.get(user=operator).language == "en"
