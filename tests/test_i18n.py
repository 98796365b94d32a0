"""Languages: Russian (the default and the source), Kazakh and English.

The catalogues are complete and compiled; the cabinet's pages rendered in
English contain no Cyrillic at all (with Latin-named data), and in Kazakh show
the Kazakh labels and no Russian one; the switch sets the language; dates and
money follow the language.
"""

import datetime
import json
import re
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from cabinet.templatetags.cabinet import ru_date, tenge
from cabinet.templatetags.documents import infobases_count, sessions_count
from common.formatting import format_tenge
from subscriptions.periods import Periodicity, add_months, describe_period
from tests import factories

LOCALE = Path(settings.BASE_DIR) / "locale"
TEMPLATES = Path(settings.BASE_DIR) / "templates"
LANGUAGES = ("kk", "en")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
DOCUMENT_NUMBER = re.compile(r"[ТР]\d{8}")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


# --- (a) the catalogues ---------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    po = catalogue(language)
    assert len(po) > 400
    untranslated = [e.msgid for e in po if not e.translated()]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    obsolete = [e.msgid for e in po.obsolete_entries()]
    assert untranslated == []
    assert fuzzy == []
    assert obsolete == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_of_their_message(language):
    for entry in catalogue(language):
        source = set(PLACEHOLDER.findall(entry.msgid + (entry.msgid_plural or "")))
        texts = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in texts:
            assert set(PLACEHOLDER.findall(text)) <= source, (entry.msgid, text)
            if not entry.msgid_plural:
                assert set(PLACEHOLDER.findall(text)) == source, (entry.msgid, text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(language):
    """The committed .mo is the compiled .po (run compilemessages after editing)."""
    po = catalogue(language)
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))

    def entries(catalog):
        return {
            (e.msgctxt, e.msgid): e.msgstr or tuple(sorted(e.msgstr_plural.items()))
            for e in catalog
            if e.msgid
        }

    assert entries(mo) == entries(po)


def test_english_translations_have_no_cyrillic():
    english = [e for e in catalogue("en") if CYRILLIC.search(e.msgstr + str(e.msgstr_plural))]
    assert [e.msgid for e in english] == []


def test_no_cabinet_template_has_an_untranslated_russian_text():
    """Every Cyrillic text of a cabinet template — and of a mail's, plain text
    too: mails are written in the recipient's language — is inside
    {% translate %}, {% blocktranslate %} or _("…")."""
    leaks = []
    for path in sorted([*TEMPLATES.rglob("*.html"), *TEMPLATES.rglob("*.txt")]):
        text = path.read_text(encoding="utf-8")
        for pattern in (
            r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}",
            r"\{#.*?#\}",
            r"\{% blocktranslate.*?\{% endblocktranslate %\}",
            r'\{% translate ".*?" %\}',
            r'_\(".*?"\)',
        ):
            text = re.sub(pattern, "", text, flags=re.S)
        leaks += [
            f"{path.name}: {line.strip()}" for line in text.splitlines() if CYRILLIC.search(line)
        ]
    assert leaks == []


# --- (b) the pages in English and Kazakh ------------------------------------------


class _Texts(HTMLParser):
    """The texts a user sees or hears: text nodes and the attributes read aloud or shown."""

    SHOWN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "value"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._json = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._json = tag == "script" and attrs.get("type") == "application/json"
        for name, value in attrs.items():
            if name in self.SHOWN_ATTRIBUTES and value and not (tag == "input" and name == "value"):
                self.texts.append(value)

    def handle_endtag(self, tag):
        self._json = False

    def handle_data(self, data):
        if self._json:
            self.texts.extend(_json_strings(json.loads(data)))
        elif data.strip():
            self.texts.append(" ".join(data.split()))


def _json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def page_texts(response) -> list[str]:
    html = response.content.decode()
    # The switch names each language in that language («Русский», «Қазақша»).
    html = re.sub(r'<form class="language-switch".*?</form>', "", html, flags=re.S)
    parser = _Texts()
    parser.feed(html)
    return parser.texts


@pytest.fixture
def latin_cabinet(db, today):
    """An organization whose data is all in Latin letters, with documents of every
    kind: a base ending within 30 days (home «ending»), a posted extension, a
    draft extension and a draft base (home «drafts»)."""
    organization = factories.OrganizationFactory(name="Demo Partner")
    owner = factories.UserFactory(username="owner-en", first_name="Anna", last_name="Owner")
    factories.MembershipFactory(organization=organization, user=owner, role="owner")
    base_tariff = factories.BaseTariffFactory(name="Standard", sessions=5, infobases=2)
    for count, price in ((1, 12000), (3, 34000), (12, 120000)):
        factories.TariffPeriodFactory(tariff=base_tariff, count=count, price=price)
    sessions = factories.ExtensionTariffFactory(
        name="Additional session", resource="sessions", max_quantity=10, offered_for=[base_tariff]
    )
    infobases = factories.ExtensionTariffFactory(
        name="Additional infobase", resource="infobases", max_quantity=5, offered_for=[base_tariff]
    )
    session_days = factories.TariffPeriodFactory(
        tariff=sessions, periodicity=Periodicity.DAY, count=5, price=500
    )
    for count, price in ((1, 3000), (3, 8500)):
        factories.TariffPeriodFactory(tariff=sessions, count=count, price=price)
    infobase_days = factories.TariffPeriodFactory(
        tariff=infobases, periodicity=Periodicity.DAY, count=5, price=400
    )
    subscriber = factories.SubscriberFactory(
        organization=organization, name='LLP "Romashka"', city="Almaty"
    )
    base = factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(periodicity=Periodicity.MONTH, count=3),
        starts_on=add_months(today + datetime.timedelta(days=10), -3),
    )
    extension = factories.ExtensionFactory(
        subscription=base, tariff=sessions, period=session_days, quantity=2
    )
    factories.ExtensionFactory(
        subscription=base, tariff=infobases, period=infobase_days, status="draft"
    )
    factories.SubscriptionFactory(
        subscriber=factories.SubscriberFactory(
            organization=organization, name="Lotus LLP", city=""
        ),
        tariff=base_tariff,
        period=base_tariff.periods.get(periodicity=Periodicity.MONTH, count=1),
        starts_on=today + datetime.timedelta(days=3),
        status="draft",
    )
    return {"owner": owner, "subscriber": subscriber, "base": base, "extension": extension}


def cabinet_urls(data) -> list[str]:
    subscriber, base, extension = data["subscriber"], data["base"], data["extension"]
    return [
        reverse("home"),
        reverse("subscriber_list"),
        reverse("subscriber_list") + "?q=nothing-like-this",
        reverse("subscriber_detail", args=[subscriber.pk]),
        reverse("subscriber_subscriptions", args=[subscriber.pk]),
        reverse("subscription_detail", args=[base.pk]),
        reverse("subscription_edit", args=[base.pk]),
        reverse("subscription_create", args=[subscriber.pk]),
        reverse("subscription_renew", args=[base.pk]),
        reverse("extension_detail", args=[extension.pk]),
        reverse("extension_create", args=[base.pk]),
        # R14, R15: the posted documents' action pages
        reverse("subscription_unpost", args=[base.pk]),
        reverse("subscription_end_early", args=[base.pk]),
        reverse("extension_unpost", args=[extension.pk]),
        reverse("extension_end_early", args=[extension.pk]),
        reverse("extension_change_quantity", args=[extension.pk]),
        reverse("subscription_list"),
        reverse("subscription_list") + "?status=draft&kind=base",
        reverse("subscription_list") + "?ends_within=-1",
        reverse("report_extensions_by_month"),
        reverse("report_extensions_by_month") + "?from_month=2026-13",
        reverse("api_tokens"),
        "/no-such-page/",
    ]


def without_numbers(text: str) -> str:
    """Document numbers are data: «Т00000001» (a base), «Р00000001» (an extension)."""
    return DOCUMENT_NUMBER.sub("", text)


def get_in(client, language: str, url: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code in (200, 400, 404), (url, response.status_code)
    return response


def test_cabinet_pages_in_english_have_no_cyrillic_at_all(logged_in, latin_cabinet):
    client = logged_in(latin_cabinet["owner"])
    leaks = {}
    for url in cabinet_urls(latin_cabinet):
        response = get_in(client, "en", url)
        assert '<html lang="en">' in response.content.decode()
        found = [text for text in page_texts(response) if CYRILLIC.search(without_numbers(text))]
        if found:
            leaks[url] = found
    client.logout()
    login = page_texts(get_in(client, "en", reverse("login")))
    found = [text for text in login if CYRILLIC.search(without_numbers(text))]
    if found:
        leaks["login"] = found
    assert leaks == {}


def russian_only_messages() -> set[str]:
    """Russian messages (no placeholders) whose Kazakh translation differs."""
    return {
        e.msgid
        for e in catalogue("kk")
        if not e.msgid_plural and e.msgstr != e.msgid and "%" not in e.msgid
    }


def test_cabinet_pages_in_kazakh_show_kazakh_labels_and_no_russian_one(logged_in, latin_cabinet):
    russian = russian_only_messages()
    client = logged_in(latin_cabinet["owner"])
    leaks = {}
    seen: set[str] = set()
    for url in cabinet_urls(latin_cabinet):
        response = get_in(client, "kk", url)
        assert '<html lang="kk">' in response.content.decode()
        texts = page_texts(response)
        seen.update(texts)
        found = [text for text in texts if text in russian]
        if found:
            leaks[url] = found
    client.logout()
    login = page_texts(get_in(client, "kk", reverse("login")))
    leaks.update({"login": [t for t in login if t in russian]} if set(login) & russian else {})
    assert leaks == {}
    page = " ".join(seen | set(login))
    for label in (
        "Жеке кабинет",
        "Қызмет көрсетілетін абоненттер",
        "Абонент",
        "Тарифтерге жазылымдар",
        "Жазылым",
        "Кеңейтуге жазылымдар",
        "Тарифті кеңейтуге жазылу",
        "Жазылым (құру)",
        "Қолданылу кезеңі",
        "Басталуы",
        "Кеңейтулер саны",
        "Өткізу және жабу",
        "Жазу",
        "Жабу",
        "Өткізілген",
        "Жоба",
        "Негізгі",
        "Айлар бойынша кеңейтулер",
        "Кіру",
        "Логин",
        "Құпиясөз",
    ):
        assert label in page, label


def test_russian_stays_the_default_with_the_exact_labels(logged_in, latin_cabinet):
    client = logged_in(latin_cabinet["owner"])
    response = client.get(reverse("extension_create", args=[latin_cabinet["base"].pk]))
    page = unescape(response.content.decode())
    assert '<html lang="ru">' in page
    for label in (
        "Подписка (создание)",
        "Тариф",
        "Период действия",
        "Действует с",
        "Количество расширений",
        "Провести и закрыть",
        "Записать",
        "Закрыть",
    ):
        assert label in page


# --- (c) the switch ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "sign_in"), [("en", "Sign in"), ("kk", "Кіру"), ("ru", "Вход")]
)
def test_language_switch_sets_the_language_cookie_and_the_pages_follow(
    client, db, language, sign_in
):
    login = client.get(reverse("login"))
    assert 'action="/i18n/setlang/"' in login.content.decode()

    response = client.post(
        reverse("set_language"), {"language": language, "next": reverse("login")}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == language
    page = client.get(reverse("login")).content.decode()
    assert f'<h1 id="login-title">{sign_in}</h1>' in page
    assert f'<option value="{language}" lang="{language}" selected>' in page


def test_language_switch_is_in_the_cabinet_header(logged_in, latin_cabinet):
    client = logged_in(latin_cabinet["owner"])
    page = client.get(reverse("home")).content.decode()
    header = page[page.index('<header class="site-header">') : page.index("</header>")]
    assert 'action="/i18n/setlang/"' in header
    assert "<script>" not in page  # no inline scripts (CSP)


def test_a_language_the_cabinet_does_not_offer_falls_back_to_russian(client, db):
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    assert '<html lang="ru">' in client.get(reverse("login")).content.decode()


# --- (d) dates and money ----------------------------------------------------------


DAY = datetime.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("language", "day", "moment", "whole", "fraction"),
    [
        (
            "ru",
            "30.11.2026",
            "30.11.2026 14:05",
            "12\u00a0000\u00a0₸",
            "1\u00a0234\u00a0567,50\u00a0₸",
        ),
        (
            "kk",
            "30.11.2026",
            "30.11.2026 14:05",
            "12\u00a0000\u00a0₸",
            "1\u00a0234\u00a0567,50\u00a0₸",
        ),
        ("en", "30 Nov 2026", "30 Nov 2026 14:05", "12,000\u00a0₸", "1,234,567.50\u00a0₸"),
    ],
)
def test_dates_and_money_follow_the_language(language, day, moment, whole, fraction):
    from django.utils import timezone

    aware = timezone.make_aware(datetime.datetime(2026, 11, 30, 14, 5))
    with translation.override(language):
        assert ru_date(DAY) == day
        assert ru_date(aware) == moment
        assert tenge(12000) == whole
        assert format_tenge(Decimal("12000.00")) == whole
        assert format_tenge(Decimal("1234567.5")) == fraction
        assert format_tenge(None) == "—"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", ["1 месяц", "3 месяца", "12 месяцев", "2 недели", "5 дней", "1 год"]),
        ("kk", ["1 ай", "3 ай", "12 ай", "2 апта", "5 күн", "1 жыл"]),
        ("en", ["1 month", "3 months", "12 months", "2 weeks", "5 days", "1 year"]),
    ],
)
def test_periods_are_counted_in_the_language(language, expected):
    periods = [("month", 1), ("month", 3), ("month", 12), ("week", 2), ("day", 5), ("year", 1)]
    with translation.override(language):
        assert [describe_period(unit, count) for unit, count in periods] == expected


def test_sessions_and_infobases_are_counted_in_the_language():
    with translation.override("ru"):
        assert (sessions_count(5), infobases_count(2)) == ("5 сеансов", "2 информационные базы")
    with translation.override("en"):
        assert (sessions_count(1), infobases_count(2)) == ("1 session", "2 infobases")
    with translation.override("kk"):
        assert (sessions_count(5), infobases_count(2)) == ("5 сеанс", "2 ақпараттық база")


def test_extension_form_page_shows_dates_and_money_in_the_language(logged_in, latin_cabinet, today):
    client = logged_in(latin_cabinet["owner"])
    url = reverse("extension_create", args=[latin_cabinet["base"].pk])
    base = latin_cabinet["base"]
    sessions = latin_cabinet["extension"].tariff
    month = sessions.periods.get(periodicity=Periodicity.MONTH, count=1)
    ends_on = month.end_for(today)
    for language, day, price in (
        ("ru", base.ends_on.strftime("%d.%m.%Y"), "3\u00a0000\u00a0₸"),
        ("kk", base.ends_on.strftime("%d.%m.%Y"), "3\u00a0000\u00a0₸"),
        ("en", f"{base.ends_on.day:02d} {base.ends_on:%b %Y}", "3,000\u00a0₸"),
    ):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = unescape(client.get(url).content.decode())
        assert day in page, language
        assert price in page, language
        # The date control reads ДД.ММ.ГГГГ whatever the language (cabinet/widgets.py).
        assert f'value="{today:%d.%m.%Y}"' in page
        data = json.loads(
            re.search(
                r'<script id="extension-form-data" type="application/json">(.*?)</script>',
                page,
                re.S,
            ).group(1)
        )
        # The script formats nothing: the preview it asks answers in the page's language.
        answer = client.get(
            data["preview"]["url"],
            {"tariff": sessions.pk, "period": month.pk, "starts_on": today, "quantity": 1},
        ).json()
        assert answer["ends_on"] == (
            f"{ends_on.day:02d} {ends_on:%b %Y}" if language == "en" else f"{ends_on:%d.%m.%Y}"
        ), language
        assert answer["total"] == price, language
