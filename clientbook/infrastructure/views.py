"""The projections' views as SQL tables, in the book's SQLite file or PostgreSQL schema.

The same SQL serves both dialects (`?` placeholders; dates, ids and amounts as text). Every
view writes its rows and its tracking position in one transaction (`batch`).
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec

from clientbook.infrastructure.directory_view import SqlCustomerDirectoryView
from clientbook.infrastructure.manager_view import SqlManagerReportView
from clientbook.infrastructure.tracking import SqlTrackedView
from clientbook.projections.audit import AuditEntry, AuditTrailView

__all__ = ["SqlAuditTrailView", "SqlCustomerDirectoryView", "SqlManagerReportView"]
"""The directory's and the manager report's views live in their own modules; importable here."""


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class SqlAuditTrailView(SqlTrackedView, AuditTrailView):
    name = "audit_trail"
    tables = ("audit_trail",)
    schema = (
        "CREATE TABLE IF NOT EXISTS audit_trail (position BIGINT PRIMARY KEY, "
        "recorded_at TEXT NOT NULL, business_date TEXT, actor TEXT NOT NULL, "
        "aggregate_type TEXT NOT NULL, aggregate_id TEXT NOT NULL, version BIGINT NOT NULL, "
        "event_type TEXT NOT NULL, changes TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS audit_trail_aggregate ON audit_trail (aggregate_id, position)",
        "CREATE INDEX IF NOT EXISTS audit_trail_actor ON audit_trail (actor, position)",
        "CREATE INDEX IF NOT EXISTS audit_trail_business_date ON audit_trail (business_date)",
    )
    _COLUMNS = (
        "position, recorded_at, business_date, actor, aggregate_type, aggregate_id, "
        "version, event_type, changes"
    )

    def append(self, entry: AuditEntry) -> None:
        self._exec(
            f"INSERT INTO audit_trail ({self._COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.position,
                _iso(entry.recorded_at),
                _iso(entry.business_date),
                entry.actor,
                entry.aggregate_type,
                str(entry.aggregate_id),
                entry.version,
                entry.event_type,
                msgspec.json.encode(entry.changes).decode(),
            ),
        )

    def scrub(self, aggregate_id: UUID, fields: frozenset[str], marker: str) -> None:
        rows = self._rows(
            "SELECT position, changes FROM audit_trail WHERE aggregate_id = ?", (str(aggregate_id),)
        )
        for position, text in rows:
            changes = msgspec.json.decode(text)
            scrubbed = {k: marker if k in fields and v else v for k, v in changes.items()}
            if scrubbed != changes:
                self._exec(
                    "UPDATE audit_trail SET changes = ? WHERE position = ?",
                    (msgspec.json.encode(scrubbed).decode(), position),
                )

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
            ("aggregate_id = ?", None if aggregate is None else str(aggregate)),
            ("actor = ?", actor),
            ("event_type = ?", event_type),
            ("recorded_at >= ?", _iso(recorded_from)),
            ("recorded_at < ?", _iso(recorded_to)),
            ("business_date >= ?", _iso(on_from)),
            ("business_date <= ?", _iso(on_to)),
        ]
        used = [(sql, value) for sql, value in conditions if value is not None]
        where = " AND ".join(sql for sql, _ in used) or "1 = 1"
        tail = "" if limit is None else f" LIMIT {int(limit)}"
        rows = self._rows(
            f"SELECT {self._COLUMNS} FROM audit_trail WHERE {where} ORDER BY position{tail}",
            [value for _, value in used],
        )
        return [
            AuditEntry(
                position=int(r[0]),
                recorded_at=datetime.fromisoformat(r[1]),
                business_date=_day(r[2]),
                actor=r[3],
                aggregate_type=r[4],
                aggregate_id=UUID(r[5]),
                version=int(r[6]),
                event_type=r[7],
                changes=msgspec.json.decode(r[8]),
            )
            for r in rows
        ]

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
