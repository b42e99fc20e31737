"""The customer directory: one row per customer, as operations staff look them up."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from attrs import frozen
from eventsourcing.persistence import Tracking
from msgspec import Struct
from msgspec.structs import astuple, replace

from clientbook.domain.customer import (
    CONTACT_DETAILS,
    ERASED,
    UNAVAILABLE,
    Customer,
    comparable_phone,
)
from clientbook.projections.handlers import EventProjection
from clientbook.projections.view import TrackedView, event_class, events_of, topics


def _step(consents: tuple[str, ...], last_contact: date | None, status: str) -> int:
    if consents:
        return 3
    return 2 if last_contact is not None or status != "prospect" else 1


def _seen_due(status: str, last_seen: date, visit_cycle_days: int | None) -> date | None:
    if visit_cycle_days is None or status in ("lost", "closed"):
        return None
    return last_seen + timedelta(days=visit_cycle_days)


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
    contact_consents: tuple[str, ...] = ()
    """The contact details (phone, email, address) whose consent stands."""

    @property
    def seen_due(self) -> date | None:
        """Last seen plus the usual cycle: past it (and the grace days) the customer lapses."""
        return _seen_due(self.status, self.last_seen, self.visit_cycle_days)

    @property
    def contact_step(self) -> int:
        """Essay 5's step reached (`CONTACT_STEPS`): 3 with a contact detail's consent, else
        2 once seen again or activated, else 1 (the customer's own rule, from this row)."""
        return _step(self.contact_consents, self.last_contact, self.status)


class Listing(Struct, frozen=True):
    """The document the projection keeps per customer: a directory entry's fields, in order."""

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
    contact_consents: tuple[str, ...] = ()

    @property
    def seen_due(self) -> date | None:
        return _seen_due(self.status, self.last_seen, self.visit_cycle_days)

    def entry(self) -> DirectoryEntry:
        return DirectoryEntry(*astuple(self))


class CustomerDirectoryView(TrackedView):
    """Where the directory is kept, and how it is searched."""

    @abstractmethod
    def listing(self, customer_id: UUID) -> Listing | None:
        """The customer's document as the projection last put it (in a page: its latest)."""

    @abstractmethod
    def put(self, listing: Listing) -> None: ...

    @abstractmethod
    def get(self, customer_id: UUID) -> DirectoryEntry | None: ...

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
    def index(self, customer_id: UUID, kind: str, value: str | None) -> None:
        """Keep `value` (a comparable phone, a document number) as the customer's `kind` for
        exact-match lookups; None takes it out."""

    @abstractmethod
    def find(self, kind: str, value: str) -> list[DirectoryEntry]:
        """The customers whose `kind` is `value` exactly, in customer-number order."""

    @abstractmethod
    def lapse_candidates(
        self, on: date, grace_days: int, tier_cycles: Mapping[str, int]
    ) -> Sequence[UUID]:
        """Customers not lapsed whose usual cycle (their own, else their tier's from
        `tier_cycles`) plus the grace days has passed by `on`."""


class CustomerDirectoryProjection(EventProjection[CustomerDirectoryView]):
    """Customer events into the directory."""

    name = "customer_directory"
    version = 2  # 2: names sealed, phones and documents in a blind index, contact consents
    topics = topics(
        *events_of(
            Customer,
            "Registered",
            "ProfileUpdated",
            "IdentityDocumentRecorded",
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
            "ConsentGiven",
            "ConsentWithdrawn",
        )
    )

    @singledispatchmethod
    def process_event(self, event: Any, tracking: Tracking) -> None:
        """An event the directory does not show."""

    @process_event.register(event_class(Customer, "Registered"))
    def registered(self, event: Any, tracking: Tracking) -> None:
        self.view.put(
            Listing(
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
        self._index(event, phone=event.phone, document=event.document_number)

    @process_event.register(event_class(Customer, "ProfileUpdated"))
    def profile_updated(self, event: Any, tracking: Tracking) -> None:
        if event.name is not None:
            self._change(event, name=event.name)
        self._index(event, phone=event.phone)

    @process_event.register(event_class(Customer, "IdentityDocumentRecorded"))
    def identity_document_recorded(self, event: Any, tracking: Tracking) -> None:
        self._index(event, document=event.document_number)

    @process_event.register(event_class(Customer, "ManagerReassigned"))
    def manager_reassigned(self, event: Any, tracking: Tracking) -> None:
        self._change(event, manager=event.manager)

    @process_event.register(event_class(Customer, "SegmentChanged"))
    def segment_changed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, segment=event.segment)

    @process_event.register(event_class(Customer, "TierChanged"))
    def tier_changed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, tier=event.tier)

    @process_event.register(event_class(Customer, "ContactRecorded"))
    def contact_recorded(self, event: Any, tracking: Tracking) -> None:
        listing = self._listing(event)
        last = event.on if listing.last_contact is None else max(listing.last_contact, event.on)
        seen = max(listing.last_seen, event.on)
        self.view.put(replace(listing, last_contact=last, last_seen=seen, lapsed=False))

    @process_event.register(event_class(Customer, "VisitCycleSet"))
    def visit_cycle_set(self, event: Any, tracking: Tracking) -> None:
        self._change(event, visit_cycle_days=event.days, lapsed=False)

    @process_event.register(event_class(Customer, "Lapsed"))
    def lapsed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, lapsed=True)

    @process_event.register(event_class(Customer, "Activated"))
    def activated(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="active")

    @process_event.register(event_class(Customer, "MadeDormant"))
    def made_dormant(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="dormant")

    @process_event.register(event_class(Customer, "Lost"))
    def lost(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="lost", lapsed=False)

    @process_event.register(event_class(Customer, "Reactivated"))
    def reactivated(self, event: Any, tracking: Tracking) -> None:
        listing = self._listing(event)
        seen = max(listing.last_seen, event.on)
        self.view.put(replace(listing, status="active", last_seen=seen, lapsed=False))

    @process_event.register(event_class(Customer, "Restricted"))
    def restricted(self, event: Any, tracking: Tracking) -> None:
        self._change(event, restricted=True)

    @process_event.register(event_class(Customer, "RestrictionLifted"))
    def restriction_lifted(self, event: Any, tracking: Tracking) -> None:
        self._change(event, restricted=False)

    @process_event.register(event_class(Customer, "Closed"))
    def closed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="closed", lapsed=False)

    @process_event.register(event_class(Customer, "ConsentGiven"))
    def consent_given(self, event: Any, tracking: Tracking) -> None:
        if event.kind in CONTACT_DETAILS:
            consents = self._listing(event).contact_consents
            self._change(event, contact_consents=tuple(sorted({*consents, event.kind})))

    @process_event.register(event_class(Customer, "ConsentWithdrawn"))
    def consent_withdrawn(self, event: Any, tracking: Tracking) -> None:
        consents = self._listing(event).contact_consents
        self._change(event, contact_consents=tuple(c for c in consents if c != event.kind))

    @process_event.register(event_class(Customer, "PersonalDataErased"))
    def personal_data_erased(self, event: Any, tracking: Tracking) -> None:
        self._change(event, name=ERASED)
        self.view.index(event.originator_id, "phone", None)
        self.view.index(event.originator_id, "document", None)

    def _index(self, event: Any, **values: str | None) -> None:
        """Index the values an event gives ("" clears one); one it could not open is left."""
        for kind, value in values.items():
            if value is not None and value not in (ERASED, UNAVAILABLE):
                comparable = comparable_phone(value) if kind == "phone" else value
                self.view.index(event.originator_id, kind, comparable or None)

    def _listing(self, event: Any) -> Listing:
        listing = self.view.listing(event.originator_id)
        assert listing is not None, f"directory has no customer {event.originator_id}"
        return listing

    def _change(self, event: Any, **changes: Any) -> None:
        self.view.put(replace(self._listing(event), **changes))
