"""PostgreSQL stopped and started under an open book, on a cluster of the test's own.

While the server is down, commands and queries fail with StoreUnavailable within the store's
timeout (here 2 s), naming the store and never its password; once it is back the same book
object works again, without reopening; and every event acknowledged, before or during the
outage, is still in the log (and nothing that was not attempted).
"""

from __future__ import annotations

import threading
import time
from contextlib import closing
from datetime import date
from typing import Callable
from uuid import UUID, uuid4

import pytest
from conftest import ThrowawayPostgres
from eventsourcing.persistence import StoredEvent

from clientbook import Actor, ClientBook, StoreUnavailable
from clientbook.domain.customer import customer_id
from clientbook.infrastructure.postgres import ensure_schema
from clientbook.infrastructure.sql import PostgresDatabase

TIMEOUT = 2.0
BOUND = TIMEOUT + 3.0
OUTAGE = 8.0
SECRET = "s3cret-pw"
CLERK = Actor("u-clerk", {"officer"})
D = date(2026, 11, 2)


def register(book: ClientBook, number: str) -> UUID:
    return book.customers.register(
        number=number, kind="individual", name="Li Lei", manager="m-007", by=CLERK, on=D
    )


def fails_in_time(call: Callable[[], object], port: int, schema: str) -> float:
    """Run a call that must fail with StoreUnavailable within BOUND; return how long it took."""
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as raised:
        call()
    elapsed = time.monotonic() - started
    message = str(raised.value)
    assert elapsed < BOUND, f"took {elapsed:.1f} s: {message}"
    assert f"127.0.0.1:{port}" in message and "database postgres" in message, message
    assert f"schema {schema}" in message and SECRET not in message, message
    assert "\n" not in message
    return elapsed


class Writer(threading.Thread):
    """Registers customers one after another on a book of its own, through the outage, and
    notes which were acknowledged and which failed (those may or may not have been written)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.acknowledged: list[str] = []
        self.failed: list[str] = []
        self.failures: list[float] = []  # how long each failed command took
        self.unexpected: list[BaseException] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        with ClientBook.open(self.url) as book:
            n = 500
            while not self.stopping.is_set():
                n += 1
                number = f"C-{n:06d}"
                started = time.monotonic()
                try:
                    register(book, number)
                except StoreUnavailable:
                    self.failed.append(number)
                    self.failures.append(time.monotonic() - started)
                except BaseException as error:  # anything else is a finding of this test
                    self.unexpected.append(error)
                    return
                else:
                    self.acknowledged.append(number)
                time.sleep(0.02)

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 15
        while len(self.acknowledged) < count and time.monotonic() < deadline:
            assert not self.unexpected, self.unexpected
            time.sleep(0.05)
        assert len(self.acknowledged) >= count, (self.acknowledged, self.failed, self.unexpected)


def test_while_postgres_is_down_calls_fail_within_the_timeout_and_after_restart_they_work(
    throwaway_postgres: ThrowawayPostgres,
) -> None:
    pg = throwaway_postgres
    url = pg.url(schema="book", timeout=TIMEOUT, password=SECRET)
    ensure_schema(pg.conninfo(), "views", TIMEOUT)
    database = PostgresDatabase(f"{pg.conninfo()} password={SECRET}", "views", timeout=TIMEOUT)
    database.create(["CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, t TEXT)"])
    database.execute("INSERT INTO notes VALUES (?, ?)", (1, "before"))
    with ClientBook.open(url) as book, ClientBook.open(url) as idle, closing(database):
        first = register(book, "C-000001")
        register(book, "C-000002")
        assert len(book.directory.search()) == 2
        assert len(idle.directory.search()) == 2  # then idle until the server is back
        before = list(book.events())
        writer = Writer(url)
        writer.start()
        writer.wait_for(3)

        pg.stop()
        stopped = time.monotonic()
        try:
            took = {
                "command": fails_in_time(lambda: register(book, "C-000003"), pg.port, "book"),
                "query": fails_in_time(book.directory.search, pg.port, "book"),
                "insert": fails_in_time(
                    lambda: book.app.recorder.insert_events([stored_event()]), pg.port, "book"
                ),
                "views": fails_in_time(
                    lambda: database.query("SELECT * FROM notes"), pg.port, "views"
                ),
            }
            # Down for OUTAGE s at least: by then psycopg_pool, left to itself, would retry
            # 8 s apart (1, 2, 4, 8 s...), so the first command after the restart would fail.
            time.sleep(max(0.0, OUTAGE - (time.monotonic() - stopped)))
        finally:
            pg.start()
        acknowledged_during_outage = len(writer.acknowledged)

        started = time.monotonic()
        register(book, "C-000004")  # the same book object, at once: at the first try
        recovered = time.monotonic() - started
        book.customers.reassign_manager(first, "m-008", reason="cover", by=CLERK, on=D)
        assert {e.number for e in book.directory.search()} >= {"C-000001", "C-000002", "C-000004"}
        assert list(book.events())[: len(before)] == before
        assert len(idle.directory.search()) >= 3  # a book idle through it all: at once, too
        register(idle, "C-000005")
        database.execute("INSERT INTO notes VALUES (?, ?)", (2, "after"))
        notes = database.query("SELECT id, t FROM notes ORDER BY id")
        assert notes == [(1, "before"), (2, "after")]
        writer.wait_for(acknowledged_during_outage + 3)
        writer.stopping.set()
        writer.join(10)
        assert not writer.unexpected, writer.unexpected
        assert max(writer.failures, default=0) < BOUND, writer.failures

    with ClientBook.open(url) as reread:  # the store itself, no cache
        stored = {record.aggregate_id for record in reread.events()}
    assert {customer_id(n) for n in writer.acknowledged} <= stored
    attempted = {customer_id(n) for n in writer.acknowledged + writer.failed}
    mine = {customer_id(f"C-{n:06d}") for n in (1, 2, 4, 5)}
    assert stored - mine <= attempted
    print(
        f"\nfailed within: {', '.join(f'{k} {v:.2f} s' for k, v in took.items())}; "
        f"first command once the server accepted connections: {recovered:.2f} s; writer: {len(writer.acknowledged)} "
        f"acknowledged, {len(writer.failed)} unavailable (at most {max(writer.failures):.2f} s)"
    )


def stored_event() -> StoredEvent:
    return StoredEvent(originator_id=uuid4(), originator_version=1, topic="t", state=b"{}")
