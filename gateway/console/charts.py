"""Bar charts drawn on the server: the geometry of an SVG, which a template writes out.

No JavaScript and no chart library: the dashboard is a page like the others, and its
pictures print and show without any script (the console's pages allow none).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Sequence

Number = int | Decimal


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int
    series: int  # the index of its series: the CSS class that colours it
    title: str  # shown as the bar's tooltip


@dataclass(frozen=True)
class Label:
    x: int
    y: int
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    rects: tuple[Rect, ...]
    labels: tuple[Label, ...]
    lines: tuple[tuple[int, int, int, int], ...]  # axis and grid lines (x1, y1, x2, y2)
    title: str


def _nice_max(value: Number) -> Number:
    """A round upper end for the axis (1, 2 or 5 times a power of ten) at or above value."""
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(1)
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if magnitude * step >= value:
            return magnitude * step
    return magnitude * 10


def columns(title: str, groups: Sequence[tuple[str, Sequence[Number]]],
            series_names: Sequence[str], fmt: Callable[[Number], str],
            width: int = 1040, height: int = 260) -> Chart:
    """Vertical bars: one group per label (a month), one bar per series in each group."""
    left, right, top, bottom = 90, 10, 20, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for _, values in groups for v in values), default=0))
    group_w = plot_w / max(len(groups), 1)
    bar_w = max(2, int(group_w * 0.8 / max(len(series_names), 1)))
    rects, labels, lines = [], [], []
    for i in range(5):  # grid lines at 0, 1/4 .. 4/4 of the axis
        y = top + plot_h - plot_h * i // 4
        lines.append((left, y, width - right, y))
        labels.append(Label(left - 6, y + 4, fmt(top_value * i / 4), "end"))
    for g, (label, values) in enumerate(groups):
        x0 = left + int(g * group_w + group_w * 0.1)
        for s, value in enumerate(values):
            h = int(plot_h * value / top_value) if top_value else 0
            rects.append(Rect(x0 + s * bar_w, top + plot_h - h, bar_w - 1, h, s,
                              f"{label}: {series_names[s]} {fmt(value)}"))
        labels.append(Label(left + int(g * group_w + group_w / 2), height - bottom + 16, label))
    return Chart(width, height, tuple(rects), tuple(labels), tuple(lines), title)


def bars(title: str, items: Sequence[tuple[str, Number]], fmt: Callable[[Number], str],
         width: int = 500, row_h: int = 24) -> Chart:
    """Horizontal bars: one row per item (a state, an agency account), longest first."""
    left, right, top = 210, 60, 8
    height = top * 2 + row_h * max(len(items), 1)
    plot_w = width - left - right
    top_value = max((v for _, v in items), default=0) or 1
    rects, labels = [], []
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        w = max(1, int(plot_w * value / top_value)) if value else 0
        rects.append(Rect(left, y + 3, w, row_h - 6, 0, f"{label}: {fmt(value)}"))
        labels.append(Label(left - 8, y + row_h // 2 + 5, label, "end"))
        labels.append(Label(left + w + 6, y + row_h // 2 + 5, fmt(value), "start"))
    lines = ((left, top, left, height - top),)
    return Chart(width, height, tuple(rects), tuple(labels), lines, title)
