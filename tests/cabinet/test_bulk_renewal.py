"""«Продление за месяц»: the month's bases with their previews, renewed in bulk — in the
request for a page of rows, as a job for more — each once, with every row's outcome on
the batch's page and in its XLSX. (The planner: tests/subscriptions/test_renewal_planner.py.)"""

import datetime
import io
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pytest_django.asserts import assertContains, assertNotContains

from cabinet.forms.renewal import RenewalForm
from cabinet.views.bulk_renewal import BULK_RENEWAL_JOB
from common.formatting import fmt, format_tenge
from jobs.models import Job
from jobs.tasks import run_job
from subscriptions import services
from subscriptions.models import ExtensionSubscription, Status, Subscription
from subscriptions.periods import add_months
from subscriptions.renewal import renewal_refusal
from tests import factories
from tests.conftest import requires_postgres
from tests.races import run_together
from tests.test_i18n import (
    CYRILLIC,
    get_in,
    latin_cabinet,  # noqa: F401  (a fixture, used by name)
    page_texts,
    russian_only_messages,
    without_numbers,
)

DAY = datetime.timedelta(days=1)
PAGE_URL = reverse("bulk_renewal")


def first_of_month(day):
    return day.replace(day=1)


def base_ending_this_month(subscriber, tariff, today, *, months=3):
    """A posted base of `months` months whose last day is the last day of today's month."""
    return factories.SubscriptionFactory(
        subscriber=subscriber,
        tariff=tariff,
        period=tariff.periods.get(count=months),
        starts_on=add_months(first_of_month(today), 1 - months),
    )


@pytest.fixture
def month_of_endings(
    organization, other_organization, base_tariff, session_tariff, infobase_tariff, today
):
    """Today's month, ending: «Астра» (3 months, with «Дополнительный сеанс» × 2 ending with
    it and one ending earlier), «Береке» (3 months), «Восток» (already renewed) and «Гүл»
    (another subscription of the tariff starts 40 days after it ends: a 3-month renewal
    overlaps it). Not in the list: «Дала» ends next month, «Есиль»'s draft, another
    partner's base ending this month."""
    make = factories.SubscriberFactory
    astra = base_ending_this_month(
        make(organization=organization, name="Астра"), base_tariff, today
    )
    sessions = factories.ExtensionFactory(
        subscription=astra,
        tariff=session_tariff,
        period=session_tariff.periods.get(count=1),
        starts_on=add_months(astra.starts_on, 2),
        quantity=2,
    )
    factories.ExtensionFactory(
        subscription=astra,
        tariff=infobase_tariff,
        period=infobase_tariff.periods.get(count=1),
        starts_on=astra.starts_on,
    )
    bereke = base_ending_this_month(
        make(organization=organization, name="Береке"), base_tariff, today
    )
    vostok = base_ending_this_month(
        make(organization=organization, name="Восток"), base_tariff, today
    )
    renewal = services.subscription_renew(
        subscription=vostok,
        period=base_tariff.periods.get(count=12),
        copy_extensions=False,
        user=None,
    )
    gul = base_ending_this_month(make(organization=organization, name="Гүл"), base_tariff, today)
    following = factories.SubscriptionFactory(
        subscriber=gul.subscriber,
        tariff=base_tariff,
        period=base_tariff.periods.get(count=1),
        starts_on=gul.ends_on + 40 * DAY,
    )
    dala = factories.SubscriptionFactory(
        subscriber=make(organization=organization, name="Дала"),
        tariff=base_tariff,
        period=base_tariff.periods.get(count=3),
        starts_on=add_months(first_of_month(today), -1),
    )
    esil = factories.SubscriptionFactory(
        subscriber=make(organization=organization, name="Есиль"),
        tariff=base_tariff,
        period=base_tariff.periods.get(count=3),
        starts_on=add_months(first_of_month(today), -2),
        status=Status.DRAFT,
    )
    foreign = base_ending_this_month(
        make(organization=other_organization, name="Чужой"), base_tariff, today
    )
    return {
        "astra": astra,
        "sessions": sessions,
        "bereke": bereke,
        "vostok": vostok,
        "vostok_renewal": renewal,
        "gul": gul,
        "gul_following": following,
        "dala": dala,
        "esil": esil,
        "foreign": foreign,
    }


def page(client, **query):
    return client.get(PAGE_URL, query)


def rows_of(response) -> dict:
    return {row.base.number: row for row in response.context["rows"]}


def token_of(response):
    return response.context["form"].initial["request_token"]


def renew(client, bases, *, token, all_rows=False, periods=None, query="", **extra):
    data = {"request_token": token, "action": "renew", **extra}
    if all_rows:
        data["all_rows"] = "on"
    data["base"] = [base.pk for base in bases]
    for base, period in (periods or {}).items():
        data[f"period_{base.pk}"] = period.pk
    return client.post(f"{PAGE_URL}{query}", data)


def renewals_of(base):
    return Subscription.objects.filter(renews=base, kind=Subscription.Kind.MAIN)


@pytest.fixture
def queue_only(settings):
    """Tasks wait instead of running at once: a job enqueued stays queued."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


# --- The page -----------------------------------------------------------------------


def test_the_page_lists_the_months_posted_bases_of_the_organization_only(
    logged_in, operator, month_of_endings, today
):
    response = page(logged_in(operator))

    assert response.status_code == 200
    assertContains(response, "<h1>Продление за месяц</h1>", html=True)
    listed = rows_of(response)
    ours = ("astra", "bereke", "vostok", "gul")
    assert set(listed) == {month_of_endings[key].number for key in ours}
    for key in ("dala", "esil", "foreign"):
        assertNotContains(response, month_of_endings[key].number)
    # the month control shows today's month, as the report's does
    assert response.context["filters"]["month"].value() == today.strftime("%m.%Y")


def test_the_month_and_the_tariff_filter_the_rows(
    logged_in, operator, month_of_endings, today, organization
):
    client = logged_in(operator)
    next_month = add_months(first_of_month(today), 1)

    assert set(rows_of(page(client, month=next_month.strftime("%m.%Y")))) == {
        month_of_endings["dala"].number
    }
    other_tariff = factories.BaseTariffFactory(name="Корпоративный")
    factories.TariffPeriodFactory(tariff=other_tariff, count=3, price=50000)
    corporate = base_ending_this_month(
        factories.SubscriberFactory(organization=organization), other_tariff, today
    )
    assert set(rows_of(page(client, tariff=other_tariff.pk))) == {corporate.number}
    assert page(client, month="13.2026").status_code == 400


def test_the_preview_is_the_single_renewals_plan(
    logged_in, operator, month_of_endings, base_tariff, today
):
    astra = month_of_endings["astra"]
    single = RenewalForm(base=astra, today=today)
    year = base_tariff.periods.get(count=12)

    response = page(logged_in(operator))
    row = rows_of(response)[astra.number]
    data = response.context["js_data"][str(astra.pk)]

    # by default its own period: 3 months from the day after it ends
    assert row.plan.period == astra.period
    assert row.plan.starts_on == single.starts_on == astra.ends_on + DAY
    assert row.plan.ends_on == astra.period.end_for(single.starts_on)
    assert row.shown["dates"] == f"с {fmt(single.starts_on)} по {fmt(row.plan.ends_on)}"
    assert row.shown["amount"] == format_tenge(astra.period.price)
    # the same extensions, carried the same way, for every period offered
    for period in base_tariff.periods.all():
        plans = single.plans_for(period)
        assert [p.extension for p in plans] == [month_of_endings["sessions"]]
        shown = data[str(period.pk)]
        assert [line.split(" → ", 1)[1] for line in shown["extensions"]] == [
            plan.describe() for plan in plans
        ]
        assert shown["dates"].endswith(fmt(period.end_for(single.starts_on)))
    total = year.price + single.plans_for(year)[0].amount
    assert data[str(year.pk)]["total"] == format_tenge(total)
    assertContains(response, f"№ {month_of_endings['sessions'].number} «Дополнительный сеанс» × 2")


def test_refused_rows_say_why_in_the_single_renewals_words(
    logged_in, operator, month_of_endings, base_tariff
):
    vostok, gul = month_of_endings["vostok"], month_of_endings["gul"]

    rows = rows_of(page(logged_in(operator)))

    assert rows[vostok.number].plan.refusal == " ".join(renewal_refusal(vostok).messages)
    assert "уже продлена" in rows[vostok.number].plan.refusal
    assert month_of_endings["vostok_renewal"].number in rows[vostok.number].plan.refusal
    # R11: what the service says when asked to renew «Гүл» for its 3 months
    with pytest.raises(Exception) as refused:
        services.subscription_renew(
            subscription=gul, period=gul.period, copy_extensions=False, user=operator
        )
    assert rows[gul.number].plan.refusal == " ".join(refused.value.messages)
    assert month_of_endings["gul_following"].number in rows[gul.number].plan.refusal
    for key in ("astra", "bereke"):
        assert rows[month_of_endings[key].number].plan.refusal == ""


def test_a_shorter_period_lifts_the_overlap_in_the_preview(
    logged_in, operator, month_of_endings, base_tariff
):
    gul = month_of_endings["gul"]
    month = base_tariff.periods.get(count=1)

    response = page(logged_in(operator))
    data = response.context["js_data"][str(gul.pk)]

    # a month ends before «Гүл»'s next subscription starts; 3 months do not
    assert data[str(month.pk)]["refusal"] == ""
    assert "пересекается" in data[str(gul.period_id)]["refusal"]


def test_keeping_the_extensions_previews_and_renews_without_them(
    logged_in, operator, month_of_endings, queue_only
):
    astra = month_of_endings["astra"]
    client = logged_in(operator)

    response = page(client, extensions="keep")
    row = rows_of(response)[astra.number]
    assert row.shown["extensions"] == [
        f"№ {month_of_endings['sessions'].number} «Дополнительный сеанс» × 2 — не переносится"
    ]

    renew(client, [astra], token=token_of(response), query="?extensions=keep")
    assert not renewals_of(astra).get().extensions.exists()


def test_the_page_costs_the_same_queries_for_few_and_many_rows(
    logged_in, operator, organization, base_tariff, session_tariff, today
):
    client = logged_in(operator)

    def add(n):
        for _ in range(n):
            base = base_ending_this_month(
                factories.SubscriberFactory(organization=organization), base_tariff, today
            )
            factories.ExtensionFactory(
                subscription=base,
                tariff=session_tariff,
                period=session_tariff.periods.get(count=1),
                starts_on=add_months(base.starts_on, 2),
            )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert page(client).status_code == 200
        return len(captured.captured_queries)

    add(2)
    few = queries()
    add(20)
    many = queries()

    assert few == many
    assert many <= 12


def test_the_page_shows_many_rows_in_pages(logged_in, operator, organization, base_tariff, today):
    for _ in range(27):
        base_ending_this_month(
            factories.SubscriberFactory(organization=organization), base_tariff, today
        )
    client = logged_in(operator)

    first = page(client)
    second = page(client, page=2)

    assert len(first.context["rows"]) == 25 and len(second.context["rows"]) == 2
    assertContains(first, "Все строки месяца: 27")


def test_a_viewer_reads_the_preview_but_cannot_renew(logged_in, viewer, month_of_endings):
    client = logged_in(viewer)

    response = page(client)
    assert response.status_code == 200
    assertNotContains(response, 'name="base"')
    assertNotContains(response, "Продлить выбранные")
    astra = month_of_endings["astra"]
    posted = renew(client, [astra], token="6b0f7a47-6a48-4a8c-9f5b-4c7a3e7b5a10")
    assert posted.status_code == 403
    assert not renewals_of(astra).exists()


# --- Renewing -----------------------------------------------------------------------


def test_selected_rows_are_renewed_in_the_request(
    logged_in, operator, month_of_endings, base_tariff, queue_only
):
    """No worker runs (tasks only wait): a page of rows is renewed by the request itself."""
    astra, bereke = month_of_endings["astra"], month_of_endings["bereke"]
    year = base_tariff.periods.get(count=12)
    client = logged_in(operator)
    token = token_of(page(client))

    response = renew(client, [astra, bereke], token=token, periods={bereke: year})

    job = Job.objects.get(kind=BULK_RENEWAL_JOB)
    assert response.status_code == 302
    assert response["Location"] == reverse("bulk_renewal_batch", args=[job.pk])
    assert job.state == Job.State.DONE and job.task_id == ""
    astra_renewal, bereke_renewal = renewals_of(astra).get(), renewals_of(bereke).get()
    assert astra_renewal.is_posted and astra_renewal.period == astra.period
    assert bereke_renewal.period == year
    assert astra_renewal.extensions.get().quantity == 2  # carried, as the single renewal does
    # history as the single renewal writes it: who and why
    record = astra_renewal.history.get()
    assert (record.history_user, record.history_change_reason) == (operator, "Продление")
    batch = client.get(response["Location"])
    assertContains(batch, "Продлено: 2; не продлено: 0.")
    assertContains(batch, f">{astra_renewal.number}</a>, 3 месяца, с ")
    assertContains(batch, "перенесено расширений: 1")


def test_more_rows_than_a_page_run_as_a_job_with_its_progress_page(
    logged_in, operator, month_of_endings, settings, queue_only
):
    settings.BULK_RENEWAL_IMMEDIATE_MAX = 1
    client = logged_in(operator)
    token = token_of(page(client))

    response = renew(client, [], token=token, all_rows=True)

    job = Job.objects.get(kind=BULK_RENEWAL_JOB)
    assert job.state == Job.State.QUEUED and job.task_id
    assert len(job.parameters["items"]) == 4
    waiting = client.get(response["Location"])
    assertContains(waiting, "<progress", count=1)
    assertContains(waiting, reverse("job_status", args=[job.pk]))
    assertContains(waiting, "cabinet/job_progress")
    assert not renewals_of(month_of_endings["astra"]).exists()

    run_job.call(job_id=job.pk)  # what a worker does

    job.refresh_from_db()
    assert (job.state, job.done, job.total) == (Job.State.DONE, 4, 4)
    done = client.get(response["Location"])  # the same page, reloaded
    assertNotContains(done, "<progress")
    assertContains(done, "Продлено: 2; не продлено: 2.")
    assertContains(done, "уже продлена")
    assertContains(done, "пересекается")


def test_the_immediate_backend_runs_a_big_batch_at_once(
    logged_in, operator, month_of_endings, settings
):
    settings.BULK_RENEWAL_IMMEDIATE_MAX = 1
    client = logged_in(operator)

    renew(client, [], token=token_of(page(client)), all_rows=True)

    job = Job.objects.get(kind=BULK_RENEWAL_JOB)
    assert job.state == Job.State.DONE and job.task_id
    assert job.summary["renewed"] == 2 and job.summary["refused"] == 2


def test_a_double_submit_makes_one_batch_and_renews_each_base_once(
    logged_in, operator, month_of_endings, settings
):
    settings.BULK_RENEWAL_IMMEDIATE_MAX = 1
    astra, bereke = month_of_endings["astra"], month_of_endings["bereke"]
    client = logged_in(operator)
    token = token_of(page(client))

    first = renew(client, [astra, bereke], token=token)
    second = renew(client, [astra, bereke], token=token)

    assert Job.objects.filter(kind=BULK_RENEWAL_JOB).count() == 1
    assert first["Location"] == second["Location"]
    assert renewals_of(astra).count() == renewals_of(bereke).count() == 1


def test_a_second_batch_never_renews_a_base_twice(logged_in, operator, month_of_endings):
    astra = month_of_endings["astra"]
    client = logged_in(operator)
    renew(client, [astra], token=token_of(page(client)))
    renewal = renewals_of(astra).get()

    again = renew(client, [astra], token=token_of(page(client)))

    assert renewals_of(astra).count() == 1
    batch = Job.objects.filter(kind=BULK_RENEWAL_JOB).latest("pk")
    (outcome,) = batch.summary["outcomes"]
    assert outcome["renewal_id"] is None
    assert outcome["reason"] == " ".join(renewal_refusal(astra).messages)
    assertContains(client.get(again["Location"]), f"проведенная подписка № {renewal.number}")


def test_the_same_batch_run_twice_gives_back_its_renewals(
    logged_in, operator, month_of_endings, queue_only, settings
):
    """A twin task or a retry of one batch: each base's one-time token finds its renewal."""
    settings.BULK_RENEWAL_IMMEDIATE_MAX = 0
    astra = month_of_endings["astra"]
    client = logged_in(operator)
    renew(client, [astra], token=token_of(page(client)))
    job = Job.objects.get(kind=BULK_RENEWAL_JOB)
    run_job.call(job_id=job.pk)
    first = Job.objects.get(pk=job.pk).summary["outcomes"]
    Job.objects.filter(pk=job.pk).update(state=Job.State.QUEUED, finished_at=None)

    run_job.call(job_id=job.pk)

    assert renewals_of(astra).count() == 1
    assert Job.objects.get(pk=job.pk).summary["outcomes"] == first


def test_nothing_selected_is_refused_and_starts_nothing(logged_in, operator, month_of_endings):
    client = logged_in(operator)

    response = renew(client, [], token=token_of(page(client)))

    assert response.status_code == 400
    assertContains(response, "Отметьте подписки, которые нужно продлить", status_code=400)
    assert not Job.objects.exists()


def test_a_base_outside_the_month_is_refused_and_starts_nothing(
    logged_in, operator, month_of_endings
):
    client = logged_in(operator)
    token = token_of(page(client))

    for stranger in (month_of_endings["dala"], month_of_endings["foreign"]):
        response = renew(client, [month_of_endings["astra"], stranger], token=token)
        assert response.status_code == 400
        assertContains(response, "больше не заканчивается в этом месяце", status_code=400)
    assert not Job.objects.exists()
    assert not renewals_of(month_of_endings["astra"]).exists()


def test_a_period_of_another_tariff_is_refused(
    logged_in, operator, month_of_endings, session_tariff
):
    astra = month_of_endings["astra"]
    client = logged_in(operator)

    response = renew(
        client,
        [astra],
        token=token_of(page(client)),
        periods={astra: session_tariff.periods.get(count=12)},
    )

    assert response.status_code == 400
    assertContains(response, "Тариф больше не предлагает этот период", status_code=400)
    assert not Job.objects.exists()


def test_recalculating_shows_the_chosen_periods_and_writes_nothing(
    logged_in, operator, month_of_endings, base_tariff
):
    bereke = month_of_endings["bereke"]
    year = base_tariff.periods.get(count=12)
    client = logged_in(operator)

    response = renew(
        client, [bereke], token=token_of(page(client)), periods={bereke: year}, action="preview"
    )

    assert response.status_code == 200
    row = rows_of(response)[bereke.number]
    assert row.plan.period == year and row.checked
    assert row.shown["dates"].endswith(fmt(year.end_for(bereke.ends_on + DAY)))
    assert not Job.objects.exists() and not renewals_of(bereke).exists()


# --- A batch's page and its file ----------------------------------------------------


def test_the_outcome_downloads_as_xlsx_with_a_row_per_selected_base(
    logged_in, operator, month_of_endings
):
    client = logged_in(operator)
    chosen = [month_of_endings[key] for key in ("astra", "bereke", "vostok", "gul")]
    response = renew(client, chosen, token=token_of(page(client)))
    job = Job.objects.get(kind=BULK_RENEWAL_JOB)

    download = client.get(reverse("bulk_renewal_batch_export", args=[job.pk]))

    assert download.status_code == 200
    assert download["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    header, *rows = list(sheet.values)
    assert header[:6] == (
        "Подписка на тариф",
        "Абонент",
        "Тариф",
        "Действует по",
        "Итог",
        "Продление",
    )
    by_number = {row[0]: row for row in rows}
    assert set(by_number) == {base.number for base in chosen}
    assert by_number[chosen[0].number][4] == "Продлена"
    assert by_number[chosen[0].number][5] == renewals_of(chosen[0]).get().number
    assert by_number[chosen[2].number][4] == "Не продлена"
    assert "уже продлена" in by_number[chosen[2].number][10]
    assert "пересекается" in by_number[chosen[3].number][10]
    assert response.status_code == 302


def test_another_organizations_batch_is_a_404(
    logged_in, operator, other_operator, month_of_endings
):
    client = logged_in(operator)
    renew(client, [month_of_endings["astra"]], token=token_of(page(client)))
    job = Job.objects.get(kind=BULK_RENEWAL_JOB)
    stranger = logged_in(other_operator)

    for name in ("bulk_renewal_batch", "bulk_renewal_batch_export"):
        assert stranger.get(reverse(name, args=[job.pk])).status_code == 404
    assert stranger.get(reverse("job_status", args=[job.pk])).status_code == 404
    # its token leads another organization's form to a batch of that organization's own rows
    response = stranger.post(
        PAGE_URL, {"request_token": job.parameters["token"], "action": "renew", "all_rows": "on"}
    )
    assert response["Location"] != reverse("bulk_renewal_batch", args=[job.pk])
    theirs = Job.objects.exclude(pk=job.pk).get()
    assert theirs.organization == other_operator.membership.organization
    assert [pk for pk, _ in theirs.parameters["items"]] == [month_of_endings["foreign"].pk]


def test_the_rules_hold_after_a_bulk_run(logged_in, operator, month_of_endings, settings):
    settings.BULK_RENEWAL_IMMEDIATE_MAX = 1
    client = logged_in(operator)
    renew(client, [], token=token_of(page(client)), all_rows=True)
    assert ExtensionSubscription.objects.filter(subscription__renews__isnull=False).exists()
    out = StringIO()

    call_command("check_invariants", stdout=out)

    assert "Нарушений нет." in out.getvalue()


def test_the_home_page_and_the_subscription_list_lead_to_the_page(logged_in, operator):
    client = logged_in(operator)

    for name in ("home", "subscription_list"):
        assertContains(client.get(reverse(name)), f'href="{PAGE_URL}"')


def test_too_many_waiting_batches_are_refused_with_a_message(
    logged_in, operator, month_of_endings, settings, queue_only
):
    settings.BULK_RENEWAL_IMMEDIATE_MAX = 0
    settings.JOBS_ACTIVE_PER_USER = 1
    client = logged_in(operator)
    renew(client, [month_of_endings["astra"]], token=token_of(page(client)))

    response = renew(client, [month_of_endings["bereke"]], token=token_of(page(client)))

    assert response.status_code == 400
    assertContains(response, "Уже выполняются длительные операции", status_code=400)
    assert Job.objects.filter(kind=BULK_RENEWAL_JOB).count() == 1


# --- Languages --------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "kk"])
def test_the_page_and_its_batches_speak_the_users_language(
    logged_in,
    latin_cabinet,  # noqa: F811  (the fixture imported above)
    language,
):
    """In English no Cyrillic at all (with Latin-named data); in Kazakh no Russian label —
    the refusal of a second batch included (the worker writes in the starter's language)."""
    client = logged_in(latin_cabinet["owner"])
    base = latin_cabinet["base"]
    url = f"{PAGE_URL}?month={base.ends_on.strftime('%m.%Y')}"
    russian = russian_only_messages()

    def leaks(response):
        texts = page_texts(response)
        if language == "en":
            return [text for text in texts if CYRILLIC.search(without_numbers(text))]
        return [text for text in texts if text in russian]

    listed = get_in(client, language, url)
    first = client.post(url, {"request_token": token_of(listed), "base": [base.pk]})
    again = client.post(
        url, {"request_token": token_of(get_in(client, language, url)), "base": [base.pk]}
    )
    refused = get_in(client, language, again["Location"])

    assert listed.status_code == 200 and leaks(listed) == []
    assert leaks(get_in(client, language, first["Location"])) == []
    assert "Не продлена" not in refused.content.decode()
    assert leaks(refused) == []
    assert leaks(get_in(client, language, url)) == []


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_twins_of_one_batch_make_one_batch(
    organization, base_tariff, session_tariff, infobase_tariff, operator, today
):
    """Two submits of one form at the same moment (a double click that reaches two app
    servers): the organization's lock makes the second find the first's batch."""
    bases = [
        base_ending_this_month(
            factories.SubscriberFactory(organization=organization), base_tariff, today
        )
        for _ in range(3)
    ]
    for _ in range(4):
        token = str(uuid.uuid4())
        clients = [Client(), Client()]
        for twin in clients:
            twin.force_login(operator)
        answers = []

        def submit(twin, token=token, answers=answers):
            answers.append(
                twin.post(PAGE_URL, {"request_token": token, "base": [b.pk for b in bases]})
            )

        assert run_together(*(lambda c=c: submit(c) for c in clients)) == ["done", "done"]
        assert [a.status_code for a in answers] == [302, 302]
        assert answers[0]["Location"] == answers[1]["Location"]
        assert Job.objects.filter(parameters__token=token).count() == 1
    for base in bases:
        assert renewals_of(base).count() == 1
