"""Campaign follow-ups: each customer a campaign covers is on their manager's call-back list
from its start until a contact dated on or after it; contacted by the follow-up date is done,
later is late, not at all by then is missed (and stays missed once the campaign ends)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from datetime import date
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from attrs import frozen
from eventsourcing.persistence import Tracking
from msgspec import Struct
from msgspec.structs import replace

from clientbook.domain.campaign import Campaign
from clientbook.domain.customer import Customer
from clientbook.projections.handlers import EventProjection
from clientbook.projections.view import TrackedView, event_class, topics


class FollowUp(Struct, frozen=True):
    """One covered customer of one campaign."""

    campaign_id: UUID
    campaign: str
    customer_id: UUID
    customer: str
    manager: str
    started: date
    due: date
    contacted: date | None = None
    ended: date | None = None

    def to_call(self, on: date) -> bool:
        """On the call-back list on `on`: started, not contacted, the campaign not ended."""
        return (
            self.started <= on
            and (self.contacted is None or self.contacted > on)
            and (self.ended is None or self.ended > on)
        )

    def outcome(self, on: date) -> str:
        """As of `on`: done (contacted by the due date), late, missed (due passed, or the
        campaign ended, without a contact), or pending."""
        if self.contacted is not None and self.contacted <= on:
            return "done" if self.contacted <= self.due else "late"
        if on > self.due or (self.ended is not None and self.ended <= on):
            return "missed"
        return "pending"


class CampaignFollowUpsView(TrackedView):
    @abstractmethod
    def follow_ups_of(self, customer_id: UUID) -> tuple[FollowUp, ...]:
        """The customer's follow-ups, of every campaign that covered them."""

    @abstractmethod
    def put_follow_ups(self, customer_id: UUID, follow_ups: tuple[FollowUp, ...]) -> None: ...

    @abstractmethod
    def covered_by(self, campaign_id: UUID) -> tuple[UUID, ...]: ...

    @abstractmethod
    def put_covered(self, campaign_id: UUID, customers: tuple[UUID, ...]) -> None: ...

    @abstractmethod
    def all_follow_ups(self) -> list[FollowUp]:
        """Every follow-up, by campaign start, campaign and customer number."""


class CampaignFollowUpsProjection(EventProjection[CampaignFollowUpsView]):
    name = "campaign_follow_ups"
    version = 1
    topics = topics(
        event_class(Campaign, "Launched"),
        event_class(Campaign, "Ended"),
        event_class(Customer, "ContactRecorded"),
    )

    @singledispatchmethod
    def process_event(self, event: Any, tracking: Tracking) -> None:
        """An event the follow-ups do not count."""

    @process_event.register(event_class(Campaign, "Launched"))
    def launched(self, event: Any, tracking: Tracking) -> None:
        for customer_id, number, manager in event.covered:
            item = FollowUp(
                event.originator_id,
                event.number,
                customer_id,
                number,
                manager,
                event.on,
                event.follow_up_by,
            )
            self.view.put_follow_ups(customer_id, (*self.view.follow_ups_of(customer_id), item))
        self.view.put_covered(event.originator_id, tuple(c[0] for c in event.covered))

    @process_event.register(event_class(Campaign, "Ended"))
    def ended(self, event: Any, tracking: Tracking) -> None:
        for customer_id in self.view.covered_by(event.originator_id):
            self._update(
                customer_id, lambda f: f.campaign_id == event.originator_id, ended=event.on
            )

    @process_event.register(event_class(Customer, "ContactRecorded"))
    def contact_recorded(self, event: Any, tracking: Tracking) -> None:
        """A contact on or after a campaign's start (and before its end) answers it."""
        self._update(
            event.originator_id,
            lambda f: (
                f.contacted is None
                and f.started <= event.on
                and (f.ended is None or event.on <= f.ended)
            ),
            contacted=event.on,
        )

    def _update(self, customer_id: UUID, which: Callable[[FollowUp], bool], **changes: Any) -> None:
        follow_ups = self.view.follow_ups_of(customer_id)
        if any(which(f) for f in follow_ups):
            self.view.put_follow_ups(
                customer_id, tuple(replace(f, **changes) if which(f) else f for f in follow_ups)
            )


@frozen
class CallBack:
    """A customer to call back for a campaign: on the manager's list until contacted."""

    manager: str
    customer: str
    campaign: str
    started: date
    due: date
    overdue: bool


@frozen
class CampaignFollowUps:
    """One manager's follow-ups of one campaign, as of a date."""

    manager: str
    campaign: str
    due: date
    covered: int
    done: int
    late: int
    missed: int
    pending: int


class CampaignQueries:
    """The call-back lists and the follow-up counts the managers report shows."""

    def __init__(self, view: CampaignFollowUpsView, refresh: Callable[[int | None], Any]) -> None:
        self._view, self._refresh = view, refresh

    def call_backs(
        self, *, on: date, manager: str | None = None, at_least: int | None = None
    ) -> list[CallBack]:
        """Who is still to be called back for a campaign on `on`, by manager and due date."""
        self._refresh(at_least)
        return sorted(
            (
                CallBack(f.manager, f.customer, f.campaign, f.started, f.due, on > f.due)
                for f in self._view.all_follow_ups()
                if f.to_call(on)
                if manager is None or f.manager == manager
            ),
            key=lambda c: (c.manager, c.due, c.customer, c.campaign),
        )

    def follow_ups(
        self, *, period_from: date, period_to: date, at_least: int | None = None
    ) -> tuple[CampaignFollowUps, ...]:
        """Per manager and campaign started in the period: done, late, missed and pending as
        of the period's end."""
        self._refresh(at_least)
        counts: dict[tuple[str, str, date], dict[str, int]] = {}
        for f in self._view.all_follow_ups():
            if period_from <= f.started <= period_to:
                tally = counts.setdefault(
                    (f.manager, f.campaign, f.due),
                    dict.fromkeys(("done", "late", "missed", "pending"), 0),
                )
                tally[f.outcome(period_to)] += 1
        return tuple(
            CampaignFollowUps(manager, campaign, due, sum(t.values()), **t)
            for (manager, campaign, due), t in sorted(counts.items())
        )
