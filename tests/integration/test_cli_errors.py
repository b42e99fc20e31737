"""Bad input at the command line: one line on stderr, a non-zero exit, never a traceback, and
nothing written (no store created, no file changed, no event appended)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result

from clientbook import Actor, ClientBook, StoreNotFoundError
from clientbook.cli import main
from conftest import POSTGRES_URL, postgres_schema_url

HEADER = "ID," + ",".join(f"X{n}" for n in range(1, 24)) + ",Y\n"
HOLDER = "1,20000,2,2,1,24,2,2,-1,-1,-2,-2,3913,3102,689,0,0,0,0,689,0,0,0,0,1\n"
CLERK = Actor("u-clerk", {"officer"})


def refused(*args: str, status: int | None = None) -> str:
    """Run the command; it must fail in one line on stderr (no traceback); that line."""
    result: Result = CliRunner().invoke(main, list(args))
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
    assert result.exit_code != 0 if status is None else result.exit_code == status
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def files(folder: Path) -> dict[str, str]:
    """What a folder holds, with each file's digest: to show that nothing was written."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.fixture
def a_book(tmp_path: Path) -> str:
    """A small SQLite book with one customer."""
    db = f"sqlite:///{tmp_path / 'book.db'}"
    with ClientBook.open(db) as book:
        book.customers.register(
            number="C-000001",
            kind="individual",
            name="Li Lei",
            manager="m-001",
            by=CLERK,
            on=date(2026, 7, 1),
        )
    return db


def test_a_sqlite_file_in_a_missing_folder_is_refused_and_no_folder_is_made(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'missing' / 'book.db'}"
    assert "the folder" in refused("--db", db, "demo", "--days", "2", "--html", "")
    assert "there is no book at" in refused("--db", db, "report", "groups")
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    "url, says",
    [
        ("foo://bar", "use memory:, sqlite:///path.db or postgresql://"),
        ("sqlite:///", "names no SQLite file"),
    ],
)
def test_a_store_url_clientbook_cannot_open_is_refused(url: str, says: str, tmp_path: Path) -> None:
    assert says in refused("--db", url, "report", "groups")


def test_a_file_that_is_not_sqlite_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("my notes, not a database\n")
    before = files(tmp_path)
    for command in (["report", "groups"], ["demo", "--days", "2", "--html", ""]):
        assert "is not a SQLite database" in refused("--db", f"sqlite:///{notes}", *command)
    assert files(tmp_path) == before


def test_a_read_command_on_a_mistyped_path_creates_no_empty_book(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'typo.db'}"
    for command in (
        ["report", "groups"],
        ["worklist", "--as-of", "2026-07-01"],
        ["trail"],
        ["events"],
        ["export", "cfpb"],
        ["projections", "status"],
    ):
        assert "there is no book at" in refused("--db", db, *command)
    assert files(tmp_path) == {}
    with pytest.raises(StoreNotFoundError, match="there is no book at"):
        ClientBook.open(db, create=False)
    assert files(tmp_path) == {}


def test_an_unreachable_postgresql_is_one_line_with_the_temporary_failure_status() -> None:
    line = refused("--db", "postgresql://postgres@127.0.0.1:1/test?timeout=0.3", "trail", status=75)
    assert "is unavailable" in line and "127.0.0.1:1" in line


def test_an_unknown_postgresql_database_is_refused() -> None:
    next(postgres_schema_url(), None)  # skips (or fails under CI) without a server
    base = POSTGRES_URL.rsplit("/", 1)[0]
    line = refused("--db", f"{base}/no_such_database_here", "report", "groups")
    assert 'database "no_such_database_here" does not exist' in line


def test_a_read_command_on_a_missing_postgresql_schema_creates_none() -> None:
    url = next(postgres_schema_url())
    assert "there is no book in schema" in refused("--db", url, "trail")
    schema = url.rsplit("=", 1)[1]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        found = "SELECT 1 FROM pg_namespace WHERE nspname = %s"
        assert connection.execute(found, (schema,)).fetchone() is None


@pytest.mark.parametrize(
    "content, says",
    [
        (HEADER.replace("ID,", "") + HOLDER.split(",", 1)[1], "lacks the column ID"),
        (HEADER + HOLDER + "2,120000,2\n", "line 3: no value for X3"),
        (HEADER + HOLDER.replace(",24,", ",twenty,"), "line 2: ID and X5 (age) are whole"),
        (HEADER, "holds no card holders"),
        (b"\x7fELF\x02\x01\x01\x00\xd0\xff binary", "is not a UCI card CSV file"),
    ],
    ids=["no-ID-column", "truncated-row", "age-not-a-number", "header-only", "binary"],
)
def test_an_import_file_that_is_not_the_card_data_is_refused_and_writes_nothing(
    tmp_path: Path, content: str | bytes, says: str
) -> None:
    data = tmp_path / "cards.csv"
    data.write_bytes(content if isinstance(content, bytes) else content.encode())
    db = f"sqlite:///{tmp_path / 'book.db'}"
    assert says in refused("--db", db, "import", "uci-cards", str(data))
    assert says in refused("--db", db, "demo", "--cards-from", str(data), "--html", "")
    assert files(tmp_path) == {"cards.csv": hashlib.sha256(data.read_bytes()).hexdigest()}


@pytest.mark.parametrize(
    "command, says",
    [
        (["import", "uci-cards", "{data}", "--rows", "-5"], "'--rows': -5 is not in the range"),
        (["import", "uci-cards", "{data}", "--rows", "0"], "'--rows': 0 is not in the range"),
        (["trail", "--limit", "-1"], "'--limit': -1 is not in the range"),
        (["demo", "--start", "2026-02-30"], "'--start': '2026-02-30' does not match"),
        (["report", "nosuch"], "'nosuch' is not one of 'managers'"),
    ],
)
def test_an_option_out_of_its_range_is_one_line_naming_it(
    tmp_path: Path, a_book: str, command: list[str], says: str
) -> None:
    data = tmp_path / "cards.csv"
    data.write_text(HEADER + HOLDER)
    before = files(tmp_path)
    line = refused("--db", a_book, *[c.format(data=data) for c in command], status=2)
    assert says in line and "--help" in line
    assert files(tmp_path) == before


def test_an_unwritable_manifest_or_export_file_is_one_line(tmp_path: Path, a_book: str) -> None:
    nowhere = tmp_path / "no-such-folder"
    with ClientBook.open(a_book) as book:
        head = book.head
    line = refused("--db", a_book, "report", "groups", "--manifest", str(nowhere / "m.json"))
    assert line.startswith(f"Error: cannot write the manifest to {nowhere / 'm.json'}")
    line = refused("--db", a_book, "export", "cfpb", "-o", str(nowhere / "cfpb.csv"))
    assert line.startswith(f"Error: cannot write the export to {nowhere / 'cfpb.csv'}")
    line = refused("--db", a_book, "report", "groups", "--html", str(nowhere / "r.html"))
    assert line.startswith("Error: cannot write the HTML report")
    assert not nowhere.exists()
    with ClientBook.open(a_book) as book:
        assert book.head == head


def test_an_interrupted_import_resumes_and_a_finished_one_says_so(tmp_path: Path) -> None:
    data = tmp_path / "cards.csv"
    data.write_text(HEADER + HOLDER + HOLDER.replace("1,", "2,", 1))
    interrupted = f"sqlite:///{tmp_path / 'i.db'}"
    with ClientBook.open("memory:") as book:  # the same import, never interrupted
        book.import_uci_cards(data)
        expected = [(e.event_type, e.aggregate_id, e.changes) for e in book.audit.trail()]

    class Killed(BaseException):
        """Stands for the process being killed part-way through the business months."""

    def kill_on_day_40(name: str, done: int, total: int) -> None:
        if name == "business days" and done == 150:
            raise Killed

    with ClientBook.open(interrupted) as book, pytest.raises(Killed):
        book.import_uci_cards(data, progress=kill_on_day_40)
    result = CliRunner().invoke(main, ["--db", interrupted, "import", "uci-cards", str(data)])
    assert result.exit_code == 0, result.output
    assert "events in" in result.output
    with ClientBook.open(interrupted) as book:
        assert [(e.event_type, e.aggregate_id, e.changes) for e in book.audit.trail()] == expected
    again = CliRunner().invoke(main, ["--db", interrupted, "import", "uci-cards", str(data)])
    assert again.exit_code == 0 and "imported into this book before" in again.output
    with ClientBook.open(interrupted) as book:
        assert len(book.audit.trail()) == len(expected)
