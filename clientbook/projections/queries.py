"""Read-side queries over the views.

Each query first calls its views' `refresh(at_least)` (projections/runner.py): with no worker
the views are caught up to the head here; with one, a query reads them as they stand, or, given
`at_least=position` (say `book.last_written`), waits until they reach it or raises `ViewBehind`.
What a command decides on (open items before closing a customer, the daily batch's work)
asks for the head of the log (`LATEST`), worker or not."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from uuid import UUID


from clientbook.domain.card import shift_months
from clientbook.domain.customer import comparable_phone, normalise_document
from clientbook.domain.errors import ComplaintNotFoundError
from clientbook.domain.policy import PolicySettings
from clientbook.projections.audit import FOUR_EYES, AuditEntry, AuditTrailView, pair_four_eyes
from clientbook.projections.cards import CardAccountsView, CardView, view_of
from clientbook.projections.complaints import (
    ComplaintCard,
    ComplaintCardsView,
    WorkItem,
    worklist,
)
from clientbook.projections.directory import CustomerDirectoryView, DirectoryEntry
from clientbook.projections.exposure import Exposure, ExposureView, exposure_of, lines_to_age
from clientbook.projections.runner import LATEST, Refresh


class AuditTrail:
    """Every event with who, when recorded, business date and what changed."""

    def __init__(self, view: AuditTrailView, refresh: Refresh) -> None:
        self._view = view
        self._refresh = refresh

    def trail(
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
        at_least: int | None = None,
    ) -> list[AuditEntry]:
        """Entries in log order; every filter given must match. An approval under four eyes
        names its proposer (`proposed_by`, `proposal_position`)."""
        self._refresh(at_least)
        entries = self._view.entries(
            aggregate=aggregate,
            actor=actor,
            event_type=event_type,
            recorded_from=recorded_from,
            recorded_to=recorded_to,
            on_from=on_from,
            on_to=on_to,
            limit=limit,
        )
        histories: dict[UUID, list[AuditEntry]] = {}
        paired = []
        for entry in entries:
            if (entry.aggregate_type, entry.event_type) in FOUR_EYES:
                if entry.aggregate_id not in histories:
                    histories[entry.aggregate_id] = self._view.entries(aggregate=entry.aggregate_id)
                entry = pair_four_eyes(entry, histories[entry.aggregate_id])
            paired.append(entry)
        return paired


class Directory:
    """The customer directory."""

    def __init__(self, view: CustomerDirectoryView, refresh: Refresh) -> None:
        self._view = view
        self._refresh = refresh

    def customer(self, customer_id: UUID, *, at_least: int | None = None) -> DirectoryEntry | None:
        self._refresh(at_least)
        return self._view.get(customer_id)

    def search(
        self,
        *,
        manager: str | None = None,
        status: str | None = None,
        lapsed: bool | None = None,
        number: str | None = None,
        at_least: int | None = None,
    ) -> list[DirectoryEntry]:
        self._refresh(at_least)
        return self._view.search(manager=manager, status=status, lapsed=lapsed, number=number)

    def find_by_document(
        self, document_number: str, *, at_least: int | None = None
    ) -> DirectoryEntry | None:
        """The customer holding this identity document, found through the blind index."""
        self._refresh(at_least)
        found = self._view.find("document", normalise_document(document_number))
        return found[0] if found else None

    def find_by_phone(self, phone: str, *, at_least: int | None = None) -> list[DirectoryEntry]:
        """The customers with this phone number (spaces and dashes aside), by the blind index."""
        self._refresh(at_least)
        return self._view.find("phone", comparable_phone(phone)) if comparable_phone(phone) else []


class ComplaintQueries:
    """Record cards, the worklist and the CFPB-shaped export (the complaints report is
    reports/complaints.py's)."""

    def __init__(self, cards: ComplaintCardsView, refresh: Refresh) -> None:
        self._cards = cards
        self._refresh = refresh

    def card(self, complaint_id: UUID, *, at_least: int | None = None) -> ComplaintCard:
        self._refresh(at_least)
        for card in self._cards.cards():
            if card.complaint_id == complaint_id:
                return card
        raise ComplaintNotFoundError(f"complaint {complaint_id} does not exist")

    def cards(
        self,
        *,
        open_only: bool = False,
        customer: UUID | None = None,
        at_least: int | None = None,
    ) -> list[ComplaintCard]:
        self._refresh(at_least)
        return self._cards.cards(open_only=open_only, customer_id=customer)

    def worklist(self, as_of: date, *, at_least: int | None = None) -> list[WorkItem]:
        return worklist(self.cards(open_only=True, at_least=at_least), as_of)

    def open_items(self, customer: UUID) -> list[str]:
        """The customer's open complaints, named (closing the customer waits for them)."""
        return [
            f"complaint {c.number}"
            for c in self.cards(open_only=True, customer=customer, at_least=LATEST)
        ]

    def overdue_candidates(self, on: date) -> list[UUID]:
        """Open complaints past their deadline on `on` and not yet marked overdue."""
        return [
            c.complaint_id
            for c in self.cards(open_only=True, at_least=LATEST)
            if c.deadline < on and not c.overdue
        ]


class ExposureQueries:
    """Credit exposure per line, customer and group."""

    def __init__(self, view: ExposureView, refresh: Refresh) -> None:
        self._view = view
        self._refresh = refresh

    def lines(
        self,
        on: date,
        *,
        customer: UUID | None = None,
        group: str | None = None,
        open_only: bool = True,
        at_least: int | None = None,
    ) -> list[Exposure]:
        """Each line's exposure on a date, in line-number order."""
        self._refresh(at_least)
        return [
            e
            for e in (
                exposure_of(i, doc, g, on) for i, doc, g in self._view.lines(open_only=open_only)
            )
            if (customer is None or e.customer_id == customer)
            and (group is None or e.group == group)
        ]

    def open_items(self, customer: UUID) -> list[str]:
        """The customer's credit lines not yet closed (closing the customer waits for them)."""
        return [
            f"credit line {e.number}"
            for e in self.lines(date.min, customer=customer, at_least=LATEST)
        ]

    def lines_to_age(self, on: date) -> list[UUID]:
        self._refresh(LATEST)
        return lines_to_age(self._view.lines(open_only=True), on)


class Policies(Protocol):
    """The policy settings in force on a date, and as the log held them at a position."""

    def in_force(self, on: date | None = None) -> PolicySettings: ...

    def at(self, position: int) -> Policies: ...


class CardQueries:
    """Card accounts on a date and what the batch must look at (the portfolio report is
    reports/portfolio.py's)."""

    def __init__(self, view: CardAccountsView, policy: Policies, refresh: Refresh) -> None:
        self._view = view
        self._policy = policy
        self._refresh = refresh

    def accounts(
        self,
        on: date,
        *,
        customer: UUID | None = None,
        open_only: bool = True,
        at_least: int | None = None,
    ) -> list[CardView]:
        self._refresh(at_least)
        views = (view_of(i, doc, on) for i, doc in self._view.accounts(open_only=open_only))
        return [v for v in views if customer is None or v.customer_id == customer]

    def open_items(self, customer: UUID) -> list[str]:
        """The customer's card accounts not yet closed (closing the customer waits for them)."""
        return [
            f"card account {v.number}"
            for v in self.accounts(date.min, customer=customer, at_least=LATEST)
            if v.status not in ("declined", "closed")
        ]

    def cards_due(self, on: date) -> list[UUID]:
        """What the card batch must look at: selected by indexed columns, not every account."""
        self._refresh(LATEST)
        policy = self._policy.in_force(on)
        return self._view.due(
            on,
            shift_months(on, -policy.card_dormant_months),
            shift_months(on, -policy.card_long_dormant_months),
        )
