"""Report «Расширения по месяцам»: the organization's posted extensions per
month (of their start) and per tariff — how many documents, how many
sessions or infobases, and the amount in tenge.

One aggregate query (TruncMonth + values + annotate) does the sums in the
database; a second, small one lists the extension tariffs, so that every
month shows every tariff, with zeros where nothing was posted. The amount is
the one kept at posting; a row without it (written before amounts were kept)
counts at its period's price × quantity, as `ExtensionSubscription.current_amount`.
«Не использовано» sums the unused parts kept on extensions ended early (R14:
`unused_amount`, computed once by pricing.unused_amount), for the partner's
settlement with its clients; the amount itself stays as it was kept.
"""

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext, pgettext_lazy

from .models import ExtensionSubscription, Status, Tariff
from .periods import add_months
from .pricing import amount_expression
from .validators import BUSINESS_FIRST_DAY, BUSINESS_LAST_DAY

MAX_MONTHS = 36
DEFAULT_MONTHS = 12
# The months a report may cover: the years of the business range (R18).
MIN_YEAR, MAX_YEAR = BUSINESS_FIRST_DAY.year, BUSINESS_LAST_DAY.year

MONTH_NAMES = (
    pgettext_lazy("month", "январь"),
    pgettext_lazy("month", "февраль"),
    pgettext_lazy("month", "март"),
    pgettext_lazy("month", "апрель"),
    pgettext_lazy("month", "май"),
    pgettext_lazy("month", "июнь"),
    pgettext_lazy("month", "июль"),
    pgettext_lazy("month", "август"),
    pgettext_lazy("month", "сентябрь"),
    pgettext_lazy("month", "октябрь"),
    pgettext_lazy("month", "ноябрь"),
    pgettext_lazy("month", "декабрь"),
)


def month_label(month: datetime.date) -> str:
    """«ноябрь 2026»."""
    return f"{MONTH_NAMES[month.month - 1]} {month.year}"


def months_in(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first days of the months from `first` to `last`, both included."""
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return [add_months(first, n) for n in range(max(count, 0))]


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


# --- The numbers ----------------------------------------------------------------------


@dataclass
class Figures:
    documents: int = 0
    quantity: int = 0
    amount: Decimal = Decimal("0")
    unused: Decimal = Decimal("0")

    def add(self, other: "Figures") -> None:
        self.documents += other.documents
        self.quantity += other.quantity
        self.amount += other.amount
        self.unused += other.unused


@dataclass
class ReportRow:
    """One line of the table: a month and a tariff (or a total: month or tariff None)."""

    month: datetime.date | None
    tariff: Tariff | None
    figures: Figures
    first_of_month: bool = False
    is_total: bool = False

    @property
    def month_label(self) -> str:
        return month_label(self.month) if self.month else ""

    @property
    def tariff_label(self) -> str:
        """The tariff's name; «Итого: <tariff>» or «Итого» on a totals line."""
        if not self.is_total:
            return self.tariff.name if self.tariff else "—"
        if self.tariff is None:
            return gettext("Итого")
        return gettext("Итого: %(tariff)s") % {"tariff": self.tariff.name}


@dataclass
class MonthGroup:
    month: datetime.date
    by_tariff: list[Figures]  # in the order of Report.tariffs
    total: Figures = field(default_factory=Figures)

    @property
    def label(self) -> str:
        return month_label(self.month)


@dataclass
class Report:
    first_month: datetime.date
    last_month: datetime.date
    tariffs: list[Tariff]
    months: list[MonthGroup]
    tariff_totals: list[Figures]
    total: Figures

    def rows(self) -> list[ReportRow]:
        """The table's body: each month, a line per tariff (one line when there is none)."""
        rows = []
        for group in self.months:
            if not self.tariffs:
                rows.append(ReportRow(group.month, None, group.total, first_of_month=True))
            for index, (tariff, figures) in enumerate(
                zip(self.tariffs, group.by_tariff, strict=True)
            ):
                rows.append(ReportRow(group.month, tariff, figures, first_of_month=index == 0))
        return rows

    def table(self) -> list[tuple[str, list[ReportRow]]]:
        """The body grouped by month, for a table with one <tbody> per month."""
        rows = self.rows()
        size = self.rows_per_month
        return [
            (month_label(rows[start].month), rows[start : start + size])
            for start in range(0, len(rows), size)
        ]

    def total_rows(self) -> list[ReportRow]:
        """Totals per tariff (when there are several), then the grand total."""
        rows = []
        if len(self.tariffs) > 1:
            rows = [
                ReportRow(None, tariff, figures, is_total=True)
                for tariff, figures in zip(self.tariffs, self.tariff_totals, strict=True)
            ]
        rows.append(ReportRow(None, None, self.total, is_total=True))
        return rows

    @property
    def rows_per_month(self) -> int:
        return max(len(self.tariffs), 1)

    @property
    def months_count(self) -> int:
        return len(self.months)


def extensions_by_month(organization, first_month: datetime.date, last_month: datetime.date):
    """The report for the months from `first_month` to `last_month` (first days), two queries."""
    money = DecimalField(max_digits=16, decimal_places=2)
    amount = amount_expression(ExtensionSubscription)
    sums = (
        ExtensionSubscription.objects.for_organization(organization)
        .filter(status=Status.POSTED, starts_on__range=(first_month, month_end(last_month)))
        .annotate(month=TruncMonth("starts_on"))
        .values("month", "tariff_id")
        .annotate(
            # Names that are not fields: an annotation would shadow a field of
            # the same name in the expressions after it.
            total_documents=Count("pk"),
            total_quantity=Sum("quantity"),
            total_amount=Sum(amount, output_field=money),
            total_unused=Sum("unused_amount", output_field=money),
        )
        .order_by("month", "tariff_id")
    )
    found = {}
    for row in sums:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        found[(month, row["tariff_id"])] = Figures(
            row["total_documents"],
            row["total_quantity"] or 0,
            Decimal(row["total_amount"] or 0),
            Decimal(row["total_unused"] or 0),
        )

    used = {tariff_id for _month, tariff_id in found}
    tariffs = [
        tariff
        for tariff in Tariff.objects.filter(
            Q(is_active=True) | Q(pk__in=used), kind=Tariff.Kind.EXTENSION
        ).order_by("name", "pk")
    ]
    tariff_totals = [Figures() for _tariff in tariffs]
    total = Figures()
    months = []
    for month in months_in(first_month, last_month):
        group = MonthGroup(month, [])
        for index, tariff in enumerate(tariffs):
            figures = found.get((month, tariff.pk), Figures())
            group.by_tariff.append(figures)
            group.total.add(figures)
            tariff_totals[index].add(figures)
        total.add(group.total)
        months.append(group)
    return Report(first_month, last_month, tariffs, months, tariff_totals, total)
