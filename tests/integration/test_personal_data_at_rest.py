"""Personal data at rest: with the database alone (no key-encryption key) nothing personal is
readable, on SQLite (the file and its WAL) and PostgreSQL (a dump and every column)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Iterator
from uuid import UUID

import psycopg
import pytest

from clientbook import ClientBook
from clientbook.demo import Demo
from clientbook.domain.actor import Actor
from clientbook.domain.customer import IdentityClaim
from clientbook.infrastructure.store import parse_store_url
from conftest import postgres_schema_url
from _small_demo import small_demo

CLERK = Actor("u-clerk", {"officer"})
DAY = date(2026, 7, 1)


def _secrets(book: ClientBook) -> set[bytes]:
    """Every personal value of the book's customers, and what an unkeyed scheme would have
    stored of a document: its plain digest and the claim id made from it."""
    found: set[bytes] = set()
    for entry in book.directory.search():
        record = book.customers.get(entry.customer_id)
        values = (record.name, record.phone, record.email, record.address, record.document_number)
        found |= {v.encode() for v in values if v}
        if record.document_number:
            found.add(hashlib.sha256(record.document_number.encode()).hexdigest().encode())
            legacy = IdentityClaim.id_for(record.document_number)
            found |= {str(legacy).encode(), legacy.bytes, legacy.hex.encode()}
    return found


def _extra_customer(book: ClientBook) -> UUID:
    """A customer with every personal field, changed once: the demo sets no e-mail or address."""
    cid = book.customers.register(
        number="C-900001",
        kind="individual",
        name="Ottilie Brandvold",
        manager="m-001",
        by=CLERK,
        on=DAY,
        phone="+86 139 5550 1234",
        email="ottilie.brandvold@example.cn",
        address="88 Jinrong Street, Xicheng District",
        document_number="11010519491231002X",
        consent="written",
    )
    book.customers.update_profile(
        cid, address="12 Fuxingmen Inner Street, Beijing", by=CLERK, on=DAY
    )
    return cid


def _found(secrets: set[bytes], data: bytes) -> list[bytes]:
    return sorted(s for s in secrets if s in data or s.hex().encode() in data)


def _sqlite_bytes(path: Path) -> bytes:
    return b"".join(
        p.read_bytes()
        for p in sorted(path.parent.glob(path.name + "*"))
        if p.is_file() and not p.name.endswith(".key")
    )


def test_the_demo_book_file_holds_no_name_phone_or_document_number(tmp_path: Path) -> None:
    source = Path(small_demo().removeprefix("sqlite:///"))
    with ClientBook.open(small_demo(), create=False) as book:
        secrets = _secrets(book)
    assert len(secrets) > 90  # 30 customers: names, phones, documents and their digests
    assert _found(secrets, _sqlite_bytes(source)) == []


def test_nothing_personal_is_in_the_file_or_its_wal_while_the_book_is_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bank.db"
    with ClientBook.open(f"sqlite:///{path}") as book:
        _extra_customer(book)
        complaint = book.complaints.receive(
            customer=book.customers.id_of("C-900001"),
            category="criticism",
            channel="counter",
            product="card",
            request="the queue was long",
            department="retail banking",
            by=CLERK,
            on=DAY,
        )
        assert book.complaint_cards.card(complaint).customer_name == "Ottilie Brandvold"
        secrets = _secrets(book) | {b"88 Jinrong Street"}
        assert (path.parent / "bank.db-wal").exists()
        data = _sqlite_bytes(path)
        assert b"C-900001" in data  # the scan reads the rows: the customer's number is there
        assert _found(secrets, data) == []


def _postgres_bytes(url: str) -> bytes:
    """A dump of the schema, and every text and bytea value of every table in it."""
    store = parse_store_url(url)
    conninfo = store.postgres_conninfo or ""
    parts = []
    with psycopg.connect(conninfo) as connection:
        columns = connection.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE "
            "table_schema = %s AND data_type IN ('text', 'bytea', 'character varying', 'jsonb')",
            (store.postgres_schema,),
        ).fetchall()
        assert len(columns) > 40
        for table, column in columns:
            rows = connection.execute(
                f'SELECT "{column}" FROM "{store.postgres_schema}"."{table}"'
            ).fetchall()
            parts += [v if isinstance(v, bytes) else str(v).encode() for (v,) in rows if v]
    pg_dump = shutil.which("pg_dump")
    if pg_dump:
        dump = subprocess.run(
            [pg_dump, "-d", conninfo, "-n", f'"{store.postgres_schema}"'],
            capture_output=True,
            check=True,
            timeout=60,
        )
        assert b"customer_directory" in dump.stdout
        parts.append(dump.stdout)
    return b"\n".join(parts)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_schema_url()


def test_a_postgresql_book_holds_no_name_phone_or_document_number(postgres_url: str) -> None:
    with ClientBook.open(postgres_url) as book:
        Demo(book, seed=5, managers=2, start=DAY).run(customers=8, days=12)
        _extra_customer(book)
        secrets = _secrets(book)
        assert len(secrets) > 40
        data = _postgres_bytes(postgres_url)
    assert b"C-900001" in data  # the scan reads the rows: the customer's number is there
    assert _found(secrets, data) == []
