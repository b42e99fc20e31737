"""The borrower: one customer's credit lines and group, so group rules hold across its lines."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from clientbook.domain.base import BookAggregate, business_key_id
from clientbook.domain.credit_line import worse
from clientbook.domain.errors import InvalidValueError
from clientbook.domain.money import Money


def borrower_id(customer_id: UUID) -> UUID:
    return business_key_id("borrower", str(customer_id))


class Borrower(BookAggregate):
    """The limits and classifications of a customer's open credit lines, and its group.

    Saved with every line approval, limit change and group change, so two concurrent
    approvals for one customer conflict instead of both fitting the same allocation.
    """

    @staticmethod
    def create_id(customer_id: UUID) -> UUID:
        return borrower_id(customer_id)

    @event("Opened")
    def __init__(self, customer_id: UUID, by: str) -> None:
        self.customer_id = customer_id
        self.limits: dict[UUID, Money] = {}
        self.classes: dict[UUID, str] = {}
        self.group: UUID | None = None

    def total(self, currency: str) -> Money:
        total = Money.zero(currency)
        for limit in self.limits.values():
            total += limit
        return total

    @property
    def classification(self) -> str:
        result = "normal"
        for classification in self.classes.values():
            result = worse(result, classification)
        return result

    def set_line(
        self, line_id: UUID, limit: Money, classification: str, *, by: str, on: date
    ) -> None:
        if self.limits.get(line_id) != limit or self.classes.get(line_id) != classification:
            self._line_set(line_id, limit, classification, by, on)

    @event("LineSet")
    def _line_set(
        self, line_id: UUID, limit: Money, classification: str, by: str, on: date
    ) -> None:
        self.limits[line_id] = limit
        self.classes[line_id] = classification

    def drop_line(self, line_id: UUID, *, by: str, on: date) -> None:
        if line_id in self.limits:
            self._line_dropped(line_id, by, on)

    @event("LineDropped")
    def _line_dropped(self, line_id: UUID, by: str, on: date) -> None:
        self.limits.pop(line_id, None)
        self.classes.pop(line_id, None)

    def join(self, group_id: UUID, *, by: str, on: date) -> None:
        if self.group is not None:
            raise InvalidValueError("the customer is already a member of another group")
        self._joined(group_id, self.customer_id, by, on)

    @event("JoinedGroup")
    def _joined(self, group_id: UUID, customer_id: UUID, by: str, on: date) -> None:
        self.group = group_id

    def leave(self, *, by: str, on: date) -> None:
        if self.group is not None:
            self._left(self.group, self.customer_id, by, on)

    @event("LeftGroup")
    def _left(self, group_id: UUID, customer_id: UUID, by: str, on: date) -> None:
        self.group = None
