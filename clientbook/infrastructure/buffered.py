"""Views that write a page of changes in bulk: documents and rows buffered until the page ends.

Within a page (`batch`), a view reads a document from the page's buffer first, then from the
documents it kept from earlier pages, then from its table; it writes only to the buffer. At the
end of the page (`_flush`, in the page's transaction, before the tracking position) each table
writes all its changed rows at once: on SQLite in multi-row `INSERT … VALUES (…), (…)`
statements, on PostgreSQL by `COPY` (`BulkTable`). So a
document changed by ten events of a page is read once and written once, and the facts a report
needs of every event (`FactBlocks`) take a row per block of positions, not one per event. A
rebuild's shadow holds its documents back until its swap (`defer_writes`).

Kept documents save the reads of later pages. A view's contents are a function of its position
in the log (for one version of its projection), so what this view held when it stood at a
position is what its tables hold whenever it stands there again; a page that finds the view
elsewhere (another process moved it on or reset it, or a page failed after its documents were
kept) forgets them first. Built from position 0 with nothing let go since, the kept documents
(a shadow's: those it holds for its swap) are all there are: a key not among them has no row,
and is not looked for.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from itertools import chain
from typing import Any, Generic, Hashable, Protocol, TypeVar

import msgspec
from eventsourcing.persistence import Tracking

from clientbook.infrastructure.sql import SqlDatabase
from clientbook.infrastructure.tracking import SqlTrackedView

K = TypeVar("K", bound=Hashable)
D = TypeVar("D")
F = TypeVar("F", bound="Fact")
B = TypeVar("B", bound="PageBuffer")
Row = tuple[Any, ...]

POSTGRES_PARAMETERS = 200
"""Parameters at most in a multi-row statement on PostgreSQL; more rows go by `COPY`. psycopg
parses a statement's text for its placeholders at every call once it has more than 50 (it
caches no larger one), about 2.5 µs a parameter: 0.6 ms at 200, about what an upsert's COPY
costs in round trips to a local server (four), but 64 ms at 30,000, where that parse had been a
third of a rebuild's time on PostgreSQL, before the server's own parse and plan."""
SQLITE_ROWS = 50
"""Rows per multi-row statement on SQLite, run by one `executemany`: a quarter less CPU than a
statement per row (an audit trail's 51k rows: 0.15 s against 0.11 s), and larger statements
gain nothing more. The rows left over go one a statement. (Fewer where a table has so many
columns that SQLite's oldest limit, 999 parameters a statement, would be passed.)"""


class BulkTable:
    """A table's columns, and how a list of rows is written to it in one go. Rows with a `key`
    replace the row of that key (an upsert); without one, they are inserted. `fixed` columns
    never change once a row is in (a customer's number): an upsert leaves them, and so their
    indexes, alone."""

    def __init__(
        self, name: str, columns: Sequence[str], key: Sequence[str] = (), fixed: Sequence[str] = ()
    ) -> None:
        self.name, self.columns = name, tuple(columns)
        kept = {*key, *fixed}
        updates = ", ".join(f"{c} = excluded.{c}" for c in self.columns if c not in kept)
        listed = ", ".join(self.columns)
        self._head = f"INSERT INTO {name} ({listed}) VALUES "
        self._tail = f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}" if key else ""
        # PostgreSQL, more rows than one small statement: COPY, straight in, or (an upsert)
        # into a temporary table of the same columns, then moved in by one statement. The
        # table is emptied after each write (a second may follow in the same transaction) and
        # truncated at each commit: autovacuum never visits a temporary table, so the dead
        # rows of the DELETEs alone would stay for the connection's life, and every later
        # write would read them all again
        stage = f"clientbook_stage_{name}"
        self._copy = f"COPY {stage if key else name} ({listed}) FROM STDIN"
        self._upsert_by_copy = (
            (
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} (LIKE {name}) ON COMMIT DELETE ROWS",
                f"INSERT INTO {name} ({listed}) SELECT {listed} FROM {stage}{self._tail}",
                f"DELETE FROM {stage}",
            )
            if key
            else None
        )
        self._one = f"({', '.join('?' for _ in self.columns)})"
        self._per = max(1, min(SQLITE_ROWS, 999 // len(self.columns)))
        self._sqlite_many = self._head + ", ".join([self._one] * self._per) + self._tail

    def write(self, cursor: Any, dialect: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        width = len(self.columns)
        values = list(chain.from_iterable(rows))  # flattened in C, then cut into statements
        if len(values) != len(rows) * width:
            raise ValueError(f"each row for {self.name} must have {width} values")
        if dialect == "sqlite":
            self._write_sqlite(cursor, rows, values)
        elif len(values) <= POSTGRES_PARAMETERS:
            cursor.execute(self._head + ", ".join([self._one] * len(rows)) + self._tail, values)
        else:
            self._write_postgres(cursor, rows)

    def _write_postgres(self, cursor: Any, rows: Sequence[Row]) -> None:
        """By COPY: into the table itself (plain inserts), or into this connection's temporary
        table of the same columns, then from it into the table by one `INSERT … SELECT … ON
        CONFLICT` (an upsert, which COPY cannot do), and the temporary table emptied again
        (the next write may be in the same transaction)."""
        if self._upsert_by_copy is None:
            cursor.copy_rows(self._copy, rows)
            return
        create, move, empty = self._upsert_by_copy
        cursor.execute(create)
        cursor.copy_rows(self._copy, rows)
        cursor.execute(move)
        cursor.execute(empty)

    def _write_sqlite(self, cursor: Any, rows: Sequence[Row], values: list[Any]) -> None:
        """Full statements of SQLITE_ROWS rows (one text, prepared once), then the rest."""
        per = self._per
        full = len(rows) - len(rows) % per
        if full:
            step = per * len(self.columns)
            cursor.executemany(
                self._sqlite_many,
                [values[i : i + step] for i in range(0, full * len(self.columns), step)],
            )
        if full < len(rows):
            cursor.executemany(self._head + self._one + self._tail, rows[full:])


class PageBuffer:
    """What a view holds for the page being processed."""

    def begin(self, since: int, position: int) -> None:
        """A page from `since` to `position` opens."""

    def flush(self, cursor: Any, dialect: str) -> None:
        """Write the page's changes (the page reaches its position if its transaction commits)."""

    def discard(self) -> None:
        """The page is over, committed or not."""

    def passed_over(self, since: int, position: int) -> None:
        """The view moved on from `since` to `position` without a page: nothing changed."""

    def forget(self) -> None:
        """The view's tables were replaced: what the buffer kept of them is no longer true."""


class Rows(PageBuffer):
    """Rows a page adds to a table (facts, activity): inserted together at the end of the page."""

    def __init__(self, table: BulkTable) -> None:
        self._table = table
        self._rows: list[Row] = []

    def add(self, row: Row) -> None:
        self._rows.append(row)

    def flush(self, cursor: Any, dialect: str) -> None:
        self._table.write(cursor, dialect, self._rows)

    def discard(self) -> None:
        self._rows = []


class Fact(Protocol):
    @property
    def position(self) -> int: ...

    @property
    def on(self) -> date: ...


_UNKNOWN = object()
"""Not among the kept documents (a kept None says the row is known to be absent)."""


class Documents(PageBuffer, Generic[K, D]):
    """One row per key, holding a document: read through the page, written once per page.

    `row` gives the columns to store for a key and its document; `load` reads a document from
    the table (None when there is none). Without `load` the documents are only written."""

    keep = 20_000
    """Documents kept from earlier pages, at most (the most recently used): a live view's bound
    on memory (`keep_up_to` raises it)."""

    def __init__(
        self,
        table: BulkTable,
        row: Callable[[K, D], Row],
        load: Callable[[K], D | None] | None = None,
        prepare: Callable[[list[K]], None] | None = None,
    ) -> None:
        """`prepare`, if given, is told the keys of the documents about to be made rows, at
        most `PREPARED` at a time (a sealing view reads their subjects' data keys at once)."""
        self._table, self._row, self._load = table, row, load
        self._prepare = prepare
        self._keeps = self.keep if load is not None else 0
        self._page: dict[K, D] = {}
        self._kept: OrderedDict[K, D | None] = OrderedDict()  # None: known to be absent
        self._kept_at = 0  # the view's position at which `_kept` is true
        self._complete = True  # `_kept` holds every row (at position 0 there are none)
        self._position: int | None = None  # where the open page leads, if one is open
        self._deferred: dict[K, D] | None = None  # documents not written yet (`defer_writes`)
        self._staged: dict[K, D] | None = None  # the last page's, until it has committed
        self._writes_deferred = False  # this page writes what was deferred (too many held)

    def keep_up_to(self, count: int) -> None:
        """Keep up to `count` documents from earlier pages. A view built from zero knows every
        document it has while it keeps them all; past the bound it must read back each one it
        forgot (30,000 card accounts against the live 20,000: a rebuild spent most of its time
        so)."""
        if self._load is not None:
            self._keeps = count

    def defer_writes(self) -> None:
        """Write documents only when `write_deferred` is called (or once more than `DEFERRED`
        are held), each once, however many pages changed it. For a rebuild's shadow: built
        from zero, private to its rebuild, read by no one before its swap, and thrown away if
        the rebuild dies. Its pages still commit their tracking and their other rows; a page
        whose transaction does not commit takes its documents with it. A card account changes
        in most of a rebuild's pages: at 10,000 accounts the shadow wrote 53,446 documents for
        the 10,000 it ends with. The documents held are the ones `get` finds, not kept a second
        time among the kept ones: at 30,000 accounts, keeping each page's in order too cost 4%
        of a rebuild."""
        self._deferred = {}

    def begin(self, since: int, position: int) -> None:
        self._staged = None  # a page that did not commit (one that did is merged already)
        self._writes_deferred = False
        if since != self._kept_at:
            self._kept.clear()
            self._complete = since == 0
        self._kept_at, self._position = since, position

    def get(self, key: K) -> D | None:
        if self._position is None:  # outside a page: the table as it stands
            return None if self._load is None else self._load(key)
        found = self._page.get(key)
        if found is not None:
            return found
        if self._kept:  # a UUID's hash is computed in Python: no lookup in an empty dict
            kept = self._kept.get(key, _UNKNOWN)
            if kept is not _UNKNOWN:
                return kept  # type: ignore[return-value]
        if self._deferred:  # held for the swap: documents, never None
            found = self._deferred.get(key)
            if found is not None:
                return found
        if self._load is None or self._complete:
            return None
        found = self._load(key)
        self._remember({key: found})
        return found

    def put(self, key: K, document: D) -> None:
        self._page[key] = document

    def flush(self, cursor: Any, dialect: str) -> None:
        assert self._position is not None, "flushed outside a page"
        deferred = self._deferred
        if deferred is None:
            self._write(cursor, dialect, self._page)
            self._remember(self._page)
        elif len(deferred) + len(self._page) > self.DEFERRED:  # memory: write them all now
            self._write(cursor, dialect, {**deferred, **self._page})
            self._writes_deferred = True
            self._complete = False  # from now on, what is not held is read back from the table
        else:  # held until its swap, and found there by `get`: not kept as well
            self._staged = self._page
        self._kept_at = self._position

    DEFERRED = 500_000
    """Documents `defer_writes` holds at most before it writes them all."""

    def committed(self) -> None:
        """The page's transaction committed: what it held back is now to be written."""
        if self._deferred is None:
            return
        if self._writes_deferred:
            self._deferred.clear()
        elif self._staged is not None:
            self._deferred.update(self._staged)
        self._staged, self._writes_deferred = None, False

    def write_deferred(self, cursor: Any, dialect: str) -> None:
        """Write the documents held back (`defer_writes`), in the caller's transaction."""
        if self._deferred:
            self._write(cursor, dialect, self._deferred)
            self._deferred = {}

    def prepare_deferred(self) -> None:
        """Tell `prepare` the keys of the documents held back, now, `PREPARED` at a time (a
        sealing view then reads their subjects' data keys), so that writing them later reads
        nothing more while the key store keeps them."""
        if self._prepare is not None and self._deferred:
            keys = list(self._deferred)
            for start in range(0, len(keys), self.PREPARED):
                self._prepare(keys[start : start + self.PREPARED])

    PREPARED = 50_000
    """Documents prepared and made rows at a time: within what a key store keeps."""

    def _write(self, cursor: Any, dialect: str, documents: dict[K, D]) -> None:
        prepare, row = self._prepare, self._row
        if prepare is None:
            rows = [row(k, d) for k, d in documents.items()]
        else:
            items, rows = list(documents.items()), []
            for start in range(0, len(items), self.PREPARED):
                part = items[start : start + self.PREPARED]
                prepare([k for k, _ in part])
                rows.extend(row(k, d) for k, d in part)
        self._table.write(cursor, dialect, rows)

    def discard(self) -> None:
        self._page, self._position = {}, None

    def passed_over(self, since: int, position: int) -> None:
        if since == self._kept_at:  # what is kept was true at `since`, so it is at `position`
            self._kept_at = position

    def forget(self) -> None:
        self._kept.clear()
        self._complete, self._kept_at = False, -1  # true at no position: read back

    def _remember(self, documents: dict[K, D] | dict[K, D | None]) -> None:
        kept = self._kept
        kept.update(documents)
        for key in documents:
            kept.move_to_end(key)
        while len(kept) > self._keeps:
            kept.popitem(last=False)
            self._complete = False


class FactBlocks(PageBuffer, Generic[F]):
    """Facts a report folds in log order (one per event), kept a block of log positions to a
    row: row n holds the facts at positions n·BLOCK to n·BLOCK + BLOCK - 1, as a JSON list, in
    a table `(block BIGINT PRIMARY KEY, facts TEXT NOT NULL)`. A page writes a row or a few, not
    one per fact, and the rows depend on the positions alone, not on where pages began: a
    rebuild writes the rows the view wrote live.

    Of the blocks a page adds to, only the one holding the position the view stood at (`since`)
    can hold facts already; its earlier facts are read back, or taken from the page before.

    Each row also keeps the earliest business date of its facts (`earliest`), so that a report
    as of a date reads no block after the last one that holds a fact dated by then: the facts
    after it are all dated later, and count for nothing as of that date (`read_for`)."""

    BLOCK = 64
    CHUNK = 256
    """Blocks read per query by `read_for`: memory stays that of a chunk, not of the log."""

    def __init__(
        self, table: str, fact: type[F], rows: Callable[[str, Sequence[Any]], list[Row]]
    ) -> None:
        columns = ["block", "facts", "earliest"]
        self._table, self._rows = BulkTable(table, columns, key=["block"]), rows
        self._encode = msgspec.json.Encoder().encode
        facts = list[fact]  # type: ignore[valid-type]
        self._decode: Callable[[str], list[F]] = msgspec.json.Decoder(facts).decode
        self._page: dict[int, list[F]] = {}
        self._since, self._position = 0, 0
        self._held: tuple[int, list[F] | None] = (0, [])  # a position, its block's facts there

    def begin(self, since: int, position: int) -> None:
        self._since, self._position = since, position

    def add(self, fact: F) -> None:
        self._page.setdefault(fact.position // self.BLOCK, []).append(fact)

    def flush(self, cursor: Any, dialect: str) -> None:
        page, first = self._page, self._since // self.BLOCK
        if first in page:  # the view's block: its earlier facts first
            page[first][:0] = self._held_at(self._since)
        rows = [
            (block, self._encode(facts).decode(), min(f.on for f in facts).isoformat())
            for block, facts in page.items()
        ]
        self._table.write(cursor, dialect, rows)
        block = self._position // self.BLOCK
        held: list[F] | None
        if block in page:
            held = page[block]
        elif block != first:
            held = []  # a block after the view's, which has no facts yet
        else:  # the view's block, which this page left alone
            at, facts = self._held
            held = facts if at == self._since else None
        self._held = (self._position, held)

    def discard(self) -> None:
        self._page = {}

    def forget(self) -> None:
        self._held = (-1, None)  # true at no position: read back

    def passed_over(self, since: int, position: int) -> None:
        """As `flush` leaves what it holds after a page without facts."""
        at, facts = self._held
        if position // self.BLOCK != since // self.BLOCK:
            self._held = (position, [])  # a block after the view's, which has no facts yet
        else:
            self._held = (position, facts if at == since else None)

    def read(self, up_to: int | None) -> list[F]:
        """Every fact up to a position (all without one), in log order."""
        last = 2**62 if up_to is None else up_to
        rows = self._rows(
            f"SELECT facts FROM {self._table.name} WHERE block <= ? ORDER BY block",
            (last // self.BLOCK,),
        )
        return [fact for (text,) in rows for fact in self._decode(text) if fact.position <= last]

    def read_for(self, after: int, up_to: int, on: date) -> tuple[int, Iterator[F]]:
        """The facts after a position and up to another that a report as of `on` must fold, in
        log order, read a chunk of blocks at a time; and the position they are complete to
        (`up_to`, or the end of the last block holding a fact dated by `on`, if earlier: the
        facts left out after it are all dated later)."""
        first, last = (after + 1) // self.BLOCK, up_to // self.BLOCK
        rows = self._rows(
            f"SELECT max(block) FROM {self._table.name} WHERE block >= ? AND block <= ? "
            "AND earliest <= ?",
            (first, last, on.isoformat()),
        )
        needed = rows[0][0] if rows and rows[0][0] is not None else first - 1
        through = up_to if needed >= last else max(after, (needed + 1) * self.BLOCK - 1)
        return through, self._chunks(first, min(needed, last), after, up_to)

    def _chunks(self, first: int, last: int, after: int, up_to: int) -> Iterator[F]:
        for start in range(first, last + 1, self.CHUNK):
            rows = self._rows(
                f"SELECT facts FROM {self._table.name} WHERE block >= ? AND block <= ? "
                "ORDER BY block",
                (start, min(last, start + self.CHUNK - 1)),
            )
            for (text,) in rows:
                for fact in self._decode(text):
                    if after < fact.position <= up_to:
                        yield fact

    def _held_at(self, position: int) -> list[F]:
        """The facts of the block holding `position`, as the table holds them there."""
        at, facts = self._held
        if at == position and facts is not None:
            return facts
        if position == 0:
            return []
        rows = self._rows(
            f"SELECT facts FROM {self._table.name} WHERE block = ?", (position // self.BLOCK,)
        )
        return self._decode(rows[0][0]) if rows else []


class BufferedView(SqlTrackedView):
    """A SQL view whose tables buffer each page and write it in bulk (see the module's text).
    A subclass makes its buffers in `__init__` with `self._buffered(…)`."""

    def __init__(self, database: SqlDatabase, name: str | None = None) -> None:
        self._buffers: list[PageBuffer] = []
        super().__init__(database, name)

    def _buffered(self, buffer: B) -> B:
        self._buffers.append(buffer)
        return buffer

    def keep_documents(self, count: int) -> None:
        """Let each table of documents keep up to `count` of them (`Documents.keep_up_to`)."""
        for buffer in self._tables_of_documents():
            buffer.keep_up_to(count)

    def defer_writes(self) -> None:
        """Write each document once, when `write_deferred` is called (`Documents.defer_writes`):
        for a rebuild's shadow."""
        for buffer in self._tables_of_documents():
            buffer.defer_writes()

    def prepare_deferred(self) -> None:
        """Prepare the documents held back for writing (`Documents.prepare_deferred`)."""
        for buffer in self._tables_of_documents():
            buffer.prepare_deferred()

    def write_deferred(self) -> None:
        """Write the documents held back, in a transaction of their own."""
        with self.database.transaction() as cursor:
            for buffer in self._tables_of_documents():
                buffer.write_deferred(cursor, self.database.dialect)

    def _tables_of_documents(self) -> list[Documents[Any, Any]]:
        return [buffer for buffer in self._buffers if isinstance(buffer, Documents)]

    def _committed(self) -> None:
        for buffer in self._tables_of_documents():
            buffer.committed()

    def _passed_over(self, since: int, position: int) -> None:
        for buffer in self._buffers:
            buffer.passed_over(since, position)

    def forget_kept(self) -> None:
        for buffer in self._buffers:
            buffer.forget()

    @contextmanager
    def batch(self, tracking: Tracking) -> Iterator[int]:
        with super().batch(tracking) as since:
            for buffer in self._buffers:
                buffer.begin(since, tracking.notification_id)
            yield since

    def _flush(self, cursor: Any) -> None:
        for buffer in self._buffers:
            buffer.flush(cursor, self.database.dialect)

    def _discard(self) -> None:
        for buffer in self._buffers:
            buffer.discard()
