"""Read-side queries: each brings its view up to the head of the log, then answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Callable
from uuid import UUID

from clientbook.projections.audit import AuditEntry, AuditTrailView
from clientbook.projections.directory import CustomerDirectoryView, DirectoryEntry
from clientbook.projections.managers import ManagerReport, ManagerReportView


class AuditTrail:
    """Every event with who, when recorded, business date and what changed."""

    def __init__(self, view: AuditTrailView, refresh: Callable[[], object]) -> None:
        self._view = view
        self._refresh = refresh

    def trail(
        self, *, aggregate: UUID | None = None, actor: str | None = None,
        event_type: str | None = None, recorded_from: datetime | None = None,
        recorded_to: datetime | None = None, on_from: date | None = None,
        on_to: date | None = None, limit: int | None = None,
    ) -> list[AuditEntry]:
        """Entries in log order; every filter given must match."""
        self._refresh()
        return self._view.entries(
            aggregate=aggregate, actor=actor, event_type=event_type,
            recorded_from=recorded_from, recorded_to=recorded_to, on_from=on_from, on_to=on_to,
            limit=limit,
        )


class Directory:
    """The customer directory."""

    def __init__(self, view: CustomerDirectoryView, refresh: Callable[[], object]) -> None:
        self._view = view
        self._refresh = refresh

    def customer(self, customer_id: UUID) -> DirectoryEntry | None:
        self._refresh()
        return self._view.get(customer_id)

    def search(self, *, manager: str | None = None, status: str | None = None,
               lapsed: bool | None = None, number: str | None = None) -> list[DirectoryEntry]:
        self._refresh()
        return self._view.search(manager=manager, status=status, lapsed=lapsed, number=number)


class Reports:
    """Reports derived from the log."""

    def __init__(self, managers: ManagerReportView, minimum: Callable[[date], int],
                 refresh: Callable[[], object], application_name: str) -> None:
        self._managers = managers
        self._minimum = minimum
        self._refresh = refresh
        self._application_name = application_name

    def managers(self, *, period_from: date, period_to: date) -> ManagerReport:
        """Customers per manager against the minimum in force at the period's end."""
        self._refresh()
        return self._managers.report(period_from, period_to, self._minimum(period_to),
                                     self._application_name)
