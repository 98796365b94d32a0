"""Report «Расширения по месяцам»: its data and its numbers, read two ways.

`report_sums` reads the report; `expected_sums` adds up the documents
themselves, so a test compares the report with the rows it summarizes.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from subscriptions.models import ExtensionSubscription, Status
from subscriptions.periods import Periodicity, add_months
from tests import factories

DAY = datetime.timedelta(days=1)


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def report_extension(
    base, tariff, starts_on, *, quantity=1, count=1, status=Status.POSTED, amount=None
):
    """An extension of `count` months from `starts_on` (ISO text), as the report reads it.

    `amount` is the kept amount; None makes a posted row written before amounts
    were kept, which the report counts at today's price.
    """
    extension = factories.ExtensionFactory(
        subscription=base,
        tariff=tariff,
        period=tariff.periods.get(periodicity=Periodicity.MONTH, count=count),
        starts_on=d(starts_on),
        quantity=quantity,
        status=status,
        amount=amount,
    )
    if amount is None and extension.amount is not None:
        ExtensionSubscription.objects.filter(pk=extension.pk).update(unit_price=None, amount=None)
        extension.refresh_from_db()
    return extension


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
    """{(month, tariff name): (documents, quantity, amount)} of the months with documents."""
    return {
        (row.month, row.tariff.name): (
            row.figures.documents,
            row.figures.quantity,
            row.figures.amount,
        )
        for row in report.rows()
        if row.figures.documents
    }
