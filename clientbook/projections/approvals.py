"""The approvals inbox: every four-eyes step (✋) proposed and not yet decided, with its
proposer, amount and age. This projection only follows proposals and decisions; who may decide
which step is a domain rule (`domain/approvals.py`), which the inbox's query applies."""

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

from clientbook.domain.actor import Actor
from clientbook.domain.approvals import may_decide, who_may_decide
from clientbook.domain.assessment import ManagerAssessment, MarketDeclaration
from clientbook.domain.card import CardAccount
from clientbook.domain.complaint import REVIEW_STAGES, Complaint
from clientbook.domain.credit_line import CreditLine
from clientbook.domain.customer import Customer
from clientbook.domain.money import Money
from clientbook.domain.policy import Policy, PolicySettings
from clientbook.projections.handlers import EventProjection
from clientbook.projections.runner import Refresh
from clientbook.projections.view import TrackedView, event_class, events_of, topics


class Pending(Struct, frozen=True):
    """A step waiting for a second person. `step` names the kind of decision (see
    `domain/approvals.py` for who may take it); `prepared_by` is whom four eyes compares
    the decider with (the proposer, or the investigator for a complaint report's reviews)."""

    aggregate_id: UUID
    step: str
    what: str
    prepared_by: str
    amount: str | None  # Money as text ("1000.00 CNY"), or None where the step has no amount
    proposed_on: date
    position: int
    open: bool = True

    @property
    def money(self) -> Money | None:
        if self.amount is None:
            return None
        value, currency = self.amount.split(" ")
        return Money(value, currency)


class ApprovalsView(TrackedView):
    """Pending steps by (aggregate, step), and each aggregate's name for the inbox."""

    @abstractmethod
    def name_of(self, aggregate_id: UUID) -> str | None: ...

    @abstractmethod
    def put_name(self, aggregate_id: UUID, name: str) -> None: ...

    @abstractmethod
    def get(self, aggregate_id: UUID, step: str) -> Pending | None:
        """The step as the projection last put it (in a page: the latest)."""

    @abstractmethod
    def put(self, pending: Pending) -> None: ...

    @abstractmethod
    def pending(self) -> list[Pending]:
        """Every pending step, oldest first."""


def _money(amount: Money | None) -> str | None:
    return None if amount is None else f"{amount.amount} {amount.currency}"


class ApprovalsProjection(EventProjection[ApprovalsView]):
    name = "approvals"
    version = 2
    topics = topics(
        *events_of(
            CreditLine, "Proposed", "Approved", "LimitIncreaseProposed", "LimitIncreased", "Closed"
        ),
        *events_of(
            CardAccount,
            "Applied",
            "Decided",
            "LimitIncreaseProposed",
            "LimitChanged",
            "LimitIncreaseWithdrawn",
            "WriteOffProposed",
            "WrittenOff",
            "Closed",
        ),
        *events_of(
            Complaint,
            "Received",
            "Investigated",
            "Reviewed",
            "Endorsed",
            "ReportApproved",
            "ReturnedForRework",
            "ResolutionProposed",
            "ResolutionApproved",
            "Closed",
        ),
        *events_of(ManagerAssessment, "Opened", "Submitted", "Approved"),
        *events_of(MarketDeclaration, "Declared", "Approved"),
        *events_of(
            Customer,
            "Registered",
            "SegmentChangeProposed",
            "SegmentChanged",
            "SegmentProposalRejected",
            "Closed",
        ),
        *events_of(Policy, "ChangeProposed", "ChangeApproved"),
    )

    @singledispatchmethod
    def process_event(self, event: Any, tracking: Tracking) -> None:
        """An event the inbox does not follow."""

    # -- credit lines ------------------------------------------------------------------------

    @process_event.register(event_class(CreditLine, "Proposed"))
    def line_proposed(self, event: Any, tracking: Tracking) -> None:
        self.view.put_name(event.originator_id, f"credit line {event.number}")
        self._open(event, tracking, "credit_line", event.limit)

    @process_event.register(event_class(CreditLine, "Approved"))
    def line_approved(self, event: Any, tracking: Tracking) -> None:
        self._decided(event.originator_id, "credit_line")

    @process_event.register(event_class(CreditLine, "LimitIncreaseProposed"))
    def line_increase_proposed(self, event: Any, tracking: Tracking) -> None:
        self._open(event, tracking, "credit_limit_increase", event.new_limit)

    @process_event.register(event_class(CreditLine, "LimitIncreased"))
    def line_increased(self, event: Any, tracking: Tracking) -> None:
        self._decided(event.originator_id, "credit_limit_increase")

    @process_event.register(event_class(CreditLine, "Closed"))
    def line_closed(self, event: Any, tracking: Tracking) -> None:
        for step in ("credit_line", "credit_limit_increase"):
            self._decided(event.originator_id, step)

    # -- card accounts -----------------------------------------------------------------------

    @process_event.register(event_class(CardAccount, "Applied"))
    def card_applied(self, event: Any, tracking: Tracking) -> None:
        self.view.put_name(event.originator_id, f"card application {event.number}")
        if event.decision == "referred":
            self._open(event, tracking, "card_referral", None)

    @process_event.register(event_class(CardAccount, "Decided"))
    def card_decided(self, event: Any, tracking: Tracking) -> None:
        self._decided(event.originator_id, "card_referral")

    @process_event.register(event_class(CardAccount, "LimitIncreaseProposed"))
    def card_increase_proposed(self, event: Any, tracking: Tracking) -> None:
        self._open(event, tracking, "card_limit_increase", event.limit)

    @process_event.register(event_class(CardAccount, "LimitChanged"))
    @process_event.register(event_class(CardAccount, "LimitIncreaseWithdrawn"))
    def card_increase_settled(self, event: Any, tracking: Tracking) -> None:
        self._decided(event.originator_id, "card_limit_increase")

    @process_event.register(event_class(CardAccount, "WriteOffProposed"))
    def write_off_proposed(self, event: Any, tracking: Tracking) -> None:
        self._open(event, tracking, "card_write_off", event.balance)

    @process_event.register(event_class(CardAccount, "WrittenOff"))
    def written_off(self, event: Any, tracking: Tracking) -> None:
        self._decided(event.originator_id, "card_write_off")

    @process_event.register(event_class(CardAccount, "Closed"))
    def card_closed(self, event: Any, tracking: Tracking) -> None:
        for step in ("card_referral", "card_limit_increase", "card_write_off"):
            self._decided(event.originator_id, step)

    # -- complaints --------------------------------------------------------------------------

    @process_event.register(event_class(Complaint, "Received"))
    def complaint_received(self, event: Any, tracking: Tracking) -> None:
        self.view.put_name(event.originator_id, f"complaint {event.number}")

    @process_event.register(event_class(Complaint, "Investigated"))
    def investigated(self, event: Any, tracking: Tracking) -> None:
        self._report_stage(event, tracking, "investigated", prepared_by=event.by)

    @process_event.register(event_class(Complaint, "Reviewed"))
    def reviewed(self, event: Any, tracking: Tracking) -> None:
        self._report_stage(event, tracking, "reviewed")

    @process_event.register(event_class(Complaint, "Endorsed"))
    def endorsed(self, event: Any, tracking: Tracking) -> None:
        self._report_stage(event, tracking, "endorsed")

    @process_event.register(event_class(Complaint, "ReportApproved"))
    @process_event.register(event_class(Complaint, "ReturnedForRework"))
    def report_settled(self, event: Any, tracking: Tracking) -> None:
        self._report_stage(event, tracking, None)

    @process_event.register(event_class(Complaint, "ResolutionProposed"))
    def resolution_proposed(self, event: Any, tracking: Tracking) -> None:
        self._open(event, tracking, "complaint_resolution", event.resolution.amount)

    @process_event.register(event_class(Complaint, "ResolutionApproved"))
    def resolution_approved(self, event: Any, tracking: Tracking) -> None:
        self._decided(event.originator_id, "complaint_resolution")

    @process_event.register(event_class(Complaint, "Closed"))
    def complaint_closed(self, event: Any, tracking: Tracking) -> None:
        self._report_stage(event, tracking, None)
        self._decided(event.originator_id, "complaint_resolution")

    # -- managers ----------------------------------------------------------------------------

    @process_event.register(event_class(ManagerAssessment, "Opened"))
    def assessment_opened(self, event: Any, tracking: Tracking) -> None:
        self.view.put_name(event.originator_id, f"{event.manager}'s {event.period} assessment")

    @process_event.register(event_class(ManagerAssessment, "Submitted"))
    def assessment_submitted(self, event: Any, tracking: Tracking) -> None:
        self._open(event, tracking, "manager_assessment", None)

    @process_event.register(event_class(ManagerAssessment, "Approved"))
    def assessment_approved(self, event: Any, tracking: Tracking) -> None:
        self._decided(event.originator_id, "manager_assessment")

    @process_event.register(event_class(MarketDeclaration, "Declared"))
    def declared(self, event: Any, tracking: Tracking) -> None:
        self.view.put_name(
            event.originator_id, f"the {event.year} market declaration for {event.branch}"
        )
        self._open(event, tracking, "market_declaration", None)

    @process_event.register(event_class(MarketDeclaration, "Approved"))
    def declaration_approved(self, event: Any, tracking: Tracking) -> None:
        self._decided(event.originator_id, "market_declaration")

    # -- customers' segments and policy ---------------------------------------------------

    @process_event.register(event_class(Customer, "Registered"))
    def customer_registered(self, event: Any, tracking: Tracking) -> None:
        self.view.put_name(event.originator_id, f"customer {event.number}")

    @process_event.register(event_class(Customer, "SegmentChangeProposed"))
    def segment_proposed(self, event: Any, tracking: Tracking) -> None:
        self._open(event, tracking, "segment_change", None)

    @process_event.register(event_class(Customer, "SegmentChanged"))
    @process_event.register(event_class(Customer, "SegmentProposalRejected"))
    @process_event.register(event_class(Customer, "Closed"))
    def segment_settled(self, event: Any, tracking: Tracking) -> None:
        self._decided(event.originator_id, "segment_change")

    @process_event.register(event_class(Policy, "ChangeProposed"))
    def policy_proposed(self, event: Any, tracking: Tracking) -> None:
        self.view.put_name(event.originator_id, "the policy")
        step = f"policy_change:{event.number}"
        what = f"policy proposal {event.number}: {event.name} = {event.value}"
        self.view.put(
            Pending(
                event.originator_id, step, what, event.by, None, event.on, tracking.notification_id
            )
        )

    @process_event.register(event_class(Policy, "ChangeApproved"))
    def policy_approved(self, event: Any, tracking: Tracking) -> None:
        self._decided(event.originator_id, f"policy_change:{event.number}")

    # -- helpers -----------------------------------------------------------------------------

    def _open(
        self,
        event: Any,
        tracking: Tracking,
        step: str,
        amount: Money | None,
        prepared_by: str | None = None,
    ) -> None:
        what = self.view.name_of(event.originator_id) or str(event.originator_id)
        self.view.put(
            Pending(
                event.originator_id,
                step,
                what,
                prepared_by or event.by,
                _money(amount),
                event.on,
                tracking.notification_id,
            )
        )

    def _decided(self, aggregate_id: UUID, step: str) -> None:
        """The step was decided (or its subject closed): it leaves the inbox."""
        pending = self.view.get(aggregate_id, step)
        if pending is not None and pending.open:
            self.view.put(replace(pending, open=False))

    def _report_stage(
        self, event: Any, tracking: Tracking, stage: str | None, prepared_by: str | None = None
    ) -> None:
        """A complaint report waits at one stage at a time, always for someone other than its
        investigator: the stage it left is decided, the next one (if any) opens."""
        investigator = prepared_by
        for earlier in REVIEW_STAGES:
            waiting = self.view.get(event.originator_id, f"complaint_report_{earlier}")
            if waiting is not None and waiting.open:
                investigator = investigator or waiting.prepared_by
                self._decided(event.originator_id, waiting.step)
        if stage is not None and investigator is not None:
            self._open(event, tracking, f"complaint_report_{stage}", None, investigator)


@frozen
class Approval:
    """One step waiting for a decision, as the inbox lists it."""

    step: str
    what: str
    proposed_by: str
    amount: Money | None
    proposed_on: date
    age_days: int
    may_decide: str
    """The roles that may decide it, or "within approval authority"."""
    position: int


class Approvals:
    """The inbox (`book.approvals`): the pending steps, and for an actor those they may decide
    (the rule is `domain/approvals.py`)."""

    def __init__(
        self, view: ApprovalsView, policy_on: Callable[[date], PolicySettings], refresh: Refresh
    ) -> None:
        self._view = view
        self._policy_on = policy_on
        self._refresh = refresh

    def pending(
        self, *, for_actor: Actor | None = None, on: date | None = None, at_least: int | None = None
    ) -> list[Approval]:
        """Every pending step, oldest first; with `for_actor`, only those that actor may decide
        on the business date `on` (default: today), under the policy then; a step's age is
        counted to that date."""
        self._refresh(at_least)
        waiting = self._view.pending()
        today = on or date.today()
        if for_actor is not None:
            policy = self._policy_on(today)
            waiting = [
                p for p in waiting if may_decide(for_actor, p.step, p.prepared_by, p.money, policy)
            ]
        return [_listed(p, today) for p in waiting]


def _listed(p: Pending, today: date) -> Approval:
    return Approval(
        p.step,
        p.what,
        p.prepared_by,
        p.money,
        p.proposed_on,
        max(0, (today - p.proposed_on).days),
        who_may_decide(p.step),
        p.position,
    )
