"""Browser tests: real Chromium (Debian's) driven by Playwright next to live_server.

Without a browser these tests skip on a developer's machine; in CI (CI=true) a
missing browser is an error, so they always run there. Screenshots go to
test-output/screenshots/ (or $TEST_OUTPUT_DIR/screenshots/).

Pages: `page` (a laptop), `phone_page` (390×844, touch), `bfcache_page` (a
browser whose «Back» restores the page left, as users' browsers do),
`english_browser_page` (a browser with an English locale), `no_script_page`
(JavaScript off). Each watches the console: a JavaScript error or a
Content-Security-Policy violation on any page fails the test at its end
(`page.browser_errors`).

Dates are typed as a partner types them into the cabinet's date control,
ДД.ММ.ГГГГ: `type_date(page.get_by_label("Действует с"), day)`; `date_text(day)`
is how the control shows a day.
"""

import datetime
import glob
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

from subscriptions.periods import Periodicity
from tests import factories

# Playwright's sync API runs an event loop in this thread; live_server's ORM
# calls from the test body are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
OUTPUT_DIR = Path(
    os.environ.get("TEST_OUTPUT_DIR", Path(__file__).resolve().parents[2] / "test-output")
)
# The password of the users the browser logs in as: the demo's (seed_demo) and `one_base`'s.
PASSWORD = "demo-pass-123"


def _browser_missing_reason():
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e .[dev])"
    return None


@pytest.fixture(scope="session")
def playwright_driver():
    reason = _browser_missing_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def bfcache_browser(playwright_driver):
    """Chromium with the back/forward cache on, as a user's browser has it.

    Playwright switches the cache off by default, so «Back» would fetch a page
    again instead of showing the page the user left, form and all.
    """
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    yield browser
    browser.close()


def _watch_errors(page):
    """Collect what a user would see in the console as red: errors and CSP violations.

    Chromium reports a Content-Security-Policy violation, a failed script and a
    resource answered with 4xx/5xx as console messages of type "error";
    uncaught exceptions come as "pageerror". One such message is not an error
    of the page: a form refused by the server comes back as its own page with
    status 400 (the fields' messages on it), which Chromium logs as
    «Failed to load resource» for the document itself.
    """
    page.browser_errors = []
    refused_forms = set()

    def on_response(response):
        if response.request.resource_type == "document" and response.status == 400:
            refused_forms.add(response.url)

    def on_console(message):
        if message.type != "error":
            return
        source = message.location.get("url")
        if source in refused_forms and "status of 400" in message.text:
            return
        page.browser_errors.append(f"console: {message.text} ({source})")

    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda error: page.browser_errors.append(f"pageerror: {error}"))


@contextmanager
def _cabinet_page(browser, live_server, locale="ru-RU", **options):
    context = browser.new_context(locale=locale, timezone_id="Asia/Almaty", **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.live_server_url = live_server.url
    _watch_errors(page)
    try:
        yield page
        # Every test ends with no JavaScript error and no CSP violation on any page it saw.
        assert not page.browser_errors, "errors in the browser:\n" + "\n".join(page.browser_errors)
    finally:
        context.close()


@pytest.fixture
def page(browser, live_server):
    """A laptop-sized page; page.live_server_url, page.browser_errors (checked at the end)."""
    with _cabinet_page(browser, live_server, viewport={"width": 1366, "height": 860}) as page:
        yield page


@pytest.fixture
def phone_page(browser, live_server):
    """The same on a phone: 390×844 CSS pixels, touch, the page's own viewport meta."""
    with _cabinet_page(
        browser,
        live_server,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    ) as page:
        yield page


@pytest.fixture
def bfcache_page(bfcache_browser, live_server):
    """A laptop-sized page in the browser whose «Back» restores the page left."""
    with _cabinet_page(
        bfcache_browser, live_server, viewport={"width": 1366, "height": 860}
    ) as page:
        yield page


@pytest.fixture
def english_browser_page(browser, live_server):
    """A laptop page in a browser whose locale is English (en-US), as Debian's
    Chromium without a Russian locale: a native date input would read mm/dd/yyyy."""
    with _cabinet_page(
        browser, live_server, locale="en-US", viewport={"width": 1366, "height": 860}
    ) as page:
        yield page


@pytest.fixture
def no_script_page(browser, live_server):
    """A laptop page with JavaScript switched off: the forms must work without it."""
    with _cabinet_page(
        browser, live_server, viewport={"width": 1366, "height": 860}, java_script_enabled=False
    ) as page:
        yield page


# --- Data ---------------------------------------------------------------------------


@pytest.fixture
def one_base():
    """Just enough for the extension form, made with factories (much quicker than the seed).

    `operator` (password `PASSWORD`) of «Демо-партнер»; «ТОО "Ромашка"» with a posted base
    year of «Стандарт» that began a month ago; «Дополнительный сеанс» for a month (2 500 ₸)
    offered for it. Returns `romashka`, `base` and `month_of_sessions`.
    """
    organization = factories.OrganizationFactory(name="Демо-партнер")
    operator = factories.UserFactory(username="operator", password=PASSWORD)
    factories.MembershipFactory(organization=organization, user=operator, role="operator")
    romashka = factories.SubscriberFactory(organization=organization, name='ТОО "Ромашка"')
    standard = factories.BaseTariffFactory(name="Стандарт", sessions=5, infobases=3)
    base = factories.SubscriptionFactory(subscriber=romashka, tariff=standard)
    sessions = factories.ExtensionTariffFactory(name="Дополнительный сеанс", offered_for=[standard])
    month_of_sessions = factories.TariffPeriodFactory(
        tariff=sessions, periodicity=Periodicity.MONTH, count=1, price=2500
    )
    return SimpleNamespace(romashka=romashka, base=base, month_of_sessions=month_of_sessions)


# --- Typing dates -------------------------------------------------------------------


def date_text(day: datetime.date) -> str:
    """A day as the cabinet's date control shows it in every language: ДД.ММ.ГГГГ."""
    return day.strftime("%d.%m.%Y")


def type_date(control, day: datetime.date) -> None:
    """Type `day` into the cabinet's date control as a partner does: ДД.ММ.ГГГГ, key by key.

    The control is a text field (cabinet/widgets.py), never the browser's
    <input type="date">, so an ISO `fill()` is not what a partner types. Escape
    then closes the calendar that opened on focus, so it covers nothing; the
    typed text is what the form sends. Works with JavaScript switched off too.
    """
    control.fill("")
    control.press_sequentially(date_text(day))
    control.press("Escape")


@pytest.fixture
def screenshot(request):
    """screenshot(page, "name") saves test-output/screenshots/<test>-<nn>-<name>.png."""
    folder = OUTPUT_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))
    # What an earlier run of this test saved would mix with this run's screens.
    for stale in folder.glob(f"{glob.escape(request.node.name)}-[0-9][0-9]-*.png"):
        stale.unlink()

    def take(page, name):
        path = folder / f"{request.node.name}-{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
