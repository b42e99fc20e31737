"""SVG chart primitives for the HTML report: axis ticks, vertical columns, horizontal bar rows,
line charts with a legend, a 0-100% rate line, polylines broken where a value is missing, and
the shaded from/to matrix; and the deterministic text they label with. Presentation only: they
know no report type, take plain values, and give the same markup for the same values."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from attrs import frozen

from clientbook.reports.render import amount_text

TENTH = Decimal("0.1")
BLUE, ORANGE, RED, GREY = "#3b6ea5", "#d9822b", "#c0392b", "#8a94a3"


# -- deterministic text ---------------------------------------------------------------------


def money(amount: Decimal) -> str:
    """Money as text: two decimals with thousands separators, e.g. 1,234.50."""
    return amount_text(amount)


def percent(value: Decimal | None) -> str:
    """A percentage as text with one decimal, e.g. 85.7%; n/a when there is nothing to divide."""
    return "n/a" if value is None else f"{value.quantize(TENTH, ROUND_HALF_UP)}%"


def compact(value: float) -> str:
    """Short chart labels (the tables carry the exact figures): 745565.09 -> 746k."""
    for size, unit in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:.3g}"


def label_text(key: str) -> str:
    return key.replace("_", " ")


def _n(x: float) -> str:
    return f"{x:.1f}"


# -- SVG charts -----------------------------------------------------------------------------


@frozen
class Bar:
    label: str
    value: Decimal | None
    text: str = ""
    colour: str = BLUE
    sub: str = ""
    tip: str = ""


def _ticks(top: float, *, integer: bool = False, count: int = 4) -> list[float]:
    """Round axis steps (1, 2, 2.5 or 5 times a power of ten) reaching at least `top`."""
    top = top if top > 0 else 1.0
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999)
    step = max(1.0, round(step)) if integer else step
    return [step * k for k in range(math.ceil(top / step - 1e-9) + 1)]


def _extent(value: Decimal | None, scale: float) -> float:
    """A bar's length: at least a pixel for any positive value, so that none goes unseen."""
    if value is None or value <= 0:
        return 0.0
    return max(1.0, float(value) * scale)


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}">{"".join(body)}</svg>'
    )


def _line(cls: str, x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line class="{cls}" x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}"/>'


def _text(x: float, y: float, text: str, cls: str = "tick", anchor: str = "middle") -> str:
    return (
        f'<text class="{cls}" x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def _rect(x: float, y: float, w: float, h: float, colour: str, tip: str) -> str:
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{colour}">'
        f"<title>{escape(tip)}</title></rect>"
    )


def columns(
    bars: Sequence[Bar],
    *,
    label: str,
    width: int,
    height: int = 240,
    integer: bool = False,
    suffix: str = "",
    top: float | None = None,
    unit: str = "",
) -> str:
    """Vertical bars over labelled categories, with a left axis titled with its `unit`."""
    left, right, head = 58, 12, 22
    foot = 44 if any(b.sub for b in bars) else 28
    plot_w, plot_h = width - left - right, height - head - foot
    peak = max((float(b.value) for b in bars if b.value is not None), default=0.0)
    ticks = _ticks(top if top is not None else peak, integer=integer)
    scale, base = plot_h / ticks[-1], head + plot_h
    body = []
    for t in ticks:
        ty = base - t * scale
        body.append(_line("grid", left, ty, width - right, ty))
        body.append(_text(left - 6, ty + 4, compact(t) + suffix, anchor="end"))
    band = plot_w / max(1, len(bars))
    for i, bar in enumerate(bars):
        cx, w = left + band * (i + 0.5), min(band * 0.62, 64)
        h = _extent(bar.value, scale)
        if h > 0:
            body.append(_rect(cx - w / 2, base - h, w, h, bar.colour, bar.tip or bar.text))
        if bar.text:
            body.append(_text(cx, base - h - 5, bar.text, "value"))
        body.append(_text(cx, base + 16, bar.label))
        if bar.sub:
            body.append(_text(cx, base + 31, bar.sub, "sub"))
    body.append(_line("axis", left, base, width - right, base))
    if unit:
        body.append(_text(4, 12, unit, "unit", "start"))
    return _svg(width, height, label, body)


def line_chart(
    months: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[Decimal | None]]],
    *,
    label: str,
    width: int,
) -> str:
    """Several percentage series by month on one scale fitted to them (not 0-100, so that
    small ratios show), each named in a legend; a missing value breaks its line."""
    left, right, head, foot, height = 58, 12, 34, 28, 230
    plot_w, plot_h = width - left - right, height - head - foot
    base, band = head + plot_h, plot_w / max(1, len(months))
    peak = max((float(v) for _, _, values in series for v in values if v is not None), default=0.0)
    ticks = _ticks(peak)
    scale = plot_h / ticks[-1]
    body = [_text(4, 12, "% of the portfolio", "unit", "start")]
    for t in ticks:
        ty = base - t * scale
        body.append(_line("grid", left, ty, width - right, ty))
        body.append(_text(left - 6, ty + 4, f"{compact(t)}%", anchor="end"))
    for k, (name, colour, values) in enumerate(series):
        body.append(_rect(left + 160 * k, 18, 12, 12, colour, name))
        body.append(_text(left + 160 * k + 18, 28, name, "name", "start"))
        points = [
            (left + band * (i + 0.5), None if v is None else base - float(v) * scale, v)
            for i, v in enumerate(values)
        ]
        body += _polylines([(x, y) for x, y, _ in points], f'class="series" stroke="{colour}"')
        for month, (x, y, v) in zip(months, points):
            if y is not None:
                body.append(
                    f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{colour}"><title>'
                    f"{escape(f'{name} {month}: {percent(v)}')}</title></circle>"
                )
    for i, month in enumerate(months):
        body.append(_text(left + band * (i + 0.5), base + 16, month))
    body.append(_line("axis", left, base, width - right, base))
    return _svg(width, height, label, body)


def _polylines(xy: Sequence[tuple[float, float | None]], attributes: str) -> list[str]:
    """Lines joining consecutive points that have a value; a missing value breaks the line."""
    lines, run = [], []
    for x, y in [*xy, (0.0, None)]:  # the last pair ends the last run
        if y is not None:
            run.append(f"{_n(x)},{_n(y)}")
        elif run:
            if len(run) > 1:
                lines.append(f'<polyline {attributes} points="{" ".join(run)}"/>')
            run = []
    return lines


def rate_line(points: Sequence[tuple[str, Decimal | None]], *, label: str, width: int) -> str:
    """Percentages 0-100 by category: dots joined where consecutive categories have a value."""
    left, right, head, foot, height = 58, 12, 24, 28, 200
    plot_w, plot_h = width - left - right, height - head - foot
    base, band = head + plot_h, plot_w / max(1, len(points))
    body = []
    for t in (0, 25, 50, 75, 100):
        ty = base - t * plot_h / 100
        body.append(_line("grid", left, ty, width - right, ty))
        body.append(_text(left - 6, ty + 4, f"{t}%", anchor="end"))
    xy = [
        (left + band * (i + 0.5), None if v is None else base - float(v) * plot_h / 100)
        for i, (_, v) in enumerate(points)
    ]
    body += _polylines(xy, 'class="line"')
    for (name, value), (x, y) in zip(points, xy):
        if y is not None:
            tip = f"{name}: {percent(value)}"
            body.append(
                f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4.5" fill="{ORANGE}"><title>{escape(tip)}'
                "</title></circle>"
            )
            body.append(_text(x, y - 9, percent(value), "value"))
        body.append(_text(x, base + 16, name))
    body.append(_line("axis", left, base, width - right, base))
    return _svg(width, height, label, body)


def bar_rows(
    bars: Sequence[Bar], *, label: str, width: int, limit: Decimal | None, limit_text: str
) -> str:
    """Horizontal bars of percentages, one per row, against a limit drawn as a dashed line."""
    left, right, head, row = 250, 140, 28, 30
    height = head + row * len(bars) + 26
    plot_w = width - left - right
    values = [float(b.value) for b in bars if b.value is not None]
    ticks = _ticks(max([*values, float(limit or 0) * 1.2]))
    scale, bottom = plot_w / ticks[-1], head + row * len(bars)
    body = []
    for t in ticks:
        x = left + t * scale
        body.append(_line("grid", x, head, x, bottom))
        body.append(_text(x, bottom + 16, f"{compact(t)}%"))
    for i, bar in enumerate(bars):
        y = head + row * i
        name = bar.label if len(bar.label) <= 34 else bar.label[:33] + "\u2026"
        body.append(_text(left - 8, y + row / 2 + 4, name, "name", "end"))
        w = _extent(bar.value, scale)
        if w > 0:
            body.append(_rect(left, y + 6, w, row - 12, bar.colour, bar.tip or bar.text))
        body.append(_text(left + w + 6, y + row / 2 + 4, bar.text, "value", "start"))
    if limit is not None:
        x = left + float(limit) * scale
        body.append(_line("limit", x, head - 8, x, bottom))
        body.append(_text(x, head - 12, limit_text, "limit"))
    body.append(_line("axis", left, head, left, bottom))
    return _svg(width, height, label, body)


# -- the from/to matrix ---------------------------------------------------------------------


def _shade(rgb: tuple[int, int, int], weight: float) -> str:
    alpha = max(0.0, min(1.0, weight)) * 0.85
    ink = "#fff" if alpha > 0.5 else "#1d2733"
    return f"background-color:rgba({rgb[0]},{rgb[1]},{rgb[2]},{alpha:.2f});color:{ink}"


def matrix(
    table_id: str,
    caption: str,
    corner: str,
    rows: Sequence[str],
    cols: Sequence[str],
    cells: dict[tuple[str, str], tuple[float, tuple[int, int, int], str]],
    totals: dict[str, str],
) -> str:
    """A from/to table: each cell's text, its background shaded by the weight (0 to 1) given."""
    head = f'<th scope="col">{escape(corner)}</th>' + "".join(
        f'<th scope="col">{escape(label_text(c))}</th>' for c in cols
    )
    head += '<th scope="col">total</th>' if totals else ""
    body = []
    for r in rows:
        tds = []
        for c in cols:
            weight, rgb, text = cells.get((r, c), (0.0, (0, 0, 0), "0"))
            style = f' style="{_shade(rgb, weight)}"' if weight > 0 else ' class="zero"'
            tds.append(f"<td{style}>{escape(text)}</td>")
        total = f'<td class="num">{escape(totals[r])}</td>' if totals else ""
        body.append(f'<tr><th scope="row">{escape(label_text(r))}</th>{"".join(tds)}{total}</tr>')
    return (
        f'<table id="{table_id}" class="matrix"><caption>{escape(caption)}</caption><thead><tr>'
        f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
