"""Complaint facts: one per complaint event, what the complaints report needs of it.

The projection keeps one fact per complaint event (position, business date, what the report
needs of it); the report (reports/complaints.py) folds each complaint's facts up to the as-of
date (and log position), so a report as of an earlier date ignores everything recorded for
later dates.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import date
from functools import singledispatchmethod
from typing import Any, Iterator
from uuid import UUID

from eventsourcing.persistence import Tracking
from msgspec import Struct

from clientbook.domain.complaint import Complaint
from clientbook.domain.money import Money
from clientbook.projections.complaints import COMPLAINT_EVENTS
from clientbook.projections.handlers import EventProjection
from clientbook.projections.view import TrackedView, event_class, topics


class Fact(Struct, frozen=True, omit_defaults=True):
    """A complaint event as the report counts it: when, and what of it the report needs."""

    position: int
    complaint_id: UUID
    event: str
    on: date
    category: str | None = None
    channel: str | None = None
    department: str | None = None
    deadline: date | None = None
    in_time: bool | None = None
    amount: Money | None = None
    satisfaction: int | None = None


class ComplaintFactsView(TrackedView):
    @abstractmethod
    def add_fact(self, fact: Fact) -> None: ...

    @abstractmethod
    def facts(self, *, up_to_position: int | None = None) -> list[Fact]:
        """All facts in log order, up to a log position when one is given."""

    @abstractmethod
    def facts_for(self, after: int, up_to: int, on: date) -> tuple[int, Iterator[Fact]]:
        """The facts after a position and up to another that a report as of `on` must fold,
        in log order, and the position they are complete to (the facts left out after it are
        all dated after `on`)."""


def _complaint(name: str) -> type:
    return event_class(Complaint, name)


class ComplaintFactsProjection(EventProjection[ComplaintFactsView]):
    """A fact per complaint event: even one the report does not count dates its complaint (a
    report as of an earlier date stops before it)."""

    name = "complaint_facts"
    version = 3  # 3: fact blocks keep their earliest business date
    topics = topics(*COMPLAINT_EVENTS)

    @singledispatchmethod
    def process_event(self, event: Any, tracking: Tracking) -> None:
        """An event the report does not count."""

    @process_event.register(Complaint.Event)
    def dated(self, event: Any, tracking: Tracking) -> None:
        self._fact(event, tracking)

    @process_event.register(_complaint("Received"))
    def received(self, event: Any, tracking: Tracking) -> None:
        self._fact(
            event,
            tracking,
            category=event.category,
            channel=event.channel,
            department=event.department,
            deadline=event.deadline,
        )

    @process_event.register(_complaint("Rejected"))
    @process_event.register(_complaint("Closed"))
    def ended(self, event: Any, tracking: Tracking) -> None:
        self._fact(event, tracking, in_time=event.in_time)

    @process_event.register(_complaint("ResolutionApproved"))
    @process_event.register(_complaint("CompensationPaid"))
    def compensated(self, event: Any, tracking: Tracking) -> None:
        self._fact(event, tracking, amount=event.amount)

    @process_event.register(_complaint("FollowedUp"))
    def followed_up(self, event: Any, tracking: Tracking) -> None:
        self._fact(event, tracking, satisfaction=event.satisfaction)

    @process_event.register(_complaint("Reopened"))
    def reopened(self, event: Any, tracking: Tracking) -> None:
        self._fact(event, tracking, deadline=event.deadline)

    def _fact(self, event: Any, tracking: Tracking, **details: Any) -> None:
        kind, position = type(event).__name__, tracking.notification_id
        self.view.add_fact(Fact(position, event.originator_id, kind, event.on, **details))
