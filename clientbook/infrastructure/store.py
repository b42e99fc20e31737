"""Store URLs: where a book keeps its log, its views and its keys."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import psycopg
from attrs import frozen
from psycopg.conninfo import make_conninfo

from clientbook.infrastructure.postgres import (
    DEFAULT_TIMEOUT,
    TIMEOUT,
    drop_schema,
    ensure_schema,
    schema_exists,
)
from clientbook.infrastructure.sql import PostgresDatabase, SqlDatabase, SqliteDatabase

DEFAULT_URL = "sqlite:///clientbook.db"
CHAINED_SQLITE = "clientbook.infrastructure.chain:ChainedSQLiteApplicationRecorder"
CHAINED_POSTGRES = "clientbook.infrastructure.chain:ChainedPostgresApplicationRecorder"
"""The recorders that write the log's hash chain with its events (infrastructure/chain.py)."""
_SCHEMA = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
"""A schema name: a PostgreSQL identifier of letters, digits and underscores (mixed case kept:
it is quoted wherever it is used), at most 63 characters, not starting with a digit."""


class StoreUrlError(ValueError):
    """A store URL that clientbook cannot open."""


class StoreNotFoundError(StoreUrlError, LookupError):
    """A store that does not exist, opened by something that only reads: a mistyped path would
    otherwise become a new, empty book."""


_SQLITE_HEADER = b"SQLite format 3\x00"


@frozen
class Store:
    """The eventsourcing environment for the log, and the SQL database for views and keys."""

    url: str
    env: dict[str, str]
    kind: str
    sqlite_path: str | None = None
    postgres_conninfo: str | None = None
    postgres_schema: str = "public"
    timeout: float = DEFAULT_TIMEOUT
    """PostgreSQL: how long a call may wait for the server before StoreUnavailable."""
    created_schema: bool = False
    """PostgreSQL: this parse created the schema, so a failed open drops it again."""

    def abandon(self) -> None:
        """Undo what parsing the URL made (a new schema), after an open that failed."""
        if self.created_schema and self.postgres_conninfo is not None:
            drop_schema(self.postgres_conninfo, self.postgres_schema, self.timeout)

    def open_database(self) -> SqlDatabase:
        if self.kind == "postgresql":
            assert self.postgres_conninfo is not None
            return PostgresDatabase(
                self.postgres_conninfo, self.postgres_schema, timeout=self.timeout
            )
        return SqliteDatabase(self.sqlite_path or ":memory:")


def parse_store_url(url: str | None, *, create: bool = True) -> Store:
    """`memory:`, `sqlite:///relative.db`, `sqlite:////absolute.db`, or
    `postgresql://user[:password]@host[:port]/database[?schema=name][&timeout=seconds]`.

    On PostgreSQL every call to the store (a load, a save, a query) fails with StoreUnavailable
    once it has waited `timeout` seconds for the server: the URL's `timeout`, else the
    environment variable CLIENTBOOK_STORE_TIMEOUT, else 10.

    With `create=False` a store that does not exist yet (no SQLite file, no PostgreSQL schema)
    raises StoreNotFoundError instead of being created."""
    url = url or DEFAULT_URL
    if url in ("memory:", "memory://"):
        return Store(url, {"PERSISTENCE_MODULE": "eventsourcing.popo"}, "memory")
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if not path:
            raise StoreUrlError(f"{url!r} names no SQLite file; try sqlite:///clientbook.db")
        _check_sqlite_file(url, Path(path), create)
        path = os.path.abspath(path)  # the same file after a chdir, and for a child process
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": CHAINED_SQLITE,
        }
        return Store(url, env, "sqlite", sqlite_path=path)
    if url.startswith(("postgresql://", "postgres://")):
        return _postgres(url, create)
    raise StoreUrlError(
        f"cannot open {url!r}: use memory:, sqlite:///path.db or postgresql://user@host/db"
    )


def _check_sqlite_file(url: str, path: Path, create: bool) -> None:
    """Refuse, before anything is opened or created, a path SQLite cannot use as a book."""
    if path.is_dir():
        raise StoreUrlError(f"{url!r} names a folder, not a SQLite file")
    if not path.exists():
        if not create:
            raise StoreNotFoundError(
                f"there is no book at {path}: check the path, or create one first "
                "(clientbook demo, clientbook import)"
            )
        if not path.parent.is_dir():
            raise StoreUrlError(f"cannot create {url!r}: the folder {path.parent} does not exist")
        return
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except OSError as error:
        raise StoreUrlError(f"cannot read {path}: {error.strerror}") from None
    if header and header != _SQLITE_HEADER:
        raise StoreUrlError(f"{path} is not a SQLite database (is it the right file?)")


def _postgres(url: str, create: bool) -> Store:
    parts = urlparse(url)
    database = parts.path.lstrip("/")
    if not parts.hostname or not database:
        raise StoreUrlError(f"{url!r} needs a host and a database: postgresql://user@host:5432/db")
    query = parse_qs(parts.query, keep_blank_values=True)
    schema = _schema(query.get("schema", ["public"]))
    timeout = _timeout(query.get("timeout", [os.environ.get(TIMEOUT, "")])[0])
    user = unquote(parts.username or "postgres")
    password = unquote(parts.password or "")
    env = {
        "PERSISTENCE_MODULE": "clientbook.infrastructure.postgres",
        TIMEOUT: str(timeout),
        "POSTGRES_PRE_PING": "y",
        "POSTGRES_DBNAME": database,
        "POSTGRES_HOST": parts.hostname,
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": password,
        "POSTGRES_SCHEMA": schema,
        "APPLICATION_RECORDER_TOPIC": CHAINED_POSTGRES,
    }
    conninfo = make_conninfo(
        host=parts.hostname,
        port=parts.port or 5432,
        dbname=database,
        user=user,
        **({"password": password} if password else {}),
    )
    try:
        if not create and not schema_exists(conninfo, schema, timeout):
            raise StoreNotFoundError(
                f"there is no book in schema {schema!r} of database {database!r} on "
                f"{parts.hostname}: check the URL, or create one first"
            )
        created = ensure_schema(conninfo, schema, timeout)
    except psycopg.OperationalError as error:  # the server answered: no such database, role…
        reason = str(error).strip().splitlines()[0].split("FATAL:")[-1].strip()
        raise StoreUrlError(
            f"cannot open database {database!r} on {parts.hostname}: {reason}"
        ) from None
    return Store(
        url,
        env,
        "postgresql",
        postgres_conninfo=conninfo,
        postgres_schema=schema,
        timeout=timeout,
        created_schema=created,
    )


def _schema(given: list[str]) -> str:
    """The one schema a URL names, if it is an identifier (see _SCHEMA); else StoreUrlError."""
    if len(given) != 1:
        raise StoreUrlError(f"a store URL names one schema, not {len(given)}")
    schema = given[0]
    if not _SCHEMA.fullmatch(schema) or schema.lower().startswith("pg_"):
        raise StoreUrlError(
            f"schema {schema!r} is not a schema name: use 1 to 63 letters, digits and "
            "underscores, not starting with a digit or pg_ (for example ?schema=branch_12)"
        )
    return schema


def _timeout(text: str) -> float:
    try:
        timeout = float(text or DEFAULT_TIMEOUT)
    except ValueError:
        timeout = math.nan
    if not 0 < timeout < math.inf:
        raise StoreUrlError(
            f"the store's timeout (?timeout= in its URL, or {TIMEOUT}) is a number of seconds "
            f"above 0, not {text!r}"
        )
    return timeout
