"""The read side's own records, leases, wake-ups and shadow rebuilds, in the book's database.

- `SqlReadSideRecords`: projection versions, failures, rebuilds and operators' decisions, in
  tables beside the views (the decisions are the audit of the read side).
- Leases: on PostgreSQL a session advisory lock per name, on a connection of the holder's own,
  so a holder that dies (kill -9 included) releases it with its connection; on SQLite an
  exclusive `flock` on a file per name beside the database file, which the kernel releases
  when the process dies; in memory, a lock per book. Who holds a lease is noted in
  `projection_leases` for the status; the lock itself is the truth.
- `PostgresWakeup`: LISTEN on the log's channel, waited on with a timeout (a notification is a
  hint; the worker polls too).
- `SqlShadows`: a rebuild's new tables in a schema (PostgreSQL) or file (SQLite) of their own,
  copied over the old ones in one transaction.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, Iterator

from clientbook.domain.errors import BusyError, RebuildFailed
from clientbook.infrastructure.buffered import BufferedView
from clientbook.infrastructure.postgres import is_connection_failure, unavailable_at
from clientbook.infrastructure.sql import PostgresDatabase, SqlDatabase, SqliteDatabase
from clientbook.infrastructure.store import Store
from clientbook.infrastructure.tracking import TRACKING_TABLE, SqlTrackedView
from clientbook.projections.operations import Decision, Failure

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS projection_state (projection TEXT PRIMARY KEY, "
    "version INTEGER, failed_position BIGINT, failed_event TEXT, failure TEXT, "
    "failed_at TEXT, rebuilding_since TEXT)",
    "CREATE TABLE IF NOT EXISTS projection_decisions (projection TEXT NOT NULL, "
    "decided_at TEXT NOT NULL, decision TEXT NOT NULL, position BIGINT, actor TEXT NOT NULL, "
    "reason TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS projection_leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, "
    "since TEXT NOT NULL)",
)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class SqlReadSideRecords:
    """Versions, failures, rebuilds and decisions of the projections."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database
        database.create((TRACKING_TABLE, *_SCHEMA))

    def _set(self, projection: str, assignments: str, values: tuple[Any, ...]) -> None:
        with self._database.transaction() as cursor:
            cursor.execute(
                "INSERT INTO projection_state (projection) VALUES (?) "
                "ON CONFLICT (projection) DO NOTHING",
                (projection,),
            )
            cursor.execute(
                f"UPDATE projection_state SET {assignments} WHERE projection = ?",
                (*values, projection),
            )

    def positions(self, application_name: str) -> dict[str, int]:
        rows = self._database.query(
            "SELECT projection, notification_id FROM projection_tracking "
            "WHERE application_name = ?",
            (application_name,),
        )
        return {name: int(position) for name, position in rows}

    def versions(self) -> dict[str, int]:
        rows = self._database.query(
            "SELECT projection, version FROM projection_state WHERE version IS NOT NULL"
        )
        return {name: int(version) for name, version in rows}

    def set_version(self, projection: str, version: int) -> None:
        self._set(projection, "version = ?", (version,))

    def failures(self) -> dict[str, Failure]:
        rows = self._database.query(
            "SELECT projection, failed_position, failed_event, failure, failed_at "
            "FROM projection_state WHERE failed_position IS NOT NULL"
        )
        return {
            name: Failure(int(position), event, error, datetime.fromisoformat(at))
            for name, position, event, error, at in rows
        }

    def fail(self, projection: str, failure: Failure) -> None:
        self._set(
            projection,
            "failed_position = ?, failed_event = ?, failure = ?, failed_at = ?",
            (failure.position, failure.event_type, failure.error[:2000], failure.at.isoformat()),
        )

    def clear_failure(self, projection: str) -> None:
        self._set(
            projection,
            "failed_position = NULL, failed_event = NULL, failure = NULL, failed_at = NULL",
            (),
        )

    def decide(self, decision: Decision) -> None:
        self._database.execute(
            "INSERT INTO projection_decisions (projection, decided_at, decision, position, "
            "actor, reason) VALUES (?, ?, ?, ?, ?, ?)",
            (
                decision.projection,
                decision.at.isoformat(),
                decision.decision,
                decision.position,
                decision.actor,
                decision.reason,
            ),
        )

    def decisions(self, projection: str | None = None) -> list[Decision]:
        rows = self._database.query(
            "SELECT projection, decision, position, actor, reason, decided_at "
            "FROM projection_decisions ORDER BY decided_at"
        )
        return [
            Decision(
                name,
                decision,
                None if position is None else int(position),
                actor,
                reason,
                datetime.fromisoformat(at),
            )
            for name, decision, position, actor, reason, at in rows
            if projection is None or name == projection
        ]

    def set_rebuilding(self, projection: str, since: datetime | None) -> None:
        self._set(
            projection, "rebuilding_since = ?", (None if since is None else since.isoformat(),)
        )

    def rebuilding(self) -> dict[str, datetime]:
        rows = self._database.query(
            "SELECT projection, rebuilding_since FROM projection_state "
            "WHERE rebuilding_since IS NOT NULL"
        )
        return {name: datetime.fromisoformat(since) for name, since in rows}


class _NotedLeases(ABC):
    """What every kind of lease shares: the note of who holds which, for the status."""

    def __init__(self, database: SqlDatabase, holder: str) -> None:
        self._database = database
        self.holder = holder
        self._held: dict[str, Any] = {}
        self._locals: dict[str, threading.Lock] = {}
        self._mutex = threading.Lock()
        database.create(_SCHEMA)

    def _note(self, name: str) -> None:
        self._database.execute(
            "INSERT INTO projection_leases (name, holder, since) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, since = excluded.since",
            (name, self.holder, _now()),
        )

    def holder_of(self, name: str) -> str | None:
        if not self.taken(name):
            return None
        if name in self._held:
            return self.holder
        rows = self._database.query("SELECT holder FROM projection_leases WHERE name = ?", (name,))
        return rows[0][0] if rows else "unknown"

    def owns(self, name: str) -> bool:
        return name in self._held

    def local_lock(self, name: str) -> threading.Lock:
        """A lock per name among this holder's threads (a lease is this holder's, whichever
        of its threads took it)."""
        with self._mutex:
            return self._locals.setdefault(name, threading.Lock())

    @abstractmethod
    def acquire(self, name: str) -> bool: ...

    @abstractmethod
    def release(self, name: str) -> None: ...

    @abstractmethod
    def taken(self, name: str) -> bool: ...

    def close(self) -> None:
        """Give up every lease this holder has."""
        for name in list(self._held):
            self.release(name)


class LocalLeases(_NotedLeases):
    """Leases among the threads of one process: a book in memory, whose store no other book
    shares."""

    def acquire(self, name: str) -> bool:
        with self._mutex:
            if name in self._held:
                return True
            self._held[name] = True
        self._note(name)
        return True

    def release(self, name: str) -> None:
        with self._mutex:
            self._held.pop(name, None)

    def taken(self, name: str) -> bool:
        return name in self._held


class FileLeases(_NotedLeases):
    """Leases across the processes sharing one SQLite file: an exclusive `flock` per name on a
    file in `<database>.leases/`. The kernel releases it when its process dies."""

    def __init__(self, database: SqlDatabase, holder: str, sqlite_path: str) -> None:
        super().__init__(database, holder)
        self._folder = Path(f"{sqlite_path}.leases")
        self._folder.mkdir(exist_ok=True)

    def _path(self, name: str) -> str:
        return str(self._folder / name.replace(":", "-").replace("/", "-"))

    def _try_lock(self, name: str) -> int | None:
        fd = os.open(self._path(name), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return None
            raise
        return fd

    def acquire(self, name: str) -> bool:
        with self._mutex:
            if name in self._held:
                return True
            fd = self._try_lock(name)
            if fd is None:
                return False
            self._held[name] = fd
        self._note(name)
        return True

    def release(self, name: str) -> None:
        with self._mutex:
            fd = self._held.pop(name, None)
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def taken(self, name: str) -> bool:
        with self._mutex:
            if name in self._held:
                return True
            fd = self._try_lock(name)
            if fd is None:
                return True
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            return False


_LEASE_CLASS = 0x434C4B42 & 0x7FFFFFFF  # "CLKB": the first key of every clientbook lease


class PostgresLeases(_NotedLeases):
    """Leases as session advisory locks on a connection of this holder's own: a holder that
    dies, or loses its connection, releases them with it."""

    def __init__(self, database: SqlDatabase, holder: str, conninfo: str, schema: str) -> None:
        super().__init__(database, holder)
        self._conninfo = conninfo
        self._schema = schema
        self._connection: Any = None

    def _key(self, name: str) -> int:
        digest = hashlib.blake2b(f"{self._schema}:{name}".encode(), digest_size=4).digest()
        return int.from_bytes(digest, "big") & 0x7FFFFFFF

    def _execute(self, sql: str, params: tuple[Any, ...]) -> Any:
        """One statement on the lease connection; a lost connection loses every lease. One the
        server ended (it restarted) and that held none is replaced once; an unreachable server
        is StoreUnavailable."""
        import psycopg

        for fresh in (False, True):
            held = bool(self._held)
            try:
                if self._connection is None or self._connection.closed:
                    self._held.clear()
                    fresh = True
                    self._connection = psycopg.connect(
                        self._conninfo, autocommit=True, connect_timeout=5
                    )
                return self._connection.execute(sql, params).fetchone()[0]
            except psycopg.OperationalError as error:
                self._held.clear()
                with suppress(Exception):
                    self._connection.close()
                self._connection = None
                if not is_connection_failure(error):
                    raise
                if fresh or held:  # leases lost with it must be seen, not papered over
                    raise unavailable_at(self._conninfo, self._schema, 5, error) from error
        raise AssertionError("unreachable")

    def acquire(self, name: str) -> bool:
        with self._mutex:
            if name in self._held and self._alive():
                return True
            got = self._execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (_LEASE_CLASS, self._key(name))
            )
            if not got:
                return False
            self._held[name] = True
        self._note(name)
        return True

    def _alive(self) -> bool:
        try:
            self._execute("SELECT 1", ())
        except Exception:
            return False
        return True

    def owns(self, name: str) -> bool:
        with self._mutex:
            return name in self._held and self._alive()

    def release(self, name: str) -> None:
        with self._mutex:
            if self._held.pop(name, None) is not None:
                with suppress(Exception):
                    self._execute(
                        "SELECT pg_advisory_unlock(%s, %s)", (_LEASE_CLASS, self._key(name))
                    )

    def taken(self, name: str) -> bool:
        with self._mutex:
            return bool(
                self._execute(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND classid = %s AND objid = %s AND objsubid = 2 AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database()))",
                    (_LEASE_CLASS, self._key(name)),
                )
            )

    def close(self) -> None:
        super().close()
        with suppress(Exception):
            if self._connection is not None:
                self._connection.close()


def leases_for(store: Store, database: SqlDatabase, holder: str) -> _NotedLeases:
    if store.kind == "postgresql":
        assert store.postgres_conninfo is not None
        return PostgresLeases(database, holder, store.postgres_conninfo, store.postgres_schema)
    if store.kind == "sqlite" and store.sqlite_path not in (None, ":memory:"):
        assert store.sqlite_path is not None
        return FileLeases(database, holder, store.sqlite_path)
    return LocalLeases(database, holder)


@contextmanager
def hold(leases: _NotedLeases, name: str, wait: float) -> Iterator[None]:
    """Hold a lease for the block, waiting up to `wait` seconds for it: against other
    processes (the lease) and other threads of this one (a lock of the holder's)."""
    deadline = time.monotonic() + wait
    local = leases.local_lock(name)
    if not local.acquire(timeout=wait):
        raise _busy(name, leases.holder, wait)
    try:
        while not leases.acquire(name):
            if time.monotonic() >= deadline:
                raise _busy(name, leases.holder_of(name), wait)
            time.sleep(0.2)
        try:
            yield
        finally:
            leases.release(name)
    finally:
        local.release()


def _busy(name: str, holder: str | None, wait: float) -> BusyError:
    return BusyError(
        f"{name.split(':', 1)[-1].replace('_', ' ')} is running in another process "
        f"({holder or 'which has just finished'}); waited {wait:g} s: "
        "try again when it has finished"
    )


class PostgresWakeup:
    """LISTEN on the log's channel (eventsourcing NOTIFYs it in every insert transaction)."""

    def __init__(self, conninfo: str, channel: str) -> None:
        self._conninfo = conninfo
        self._channel = channel
        self._connection: Any = None
        self._listen()

    def _listen(self) -> None:
        import psycopg
        from psycopg import sql

        with suppress(psycopg.Error):
            self._connection = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
            self._connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))

    def wait(self, timeout: float) -> None:
        import psycopg

        if self._connection is None:
            self._listen()
            if self._connection is None:
                time.sleep(timeout)
                return
        try:
            for _ in self._connection.notifies(timeout=timeout, stop_after=1):
                pass
        except psycopg.Error:
            self.close()
            time.sleep(min(timeout, 1.0))

    def close(self) -> None:
        if self._connection is not None:
            with suppress(Exception):
                self._connection.close()
            self._connection = None


class EventCounter:
    """How many events of some topics the log holds between two positions: one count in SQL
    (the status's lag), not a read of every event."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database
        if database.dialect == "postgresql":
            self._table, self._position = "clientbook_events", "notification_id"
        else:
            self._table, self._position = "stored_events", "rowid"

    def __call__(self, after: int, upto: int, topics: tuple[str, ...]) -> int:
        where = f"{self._position} > ? AND {self._position} <= ?"
        if topics:
            where += f" AND topic IN ({', '.join('?' for _ in topics)})"
        ((count,),) = self._database.query(
            f"SELECT count(*) FROM {self._table} WHERE {where}", (after, upto, *topics)
        )
        return int(count)

    def by_topic(self) -> dict[str, int]:
        """How many events of each topic the log holds (what a rebuild's shares weigh)."""
        return {
            str(topic): int(count)
            for topic, count in self._database.query(
                f"SELECT topic, count(*) FROM {self._table} GROUP BY topic"
            )
        }


_INDEX = re.compile(r"\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s", re.IGNORECASE)
REBUILD_KEEP = 1_000_000
"""Documents a rebuild's shadow keeps in memory, at most, per table (a card account's is a few
hundred bytes): a shadow reads back none it has written, up to this many accounts, customers
or managers."""


class SqlShadows:
    """Rebuilds without downtime. PostgreSQL: the new view's tables in a schema of their own;
    SQLite: in a file of their own. The swap, in the view's own database and transaction,
    drops the old tables and moves the new ones in (PostgreSQL) or creates them afresh and
    copies the new rows in (SQLite): readers see the old view until it commits and the new one
    after, never an empty or half-built one."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._where: dict[int, tuple[SqlDatabase, str]] = {}
        self._written: dict[int, Future[None]] = {}  # shadows' held documents being written
        self._indexed: dict[int, Future[None]] = {}  # PostgreSQL shadows' indexes being built

    def open(self, view: object) -> object:
        assert isinstance(view, SqlTrackedView)
        database, place = self._made(view)
        made = False
        try:
            if isinstance(database, PostgresDatabase):  # by its own connection: not synced
                with database.transaction() as cursor:
                    _clear_place(cursor, view, place, self._store.postgres_schema)
                    cursor.execute(f'CREATE SCHEMA "{place}"')
                made = True
            shadow = type(view)(database)
        except BaseException:
            if made:  # not known to discard yet: its schema or its file goes here
                with suppress(Exception):
                    database.execute(f'DROP SCHEMA IF EXISTS "{place}" CASCADE')
            database.close()
            if not isinstance(database, PostgresDatabase):
                _remove_sqlite(place)
            raise
        if isinstance(shadow, BufferedView):  # built once, from zero: it forgets no document,
            shadow.keep_documents(REBUILD_KEEP)  # and writes each once, before its swap
            shadow.defer_writes()
        if view.personal_data:  # it seals its personal fields as the book's view does
            shadow.fields = view.fields  # type: ignore[attr-defined]
        self._where[id(shadow)] = (database, place)
        return shadow

    def _made(self, view: SqlTrackedView) -> tuple[SqlDatabase, str]:
        """A shadow's place and its database, without plain indexes (a PostgreSQL schema is
        made afresh by `open`; a SQLite file is removed here)."""
        database: SqlDatabase
        if self._store.kind == "postgresql":
            assert self._store.postgres_conninfo is not None
            place = shadow_schema(self._store.postgres_schema, view.name)
            database = PostgresDatabase(self._store.postgres_conninfo, place, scratch=True)
            database.indexed = False  # its indexes are built once its rows are in (`index`)
        else:
            place = f"{self._store.sqlite_path}.rebuild-{view.name}"
            _remove_sqlite(place)
            database = SqliteDatabase(place, scratch=True)  # a rebuild that dies begins afresh
            database.indexed = False  # the swap copies the rows into indexed tables
        return database, place

    def finish_ahead(self, shadows: Sequence[object]) -> None:
        """Write the documents the shadows hold back (`BufferedView.defer_writes`) in a thread
        of its own, one shadow after another, while this one swaps them in: a swap's copy,
        index builds and commit run inside SQLite, which lets go of the GIL meanwhile, and
        making the documents' rows is Python's work (at 258k events the audit trail's swap,
        0.6 s, and the documents' rows, 0.5 s, overlap so). A shadow that seals personal
        fields needs its subjects' keys, read from the book's database, which a swap holds:
        they are read here first, before any swap (at 775k events, 30,000 keys: the thread
        would otherwise wait for the audit trail's swap to read them), and those shadows go
        last. Each shadow is written by one thread at a time: the swap of one waits for its
        own documents, and a discard for the writing to end.

        On PostgreSQL a third thread builds each shadow's plain indexes (left out while its rows
        came in), once its documents are written, in the order of the writing: the server sorts
        meanwhile."""
        shadows = sorted(shadows, key=_written_late)
        writing = [s for s in shadows if isinstance(s, BufferedView)]
        for shadow in writing:
            if shadow.personal_data:
                shadow.prepare_deferred()
        if writing:
            writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clientbook-shadow")
            try:
                for shadow in writing:
                    self._written[id(shadow)] = writer.submit(shadow.write_deferred)
            finally:
                writer.shutdown(wait=False)
        if self._store.kind == "postgresql" and shadows:
            indexer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clientbook-index")
            try:
                for each in shadows:
                    written = self._written.get(id(each))
                    self._indexed[id(each)] = indexer.submit(self._index, each, written)
            finally:
                indexer.shutdown(wait=False)

    def _index(self, shadow: object, written: Future[None] | None) -> None:
        """A PostgreSQL shadow's plain indexes, once its held documents are in."""
        if written is not None:
            written.result()
        assert isinstance(shadow, SqlTrackedView)
        database, _ = self._where[id(shadow)]
        database.index(shadow.schema)

    def swap(self, view: object, shadow: object, application_name: str, finish: Any) -> int:
        assert isinstance(view, SqlTrackedView) and isinstance(shadow, SqlTrackedView)
        written = self._written.pop(id(shadow), None)
        if written is not None:
            written.result()  # its error, if it had one
        elif isinstance(shadow, BufferedView):
            shadow.write_deferred()
        main = view.database
        database, place = self._where[id(shadow)]
        if not isinstance(main, SqliteDatabase):
            indexed = self._indexed.pop(id(shadow), None)
            if indexed is not None:
                indexed.result()
            else:
                database.index(shadow.schema)
            schema = self._store.postgres_schema
            return _swapped(
                view, shadow, application_name, finish, partial(_moved_in, view, place, schema)
            )
        main.attach(place, "shadow")
        try:
            with main.large_cache():  # the indexes' sorts in memory
                return _swapped(view, shadow, application_name, finish, partial(_copied_in, view))
        finally:
            main.detach("shadow")

    def discard(self, shadow: object) -> None:
        for running in (self._indexed, self._written):  # the indexes wait for the writing
            started = running.pop(id(shadow), None)
            if started is not None and not started.cancel():
                wait([started])  # not closed under the thread that writes it
        database, place = self._where.pop(id(shadow))
        if not isinstance(database, PostgresDatabase):
            database.close()
            _remove_sqlite(place)
            return
        try:  # by its own connection, before it closes
            database.execute(f'DROP SCHEMA IF EXISTS "{place}" CASCADE')
        finally:
            database.close()


SHADOW_TAG = "__rebuild_"


def shadow_schema(schema: str, view: str) -> str:
    """A PostgreSQL rebuild shadow's schema: `<schema>__rebuild_<view>`, or, where that is
    longer than PostgreSQL's 63 characters, the schema's first 37 and a digest of both names.
    Cut short instead, the shadows of two views would share a schema, and a book's schema of
    63 characters would be its own shadow's, which the rebuild drops first."""
    name = f"{schema}{SHADOW_TAG}{view}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha256(f"{schema}\0{view}".encode()).hexdigest()[:16]
    return f"{schema[: 63 - len(SHADOW_TAG) - 16]}{SHADOW_TAG}{digest}"


def _clear_place(cursor: Any, view: SqlTrackedView, place: str, schema: str | None) -> None:
    """Drop what an earlier rebuild of the view left in its shadow's schema, by this version of
    the view or an older one (its tables may have been others); but never the book's own
    schema, nor one that holds tables and is not a shadow of this view (another book's,
    someone's own): the rebuild fails, naming it, and nothing is dropped."""
    cursor.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", (place,)
    )
    tables = {str(t) for (t,) in cursor.fetchall()}
    others = sorted(tables - {*view.tables, "projection_tracking"})
    if place == schema or (others and not _a_shadow_of(cursor, view, place, tables)):
        raise RebuildFailed(
            f"the rebuild of {view.name} builds its new tables in schema {place!r}, which "
            f"holds other tables ({', '.join(others[:5]) or 'the book itself'}): it is not a "
            "rebuild's, and nothing was dropped; rename that schema and rebuild again",
            projections=[view.name],
        )
    cursor.execute(f'DROP SCHEMA IF EXISTS "{place}" CASCADE')


def _a_shadow_of(cursor: Any, view: SqlTrackedView, place: str, tables: set[str]) -> bool:
    """Whether a schema is a shadow of the view: the one position its tracking table holds is
    the view's (a book's tracking table holds every view's)."""
    if "projection_tracking" not in tables:
        return False
    cursor.execute(f'SELECT DISTINCT projection FROM "{place}".projection_tracking')
    return [str(name) for (name,) in cursor.fetchall()] == [view.name]


def _written_late(shadow: object) -> bool:
    """The shadows that seal personal fields are written last (their keys read first)."""
    return isinstance(shadow, BufferedView) and bool(shadow.personal_data)


def _swapped(
    view: SqlTrackedView,
    shadow: SqlTrackedView,
    application_name: str,
    finish: Callable[[], int],
    put_in: Callable[[Any], None],
) -> int:
    """The shadow's tables in the view's place and its position as the view's, in one
    transaction of the view's database, with the events written since (`finish`)."""
    with view.database.transaction() as cursor:
        view._lock_tracking(cursor, application_name)
        position = shadow.max_tracking_id(application_name) or 0
        put_in(cursor)
        view.forget_kept()  # of the old tables, before `finish` writes to the new ones
        cursor.execute(
            "UPDATE projection_tracking SET notification_id = ? "
            "WHERE projection = ? AND application_name = ?",
            (position, view.name, application_name),
        )
        view.stale_schema = False
        return int(finish())  # events written since, into the new tables, before commit


def _moved_in(view: SqlTrackedView, place: str, schema: str, cursor: Any) -> None:
    """PostgreSQL: the old tables dropped, the new ones (and their indexes) moved in."""
    for table in view.tables:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    for table in view.tables:
        cursor.execute(f'ALTER TABLE "{place}".{table} SET SCHEMA "{schema}"')


def _copied_in(view: SqlTrackedView, cursor: Any) -> None:
    """SQLite cannot move a table between files: the old tables dropped (zeroed on disk if
    they hold personal data), the new ones made bare, their rows copied from the attached
    shadow, then indexed (cheaper than copying into indexed tables)."""
    if not view.personal_data:
        cursor.execute("PRAGMA secure_delete=OFF")  # nothing personal to zero
    try:
        for table in view.tables:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
    finally:
        cursor.execute("PRAGMA secure_delete=ON")
    indexes = [s for s in view.schema if _INDEX.match(s)]
    for statement in view.schema:
        if statement not in indexes:
            cursor.execute(statement)
    for table in view.tables:
        cursor.execute(f"INSERT INTO {table} SELECT * FROM shadow.{table}")
    for statement in indexes:
        cursor.execute(statement)


def _remove_sqlite(path: str) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with suppress(FileNotFoundError):
            os.remove(path + suffix)
