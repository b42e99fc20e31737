"""The projections' views as SQL tables, in the book's SQLite file or PostgreSQL schema.

The same SQL serves both dialects (`?` placeholders; dates, ids and amounts as text). Every
view writes its rows and its tracking position in one transaction (`batch`).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterator, Sequence
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking

from clientbook.infrastructure.tracking import SqlTrackedView
from clientbook.projections.directory import CustomerDirectoryView, DirectoryEntry
from clientbook.projections.managers import (
    LOOKED_AFTER,
    LostCustomer,
    ManagerReport,
    ManagerReportView,
    ManagerRow,
)

def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class SqlCustomerDirectoryView(SqlTrackedView, CustomerDirectoryView):
    name = "customer_directory"
    tables = ("customer_directory",)
    schema = (
        "CREATE TABLE IF NOT EXISTS customer_directory (customer_id TEXT PRIMARY KEY, "
        "number TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, segment TEXT NOT NULL, "
        "tier TEXT NOT NULL, manager TEXT NOT NULL, status TEXT NOT NULL, "
        "restricted INTEGER NOT NULL, registered_on TEXT NOT NULL, last_contact TEXT, "
        "last_seen TEXT NOT NULL, visit_cycle_days INTEGER, lapsed INTEGER NOT NULL, "
        "seen_due TEXT)",
        "CREATE UNIQUE INDEX IF NOT EXISTS customer_directory_number ON customer_directory (number)",
        "CREATE INDEX IF NOT EXISTS customer_directory_manager ON customer_directory (manager)",
        "CREATE INDEX IF NOT EXISTS customer_directory_seen_due ON customer_directory (seen_due)",
    )
    _COLUMNS = (
        "customer_id, number, name, kind, segment, tier, manager, status, restricted, "
        "registered_on, last_contact, last_seen, visit_cycle_days, lapsed"
    )

    def get(self, customer_id: UUID) -> DirectoryEntry | None:
        rows = self._select("customer_id = ?", [str(customer_id)])
        return rows[0] if rows else None

    def put(self, entry: DirectoryEntry) -> None:
        self._exec(
            f"INSERT INTO customer_directory ({self._COLUMNS}, seen_due) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (customer_id) DO UPDATE SET name = excluded.name, "
            "segment = excluded.segment, tier = excluded.tier, manager = excluded.manager, "
            "status = excluded.status, restricted = excluded.restricted, "
            "last_contact = excluded.last_contact, last_seen = excluded.last_seen, "
            "visit_cycle_days = excluded.visit_cycle_days, lapsed = excluded.lapsed, "
            "seen_due = excluded.seen_due",
            (
                str(entry.customer_id),
                entry.number,
                entry.name,
                entry.kind,
                entry.segment,
                entry.tier,
                entry.manager,
                entry.status,
                int(entry.restricted),
                _iso(entry.registered_on),
                _iso(entry.last_contact),
                _iso(entry.last_seen),
                entry.visit_cycle_days,
                int(entry.lapsed),
                _iso(entry.seen_due),
            ),
        )

    def search(
        self,
        *,
        manager: str | None = None,
        status: str | None = None,
        lapsed: bool | None = None,
        number: str | None = None,
    ) -> list[DirectoryEntry]:
        conditions = [
            ("manager = ?", manager),
            ("status = ?", status),
            ("number = ?", number),
            ("lapsed = ?", None if lapsed is None else int(lapsed)),
        ]
        used = [(sql, value) for sql, value in conditions if value is not None]
        return self._select(
            " AND ".join(sql for sql, _ in used) or "1 = 1", [value for _, value in used]
        )

    def lapse_candidates(self, on: date, grace_days: int) -> Sequence[UUID]:
        cutoff = date.fromordinal(on.toordinal() - grace_days)
        rows = self._rows(
            "SELECT customer_id FROM customer_directory WHERE lapsed = 0 AND seen_due <= ? "
            "ORDER BY number",
            (cutoff.isoformat(),),
        )
        return [UUID(r[0]) for r in rows]

    def _select(self, where: str, params: list[Any]) -> list[DirectoryEntry]:
        rows = self._rows(
            f"SELECT {self._COLUMNS} FROM customer_directory WHERE {where} ORDER BY number", params
        )
        return [
            DirectoryEntry(
                customer_id=UUID(r[0]),
                number=r[1],
                name=r[2],
                kind=r[3],
                segment=r[4],
                tier=r[5],
                manager=r[6],
                status=r[7],
                restricted=bool(r[8]),
                registered_on=date.fromisoformat(r[9]),
                last_contact=_day(r[10]),
                last_seen=date.fromisoformat(r[11]),
                visit_cycle_days=None if r[12] is None else int(r[12]),
                lapsed=bool(r[13]),
            )
            for r in rows
        ]


class SqlManagerReportView(SqlTrackedView, ManagerReportView):
    name = "manager_report"
    tables = ("rm_customers", "rm_activity")
    schema = (
        "CREATE TABLE IF NOT EXISTS rm_customers (customer_id TEXT PRIMARY KEY, "
        "number TEXT NOT NULL, manager TEXT NOT NULL, status TEXT NOT NULL, "
        "lapsed INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS rm_activity (position BIGINT NOT NULL, kind TEXT NOT NULL, "
        "customer_id TEXT NOT NULL, manager TEXT NOT NULL, business_date TEXT NOT NULL, "
        "detail TEXT NOT NULL, score INTEGER, PRIMARY KEY (position, kind))",
        "CREATE INDEX IF NOT EXISTS rm_activity_date ON rm_activity (business_date)",
    )

    def set_customer(
        self,
        customer_id: UUID,
        *,
        number: str | None = None,
        manager: str | None = None,
        status: str | None = None,
        lapsed: bool | None = None,
    ) -> None:
        if number is not None:
            self._exec(
                "INSERT INTO rm_customers (customer_id, number, manager, status, lapsed) "
                "VALUES (?, ?, ?, ?, ?)",
                (str(customer_id), number, manager, status, int(bool(lapsed))),
            )
            return
        changes = [
            ("manager = ?", manager),
            ("status = ?", status),
            ("lapsed = ?", None if lapsed is None else int(lapsed)),
        ]
        used = [(sql, value) for sql, value in changes if value is not None]
        if used:
            self._exec(
                f"UPDATE rm_customers SET {', '.join(sql for sql, _ in used)} WHERE customer_id = ?",
                [*(value for _, value in used), str(customer_id)],
            )

    def customer(self, customer_id: UUID) -> tuple[str, str]:
        ((number, manager),) = self._rows(
            "SELECT number, manager FROM rm_customers WHERE customer_id = ?", (str(customer_id),)
        )
        return number, manager

    def add_activity(
        self,
        position: int,
        kind: str,
        customer_id: UUID,
        manager: str,
        on: date,
        detail: str,
        score: int | None,
    ) -> None:
        self._exec(
            "INSERT INTO rm_activity (position, kind, customer_id, manager, business_date, "
            "detail, score) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (position, kind, str(customer_id), manager, on.isoformat(), detail, score),
        )

    def report(
        self, period_from: date, period_to: date, minimum: int, application_name: str
    ) -> ManagerReport:
        looked_after = ", ".join(f"'{status}'" for status in LOOKED_AFTER)
        book = {
            m: (int(n), int(l or 0))
            for m, n, l in self._rows(
                f"SELECT manager, SUM(CASE WHEN status IN ({looked_after}) THEN 1 ELSE 0 END), "
                "SUM(lapsed) FROM rm_customers GROUP BY manager"
            )
        }
        period = (period_from.isoformat(), period_to.isoformat())
        activity = {
            m: (int(c), int(f), int(s), None if total is None else int(total))
            for m, c, f, s, total in self._rows(
                "SELECT manager, SUM(CASE WHEN kind = 'contact' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN kind = 'contact' AND detail = 'follow_up' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN kind = 'survey' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN kind = 'survey' THEN score END) "
                "FROM rm_activity WHERE business_date >= ? AND business_date <= ? GROUP BY manager",
                period,
            )
        }
        rows = []
        for manager in sorted(set(book) | set(activity)):
            customers, lapsed = book.get(manager, (0, 0))
            contacts, follow_ups, surveys, total = activity.get(manager, (0, 0, 0, None))
            average = (
                None
                if not surveys
                else (Decimal(total or 0) / surveys).quantize(Decimal("0.01"), ROUND_HALF_UP)
            )
            rows.append(
                ManagerRow(
                    manager,
                    customers,
                    customers < minimum,
                    lapsed,
                    contacts,
                    follow_ups,
                    surveys,
                    average,
                )
            )
        lost = [
            LostCustomer(UUID(cid), number, manager, date.fromisoformat(on), reason)
            for cid, number, manager, on, reason in self._rows(
                "SELECT a.customer_id, c.number, a.manager, a.business_date, a.detail "
                "FROM rm_activity a JOIN rm_customers c ON c.customer_id = a.customer_id "
                "WHERE a.kind = 'lost' AND a.business_date >= ? AND a.business_date <= ? "
                "ORDER BY a.business_date, c.number",
                period,
            )
        ]
        position = self.max_tracking_id(application_name) or 0
        return ManagerReport(period_from, period_to, minimum, position, tuple(rows), tuple(lost))
