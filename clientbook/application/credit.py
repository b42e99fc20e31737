"""Credit lines and group customers: commands that keep a group's rules for every member."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Callable, Sequence
from uuid import UUID

from eventsourcing.domain import Aggregate

from clientbook.application.app import ClientBookApplication
from clientbook.application.keyed import idempotent
from clientbook.application.policy import PolicyService
from clientbook.domain.actor import Actor
from clientbook.domain.borrower import Borrower, borrower_id
from clientbook.domain.credit_line import CreditLine, credit_line_id
from clientbook.domain.credit_risk import (
    check_allocation,
    freeze_members,
    note_default,
    release_members,
)
from clientbook.domain.customer import Customer
from clientbook.domain.errors import (
    CreditGroupNotFoundError,
    CreditLineNotFoundError,
    CustomerNotFoundError,
    CustomerRestrictedError,
    DuplicateNumberError,
    InvalidValueError,
    NotFoundError,
)
from clientbook.domain.group import CreditGroup, CustomerLink, Link, group_id, link_id
from clientbook.domain.money import Money
from clientbook.domain.policy import PolicySettings

COUNTED = ("approved", "active", "frozen", "matured")
"""Statuses in which a line's limit counts against the customer's group allocation."""


class Credit:
    """Credit-line and group commands over the one ClientBook log."""

    area = "credit"
    """Its name on the book (`book.credit`), and in its commands' idempotency keys."""

    def __init__(self, app: ClientBookApplication, policy: PolicyService) -> None:
        self._app = app
        self._policy = policy

    # -- credit lines ---------------------------------------------------------------------

    @idempotent
    def propose_line(
        self,
        *,
        number: str,
        customer: UUID,
        product: str,
        limit: Money,
        rate: Decimal,
        start: date,
        maturity: date,
        review: date,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> UUID:
        self._unrestricted(customer, "proposed a credit line")
        if self._app.exists(credit_line_id(number)):
            raise DuplicateNumberError(f"credit line number {number} is taken")
        line = CreditLine.propose(
            number=number,
            customer_id=customer,
            product=product,
            limit=limit,
            rate=rate,
            start=start,
            maturity=maturity,
            review=review,
            by=by.id,
            on=on,
        )
        self._app.save_all(line)
        return line.id

    @idempotent
    def approve_line(
        self, line_id: UUID, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        """✋ Approve within authority; the customer's lines must still fit its group allocation."""
        line = self._line(line_id)
        self._unrestricted(line.customer_id, "approved a credit line")
        borrower, group = self._borrower_and_group(line.customer_id, by)
        check_allocation(group, borrower, line.id, line.limit)
        line.approve(by=by, policy=self._policy.in_force(on), on=on)
        if group is not None:
            freeze_members(group, [line], by=by.id, on=on)
        self._save_line(line, borrower, group, by, on)

    @idempotent
    def activate_line(
        self, line_id: UUID, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._do(line_id, lambda line: line.activate(by=by.id, on=on))

    @idempotent
    def propose_limit_increase(
        self,
        line_id: UUID,
        new_limit: Money,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(line_id, lambda line: line.propose_limit_increase(new_limit, by=by.id, on=on))

    @idempotent
    def approve_limit_increase(
        self, line_id: UUID, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        """✋ Approve a proposed increase; the member's lines must still fit its allocation."""
        line = self._line(line_id)
        self._unrestricted(line.customer_id, "given more credit")
        borrower, group = self._borrower_and_group(line.customer_id, by)
        if line.pending_limit is not None:
            check_allocation(group, borrower, line.id, line.pending_limit)
        line.approve_limit_increase(by=by, policy=self._policy.in_force(on), on=on)
        self._save_line(line, borrower, group, by, on)

    @idempotent
    def decrease_limit(
        self,
        line_id: UUID,
        new_limit: Money,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._change_line(
            line_id,
            by,
            on,
            lambda line: line.decrease_limit(new_limit, reason=reason, by=by.id, on=on),
        )

    @idempotent
    def draw(
        self,
        line_id: UUID,
        amount: Money,
        *,
        by: Actor,
        on: date,
        due: date | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        line = self._line(line_id)
        restricted = self._customer(line.customer_id).restricted is not None
        line.draw(amount, customer_restricted=restricted, by=by.id, on=on, due=due)
        self._app.save_all(line)

    @idempotent
    def repay(
        self,
        line_id: UUID,
        amount: Money,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(line_id, lambda line: line.repay(amount, by=by.id, on=on))

    @idempotent
    def schedule(
        self,
        line_id: UUID,
        instalments: Sequence[tuple[date, Money]],
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(line_id, lambda line: line.schedule(list(instalments), by=by.id, on=on))

    @idempotent
    def record_income(
        self,
        line_id: UUID,
        kind: str,
        amount: Money,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        """Interest or a fee the line earned (it counts in the customer's contribution)."""
        self._do(line_id, lambda line: line.record_income(kind, amount, by=by.id, on=on))

    @idempotent
    def freeze(
        self, line_id: UUID, *, reason: str, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._do(line_id, lambda line: line.freeze(reason=reason, by=by.id, on=on))

    @idempotent
    def unfreeze(
        self, line_id: UUID, *, reason: str, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._do(line_id, lambda line: line.unfreeze(reason=reason, by=by.id, on=on))

    @idempotent
    def classify(
        self,
        line_id: UUID,
        classification: str,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        """A credit officer's classification; the group's follows, and a default cross-defaults it."""
        policy = self._policy.in_force(on)
        self._change_line(
            line_id,
            by,
            on,
            lambda line: line.classify(classification, reason=reason, by=by, policy=policy, on=on),
        )

    @idempotent
    def add_covenant(
        self, line_id: UUID, kind: str, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._do(line_id, lambda line: line.add_covenant(kind, by=by.id, on=on))

    @idempotent
    def record_breach(
        self,
        line_id: UUID,
        kind: str,
        *,
        detail: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        """Record a covenant breach; the customer's group gets an early warning at once."""
        line = self._line(line_id)
        line.record_breach(kind, detail=detail, by=by.id, on=on)
        _, group = self._borrower_and_group(line.customer_id, by)
        if group is not None:
            group.raise_warning(
                "covenant_breach", detail=f"{line.number}: {kind}: {detail}", by=by.id, on=on
            )
        self._app.save_all(line, *([group] if group else []))

    @idempotent
    def set_review_date(
        self,
        line_id: UUID,
        review: date,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(line_id, lambda line: line.set_review_date(review, by=by.id, on=on))

    @idempotent
    def mark_matured(
        self, line_id: UUID, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._do(line_id, lambda line: line.mark_matured(by=by.id, on=on))

    @idempotent
    def close_line(
        self, line_id: UUID, *, reason: str, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._change_line(line_id, by, on, lambda line: line.close(reason=reason, by=by.id, on=on))

    @property
    def app(self) -> ClientBookApplication:
        return self._app

    def line(self, line_id: UUID) -> CreditLine:
        """The line as it stands (a copy: changing it changes nothing stored)."""
        return self._line(line_id)

    def id_of_line(self, number: str) -> UUID:
        line_id = credit_line_id(number)
        if not self._app.exists(line_id):
            raise CreditLineNotFoundError(f"there is no credit line {number}")
        return line_id

    # -- groups ---------------------------------------------------------------------------

    @idempotent
    def form_group(
        self,
        *,
        name: str,
        lead_branch: str,
        lead_manager: str,
        limit: Money,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> UUID:
        if self._app.exists(group_id(name)):
            raise DuplicateNumberError(f"a group named {name} exists already")
        group = CreditGroup.form(
            name=name,
            lead_branch=lead_branch,
            lead_manager=lead_manager,
            limit=limit,
            policy=self._policy.in_force(on),
            by=by.id,
            on=on,
        )
        self._app.save_all(group)
        return group.id

    @idempotent
    def add_member(
        self,
        group_ref: UUID,
        customer: UUID,
        *,
        link: Link,
        allocation: Money,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        """Add a member: its existing lines must fit its allocation; a group in default freezes them."""
        group = self._group(group_ref)
        self._customer(customer)
        borrower = self._borrower(customer, by)
        borrower.join(group.id, by=by.id, on=on)
        group.add_member(
            customer,
            link=link,
            allocation=allocation,
            lines=borrower.total(group.limit.currency),
            by=by.id,
            on=on,
        )
        group.record_classification(customer, borrower.classification, by=by.id, on=on)
        policy = self._policy.in_force(on)
        lines = [self._line(line_id) for line_id in borrower.limits]
        note_default(group, customer, lines, policy, by=by.id, on=on)
        members = self._member_lines(group, by) if group.cross_default is not None else []
        frozen = freeze_members(group, [*members, *lines], by=by.id, on=on)
        self._app.save_all(group, borrower, *frozen)

    @idempotent
    def remove_member(
        self,
        group_ref: UUID,
        customer: UUID,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        """Remove a member; a group freeze no longer binds its lines."""
        group = self._group(group_ref)
        group.remove_member(customer, reason=reason, by=by.id, on=on)
        borrower = self._borrower(customer, by)
        borrower.leave(by=by.id, on=on)
        released = release_members(group, map(self._line, borrower.limits), by=by.id, on=on)
        self._app.save_all(group, borrower, *released)

    @idempotent
    def allocate(
        self,
        group_ref: UUID,
        customer: UUID,
        allocation: Money,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        group = self._group(group_ref)
        lines = self._borrower(customer, by).total(group.limit.currency)
        group.allocate(customer, allocation, lines=lines, by=by.id, on=on)
        self._app.save_all(group)

    @idempotent
    def change_group_limit(
        self,
        group_ref: UUID,
        limit: Money,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        policy = self._policy.in_force(on)
        self._do_group(group_ref, lambda g: g.change_limit(limit, policy=policy, by=by.id, on=on))

    @idempotent
    def raise_warning(
        self,
        group_ref: UUID,
        kind: str,
        *,
        detail: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do_group(group_ref, lambda g: g.raise_warning(kind, detail=detail, by=by.id, on=on))

    @idempotent
    def review_group(
        self,
        group_ref: UUID,
        *,
        findings: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do_group(group_ref, lambda g: g.review(findings=findings, by=by.id, on=on))

    @idempotent
    def release_group(
        self, group_ref: UUID, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        """✋ Release a reviewed group: its members' lines take drawdowns again."""
        group = self._group(group_ref)
        group.release(by=by, on=on)
        released = release_members(group, self._member_lines(group, by), by=by.id, on=on)
        self._app.save_all(group, *released)

    def group(self, group_ref: UUID) -> CreditGroup:
        return self._group(group_ref)

    def id_of_group(self, name: str) -> UUID:
        if not self._app.exists(group_id(name)):
            raise CreditGroupNotFoundError(f"there is no group {name}")
        return group_id(name)

    def borrower(self, customer: UUID) -> Borrower | None:
        return (
            self._app.get(Borrower, borrower_id(customer), "borrower")
            if self._app.exists(borrower_id(customer))
            else None
        )

    # -- links between customers ----------------------------------------------------------

    @idempotent
    def record_link(
        self,
        first: UUID,
        second: UUID,
        link: Link,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> UUID:
        """Record (or revise) how two customers are connected, for group detection."""
        if first == second:
            raise InvalidValueError("a customer is not linked to itself")
        self._customer(first), self._customer(second)
        link.check()
        lid = link_id(first, second)
        if self._app.exists(lid):
            self._app.change(
                CustomerLink, lid, "link", NotFoundError, lambda l: l.revise(link, by=by.id, on=on)
            )
        else:
            self._app.save_all(CustomerLink(first=first, second=second, link=link, by=by.id, on=on))
        return lid

    @idempotent
    def end_link(
        self,
        first: UUID,
        second: UUID,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._app.change(
            CustomerLink,
            link_id(first, second),
            "link",
            NotFoundError,
            lambda l: l.end(reason=reason, by=by.id, on=on),
        )

    # -- close of business ----------------------------------------------------------------

    @idempotent
    def age_line(
        self,
        line_id: UUID,
        *,
        policy: PolicySettings,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> bool:
        """Note past due, apply the DPD floor, mature; propagate to the group. True if changed."""
        line = self._line(line_id)
        changed = line.record_past_due(by=by.id, on=on)
        changed = line.apply_floor(policy=policy, by=by.id, on=on) or changed
        if line.status in ("active", "frozen") and on >= line.maturity:
            line.mark_matured(by=by.id, on=on)
            changed = True
        if changed:
            borrower, group = self._borrower_and_group(line.customer_id, by)
            self._save_line(line, borrower, group, by, on)
        return changed

    # -- helpers --------------------------------------------------------------------------

    def _save_line(
        self, line: CreditLine, borrower: Borrower, group: CreditGroup | None, by: Actor, on: date
    ) -> None:
        """Save a changed line with what follows from it: the borrower's totals and the group's
        unified classification and cross-default (which freezes every member's lines)."""
        if line.status in COUNTED:
            borrower.set_line(line.id, line.limit, line.classification, by=by.id, on=on)
        else:
            borrower.drop_line(line.id, by=by.id, on=on)
        others: list[Aggregate] = []
        if group is not None:
            group.record_classification(line.customer_id, borrower.classification, by=by.id, on=on)
            counted = line.status in COUNTED  # a proposed or closed line neither defaults nor freezes
            if counted:
                policy = self._policy.in_force(on)
                note_default(group, line.customer_id, [line], policy, by=by.id, on=on)
                if group.cross_default is not None:  # only then are the members' lines loaded
                    freeze_members(group, [line], by=by.id, on=on)
                    members = self._member_lines(group, by)
                    others = [l for l in freeze_members(group, members, by=by.id, on=on)
                              if l.id != line.id]
            others.append(group)
        self._app.save_all(line, borrower, *others)

    def _member_lines(self, group: CreditGroup, by: Actor) -> list[CreditLine]:
        return [
            self._line(line_id)
            for member in group.members
            for line_id in self._borrower(member, by).limits
        ]

    def _borrower_and_group(self, customer: UUID, by: Actor) -> tuple[Borrower, CreditGroup | None]:
        borrower = self._borrower(customer, by)
        group = None if borrower.group is None else self._group(borrower.group)
        return borrower, group

    def _borrower(self, customer: UUID, by: Actor) -> Borrower:
        bid = borrower_id(customer)
        if self._app.exists(bid):
            return self._app.get(Borrower, bid, "borrower")
        return Borrower(customer_id=customer, by=by.id)

    def _customer(self, customer: UUID) -> Customer:
        return self._app.get(Customer, customer, "customer", CustomerNotFoundError)

    def _unrestricted(self, customer: UUID, what: str) -> None:
        c = self._customer(customer)
        c.require_open_for_new_business(what)
        if c.restricted is not None:
            raise CustomerRestrictedError(
                f"customer {c.number} is restricted ({c.restricted}); it cannot be {what}"
            )

    def _line(self, line_id: UUID) -> CreditLine:
        return self._app.get(CreditLine, line_id, "credit line", CreditLineNotFoundError)

    def _group(self, group_ref: UUID) -> CreditGroup:
        return self._app.get(CreditGroup, group_ref, "group", CreditGroupNotFoundError)

    def _do(self, line_id: UUID, command: Callable[[CreditLine], object]) -> None:
        self._app.change(CreditLine, line_id, "credit line", CreditLineNotFoundError, command)

    def _do_group(self, group_ref: UUID, command: Callable[[CreditGroup], object]) -> None:
        self._app.change(CreditGroup, group_ref, "group", CreditGroupNotFoundError, command)

    def _change_line(
        self, line_id: UUID, by: Actor, on: date, command: Callable[[CreditLine], object]
    ) -> None:
        line = self._line(line_id)
        command(line)
        borrower, group = self._borrower_and_group(line.customer_id, by)
        self._save_line(line, borrower, group, by, on)
