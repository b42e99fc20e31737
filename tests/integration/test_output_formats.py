"""Output for scripts and people: every report, the worklist and the trail as CSV and JSON that
parse, with the report object's figures and types; tables never cut when piped; buckets in
days-past-due order; a documented default period that the output names."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from click.testing import CliRunner

from clientbook import ClientBook, Money, __version__
from clientbook.cli import main
from clientbook.domain.card import BUCKETS
from clientbook.reports.html import money
from clientbook.projections.cards import CardFact
from clientbook.reports.portfolio import portfolio
from clientbook.reports.catalogue import REPORTS, Parameters, run_report
from clientbook.reports.render import amount_text
from _small_demo import LAST, START, small_demo

MAIN_ROWS = {  # the report's collection its CSV lists, one CSV row each
    "managers": lambda r: r.rows,
    "groups": lambda r: r.groups,
    "classification": lambda r: r.rows,
    "migration": lambda r: r.cells,
    "aging": lambda r: (*r.rows, "total"),
    "portfolio": lambda r: r.accounts_by_bucket,
}


@pytest.fixture(scope="module")
def demo_db() -> str:
    return small_demo()


def cli(db: str, *args: str) -> tuple[str, str]:
    result = CliRunner().invoke(main, ["--db", db, *args])
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def report_args(name: str) -> list[str]:
    return ["report", name, "--from", START.isoformat(), "--to", LAST.isoformat()]


def no_floats(value: Any) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(no_floats(v) for v in value.values())
    if isinstance(value, list):
        return all(no_floats(v) for v in value)
    return True


@pytest.mark.parametrize("name", list(REPORTS))
def test_every_reports_json_keeps_its_figures_and_types(demo_db: str, name: str) -> None:
    with ClientBook.open(demo_db) as book:
        report = run_report(book, name, Parameters(LAST, START, LAST)).report
    document = json.loads(cli(demo_db, *report_args(name), "--format", "json")[0])
    assert document["report"] == name and document["position"] == report.position
    assert no_floats(document), "amounts and rates are strings, never floats"
    for field, value in ((f, getattr(report, f)) for f in document if hasattr(report, f)):
        if isinstance(value, date):
            assert document[field] == value.isoformat(), field
        elif isinstance(value, Money):
            assert document[field] == {"amount": str(value.amount), "currency": value.currency}
        elif isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            assert document[field] == (value if isinstance(value, int) else str(value)), field


@pytest.mark.parametrize("name", list(MAIN_ROWS))
def test_every_reports_csv_parses_with_a_row_per_item(demo_db: str, name: str) -> None:
    with ClientBook.open(demo_db) as book:
        report = run_report(book, name, Parameters(LAST, START, LAST)).report
    rows = list(csv.DictReader(io.StringIO(cli(demo_db, *report_args(name), "--format", "csv")[0])))
    assert len(rows) == len(MAIN_ROWS[name](report))
    money_columns = [c for c in rows[0] if c.endswith(" (CNY)")] if rows else []
    for row in rows:
        for column in money_columns:
            assert Decimal(row[column]) == Decimal(row[column]).quantize(Decimal("0.01"))


def test_the_groups_csv_has_the_report_objects_amounts_with_the_currency_in_the_header(
    demo_db: str,
) -> None:
    with ClientBook.open(demo_db) as book:
        groups = book.credit_reports.concentration(as_of=LAST).groups
    assert groups, "the demo forms groups"
    rows = list(
        csv.DictReader(
            io.StringIO(
                cli(demo_db, "report", "groups", "--as-of", LAST.isoformat(), "--format", "csv")[0]
            )
        )
    )
    assert [(r["group"], r["limit (CNY)"], r["outstanding (CNY)"]) for r in rows] == [
        (g.name, str(g.limit.amount), str(g.outstanding.amount)) for g in groups
    ]
    members = cli(
        demo_db,
        "report",
        "groups",
        "--as-of",
        LAST.isoformat(),
        "--format",
        "csv",
        "--table",
        "members",
    )[0]
    assert len(list(csv.DictReader(io.StringIO(members)))) == sum(len(g.members) for g in groups)


def test_a_piped_table_is_never_cut_and_amounts_line_up_on_the_right(demo_db: str) -> None:
    with ClientBook.open(demo_db) as book:
        groups = book.credit_reports.concentration(as_of=LAST).groups
    text = cli(demo_db, "report", "groups", "--as-of", LAST.isoformat())[0]
    assert "…" not in text
    for g in groups:
        line = next(line for line in text.splitlines() if g.name in line)
        assert f" {amount_text(g.limit.amount)} │" in line
    header = next(line for line in text.splitlines() if "limit (CNY)" in line)
    rows = [line for line in text.splitlines() if any(g.name in line for g in groups)]
    ends = {
        line.index(amount_text(g.limit.amount)) + len(amount_text(g.limit.amount))
        for g, line in zip(groups, rows)
    }
    assert ends == {header.index("limit (CNY)") + len("limit (CNY)")}  # right-aligned


def test_the_worklist_and_the_trail_as_csv_and_json(demo_db: str) -> None:
    on = START + timedelta(days=40)
    listed = json.loads(cli(demo_db, "worklist", "--as-of", on.isoformat(), "--format", "json")[0])
    rows = list(
        csv.DictReader(
            io.StringIO(cli(demo_db, "worklist", "--as-of", on.isoformat(), "--format", "csv")[0])
        )
    )
    assert listed["as_of"] == on.isoformat() and listed["rows"]
    assert [r["complaint"] for r in rows] == [r["complaint"] for r in listed["rows"]]
    assert all(isinstance(r["days_left"], int) for r in listed["rows"])
    trail = json.loads(cli(demo_db, "trail", "--limit", "5", "--format", "json")[0])
    assert [r["position"] for r in trail["rows"]] == [1, 2, 3, 4, 5]


def test_a_report_without_a_period_covers_the_month_up_to_the_as_of_date_and_says_so(
    demo_db: str,
) -> None:
    on = START + timedelta(days=50)
    out, err = cli(demo_db, "report", "complaints", "--as-of", on.isoformat(), "--format", "json")
    month = (on.replace(day=1), on)
    assert f"period not given: {month[0]} to {month[1]}" in err
    document = json.loads(out)
    assert (document["period_from"], document["period_to"]) == tuple(map(str, month))
    with ClientBook.open(demo_db) as book:
        expected = book.reports.complaints(period_from=month[0], period_to=on, as_of=on)
    assert document["received"] == expected.received


def test_buckets_are_in_days_past_due_order() -> None:
    facts, on = [], date(2027, 1, 15)
    for n, bucket in enumerate(reversed(BUCKETS)):  # text order would put 120-149 first
        account = uuid4()
        facts += [
            CardFact(2 * n + 1, account, "Issued", on),
            CardFact(2 * n + 2, account, "DelinquencyMoved", on, bucket=bucket),
        ]
    report = portfolio(facts, as_of=on, position=len(facts), ceiling_percent=Decimal("20"))
    assert [b for b, _, _ in report.accounts_by_bucket] == list(BUCKETS)


def test_one_money_formatter_for_the_terminal_and_the_html_report() -> None:
    for amount in (Decimal("30000000"), Decimal("745565.085"), Decimal("-0.5")):
        assert money(amount) == amount_text(amount)
    assert amount_text(Decimal("745565.085")) == "745,565.09"


def test_version_db_help_and_python_dash_m(tmp_path: Any) -> None:
    assert __version__ in CliRunner().invoke(main, ["--version"]).output
    assert "CLIENTBOOK_DB" in CliRunner().invoke(main, ["--help"]).output
    done = subprocess.run(
        [sys.executable, "-m", "clientbook", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip() == f"clientbook, version {__version__}"


def test_the_projections_status_as_csv_has_a_row_per_projection(demo_db: str) -> None:
    status = json.loads(cli(demo_db, "projections", "status", "--format", "json")[0])
    rows = list(
        csv.DictReader(io.StringIO(cli(demo_db, "projections", "status", "--format", "csv")[0]))
    )
    assert [r["name"] for r in rows] == [s["name"] for s in status] and len(
        rows
    ) == 10  # one per projection
    assert [int(r["position"]) for r in rows] == [s["position"] for s in status]
