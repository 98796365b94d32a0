"""The partner's flow in real Chromium, with the screen's labels (DESIGN.md, «The flow»).

Вход → Личный кабинет → Обслуживаемые абоненты → (double-click) Абонент →
Подписки на тарифы → window «Подписка» → (double-click) the base subscription →
Подписки на расширения → Подписать на расширение тарифа → «Подписка (создание)»
→ Провести и закрыть → the new row on the base card, in «Подписка», and in
today's limits on the «Абонент» card.

Data are committed, as live_server needs: `manage.py seed_demo` where the
screens should look as a partner's do (the flow, the viewer, the phone), a few
factories where one base subscription is enough (refusals, exactly-once,
login) — the seed costs a couple of seconds per test. Every page the tests
open is watched for JavaScript errors and CSP violations (conftest.py). A
screenshot of each screen goes to test-output/screenshots/.
"""

import datetime
import re
import threading
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from playwright.sync_api import expect

from common.formatting import fmt
from subscribers.models import Subscriber
from subscriptions.models import ExtensionSubscription, Status, Subscription, TariffPeriod
from subscriptions.periods import Periodicity, latest_start_ending_by, period_end
from tests.browser.conftest import PASSWORD, date_text, type_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WRONG_LOGIN = "Логин или пароль введены неправильно. Попробуйте еще раз."
SESSIONS = "Дополнительный сеанс"


def ru_money(amount) -> str:
    """«5 000 ₸» as the page writes it; Playwright's text matching treats NBSP as a space."""
    return f"{int(amount):,}".replace(",", " ") + " ₸"


@pytest.fixture
def demo():
    """The demo data; «ТОО "Ромашка"» and its current (renewing) base subscription."""
    call_command("seed_demo", password=PASSWORD, stdout=StringIO(), stderr=StringIO())
    romashka = Subscriber.objects.get(name='ТОО "Ромашка"')
    base = Subscription.objects.get(subscriber=romashka, renews__isnull=False)
    month_of_sessions = TariffPeriod.objects.get(
        tariff__name=SESSIONS, periodicity=Periodicity.MONTH, count=1
    )
    return SimpleNamespace(romashka=romashka, base=base, month_of_sessions=month_of_sessions)


# --- Steps --------------------------------------------------------------------


def url(page, path: str) -> str:
    return page.live_server_url + path


def log_in(page, username, password=PASSWORD):
    page.goto(url(page, "/login/"))
    expect(page.get_by_role("heading", name="Вход")).to_be_visible()
    page.get_by_label("Логин").fill(username)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()


def log_in_to_cabinet(page, username):
    log_in(page, username)
    page.wait_for_url(url(page, "/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Личный кабинет")


def heading(page):
    return page.get_by_role("heading", level=1)


def dblclick_row(row):
    """Double-click the row itself — its first cell without a link — never the link."""
    row.locator("td:not(:has(a))").first.dblclick()


def search_subscribers(page, text):
    """«Обслуживаемые абоненты» shows 25 a page: find the subscriber with the search box."""
    page.get_by_label("Поиск").fill(text)
    page.get_by_role("button", name="Найти").click()
    page.wait_for_url(re.compile(r"[?&]q="))


def row_with(page, text):
    """The table row holding a link named exactly `text` (a name, a document number)."""
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=text, exact=True))


def cell_under(row, header):
    """The row's cell in the column whose header is `header`."""
    headers = [
        h.strip() for h in row.locator("xpath=ancestor::table[1]/thead//th").all_inner_texts()
    ]
    return row.locator("td").nth(headers.index(header))


def sessions_today(page) -> int:
    return int(page.locator('[data-limit="sessions"]').inner_text())


def form_row(page, label):
    """The labelled row of a form field: label, control, help and the field's errors."""
    return page.locator(".form-row").filter(has=page.get_by_label(label))


def open_extension_form(page, base):
    page.goto(url(page, f"/subscriptions/{base.pk}/extensions/new/"))
    expect(heading(page)).to_have_text("Подписка (создание)")


def fill_extension(page, period, starts_on, quantity):
    page.get_by_label("Тариф").select_option(label=period.tariff.name)
    page.get_by_label("Период действия").select_option(value=str(period.pk))
    type_date(page.get_by_label("Действует с"), starts_on)
    page.get_by_label("Количество расширений").fill(str(quantity))


def extensions_of(base):
    return ExtensionSubscription.objects.filter(subscription=base)


# --- 1. The whole flow ----------------------------------------------------------


def test_operator_records_a_session_extension_through_the_whole_flow(page, screenshot, demo, today):
    base = demo.base
    before = set(extensions_of(base).values_list("pk", flat=True))

    # Вход → Личный кабинет
    log_in_to_cabinet(page, "operator")
    screenshot(page, "lichnyi-kabinet")

    # → Обслуживаемые абоненты
    page.get_by_role("main").get_by_role("link", name="Обслуживаемые абоненты", exact=True).click()
    expect(heading(page)).to_have_text("Обслуживаемые абоненты")
    screenshot(page, "obsluzhivaemye-abonenty")
    search_subscribers(page, "Ромашка")
    screenshot(page, "obsluzhivaemye-abonenty-poisk")

    # double-click the row of «ТОО "Ромашка"» → Абонент
    dblclick_row(row_with(page, 'ТОО "Ромашка"'))
    page.wait_for_url(url(page, f"/subscribers/{demo.romashka.pk}/"))
    expect(heading(page)).to_have_text("Абонент")
    expect(page.get_by_text('ТОО "Ромашка"').first).to_be_visible()
    expect(page.get_by_role("link", name="Добавить подписку на тариф")).to_be_visible()
    sessions_before = sessions_today(page)
    screenshot(page, "abonent")

    # Подписки на тарифы → window «Подписка»
    page.get_by_role("link", name="Подписки на тарифы", exact=True).click()
    expect(heading(page)).to_have_text("Подписка")
    screenshot(page, "podpiska")

    # double-click the base subscription → its card
    dblclick_row(row_with(page, base.number))
    page.wait_for_url(url(page, f"/subscriptions/{base.pk}/"))
    expect(heading(page)).to_have_text(f"Подписка на тариф № {base.number}")
    screenshot(page, "podpiska-na-tarif")

    # tab «Подписки на расширения» → Подписать на расширение тарифа
    tabs = page.get_by_role("navigation", name="Разделы подписки")
    tabs.get_by_role("link", name=re.compile(r"^Подписки на расширения")).click()
    page.wait_for_url(re.compile(r"#extensions$"))
    extensions_tab = page.get_by_role("region", name="Подписки на расширения")
    extensions_tab.get_by_role("link", name="Подписать на расширение тарифа").click()
    page.wait_for_url(url(page, f"/subscriptions/{base.pk}/extensions/new/"))
    expect(heading(page)).to_have_text("Подписка (создание)")
    for label in ("Тариф", "Период действия", "Действует с", "Количество расширений"):
        expect(page.get_by_label(label)).to_be_visible()
    for button in ("Провести и закрыть", "Записать"):
        expect(page.get_by_role("button", name=button)).to_be_visible()
    expect(page.get_by_role("link", name="Закрыть", exact=True)).to_be_visible()
    screenshot(page, "podpiska-sozdanie")

    # Тариф, Период действия, Действует с: «по» and the total follow on the page
    period = demo.month_of_sessions
    page.get_by_label("Тариф").select_option(label=SESSIONS)
    page.get_by_label("Период действия").select_option(value=str(period.pk))
    type_date(page.get_by_label("Действует с"), today)
    ends_on = period_end(today, Periodicity.MONTH, 1)  # today + 1 month − 1 day
    expect(page.locator("[data-ends-on]")).to_have_text(fmt(ends_on))
    total = page.locator("[data-total]")
    expect(total).to_have_text(ru_money(period.price))
    page.get_by_label("Количество расширений").fill("2")
    expect(total).to_have_text(ru_money(period.price * 2))
    screenshot(page, "podpiska-sozdanie-zapolnena")

    # Провести и закрыть → back on the base card, the new row in «Подписки на расширения»
    page.get_by_role("button", name="Провести и закрыть").click()
    page.wait_for_url(re.compile(rf"/subscriptions/{base.pk}/\?new=\d+#extensions$"))
    new = extensions_of(base).exclude(pk__in=before).get()
    assert (new.tariff.name, new.quantity, new.status) == (SESSIONS, 2, Status.POSTED)
    assert (new.starts_on, new.ends_on) == (today, ends_on)
    expect(
        page.get_by_text(f"Подписка на расширение тарифа № {new.number} проведена.")
    ).to_be_visible()
    row = extensions_tab.get_by_role("row").filter(
        has=page.get_by_role("link", name=new.number, exact=True)
    )
    expect(row).to_be_visible()
    expect(cell_under(row, "Тариф")).to_have_text(SESSIONS)
    expect(cell_under(row, "Действует с")).to_have_text(fmt(today))
    expect(cell_under(row, "по")).to_have_text(fmt(ends_on))
    expect(cell_under(row, "Количество расширений")).to_have_text("2")
    expect(cell_under(row, "Состояние")).to_have_text("Проведена")
    expect(cell_under(row, "Сумма")).to_have_text(ru_money(period.price * 2))
    screenshot(page, "podpiska-na-tarif-s-novym-rasshireniem")

    # … and in the subscriber's window «Подписка»
    page.get_by_role("navigation", name="Путь").get_by_role(
        "link", name="Подписка", exact=True
    ).click()
    expect(heading(page)).to_have_text("Подписка")
    row = row_with(page, new.number)
    expect(row).to_be_visible()
    expect(cell_under(row, "Тип подписки")).to_contain_text("Расширяющая")
    expect(cell_under(row, "Количество расширений")).to_have_text("2")
    expect(cell_under(row, "Состояние")).to_have_text("Проведена")
    screenshot(page, "podpiska-s-novym-rasshireniem")

    # … and today's sessions on the «Абонент» card grew by 2
    page.get_by_role("link", name="Карточка абонента").click()
    expect(heading(page)).to_have_text("Абонент")
    expect(page.locator('[data-limit="sessions"]')).to_have_text(str(sessions_before + 2))
    expect(row_with(page, new.number)).to_be_visible()
    screenshot(page, "abonent-limity-vyrosli")


# --- 2. Keyboard ------------------------------------------------------------------


def test_rows_open_from_the_keyboard(page, demo):
    """Enter on a focused row opens it; Tab goes from a row to its link and on to the next row."""
    log_in_to_cabinet(page, "operator")
    page.goto(url(page, "/subscribers/"))
    search_subscribers(page, "Ромашка")
    row = row_with(page, 'ТОО "Ромашка"')
    row.focus()
    expect(row).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(url(page, f"/subscribers/{demo.romashka.pk}/"))
    expect(heading(page)).to_have_text("Абонент")

    # In the window «Подписка»: Tab, Tab, Enter.
    page.goto(url(page, f"/subscribers/{demo.romashka.pk}/subscriptions/"))
    first_row, second_row = page.locator("tbody tr").nth(0), page.locator("tbody tr").nth(1)
    first_row.focus()
    page.keyboard.press("Tab")
    expect(first_row.get_by_role("link")).to_be_focused()  # the document number
    page.keyboard.press("Tab")
    expect(second_row).to_be_focused()
    target = second_row.get_attribute("data-href")
    page.keyboard.press("Enter")
    page.wait_for_url(url(page, target))


# --- 3. A refused start date --------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    ["yesterday", "before-the-base"],
)
def test_refused_start_date_keeps_the_form_with_the_message_next_to_the_field(
    page, screenshot, one_base, case, today
):
    base = one_base.base
    # Both advise the starts that can be posted: from today (the base began a month
    # ago) to the last day from which a month still ends with the base.
    advice = (
        f"С периодом «1 месяц» выберите дату начала с {fmt(today)} по "
        f"{fmt(latest_start_ending_by(base.ends_on, Periodicity.MONTH, 1))}."
    )
    if case == "yesterday":
        # R7: posted with a start in the past.
        starts_on = today - datetime.timedelta(days=1)
        message = f"Расширение проводится с сегодняшнего дня или позже. {advice}"
    else:
        # R4: before the base subscription begins.
        starts_on = base.starts_on - datetime.timedelta(days=1)
        message = (
            "Расширение не может начинаться раньше подписки на тариф "
            f"({fmt(base.starts_on)}). {advice}"
        )
    log_in_to_cabinet(page, "operator")
    open_extension_form(page, base)
    fill_extension(page, one_base.month_of_sessions, starts_on, 2)
    count = ExtensionSubscription.objects.count()

    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Провести и закрыть").click()
    assert posted.value.status == 400
    page.wait_for_load_state()

    expect(heading(page)).to_have_text("Подписка (создание)")
    assert page.url == url(page, f"/subscriptions/{base.pk}/extensions/new/")
    start_row = form_row(page, "Действует с")
    expect(start_row.locator(".field-error")).to_contain_text(message)
    expect(page.get_by_label("Действует с")).to_have_value(date_text(starts_on))
    expect(page.get_by_label("Количество расширений")).to_have_value("2")
    assert ExtensionSubscription.objects.count() == count
    screenshot(page, f"otkaz-{case}")


# --- 4. A read-only user ------------------------------------------------------------

WRITE_CONTROLS = (
    "Подписать на расширение тарифа",
    "Провести",
    "Провести и закрыть",
    "Отменить проведение",
    "Добавить подписку на тариф",
    "Изменить",
    "Удалить",
)


def assert_no_write_controls(page):
    for name in WRITE_CONTROLS:
        for role in ("link", "button"):
            expect(page.get_by_role(role, name=name, exact=True)).to_have_count(0)


def test_viewer_reads_the_documents_without_any_button_that_writes(page, screenshot, demo):
    base = demo.base
    log_in_to_cabinet(page, "viewer")
    page.get_by_role("main").get_by_role("link", name="Обслуживаемые абоненты", exact=True).click()
    search_subscribers(page, "Ромашка")
    dblclick_row(row_with(page, 'ТОО "Ромашка"'))
    expect(heading(page)).to_have_text("Абонент")
    assert_no_write_controls(page)
    screenshot(page, "abonent")

    page.get_by_role("link", name="Подписки на тарифы", exact=True).click()
    expect(heading(page)).to_have_text("Подписка")
    expect(row_with(page, base.number)).to_be_visible()
    assert_no_write_controls(page)
    screenshot(page, "podpiska")

    dblclick_row(row_with(page, base.number))
    expect(heading(page)).to_have_text(f"Подписка на тариф № {base.number}")
    expect(page.get_by_role("region", name="Подписки на расширения")).to_be_visible()
    assert_no_write_controls(page)
    screenshot(page, "podpiska-na-tarif")

    # A posted extension and a draft: neither «Отменить проведение» nor «Провести».
    for extension in extensions_of(base).order_by("status"):
        page.goto(url(page, f"/extensions/{extension.pk}/"))
        expect(heading(page)).to_have_text(f"Подписка на расширение тарифа № {extension.number}")
        assert_no_write_controls(page)
        screenshot(page, f"podpiska-na-rasshirenie-{extension.status}")


# --- 5. Exactly once ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("button", "status", "lands_on"),
    [
        ("Провести и закрыть", Status.POSTED, r"/subscriptions/{base}/\?new={new}#extensions$"),
        ("Записать", Status.DRAFT, r"/extensions/{new}/$"),
    ],
    ids=["post-and-close", "save"],
)
def test_double_click_on_submit_creates_exactly_one_extension(
    page, one_base, button, status, lands_on, today
):
    base = one_base.base
    log_in_to_cabinet(page, "operator")
    open_extension_form(page, base)
    fill_extension(page, one_base.month_of_sessions, today, 2)
    count = extensions_of(base).count()

    page.get_by_role("button", name=button).dblclick()

    # Not wait_for_url: when the browser sends both clicks, the second aborts the first.
    expect(page).to_have_url(
        re.compile(r"/(extensions/\d+/|subscriptions/\d+/\?new=\d+#extensions)$")
    )
    expect(page.get_by_text(re.compile(r"(проведена|записана \(черновик\))\.$"))).to_be_visible()
    assert extensions_of(base).count() == count + 1
    new = extensions_of(base).latest("pk")
    assert (new.status, new.quantity) == (status, 2)
    assert re.search(lands_on.format(base=base.pk, new=new.pk), page.url)


class SlowFirstPost:
    """Holds the first POST to `path` at the live server's door until released.

    The live server runs in threads of this process, one per request, so
    Django's request signals (sent in the request's thread) tell the test what
    reached the server and when each of those POSTs was done.
    """

    def __init__(self, path):
        self.path = path
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.started = 0
        self.finished = threading.Semaphore(0)
        self.mine = threading.local()

    def on_started(self, sender, environ, **kwargs):
        self.mine.post = environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == self.path
        if not self.mine.post:
            return
        self.started += 1
        if self.started == 1:
            self.arrived.set()
            self.release.wait(timeout=20)

    def on_finished(self, sender, **kwargs):
        if getattr(self.mine, "post", False):
            self.finished.release()


@pytest.fixture
def slow_first_post(one_base):
    gate = SlowFirstPost(f"/subscriptions/{one_base.base.pk}/extensions/new/")
    request_started.connect(gate.on_started, dispatch_uid="slow-first-post")
    request_finished.connect(gate.on_finished, dispatch_uid="slow-first-post")
    yield gate
    gate.release.set()
    request_started.disconnect(dispatch_uid="slow-first-post")
    request_finished.disconnect(dispatch_uid="slow-first-post")


def test_second_click_while_the_server_is_busy_creates_exactly_one_extension(
    page, one_base, slow_first_post, today
):
    """Two submissions that both reach the server (the first one slow) write one document.

    A double-click is often merged by the browser into one request; here the
    second click comes only once the first request is at the server, so the
    server really gets the same form twice, and the one-time token decides.
    """
    gate = slow_first_post
    base = one_base.base
    log_in_to_cabinet(page, "operator")
    open_extension_form(page, base)
    fill_extension(page, one_base.month_of_sessions, today, 2)
    count = extensions_of(base).count()
    # The mouse, not a locator: a locator would wait for the pending navigation.
    box = page.get_by_role("button", name="Провести и закрыть").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    page.mouse.click(x, y)
    assert gate.arrived.wait(timeout=10), "the first submission never reached the server"
    page.mouse.click(x, y)  # the page still shows the form: the user clicks again
    # Not wait_for_url: the second click aborts the first navigation, which it would report.
    expect(page).to_have_url(re.compile(r"\?new=\d+#extensions$"))
    expect(heading(page)).to_have_text(f"Подписка на тариф № {base.number}")
    gate.release.set()
    # Wait until the held first request is done too.
    assert gate.finished.acquire(timeout=10) and gate.finished.acquire(timeout=10)

    assert gate.started == 2
    assert extensions_of(base).count() == count + 1
    created = extensions_of(base).latest("pk")
    assert page.url.endswith(f"/subscriptions/{base.pk}/?new={created.pk}#extensions")


def test_back_and_submit_again_creates_exactly_one_extension(bfcache_page, one_base, today):
    """«Back» shows the form the user left (same one-time token); submitting it again
    opens the document the first submission created instead of writing a second one."""
    page = bfcache_page
    base = one_base.base
    log_in_to_cabinet(page, "operator")
    open_extension_form(page, base)
    fill_extension(page, one_base.month_of_sessions, today, 2)
    token = page.locator('input[name="request_token"]').input_value()
    count = extensions_of(base).count()

    page.get_by_role("button", name="Провести и закрыть").click()
    page.wait_for_url(re.compile(r"\?new=\d+#extensions$"))
    first_url = page.url
    assert extensions_of(base).count() == count + 1

    # A page restored from the back/forward cache fires no "load": wait for the commit.
    page.go_back(wait_until="commit")
    expect(heading(page)).to_have_text("Подписка (создание)")
    assert page.locator('input[name="request_token"]').input_value() == token, (
        "Back fetched the form anew (not restored from the back/forward cache)"
    )
    page.get_by_role("button", name="Провести и закрыть").click()
    page.wait_for_url(first_url)
    assert extensions_of(base).count() == count + 1


def test_the_same_post_sent_again_creates_exactly_one_extension(page, one_base, today):
    """A retry after a timeout: the browser's very request, cookies and all, sent twice more."""
    base = one_base.base
    log_in_to_cabinet(page, "operator")
    open_extension_form(page, base)
    fill_extension(page, one_base.month_of_sessions, today, 2)
    count = extensions_of(base).count()
    with page.expect_request(lambda r: r.method == "POST") as first:
        page.get_by_role("button", name="Провести и закрыть").click()
    page.wait_for_url(re.compile(r"\?new=\d+#extensions$"))
    created = extensions_of(base).latest("pk")
    request = first.value

    for _ in range(2):
        response = page.request.post(
            request.url,
            data=request.post_data,
            headers={"Content-Type": request.headers["content-type"]},
            max_redirects=0,
        )
        assert response.status == 302
        assert response.headers["location"].endswith(
            f"/subscriptions/{base.pk}/?new={created.pk}#extensions"
        )
    assert extensions_of(base).count() == count + 1


# --- 6. A wrong password ---------------------------------------------------------------


def test_wrong_password_says_so_in_the_seeds_words(page, screenshot, one_base):
    log_in(page, "operator", "not-the-password")
    errors = page.get_by_role("alert")
    expect(errors).to_have_text(WRONG_LOGIN)
    expect(page.locator(".form-errors__list li")).to_have_text([WRONG_LOGIN])
    assert page.url == url(page, "/login/")
    expect(page.get_by_label("Пароль")).to_have_value("")
    screenshot(page, "nevernyi-parol")


# --- 7. The error watch itself -----------------------------------------------------------


def test_the_error_watch_sees_a_csp_violation_and_a_script_error(page):
    """The check every test ends with would catch what it is there for."""
    page.goto(url(page, "/login/"))
    assert page.browser_errors == []
    with page.expect_console_message(lambda message: message.type == "error"):
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.inlineRan = true";
                document.body.append(script);
            }"""
        )
    with page.expect_event("pageerror"):
        page.evaluate('() => setTimeout(() => { throw new Error("boom"); })')
    assert page.evaluate("() => window.inlineRan") is None
    assert any("Content Security Policy" in e for e in page.browser_errors), page.browser_errors
    assert any("boom" in e for e in page.browser_errors), page.browser_errors
    page.browser_errors.clear()


# --- 8. A phone ----------------------------------------------------------------------------

# Elements wider than the screen are fine inside a horizontal scroll container
# (tables, the timeline); anything else sticking out on the right makes the page
# scroll sideways. (Off-screen on the left, like the skip link, scrolls nothing.)
OVERFLOW_OUTSIDE_SCROLLERS = """() => {
    const width = document.documentElement.clientWidth;
    const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
    const inScroller = (el) => {
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
            if (scrolls(p)) return true;
        }
        return false;
    };
    const out = [];
    for (const el of document.body.querySelectorAll("*")) {
        const box = el.getBoundingClientRect();
        if (box.width && box.right > width + 1 && !inScroller(el)) {
            out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`
                     + ` ${Math.round(box.left)}..${Math.round(box.right)}`);
        }
    }
    return {scrollWidth: document.documentElement.scrollWidth, width, out: out.slice(0, 10)};
}"""


def assert_fits_the_screen(page):
    result = page.evaluate(OVERFLOW_OUTSIDE_SCROLLERS)
    assert result["scrollWidth"] <= result["width"], result
    assert result["out"] == [], result


def test_the_flow_fits_a_phone_screen(phone_page, screenshot, demo):
    page = phone_page
    base = demo.base
    extension = extensions_of(base).filter(status=Status.POSTED).first()
    page.goto(url(page, "/login/"))
    assert_fits_the_screen(page)
    screenshot(page, "vhod")
    log_in_to_cabinet(page, "operator")
    screens = [
        ("lichnyi-kabinet", "/", "Личный кабинет"),
        ("obsluzhivaemye-abonenty", "/subscribers/", "Обслуживаемые абоненты"),
        ("abonent", f"/subscribers/{demo.romashka.pk}/", "Абонент"),
        ("podpiska", f"/subscribers/{demo.romashka.pk}/subscriptions/", "Подписка"),
        ("podpiska-na-tarif", f"/subscriptions/{base.pk}/", f"Подписка на тариф № {base.number}"),
        (
            "podpiska-sozdanie",
            f"/subscriptions/{base.pk}/extensions/new/",
            "Подписка (создание)",
        ),
        (
            "podpiska-na-rasshirenie",
            f"/extensions/{extension.pk}/",
            f"Подписка на расширение тарифа № {extension.number}",
        ),
    ]
    for name, path, title in screens:
        page.goto(url(page, path))
        expect(heading(page)).to_have_text(title)
        assert_fits_the_screen(page)
        screenshot(page, name)
