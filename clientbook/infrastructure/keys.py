"""Per-customer encryption keys for personal data: deleting a key erases the data (crypto-shredding).

Personal fields of events are sealed with AES-256-GCM under a key for their subject (the
aggregate id). The log is never rewritten; once the key is forgotten the fields read as erased.
The data keys are stored wrapped by the key-encryption key (kek.py), which is never in the
database; so is the book's index key, which keys the blind index and the identity claims.
Without the KEK the book still opens: personal fields read as unavailable, writing them is
refused (PersonalDataKeyMissingError).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any, Iterable
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clientbook.infrastructure.kek import (
    KEY,
    KEY_FILE,
    InProcessKey,
    KeyFile,
    KeyProvider,
    KeyUnwrapError,
    PersonalDataKeyMissingError,
    WrongPersonalDataKeyError,
)
from clientbook.infrastructure.sql import SqlDatabase

_NONCE = 12
_CLEAR = 32
"""A data key as books before wrapping kept it; a wrapped one is 40 bytes (RFC 3394)."""
_CHUNK = 500


class Unavailable(Exception):
    """A sealed value cannot be opened now: the book's key-encryption key is missing."""


class KeyStore:
    """Keys by subject id, kept wrapped in the book's database and cached in memory."""

    def __init__(self, database: SqlDatabase, kek: KeyProvider | KeyFile | None = None) -> None:
        self._database = database
        self._cache: dict[UUID, AESGCM | None] = {}
        self._forgotten: set[UUID] = set()
        self._ciphers: dict[bytes, AESGCM] = {}
        self._macs: dict[UUID, bytes] = {}
        self._nonces: dict[UUID, bytes] = {}
        blob = "BYTEA" if database.dialect == "postgresql" else "BLOB"
        database.create(
            [
                "CREATE TABLE IF NOT EXISTS personal_data_keys "
                f"(subject TEXT PRIMARY KEY, key {blob} NOT NULL)",
                f"CREATE TABLE IF NOT EXISTS book_keys (name TEXT PRIMARY KEY, key {blob} NOT NULL)",
            ]
        )
        self.missing: str | None = None
        """Where the key-encryption key was looked for, when it is not there."""
        self._kek = self._provider(kek)
        self._index = b""
        self.views_written_without_key = False
        """A view wrote a personal field it could not open (see sealed_fields.py)."""
        self.legacy_claims = False
        """The book has identity claims from before they were keyed (see Customers)."""
        if self._kek is not None:
            self._open_book()

    # -- the key-encryption key ------------------------------------------------------------

    def _provider(self, kek: KeyProvider | KeyFile | None) -> KeyProvider | None:
        if kek is None:
            return InProcessKey()
        if not isinstance(kek, KeyFile):
            return kek
        if not kek.exists():
            if self._book_keys() and not kek.exists():  # (made meanwhile by another process)
                self.missing = kek.where
                return None
            kek.create()  # a new book (or one from before wrapping): its key file is made
        return kek.provider()

    def _book_keys(self) -> dict[str, bytes]:
        return {
            name: bytes(key)
            for name, key in self._database.query("SELECT name, key FROM book_keys")
        }

    def _open_book(self) -> None:
        """Read the index key; a book without one gets it now, and its clear data keys (from
        before wrapping) are wrapped, all in one transaction."""
        assert self._kek is not None
        keys = self._book_keys()
        if "index" not in keys:
            with self._database.transaction() as cursor:
                self._wrap_clear_keys(cursor)
                cursor.execute(
                    "INSERT INTO book_keys (name, key) VALUES ('index', ?) "
                    "ON CONFLICT (name) DO NOTHING",
                    (self._kek.wrap(os.urandom(32)),),
                )
            self._database.vacuum(["personal_data_keys"])
            keys = self._book_keys()
        self.legacy_claims = "legacy-claims" in keys
        self.views_written_without_key = "views-unopened" in keys
        try:
            self._index = self._kek.unwrap(keys["index"])
        except KeyUnwrapError:
            raise WrongPersonalDataKeyError(
                f"{self._kek.where} is not the key this book's personal data keys are wrapped "
                f"with; give the book's own key (key_file=, {KEY} or {KEY_FILE})"
            ) from None

    def _wrap_clear_keys(self, cursor: Any) -> None:
        assert self._kek is not None
        cursor.execute(
            "SELECT subject, key FROM personal_data_keys WHERE length(key) = ?", (_CLEAR,)
        )
        clear = [(subject, bytes(key)) for subject, key in cursor.fetchall()]
        for subject, key in clear:
            cursor.execute(
                "UPDATE personal_data_keys SET key = ? WHERE subject = ? AND key = ?",
                (self._kek.wrap(key), subject, key),
            )
        if clear:
            cursor.execute(
                "INSERT INTO book_keys (name, key) VALUES ('legacy-claims', ?) "
                "ON CONFLICT (name) DO NOTHING",
                (b"1",),
            )

    def note_view_written_without_key(self) -> None:
        """Remember, in the book, that a view holds a field it could not open (the key was
        missing when it was written): once the key is back, the book rebuilds its views."""
        self._database.execute(
            "INSERT INTO book_keys (name, key) VALUES ('views-unopened', ?) "
            "ON CONFLICT (name) DO NOTHING",
            (b"1",),
        )

    def views_rebuilt(self) -> None:
        self._database.execute("DELETE FROM book_keys WHERE name = 'views-unopened'")
        self.views_written_without_key = False

    def _required(self) -> KeyProvider:
        if self._kek is None:
            raise PersonalDataKeyMissingError(
                f"this book's key-encryption key is missing (looked for {self.missing}); "
                f"personal data cannot be written or read without it: restore the file, or give "
                f"the key with key_file=, {KEY} or {KEY_FILE}; nothing was written"
            )
        return self._kek

    def _unwrapped(self, stored: bytes) -> AESGCM:
        cipher = self._ciphers.get(stored)
        if cipher is None:
            cipher = self._ciphers[stored] = AESGCM(self._raw(stored))
        return cipher

    def _raw(self, stored: bytes) -> bytes:
        return self._required().unwrap(stored)

    # -- data keys -------------------------------------------------------------------------

    def cipher(self, subject: UUID, *, create: bool) -> AESGCM | None:
        """The subject's cipher; with `create`, a key is made (and stored) if there is none yet.
        A forgotten subject has none, and never gets a new one."""
        if subject not in self._cache or (
            create and self._cache[subject] is None and subject not in self._forgotten
        ):
            key = self._load(subject, create)
            if key == b"":
                self._forgotten.add(subject)
            self._cache[subject] = self._unwrapped(key) if key else None
            if key:
                self._nonces[subject] = hmac.new(self._raw(key), b"nonce", hashlib.sha256).digest()
        return self._cache[subject]

    def _load(self, subject: UUID, create: bool) -> bytes | None:
        """The subject's key as stored (wrapped; b"" once forgotten). With `create`, a key is
        made only when a read finds none: most callers (a view sealing a field of a subject
        whose events are sealed already) find one, and a read takes no write lock."""
        rows = self._database.query(
            "SELECT key FROM personal_data_keys WHERE subject = ?", (str(subject),)
        )
        if rows or not create:
            return bytes(rows[0][0]) if rows else None
        kek = self._required()
        with self._database.transaction() as cursor:
            cursor.execute(
                "INSERT INTO personal_data_keys (subject, key) VALUES (?, ?) "
                "ON CONFLICT (subject) DO NOTHING",
                (str(subject), kek.wrap(os.urandom(32))),
            )
            cursor.execute("SELECT key FROM personal_data_keys WHERE subject = ?", (str(subject),))
            row = cursor.fetchone()
        return None if row is None else bytes(row[0])

    def forget(self, subject: UUID) -> None:
        """Destroy the subject's key, keeping an empty tombstone: every field sealed with it
        becomes unreadable for good, and no new key is ever made for the subject."""
        with self._database.transaction() as cursor:
            cursor.execute(
                "INSERT INTO personal_data_keys (subject, key) VALUES (?, ?) "
                "ON CONFLICT (subject) DO UPDATE SET key = excluded.key",
                (str(subject), b""),
            )
        self._cache[subject] = None
        self._macs.pop(subject, None)
        self._forgotten.add(subject)
        self._database.vacuum(["personal_data_keys"])

    def fingerprint(self, subject: UUID, text: bytes) -> str | None:
        """An HMAC of the text under the subject's key (made if there is none yet): equal
        texts, equal fingerprints; None once the key is forgotten. An idempotency key's digest
        of personal data uses it, so that erasure leaves no hash to guess the data from."""
        key = self._macs.get(subject)
        if key is None:
            stored = self._load(subject, create=subject not in self._forgotten) or b""
            if not stored:
                return None
            key = self._macs[subject] = self._raw(stored)
        return hmac.new(key, text, hashlib.sha256).hexdigest()

    def seal(self, subject: UUID, plaintext: bytes) -> str:
        """The sealed text, or "" for a forgotten subject (its personal data is not kept)."""
        cipher = self.cipher(subject, create=True)
        if cipher is None:
            return ""
        nonce = os.urandom(_NONCE)
        return base64.b64encode(nonce + cipher.encrypt(nonce, plaintext, subject.bytes)).decode()

    def seal_value(self, subject: UUID, plaintext: bytes) -> str:
        """`seal`, deterministic: the nonce is an HMAC of the plaintext under a key derived
        from the subject's (a synthetic IV), so a view rebuilt from the log writes the very
        rows it wrote live. Equal values of one subject give equal texts; nothing more leaks."""
        cipher = self.cipher(subject, create=True)
        if cipher is None:
            return ""
        nonce = hmac.new(self._nonces[subject], plaintext, hashlib.sha256).digest()[:_NONCE]
        return base64.b64encode(nonce + cipher.encrypt(nonce, plaintext, subject.bytes)).decode()

    def open(self, subject: UUID, sealed: str) -> bytes | None:
        """The plaintext, or None when the subject's key has been forgotten; Unavailable without
        the KEK. The key is read afresh each time, so an erasure by another process is honoured
        at once."""
        if not sealed:
            return None
        return self._opened(subject, sealed, self._load(subject, create=False))

    def open_many(
        self, sealed: Iterable[tuple[UUID, str]], *, unavailable: bytes
    ) -> list[bytes | None]:
        """`open` for many values, their keys read in one query per few hundred subjects;
        without the KEK, a value whose key is not forgotten opens as `unavailable`."""
        pairs = [(subject, str(subject), value) for subject, value in sealed]
        stored = self._stored({name for _, name, value in pairs if value})
        out: list[bytes | None] = []
        for subject, name, value in pairs:
            try:
                out.append(self._opened(subject, value, stored.get(name)) if value else None)
            except Unavailable:
                out.append(unavailable)
        return out

    def _stored(self, subjects: set[str]) -> dict[str, bytes]:
        names = list(subjects)
        found: dict[str, bytes] = {}
        for start in range(0, len(names), _CHUNK):
            part = names[start : start + _CHUNK]
            marks = ", ".join("?" for _ in part)
            found.update(
                (subject, bytes(key))
                for subject, key in self._database.query(
                    f"SELECT subject, key FROM personal_data_keys WHERE subject IN ({marks})", part
                )
            )
        return found

    def _opened(self, subject: UUID, sealed: str, key: bytes | None) -> bytes | None:
        if not key:
            return None
        if self._kek is None:
            raise Unavailable(self.missing)
        raw = base64.b64decode(sealed)
        return self._unwrapped(key).decrypt(raw[:_NONCE], raw[_NONCE:], subject.bytes)

    # -- the blind index -------------------------------------------------------------------

    def digest(self, kind: str, text: str) -> str:
        """A keyed HMAC of a value for exact-match lookups (a blind index): equal values give
        equal digests, and without the book's index key no value can be guessed from one."""
        self._required()
        message = f"{kind}\x00{text}".encode()
        return hmac.new(self._index, message, hashlib.sha256).hexdigest()

    def document_key(self, document_number: str) -> str:
        """The identity claim's key for a (normalised) identity document number."""
        return self.digest("identity-document", document_number)
