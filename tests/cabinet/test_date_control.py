"""The cabinet's one date control (cabinet/widgets.py) on every form that takes a date.

A day reads ДД.ММ.ГГГГ and a month ММ.ГГГГ in Russian, Kazakh and English; the
server parses that (and ISO, for links) in every language; anything else is
refused with the message next to its field and nothing is written.
"""

import datetime
import re
from html import unescape

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pytest_django.asserts import assertContains

from cabinet.filters import SubscriptionFilterForm
from cabinet.forms.documents import ExtensionForm, SubscriptionForm
from cabinet.forms.reports import MonthRangeForm
from cabinet.widgets import DateControl, MonthControl
from subscriptions.models import ExtensionSubscription, Subscription
from subscriptions.periods import add_months
from tests.cabinet.pages import field_errors, page_form

LANGUAGES = ["ru", "kk", "en"]
DAY = datetime.timedelta(days=1)
BAD_DATE = "Введите дату в формате ДД.ММ.ГГГГ."
BAD_MONTH = "Введите месяц в формате ММ.ГГГГ, например 11.2026."
GARBAGE = ["05/12/2026", "2026.12.05", "31.02.2027", "5 декабря", "12-05-2026", "0" * 300]


def input_tag(html: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)


def attribute(tag: str, name: str) -> str | None:
    match = re.search(rf'\s{name}="([^"]*)"', tag)
    return match.group(1) if match else None


def in_language(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


# --- The widgets ----------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_day_is_shown_as_dd_mm_yyyy_in_every_language(language):
    with translation.override(language):
        html = DateControl().render("starts_on", datetime.date(2026, 12, 5), {"id": "id_starts_on"})

    tag = input_tag(html, "starts_on")
    assert attribute(tag, "value") == "05.12.2026"
    assert attribute(tag, "type") == "text"  # never the browser's own date input
    assert attribute(tag, "data-date-control") == "day"
    assert attribute(tag, "inputmode") == "numeric"
    assert attribute(tag, "autocomplete") == "off"
    assert attribute(tag, "aria-describedby") == "id_starts_on_format"
    assert 'id="id_starts_on_format"' in html
    assert re.fullmatch(attribute(tag, "pattern"), "05.12.2026")
    assert re.fullmatch(attribute(tag, "pattern"), "2026-12-05")
    assert not re.fullmatch(attribute(tag, "pattern"), "12/05/2026")


@pytest.mark.parametrize(
    "language, placeholder, hint",
    [
        ("ru", "ДД.ММ.ГГГГ", "Дата в формате ДД.ММ.ГГГГ."),
        ("kk", "КК.АА.ЖЖЖЖ", "Күн КК.АА.ЖЖЖЖ пішімінде."),
        ("en", "DD.MM.YYYY", "A date in the format DD.MM.YYYY."),
    ],
)
def test_the_format_hint_and_placeholder_are_in_the_language(language, placeholder, hint):
    with translation.override(language):
        html = DateControl().render("active_on", None, {"id": "id_active_on"})

    assert attribute(input_tag(html, "active_on"), "placeholder") == placeholder
    assert re.search(
        rf'<span class="visually-hidden" id="id_active_on_format">{re.escape(hint)}', html
    )


def test_an_iso_day_from_a_link_is_shown_as_dd_mm_yyyy():
    html = DateControl().render("active_on", "2026-12-05", {"id": "id_active_on"})

    assert attribute(input_tag(html, "active_on"), "value") == "05.12.2026"


@pytest.mark.parametrize(
    "typed", ["31.02.2027", "0000-12-05", "0999-12-05", "2026-02-30", "2026-13-01"]
)
def test_a_mistyped_day_is_shown_back_as_typed(typed):
    html = DateControl().render("active_on", typed, {"id": "id_active_on"})

    assert attribute(input_tag(html, "active_on"), "value") == typed


@pytest.mark.parametrize("typed", ["0000-01", "0999-01", "2026-13", "2026-00", "13.2026"])
def test_a_mistyped_month_is_shown_back_as_typed(typed):
    html = MonthControl().render("from_month", typed, {"id": "id_from_month"})

    assert attribute(input_tag(html, "from_month"), "value") == typed


def test_the_calendar_knows_the_cabinets_today(today):
    html = DateControl().render("starts_on", None, {"id": "id_starts_on"})

    assert attribute(input_tag(html, "starts_on"), "data-today") == today.isoformat()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_month_is_shown_as_mm_yyyy_in_every_language(language):
    with translation.override(language):
        html = MonthControl().render("from_month", datetime.date(2026, 3, 1), {"id": "id_m"})
        from_link = MonthControl().render("to_month", "2026-4", {"id": "id_n"})

    tag = input_tag(html, "from_month")
    assert attribute(tag, "value") == "03.2026"
    assert attribute(tag, "data-date-control") == "month"
    assert attribute(input_tag(from_link, "to_month"), "value") == "04.2026"


def test_the_field_help_follows_the_format_hint(today):
    form = SubscriptionFilterForm()

    tag = input_tag(str(form["active_on"]), "active_on")

    assert attribute(tag, "aria-describedby") == "id_active_on_format id_active_on_helptext"


# --- The forms parse ДД.ММ.ГГГГ and ISO in every language ---------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("typed", ["05.12.2026", "5.12.2026", " 05.12.2026 ", "2026-12-05"])
def test_the_list_filter_reads_the_day_in_every_language(language, typed):
    with translation.override(language):
        form = SubscriptionFilterForm({"active_on": typed})

        assert form.is_valid(), form.errors
    assert form.cleaned_data["active_on"] == datetime.date(2026, 12, 5)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("typed", ["11.2026", "2026-11", "11.2026 "])
def test_the_report_reads_the_month_in_every_language(language, typed, today):
    with translation.override(language):
        form = MonthRangeForm({"from_month": typed, "to_month": typed}, today=today)

        assert form.is_valid(), form.errors
    assert form.first_month == datetime.date(2026, 11, 1)


def test_the_report_shows_its_default_months_as_mm_yyyy(today):
    form = MonthRangeForm({}, today=today)

    first = input_tag(str(form["from_month"]), "from_month")
    last = input_tag(str(form["to_month"]), "to_month")

    # 12 months around today's (tests/cabinet/test_report_extensions_by_month.py)
    current = today.replace(day=1)
    assert attribute(first, "value") == add_months(current, -5).strftime("%m.%Y")
    assert attribute(last, "value") == add_months(current, 6).strftime("%m.%Y")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_document_forms_read_the_start_in_every_language(
    language, base_twelve_months, session_tariff, today
):
    start = today + 2 * DAY
    period = session_tariff.periods.get(count=1)
    extension = ExtensionSubscription(subscription=base_twelve_months)
    with translation.override(language):
        for typed in (start.strftime("%d.%m.%Y"), start.isoformat()):
            form = ExtensionForm(
                {
                    "tariff": session_tariff.pk,
                    "period": period.pk,
                    "starts_on": typed,
                    "quantity": 1,
                },
                instance=extension,
                today=today,
            )
            assert form.is_valid(), form.errors
            assert form.cleaned_data["starts_on"] == start
        base_form = SubscriptionForm(
            instance=Subscription(subscriber=base_twelve_months.subscriber), today=today
        )
        tag = input_tag(str(base_form["starts_on"]), "starts_on")
    assert attribute(tag, "value") == today.strftime("%d.%m.%Y")
    assert attribute(tag, "data-date-control") == "day"


# --- Garbage is refused next to its field ---------------------------------------------


@pytest.mark.parametrize("typed", GARBAGE)
def test_garbage_in_the_filter_is_a_400_with_the_message_next_to_the_field(
    logged_in, viewer, typed
):
    response = logged_in(viewer).get(reverse("subscription_list"), {"active_on": typed})

    assert response.status_code == 400
    assert field_errors(response, "active_on") == [BAD_DATE]
    assertContains(
        response, f'<p class="field-error" id="id_active_on_errors">{BAD_DATE}</p>', status_code=400
    )


@pytest.mark.parametrize(
    "typed", ["2026/11", "13.2026", "2026-13", "11.26", "ноябрь 2026", "2026-11-01", "9" * 300]
)
def test_garbage_in_the_report_names_the_mm_yyyy_format_next_to_the_field(logged_in, viewer, typed):
    response = logged_in(viewer).get(reverse("report_extensions_by_month"), {"to_month": typed})

    assert response.status_code == 400
    assert field_errors(response, "to_month") == [BAD_MONTH]
    assertContains(
        response, f'<p class="field-error" id="id_to_month_errors">{BAD_MONTH}</p>', status_code=400
    )


@pytest.mark.parametrize("typed", GARBAGE)
def test_garbage_start_refuses_the_extension_and_writes_nothing(
    logged_in, operator, base_twelve_months, session_tariff, typed
):
    client = logged_in(operator)
    url = reverse("extension_create", args=[base_twelve_months.pk])
    data = page_form(client.get(url))
    period = session_tariff.periods.get(count=1)
    data.update(tariff=session_tariff.pk, period=period.pk, starts_on=typed, quantity=1)

    response = client.post(url, {**data, "action": "save"})

    assert response.status_code == 400
    assert field_errors(response, "starts_on") == [BAD_DATE]
    assertContains(response, BAD_DATE, status_code=400)
    assert not ExtensionSubscription.objects.exists()


def test_a_start_typed_as_dd_mm_yyyy_saves_the_extension(
    logged_in, operator, base_twelve_months, session_tariff, today
):
    client = logged_in(operator)
    url = reverse("extension_create", args=[base_twelve_months.pk])
    data = page_form(client.get(url))
    start = today + 3 * DAY
    period = session_tariff.periods.get(count=1)
    data.update(
        tariff=session_tariff.pk, period=period.pk, starts_on=start.strftime("%d.%m.%Y"), quantity=1
    )

    response = client.post(url, {**data, "action": "save"})

    assert response.status_code == 302
    assert ExtensionSubscription.objects.get().starts_on == start


@pytest.mark.parametrize(
    "language, message",
    [
        ("kk", "Күнді КК.АА.ЖЖЖЖ пішімінде енгізіңіз."),
        ("en", "Enter a date in the format DD.MM.YYYY."),
    ],
)
def test_the_refusal_is_translated_too(logged_in, viewer, language, message):
    response = in_language(logged_in(viewer), language).get(
        reverse("subscription_list"), {"active_on": "31.02.2027"}
    )

    assert response.status_code == 400
    assert field_errors(response, "active_on") == [message]


# --- Anything typed -------------------------------------------------------------------

TYPED = st.text(alphabet="0123456789.-/ ", max_size=12) | st.text(max_size=40)


def read(field, text):
    """What the server makes of a typed text: a day, None (empty) or «refused»."""
    try:
        return field.clean(text)
    except ValidationError as error:
        return ("refused", tuple(error.messages))


@given(typed=TYPED)
@hypothesis_settings(max_examples=300, deadline=None)
def test_any_typed_day_is_read_or_refused_and_shown_back_meaning_the_same(typed):
    field = SubscriptionFilterForm.base_fields["active_on"]
    meaning = read(field, typed)
    assert meaning is None or isinstance(meaning, datetime.date) or meaning[1] == (BAD_DATE,)

    html = DateControl().render("active_on", typed, {"id": "id_active_on"})

    shown = unescape(attribute(input_tag(html, "active_on"), "value") or "")
    assert shown == typed or read(field, shown) == meaning


@given(typed=TYPED)
@hypothesis_settings(max_examples=300, deadline=None)
def test_any_typed_month_is_read_or_refused_and_shown_back_meaning_the_same(typed):
    field = MonthRangeForm.base_fields["from_month"]
    meaning = read(field, typed)
    assert meaning is None or isinstance(meaning, datetime.date) or meaning[0] == "refused"

    html = MonthControl().render("from_month", typed, {"id": "id_from_month"})

    shown = unescape(attribute(input_tag(html, "from_month"), "value") or "")
    assert shown == typed or read(field, shown) == meaning
