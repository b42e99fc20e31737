"""The audit trail as an SQL index of the log, and the reader that fetches its events back.

One row per event, no changes and no personal data: a page's rows are buffered and written with
one `executemany` when the page commits, before its tracking position. An entry's changes are
read from the log when asked for (`LogReader`), decoded by the book's mapper, which opens sealed
personal fields then, or reads them as erased once their key is gone.

Every index of the table grows at its end (position, time recorded, business date, and actor,
which has few values): a page's rows touch a few pages of each, so writing them costs the same
however long the log. There is no index by aggregate, whose rows would land all over it (on
SQLite each commit rewrites every page it touched): the log already keeps each aggregate's
events together, so an aggregate's entries are found by reading its events from the log and
looking up the times they were recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

import msgspec
from eventsourcing.persistence import ApplicationRecorder, Mapper

from clientbook.infrastructure.sql import SqlDatabase
from clientbook.infrastructure.tracking import SqlTrackedView
from clientbook.projections.audit import AuditEntry, AuditTrailView, IndexEntry, changes_of

SPAN = 1000
"""At most this many positions read by one select of the log."""
GAP = 50
"""Positions this close share a select: reading a few rows more is cheaper than a query more."""
MANY_VALUES = 1000
"""Values in one `IN (…)` list at most."""
MANY_ROWS = 1000
"""Rows per INSERT where a cursor has no `executemany` (8,000 parameters of the 65,535 allowed)."""


class Log(Protocol):
    """The book's log, read back: events decoded, sealed fields opened or read as erased."""

    def at(self, positions: Sequence[int]) -> Mapping[int, Any]:
        """The events at these positions: position -> event."""

    def of(self, aggregate: UUID) -> Sequence[Any]:
        """The aggregate's events, in version order."""


class LogReader:
    """The application's log read back by position (selected in spans of positions) or by
    aggregate, and decoded by its mapper."""

    def __init__(
        self,
        recorder: ApplicationRecorder,
        mapper: Mapper[UUID],
        *,
        gap: int = GAP,
        span: int = SPAN,
    ) -> None:
        self._recorder = recorder
        self._mapper = mapper
        self._gap = gap
        self._span = span

    def at(self, positions: Sequence[int]) -> dict[int, Any]:
        wanted = set(positions)
        found: dict[int, Any] = {}
        for first, last in spans(sorted(wanted), self._gap, self._span):
            for notification in self._recorder.select_notifications(
                start=first, limit=last - first + 1, stop=last, inclusive_of_start=True
            ):
                if notification.id in wanted:
                    found[notification.id] = self._mapper.to_domain_event(notification)
        return found

    def of(self, aggregate: UUID) -> list[Any]:
        return [self._mapper.to_domain_event(s) for s in self._recorder.select_events(aggregate)]


def spans(positions: Sequence[int], gap: int, span: int) -> Iterator[tuple[int, int]]:
    """(first, last) ranges covering the sorted `positions`: one that lies within `gap` of the
    one before it joins its range, unless the range would then cover more than `span`."""
    first = last = None
    for position in positions:
        if first is None or last is None:
            first = last = position
        elif position - last <= gap and position - first < span:
            last = position
        else:
            yield first, last
            first = last = position
    if first is not None and last is not None:
        yield first, last


class SqlAuditTrailView(SqlTrackedView, AuditTrailView):
    name = "audit_trail"
    tables = ("audit_trail",)
    schema = (
        "CREATE TABLE IF NOT EXISTS audit_trail (position BIGINT PRIMARY KEY, "
        "recorded_at TEXT NOT NULL, business_date TEXT, actor TEXT NOT NULL, "
        "aggregate_type TEXT NOT NULL, aggregate_id TEXT NOT NULL, version BIGINT NOT NULL, "
        "event_type TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS audit_trail_recorded_at ON audit_trail (recorded_at)",
        "CREATE INDEX IF NOT EXISTS audit_trail_actor ON audit_trail (actor, position)",
        "CREATE INDEX IF NOT EXISTS audit_trail_business_date ON audit_trail (business_date)",
    )
    _COLUMNS = (
        "position, recorded_at, business_date, actor, aggregate_type, aggregate_id, "
        "version, event_type"
    )
    _INSERT = f"INSERT INTO audit_trail ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"

    def __init__(self, database: SqlDatabase, log: Log | None = None) -> None:
        """`log` is where entries' changes are read from; a view that is only written (a
        rebuild's shadow, made with its database alone) needs none."""
        super().__init__(database)
        self._log = log
        self._page: list[tuple[Any, ...]] = []

    def index(self, entry: IndexEntry) -> None:
        on = entry.business_date
        self._page.append(
            (
                entry.position,
                entry.recorded_at.isoformat(),
                None if on is None else on.isoformat(),
                entry.actor,
                entry.aggregate_type,
                str(entry.aggregate_id),
                entry.version,
                entry.event_type,
            )
        )

    def _flush(self, cursor: Any) -> None:
        if self._page:
            executemany(cursor, self._INSERT, self._page)

    def _discard(self) -> None:
        self._page = []

    def entries(
        self,
        *,
        aggregate: UUID | None = None,
        actor: str | None = None,
        event_type: str | None = None,
        recorded_from: datetime | None = None,
        recorded_to: datetime | None = None,
        on_from: date | None = None,
        on_to: date | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        conditions = [
            ("actor = ?", actor),
            ("event_type = ?", event_type),
            ("recorded_at >= ?", _iso(recorded_from)),
            ("recorded_at < ?", _iso(recorded_to)),
            ("business_date >= ?", _iso(on_from)),
            ("business_date <= ?", _iso(on_to)),
        ]
        used = [(sql, value) for sql, value in conditions if value is not None]
        where = " AND ".join(sql for sql, _ in used) or "1 = 1"
        params = [value for _, value in used]
        tail = " ORDER BY position" + ("" if limit is None else f" LIMIT {int(limit)}")
        log = self._reader()
        if aggregate is not None:
            return self._entries_of(log, aggregate, where + tail, params, limit)
        rows = self._rows(f"SELECT {self._COLUMNS} FROM audit_trail WHERE {where}{tail}", params)
        events = log.at([int(r[0]) for r in rows])
        return [_entry(r, events.get(int(r[0]))) for r in rows]

    def _reader(self) -> Log:
        if self._log is None:
            raise RuntimeError(f"this {self.name} view was made without the log to read from")
        return self._log

    def _entries_of(
        self, log: Log, aggregate: UUID, where: str, params: list[Any], limit: int | None
    ) -> list[AuditEntry]:
        """An aggregate's entries: its events read from the log, and their rows found by the
        times they were recorded (first, so that no other index is used to find them)."""
        logged = {e.originator_version: e for e in log.of(aggregate)}
        rows: list[tuple[Any, ...]] = []
        for stamps in _chunks(sorted({e.timestamp.isoformat() for e in logged.values()})):
            mine = (
                f"SELECT {self._COLUMNS} FROM audit_trail WHERE aggregate_id = ? "
                f"AND recorded_at IN ({', '.join('?' * len(stamps))})"
            )
            rows += self._rows(
                f"WITH mine AS MATERIALIZED ({mine}) "
                f"SELECT {self._COLUMNS} FROM mine WHERE {where}",
                [str(aggregate), *stamps, *params],
            )
        rows.sort(key=lambda r: int(r[0]))
        return [_entry(r, logged.get(int(r[6]))) for r in rows[:limit]]

    def versions(
        self, aggregate_type: str, *, on: date | None = None, position: int | None = None
    ) -> dict[UUID, int]:
        rows = self._rows(
            "SELECT aggregate_id, version, business_date, position FROM audit_trail "
            "WHERE aggregate_type = ? ORDER BY aggregate_id, version",
            (aggregate_type,),
        )
        versions: dict[UUID, int] = {}
        reached: dict[str, int] = {}
        stopped: set[str] = set()
        for aggregate_id, version, business_date, at in rows:
            late = (
                on is not None and business_date is not None and business_date > on.isoformat()
            ) or (position is not None and int(at) > position)
            gap = int(version) != reached.get(aggregate_id, 0) + 1  # an event left out
            if late or gap:
                stopped.add(aggregate_id)
            elif aggregate_id not in stopped:
                reached[aggregate_id] = int(version)
                versions[UUID(aggregate_id)] = int(version)
        return versions


def _entry(row: tuple[Any, ...], event: Any) -> AuditEntry:
    position = int(row[0])
    if event is None:
        raise LookupError(f"the audit trail indexes log position {position}, which the log lacks")
    return AuditEntry(
        position=position,
        recorded_at=datetime.fromisoformat(row[1]),
        business_date=None if row[2] is None else date.fromisoformat(row[2]),
        actor=row[3],
        aggregate_type=row[4],
        aggregate_id=UUID(row[5]),
        version=int(row[6]),
        event_type=row[7],
        changes=msgspec.json.decode(msgspec.json.encode(changes_of(event))),
    )


def executemany(cursor: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """`sql` (an INSERT of one row of `?`s) for every row, in as few statements as the cursor
    allows: its own `executemany` (SQLite's); else, for the PostgreSQL adapter of sql.py, which
    has none, one INSERT of many rows per MANY_ROWS."""
    many = getattr(cursor, "executemany", None)
    if many is not None:
        many(sql, rows)
        return
    head, _, one = sql.partition(" VALUES ")
    for start in range(0, len(rows), MANY_ROWS):
        chunk = rows[start : start + MANY_ROWS]
        cursor.execute(
            f"{head} VALUES {', '.join([one] * len(chunk))}",
            [value for row in chunk for value in row],
        )


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), MANY_VALUES):
        yield items[start : start + MANY_VALUES]


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()
