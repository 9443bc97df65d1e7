"""Bar charts as geometry for server-rendered SVG: no JavaScript, a table beside each.

The template (`results.html`) draws what `bar_chart` computes; every bar also writes its
value as text, so a colour is never the only way to read a chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Colours with at least 4.5:1 contrast on white, one per series (channels first).
PALETTE = ["#0b5cad", "#8a3b00", "#1b6e3a", "#6a2c91", "#a3195b", "#005f73", "#5c5c00"]
WIDTH = 640
LABEL_HEIGHT = 22
BAR_HEIGHT = 18
ROW_GAP = 10
VALUE_ROOM = 70


@dataclass
class Segment:
    series: str
    value: float
    x: float
    width: float
    colour: str


@dataclass
class Bar:
    y: float
    segments: list[Segment]
    total: float
    text: str


@dataclass
class Row:
    label: str
    y: float
    bars: list[Bar] = field(default_factory=list)


@dataclass
class Chart:
    id: str
    title: str
    rows: list[Row]
    legend: list[tuple[str, str]]
    height: float
    width: int = WIDTH


def bar_chart(
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, Sequence[Mapping[str, float]]]],
    series: list[str],
    percent: bool = False,
) -> Chart:
    """One row per label; each row one bar per dict, stacked by series in `series` order."""
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    top = max((sum(bar.values()) for _, bars in rows for bar in bars), default=0) or 1
    scale = (WIDTH - VALUE_ROOM) / top
    laid, y = [], 0.0
    for label, bars in rows:
        row = Row(label, y + LABEL_HEIGHT - 6)
        y += LABEL_HEIGHT
        for values in bars:
            row.bars.append(_bar(values, series, colours, scale, y, percent))
            y += BAR_HEIGHT + 2
        laid.append(row)
        y += ROW_GAP
    return Chart(chart_id, title, laid, list(colours.items()), y)


def _bar(
    values: Mapping[str, float],
    series: list[str],
    colours: dict[str, str],
    scale: float,
    y: float,
    percent: bool,
) -> Bar:
    segments, x = [], 0.0
    for name in series:
        value = values.get(name, 0)
        if value:
            segments.append(Segment(name, value, x, value * scale, colours[name]))
            x += value * scale
    total = sum(values.values())
    return Bar(y, segments, total, f"{total:.1%}" if percent else f"{total:g}")
