"""Group-customer commands: form a group, add and remove members, allocate, change its limit,
raise a warning, review and release it, record and end the links between customers; and the
group and borrower lookups. Each loads what it changes, gives the domain its commands, and
saves what changed; the rules that span line, borrower and group (joining, leaving, the
cross-default's freeze and the release) are domain/credit_risk.py's. `book.credit`
(credit.py) has these and the line commands (credit_lines.py)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from clientbook.application.credit_aggregates import CreditAggregates
from clientbook.application.keyed import idempotent
from clientbook.domain.actor import Actor
from clientbook.domain.borrower import Borrower, borrower_id
from clientbook.domain.credit_risk import freeze_members, join_group, leave_group, release_members
from clientbook.domain.errors import (
    CreditGroupNotFoundError,
    DuplicateNumberError,
    InvalidValueError,
    NotFoundError,
)
from clientbook.domain.group import CreditGroup, CustomerLink, Link, group_id, link_id
from clientbook.domain.money import Money


class CreditGroups(CreditAggregates):
    """Group-customer and customer-link commands and queries over the one ClientBook log."""

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
        lines = [self._line(line_id) for line_id in borrower.limits]
        policy = self._policy.in_force(on)
        cross_defaulted = join_group(
            group, borrower, lines, link=link, allocation=allocation, policy=policy, by=by.id, on=on
        )
        members = self._member_lines(group, by) if cross_defaulted else []
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
        borrower = self._borrower(customer, by)
        lines = map(self._line, borrower.limits)  # loaded once the member is known to leave
        released = leave_group(group, borrower, lines, reason=reason, by=by.id, on=on)
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
