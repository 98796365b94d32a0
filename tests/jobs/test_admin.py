"""The service owner's list of long operations: every partner's, read-only."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from jobs.models import Job
from jobs.services import GENERAL_FAILURE, job_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_partners_jobs(register_kind, organization, other_organization, operator, other_operator):
    def lines(run):
        run.set_total(2)
        run.result_file(filename="Строки.csv", content_type="text/csv").write(b"a\r\nb\r\n")
        run.advance(2)
        return {"rows": 2}

    def broken(run):
        raise RuntimeError("boom")

    register_kind("tests.lines", lines, title=lambda job: "Строки, CSV")
    register_kind("tests.broken", broken, title=lambda job: "Сломанная выгрузка")
    done = job_start(organization=organization, user=operator, kind="tests.lines", parameters={})
    failed = job_start(
        organization=other_organization, user=other_operator, kind="tests.broken", parameters={}
    )
    return done, failed


def test_the_list_shows_every_partners_jobs_with_their_state_and_progress(
    two_partners_jobs, admin_user, logged_in
):
    client = logged_in(admin_user)

    page = client.get(reverse("admin:jobs_job_changelist"))

    assertContains(page, "Строки, CSV")
    assertContains(page, "Сломанная выгрузка")
    assertContains(page, "Демо-партнер")
    assertContains(page, "Другой партнер")
    assertContains(page, "2 / 2")
    assertContains(page, "2 длительные операции")
    assertNotContains(page, reverse("admin:jobs_job_add"))
    assertNotContains(page, ">Pk<")


@pytest.mark.parametrize(
    "query", [{"q": "Другой"}, {"state__exact": "failed"}, {"kind": "tests.broken"}]
)
def test_the_list_searches_and_filters(two_partners_jobs, admin_user, logged_in, query):
    page = logged_in(admin_user).get(reverse("admin:jobs_job_changelist"), query)

    assert page.status_code == 200
    assertContains(page, "Сломанная выгрузка")
    assertNotContains(page, "Строки, CSV")


def test_a_jobs_page_is_read_only_and_shows_the_error_as_the_user_reads_it(
    two_partners_jobs, admin_user, logged_in
):
    _done, failed = two_partners_jobs
    client = logged_in(admin_user)
    url = reverse("admin:jobs_job_change", args=[failed.pk])

    page = client.get(url)
    posted = client.post(url, {"state": "done"})

    assert failed.error == GENERAL_FAILURE
    assertContains(page, "Просмотреть длительную операцию")
    assertContains(page, "Не удалось выполнить операцию из-за ошибки на сервере.")
    assert posted.status_code == 403
    assert Job.objects.get(pk=failed.pk).state == Job.State.FAILED
    assert client.get(reverse("admin:jobs_job_add")).status_code == 403
    assert client.get(reverse("admin:jobs_job_delete", args=[failed.pk])).status_code == 403
