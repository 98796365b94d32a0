"""The picture of `benchmarks.run --scale sizes`: each page's cost against the partner's size.

Plain SVG written here (no plotting library): two panels over the partner's
subscribers on a log scale — the p50 in milliseconds, and the p50 over the
smallest partner's (the median of the per-round ratios, with the target 1.5×
dashed) — one line per page, so flat lines read as «does not grow» and the
one that climbs stands out.
"""

import math
from html import escape
from pathlib import Path

WIDTH = 1000
PANEL_WIDTH = 400
PANEL_HEIGHT = 300
TOP = 86
LEFT = 70
GAP = 100
LEGEND_ROW = 18
TARGET_RATIO = 1.5
# Distinguishable on white and for common colour blindness (Okabe–Ito, then Tol).
PALETTE = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
    "#882255", "#44AA99", "#999933", "#AA4499", "#117733", "#661100", "#6699CC",
)  # fmt: skip


def recorded_path(directory: Path, vendor: str) -> Path:
    """The committed picture: `sizes.svg` for PostgreSQL (what the targets are about),
    `sizes-sqlite.svg` beside it."""
    return directory / ("sizes.svg" if vendor == "postgresql" else f"sizes-{vendor}.svg")


def _nice_ceiling(value: float) -> float:
    """1, 1.5, 2, 2.5, 3, 4 or 5 × a power of ten, at or above `value` (five even ticks)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _ticks(top: float) -> list[float]:
    step = top / 5
    return [round(step * i, 6) for i in range(6)]


def _number(value: float) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u202f")


class _Panel:
    def __init__(self, x0, sizes, top_value):
        self.x0 = x0
        self.y0 = TOP
        self.low, self.high = math.log10(min(sizes)), math.log10(max(sizes))
        self.top_value = top_value

    def x(self, size) -> float:
        span = (self.high - self.low) or 1
        return self.x0 + 20 + (math.log10(size) - self.low) / span * (PANEL_WIDTH - 40)

    def y(self, value) -> float:
        return self.y0 + PANEL_HEIGHT - value / self.top_value * PANEL_HEIGHT

    def frame(self, sizes, title, unit, out) -> None:
        out.append(
            f'<text x="{self.x0}" y="{self.y0 - 14}" class="panel-title">{escape(title)}</text>'
        )
        for tick in _ticks(self.top_value):
            y = self.y(tick)
            out.append(
                f'<line x1="{self.x0}" y1="{y:.1f}" x2="{self.x0 + PANEL_WIDTH}" y2="{y:.1f}" '
                'class="grid"/>'
            )
            out.append(
                f'<text x="{self.x0 - 8}" y="{y + 4:.1f}" class="tick" text-anchor="end">'
                f"{_number(tick)}{unit}</text>"
            )
        for size in sizes:
            x = self.x(size)
            out.append(
                f'<line x1="{x:.1f}" y1="{self.y0}" x2="{x:.1f}" '
                f'y2="{self.y0 + PANEL_HEIGHT}" class="grid"/>'
            )
            out.append(
                f'<text x="{x:.1f}" y="{self.y0 + PANEL_HEIGHT + 18}" class="tick" '
                f'text-anchor="middle">{_number(size)}</text>'
            )
        out.append(
            f'<text x="{self.x0 + PANEL_WIDTH / 2}" y="{self.y0 + PANEL_HEIGHT + 38}" '
            'class="axis" text-anchor="middle">subscribers of the partner (log scale)</text>'
        )


def _line(panel, points, color, wide, out, label) -> None:
    coords = " ".join(f"{panel.x(size):.1f},{panel.y(value):.1f}" for size, value in points)
    width = 3 if wide else 1.6
    out.append(
        f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="{width}">'
        f"<title>{escape(label)}</title></polyline>"
    )
    for size, value in points:
        out.append(
            f'<circle cx="{panel.x(size):.1f}" cy="{panel.y(value):.1f}" r="3" fill="{color}">'
            f"<title>{escape(label)}: {_number(value)}</title></circle>"
        )


def draw_sizes(result: dict) -> str:
    """The SVG document for a run's `sizes` part (see the module's docstring)."""
    meta, sized = result["meta"], result["sizes"]
    sizes = [partner["subscribers"] for partner in sized["partners"]]
    smallest, biggest = min(sizes), max(sizes)
    pages = [row for row in sized["pages"] if row.get("partners") and not row.get("reference")]
    series = []
    for index, row in enumerate(pages):
        by_size = {figures["subscribers"]: figures for figures in row["partners"].values()}
        p50 = [(size, by_size[size]["p50_ms"]) for size in sizes if size in by_size]
        ratios = [(smallest, 1.0)] + [
            (row["partners"][label]["subscribers"], ratio["median"])
            for label, ratio in row.get("ratios", {}).items()
        ]
        ratios.sort()
        last = ratios[-1][1]
        series.append(
            {
                "name": row["name"],
                "color": PALETTE[index % len(PALETTE)],
                "p50": p50,
                "ratios": ratios,
                "last_ratio": last,
                "missed": last > TARGET_RATIO,
            }
        )
    top_ms = _nice_ceiling(max((v for s in series for _, v in s["p50"]), default=1) * 1.05)
    top_ratio = _nice_ceiling(
        max([TARGET_RATIO * 1.2] + [v for s in series for _, v in s["ratios"]]) * 1.05
    )
    left = _Panel(LEFT, sizes, top_ms)
    right = _Panel(LEFT + PANEL_WIDTH + GAP, sizes, top_ratio)
    legend_top = TOP + PANEL_HEIGHT + 70
    legend_rows = math.ceil(len(series) / 2)
    height = legend_top + legend_rows * LEGEND_ROW + 40
    machine = meta["machine"]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" role="img" '
        'aria-labelledby="title desc">',
        "<style>.panel-title{font-size:14px;font-weight:bold}.tick{font-size:11px;fill:#444}"
        ".axis{font-size:12px;fill:#444}.grid{stroke:#ddd;stroke-width:1}"
        ".legend{font-size:12px}.note{font-size:11px;fill:#555}</style>",
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
        '<text id="title" x="20" y="26" font-size="16" font-weight="bold">'
        "Cabinet pages against the partner's size — "
        f"{escape(machine['database'])}</text>",
        f'<text id="desc" x="20" y="46" class="note">In-process p50 of {sized["rounds"]} × '
        f"{sized['per_round']} requests per page and partner, partners interleaved; "
        f"{escape(meta['started_at'])}, {machine['cores']} cores. Right: p50 over the "
        f"{_number(smallest)}-subscriber partner's (median of the rounds).</text>",
    ]
    left.frame(sizes, "p50, ms", "", out)
    right.frame(sizes, f"p50 ÷ p50 at {_number(smallest)}", "×", out)
    target_y = right.y(TARGET_RATIO)
    out.append(
        f'<line x1="{right.x0}" y1="{target_y:.1f}" x2="{right.x0 + PANEL_WIDTH}" '
        f'y2="{target_y:.1f}" stroke="#c00" stroke-width="1.5" stroke-dasharray="6 4"/>'
    )
    out.append(
        f'<text x="{right.x0 + 6}" y="{target_y - 6:.1f}" class="tick" '
        f'fill="#c00">target {_number(TARGET_RATIO)}×</text>'
    )
    for item in series:
        _line(left, item["p50"], item["color"], item["missed"], out, item["name"])
        _line(right, item["ratios"], item["color"], item["missed"], out, item["name"])
    column_width = WIDTH / 2 - 20
    for index, item in enumerate(series):
        column, row = divmod(index, legend_rows)
        x = 20 + column * column_width
        y = legend_top + row * LEGEND_ROW
        mark = " — missed" if item["missed"] else ""
        out.append(
            f'<line x1="{x}" y1="{y - 4}" x2="{x + 22}" y2="{y - 4}" stroke="{item["color"]}" '
            f'stroke-width="{3 if item["missed"] else 2}"/>'
        )
        out.append(
            f'<text x="{x + 28}" y="{y}" class="legend">{escape(item["name"])}: '
            f"{_number(item['last_ratio'])}× at {_number(biggest)}{mark}</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv=None) -> None:
    """`python -m benchmarks.picture RUN.json OUT.svg`: draw a recorded run again."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("run", type=Path, help="the JSON of a `benchmarks.run --scale sizes` run")
    parser.add_argument("svg", type=Path)
    args = parser.parse_args(argv)
    args.svg.write_text(draw_sizes(json.loads(args.run.read_text())), encoding="utf-8")
    print(f"SVG: {args.svg}")


if __name__ == "__main__":
    main()
