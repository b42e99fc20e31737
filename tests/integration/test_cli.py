"""The command line on an SQLite file: the demo, the raw log, the trail, rebuild, the report."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from clientbook import ClientBook
from clientbook.cli import main


def run(db: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["--db", db, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_demo_builds_a_book_and_the_other_commands_read_it(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    output = run(db, "demo", "--customers", "30", "--days", "20", "--seed", "7")
    assert "Relationship managers" in output and "m-001" in output
    with ClientBook.open(db) as book:
        head = book.head
        customers = book.directory.search()
    assert head > 30 and len(customers) == 30

    lines = run(db, "events").splitlines()
    assert len(lines) == head
    first = json.loads(lines[0])
    assert first["position"] == 1 and first["topic"].endswith("Customer.Registered")
    assert "_sealed" in first["state"] and "name" not in first["state"]

    rows = list(
        csv.DictReader(io.StringIO(run(db, "trail", "--aggregate", "C-000001", "--format", "csv")))
    )
    assert (
        rows[0]["event"] == "Registered" and json.loads(rows[0]["changes"])["number"] == "C-000001"
    )

    assert f"to position {head:,}" in run(db, "rebuild")
    with ClientBook.open(db) as book:
        assert book.directory.search() == customers

    report = run(db, "report", "managers", "--from", "2026-07-01", "--to", "2026-07-20")
    assert "minimum 15 customers" in report


def test_complaints_reach_the_report_the_worklist_and_the_cfpb_export(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    run(db, "demo", "--customers", "40", "--days", "30", "--seed", "3")
    with ClientBook.open(db) as book:
        cards = book.complaint_cards.cards()
        expected = book.reports.complaints(
            period_from=date(2026, 7, 1), period_to=date(2026, 7, 30), as_of=date(2026, 7, 20)
        )
    assert cards, "the demo receives complaints"
    report = run(
        db,
        "report",
        "complaints",
        "--from",
        "2026-07-01",
        "--to",
        "2026-07-30",
        "--as-of",
        "2026-07-20",
    )
    assert f"{expected.received} / {expected.accepted} / {expected.rejected}" in report
    exported = list(
        csv.DictReader(io.StringIO(run(db, "export", "cfpb", "--company", "Demo Bank")))
    )
    assert [row["Complaint ID"] for row in exported] == sorted(c.number for c in cards)
    assert {row["Company"] for row in exported} == {"Demo Bank"}
    work = run(db, "worklist", "--as-of", "2026-07-30")
    assert all(c.number in work for c in cards if c.is_open)


def test_the_demo_refuses_a_store_that_already_has_events(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    run(db, "demo", "--customers", "5", "--days", "3")
    result = CliRunner().invoke(main, ["--db", db, "demo", "--customers", "5", "--days", "3"])
    assert result.exit_code != 0 and "clientbook demo --reset" in result.output
    run(db, "demo", "--customers", "5", "--days", "3", "--reset")


def test_the_same_seed_gives_the_same_book(tmp_path: Path) -> None:
    books = []
    for name in ("a.db", "b.db"):
        db = f"sqlite:///{tmp_path / name}"
        run(db, "demo", "--customers", "20", "--days", "10", "--seed", "11")
        with ClientBook.open(db) as book:
            books.append(
                [
                    (e.event_type, e.aggregate_id, e.business_date, e.changes)
                    for e in book.audit.trail()
                ]
            )
    assert books[0] == books[1]
