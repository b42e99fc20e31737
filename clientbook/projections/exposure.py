"""The exposure view: per credit line, its customer and group — limit, outstanding, DPD, class."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import date
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from attrs import frozen
from eventsourcing.persistence import Tracking
from msgspec import Struct
from msgspec.structs import replace

from clientbook.domain.borrower import Borrower
from clientbook.domain.credit_line import CreditLine, unpaid_instalments
from clientbook.domain.group import CreditGroup
from clientbook.domain.money import Money
from clientbook.projections.handlers import EventProjection
from clientbook.projections.view import TrackedView, event_class, events_of, topics


@frozen
class Exposure:
    """One credit line's exposure on a date."""

    line_id: UUID
    number: str
    customer_id: UUID
    group: str | None
    product: str
    status: str
    limit: Money
    outstanding: Money
    available: Money
    days_past_due: int
    classification: str
    frozen: bool
    maturity: date


class LineDocument(Struct, frozen=True):
    """What the projection keeps per credit line: enough to work out its exposure on any date."""

    number: str
    customer_id: UUID
    product: str
    limit: Money
    outstanding: Money
    repaid: Money
    maturity: date
    status: str = "proposed"
    instalments: tuple[tuple[date, Money], ...] = ()
    classification: str = "normal"
    frozen: bool = False
    group_frozen: bool = False


class ExposureView(TrackedView):
    @abstractmethod
    def line(self, line_id: UUID) -> LineDocument | None:
        """The line's document as the projection last put it (in a page: the latest)."""

    @abstractmethod
    def put_line(self, line_id: UUID, document: LineDocument) -> None: ...

    @abstractmethod
    def set_group(self, customer_id: UUID, group_id: UUID | None) -> None: ...

    @abstractmethod
    def name_group(self, group_id: UUID, name: str) -> None: ...

    @abstractmethod
    def lines(self, *, open_only: bool = True) -> list[tuple[UUID, LineDocument, str | None]]:
        """(line id, document, group name) in line-number order."""


def _line(name: str) -> type:
    return event_class(CreditLine, name)


class ExposureProjection(EventProjection[ExposureView]):
    name = "exposure"
    version = 2
    topics = topics(
        *events_of(
            CreditLine,
            "Proposed",
            "Approved",
            "Activated",
            "LimitIncreased",
            "LimitDecreased",
            "Drawn",
            "Scheduled",
            "Repaid",
            "Classified",
            "Frozen",
            "Unfrozen",
            "FrozenByGroup",
            "ReleasedByGroup",
            "Matured",
            "Closed",
        ),
        *events_of(Borrower, "JoinedGroup", "LeftGroup"),
        *events_of(CreditGroup, "Formed"),
    )

    @singledispatchmethod
    def process_event(self, event: Any, tracking: Tracking) -> None:
        """An event that changes no exposure."""

    @process_event.register(_line("Proposed"))
    def proposed(self, event: Any, tracking: Tracking) -> None:
        zero = Money.zero(event.limit.currency)
        document = LineDocument(
            number=event.number,
            customer_id=event.customer_id,
            product=event.product,
            limit=event.limit,
            outstanding=zero,
            repaid=zero,
            maturity=event.maturity,
        )
        self.view.put_line(event.originator_id, document)

    @process_event.register(_line("Approved"))
    def approved(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="approved")

    @process_event.register(_line("Activated"))
    def activated(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="active")

    @process_event.register(_line("LimitIncreased"))
    @process_event.register(_line("LimitDecreased"))
    def limit_changed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, limit=event.limit)

    @process_event.register(_line("Drawn"))
    def drawn(self, event: Any, tracking: Tracking) -> None:
        line = self._line(event)
        due = () if event.due is None else ((event.due, event.amount),)
        outstanding = line.outstanding + event.amount
        self._put(event, line, outstanding=outstanding, instalments=(*line.instalments, *due))

    @process_event.register(_line("Scheduled"))
    def scheduled(self, event: Any, tracking: Tracking) -> None:
        line = self._line(event)
        self._put(event, line, instalments=(*line.instalments, *map(tuple, event.instalments)))

    @process_event.register(_line("Repaid"))
    def repaid(self, event: Any, tracking: Tracking) -> None:
        line = self._line(event)
        outstanding, repaid = line.outstanding - event.amount, line.repaid + event.amount
        self._put(event, line, outstanding=outstanding, repaid=repaid)

    @process_event.register(_line("Classified"))
    def classified(self, event: Any, tracking: Tracking) -> None:
        self._change(event, classification=event.classification)

    @process_event.register(_line("Frozen"))
    def frozen(self, event: Any, tracking: Tracking) -> None:
        self._change(event, frozen=True, status="frozen")

    @process_event.register(_line("Unfrozen"))
    def unfrozen(self, event: Any, tracking: Tracking) -> None:
        self._change(event, frozen=False, status="active")

    @process_event.register(_line("FrozenByGroup"))
    def frozen_by_group(self, event: Any, tracking: Tracking) -> None:
        self._change(event, group_frozen=True)

    @process_event.register(_line("ReleasedByGroup"))
    def released_by_group(self, event: Any, tracking: Tracking) -> None:
        self._change(event, group_frozen=False)

    @process_event.register(_line("Matured"))
    def matured(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="matured")

    @process_event.register(_line("Closed"))
    def closed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="closed")

    # The borrower's and the group's event classes are made at run time by `@event`, so their
    # fields are read off `Any`, as the credit line's are.

    @process_event.register(event_class(Borrower, "JoinedGroup"))
    def joined_group(self, event: Any, tracking: Tracking) -> None:
        self.view.set_group(event.customer_id, event.group_id)

    @process_event.register(event_class(Borrower, "LeftGroup"))
    def left_group(self, event: Any, tracking: Tracking) -> None:
        self.view.set_group(event.customer_id, None)

    @process_event.register(event_class(CreditGroup, "Formed"))
    def group_formed(self, event: Any, tracking: Tracking) -> None:
        self.view.name_group(event.originator_id, event.name)

    def _line(self, event: Any) -> LineDocument:
        line = self.view.line(event.originator_id)
        assert line is not None, f"no exposure row for line {event.originator_id}"
        return line

    def _change(self, event: Any, **changes: Any) -> None:
        self._put(event, self._line(event), **changes)

    def _put(self, event: Any, line: LineDocument, **changes: Any) -> None:
        self.view.put_line(event.originator_id, replace(line, **changes))


def exposure_of(line_id: UUID, line: LineDocument, group: str | None, on: date) -> Exposure:
    """A line's exposure on a date, from its view document."""
    unpaid = unpaid_instalments(list(line.instalments), line.repaid)
    dpd = max(0, (on - unpaid[0][0]).days) if unpaid else 0
    return Exposure(
        line_id=line_id,
        number=line.number,
        customer_id=line.customer_id,
        group=group,
        product=line.product,
        status=line.status,
        limit=line.limit,
        outstanding=line.outstanding,
        available=line.limit - line.outstanding,
        days_past_due=dpd,
        classification=line.classification,
        frozen=line.frozen or line.group_frozen,
        maturity=line.maturity,
    )


def lines_to_age(rows: Sequence[tuple[UUID, LineDocument, str | None]], on: date) -> list[UUID]:
    """Open lines with an instalment overdue on `on`, or at maturity: close of business looks
    at them."""
    due = []
    for line_id, doc, group in rows:
        e = exposure_of(line_id, doc, group, on)
        maturing = e.status in ("active", "frozen") and e.maturity <= on
        if e.days_past_due > 0 or maturing:
            due.append(line_id)
    return due
