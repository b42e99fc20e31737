"""The read side's operations on both backends: poison events, retry and skip, versions and
rebuilds in shadow tables, queries that wait for a position, one close of business at a time."""

from __future__ import annotations

import gc
import json
import sqlite3
import threading
import time
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any, Iterator
from uuid import UUID

import psycopg
import pytest
from click.testing import CliRunner
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from clientbook import Actor, ClientBook
from clientbook.cli import main
from clientbook.domain.customer import Customer
from clientbook.domain.errors import BusyError, InvalidValueError, RebuildFailed, ViewBehind
from clientbook.infrastructure import read_side
from clientbook.infrastructure.buffered import BufferedView
from clientbook.infrastructure.keys import KeyStore
from clientbook.infrastructure.read_side import SqlShadows
from clientbook.infrastructure.sql import SqlDatabase
from clientbook.infrastructure.store import parse_store_url
from clientbook.infrastructure.tracking import SqlTrackedView
from clientbook.projections.directory import CustomerDirectoryProjection
from clientbook.projections.view import event_class, topics
from clientbook.testing import change_policy
from conftest import drop_schema, postgres_schema_url

CLERK = Actor("u-clerk", roles={"officer"})
DAY = date(2026, 11, 2)


class ContactCountView(SqlTrackedView):
    name = "contact_counts"
    tables = ("contact_counts",)
    schema = (
        "CREATE TABLE IF NOT EXISTS contact_counts (customer_id TEXT PRIMARY KEY, "
        "n INTEGER NOT NULL)",
    )

    def add(self, customer_id: UUID) -> None:
        self._exec(
            "INSERT INTO contact_counts (customer_id, n) VALUES (?, 1) ON CONFLICT (customer_id) "
            "DO UPDATE SET n = contact_counts.n + 1",
            (str(customer_id),),
        )

    def count(self, customer_id: UUID) -> int:
        rows = self._rows("SELECT n FROM contact_counts WHERE customer_id = ?", (str(customer_id),))
        return int(rows[0][0]) if rows else 0


class ContactCounts(Projection[ContactCountView]):
    """Counts contacts; refuses one whose outcome says "poison" while `refusing` is set."""

    name = "contact_counts"
    topics = topics(event_class(Customer, "ContactRecorded"))
    refusing = True

    def process_event(self, event: Any, tracking: Tracking) -> None:
        if self.refusing and event.outcome == "poison":
            raise ValueError("a poisoned contact cannot be counted")
        self.view.add(event.originator_id)


class ContactCountsInPages(ContactCounts):
    """The same, given each page whole (the runner's bulk path, as the audit trail's)."""

    name = "contact_counts"

    def process_page(self, events: list[tuple[Tracking, Any]]) -> None:
        for tracking, event in events:
            self.process_event(event, tracking)


@pytest.fixture
def book(store_url: str) -> Iterator[ClientBook]:
    with ClientBook.open(store_url) as b:
        yield b


def _customer(book: ClientBook, n: int = 1) -> UUID:
    cid = book.customers.register(
        number=f"C-{n:06d}",
        kind="individual",
        name=f"Holder {n}",
        manager="m-001",
        by=CLERK,
        on=DAY,
    )
    book.customers.activate(cid, by=CLERK, on=DAY)
    return cid


def _contact(book: ClientBook, cid: UUID, outcome: str) -> int:
    book.customers.record_contact(
        cid, channel="visit", purpose="follow_up", outcome=outcome, by=CLERK, on=DAY
    )
    return book.last_written


def _with_counts(book: ClientBook, kind: type[ContactCounts] = ContactCounts) -> ContactCounts:
    projection = kind(ContactCountView(book._database))
    book.projections.projections.append(projection)
    return projection


@pytest.mark.parametrize("kind", [ContactCounts, ContactCountsInPages])
def test_a_poison_event_stops_its_projection_there_and_a_skip_is_a_recorded_decision(
    book: ClientBook, kind: type[ContactCounts]
) -> None:
    counts = _with_counts(book, kind)
    cid = _customer(book)
    _contact(book, cid, "fine")
    poison = _contact(book, cid, "poison")
    _contact(book, cid, "fine again")

    head = book.projections.catch_up()

    (status,) = [s for s in book.projections.status() if s.name == "contact_counts"]
    assert status.state == "failed"
    assert status.failure is not None and status.failure.position == poison
    assert status.failure.event_type.endswith("ContactRecorded")
    assert "a poisoned contact cannot be counted" in status.failure.error
    assert status.position == poison - 1 and counts.view.count(cid) == 1  # the one before counts
    others = [s for s in book.projections.status() if s.name != "contact_counts"]
    assert all(s.position == head and s.state == "idle" for s in others)
    assert book.directory.customer(cid) is not None  # the other views still answer
    with pytest.raises(ViewBehind, match=f"stopped at position {poison}"):
        book.projections.refresher("contact_counts")()

    with pytest.raises(InvalidValueError, match=f"stopped at position {poison}, not {poison + 1}"):
        book.projections.skip("contact_counts", position=poison + 1, reason="x", by="u-ops")
    with pytest.raises(InvalidValueError, match="needs a reason"):
        book.projections.skip("contact_counts", position=poison, reason=" ", by="u-ops")
    assert book.projections.decisions() == [] and counts.view.count(cid) == 1

    book.projections.skip("contact_counts", position=poison, reason="test data", by="u-ops")
    book.projections.catch_up()

    assert counts.view.count(cid) == 2  # the poisoned one passed over, the next one counted
    (status,) = [s for s in book.projections.status() if s.name == "contact_counts"]
    assert (status.state, status.position, status.failure) == ("idle", head, None)
    decision = status.last_decision
    assert decision is not None
    assert (decision.decision, decision.position, decision.actor, decision.reason) == (
        "skip",
        poison,
        "u-ops",
        "test data",
    )


def test_a_retry_after_the_cause_is_fixed_processes_the_event(book: ClientBook) -> None:
    counts = _with_counts(book)
    cid = _customer(book)
    _contact(book, cid, "poison")
    book.projections.catch_up()
    with pytest.raises(InvalidValueError, match="has not stopped"):
        book.projections.retry("customer_directory", by="u-ops")

    counts.refusing = False  # the handler is fixed
    book.projections.retry("contact_counts", by="u-ops", reason="handler fixed")

    assert counts.view.count(cid) == 1
    assert [(d.decision, d.actor) for d in book.projections.decisions("contact_counts")] == [
        ("retry", "u-ops")
    ]


def test_a_newer_projection_version_is_rebuilt_in_shadow_tables_and_swapped_in(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    current = CustomerDirectoryProjection.version
    with ClientBook.open(store_url) as book:
        ids = [_customer(book, n) for n in range(1, 4)]
        before = book.directory.search()
        assert {s.name: s.stored_version for s in book.projections.status()}[
            "customer_directory"
        ] == current

    monkeypatch.setattr(CustomerDirectoryProjection, "version", current + 1, raising=False)
    with ClientBook.open(store_url) as book:
        (status,) = [s for s in book.projections.status() if s.name == "customer_directory"]
        assert status.needs_rebuild
        assert (status.stored_version, status.version) == (current, current + 1)

        assert book.directory.search() == before  # the query rebuilt it first

        (status,) = [s for s in book.projections.status() if s.name == "customer_directory"]
        assert (status.stored_version, status.needs_rebuild, status.position) == (
            current + 1,
            False,
            book.head,
        )
        assert [e.customer_id for e in book.directory.search()] == ids
        assert _shadows_left(store_url) == []


def _shadows_left(store_url: str) -> list[str]:
    if store_url.startswith("sqlite:///"):
        path = Path(store_url[len("sqlite:///") :])
        return [p.name for p in path.parent.iterdir() if ".rebuild-" in p.name]
    store = parse_store_url(store_url)
    with psycopg.connect(store.postgres_conninfo or "") as connection:
        rows = connection.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
            (store.postgres_schema + "__rebuild%",),
        ).fetchall()
    return [r[0] for r in rows]


def test_a_shadow_that_fails_to_open_fails_the_rebuild_and_every_one_opened_is_dropped(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shadows open several at a time: one that fails to open fails the rebuild, and those
    that opened, before or after it, are dropped; the views keep their old tables."""
    with ClientBook.open(store_url) as book:
        cid = _customer(book)
        _contact(book, cid, "fine")
        live = book.directory.search()
        opened = SqlShadows.open
        names: list[str] = []

        def failing(shadows: SqlShadows, view: Any) -> object:
            if view.name == "manager_report":
                raise OSError("no room for the shadow")
            names.append(view.name)
            return opened(shadows, view)

        monkeypatch.setattr(SqlShadows, "open", failing)
        with pytest.raises(OSError, match="no room for the shadow"):
            book.projections.rebuild()

        assert len(names) == len(book.projections.projections) - 1  # all the others opened
        assert book.directory.search() == live
        assert _shadows_left(store_url) == []
        monkeypatch.setattr(SqlShadows, "open", opened)
        book.projections.rebuild()
        assert book.directory.search() == live and _shadows_left(store_url) == []


def test_a_shadow_whose_tables_cannot_be_made_closes_its_database(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shadow that fails as its tables are made is not yet known to be discarded: it closes
    its own database (a pool of connections on PostgreSQL, a file on SQLite) before the error
    goes on."""
    with ClientBook.open(store_url) as book:
        live = book.directory.search()
        made = SqlShadows._made
        closed: list[list[bool]] = []

        def watched(shadows: SqlShadows, view: Any) -> tuple[SqlDatabase, str]:
            database, place = made(shadows, view)
            mine: list[bool] = []
            close = database.close
            database.close = lambda: (mine.append(True), close())[1]  # type: ignore[method-assign]
            closed.append(mine)
            return database, place

        create = SqlDatabase.create

        def failing(database: SqlDatabase, statements: Any) -> None:
            if not database.indexed:  # a shadow's
                raise OSError("no room for its tables")
            create(database, statements)

        monkeypatch.setattr(SqlShadows, "_made", watched)
        monkeypatch.setattr(SqlDatabase, "create", failing)
        with pytest.raises(OSError, match="no room for its tables"):
            book.projections.rebuild()

        assert len(closed) == len(book.projections.projections)
        assert all(mine == [True] for mine in closed)
        assert book.directory.search() == live
        assert _shadows_left(store_url) == []  # a PostgreSQL shadow's schema dropped too


def test_a_shadow_that_cannot_be_discarded_leaves_the_rest_of_the_clean_up_done(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a rebuild, every shadow is discarded, every projection's rebuilding mark cleared
    and its lease given back, though one step fails (the server gone a moment): that step's
    error comes afterwards."""
    with ClientBook.open(store_url) as book:
        _contact(book, _customer(book), "fine")
        live = book.directory.search()
        discard = SqlShadows.discard
        tried: list[str] = []

        def failing_once(shadows: SqlShadows, shadow: Any) -> None:
            tried.append(shadow.name)
            if len(tried) == 1:
                raise OSError("the server went away")
            discard(shadows, shadow)

        monkeypatch.setattr(SqlShadows, "discard", failing_once)
        with pytest.raises(OSError, match="the server went away"):
            book.projections.rebuild()

        assert len(tried) == len(book.projections.projections)  # every one tried
        assert len(_shadows_left(store_url)) == 1  # only the one that failed is left
        assert all(s.state != "rebuilding" for s in book.projections.status())
        assert book.directory.search() == live
        monkeypatch.setattr(SqlShadows, "discard", discard)
        book.projections.rebuild()  # no lease still held, and the leftover goes
        assert _shadows_left(store_url) == [] and book.directory.search() == live


def test_a_shadow_an_older_version_left_is_dropped_though_its_tables_were_others() -> None:
    """A rebuild killed midway leaves its shadow; the next version of the view has other
    tables. The shadow is still known for one (its tracking table holds the view's position
    alone) and goes, where a schema of other tables without that is refused."""
    for store_url in postgres_schema_url():
        store = parse_store_url(store_url)
        place = read_side.shadow_schema(store.postgres_schema, "audit_trail")
        with ClientBook.open(store_url) as book:
            _contact(book, _customer(book), "fine")
            live = book.audit.trail()
            with psycopg.connect(store.postgres_conninfo or "", autocommit=True) as connection:
                connection.execute(f'CREATE SCHEMA "{place}"')
                connection.execute(f'CREATE TABLE "{place}".audit_trail_v0 (n INTEGER)')
                connection.execute(
                    f'CREATE TABLE "{place}".projection_tracking (projection TEXT, '
                    "application_name TEXT, notification_id BIGINT)"
                )
                connection.execute(
                    f'INSERT INTO "{place}".projection_tracking VALUES '
                    "('audit_trail', 'ClientBook', 1)"
                )

            book.projections.rebuild()

            assert book.audit.trail() == live
            assert _shadows_left(store_url) == []


def test_a_failed_rebuild_raises_its_own_error_though_its_clean_up_fails_too(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ClientBook.open(store_url) as book:
        _contact(book, _customer(book), "fine")
        opened, discard = SqlShadows.open, SqlShadows.discard

        def failing_open(shadows: SqlShadows, view: Any) -> object:
            if view.name == "manager_report":
                raise OSError("no room for the shadow")
            return opened(shadows, view)

        def failing_discard(shadows: SqlShadows, shadow: Any) -> None:
            discard(shadows, shadow)
            raise OSError("the server went away")

        monkeypatch.setattr(SqlShadows, "open", failing_open)
        monkeypatch.setattr(SqlShadows, "discard", failing_discard)
        with pytest.raises(OSError, match="no room for the shadow"):
            book.projections.rebuild()
        assert _shadows_left(store_url) == []


def test_a_view_swapped_in_forgets_the_documents_it_kept_of_its_old_tables(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild by a new version of a view may make other documents at the very position the
    old tables stood at: the live view kept the old ones, and after the swap reads the new."""
    from msgspec.structs import replace

    from clientbook.infrastructure.directory_view import SqlCustomerDirectoryView

    with ClientBook.open(store_url) as book:
        cid = _customer(book)
        assert book.directory.customer(cid).tier != "rebuilt"  # type: ignore[union-attr]
        put = SqlCustomerDirectoryView.put

        def new_version(view: Any, listing: Any) -> None:
            put(view, replace(listing, tier="rebuilt"))

        monkeypatch.setattr(SqlCustomerDirectoryView, "put", new_version)
        book.projections.rebuild(names=["customer_directory"])  # at the same position
        monkeypatch.setattr(SqlCustomerDirectoryView, "put", put)
        assert book.directory.customer(cid).tier == "rebuilt"  # type: ignore[union-attr]

        _contact(book, cid, "fine")

        entry = book.directory.customer(cid)
        assert entry is not None and (entry.tier, entry.last_contact) == ("rebuilt", DAY)


def test_shadow_schemas_fit_postgresql_are_one_a_view_and_never_the_books_own() -> None:
    views = [p.name for p in _book_projections()]
    for length in range(1, 64):
        schema = ("s" * length)[:63]
        names = [read_side.shadow_schema(schema, view) for view in views]
        assert all(len(name) <= 63 for name in names)
        assert len(set(names)) == len(views) and schema not in names


def _book_projections() -> list[Projection[Any]]:
    with ClientBook.open("memory:") as book:
        return list(book.projections.projections)


def test_a_book_in_a_schema_of_63_characters_rebuilds_and_keeps_its_log() -> None:
    """Its shadows' schemas, cut to 63 characters, would have been the book's own schema,
    which a shadow drops before it is made: the whole log with it."""
    for url in postgres_schema_url():
        schema = ("r" + url.rsplit("=", 1)[1] + "_" * 63)[:63]
        long_url = f"{url.rsplit('=', 1)[0]}={schema}"
        try:
            with ClientBook.open(long_url) as book:
                cid = _customer(book)
                _contact(book, cid, "fine")
                head, live = book.head, book.directory.search()

                book.projections.rebuild()

                assert (
                    book.head == head
                    and len(book.app.recorder.select_notifications(1, 100)) == head
                )
                assert book.directory.search() == live
        finally:
            drop_schema(schema)


def test_a_rebuild_never_drops_a_schema_that_is_not_its_shadows() -> None:
    """A schema by the name of a view's shadow that holds other tables (another book's, say)
    is left alone: the rebuild fails, naming it, and the views keep their tables. (A SQLite
    shadow is a file of its own name beside the book's.)"""
    for store_url in postgres_schema_url():
        _never_drops_a_schema_not_its_shadows(store_url)


def _never_drops_a_schema_not_its_shadows(store_url: str) -> None:
    store = parse_store_url(store_url)
    place = read_side.shadow_schema(store.postgres_schema, "audit_trail")
    with ClientBook.open(store_url) as book:
        cid = _customer(book)
        _contact(book, cid, "fine")
        live = book.directory.search()
        with psycopg.connect(store.postgres_conninfo or "", autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{place}"')
            connection.execute(f'CREATE TABLE "{place}".precious (n INTEGER)')
            connection.execute(f'INSERT INTO "{place}".precious VALUES (7)')
        try:
            with pytest.raises(RebuildFailed, match="precious") as failed:
                book.projections.rebuild()

            assert failed.value.projections == ["audit_trail"]
            with psycopg.connect(store.postgres_conninfo or "") as connection:
                kept = connection.execute(f'SELECT n FROM "{place}".precious').fetchall()
            assert kept == [(7,)]
            assert book.directory.search() == live
            assert book.audit.trail(aggregate=cid)
        finally:
            drop_schema(place)


def test_rebuilding_one_projection_leaves_the_others_and_equals_the_live_view(
    book: ClientBook,
) -> None:
    cid = _customer(book)
    _contact(book, cid, "fine")
    live_trail = book.audit.trail()
    live_directory = book.directory.search()

    head = book.projections.rebuild(names=["customer_directory"])

    assert book.directory.search() == live_directory and book.audit.trail() == live_trail
    assert {s.name: s.position for s in book.projections.status()}["customer_directory"] == head
    with pytest.raises(InvalidValueError, match="no projection named nonsense"):
        book.projections.rebuild(names=["nonsense"])


def test_with_a_worker_a_query_waits_for_at_least_or_says_the_view_is_behind(
    store_url: str,
) -> None:
    with ClientBook.open(store_url) as writer, ClientBook.open(store_url) as reader:
        cid = _customer(writer)
        stop = threading.Event()
        worker = threading.Thread(
            target=reader.projections.run, kwargs={"stop": stop, "poll": 0.05, "listen": False}
        )
        worker.start()
        try:
            wanted = _contact(writer, cid, "first")
            entry = reader.directory.customer(cid, at_least=wanted)
            assert entry is not None and entry.last_contact == DAY
        finally:
            stop.set()
            worker.join(10)
        assert not worker.is_alive()

        # a worker that holds the lease but does not advance: the query says so
        assert writer.leases.acquire("projection:customer_directory")
        reader.projections.wait_timeout = 0.3
        ahead = _contact(writer, cid, "second")
        started = time.monotonic()
        with pytest.raises(ViewBehind) as behind:
            reader.directory.customer(cid, at_least=ahead)
        assert time.monotonic() - started < 3
        assert (behind.value.projection, behind.value.wanted) == ("customer_directory", ahead)
        assert behind.value.position < ahead
        assert reader.directory.customer(cid) is not None  # without at_least: as it stands
        writer.leases.release("projection:customer_directory")
        assert reader.directory.customer(cid, at_least=ahead) is not None  # caught up here


def test_close_of_business_waits_for_another_process_and_gives_up_with_a_clear_error(
    store_url: str,
) -> None:
    with ClientBook.open(store_url) as one, ClientBook.open(store_url) as other:
        _customer(one)
        assert one.leases.acquire("exclusive:close_of_business")
        other.exclusive_wait = 0.5
        with pytest.raises(BusyError, match="close of business is running in another process"):
            other.close_of_business(DAY)
        assert other.last_business_date_closed is None
        one.leases.release("exclusive:close_of_business")
        assert [d.on for d in other.close_of_business(DAY).days] == [DAY]
        assert one.close_of_business(DAY).days == ()


def test_the_command_line_shows_the_status_and_refuses_a_skip_with_one_line(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'book.db'}"
    with ClientBook.open(url) as book:
        _customer(book)
        book.projections.catch_up()
    runner = CliRunner()

    shown = runner.invoke(main, ["--db", url, "projections", "status", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    rows = {row["name"]: row for row in json.loads(shown.output)}
    assert rows["customer_directory"]["position"] == rows["customer_directory"]["head"] == 2
    assert rows["customer_directory"]["state"] == "idle"

    refused = runner.invoke(
        main,
        [
            "--db",
            url,
            "projections",
            "skip",
            "audit_trail",
            "--position",
            "1",
            "--reason",
            "x",
            "--by",
            "u-ops",
        ],
    )
    assert refused.exit_code != 0
    assert "has not stopped on a failure" in refused.output
    assert "Traceback" not in refused.output


def test_a_worker_process_keeps_the_views_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'book.db'}"
    with ClientBook.open(url) as book:
        cid = _customer(book)
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "clientbook.cli",
                "--db",
                url,
                "projections",
                "run",
                "--poll",
                "0.1",
            ],
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            assert worker.stderr is not None
            line = worker.stderr.readline()  # the worker says what it holds
            assert "holds audit_trail, customer_directory" in line, line
            wanted = _contact(book, cid, "seen by the worker")
            status = {s.name: s for s in book.projections.status()}
            assert status["customer_directory"].state == "running"
            assert status["customer_directory"].holder is not None
            entry = book.directory.customer(cid, at_least=wanted)
            assert entry is not None and entry.last_contact == DAY
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=15) == 0
            assert "worker stopped" in worker.stderr.read()
        finally:
            worker.kill()
            worker.wait()
        assert all(s.state == "idle" and s.holder is None for s in book.projections.status())


def test_events_written_while_a_rebuild_runs_reach_the_rebuilt_view(store_url: str) -> None:
    with ClientBook.open(store_url) as book, ClientBook.open(store_url) as writer:
        first = _customer(book, 1)
        book.projections.catch_up()
        late: list[UUID] = []

        def write_meanwhile(name: str, position: int, head: int) -> None:
            if not late:  # the shadow is being built: another process writes
                late.append(_customer(writer, 2))

        head = book.projections.rebuild(write_meanwhile, names=["customer_directory"])

        assert late and head == writer.last_written
        assert [e.customer_id for e in book.directory.search()] == [first, late[0]]
        assert {s.name: s.position for s in book.projections.status()}["customer_directory"] == head


def test_two_threads_of_one_book_close_a_date_once(book: ClientBook) -> None:
    _customer(book)
    results: list[Any] = []
    errors: list[BaseException] = []

    def close() -> None:
        try:
            results.append(book.close_of_business(date(2026, 11, 20)))
        except BaseException as error:  # noqa: BLE001 - the test reports any
            errors.append(error)

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(len(r.days) for r in results) == [0, 1]
    assert book.last_business_date_closed == date(2026, 11, 20)


def test_the_status_counts_the_lag_in_the_events_a_projection_reads(book: ClientBook) -> None:
    cid = _customer(book)
    book.projections.catch_up()
    for n in range(3):
        _contact(book, cid, f"contact {n}")
    change_policy(
        book,
        "lapse_grace_days",
        "5",
        reason="test",
        by=Actor("u-boss", {"manager", "administration"}),
        on=DAY,
    )

    status = {s.name: s for s in book.projections.status()}

    assert status["customer_directory"].lag_events == 3  # the policy change is not its topic
    audit = status["audit_trail"]
    assert audit.lag_events == len(list(book.events(after=audit.position))) >= 4  # every event
    assert status["exposure"].lag_events == 0
    assert status["customer_directory"].lag_seconds >= 0
    book.projections.catch_up()
    assert all(s.lag_events == 0 and s.lag_seconds == 0 for s in book.projections.status())


def test_a_write_wakes_the_workers_of_its_own_schema_and_no_other() -> None:
    """NOTIFY is a hint, but one per schema: a worker of one book on a server that holds many
    is not woken by every other book's writes."""
    schemas = [postgres_schema_url(), postgres_schema_url()]
    mine, theirs = (next(schema) for schema in schemas)
    try:
        with ClientBook.open(mine) as book, ClientBook.open(theirs) as other:
            wakeup = book._wakeup()
            listening = wakeup._connection  # type: ignore[attr-defined]
            try:
                for n, writer in enumerate((other, book)):
                    _customer(writer, n + 1)
                    woken = list(listening.notifies(timeout=0.5 + 4 * n, stop_after=1))
                    assert bool(woken) == bool(n), f"{len(woken)} notifications (writer {n})"
            finally:
                wakeup.close()
    finally:
        for schema in schemas:
            next(schema, None)


def test_a_catch_up_and_a_rebuild_run_with_the_collector_paused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The book's passes over the log pause the cyclic collector (infrastructure/collector.py),
    which walked every document a rebuild holds; it runs again when they end."""
    from clientbook.infrastructure.audit_view import SqlAuditTrailView

    seen: list[bool] = []
    index = SqlAuditTrailView.index

    def indexing(self: SqlAuditTrailView, *args: Any, **kwargs: Any) -> None:
        seen.append(gc.isenabled())
        index(self, *args, **kwargs)

    monkeypatch.setattr(SqlAuditTrailView, "index", indexing)
    with ClientBook.open(f"sqlite:///{tmp_path / 'book.db'}") as book:
        _customer(book)
        book.audit.trail(limit=5)  # the query catches the trail up first
        assert seen and not any(seen)
        seen.clear()
        book.projections.rebuild()
        assert seen and not any(seen)
        assert gc.isenabled()


def test_a_past_book_reads_nothing_of_the_log_past_its_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its head may lie far back: each select stops there, or a projection of few topics
    would read the whole rest of the log on its last page."""
    with ClientBook.open(f"sqlite:///{tmp_path / 'book.db'}") as book:
        for n in range(1, 4):
            _customer(book, n)  # two events each
        recorder = type(book.app.recorder)
        read: list[int] = []

        def spied(select: Any) -> Any:
            def selecting(self: Any, *args: Any, **kwargs: Any) -> Any:
                found = select(self, *args, **kwargs)
                read.extend(n.id for n in found)
                return found

            return selecting

        for name in ("select_notifications", "select_log"):  # the runner reads the latter
            monkeypatch.setattr(recorder, name, spied(getattr(recorder, name)))
        with book.as_of(position=4) as past:
            assert len(past.directory.search(manager="m-001")) == 2
        assert read and max(read) <= 4


class NoteView(SqlTrackedView):
    name = "notes"
    tables = ("notes",)
    schema = ("CREATE TABLE IF NOT EXISTS notes (k INTEGER PRIMARY KEY, note TEXT NOT NULL)",)


class PersonalNoteView(NoteView):
    fields = None  # a view with fields holds personal data (they seal it)


class Notes(Projection[NoteView]):
    """Writes nothing: its rebuilt table is empty, whatever the old one held."""

    name = "notes"
    topics = topics(event_class(Customer, "ContactRecorded"))

    def process_event(self, event: Any, tracking: Tracking) -> None:
        pass


def _file_bytes(path: Path) -> bytes:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return b"".join(p.read_bytes() for p in path.parent.glob(f"{path.name}*") if p.is_file())


@pytest.mark.parametrize("personal", [True, False], ids=["personal", "not personal"])
def test_a_rebuild_zeroes_on_disk_the_old_tables_of_a_view_with_personal_data(
    tmp_path: Path, personal: bool
) -> None:
    path = tmp_path / "bank.db"
    secret = "Ottilie Brandvold, 88 Jinrong Street"
    with ClientBook.open(f"sqlite:///{path}") as book:
        view = (PersonalNoteView if personal else NoteView)(book._database)
        book.projections.projections.append(Notes(view))
        book.projections.catch_up()
        with book._database.transaction() as cursor:
            for k in range(300):
                cursor.execute("INSERT INTO notes VALUES (?, ?)", (k, f"{secret} {k:04d} " * 20))
        assert secret.encode() in _file_bytes(path)

        book.projections.rebuild(names=["notes"])

        assert view.database.query("SELECT count(*) FROM notes") == [(0,)]
        on_disk = _file_bytes(path)
    # a view without personal data leaves its old pages for the file to reuse
    assert (secret.encode() in on_disk) is not personal


def test_a_swap_builds_its_indexes_in_a_large_cache_and_gives_the_memory_back(
    tmp_path: Path,
) -> None:
    with ClientBook.open(f"sqlite:///{tmp_path / 'bank.db'}") as book:
        _customer(book)
        database = book._database
        before = database.query("PRAGMA cache_size")
        seen: list[Any] = []
        with database.large_cache():
            seen = database.query("PRAGMA cache_size")
        book.projections.rebuild()

        assert seen == [(-database.SCRATCH_CACHE_KIB,)]
        assert database.query("PRAGMA cache_size") == before
        assert book.directory.search()[0].number == "C-000001"


def _ledger_of_a_rebuild(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What a rebuild does, in order: (thread, "written", view) as a shadow's held documents
    are written, and (thread, "swap", view) as the swap's transaction begins."""
    ledger: list[Any] = []
    write, swap = BufferedView.write_deferred, read_side._swapped

    def written(shadow: BufferedView) -> None:
        write(shadow)
        ledger.append((threading.get_ident(), "written", shadow.name))

    def swapped(view: Any, *rest: Any) -> int:
        ledger.append((threading.get_ident(), "swap", view.name))
        return swap(view, *rest)

    monkeypatch.setattr(BufferedView, "write_deferred", written)
    monkeypatch.setattr(read_side, "_swapped", swapped)
    return ledger


def test_a_shadows_documents_are_written_in_a_thread_of_their_own_before_its_swap(
    book: ClientBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _customer(book)
    _contact(book, cid, "fine")
    live = book.directory.search(), book.audit.trail()
    ledger = _ledger_of_a_rebuild(monkeypatch)

    book.projections.rebuild()

    assert (book.directory.search(), book.audit.trail()) == live
    me = threading.get_ident()
    writes = [name for thread, what, name in ledger if what == "written"]
    swaps = [name for thread, what, name in ledger if what == "swap"]
    assert all(thread != me for thread, what, _ in ledger if what == "written")
    assert all(thread == me for thread, what, _ in ledger if what == "swap")
    assert "customer_directory" in writes and "card_accounts" in writes
    for name in writes:  # each swap comes after its own shadow's documents are written
        assert ledger.index(next(e for e in ledger if e[1:] == ("written", name))) < ledger.index(
            next(e for e in ledger if e[1:] == ("swap", name))
        )
    sealing = {"customer_directory", "complaint_cards"}  # they read keys a swap's lock holds
    assert writes.index("card_accounts") < min(writes.index(n) for n in sealing)
    assert swaps[0] == "audit_trail"  # holds nothing back: swapped while the rest is written


def test_a_sealing_shadows_keys_are_read_before_the_swaps_not_by_the_writing_thread(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thread that writes the shadows' documents never reads the book's database for
    keys: a swap holds it, so the keys are read first, by the rebuilding thread."""
    with ClientBook.open(store_url) as book:
        for n in (1, 2, 3):
            _customer(book, n)
    with ClientBook.open(store_url) as book:  # a book opened afresh: no key read yet
        ledger = _ledger_of_a_rebuild(monkeypatch)
        stored = KeyStore._stored

        def read(keys: KeyStore, subjects: set[str]) -> dict[str, bytes]:
            ledger.append((threading.get_ident(), "keys read", len(subjects)))
            return stored(keys, subjects)

        monkeypatch.setattr(KeyStore, "_stored", read)
        book.projections.rebuild()

        assert [c.number for c in book.directory.search()] == ["C-000001", "C-000002", "C-000003"]
    me = threading.get_ident()
    first_swap = next(i for i, e in enumerate(ledger) if e[1] == "swap")
    reads = [(i, thread, n) for i, (thread, what, n) in enumerate(ledger) if what == "keys read"]
    assert any(i < first_swap and thread == me and n == 3 for i, thread, n in reads), ledger
    writer = {thread for thread, what, _ in ledger if what == "written"}
    assert writer and all(thread not in writer for _, thread, _ in reads), ledger


def test_a_shadow_whose_documents_fail_to_be_written_fails_the_rebuild_and_its_view_answers(
    book: ClientBook, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cid = _customer(book)
    _contact(book, cid, "fine")
    live = book.directory.search()
    write = BufferedView.write_deferred

    def failing(shadow: BufferedView) -> None:
        if shadow.name == "customer_directory":
            raise OSError("disk full")
        write(shadow)

    monkeypatch.setattr(BufferedView, "write_deferred", failing)
    with pytest.raises(OSError, match="disk full"):
        book.projections.rebuild()

    assert book.directory.search() == live
    assert not list(tmp_path.glob("*.rebuild-*"))  # every shadow discarded (SQLite's files)
    monkeypatch.setattr(BufferedView, "write_deferred", write)
    book.projections.rebuild()
    assert book.directory.search() == live
