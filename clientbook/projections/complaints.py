"""Complaint record cards and the worklist: one card per complaint, kept as a document."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import date, datetime
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

import attrs
from attrs import frozen
from eventsourcing.persistence import Tracking
from msgspec import Struct
from msgspec.structs import asdict, replace

from clientbook.domain.complaint import Complaint
from clientbook.domain.customer import ERASED, Customer
from clientbook.domain.money import Money
from clientbook.projections.handlers import EventProjection
from clientbook.projections.view import TrackedView, event_class, events_of, topics

COMPLAINT_EVENTS = events_of(Complaint)


@frozen
class Step:
    position: int
    event: str
    by: str
    on: date | None
    detail: str


@frozen
class ComplaintCard:
    """The complaint record card: who complained of what, when, and who did what since."""

    complaint_id: UUID
    number: str
    customer_id: UUID
    customer_name: str
    category: str
    channel: str
    product: str
    request: str
    department: str
    handling_department: str | None
    claimed: Money | None
    received_on: date
    recorded_at: datetime
    deadline: date
    step: str
    rejected: bool
    opinion: str | None
    resolution: str | None
    approved_amount: Money | None
    paid: Money | None
    satisfaction: int | None
    in_time: bool | None
    closed_on: date | None
    overdue: bool
    reopened: int
    steps: tuple[Step, ...]

    @property
    def is_open(self) -> bool:
        return self.step != "closed"


@frozen
class WorkItem:
    """An open complaint on the worklist, with days left (negative: days overdue)."""

    complaint_id: UUID
    number: str
    step: str
    department: str
    deadline: date
    days_left: int


class CardDocument(Struct, frozen=True):
    """What the projection keeps per complaint: the record card's fields but its id and the
    customer's name (kept per customer, as a customer's erasure changes every card of theirs)."""

    number: str
    customer_id: UUID
    category: str
    channel: str
    product: str
    request: str
    department: str
    claimed: Money | None
    received_on: date
    recorded_at: datetime
    deadline: date
    handling_department: str | None = None
    step: str = "received"
    rejected: bool = False
    opinion: str | None = None
    resolution: str | None = None
    approved_amount: Money | None = None
    paid: Money | None = None
    satisfaction: int | None = None
    in_time: bool | None = None
    closed_on: date | None = None
    overdue: bool = False
    reopened: int = 0
    steps: tuple[Step, ...] = ()

    def card(self, complaint_id: UUID, customer_name: str | None) -> ComplaintCard:
        return ComplaintCard(
            complaint_id=complaint_id, customer_name=customer_name or "", **asdict(self)
        )


class ComplaintCardsView(TrackedView):
    """Where the record cards are kept, and how the worklist is read from them."""

    @abstractmethod
    def document(self, complaint_id: UUID) -> CardDocument | None:
        """The card's document as the projection last put it (in a page: the latest)."""

    @abstractmethod
    def put_document(self, complaint_id: UUID, document: CardDocument) -> None: ...

    @abstractmethod
    def set_customer_name(self, customer_id: UUID, name: str) -> None: ...

    @abstractmethod
    def cards(
        self, *, open_only: bool = False, customer_id: UUID | None = None
    ) -> list[ComplaintCard]:
        """Cards in order of deadline, then number."""


def _detail(event: Any) -> str:
    skip = {"originator_id", "originator_version", "timestamp", "originator_topic", "by", "on"}
    parts = []
    for key, value in vars(event).items():
        if key in skip or value is None:
            continue
        text = (
            str(value)
            if not attrs.has(type(value)) or isinstance(value, Money)
            else "; ".join(
                f"{k.replace('_', ' ')}: {v}"
                for k, v in attrs.asdict(value, recurse=False).items()
                if v is not None
            )
        )
        parts.append(f"{key.replace('_', ' ')}: {text}")
    return "; ".join(parts)


def _total(so_far: Money | None, amount: Money | None) -> Money | None:
    """A running total on the card (payments, approvals across reopens)."""
    if amount is None:
        return so_far
    return amount if so_far is None else so_far + amount


def _complaint(name: str) -> type:
    return event_class(Complaint, name)


class ComplaintCardsProjection(EventProjection[ComplaintCardsView]):
    """Complaint events into record cards (every event a step on its card); customer names
    from customer events."""

    name = "complaint_cards"
    version = 3  # 3: customers' names sealed
    topics = topics(
        *COMPLAINT_EVENTS,
        *events_of(Customer, "Registered", "ProfileUpdated", "PersonalDataErased"),
    )

    @singledispatchmethod
    def process_event(self, event: Any, tracking: Tracking) -> None:
        """An event the cards do not show."""

    @process_event.register(Complaint.Event)
    def stepped(self, event: Any, tracking: Tracking) -> None:
        """A step on the card, changing nothing else."""
        self._step(event, tracking)

    @process_event.register(_complaint("Received"))
    def received(self, event: Any, tracking: Tracking) -> None:
        document = CardDocument(
            number=event.number,
            customer_id=event.customer_id,
            category=event.category,
            channel=event.channel,
            product=event.product,
            request=event.request,
            department=event.department,
            claimed=event.claimed,
            received_on=event.on,
            recorded_at=event.timestamp,
            deadline=event.deadline,
        )
        self.view.put_document(event.originator_id, document)
        self._step(event, tracking)

    @process_event.register(_complaint("Accepted"))
    def accepted(self, event: Any, tracking: Tracking) -> None:
        self._step(event, tracking, step="accepted")

    @process_event.register(_complaint("Rejected"))
    def rejected(self, event: Any, tracking: Tracking) -> None:
        self._closed(event, tracking, rejected=True, resolution=f"rejected: {event.reply}")

    @process_event.register(_complaint("Assigned"))
    def assigned(self, event: Any, tracking: Tracking) -> None:
        self._step(event, tracking, step="assigned", handling_department=event.department)

    @process_event.register(_complaint("Investigated"))
    def investigated(self, event: Any, tracking: Tracking) -> None:
        self._step(event, tracking, step="investigated")

    @process_event.register(_complaint("Reviewed"))
    def reviewed(self, event: Any, tracking: Tracking) -> None:
        self._step(event, tracking, step="reviewed")

    @process_event.register(_complaint("Endorsed"))
    def endorsed(self, event: Any, tracking: Tracking) -> None:
        self._step(event, tracking, step="endorsed", opinion=event.opinion)

    @process_event.register(_complaint("ReportApproved"))
    def report_approved(self, event: Any, tracking: Tracking) -> None:
        self._step(event, tracking, step="approved")

    @process_event.register(_complaint("ReturnedForRework"))
    def returned_for_rework(self, event: Any, tracking: Tracking) -> None:
        self._step(event, tracking, step="assigned")

    @process_event.register(_complaint("ResolutionProposed"))
    def resolution_proposed(self, event: Any, tracking: Tracking) -> None:
        resolution = f"{event.resolution.kind}: {event.resolution.text}"
        self._step(event, tracking, step="resolution_proposed", resolution=resolution)

    @process_event.register(_complaint("ResolutionApproved"))
    def resolution_approved(self, event: Any, tracking: Tracking) -> None:
        approved = _total(self._document(event).approved_amount, event.amount)
        self._step(event, tracking, step="resolution_approved", approved_amount=approved)

    @process_event.register(_complaint("CompensationPaid"))
    def compensation_paid(self, event: Any, tracking: Tracking) -> None:
        self._step(event, tracking, paid=_total(self._document(event).paid, event.amount))

    @process_event.register(_complaint("Replied"))
    def replied(self, event: Any, tracking: Tracking) -> None:
        self._step(event, tracking, step="replied")

    @process_event.register(_complaint("FollowedUp"))
    def followed_up(self, event: Any, tracking: Tracking) -> None:
        self._step(event, tracking, step="followed_up", satisfaction=event.satisfaction)

    @process_event.register(_complaint("Closed"))
    def closed(self, event: Any, tracking: Tracking) -> None:
        self._closed(event, tracking)

    @process_event.register(_complaint("Reopened"))
    def reopened(self, event: Any, tracking: Tracking) -> None:
        reopened = self._document(event).reopened + 1
        again = {"closed_on": None, "rejected": False, "overdue": False}
        self._step(
            event, tracking, step=event.step, deadline=event.deadline, reopened=reopened, **again
        )

    @process_event.register(_complaint("BecameOverdue"))
    def became_overdue(self, event: Any, tracking: Tracking) -> None:
        self._step(event, tracking, overdue=True)

    @process_event.register(event_class(Customer, "Registered"))
    @process_event.register(event_class(Customer, "ProfileUpdated"))
    def named(self, event: Any, tracking: Tracking) -> None:
        if event.name is not None:
            self.view.set_customer_name(event.originator_id, event.name)

    @process_event.register(event_class(Customer, "PersonalDataErased"))
    def erased(self, event: Any, tracking: Tracking) -> None:
        self.view.set_customer_name(event.originator_id, ERASED)

    def _document(self, event: Any) -> CardDocument:
        document = self.view.document(event.originator_id)
        assert document is not None, f"no record card for complaint {event.originator_id}"
        return document

    def _closed(self, event: Any, tracking: Tracking, **changes: Any) -> None:
        """Closed or rejected: whether in time is judged at the first closing only."""
        in_time = self._document(event).in_time
        in_time = event.in_time if in_time is None else in_time
        self._step(event, tracking, step="closed", closed_on=event.on, in_time=in_time, **changes)

    def _step(self, event: Any, tracking: Tracking, **changes: Any) -> None:
        document = self._document(event)
        kind, position = type(event).__name__, tracking.notification_id
        steps = (*document.steps, Step(position, kind, event.by, event.on, _detail(event)))
        self.view.put_document(event.originator_id, replace(document, **changes, steps=steps))


def worklist(cards: Sequence[ComplaintCard], as_of: date) -> list[WorkItem]:
    """Open complaints by deadline, with days left (or, negative, days overdue) on `as_of`."""
    return [
        WorkItem(
            c.complaint_id,
            c.number,
            c.step,
            c.handling_department or c.department,
            c.deadline,
            (c.deadline - as_of).days,
        )
        for c in sorted(cards, key=lambda c: (c.deadline, c.number))
        if c.is_open
    ]
