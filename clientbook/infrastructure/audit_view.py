"""The audit trail as an SQL index of the log, and the reader that fetches its events back.

One row per event, no changes and no personal data: a page's rows are buffered and written in
bulk (`BulkTable`) when the page commits, before its tracking position. An entry's changes are
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
from datetime import date, datetime, timedelta, timezone
from typing import Any, Protocol
from uuid import UUID

import msgspec
from eventsourcing.persistence import ApplicationRecorder, Mapper

from clientbook.domain.as_of import AsOf
from clientbook.domain.customer import (
    CONTACT_DETAILS,
    ERASED,
    WITHDRAWN,
    Customer,
    withdrawn_consents,
)
from clientbook.infrastructure.buffered import BulkTable
from clientbook.infrastructure.sql import SqlDatabase
from clientbook.infrastructure.tracking import SqlTrackedView
from clientbook.projections.audit import (
    AuditEntry,
    AuditTrailView,
    Indexed,
    changes_of,
    entry_of,
)
from clientbook.projections.view import decode_page

SPAN = 1000
"""At most this many positions read by one select of the log."""
GAP = 50
"""Positions this close share a select: reading a few rows more is cheaper than a query more."""
HEXES_KEPT = 200_000
"""Aggregates' hex digits kept at most (then forgotten all at once)."""
MANY_VALUES = 1000
"""Values in one `IN (…)` list at most."""
TRAIL = BulkTable(
    "audit_trail",
    [
        "position",
        "recorded_micros",
        "business_date",
        "actor",
        "aggregate_type",
        "aggregate_id",
        "version",
        "event_type",
    ],
)


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
            page = [
                n
                for n in self._recorder.select_notifications(
                    start=first, limit=last - first + 1, stop=last, inclusive_of_start=True
                )
                if n.id in wanted
            ]
            found.update(zip((n.id for n in page), decode_page(self._mapper, page)))
        return found

    def of(self, aggregate: UUID) -> list[Any]:
        return decode_page(self._mapper, self._recorder.select_events(aggregate))


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
    """The index of the log; an entry is made from the event it indexes, read from the log."""

    name = "audit_trail"
    tables = ("audit_trail",)
    schema: tuple[str, ...] = (
        "CREATE TABLE IF NOT EXISTS audit_trail (position BIGINT PRIMARY KEY, "
        "recorded_micros BIGINT NOT NULL, business_date TEXT, actor TEXT NOT NULL, "
        "aggregate_type TEXT NOT NULL, aggregate_id TEXT NOT NULL, version BIGINT NOT NULL, "
        "event_type TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS audit_trail_recorded ON audit_trail (recorded_micros)",
        "CREATE INDEX IF NOT EXISTS audit_trail_actor ON audit_trail (actor, position)",
        "CREATE INDEX IF NOT EXISTS audit_trail_business_date ON audit_trail (business_date)",
    )
    """The time recorded is kept as microseconds since 1970 (UTC), a small key for the index
    that finds an aggregate's entries, and the aggregate's id as 32 hex digits (cheaper to
    make than its text with hyphens); the entry itself reads both from its event."""

    def __init__(self, database: SqlDatabase, log: Log | None = None) -> None:
        """`log` is where entries' events are read from; a view that is only written (a
        rebuild's shadow, made with its database alone) needs none."""
        if database.dialect == "sqlite":  # the key is the table's rowid: no B-tree of its own
            table, *indexes = self.schema
            self.schema = (table.replace("BIGINT PRIMARY KEY", "INTEGER PRIMARY KEY"), *indexes)
        super().__init__(database)
        self._log = log
        self._page: list[tuple[Any, ...]] = []
        self._iso: dict[date, str] = {}  # each business date's text, made once (one a day)
        self._hexes: dict[int, str] = {}  # each aggregate's id as hex digits, by its integer

    def index(self, entries: Sequence[Indexed]) -> None:
        """The rows of a page's entries. Per event this is most of what a rebuild pays for the
        trail in Python, so each date's text and each aggregate's hex digits are made once
        (`_hexes` by the id's integer: a UUID's own hash is computed in Python), and the time
        recorded is turned into microseconds inline (`_micros` for a page that has a moment
        without a time zone)."""
        iso, hexes = self._iso, self._hexes
        if len(hexes) > HEXES_KEPT:
            hexes.clear()
        try:
            rows = [
                (
                    position,
                    ((d := recorded_at - _EPOCH).days * 86_400 + d.seconds) * 1_000_000
                    + d.microseconds,
                    None if on is None else iso.get(on) or iso.setdefault(on, on.isoformat()),
                    actor,
                    kind,
                    hexes.get(i := aggregate_id.int) or hexes.setdefault(i, f"{i:032x}"),
                    version,
                    event_type,
                )
                for position, recorded_at, on, actor, kind, aggregate_id, version, event_type in (
                    entries
                )
            ]
        except TypeError:  # a moment without a time zone: taken as UTC, as `_micros` takes it
            self.index([(p, _utc(r), o, a, k, i, v, t) for p, r, o, a, k, i, v, t in entries])
            return
        self._page.extend(rows)

    def _flush(self, cursor: Any) -> None:
        """The page's rows, in bulk."""
        if self._page:
            TRAIL.write(cursor, self.database.dialect, self._page)

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
            ("recorded_micros >= ?", None if recorded_from is None else _micros(recorded_from)),
            ("recorded_micros < ?", None if recorded_to is None else _micros(recorded_to)),
            ("business_date >= ?", None if on_from is None else on_from.isoformat()),
            ("business_date <= ?", None if on_to is None else on_to.isoformat()),
        ]
        used = [(sql, value) for sql, value in conditions if value is not None]
        where = " AND ".join(sql for sql, _ in used) or "1 = 1"
        params = [value for _, value in used]
        tail = " ORDER BY position" + ("" if limit is None else f" LIMIT {int(limit)}")
        log = self._reader()
        if aggregate is not None:
            return self._entries_of(log, aggregate, where + tail, params, limit)
        selected = self._rows(f"SELECT position FROM audit_trail WHERE {where}{tail}", params)
        positions = [int(p) for (p,) in selected]
        events = log.at(positions)
        hidden = _Withdrawn(log)
        return [_entry(p, events.get(p), hidden) for p in positions]

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
        for times in _chunks(sorted({_micros(e.timestamp) for e in logged.values()})):
            mine = (
                "SELECT position, version, recorded_micros, business_date, actor, event_type "
                "FROM audit_trail WHERE aggregate_id = ? "
                f"AND recorded_micros IN ({', '.join('?' * len(times))})"
            )
            rows += self._rows(
                f"WITH mine AS MATERIALIZED ({mine}) SELECT position, version FROM mine "
                f"WHERE {where}",
                [aggregate.hex, *times, *params],
            )
        found = sorted((int(position), int(version)) for position, version in rows)[:limit]
        hidden = _Withdrawn(log, {aggregate: list(logged.values())})
        return [_entry(position, logged.get(version), hidden) for position, version in found]

    def versions(
        self, aggregate_type: str, *, on: date | None = None, position: int | None = None
    ) -> dict[UUID, int]:
        rows = self._rows(
            "SELECT aggregate_id, version, business_date, position FROM audit_trail "
            "WHERE aggregate_type = ? ORDER BY aggregate_id, version",
            (aggregate_type,),
        )
        versions: dict[UUID, int] = {}
        rule = AsOf(on)  # the one as-of rule, over each aggregate's events in version order
        for aggregate_id, version, business_date, at in rows:
            version = int(version)
            if version != versions.get(UUID(aggregate_id), 0) + 1:  # an event left out
                rule.stop(aggregate_id, version)
            if position is not None and int(at) > position:
                rule.stop(aggregate_id, version)
            if rule.counts(aggregate_id, version, _date(business_date)):
                versions[UUID(aggregate_id)] = version
        return versions


def _date(value: date | str | None) -> date | None:
    """A business date as the driver gives it: a date (PostgreSQL) or ISO text (SQLite)."""
    return date.fromisoformat(value) if isinstance(value, str) and value else value or None


class _Withdrawn:
    """The contact details each customer withdrew consent for (by their whole history in the
    log, so a past book hides them too), read once per customer a trail shows."""

    def __init__(self, log: Log, known: dict[UUID, list[Any]] | None = None) -> None:
        self._log = log
        self._found = {k: withdrawn_consents(v) for k, v in (known or {}).items()}

    def of(self, event: Any) -> frozenset[str]:
        if not isinstance(event, Customer.Event) or not any(
            getattr(event, kind, None) for kind in CONTACT_DETAILS
        ):
            return frozenset()
        found = self._found.get(event.originator_id)
        if found is None:
            found = self._found[event.originator_id] = withdrawn_consents(
                self._log.of(event.originator_id)
            )
        return found


def _entry(position: int, event: Any, hidden: _Withdrawn) -> AuditEntry:
    if event is None:
        raise LookupError(f"the audit trail indexes log position {position}, which the log lacks")
    changes = msgspec.json.decode(msgspec.json.encode(changes_of(event)))  # as JSON reads
    for kind in hidden.of(event):
        if changes.get(kind) not in (None, ERASED):
            changes[kind] = WITHDRAWN
    return entry_of(position, event, changes)


def _chunks(items: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), MANY_VALUES):
        yield items[start : start + MANY_VALUES]


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def _utc(moment: datetime) -> datetime:
    """The moment, one without a time zone taken as UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _micros(moment: datetime) -> int:
    """Microseconds since 1970 (UTC); a moment without a time zone is taken as UTC."""
    return (_utc(moment) - _EPOCH) // _MICROSECOND
