"""What the relationship-manager report (reports/managers.py) is made of: each customer's
manager and status, each manager's contacts, follow-ups and surveys per business date, the
customers lost, the registered managers and their assessments."""

from __future__ import annotations

from abc import abstractmethod
from datetime import date
from decimal import Decimal
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from attrs import frozen
from eventsourcing.persistence import Tracking
from msgspec import Struct
from msgspec.structs import replace

from clientbook.domain.customer import Customer
from clientbook.domain.assessment import ManagerAssessment
from clientbook.domain.manager import RelationshipManager
from clientbook.projections.handlers import EventProjection
from clientbook.projections.view import TrackedView, event_class, events_of, topics

LOOKED_AFTER = ("prospect", "active", "dormant")
"""Statuses in which a customer counts towards a manager's book (the 1:15 rule)."""


@frozen
class LostCustomer:
    customer_id: UUID
    number: str
    manager: str
    on: date
    reason: str


@frozen
class ManagerFigures:
    """What the view counts for a period, by manager id, for the report (reports/managers.py)
    to make rows of; `position` is the log position the view reflects."""

    books: dict[str, tuple[int, int]]
    """Customers looked after now (LOOKED_AFTER) and lapsed now."""
    activity: dict[str, tuple[int, int, int, int]]
    """Contacts, follow-ups, surveys and their scores' total in the period."""
    lost: tuple[LostCustomer, ...]
    """The customers lost in the period, by date and number."""
    registered: dict[str, tuple[str, str, bool]]
    """Each registered manager's grade, branch and whether they serve."""
    assessed: dict[str, Assessed]
    """Each manager's latest annual assessment approved by the period's end."""
    position: int


class ManagedCustomer(Struct, frozen=True):
    """A customer as the report counts them: in whose book, in what status, lapsed or not."""

    number: str
    manager: str
    status: str
    lapsed: bool


class Registered(Struct, frozen=True):
    """A registered manager as the report shows them (kept by the manager aggregate's id)."""

    manager: str
    name: str
    grade: str
    branch: str
    serving: bool


class Assessed(Struct, frozen=True):
    """An assessment as the report shows it: whose, which period, its total once submitted,
    and when it was approved."""

    manager: str
    period: str
    performance_weight: Decimal | None = None
    total: Decimal | None = None
    approved_on: date | None = None


class Activity(Struct, frozen=True):
    """A contact, survey or loss, attributed to the customer's manager at the time."""

    position: int
    kind: str
    customer_id: UUID
    manager: str
    on: date
    detail: str
    score: int | None


class ManagerReportView(TrackedView):
    """What the manager report is computed from."""

    @abstractmethod
    def customer(self, customer_id: UUID) -> ManagedCustomer | None:
        """The customer as the projection last put them (in a page: the latest)."""

    @abstractmethod
    def put_customer(self, customer_id: UUID, customer: ManagedCustomer) -> None: ...

    @abstractmethod
    def manager(self, manager_id: UUID) -> Registered | None: ...

    @abstractmethod
    def put_manager(self, manager_id: UUID, registered: Registered) -> None: ...

    @abstractmethod
    def assessment(self, assessment_id: UUID) -> Assessed | None: ...

    @abstractmethod
    def put_assessment(self, assessment_id: UUID, assessed: Assessed) -> None: ...

    @abstractmethod
    def add_activity(self, activity: Activity) -> None:
        """Count a contact or a survey for its manager and date; note a customer lost."""

    @abstractmethod
    def figures(self, period_from: date, period_to: date, application_name: str) -> ManagerFigures:
        """What the report for a period is made of, with the log position it reflects."""


class ManagerReportProjection(EventProjection[ManagerReportView]):
    name = "manager_report"
    version = 4
    topics = topics(
        *events_of(RelationshipManager, "Registered", "BranchMoved", "Left", "GradeSettled"),
        *events_of(ManagerAssessment, "Opened", "Submitted", "Approved"),
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
        ),
    )

    @singledispatchmethod
    def process_event(self, event: Any, tracking: Tracking) -> None:
        """An event the report does not count."""

    @process_event.register(event_class(RelationshipManager, "Registered"))
    def manager_registered(self, event: Any, tracking: Tracking) -> None:
        registered = Registered(event.manager, event.name, event.grade, event.branch, True)
        self.view.put_manager(event.originator_id, registered)

    @process_event.register(event_class(RelationshipManager, "BranchMoved"))
    def manager_moved(self, event: Any, tracking: Tracking) -> None:
        self._manager(event, branch=event.branch)

    @process_event.register(event_class(RelationshipManager, "Left"))
    def manager_left(self, event: Any, tracking: Tracking) -> None:
        self._manager(event, serving=False)

    @process_event.register(event_class(RelationshipManager, "GradeSettled"))
    def grade_settled(self, event: Any, tracking: Tracking) -> None:
        self._manager(event, grade=event.grade)

    @process_event.register(event_class(ManagerAssessment, "Opened"))
    def assessment_opened(self, event: Any, tracking: Tracking) -> None:
        self.view.put_assessment(event.originator_id, Assessed(event.manager, event.period))

    @process_event.register(event_class(ManagerAssessment, "Submitted"))
    def assessment_submitted(self, event: Any, tracking: Tracking) -> None:
        self._assessed(event, performance_weight=event.performance_weight, total=event.total)

    @process_event.register(event_class(ManagerAssessment, "Approved"))
    def assessment_approved(self, event: Any, tracking: Tracking) -> None:
        self._assessed(event, approved_on=event.on)

    def _assessed(self, event: Any, **changes: Any) -> None:
        assessed = self.view.assessment(event.originator_id)
        assert assessed is not None, f"manager report has no assessment {event.originator_id}"
        self.view.put_assessment(event.originator_id, replace(assessed, **changes))

    @process_event.register(event_class(Customer, "Registered"))
    def registered(self, event: Any, tracking: Tracking) -> None:
        customer = ManagedCustomer(event.number, event.manager, "prospect", lapsed=False)
        self.view.put_customer(event.originator_id, customer)

    @process_event.register(event_class(Customer, "ManagerReassigned"))
    def manager_reassigned(self, event: Any, tracking: Tracking) -> None:
        self._change(event, manager=event.manager)

    @process_event.register(event_class(Customer, "ContactRecorded"))
    def contact_recorded(self, event: Any, tracking: Tracking) -> None:
        self._activity(event, tracking, "contact", event.purpose)
        self._change(event, lapsed=False)

    @process_event.register(event_class(Customer, "SurveyRecorded"))
    def survey_recorded(self, event: Any, tracking: Tracking) -> None:
        self._activity(event, tracking, "survey", event.channel, event.score)

    @process_event.register(event_class(Customer, "Lapsed"))
    def lapsed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, lapsed=True)

    @process_event.register(event_class(Customer, "VisitCycleSet"))
    def visit_cycle_set(self, event: Any, tracking: Tracking) -> None:
        self._change(event, lapsed=False)

    @process_event.register(event_class(Customer, "Activated"))
    def activated(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="active")

    @process_event.register(event_class(Customer, "MadeDormant"))
    def made_dormant(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="dormant")

    @process_event.register(event_class(Customer, "Lost"))
    def lost(self, event: Any, tracking: Tracking) -> None:
        self._activity(event, tracking, "lost", event.reason)
        self._change(event, status="lost", lapsed=False)

    @process_event.register(event_class(Customer, "Reactivated"))
    def reactivated(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="active", lapsed=False)

    @process_event.register(event_class(Customer, "Closed"))
    def closed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="closed", lapsed=False)

    def _manager(self, event: Any, **changes: Any) -> None:
        registered = self.view.manager(event.originator_id)
        assert registered is not None, f"manager report has no manager {event.originator_id}"
        self.view.put_manager(event.originator_id, replace(registered, **changes))

    def _customer(self, event: Any) -> ManagedCustomer:
        customer = self.view.customer(event.originator_id)
        assert customer is not None, f"manager report has no customer {event.originator_id}"
        return customer

    def _change(self, event: Any, **changes: Any) -> None:
        self.view.put_customer(event.originator_id, replace(self._customer(event), **changes))

    def _activity(
        self, event: Any, tracking: Tracking, kind: str, detail: str, score: int | None = None
    ) -> None:
        manager = self._customer(event).manager
        position, customer_id = tracking.notification_id, event.originator_id
        self.view.add_activity(
            Activity(position, kind, customer_id, manager, event.on, detail, score)
        )
