"""A big download in real Chromium: its job's page, the bar filling, a reload, the file.

The threshold is lowered to 10 rows, so that «Обслуживаемые абоненты» of 40
subscribers is a big download. Tasks wait (the dummy backend) and the test
plays the worker: it runs the job's task in a thread of its own, which stops
after 15 rows until the test has looked at the page, reloaded it and seen the
same progress — the page's script and the server's status answer move the
bar; the state is in the database, so a reload shows it again. Then the
worker finishes, the script reloads the page, «Скачать» gives the file.
Screenshots of each state go to test-output/screenshots/.
"""

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from jobs.models import Job
from jobs.services import JobRun
from tests import factories
from tests.browser.conftest import PASSWORD
from tests.browser.held_worker import HeldWorker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUBSCRIBERS = 40
PAUSE_AT = 15


@pytest.fixture
def forty_subscribers():
    """`operator` of «Демо-партнер» (password PASSWORD), which serves 40 subscribers."""
    organization = factories.OrganizationFactory(name="Демо-партнер")
    operator = factories.UserFactory(username="operator", password=PASSWORD)
    factories.MembershipFactory(organization=organization, user=operator, role="operator")
    for n in range(SUBSCRIBERS):
        factories.SubscriberFactory(organization=organization, name=f'ТОО "Абонент {n:02d}"')
    return organization


@pytest.fixture
def big_downloads_wait_for_a_worker(settings):
    settings.DOWNLOAD_IMMEDIATE_MAX_ROWS = 10
    settings.JOB_PROGRESS_INTERVAL_SECONDS = 0  # every row's progress reaches the page
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


class Worker(HeldWorker):
    """The job's task in a thread, held after PAUSE_AT rows until `go_on()`."""

    def __init__(self, monkeypatch):
        super().__init__(monkeypatch, PAUSE_AT)

    def hold(self, monkeypatch):
        counted = JobRun.counted

        def held(run, iterable):
            for item in counted(run, iterable):
                yield item
                self.pause_if_reached(run)

        monkeypatch.setattr(JobRun, "counted", held)


def test_a_big_download_shows_its_progress_survives_a_reload_and_downloads(
    page, forty_subscribers, big_downloads_wait_for_a_worker, monkeypatch, screenshot, today
):
    worker = Worker(monkeypatch)
    page.goto(page.live_server_url + "/login/")
    page.get_by_label("Логин").fill("operator")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(page.live_server_url + "/")
    page.goto(page.live_server_url + "/subscribers/?sort=-name")

    # A big list: «Скачать XLSX» opens the job's page instead of a file.
    page.get_by_role("link", name="Скачать XLSX").click()
    page.wait_for_url("**/jobs/*/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Подготовка файла…")
    expect(page.get_by_text("Обслуживаемые абоненты, XLSX")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("В очереди")
    screenshot(page, "v-ocheredi")
    job = Job.objects.get()
    assert job.state == Job.State.QUEUED

    # The worker takes it and stops after 15 rows: the script moves the bar.
    worker.start(job.pk)
    assert worker.paused.wait(15)
    bar = page.locator("progress#job-progress")
    expect(page.get_by_role("status")).to_have_text(f"Готово {PAUSE_AT} из 40 (37 %)")
    expect(bar).to_have_js_property("value", PAUSE_AT)
    expect(bar).to_have_js_property("max", SUBSCRIBERS)
    expect(bar).to_have_attribute("aria-describedby", "job-progress-text")
    screenshot(page, "podgotovka-15-iz-40")

    # A reload shows the same job where it is: the state is the server's.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Подготовка файла…")
    expect(bar).to_have_attribute("value", str(PAUSE_AT))
    expect(page.get_by_role("status")).to_have_text(f"Готово {PAUSE_AT} из 40 (37 %)")
    screenshot(page, "posle-obnovleniya")

    # The worker finishes: the script reloads the page, which offers the file.
    worker.go_on()
    expect(page.get_by_role("heading", level=1)).to_have_text("Файл готов")
    expect(page.get_by_text("Строк в файле: 40")).to_be_visible()
    screenshot(page, "fail-gotov")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"Скачать$")).click()
    download = download_info.value
    assert download.suggested_filename == f"Обслуживаемые абоненты {today.isoformat()}.xlsx"
    saved = Path(download.path())
    assert saved.read_bytes()[:2] == b"PK"  # a workbook (a zip)
    sheet = load_workbook(io.BytesIO(saved.read_bytes())).worksheets[0]
    names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert names == [f'ТОО "Абонент {n:02d}"' for n in reversed(range(SUBSCRIBERS))]

    # «Мои файлы» lists it.
    page.get_by_role("link", name="Мои файлы").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Мои файлы")
    expect(page.get_by_role("link", name="Обслуживаемые абоненты, XLSX")).to_be_visible()
    screenshot(page, "moi-faily")


def test_without_javascript_the_page_refreshes_itself_until_the_file_is_ready(
    no_script_page, forty_subscribers, big_downloads_wait_for_a_worker, monkeypatch
):
    page = no_script_page
    worker = Worker(monkeypatch)
    page.goto(page.live_server_url + "/login/")
    page.get_by_label("Логин").fill("operator")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(page.live_server_url + "/")
    page.goto(page.live_server_url + "/subscribers/")
    page.get_by_role("link", name="Скачать CSV").click()
    page.wait_for_url("**/jobs/*/")
    expect(page.get_by_role("link", name="Обновить")).to_be_visible()

    worker.start(Job.objects.get().pk)
    worker.go_on()

    # No script: the page's own refresh (every 3 s) brings the link.
    expect(page.get_by_role("heading", level=1)).to_have_text("Файл готов", timeout=8000)
