"""A PostgreSQL store URL's schema is an identifier: checked, then quoted everywhere; mixed
case works; a bad one is refused before anything is made; a failed open leaves nothing."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Iterator

import psycopg
import pytest

from clientbook import Actor, ClientBook
from clientbook.infrastructure.store import StoreUrlError, parse_store_url

from conftest import POSTGRES_URL, postgres_schema_url

CLERK = Actor("u-clerk", {"officer"})


@pytest.fixture
def server() -> Iterator[psycopg.Connection]:
    next(iter(postgres_schema_url()))  # skips (or fails under CI) without a server
    conninfo = parse_store_url(POSTGRES_URL + "?schema=public").postgres_conninfo
    with psycopg.connect(conninfo, autocommit=True) as connection:
        yield connection


def _schemas(connection: psycopg.Connection, like: str) -> list[str]:
    rows = connection.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (like,))
    return [r[0] for r in rows]


@pytest.mark.parametrize(
    "schema",
    [
        "a -c default_transaction_read_only=on",
        'a"b',
        "a b",
        "x;DROP SCHEMA public",
        "1abc",
        "pg_mine",
        "",
        "a" * 64,
        "a.b",
        "ü",
    ],
)
def test_a_schema_that_is_not_an_identifier_is_refused_before_anything_is_made(
    server: psycopg.Connection, schema: str
) -> None:
    # The names a careless open could have made of it (the server is shared: other tests make
    # and drop schemas of their own meanwhile, so the check names these, not every schema).
    made = {schema, schema.lower(), schema[:63], schema.lower()[:63]} - {""}
    assert not [name for name in _schemas(server, "%") if name in made]
    with pytest.raises(StoreUrlError, match="is not a schema name"):
        ClientBook.open(f"{POSTGRES_URL}?schema={schema}")
    assert not [name for name in _schemas(server, "%") if name in made]


def test_a_url_naming_two_schemas_is_refused(server: psycopg.Connection) -> None:
    with pytest.raises(StoreUrlError, match="names one schema"):
        parse_store_url(f"{POSTGRES_URL}?schema=a&schema=b")


def test_a_mixed_case_schema_is_used_as_written(server: psycopg.Connection) -> None:
    schema = f"Branch_{uuid.uuid4().hex[:8]}"
    url = f"{POSTGRES_URL}?schema={schema}"
    try:
        with ClientBook.open(url) as book:
            cid = book.customers.register(
                number="C-000001",
                kind="individual",
                name="Li Lei",
                manager="m-001",
                by=CLERK,
                on=date(2026, 1, 5),
            )
        with ClientBook.open(url) as book:
            assert book.head == 1
            assert book.directory.customer(cid).number == "C-000001"
        assert _schemas(server, schema) == [schema]
        assert _schemas(server, schema.lower()) == []
    finally:
        server.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_a_failed_open_drops_the_schema_it_created(
    server: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    import clientbook.book

    def broken(*args: object) -> None:
        raise RuntimeError("the key store would not open")

    monkeypatch.setattr(clientbook.book, "KeyStore", broken)
    schema = f"failed_{uuid.uuid4().hex[:8]}"
    with pytest.raises(RuntimeError, match="key store"):
        ClientBook.open(f"{POSTGRES_URL}?schema={schema}")
    assert _schemas(server, schema) == []
