"""Big downloads: a job, its page («Подготовка файла…»), its file — and small ones at once.

A download of more than DOWNLOAD_IMMEDIATE_MAX_ROWS rows is not built in the
request: the request starts a job and leads to its page; a worker (here the
tests' immediate backend, or the task called by the test) writes the file;
the page then offers it. The file is the immediate download of the same
filter, byte for byte (CSV) and cell for cell (XLSX).
"""

import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pytest_django.asserts import assertContains, assertNotContains

from jobs.models import Job
from jobs.services import GENERAL_FAILURE, JobRun, jobs_purge
from jobs.tasks import run_job
from tests.jobs.conftest import (  # noqa: F401  (fixtures, used by name)
    files_in,
    job_files_folder,
    progress_every_step,
    queue_only,
)

SUBSCRIBERS_EXPORT = reverse("subscriber_list_export")
SUBSCRIPTIONS_EXPORT = reverse("subscription_list_export")
REPORT_EXPORT = reverse("report_extensions_by_month_export")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def six_subscribers(populate):
    """6 subscribers of «Демо-партнер», each with a posted base, a posted and a draft
    extension: 6 rows in «Обслуживаемые абоненты», 18 in «Подписки…»."""
    return populate(6)


def threshold(settings, rows):
    settings.DOWNLOAD_IMMEDIATE_MAX_ROWS = rows


def body(response) -> bytes:
    if isinstance(response, StreamingHttpResponse | FileResponse):
        return b"".join(response.streaming_content)
    return response.content


def job_of(response) -> Job:
    assert response.status_code == 302, response.status_code
    match = re.fullmatch(r"/jobs/(\d+)/", response["Location"])
    assert match, response["Location"]
    return Job.objects.get(pk=match[1])


def cells(content: bytes) -> list[tuple]:
    """Every cell of the first sheet: its value, type and number format."""
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [
        tuple((cell.value, cell.data_type, cell.number_format) for cell in row)
        for row in sheet.iter_rows()
    ]


# --- Small at once, big as a job -------------------------------------------------------


def test_a_download_up_to_the_threshold_is_answered_at_once(
    logged_in, viewer, six_subscribers, settings
):
    threshold(settings, 6)

    response = logged_in(viewer).get(SUBSCRIBERS_EXPORT, {"format": "csv"})

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert len(body(response).decode("utf-8-sig").splitlines()) == 1 + 6
    assert not Job.objects.exists()


def test_one_row_more_than_the_threshold_becomes_a_job_and_leads_to_its_page(
    logged_in, viewer, six_subscribers, settings, organization
):
    threshold(settings, 5)
    client = logged_in(viewer)

    response = client.get(SUBSCRIBERS_EXPORT, {"sort": "-name", "page": "2", "format": "csv"})

    job = job_of(response)
    assert job.organization == organization and job.created_by == viewer
    assert job.kind == "cabinet.export"
    assert job.parameters["table"] == "subscribers"
    assert job.parameters["format"] == "csv"
    assert job.parameters["query"] == {"sort": ["-name"]}  # no page: a download has every row
    # The tests' backend ran it at once: the page offers the file.
    assert (job.state, job.done, job.total) == (Job.State.DONE, 6, 6)
    page = client.get(response["Location"])
    assertContains(page, "Файл готов")
    assertContains(page, f'href="{reverse("job_download", args=[job.pk])}"')
    assertContains(page, "Строк в файле: 6")


DOWNLOADS = [
    # (the download, its query string)
    ("subscribers", {"sort": "-name"}),
    ("subscribers", {"q": "Абонент", "sort": "sessions"}),
    ("subscriptions", {}),
    ("subscriptions", {"status": "posted", "kind": "extension"}),
    ("window", {}),
    ("report", {}),
]


def download_url(name, subscribers):
    return {
        "subscribers": SUBSCRIBERS_EXPORT,
        "subscriptions": SUBSCRIPTIONS_EXPORT,
        "window": reverse("subscriber_subscriptions_export", args=[subscribers[0].pk]),
        "report": REPORT_EXPORT,
    }[name]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("name", "params"), DOWNLOADS)
def test_the_jobs_file_is_the_immediate_download_of_the_same_filter(
    logged_in, operator, six_subscribers, settings, name, params, fmt
):
    client = logged_in(operator)
    url = download_url(name, six_subscribers)
    threshold(settings, 100_000)
    immediate = client.get(url, {**params, "format": fmt})
    assert immediate.status_code == 200
    expected = body(immediate)

    threshold(settings, 1)
    job = job_of(client.get(url, {**params, "format": fmt}))
    served = client.get(reverse("job_download", args=[job.pk]))

    assert served.status_code == 200
    content = body(served)
    if fmt == "csv":
        assert content == expected
    else:
        assert cells(content) == cells(expected)
        assert len(cells(content)) > 1
    assert served["Content-Type"] == immediate["Content-Type"]
    assert served["Content-Disposition"] == immediate["Content-Disposition"]
    assert "no-store" in served["Cache-Control"]


def test_the_file_has_a_russian_name_and_its_type(
    logged_in, viewer, six_subscribers, settings, today
):
    threshold(settings, 1)
    client = logged_in(viewer)
    job = job_of(client.get(SUBSCRIPTIONS_EXPORT, {"format": "xlsx"}))

    served = client.get(reverse("job_download", args=[job.pk]))

    name = f"Подписки обслуживаемых абонентов {today.isoformat()}.xlsx"
    assert job.result_name == name
    assert served["Content-Type"] == XLSX_TYPE
    assert served["Content-Disposition"] == (
        f'attachment; filename="podpiski-{today.isoformat()}.xlsx"; '
        f"filename*=UTF-8''{quote(name)}"
    )
    assert len(cells(body(served))) == 1 + 18


@pytest.mark.parametrize("role", ["owner", "operator", "viewer"])
def test_every_role_downloads_a_big_list_it_can_read(
    logged_in, request, six_subscribers, settings, role
):
    threshold(settings, 1)
    client = logged_in(request.getfixturevalue(role))

    job = job_of(client.get(SUBSCRIPTIONS_EXPORT, {"format": "csv"}))
    served = client.get(reverse("job_download", args=[job.pk]))

    assert served.status_code == 200
    assert len(body(served).decode("utf-8-sig").splitlines()) == 1 + 18


# --- The page: progress, then the link ------------------------------------------------


@pytest.mark.usefixtures("queue_only", "progress_every_step")
def test_the_page_shows_progress_then_the_link(
    logged_in, viewer, six_subscribers, settings, monkeypatch
):
    threshold(settings, 1)
    client = logged_in(viewer)
    job = job_of(client.get(SUBSCRIPTIONS_EXPORT, {"format": "csv"}))
    detail = reverse("job_detail", args=[job.pk])
    status = reverse("job_status", args=[job.pk])

    # Queued: no worker has taken it yet.
    queued = client.get(detail)
    assertContains(queued, "<h1>Подготовка файла…</h1>", html=False)
    assertContains(queued, "Подписки обслуживаемых абонентов, CSV")
    assertContains(queued, "В очереди")
    # Indeterminate (no value) until the worker has counted the rows.
    (bar,) = re.findall(r"<progress [^>]*>", queued.content.decode())
    assert 'id="job-progress"' in bar and "value=" not in bar and "max=" not in bar
    assert client.get(status).json()["state"] == "queued"

    # Running: the worker has written 5 of the 18 rows when the page is asked.
    seen = {}
    counted = JobRun.counted

    def watched(run, iterable):
        for item in counted(run, iterable):
            yield item
            if run.done == 5 and not seen:
                seen["page"] = client.get(detail)
                seen["status"] = client.get(status)

    monkeypatch.setattr(JobRun, "counted", watched)
    run_job.call(job.pk)  # what the worker runs

    running = seen["page"]
    assertContains(running, 'max="18" value="5"')
    assertContains(running, 'aria-describedby="job-progress-text"')
    assertContains(running, "Готово 5 из 18 (27 %)")
    assertContains(running, 'data-job-status-url="' + status + '"')
    assertNotContains(running, "Скачать</a>")
    answer = seen["status"]
    assert answer["Cache-Control"] == "no-store"
    assert answer.json() == {
        "state": "running",
        "finished": False,
        "done": 5,
        "total": 18,
        "percent": 27,
        "text": "Готово 5 из 18 (27 %)",
    }

    # Done: the link, and the script and the self-refresh are gone.
    done = client.get(detail)
    assertContains(done, "<h1>Файл готов</h1>", html=False)
    assertContains(done, f'href="{reverse("job_download", args=[job.pk])}"')
    assertNotContains(done, "job_progress.js")
    assertNotContains(done, 'http-equiv="refresh"')
    assert client.get(status).json()["finished"] is True


@pytest.mark.usefixtures("queue_only")
def test_the_page_follows_the_job_without_javascript(logged_in, viewer, six_subscribers, settings):
    threshold(settings, 1)
    client = logged_in(viewer)
    job = job_of(client.get(SUBSCRIBERS_EXPORT, {"format": "csv"}))

    page = client.get(reverse("job_detail", args=[job.pk]))

    # It reloads itself while the job runs, and says how to come back to it.
    assertContains(page, '<noscript><meta http-equiv="refresh" content="3"></noscript>')
    assertContains(
        page,
        f'<a class="btn btn-secondary" href="{reverse("job_detail", args=[job.pk])}">Обновить</a>',
    )
    assertContains(page, "Страницу можно закрыть или обновить")
    # The script is a file of its own (no inline script under the CSP).
    assertContains(page, 'src="/static/cabinet/job_progress.js"')
    assert "<script>" not in page.content.decode()


@pytest.mark.usefixtures("queue_only")
def test_a_reload_shows_the_same_job(logged_in, viewer, six_subscribers, settings):
    """The state is in the database: any request, on any app server, shows it."""
    threshold(settings, 1)
    client = logged_in(viewer)
    job = job_of(client.get(SUBSCRIBERS_EXPORT, {"format": "csv"}))
    Job.objects.filter(pk=job.pk).update(state="running", done=2, total=6)

    first = client.get(reverse("job_detail", args=[job.pk]))
    again = logged_in(viewer).get(reverse("job_detail", args=[job.pk]))

    for page in (first, again):
        assertContains(page, 'max="6" value="2"')
        assertContains(page, "Готово 2 из 6 (33 %)")


@pytest.mark.usefixtures("queue_only")
def test_the_same_big_download_asked_again_while_it_waits_is_the_same_job(
    logged_in, viewer, six_subscribers, settings
):
    threshold(settings, 1)
    client = logged_in(viewer)

    first = client.get(SUBSCRIBERS_EXPORT, {"sort": "name", "format": "csv"})
    again = client.get(SUBSCRIBERS_EXPORT, {"sort": "name", "format": "csv"})
    other = client.get(SUBSCRIBERS_EXPORT, {"sort": "name", "format": "xlsx"})

    assert first["Location"] == again["Location"] != other["Location"]
    assert Job.objects.count() == 2


@pytest.mark.usefixtures("queue_only")
def test_too_many_big_downloads_at_once_lead_to_my_files_with_a_message(
    logged_in, viewer, six_subscribers, settings
):
    threshold(settings, 1)
    settings.JOBS_ACTIVE_PER_USER = 1
    client = logged_in(viewer)
    client.get(SUBSCRIBERS_EXPORT, {"format": "csv"})

    response = client.get(SUBSCRIPTIONS_EXPORT, {"format": "csv"}, follow=True)

    assert response.redirect_chain == [(reverse("job_list"), 302)]
    assertContains(response, "Уже готовятся файлы, начатые вами раньше (не больше 1 сразу).")
    assert Job.objects.count() == 1


# --- Failures and expiry ----------------------------------------------------------------


def test_a_failing_job_shows_the_russian_error(
    logged_in, viewer, six_subscribers, settings, monkeypatch
):
    threshold(settings, 1)

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr("cabinet.exports.write_table", broken)
    client = logged_in(viewer)

    job = job_of(client.get(SUBSCRIPTIONS_EXPORT, {"format": "xlsx"}))
    page = client.get(reverse("job_detail", args=[job.pk]))

    assert job.state == Job.State.FAILED and job.error == GENERAL_FAILURE
    assert page.status_code == 200
    assertContains(page, "<h1>Не удалось подготовить файл</h1>", html=False)
    assertContains(page, "Не удалось выполнить операцию из-за ошибки на сервере.")
    assertNotContains(page, "No space left")
    assertContains(page, 'href="/subscriptions/"')  # back to the list, to try again
    # No file to download: the page again.
    download = client.get(reverse("job_download", args=[job.pk]))
    assert download.status_code == 302 and download["Location"] == reverse(
        "job_detail", args=[job.pk]
    )


def test_the_failure_reads_in_the_readers_language(
    logged_in, viewer, six_subscribers, settings, monkeypatch
):
    threshold(settings, 1)
    monkeypatch.setattr("cabinet.exports.write_table", lambda *a, **k: 1 / 0)
    client = logged_in(viewer)
    job = job_of(client.get(SUBSCRIPTIONS_EXPORT, {"format": "csv"}))

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("job_detail", args=[job.pk]))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
    kazakh = client.get(reverse("job_detail", args=[job.pk]))

    assertContains(english, "The operation failed because of an error on the server.")
    assertContains(english, "Could not prepare the file")
    assertContains(kazakh, "Файлды дайындау мүмкін болмады")


@pytest.mark.usefixtures("queue_only")
def test_the_worker_reads_only_the_jobs_own_organization(
    logged_in, viewer, six_subscribers, settings, other_organization
):
    """A job names a subscriber by pk; the worker looks it up in the job's organization
    again, so a row edited to name another partner's subscriber gets nothing of it."""
    from tests import factories

    threshold(settings, 1)
    client = logged_in(viewer)
    url = reverse("subscriber_subscriptions_export", args=[six_subscribers[0].pk])
    job = job_of(client.get(url, {"format": "csv"}))
    stranger = factories.SubscriberFactory(organization=other_organization)
    Job.objects.filter(pk=job.pk).update(parameters={**job.parameters, "pk": stranger.pk})

    run_job.call(job.pk)

    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert not job.result_file
    page = client.get(reverse("job_detail", args=[job.pk]))
    assertContains(page, "Эту таблицу больше нельзя построить")


def test_a_file_past_its_time_is_gone(logged_in, viewer, six_subscribers, settings):
    threshold(settings, 1)
    client = logged_in(viewer)
    job = job_of(client.get(SUBSCRIBERS_EXPORT, {"format": "csv"}))
    Job.objects.filter(pk=job.pk).update(expires_at=timezone.now())

    page = client.get(reverse("job_detail", args=[job.pk]))
    download = client.get(reverse("job_download", args=[job.pk]))
    jobs_purge()
    after_purge = client.get(reverse("job_download", args=[job.pk]))

    for response in (page, download, after_purge):
        assertContains(response, "Файл больше не хранится", status_code=410)
        assertContains(response, "Откройте список и скачайте таблицу заново", status_code=410)
    assert files_in(Path(settings.STORAGES["job_files"]["OPTIONS"]["location"])) == []


# --- Who sees a job ----------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["job_detail", "job_status", "job_download"])
def test_another_organizations_job_and_its_file_are_a_404(
    logged_in, viewer, other_operator, six_subscribers, settings, url_name
):
    threshold(settings, 1)
    job = job_of(logged_in(viewer).get(SUBSCRIBERS_EXPORT, {"format": "csv"}))
    url = reverse(url_name, args=[job.pk])

    client = logged_in(other_operator)

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404  # the scoping comes before the method


def test_a_colleague_of_the_same_organization_may_open_the_job(
    logged_in, viewer, owner, six_subscribers, settings
):
    threshold(settings, 1)
    job = job_of(logged_in(viewer).get(SUBSCRIBERS_EXPORT, {"format": "csv"}))

    served = logged_in(owner).get(reverse("job_download", args=[job.pk]))

    assert served.status_code == 200


def test_the_job_urls_only_read(logged_in, operator, viewer, six_subscribers, settings):
    threshold(settings, 1)
    job = job_of(logged_in(operator).get(SUBSCRIBERS_EXPORT, {"format": "csv"}))

    for name in ("job_detail", "job_status", "job_download"):
        url = reverse(name, args=[job.pk])
        assert logged_in(operator).post(url).status_code == 405
        assert logged_in(viewer).post(url).status_code == 403  # the read-only role's POST
    assert logged_in(operator).post(reverse("job_list")).status_code == 405


@pytest.mark.usefixtures("queue_only")
def test_my_files_lists_the_users_own_recent_jobs(
    logged_in, viewer, owner, six_subscribers, settings
):
    threshold(settings, 1)
    mine = job_of(logged_in(viewer).get(SUBSCRIBERS_EXPORT, {"format": "csv"}))
    theirs = job_of(logged_in(owner).get(SUBSCRIPTIONS_EXPORT, {"format": "csv"}))
    old = job_of(logged_in(viewer).get(SUBSCRIPTIONS_EXPORT, {"format": "xlsx"}))
    Job.objects.filter(pk=old.pk).update(created_at=timezone.now() - timezone.timedelta(days=2))

    page = logged_in(viewer).get(reverse("job_list"))

    assertContains(page, f'href="{reverse("job_detail", args=[mine.pk])}"')
    assertNotContains(page, f'href="{reverse("job_detail", args=[theirs.pk])}"')
    assertNotContains(page, f'href="{reverse("job_detail", args=[old.pk])}"')
    assertContains(page, "Обслуживаемые абоненты, CSV")


def test_the_list_pages_link_to_their_downloads_and_my_files(logged_in, viewer, six_subscribers):
    page = logged_in(viewer).get(reverse("subscriber_list"))

    assertContains(page, f'href="{reverse("job_list")}"')
    # A big list answers with its job's page: the browser must open it, not save it.
    assert not re.search(r'href="[^"]*/export/[^"]*"[^>]* download', page.content.decode())


# --- Queries -------------------------------------------------------------------------------

# The session, the user, the membership, then the job.
JOB_PAGE_QUERIES = 3 + 1


@pytest.mark.parametrize("url_name", ["job_detail", "job_status", "job_download"])
def test_job_urls_run_a_fixed_number_of_queries(
    logged_in, viewer, six_subscribers, settings, url_name, django_assert_num_queries
):
    threshold(settings, 1)
    client = logged_in(viewer)
    job = job_of(client.get(SUBSCRIBERS_EXPORT, {"format": "csv"}))

    with django_assert_num_queries(JOB_PAGE_QUERIES):
        response = client.get(reverse(url_name, args=[job.pk]))
        body(response)

    assert response.status_code == 200


@pytest.mark.parametrize("jobs", [1, 4])
def test_my_files_runs_the_same_queries_for_any_number_of_jobs(
    logged_in, viewer, six_subscribers, settings, jobs, django_assert_num_queries
):
    threshold(settings, 1)
    settings.JOBS_ACTIVE_PER_USER = 10
    client = logged_in(viewer)
    for n in range(jobs):
        client.get(
            SUBSCRIBERS_EXPORT, {"format": "csv", "sort": ["name", "-name", "city", "code"][n]}
        )

    with django_assert_num_queries(JOB_PAGE_QUERIES):
        page = client.get(reverse("job_list"))

    assert len(re.findall(r'href="/jobs/\d+/download/"', page.content.decode())) == jobs


# --- Languages -----------------------------------------------------------------------------


def test_a_job_started_in_english_is_english_through_and_through(
    logged_in, latin_owner, settings, today
):
    threshold(settings, 1)
    client = logged_in(latin_owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    job = job_of(client.get(SUBSCRIBERS_EXPORT, {"format": "csv"}))
    page = client.get(reverse("job_detail", args=[job.pk]))
    listed = client.get(reverse("job_list"))
    served = client.get(reverse("job_download", args=[job.pk]))

    assert job.result_name == f"Served subscribers {today.isoformat()}.csv"
    assert body(served).decode("utf-8-sig").splitlines()[0].startswith("Subscriber code;")
    for response in (page, listed):
        # The page's own content (the header is every page's: tests/test_i18n.py).
        (main,) = re.findall(r"<main .*?</main>", response.content.decode(), flags=re.S)
        text = re.sub(r"<[^>]+>", " ", main)
        assert not re.search(r"[\u0400-\u04ff]", text), re.findall(r"\S*[\u0400-\u04ff]+\S*", text)
    assertContains(page, "File ready")


@pytest.fixture
def latin_owner(db):
    """An owner of a partner whose data is in Latin letters, with two subscribers."""
    from tests import factories

    organization = factories.OrganizationFactory(name="Latin Partner")
    owner = factories.UserFactory(username="latin-owner")
    factories.MembershipFactory(organization=organization, user=owner, role="owner")
    for name in ("Alpha LLP", "Beta LLP"):
        factories.SubscriberFactory(organization=organization, name=name, city="Almaty")
    return owner
