"""The exposure view: per credit line, its customer and group — limit, outstanding, DPD, class."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from attrs import frozen
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from clientbook.domain.borrower import Borrower
from clientbook.domain.credit_line import CreditLine, unpaid_instalments
from clientbook.domain.group import CreditGroup
from clientbook.domain.money import Money
from clientbook.projections.view import TrackedView, events_of, topics

LINE_EVENTS = events_of(CreditLine)


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


class ExposureView(TrackedView):
    @abstractmethod
    def line(self, line_id: UUID) -> dict[str, Any] | None: ...

    @abstractmethod
    def put_line(self, line_id: UUID, document: dict[str, Any]) -> None: ...

    @abstractmethod
    def set_group(self, customer_id: UUID, group_id: UUID | None) -> None: ...

    @abstractmethod
    def name_group(self, group_id: UUID, name: str) -> None: ...

    @abstractmethod
    def lines(self, *, open_only: bool = True) -> list[tuple[UUID, dict[str, Any], str | None]]:
        """(line id, document, group name) in line-number order."""


def _money(m: Money) -> list[str]:
    return [str(m.amount), m.currency]


def _unmoney(v: list[str]) -> Money:
    return Money(v[0], v[1])


class ExposureProjection(Projection[ExposureView]):
    name = "exposure"
    topics = topics(
        *LINE_EVENTS,
        *events_of(Borrower, "JoinedGroup", "LeftGroup"),
        *events_of(CreditGroup, "Formed"),
    )

    def process_event(self, event: Any, tracking: Tracking) -> None:
        kind = type(event).__name__
        if isinstance(event, Borrower.Event):
            self._membership(event, kind)
            return
        if isinstance(event, CreditGroup.Event):
            self._group_formed(event)
            return
        if kind == "Proposed":
            doc: dict[str, Any] = {
                "number": event.number,
                "customer_id": str(event.customer_id),
                "product": event.product,
                "status": "proposed",
                "limit": _money(event.limit),
                "outstanding": _money(Money.zero(event.limit.currency)),
                "repaid": _money(Money.zero(event.limit.currency)),
                "instalments": [],
                "classification": "normal",
                "frozen": False,
                "group_frozen": False,
                "maturity": event.maturity.isoformat(),
            }
        else:
            found = self.view.line(event.originator_id)
            assert found is not None, f"no exposure row for line {event.originator_id}"
            doc = found
            _LINE_CHANGES.get(kind, lambda e, d: None)(event, doc)
        self.view.put_line(event.originator_id, doc)

    # The borrower's and the group's event classes are made at run time by `@event`, so their
    # fields are read off `Any`, as the credit line's are above.

    def _membership(self, event: Any, kind: str) -> None:
        self.view.set_group(event.customer_id, event.group_id if kind == "JoinedGroup" else None)

    def _group_formed(self, event: Any) -> None:
        self.view.name_group(event.originator_id, event.name)


def _add(doc: dict[str, Any], key: str, amount: Money, sign: int = 1) -> None:
    current = _unmoney(doc[key])
    doc[key] = _money(current + amount if sign > 0 else current - amount)


def _drawn(e: Any, doc: dict[str, Any]) -> None:
    _add(doc, "outstanding", e.amount)
    if e.due is not None:
        doc["instalments"].append([e.due.isoformat(), *_money(e.amount)])


def _repaid(e: Any, doc: dict[str, Any]) -> None:
    _add(doc, "outstanding", e.amount, -1)
    _add(doc, "repaid", e.amount)


_LINE_CHANGES: dict[str, Any] = {
    "Approved": lambda e, d: d.update(status="approved"),
    "Activated": lambda e, d: d.update(status="active"),
    "LimitIncreased": lambda e, d: d.update(limit=_money(e.limit)),
    "LimitDecreased": lambda e, d: d.update(limit=_money(e.limit)),
    "Drawn": _drawn,
    "Repaid": _repaid,
    "Scheduled": lambda e, d: d["instalments"].extend(
        [due.isoformat(), *_money(amount)] for due, amount in e.instalments
    ),
    "Classified": lambda e, d: d.update(classification=e.classification),
    "Frozen": lambda e, d: d.update(frozen=True, status="frozen"),
    "Unfrozen": lambda e, d: d.update(frozen=False, status="active"),
    "FrozenByGroup": lambda e, d: d.update(group_frozen=True),
    "ReleasedByGroup": lambda e, d: d.update(group_frozen=False),
    "Matured": lambda e, d: d.update(status="matured"),
    "Closed": lambda e, d: d.update(status="closed"),
}


def exposure_of(line_id: UUID, doc: dict[str, Any], group: str | None, on: date) -> Exposure:
    """A line's exposure on a date, from its view document."""
    instalments = [
        (date.fromisoformat(due), Money(amount, currency))
        for due, amount, currency in doc["instalments"]
    ]
    unpaid = unpaid_instalments(instalments, _unmoney(doc["repaid"]))
    dpd = max(0, (on - unpaid[0][0]).days) if unpaid else 0
    limit, outstanding = _unmoney(doc["limit"]), _unmoney(doc["outstanding"])
    return Exposure(
        line_id=line_id,
        number=doc["number"],
        customer_id=UUID(doc["customer_id"]),
        group=group,
        product=doc["product"],
        status=doc["status"],
        limit=limit,
        outstanding=outstanding,
        available=limit - outstanding,
        days_past_due=dpd,
        classification=doc["classification"],
        frozen=doc["frozen"] or doc["group_frozen"],
        maturity=date.fromisoformat(doc["maturity"]),
    )


def lines_to_age(rows: Sequence[tuple[UUID, dict[str, Any], str | None]], on: date) -> list[UUID]:
    """Open lines with an instalment overdue on `on`, or at maturity: close of business looks at them."""
    due = []
    for line_id, doc, group in rows:
        e = exposure_of(line_id, doc, group, on)
        maturing = e.status in ("active", "frozen") and e.maturity <= on
        if e.days_past_due > 0 or maturing:
            due.append(line_id)
    return due
