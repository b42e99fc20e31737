"""The book's connections: bounded waits, StoreUnavailable, replaced connections, tables created
once. (A real server restart is in test_store_outage.py; books opened at once, in
test_opening_at_once.py.)"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs, urlparse

import psycopg
import pytest
from conftest import POSTGRES_URL, postgres_schema_url
from eventsourcing.utils import Environment

from clientbook import Actor, ClientBook, StoreUnavailable
from clientbook.infrastructure.postgres import (
    DEFAULT_TIMEOUT,
    TIMEOUT,
    Factory,
    application_name,
)
from clientbook.infrastructure.sql import PostgresDatabase, SqlDatabase, SqliteDatabase
from clientbook.infrastructure.store import StoreUrlError, parse_store_url

CLERK = Actor("u-clerk", {"officer"})
VIEWS_LOCK = "SELECT pg_advisory_lock(7238810041)"  # SqlDatabase.create's
TABLES_LOCK = "SELECT pg_advisory_lock(7238810, hashtext(%s))"  # the event store's, per schema


def register(book: ClientBook, number: str) -> None:
    book.customers.register(
        number=number,
        kind="individual",
        name="Li Lei",
        manager="m-007",
        by=CLERK,
        on=date(2026, 11, 2),
    )


def elapsed(call: Callable[[], object]) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from postgres_schema_url()


@pytest.fixture
def admin(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A session of the test's own on the test server (to hold locks, end sessions)."""
    conninfo = parse_store_url(POSTGRES_URL + "?schema=public").postgres_conninfo
    with psycopg.connect(conninfo or "", autocommit=True) as connection:
        yield connection


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the command line ---------------------------------------------------------------------


def test_an_unavailable_store_is_one_line_on_stderr_and_a_non_zero_exit() -> None:
    port = closed_port()
    url = f"postgresql://postgres:hunter2@127.0.0.1:{port}/test?timeout=1"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "clientbook.cli", "--db", url, "events"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - started
    assert done.returncode == 75, done.stderr  # EX_TEMPFAIL: try again later
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: PostgreSQL at 127.0.0.1:") and f":{port}," in lines[0]
    assert "database test, schema public" in lines[0] and "hunter2" not in lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert took < 15, took  # the timeout (1 s) plus starting Python and importing clientbook


# -- the timeout's settings ---------------------------------------------------------------


def test_the_timeout_is_the_urls_else_the_environments_else_ten_seconds(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TIMEOUT, raising=False)
    assert parse_store_url(pg_url).timeout == DEFAULT_TIMEOUT == 10
    monkeypatch.setenv(TIMEOUT, "4.5")
    store = parse_store_url(pg_url)
    assert store.timeout == 4.5 and store.env[TIMEOUT] == "4.5"
    assert parse_store_url(pg_url + "&timeout=3").timeout == 3
    for bad in ("0", "-1", "soon", "inf"):
        with pytest.raises(StoreUrlError, match="number of seconds above 0"):
            parse_store_url(pg_url + f"&timeout={bad}")


def test_a_book_takes_its_timeout_from_the_url(pg_url: str) -> None:
    with ClientBook.open(pg_url + "&timeout=3") as book:
        assert book.app.factory.datastore.budget.timeout == 3


# -- SQLite -------------------------------------------------------------------------------


def test_sqlite_locked_beyond_its_timeout_is_store_unavailable(tmp_path: Path) -> None:
    path = str(tmp_path / "views.db")
    database = SqliteDatabase(path, timeout=0.3)
    database.create(["CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY)"])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the file's write lock
    try:
        with pytest.raises(StoreUnavailable, match=r"views\.db .*locked.* 0\.3 s"):
            database.execute("INSERT INTO notes VALUES (1)")
        # Tables that exist are not created again, so no write lock is needed...
        assert (
            elapsed(
                lambda: database.create(
                    ["CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY)"]
                )
            )
            < 0.3
        )
        # ...while a missing one is, which needs it.
        with pytest.raises(StoreUnavailable):
            database.create(["CREATE TABLE IF NOT EXISTS more (id INTEGER PRIMARY KEY)"])
    finally:
        other.execute("ROLLBACK")
        other.close()
    database.execute("INSERT INTO notes VALUES (1)")
    database.close()


# -- PostgreSQL: the views' database ------------------------------------------------------


def views(url: str, timeout: float = 2.0) -> PostgresDatabase:
    store = parse_store_url(url)
    assert store.postgres_conninfo is not None
    return PostgresDatabase(store.postgres_conninfo, store.postgres_schema, timeout=timeout)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_transaction_inside_another_joins_it_and_rolls_back_with_it(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        database: SqlDatabase = SqliteDatabase(str(tmp_path / "views.db"))
    else:
        database = views(request.getfixturevalue("pg_url"))
    database.create(["CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY)"])
    with pytest.raises(ZeroDivisionError):
        with database.transaction() as outer:
            outer.execute("INSERT INTO notes VALUES (?)", (1,))
            with database.transaction() as inner:
                inner.execute("INSERT INTO notes VALUES (?)", (2,))
            assert database.query("SELECT count(*) FROM notes") == [(2,)]  # joins, too
            1 / 0
    assert database.query("SELECT count(*) FROM notes") == [(0,)]
    database.close()


def test_a_read_outside_a_transaction_does_not_wait_for_another_threads_transaction(
    pg_url: str,
) -> None:
    database = views(pg_url)
    database.create(["CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY)"])
    database.execute("INSERT INTO notes VALUES (?)", (1,))
    inside, release = threading.Event(), threading.Event()

    def write() -> None:
        with database.transaction() as cursor:
            cursor.execute("INSERT INTO notes VALUES (?)", (2,))
            inside.set()
            release.wait(10)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert inside.wait(10)
        assert database.query("SELECT id FROM notes") == [(1,)]  # its own snapshot, at once
    finally:
        release.set()
        writer.join(10)
    assert database.query("SELECT id FROM notes ORDER BY id") == [(1,), (2,)]
    database.close()


def test_connections_the_server_ended_are_replaced_when_next_taken(
    pg_url: str, admin: psycopg.Connection[Any]
) -> None:
    schema = schema_of(pg_url)
    with ClientBook.open(pg_url) as book:
        register(book, "C-000001")
        assert len(book.directory.search()) == 1
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = %s",
            (application_name(schema),),
        ).fetchone()
        assert ended is not None and ended[0] >= 2  # the log's and the views' connections
        register(book, "C-000002")  # the same book, at the first try
        assert [e.number for e in book.directory.search()] == ["C-000001", "C-000002"]


def test_tables_that_exist_are_not_created_again_so_no_lock_is_waited_for(
    pg_url: str, admin: psycopg.Connection[Any]
) -> None:
    schema = schema_of(pg_url)
    ClientBook.open(pg_url).close()  # creates every table
    admin.execute(VIEWS_LOCK)
    admin.execute(TABLES_LOCK, (schema,))
    try:
        assert elapsed(lambda: ClientBook.open(pg_url + "&timeout=1").close()) < 5
    finally:
        admin.execute("SELECT pg_advisory_unlock_all()")


def test_a_missing_table_waits_for_the_creation_lock_at_most_the_timeout(
    pg_url: str, admin: psycopg.Connection[Any]
) -> None:
    database = views(pg_url, timeout=1)
    admin.execute(VIEWS_LOCK)
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="lock"):
            database.create(["CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY)"])
        assert time.monotonic() - started < 4
    finally:
        admin.execute("SELECT pg_advisory_unlock_all()")
    database.create(["CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY)"])
    database.close()


def test_the_schema_and_the_event_stores_tables_are_created_under_the_schemas_lock(
    pg_url: str, admin: psycopg.Connection[Any]
) -> None:
    schema = schema_of(pg_url)
    admin.execute(TABLES_LOCK, (schema,))
    try:
        with pytest.raises(StoreUnavailable, match="lock"):
            parse_store_url(pg_url + "&timeout=1")  # creating the schema waits for it
    finally:
        admin.execute("SELECT pg_advisory_unlock_all()")
    store = parse_store_url(pg_url + "&timeout=1")  # the schema, made now
    admin.execute(TABLES_LOCK, (schema,))
    try:
        factory = Factory(Environment("ClientBook", store.env))
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="lock"):
            factory.application_recorder()  # its tables are missing: it waits for the lock
        assert time.monotonic() - started < 4
        factory.close()
    finally:
        admin.execute("SELECT pg_advisory_unlock_all()")
    with ClientBook.open(pg_url) as book:
        register(book, "C-000001")
        assert book.head >= 1


def schema_of(url: str) -> str:
    return parse_qs(urlparse(url).query)["schema"][0]
