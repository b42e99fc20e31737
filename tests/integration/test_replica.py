"""Issue 15: queries and reports from a PostgreSQL streaming replica, commands to the primary.

A throwaway primary and a streaming replica of it (`throwaway_replica` in conftest.py:
pg_createcluster, pg_basebackup -R, other ports, dropped afterwards). A worker thread on the
primary keeps the views; the book under test sends its commands to the primary and its queries
to the replica."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date
from typing import Iterator

import psycopg
import pytest

from clientbook import Actor, ClientBook, ReplicaBehind
from clientbook.domain.customer import customer_id

CLERK = Actor("u-clerk", {"officer"})
D = date(2026, 11, 2)
PERIOD = dict(period_from=date(2026, 11, 1), period_to=date(2026, 12, 31))


def replayed(replica_conninfo: str, primary_conninfo: str) -> None:
    """Wait until the replica has replayed what the primary has written (its new schema)."""
    with psycopg.connect(primary_conninfo, autocommit=True) as primary:
        wanted = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
    with psycopg.connect(replica_conninfo, autocommit=True) as replica:
        for _ in range(500):
            row = replica.execute("SELECT pg_last_wal_replay_lsn() >= %s", wanted).fetchone()
            if row and row[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the replica never replayed the primary's WAL")


@pytest.fixture
def books(throwaway_replica) -> Iterator[tuple[ClientBook, ClientBook]]:  # type: ignore[no-untyped-def]
    """(a book on the primary with a worker thread, a book whose queries go to the replica)."""
    primary_url, replica_url = throwaway_replica.urls(schema=f"r_{uuid.uuid4().hex[:8]}")
    stop = threading.Event()
    with ClientBook.open(primary_url) as primary:
        replayed(throwaway_replica.standby.conninfo(), throwaway_replica.primary.conninfo())
        worker = threading.Thread(target=primary.projections.follow, args=(stop, 0.05))
        worker.start()
        try:
            with ClientBook.open(primary_url, replica=replica_url, max_lag=2) as book:
                yield primary, book
        finally:
            stop.set()
            worker.join(timeout=30)


def register(book: ClientBook, n: int) -> None:
    book.customers.register(
        number=f"C-{n:06d}", kind="individual", name="Li Lei", manager="m-007", by=CLERK, on=D
    )


def test_reports_on_the_replica_equal_the_primarys_at_the_same_position(
    books: tuple[ClientBook, ClientBook],
) -> None:
    primary, book = books
    for n in range(1, 6):
        register(book, n)
    book.customers.record_contact(
        customer_id("C-000001"), channel="call", purpose="follow_up", outcome="ok", by=CLERK, on=D
    )
    position = book.last_written
    found = book.directory.search(manager="m-007", at_least=position)  # read your writes
    assert sorted(e.number for e in found) == [f"C-{n:06d}" for n in range(1, 6)]
    assert book.reports.managers(**PERIOD, at_least=position) == primary.reports.managers(
        **PERIOD, at_least=position
    )
    assert book.directory.search(manager="m-007") == primary.directory.search(
        manager="m-007", at_least=position
    )


def test_a_replica_behind_its_bound_is_reported_not_read(
    books: tuple[ClientBook, ClientBook],
    throwaway_replica,  # type: ignore[no-untyped-def]
) -> None:
    primary, book = books
    register(book, 1)
    assert len(book.directory.search(at_least=book.last_written)) == 1
    with psycopg.connect(throwaway_replica.standby.conninfo(), autocommit=True) as standby:
        standby.execute("SELECT pg_wal_replay_pause()")
        try:
            register(book, 2)  # on the primary; the replica does not replay it
            with pytest.raises(ReplicaBehind, match="bytes of WAL behind its primary") as error:
                book.directory.search()
            assert error.value.lag_bytes > 0
        finally:
            standby.execute("SELECT pg_wal_replay_resume()")
    assert len(book.directory.search(at_least=book.last_written)) == 2


def test_only_a_postgresql_book_takes_a_replica(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from clientbook.infrastructure.store import StoreUrlError

    with pytest.raises(StoreUrlError, match="a replica is a PostgreSQL streaming replica"):
        ClientBook.open(
            f"sqlite:///{tmp_path / 'book.db'}", replica=f"sqlite:///{tmp_path / 'copy.db'}"
        )
