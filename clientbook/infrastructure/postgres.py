"""PostgreSQL connections that survive the database: a restart is recovered without reopening the
book, and while the server is away every call to it fails within a timeout, with
`StoreUnavailable`, instead of blocking.

Why the library alone blocks: its recorder methods retry connection errors ten times, its pool
waits `POSTGRES_CONNECT_TIMEOUT` (30 s) per attempt, and psycopg_pool reconnects in the
background with a delay that doubles up to minutes (a 40 s outage blocked a command 63.8 s).
Here:

- `CallBudget`: one call to the store (a load, a save, a query, the library's retries included)
  has `timeout` seconds in all: a deadline per thread, set by the outermost call;
- `CheckedPool`: pings each connection it hands out and drops a dead one with its idle siblings
  (a restart killed them all); waits within the budget, asking the pool to connect again every
  half second, and gives up a reconnection after 2 s, so none waits out a long backoff;
- `BookDatastore`: eventsourcing's datastore on that pool; once a call has used its budget it
  raises `StoreUnavailable`, which the library's `@retry` does not catch;
- `Factory`: eventsourcing's PostgreSQL factory with that datastore and bounded recorders; it
  creates the tables once, under an advisory lock, and not at all when they exist.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, Generic, Iterable, Iterator, Sequence, TypeVar, cast

import psycopg
import psycopg_pool
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InterfaceError,
    Notification,
    OperationalError,
    ProcessRecorder,
    StoredEvent,
)
from eventsourcing import postgres as es_postgres  # not its Factory's name: one factory here
from eventsourcing.postgres import (
    ConnectionPool,
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresRecorder,
    PostgresTrackingRecorder,
)
from eventsourcing.utils import Environment, EnvType, strtobool
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier
from psycopg.types.composite import CompositeInfo, register_composite
from psycopg_pool.abc import CT

from clientbook.domain.errors import StoreUnavailable

if TYPE_CHECKING:
    from uuid import UUID

DEFAULT_TIMEOUT = 10.0
TIMEOUT = "CLIENTBOOK_STORE_TIMEOUT"
"""The environment variable (and eventsourcing setting) giving the timeout, in seconds."""

_WAIT_SLICE = 0.5  # a waiting caller asks the pool to connect again this often
_RECONNECT = 2.0  # the pool tries one reconnection this long, then on demand afresh
_PAUSE = 0.2  # between our own connection attempts
_LOCK_CLASS = 7238810  # advisory locks (class, hashtext(schema)): creating a schema's tables
_SHUTDOWN = ("57P01", "57P02", "57P03")  # admin or crash shutdown, cannot connect now
_TRANSIENT = ("the database system is", "too many clients")
R = TypeVar("R")
TR = TypeVar("TR", bound=PostgresTrackingRecorder)


def is_connection_failure(error: BaseException) -> bool:
    """Whether a psycopg error means the server was not reached or went away, rather than that
    it refused a statement (a conflict, a deadlock) or a login for good (no such role)."""
    if isinstance(error, psycopg_pool.PoolClosed):
        return False  # the book was closed: a mistake, not an outage
    if isinstance(error, (psycopg_pool.PoolTimeout, psycopg.InterfaceError)):
        return True
    if not isinstance(error, psycopg.OperationalError):
        return False
    if error.sqlstate is None:
        text = str(error)
        return "FATAL:" not in text or any(word in text for word in _TRANSIENT)
    return error.sqlstate.startswith("08") or error.sqlstate in _SHUTDOWN


def describe(params: dict[str, Any], schema: str) -> str:
    """The store as messages name it: host, port, database, schema; never the password."""
    host, port = params.get("host") or "localhost", params.get("port") or 5432
    return f"PostgreSQL at {host}:{port}, database {params.get('dbname')}, schema {schema}"


def unavailable(
    where: str, timeout: float, error: BaseException | str, secret: str = ""
) -> StoreUnavailable:
    """The error for a store that did not answer: one line, naming the store and the cause."""
    reason = " ".join(str(error).split())
    if secret:
        reason = reason.replace(secret, "***")
    return StoreUnavailable(
        f"{where} is unavailable (timeout {timeout:g} s): {reason}; try again later"
    )


def unavailable_at(
    conninfo: str, schema: str, timeout: float, error: BaseException
) -> StoreUnavailable:
    """`unavailable()` for a connection made from `conninfo` (its password kept out)."""
    params = conninfo_to_dict(conninfo)
    return unavailable(describe(params, schema), timeout, error, str(params.get("password") or ""))


@contextmanager
def failures_mapped(where: str, timeout: float, secret: str = "") -> Iterator[None]:
    """Inside, a psycopg error that means the server is unreachable becomes StoreUnavailable."""
    try:
        yield
    except psycopg.Error as error:
        if is_connection_failure(error):
            raise unavailable(where, timeout, error, secret) from error
        raise


def creation_lock(
    target: Any,
    statement: str,
    params: Sequence[Any],
    where: str,
    timeout: float,
    secret: str,
    *,
    local: bool,
) -> None:
    """Take a creation lock with `statement` on a cursor or connection, waiting at most
    `timeout` (the lock_timeout of the rest of the transaction if `local`, else of the
    session), else StoreUnavailable."""
    with failures_mapped(where, timeout, secret):
        scope = "LOCAL " if local else ""
        target.execute(f"SET {scope}lock_timeout = '{math.ceil(timeout * 1000)}ms'")
        try:
            target.execute(statement, params)
        except psycopg.errors.LockNotAvailable as error:
            busy = f"another session held the lock on creating tables: {error}"
            raise unavailable(where, timeout, busy, secret) from error


def application_name(schema: str) -> str:
    """How the book's sessions show in pg_stat_activity."""
    return f"clientbook {schema}"[:63]


def connect_timeout(timeout: float) -> int:
    """libpq's `connect_timeout`, whole seconds, at least 2 (libpq's minimum)."""
    return max(2, math.ceil(timeout))


def connect(
    where: str, timeout: float, secret: str = "", conninfo: str = "", **params: Any
) -> psycopg.Connection[Any]:
    """An autocommit connection of our own, outside any pool; tried again until `timeout`
    (the server may be starting up), then StoreUnavailable."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return psycopg.connect(
                conninfo,
                autocommit=True,
                connect_timeout=connect_timeout(deadline - time.monotonic()),
                **params,
            )
        except psycopg.OperationalError as error:
            if not is_connection_failure(error):
                raise
            if time.monotonic() + _PAUSE >= deadline:
                raise unavailable(where, timeout, error, secret) from error
        time.sleep(_PAUSE)


def schema_exists(conninfo: str, schema: str, timeout: float) -> bool:
    """Whether the schema is there (a book's tables live in it)."""
    params = conninfo_to_dict(conninfo)
    where, secret = describe(params, schema), str(params.get("password") or "")
    with (
        connect(where, timeout, secret, conninfo) as connection,
        failures_mapped(where, timeout, secret),
    ):
        found = "SELECT 1 FROM pg_namespace WHERE nspname = %s"
        return connection.execute(found, (schema,)).fetchone() is not None


def ensure_schema(conninfo: str, schema: str, timeout: float) -> bool:
    """Create the schema unless it exists, under the schema's creation lock (two sessions that
    `CREATE SCHEMA IF NOT EXISTS` at once can collide on the catalogue's unique index); says
    whether this call created it."""
    params = conninfo_to_dict(conninfo)
    where, secret = describe(params, schema), str(params.get("password") or "")
    with (
        connect(where, timeout, secret, conninfo) as connection,
        failures_mapped(where, timeout, secret),
    ):
        found = "SELECT 1 FROM pg_namespace WHERE nspname = %s"
        if connection.execute(found, (schema,)).fetchone() is not None:
            return False
        with connection.transaction():
            lock = "SELECT pg_advisory_xact_lock(%s, hashtext(%s))"
            creation_lock(
                connection, lock, (_LOCK_CLASS, schema), where, timeout, secret, local=True
            )
            if connection.execute(found, (schema,)).fetchone() is not None:
                return False  # another session created it while this one waited
            connection.execute(SQL("CREATE SCHEMA {}").format(Identifier(schema)))
        return True


def drop_schema(conninfo: str, schema: str, timeout: float) -> None:
    """Drop a schema and all in it: what a failed open that created it leaves behind."""
    params = conninfo_to_dict(conninfo)
    where, secret = describe(params, schema), str(params.get("password") or "")
    with (
        connect(where, timeout, secret, conninfo) as connection,
        failures_mapped(where, timeout, secret),
    ):
        connection.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(schema)))


class CallBudget(threading.local):
    """How long the current call to the store may still wait, per thread: each call, retries
    included, has `timeout` seconds in all."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._deadline: float | None = None

    @contextmanager
    def call(self) -> Iterator[None]:
        """The scope of one call; a call made inside another shares its deadline."""
        if self._deadline is not None:
            yield
            return
        self._deadline = time.monotonic() + self.timeout
        try:
            yield
        finally:
            self._deadline = None

    def remaining(self) -> float:
        if self._deadline is None:
            return self.timeout
        return self._deadline - time.monotonic()


PING_IDLE = 1.0
"""Seconds a pooled connection may have been idle and still be handed out without a ping."""


class CheckedPool(ConnectionPool[CT], Generic[CT]):
    """A psycopg pool that pings each connection it hands out after it sat idle (`PING_IDLE`):
    one broken by a server restart is dropped, with its idle siblings, and the caller waits
    (within its budget) for a new one. A connection given back moments ago is handed out
    without one: a command's calls follow each other closely, and a ping per call was a round
    trip per call; a restart within that second fails the call once, as any call it
    interrupts would (the recorders retry it on a new connection)."""

    def __init__(self, *args: Any, budget: CallBudget, ping: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("reconnect_timeout", min(budget.timeout, _RECONNECT))
        self.budget = budget
        self.ping = ping
        self.last_error: BaseException | None = None
        self._given_back: dict[int, float] = {}
        super().__init__(*args, **kwargs)

    def putconn(self, conn: CT) -> None:
        self._given_back[id(conn)] = time.monotonic()
        super().putconn(conn)

    def _fresh(self, connection: CT) -> bool:
        given_back = self._given_back.pop(id(connection), None)
        return (
            given_back is not None
            and time.monotonic() - given_back < PING_IDLE
            and not connection.closed
            and not connection.broken
        )

    def getconn(self, timeout: float | None = None) -> CT:
        wait = min(self.timeout if timeout is None else timeout, self.budget.remaining())
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            try:
                # In slices: each request lets the pool start connecting again.
                connection = super().getconn(min(left, _WAIT_SLICE))
            except psycopg_pool.PoolTimeout:
                continue
            if not self.ping or self._fresh(connection) or self._alive(connection):
                return connection
        if self.last_error is not None:
            raise psycopg_pool.PoolTimeout(f"no connection in {wait:.1f} s: {self.last_error}")
        raise psycopg_pool.PoolTimeout(f"all {self.max_size} connections busy for {wait:.1f} s")

    def _alive(self, connection: CT) -> bool:
        try:
            self.check_connection(connection)
        except psycopg.Error as error:
            self.last_error = error
            self.putconn(connection)  # the pool sees it is broken and replaces it
            self.drain()  # a restart broke the idle ones too: replace them now, not one by one
            return False
        return True

    def _connect(self, timeout: float | None = None) -> CT:
        try:
            connection = super()._connect(timeout)
        except psycopg.Error as error:
            self.last_error = error
            raise
        self.last_error = None
        return connection


class BookDatastore(PostgresDatastore):
    """eventsourcing's datastore on a CheckedPool. A connection failure that leaves no time in
    the call's budget raises StoreUnavailable, which the library's `@retry` lets through."""

    def __init__(self, *args: Any, timeout: float = DEFAULT_TIMEOUT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.budget = CallBudget(timeout)
        library_pool = self.pool  # never opened: no connection, no thread
        params = dict(cast(dict[str, Any], library_pool.kwargs))
        params["connect_timeout"] = connect_timeout(timeout)
        params.setdefault("application_name", application_name(self.schema))
        self.where = describe(params, self.schema)
        self.secret = str(params.get("password") or "")
        self.pool = CheckedPool(
            get_password_func=library_pool.get_password_func,
            connection_class=library_pool.connection_class,
            kwargs=params,
            min_size=library_pool.min_size,
            max_size=library_pool.max_size,
            open=False,
            configure=self.after_connect_func(),
            timeout=timeout,
            max_waiting=library_pool.max_waiting,
            max_lifetime=library_pool.max_lifetime,
            budget=self.budget,
            ping=self.pre_ping,
        )

    def register_type_adapters(self) -> None:
        """The library's, with the composite type's name quoted: it looks the type up by the
        text `schema.name`, which PostgreSQL folds to lower case, so a mixed-case schema found
        no type."""
        with self.get_connection() as connection:
            for name in sorted(self.db_type_names - set(self.psycopg_type_adapters)):
                info = CompositeInfo.fetch(connection, Identifier(self.schema, name))
                if info is None:
                    continue
                register_composite(info, connection)
                self.psycopg_type_adapters[name] = info
                self.psycopg_python_types[name] = info.python_type

    @classmethod
    def like(cls, base: PostgresDatastore, *, timeout: float) -> BookDatastore:
        """A BookDatastore with the settings the library's factory gave `base`."""
        pool = base.pool
        params = cast(dict[str, Any], pool.kwargs)
        return cls(
            params["dbname"],
            params["host"],
            params["port"],
            params["user"],
            params["password"],
            connect_timeout=pool.timeout,
            idle_in_transaction_session_timeout=base.idle_in_transaction_session_timeout,
            pool_size=pool.min_size,
            max_overflow=pool.max_size - pool.min_size,
            max_waiting=pool.max_waiting,
            conn_max_age=pool.max_lifetime,
            pre_ping=base.pre_ping,
            lock_timeout=base.lock_timeout,
            schema=base.schema,
            pool_open_timeout=base.pool_open_timeout,
            get_password_func=pool.get_password_func,
            single_row_tracking=base.single_row_tracking,
            originator_id_type=cast(Any, base.originator_id_type),
            enable_db_functions=base.enable_db_functions,
            timeout=timeout,
        )

    @contextmanager
    def get_connection(self) -> Iterator[psycopg.Connection[DictRow]]:
        with self.budget.call():
            try:
                with super().get_connection() as connection:
                    yield connection
            except (InterfaceError, OperationalError) as error:
                cause = error.__cause__
                if (
                    cause is not None
                    and is_connection_failure(cause)
                    and (isinstance(cause, psycopg_pool.PoolTimeout) or self.spent())
                ):
                    raise self.unavailable(cause) from error
                raise

    @contextmanager
    def bounded(self) -> Iterator[None]:
        """One call to the store, retries included: done within the timeout, or raises
        StoreUnavailable (also when the retries run out on connection failures)."""
        with self.budget.call():
            try:
                yield
            except (InterfaceError, OperationalError) as error:
                cause = error.__cause__
                if cause is not None and is_connection_failure(cause):
                    raise self.unavailable(cause) from error
                raise

    def spent(self) -> bool:
        return self.budget.remaining() <= 0

    def unavailable(self, error: BaseException) -> StoreUnavailable:
        return unavailable(self.where, self.budget.timeout, error, self.secret)

    def own_connection(self) -> psycopg.Connection[Any]:
        """A connection outside the pool (for a session lock), with the pool's settings."""
        params = dict(cast(dict[str, Any], self.pool.kwargs))
        params.pop("row_factory", None)
        params.pop("connect_timeout", None)
        if self.pool.get_password_func is not None:
            params["password"] = self.pool.get_password_func()
        return connect(self.where, self.budget.timeout, self.secret, **params)


def copy_rows(cursor: Any, statement: Any, rows: Iterable[Sequence[Any]]) -> None:
    """`COPY … FROM STDIN` of these rows on a psycopg cursor, each value as psycopg writes it
    as text (in C, where the library's arrays of composite values are written in Python)."""
    with cursor.copy(statement) as copy:
        write = copy.write_row
        for row in rows:
            write(row)


def _bounded(recorder: PostgresRecorder) -> AbstractContextManager[None]:
    datastore = recorder.datastore
    return datastore.bounded() if isinstance(datastore, BookDatastore) else nullcontext()


class BoundedAggregateRecorder(PostgresAggregateRecorder):
    """The library's aggregate recorder (the snapshots); each call bounded by the timeout. Its
    rows go in by `COPY`, one statement as the library's insert is: the library sends them as
    one array of composite values, which psycopg writes out in Python, value by value (the
    saves of a 500-row UCI import on PostgreSQL: 0.79-0.93 s that way, 0.77-0.85 s by COPY)."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with _bounded(self):
            return super().insert_events(stored_events, **kwargs)

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        statement = SQL(
            "COPY {0}.{1} (originator_id, originator_version, topic, state) FROM STDIN"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        rows = ((e.originator_id, e.originator_version, e.topic, e.state) for e in stored_events)
        copy_rows(curs, statement, rows)

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        with _bounded(self):
            return super().select_events(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)


def log_channel(schema: str, events_table: str) -> str:
    """The channel a log's appends NOTIFY: one per schema (LISTEN is database-wide, and the
    library names it by the table alone, so every book on a server woke every worker), within
    PostgreSQL's 63 bytes whatever the schema's name."""
    return f"{events_table}_{hashlib.sha256(schema.encode()).hexdigest()[:16]}"


class BoundedApplicationRecorder(BoundedAggregateRecorder, PostgresApplicationRecorder):
    """The library's application recorder (the log); each call bounded by the timeout. Its
    appends NOTIFY the log's own channel (`log_channel`)."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.channel_name = log_channel(datastore.schema, self.events_table_name)

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """The library's own: the log's lock and notification, then its insert (not the
        snapshots' `COPY`, which the log's insert must not take)."""
        PostgresApplicationRecorder._insert_stored_events(self, curs, stored_events, **kwargs)

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        with _bounded(self):
            return super().select_notifications(
                start, limit, stop, topics, inclusive_of_start=inclusive_of_start
            )

    def max_notification_id(self) -> int | None:
        with _bounded(self):
            return super().max_notification_id()


class Factory(es_postgres.PostgresFactory):
    """eventsourcing's PostgreSQL factory, on a BookDatastore, with bounded recorders. The
    recorders are constructed with creation off; the factory then creates their tables once,
    under an advisory lock on a connection of its own, and not at all when they exist (the
    library's DDL, run by books opening at once, fails with "tuple concurrently updated")."""

    aggregate_recorder_class = BoundedAggregateRecorder
    application_recorder_class = BoundedApplicationRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        library_datastore = self.datastore
        self.datastore = BookDatastore.like(library_datastore, timeout=self._timeout())
        library_datastore.close()

    def _timeout(self) -> float:
        text = self.env.get(TIMEOUT) or str(DEFAULT_TIMEOUT)
        try:
            timeout = float(text)
        except ValueError:
            timeout = math.nan
        if not 0 < timeout < math.inf:
            msg = f"{TIMEOUT} must be a number of seconds above 0, not {text!r}"
            raise OSError(msg)
        return timeout

    def env_create_table(self) -> bool:
        return False  # the library's constructors create nothing; `_created` does, once

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        return self._created(super().aggregate_recorder(purpose))

    def application_recorder(self) -> ApplicationRecorder:
        return self._created(super().application_recorder())

    def tracking_recorder(self, tracking_recorder_class: type[TR] | None = None) -> TR:
        return self._created(super().tracking_recorder(tracking_recorder_class))

    def process_recorder(self) -> ProcessRecorder:
        return self._created(super().process_recorder())

    def _created(self, recorder: R) -> R:
        if strtobool(self.env.get(self.CREATE_TABLE) or "yes"):
            self.create_tables(cast(PostgresRecorder, recorder))
        return recorder

    def create_tables(self, recorder: PostgresRecorder) -> None:
        """Create the recorder's tables unless they exist, under the schema's creation lock."""
        datastore = cast(BookDatastore, self.datastore)
        if self._missing(recorder):
            with datastore.own_connection() as connection, datastore.bounded():
                creation_lock(
                    connection,
                    "SELECT pg_advisory_lock(%s, hashtext(%s))",
                    (_LOCK_CLASS, datastore.schema),
                    datastore.where,
                    datastore.budget.timeout,
                    datastore.secret,
                    local=False,
                )
                if self._missing(recorder):
                    recorder.create_table()
        # Another book may have created the composite type after this recorder looked for it.
        datastore.register_type_adapters()

    def _missing(self, recorder: PostgresRecorder) -> bool:
        if isinstance(recorder, PostgresTrackingRecorder):
            return True  # its create_table() also migrates old tracking tables: always run it
        tables = [cast(PostgresAggregateRecorder, recorder).events_table_name]
        if chain := getattr(recorder, "chain_table_name", None):
            tables.append(chain)  # a log older than its chain gets the chain's table…
        # …and one older than its append function, the function
        functions = list(getattr(recorder, "function_names", ()))
        datastore = cast(BookDatastore, self.datastore)
        with datastore.bounded(), datastore.get_connection() as connection:
            row = connection.execute(
                "SELECT (SELECT count(*) FROM pg_tables "
                "WHERE schemaname = %s AND tablename = ANY(%s)) + (SELECT count(*) FROM pg_proc "
                "JOIN pg_namespace ON pg_namespace.oid = pronamespace "
                "WHERE nspname = %s AND proname = ANY(%s)) AS present",
                (datastore.schema, tables, datastore.schema, functions),
            ).fetchone()
        return row is None or row["present"] < len(tables) + len(functions)
