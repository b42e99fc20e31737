"""The HTML report's sections, one function each (complaints, card portfolio, group
concentration, classification and migration, managers, customer value, portfolio at risk,
receivables aging): a report object in, the section's charts (chart.py) and tables (tables.py)
out. Every figure a chart shows is also printed in a table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from clientbook.domain.card import BUCKETS
from clientbook.domain.credit_line import CLASSES
from clientbook.reports.portfolio import PortfolioReport
from clientbook.reports.complaints import ComplaintsReport
from clientbook.reports.managers import ManagerReport
from clientbook.reports.contribution import ContributionReport
from clientbook.reports.credit import (
    AgingReport,
    ClassificationReport,
    ConcentrationReport,
    GroupRow,
    MigrationReport,
)
from clientbook.reports.html.chart import (
    BLUE,
    GREY,
    ORANGE,
    RED,
    Bar,
    bar_rows,
    columns,
    compact,
    label_text,
    line_chart,
    matrix,
    money,
    percent,
    rate_line,
)
from clientbook.reports.html.inputs import MonthRisk
from clientbook.reports.html.tables import NONE_NOTE, figure, listing_table, note, text_table
from clientbook.reports.listings import listings

CLASS_COLOURS = dict(zip(CLASSES, ("#4c9a6a", "#c9a227", "#e07b39", "#c8553d", "#7d2e2e")))


def complaints(reports: Sequence[ComplaintsReport]) -> str:
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
    table = text_table(
        "complaints-table",
        "Complaints by month",
        ["Month", "Received", "Closed", "Closed in time", "In time"],
        rows,
    )
    if not any(r.received or r.closed for r in reports):
        return note(f"{NONE_NOTE}: no complaints received or closed.") + table
    volume = columns(
        [
            Bar(
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
    rate = rate_line(
        [(m, r.closed_in_time_percent) for m, r in zip(months, reports)],
        label="Complaints closed in time, percent of those closed, by month",
        width=1100,
    )
    return figure("<h3>Received</h3>", volume, "<h3>Closed in time, % of closed</h3>", rate) + table


def portfolio(p: PortfolioReport, currency: str) -> str:
    found = {b: (n, amount) for b, n, amount in p.accounts_by_bucket}
    buckets = [*BUCKETS, *sorted(set(found) - set(BUCKETS))]
    counts = [found.get(b, (0, Decimal(0))) for b in buckets]
    accounts = columns(
        [
            Bar(b, Decimal(n), str(n) if n else "", tip=f"{b}: {n} accounts")
            for b, (n, _) in zip(buckets, counts)
        ],
        label="Card accounts by delinquency bucket",
        width=540,
        integer=True,
        unit="accounts",
    )
    balances = columns(
        [
            Bar(b, a, compact(float(a)) if a else "", ORANGE, tip=f"{b}: {money(a)}")
            for b, (_, a) in zip(buckets, counts)
        ],
        label=f"Card balances by delinquency bucket, {currency}",
        width=540,
        unit=currency,
    )
    late = [(b, n, a) for b, (n, a) in zip(buckets, counts) if b != "current"]
    delinquent = columns(  # on a scale of their own: beside "current" they would not show
        [
            Bar(
                b,
                a,
                compact(float(a)) if a else "",
                RED,
                sub=f"{n} acc." if n else "",
                tip=f"{b}: {n} accounts, {money(a)} {currency}",
            )
            for b, n, a in late
        ],
        label=f"Delinquent card balances by bucket (current left out), {currency}",
        width=1100,
        unit=currency,
    )
    bucket_table = text_table(
        "buckets-table",
        "Open accounts by bucket",
        ["Bucket", "Accounts", "Balance"],
        [[b, str(n), money(a)] for b, (n, a) in zip(buckets, counts) if b in found]
        or [["all buckets", "0", money(Decimal(0))]],
    )
    ceiling = p.long_term_dormant_ceiling_percent
    dormancy = bar_rows(
        [
            Bar("dormant", p.dormant_percent, percent(p.dormant_percent), GREY),
            Bar(
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
    facts = text_table(
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
            *(
                [["Cards in other currencies (a portfolio each)", ", ".join(others)]]
                if (others := [c for c in p.currencies if c != p.currency])
                else []
            ),
        ],
    )
    pair = figure("<h3>Accounts</h3>", accounts) + figure("<h3>Balances</h3>", balances)
    if any(a > 0 for _, _, a in late):
        pair += figure("<h3>Delinquent balances, on their own scale</h3>", delinquent)
    if not found:
        pair = note(f"{NONE_NOTE}: no open card accounts.")
    return (
        f'<div class="pair">{pair}</div>'
        + bucket_table
        + "<h3>Roll rates</h3>"
        + _roll_rates(p)
        + figure("<h3>Dormancy</h3>", dormancy)
        + facts
    )


def _roll_rates(p: PortfolioReport) -> str:
    if not p.roll_rates:
        return note(f"{NONE_NOTE}: no accounts to roll from the previous month-end.")
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
    return matrix(
        "roll-rate-table",
        f"Accounts from their bucket on {month_end} (rows) to their bucket on "
        f"{p.as_of.isoformat()} (columns); share of the row",
        "from \\ to",
        order,
        order,
        cells,
        {b: str(totals[b]) for b in order},
    )


def concentration(c: ConcentrationReport) -> str:
    if not c.groups:
        return note(f"{NONE_NOTE}: no credit groups.")
    over = [g.name for g in c.groups if g.within_cap is False]
    chart = bar_rows(
        [
            Bar(
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
    table = text_table(
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
                label_text(g.classification),
                str(len(g.members)),
            ]
            for g in c.groups
        ],
    )
    warning = note(f"Over the cap: {', '.join(over)}") if over else ""
    return figure(chart) + warning + table


def _group_text(g: GroupRow) -> str:
    text = percent(g.share_of_net_capital_percent)
    return text + (" \u2014 over cap" if g.within_cap is False else "")


def classification(c: ClassificationReport, m: MigrationReport) -> str:
    currency = c.rows[0].outstanding.currency if c.rows else ""
    chart = columns(
        [
            Bar(
                label_text(r.classification),
                r.outstanding.amount,
                compact(float(r.outstanding.amount)) if r.outstanding.amount else "",
                CLASS_COLOURS.get(r.classification, GREY),
                f"{r.lines} line" + ("" if r.lines == 1 else "s"),
                f"{label_text(r.classification)}: {money(r.outstanding.amount)}",
            )
            for r in c.rows
        ],
        label="Credit lines' outstanding balance by five-category class",
        width=1100,
    )
    table = text_table(
        "classification-table",
        f"Credit lines by class on {c.as_of.isoformat()}",
        ["Class", "Lines", f"Outstanding ({currency})"],
        [[label_text(r.classification), str(r.lines), money(r.outstanding.amount)] for r in c.rows],
    )
    if not any(r.outstanding.amount > 0 for r in c.rows):
        chart = note(f"{NONE_NOTE}: no credit line has a balance outstanding.")
    else:
        chart = figure(chart)
    return chart + table + "<h3>Migration</h3>" + _migration(m)


def _migration(m: MigrationReport) -> str:
    span = f"from {m.from_date.isoformat()} to {m.to_date.isoformat()}"
    if not m.cells:
        return note(f"{NONE_NOTE}: no credit lines {span}.")
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
    return matrix(
        "migration-table",
        f"Credit lines {span}: lines \u00b7 outstanding now; 'new' were granted "
        "after the start; red moved down, green moved up",
        "from \\ to",
        rows,
        cols,
        cells,
        totals,
    )


def managers(m: ManagerReport) -> str:
    """Each manager's grade, branch, book against the 1:15 rule and latest annual assessment;
    the succession pool."""
    rows = [
        (
            r.manager,
            r.grade or "unregistered",
            r.branch or "",
            str(r.customers),
            "below" if r.below_minimum else "",
            r.assessed or "",
            "" if r.assessment_total is None else f"{r.assessment_total}",
            ""
            if r.performance_weight is None
            else f"{r.performance_weight}/{100 - r.performance_weight}",
        )
        for r in m.rows
    ]
    pool = ", ".join(f"{r.manager} ({r.grade})" for r in m.succession_pool) or "nobody"
    return text_table(
        "managers-table",
        f"Relationship managers, {m.period_from} to {m.period_to} "
        f"(minimum {m.minimum} customers each)",
        (
            "Manager",
            "Grade",
            "Branch",
            "Customers",
            "1:15",
            "Assessed",
            "Total",
            "Weights (performance/behaviour)",
        ),
        rows,
    ) + note(f"Succession pool (serving senior and principal managers): {pool}.")


def value(c: ContributionReport) -> str:
    """The Pareto curve of contribution, its headline shares, and the shares by segment."""
    if c.total <= 0:
        return note(f"No positive contribution from {c.period_from} to {c.period_to}.")
    curve = [(f"{share:.0f}%", min(brought, Decimal(100))) for share, brought in c.pareto_curve]
    chart = rate_line(
        curve,
        label=f"Share of the contribution ({c.currency}) brought by the top share of customers",
        width=760,
    )
    summary = (
        f"{c.customers_counted} customers brought {money(c.total)} {c.currency} from "
        f"{c.period_from} to {c.period_to}: {percent(c.share_of_customers_for_80_percent)} of "
        f"them bring 80% of it; the top 4% bring {percent(c.top_4_percent_share)}, the top 20% "
        f"{percent(c.top_20_percent_share)}."
    )
    segments = [
        (
            g.name,
            str(g.customers),
            money(g.total),
            percent(g.share_of_customers_for_80_percent),
            percent(g.top_20_percent_share),
        )
        for g in c.by_segment
    ]
    return (
        figure(chart)
        + note(summary)
        + text_table(
            "segments-table",
            f"Contribution by segment ({c.currency})",
            (
                "Segment",
                "Customers",
                f"Contribution ({c.currency})",
                "Customers bringing 80%",
                "Top 20% bring",
            ),
            segments,
        )
    )


def risk(months: Sequence[MonthRisk]) -> str:
    names = [m.month for m in months]
    chart = line_chart(
        names,
        [
            ("PAR30 (cards)", ORANGE, [m.par30 for m in months]),
            ("PAR90 (cards)", RED, [m.par90 for m in months]),
            ("NPL ratio (credit lines)", BLUE, [m.npl for m in months]),
        ],
        label="PAR30, PAR90 and the NPL ratio at each month-end, percent",
        width=1100,
    )
    table = text_table(
        "risk-table",
        "At each month-end: card balances 30 and 90 or more days past "
        "due, and credit-line outstanding classified substandard, doubtful or loss, "
        "as a share of the whole",
        ("Month", "PAR30", "PAR90", "NPL ratio"),
        [(m.month, percent(m.par30), percent(m.par90), percent(m.npl)) for m in months],
    )
    return figure(chart) + table


def aging(a: AgingReport) -> str:
    """The trade-credit receivables aging table, with the command line's columns."""
    return listing_table("aging-table", listings("aging", a)["aging"])
