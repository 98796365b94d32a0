"""Reminder mails in each recipient's cabinet language, with links into the cabinet.

The language is the one the user chose with the header's switch, kept on their
membership (`Membership.language`); the mail links to the base subscription's
card and its renewal form at `settings.CABINET_BASE_URL`; `--date` stays in the
business range (R18). (Who is reminded about what, once: test_reminders.py.)
"""

import datetime
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from pytest_django.asserts import assertTemplateUsed

from subscribers.models import Membership
from subscriptions.models import ReminderSent
from subscriptions.periods import Periodicity
from tests import factories

TODAY = datetime.date(2026, 3, 10)
BASE_URL = "https://cabinet.example.kz"
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
ROOT = Path(django_settings.BASE_DIR)


def _member(organization, username, *, language="ru", role="owner"):
    user = factories.UserFactory(username=username, email=f"{username}@example.kz")
    factories.MembershipFactory(organization=organization, user=user, role=role, language=language)
    return user


@pytest.fixture
def cabinet_address(settings):
    settings.CABINET_BASE_URL = BASE_URL
    return BASE_URL


@pytest.fixture
def hundred_days(base_tariff):
    return factories.TariffPeriodFactory(
        tariff=base_tariff, periodicity=Periodicity.DAY, count=100, price=14200
    )


@pytest.fixture
def ending_in(organization, base_tariff, hundred_days):
    """ending_in(days) → a posted base of a new subscriber whose last day is TODAY + days."""

    def make(days):
        ends_on = TODAY + datetime.timedelta(days=days)
        return factories.SubscriptionFactory(
            subscriber=factories.SubscriberFactory(organization=organization),
            tariff=base_tariff,
            period=hundred_days,
            starts_on=ends_on - datetime.timedelta(days=hundred_days.count - 1),
        )

    return make


def run(day=TODAY):
    call_command("send_reminders", "--date", day.isoformat(), stdout=StringIO(), stderr=StringIO())


def mail_to(mailoutbox, email):
    (message,) = [message for message in mailoutbox if email in message.to]
    return message


def html_of(message) -> str:
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    return html


def without_data(text: str, *data: str) -> str:
    """The mail's own words: the data (names, numbers), which stay as they are stored, taken out."""
    for value in data:
        text = text.replace(value, "").replace(value.replace('"', "&quot;"), "")
    return text


# --- One mail per language, in that language ---------------------------------------------


def test_each_recipient_gets_the_mail_in_their_cabinet_language(
    organization, ending_in, mailoutbox, cabinet_address
):
    _member(organization, "ru-owner", language="ru")
    _member(organization, "kk-operator", language="kk", role="operator")
    _member(organization, "en-owner", language="en")
    subscription = ending_in(2)

    run()

    assert len(mailoutbox) == 3
    assert [message.to for message in mailoutbox] == [
        ["ru-owner@example.kz"],
        ["kk-operator@example.kz"],
        ["en-owner@example.kz"],
    ]
    assert subscription.reminders.count() == 1  # one reminder, told in three languages

    russian = mail_to(mailoutbox, "ru-owner@example.kz")
    assert russian.subject.startswith("Fresh Cabinet: заканчиваются подписки абонентов (1)")
    assert russian.body.startswith("Здравствуйте!")
    assert "Действует по 12.03.2026 — осталось 2 дня" in russian.body
    assert '<html lang="ru">' in html_of(russian)

    kazakh = mail_to(mailoutbox, "kk-operator@example.kz")
    assert kazakh.subject.startswith("Fresh Cabinet: абоненттердің жазылымдары аяқталып келеді (1)")
    assert kazakh.body.startswith("Сәлеметсіз бе!")
    assert "12.03.2026 дейін қолданылады — 2 күн қалды" in kazakh.body
    assert "<td>2 күн қалды</td>" in html_of(kazakh)
    assert '<html lang="kk">' in html_of(kazakh)
    for russian_word in ("Здравствуйте", "Действует по", "осталось", "Подписка №", "Продлить"):
        assert russian_word not in kazakh.body
        assert russian_word not in html_of(kazakh)

    english = mail_to(mailoutbox, "en-owner@example.kz")
    assert english.subject.startswith("Fresh Cabinet: subscribers' subscriptions are ending (1)")
    assert english.body.startswith("Hello!")
    assert "Valid to 12 Mar 2026 — 2 days left" in english.body
    assert "renew the subscription with the «Renew» link" in english.body
    assert "renew the subscription: «Renew» in its row" in html_of(english)
    assert "renewing subscription" not in english.body + html_of(english)
    assert "жазылымды «Ұзарту» сілтемесі бойынша" in kazakh.body
    assert "ұзартушы" not in kazakh.body + html_of(kazakh)  # the grace subscription's word
    assert '<html lang="en">' in html_of(english)
    data = (
        organization.name,
        subscription.subscriber.name,
        subscription.number,
        subscription.tariff.name,
    )
    assert CYRILLIC.findall(without_data(english.subject + english.body, *data)) == []
    assert CYRILLIC.findall(without_data(html_of(english), *data)) == []


def test_recipients_of_one_language_share_one_mail(organization, ending_in, mailoutbox):
    _member(organization, "kk-owner", language="kk")
    _member(organization, "kk-operator", language="kk", role="operator")
    _member(organization, "ru-operator", language="ru", role="operator")
    ending_in(10)

    run()

    assert sorted(message.to for message in mailoutbox) == [
        ["kk-operator@example.kz", "kk-owner@example.kz"],
        ["ru-operator@example.kz"],
    ]


def test_a_failed_mail_of_one_language_records_nothing_and_the_next_run_sends_all(
    organization, ending_in, mailoutbox, monkeypatch
):
    from django.core.mail import EmailMultiAlternatives

    _member(organization, "ru-owner", language="ru")
    _member(organization, "en-owner", language="en")
    subscription = ending_in(10)
    original_send = EmailMultiAlternatives.send

    def english_fails(self, fail_silently=False):
        if self.to == ["en-owner@example.kz"]:
            raise ConnectionRefusedError("SMTP server is down")
        return original_send(self, fail_silently=fail_silently)

    with monkeypatch.context() as patched:
        patched.setattr(EmailMultiAlternatives, "send", english_fails)
        run()

    assert not ReminderSent.objects.exists()

    run()

    assert subscription.reminders.count() == 1
    assert [message.to for message in mailoutbox][-2:] == [
        ["ru-owner@example.kz"],
        ["en-owner@example.kz"],
    ]


# --- Plurals, dates and money in each language ------------------------------------------


@pytest.mark.parametrize(
    ("language", "days", "phrase"),
    [
        ("ru", 1, "остался 1 день"),
        ("ru", 2, "осталось 2 дня"),
        ("ru", 5, "осталось 5 дней"),
        ("ru", 21, "остался 21 день"),
        ("kk", 1, "1 күн қалды"),
        ("kk", 2, "2 күн қалды"),
        ("kk", 5, "5 күн қалды"),
        ("kk", 21, "21 күн қалды"),
        ("en", 1, "1 day left"),
        ("en", 2, "2 days left"),
        ("en", 5, "5 days left"),
        ("en", 21, "21 days left"),
    ],
)
def test_the_days_left_are_told_with_the_languages_plural(
    organization, ending_in, mailoutbox, language, days, phrase
):
    _member(organization, "reader", language=language)
    ending_in(days)

    run()

    (message,) = mailoutbox
    assert f"— {phrase}\n" in message.body
    assert f"<td>{phrase}</td>" in html_of(message)


@pytest.mark.parametrize(
    ("language", "ends_on", "amount", "extension_amount", "last_day"),
    [
        ("ru", "12.03.2026", "14\u00a0200\u00a0₸", "1\u00a0500\u00a0₸", "сегодня последний день"),
        ("kk", "12.03.2026", "14\u00a0200\u00a0₸", "1\u00a0500\u00a0₸", "бүгін соңғы күн"),
        ("en", "12 Mar 2026", "14,200\u00a0₸", "1,500\u00a0₸", "last day today"),
    ],
)
def test_dates_and_amounts_are_formatted_as_in_the_cabinet_of_that_language(
    organization,
    ending_in,
    session_tariff,
    mailoutbox,
    language,
    ends_on,
    amount,
    extension_amount,
    last_day,
):
    _member(organization, "reader", language=language)
    base = ending_in(2)
    ten_days = factories.TariffPeriodFactory(
        tariff=session_tariff, periodicity=Periodicity.DAY, count=10, price=500
    )
    factories.ExtensionFactory(
        subscription=base,
        tariff=session_tariff,
        period=ten_days,
        starts_on=base.ends_on - datetime.timedelta(days=9),
        quantity=3,
    )
    ending_today = ending_in(0)

    run()

    (message,) = mailoutbox
    html = html_of(message)
    assert ends_on in message.body and f">{ends_on}</td>" in html
    assert amount in message.body and f">{amount}</td>" in html
    assert extension_amount in message.body and f">{extension_amount}</td>" in html
    assert f"— {last_day}\n" in message.body
    assert ending_today.number in message.body


# --- Links into the cabinet ---------------------------------------------------------------


def test_the_mail_links_to_the_base_card_and_its_renewal_at_the_cabinets_address(
    organization, ending_in, mailoutbox, cabinet_address
):
    _member(organization, "owner")
    subscription = ending_in(10)

    run()

    (message,) = mailoutbox
    card = f"{BASE_URL}/subscriptions/{subscription.pk}/"
    renewal = f"{BASE_URL}/subscriptions/{subscription.pk}/renew/"
    assert f"Карточка подписки: {card}\n" in message.body
    assert f"Продлить: {renewal}\n" in message.body
    html = html_of(message)
    assert f'<a href="{card}">{subscription.number}</a>' in html
    assert f'<a href="{renewal}">Продлить</a>' in html
    assert f'<a href="{BASE_URL}/">личном кабинете</a>' in html
    # Renewing is «Продлить» (an «Основная» that continues the base), not a «Продлевающая».
    assert "продлите подписку по ссылке «Продлить»" in message.body
    assert "продлите подписку: «Продлить» в ее строке" in html


def test_the_links_keep_the_path_of_a_cabinet_served_under_a_prefix(
    organization, ending_in, mailoutbox, settings
):
    settings.CABINET_BASE_URL = "https://partners.example.kz/cabinet/"
    _member(organization, "owner")
    subscription = ending_in(10)

    run()

    assert (
        f"https://partners.example.kz/cabinet/subscriptions/{subscription.pk}/renew/"
        in mailoutbox[0].body
    )


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_the_recipient_following_the_links_lands_on_the_card_and_the_renewal_form(
    organization, ending_in, mailoutbox, cabinet_address, logged_in, client, language
):
    recipient = _member(organization, "operator", language=language, role="operator")
    subscription = ending_in(10)
    run()
    (message,) = mailoutbox
    links = re.findall(rf"{re.escape(BASE_URL)}/\S*", message.body)
    card, renewal = (urlsplit(link).path for link in links[:2])
    assert (card, renewal) == (
        reverse("subscription_detail", args=[subscription.pk]),
        reverse("subscription_renew", args=[subscription.pk]),
    )

    anonymous = client.get(card)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))

    signed_in = logged_in(recipient)
    card_page = signed_in.get(card)
    assert card_page.status_code == 200
    assert card_page.context["subscription"] == subscription
    renewal_page = signed_in.get(renewal)
    assert renewal_page.status_code == 200
    assertTemplateUsed(renewal_page, "subscriptions/renewal_form.html")
    assert renewal_page.context["subscription"] == subscription


def _settings_in_a_fresh_process(**environment) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CABINET_BASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="fresh_cabinet.settings", **environment)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CABINET_BASE_URL)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_cabinets_address_comes_from_the_environment():
    result = _settings_in_a_fresh_process(CABINET_BASE_URL="https://cabinet.example.kz/")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "https://cabinet.example.kz"


def test_an_address_without_its_scheme_stops_the_start_with_a_clear_message():
    result = _settings_in_a_fresh_process(CABINET_BASE_URL="cabinet.example.kz")

    assert result.returncode != 0
    assert "CABINET_BASE_URL='cabinet.example.kz'" in result.stderr
    assert "e.g. https://cabinet.example.kz" in result.stderr


# --- The user's choice of language ----------------------------------------------------------


@pytest.mark.parametrize("language", ["kk", "en", "ru"])
def test_switching_the_language_in_the_cabinet_stores_it_on_the_user(
    organization, logged_in, language
):
    user = _member(organization, "owner", language="kk" if language == "ru" else "ru")
    client = logged_in(user)

    response = client.post(
        reverse("set_language"), {"language": language, "next": reverse("subscriber_list")}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("subscriber_list")
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == language  # kept too
    assert Membership.objects.get(user=user).language == language


def test_the_stored_choice_decides_the_next_mails_language(
    organization, ending_in, logged_in, mailoutbox
):
    user = _member(organization, "owner")
    logged_in(user).post(reverse("set_language"), {"language": "kk", "next": "/"})
    ending_in(10)

    run()

    (message,) = mailoutbox
    assert message.body.startswith("Сәлеметсіз бе!")


def test_a_language_the_cabinet_does_not_offer_is_not_stored(organization, logged_in):
    user = _member(organization, "owner", language="kk")

    logged_in(user).post(reverse("set_language"), {"language": "de", "next": "/"})

    assert Membership.objects.get(user=user).language == "kk"


def test_the_switch_still_works_without_a_membership(client, db, admin_user, logged_in):
    anonymous = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert anonymous.status_code == 302
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "en"

    staff = logged_in(admin_user).post(reverse("set_language"), {"language": "kk", "next": "/"})
    assert staff.status_code == 302
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "kk"


def test_the_admin_shows_and_changes_a_members_language(organization, logged_in, admin_user):
    user = _member(organization, "owner")
    membership = Membership.objects.get(user=user)
    client = logged_in(admin_user)
    change = reverse("admin:subscribers_membership_change", args=[membership.pk])

    page = client.get(change)
    assert page.status_code == 200
    assert 'name="language"' in page.content.decode()
    response = client.post(
        change,
        {
            "organization": organization.pk,
            "user": user.pk,
            "role": "owner",
            "language": "en",
        },
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.language == "en"
    changelist = client.get(reverse("admin:subscribers_membership_changelist"), {"language": "en"})
    assert changelist.status_code == 200
    # the row's column, not the filter's «English» choice that every list shows
    assert '<td class="field-language">English</td>' in changelist.content.decode()


def test_the_database_refuses_a_language_the_cabinet_does_not_offer(organization):
    user = _member(organization, "owner")

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(user=user).update(language="de")


# --- --date stays in the business range (R18) ---------------------------------------------


@pytest.mark.parametrize("day", ["1999-12-31", "2100-01-01", "9999-12-31"])
def test_a_date_outside_the_business_range_is_refused_with_a_clear_message(db, day):
    with pytest.raises(CommandError) as refused:
        call_command("send_reminders", "--date", day, stdout=StringIO(), stderr=StringIO())

    assert str(refused.value) == (
        f"--date {day}: Дата вне рабочего диапазона сервиса: "
        "укажите дату с 01.01.2000 по 31.12.2099."
    )


@pytest.mark.parametrize("day", ["2000-01-01", "2099-12-31"])
def test_the_first_and_last_day_of_the_business_range_are_accepted(db, day):
    out = StringIO()

    call_command("send_reminders", "--date", day, stdout=out, stderr=StringIO())

    assert "напоминать не о чем" in out.getvalue()
