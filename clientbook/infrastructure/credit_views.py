"""SQL view of credit exposure: a document per line, the customers' groups, the groups' names."""

from __future__ import annotations

from uuid import UUID

import msgspec

from clientbook.infrastructure.buffered import BufferedView, BulkTable, Documents, Row
from clientbook.infrastructure.sql import SqlDatabase
from clientbook.projections.exposure import ExposureView, LineDocument

LINES = BulkTable(
    "exposure_lines",
    ["line_id", "number", "customer_id", "is_open", "document"],
    key=["line_id"],
    fixed=["number", "customer_id"],
)
GROUPS = BulkTable("exposure_customer_groups", ["customer_id", "group_id"], key=["customer_id"])
NAMES = BulkTable("exposure_group_names", ["group_id", "name"], key=["group_id"])
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(LineDocument).decode


class SqlExposureView(BufferedView, ExposureView):
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

    def __init__(self, database: SqlDatabase, name: str | None = None) -> None:
        super().__init__(database, name)
        self._lines = self._buffered(Documents(LINES, _line_row, self._load))
        self._groups: Documents[UUID, UUID | None] = self._buffered(Documents(GROUPS, _key_row))
        self._names: Documents[UUID, str] = self._buffered(Documents(NAMES, _key_row))

    def line(self, line_id: UUID) -> LineDocument | None:
        return self._lines.get(line_id)

    def put_line(self, line_id: UUID, document: LineDocument) -> None:
        self._lines.put(line_id, document)

    def set_group(self, customer_id: UUID, group_id: UUID | None) -> None:
        self._groups.put(customer_id, group_id)

    def name_group(self, group_id: UUID, name: str) -> None:
        self._names.put(group_id, name)

    def _load(self, line_id: UUID) -> LineDocument | None:
        rows = self._rows("SELECT document FROM exposure_lines WHERE line_id = ?", (str(line_id),))
        return _decode(rows[0][0]) if rows else None

    def lines(self, *, open_only: bool = True) -> list[tuple[UUID, LineDocument, str | None]]:
        rows = self._rows(
            "SELECT l.line_id, l.document, n.name FROM exposure_lines l "
            "LEFT JOIN exposure_customer_groups g ON g.customer_id = l.customer_id "
            "LEFT JOIN exposure_group_names n ON n.group_id = g.group_id "
            f"{'WHERE l.is_open = 1 ' if open_only else ''}ORDER BY l.number"
        )
        return [(UUID(line_id), _decode(document), name) for line_id, document, name in rows]


def _line_row(line_id: UUID, line: LineDocument) -> Row:
    is_open = int(line.status != "closed")
    return (str(line_id), line.number, str(line.customer_id), is_open, _encode(line).decode())


def _key_row(key: UUID, value: UUID | str | None) -> Row:
    return (str(key), None if value is None else str(value))
