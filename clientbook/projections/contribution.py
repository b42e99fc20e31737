"""Customer value: one fact per event the contribution report counts or needs (who a card
account or credit line belongs to, a customer's manager and segment, income, write-offs,
recoveries, contributions reported from outside), kept in log order like the card facts."""

from __future__ import annotations

from abc import abstractmethod
from datetime import date
from decimal import Decimal
from functools import cache, singledispatchmethod
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from msgspec import Struct

from clientbook.domain.card import CardAccount
from clientbook.domain.credit_line import CreditLine
from clientbook.domain.customer import Customer
from clientbook.projections.handlers import EventProjection
from clientbook.projections.view import TrackedView, event_class, events_of, topics


class ContributionFact(Struct, frozen=True, omit_defaults=True):
    """An event as the contribution report counts it. `entity` is the aggregate whose event it
    is (the as-of rule cuts per aggregate); `customer` the customer it belongs to, where the
    event names one (a card account's or line's first event, a customer's own events)."""

    position: int
    entity: UUID
    event: str
    on: date
    customer: UUID | None = None
    amount: Decimal | None = None
    currency: str | None = None
    detail: str | None = None
    """The customer's number (Registered), manager (ManagerReassigned: the new one), segment
    (SegmentChanged), a card's charge component or a line's income kind, a report's source."""
    manager: str | None = None
    segment: str | None = None
    period_from: date | None = None
    period_to: date | None = None


class ContributionView(TrackedView):
    @abstractmethod
    def add_fact(self, fact: ContributionFact) -> None: ...

    @abstractmethod
    def facts(self, *, up_to_position: int | None = None) -> list[ContributionFact]:
        """All facts in log order, up to a log position when one is given."""


def _of(aggregate: type, name: str) -> type:
    return event_class(aggregate, name)


class ContributionProjection(EventProjection[ContributionView]):
    name = "contribution"
    version = 2  # 2: fact blocks keep their earliest business date
    topics = topics(
        *events_of(
            Customer,
            "Registered",
            "ManagerReassigned",
            "SegmentChanged",
            "Closed",
            "ContributionReported",
        ),
        *events_of(
            CardAccount, "Applied", "Charged", "AnnualFeeCharged", "WrittenOff", "Recovered"
        ),
        *events_of(CreditLine, "Proposed", "IncomeRecorded"),
    )

    @singledispatchmethod
    def process_event(self, event: Any, tracking: Tracking) -> None:
        """An event the report does not count."""

    @process_event.register(_of(Customer, "Registered"))
    def registered(self, event: Any, tracking: Tracking) -> None:
        self._fact(
            event,
            tracking,
            customer=event.originator_id,
            detail=event.number,
            manager=event.manager,
            segment=event.segment,
        )

    @process_event.register(_of(Customer, "ManagerReassigned"))
    def manager_reassigned(self, event: Any, tracking: Tracking) -> None:
        self._fact(event, tracking, customer=event.originator_id, manager=event.manager)

    @process_event.register(_of(Customer, "SegmentChanged"))
    def segment_changed(self, event: Any, tracking: Tracking) -> None:
        self._fact(event, tracking, customer=event.originator_id, segment=event.segment)

    @process_event.register(_of(Customer, "Closed"))
    def closed(self, event: Any, tracking: Tracking) -> None:
        self._fact(event, tracking, customer=event.originator_id)

    @process_event.register(_of(Customer, "ContributionReported"))
    def contribution_reported(self, event: Any, tracking: Tracking) -> None:
        self._fact(
            event,
            tracking,
            customer=event.originator_id,
            detail=event.source,
            period_from=event.period_from,
            period_to=event.period_to,
            **_money(event.amount),
        )

    @process_event.register(_of(CardAccount, "Applied"))
    @process_event.register(_of(CreditLine, "Proposed"))
    def opened(self, event: Any, tracking: Tracking) -> None:
        self._fact(event, tracking, customer=event.customer_id)

    @process_event.register(_of(CardAccount, "Charged"))
    def charged(self, event: Any, tracking: Tracking) -> None:
        self._fact(event, tracking, detail=event.component, **_money(event.amount))

    @process_event.register(_of(CardAccount, "AnnualFeeCharged"))
    def annual_fee(self, event: Any, tracking: Tracking) -> None:
        if not event.amount.is_zero:
            self._fact(event, tracking, detail="fees", **_money(event.amount))

    @process_event.register(_of(CardAccount, "WrittenOff"))
    @process_event.register(_of(CardAccount, "Recovered"))
    @process_event.register(_of(CreditLine, "IncomeRecorded"))
    def amount(self, event: Any, tracking: Tracking) -> None:
        self._fact(event, tracking, detail=getattr(event, "kind", None), **_money(event.amount))

    def _fact(self, event: Any, tracking: Tracking, **details: Any) -> None:
        kind = _kind_of(event.__class__)
        self.view.add_fact(
            ContributionFact(
                tracking.notification_id, event.originator_id, kind, event.on, **details
            )
        )


@cache
def _kind_of(event_class: type) -> str:
    """The aggregate's name and the event's ("CardAccount.Charged"), made once a class."""
    return f"{event_class.__qualname__.split('.')[0]}.{event_class.__name__}"


def _money(amount: Any) -> dict[str, Any]:
    return {"amount": amount.amount, "currency": amount.currency}
