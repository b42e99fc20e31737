"""SQL view of credit exposure: a document per line, the customers' groups, the groups' names."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from clientbook.infrastructure.tracking import SqlTrackedView
from clientbook.projections.exposure import ExposureView


class SqlExposureView(SqlTrackedView, ExposureView):
    name = "exposure"
    tables = ("exposure_lines", "exposure_customer_groups", "exposure_group_names")
    schema = (
        "CREATE TABLE IF NOT EXISTS exposure_lines (line_id TEXT PRIMARY KEY, "
        "number TEXT NOT NULL, customer_id TEXT NOT NULL, is_open INTEGER NOT NULL, "
        "document TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS exposure_lines_customer ON exposure_lines (customer_id)",
        "CREATE TABLE IF NOT EXISTS exposure_customer_groups (customer_id TEXT PRIMARY KEY, "
        "group_id TEXT)",
        "CREATE TABLE IF NOT EXISTS exposure_group_names (group_id TEXT PRIMARY KEY, "
        "name TEXT NOT NULL)",
    )

    def line(self, line_id: UUID) -> dict[str, Any] | None:
        rows = self._rows("SELECT document FROM exposure_lines WHERE line_id = ?", (str(line_id),))
        return msgspec.json.decode(rows[0][0]) if rows else None

    def put_line(self, line_id: UUID, document: dict[str, Any]) -> None:
        self._exec(
            "INSERT INTO exposure_lines (line_id, number, customer_id, is_open, document) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (line_id) DO UPDATE SET "
            "is_open = excluded.is_open, document = excluded.document",
            (
                str(line_id),
                document["number"],
                document["customer_id"],
                int(document["status"] != "closed"),
                msgspec.json.encode(document).decode(),
            ),
        )

    def set_group(self, customer_id: UUID, group_id: UUID | None) -> None:
        self._exec(
            "INSERT INTO exposure_customer_groups (customer_id, group_id) VALUES (?, ?) "
            "ON CONFLICT (customer_id) DO UPDATE SET group_id = excluded.group_id",
            (str(customer_id), None if group_id is None else str(group_id)),
        )

    def name_group(self, group_id: UUID, name: str) -> None:
        self._exec(
            "INSERT INTO exposure_group_names (group_id, name) VALUES (?, ?)", (str(group_id), name)
        )

    def lines(self, *, open_only: bool = True) -> list[tuple[UUID, dict[str, Any], str | None]]:
        rows = self._rows(
            "SELECT l.line_id, l.document, n.name FROM exposure_lines l "
            "LEFT JOIN exposure_customer_groups g ON g.customer_id = l.customer_id "
            "LEFT JOIN exposure_group_names n ON n.group_id = g.group_id "
            f"{'WHERE l.is_open = 1 ' if open_only else ''}ORDER BY l.number"
        )
        return [(UUID(line_id), msgspec.json.decode(doc), name) for line_id, doc, name in rows]
