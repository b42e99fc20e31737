"""Credit-line commands: propose, approve and activate a line, change its limit, draw, repay,
schedule, record income, freeze, classify, covenants, review, mature, close, and the daily
ageing. Each loads the line (and, where the line's rules reach further, its customer, borrower
and group), gives the domain its commands, and saves what changed; the rules that span line,
borrower and group are domain/credit_risk.py's. `book.credit` (credit.py) has these and the
group commands (credit_groups.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Callable, Sequence
from uuid import UUID

from eventsourcing.domain import Aggregate

from clientbook.application.credit_aggregates import CreditAggregates
from clientbook.application.keyed import idempotent
from clientbook.domain.actor import Actor
from clientbook.domain.borrower import Borrower
from clientbook.domain.credit_line import CreditLine, credit_line_id
from clientbook.domain.credit_risk import (
    check_allocation,
    freeze_members,
    record_line,
    require_unrestricted,
    warn_of_breach,
)
from clientbook.domain.errors import CreditLineNotFoundError, DuplicateNumberError
from clientbook.domain.group import CreditGroup
from clientbook.domain.money import Money
from clientbook.domain.policy import PolicySettings


class CreditLines(CreditAggregates):
    """Credit-line commands and queries over the one ClientBook log."""

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
        require_unrestricted(self._customer(customer), "proposed a credit line")
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
        require_unrestricted(self._customer(line.customer_id), "approved a credit line")
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
        require_unrestricted(self._customer(line.customer_id), "given more credit")
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
        warn_of_breach(group, line, kind, detail=detail, by=by.id, on=on)
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

    def line(self, line_id: UUID) -> CreditLine:
        """The line as it stands (a copy: changing it changes nothing stored)."""
        return self._line(line_id)

    def id_of_line(self, number: str) -> UUID:
        line_id = credit_line_id(number)
        if not self._app.exists(line_id):
            raise CreditLineNotFoundError(f"there is no credit line {number}")
        return line_id

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
        """Save a changed line with what follows from it (credit_risk.record_line): the
        borrower's totals and the group's unified classification and cross-default, which
        freezes every member's lines."""

        def policy() -> PolicySettings:  # asked only for a counted line of a group member
            return self._policy.in_force(on)

        others: list[Aggregate] = []
        cross_defaulted = record_line(line, borrower, group, policy, by=by.id, on=on)
        if group is not None:
            if cross_defaulted:  # only then are the members' lines loaded
                frozen = freeze_members(group, self._member_lines(group, by), by=by.id, on=on)
                others = [other for other in frozen if other.id != line.id]
            others.append(group)
        self._app.save_all(line, borrower, *others)

    def _change_line(
        self, line_id: UUID, by: Actor, on: date, command: Callable[[CreditLine], object]
    ) -> None:
        line = self._line(line_id)
        command(line)
        borrower, group = self._borrower_and_group(line.customer_id, by)
        self._save_line(line, borrower, group, by, on)
