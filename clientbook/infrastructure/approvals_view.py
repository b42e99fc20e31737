"""SQL view of the approvals inbox: one row per (aggregate, step), open until decided, and the
name each aggregate goes by."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from clientbook.infrastructure.buffered import BufferedView, BulkTable, Documents, Row
from clientbook.infrastructure.sql import SqlDatabase
from clientbook.projections.approvals import ApprovalsView, Pending

PENDING = BulkTable(
    "approvals_pending",
    ["aggregate_id", "step", "what", "prepared_by", "amount", "proposed_on", "position", "is_open"],
    key=["aggregate_id", "step"],
)
NAMES = BulkTable("approvals_names", ["aggregate_id", "name"], key=["aggregate_id"])
_COLUMNS = "aggregate_id, step, what, prepared_by, amount, proposed_on, position, is_open"


class SqlApprovalsView(BufferedView, ApprovalsView):
    name = "approvals"
    tables = ("approvals_pending", "approvals_names")
    schema = (
        "CREATE TABLE IF NOT EXISTS approvals_pending (aggregate_id TEXT NOT NULL, "
        "step TEXT NOT NULL, what TEXT NOT NULL, prepared_by TEXT NOT NULL, amount TEXT, "
        "proposed_on TEXT NOT NULL, position BIGINT NOT NULL, is_open INTEGER NOT NULL, "
        "PRIMARY KEY (aggregate_id, step))",
        "CREATE TABLE IF NOT EXISTS approvals_names (aggregate_id TEXT PRIMARY KEY, "
        "name TEXT NOT NULL)",
    )

    def __init__(self, database: SqlDatabase, name: str | None = None) -> None:
        super().__init__(database, name)
        self._pending = self._buffered(Documents(PENDING, _pending_row, self._load))
        self._names = self._buffered(Documents(NAMES, _name_row, self._load_name))

    def name_of(self, aggregate_id: UUID) -> str | None:
        return self._names.get(aggregate_id)

    def put_name(self, aggregate_id: UUID, name: str) -> None:
        self._names.put(aggregate_id, name)

    def get(self, aggregate_id: UUID, step: str) -> Pending | None:
        return self._pending.get((aggregate_id, step))

    def put(self, pending: Pending) -> None:
        self._pending.put((pending.aggregate_id, pending.step), pending)

    def pending(self) -> list[Pending]:
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM approvals_pending WHERE is_open = 1 ORDER BY position, step"
        )
        return [_pending(row) for row in rows]

    def _load(self, key: tuple[UUID, str]) -> Pending | None:
        aggregate_id, step = key
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM approvals_pending WHERE aggregate_id = ? AND step = ?",
            (str(aggregate_id), step),
        )
        return _pending(rows[0]) if rows else None

    def _load_name(self, aggregate_id: UUID) -> str | None:
        rows = self._rows(
            "SELECT name FROM approvals_names WHERE aggregate_id = ?", (str(aggregate_id),)
        )
        return str(rows[0][0]) if rows else None


def _pending(row: Row) -> Pending:
    aggregate_id, step, what, prepared_by, amount, on, position, is_open = row
    return Pending(
        UUID(aggregate_id),
        step,
        what,
        prepared_by,
        amount,
        date.fromisoformat(on),
        int(position),
        bool(is_open),
    )


def _pending_row(key: tuple[UUID, str], p: Pending) -> Row:
    return (
        str(p.aggregate_id),
        p.step,
        p.what,
        p.prepared_by,
        p.amount,
        p.proposed_on.isoformat(),
        p.position,
        int(p.open),
    )


def _name_row(aggregate_id: UUID, name: str) -> Row:
    return (str(aggregate_id), name)
