"""axe-core on every cabinet screen, in Russian, Kazakh and English: no violations.

axe-core (static/vendor/axe-core/, from the npm registry) is injected by
Playwright into every page of a language's browser context (an init script:
the file crosses once per context, not once per page), in a context that
bypasses the page's CSP — no page of the cabinet loads it. It runs with its
default rules: WCAG 2.0/2.1/2.2 A and AA and axe's best practices.

Each screen is also checked for references to ids that are not on the page
(aria-describedby, aria-labelledby, aria-controls, a label's `for`): axe only
asks for a review when all of an attribute's ids are missing, and a field
whose error message is not where its aria-describedby points is a field whose
error a screen reader does not read.

The screens are every page of cabinet/urls.py: the test fails when a URL is
neither visited here nor listed in NOT_PAGES (downloads, JSON answers,
POST-only buttons) — a new screen needs its line below. Forms are also seen
with their errors shown, the base card with its timeline (links to the
extensions), the extension form with its what-if picture.
"""

import datetime
import uuid
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import resolve, reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from cabinet.exports import EXPORT_JOB
from cabinet.views.bulk_renewal import BULK_RENEWAL_JOB
from common.formatting import fmt
from jobs.models import Job
from subscribers.models import Subscriber
from subscriptions.grace import grace_refusal_for
from subscriptions.models import ExtensionSubscription, Status, Subscription, TariffPeriod
from subscriptions.periods import Periodicity, add_months
from tests import factories
from tests.browser.conftest import PASSWORD, _watch_errors, type_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
LANGUAGES = ("ru", "kk", "en")
CABINET_URLCONF = "cabinet.urls"
DAY = datetime.timedelta(days=1)
SESSIONS = "Дополнительный сеанс"

# Cabinet URLs that are no screen of their own, and why.
NOT_PAGES = {
    "logout": "POST-only: ends the session and leads to the login page",
    "subscriber_list_export": "a download (XLSX or CSV)",
    "subscription_list_export": "a download (XLSX or CSV)",
    "subscriber_subscriptions_export": "a download (XLSX or CSV)",
    "report_extensions_by_month_export": "a download (XLSX or CSV)",
    "subscription_preview": "JSON for the base form's script",
    "extension_preview": "JSON for the extension form's script",
    "subscription_post": "a card's POST-only button: back to the card",
    "extension_post": "a card's POST-only button: back to the card",
    "api_token_revoke": "a POST-only button: back to «Ключи API»",
    "job_status": "JSON for the job page's script",
    "job_download": "a download (the job's file)",
    "bulk_renewal_batch_export": "a download (the batch's outcomes, XLSX)",
}

# What the checker returns: axe's violations and the dangling id references.
CHECK = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  const violations = result.violations.map((rule) => ({
    id: rule.id,
    impact: rule.impact,
    help: rule.help,
    targets: rule.nodes.map((node) => node.target.join(" ")),
  }));
  const dangling = [];
  for (const attribute of ["aria-describedby", "aria-labelledby", "aria-controls", "for"]) {
    for (const element of document.querySelectorAll(`[${attribute}]`)) {
      if (attribute === "for" && element.tagName !== "LABEL") continue;
      for (const id of element.getAttribute(attribute).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) {
          const name = element.id ? `#${element.id}` : element.tagName.toLowerCase();
          dangling.push(`${name} ${attribute}="${id}": no element with this id`);
        }
      }
    }
  }
  return {violations, dangling};
}"""


def cabinet_page_names() -> set[str]:
    from cabinet.urls import urlpatterns

    return {pattern.name for pattern in urlpatterns}


class Screens:
    """One language's tour: opens screens and checks each one with axe."""

    def __init__(self, page, language):
        self.page = page
        self.language = language
        self.visited = set()
        self.problems = []

    def url(self, name, *args) -> str:
        return self.page.live_server_url + reverse(name, args=args)

    def open(self, name, *args, status=200):
        response = self.page.goto(self.url(name, *args))
        assert response.status == status, f"{name} {args}: {response.status}"
        self.check(name)

    def check(self, name, state=""):
        """axe on the screen shown now, which must be the URL named `name`."""
        page = self.page
        expect(page.locator("html")).to_have_attribute("lang", self.language)
        if name != "404":
            shown = resolve(urlsplit(page.url).path, urlconf=CABINET_URLCONF).url_name
            assert shown == name, f"expected the screen {name}, got {page.url}"
        result = page.evaluate(CHECK)
        where = (
            f"[{self.language}] {name}{f' ({state})' if state else ''} {urlsplit(page.url).path}"
        )
        for violation in result["violations"]:
            self.problems.append(
                f"{where}: {violation['id']} ({violation['impact']}) — {violation['help']}\n"
                + "".join(f"      {target}\n" for target in violation["targets"])
            )
        self.problems.extend(f"{where}: {text}\n" for text in result["dangling"])
        self.visited.add(name)


@pytest.fixture
def demo(today):
    """The demo data, and the documents whose screens differ: «ТОО "Ромашка"»'s
    current base (posted and drafted extensions on its timeline), its posted
    extension from today and its draft one, a draft base of the same partner, a
    base that ended yesterday (for «Продлевающая»), a download's job and a bulk
    renewal's batch halfway."""
    call_command("seed_demo", password=PASSWORD, stdout=StringIO(), stderr=StringIO())
    romashka = Subscriber.objects.get(name='ТОО "Ромашка"')
    base = Subscription.objects.get(subscriber=romashka, renews__isnull=False)
    extensions = ExtensionSubscription.objects.filter(subscription=base).order_by("starts_on")
    draft_base = (
        Subscription.objects.filter(
            subscriber__organization=romashka.organization, status=Status.DRAFT
        )
        .order_by("pk")
        .first()
    )
    owner = get_user_model().objects.get(username="owner")
    # A month that ended yesterday, not renewed: «Продлевающая» may be recorded for it.
    ended = factories.SubscriptionFactory(
        subscriber=factories.SubscriberFactory(organization=romashka.organization),
        tariff=base.tariff,
        period=TariffPeriod.objects.get(tariff=base.tariff, periodicity=Periodicity.MONTH, count=1),
        starts_on=add_months(today, -1),
    )
    assert grace_refusal_for(ended, today) is None
    # «Подготовка файла…» of a big download, as its worker left it halfway.
    job = Job.objects.create(
        organization=romashka.organization,
        created_by=owner,
        kind=EXPORT_JOB,
        parameters={"table": "subscriptions", "format": "xlsx", "query": {}, "pk": None},
        state=Job.State.RUNNING,
        done=400,
        total=1000,
        started_at=timezone.now(),
    )
    # «Продление за месяц» of next month's bases, its batch halfway.
    batch = Job.objects.create(
        organization=romashka.organization,
        created_by=owner,
        kind=BULK_RENEWAL_JOB,
        parameters={
            "token": str(uuid.uuid4()),
            "month": add_months(today.replace(day=1), 1).isoformat(),
            "tariff": None,
            "carry": True,
            "items": [],
            "language": "ru",
        },
        state=Job.State.RUNNING,
        done=3,
        total=8,
        started_at=timezone.now(),
    )
    return SimpleNamespace(
        romashka=romashka,
        base=base,
        # Posted, from today: it can be ended early and its quantity changed.
        extension=extensions.get(status=Status.POSTED, starts_on=today),
        draft_extension=extensions.filter(status=Status.DRAFT).first(),
        draft_base=draft_base,
        month_of_sessions=TariffPeriod.objects.get(
            tariff__name=SESSIONS, periodicity=Periodicity.MONTH, count=1
        ),
        job=job,
        batch=batch,
        ended=ended,
        today=today,
    )


def tour(screens: Screens, demo) -> None:
    """Every cabinet screen of one language, as the owner (who also sees «Ключи API»)."""
    page = screens.page

    # Вход: empty, then refused (no password: the field's error), then the cabinet.
    screens.open("login")
    log_in = page.locator(f'form[action="{reverse("login")}"] button[type=submit]')
    page.locator("#id_username").fill("owner")
    log_in.click()
    expect(page.locator("#id_password_errors")).to_be_visible()
    screens.check("login", "refused")
    page.locator("#id_password").fill(PASSWORD)
    log_in.click()
    page.wait_for_url(screens.url("home"))
    screens.check("home")

    screens.open("subscriber_list")
    screens.open("subscriber_detail", demo.romashka.pk)
    screens.open("subscriber_subscriptions", demo.romashka.pk)
    screens.open("subscription_create", demo.romashka.pk)

    screens.open("subscription_detail", demo.base.pk)
    expect(page.locator(".timeline a")).not_to_have_count(0)
    screens.open("subscription_renew", demo.base.pk)
    screens.open("subscription_end_early", demo.base.pk)
    screens.open("subscription_unpost", demo.base.pk)
    screens.open("grace_create", demo.ended.pk)
    screens.open("subscription_edit", demo.draft_base.pk)
    screens.open("subscription_detail", demo.draft_base.pk)
    page.locator(
        f'form[action="{reverse("subscription_delete", args=[demo.draft_base.pk])}"] button'
    ).click()
    screens.check("subscription_delete", "confirmation")

    # «Подписка (создание)»: the what-if the script draws, then a refused start.
    screens.open("extension_create", demo.base.pk)
    page.locator("#id_tariff").select_option(label=SESSIONS)
    page.locator("#id_period").select_option(value=str(demo.month_of_sessions.pk))
    start = demo.today + 7 * DAY
    type_date(page.locator("#id_starts_on"), start)
    # The answer for the typed day is in: no other preview is on its way.
    with translation.override(screens.language):
        shown_start = fmt(start)
    expect(page.locator("[data-what-if] [data-proposed]")).to_contain_text(shown_start)
    screens.check("extension_create", "what-if")
    type_date(page.locator("#id_starts_on"), demo.base.starts_on - DAY)
    page.locator("#id_quantity").fill("999")
    # «Пересчитать» (the button shown without JavaScript) posts past the browser's
    # own checks: the server's errors next to their fields.
    page.locator("[data-preview-button]").evaluate("button => button.form.requestSubmit(button)")
    expect(page.locator("#id_starts_on_errors")).to_be_visible()
    expect(page.locator("#id_quantity_errors")).to_be_visible()
    screens.check("extension_create", "refused")

    screens.open("extension_detail", demo.extension.pk)
    screens.open("extension_end_early", demo.extension.pk)
    screens.open("extension_change_quantity", demo.extension.pk)
    screens.open("extension_unpost", demo.extension.pk)
    screens.open("extension_edit", demo.draft_extension.pk)
    screens.open("extension_detail", demo.draft_extension.pk)
    page.locator(
        f'form[action="{reverse("extension_delete", args=[demo.draft_extension.pk])}"] button'
    ).click()
    screens.check("extension_delete", "confirmation")

    screens.open("subscription_list")
    page.goto(screens.url("subscription_list") + "?active_on=31.02.2026")
    expect(page.locator("#id_active_on_errors")).to_be_visible()
    screens.check("subscription_list", "refused filter")
    screens.open("report_extensions_by_month")

    # «Ключи API»: a key without a name refused, then a key made (shown once, its
    # row with «Отозвать»).
    screens.open("api_tokens")
    page.locator('form[action$="/api-tokens/"] button[type=submit]').click()
    expect(page.locator("#id_name_errors")).to_be_visible()
    screens.check("api_tokens", "refused")
    page.locator("#id_name").fill(f"1С:Бухгалтерия {screens.language}")
    page.locator('form[action$="/api-tokens/"] button[type=submit]').click()
    expect(page.locator("#new-key")).to_be_visible()
    screens.check("api_tokens", "a new key")

    # «Реквизиты» refused next to their fields; «Прайс-лист» with a refused price;
    # a subscriber's «Данные для счетов».
    screens.open("requisites")
    page.locator("#id_iik").fill("KZ00")
    page.locator('form[action$="/billing/requisites/"] button[type=submit]').click()
    expect(page.locator("#id_iik_errors")).to_be_visible()
    screens.check("requisites", "refused")
    screens.open("price_list")
    first_price = page.locator('input[name^="price_"]').first
    first_price.fill("-1")
    page.locator("#price-list-form button.btn-primary").click()
    expect(page.locator(".price-list .field-error").first).to_be_visible()
    screens.check("price_list", "refused")
    screens.open("subscriber_invoice_details", demo.romashka.pk)

    # «Мои файлы» and a job's page, its progress bar moving; «Продление за месяц» and
    # its batch, running.
    screens.open("job_list")
    screens.open("job_detail", demo.job.pk)
    screens.open("bulk_renewal")
    screens.open("bulk_renewal_batch", demo.batch.pk)

    missing = page.live_server_url + "/no-such-screen/"
    response = page.goto(missing)
    assert response.status == 404
    screens.check("404")
    # Chromium logs the 404 of the document itself: that one is what was asked for.
    page.browser_errors.remove(
        f"console: Failed to load resource: the server responded with a status of 404 "
        f"(Not Found) ({missing})"
    )


def test_every_cabinet_screen_has_no_axe_violations_in_every_language(browser, live_server, demo):
    assert set(NOT_PAGES) <= cabinet_page_names(), "NOT_PAGES names a URL that is gone"
    problems = []
    for language in LANGUAGES:
        # bypass_csp: the cabinet's CSP would refuse the injected axe-core.
        context = browser.new_context(
            locale="ru-RU",
            timezone_id="Asia/Almaty",
            viewport={"width": 1366, "height": 860},
            bypass_csp=True,
        )
        context.set_default_timeout(10_000)
        context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        context.add_init_script(path=str(AXE))
        page = context.new_page()
        page.live_server_url = live_server.url
        _watch_errors(page)
        try:
            screens = Screens(page, language)
            tour(screens, demo)
            assert not page.browser_errors, "\n".join(page.browser_errors)
        finally:
            context.close()
        problems.extend(screens.problems)
        missing = cabinet_page_names() - set(NOT_PAGES) - screens.visited
        if missing:
            problems.append(f"[{language}] cabinet screens not checked: {sorted(missing)}\n")
    assert not problems, f"{len(problems)} accessibility problems:\n" + "".join(problems)
