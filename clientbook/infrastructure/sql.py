"""One small SQL connection interface over SQLite and PostgreSQL, for views and keys.

Statements use `?` placeholders and SQL that both dialects accept; the PostgreSQL adapter
rewrites the placeholders. Views and the key store share the book's database: the SQLite file
(its own connection) or the PostgreSQL schema.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import Any, Iterator, Protocol, Sequence


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (sqlite3.OperationalError,)
"""Errors of the store itself, not of an event: a projection retries them, never stops on them."""
try:
    import psycopg as _psycopg

    TRANSIENT_ERRORS += (_psycopg.OperationalError, _psycopg.InterfaceError)
except ImportError:  # pragma: no cover - psycopg is a dependency
    pass


CREATING = 7238810041
"""PostgreSQL's advisory lock key held while a process creates a store's schema and tables."""


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchone(self) -> Any: ...


class SqlDatabase(ABC):
    """A connection for views and keys; `transaction()` commits all or nothing."""

    dialect: str

    @abstractmethod
    def transaction(self) -> Any:
        """A context manager giving a cursor; it commits on success and rolls back on error."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self.transaction() as cursor:
            cursor.execute(sql, params)

    def create(self, statements: Sequence[str]) -> None:
        """Create tables and indexes; safe when several processes open one store at once."""
        with self.transaction() as cursor:
            if self.dialect == "postgresql":
                cursor.execute(f"SELECT pg_advisory_xact_lock({CREATING})")
            for statement in statements:
                cursor.execute(statement)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.transaction() as cursor:
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]

    @contextmanager
    def creating(self) -> Iterator[None]:
        """Held while this process creates the tables others make too (the log's, through
        eventsourcing): processes that open one store at once take turns (SQLite needs no
        turns: its DDL runs in write transactions)."""
        yield

    @abstractmethod
    def close(self) -> None: ...


class SqliteDatabase(SqlDatabase):
    """SQLite: a file (WAL, shared with the event store) or an in-memory database."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(
            path, timeout=30, check_same_thread=False, isolation_level=None
        )
        if path != ":memory:":
            self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """A transaction; one opened inside another (same thread) joins the outer one."""
        with self._lock:
            cursor = self._connection.cursor()
            if self._connection.in_transaction:
                yield cursor
                return
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
        with self._lock:
            cursor = self._connection.cursor()
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]

    def attach(self, path: str, alias: str) -> None:
        """Attach another database file under `alias` (outside any transaction)."""
        with self._lock:
            self._connection.execute(f"ATTACH DATABASE ? AS {alias}", (path,))

    def detach(self, alias: str) -> None:
        with self._lock:
            self._connection.execute(f"DETACH DATABASE {alias}")

    def close(self) -> None:
        self._connection.close()


class _PgCursor:
    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cursor.execute(sql.replace("?", "%s"), params)

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def fetchone(self) -> Any:
        return self._cursor.fetchone()


class PostgresDatabase(SqlDatabase):
    """PostgreSQL through psycopg 3, in the book's schema."""

    dialect = "postgresql"

    def __init__(self, conninfo: str, schema: str) -> None:
        import psycopg

        self._connection = psycopg.connect(
            conninfo, autocommit=True, options=f"-c search_path={schema}"
        )
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[_PgCursor]:
        with self._lock, self._connection.transaction(), self._connection.cursor() as cursor:
            yield _PgCursor(cursor)

    @contextmanager
    def creating(self) -> Iterator[None]:
        """A session lock: PostgreSQL's `CREATE ... IF NOT EXISTS` and `CREATE OR REPLACE
        FUNCTION` in two sessions at once fail ("duplicate key value violates unique
        constraint pg_type_typname_nsp_index", "tuple concurrently updated")."""
        with self._lock:
            self._connection.execute(f"SELECT pg_advisory_lock({CREATING})")
        try:
            yield
        finally:
            with self._lock:
                self._connection.execute(f"SELECT pg_advisory_unlock({CREATING})")

    def close(self) -> None:
        self._connection.close()
