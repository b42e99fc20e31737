"""The customer directory: one row per customer, as operations staff look them up."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import date, timedelta
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

import attrs
from attrs import frozen
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from clientbook.domain.customer import ERASED, Customer
from clientbook.projections.view import TrackedView, event_class, events_of, topics


@frozen
class DirectoryEntry:
    """A customer's directory row."""

    customer_id: UUID
    number: str
    name: str
    kind: str
    segment: str
    tier: str
    manager: str
    status: str
    restricted: bool
    registered_on: date
    last_contact: date | None
    last_seen: date
    visit_cycle_days: int | None
    lapsed: bool

    @property
    def seen_due(self) -> date | None:
        """Last seen plus the usual cycle: past it (and the grace days) the customer lapses."""
        if self.visit_cycle_days is None or self.status in ("lost", "closed"):
            return None
        return self.last_seen + timedelta(days=self.visit_cycle_days)


class CustomerDirectoryView(TrackedView):
    """Where the directory is kept, and how it is searched."""

    @abstractmethod
    def get(self, customer_id: UUID) -> DirectoryEntry | None: ...

    @abstractmethod
    def put(self, entry: DirectoryEntry) -> None: ...

    @abstractmethod
    def search(
        self,
        *,
        manager: str | None = None,
        status: str | None = None,
        lapsed: bool | None = None,
        number: str | None = None,
    ) -> list[DirectoryEntry]:
        """Entries in customer-number order."""

    @abstractmethod
    def lapse_candidates(self, on: date, grace_days: int) -> Sequence[UUID]:
        """Customers not lapsed whose usual cycle plus the grace days has passed by `on`."""


class CustomerDirectoryProjection(Projection[CustomerDirectoryView]):
    """Customer events into the directory."""

    name = "customer_directory"
    topics = topics(
        *events_of(
            Customer,
            "Registered",
            "ProfileUpdated",
            "ManagerReassigned",
            "SegmentChanged",
            "TierChanged",
            "ContactRecorded",
            "VisitCycleSet",
            "Lapsed",
            "Activated",
            "MadeDormant",
            "Lost",
            "Reactivated",
            "Restricted",
            "RestrictionLifted",
            "Closed",
            "PersonalDataErased",
        )
    )

    @singledispatchmethod
    def process_event(self, event: Any, tracking: Tracking) -> None:
        entry = self.view.get(event.originator_id)
        assert entry is not None, f"directory has no customer {event.originator_id}"
        changes = _CHANGES.get(type(event).__name__, lambda e, _: {})(event, entry)
        self.view.put(attrs.evolve(entry, **changes))

    @process_event.register(event_class(Customer, "Registered"))
    def registered(self, event: Any, tracking: Tracking) -> None:
        self.view.put(
            DirectoryEntry(
                customer_id=event.originator_id,
                number=event.number,
                name=event.name,
                kind=event.kind,
                segment=event.segment,
                tier=event.tier,
                manager=event.manager,
                status="prospect",
                restricted=False,
                registered_on=event.on,
                last_contact=None,
                last_seen=event.on,
                visit_cycle_days=event.visit_cycle_days,
                lapsed=False,
            )
        )


def _contact(event: Any, entry: DirectoryEntry) -> dict[str, Any]:
    last = event.on if entry.last_contact is None else max(entry.last_contact, event.on)
    return {"last_contact": last, "last_seen": max(entry.last_seen, event.on), "lapsed": False}


_CHANGES: dict[str, Any] = {
    "ProfileUpdated": lambda e, _: {} if e.name is None else {"name": e.name},
    "ManagerReassigned": lambda e, _: {"manager": e.manager},
    "SegmentChanged": lambda e, _: {"segment": e.segment},
    "TierChanged": lambda e, _: {"tier": e.tier},
    "ContactRecorded": _contact,
    "VisitCycleSet": lambda e, _: {"visit_cycle_days": e.days, "lapsed": False},
    "Lapsed": lambda e, _: {"lapsed": True},
    "Activated": lambda e, _: {"status": "active"},
    "MadeDormant": lambda e, _: {"status": "dormant"},
    "Lost": lambda e, _: {"status": "lost", "lapsed": False},
    "Reactivated": lambda e, r: {"status": "active", "last_seen": max(r.last_seen, e.on),
                                 "lapsed": False},
    "Restricted": lambda e, _: {"restricted": True},
    "RestrictionLifted": lambda e, _: {"restricted": False},
    "Closed": lambda e, _: {"status": "closed", "lapsed": False},
    "PersonalDataErased": lambda e, _: {"name": ERASED},
}
