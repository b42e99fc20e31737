"""Report-state checkpoints in the book's view database (projections/checkpoints.py)."""

from __future__ import annotations

from clientbook.infrastructure.sql import SqlDatabase
from clientbook.projections.checkpoints import ReportCheckpoints

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS report_checkpoints (report TEXT NOT NULL, "
    "parameters TEXT NOT NULL, position BIGINT NOT NULL, state TEXT NOT NULL, "
    "PRIMARY KEY (report, parameters, position))",
)


class SqlReportCheckpoints(ReportCheckpoints):
    """A row per checkpoint; a fold's state is JSON, so an auditor can read what it held."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database
        database.create(SCHEMA)

    def nearest(self, report: str, key: str, position: int) -> tuple[int, bytes] | None:
        rows = self._database.query(
            "SELECT position, state FROM report_checkpoints WHERE report = ? AND parameters = ? "
            "AND position <= ? ORDER BY position DESC LIMIT 1",
            (report, key, position),
        )
        return (int(rows[0][0]), str(rows[0][1]).encode()) if rows else None

    def put(self, report: str, key: str, position: int, state: bytes) -> None:
        self._database.execute(
            "INSERT INTO report_checkpoints (report, parameters, position, state) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (report, parameters, position) DO NOTHING",
            (report, key, position, state.decode()),
        )
