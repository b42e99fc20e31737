"""The command line on an SQLite file: the demo, the raw log, the trail, rebuild, the report."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from uuid import UUID

from click.testing import CliRunner

from clientbook import ClientBook
from clientbook.adapters.uci_cards import read_holders
from clientbook.cli import main
from clientbook.reports.catalogue import REPORTS, Parameters, run_report


def run(db: str, *args: str) -> str:
    """Run a command; the demo writes its HTML report beside the database unless told where."""
    html = Path(db.removeprefix("sqlite:///") + ".html")
    if args[0] == "demo" and "--html" not in args:
        args = (*args, "--html", str(html))
    result = CliRunner().invoke(main, ["--db", db, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    if args[-2:] == ("--html", str(html)):
        assert "<svg" in html.read_text(encoding="utf-8")
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

    everything = run(db, "trail", "--recorded-to", "2999-01-01", "--format", "jsonl")
    assert len(everything.splitlines()) == head
    assert run(db, "trail", "--recorded-from", "2999-01-01", "--format", "jsonl") == ""

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
    result = CliRunner().invoke(
        main, ["--db", db, "demo", "--customers", "5", "--days", "3", "--html", ""]
    )
    assert result.exit_code != 0 and "clientbook demo --reset" in result.output
    run(db, "demo", "--customers", "5", "--days", "3", "--reset")


def test_the_same_seed_gives_the_same_reports_and_another_seed_other_ones(tmp_path: Path) -> None:
    def demo(name: str, seed: str) -> tuple[list[object], dict[str, object]]:
        db = f"sqlite:///{tmp_path / name}"
        html = tmp_path / f"{name}.html"
        run(db, "demo", "--customers", "20", "--days", "40", "--seed", seed, "--html", str(html))
        with ClientBook.open(db) as book:
            # An identity claim's id and digest are keyed by the book's own secret index key
            # (docs/security.md), so they differ between books by design: claims are compared
            # by their order of appearance, every other id as it is.
            claims: dict[UUID, int] = {}
            trail = [
                (
                    e.event_type,
                    claims.setdefault(e.aggregate_id, len(claims)),
                    e.business_date,
                    {k: v for k, v in e.changes.items() if k != "document_key"},
                )
                if e.aggregate_type == "IdentityClaim"
                else (e.event_type, e.aggregate_id, e.business_date, e.changes)
                for e in book.audit.trail()
            ]
            parameters = Parameters(date(2026, 8, 9), date(2026, 7, 1), date(2026, 8, 9))
            reports = {n: run_report(book, n, parameters).rows for n in REPORTS}
        return trail, {**reports, "html": html.read_text(encoding="utf-8")}

    first, again, other = demo("a.db", "11"), demo("b.db", "11"), demo("c.db", "12")
    assert first == again
    assert first[0] != other[0]
    differing = [name for name in first[1] if first[1][name] != other[1][name]]
    assert {"managers", "complaints", "html"} <= set(differing), differing


def test_the_demo_can_shape_its_card_holders_on_the_real_data(
    tmp_path: Path, card_data: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'cards.db'}"
    data = card_data
    run(db, "demo", "--customers", "30", "--days", "40", "--cards-from", str(data), "--html", "")
    holders = list(read_holders(data, 5))
    with ClientBook.open(db) as book:
        trail = book.audit.trail(event_type="Applied")
        applied = [book.cards.account(e.aggregate_id) for e in trail]
    assert applied and all(a.applicant.monthly_income.currency == "CNY" for a in applied)
    assert [(a.applicant.monthly_income.amount, a.applicant.age) for a in applied[:2]] == [
        (h.limit / 5, h.age) for h in holders[:2]
    ]
    assert not (tmp_path / "clientbook-report.html").exists()


def test_an_import_refused_by_a_key_says_why_in_one_line_and_writes_nothing(
    tmp_path: Path,
) -> None:
    import hashlib

    from clientbook import Actor

    data = tmp_path / "cards.csv"
    data.write_text(
        "ID," + ",".join(f"X{n}" for n in range(1, 24)) + ",Y\n"
        "1,20000,2,2,1,24,2,2,-1,-1,-2,-2,3913,3102,689,0,0,0,0,689,0,0,0,0,1\n"
    )
    db = f"sqlite:///{tmp_path / 'book.db'}"
    key = f"uci-cards/{hashlib.sha256(data.read_bytes()).hexdigest()[:16]}/policy"
    with ClientBook.open(db) as book:  # the key the import derives, taken by another command
        book.policy.propose(
            "lapse_grace_days",
            "5",
            reason="branch practice",
            effective=date(2026, 1, 5),
            on=date(2026, 1, 5),
            by=Actor("u-boss", {"administration"}),
            idempotency_key=key,
        )
        head = book.head
    result = CliRunner().invoke(main, ["--db", db, "import", "uci-cards", str(data)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "IdempotencyKeyReused" not in lines[0], result.stderr
    assert lines[0].startswith("Error: idempotency key") and "policy.propose by u-boss" in lines[0]
    with ClientBook.open(db) as book:
        assert book.head == head
