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
import binascii
import hmac
import os
import threading
from typing import Any, Iterable, Sequence
from uuid import UUID

from attrs import frozen
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
_KEPT = 200_000
"""Keys `page_of` keeps at most (about 100 bytes each) before it starts again."""
_SEALED_KEPT = 32_768
"""Values `seal_value` remembers at most before it starts again (a few MiB): a rebuild's
directory seals every customer's name before its complaint cards seal them again."""
_CIPHERS_KEPT = 10_000
"""Ciphers kept at most (an AESGCM holds its key's prepared OpenSSL contexts: about 2.5 kB;
making one costs an unwrap and a key schedule, some 5 us) before the cache starts again."""
_SUBJECTS_KEPT = 200_000
"""Subjects whose keys sealing keeps at most (`_Sealing`: about 300 bytes each, no cipher)
before it starts again: a rebuild's sealing views prepare every customer of a page at once."""


@frozen
class _Sealing:
    """What sealing keeps of a subject's key: the key as stored (wrapped), the key itself, so
    that a cipher is made again without the KEK (which may be a remote KMS), and the key the
    deterministic nonces of `seal_value` are derived from. Its cipher lives in the bounded
    `_ciphers`, by the wrapped key."""

    wrapped: bytes
    raw: bytes
    nonces: bytes


_UNKNOWN: Any = object()
ERASURES = "personal_data_key_erasures"


def unsealed(cipher: AESGCM, subject: UUID, sealed: str) -> bytes:
    """The plaintext of a text `KeyStore.seal` made: base64 of the nonce and the ciphertext
    with its tag, the subject's id (`UUID.bytes`) the associated data. Raises InvalidTag for
    a text not sealed with this cipher for this subject."""
    raw = binascii.a2b_base64(sealed)
    return cipher.decrypt(raw[:_NONCE], raw[_NONCE:], subject.bytes)


class Unavailable(Exception):
    """A sealed value cannot be opened now: the book's key-encryption key is missing."""


class KeyStore:
    """Keys by subject id, kept wrapped in the book's database and cached in memory."""

    def __init__(self, database: SqlDatabase, kek: KeyProvider | KeyFile | None = None) -> None:
        self._database = database
        self._cache: dict[UUID, _Sealing | None] = {}
        """Sealing's keys by subject (None: the subject has none), bounded (`_SUBJECTS_KEPT`)."""
        self._forgotten: set[UUID] = set()
        self._ciphers: dict[bytes, AESGCM] = {}
        """Ciphers by wrapped key, bounded; emptied once an erasure is seen (`_forget_kept`)."""
        self._macs: dict[UUID, bytes] = {}
        self._pending: dict[UUID, bytes] = {}
        """Keys made for events not yet saved (wrapped): written in the save's transaction."""
        self._sealed: dict[tuple[UUID, bytes], tuple[AESGCM, str]] = {}
        """Values `seal_value` sealed lately, with the cipher that sealed them: two views (the
        directory, the complaint cards) seal each customer's name."""
        blob = "BYTEA" if database.dialect == "postgresql" else "BLOB"
        database.create(
            [
                "CREATE TABLE IF NOT EXISTS personal_data_keys "
                f"(subject TEXT PRIMARY KEY, key {blob} NOT NULL)",
                f"CREATE TABLE IF NOT EXISTS book_keys (name TEXT PRIMARY KEY, key {blob} NOT NULL)",
            ]
        )
        self._erasures_counted = self._count_erasures()
        self._page_lock = threading.Lock()
        self._page_keys: dict[int, bytes] = {}
        """Stored keys read by `page_of`, valid while the erasure count stays `_page_count`."""
        self._page_count: int | None = None
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

    def _count_erasures(self) -> bool:
        """Make the erasure count (once per book): a one-row table whose count a trigger moves
        on with every UPDATE or DELETE of a key, whoever makes it (a forget writes its
        tombstone so), in the erasing transaction. `page_of` keeps the keys it read while the
        count it reads with each page stays the same. False where it cannot be made (a
        read-only replica of a book from before it): `page_of` then reads every key afresh."""
        database = self._database
        if database.existing([ERASURES]):
            return True
        if database.dialect == "postgresql":
            trigger = [
                f"CREATE OR REPLACE FUNCTION {ERASURES}_moved() RETURNS trigger "
                "LANGUAGE plpgsql SET search_path FROM CURRENT AS $$ BEGIN "
                f"UPDATE {ERASURES} SET count = count + 1; RETURN NULL; END $$",
                f"CREATE OR REPLACE TRIGGER {ERASURES}_moved AFTER UPDATE OR DELETE "
                f"ON personal_data_keys FOR EACH STATEMENT EXECUTE FUNCTION {ERASURES}_moved()",
            ]
        else:
            trigger = [
                f"CREATE TRIGGER IF NOT EXISTS {ERASURES}_{event} AFTER {event} ON "
                f"personal_data_keys BEGIN UPDATE {ERASURES} SET count = count + 1; END"
                for event in ("UPDATE", "DELETE")
            ]
        try:
            with database.transaction() as cursor:
                database._lock_creation(cursor)
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {ERASURES} "
                    "(one INTEGER PRIMARY KEY CHECK (one = 1), count BIGINT NOT NULL)"
                )
                cursor.execute(
                    f"INSERT INTO {ERASURES} (one, count) VALUES (1, 0) ON CONFLICT (one) DO NOTHING"
                )
                for statement in trigger:
                    cursor.execute(statement)
        except Exception:  # noqa: BLE001 - a read-only database: keys are read afresh
            return False
        return True

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

    def _unwrapped(self, stored: bytes, raw: bytes | None = None) -> AESGCM:
        """The cipher of a stored key (`raw`: the key itself, when it is at hand)."""
        cipher = self._ciphers.get(stored)
        if cipher is None:
            if len(self._ciphers) >= _CIPHERS_KEPT:
                self._ciphers.clear()
            cipher = AESGCM(self._raw(stored) if raw is None else raw)
            self._ciphers[stored] = cipher
        return cipher

    def _forget_kept(self) -> None:
        """Drop every cipher kept for opening and every value `seal_value` remembers: an
        erasure was seen (a forget here, or the erasure count moved), and neither an erased key
        nor its subject's plaintext stays in memory for longer than that. Sealing keeps its
        keys (`_cache`), whose ciphers are made again, like the others, when next needed."""
        self._ciphers.clear()
        self._sealed.clear()

    def _raw(self, stored: bytes) -> bytes:
        return self._required().unwrap(stored)

    # -- data keys -------------------------------------------------------------------------

    def cipher(
        self, subject: UUID, *, create: bool, pending: bool = False, new: bool = False
    ) -> AESGCM | None:
        """The subject's cipher; with `create`, a key is made (and stored) if there is none yet.
        A forgotten subject has none, and never gets a new one.

        With `pending` (the mapper sealing events), a key made now is only kept in memory,
        pending, and written in the transaction that saves the events sealed with it
        (`pending_among`, `written`, `raced`): a save is then one transaction, and a save that
        fails leaves no key behind. With `new` too (the subject's first event), the read is
        skipped: a subject that had a key after all fails the save's insert, and the save is
        sealed again with the stored key (`raced`)."""
        kept = self._kept(subject, create=create, pending=pending, new=new)
        return None if kept is None else self._sealer(kept)

    def _kept(
        self, subject: UUID, *, create: bool, pending: bool = False, new: bool = False
    ) -> _Sealing | None:
        """`cipher`'s key of the subject, as sealing keeps it (read, or made, when not kept).
        What is returned is what was found or made here, never read back from `_cache`, which
        another thread may empty meanwhile."""
        if not pending and subject in self._pending:  # a view's copy outlives a failed save:
            return self._cached(subject, self._load(subject, create))  # store the key first
        kept = self._cache.get(subject, _UNKNOWN)
        if kept is _UNKNOWN or (create and kept is None and subject not in self._forgotten):
            raw = None
            if create and pending:
                key = None if new else self._read(subject)
                if key is None:
                    kek = self._required()
                    raw = os.urandom(32)
                    made = kek.wrap(raw)
                    key = self._pending.setdefault(subject, made)
                    if key is not made:  # another thread made it first: use that one
                        raw = None
            else:
                key = self._load(subject, create)
            return self._cached(subject, key, raw)
        return kept

    def _sealer(self, kept: _Sealing) -> AESGCM:
        return self._unwrapped(kept.wrapped, kept.raw)

    def _cached(
        self, subject: UUID, key: bytes | None, raw: bytes | None = None
    ) -> _Sealing | None:
        """Keep the subject's key for sealing; `raw`, when the key was just made here, spares
        unwrapping it. Past `_SUBJECTS_KEPT` subjects, the others kept are let go first."""
        if key == b"":
            self._forgotten.add(subject)
        self._macs.pop(subject, None)
        kept = None
        if key:
            raw = raw if raw is not None else self._raw(key)
            kept = _Sealing(key, raw, hmac.digest(raw, b"nonce", "sha256"))
        if len(self._cache) >= _SUBJECTS_KEPT:
            self._cache.clear()
        self._cache[subject] = kept
        return kept

    def _read(self, subject: UUID) -> bytes | None:
        rows = self._database.query(
            "SELECT key FROM personal_data_keys WHERE subject = ?", (str(subject),)
        )
        return bytes(rows[0][0]) if rows else None

    def _load(self, subject: UUID, create: bool) -> bytes | None:
        """The subject's key as stored (wrapped; b"" once forgotten). With `create`, a key is
        made only when a read finds none: most callers (a view sealing a field of a subject
        whose events are sealed already) find one, and a read takes no write lock. A key
        pending for unsaved events is the one written then (they stay readable)."""
        key = self._read(subject)
        if key is not None or not create:
            return key
        kek = self._required()
        mine = self._pending.get(subject) or kek.wrap(os.urandom(32))
        with self._database.transaction() as cursor:
            cursor.execute(
                "INSERT INTO personal_data_keys (subject, key) VALUES (?, ?) "
                "ON CONFLICT (subject) DO NOTHING",
                (str(subject), mine),
            )
            cursor.execute("SELECT key FROM personal_data_keys WHERE subject = ?", (str(subject),))
            row = cursor.fetchone()
        stored = None if row is None else bytes(row[0])
        if subject in self._pending:
            del self._pending[subject]
            if stored != mine:  # another process's key won: events are sealed with it
                self._cached(subject, stored)
        return stored

    # -- keys written with the events ------------------------------------------------------

    def pending_among(self, subjects: Iterable[UUID]) -> list[tuple[str, bytes]]:
        """The pending keys of these subjects, as (subject, wrapped key) rows to insert (a
        plain INSERT: a subject that has a key by then fails the save, see `raced`)."""
        pending = self._pending
        if not pending:
            return []
        return [(str(s), pending[s]) for s in set(subjects) if s in pending]

    def written(self, rows: Iterable[tuple[str, bytes]]) -> None:
        """The save that inserted these keys committed: they are stored, no longer pending."""
        for name, key in rows:
            subject = UUID(name)
            if self._pending.get(subject) == key:
                del self._pending[subject]

    def raced(self, rows: Sequence[tuple[str, bytes]]) -> bool:
        """A save with these pending keys failed on its inserts: whether one of the subjects
        had a key stored by then (another save, here or in another process, stored it first,
        or the subject was forgotten). Those keys stop being pending and the stored ones are
        used from now on, so the caller seals its events again and retries; False when none
        had one (the failure was the events' own, a conflict on an aggregate's version)."""
        stored = self._stored({name for name, _ in rows})
        for name, key in rows:
            if name in stored:
                subject = UUID(name)
                if self._pending.get(subject) == key:
                    del self._pending[subject]
                if stored[name] != key:
                    self._cached(subject, stored[name])
        return bool(stored)

    def write_pending(self, rows: Sequence[tuple[str, bytes]]) -> bool:
        """Store pending keys in a transaction of their own (for a log whose recorder cannot
        write them with the events: the in-memory one); False when a subject had a key by then
        (it keeps it, and the caller seals again with it, as after `raced`)."""
        with self._database.transaction() as cursor:
            cursor.executemany(
                "INSERT INTO personal_data_keys (subject, key) VALUES (?, ?) "
                "ON CONFLICT (subject) DO NOTHING",
                list(rows),
            )
        stored = self._stored({name for name, _ in rows})
        ours = True
        for name, key in rows:
            subject = UUID(name)
            if self._pending.get(subject) == key:
                del self._pending[subject]
            if stored.get(name) != key:
                self._cached(subject, stored.get(name))
                ours = False
        return ours

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
        self._pending.pop(subject, None)
        self._forgotten.add(subject)
        self._forget_kept()  # no plaintext of the subject's left in memory here
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
            if len(self._macs) >= _SUBJECTS_KEPT:
                self._macs.clear()
            key = self._macs[subject] = self._raw(stored)
        return hmac.digest(key, text, "sha256").hex()

    def seal(self, subject: UUID, plaintext: bytes, *, new: bool = False) -> str:
        """The sealed text, or "" for a forgotten subject (its personal data is not kept). For
        events: a key made now is pending, written with them (see `cipher`)."""
        cipher = self.cipher(subject, create=True, pending=True, new=new)
        if cipher is None:
            return ""
        nonce = os.urandom(_NONCE)
        return base64.b64encode(nonce + cipher.encrypt(nonce, plaintext, subject.bytes)).decode()

    def seal_value(self, subject: UUID, plaintext: bytes) -> str:
        """`seal`, deterministic: the nonce is an HMAC of the plaintext under a key derived
        from the subject's (a synthetic IV), so a view rebuilt from the log writes the very
        rows it wrote live. Equal values of one subject give equal texts; nothing more leaks."""
        kept = self._kept(subject, create=True)
        if kept is None:
            return ""
        cipher = self._sealer(kept)
        remembered = self._sealed.get((subject, plaintext))
        if remembered is not None and remembered[0] is cipher:  # sealed by this very key
            return remembered[1]
        nonce = hmac.digest(kept.nonces, plaintext, "sha256")[:_NONCE]
        sealed = base64.b64encode(nonce + cipher.encrypt(nonce, plaintext, subject.bytes)).decode()
        if len(self._sealed) >= _SEALED_KEPT:
            self._sealed.clear()
        self._sealed[(subject, plaintext)] = (cipher, sealed)
        return sealed

    def load(self, subjects: Iterable[UUID]) -> None:
        """Read the stored keys of the subjects whose ciphers are not cached yet, in one query
        per few hundred: a view about to seal a page of documents (`seal_value` would read
        each subject's key with a query of its own). A subject with no stored key is left to
        `seal_value`, which makes one. Without the key-encryption key nothing is read: the
        page's values are then unavailable, and are sealed as such without a key."""
        if self._kek is None:
            return
        wanted = {str(s): s for s in subjects if s not in self._cache and s not in self._pending}
        if wanted:
            for name, key in self._stored(set(wanted)).items():
                self._cached(wanted[name], key)

    def open(self, subject: UUID, sealed: str) -> bytes | None:
        """The plaintext, or None when the subject's key has been forgotten; Unavailable without
        the KEK. The key is read afresh each time, so an erasure by another process is honoured
        at once."""
        if not sealed:
            return None
        stored = self._load(subject, create=False)
        return self._opened(
            subject, sealed, self._pending.get(subject, stored) if stored is None else stored
        )

    def page_of(self, subjects: dict[int, UUID]) -> dict[int, bytes]:
        """The stored keys (wrapped; b"" once forgotten) of many subjects, by their integers
        (`UUID.int`: a UUID's own hash is computed in Python, and a page hashes each subject
        several times), for decoding a page of events, in one query (per few hundred subjects
        not seen before): a subject missing from the result has no key.

        Erasure is honoured across processes: every call reads the book's erasure count (see
        `_count_erasures`) in the same statement that reads the keys it has not seen, and keys
        read before are used only while that count is unchanged. Forgetting a key moves the
        count on in the forgetting transaction, so once a forget has committed anywhere, the
        next page read here finds the count moved, drops every key it kept, and reads them all
        again: the erased key is never used after the erasure commits. A subject found with no
        key is not kept (it is looked for again on the next page).

        A subject with no stored key whose key is pending here gets that one: only events
        not saved yet can be sealed with it (a save that stores them stores it, in its
        transaction), so a mapper used alone reads back what it sealed; a stored key, or its
        tombstone, always wins."""
        if not self._erasures_counted:
            by_name = self._stored({str(s) for s in subjects.values()})
            found = {i: by_name[str(s)] for i, s in subjects.items() if str(s) in by_name}
        else:
            found = self._kept_or_read(subjects)
        pending = self._pending
        for i, subject in subjects.items() if pending else ():
            if i not in found and subject in pending:
                found[i] = pending[subject]
        return found

    def _kept_or_read(self, wanted: dict[int, UUID]) -> dict[int, bytes]:
        """`page_of` with the erasure count. The lock guards the kept keys only, never a query
        (a thread may query inside a view's transaction while another waits on it)."""
        found: dict[int, bytes] = {}
        for _ in range(3):
            with self._page_lock:
                counted_at = self._page_count
                kept = self._page_keys
                have = {i: kept[i] for i in wanted if i in kept} if counted_at is not None else {}
            unseen = {str(s): i for i, s in wanted.items() if i not in have}
            count, read = self._counted(unseen)
            found = {unseen[name]: key for name, key in read.items() if name in unseen}
            if count is not None and count == counted_at:  # no erasure since `have` was read
                with self._page_lock:
                    if self._page_count == count:
                        if len(self._page_keys) + len(found) > _KEPT:
                            self._page_keys.clear()
                        self._page_keys.update(found)
                found.update(have)
                return found
            with self._page_lock:  # an erasure since (or the first page): start again
                if self._page_count == counted_at:
                    self._page_keys.clear()
                    if counted_at is not None:
                        self._forget_kept()
                    self._page_count = count
                    if count is not None:  # what was read now is consistent with the count
                        self._page_keys.update(found)
            if not have:  # nothing kept was used: what was read is the page's
                return found
        return found  # the count kept moving: this read alone, nothing kept

    def _counted(self, subjects: dict[str, int]) -> tuple[int | None, dict[str, bytes]]:
        """The erasure count and the stored keys of these subjects (by name), read in one
        statement per few hundred (one snapshot each; None as the count if two disagree)."""
        names = list(subjects)
        if not names:
            rows = self._database.query(f"SELECT count FROM {ERASURES}")
            return int(rows[0][0]), {}
        counts: set[int] = set()
        found: dict[str, bytes] = {}
        for start in range(0, len(names), _CHUNK):
            part = names[start : start + _CHUNK]
            marks = ", ".join("?" for _ in part)
            for count, subject, key in self._database.query(
                f"SELECT e.count, k.subject, k.key FROM {ERASURES} AS e LEFT JOIN "
                f"personal_data_keys AS k ON k.subject IN ({marks})",
                part,
            ):
                counts.add(int(count))
                if subject is not None:
                    found[subject] = bytes(key)
        return (counts.pop() if len(counts) == 1 else None), found

    def openers(self, subjects: dict[int, UUID]) -> dict[int, AESGCM | None]:
        """The ciphers that open a page's sealed fields, by subject (`UUID.int`), with its keys
        read as `page_of` reads them (the erasure count checked in the same statement): a
        subject missing from the result has no key (erased, or never given one); None: its key
        is stored but cannot be unwrapped (the KEK is missing)."""
        stored = self.page_of(subjects)
        if self._kek is None:
            return {i: None for i, key in stored.items() if key}
        kept, unwrapped = self._ciphers.get, self._unwrapped
        return {i: kept(key) or unwrapped(key) for i, key in stored.items() if key}

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
        return unsealed(self._unwrapped(key), subject, sealed)

    # -- the blind index -------------------------------------------------------------------

    def digest(self, kind: str, text: str) -> str:
        """A keyed HMAC of a value for exact-match lookups (a blind index): equal values give
        equal digests, and without the book's index key no value can be guessed from one."""
        self._required()
        message = f"{kind}\x00{text}".encode()
        return hmac.digest(self._index, message, "sha256").hex()

    def document_key(self, document_number: str) -> str:
        """The identity claim's key for a (normalised) identity document number."""
        return self.digest("identity-document", document_number)
