"""«Продление за месяц» in real Chromium: the month's previews, a period changed in a row,
every row renewed as a background job watched through its progress bar (and a reload),
one row refused with its reason, the outcome downloaded as XLSX.

Rows above 1 run as a job here (BULK_RENEWAL_IMMEDIATE_MAX = 1) and tasks wait (the
dummy backend): the test plays the worker, running the job's task in a thread of its
own that stops after two bases until the test has seen the bar and reloaded the page.
Screenshots of each screen go to test-output/screenshots/.
"""

import datetime
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from common.formatting import fmt
from jobs.models import Job
from jobs.services import JobRun
from subscriptions import services
from subscriptions.models import Subscription
from subscriptions.periods import Periodicity, add_months
from tests import factories
from tests.browser.conftest import PASSWORD
from tests.browser.held_worker import HeldWorker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAUSE_AT = 2
DAY = datetime.timedelta(days=1)


@pytest.fixture
def month_to_renew(today):
    """`operator` of «Демо-партнер»; four quarters of «Стандарт» ending this month:
    «ТОО "Астра"» (with «Дополнительный сеанс» × 2 ending with it), «ИП Береке»,
    «ТОО "Восток"» (renewed already: its row is refused) and «АО Гүл»."""
    organization = factories.OrganizationFactory(name="Демо-партнер")
    operator = factories.UserFactory(username="operator", password=PASSWORD)
    factories.MembershipFactory(organization=organization, user=operator, role="operator")
    standard = factories.BaseTariffFactory(name="Стандарт", sessions=5, infobases=2)
    periods = {
        count: factories.TariffPeriodFactory(
            tariff=standard, periodicity=Periodicity.MONTH, count=count, price=price
        )
        for count, price in ((1, 12000), (3, 34000), (12, 120000))
    }
    sessions = factories.ExtensionTariffFactory(name="Дополнительный сеанс", offered_for=[standard])
    for count, price in ((1, 3000), (3, 8500), (12, 30000)):
        factories.TariffPeriodFactory(
            tariff=sessions, periodicity=Periodicity.MONTH, count=count, price=price
        )
    starts_on = add_months(today.replace(day=1), -2)
    bases = {}
    for name in ('ТОО "Астра"', "ИП Береке", 'ТОО "Восток"', "АО Гүл"):
        bases[name] = factories.SubscriptionFactory(
            subscriber=factories.SubscriberFactory(organization=organization, name=name),
            tariff=standard,
            period=periods[3],
            starts_on=starts_on,
        )
    factories.ExtensionFactory(
        subscription=bases['ТОО "Астра"'],
        tariff=sessions,
        period=sessions.periods.get(count=1),
        starts_on=add_months(starts_on, 2),
        quantity=2,
    )
    renewal = services.subscription_renew(
        subscription=bases['ТОО "Восток"'], period=periods[12], copy_extensions=False, user=None
    )
    return {"bases": bases, "periods": periods, "vostok_renewal": renewal}


@pytest.fixture
def bulk_runs_as_a_job(settings):
    settings.BULK_RENEWAL_IMMEDIATE_MAX = 1
    settings.JOB_PROGRESS_INTERVAL_SECONDS = 0  # every base's progress reaches the page
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


class Worker(HeldWorker):
    """The job's task in a thread, held after PAUSE_AT bases until `go_on()`."""

    def __init__(self, monkeypatch):
        super().__init__(monkeypatch, PAUSE_AT)

    def hold(self, monkeypatch):
        advance = JobRun.advance

        def held(run, count=1):
            advance(run, count)
            self.pause_if_reached(run)

        monkeypatch.setattr(JobRun, "advance", held)


def row_of(page, name):
    return page.locator("tr[data-bulk-row]").filter(has_text=name)


def test_a_month_is_renewed_in_bulk_with_one_refused_row_watched_through_its_progress(
    page, month_to_renew, bulk_runs_as_a_job, monkeypatch, screenshot, today
):
    bases, periods = month_to_renew["bases"], month_to_renew["periods"]
    worker = Worker(monkeypatch)
    page.goto(page.live_server_url + "/login/")
    page.get_by_label("Логин").fill("operator")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(page.live_server_url + "/")

    # «Личный кабинет» → «Продление за месяц»: this month's endings, each previewed.
    page.get_by_role("link", name="Продление за месяц").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Продление за месяц")
    expect(page.get_by_label("Заканчиваются в месяце")).to_have_value(today.strftime("%m.%Y"))
    expect(page.locator("tr[data-bulk-row]")).to_have_count(4)
    astra = row_of(page, "Астра")
    expect(astra.locator("[data-preview=extensions]")).to_contain_text(
        "«Дополнительный сеанс» × 2 → на период «3 месяца»"
    )
    vostok = row_of(page, "Восток")
    expect(vostok.locator("[data-preview=refusal]")).to_contain_text(
        f"Подписка уже продлена: ее продолжает проведенная подписка № "
        f"{month_to_renew['vostok_renewal'].number}"
    )
    screenshot(page, "prodlenie-za-mesyac")

    # A year for «Береке»: its row shows the year's dates and price (the server's, per period).
    bereke = row_of(page, "Береке")
    bereke.get_by_label(re.compile("Период продления подписки")).select_option(str(periods[12].pk))
    starts_on = bases["ИП Береке"].ends_on + DAY
    expect(bereke.locator("[data-preview=amount]")).to_have_text(re.compile(r"120\s000\s₸"))
    expect(bereke.locator("[data-preview=dates]")).to_have_text(
        f"с {fmt(starts_on)} по {fmt(periods[12].end_for(starts_on))}"
    )

    # «Выбрать все на странице» ticks every row; «Продлить выбранные» starts the job.
    page.get_by_label("Выбрать все на странице").check()
    for box in page.locator("[data-row-check]").all():
        expect(box).to_be_checked()
    screenshot(page, "vybrany-vse")
    page.get_by_role("button", name="Продлить выбранные").click()
    page.wait_for_url("**/renewal/month/batches/*/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Продление выполняется…")
    expect(page.get_by_role("status")).to_contain_text("В очереди")
    job = Job.objects.get()
    assert job.state == Job.State.QUEUED and len(job.parameters["items"]) == 4

    # The worker renews two bases and stops: the bar moves; a reload shows the same.
    worker.start(job.pk)
    assert worker.paused.wait(15)
    bar = page.locator("progress#job-progress")
    expect(page.get_by_role("status")).to_have_text("Готово 2 из 4 (50 %)")
    expect(bar).to_have_js_property("value", PAUSE_AT)
    screenshot(page, "hod-prodleniya")
    page.reload()
    expect(page.get_by_role("status")).to_have_text("Готово 2 из 4 (50 %)")
    expect(bar).to_have_attribute("value", str(PAUSE_AT))

    # It finishes: the page reloads itself with every row's outcome, one refused.
    worker.go_on()
    expect(page.get_by_role("heading", level=1)).to_have_text("Продление выполнено")
    expect(page.get_by_text("Продлено: 3; не продлено: 1.")).to_be_visible()
    refused = page.locator("tbody tr").filter(has_text="Восток")
    expect(refused).to_contain_text("Не продлена")
    expect(refused).to_contain_text("Подписка уже продлена")
    astra_renewal = Subscription.objects.get(renews=bases['ТОО "Астра"'])
    bereke_renewal = Subscription.objects.get(renews=bases["ИП Береке"])
    assert bereke_renewal.period == periods[12] and astra_renewal.extensions.count() == 1
    expect(page.locator("tbody tr").filter(has_text="Астра")).to_contain_text(
        f"подпиской № {astra_renewal.number}"
    )
    screenshot(page, "itog")

    # The outcome as XLSX: a row per base.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Скачать XLSX").click()
    saved = Path(download_info.value.path())
    sheet = load_workbook(io.BytesIO(saved.read_bytes())).worksheets[0]
    outcomes = {row[0].value: row[4].value for row in sheet.iter_rows(min_row=2)}
    assert outcomes == {
        base.number: ("Не продлена" if name == 'ТОО "Восток"' else "Продлена")
        for name, base in bases.items()
    }

    # The month's page now says all four are renewed.
    page.get_by_role("link", name="Вернуться к списку").click()
    expect(page.locator("[data-preview=refusal]:visible")).to_have_count(4)
    screenshot(page, "posle-prodleniya")
