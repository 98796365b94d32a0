"""Page «Расширения по месяцам»: its sums against the posted documents, the range form,
the chart above the table, the downloads' links and a constant number of queries.
(The report's query itself: tests/subscriptions/test_report.py.)"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from cabinet.forms.reports import MonthRangeForm
from cabinet.report_chart import nice_step
from subscriptions import clock
from subscriptions.periods import add_months
from tests.report_figures import d, expected_sums, report_extension, report_sums

URL = reverse("report_extensions_by_month")


# --- The numbers ----------------------------------------------------------------------


def test_sums_match_the_posted_documents(logged_in, viewer, organization, extensions_of_2025):
    response = logged_in(viewer).get(URL, {"from_month": "2025-01", "to_month": "2025-12"})

    report = response.context["report"]
    assert response.status_code == 200
    assert report_sums(report) == expected_sums(organization, d("2025-01-01"), d("2025-12-01"))
    assert report_sums(report) == {
        (d("2025-03-01"), "Дополнительный сеанс"): (2, 5, Decimal("14000")),  # 5 000 + 9 000
        (d("2025-03-01"), "Дополнительная база"): (1, 1, Decimal("5500")),
        (d("2025-04-01"), "Дополнительный сеанс"): (1, 1, Decimal("16000")),
        (d("2025-06-01"), "Дополнительная база"): (1, 4, Decimal("7999.50")),
    }
    assert (report.total.documents, report.total.quantity, report.total.amount) == (
        5,
        11,
        Decimal("43499.50"),
    )
    assert [f.amount for f in report.tariff_totals] == [Decimal("13499.50"), Decimal("30000")]


def test_drafts_and_other_organizations_do_not_count(
    logged_in, viewer, other_operator, extensions_of_2025, session_tariff
):
    mine = logged_in(viewer).get(URL, {"from_month": "2025-03", "to_month": "2025-03"})
    theirs = logged_in(other_operator).get(URL, {"from_month": "2025-03", "to_month": "2025-03"})

    march = report_sums(mine.context["report"])[(d("2025-03-01"), "Дополнительный сеанс")]
    assert march[0] == 2  # not the draft × 9, not the other partner's × 7
    assert report_sums(theirs.context["report"]) == {
        (d("2025-03-01"), "Дополнительный сеанс"): (1, 7, Decimal("21000")),
    }


def test_months_without_extensions_show_zeros(logged_in, viewer, extensions_of_2025):
    response = logged_in(viewer).get(URL, {"from_month": "2025-01", "to_month": "2025-12"})

    report = response.context["report"]
    assert [group.month for group in report.months] == [d(f"2025-{m:02d}-01") for m in range(1, 13)]
    assert len(report.rows()) == 12 * 2  # every month, every extension tariff
    may = [row for row in report.rows() if row.month == d("2025-05-01")]
    assert [(r.figures.documents, r.figures.quantity, r.figures.amount) for r in may] == [
        (0, 0, Decimal(0)),
        (0, 0, Decimal(0)),
    ]
    assertContains(response, "Май 2025")


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        (d("2026-03-10"), d("2025-10-01"), d("2026-09-01")),
        (d("2027-12-31"), d("2027-07-01"), d("2028-06-01")),
    ],
)
def test_the_default_range_is_the_twelve_months_around_today(
    logged_in, viewer, extensions_of_2025, day, first, last
):
    client = logged_in(viewer)

    with clock.today_is(day):
        response = client.get(URL)

    report = response.context["report"]
    assert (report.first_month, report.last_month) == (first, last)
    assert len(report.months) == 12
    assert add_months(first, 5) == day.replace(day=1)  # 5 months before today's, 6 after
    assertContains(response, f'value="{first:%m.%Y}"')
    assertContains(response, f'value="{last:%m.%Y}"')


def test_the_report_opens_on_the_months_ahead_too(logged_in, viewer, extensions_of_2025):
    """In March 2025 the extensions already posted for April and June are on the first page."""
    client = logged_in(viewer)

    with clock.today_is(d("2025-03-10")):
        response = client.get(URL)

    report = response.context["report"]
    assert (report.first_month, report.last_month) == (d("2024-10-01"), d("2025-09-01"))
    assert report.total.documents == len(extensions_of_2025) == 5


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        (d("2099-11-20"), d("2099-01-01"), d("2099-12-01")),
        (d("2000-02-15"), d("2000-01-01"), d("2000-12-01")),
    ],
)
def test_near_the_edge_of_the_business_range_the_default_stays_inside_it(day, first, last):
    form = MonthRangeForm({}, today=day)

    assert form.is_valid(), form.errors
    assert (form.first_month, form.last_month) == (first, last)


def test_the_form_accepts_month_dot_year_too(today):
    form = MonthRangeForm({"from_month": "3.2025", "to_month": "2025-04"}, today=today)

    assert form.is_valid(), form.errors
    assert (form.first_month, form.last_month) == (d("2025-03-01"), d("2025-04-01"))


# --- Bad input ------------------------------------------------------------------------


BAD_MONTH = "Введите месяц в формате ММ.ГГГГ, например 11.2026."


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"from_month": "2025-13"}, "from_month", BAD_MONTH),
        ({"from_month": "март"}, "from_month", BAD_MONTH),
        ({"to_month": "2025-1x"}, "to_month", BAD_MONTH),
        ({"to_month": "2025-03-01"}, "to_month", BAD_MONTH),
        ({"to_month": "9" * 500}, "to_month", BAD_MONTH),
        ({"from_month": "0000-01"}, "from_month", "Год — от 2000 до 2099."),
        (
            {"from_month": "2025-06", "to_month": "2025-05"},
            "to_month",
            "«По месяц» не может быть раньше «С месяца».",
        ),
        (
            {"from_month": "2022-01", "to_month": "2025-01"},
            "to_month",
            "Не больше 36 месяцев: сократите период (сейчас 37).",
        ),
    ],
)
def test_bad_input_is_a_400_with_the_message_next_to_its_field(
    logged_in, viewer, extensions_of_2025, params, field, message
):
    response = logged_in(viewer).get(URL, params)

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assertContains(
        response, f'<p class="field-error" id="id_{field}_errors">{message}</p>', status_code=400
    )
    assert "report" not in response.context
    assertNotContains(response, "<svg", status_code=400)


def test_exactly_36_months_is_accepted(logged_in, viewer, extensions_of_2025):
    response = logged_in(viewer).get(URL, {"from_month": "2023-01", "to_month": "2025-12"})

    assert response.status_code == 200
    assert len(response.context["report"].months) == 36


# --- The page -------------------------------------------------------------------------


def test_the_page_shows_a_chart_above_the_table_with_a_totals_row(
    logged_in, viewer, extensions_of_2025
):
    response = logged_in(viewer).get(URL, {"from_month": "2025-01", "to_month": "2025-06"})
    html = response.content.decode()

    assertContains(response, "<h1>Расширения по месяцам</h1>")
    assert html.index("<svg") < html.index('<table class="data-table report-table">')
    # a bar per month and tariff with an amount: March ×2, April, June
    assert html.count('<rect class="bc-bar"') == 4
    assertContains(response, "Дополнительная база</text>")  # the legend
    assertContains(response, "Дополнительный сеанс</text>")
    assert re.search(r'text-anchor="end"[^>]*>0\xa0₸</text>', html)  # the y-axis in tenge
    assertContains(response, '<th scope="row" colspan="2">Итого</th>')
    assertContains(response, "43\xa0499,50\xa0₸")
    assert " style=" not in html  # the CSP allows no inline styles
    assert "<script>" not in html


def test_a_range_without_extensions_says_so_instead_of_a_chart(
    logged_in, viewer, extensions_of_2025
):
    response = logged_in(viewer).get(URL, {"from_month": "2025-08", "to_month": "2025-09"})

    assert response.status_code == 200
    assertContains(response, "проведенных подписок на расширение нет")
    assertNotContains(response, 'class="bc-bar"')
    assertContains(response, '<th scope="row" colspan="2">Итого</th>')


def test_the_layout_links_to_the_report(logged_in, viewer, extensions_of_2025):
    response = logged_in(viewer).get(reverse("home"))

    assertContains(response, f'<a href="{URL}">Расширения по месяцам</a>')
    assertContains(
        logged_in(viewer).get(URL),
        f'<a href="{URL}" aria-current="page">Расширения по месяцам</a>',
    )


def test_the_page_links_to_its_downloads_with_the_range(logged_in, viewer, extensions_of_2025):
    response = logged_in(viewer).get(URL, {"from_month": "2025-01", "to_month": "2025-06"})

    export = reverse("report_extensions_by_month_export")
    assertContains(
        response, f'href="{export}?from_month=2025-01&amp;to_month=2025-06&amp;format=xlsx"'
    )


def test_a_user_without_organization_gets_404_and_anonymous_logs_in(client, logged_in, db):
    from django.contrib.auth import get_user_model

    assert client.get(URL).status_code == 302
    stranger = get_user_model().objects.create_user("stranger", password="secret-pass-123")
    assert logged_in(stranger).get(URL).status_code == 404


@pytest.mark.parametrize(
    "maximum, step",
    [(0, 1000), (120000, 25000), (101000, 25000), (9000, 2000), (43499.5, 10000), (7, 2)],
)
def test_nice_steps(maximum, step):
    assert nice_step(Decimal(str(maximum))) == step


# --- Queries --------------------------------------------------------------------------


# 3 for any logged-in request, the aggregate and the extension tariffs.


EXPECTED_QUERIES = 3 + 2


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize("params", [{}, {"from_month": "2023-01", "to_month": "2025-12"}])
def test_query_count_is_constant(
    logged_in,
    viewer,
    base_two_years_from_2025,
    session_tariff,
    rows,
    params,
    django_assert_num_queries,
):
    for n in range(rows):
        report_extension(
            base_two_years_from_2025,
            session_tariff,
            f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}",
            quantity=1,
        )
    client = logged_in(viewer)

    with django_assert_num_queries(EXPECTED_QUERIES):
        response = client.get(URL, params)

    assert response.status_code == 200
