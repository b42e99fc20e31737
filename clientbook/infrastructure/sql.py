"""One small SQL connection interface over SQLite and PostgreSQL, for views and keys.

Statements use `?` placeholders and SQL that both dialects accept; the PostgreSQL adapter
rewrites the placeholders. Views and the key store share the book's database: the SQLite file
(its own connection) or the PostgreSQL schema.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Protocol, Sequence

import psycopg
from psycopg.conninfo import conninfo_to_dict

from clientbook.domain.errors import StoreUnavailable
from clientbook.infrastructure.postgres import (
    DEFAULT_TIMEOUT,
    CallBudget,
    CheckedPool,
    application_name,
    connect_timeout,
    copy_rows,
    creation_lock,
    describe,
    failures_mapped,
)

_CREATED = re.compile(
    r"\s*CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX)\s+IF\s+NOT\s+EXISTS\s+(\w+)(?=\s*\(|\s+ON\s)",
    re.IGNORECASE,
)
"""A statement create() can skip when the table or index it names (unqualified) exists."""
_PLAIN_INDEX = re.compile(r"\s*CREATE\s+INDEX\s", re.IGNORECASE)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    sqlite3.OperationalError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    StoreUnavailable,
)
"""Errors of the store itself, not of an event: a projection retries them, never stops on them."""


CREATING = 7238810041
"""PostgreSQL's advisory lock key held while a process creates a store's schema and tables."""


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchone(self) -> Any: ...


class SqlDatabase(ABC):
    """A connection for views and keys; `transaction()` commits all or nothing. A store that
    does not answer in time raises StoreUnavailable."""

    dialect: str
    indexed = True
    """False for a rebuild's shadow: its tables are only written and read by key until its swap,
    so create() leaves out the plain indexes, which would only slow the build (unique ones stay:
    they are rules the rows must keep). SQLite's are built in the book's own tables, which the
    swap copies the rows into; PostgreSQL's by `index`, in the shadow, before its tables move."""

    @abstractmethod
    def transaction(self) -> Any:
        """A context manager giving a cursor; it commits on success and rolls back on error."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self.transaction() as cursor:
            cursor.execute(sql, params)

    def create(self, statements: Sequence[str]) -> None:
        """Create tables and indexes; safe when several processes open one store at once. When
        they all exist already (the usual case) it is one catalogue read, without a lock."""
        if not self.indexed:
            statements = [s for s in statements if not _PLAIN_INDEX.match(s)]
        names = {match.group(1).lower() for s in statements if (match := _CREATED.match(s))}
        known = len(names) == len(statements)
        if known and self.existing(sorted(names)) >= names:
            return
        with self.transaction() as cursor:
            self._lock_creation(cursor)
            if known and self.existing(sorted(names)) >= names:
                return  # another process created them while this one waited for the lock
            for statement in statements:
                cursor.execute(statement)

    def index(self, statements: Sequence[str]) -> None:
        """Build the plain indexes among `statements` (those create() left out), in one
        transaction: on the rows already in, each index in one sort."""
        plain = [s for s in statements if _PLAIN_INDEX.match(s)]
        if plain:
            with self.transaction() as cursor:
                for statement in plain:
                    cursor.execute(statement)

    def _lock_creation(self, cursor: Any) -> None:
        """Make concurrent create() calls take turns (SQLite's BEGIN IMMEDIATE already does)."""

    def existing(self, names: Sequence[str]) -> set[str]:
        """Which of these tables and indexes exist (none known here: create() then runs)."""
        return set()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.transaction() as cursor:
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]

    def vacuum(self, tables: Sequence[str]) -> None:
        """Reclaim the dead rows of these tables (an erased key's old row, on PostgreSQL)."""

    @contextmanager
    def creating(self) -> Iterator[None]:
        """Held while this process creates the tables others make too (the log's, through
        eventsourcing): processes that open one store at once take turns (SQLite needs no
        turns: its DDL runs in write transactions)."""
        yield

    @abstractmethod
    def close(self) -> None: ...


class SqliteDatabase(SqlDatabase):
    """SQLite: a file (WAL, shared with the event store) or an in-memory database. A write lock
    held by another connection beyond `timeout` raises StoreUnavailable.

    A `scratch` file is thrown away if the process dies (a rebuild's shadow): it keeps no
    journal and is never synced (the next rebuild deletes what a crash left), and its page
    cache is large: a shadow rewrites its tables of documents (one row per card account) every
    page, and they soon outgrow SQLite's default cache of 2 MiB."""

    dialect = "sqlite"

    SCRATCH_CACHE_KIB = 256 * 1024
    """A scratch file's page cache, at most (SQLite takes the memory as its pages are used)."""

    def __init__(self, path: str, *, timeout: float = 30.0, scratch: bool = False) -> None:
        self._path = path
        self._timeout = timeout
        self._lock = threading.RLock()
        with self._unlocked():
            self._connection = sqlite3.connect(
                path, timeout=timeout, check_same_thread=False, isolation_level=None
            )
            if scratch:
                self._connection.execute("PRAGMA journal_mode=OFF")
                self._connection.execute("PRAGMA synchronous=OFF")
                self._connection.execute(f"PRAGMA cache_size=-{self.SCRATCH_CACHE_KIB}")
            else:
                if path != ":memory:":
                    self._journal_in_wal()
                self._connection.execute("PRAGMA synchronous=NORMAL")
            # Rows deleted or overwritten (a forgotten key, an erased name) are zeroed on disk.
            self._connection.execute("PRAGMA secure_delete=ON")

    def _journal_in_wal(self) -> None:
        """Put the file in WAL mode. Changing the journal mode takes the file's exclusive lock,
        and SQLite answers "locked" at once (not after its busy timeout) while another process
        opening the same new file holds a lock: so it is asked again until `timeout`."""
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                self._connection.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """A transaction; one opened inside another (same thread) joins the outer one."""
        with self._lock:
            cursor = self._connection.cursor()
            if self._connection.in_transaction:
                yield cursor
                return
            with self._unlocked():
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    yield cursor
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                cursor.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read: inside a transaction it joins it; outside, one statement reads a consistent
        snapshot on its own, without the write lock `BEGIN IMMEDIATE` would take."""
        with self._lock, self._unlocked():
            cursor = self._connection.cursor()
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]

    def vacuum(self, tables: Sequence[str]) -> None:
        """Copy what the WAL holds into the file now (PASSIVE: no waiting for readers), so
        the zeroed rows (secure_delete) replace the old ones there too."""
        if self._path != ":memory:":
            self.query("PRAGMA wal_checkpoint(PASSIVE)")

    @contextmanager
    def large_cache(self) -> Iterator[None]:
        """Inside, the connection's page cache may grow as large as a scratch file's: bulk work
        such as a swap's index builds, whose sorts SQLite keeps in memory only within the
        cache's size (beyond it, they spill to temporary files). After, the cache is back to
        its size before, and the memory is given back."""
        with self._lock:
            ((before,),) = self._connection.execute("PRAGMA cache_size").fetchall()
            self._connection.execute(f"PRAGMA cache_size=-{self.SCRATCH_CACHE_KIB}")
            try:
                yield
            finally:
                self._connection.execute(f"PRAGMA cache_size={int(before)}")
                self._connection.execute("PRAGMA shrink_memory")

    def attach(self, path: str, alias: str) -> None:
        """Attach another database file under `alias` (outside any transaction)."""
        with self._lock:
            self._connection.execute(f"ATTACH DATABASE ? AS {alias}", (path,))

    def detach(self, alias: str) -> None:
        with self._lock:
            self._connection.execute(f"DETACH DATABASE {alias}")

    def existing(self, names: Sequence[str]) -> set[str]:
        marks = ", ".join("?" for _ in names)
        rows = self.query(f"SELECT name FROM sqlite_master WHERE name IN ({marks})", names)
        return {str(row[0]).lower() for row in rows}

    @contextmanager
    def _unlocked(self) -> Iterator[None]:
        """Inside, SQLite's "database is locked" (its busy timeout ran out) is StoreUnavailable."""
        try:
            yield
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            raise StoreUnavailable(
                f"SQLite store {self._path} is unavailable: another connection held it locked "
                f"for more than {self._timeout:g} s ({error}); try again later"
            ) from error

    def close(self) -> None:
        self._connection.close()


class _PgCursor:
    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cursor.execute(sql.replace("?", "%s"), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        return self._cursor.executemany(sql.replace("?", "%s"), rows)

    def copy_rows(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        """`COPY … FROM STDIN` of these rows (`postgres.copy_rows`)."""
        copy_rows(self._cursor, statement, rows)

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def fetchone(self) -> Any:
        return self._cursor.fetchone()


class PostgresDatabase(SqlDatabase):
    """PostgreSQL through a psycopg pool, in the book's schema. Each connection is pinged when
    taken, so broken ones (the server restarted) are replaced without reopening the book; each
    wait for the server is bounded by `timeout`, then StoreUnavailable. A transaction uses its
    thread's current connection, so one opened inside another joins it. Transactions of one
    database still run one at a time, as before (views keep the open transaction's cursor on
    themselves), and wait for each other without a bound: only the server is timed. A read
    outside a transaction takes a connection of its own and does not wait for them.

    A `scratch` schema is thrown away if the process dies (a rebuild's shadow): its commits do
    not wait for the server's log to reach the disk (`synchronous_commit = off`). What a swap
    then moves into the book's schema is durable all the same: the swap's own commit waits for
    the log up to it, the shadow's earlier commits included."""

    dialect = "postgresql"

    def __init__(
        self,
        conninfo: str,
        schema: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        scratch: bool = False,
    ) -> None:
        params = conninfo_to_dict(conninfo)
        self._where = describe(params, schema)
        self._secret = str(params.get("password") or "")
        self._timeout = timeout
        self._budget = CallBudget(timeout)
        self._lock = threading.RLock()
        self._current = threading.local()
        self._pool: CheckedPool[psycopg.Connection[Any]] = CheckedPool(
            conninfo,
            kwargs={
                "autocommit": True,
                "options": f'-c search_path="{schema}"'  # checked: letters, digits, _
                + (" -c synchronous_commit=off" if scratch else ""),
                "connect_timeout": connect_timeout(timeout),
                "application_name": application_name(schema),
            },
            min_size=1,
            max_size=8,
            timeout=timeout,
            budget=self._budget,
            open=True,
            num_workers=2,
            name=f"views {schema}",
        )

    @contextmanager
    def transaction(self) -> Iterator[_PgCursor]:
        outer = getattr(self._current, "connection", None)
        if outer is not None:
            with outer.cursor() as cursor:
                yield _PgCursor(cursor)
            return
        with self._lock, self._mapped():
            with self._pool.connection() as connection:
                self._current.connection = connection
                try:
                    with connection.transaction(), connection.cursor() as cursor:
                        yield _PgCursor(cursor)
                finally:
                    self._current.connection = None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read: inside a transaction it joins it; outside, one autocommit statement."""
        if getattr(self._current, "connection", None) is not None:
            return super().query(sql, params)
        with self._mapped(), self._pool.connection() as connection:
            with connection.cursor() as cursor:
                _PgCursor(cursor).execute(sql, params)
                return [tuple(row) for row in cursor.fetchall()]

    def vacuum(self, tables: Sequence[str]) -> None:
        """VACUUM runs outside a transaction only: inside one it is left to autovacuum."""
        if getattr(self._current, "connection", None) is not None:
            return
        with self._mapped(), self._pool.connection() as connection:
            for table in tables:  # names from the code, never from input
                connection.execute(f"VACUUM {table}")

    def _lock_creation(self, cursor: Any) -> None:
        lock = f"SELECT pg_advisory_xact_lock({CREATING})"
        creation_lock(cursor, lock, (), self._where, self._timeout, self._secret, local=True)

    def existing(self, names: Sequence[str]) -> set[str]:
        rows = self.query(
            "SELECT relname FROM pg_class WHERE relname = ANY(?) AND relnamespace = "
            "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())",
            (list(names),),
        )
        return {str(row[0]) for row in rows}

    def _mapped(self) -> Any:
        return failures_mapped(self._where, self._timeout, self._secret)

    @contextmanager
    def creating(self) -> Iterator[None]:
        """Nothing to hold here: the log's factory (infrastructure/postgres.py) creates its
        tables itself, once, under a lock of the schema's, and only when they are missing (the
        library's DDL in two sessions at once fails: "tuple concurrently updated", "duplicate
        key value violates unique constraint pg_type_typname_nsp_index"). A lock here would
        make every book opening anywhere on the server wait for every other."""
        yield

    def close(self) -> None:
        self._pool.close()
