"""Complaint record cards and the worklist: one card per complaint, kept as a document."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import attrs
from attrs import frozen
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from clientbook.domain.complaint import Complaint
from clientbook.domain.customer import ERASED, Customer
from clientbook.domain.money import Money
from clientbook.projections.view import TrackedView, events_of, topics

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


class ComplaintCardsView(TrackedView):
    """Where the record cards are kept, and how the worklist is read from them."""

    @abstractmethod
    def card(self, complaint_id: UUID) -> dict[str, Any] | None:
        """The card's document (as the projection wrote it)."""

    @abstractmethod
    def put_card(self, complaint_id: UUID, document: dict[str, Any]) -> None: ...

    @abstractmethod
    def set_customer_name(self, customer_id: UUID, name: str) -> None: ...

    @abstractmethod
    def cards(
        self, *, open_only: bool = False, customer_id: UUID | None = None
    ) -> list[ComplaintCard]:
        """Cards in order of deadline, then number."""


def _money(value: Any) -> Any:
    return None if value is None else {"amount": str(value.amount), "currency": value.currency}


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


class ComplaintCardsProjection(Projection[ComplaintCardsView]):
    """Complaint events into record cards; customer names from customer events."""

    name = "complaint_cards"
    topics = topics(
        *COMPLAINT_EVENTS,
        *events_of(Customer, "Registered", "ProfileUpdated", "PersonalDataErased"),
    )

    def process_event(self, event: Any, tracking: Tracking) -> None:
        kind = type(event).__name__
        if isinstance(event, Customer.Event):
            self._customer_name(event, kind)
            return
        card = self._new(event) if kind == "Received" else self.view.card(event.originator_id)
        assert card is not None, f"no record card for complaint {event.originator_id}"
        card.update(_CARD_CHANGES.get(kind, lambda e, c: {})(event, card))
        card["steps"].append(
            [tracking.notification_id, kind, event.by, event.on.isoformat(), _detail(event)]
        )
        self.view.put_card(event.originator_id, card)

    def _customer_name(self, event: Any, kind: str) -> None:
        """A customer's name as the cards show it (the event classes are made at run time)."""
        name = ERASED if kind == "PersonalDataErased" else event.name
        if name is not None:
            self.view.set_customer_name(event.originator_id, name)

    @staticmethod
    def _new(e: Any) -> dict[str, Any]:
        return {
            "number": e.number,
            "customer_id": str(e.customer_id),
            "category": e.category,
            "channel": e.channel,
            "product": e.product,
            "request": e.request,
            "department": e.department,
            "handling_department": None,
            "claimed": _money(e.claimed),
            "received_on": e.on.isoformat(),
            "recorded_at": e.timestamp.isoformat(),
            "deadline": e.deadline.isoformat(),
            "step": "received",
            "rejected": False,
            "opinion": None,
            "resolution": None,
            "approved_amount": None,
            "paid": None,
            "satisfaction": None,
            "in_time": None,
            "closed_on": None,
            "overdue": False,
            "reopened": 0,
            "steps": [],
        }


def _closing(e: Any, card: dict[str, Any]) -> dict[str, Any]:
    in_time = card["in_time"] if card["in_time"] is not None else e.in_time
    return {"step": "closed", "closed_on": e.on.isoformat(), "in_time": in_time}


def _accumulate(amount: Money | None, card: dict[str, Any], key: str) -> dict[str, Any]:
    """Add an amount to a running total on the card (payments, approvals across reopens)."""
    if amount is None:
        return {}
    total = Money(amount.amount, amount.currency)
    if card[key] is not None:
        total = total + Money(card[key]["amount"], card[key]["currency"])
    return {key: _money(total)}


_CARD_CHANGES: dict[str, Any] = {
    "Accepted": lambda e, c: {"step": "accepted"},
    "Rejected": lambda e, c: {
        **_closing(e, c),
        "rejected": True,
        "resolution": f"rejected: {e.reply}",
    },
    "Assigned": lambda e, c: {"step": "assigned", "handling_department": e.department},
    "Investigated": lambda e, c: {"step": "investigated"},
    "Reviewed": lambda e, c: {"step": "reviewed"},
    "Endorsed": lambda e, c: {"step": "endorsed", "opinion": e.opinion},
    "ReportApproved": lambda e, c: {"step": "approved"},
    "ReturnedForRework": lambda e, c: {"step": "assigned"},
    "ResolutionProposed": lambda e, c: {
        "step": "resolution_proposed",
        "resolution": f"{e.resolution.kind}: {e.resolution.text}",
    },
    "ResolutionApproved": lambda e, c: {
        "step": "resolution_approved",
        **_accumulate(e.amount, c, "approved_amount"),
    },
    "CompensationPaid": lambda e, c: _accumulate(e.amount, c, "paid"),
    "Replied": lambda e, c: {"step": "replied"},
    "FollowedUp": lambda e, c: {"step": "followed_up", "satisfaction": e.satisfaction},
    "Closed": _closing,
    "Reopened": lambda e, c: {
        "step": e.step,
        "deadline": e.deadline.isoformat(),
        "reopened": c["reopened"] + 1,
        "overdue": False,
        "closed_on": None,
        "rejected": False,
    },
    "BecameOverdue": lambda e, c: {"overdue": True},
}


def card_of(complaint_id: UUID, doc: dict[str, Any], customer_name: str | None) -> ComplaintCard:
    """The immutable card from its stored document."""

    def money(value: Any) -> Money | None:
        return None if value is None else Money(value["amount"], value["currency"])

    def day(value: str | None) -> date | None:
        return None if value is None else date.fromisoformat(value)

    return ComplaintCard(
        complaint_id=complaint_id,
        number=doc["number"],
        customer_id=UUID(doc["customer_id"]),
        customer_name=customer_name or "",
        category=doc["category"],
        channel=doc["channel"],
        product=doc["product"],
        request=doc["request"],
        department=doc["department"],
        handling_department=doc["handling_department"],
        claimed=money(doc["claimed"]),
        received_on=date.fromisoformat(doc["received_on"]),
        recorded_at=datetime.fromisoformat(doc["recorded_at"]),
        deadline=date.fromisoformat(doc["deadline"]),
        step=doc["step"],
        rejected=doc["rejected"],
        opinion=doc["opinion"],
        resolution=doc["resolution"],
        approved_amount=money(doc["approved_amount"]),
        paid=money(doc["paid"]),
        satisfaction=doc["satisfaction"],
        in_time=doc["in_time"],
        closed_on=day(doc["closed_on"]),
        overdue=doc["overdue"],
        reopened=doc["reopened"],
        steps=tuple(Step(p, e, b, day(o), d) for p, e, b, o, d in doc["steps"]),
    )


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
