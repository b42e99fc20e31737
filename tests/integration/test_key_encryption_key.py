"""The key-encryption key: where it comes from, a book without it, a wrong one, an old book's
clear keys wrapped on opening, and the blind index and identity claims it keys."""

from __future__ import annotations

import base64
import os
import shutil
import sqlite3
import stat
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator
from uuid import UUID

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clientbook import ClientBook
from clientbook.cli import main
from clientbook.domain.actor import Actor
from clientbook.domain.customer import ERASED, UNAVAILABLE, Customer, IdentityClaim
from clientbook.domain.errors import IdentityDocumentTakenError
from clientbook.infrastructure.kek import (
    KEY,
    KeyUnwrapError,
    PersonalDataKeyMissingError,
    WrongPersonalDataKeyError,
)
from conftest import postgres_schema_url
from _small_demo import LAST, START, small_demo

CLERK = Actor("u-clerk", {"officer"})
DAY = date(2026, 7, 1)
DOCUMENT = "11010519491231002X"


def _register(
    book: ClientBook, n: int = 1, document: str | None = DOCUMENT, phone: str = "+86 139 5550 1234"
) -> UUID:
    return book.customers.register(
        number=f"C-{n:06d}",
        kind="individual",
        name=f"Customer Nr{n}",
        manager="m-001",
        by=CLERK,
        on=DAY,
        phone=phone,
        document_number=document,
        consent="in_person",
    )


def _stored_keys(book: ClientBook) -> list[bytes]:
    return [bytes(k) for (k,) in book._database.query("SELECT key FROM personal_data_keys")]


# -- where the key comes from -------------------------------------------------------------


def test_a_new_sqlite_book_gets_a_key_file_beside_it_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    with ClientBook.open(f"sqlite:///{tmp_path / 'bank.db'}") as book:
        _register(book)
        assert book.personal_data_unavailable is None
        assert {len(k) for k in _stored_keys(book)} == {40}  # wrapped (RFC 3394), not 32 clear
    key_file = tmp_path / "bank.db.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(base64.b64decode(key_file.read_text())) == 32


def test_the_key_in_the_environment_is_used_and_no_key_file_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY, base64.b64encode(os.urandom(32)).decode())
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    with ClientBook.open(url) as book:
        cid = _register(book)
    assert not (tmp_path / "bank.db.key").exists()
    with ClientBook.open(url) as book:
        assert book.customers.get(cid).name == "Customer Nr1"
    monkeypatch.delenv(KEY)
    with ClientBook.open(url) as book:  # the book has keys: no new key file is made for it
        assert "bank.db.key" in (book.personal_data_unavailable or "")
        assert book.customers.get(cid).name == UNAVAILABLE
    assert not (tmp_path / "bank.db.key").exists()


class GcmProvider:
    """A KeyProvider as a KMS client would be: it wraps with its own scheme (AES-GCM)."""

    where = "the test's KMS key 'clientbook-test'"

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def wrap(self, key: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, key, b"clientbook")

    def unwrap(self, wrapped: bytes) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:12], wrapped[12:], b"clientbook")
        except Exception:
            raise KeyUnwrapError(self.where) from None


def test_a_key_provider_wraps_the_keys_and_a_different_one_is_refused_as_wrong(
    tmp_path: Path,
) -> None:
    url, kms = f"sqlite:///{tmp_path / 'bank.db'}", os.urandom(32)
    with ClientBook.open(url, key_provider=GcmProvider(kms)) as book:
        cid = _register(book)
    with ClientBook.open(url, key_provider=GcmProvider(kms)) as book:
        assert book.customers.get(cid).phone == "+86 139 5550 1234"
    with pytest.raises(WrongPersonalDataKeyError, match="the test's KMS key 'clientbook-test'"):
        ClientBook.open(url, key_provider=GcmProvider(os.urandom(32)))


def test_a_wrong_key_file_is_a_specific_error_and_one_line_at_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    with ClientBook.open(url) as book:
        _register(book)
    other = tmp_path / "other.key"
    other.write_text(base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(WrongPersonalDataKeyError, match=f"the key file {other} is not the key"):
        ClientBook.open(url, key_file=other)
    monkeypatch.setenv(KEY, base64.b64encode(os.urandom(32)).decode())
    result = CliRunner().invoke(main, ["--db", url, "worklist", "--as-of", "2026-07-01"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: CLIENTBOOK_KEY is not the key this book's")


# -- a book whose key file is missing -------------------------------------------------------


def _demo_copy(folder: Path) -> tuple[str, Path]:
    """A copy of the small demo book, its key file set aside."""
    source = Path(small_demo().removeprefix("sqlite:///"))
    for part in source.parent.glob(source.name + "*"):
        if part.is_file():
            shutil.copy(part, folder / part.name)
    aside = folder / "set-aside.key"
    (folder / f"{source.name}.key").rename(aside)
    return f"sqlite:///{folder / source.name}", aside


def test_without_its_key_file_the_book_opens_says_so_and_only_personal_data_is_unreadable(
    tmp_path: Path,
) -> None:
    url, aside = _demo_copy(tmp_path)
    with ClientBook.open(small_demo(), create=False) as book:
        names = {e.number: e.name for e in book.directory.search()}
        managers = book.reports.managers(period_from=START, period_to=LAST)
    with ClientBook.open(url) as book:
        assert f"looked for the key file {tmp_path / 'demo.db.key'}" in (
            book.personal_data_unavailable or ""
        )
        entries = book.directory.search()
        assert sorted(e.number for e in entries) == sorted(names)
        assert {e.name for e in entries} == {UNAVAILABLE}
        record = book.customers.get(entries[0].customer_id)
        assert (record.name, record.phone, record.document_number) == (UNAVAILABLE,) * 3
        assert book.reports.managers(period_from=START, period_to=LAST) == managers
        assert book.reports.complaints(period_from=START, period_to=LAST) is not None
        assert book.card_accounts.accounts(LAST, open_only=False) is not None

        head = book.head
        with pytest.raises(PersonalDataKeyMissingError, match="nothing was written"):
            book.customers.update_profile(
                entries[0].customer_id, name="New Name", by=CLERK, on=LAST
            )
        with pytest.raises(PersonalDataKeyMissingError):
            _register(book, 999, document=None)
        with pytest.raises(PersonalDataKeyMissingError):
            book.directory.find_by_document(DOCUMENT)
        assert book.head == head

        book.customers.record_contact(  # what holds no personal data is still written
            entries[0].customer_id,
            channel="call",
            purpose="service",
            outcome="called back",
            by=CLERK,
            on=LAST,
        )
        book.close_of_business(LAST + timedelta(days=1))
        assert book.head > head
        assert book.directory.customer(entries[0].customer_id).last_contact == LAST

    aside.rename(tmp_path / "demo.db.key")
    with ClientBook.open(url) as book:
        assert book.personal_data_unavailable is None
        assert {e.number: e.name for e in book.directory.search()} == names


def test_the_cli_says_in_one_line_on_stderr_that_the_key_is_missing(tmp_path: Path) -> None:
    url, _ = _demo_copy(tmp_path)
    result = CliRunner().invoke(main, ["--db", url, "worklist", "--as-of", LAST.isoformat()])
    assert result.exit_code == 0, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("warning: personal data cannot be read") and "demo.db.key" in line


def test_views_written_while_the_key_was_missing_are_rebuilt_once_it_is_back(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    with ClientBook.open(url) as book:
        cid = _register(book)  # the directory has not read it yet
    (tmp_path / "bank.db.key").rename(tmp_path / "aside.key")
    with ClientBook.open(url) as book:
        assert book.directory.customer(cid).name == UNAVAILABLE
    (tmp_path / "aside.key").rename(tmp_path / "bank.db.key")
    with ClientBook.open(url) as book:
        assert book.directory.customer(cid).name == "Customer Nr1"


# -- an old book: clear keys and unkeyed claims ---------------------------------------------


def _make_old(url: str, key_file: Path) -> UUID:
    """A book as clientbook wrote it before the KEK: clear data keys, no book key, and an
    identity claim keyed by a plain digest of the document."""
    with ClientBook.open(url) as book:
        customer = Customer.register(
            number="C-000001",
            kind="individual",
            name="Old Customer",
            manager="m-001",
            by=CLERK.id,
            on=DAY,
            document_number=DOCUMENT,
        )
        claim = IdentityClaim(
            document_key=IdentityClaim.key_of(DOCUMENT), customer_id=customer.id, by=CLERK.id
        )
        book.app.save_all(customer, claim)
        assert book.directory.customer(customer.id) is not None
        kek = book.keys._kek
        assert kek is not None
        with book._database.transaction() as cursor:
            for subject, key in book._database.query("SELECT subject, key FROM personal_data_keys"):
                cursor.execute(
                    "UPDATE personal_data_keys SET key = ? WHERE subject = ?",
                    (kek.unwrap(bytes(key)), subject),
                )
            cursor.execute("DELETE FROM book_keys")
            cursor.execute("UPDATE customer_directory SET name = 'Old Customer'")
            cursor.execute(
                "UPDATE projection_state SET version = 1 WHERE projection = 'customer_directory'"
            )
    key_file.unlink()
    return customer.id


def test_an_old_books_clear_keys_are_wrapped_on_opening_and_its_claims_still_hold(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bank.db"
    cid = _make_old(f"sqlite:///{path}", tmp_path / "bank.db.key")
    with closing(sqlite3.connect(path)) as connection:
        clear = [bytes(k) for (k,) in connection.execute("SELECT key FROM personal_data_keys")]
    assert clear and {len(k) for k in clear} == {32}  # the old book's keys, in the clear
    assert b"Old Customer" in path.read_bytes()  # and its directory, in the clear
    with ClientBook.open(f"sqlite:///{path}") as book:
        assert {len(k) for k in _stored_keys(book)} == {40}
        assert book.directory.customer(cid).name == "Old Customer"  # rebuilt, sealed
        assert book.customers.get(cid).name == "Old Customer"
        with pytest.raises(IdentityDocumentTakenError):
            _register(book, 2, document=DOCUMENT.lower())  # the unkeyed claim still counts
        book.customers.close(cid, reason="moved away", by=CLERK, on=DAY)
        book.customers.erase_personal_data(cid, reason="asked to", by=CLERK, on=DAY)
        assert book.customers.get(cid).name == ERASED
        _register(book, 3, document=DOCUMENT)  # released: the document is free again
    assert (tmp_path / "bank.db.key").exists()
    data = b"".join(p.read_bytes() for p in tmp_path.glob("bank.db*") if p.is_file())
    assert not [k for k in clear if k in data]  # the clear keys are gone from the file
    assert b"Old Customer" not in data  # and so is the clear directory


# -- the blind index and keyed identity claims ----------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bank.db'}"
    else:
        yield from postgres_schema_url()


def test_lookups_by_document_and_phone_go_through_the_blind_index_and_erasure_empties_it(
    url: str,
) -> None:
    with ClientBook.open(url) as book:
        cid = _register(book, 1)
        other = _register(book, 2, document=None, phone="+86 139 5550 1234")
        found = book.directory.find_by_document(" 11010519491231002x ")
        assert found is not None and found.customer_id == cid
        assert [e.customer_id for e in book.directory.find_by_phone("+86-139-5550-1234")] == [
            cid,
            other,
        ]
        book.customers.update_profile(cid, phone="+86 138 0000 0001", by=CLERK, on=DAY)
        assert [e.customer_id for e in book.directory.find_by_phone("+8613955501234")] == [other]
        rows = book._database.query(
            "SELECT kind, digest FROM customer_index WHERE customer_id = ?", (str(cid),)
        )
        assert {kind for kind, digest in rows if digest} == {"phone", "document"}
        assert not [d for _, d in rows if d and DOCUMENT in d]  # digests, not numbers

        book.customers.close(cid, reason="moved away", by=CLERK, on=DAY)
        book.customers.erase_personal_data(cid, reason="asked to", by=CLERK, on=DAY)
        assert book.directory.find_by_document(DOCUMENT) is None
        assert book.directory.find_by_phone("+86 138 0000 0001") == []
        rows = book._database.query(
            "SELECT digest FROM customer_index WHERE customer_id = ?", (str(cid),)
        )
        assert rows and all(digest is None for (digest,) in rows)


def test_identity_claims_are_keyed_and_a_document_still_belongs_to_one_customer(
    url: str,
) -> None:
    with ClientBook.open(url) as book:
        cid = _register(book, 1)
        head = book.head
        with pytest.raises(IdentityDocumentTakenError):
            _register(book, 2, document="110105 19491231 002x")
        assert book.head == head
        claim = book.customers.claim_id(DOCUMENT)
        assert book.app.exists(claim) and not book.app.exists(IdentityClaim.id_for(DOCUMENT))
        assert book.app.repository.get(claim).customer_id == cid
    with ClientBook.open(url) as book:  # the same key, so the same claim
        assert book.customers.claim_id(DOCUMENT) == claim


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_schema_url()


def test_a_postgresql_book_keeps_its_key_file_under_the_configuration_folder(
    postgres_url: str,
) -> None:
    url, schema = postgres_url, postgres_url.rsplit("=", 1)[1]
    with ClientBook.open(url) as book:
        _register(book)
    (key_file,) = (Path(os.environ["XDG_CONFIG_HOME"]) / "clientbook" / "keys").glob(
        f"*-{schema}.key"
    )
    assert key_file.name == f"127.0.0.1-5432-test-{schema}.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not list(key_file.parent.glob(".*"))  # no draft left behind
    with ClientBook.open(url) as book:
        assert book.customers.get(book.customers.id_of("C-000001")).name == "Customer Nr1"
