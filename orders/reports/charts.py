"""Server-side SVG charts: geometry computed here, drawn by a template, no JavaScript."""

import math
from dataclasses import dataclass

# Each carrier keeps its colour from day to day; unknown codes take the fallback palette.
CARRIER_COLOURS = {
    "SF": "#3a3a3a",
    "ZTO": "#1e63c6",
    "YTO": "#7b3fa0",
    "STO": "#ef7d00",
    "YD": "#e9b600",
    "JTSD": "#e03b3b",
    "JD": "#0f9d8a",
    "EMS": "#2e8540",
}
FALLBACK_COLOURS = ["#8d6e63", "#5c6bc0", "#26a69a", "#ec407a", "#78909c", "#9ccc65"]


def carrier_colour(code, position):
    return CARRIER_COLOURS.get(code) or FALLBACK_COLOURS[position % len(FALLBACK_COLOURS)]


def nice_axis(value):
    """(maximum, tick count) of a y-axis for data up to `value`: the lowest round maximum that splits
    into 3 to 6 steps of 1, 2, 2.5 or 5 times a power of ten (42 -> 50 in steps of 10, not 80)."""
    if value <= 4:
        return 4, 4
    best = None
    magnitude = 10 ** math.floor(math.log10(value / 5))
    for scale in (magnitude, magnitude * 10):
        for m in (1, 2, 2.5, 5):
            step = m * scale
            if step != int(step):  # 2.5 of a unit: ticks are whole parcels
                continue
            for ticks in (3, 4, 5, 6):
                if step * ticks >= value and (best is None or step * ticks < best[0]):
                    best = (int(step * ticks), ticks)
    return best


def nice_ceiling(value):
    """A round axis maximum >= value (see nice_axis)."""
    return nice_axis(value)[0]


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


def stacked_bar_chart(days, series, *, width=760, height=260, left=44, right=12, top=30, bottom=40):
    """Geometry of a stacked bar chart: one bar per day, one stacked segment per series.

    `series` is [(code, name, [value per day])]. Returns a dict for the template.
    """
    totals = [sum(values[i] for _, _, values in series) for i in range(len(days))]
    y_max, tick_count = nice_axis(max(totals, default=0))
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / max(len(days), 1)
    bar_w = slot * 0.62
    scale = plot_h / y_max
    bars, legend = [], []
    for position, (code, name, _values) in enumerate(series):
        legend.append({"name": name, "colour": carrier_colour(code, position)})
    for i, day in enumerate(days):
        base = top + plot_h
        for position, (code, name, values) in enumerate(series):
            if not values[i]:
                continue
            h = values[i] * scale
            base -= h
            bars.append(
                Bar(
                    x=round(left + slot * i + (slot - bar_w) / 2, 1),
                    y=round(base, 1),
                    width=round(bar_w, 1),
                    height=round(h, 1),
                    colour=carrier_colour(code, position),
                    title=f"{day:%m-%d} {name}：{values[i]} 个包裹",
                )
            )
    y_ticks = [
        {"value": y_max * k // tick_count, "y": round(top + plot_h - plot_h * k / tick_count, 1)}
        for k in range(tick_count + 1)
    ]
    x_labels = [
        {
            "text": f"{day.month}/{day.day}",
            "x": round(left + slot * i + slot / 2, 1),
            "total": totals[i],
            "total_y": round(top + plot_h - totals[i] * scale - 4, 1),
        }
        for i, day in enumerate(days)
    ]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "baseline": top + plot_h,
        "bars": bars,
        "legend": legend,
        "y_ticks": y_ticks,
        "x_labels": x_labels,
        "label_y": top + plot_h + 16,
        "has_data": any(totals),
    }
