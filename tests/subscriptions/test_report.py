"""Report «Расширения по месяцам»: sums against the posted documents, month
edges, the range form, the chart and a constant number of queries."""

import datetime
import re
from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from cabinet.forms.reports import MonthRangeForm
from cabinet.report_chart import nice_step
from subscriptions.models import ExtensionSubscription, Status
from subscriptions.periods import Periodicity, add_months
from subscriptions.reports import extensions_by_month
from tests import factories

URL = reverse("report_extensions_by_month")
DAY = datetime.timedelta(days=1)


def logged_in(client, user):
    client.force_login(user)
    return client


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@pytest.fixture
def base(subscriber, base_tariff):
    """A posted base for all of 2025 and 2026 (the report does not look at today)."""
    two_years = factories.TariffPeriodFactory(
        tariff=base_tariff, periodicity=Periodicity.YEAR, count=2, price=200000
    )
    return factories.SubscriptionFactory(
        subscriber=subscriber, tariff=base_tariff, period=two_years, starts_on=d("2025-01-01")
    )


def extension(base, tariff, starts_on, *, quantity=1, count=1, status=Status.POSTED, amount=None):
    return factories.ExtensionFactory(
        subscription=base,
        tariff=tariff,
        period=tariff.periods.get(periodicity=Periodicity.MONTH, count=count),
        starts_on=d(starts_on),
        quantity=quantity,
        status=status,
        amount=amount,
    )


@pytest.fixture
def documents(base, session_tariff, infobase_tariff, other_organization, base_tariff):
    """Posted extensions over a few months, with and without a kept amount; a
    draft; another partner's extension."""
    docs = [
        # March 2025: both tariffs, one with a kept amount that differs from today's price
        extension(base, session_tariff, "2025-03-01", quantity=2, amount=Decimal("5000")),
        extension(base, session_tariff, "2025-03-31", quantity=3),  # 3 000 × 3
        extension(base, infobase_tariff, "2025-03-15", quantity=1, count=3),  # 5 500
        # April 2025, from its first day
        extension(base, session_tariff, "2025-04-01", quantity=1, count=6),  # 16 000
        # June 2025
        extension(base, infobase_tariff, "2025-06-30", quantity=4, amount=Decimal("7999.50")),
    ]
    extension(base, session_tariff, "2025-03-10", quantity=9, status=Status.DRAFT)
    foreign_base = factories.SubscriptionFactory(
        subscriber=factories.SubscriberFactory(organization=other_organization),
        tariff=base_tariff,
        period=base.period,
        starts_on=d("2025-01-01"),
    )
    extension(foreign_base, session_tariff, "2025-03-05", quantity=7)
    return docs


def expected_sums(organization, first, last):
    """The report's numbers computed in Python from the documents themselves."""
    sums = defaultdict(lambda: [0, 0, Decimal(0)])
    for doc in ExtensionSubscription.objects.filter(
        subscription__subscriber__organization=organization,
        status=Status.POSTED,
        starts_on__gte=first,
        starts_on__lte=add_months(last, 1) - DAY,
    ).select_related("period", "tariff"):
        key = (doc.starts_on.replace(day=1), doc.tariff.name)
        sums[key][0] += 1
        sums[key][1] += doc.quantity
        sums[key][2] += doc.current_amount
    return {key: tuple(value) for key, value in sums.items()}


def report_sums(report):
    return {
        (row.month, row.tariff.name): (
            row.figures.documents,
            row.figures.quantity,
            row.figures.amount,
        )
        for row in report.rows()
        if row.figures.documents
    }


# --- The numbers ------------------------------------------------------------------------


def test_sums_match_the_posted_documents(client, viewer, organization, documents):
    response = logged_in(client, viewer).get(URL, {"from_month": "2025-01", "to_month": "2025-12"})

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
    client, viewer, other_operator, documents, session_tariff
):
    mine = logged_in(client, viewer).get(URL, {"from_month": "2025-03", "to_month": "2025-03"})
    theirs = logged_in(client, other_operator).get(
        URL, {"from_month": "2025-03", "to_month": "2025-03"}
    )

    march = report_sums(mine.context["report"])[(d("2025-03-01"), "Дополнительный сеанс")]
    assert march[0] == 2  # not the draft × 9, not the other partner's × 7
    assert report_sums(theirs.context["report"]) == {
        (d("2025-03-01"), "Дополнительный сеанс"): (1, 7, Decimal("21000")),
    }


def test_months_without_extensions_show_zeros(client, viewer, documents):
    response = logged_in(client, viewer).get(URL, {"from_month": "2025-01", "to_month": "2025-12"})

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
    "first, last, expected_documents",
    [
        ("2025-03", "2025-03", 3),  # 01.03 and 31.03 are March; 01.04 is not
        ("2025-04", "2025-04", 1),  # 01.04 only; 31.03 is not April
        ("2025-04", "2025-06", 2),  # 30.06 is the range's last day
        ("2025-02", "2025-02", 0),
        ("2025-07", "2025-12", 0),
    ],
)
def test_month_edges(organization, documents, first, last, expected_documents):
    report = extensions_by_month(organization, d(f"{first}-01"), d(f"{last}-01"))

    assert report.total.documents == expected_documents


def test_the_kept_amount_wins_over_todays_price(organization, documents, session_tariff):
    session_tariff.periods.filter(count=1).update(price=99999)

    report = extensions_by_month(organization, d("2025-03-01"), d("2025-03-01"))

    sessions = report_sums(report)[(d("2025-03-01"), "Дополнительный сеанс")]
    # the kept 5 000 stays; the one without a kept amount counts at today's price
    assert sessions[2] == Decimal("5000") + 99999 * 3


def test_an_extension_posted_through_the_service_counts_at_its_kept_amount(
    organization, operator, subscriber, base_tariff, session_tariff, today
):
    from subscriptions import services

    base = factories.SubscriptionFactory(
        subscriber=subscriber, tariff=base_tariff, period=base_tariff.periods.get(count=12)
    )
    posted = services.extension_save(
        extension=ExtensionSubscription(
            subscription=base,
            tariff=session_tariff,
            period=session_tariff.periods.get(count=1),
            starts_on=today,
            quantity=4,
        ),
        user=operator,
        post=True,
    )
    session_tariff.periods.filter(count=1).update(price=1)

    month = today.replace(day=1)
    report = extensions_by_month(organization, month, month)

    assert posted.amount == Decimal("12000")
    assert report.total.amount == Decimal("12000")


def test_the_default_range_is_the_last_twelve_months(client, viewer, documents, today):
    response = logged_in(client, viewer).get(URL)

    report = response.context["report"]
    current = today.replace(day=1)
    assert report.last_month == current
    assert report.first_month == add_months(current, -11)
    assert len(report.months) == 12
    assertContains(response, f'value="{current:%Y-%m}"')


def test_the_form_accepts_month_dot_year_too(today):
    form = MonthRangeForm({"from_month": "3.2025", "to_month": "2025-04"}, today=today)

    assert form.is_valid(), form.errors
    assert (form.first_month, form.last_month) == (d("2025-03-01"), d("2025-04-01"))


# --- Bad input ------------------------------------------------------------------------------

BAD_MONTH = "Введите месяц в формате ГГГГ-ММ, например 2026-11."


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"from_month": "2025-13"}, "from_month", BAD_MONTH),
        ({"from_month": "март"}, "from_month", BAD_MONTH),
        ({"to_month": "2025-1x"}, "to_month", BAD_MONTH),
        ({"to_month": "2025-03-01"}, "to_month", BAD_MONTH),
        ({"to_month": "9" * 500}, "to_month", BAD_MONTH),
        ({"from_month": "0000-01"}, "from_month", "Год — от 1900 до 2999."),
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
    client, viewer, documents, params, field, message
):
    response = logged_in(client, viewer).get(URL, params)

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assertContains(
        response, f'<p class="field-error" id="id_{field}_errors">{message}</p>', status_code=400
    )
    assert "report" not in response.context
    assertNotContains(response, "<svg", status_code=400)


def test_exactly_36_months_is_accepted(client, viewer, documents):
    response = logged_in(client, viewer).get(URL, {"from_month": "2023-01", "to_month": "2025-12"})

    assert response.status_code == 200
    assert len(response.context["report"].months) == 36


# --- The page -------------------------------------------------------------------------------


def test_the_page_shows_a_chart_above_the_table_with_a_totals_row(client, viewer, documents):
    response = logged_in(client, viewer).get(URL, {"from_month": "2025-01", "to_month": "2025-06"})
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


def test_a_range_without_extensions_says_so_instead_of_a_chart(client, viewer, documents):
    response = logged_in(client, viewer).get(URL, {"from_month": "2025-08", "to_month": "2025-09"})

    assert response.status_code == 200
    assertContains(response, "проведенных подписок на расширение нет")
    assertNotContains(response, 'class="bc-bar"')
    assertContains(response, '<th scope="row" colspan="2">Итого</th>')


def test_the_layout_links_to_the_report(client, viewer, documents):
    response = logged_in(client, viewer).get(reverse("home"))

    assertContains(response, f'<a href="{URL}">Расширения по месяцам</a>')
    assertContains(
        logged_in(client, viewer).get(URL),
        f'<a href="{URL}" aria-current="page">Расширения по месяцам</a>',
    )


def test_the_page_links_to_its_downloads_with_the_range(client, viewer, documents):
    response = logged_in(client, viewer).get(URL, {"from_month": "2025-01", "to_month": "2025-06"})

    export = reverse("report_extensions_by_month_export")
    assertContains(
        response, f'href="{export}?from_month=2025-01&amp;to_month=2025-06&amp;format=xlsx"'
    )


def test_a_user_without_organization_gets_404_and_anonymous_logs_in(client, db):
    from django.contrib.auth import get_user_model

    assert client.get(URL).status_code == 302
    stranger = get_user_model().objects.create_user("stranger", password="secret-pass-123")
    assert logged_in(client, stranger).get(URL).status_code == 404


@pytest.mark.parametrize(
    "maximum, step",
    [(0, 1000), (120000, 25000), (101000, 25000), (9000, 2000), (43499.5, 10000), (7, 2)],
)
def test_nice_steps(maximum, step):
    assert nice_step(Decimal(str(maximum))) == step


# --- Queries --------------------------------------------------------------------------------

# 3 for any logged-in request, the aggregate and the extension tariffs.
EXPECTED_QUERIES = 3 + 2


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize("params", [{}, {"from_month": "2023-01", "to_month": "2025-12"}])
def test_query_count_is_constant(
    client, viewer, base, session_tariff, rows, params, django_assert_num_queries
):
    for n in range(rows):
        extension(base, session_tariff, f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}", quantity=1)
    client = logged_in(client, viewer)

    with django_assert_num_queries(EXPECTED_QUERIES):
        response = client.get(URL, params)

    assert response.status_code == 200
