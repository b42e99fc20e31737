"""One self-contained HTML page of the reports, charts drawn as inline SVG: presentation only.

`collect` asks a ClientBook's public queries for every report cut at one log position, so the
figures agree with each other; `render_html` turns them into one HTML5 page with no external
assets and nothing of its own that changes (no clock, no random ids): same inputs, same bytes.
Every figure a chart shows is also printed in a table, formatted the same way each time.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import TYPE_CHECKING

from attrs import frozen

from clientbook import __version__
from clientbook.domain.ratios import npl_ratio, portfolio_at_risk
from clientbook.reports.credit import (
    AgingReport,
    ClassificationReport,
    ConcentrationReport,
    GroupRow,
    MigrationReport,
)
from clientbook.domain.card import BUCKETS, shift_months
from clientbook.domain.credit_line import CLASSES
from clientbook.projections.cards import PortfolioReport
from clientbook.projections.complaints_report import ComplaintsReport
from clientbook.projections.managers import ManagerReport
from clientbook.reports.contribution import ContributionReport, default_start
from clientbook.reports.listings import listings
from clientbook.reports.render import Listing, amount_text, cell_text

if TYPE_CHECKING:
    from clientbook.book import ClientBook

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
NUMERIC = re.compile(r"^-?[\d,]+(\.\d+)?%?$")
NONE_NOTE = "None in this period"
BLUE, ORANGE, RED, GREY = "#3b6ea5", "#d9822b", "#c0392b", "#8a94a3"
CLASS_COLOURS = dict(zip(CLASSES, ("#4c9a6a", "#c9a227", "#e07b39", "#c8553d", "#7d2e2e")))


@frozen
class HtmlInputs:
    """The already-computed reports one page shows, all cut at one log position."""

    title: str
    as_of: date
    position: int
    version: str
    complaints_by_month: tuple[ComplaintsReport, ...]
    portfolio: PortfolioReport
    concentration: ConcentrationReport
    migration: MigrationReport
    classification: ClassificationReport
    managers: ManagerReport | None = None
    contribution: ContributionReport | None = None
    currency: str = "CNY"
    """The currency of the amounts the page shows (the policy's, as of the date)."""
    risk_by_month: tuple[MonthRisk, ...] = ()
    aging: AgingReport | None = None


@frozen
class MonthRisk:
    """PAR30, PAR90 (card balances) and the NPL ratio (credit lines) at a month's end, %."""

    month: str
    par30: Decimal | None
    par90: Decimal | None
    npl: Decimal | None


def collect(
    book: ClientBook,
    *,
    as_of: date,
    months: int = 12,
    title: str = "clientbook report",
    position: int | None = None,
) -> HtmlInputs:
    """Every report as of `as_of`, all cut at one log position (default: the head when called)
    so that they agree."""
    if months < 1:
        raise ValueError(f"months must be at least 1, not {months}")
    if position is None:
        position = book.head
    firsts = [shift_months(as_of.replace(day=1), -k) for k in reversed(range(months))]
    complaints = tuple(
        book.reports.complaints(
            period_from=first, period_to=_month_end(first), as_of=as_of, position=position
        )
        for first in firsts
    )
    credit = book.credit_reports
    return HtmlInputs(
        title=title,
        as_of=as_of,
        position=position,
        version=__version__,
        complaints_by_month=complaints,
        portfolio=book.card_accounts.portfolio(as_of=as_of, position=position),
        concentration=credit.concentration(as_of=as_of, position=position),
        # The year before as_of, or the first month shown when that is later.
        migration=credit.migration(
            from_date=max(shift_months(as_of, -12), firsts[0]), to_date=as_of, position=position
        ),
        classification=credit.classification(as_of=as_of, position=position),
        managers=_managers_for_year(book, as_of, position),
        contribution=book.reports.contribution(as_of=as_of, position=position),
        currency=book.policy.in_force(as_of).currency,
        risk_by_month=tuple(_risk(book, min(_month_end(first), as_of), position)
                            for first in firsts),
        aging=credit.aging(as_of=as_of, position=position),
    )


def _risk(book: ClientBook, on: date, position: int) -> MonthRisk:
    """The month's ratios as of its last day (or the as-of date in the last month)."""
    cards = book.reports.portfolio(as_of=on, position=position)
    lines = book.reports.classification(as_of=on, position=position)
    balances = [(bucket, balance) for bucket, _, balance in cards.accounts_by_bucket]
    return MonthRisk(on.strftime("%Y-%m"), portfolio_at_risk(balances, 30),
                     portfolio_at_risk(balances, 90),
                     npl_ratio((r.classification, r.outstanding.amount) for r in lines.rows))


def _managers_for_year(book: ClientBook, as_of: date, position: int) -> ManagerReport:
    """The managers report over the twelve months up to `as_of`, from the log at `position`."""
    with book.as_of(on=as_of, position=position) as past:
        return past.reports.managers(period_from=default_start(as_of), period_to=as_of)


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


# -- deterministic text ---------------------------------------------------------------------


def money(amount: Decimal) -> str:
    """Money as text: two decimals with thousands separators, e.g. 1,234.50."""
    return amount_text(amount)


def percent(value: Decimal | None) -> str:
    """A percentage as text with one decimal, e.g. 85.7%; n/a when there is nothing to divide."""
    return "n/a" if value is None else f"{value.quantize(TENTH, ROUND_HALF_UP)}%"


def _compact(value: float) -> str:
    """Short chart labels (the tables carry the exact figures): 745565.09 -> 746k."""
    for size, unit in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:.3g}"


def _label(key: str) -> str:
    return key.replace("_", " ")


def _n(x: float) -> str:
    return f"{x:.1f}"


# -- SVG charts -----------------------------------------------------------------------------


@frozen
class _Bar:
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


def _columns(
    bars: Sequence[_Bar],
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
        body.append(_text(left - 6, ty + 4, _compact(t) + suffix, anchor="end"))
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


def _lines(months: Sequence[str], series: Sequence[tuple[str, str, Sequence[Decimal | None]]],
           *, label: str, width: int) -> str:
    """Several percentage series by month on one scale fitted to them (not 0-100, so that
    small ratios show), each named in a legend; a missing value breaks its line."""
    left, right, head, foot, height = 58, 12, 34, 28, 230
    plot_w, plot_h = width - left - right, height - head - foot
    base, band = head + plot_h, plot_w / max(1, len(months))
    peak = max((float(v) for _, _, values in series for v in values if v is not None),
               default=0.0)
    ticks = _ticks(peak)
    scale = plot_h / ticks[-1]
    body = [_text(4, 12, "% of the portfolio", "unit", "start")]
    for t in ticks:
        ty = base - t * scale
        body.append(_line("grid", left, ty, width - right, ty))
        body.append(_text(left - 6, ty + 4, f"{_compact(t)}%", anchor="end"))
    for k, (name, colour, values) in enumerate(series):
        body.append(_rect(left + 160 * k, 18, 12, 12, colour, name))
        body.append(_text(left + 160 * k + 18, 28, name, "name", "start"))
        points = [(left + band * (i + 0.5), None if v is None else base - float(v) * scale, v)
                  for i, v in enumerate(values)]
        body += _polylines([(x, y) for x, y, _ in points], f'class="series" stroke="{colour}"')
        for month, (x, y, v) in zip(months, points):
            if y is not None:
                body.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{colour}"><title>'
                            f"{escape(f'{name} {month}: {percent(v)}')}</title></circle>")
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


def _rate_line(points: Sequence[tuple[str, Decimal | None]], *, label: str, width: int) -> str:
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


def _rows(
    bars: Sequence[_Bar], *, label: str, width: int, limit: Decimal | None, limit_text: str
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
        body.append(_text(x, bottom + 16, f"{_compact(t)}%"))
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


# -- tables ---------------------------------------------------------------------------------


def _table(
    table_id: str, caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]]
) -> str:
    """A table of text cells (escaped here); the first column is the row's name."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>"
        + f'<th scope="row">{escape(cells[0])}</th>'
        + "".join(f"<td{_align(c)}>{escape(c)}</td>" for c in cells[1:])
        + "</tr>"
        for cells in rows
    )
    return (
        f'<div class="scroll"><table id="{table_id}"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _align(text: str) -> str:
    return ' class="num"' if NUMERIC.match(text) or text == "n/a" else ""


def _shade(rgb: tuple[int, int, int], weight: float) -> str:
    alpha = max(0.0, min(1.0, weight)) * 0.85
    ink = "#fff" if alpha > 0.5 else "#1d2733"
    return f"background-color:rgba({rgb[0]},{rgb[1]},{rgb[2]},{alpha:.2f});color:{ink}"


def _matrix(
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
        f'<th scope="col">{escape(_label(c))}</th>' for c in cols
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
        body.append(f'<tr><th scope="row">{escape(_label(r))}</th>{"".join(tds)}{total}</tr>')
    return (
        f'<table id="{table_id}" class="matrix"><caption>{escape(caption)}</caption><thead><tr>'
        f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _note(text: str) -> str:
    return f'<p class="none">{escape(text)}</p>'


def _figure(*charts: str) -> str:
    return f"<figure>{''.join(charts)}</figure>"


# -- the four sections ----------------------------------------------------------------------


def _complaints(reports: Sequence[ComplaintsReport]) -> str:
    months = [r.period_from.strftime("%Y-%m") for r in reports]
    rows = [
        [
            m,
            str(r.received),
            str(r.closed),
            str(r.closed_in_time),
            percent(r.closed_in_time_percent),
        ]
        for m, r in zip(months, reports)
    ]
    table = _table(
        "complaints-table",
        "Complaints by month",
        ["Month", "Received", "Closed", "Closed in time", "In time"],
        rows,
    )
    if not any(r.received or r.closed for r in reports):
        return _note(f"{NONE_NOTE}: no complaints received or closed.") + table
    volume = _columns(
        [
            _Bar(
                m,
                Decimal(r.received),
                str(r.received) if r.received else "",
                tip=f"{m}: {r.received} received",
            )
            for m, r in zip(months, reports)
        ],
        label="Complaints received by month",
        width=1100,
        integer=True,
    )
    rate = _rate_line(
        [(m, r.closed_in_time_percent) for m, r in zip(months, reports)],
        label="Complaints closed in time, percent of those closed, by month",
        width=1100,
    )
    return (
        _figure("<h3>Received</h3>", volume, "<h3>Closed in time, % of closed</h3>", rate) + table
    )


def _portfolio(p: PortfolioReport, currency: str) -> str:
    found = {b: (n, amount) for b, n, amount in p.accounts_by_bucket}
    buckets = [*BUCKETS, *sorted(set(found) - set(BUCKETS))]
    counts = [found.get(b, (0, Decimal(0))) for b in buckets]
    accounts = _columns(
        [
            _Bar(b, Decimal(n), str(n) if n else "", tip=f"{b}: {n} accounts")
            for b, (n, _) in zip(buckets, counts)
        ],
        label="Card accounts by delinquency bucket",
        width=540,
        integer=True,
        unit="accounts",
    )
    balances = _columns(
        [
            _Bar(b, a, _compact(float(a)) if a else "", ORANGE, tip=f"{b}: {money(a)}")
            for b, (_, a) in zip(buckets, counts)
        ],
        label=f"Card balances by delinquency bucket, {currency}",
        width=540,
        unit=currency,
    )
    late = [(b, n, a) for b, (n, a) in zip(buckets, counts) if b != "current"]
    delinquent = _columns(  # on a scale of their own: beside "current" they would not show
        [_Bar(b, a, _compact(float(a)) if a else "", RED, sub=f"{n} acc." if n else "",
              tip=f"{b}: {n} accounts, {money(a)} {currency}") for b, n, a in late],
        label=f"Delinquent card balances by bucket (current left out), {currency}",
        width=1100,
        unit=currency,
    )
    bucket_table = _table(
        "buckets-table",
        "Open accounts by bucket",
        ["Bucket", "Accounts", "Balance"],
        [[b, str(n), money(a)] for b, (n, a) in zip(buckets, counts) if b in found]
        or [["all buckets", "0", money(Decimal(0))]],
    )
    ceiling = p.long_term_dormant_ceiling_percent
    dormancy = _rows(
        [
            _Bar("dormant", p.dormant_percent, percent(p.dormant_percent), GREY),
            _Bar(
                "long-term dormant",
                p.long_term_dormant_percent,
                percent(p.long_term_dormant_percent),
                BLUE if p.long_term_dormant_within_ceiling else RED,
            ),
        ],
        label="Dormant accounts, percent of issued, against the ceiling",
        width=1100,
        limit=ceiling,
        limit_text=f"ceiling {percent(ceiling)}",
    )
    since = p.as_of.replace(day=1).isoformat()
    facts = _table(
        "cards-kpi-table",
        "Card portfolio figures",
        ["Figure", "Value"],
        [
            ["Accounts issued", str(p.issued)],
            ["Activation rate", percent(p.activation_rate_percent)],
            ["Cure rate (delinquent at the month-end, current now)", percent(p.cure_rate_percent)],
            [f"Written off since {since}", money(p.written_off)],
            [f"Recovered since {since}", money(p.recovered)],
            ["Dormant", percent(p.dormant_percent)],
            ["Long-term dormant", percent(p.long_term_dormant_percent)],
            ["Long-term dormant ceiling", percent(ceiling)],
            ["Within the ceiling", "yes" if p.long_term_dormant_within_ceiling else "NO"],
        ],
    )
    pair = _figure("<h3>Accounts</h3>", accounts) + _figure("<h3>Balances</h3>", balances)
    if any(a > 0 for _, _, a in late):
        pair += _figure("<h3>Delinquent balances, on their own scale</h3>", delinquent)
    if not found:
        pair = _note(f"{NONE_NOTE}: no open card accounts.")
    return (
        f'<div class="pair">{pair}</div>'
        + bucket_table
        + "<h3>Roll rates</h3>"
        + _roll_rates(p)
        + _figure("<h3>Dormancy</h3>", dormancy)
        + facts
    )


def _roll_rates(p: PortfolioReport) -> str:
    if not p.roll_rates:
        return _note(f"{NONE_NOTE}: no accounts to roll from the previous month-end.")
    keys = {b for f, t, _ in p.roll_rates for b in (f, t)}
    order = [b for b in BUCKETS if b in keys] + sorted(keys - set(BUCKETS))
    totals = {b: sum(n for f, _, n in p.roll_rates if f == b) for b in order}
    cells = {}
    for f, t, n in p.roll_rates:
        share = Decimal(100 * n) / totals[f]
        rgb = (
            (59, 110, 165)
            if f == t
            else (192, 57, 43)
            if order.index(t) > order.index(f)
            else (76, 154, 106)
        )
        cells[(f, t)] = (n / totals[f], rgb, f"{n} ({percent(share)})")
    month_end = (p.as_of.replace(day=1) - date.resolution).isoformat()
    return _matrix(
        "roll-rate-table",
        f"Accounts from their bucket on {month_end} (rows) to their bucket on "
        f"{p.as_of.isoformat()} (columns); share of the row",
        "from \\ to",
        order,
        order,
        cells,
        {b: str(totals[b]) for b in order},
    )


def _concentration(c: ConcentrationReport) -> str:
    if not c.groups:
        return _note(f"{NONE_NOTE}: no credit groups.")
    over = [g.name for g in c.groups if g.within_cap is False]
    chart = _rows(
        [
            _Bar(
                g.name,
                g.share_of_net_capital_percent,
                _group_text(g),
                RED if g.within_cap is False else BLUE,
                tip=f"{g.name}: {percent(g.share_of_net_capital_percent)} of net capital",
            )
            for g in c.groups
        ],
        label="Group limits as a percentage of net capital, against the cap",
        width=1100,
        limit=c.cap_percent,
        limit_text=f"cap {percent(c.cap_percent)}",
    )
    caps = sorted({money(g.cap.amount) for g in c.groups if g.cap is not None})
    table = _table(
        "groups-table",
        f"Credit groups as of {c.as_of.isoformat()}; the cap is "
        f"{percent(c.cap_percent)} of net capital ({', '.join(caps) or 'net capital not set'})",
        [
            "Group",
            "Lead branch",
            "Limit",
            "Committed",
            "Outstanding",
            "Usage",
            "Share of net capital",
            "Within cap",
            "Class",
            "Members",
        ],
        [
            [
                g.name,
                g.lead_branch,
                money(g.limit.amount),
                money(g.committed.amount),
                money(g.outstanding.amount),
                percent(g.usage_percent),
                percent(g.share_of_net_capital_percent),
                {True: "yes", False: "OVER CAP", None: "n/a"}[g.within_cap],
                _label(g.classification),
                str(len(g.members)),
            ]
            for g in c.groups
        ],
    )
    warning = _note(f"Over the cap: {', '.join(over)}") if over else ""
    return _figure(chart) + warning + table


def _group_text(g: GroupRow) -> str:
    text = percent(g.share_of_net_capital_percent)
    return text + (" \u2014 over cap" if g.within_cap is False else "")


def _classification(c: ClassificationReport, m: MigrationReport) -> str:
    currency = c.rows[0].outstanding.currency if c.rows else ""
    chart = _columns(
        [
            _Bar(
                _label(r.classification),
                r.outstanding.amount,
                _compact(float(r.outstanding.amount)) if r.outstanding.amount else "",
                CLASS_COLOURS.get(r.classification, GREY),
                f"{r.lines} line" + ("" if r.lines == 1 else "s"),
                f"{_label(r.classification)}: {money(r.outstanding.amount)}",
            )
            for r in c.rows
        ],
        label="Credit lines' outstanding balance by five-category class",
        width=1100,
    )
    table = _table(
        "classification-table",
        f"Credit lines by class on {c.as_of.isoformat()}",
        ["Class", "Lines", f"Outstanding ({currency})"],
        [[_label(r.classification), str(r.lines), money(r.outstanding.amount)] for r in c.rows],
    )
    if not any(r.outstanding.amount > 0 for r in c.rows):
        chart = _note(f"{NONE_NOTE}: no credit line has a balance outstanding.")
    else:
        chart = _figure(chart)
    return chart + table + "<h3>Migration</h3>" + _migration(m)


def _migration(m: MigrationReport) -> str:
    span = f"from {m.from_date.isoformat()} to {m.to_date.isoformat()}"
    if not m.cells:
        return _note(f"{NONE_NOTE}: no credit lines {span}.")
    froms = {cell.from_class for cell in m.cells}
    rows = [k for k in ("new", *CLASSES) if k in froms or k in CLASSES]
    rows += sorted(froms - set(rows))
    cols = [*CLASSES, *sorted({cell.to_class for cell in m.cells} - set(CLASSES))]
    order = {k: i for i, k in enumerate(CLASSES)}
    peak = max(cell.lines for cell in m.cells) or 1
    cells = {}
    for cell in m.cells:
        f, t = order.get(cell.from_class, -1), order.get(cell.to_class, -1)
        rgb = (
            (138, 148, 163)
            if f < 0
            else (59, 110, 165)
            if f == t
            else ((192, 57, 43) if t > f else (76, 154, 106))
        )
        text = f"{cell.lines} \u00b7 {money(cell.outstanding.amount)}"
        cells[(cell.from_class, cell.to_class)] = (cell.lines / peak, rgb, text)
    totals = {r: str(sum(cell.lines for cell in m.cells if cell.from_class == r)) for r in rows}
    return _matrix(
        "migration-table",
        f"Credit lines {span}: lines \u00b7 outstanding now; 'new' were granted "
        "after the start; red moved down, green moved up",
        "from \\ to",
        rows,
        cols,
        cells,
        totals,
    )


# -- the page -------------------------------------------------------------------------------

_CSS = """
:root{color-scheme:light}
body{margin:0;font:14px/1.45 "DejaVu Sans","Liberation Sans",Arial,sans-serif;color:#1d2733;
background:#f4f6f9}
header{background:#1f3a5a;color:#fff;padding:18px 32px}
header h1{margin:0 0 6px;font-size:24px}
dl.meta{display:flex;flex-wrap:wrap;gap:4px 28px;margin:0}
dl.meta div{display:flex;gap:6px}dl.meta dt{opacity:.75}dl.meta dd{margin:0;font-weight:bold}
main{padding:8px 32px 32px;max-width:1180px}
section{background:#fff;border:1px solid #d8dee6;border-radius:6px;padding:8px 20px 18px;
margin:18px 0}
h2{font-size:19px;margin:10px 0}h3{font-size:14px;margin:14px 0 4px;color:#44505e}
figure{margin:0}.pair{display:flex;gap:16px;flex-wrap:wrap}.pair>*{flex:1 1 500px}
svg{width:100%;height:auto;display:block}.scroll{overflow-x:auto}
svg text{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;fill:#44505e}
svg .tick{font-size:11px}svg .sub{font-size:10px;fill:#6b7684}
svg .value{font-size:11px;font-weight:bold;fill:#1d2733}svg .name{font-size:12px;fill:#1d2733}
svg .limit{font-size:11px;font-weight:bold;fill:#c0392b}
svg line.grid{stroke:#e3e8ee}svg line.axis{stroke:#6b7684}
svg line.limit{stroke:#c0392b;stroke-width:2;stroke-dasharray:6 4}
svg polyline.line{fill:none;stroke:#d9822b;stroke-width:2}
table{border-collapse:collapse;margin:10px 0;font-size:13px}
caption{text-align:left;color:#6b7684;padding:2px 0 6px;caption-side:top}
th,td{border:1px solid #d8dee6;padding:4px 9px}thead th{background:#eef2f6;text-align:left}
tbody td{white-space:nowrap}tbody th{text-align:left;font-weight:normal;min-width:8em}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.matrix td{text-align:center;min-width:64px}table.matrix td.zero{color:#b4bcc6}
p.none{background:#fff7e0;border-left:4px solid #d9822b;padding:8px 12px}
pre#errors{color:#c0392b;margin:0 32px}pre#errors:empty{display:none}
svg .unit{font-size:11px;font-style:italic;fill:#6b7684}
svg polyline.series{fill:none;stroke-width:2}
button.csv{font-size:11px;margin:0 0 0 8px;padding:1px 8px;border:1px solid #b8c2cd;
border-radius:3px;background:#f4f6f9;cursor:pointer}
@media print{body{background:#fff;font-size:11px}header{background:none;color:#000;
padding:0 0 8px;border-bottom:2px solid #000}main{padding:0;max-width:none}
section{border:none;padding:0;margin:12px 0;break-inside:avoid-page}
figure,table,svg{break-inside:avoid}.scroll{overflow:visible}button.csv,pre#errors{display:none}
thead{display:table-header-group}}
"""

# Installed before anything renders; once loaded it counts the SVG marks the browser laid out.
_SCRIPT = """
(function () {
  var errors = [];
  function show() { var pre = document.getElementById("errors");
    if (pre) { pre.textContent = errors.join("\\n"); } }
  window.onerror = function (message, source, line, column) {
    errors.push(String(message) + " (line " + line + ":" + column + ")"); show(); return false; };
  function count() {
    var marks = 0;
    try {
      var shapes = document.querySelectorAll("svg rect, svg circle, svg path, svg polyline");
      for (var i = 0; i < shapes.length; i++) {
        var box = shapes[i].getBBox();
        if (box.width > 0 && box.height > 0) { marks++; }
      }
    } catch (e) { errors.push("counting marks: " + e); }
    show();
    document.body.dataset.marks = String(marks);
    document.body.dataset.rendered = errors.length ? "error" : "ok";
  }
  function csvOf(table) {
    var lines = [];
    for (var r = 0; r < table.rows.length; r++) {
      var cells = table.rows[r].cells, line = [];
      for (var c = 0; c < cells.length; c++) {
        line.push('"' + cells[c].textContent.trim().replace(/"/g, '""') + '"');
      }
      lines.push(line.join(","));
    }
    return lines.join("\\r\\n") + "\\r\\n";
  }
  function download(table) {  // the page's own table, as CSV: no request leaves the page
    var link = document.createElement("a");
    link.download = table.id + ".csv";
    link.href = URL.createObjectURL(new Blob([csvOf(table)], {type: "text/csv"}));
    document.body.appendChild(link); link.click(); document.body.removeChild(link);
  }
  function buttons() {
    var tables = document.querySelectorAll("table[id]");
    for (var i = 0; i < tables.length; i++) {
      var caption = tables[i].caption, button = document.createElement("button");
      button.className = "csv"; button.type = "button"; button.textContent = "CSV";
      button.title = "Download this table as CSV";
      button.onclick = (function (t) { return function () { download(t); }; })(tables[i]);
      if (caption) { caption.appendChild(button); }
    }
  }
  window.addEventListener("load", function () {
    try { buttons(); } catch (e) { errors.push("csv buttons: " + e); }
    setTimeout(count, 0);  // after other handlers
  });
})();
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def render_html(inputs: HtmlInputs) -> str:
    """The whole page as one string: inline CSS, inline SVG, one inline script, no assets."""
    i = inputs
    meta = "".join(
        f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>"
        for k, v in (
            ("As of", i.as_of.isoformat()),
            ("Log position", str(i.position)),
            ("clientbook", i.version),
        )
    )
    sections = [
        ("complaints", "1. Complaints", _complaints(i.complaints_by_month)),
        ("cards", "2. Card portfolio", _portfolio(i.portfolio, i.currency)),
        ("concentration", "3. Group concentration", _concentration(i.concentration)),
        ("classification", "4. Classification", _classification(i.classification, i.migration)),
    ]
    if i.managers is not None:
        sections.append(("managers", "5. Relationship managers", _managers(i.managers)))
    if i.contribution is not None:
        sections.append(("value", "6. Customer value", _value(i.contribution)))
    if i.risk_by_month:
        sections.append(("risk", "7. Portfolio at risk and non-performing loans",
                         _risk_section(i.risk_by_month)))
    if i.aging is not None:
        sections.append(("aging", "8. Trade-credit receivables aging",
                         _listing_table("aging-table", listings("aging", i.aging)["aging"])))
    body = "".join(
        f'<section id="{key}"><h2>{escape(name)}</h2>{html}</section>'
        for key, name, html in sections
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(i.title)} \u2014 {i.as_of.isoformat()}</title>"
        f"<style>{_CSS}</style><script>{_SCRIPT}</script></head>\n<body>"
        f'<header><h1>{escape(i.title)}</h1><dl class="meta">{meta}</dl>'
        f"{_positions(i)}</header><main>{body}</main>"
        '<pre id="errors"></pre></body></html>\n'
    )


def _managers(m: ManagerReport) -> str:
    """Each manager's grade, branch, book against the 1:15 rule and latest annual assessment;
    the succession pool."""
    rows = [(r.manager, r.grade or "unregistered", r.branch or "", str(r.customers),
             "below" if r.below_minimum else "", r.assessed or "",
             "" if r.assessment_total is None else f"{r.assessment_total}",
             "" if r.performance_weight is None else f"{r.performance_weight}/"
             f"{100 - r.performance_weight}")
            for r in m.rows]
    pool = ", ".join(f"{r.manager} ({r.grade})" for r in m.succession_pool) or "nobody"
    return (
        _table("managers-table", f"Relationship managers, {m.period_from} to {m.period_to} "
               f"(minimum {m.minimum} customers each)",
               ("Manager", "Grade", "Branch", "Customers", "1:15", "Assessed", "Total",
                "Weights (performance/behaviour)"), rows)
        + _note(f"Succession pool (serving senior and principal managers): {pool}.")
    )


def _value(c: ContributionReport) -> str:
    """The Pareto curve of contribution, its headline shares, and the shares by segment."""
    if c.total <= 0:
        return _note(f"No positive contribution from {c.period_from} to {c.period_to}.")
    curve = [(f"{share:.0f}%", min(brought, Decimal(100))) for share, brought in c.pareto_curve]
    chart = _rate_line(curve, label=f"Share of the contribution ({c.currency}) brought by the "
                       "top share of customers", width=760)
    summary = (
        f"{c.customers_counted} customers brought {money(c.total)} {c.currency} from "
        f"{c.period_from} to {c.period_to}: {percent(c.share_of_customers_for_80_percent)} of "
        f"them bring 80% of it; the top 4% bring {percent(c.top_4_percent_share)}, the top 20% "
        f"{percent(c.top_20_percent_share)}."
    )
    segments = [(g.name, str(g.customers), money(g.total),
                 percent(g.share_of_customers_for_80_percent), percent(g.top_20_percent_share))
                for g in c.by_segment]
    return (
        _figure(chart) + _note(summary)
        + _table("segments-table", f"Contribution by segment ({c.currency})",
                 ("Segment", "Customers", f"Contribution ({c.currency})",
                  "Customers bringing 80%", "Top 20% bring"), segments)
    )


def _risk_section(months: Sequence[MonthRisk]) -> str:
    names = [m.month for m in months]
    chart = _lines(names, [("PAR30 (cards)", ORANGE, [m.par30 for m in months]),
                           ("PAR90 (cards)", RED, [m.par90 for m in months]),
                           ("NPL ratio (credit lines)", BLUE, [m.npl for m in months])],
                   label="PAR30, PAR90 and the NPL ratio at each month-end, percent", width=1100)
    table = _table("risk-table", "At each month-end: card balances 30 and 90 or more days past "
                   "due, and credit-line outstanding classified substandard, doubtful or loss, "
                   "as a share of the whole", ("Month", "PAR30", "PAR90", "NPL ratio"),
                   [(m.month, percent(m.par30), percent(m.par90), percent(m.npl))
                    for m in months])
    return _figure(chart) + table


def _listing_table(table_id: str, listing: Listing) -> str:
    """A report's table with the command line's columns and headings (currency in the
    heading of an amount column, as there)."""
    currencies = listing.currencies()
    money_columns = [c.money for c in listing.columns]
    rows = [[cell_text(v, c, m) for v, c, m in zip(row, currencies, money_columns)]
            for row in listing.rows]
    if not rows:
        return _note(f"{NONE_NOTE}: {listing.title}.")
    return _table(table_id, listing.title, listing.headers(keys=False), rows)


def _positions(i: HtmlInputs) -> str:
    """Say so when a report reflects another log position than the page claims."""
    positions = {r.position for r in i.complaints_by_month} | {
        i.portfolio.position,
        i.concentration.position,
        i.migration.position,
        i.classification.position,
        *(() if i.managers is None else (i.managers.position,)),
        *(() if i.contribution is None else (i.contribution.position,)),
    }
    other = sorted(positions - {i.position})
    if not other:
        return ""
    return f'<p class="none">Some reports reflect other log positions: {other}</p>'
