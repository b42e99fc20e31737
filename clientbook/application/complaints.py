"""Complaint commands and queries over the one log: load, give one command, save."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

from attrs import frozen

from clientbook.application.app import ClientBookApplication
from clientbook.application.keyed import idempotent
from clientbook.application.policy import PolicyService
from clientbook.domain.actor import Actor
from clientbook.domain.complaint import (
    Complaint,
    ComplaintNumbers,
    InvestigationReport,
    Resolution,
    complaint_id,
)
from clientbook.domain.customer import Customer
from clientbook.domain.errors import (
    ComplaintNotFoundError,
    ConflictError,
    CustomerNotFoundError,
)
from clientbook.domain.money import Money

NUMBER_ATTEMPTS = 50
"""Concurrent receipts race for the year's next number; the loser takes the one after."""


@frozen
class ComplaintRecord:
    """A complaint as it stands: an immutable copy, never the aggregate itself."""

    id: UUID
    version: int
    number: str
    customer_id: UUID
    category: str
    channel: str
    product: str
    request: str
    department: str
    handling_department: str | None
    claimed: Money | None
    received_on: date
    deadline: date
    step: str
    rejected: bool
    report: InvestigationReport | None
    investigator: str | None
    opinion: str | None
    resolution: Resolution | None
    approved_amount: Money | None
    paid: Money | None
    satisfaction: int | None
    in_time: bool | None
    closed_on: date | None
    overdue: bool
    reopened: int
    reworks: int

    @classmethod
    def of(cls, c: Complaint) -> ComplaintRecord:
        names = [a for a in cls.__attrs_attrs__]
        return cls(**{a.name: getattr(c, a.name) for a in names})


class Complaints:
    """Complaint commands and queries, over the one ClientBook log."""

    area = "complaints"
    """Its name on the book (`book.complaints`), and in its commands' idempotency keys."""

    def __init__(self, app: ClientBookApplication, policy: PolicyService) -> None:
        self._app = app
        self._policy = policy

    def get(self, complaint: UUID) -> ComplaintRecord:
        return ComplaintRecord.of(self._load(complaint))

    def id_of(self, number: str) -> UUID:
        cid = complaint_id(number)
        if not self._app.exists(cid):
            raise ComplaintNotFoundError(f"there is no complaint {number}")
        return cid

    @idempotent
    def receive(
        self,
        *,
        customer: UUID,
        category: str,
        channel: str,
        request: str,
        department: str,
        by: Actor,
        on: date,
        claimed: Money | None = None,
        product: str = "general",
        idempotency_key: str | None = None,
    ) -> UUID:
        """Register a complaint against an existing customer; it gets the year's next number."""
        self._app.get(Customer, customer, "customer", CustomerNotFoundError)
        policy = self._policy.in_force(on)
        for _ in range(NUMBER_ATTEMPTS):
            numbers = self._numbers(on.year, by)
            complaint = Complaint.receive(
                number=numbers.allocate(by=by.id),
                customer_id=customer,
                category=category,
                channel=channel,
                request=request,
                department=department,
                claimed=claimed,
                product=product,
                policy=policy,
                by=by.id,
                on=on,
            )
            try:
                self._app.save_all(numbers, complaint)
            except ConflictError:
                continue  # another receipt took the number first: take the next one
            return complaint.id
        raise ConflictError(
            f"could not allocate a complaint number after {NUMBER_ATTEMPTS} attempts; try again"
        )

    @idempotent
    def accept(
        self, complaint: UUID, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._do(complaint, lambda c: c.accept(by=by.id, on=on))

    @idempotent
    def reject(
        self,
        complaint: UUID,
        *,
        reply: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(complaint, lambda c: c.reject(reply=reply, by=by.id, on=on))

    @idempotent
    def assign(
        self,
        complaint: UUID,
        department: str,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(complaint, lambda c: c.assign(department, by=by, on=on))

    @idempotent
    def investigate(
        self,
        complaint: UUID,
        *,
        cause: str,
        course_of_events: str,
        responsible_party: str,
        conclusion: str,
        countermeasures: str,
        prevention: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        report = InvestigationReport(
            cause, course_of_events, responsible_party, conclusion, countermeasures, prevention
        )
        self._do(complaint, lambda c: c.investigate(report, by=by.id, on=on))

    @idempotent
    def review(
        self, complaint: UUID, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._do(complaint, lambda c: c.review(by=by, on=on))

    @idempotent
    def endorse(
        self,
        complaint: UUID,
        *,
        opinion: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(complaint, lambda c: c.endorse(opinion=opinion, by=by, on=on))

    @idempotent
    def approve_report(
        self, complaint: UUID, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._do(complaint, lambda c: c.approve_report(by=by, on=on))

    @idempotent
    def return_for_rework(
        self,
        complaint: UUID,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(complaint, lambda c: c.return_for_rework(reason=reason, by=by, on=on))

    @idempotent
    def propose_resolution(
        self,
        complaint: UUID,
        *,
        kind: str,
        text: str,
        by: Actor,
        on: date,
        amount: Money | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        resolution = Resolution(kind, text, amount)
        self._do(complaint, lambda c: c.propose_resolution(resolution, by=by.id, on=on))

    @idempotent
    def approve_resolution(
        self, complaint: UUID, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        policy = self._policy.in_force(on)
        self._do(complaint, lambda c: c.approve_resolution(by=by, policy=policy, on=on))

    @idempotent
    def pay(
        self,
        complaint: UUID,
        amount: Money,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(complaint, lambda c: c.pay(amount, by=by.id, on=on))

    @idempotent
    def reply(
        self,
        complaint: UUID,
        *,
        form: str,
        text: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(complaint, lambda c: c.reply(form=form, text=text, by=by.id, on=on))

    @idempotent
    def follow_up(
        self,
        complaint: UUID,
        *,
        satisfaction: int,
        by: Actor,
        on: date,
        note: str = "",
        idempotency_key: str | None = None,
    ) -> None:
        self._do(
            complaint, lambda c: c.follow_up(satisfaction=satisfaction, note=note, by=by.id, on=on)
        )

    @idempotent
    def close(
        self, complaint: UUID, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._do(complaint, lambda c: c.close(by=by.id, on=on))

    @idempotent
    def reopen(
        self,
        complaint: UUID,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        policy = self._policy.in_force(on)
        self._do(complaint, lambda c: c.reopen(reason=reason, by=by.id, on=on, policy=policy))

    def _numbers(self, year: int, by: Actor) -> ComplaintNumbers:
        numbers_id = ComplaintNumbers.create_id(year)
        if self._app.exists(numbers_id):
            return self._app.get(ComplaintNumbers, numbers_id, "complaint numbering")
        return ComplaintNumbers(year=year, by=by.id)

    def _load(self, complaint: UUID) -> Complaint:
        return self._app.get(Complaint, complaint, "complaint", ComplaintNotFoundError)

    def _do(self, complaint: UUID, command: Callable[[Complaint], object]) -> None:
        self._app.change(Complaint, complaint, "complaint", ComplaintNotFoundError, command)
