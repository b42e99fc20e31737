"""The complaints report for a period, as of a date: computed from complaint facts, one per event.

The projection keeps one fact row per complaint event (position, business date, what the report
needs of it); the report folds each complaint's facts up to the as-of date (and log position),
so a report as of an earlier date ignores everything recorded for later dates.
"""

from __future__ import annotations

from abc import abstractmethod
from collections import Counter, defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable
from uuid import UUID

from attrs import define, frozen
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from clientbook.domain.money import Money
from clientbook.projections.complaints import COMPLAINT_EVENTS
from clientbook.projections.view import TrackedView, dated_prefix, topics

TWO_PLACES = Decimal("0.01")


@frozen
class Fact:
    position: int
    complaint_id: UUID
    event: str
    on: date
    data: dict[str, Any]


class ComplaintFactsView(TrackedView):
    @abstractmethod
    def add_fact(self, fact: Fact) -> None: ...

    @abstractmethod
    def facts(self, *, up_to_position: int | None = None) -> list[Fact]:
        """All facts in log order, up to a log position when one is given."""


def _amount(money: Any) -> dict[str, str] | None:
    return None if money is None else {"amount": str(money.amount), "currency": money.currency}


_FACT_DATA: dict[str, Any] = {
    "Received": lambda e: {
        "category": e.category,
        "channel": e.channel,
        "product": e.product,
        "department": e.department,
        "deadline": e.deadline.isoformat(),
    },
    "Rejected": lambda e: {"in_time": e.in_time},
    "Closed": lambda e: {"in_time": e.in_time},
    "Assigned": lambda e: {"department": e.department},
    "ResolutionApproved": lambda e: {"amount": _amount(e.amount)},
    "CompensationPaid": lambda e: {"amount": _amount(e.amount)},
    "FollowedUp": lambda e: {"satisfaction": e.satisfaction},
    "Reopened": lambda e: {"deadline": e.deadline.isoformat()},
}


class ComplaintFactsProjection(Projection[ComplaintFactsView]):
    name = "complaint_facts"
    topics = topics(*COMPLAINT_EVENTS)

    def process_event(self, event: Any, tracking: Tracking) -> None:
        kind = type(event).__name__
        data = _FACT_DATA.get(kind, lambda e: {})(event)
        self.view.add_fact(
            Fact(tracking.notification_id, event.originator_id, kind, event.on, data)
        )


@frozen
class ComplaintsReport:
    """Complaint handling for a period, as it stood on the as-of date. Accepted, rejected and
    reopened count complaints, not events: a complaint rejected, reopened and rejected again
    in the period is one rejected complaint (and one reopened)."""

    period_from: date
    period_to: date
    as_of: date
    position: int
    received: int
    accepted: int
    rejected: int
    closed: int
    closed_in_time: int
    closed_in_time_percent: Decimal | None
    open_overdue: int
    reopened: int
    by_category: tuple[tuple[str, int], ...]
    by_channel: tuple[tuple[str, int], ...]
    by_department: tuple[tuple[str, int], ...]
    average_days_to_close: Decimal | None
    max_days_to_close: int | None
    compensation_approved: tuple[Money, ...]
    compensation_paid: tuple[Money, ...]
    average_satisfaction: Decimal | None


@define
class _Complaint:
    received_on: date
    category: str
    channel: str
    department: str
    deadline: date
    open: bool = True
    first_closed_on: date | None = None
    in_time: bool | None = None


def complaints_report(
    facts: Iterable[Fact],
    *,
    period_from: date,
    period_to: date,
    as_of: date | None = None,
    position: int = 0,
) -> ComplaintsReport:
    """Fold the facts recorded for business dates up to `as_of` into the period's figures."""
    as_of = as_of or period_to
    within = lambda day: period_from <= day <= period_to  # noqa: E731
    complaints: dict[UUID, _Complaint] = {}
    counted: defaultdict[str, set[UUID]] = defaultdict(set)  # event -> complaints, not events
    approved: defaultdict[str, Decimal] = defaultdict(Decimal)
    paid: defaultdict[str, Decimal] = defaultdict(Decimal)
    scores: list[int] = []
    for fact in dated_prefix(facts, as_of, lambda f: f.complaint_id, lambda f: f.on):
        if fact.event == "Received":
            d = fact.data
            complaints[fact.complaint_id] = _Complaint(
                fact.on,
                d["category"],
                d["channel"],
                d["department"],
                date.fromisoformat(d["deadline"]),
            )
        c = complaints.get(fact.complaint_id)
        if c is None:  # received after the as-of date
            continue
        if not within(fact.on):
            _apply(c, fact)
            continue
        counted[fact.event].add(fact.complaint_id)
        if fact.event in ("ResolutionApproved", "CompensationPaid") and fact.data["amount"]:
            totals = approved if fact.event == "ResolutionApproved" else paid
            totals[fact.data["amount"]["currency"]] += Decimal(fact.data["amount"]["amount"])
        if fact.event == "FollowedUp":
            scores.append(fact.data["satisfaction"])
        _apply(c, fact)
    received = [c for c in complaints.values() if within(c.received_on)]
    closed = [c for c in complaints.values() if c.first_closed_on and within(c.first_closed_on)]
    in_time = sum(1 for c in closed if c.in_time)
    days = [(c.first_closed_on - c.received_on).days for c in closed if c.first_closed_on]
    return ComplaintsReport(
        period_from=period_from,
        period_to=period_to,
        as_of=as_of,
        position=position,
        received=len(received),
        accepted=len(counted["Accepted"]),
        rejected=len(counted["Rejected"]),
        closed=len(closed),
        closed_in_time=in_time,
        closed_in_time_percent=_ratio(Decimal(100 * in_time), len(closed)),
        open_overdue=sum(1 for c in complaints.values() if c.open and c.deadline < as_of),
        reopened=len(counted["Reopened"]),
        by_category=_count(c.category for c in received),
        by_channel=_count(c.channel for c in received),
        by_department=_count(c.department for c in received),
        average_days_to_close=_ratio(Decimal(sum(days)), len(days)),
        max_days_to_close=max(days) if days else None,
        compensation_approved=tuple(Money(v, k) for k, v in sorted(approved.items())),
        compensation_paid=tuple(Money(v, k) for k, v in sorted(paid.items())),
        average_satisfaction=_ratio(Decimal(sum(scores)), len(scores)),
    )


def _apply(c: _Complaint, fact: Fact) -> None:
    if fact.event in ("Closed", "Rejected"):
        c.open = False
        if c.first_closed_on is None:
            c.first_closed_on, c.in_time = fact.on, fact.data["in_time"]
    elif fact.event == "Reopened":
        c.open, c.deadline = True, date.fromisoformat(fact.data["deadline"])


def _ratio(total: Decimal, count: int) -> Decimal | None:
    return None if not count else (total / count).quantize(TWO_PLACES, ROUND_HALF_UP)


def _count(values: Iterable[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(Counter(values).items()))
