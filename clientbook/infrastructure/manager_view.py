"""SQL view of the manager report: each customer's manager and status, each manager's activity
counted per business date, and the customers lost."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from msgspec import Struct
from msgspec.structs import replace

from clientbook.infrastructure.buffered import BufferedView, BulkTable, Documents, Row, Rows
from clientbook.infrastructure.columns import day, iso
from clientbook.infrastructure.sql import SqlDatabase
from clientbook.projections.managers import (
    LOOKED_AFTER,
    Activity,
    LostCustomer,
    ManagedCustomer,
    ManagerFigures,
    ManagerReportView,
    Assessed,
    Registered,
)

CUSTOMERS = BulkTable(
    "rm_customers",
    ["customer_id", "number", "manager", "status", "lapsed"],
    key=["customer_id"],
    fixed=["number"],
)
DAYS = BulkTable(
    "rm_days",
    ["manager", "business_date", "contacts", "follow_ups", "surveys", "score_total"],
    key=["manager", "business_date"],
)
ASSESSMENTS = BulkTable(
    "rm_assessments",
    ["assessment_id", "manager", "period", "performance_weight", "total", "approved_on"],
    key=["assessment_id"],
)
LOST = BulkTable("rm_lost", ["position", "customer_id", "manager", "business_date", "reason"])
MANAGERS = BulkTable(
    "rm_managers",
    ["manager_id", "manager", "name", "grade", "branch", "serving"],
    key=["manager_id"],
    fixed=["manager"],
)


class Day(Struct, frozen=True):
    """A manager's contacts and surveys on one business date, counted."""

    contacts: int = 0
    follow_ups: int = 0
    surveys: int = 0
    score_total: int = 0

    def counting(self, activity: Activity) -> Day:
        if activity.kind == "contact":
            follow_up = int(activity.detail == "follow_up")
            return replace(self, contacts=self.contacts + 1, follow_ups=self.follow_ups + follow_up)
        assert activity.kind == "survey", f"not a contact or a survey: {activity}"
        score = self.score_total + (activity.score or 0)
        return replace(self, surveys=self.surveys + 1, score_total=score)


class SqlManagerReportView(BufferedView, ManagerReportView):
    name = "manager_report"
    tables = ("rm_customers", "rm_days", "rm_lost", "rm_managers", "rm_assessments")
    schema = (
        "CREATE TABLE IF NOT EXISTS rm_customers (customer_id TEXT PRIMARY KEY, "
        "number TEXT NOT NULL, manager TEXT NOT NULL, status TEXT NOT NULL, "
        "lapsed INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS rm_days (manager TEXT NOT NULL, business_date TEXT NOT NULL, "
        "contacts INTEGER NOT NULL, follow_ups INTEGER NOT NULL, surveys INTEGER NOT NULL, "
        "score_total INTEGER NOT NULL, PRIMARY KEY (manager, business_date))",
        "CREATE TABLE IF NOT EXISTS rm_lost (position BIGINT PRIMARY KEY, "
        "customer_id TEXT NOT NULL, manager TEXT NOT NULL, business_date TEXT NOT NULL, "
        "reason TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS rm_managers (manager_id TEXT PRIMARY KEY, "
        "manager TEXT NOT NULL, name TEXT NOT NULL, grade TEXT NOT NULL, branch TEXT NOT NULL, "
        "serving INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS rm_assessments (assessment_id TEXT PRIMARY KEY, "
        "manager TEXT NOT NULL, period TEXT NOT NULL, performance_weight TEXT, total TEXT, "
        "approved_on TEXT)",
    )

    def __init__(self, database: SqlDatabase, name: str | None = None) -> None:
        super().__init__(database, name)
        self._customers = self._buffered(Documents(CUSTOMERS, _customer_row, self._load))
        self._days = self._buffered(Documents(DAYS, _day_row, self._load_day))
        self._lost = self._buffered(Rows(LOST))
        self._managers = self._buffered(Documents(MANAGERS, _manager_row, self._load_manager))
        self._assessments = self._buffered(
            Documents(ASSESSMENTS, _assessment_row, self._load_assessment)
        )

    def assessment(self, assessment_id: UUID) -> Assessed | None:
        return self._assessments.get(assessment_id)

    def put_assessment(self, assessment_id: UUID, assessed: Assessed) -> None:
        self._assessments.put(assessment_id, assessed)

    def _load_assessment(self, assessment_id: UUID) -> Assessed | None:
        rows = self._rows(
            "SELECT manager, period, performance_weight, total, approved_on "
            "FROM rm_assessments WHERE assessment_id = ?",
            (str(assessment_id),),
        )
        return _assessed(*rows[0]) if rows else None

    def _latest_assessments(self, by: date) -> dict[str, Assessed]:
        """Each manager's latest annual assessment approved by `by`."""
        latest: dict[str, Assessed] = {}
        for row in self._rows(
            "SELECT manager, period, performance_weight, total, approved_on "
            "FROM rm_assessments WHERE approved_on <= ? ORDER BY period",
            (by.isoformat(),),
        ):
            assessed = _assessed(*row)
            if len(assessed.period) == 4:  # a year; interim ones feed nothing
                latest[assessed.manager] = assessed
        return latest

    def manager(self, manager_id: UUID) -> Registered | None:
        return self._managers.get(manager_id)

    def put_manager(self, manager_id: UUID, registered: Registered) -> None:
        self._managers.put(manager_id, registered)

    def _load_manager(self, manager_id: UUID) -> Registered | None:
        rows = self._rows(
            "SELECT manager, name, grade, branch, serving FROM rm_managers WHERE manager_id = ?",
            (str(manager_id),),
        )
        if not rows:
            return None
        manager, name, grade, branch, serving = rows[0]
        return Registered(manager, name, grade, branch, bool(serving))

    def customer(self, customer_id: UUID) -> ManagedCustomer | None:
        return self._customers.get(customer_id)

    def put_customer(self, customer_id: UUID, customer: ManagedCustomer) -> None:
        self._customers.put(customer_id, customer)

    def add_activity(self, activity: Activity) -> None:
        a = activity
        if a.kind == "lost":
            self._lost.add((a.position, str(a.customer_id), a.manager, a.on.isoformat(), a.detail))
            return
        key = (a.manager, a.on)
        self._days.put(key, (self._days.get(key) or Day()).counting(a))

    def _load(self, customer_id: UUID) -> ManagedCustomer | None:
        rows = self._rows(
            "SELECT number, manager, status, lapsed FROM rm_customers WHERE customer_id = ?",
            (str(customer_id),),
        )
        if not rows:
            return None
        number, manager, status, lapsed = rows[0]
        return ManagedCustomer(number, manager, status, lapsed=bool(lapsed))

    def _load_day(self, key: tuple[str, date]) -> Day | None:
        manager, on = key
        rows = self._rows(
            "SELECT contacts, follow_ups, surveys, score_total FROM rm_days "
            "WHERE manager = ? AND business_date = ?",
            (manager, on.isoformat()),
        )
        return Day(*map(int, rows[0])) if rows else None

    def figures(self, period_from: date, period_to: date, application_name: str) -> ManagerFigures:
        looked_after = ", ".join(f"'{status}'" for status in LOOKED_AFTER)
        books = {
            m: (int(n), int(l or 0))
            for m, n, l in self._rows(
                f"SELECT manager, SUM(CASE WHEN status IN ({looked_after}) THEN 1 ELSE 0 END), "
                "SUM(lapsed) FROM rm_customers GROUP BY manager"
            )
        }
        period = (period_from.isoformat(), period_to.isoformat())
        activity = {
            m: (int(c), int(f), int(s), int(total))
            for m, c, f, s, total in self._rows(
                "SELECT manager, SUM(contacts), SUM(follow_ups), SUM(surveys), SUM(score_total) "
                "FROM rm_days WHERE business_date >= ? AND business_date <= ? GROUP BY manager",
                period,
            )
        }
        lost = tuple(
            LostCustomer(UUID(cid), number, manager, date.fromisoformat(on), reason)
            for cid, number, manager, on, reason in self._rows(
                "SELECT l.customer_id, c.number, l.manager, l.business_date, l.reason "
                "FROM rm_lost l JOIN rm_customers c ON c.customer_id = l.customer_id "
                "WHERE l.business_date >= ? AND l.business_date <= ? "
                "ORDER BY l.business_date, c.number",
                period,
            )
        )
        registered = {
            manager: (grade, branch, bool(serving))
            for manager, grade, branch, serving in self._rows(
                "SELECT manager, grade, branch, serving FROM rm_managers"
            )
        }
        assessed = self._latest_assessments(period_to)
        position = self.max_tracking_id(application_name) or 0
        return ManagerFigures(books, activity, lost, registered, assessed, position)


def _day_row(key: tuple[str, date], day: Day) -> Row:
    manager, on = key
    return (manager, on.isoformat(), day.contacts, day.follow_ups, day.surveys, day.score_total)


def _customer_row(customer_id: UUID, customer: ManagedCustomer) -> Row:
    c = customer
    return (str(customer_id), c.number, c.manager, c.status, int(c.lapsed))


def _assessed(
    manager: str, period: str, weight: str | None, total: str | None, approved_on: str | None
) -> Assessed:
    return Assessed(
        manager,
        period,
        None if weight is None else Decimal(weight),
        None if total is None else Decimal(total),
        day(approved_on),
    )


def _assessment_row(assessment_id: UUID, a: Assessed) -> Row:
    return (
        str(assessment_id),
        a.manager,
        a.period,
        None if a.performance_weight is None else str(a.performance_weight),
        None if a.total is None else str(a.total),
        iso(a.approved_on),
    )


def _manager_row(manager_id: UUID, m: Registered) -> Row:
    return (str(manager_id), m.manager, m.name, m.grade, m.branch, int(m.serving))
