"""Per-customer encryption keys for personal data: deleting a key erases the data (crypto-shredding).

Personal fields of events are sealed with AES-256-GCM under a key for their subject (the
aggregate id). The log is never rewritten; once the key is forgotten the fields read as erased.
"""

from __future__ import annotations

import base64
import os
from uuid import UUID

from Crypto.Cipher import AES

from clientbook.infrastructure.sql import SqlDatabase

_NONCE, _TAG = 12, 16


class KeyStore:
    """Keys by subject id, kept in the book's database and cached in memory."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database
        self._cache: dict[UUID, bytes | None] = {}
        blob = "BYTEA" if database.dialect == "postgresql" else "BLOB"
        database.execute(
            "CREATE TABLE IF NOT EXISTS personal_data_keys "
            f"(subject TEXT PRIMARY KEY, key {blob} NOT NULL)"
        )

    def key(self, subject: UUID, *, create: bool) -> bytes | None:
        """The subject's key; with `create`, one is made (and stored) if there is none."""
        key = self._cache.get(subject)
        if key is None and (create or subject not in self._cache):
            key = self._load(subject, create)
            self._cache[subject] = key
        return key

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
        key = self.key(subject, create=True)
        assert key is not None
        nonce = os.urandom(_NONCE)
        cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
        cipher.update(subject.bytes)
        ciphertext, tag = cipher.encrypt_and_digest(plaintext)
        return base64.b64encode(nonce + tag + ciphertext).decode()

    def open(self, subject: UUID, sealed: str) -> bytes | None:
        """The plaintext, or None when the subject's key has been forgotten."""
        key = self.key(subject, create=False)
        if key is None:
            return None
        raw = base64.b64decode(sealed)
        cipher = AES.new(key, AES.MODE_GCM, nonce=raw[:_NONCE])
        cipher.update(subject.bytes)
        return cipher.decrypt_and_verify(raw[_NONCE + _TAG :], raw[_NONCE : _NONCE + _TAG])
