"""Per-customer encryption keys for personal data: deleting a key erases the data (crypto-shredding).

Personal fields of events are sealed with AES-256-GCM under a key for their subject (the
aggregate id). The log is never rewritten; once the key is forgotten the fields read as erased.
"""

from __future__ import annotations

import base64
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
        blob = "BYTEA" if database.dialect == "postgresql" else "BLOB"
        database.create(
            [
                "CREATE TABLE IF NOT EXISTS personal_data_keys "
                f"(subject TEXT PRIMARY KEY, key {blob} NOT NULL)"
            ]
        )

    def cipher(self, subject: UUID, *, create: bool) -> AESGCM | None:
        """The subject's cipher; with `create`, a key is made (and stored) if there is none."""
        cipher = self._cache.get(subject)
        if cipher is None and (create or subject not in self._cache):
            key = self._load(subject, create)
            cipher = self._cache[subject] = None if key is None else AESGCM(key)
        return cipher

    def _load(self, subject: UUID, create: bool) -> bytes | None:
        with self._database.transaction() as cursor:
            if create:
                cursor.execute(
                    "INSERT INTO personal_data_keys (subject, key) VALUES (?, ?) "
                    "ON CONFLICT (subject) DO NOTHING",
                    (str(subject), os.urandom(32)),
                )
            cursor.execute("SELECT key FROM personal_data_keys WHERE subject = ?", (str(subject),))
            row = cursor.fetchone()
        return None if row is None else bytes(row[0])

    def forget(self, subject: UUID) -> None:
        """Delete the subject's key: every field sealed with it becomes unreadable for good."""
        self._database.execute("DELETE FROM personal_data_keys WHERE subject = ?", (str(subject),))
        self._cache[subject] = None

    def seal(self, subject: UUID, plaintext: bytes) -> str:
        cipher = self.cipher(subject, create=True)
        assert cipher is not None
        nonce = os.urandom(_NONCE)
        return base64.b64encode(nonce + cipher.encrypt(nonce, plaintext, subject.bytes)).decode()

    def open(self, subject: UUID, sealed: str) -> bytes | None:
        """The plaintext, or None when the subject's key has been forgotten."""
        cipher = self.cipher(subject, create=False)
        if cipher is None:
            return None
        raw = base64.b64decode(sealed)
        return cipher.decrypt(raw[:_NONCE], raw[_NONCE:], subject.bytes)
