"""The relationship-manager report: the 1:15 rule, lapsed customers, follow-ups, satisfaction, churn."""

from __future__ import annotations

from abc import abstractmethod
from datetime import date
from decimal import Decimal
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from attrs import frozen
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from clientbook.domain.customer import Customer
from clientbook.projections.view import TrackedView, event_class, events_of, topics

LOOKED_AFTER = ("prospect", "active", "dormant")
"""Statuses in which a customer counts towards a manager's book (the 1:15 rule)."""


@frozen
class ManagerRow:
    manager: str
    customers: int
    below_minimum: bool
    lapsed: int
    contacts: int
    follow_ups: int
    surveys: int
    average_satisfaction: Decimal | None


@frozen
class LostCustomer:
    customer_id: UUID
    number: str
    manager: str
    on: date
    reason: str


@frozen
class ManagerReport:
    """Per manager: customers against the minimum, lapsed now; contacts, surveys and losses in the period."""

    period_from: date
    period_to: date
    minimum: int
    position: int
    rows: tuple[ManagerRow, ...]
    lost: tuple[LostCustomer, ...]

    @property
    def below_minimum(self) -> tuple[ManagerRow, ...]:
        return tuple(row for row in self.rows if row.below_minimum)


class ManagerReportView(TrackedView):
    """What the manager report is computed from."""

    @abstractmethod
    def set_customer(
        self,
        customer_id: UUID,
        *,
        number: str | None = None,
        manager: str | None = None,
        status: str | None = None,
        lapsed: bool | None = None,
    ) -> None:
        """Insert or change the customer's row; None leaves a column as it is."""

    @abstractmethod
    def customer(self, customer_id: UUID) -> tuple[str, str]:
        """The customer's number and current manager."""

    @abstractmethod
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
        """Record a contact, survey or loss, attributed to the manager at the time."""

    @abstractmethod
    def report(
        self, period_from: date, period_to: date, minimum: int, application_name: str
    ) -> ManagerReport:
        """The report for a period, with the log position it reflects."""


class ManagerReportProjection(Projection[ManagerReportView]):
    name = "manager_report"
    topics = topics(
        *events_of(
            Customer,
            "Registered",
            "ManagerReassigned",
            "ContactRecorded",
            "SurveyRecorded",
            "Lapsed",
            "VisitCycleSet",
            "Activated",
            "MadeDormant",
            "Lost",
            "Reactivated",
            "Closed",
        )
    )

    @singledispatchmethod
    def process_event(self, event: Any, tracking: Tracking) -> None:
        kind = type(event).__name__
        status = _STATUS.get(kind)
        lapsed = False if status in ("lost", "closed") or kind == "Reactivated" else None
        self.view.set_customer(event.originator_id, status=status, lapsed=lapsed)

    @process_event.register(event_class(Customer, "Registered"))
    def registered(self, event: Any, tracking: Tracking) -> None:
        self.view.set_customer(
            event.originator_id,
            number=event.number,
            manager=event.manager,
            status="prospect",
            lapsed=False,
        )

    @process_event.register(event_class(Customer, "ManagerReassigned"))
    def reassigned(self, event: Any, tracking: Tracking) -> None:
        self.view.set_customer(event.originator_id, manager=event.manager)

    @process_event.register(event_class(Customer, "Lapsed"))
    def lapsed(self, event: Any, tracking: Tracking) -> None:
        self.view.set_customer(event.originator_id, lapsed=True)

    @process_event.register(event_class(Customer, "VisitCycleSet"))
    def cycle_set(self, event: Any, tracking: Tracking) -> None:
        self.view.set_customer(event.originator_id, lapsed=False)

    @process_event.register(event_class(Customer, "ContactRecorded"))
    def contact(self, event: Any, tracking: Tracking) -> None:
        self._activity(event, tracking, "contact", event.purpose, None)
        self.view.set_customer(event.originator_id, lapsed=False)

    @process_event.register(event_class(Customer, "SurveyRecorded"))
    def survey(self, event: Any, tracking: Tracking) -> None:
        self._activity(event, tracking, "survey", event.channel, event.score)

    @process_event.register(event_class(Customer, "Lost"))
    def lost(self, event: Any, tracking: Tracking) -> None:
        self._activity(event, tracking, "lost", event.reason, None)
        self.view.set_customer(event.originator_id, status="lost", lapsed=False)

    def _activity(
        self, event: Any, tracking: Tracking, kind: str, detail: str, score: int | None
    ) -> None:
        _, manager = self.view.customer(event.originator_id)
        self.view.add_activity(
            tracking.notification_id, kind, event.originator_id, manager, event.on, detail, score
        )


_STATUS = {
    "Activated": "active",
    "MadeDormant": "dormant",
    "Reactivated": "active",
    "Closed": "closed",
}
