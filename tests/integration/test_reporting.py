"""Reports an auditor can reproduce: manifests, `reproduce`, past books, the trail's four eyes.

One demo book on an SQLite file serves the module; tests that write to it work on a copy.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

from clientbook import Actor, ClientBook, InvalidValueError, Money, NotFoundError
from clientbook.cli import main
from clientbook.demo import Demo
from clientbook.reports.catalogue import REPORTS, Parameters, reproduce, rows_of, run_report
from clientbook.testing import change_policy

START = date(2026, 7, 1)
DAYS = 120
CLERK = Actor("u-auditor-test", {"officer"})


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reporting") / "demo.db"
    with ClientBook.open(f"sqlite:///{path}") as book:
        Demo(book, seed=5, managers=3, start=START).run(customers=40, days=DAYS)
    return path


@pytest.fixture
def book(demo_file: Path, tmp_path: Path) -> Iterator[ClientBook]:
    """A private copy of the demo book, with the key file that signs its checkpoints and the
    one that opens its personal data."""
    copy = tmp_path / "copy.db"
    shutil.copy(demo_file, copy)
    shutil.copy(f"{demo_file}.signing-key", f"{copy}.signing-key")
    shutil.copy(f"{demo_file}.key", f"{copy}.key")
    with ClientBook.open(f"sqlite:///{copy}") as opened:
        yield opened


LAST = START + timedelta(days=DAYS - 1)
PARAMETERS = Parameters(as_of=LAST, period_from=START, period_to=LAST)


def cli(db: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_every_report_reproduces_from_its_manifest_after_later_events(book: ClientBook) -> None:
    runs = {name: run_report(book, name, PARAMETERS) for name in REPORTS}
    for run in runs.values():
        assert run.manifest["log"]["position"] == book.head and run.rows
    later = LAST + timedelta(days=1)
    customer = book.customers.register(
        number="C-900001", kind="individual", name="Late Comer", manager="m-001", by=CLERK, on=later
    )
    book.complaints.receive(
        customer=customer,
        category="damages",
        channel="hotline",
        request="a later complaint",
        department="branch 1",
        claimed=Money("10.00"),
        by=CLERK,
        on=LAST,
    )  # dated inside the period
    book.close_of_business(later + timedelta(days=3))
    for name, run in runs.items():
        again = reproduce(book, json.loads(json.dumps(run.manifest)))
        assert again.identical, (name, again)
        assert again.rows == len(run.rows)
    now = run_report(book, "complaints", PARAMETERS)
    assert dict(now.rows)["received"] == str(int(dict(runs["complaints"].rows)["received"]) + 1)


def test_reproduce_names_each_row_that_differs(book: ClientBook) -> None:
    manifest = run_report(book, "complaints", PARAMETERS).manifest
    index = next(i for i, (key, _) in enumerate(manifest["rows"]) if key == "closed_in_time")
    true_value = manifest["rows"][index][1]
    manifest["rows"][index][1] = str(int(true_value) + 1)
    manifest["rows"].append(["by_channel[telegraph]", "3"])
    result = reproduce(book, manifest)
    assert not result.identical and result.log_unchanged
    assert [(d.key, d.expected, d.actual) for d in result.differences] == [
        ("closed_in_time", str(int(true_value) + 1), true_value),
        ("by_channel[telegraph]", "3", None),
    ]


def test_a_log_altered_after_the_report_is_detected(book: ClientBook, tmp_path: Path) -> None:
    manifest = run_report(book, "portfolio", PARAMETERS).manifest
    path = Path(book.store.sqlite_path or "")
    book.close()
    with sqlite3.connect(path) as connection:  # someone changes who issued a card
        rowid, state = connection.execute(
            "SELECT rowid, state FROM stored_events WHERE topic LIKE '%CardAccount.Issued' "
            "ORDER BY rowid LIMIT 1"
        ).fetchone()
        assert rowid <= manifest["log"]["position"]
        altered = state.replace(b"u-desk", b"u-dusk")
        assert altered != state
        connection.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (altered, rowid))
    with ClientBook.open(f"sqlite:///{path}") as reopened:
        result = reproduce(reopened, manifest)
    assert not result.log_unchanged and not result.identical


def test_the_manifest_holds_the_policy_as_the_log_held_it(book: ClientBook) -> None:
    run = run_report(book, "groups", PARAMETERS)
    assert run.manifest["policy"]["net_capital"] == "2000000000.00"
    change_policy(
        book,
        "concentration_cap_percent",
        "10",
        reason="a stricter board decision",
        by=Actor("u-gm", {"general_manager"}),
        on=START,
    )  # back-dated
    assert reproduce(book, run.manifest).identical
    now = run_report(book, "groups", PARAMETERS)
    assert now.manifest["policy"]["concentration_cap_percent"] == "10"
    assert dict(now.rows)["cap_percent"] == "10"


def test_bad_report_requests_say_what_is_wrong_and_write_nothing(book: ClientBook) -> None:
    head = book.head
    with pytest.raises(InvalidValueError, match="no report 'balance'"):
        run_report(book, "balance", PARAMETERS)
    with pytest.raises(InvalidValueError, match="outside the log"):
        run_report(book, "groups", PARAMETERS, position=head + 1)
    with pytest.raises(InvalidValueError, match="needs a period"):
        run_report(book, "migration", Parameters(as_of=LAST))
    with pytest.raises(InvalidValueError, match="not a clientbook report manifest"):
        reproduce(book, {"rows": []})
    with pytest.raises(NotFoundError, match="nothing in this book is called"):
        book.find("K-999999")
    assert book.head == head


def test_the_command_line_writes_a_manifest_and_reproduces_it(
    book: ClientBook, tmp_path: Path
) -> None:
    db = f"sqlite:///{book.store.sqlite_path}"
    position = book.head // 2
    book.close()
    manifest = tmp_path / "m.json"
    html = tmp_path / "r.html"
    code, output = cli(
        db,
        "report",
        "complaints",
        "--from",
        str(START),
        "--to",
        str(LAST),
        "--position",
        str(position),
        "--manifest",
        str(manifest),
        "--html",
        str(html),
    )
    assert code == 0, output
    assert f"log position {position:,}" in output and html.stat().st_size > 5000
    saved = json.loads(manifest.read_text())
    assert saved["log"]["position"] == position and saved["report"] == "complaints"
    code, output = cli(db, "reproduce", str(manifest))
    assert code == 0 and "identical" in output, output
    received = next(row for row in saved["rows"] if row[0] == "received")
    received[1] = "1000"
    manifest.write_text(json.dumps(saved))
    code, output = cli(db, "reproduce", str(manifest))
    assert code == 1 and "received" in output and "1000" in output, output


def test_a_past_book_answers_every_query_as_the_log_stood(book: ClientBook) -> None:
    position = book.head // 3
    cut_day = START + timedelta(days=30)
    with book.as_of(position=position) as past:
        entries = past.audit.trail()
        assert entries and max(e.position for e in entries) <= position
        assert past.directory.search() != book.directory.search()
        assert past.policy.in_force(LAST) == book.as_of(position=position).policy.in_force(LAST)
    with book.as_of(on=cut_day) as dated:
        dates = [e.business_date for e in dated.audit.trail() if e.business_date]
        assert max(dates) <= cut_day
        assert dated.complaint_cards.cards() and all(
            c.received_on <= cut_day for c in dated.complaint_cards.cards()
        )
    with pytest.raises(InvalidValueError, match="outside the log"):
        book.as_of(position=-1)


def test_the_trail_shows_who_proposed_what_an_approval_approves(book: ClientBook) -> None:
    approvals = book.audit.trail(event_type="ReportApproved")
    assert approvals
    for entry in approvals:
        assert entry.proposed_by == "u-investigator" and entry.proposed_by != entry.actor
        proposal = book.audit.trail(aggregate=entry.aggregate_id, event_type="Investigated")
        assert entry.proposal_position in [p.position for p in proposal]
    code, output = cli(
        f"sqlite:///{book.store.sqlite_path}",
        "trail",
        "--event-type",
        "ResolutionApproved",
        "--format",
        "jsonl",
    )
    rows = [json.loads(line) for line in output.splitlines()]
    assert rows and all(r["proposed_by"] and r["proposed_by"] != r["actor"] for r in rows)
    plain = book.audit.trail(event_type="Received")
    assert plain and all(e.proposed_by is None for e in plain)


def test_rows_name_list_items_by_their_own_key() -> None:
    from clientbook.reports.credit import ClassificationReport, ClassRow

    report = ClassificationReport(
        LAST, 7, (ClassRow("normal", 2, Money("10.00")), ClassRow("loss", 1, Money("5.00")))
    )
    assert list(rows_of(report)) == [
        ("as_of", LAST.isoformat()),
        ("position", "7"),
        ("rows[normal].classification", "normal"),
        ("rows[normal].lines", "2"),
        ("rows[normal].outstanding", "10.00 CNY"),
        ("rows[loss].classification", "loss"),
        ("rows[loss].lines", "1"),
        ("rows[loss].outstanding", "5.00 CNY"),
    ]


def test_manifests_and_past_books_on_every_backend(store_url: str) -> None:
    """The same on SQLite and PostgreSQL (where log positions may have gaps)."""
    with ClientBook.open(store_url) as live:
        Demo(live, seed=9, managers=2, start=START).run(customers=10, days=40)
        end = START + timedelta(days=39)
        parameters = Parameters(as_of=end, period_from=START, period_to=end)
        runs = {name: run_report(live, name, parameters) for name in REPORTS}
        directory = live.directory.search()
        position = live.head
        live.customers.register(
            number="C-900002", kind="individual", name="Later", manager="m-001", by=CLERK, on=end
        )
        live.close_of_business(end + timedelta(days=2))
        for name, run in runs.items():
            assert reproduce(live, run.manifest).identical, name
        with live.as_of(position=position) as past:
            assert past.directory.search() == directory
        assert len(live.directory.search()) == len(directory) + 1


def test_rows_keep_every_value_that_does_not_name_the_item() -> None:
    warnings = ((date(2026, 8, 1), "overdue_interest", "interest 30 days late"),)
    rows = dict(rows_of(warnings, "warnings"))
    assert rows == {"warnings[2026-08-01 → overdue_interest]": "interest 30 days late"}


def test_parameters_a_report_cannot_honour_are_refused(book: ClientBook) -> None:
    with pytest.raises(InvalidValueError, match="after its as-of date"):
        run_report(book, "migration", Parameters(as_of=START, period_from=START, period_to=LAST))
    later = run_report(book, "portfolio", Parameters(as_of=LAST, period_from=START))
    month = run_report(book, "portfolio", Parameters(as_of=LAST))
    assert dict(later.rows)["written_off"] >= dict(month.rows)["written_off"]
    assert later.report.as_of == LAST


def test_a_damaged_manifest_is_refused_with_a_reason(book: ClientBook, tmp_path: Path) -> None:
    manifest = run_report(book, "complaints", PARAMETERS).manifest
    broken = {k: v for k, v in manifest.items() if k != "log"}
    with pytest.raises(InvalidValueError, match="damaged or incomplete"):
        reproduce(book, broken)
    with pytest.raises(InvalidValueError, match="not a clientbook report manifest"):
        reproduce(book, ["rows"])  # type: ignore[arg-type]
    not_json = tmp_path / "x.json"
    not_json.write_text("{not json")
    code, output = cli(f"sqlite:///{book.store.sqlite_path}", "reproduce", str(not_json))
    assert code == 2 and "not a JSON report manifest" in output


def test_a_manifest_without_a_digest_says_the_log_was_not_checked(book: ClientBook) -> None:
    run = run_report(book, "groups", PARAMETERS, digest=False)
    assert run.manifest["log"]["digest"] is None
    result = reproduce(book, run.manifest)
    assert result.log_unchanged is None and result.identical


def test_reports_as_of_a_date_agree_with_the_book_as_of_that_date(book: ClientBook) -> None:
    for on in (START + timedelta(days=20), START + timedelta(days=75), LAST):
        with book.as_of(on=on) as past:
            assert past.reports.complaints(period_from=START, period_to=on) == attrs.evolve(
                book.reports.complaints(period_from=START, period_to=on, as_of=on),
                position=past.position,
            )
            assert past.card_accounts.portfolio(as_of=on) == attrs.evolve(
                book.card_accounts.portfolio(as_of=on), position=past.position
            )
            assert past.credit_reports.concentration(as_of=on).groups == (
                book.credit_reports.concentration(as_of=on).groups
            )


def test_a_manifest_records_the_chain_link_and_reproduce_names_the_covering_checkpoint(
    book: ClientBook,
) -> None:
    book.customers.register(
        number="C-900002", kind="individual", name="After Close", manager="m-001", by=CLERK, on=LAST
    )  # after the last checkpoint
    run = run_report(book, "complaints", PARAMETERS)
    position = run.manifest["log"]["position"]
    assert max(c.position for c in book.trust.checkpoints()) < position
    link = book.trust.link_at(position)
    assert link is not None and run.manifest["log"]["digest"] is None
    assert run.manifest["log"]["chain"] == {"seq": link.seq, "link": link.link.hex()}
    assert reproduce(book, run.manifest).checkpoint is None  # nothing signed after it yet
    signed = book.trust.checkpoint(note="after the report")
    again = reproduce(book, run.manifest)
    assert again.identical and again.checkpoint == signed.number


def test_a_manifest_whose_link_the_chain_no_longer_has_is_not_reproduced(
    book: ClientBook,
) -> None:
    manifest = run_report(book, "groups", PARAMETERS).manifest
    manifest["log"]["chain"]["link"] = "00" * 32
    result = reproduce(book, manifest)
    assert not result.log_unchanged and not result.identical
    assert result.log_damage and "is not the one the report was made from" in result.log_damage
    manifest["log"]["chain"] = {"seq": "x"}
    with pytest.raises(InvalidValueError, match="chain link is damaged"):
        reproduce(book, manifest)
