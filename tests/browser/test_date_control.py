"""The cabinet's one date control in real Chromium, in Russian, Kazakh and English.

Every date of the cabinet is a text field that reads ДД.ММ.ГГГГ (a month
ММ.ГГГГ) with the vendored calendar (cabinet/widgets.py,
static/cabinet/date_control.js), whatever the browser's locale: Debian's
Chromium has only English, where a native date input shows mm/dd/yyyy. The
tests take it by keyboard and by mouse and compare the screen's text — the
field's value, the calendar's month and weekday names — never pixels; a
screenshot of each calendar goes to test-output/screenshots/.
"""

import datetime
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from subscriptions.models import ExtensionSubscription, Status
from subscriptions.periods import add_months
from tests.browser.conftest import PASSWORD, date_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["ru", "kk", "en"]

# What the screen says in each language (the calendar's names are the vendored locales').
SCREEN = {
    "ru": SimpleNamespace(
        months=[
            "Январь", "Февраль", "Март", "Апрель", "Май", "Июнь",
            "Июль", "Август", "Сентябрь", "Октябрь", "Ноябрь", "Декабрь",
        ],
        short_months=[
            "Янв", "Фев", "Мар", "Апр", "Май", "Июн",
            "Июл", "Авг", "Сен", "Окт", "Ноя", "Дек",
        ],
        weekdays=["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"],
        next="Вперед",
        day_placeholder="ДД.ММ.ГГГГ",
        month_placeholder="ММ.ГГГГ",
        bad_date="Введите дату в формате ДД.ММ.ГГГГ.",
    ),
    "kk": SimpleNamespace(
        months=[
            "Қаңтар", "Ақпан", "Наурыз", "Сәуір", "Мамыр", "Маусым",
            "Шілде", "Тамыз", "Қыркүйек", "Қазан", "Қараша", "Желтоқсан",
        ],
        short_months=[
            "Қаң", "Ақп", "Нау", "Сәу", "Мам", "Мау",
            "Шіл", "Там", "Қыр", "Қаз", "Қар", "Жел",
        ],
        weekdays=["Дс", "Сс", "Ср", "Бс", "Жм", "Сн", "Жк"],
        next="Алға",
        day_placeholder="КК.АА.ЖЖЖЖ",
        month_placeholder="АА.ЖЖЖЖ",
        bad_date="Күнді КК.АА.ЖЖЖЖ пішімінде енгізіңіз.",
    ),
    "en": SimpleNamespace(
        months=[
            "January", "February", "March", "April", "May", "June",
            "July", "August", "September", "October", "November", "December",
        ],
        short_months=[
            "Jan", "Feb", "Mar", "Apr", "May", "Jun",
            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ],
        weekdays=["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"],
        next="Next",
        day_placeholder="DD.MM.YYYY",
        month_placeholder="MM.YYYY",
        bad_date="Enter a date in the format DD.MM.YYYY.",
    ),
}  # fmt: skip

DAY_TEXT = re.compile(r"^\d{2}\.\d{2}\.\d{4}$")


# --- Steps --------------------------------------------------------------------------


def open_in_language(page, language, path):
    """Log in (the login page is Russian), choose the cabinet's language as its
    switch does (the django_language cookie) and open `path`."""
    page.goto(page.live_server_url + "/login/")
    page.get_by_label("Логин").fill("operator")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(page.live_server_url + "/")
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": page.live_server_url}]
    )
    page.goto(page.live_server_url + path)
    expect(page.locator("html")).to_have_attribute("lang", language)


def calendar(page):
    return page.locator(".datepicker.active")


def calendar_title(page):
    """The calendar's header: «Декабрь 2026» in days, «2026» in months."""
    return calendar(page).locator(".view-switch")


def month_title(language, day: datetime.date) -> str:
    return f"{SCREEN[language].months[day.month - 1]} {day.year}"


def month_text(day: datetime.date) -> str:
    return day.strftime("%m.%Y")


def retype(page, text):
    """Replace the focused field's text by typing, key by key."""
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def fill_the_rest(page, period, quantity=1):
    page.locator("#id_tariff").select_option(value=str(period.tariff_id))
    page.locator("#id_period").select_option(value=str(period.pk))
    page.locator("#id_quantity").fill(str(quantity))


def save_draft(page, base) -> ExtensionSubscription:
    before = set(
        ExtensionSubscription.objects.filter(subscription=base).values_list("pk", flat=True)
    )
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator('button[name="action"][value="save"]').click()
    assert posted.value.status == 302
    page.wait_for_load_state()
    return ExtensionSubscription.objects.filter(subscription=base).exclude(pk__in=before).get()


# --- A day: by keyboard -------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_start_typed_and_moved_with_the_arrows_is_saved_as_the_field_shows_it(
    english_browser_page, screenshot, one_base, today, language
):
    page = english_browser_page  # the browser's own locale is English; the cabinet's is not
    screen = SCREEN[language]
    typed = today + datetime.timedelta(days=3)
    picked = typed + datetime.timedelta(days=8)  # → one day, ↓ one week
    base = one_base.base
    open_in_language(page, language, f"/subscriptions/{base.pk}/extensions/new/")
    start = page.locator("#id_starts_on")
    expect(start).to_have_attribute("placeholder", screen.day_placeholder)
    expect(start).to_have_value(DAY_TEXT)  # the recommended start, as ДД.ММ.ГГГГ

    # Tab into the field: the calendar opens on focus, in the cabinet's language
    page.locator("#id_period").focus()
    page.keyboard.press("Tab")
    expect(start).to_be_focused()
    expect(calendar(page)).to_be_visible()
    expect(calendar(page).locator(".dow")).to_have_text(screen.weekdays)

    # Typing works as in any field, and the calendar follows it
    retype(page, date_text(typed))
    expect(calendar_title(page)).to_have_text(month_title(language, typed))
    screenshot(page, f"{language}-den-s-klaviatury")

    # Enter takes the typed day and closes the calendar, without submitting the form
    page.keyboard.press("Enter")
    expect(calendar(page)).to_be_hidden()
    expect(start).to_have_value(date_text(typed))

    # ↓ opens it again; → and ↓ move the day; Enter picks it
    page.keyboard.press("ArrowDown")
    expect(calendar(page)).to_be_visible()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    expect(calendar(page).locator(".datepicker-cell.focused")).to_have_text(str(picked.day))
    expect(calendar_title(page)).to_have_text(month_title(language, picked))
    page.keyboard.press("Enter")
    expect(calendar(page)).to_be_hidden()
    expect(start).to_have_value(date_text(picked))

    # Esc closes it and changes nothing
    page.keyboard.press("ArrowDown")
    expect(calendar(page)).to_be_visible()
    page.keyboard.press("Escape")
    expect(calendar(page)).to_be_hidden()
    expect(start).to_have_value(date_text(picked))
    assert page.url.endswith(f"/subscriptions/{base.pk}/extensions/new/")
    assert not ExtensionSubscription.objects.filter(subscription=base).exists()

    # The server reads what the field shows
    fill_the_rest(page, one_base.month_of_sessions)
    extension = save_draft(page, base)
    assert (extension.starts_on, extension.status) == (picked, Status.DRAFT)


# --- A day: with the mouse ----------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_start_picked_in_the_calendar_with_the_mouse_is_saved(
    page, screenshot, one_base, today, language
):
    screen = SCREEN[language]
    typed = today + datetime.timedelta(days=3)
    next_month = add_months(typed.replace(day=1), 1)
    picked = next_month.replace(day=15)
    base = one_base.base
    open_in_language(page, language, f"/subscriptions/{base.pk}/extensions/new/")
    start = page.locator("#id_starts_on")

    # A click opens the calendar on the field's day; «»» turns the month; a day is clicked
    start.click()
    expect(calendar(page)).to_be_visible()
    retype(page, date_text(typed))
    page.keyboard.press("Enter")
    start.click()
    expect(calendar_title(page)).to_have_text(month_title(language, typed))
    next_button = calendar(page).locator(".next-button")
    expect(next_button).to_have_attribute("aria-label", screen.next)
    next_button.click()
    expect(calendar_title(page)).to_have_text(month_title(language, next_month))
    screenshot(page, f"{language}-kalendar")
    calendar(page).locator(".datepicker-cell.day:not(.prev):not(.next)").filter(
        has_text=re.compile(r"^15$")
    ).click()
    expect(calendar(page)).to_be_hidden()
    expect(start).to_have_value(date_text(picked))

    fill_the_rest(page, one_base.month_of_sessions, quantity=2)
    extension = save_draft(page, base)
    assert (extension.starts_on, extension.quantity) == (picked, 2)


# --- A mistyped day -----------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_mistyped_filter_date_stays_as_typed_and_is_refused_next_to_the_field(
    page, screenshot, one_base, language
):
    screen = SCREEN[language]
    open_in_language(page, language, "/subscriptions/")
    active_on = page.locator("#id_active_on")
    expect(active_on).to_have_attribute("placeholder", screen.day_placeholder)

    active_on.click()
    page.keyboard.type("31.02.2027")  # no such day
    page.keyboard.press("Tab")
    # Not silently replaced by another day: the typed text stays, marked invalid
    expect(active_on).to_have_value("31.02.2027")
    assert active_on.evaluate("control => control.validationMessage") == screen.bad_date

    with page.expect_response(lambda r: "/subscriptions/?" in r.url) as answer:
        page.locator(".filter-bar button[type=submit]").click()
    assert answer.value.status == 400
    expect(page.locator("#id_active_on_errors")).to_have_text(screen.bad_date)
    active_on = page.locator("#id_active_on")
    expect(active_on).to_have_value("31.02.2027")
    screenshot(page, f"{language}-oshibka-filtra")
    # The calendar keeps the server's copy of the mistake too: in and out of the field
    active_on.click()
    page.keyboard.press("Tab")
    expect(active_on).to_have_value("31.02.2027")


def test_a_mistyped_start_is_stopped_in_the_browser_with_the_cabinets_message(page, one_base):
    base = one_base.base
    open_in_language(page, "ru", f"/subscriptions/{base.pk}/extensions/new/")
    fill_the_rest(page, one_base.month_of_sessions)
    start = page.locator("#id_starts_on")
    start.click()
    retype(page, "5/12/2026")
    page.keyboard.press("Escape")
    posts = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)

    page.locator('button[name="action"][value="save"]').click()

    expect(start).to_have_value("5/12/2026")
    assert start.evaluate("control => control.validationMessage") == SCREEN["ru"].bad_date
    assert [p for p in posts if "/extensions/new/" in p.url] == []
    assert not ExtensionSubscription.objects.filter(subscription=base).exists()


# --- The list filter ----------------------------------------------------------------


def test_a_filter_day_picked_with_the_keyboard_is_sent_with_a_second_enter(page, one_base, today):
    open_in_language(page, "ru", "/subscriptions/")
    active_on = page.locator("#id_active_on")

    active_on.click()
    expect(calendar(page)).to_be_visible()
    expect(calendar_title(page)).to_have_text(month_title("ru", today))  # empty: today's month
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")  # picks yesterday
    yesterday = today - datetime.timedelta(days=1)
    expect(active_on).to_have_value(date_text(yesterday))
    assert "active_on" not in page.url

    with page.expect_navigation():
        page.keyboard.press("Enter")  # the calendar is closed: Enter sends the filter
    assert f"active_on={date_text(yesterday)}" in page.url
    expect(page.locator("#id_active_on")).to_have_value(date_text(yesterday))


def test_an_iso_day_from_a_link_is_shown_as_the_cabinet_writes_it(page, one_base, today):
    open_in_language(page, "en", f"/subscriptions/?active_on={today.isoformat()}")

    expect(page.locator("#id_active_on")).to_have_value(date_text(today))


# --- The report's months ------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_report_months_are_typed_and_picked_as_mm_yyyy(
    english_browser_page, screenshot, one_base, today, language
):
    page = english_browser_page
    screen = SCREEN[language]
    current = today.replace(day=1)
    typed = add_months(current, -2)
    picked = add_months(typed, -1)  # ←
    open_in_language(page, language, "/reports/extensions-by-month/")
    first, last = page.locator("#id_from_month"), page.locator("#id_to_month")
    expect(first).to_have_attribute("placeholder", screen.month_placeholder)
    expect(last).to_have_value(month_text(add_months(current, 6)))  # 12 months around today's

    # The calendar opens on the months, named in the cabinet's language, the
    # current month (the cabinet's clock) marked
    last.click()
    expect(calendar(page)).to_be_visible()
    retype(page, month_text(current))
    expect(calendar_title(page)).to_have_text(str(current.year))
    expect(calendar(page).locator(".datepicker-cell.month")).to_have_text(screen.short_months)
    expect(calendar(page).locator(".datepicker-cell.today")).to_have_text(
        screen.short_months[current.month - 1]
    )
    page.keyboard.press("Escape")
    expect(calendar(page)).to_be_hidden()

    first.click()
    expect(calendar(page)).to_be_visible()
    retype(page, month_text(typed))  # while typing, the arrows move the text cursor
    expect(calendar_title(page)).to_have_text(str(typed.year))
    page.keyboard.press("Enter")
    expect(calendar(page)).to_be_hidden()
    expect(first).to_have_value(month_text(typed))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowLeft")
    expect(calendar(page).locator(".datepicker-cell.focused")).to_have_text(
        screen.short_months[picked.month - 1]
    )
    screenshot(page, f"{language}-mesyacy")
    page.keyboard.press("Enter")
    expect(calendar(page)).to_be_hidden()
    expect(first).to_have_value(month_text(picked))

    # A month typed as in an old link (ГГГГ-ММ) is rewritten as ММ.ГГГГ
    last.click()
    retype(page, current.strftime("%Y-%m"))
    page.keyboard.press("Tab")
    expect(last).to_have_value(month_text(current))

    with page.expect_navigation():
        page.locator(".filter-bar button[type=submit]").click()
    assert f"from_month={month_text(picked)}" in page.url
    assert page.locator(".field-error").count() == 0
    expect(page.locator("#id_from_month")).to_have_value(month_text(picked))
    expect(page.locator("#id_to_month")).to_have_value(month_text(current))


# --- Without JavaScript -------------------------------------------------------------


def test_without_javascript_a_typed_start_is_accepted(no_script_page, one_base, today):
    page = no_script_page
    starts_on = today + datetime.timedelta(days=2)
    base = one_base.base
    open_in_language(page, "ru", f"/subscriptions/{base.pk}/extensions/new/")
    start = page.locator("#id_starts_on")
    expect(start).to_have_attribute("type", "text")
    expect(start).to_have_value(DAY_TEXT)

    start.fill(date_text(starts_on))
    fill_the_rest(page, one_base.month_of_sessions)
    extension = save_draft(page, base)

    assert extension.starts_on == starts_on
