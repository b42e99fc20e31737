"""On PostgreSQL a save is one statement, so one round trip and one transaction the server
commits before it answers (docs/operations.md, "Appends"): counted in libpq's own trace of what
the client sends, where each Sync after an Execute (or simple Query) is a wait for the server's
answer. (Before, a save was BEGIN, the statements, COMMIT and two Syncs: five.)"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from conftest import postgres_schema_url
from psycopg import pq

from clientbook import Actor, ClientBook

D = date(2026, 11, 2)
CLERK = Actor("u-clerk", {"officer"})
CONTACT = dict(channel="call", purpose="follow_up", outcome="spoke to them")


@pytest.fixture
def book() -> Iterator[ClientBook]:
    for url in postgres_schema_url():
        with ClientBook.open(url) as b:
            yield b


class Traced:
    """What the book's pooled connections send while `watching`: libpq's trace of each
    connection the pool hands out, read back when it is given back."""

    def __init__(self, book: ClientBook, monkeypatch: pytest.MonkeyPatch) -> None:
        self.lines: list[str] = []
        self.watching = False
        pool: Any = book.app.recorder.datastore.pool  # type: ignore[attr-defined]
        getconn, putconn = pool.getconn, pool.putconn
        files: dict[int, Any] = {}

        def traced_getconn(*args: Any, **kwargs: Any) -> Any:
            connection = getconn(*args, **kwargs)
            if self.watching:
                files[id(connection)] = trace = tempfile.TemporaryFile("w+")
                connection.pgconn.trace(trace.fileno())
                connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
            return connection

        def traced_putconn(connection: Any) -> None:
            trace = files.pop(id(connection), None)
            if trace is not None:
                connection.pgconn.untrace()
                trace.seek(0)
                self.lines.extend(trace.read().splitlines())
                trace.close()
            putconn(connection)

        monkeypatch.setattr(pool, "getconn", traced_getconn)
        monkeypatch.setattr(pool, "putconn", traced_putconn)

    def round_trips(self) -> int:
        """Statements executed and waited for: each Sync after an Execute, each simple Query (a
        statement's first use on a connection also prepares it, once: not counted)."""
        trips, executed = 0, False
        for line in self.lines:
            fields = line.split("\t")
            if fields[0] != "F":
                continue
            if fields[2] == "Query":
                trips += 1
            executed = executed or fields[2] == "Execute"
            if fields[2] == "Sync" and executed:
                trips, executed = trips + 1, False
        return trips


def register(book: ClientBook, number: str) -> Any:
    return book.customers.register(
        number=number, kind="individual", name="Li Lei", manager="m-007", by=CLERK, on=D
    )


def test_a_registration_is_one_round_trip(
    book: ClientBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(book, "C-000001")  # the policy and the manager read once, then from memory
    traced = Traced(book, monkeypatch)
    traced.watching = True

    cid = register(book, "C-000002")

    assert traced.round_trips() == 1, "\n".join(traced.lines)
    assert book.customers.get(cid).name == "Li Lei"


def test_a_command_on_a_cached_customer_is_one_round_trip(
    book: ClientBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = register(book, "C-000001")
    book.customers.record_contact(cid, **CONTACT, by=CLERK, on=D)
    traced = Traced(book, monkeypatch)
    traced.watching = True

    book.customers.record_contact(cid, **CONTACT, by=CLERK, on=D)

    assert traced.round_trips() == 1, "\n".join(traced.lines)
    assert book.customers.get(cid).contacts == 2


def test_a_save_probes_the_log_by_key_and_never_scans_it(
    book: ClientBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The append function's plans, as auto_explain reports them for a save: its plans are
    generic, and on a small log (no statistics yet) a join of the save's events with the log
    planned so scanned the log, at every save."""
    for n in range(1, 40):
        register(book, f"C-{n:06d}")
    plans: list[str] = []
    pool: Any = book.app.recorder.datastore.pool  # type: ignore[attr-defined]
    getconn = pool.getconn

    def explained(*args: Any, **kwargs: Any) -> Any:
        connection = getconn(*args, **kwargs)
        for setting in (
            "LOAD 'auto_explain'",
            "SET auto_explain.log_min_duration = 0",
            "SET auto_explain.log_nested_statements = on",
            "SET client_min_messages = log",
        ):
            connection.execute(setting)
        connection.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
        return connection

    monkeypatch.setattr(pool, "getconn", explained)
    register(book, "C-000040")
    cid = register(book, "C-000041")
    book.customers.record_contact(cid, **CONTACT, by=CLERK, on=D)

    assert any("clientbook_events_append_v3" in plan for plan in plans)
    assert not [plan for plan in plans if "Seq Scan on clientbook_events" in plan]


def test_the_append_function_waits_for_the_log_lock_no_longer_than_its_lock_timeout(
    book: ClientBook,
) -> None:
    """The lock timeout is the append function's to apply (there is no transaction of the
    client's to SET LOCAL it in): a save behind a lock held elsewhere fails in that time."""
    import psycopg

    recorder: Any = book.app.recorder
    datastore = recorder.datastore
    schema, events = datastore.schema, recorder.events_table_name
    event = '[{"i": "%s", "v": 1, "t": "Customer.Registered", "s": ""}]' % uuid.uuid4()
    append = f'SELECT * FROM "{schema}".{recorder.append_function_name}(%s::json, NULL, NULL, %s)'
    with datastore.own_connection() as holder, datastore.own_connection() as writer:
        writer.execute("SET statement_timeout = '30s'")  # without a lock timeout: cancelled
        with holder.transaction():
            holder.execute(f'LOCK TABLE "{schema}".{events} IN EXCLUSIVE MODE')
            with pytest.raises(psycopg.errors.LockNotAvailable):
                writer.execute(append, (event, "200ms"))
        assert [row[0] for row in writer.execute(append, (event, "200ms"))]  # lock released
