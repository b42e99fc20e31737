"""The audit trail: every event of the log, who did it, when, on which business date, what changed."""

from __future__ import annotations

from abc import abstractmethod
from datetime import date, datetime
from typing import Any
from uuid import UUID

import attrs
from attrs import frozen
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from clientbook.domain.customer import ERASED
from clientbook.projections.view import TrackedView

_NOT_CHANGES = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "by", "on"}
)
ERASURE_EVENT = "PersonalDataErased"


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
    """Where the audit trail is kept, and how it is searched."""

    @abstractmethod
    def append(self, entry: AuditEntry) -> None: ...

    @abstractmethod
    def scrub(self, aggregate_id: UUID, fields: frozenset[str], marker: str) -> None:
        """Replace the named personal fields of an aggregate's entries by the erasure marker."""

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


def entry_of(event: Any, position: int) -> AuditEntry:
    """The audit entry of one domain event at its position in the log."""
    kind = type(event).__qualname__
    aggregate_type, _, event_type = kind.rpartition(".")
    return AuditEntry(
        position=position,
        recorded_at=event.timestamp,
        business_date=getattr(event, "on", None),
        actor=getattr(event, "by", "?"),
        aggregate_type=aggregate_type,
        aggregate_id=event.originator_id,
        version=event.originator_version,
        event_type=event_type,
        changes={k: v for k, v in vars(event).items() if k not in _NOT_CHANGES},
    )


class AuditTrailProjection(Projection[AuditTrailView]):
    """Every event, in log order, into the audit trail."""

    name = "audit_trail"
    topics = ()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        entry = entry_of(domain_event, tracking.notification_id)
        self.view.append(entry)
        if entry.event_type == ERASURE_EVENT:
            fields = frozenset(getattr(type(domain_event), "personal_fields", ()))
            self.view.scrub(entry.aggregate_id, fields, ERASED)
