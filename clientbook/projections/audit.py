"""The audit trail: every event of the log, who did it, when, on which business date, what changed.

The trail is an index of the log (position, dates, actor, aggregate, version, event type), not a
copy of it: an entry's changes are read from the log when asked for, with its sealed personal
fields opened then, so data erased by forgetting its key reads as erased here too."""

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

from clientbook.projections.view import TrackedView

_NOT_CHANGES = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "by", "on"}
)


Indexed = tuple[int, datetime, date | None, str, str, UUID, int, str]
"""What the trail keeps of an event: (position, recorded at, business date, actor, aggregate
type, aggregate id, version, event type)."""


@frozen
class AuditEntry:
    """One event as an auditor reads it."""

    position: int
    recorded_at: datetime
    business_date: date | None
    actor: str
    aggregate_type: str
    aggregate_id: UUID
    version: int
    event_type: str
    changes: dict[str, Any]
    proposed_by: str | None = None
    """For an approval under four eyes: who made what it approves (see FOUR_EYES)."""
    proposal_position: int | None = None

    @property
    def backdated(self) -> bool:
        """Recorded after the business date it takes effect on."""
        return self.business_date is not None and self.business_date < self.recorded_at.date()


class AuditTrailView(TrackedView):
    """Where the index of the log is kept, and how it is searched; an entry's changes are read
    from the log when it is asked for."""

    @abstractmethod
    def index(self, entries: Sequence[Indexed]) -> None:
        """Index these events of the log (written with the page they are in)."""

    @abstractmethod
    def entries(
        self,
        *,
        aggregate: UUID | None = None,
        actor: str | None = None,
        event_type: str | None = None,
        recorded_from: datetime | None = None,
        recorded_to: datetime | None = None,
        on_from: date | None = None,
        on_to: date | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Entries in log order, filtered by aggregate, actor, event type and period."""

    @abstractmethod
    def versions(
        self, aggregate_type: str, *, on: date | None = None, position: int | None = None
    ) -> dict[UUID, int]:
        """Each aggregate's version as of a business date and log position: the longest run of
        its events all dated on or before `on` and recorded at or before `position`."""


FOUR_EYES: dict[tuple[str, str], tuple[str, ...]] = {
    ("CardAccount", "Decided"): ("Applied",),
    ("CardAccount", "WrittenOff"): ("WriteOffProposed",),
    ("CardAccount", "LimitChanged"): ("LimitIncreaseProposed",),
    ("Complaint", "Reviewed"): ("Investigated",),
    ("Complaint", "Endorsed"): ("Investigated",),
    ("Complaint", "ReportApproved"): ("Investigated",),
    ("Complaint", "ResolutionApproved"): ("ResolutionProposed",),
    ("CreditLine", "Approved"): ("Proposed",),
    ("CreditLine", "LimitIncreased"): ("LimitIncreaseProposed",),
    ("CreditGroup", "Released"): ("Reviewed",),
}
"""Each event that approves under four eyes, and the events that made what it approves: the
domain refuses the approval by the person who made those (`require_four_eyes`)."""

INCREASE_APPROVED = "increase approved"
"""A card's limit change approves a proposal only when it carries this reason (a decrease is
made at once, by one person)."""


def pair_four_eyes(entry: AuditEntry, history: list[AuditEntry]) -> AuditEntry:
    """The entry with its proposer, when it approves under four eyes: the latest proposal of the
    same aggregate before it that no earlier approval of the same kind has already answered
    (`history` is that aggregate's entries in log order)."""
    proposals = FOUR_EYES.get((entry.aggregate_type, entry.event_type))
    if proposals is None:
        return entry
    if entry.event_type == "LimitChanged" and entry.changes.get("reason") != INCREASE_APPROVED:
        return entry
    proposal = None
    for earlier in history:
        if earlier.position >= entry.position:
            break
        if earlier.event_type in proposals:
            proposal = earlier
        elif earlier.event_type == entry.event_type:
            proposal = None  # answered already: an approval needs a proposal of its own
    if proposal is None:
        return entry
    return attrs.evolve(entry, proposed_by=proposal.actor, proposal_position=proposal.position)


def entry_of(position: int, event: Any, changes: dict[str, Any]) -> AuditEntry:
    """The entry of the event at this position of the log, with what it changed (`changes_of`,
    as the view presents it)."""
    aggregate_type, event_type = kind_of(type(event))
    return AuditEntry(
        position=position,
        recorded_at=event.timestamp,
        business_date=getattr(event, "on", None),
        actor=getattr(event, "by", "?"),
        aggregate_type=aggregate_type,
        aggregate_id=event.originator_id,
        version=event.originator_version,
        event_type=event_type,
        changes=changes,
    )


def changes_of(event: Any) -> dict[str, Any]:
    """What an event changed: its fields but for those every entry has in columns of its own."""
    return {k: v for k, v in vars(event).items() if k not in _NOT_CHANGES}


_KINDS: dict[type, tuple[str, str]] = {}


def kind_of(event_class: type) -> tuple[str, str]:
    """(aggregate type, event type) of an event class: ("Customer", "Registered")."""
    kind = _KINDS.get(event_class)
    if kind is None:
        aggregate_type, _, event_type = event_class.__qualname__.rpartition(".")
        kind = _KINDS[event_class] = (aggregate_type, event_type)
    return kind


class AuditTrailProjection(Projection[AuditTrailView]):
    """Every event, in log order, into the index of the log."""

    name = "audit_trail"
    topics = ()
    version = 2
    """2: the trail indexes the log and reads an event's changes from it (1 copied them)."""

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.index([_indexed(tracking.notification_id, domain_event)])

    def process_page(self, events: Sequence[tuple[Tracking, Any]]) -> None:
        """A page of the log at once (a rebuild indexes every event, and a call per event
        would cost more than the row)."""
        self.view.index([_indexed(tracking.notification_id, event) for tracking, event in events])


def _indexed(position: int, event: Any) -> Indexed:
    aggregate_type, event_type = kind_of(type(event))
    return (
        position,
        event.timestamp,
        getattr(event, "on", None),
        getattr(event, "by", "?"),
        aggregate_type,
        event.originator_id,
        event.originator_version,
        event_type,
    )
