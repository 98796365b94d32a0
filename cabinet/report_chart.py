"""The bar chart of «Расширения по месяцам»: amounts per month, a bar per tariff.

Geometry only, as `timeline.py`: the template
`subscriptions/includes/report_chart.svg.html` draws it as inline SVG with
presentation attributes and classes (no script, no style attributes). The
y-axis runs from 0 to a round amount in tenge with 4–6 labelled steps.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.utils.translation import gettext as _

from common.formatting import format_tenge
from subscriptions.models import Tariff
from subscriptions.reports import Report, month_label

from .timeline import CHAR_WIDTH, MONTHS

WIDTH = 960
PLOT_LEFT = 96  # room for «1 200 000 ₸»
PLOT_RIGHT = WIDTH - 12
LEGEND_Y = 14
PLOT_TOP = 36
PLOT_HEIGHT = 240
PLOT_BOTTOM = PLOT_TOP + PLOT_HEIGHT
MONTH_LABEL_Y = PLOT_BOTTOM + 18
YEAR_LABEL_Y = PLOT_BOTTOM + 34
HEIGHT = YEAR_LABEL_Y + 10
GROUP_GAP = 0.25  # of a month's width, between months
LEGEND_SWATCH = 12
YEAR_LABEL_WIDTH = 40  # «2026» in 11-unit bold, with a gap
LEGEND_GAP = 24

# Sessions and infobases in the timeline's colours; further tariffs in these.
RESOURCE_COLOURS = {Tariff.Resource.SESSIONS: "#2e7d5b", Tariff.Resource.INFOBASES: "#8a4fb8"}
PALETTE = ("#1f5fae", "#c17d11", "#b42318", "#5d6b7e", "#0f7c8c", "#7a5c2e")


@dataclass
class Series:
    name: str
    colour: str
    swatch_x: float = 0
    text_x: float = 0


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass
class MonthTick:
    x: float
    label: str
    year: str


@dataclass
class AxisTick:
    y: float
    label: str
    is_zero: bool


@dataclass
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    legend_y: int
    series: list
    bars: list
    months: list
    axis: list
    summary: str

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def nice_step(maximum: Decimal, steps: int = 5) -> Decimal:
    """A round step (1, 2, 2.5 or 5 × 10ⁿ tenge) that covers `maximum` in about `steps` steps."""
    if maximum <= 0:
        return Decimal(1000)
    raw = maximum / steps
    magnitude = Decimal(10) ** (len(str(int(raw))) - 1) if raw >= 1 else Decimal(1)
    for factor in (1, 2, Decimal("2.5"), 5, 10):
        step = magnitude * factor
        if step >= raw:
            return step
    return magnitude * 10


def _colours(tariffs) -> list[str]:
    colours, used = [], set()
    spare = iter(PALETTE)
    for tariff in tariffs:
        colour = RESOURCE_COLOURS.get(tariff.resource)
        if colour is None or colour in used:
            colour = next((c for c in spare if c not in used), "#5d6b7e")
        used.add(colour)
        colours.append(colour)
    return colours


def build_chart(report: Report) -> Chart | None:
    """The chart of `report`; None when no extension was posted in its months."""
    if report.total.documents == 0 or not report.tariffs:
        return None
    tariffs = report.tariffs
    colours = _colours(tariffs)

    highest = max(
        (figures.amount for group in report.months for figures in group.by_tariff),
        default=Decimal(0),
    )
    step = nice_step(highest)
    top = step * max(int((highest / step).to_integral_value(rounding=ROUND_CEILING)), 1)

    def y_of(amount) -> float:
        share = float(Decimal(amount) / top) if top else 0.0
        return round(PLOT_BOTTOM - share * PLOT_HEIGHT, 2)

    axis = []
    value = Decimal(0)
    while value <= top:
        axis.append(AxisTick(y_of(value), format_tenge(value), value == 0))
        value += step

    group_width = (PLOT_RIGHT - PLOT_LEFT) / len(report.months)
    inner = group_width * (1 - GROUP_GAP)
    bar_width = inner / len(tariffs)
    label_every = 1 if group_width >= 30 else 2 if group_width >= 16 else 3

    bars, months = [], []
    for index, group in enumerate(report.months):
        left = PLOT_LEFT + index * group_width + (group_width - inner) / 2
        for position, (tariff, figures) in enumerate(zip(tariffs, group.by_tariff, strict=True)):
            if figures.amount <= 0:
                continue
            y = y_of(figures.amount)
            bars.append(
                Bar(
                    x=round(left + position * bar_width, 2),
                    y=y,
                    width=round(max(bar_width - 1, 1), 2),
                    height=round(max(PLOT_BOTTOM - y, 1), 2),
                    colour=colours[position],
                    title=_bar_title(group.month, tariff, figures),
                )
            )
        month = group.month
        labelled = index % label_every == 0
        # The year under each January, and under the first month unless the
        # next January is too close for two labels side by side.
        months_to_january = (13 - month.month) % 12 or 12
        show_year = month.month == 1 or (
            index == 0 and months_to_january * group_width >= YEAR_LABEL_WIDTH
        )
        months.append(
            MonthTick(
                x=round(PLOT_LEFT + (index + 0.5) * group_width, 2),
                label=MONTHS[month.month - 1] if labelled else "",
                year=str(month.year) if show_year else "",
            )
        )

    series = [Series(tariff.name, colour) for tariff, colour in zip(tariffs, colours, strict=True)]
    x = float(PLOT_LEFT)
    for item in series:
        item.swatch_x = round(x, 2)
        item.text_x = round(x + LEGEND_SWATCH + 6, 2)
        x += LEGEND_SWATCH + 6 + len(item.name) * CHAR_WIDTH + LEGEND_GAP

    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=PLOT_LEFT,
        plot_right=PLOT_RIGHT,
        plot_top=PLOT_TOP,
        plot_bottom=PLOT_BOTTOM,
        legend_y=LEGEND_Y,
        series=series,
        bars=bars,
        months=months,
        axis=axis,
        summary=_summary(report),
    )


def _bar_title(month: datetime.date, tariff, figures) -> str:
    return _("%(tariff)s, %(month)s: %(documents)s док., %(quantity)s расш., %(amount)s") % {
        "tariff": tariff.name,
        "month": month_label(month),
        "documents": figures.documents,
        "quantity": figures.quantity,
        "amount": format_tenge(figures.amount),
    }


def _summary(report: Report) -> str:
    return _("Сумма проведенных расширений по месяцам, %(first)s — %(last)s: всего %(amount)s.") % {
        "first": month_label(report.first_month),
        "last": month_label(report.last_month),
        "amount": format_tenge(report.total.amount),
    }
