"""The book's side of trust: its chain read back, checkpoints signed and kept, verification,
sealing a log written before the chain, and the export an auditor verifies offline.

The chain is written by the recorders (chain.py); the rules that check it are in
clientbook/verify.py, the module an auditor runs without the book. Checkpoints live in the
book's database (`log_checkpoints`), signed with a key that does not (signing.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence
from uuid import UUID

from attrs import frozen

from clientbook.domain.errors import DomainError
from clientbook.infrastructure.chain import POSTGRES_EVENTS, SQLITE_EVENTS, chain_table
from clientbook.infrastructure.signing import SigningKeyError, SigningKeyProvider, public_pem
from clientbook.infrastructure.sql import SqlDatabase
from clientbook.verify import (
    GENESIS,
    UNCHAINED,
    ChainCheck,
    Checkpoint,
    Damage,
    Entry,
    Event,
    Link,
    Verdict,
    check_checkpoints,
    export_lines,
    link,
)

PAGE = 2000
BEFORE_ALL = -(2**63)
"""Before every position: a SQLite row can be put below rowid 1 by hand, and is read too."""
PROGRESS_EVERY = 1000
"""Positions between two calls of a progress callback."""
Progress = Callable[[int, int], None]
"""A progress callback: (position reached, last position)."""


@frozen
class Vouching:
    """Whether the log still holds a report's link, and the checkpoint that vouches for it."""

    unchanged: bool
    checkpoint: int | None
    """The number of the first signed checkpoint at or after the position (None: none yet)."""
    damage: str | None


class UnchainedStoreError(DomainError):
    """This book keeps no hash chain (it lives in memory)."""


class AlreadyChainedError(DomainError):
    """--seal-existing on a log that is chained already."""


@frozen
class LogTables:
    """Where a store keeps its events and their chain, and how it names positions."""

    events: str
    position: str
    hex_ids: bool  # SQLite stores UUIDs as 32 hex digits
    links_in_rows: bool  # SQLite keeps each link in its event's row; the chain is a view

    @property
    def chain(self) -> str:
        return chain_table(self.events)


def log_tables(kind: str) -> LogTables:
    if kind == "sqlite":
        return LogTables(SQLITE_EVENTS, "rowid", True, True)
    if kind == "postgresql":
        return LogTables(POSTGRES_EVENTS, "notification_id", False, False)
    raise UnchainedStoreError(
        "a book in memory keeps no hash chain; open a SQLite or "
        "PostgreSQL book to verify, checkpoint or export its log"
    )


class LogTrust:
    """The chain, the checkpoints and their key, for one book's store."""

    def __init__(self, database: SqlDatabase, kind: str, signing: SigningKeyProvider) -> None:
        self._database = database
        self.kind = kind
        self.signing = signing
        self._created = False

    @property
    def tables(self) -> LogTables:
        return log_tables(self.kind)

    def _checkpoint_table(self) -> None:
        if self._created:
            return
        blob = "BYTEA" if self._database.dialect == "postgresql" else "BLOB"
        number = "BIGSERIAL" if self._database.dialect == "postgresql" else "INTEGER"
        self._database.create(
            [
                f"CREATE TABLE IF NOT EXISTS log_checkpoints (number {number} PRIMARY KEY, "
                f"position BIGINT NOT NULL, seq BIGINT NOT NULL, link {blob} NOT NULL, "
                "recorded_at TEXT NOT NULL, business_date TEXT, note TEXT NOT NULL, "
                f"signature {blob} NOT NULL)"
            ]
        )
        self._created = True

    # -- reading the log and its chain

    def entries(self, after: int = BEFORE_ALL, upto: int | None = None) -> Iterator[Entry]:
        """What the log holds at each position after `after` (to `upto`), event and link
        merged by position, as stored. The end is fixed first: events and links are read in
        separate statements, and one written meanwhile (past that end) is left for next time."""
        end_now = self._last_position()
        upto = end_now if upto is None else min(upto, end_now)
        while True:
            events = self._events(after, upto)
            end = events[-1].position if len(events) == PAGE else upto
            links = self._links(after, end)
            yield from _merged(events, links)
            if len(events) < PAGE:
                return
            after = events[-1].position

    def _events(self, after: int, upto: int | None) -> list[Event]:
        """The page of events after `after`, none past `upto`. The end is applied here, not in
        the statement: with two bounds and no statistics yet (a log that has just grown),
        PostgreSQL reads every row after `after` and sorts them for each page, which makes a
        whole-log verify quadratic; with one bound, ORDER BY and LIMIT walk the index."""
        t = self.tables
        rows = self._database.query(
            f"SELECT {t.position}, originator_id, originator_version, topic, state "
            f"FROM {t.events} WHERE {t.position} > ? ORDER BY {t.position} LIMIT {PAGE}",
            (after,),
        )
        end = _upto(upto)
        return [
            Event(p, _canonical(a), v, topic, _bytes(state))
            for p, a, v, topic, state in rows
            if p <= end
        ]

    def _links(self, after: int, upto: int | None) -> list[Link]:
        rows = self._database.query(
            f"SELECT position, seq, link FROM {self.tables.chain} "
            "WHERE position > ? AND position <= ? ORDER BY position",
            (after, _upto(upto)),
        )
        return [Link(p, seq, bytes(value)) for p, seq, value in rows]

    def head(self) -> Link | None:
        """The chain's last link (None while the chain is empty)."""
        rows = self._database.query(
            f"SELECT position, seq, link FROM {self.tables.chain} ORDER BY position DESC LIMIT 1"
        )
        return Link(rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None

    def link_at(self, position: int) -> Link | None:
        """The chain's link at a position (position 0: the empty log's); None if the book keeps
        no chain, or none at that position."""
        if self.kind == "memory":
            return None
        if position == 0:
            return Link(0, 0, GENESIS)
        rows = self._database.query(
            f"SELECT position, seq, link FROM {self.tables.chain} WHERE position = ?", (position,)
        )
        return Link(rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None

    def vouch(self, position: int, seq: int, link_hex: str) -> Vouching:
        """Does the chain still have this link at `position` (one indexed read), and is the
        chain sound up to the first checkpoint covering it (recomputed, signature checked)?"""
        found = self.link_at(position)
        if found is None or (found.seq, found.link.hex()) != (seq, link_hex):
            return Vouching(
                False,
                None,
                f"the log's chain at position {position} is not the one the report was made from",
            )
        covering = sorted(self.checkpoints(position), key=lambda c: (c.position, c.number))
        upto = covering[0].position if covering else position
        verdict = self.verify(1, upto) if upto else Verdict()
        if not verdict.ok:
            return Vouching(False, None, verdict.summary())
        return Vouching(True, covering[0].number if covering else None, None)

    def _last_position(self) -> int:
        t = self.tables
        rows = self._database.query(f"SELECT max({t.position}) FROM {t.events}")
        chain = self.head()
        return max(rows[0][0] or 0, chain.position if chain else 0)

    def _link_before(self, position: int) -> Link | None:
        rows = self._database.query(
            f"SELECT position, seq, link FROM {self.tables.chain} WHERE position < ? "
            "ORDER BY position DESC LIMIT 1",
            (position,),
        )
        return Link(rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None

    # -- checkpoints

    def checkpoint(self, *, on: date | None = None, note: str = "") -> Checkpoint:
        """Sign the chain's link at its head now, and keep the checkpoint."""
        self._checkpoint_table()
        key = self._existing_key().private_key()
        head = self.head() or Link(0, 0, GENESIS)
        if head.position == 0 and self._last_position() > 0:
            raise UnchainedStoreError(_unchained_message())
        return self._store(_signed(key, head, on, note))

    def _store(self, checkpoint: Checkpoint) -> Checkpoint:
        c = checkpoint
        with self._database.transaction() as cursor:
            cursor.execute(
                "INSERT INTO log_checkpoints (position, seq, link, recorded_at, business_date, "
                "note, signature) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING number",
                (c.position, c.seq, c.link, c.recorded_at, c.business_date, c.note, c.signature),
            )
            number = cursor.fetchone()[0]
        return replace(checkpoint, number=number)

    def checkpoints(self, first: int = 0, last: int | None = None) -> list[Checkpoint]:
        self._checkpoint_table()
        rows = self._database.query(
            "SELECT number, position, seq, link, recorded_at, business_date, note, signature "
            "FROM log_checkpoints WHERE position >= ? AND position <= ? ORDER BY number",
            (first, _upto(last)),
        )
        return [
            Checkpoint(
                position=p,
                seq=s,
                link=bytes(k),
                recorded_at=r,
                business_date=b,
                note=n,
                signature=bytes(sig),
                number=number,
            )
            for number, p, s, k, r, b, n, sig in rows
        ]

    def public_key_pem(self) -> str:
        return public_pem(self._existing_key().public_key())

    def _existing_key(self) -> SigningKeyProvider:
        """The provider, unless its key would be made anew for a book that has checkpoints
        already (signed by a key that has gone missing)."""
        if not self.signing.has_key() and self.checkpoints(0, None):
            where = getattr(self.signing, "path", "the signing key")
            raise SigningKeyError(
                f"{where} is missing, but it signed this book's checkpoints: restore it (or set "
                "CLIENTBOOK_SIGNING_KEY to it); a new key would make them all fail"
            )
        return self.signing

    # -- verification

    def verify(
        self,
        first: int = 1,
        last: int | None = None,
        *,
        public_key: Any = None,
        progress: Progress | None = None,
    ) -> Verdict:
        """Recompute the chain over positions first..last, check versions and every
        checkpoint there (signature and link); the verdict names the first damage."""
        checkpoints = self.checkpoints(first, last)
        if public_key is None and checkpoints:  # no key needed where nothing is signed
            public_key = self._existing_key().public_key()
        end = self._last_position()
        if end and self.head() is None:
            return Verdict(
                first=first, last=end, damage=Damage(UNCHAINED, first, _unchained_message())
            )
        previous = self._link_before(first) if first > 1 else None
        check = ChainCheck(previous, from_start=first <= 1 or previous is None)
        check.wanted = {c.position for c in checkpoints}
        after = first - 1 if first > 1 else BEFORE_ALL
        for count, entry in enumerate(self.entries(after, last), start=1):
            if not check.feed([entry]):
                break
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(entry.position, last or end)
        verdict = check.finish()
        if progress is not None:
            progress(last or end, last or end)
        return check_checkpoints(checkpoints, check.links, verdict, public_key, end)

    # -- a log written before the chain

    def seal_existing(self) -> Checkpoint:
        """Chain the events a book wrote before it had a chain, under the log's write lock,
        and say so in a signed checkpoint."""
        self._existing_key().private_key()  # refuse before writing anything without a key
        t = self.tables
        with self._database.transaction() as cursor:
            if self._database.dialect == "postgresql":
                cursor.execute(f"LOCK TABLE {t.events} IN EXCLUSIVE MODE")
            cursor.execute(f"SELECT count(*) FROM {t.chain}")
            if cursor.fetchone()[0]:
                raise AlreadyChainedError("the log is chained already: nothing to seal")
            head = self._seal(cursor)
        note = f"sealed the {head.seq} events written before the chain, as found"
        return self.checkpoint(note=note)

    def _seal(self, cursor: Any) -> Link:
        t = self.tables
        head, after = Link(0, 0, GENESIS), 0
        while True:
            cursor.execute(
                f"SELECT {t.position}, originator_id, originator_version, topic, state "
                f"FROM {t.events} WHERE {t.position} > ? ORDER BY {t.position} LIMIT {PAGE}",
                (after,),
            )
            rows = cursor.fetchall()
            links = []
            for p, a, v, topic, state in rows:
                value = link(head.link, head.seq + 1, p, _canonical(a), v, topic, _bytes(state))
                head = Link(p, head.seq + 1, value)
                links.append((head.seq, p, value))
            for seq, position, value in links:
                if t.links_in_rows:
                    cursor.execute(
                        f"UPDATE {t.events} SET chain_seq = ?, chain_link = ? WHERE rowid = ?",
                        (seq, value, position),
                    )
                else:
                    cursor.execute(
                        f"INSERT INTO {t.chain} (seq, position, link) VALUES (?, ?, ?)",
                        (seq, position, value),
                    )
            if len(rows) < PAGE:
                return head
            after = rows[-1][0]

    # -- the export

    def export(self, path: Path, progress: Progress | None = None) -> int:
        """Write the log as stored, its links, the checkpoints and the public key to `path`;
        returns the number of positions written."""
        counted, checkpoints = [0], self.checkpoints()
        try:
            key = self.public_key_pem()
        except SigningKeyError:
            if checkpoints:
                raise
            key = ""  # nothing signed: the export needs no key
        with path.open("w", encoding="utf-8", errors="surrogateescape") as file:
            for line in export_lines(self._counted(progress, counted), checkpoints, key):
                file.write(line + "\n")
        return counted[0]

    def _counted(self, progress: Progress | None, counted: list[int]) -> Iterator[Entry]:
        end = self._last_position()
        for entry in self.entries():
            counted[0] += 1
            if progress is not None and counted[0] % PROGRESS_EVERY == 0:
                progress(entry.position, end)
            yield entry


def _merged(events: Sequence[Event], links: Sequence[Link]) -> Iterator[Entry]:
    """Events and links of one page, one Entry per position either has."""
    by_position = {row.position: row for row in links}
    events_at = {e.position: e for e in events}
    for position in sorted(by_position.keys() | events_at.keys()):
        yield Entry(position, events_at.get(position), by_position.get(position))


def _canonical(aggregate_id: Any) -> str:
    """An aggregate id as the chain hashes it (SQLite stores 32 hex digits, PostgreSQL a UUID)."""
    if isinstance(aggregate_id, str) and len(aggregate_id) == 32:
        h = aggregate_id.lower()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return str(aggregate_id if isinstance(aggregate_id, UUID) else UUID(str(aggregate_id)))


def _bytes(value: Any) -> bytes:
    """A stored value as bytes; text, if someone turned the column's value into text."""
    return value.encode() if isinstance(value, str) else bytes(value)


def _upto(last: int | None) -> int:
    return 2**62 if last is None else last


def _signed(key: Any, head: Link, on: date | None, note: str) -> Checkpoint:
    unsigned = Checkpoint(
        position=head.position,
        seq=head.seq,
        link=head.link,
        recorded_at=datetime.now(timezone.utc).isoformat(timespec="microseconds"),
        business_date=None if on is None else on.isoformat(),
        note=note,
        signature=b"",
    )
    return replace(unsigned, signature=key.sign(unsigned.message()))


def _unchained_message() -> str:
    return (
        "the log was written before the book kept a hash chain and is unchained: run "
        "`clientbook verify --seal-existing` to chain it as it stands"
    )
