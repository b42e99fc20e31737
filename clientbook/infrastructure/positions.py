"""Where an event lies in the log: one lookup by the events table's primary key."""

from __future__ import annotations

from uuid import UUID

from clientbook.infrastructure.sql import SqlDatabase


class EventPositions:
    """The log position of an aggregate's version (a keyed retry reports its first position)."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database
        self._postgres = database.dialect == "postgresql"
        table, position = (
            ("clientbook_events", "notification_id")
            if self._postgres
            else ("stored_events", "rowid")
        )
        self._sql = (
            f"SELECT {position} FROM {table} WHERE originator_id = ? AND originator_version = ?"
        )

    def __call__(self, aggregate_id: UUID, version: int) -> int | None:
        originator = aggregate_id if self._postgres else aggregate_id.hex
        rows = self._database.query(self._sql, (originator, version))
        return int(rows[0][0]) if rows else None
