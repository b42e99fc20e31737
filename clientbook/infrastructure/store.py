"""Store URLs: where a book keeps its log, its views and its keys."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlparse

from attrs import frozen
from psycopg.conninfo import make_conninfo

from clientbook.infrastructure.sql import (
    CREATING,
    PostgresDatabase,
    SqlDatabase,
    SqliteDatabase,
)

DEFAULT_URL = "sqlite:///clientbook.db"


class StoreUrlError(ValueError):
    """A store URL that clientbook cannot open."""


@frozen
class Store:
    """The eventsourcing environment for the log, and the SQL database for views and keys."""

    url: str
    env: dict[str, str]
    kind: str
    sqlite_path: str | None = None
    postgres_conninfo: str | None = None
    postgres_schema: str = "public"

    def open_database(self) -> SqlDatabase:
        if self.kind == "postgresql":
            assert self.postgres_conninfo is not None
            return PostgresDatabase(self.postgres_conninfo, self.postgres_schema)
        return SqliteDatabase(self.sqlite_path or ":memory:")


def parse_store_url(url: str | None) -> Store:
    """`memory:`, `sqlite:///relative.db`, `sqlite:////absolute.db`, or
    `postgresql://user[:password]@host[:port]/database[?schema=name]`."""
    url = url or DEFAULT_URL
    if url in ("memory:", "memory://"):
        return Store(url, {"PERSISTENCE_MODULE": "eventsourcing.popo"}, "memory")
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if not path:
            raise StoreUrlError(f"{url!r} names no SQLite file; try sqlite:///clientbook.db")
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
        }
        return Store(url, env, "sqlite", sqlite_path=path)
    if url.startswith(("postgresql://", "postgres://")):
        return _postgres(url)
    raise StoreUrlError(
        f"cannot open {url!r}: use memory:, sqlite:///path.db or postgresql://user@host/db"
    )


def _postgres(url: str) -> Store:
    parts = urlparse(url)
    database = parts.path.lstrip("/")
    if not parts.hostname or not database:
        raise StoreUrlError(f"{url!r} needs a host and a database: postgresql://user@host:5432/db")
    schema = parse_qs(parts.query).get("schema", ["public"])[0]
    user = unquote(parts.username or "postgres")
    password = unquote(parts.password or "")
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": database,
        "POSTGRES_HOST": parts.hostname,
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": password,
        "POSTGRES_SCHEMA": schema,
    }
    conninfo = make_conninfo(
        host=parts.hostname,
        port=parts.port or 5432,
        dbname=database,
        user=user,
        **({"password": password} if password else {}),
    )
    _ensure_schema(conninfo, schema)
    return Store(url, env, "postgresql", postgres_conninfo=conninfo, postgres_schema=schema)


def _ensure_schema(conninfo: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(conninfo) as connection:  # one transaction, committed at the end
        connection.execute(f"SELECT pg_advisory_xact_lock({CREATING})")  # see creating()
        connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
