"""The timeline picture of a base subscription and its extensions.

Geometry only: days become x coordinates, documents become bars in lanes,
months become ticks. The template `subscriptions/includes/timeline.svg.html`
draws it as inline SVG (presentation attributes and classes, no script, no
inline styles), so the page needs no JavaScript to show it.

A bar covers its days inclusively: from the start of `starts_on` to the end of
`ends_on`. Extensions that do not overlap (with their labels) share a lane, so
a base with many consecutive monthly extensions stays compact.

The what-if picture of the extension form adds a *proposed* extension — the
one being typed, not saved — in a lane of its own right under the base, drawn
hatched and dashed and named «новое расширение», so it is never mistaken for a
document. Its dates come from the form (periods.py through the model); this
module only places them. Its stored extensions are not links there: a click on
the picture never leaves the form being typed.

On the base card each extension's bar is a link to its card, so the picture is
a group of links (role="group"); without links it is an image (role="img"), see
`Timeline.has_links`.
"""

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from common.formatting import fmt
from subscriptions.models import Status

WIDTH = 960
PAD_X = 12
PLOT_LEFT = PAD_X
PLOT_RIGHT = WIDTH - PAD_X
AXIS_LABEL_Y = 16
PLOT_TOP = 26
BASE_LABEL_Y = PLOT_TOP + 14
BASE_BAR_Y = PLOT_TOP + 20
BASE_BAR_HEIGHT = 20
LANE_TOP = BASE_BAR_Y + BASE_BAR_HEIGHT + 12
LANE_HEIGHT = 36
LANE_LABEL_DY = 12
LANE_BAR_DY = 17
LANE_BAR_HEIGHT = 12
BOTTOM = 30
CHAR_WIDTH = 6.6  # an estimate of a 12-unit glyph of the page's sans-serif font
LABEL_GAP = 10
# A proposed extension further than this from its base is not drawn: the form's
# errors say what is wrong, and a picture spanning centuries says nothing.
PROPOSED_MARGIN = datetime.timedelta(days=400)

MONTHS = (
    pgettext_lazy("month abbreviation", "янв"),
    pgettext_lazy("month abbreviation", "фев"),
    pgettext_lazy("month abbreviation", "мар"),
    pgettext_lazy("month abbreviation", "апр"),
    pgettext_lazy("month abbreviation", "май"),
    pgettext_lazy("month abbreviation", "июн"),
    pgettext_lazy("month abbreviation", "июл"),
    pgettext_lazy("month abbreviation", "авг"),
    pgettext_lazy("month abbreviation", "сен"),
    pgettext_lazy("month abbreviation", "окт"),
    pgettext_lazy("month abbreviation", "ноя"),
    pgettext_lazy("month abbreviation", "дек"),
)


@dataclass
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: Label
    title: str
    href: str = ""
    lane: int = 0


@dataclass
class Tick:
    x: float
    label: str
    major: bool
    anchor: str = "middle"
    line: bool = True  # False: a label only (the first month's, at the left edge)


@dataclass(frozen=True)
class ProposedExtension:
    """An extension as the form would write it: its tariff, quantity and days, and
    whether it would lie outside its base (decided by the rule, R4/R5, not here)."""

    tariff: object
    quantity: int
    starts_on: datetime.date
    ends_on: datetime.date
    outside_base: bool = False


@dataclass
class Timeline:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    base: Bar
    elapsed: tuple | None  # (x, width) of the base's part already lived
    bars: list
    ticks: list
    today_x: float | None
    today_label: Label | None
    summary: str
    proposed: Bar | None = None

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def has_links(self) -> bool:
        """Whether bars lead to their cards: the picture is then a group of links,
        else an image (an image holds nothing focusable)."""
        return any(bar.href for bar in self.bars)


def short_tariff_name(name: str) -> str:
    """«Дополнительный сеанс» → «Доп. сеанс»: the bar labels stay short."""
    first, _sep, rest = name.partition(" ")
    if rest and first.lower().startswith("дополнительн"):
        return f"Доп. {rest}"
    return name


def _text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


class _Scale:
    def __init__(self, first: datetime.date, last: datetime.date):
        self.first = first
        self.days = (last - first).days + 1

    def x(self, day: datetime.date) -> float:
        share = (day - self.first).days / self.days
        return round(PLOT_LEFT + share * (PLOT_RIGHT - PLOT_LEFT), 2)

    def span(self, starts_on: datetime.date, ends_on: datetime.date) -> tuple[float, float]:
        left = self.x(starts_on)
        right = self.x(ends_on + datetime.timedelta(days=1))
        return left, max(right - left, 1.5)


def _place_label(text: str, bar_x: float, bar_width: float, y: float) -> Label:
    """Start the label at the bar; end it at the bar's end when it would leave the picture."""
    width = _text_width(text)
    if bar_x + width <= PLOT_RIGHT:
        return Label(bar_x, y, text, "start")
    right = bar_x + bar_width
    if right - width >= PLOT_LEFT:
        return Label(right, y, text, "end")
    return Label(PLOT_RIGHT, y, text, "end")


def _label_extent(label: Label) -> tuple[float, float]:
    width = _text_width(label.text)
    if label.anchor == "end":
        return label.x - width, label.x
    return label.x, label.x + width


def _next_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _ticks(first: datetime.date, last: datetime.date, scale: _Scale) -> list[Tick]:
    """A line at each month's first day after `first`, every (or every 3rd, 12th)
    month named there; the first month is named at the left edge, with its year.

    A month's name that would run into the first month's is left out (its line
    stays); a year it carried goes to the next name.
    """
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    every = 1 if months <= 15 else 3 if months <= 40 else 12
    first_text = f"{MONTHS[first.month - 1]} {first.year}"
    ticks = [Tick(PLOT_LEFT, first_text, False, "start", line=False)]
    free_from = PLOT_LEFT + _text_width(first_text) + LABEL_GAP
    year_owed = False
    day = _next_month(first)
    while day <= last:
        text = ""
        if (day.month - 1) % every == 0:
            text = str(MONTHS[day.month - 1])
            if day.month == 1 or year_owed:
                text = f"{text} {day.year}"
        x = scale.x(day)
        anchor = "middle"
        if x - _text_width(text) / 2 < PLOT_LEFT:
            anchor = "start"
        elif x + _text_width(text) / 2 > PLOT_RIGHT:
            anchor = "end"
        if text:
            width = _text_width(text)
            left = {"start": x, "end": x - width}.get(anchor, x - width / 2)
            crowded = left < free_from
            year_owed = crowded and str(day.year) in text
            if crowded:
                text = ""
        ticks.append(Tick(x, text, day.month == 1, anchor))
        day = _next_month(day)
    return ticks


def _summary(base, today: datetime.date) -> str:
    if today < base.starts_on:
        days = (base.starts_on - today).days
        return _("Подписка начнется %(day)s (через %(days)s дн.); действует по %(end)s.") % {
            "day": fmt(base.starts_on),
            "days": days,
            "end": fmt(base.ends_on),
        }
    if today > base.ends_on:
        return _(
            "Подписка закончилась %(end)s: расширения к ней уже не проводятся. Оформите "
            "абоненту новую подписку на тариф и расширение к ней."
        ) % {"end": fmt(base.ends_on)}
    left = (base.ends_on - today).days + 1
    return _(
        "Сегодня %(today)s. До окончания подписки (по %(end)s включительно) осталось "
        "%(left)s дн.: расширение, начатое сегодня, должно закончиться не позже %(end)s."
    ) % {"today": fmt(today), "end": fmt(base.ends_on), "left": left}


def draft_mark() -> str:
    return _("черновик")


def is_drawable(base, proposed: ProposedExtension) -> bool:
    """Whether `proposed` lies near enough to `base` to be drawn beside it."""
    return (
        proposed.starts_on >= base.starts_on - PROPOSED_MARGIN
        and proposed.ends_on <= base.ends_on + PROPOSED_MARGIN
    )


def _proposed_text(proposed: ProposedExtension) -> str:
    return _("новое расширение: %(tariff)s × %(quantity)s · %(start)s – %(end)s") % {
        "tariff": short_tariff_name(proposed.tariff.name),
        "quantity": proposed.quantity,
        "start": fmt(proposed.starts_on),
        "end": fmt(proposed.ends_on),
    }


def _proposed_summary(proposed: ProposedExtension) -> str:
    text = _(
        "Новое расширение (еще не записано): %(tariff)s × %(quantity)s с %(start)s по %(end)s."
    ) % {
        "tariff": proposed.tariff.name,
        "quantity": proposed.quantity,
        "start": fmt(proposed.starts_on),
        "end": fmt(proposed.ends_on),
    }
    if proposed.outside_base:
        text = f"{text} " + _("Оно выходит за срок подписки на тариф.")
    return text


def build_timeline(
    base, extensions, today: datetime.date, proposed: ProposedExtension | None = None
) -> Timeline:
    """The picture of `base` and its `extensions` (any order), with today marked.

    `proposed`, when given (and near the base, see `is_drawable`), is drawn as
    the new extension in the first lane under the base.
    """
    extensions = sorted(extensions, key=lambda e: (e.starts_on, e.pk))
    if proposed is not None and not is_drawable(base, proposed):
        proposed = None
    shown = [*extensions, *([proposed] if proposed else [])]
    first = min([base.starts_on, *(e.starts_on for e in shown)])
    last = max([base.ends_on, *(e.ends_on for e in shown)])
    scale = _Scale(first, last)

    base_x, base_width = scale.span(base.starts_on, base.ends_on)
    base_text = _("%(tariff)s · № %(number)s · %(start)s – %(end)s") % {
        "tariff": base.tariff.name,
        "number": base.number,
        "start": fmt(base.starts_on),
        "end": fmt(base.ends_on),
    }
    if not base.is_posted:
        base_text = f"{base_text} · {draft_mark()}"
    base_bar = Bar(
        base_x,
        BASE_BAR_Y,
        base_width,
        BASE_BAR_HEIGHT,
        "tl-bar tl-bar--base" + ("" if base.is_posted else " is-draft"),
        _place_label(base_text, base_x, base_width, BASE_LABEL_Y),
        base_text,
    )

    # Per lane: where its last bar and its last label end. Labels sit on their
    # own line above the bars, so bars only meet bars and labels only labels.
    lanes: list[tuple[float, float]] = []
    bars = []
    proposed_bar = None
    if proposed is not None:
        # Lane 0 is the new extension's alone: nothing else is placed after it.
        lanes.append((float("inf"), float("inf")))
        x, width = scale.span(proposed.starts_on, proposed.ends_on)
        text = _proposed_text(proposed)
        label = _place_label(text, x, width, LANE_TOP + LANE_LABEL_DY)
        css = "tl-bar tl-bar--proposed tl-bar--" + (proposed.tariff.resource or "other")
        if proposed.outside_base:
            css += " is-outside"
        proposed_bar = Bar(
            x,
            LANE_TOP + LANE_BAR_DY,
            width,
            LANE_BAR_HEIGHT,
            css,
            label,
            _proposed_summary(proposed),
        )
    for extension in extensions:
        x, width = scale.span(extension.starts_on, extension.ends_on)
        text = (
            f"{short_tariff_name(extension.tariff.name)} × {extension.quantity} · "
            f"{fmt(extension.starts_on)} – {fmt(extension.ends_on)}"
        )
        if extension.status != Status.POSTED:
            text = f"{text} · {draft_mark()}"
        label = _place_label(text, x, width, 0)
        label_left, label_right = _label_extent(label)
        lane = next(
            (
                i
                for i, (bar_end, label_end) in enumerate(lanes)
                if bar_end <= x + 0.01 and label_end + LABEL_GAP <= label_left
            ),
            len(lanes),
        )
        if lane == len(lanes):
            lanes.append((x + width, label_right))
        else:
            lanes[lane] = (x + width, label_right)
        top = LANE_TOP + lane * LANE_HEIGHT
        label.y = top + LANE_LABEL_DY
        css = "tl-bar tl-bar--ext tl-bar--" + (extension.tariff.resource or "other")
        if extension.status != Status.POSTED:
            css += " is-draft"
        bars.append(
            Bar(
                x,
                top + LANE_BAR_DY,
                width,
                LANE_BAR_HEIGHT,
                css,
                label,
                _("№ %(number)s: %(text)s") % {"number": extension.number, "text": text},
                # In the what-if the picture is part of a form being typed: no bar leads away.
                "" if proposed is not None else reverse("extension_detail", args=[extension.pk]),
                lane,
            )
        )

    plot_bottom = LANE_TOP + max(len(lanes), 1) * LANE_HEIGHT - 4
    if not lanes:
        plot_bottom = BASE_BAR_Y + BASE_BAR_HEIGHT + 10
    height = plot_bottom + BOTTOM

    today_x = today_label = elapsed = None
    if first <= today <= last:
        today_x = scale.x(today)
        text = _("Сегодня %(day)s") % {"day": fmt(today)}
        width = _text_width(text)
        anchor = "middle"
        label_x = today_x
        if today_x - width / 2 < PLOT_LEFT:
            anchor, label_x = "start", PLOT_LEFT
        elif today_x + width / 2 > PLOT_RIGHT:
            anchor, label_x = "end", PLOT_RIGHT
        today_label = Label(label_x, plot_bottom + 18, text, anchor)
    if today > base.starts_on:
        lived_until = min(today, base.ends_on + datetime.timedelta(days=1))
        elapsed = (base_x, round(scale.x(lived_until) - base_x, 2))

    summary = _summary(base, today)
    if proposed is not None:
        summary = f"{summary} {_proposed_summary(proposed)}"
    return Timeline(
        width=WIDTH,
        height=height,
        plot_top=PLOT_TOP,
        plot_bottom=plot_bottom,
        base=base_bar,
        elapsed=elapsed,
        bars=bars,
        ticks=_ticks(first, last, scale),
        today_x=today_x,
        today_label=today_label,
        summary=summary,
        proposed=proposed_bar,
    )
