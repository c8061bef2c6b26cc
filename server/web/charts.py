"""Server-rendered SVG charts (with a title and description; the page shows the numbers in a table too)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from server.web.render import gettext_for


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    title: str
    desc: str
    peak: int


def hour_bars(counts: list[int], request: Request, width: int = 480, height: int = 160) -> BarChart:
    _ = gettext_for(request)
    peak = max(counts) if counts and max(counts) > 0 else 1
    plot = height - 20
    slot = width / 24
    bars = [
        Bar(
            x=round(i * slot + 2, 1),
            y=round(plot - n / peak * (plot - 10), 1),
            width=round(slot - 4, 1),
            height=round(n / peak * (plot - 10), 1),
            label=f"{i:02d}",
            value=n,
        )
        for i, n in enumerate(counts)
    ]
    busiest = max(range(24), key=lambda i: counts[i]) if any(counts) else None
    desc = _("Calls per hour of the day.") + (
        f" {_('Busiest hour')}: {busiest:02d}:00 ({counts[busiest]})" if busiest is not None else ""
    )
    return BarChart(width, height, bars, _("Busiest hours"), desc, peak)


@dataclass(frozen=True, slots=True)
class Row:
    y: float
    width: float
    label: str
    value: str  # printed beside the bar


@dataclass(frozen=True, slots=True)
class RowChart:
    """Horizontal bars, one per row, each with its label left and its number right of it."""

    id: str
    width: int
    height: int
    rows: list[Row]
    title: str
    desc: str
    plot_x: int = 150


def row_bars(
    chart_id: str,
    items: list[tuple[str, float]],
    title: str,
    desc: str,
    width: int = 520,
    value_text: Callable[[float], str] = lambda v: f"{v:,.0f}",
) -> RowChart:
    peak = max((v for _label, v in items), default=0.0) or 1.0
    plot = width - 150 - 90  # label column, number column
    rows = [
        Row(y=i * 22 + 4, width=round(max(v, 0.0) / peak * plot, 1), label=label[:22], value=value_text(v))
        for i, (label, v) in enumerate(items)
    ]
    return RowChart(chart_id, width, max(len(rows), 1) * 22 + 8, rows, title, desc)
