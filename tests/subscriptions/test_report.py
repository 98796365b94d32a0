"""Report «Расширения по месяцам», the query (subscriptions/reports.py): month edges and
the kept amount. (The page: tests/cabinet/test_report_extensions_by_month.py.)"""

from decimal import Decimal

import pytest

from subscriptions.models import ExtensionSubscription
from subscriptions.reports import extensions_by_month
from tests import factories
from tests.report_figures import d, report_sums


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
def test_month_edges(organization, extensions_of_2025, first, last, expected_documents):
    report = extensions_by_month(organization, d(f"{first}-01"), d(f"{last}-01"))

    assert report.total.documents == expected_documents


def test_the_kept_amount_wins_over_todays_price(organization, extensions_of_2025, session_tariff):
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
