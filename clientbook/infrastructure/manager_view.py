"""SQL view of the manager report: each customer's manager and status, and dated activity."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from clientbook.infrastructure.buffered import BufferedView, BulkTable, Documents, Row, Rows
from clientbook.infrastructure.sql import SqlDatabase
from clientbook.projections.managers import (
    LOOKED_AFTER,
    Activity,
    LostCustomer,
    ManagedCustomer,
    ManagerReport,
    ManagerReportView,
    ManagerRow,
)

CUSTOMERS = BulkTable(
    "rm_customers", ["customer_id", "number", "manager", "status", "lapsed"], key=["customer_id"]
)
ACTIVITY = BulkTable(
    "rm_activity",
    ["position", "kind", "customer_id", "manager", "business_date", "detail", "score"],
)


class SqlManagerReportView(BufferedView, ManagerReportView):
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

    def __init__(self, database: SqlDatabase, name: str | None = None) -> None:
        super().__init__(database, name)
        self._customers = self._buffered(Documents(CUSTOMERS, _customer_row, self._load))
        self._activity = self._buffered(Rows(ACTIVITY))

    def customer(self, customer_id: UUID) -> ManagedCustomer | None:
        return self._customers.get(customer_id)

    def put_customer(self, customer_id: UUID, customer: ManagedCustomer) -> None:
        self._customers.put(customer_id, customer)

    def add_activity(self, activity: Activity) -> None:
        self._activity.add(
            (
                activity.position,
                activity.kind,
                str(activity.customer_id),
                activity.manager,
                activity.on.isoformat(),
                activity.detail,
                activity.score,
            )
        )

    def _load(self, customer_id: UUID) -> ManagedCustomer | None:
        rows = self._rows(
            "SELECT number, manager, status, lapsed FROM rm_customers WHERE customer_id = ?",
            (str(customer_id),),
        )
        if not rows:
            return None
        number, manager, status, lapsed = rows[0]
        return ManagedCustomer(number, manager, status, lapsed=bool(lapsed))

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


def _customer_row(customer_id: UUID, customer: ManagedCustomer) -> Row:
    c = customer
    return (str(customer_id), c.number, c.manager, c.status, int(c.lapsed))
