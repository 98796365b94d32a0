"""Browser tests: real Chromium (Debian's) driven by Playwright next to live_server.

Without a browser these tests skip on a developer's machine; in CI (CI=true) a
missing browser is an error, so they always run there. Screenshots go to
test-output/screenshots/ (or $TEST_OUTPUT_DIR/screenshots/).

Pages: `page` (a laptop), `phone_page` (390×844, touch), `bfcache_page` (a
browser whose «Back» restores the page left, as users' browsers do). Each
watches the console: a JavaScript error or a Content-Security-Policy
violation on any page fails the test at its end (`page.browser_errors`).
"""

import glob
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

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
def _cabinet_page(browser, live_server, **options):
    context = browser.new_context(locale="ru-RU", timezone_id="Asia/Almaty", **options)
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
