"""Per-customer encryption keys for personal data: deleting a key erases the data (crypto-shredding).

Personal fields of events are sealed with AES-256-GCM under a key for their subject (the
aggregate id). The log is never rewritten; once the key is forgotten the fields read as erased.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clientbook.infrastructure.sql import SqlDatabase

_NONCE = 12


class KeyStore:
    """Keys by subject id, kept in the book's database and cached in memory."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database
        self._cache: dict[UUID, AESGCM | None] = {}
        self._forgotten: set[UUID] = set()
        self._ciphers: dict[bytes, AESGCM] = {}
        self._macs: dict[UUID, bytes] = {}
        blob = "BYTEA" if database.dialect == "postgresql" else "BLOB"
        database.create(
            [
                "CREATE TABLE IF NOT EXISTS personal_data_keys "
                f"(subject TEXT PRIMARY KEY, key {blob} NOT NULL)"
            ]
        )

    def cipher(self, subject: UUID, *, create: bool) -> AESGCM | None:
        """The subject's cipher; with `create`, a key is made (and stored) if there is none yet.
        A forgotten subject has none, and never gets a new one."""
        if subject not in self._cache or (create and self._cache[subject] is None
                                          and subject not in self._forgotten):
            key = self._load(subject, create)
            if key == b"":
                self._forgotten.add(subject)
            self._cache[subject] = AESGCM(key) if key else None
        return self._cache[subject]

    def _load(self, subject: UUID, create: bool) -> bytes | None:
        if not create:
            rows = self._database.query(
                "SELECT key FROM personal_data_keys WHERE subject = ?", (str(subject),)
            )
            return bytes(rows[0][0]) if rows else None
        with self._database.transaction() as cursor:
            cursor.execute(
                "INSERT INTO personal_data_keys (subject, key) VALUES (?, ?) "
                "ON CONFLICT (subject) DO NOTHING",
                (str(subject), os.urandom(32)),
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

    def fingerprint(self, subject: UUID, text: bytes) -> str | None:
        """An HMAC of the text under the subject's key (made if there is none yet): equal
        texts, equal fingerprints; None once the key is forgotten. An idempotency key's digest
        of personal data uses it, so that erasure leaves no hash to guess the data from."""
        key = self._macs.get(subject)
        if key is None:
            key = self._load(subject, create=subject not in self._forgotten) or b""
            if not key:
                return None
            self._macs[subject] = key
        return hmac.new(key, text, hashlib.sha256).hexdigest()

    def seal(self, subject: UUID, plaintext: bytes) -> str:
        """The sealed text, or "" for a forgotten subject (its personal data is not kept)."""
        cipher = self.cipher(subject, create=True)
        if cipher is None:
            return ""
        nonce = os.urandom(_NONCE)
        return base64.b64encode(nonce + cipher.encrypt(nonce, plaintext, subject.bytes)).decode()

    def open(self, subject: UUID, sealed: str) -> bytes | None:
        """The plaintext, or None when the subject's key has been forgotten. The key is read
        afresh each time, so an erasure by another process is honoured at once."""
        if not sealed:
            return None
        key = self._load(subject, create=False)
        if not key:
            return None
        cipher = self._ciphers.get(key)
        if cipher is None:
            cipher = self._ciphers[key] = AESGCM(key)
        raw = base64.b64decode(sealed)
        return cipher.decrypt(raw[:_NONCE], raw[_NONCE:], subject.bytes)
