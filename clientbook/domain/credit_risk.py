"""Rules that span a credit line, its borrower and the borrower's group (DOMAIN.md § Group
customer): what counts against a member's allocation, the cross-default that freezes every
member's lines, and the release that lifts the freeze. Pure: the caller loads the aggregates,
these give them their commands, and the caller saves what changed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from uuid import UUID

from clientbook.domain.borrower import Borrower
from clientbook.domain.credit_line import CreditLine
from clientbook.domain.group import CreditGroup
from clientbook.domain.money import Money
from clientbook.domain.policy import PolicySettings


def counted_after(borrower: Borrower, line_id: UUID, limit: Money) -> Money:
    """What counts against the allocation once the line has `limit`: the borrower's counted
    lines (approved and not closed), this one at its new limit instead of its old."""
    total = borrower.total(limit.currency)
    return total - borrower.limits.get(line_id, Money.zero(limit.currency)) + limit


def check_allocation(
    group: CreditGroup | None, borrower: Borrower, line_id: UUID, limit: Money
) -> None:
    """A member's lines must fit its allocation (AllocationExceededError); no group, no cap."""
    if group is not None:
        group.check_line(borrower.customer_id, counted_after(borrower, line_id, limit))


def note_default(
    group: CreditGroup,
    customer_id: UUID,
    lines: Iterable[CreditLine],
    policy: PolicySettings,
    *,
    by: str,
    on: date,
) -> bool:
    """A member with a line in default cross-defaults the group (once); whether it did now."""
    if any(line.is_in_default(on, policy) for line in lines):
        return group.trigger_cross_default(customer_id, by=by, on=on)
    return False


def freeze_members(
    group: CreditGroup, lines: Iterable[CreditLine], *, by: str, on: date
) -> list[CreditLine]:
    """Under a cross-default every member's line is frozen: the lines frozen now (a line given
    twice counts as its last copy)."""
    if group.cross_default is None:
        return []
    unique = {line.id: line for line in lines}
    return [line for line in unique.values() if line.freeze_for_group(group_id=group.id, by=by,
                                                                     on=on)]


def release_members(
    group: CreditGroup, lines: Iterable[CreditLine], *, by: str, on: date
) -> list[CreditLine]:
    """A released group's (or a leaving member's) lines take drawdowns again: those released."""
    return [line for line in lines if line.release_for_group(group_id=group.id, by=by, on=on)]
