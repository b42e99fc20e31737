"""A rebuild shared out among processes (`rebuild(jobs=N)`): every projection rebuilt once, by
this process or by a child; the views equal a rebuild in one process; a child that fails is
named with its reason and takes nothing from the projections rebuilt here."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner
from eventsourcing.projection import Projection

from clientbook import ClientBook
from clientbook.cli import main
from clientbook.demo import Demo
from clientbook.domain.errors import InvalidValueError, RebuildFailed
from clientbook.infrastructure import rebuild_processes
from clientbook.infrastructure.kek import AesKeyWrap
from clientbook.projections import runner
from clientbook.projections.runner import share_out


class Named(Projection[Any]):
    def __init__(self, name: str, topics: tuple[str, ...] = ()) -> None:
        self.name = name
        self.topics = topics

    def process_event(self, domain_event: Any, tracking: Any) -> None:
        raise AssertionError("never called")

    def __repr__(self) -> str:
        return self.name


def test_shares_hold_each_projection_once_and_balance_what_each_process_reads_and_applies() -> None:
    every = Named("every", ())  # reads the whole log
    big, small, tiny = Named("big", ("a",)), Named("small", ("b",)), Named("tiny", ("a",))
    counts = {"a": 600, "b": 100, "c": 300}

    shares = share_out([every, big, small, tiny], counts, 2, 0)

    assert sorted(p.name for s in shares for p in s) == ["big", "every", "small", "tiny"]
    # every: read 1000 + apply 1000; big: read 600 + apply 600, then small joins every's share
    # (its events are read there anyway: +100 applied) rather than big's (+100 read, +100
    # applied), and tiny joins big's, whose events it shares
    assert [[p.name for p in s] for s in shares] == [["every", "small"], ["big", "tiny"]]
    assert share_out([every, big], counts, 1, 0) == [[every, big]]
    assert share_out([every, big], counts, 5, 0) == [[every], [big]]  # no share empty
    # a child's start weighs on its share: one dearer than the work keeps it all here
    assert share_out([every, big, small, tiny], counts, 2, 10**9) == [[every, big, small, tiny]]


def _rows(book: ClientBook) -> dict[str, list[str]]:
    """Every view table's rows (sorted) and every projection's position."""
    rows = {
        table: sorted(map(repr, book._database.query(f"SELECT * FROM {table}")))
        for p in book.projections.projections
        for table in p.view.tables
    }
    rows["positions"] = [repr((s.name, s.position)) for s in book.projections.status()]
    return rows


def _emptied(book: ClientBook) -> None:
    """Every view's tables emptied behind the runner's back: only a rebuild fills them again."""
    with book._database.transaction() as cursor:
        for p in book.projections.projections:
            for table in p.view.tables:
                cursor.execute(f"DELETE FROM {table}")


def _rebuilt_then_emptied(book: ClientBook) -> dict[str, list[str]]:
    """The views a rebuild in one process gives, then emptied: what a rebuild must restore."""
    book.projections.rebuild()
    expected = _rows(book)
    _emptied(book)
    return expected


@pytest.fixture
def demo_book(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ClientBook]:
    """A small demo book, whose log is shared out as if a child cost nothing to start."""
    monkeypatch.setattr(runner, "CHILD_START", 0)
    with ClientBook.open(store_url) as book:
        Demo(book, seed=7, managers=2, start=date(2026, 7, 1)).run(customers=12, days=8)
        book.projections.catch_up()
        yield book


class Spy:
    """The book's helpers, with the shares they were given and what each child said."""

    def __init__(self, book: ClientBook) -> None:
        self._helpers = book.projections.helpers
        self.shares: list[list[str]] = []
        self.said: list[str | None] = []
        self.pids: list[int] = []

    def __call__(self, names: list[str]) -> Any:
        assert self._helpers is not None
        child = self._helpers(names)
        self.shares.append(names)
        self.pids.append(child.pid)
        spy = self

        class Waited:
            def wait(self) -> str | None:
                said = child.wait()
                spy.said.append(said)
                return said

            def stop(self) -> None:
                child.stop()

        return Waited()


def _own_share(book: ClientBook, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    rebuilt_here: list[list[str]] = []
    projections = book.projections
    rebuild = projections._rebuild

    def spied(projections: list[Any], progress: Any) -> None:
        rebuilt_here.append([p.name for p in projections])
        rebuild(projections, progress)

    monkeypatch.setattr(projections, "_rebuild", spied)
    return rebuilt_here


def test_a_rebuild_in_two_processes_equals_one_in_one_process(
    demo_book: ClientBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = demo_book
    expected = _rebuilt_then_emptied(book)
    spy = Spy(book)
    monkeypatch.setattr(book.projections, "helpers", spy)
    rebuilt_here = _own_share(book, monkeypatch)

    head = book.projections.rebuild(jobs=2)

    assert head == book.head and _rows(book) == expected
    assert spy.said == [None] and spy.pids[0] != os.getpid()
    names = [p.name for p in book.projections.projections]
    assert len(rebuilt_here) == 1 and len(spy.shares) == 1
    assert sorted(rebuilt_here[0] + spy.shares[0]) == sorted(names)  # each once, both share
    assert rebuilt_here[0] and spy.shares[0]
    print(f"this process rebuilt {rebuilt_here[0]}; child {spy.pids[0]} rebuilt {spy.shares[0]}")


def test_a_child_that_fails_is_named_with_its_reason_and_the_rest_is_swapped_in(
    demo_book: ClientBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = demo_book
    expected = _rebuilt_then_emptied(book)
    failing = "import sys; sys.stderr.write('Error: the store went away\\n'); sys.exit(1)"
    monkeypatch.setattr(rebuild_processes, "CHILD_COMMAND", [sys.executable, "-c", failing])
    rebuilt_here = _own_share(book, monkeypatch)

    with pytest.raises(RebuildFailed, match=r"the store went away \(exit status 1\)") as caught:
        book.projections.rebuild(jobs=2)

    theirs = caught.value.projections
    mine = rebuilt_here[0]
    assert theirs and sorted(mine + theirs) == sorted(p.name for p in book.projections.projections)
    now = _rows(book)
    for p in book.projections.projections:
        for table in p.view.tables:
            if p.name in mine:
                assert now[table] == expected[table], table  # rebuilt and swapped in here
            elif expected[table]:
                assert now[table] == [], table  # the failed share's tables are as they were


def test_a_book_with_a_key_provider_object_refuses_jobs_and_changes_nothing(
    tmp_path: Path,
) -> None:
    provider = AesKeyWrap(os.urandom(32), "the test's key")
    with ClientBook.open(f"sqlite:///{tmp_path / 'b.db'}", key_provider=provider) as book:
        Demo(book, seed=7, managers=2, start=date(2026, 7, 1)).run(customers=3, days=2)
        before = _rows(book)
        with pytest.raises(InvalidValueError, match="key_provider object"):
            book.projections.rebuild(jobs=2)
        for jobs in (0, -1, True, "2", 1.5):
            with pytest.raises(InvalidValueError, match="jobs must be a whole number"):
                book.projections.rebuild(jobs=jobs)  # type: ignore[arg-type]
        assert _rows(book) == before
        assert book.projections.rebuild(jobs=1) == book.head


def test_the_command_line_rebuilds_in_processes_and_refuses_no_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "CHILD_START", 0)
    started: list[list[str]] = []
    start = rebuild_processes.ChildRebuilds.__call__

    def starting(self: Any, names: list[str]) -> Any:
        started.append(names)
        return start(self, names)

    monkeypatch.setattr(rebuild_processes.ChildRebuilds, "__call__", starting)
    url = f"sqlite:///{tmp_path / 'b.db'}"
    with ClientBook.open(url) as book:
        Demo(book, seed=7, managers=2, start=date(2026, 7, 1)).run(customers=4, days=3)
        book.projections.catch_up()
        expected = _rows(book)
        _emptied(book)
    cli = CliRunner()

    for command in (["projections", "rebuild"], ["rebuild"]):
        done = cli.invoke(main, ["--db", url, *command, "--jobs", "2"])
        refused = cli.invoke(main, ["--db", url, *command, "--jobs", "0"])

        assert done.exit_code == 0, done.output
        assert len(started) == 1 and started.pop()  # one child rebuilt a share
        assert re.search(r"rebuilt (every projection|\d+ projections) to position", done.output)
        with ClientBook.open(url) as book:
            assert _rows(book) == expected
            _emptied(book)
        assert refused.exit_code == 2 and "Traceback" not in refused.output
        assert "--jobs" in refused.output


def test_when_this_process_fails_its_share_the_children_are_stopped_not_left_running(
    demo_book: ClientBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = demo_book
    sleeping = [sys.executable, "-c", "import time; time.sleep(120)"]
    monkeypatch.setattr(rebuild_processes, "CHILD_COMMAND", sleeping)
    children: list[rebuild_processes.ChildRebuild] = []
    helpers = book.projections.helpers
    assert helpers is not None

    def starting(names: list[str]) -> rebuild_processes.ChildRebuild:
        children.append(helpers(names))
        return children[-1]

    def failing(projections: list[Any], progress: Any) -> None:
        raise RuntimeError("this process's share failed")

    monkeypatch.setattr(book.projections, "helpers", starting)
    monkeypatch.setattr(book.projections, "_rebuild", failing)
    started = time.monotonic()

    with pytest.raises(RuntimeError, match="this process's share failed"):
        book.projections.rebuild(jobs=2)

    assert len(children) == 1 and time.monotonic() - started < 60
    assert children[0]._process.returncode == -signal.SIGTERM  # stopped, and waited for


def test_a_book_opened_by_a_relative_path_is_found_by_its_child_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "CHILD_START", 0)
    monkeypatch.chdir(tmp_path)
    with ClientBook.open("sqlite:///relative.db") as book:
        Demo(book, seed=7, managers=2, start=date(2026, 7, 1)).run(customers=3, days=2)
        book.projections.catch_up()
        expected = _rows(book)
        _emptied(book)
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        monkeypatch.chdir(elsewhere)  # the child starts here: relative.db is not beside it
        spy = Spy(book)
        monkeypatch.setattr(book.projections, "helpers", spy)

        book.projections.rebuild(jobs=2)

        assert spy.said == [None] and _rows(book) == expected
    assert not (elsewhere / "relative.db").exists()  # the child made no book of its own
