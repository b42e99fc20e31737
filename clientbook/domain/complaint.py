"""The complaint: the procedure of the source essays, from the record card to the archive."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import attrs
from attrs import frozen
from eventsourcing.domain import event

from clientbook.domain.actor import Actor, canonical_id, require_four_eyes
from clientbook.domain.base import BookAggregate, business_key_id
from clientbook.domain.errors import (
    ComplaintClosedError,
    FourEyesError,
    IncompleteReportError,
    InvalidAmountError,
    InvalidTransitionError,
    InvalidValueError,
    ReasonRequiredError,
    RoleRequiredError,
    StepOrderError,
)
from clientbook.domain.money import Money, require_not_negative
from clientbook.domain.policy import PolicySettings

CATEGORIES = ("price_reduction", "return", "exchange", "damages", "criticism")
CHANNELS = ("counter", "hotline", "letter", "online", "regulator")
PRODUCTS = ("general", "account", "card", "loan", "credit_line", "payment", "other")
RESOLUTIONS = ("compensation", "discount", "refund", "replacement", "explanation")
MONEY_RESOLUTIONS = ("compensation", "discount", "refund")
REPLY_FORMS = ("written", "oral")
STEPS = (
    "received",
    "accepted",
    "assigned",
    "investigated",
    "reviewed",
    "endorsed",
    "approved",
    "resolution_proposed",
    "resolution_approved",
    "replied",
    "followed_up",
    "closed",
)
REVIEW_STAGES = {
    # stage the report is at: (role that takes the next step, its name, the step it leads to)
    "investigated": ("supervisor", "reviewed by the department supervisor", "reviewed"),
    "reviewed": ("administration", "endorsed by administration", "endorsed"),
    "endorsed": ("general_manager", "approved by the general manager", "approved"),
}
_NUMBER_FORMAT = "CP-{year}-{sequence:06d}"


def complaint_id(number: str) -> UUID:
    return business_key_id("complaint", number)


def _text(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(f"{what} is required")
    return value.strip()


def _one_of(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise InvalidValueError(f"{what} {value!r} is not one of: {', '.join(allowed)}")
    return value


@frozen
class InvestigationReport:
    """The handling department's investigation report; every part is required."""

    cause: str
    course_of_events: str
    responsible_party: str
    conclusion: str
    countermeasures: str
    prevention: str

    def check(self) -> InvestigationReport:
        missing = [
            f.name.replace("_", " ")
            for f in attrs.fields(type(self))
            if not str(getattr(self, f.name) or "").strip()
        ]
        if missing:
            raise IncompleteReportError(f"the investigation report lacks: {', '.join(missing)}")
        return self


@frozen
class Resolution:
    """The handling opinion offered to the customer, with its amount where it has one."""

    kind: str
    text: str
    amount: Money | None = None

    def check(self) -> Resolution:
        _one_of(self.kind, RESOLUTIONS, "resolution")
        _text(self.text, "the resolution's text")
        if self.kind in MONEY_RESOLUTIONS and self.amount is None:
            raise InvalidAmountError(f"a {self.kind} needs an amount")
        if self.kind == "explanation" and self.amount is not None:
            raise InvalidAmountError("an explanation carries no amount")
        if self.amount is not None:
            require_not_negative(self.amount, f"the {self.kind}")
        return self


class ComplaintNumbers(BookAggregate):
    """Allocates complaint numbers of one year, without gaps or duplicates."""

    @staticmethod
    def create_id(year: int) -> UUID:
        return business_key_id("complaint-numbers", str(year))

    @event("Opened")
    def __init__(self, year: int, by: str) -> None:
        self.year = year
        self.last = 0

    def allocate(self, *, by: str) -> str:
        self._allocated(self.last + 1, by)
        return _NUMBER_FORMAT.format(year=self.year, sequence=self.last)

    @event("Allocated")
    def _allocated(self, sequence: int, by: str) -> None:
        self.last = sequence


class Complaint(BookAggregate):
    """A customer's complaint, handled step by step within the deadline."""

    @staticmethod
    def create_id(number: str) -> UUID:
        return complaint_id(number)

    @classmethod
    def receive(
        cls,
        *,
        number: str,
        customer_id: UUID,
        category: str,
        channel: str,
        request: str,
        department: str,
        claimed: Money | None,
        product: str,
        policy: PolicySettings,
        by: str,
        on: date,
    ) -> Complaint:
        """Register the complaint record card: customer, request, received date and number."""
        _one_of(category, CATEGORIES, "complaint category")
        _one_of(channel, CHANNELS, "complaint channel")
        _one_of(product, PRODUCTS, "product")
        if claimed is not None:
            require_not_negative(claimed, "the amount claimed")
        deadline = on + timedelta(days=policy.complaint_deadline_days)
        return cls(
            number=number,
            customer_id=customer_id,
            category=category,
            channel=channel,
            request=_text(request, "the customer's request"),
            product=product,
            department=_text(department, "the receiving department"),
            claimed=claimed,
            deadline=deadline,
            by=by,
            on=on,
        )

    @event("Received")
    def __init__(
        self,
        number: str,
        customer_id: UUID,
        category: str,
        channel: str,
        request: str,
        product: str,
        department: str,
        claimed: Money | None,
        deadline: date,
        by: str,
        on: date,
    ) -> None:
        self.number, self.customer_id, self.category = number, customer_id, category
        self.channel, self.request, self.product = channel, request, product
        self.department, self.claimed = department, claimed
        self.received_on, self.deadline = on, deadline
        self.step = "received"
        self.rejected = False
        self.handling_department: str | None = None
        self.investigator: str | None = None
        self.report: InvestigationReport | None = None
        self.opinion: str | None = None
        self.resolution: Resolution | None = None
        self.proposer: str | None = None
        self.approved_amount: Money | None = None
        self.paid: Money | None = None
        self.satisfaction: int | None = None
        self.in_time: bool | None = None
        self.closed_on: date | None = None
        self.overdue = False
        self.reopened = 0
        self.reworks = 0

    @property
    def is_open(self) -> bool:
        return self.step != "closed"

    # -- validity check -------------------------------------------------------------------

    def accept(self, *, by: str, on: date) -> None:
        self._require("received", "accepted")
        self._accepted(by, on)

    @event("Accepted")
    def _accepted(self, by: str, on: date) -> None:
        self.step = "accepted"

    def reject(self, *, reply: str, by: str, on: date) -> None:
        """The cause lies with the customer: the reply says why, and the complaint closes."""
        self._require("received", "rejected")
        self._rejected(_text(reply, "the reply explaining the rejection"), self._decide(on), by, on)

    @event("Rejected")
    def _rejected(self, reply: str, in_time: bool | None, by: str, on: date) -> None:
        self.rejected = True
        self._close(in_time, on)

    # -- handling -------------------------------------------------------------------------

    def assign(self, department: str, *, by: Actor, on: date) -> None:
        """Administration assigns the complaint to a handling department."""
        self._require("accepted", "assigned")
        if "administration" not in by.roles:
            raise RoleRequiredError(
                f"{by.id} is not administration; administration assigns complaint {self.number}"
            )
        self._assigned(_text(department, "the handling department"), by.id, on)

    @event("Assigned")
    def _assigned(self, department: str, by: str, on: date) -> None:
        self.step, self.handling_department = "assigned", department

    def investigate(self, report: InvestigationReport, *, by: str, on: date) -> None:
        self._require("assigned", "investigated")
        self._investigated(report.check(), by, on)

    @event("Investigated")
    def _investigated(self, report: InvestigationReport, by: str, on: date) -> None:
        self.step, self.report, self.investigator = "investigated", report, by

    def review(self, *, by: Actor, on: date) -> None:
        """✋ The department supervisor reviews the investigation report."""
        self._review_stage("investigated", by)
        self._reviewed(by.id, on)

    @event("Reviewed")
    def _reviewed(self, by: str, on: date) -> None:
        self.step = "reviewed"
        self.reviewers = [by]

    def endorse(self, *, opinion: str, by: Actor, on: date) -> None:
        """✋ Administration endorses the report with its opinion."""
        self._review_stage("reviewed", by)
        self._require_new_reviewer(by)
        self._endorsed(_text(opinion, "administration's opinion"), by.id, on)

    @event("Endorsed")
    def _endorsed(self, opinion: str, by: str, on: date) -> None:
        self.step, self.opinion = "endorsed", opinion
        self.reviewers = [*getattr(self, "reviewers", []), by]

    def approve_report(self, *, by: Actor, on: date) -> None:
        """✋ The general manager approves the report."""
        self._review_stage("endorsed", by)
        self._require_new_reviewer(by)
        self._report_approved(by.id, on)

    @event("ReportApproved")
    def _report_approved(self, by: str, on: date) -> None:
        self.step = "approved"

    def return_for_rework(self, *, reason: str, by: Actor, on: date) -> None:
        """A reviewer sends the report back to the handling department, with the reason."""
        if self.step not in REVIEW_STAGES:
            self._require_open("returned for rework")
            raise StepOrderError(
                f"complaint {self.number} is {self.step}; only a report under review "
                "(investigated, reviewed or endorsed) can be returned for rework"
            )
        self._review_stage(self.step, by)
        if not reason.strip():
            raise ReasonRequiredError(f"returning complaint {self.number}'s report needs a reason")
        self._returned(self.step, reason.strip(), by.id, on)

    @event("ReturnedForRework")
    def _returned(self, stage: str, reason: str, by: str, on: date) -> None:
        self.step, self.reworks = "assigned", self.reworks + 1

    # -- resolution, reply, follow-up -----------------------------------------------------

    def propose_resolution(self, resolution: Resolution, *, by: str, on: date) -> None:
        self._require("approved", "given a proposed resolution")
        self._resolution_proposed(resolution.check(), by, on)

    @event("ResolutionProposed")
    def _resolution_proposed(self, resolution: Resolution, by: str, on: date) -> None:
        self.step, self.resolution, self.proposer = "resolution_proposed", resolution, by

    def approve_resolution(self, *, by: Actor, policy: PolicySettings, on: date) -> None:
        """✋ Another person approves the resolution, within their approval authority."""
        self._require("resolution_proposed", "given an approved resolution")
        assert self.resolution is not None and self.proposer is not None
        require_four_eyes(self.proposer, by.id, f"the resolution of complaint {self.number}")
        if self.resolution.amount is not None:
            by.require_authority(
                self.resolution.amount,
                policy,
                f"the {self.resolution.kind} of complaint {self.number}",
            )
        self._resolution_approved(self.resolution.amount, by.id, on)

    @event("ResolutionApproved")
    def _resolution_approved(self, amount: Money | None, by: str, on: date) -> None:
        self.step = "resolution_approved"
        if amount is not None:  # payments are made against everything approved, reopens too
            self.approved_amount = (
                amount if self.approved_amount is None else self.approved_amount + amount
            )

    def pay(self, amount: Money, *, by: str, on: date) -> None:
        """Record a payment of the approved compensation, refund or discount."""
        self._require_open("paid")
        if self.approved_amount is None or self.step not in (
            "resolution_approved",
            "replied",
            "followed_up",
        ):
            raise StepOrderError(
                f"complaint {self.number} has no approved amount to pay ({self.step})"
            )
        require_not_negative(amount, "a payment")
        paid = (self.paid or Money.zero(amount.currency)) + amount
        if paid > self.approved_amount:
            raise InvalidAmountError(
                f"complaint {self.number}: paying {amount} would pay {paid}, more than the "
                f"{self.approved_amount} approved"
            )
        self._paid(amount, by, on)

    @event("CompensationPaid")
    def _paid(self, amount: Money, by: str, on: date) -> None:
        self.paid = amount if self.paid is None else self.paid + amount

    def reply(self, *, form: str, text: str, by: str, on: date) -> None:
        self._require("resolution_approved", "replied to")
        _one_of(form, REPLY_FORMS, "reply form")
        self._replied(form, _text(text, "the reply"), by, on)

    @event("Replied")
    def _replied(self, form: str, text: str, by: str, on: date) -> None:
        self.step = "replied"

    def follow_up(self, *, satisfaction: int, note: str, by: str, on: date) -> None:
        """A return visit: the customer's satisfaction with the handling, 1 to 5."""
        self._require("replied", "followed up")
        if (
            isinstance(satisfaction, bool)
            or not isinstance(satisfaction, int)
            or not 1 <= satisfaction <= 5
        ):
            raise InvalidValueError(
                f"satisfaction {satisfaction!r} is not a whole number from 1 to 5"
            )
        self._followed_up(satisfaction, note.strip(), by, on)

    @event("FollowedUp")
    def _followed_up(self, satisfaction: int, note: str, by: str, on: date) -> None:
        self.step, self.satisfaction = "followed_up", satisfaction

    def close(self, *, by: str, on: date) -> None:
        """Archive the complaint; whether it closed in time is decided now, once."""
        self._require("followed_up", "closed")
        self._closed(self._decide(on), by, on)

    @event("Closed")
    def _closed(self, in_time: bool | None, by: str, on: date) -> None:
        self._close(in_time, on)

    def reopen(self, *, reason: str, by: str, on: date, policy: PolicySettings) -> None:
        """The customer disputes the outcome: the procedure starts again with a new deadline."""
        if self.step != "closed":
            raise InvalidTransitionError(
                f"complaint {self.number} is {self.step}; only a closed complaint can be reopened"
            )
        if not reason.strip():
            raise ReasonRequiredError(
                f"reopening complaint {self.number} needs the customer's dispute"
            )
        deadline = on + timedelta(days=policy.complaint_deadline_days)
        self._reopened(
            reason.strip(), "received" if self.rejected else "accepted", deadline, by, on
        )

    @event("Reopened")
    def _reopened(self, reason: str, step: str, deadline: date, by: str, on: date) -> None:
        self.step, self.deadline, self.rejected = step, deadline, False
        self.reopened += 1
        self.overdue = False
        self.closed_on = None

    # -- deadline -------------------------------------------------------------------------

    def is_overdue_on(self, on: date) -> bool:
        return self.is_open and on > self.deadline

    def mark_overdue(self, *, by: str, on: date) -> None:
        """An open complaint past its deadline is overdue; the deadline never blocks work."""
        if self.overdue or not self.is_overdue_on(on):
            raise InvalidTransitionError(
                f"complaint {self.number} is not newly overdue on {on} (deadline {self.deadline})"
            )
        self._became_overdue(self.deadline, by, on)

    @event("BecameOverdue")
    def _became_overdue(self, deadline: date, by: str, on: date) -> None:
        self.overdue = True

    # -- guards and helpers ---------------------------------------------------------------

    def _decide(self, on: date) -> bool | None:
        """In time or late, decided at the first close only: never changed afterwards."""
        return (on <= self.deadline) if self.in_time is None else None

    def _close(self, in_time: bool | None, on: date) -> None:
        self.step, self.closed_on = "closed", on
        if self.in_time is None:
            self.in_time = in_time

    def _require_open(self, what: str) -> None:
        if self.step == "closed":
            raise ComplaintClosedError(f"complaint {self.number} is closed; it cannot be {what}")

    def _require(self, step: str, what: str) -> None:
        self._require_open(what)
        if self.step != step:
            raise StepOrderError(
                f"complaint {self.number} is {self.step}; it can be {what} only when it is {step}"
            )

    def _require_new_reviewer(self, by: Actor) -> None:
        """The three reviews of a report (review, endorsement, approval) are three people's."""
        earlier = getattr(self, "reviewers", [])  # the stages since the report last came in
        if by.canonical in {canonical_id(r) for r in earlier}:
            raise FourEyesError(
                f"{by.id} already reviewed the report of complaint {self.number}; its review, "
                "endorsement and approval are by three different people"
            )

    def _review_stage(self, stage: str, by: Actor) -> None:
        role, step_name, leads_to = REVIEW_STAGES[stage]
        self._require(stage, leads_to)
        if role not in by.roles:
            raise RoleRequiredError(
                f"{by.id} is not {role.replace('_', ' ')}; the report of complaint "
                f"{self.number} is {step_name}"
            )
        assert self.investigator is not None
        require_four_eyes(
            self.investigator, by.id, f"the investigation report of complaint {self.number}"
        )
