"""The HTML report: one self-contained page, laid out by a real headless browser (chromium)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from clientbook import __version__
from clientbook.reports.credit import (
    ClassificationReport,
    ClassRow,
    ConcentrationReport,
    GroupRow,
    MigrationCell,
    MigrationReport,
)
from clientbook.book import ClientBook
from clientbook.demo import Demo
from clientbook.domain.credit_line import CLASSES
from clientbook.domain.money import Money
from clientbook.reports.html import HtmlInputs, collect, render_html
from clientbook.reports.portfolio import PortfolioReport
from clientbook.reports.complaints import ComplaintsReport

REQUIRE_BROWSER = os.environ.get("CLIENTBOOK_REQUIRE_BROWSER") == "1"
START = date(2026, 7, 1)


# -- helpers -------------------------------------------------------------------------------


def pct(value: Decimal | None) -> str:
    """The page's percentages, restated here: one decimal, half up."""
    return "n/a" if value is None else f"{value.quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def cash(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"


def assert_self_contained(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    # No element refers to anything (the script's CSV download makes a blob: URL of the
    # page's own table, and the CSP lets nothing be fetched).
    markup = re.sub(r"<script>.*?</script>", "", page, flags=re.DOTALL)
    assert re.search(r"\b(src|href|srcset|action)\s*=", markup, re.IGNORECASE) is None
    assert "createObjectURL(new Blob(" in page and "fetch(" not in page
    assert "url(" not in page and "@import" not in page and "@font-face" not in page


class Dom(HTMLParser):
    """What the test reads of a page: body attributes, #errors, table cells, visible text."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.body: dict[str, str | None] = {}
        self.errors: str | None = None
        self.tables: dict[str, list[list[str]]] = {}
        self.text: list[str] = []
        self._hidden = 0
        self._in_errors = False
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "body":
            self.body = found
        elif tag in ("script", "style"):
            self._hidden += 1
        elif tag == "pre" and found.get("id") == "errors":
            self._in_errors, self.errors = True, ""
        elif tag == "table":
            self._table = self.tables.setdefault(found.get("id") or "", [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1
        elif tag == "pre":
            self._in_errors = False
        elif tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._cell is not None and self._table:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        self.text.append(data)
        if self._in_errors and self.errors is not None:
            self.errors += data
        if self._cell is not None:
            self._cell.append(data)

    def row(self, table: str, first: str) -> list[str]:
        rows = [r for r in self.tables.get(table, []) if r and r[0] == first]
        assert rows, f"no row {first!r} in table {table!r}: {self.tables.get(table)}"
        return rows[0]


@pytest.fixture(scope="module")
def chromium() -> str:
    """The browser; without one the browser tests skip and say why, or fail when required."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if REQUIRE_BROWSER:
        pytest.fail(
            "CLIENTBOOK_REQUIRE_BROWSER=1 but chromium is not on PATH (apt-get install chromium)"
        )
    pytest.skip(
        "chromium is not on PATH (apt-get install chromium); "
        "set CLIENTBOOK_REQUIRE_BROWSER=1 to make its absence a failure"
    )


def headless(chromium: str, page: Path, profile: Path, *args: str) -> str:
    """Run chromium headless on the page with a fresh profile; its stdout."""
    command = [
        chromium,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--virtual-time-budget=5000",
        f"--user-data-dir={profile}",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        *args,
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"chromium exited {done.returncode}: {done.stderr[-3000:]}"
    return done.stdout


# -- the demo book, rendered ---------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ClientBook, HtmlInputs, Path]]:
    """A small demo book (complaints, two credit groups, cards), its inputs and its page."""
    with ClientBook.open("memory:") as book:
        last = Demo(book, seed=2026, managers=4, start=START).run(customers=60, days=240)
        inputs = collect(book, as_of=last)
        page = tmp_path_factory.mktemp("html") / "report.html"
        page.write_text(render_html(inputs), encoding="utf-8")
        yield book, inputs, page


def test_collect_cuts_every_report_at_the_head_and_renders_the_same_page_twice(
    demo: tuple[ClientBook, HtmlInputs, Path],
) -> None:
    book, inputs, page = demo
    assert inputs.position == book.head > 0
    assert len(inputs.complaints_by_month) == 12
    assert inputs.complaints_by_month[-1].period_from == inputs.as_of.replace(day=1)
    assert inputs.complaints_by_month[0].period_from == date(2026, 3, 1)
    assert (inputs.migration.from_date, inputs.migration.to_date) == (
        date(2026, 3, 1),
        inputs.as_of,
    )
    positions = {r.position for r in inputs.complaints_by_month} | {
        inputs.portfolio.position,
        inputs.concentration.position,
        inputs.migration.position,
        inputs.classification.position,
    }
    assert positions == {inputs.position}
    assert inputs.version == __version__
    again = render_html(collect(book, as_of=inputs.as_of))
    assert again == page.read_text(encoding="utf-8")
    assert_self_contained(again)


def test_the_browser_lays_out_every_chart_and_shows_the_figures(
    chromium: str, demo: tuple[ClientBook, HtmlInputs, Path], tmp_path: Path
) -> None:
    _, inputs, page = demo
    assert_self_contained(page.read_text(encoding="utf-8"))
    dom = Dom(headless(chromium, page, tmp_path / "profile", "--dump-dom"))

    assert dom.errors == "", f"script errors in the page: {dom.errors}"
    assert dom.body.get("data-rendered") == "ok", dom.body
    complaints, cards = inputs.complaints_by_month, inputs.portfolio
    groups = inputs.concentration.groups
    bars = sum(1 for r in complaints if r.received) + sum(
        1 for _, n, _ in cards.accounts_by_bucket if n
    )
    bars += sum(1 for _, _, a in cards.accounts_by_bucket if a > 0)
    bars += sum(1 for r in inputs.classification.rows if r.outstanding.amount > 0)
    bars += sum(1 for g in groups if (g.share_of_net_capital_percent or 0) > 0)
    dots = sum(1 for r in complaints if r.closed_in_time_percent is not None)
    assert bars > 0 and dots > 0
    assert int(dom.body.get("data-marks") or 0) >= bars + dots

    text = " ".join(" ".join(dom.text).split())
    assert inputs.title in text and inputs.as_of.isoformat() in text
    assert f"Log position {inputs.position}" in text and __version__ in text

    last = complaints[-1]
    assert last.received > 0
    month = last.period_from.strftime("%Y-%m")
    assert dom.row("complaints-table", month) == [
        month,
        str(last.received),
        str(last.closed),
        str(last.closed_in_time),
        pct(last.closed_in_time_percent),
    ]

    assert groups, "the demo forms credit groups"
    group = dom.row("groups-table", groups[0].name)
    assert pct(groups[0].share_of_net_capital_percent) in group
    assert cash(groups[0].limit.amount) in group
    assert f"cap {pct(inputs.concentration.cap_percent)}" in text

    current = next((n, a) for b, n, a in cards.accounts_by_bucket if b == "current")
    assert current[0] > 0
    assert dom.row("buckets-table", "current") == ["current", str(current[0]), cash(current[1])]
    assert dom.row("cards-kpi-table", "Accounts issued") == ["Accounts issued", str(cards.issued)]

    for row in inputs.classification.rows:
        shown = dom.row("classification-table", row.classification.replace("_", " "))
        assert shown[1:] == [str(row.lines), cash(row.outstanding.amount)]
    for cell in inputs.migration.cells:
        shown = dom.row("migration-table", cell.from_class.replace("_", " "))
        assert f"{cell.lines} \u00b7 {cash(cell.outstanding.amount)}" in shown


def test_the_browser_draws_a_screenshot_of_the_page(
    chromium: str, demo: tuple[ClientBook, HtmlInputs, Path], tmp_path: Path
) -> None:
    _, _, page = demo
    shot = tmp_path / "r.png"
    headless(
        chromium, page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,4000"
    )
    assert shot.exists(), "chromium wrote no screenshot"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000


# -- pure: inputs made by hand -------------------------------------------------------------

AS_OF = date(2027, 3, 15)


def cny(amount: str) -> Money:
    return Money(Decimal(amount), "CNY")


def month(first: date, received: int, closed: int, in_time: int) -> ComplaintsReport:
    rate = None if not closed else (Decimal(100 * in_time) / closed).quantize(Decimal("0.01"))
    return ComplaintsReport(
        period_from=first,
        period_to=first.replace(day=28),
        as_of=AS_OF,
        position=42,
        received=received,
        accepted=received,
        rejected=0,
        closed=closed,
        closed_in_time=in_time,
        closed_in_time_percent=rate,
        open_overdue=0,
        reopened=0,
        by_category=(),
        by_channel=(),
        by_department=(),
        average_days_to_close=None,
        max_days_to_close=None,
        compensation_approved=(),
        compensation_paid=(),
        average_satisfaction=None,
    )


def group(name: str, share: str, within_cap: bool) -> GroupRow:
    return GroupRow(
        name=name,
        lead_branch="Head office",
        lead_manager="m-001",
        limit=cny("400000000.00"),
        allocated=cny("300000000.00"),
        committed=cny("250000000.00"),
        outstanding=cny("40000000.00"),
        usage_percent=Decimal("10.00"),
        share_of_net_capital_percent=Decimal(share),
        cap=cny("300000000.00"),
        within_cap=within_cap,
        tier1_percent=Decimal("25.00"),
        large_exposure=True,
        over_large_exposure_limit=False,
        classification="normal",
        cross_default=None,
        under_review=False,
        warnings=(),
        members=(),
    )


def hand_made(*, groups: tuple[GroupRow, ...], empty: bool = False) -> HtmlInputs:
    firsts = (date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1))
    counts = ((0, 0, 0),) * 3 if empty else ((3, 2, 2), (5, 4, 3), (1, 0, 0))
    cells = () if empty else (MigrationCell("normal", "special_mention", 1, cny("100.00")),)
    return HtmlInputs(
        title="Hand-made <book> & co",
        as_of=AS_OF,
        position=42,
        version="0.0.test",
        complaints_by_month=tuple(month(f, *c) for f, c in zip(firsts, counts)),
        portfolio=PortfolioReport(
            as_of=AS_OF,
            position=42,
            currency="CNY",
            accounts_by_status=(("active", 3, Decimal("1200.00")),),
            accounts_by_bucket=(("30-59", 1, Decimal("200.00")), ("current", 2, Decimal(1000))),
            balances_by_class=(("normal", Decimal("1200.00")),),
            roll_rates=(("current", "current", 2), ("1-29", "30-59", 1)),
            cure_rate_percent=Decimal("0.00"),
            written_off=Decimal(0),
            recovered=Decimal(0),
            issued=3,
            activation_rate_percent=Decimal("100.00"),
            dormant_percent=Decimal("33.33"),
            long_term_dormant_percent=Decimal("33.33"),
            long_term_dormant_ceiling_percent=Decimal(20),
            long_term_dormant_within_ceiling=False,
        ),
        concentration=ConcentrationReport(AS_OF, 42, Decimal(15), Decimal(10), Decimal(50), groups),
        migration=MigrationReport(date(2026, 3, 15), AS_OF, 42, cells),
        classification=ClassificationReport(
            AS_OF, 42, tuple(ClassRow(c, 1, cny("100.00")) for c in CLASSES)
        ),
    )


def section(page: str, key: str) -> str:
    return page.split(f'<section id="{key}">')[1].split("</section>")[0]


def test_the_same_inputs_give_the_same_page_and_a_hostile_group_name_is_escaped() -> None:
    hostile = '<script>alert("x")</script> & Sons'
    inputs = hand_made(groups=(group(hostile, "20.00", within_cap=False),))
    page = render_html(inputs)

    assert page == render_html(inputs)
    assert page.count("<script>") == 1  # the page's own, in the head
    assert "alert(" not in page.split("</head>")[0]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Sons" in page
    assert "Hand-made &lt;book&gt; &amp; co" in page
    assert_self_contained(page)
    dom = Dom(page)
    assert dom.row("groups-table", hostile)[7] == "OVER CAP"
    assert "20.0% \u2014 over cap" in section(page, "concentration")
    assert dom.row("complaints-table", "2027-02") == ["2027-02", "5", "4", "3", "75.0%"]
    assert dom.row("complaints-table", "2027-03") == ["2027-03", "1", "0", "0", "n/a"]
    assert dom.row("cards-kpi-table", "Within the ceiling") == ["Within the ceiling", "NO"]
    assert "data-rendered" not in dom.body  # only the browser sets it


def test_an_empty_period_says_so_instead_of_drawing_a_broken_chart() -> None:
    page = render_html(hand_made(groups=(), empty=True))

    for key in ("complaints", "concentration"):
        assert "None in this period" in section(page, key)
        assert "<svg" not in section(page, key)
    assert "None in this period: no credit lines" in section(page, "classification")
    assert Dom(page).row("complaints-table", "2027-01") == ["2027-01", "0", "0", "0", "n/a"]
    assert_self_contained(page)


def test_the_page_serves_a_risk_committee(
    chromium: str, demo: tuple[ClientBook, HtmlInputs, Path], tmp_path: Path
) -> None:
    """PAR30, PAR90 and the NPL ratio by month; delinquent buckets on their own scale; units
    on the axes; the trade-credit aging with the command line's columns; a print stylesheet;
    every table downloadable as CSV from the page itself."""
    book, inputs, page = demo
    markup = page.read_text(encoding="utf-8")
    dumped = headless(chromium, page, tmp_path / "profile", "--dump-dom")
    dom = Dom(dumped)
    assert dom.errors == "" and dom.body.get("data-rendered") == "ok"

    assert len(inputs.risk_by_month) == 12
    for m in inputs.risk_by_month:
        assert dom.row("risk-table", m.month) == [m.month, pct(m.par30), pct(m.par90), pct(m.npl)]
    last = inputs.risk_by_month[-1]
    cards = book.reports.portfolio(as_of=inputs.as_of, position=inputs.position)
    balances = {bucket: balance for bucket, _, balance in cards.accounts_by_bucket}
    total = sum(balances.values(), Decimal(0))
    late = sum((b for k, b in balances.items() if k not in ("current", "1-29")), Decimal(0))
    assert total > 0 and last.par30 == (late * 100 / total).quantize(Decimal("0.01"), ROUND_HALF_UP)
    lines = book.reports.classification(as_of=inputs.as_of, position=inputs.position)
    bad = sum(
        (
            r.outstanding.amount
            for r in lines.rows
            if r.classification in ("substandard", "doubtful", "loss")
        ),
        Decimal(0),
    )
    whole = sum((r.outstanding.amount for r in lines.rows), Decimal(0))
    assert last.npl == (bad * 100 / whole).quantize(Decimal("0.01"), ROUND_HALF_UP)

    assert "Delinquent card balances by bucket (current left out)" in markup
    assert f'class="unit" x="4.0" y="12.0" text-anchor="start">{inputs.currency}</text>' in markup
    assert 'text-anchor="start">accounts</text>' in markup
    assert inputs.aging is not None
    from clientbook.reports.listings import listings

    listing = listings("aging", inputs.aging)["aging"]
    assert dom.tables["aging-table"][0] == list(listing.headers(keys=False))
    assert "@media print" in markup
    tables = [name for name in dom.tables if name]
    assert len(tables) >= 10 and dumped.count('<button class="csv"') == len(tables)
