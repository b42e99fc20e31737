"""What the credit services share: the one log, the policy, and loading the aggregates that
credit rules span (lines, borrowers, groups, customers). The commands are in credit_lines.py
and credit_groups.py; `book.credit` (credit.py) is both."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from clientbook.application.app import ClientBookApplication
from clientbook.application.policy import PolicyService
from clientbook.domain.actor import Actor
from clientbook.domain.borrower import Borrower, borrower_id
from clientbook.domain.credit_line import CreditLine
from clientbook.domain.customer import Customer
from clientbook.domain.errors import (
    CreditGroupNotFoundError,
    CreditLineNotFoundError,
    CustomerNotFoundError,
)
from clientbook.domain.group import CreditGroup


class CreditAggregates:
    """Loads what a credit command changes; every command of it is keyed under `credit.`."""

    area = "credit"
    """Its name on the book (`book.credit`), and in its commands' idempotency keys and
    permissions (`credit.freeze`)."""

    def __init__(self, app: ClientBookApplication, policy: PolicyService) -> None:
        self._app = app
        self._policy = policy

    @property
    def app(self) -> ClientBookApplication:
        return self._app

    def _line(self, line_id: UUID) -> CreditLine:
        return self._app.get(CreditLine, line_id, "credit line", CreditLineNotFoundError)

    def _group(self, group_ref: UUID) -> CreditGroup:
        return self._app.get(CreditGroup, group_ref, "group", CreditGroupNotFoundError)

    def _customer(self, customer: UUID) -> Customer:
        return self._app.get(Customer, customer, "customer", CustomerNotFoundError)

    def _borrower(self, customer: UUID, by: Actor) -> Borrower:
        """The customer's borrower record; a new one (not yet saved) before its first line."""
        bid = borrower_id(customer)
        if self._app.exists(bid):
            return self._app.get(Borrower, bid, "borrower")
        return Borrower(customer_id=customer, by=by.id)

    def _borrower_and_group(self, customer: UUID, by: Actor) -> tuple[Borrower, CreditGroup | None]:
        borrower = self._borrower(customer, by)
        group = None if borrower.group is None else self._group(borrower.group)
        return borrower, group

    def _member_lines(self, group: CreditGroup, by: Actor) -> list[CreditLine]:
        """Every line of every member of the group (what a cross-default freezes)."""
        return [
            self._line(line_id)
            for member in group.members
            for line_id in self._borrower(member, by).limits
        ]

    def _do(self, line_id: UUID, command: Callable[[CreditLine], object]) -> None:
        self._app.change(CreditLine, line_id, "credit line", CreditLineNotFoundError, command)

    def _do_group(self, group_ref: UUID, command: Callable[[CreditGroup], object]) -> None:
        self._app.change(CreditGroup, group_ref, "group", CreditGroupNotFoundError, command)
