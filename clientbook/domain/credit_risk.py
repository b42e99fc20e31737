"""Rules that span a credit line, its customer, its borrower and the borrower's group
(DOMAIN.md § Credit lines and group customers): who may be given credit, what counts against a
member's allocation, what a changed line does to its borrower and group, joining and leaving a
group, the cross-default that freezes every member's lines, and the release that lifts the
freeze. Pure: the caller (application/credit_lines.py, credit_groups.py) loads the aggregates,
these give them their commands, and the caller saves what changed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from uuid import UUID

from clientbook.domain.borrower import Borrower
from clientbook.domain.credit_line import CreditLine
from clientbook.domain.customer import Customer
from clientbook.domain.errors import CustomerRestrictedError
from clientbook.domain.group import CreditGroup, Link
from clientbook.domain.money import Money
from clientbook.domain.policy import PolicySettings

COUNTED = ("approved", "active", "frozen", "matured")
"""Statuses in which a line's limit counts against the customer's group allocation."""


def counts(line: CreditLine) -> bool:
    """Whether the line's limit counts against its customer's allocation (a proposed or closed
    line does not, and neither defaults nor freezes its group)."""
    return line.status in COUNTED


def require_unrestricted(customer: Customer, what: str) -> None:
    """A closed customer (CustomerClosedError) or a restricted one (CustomerRestrictedError) is
    given no new credit; `what` says what was refused ("proposed a credit line")."""
    customer.require_open_for_new_business(what)
    if customer.restricted is not None:
        raise CustomerRestrictedError(
            f"customer {customer.number} is restricted ({customer.restricted}); it cannot be {what}"
        )


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


def record_line(
    line: CreditLine,
    borrower: Borrower,
    group: CreditGroup | None,
    policy: Callable[[], PolicySettings],
    *,
    by: str,
    on: date,
) -> bool:
    """What a changed line does beyond itself: its borrower counts it at its limit (or drops
    it), the group takes the borrower's classification, and a counted line in default
    cross-defaults the group and is frozen with it (`policy` gives the settings in force; it is
    asked only then, so a line without a group reads no policy). True when the group is in cross-default after a counted line changed:
    then the caller loads every member's lines and gives them to `freeze_members`."""
    if counts(line):
        borrower.set_line(line.id, line.limit, line.classification, by=by, on=on)
    else:
        borrower.drop_line(line.id, by=by, on=on)
    if group is None:
        return False
    group.record_classification(line.customer_id, borrower.classification, by=by, on=on)
    if not counts(line):
        return False
    note_default(group, line.customer_id, [line], policy(), by=by, on=on)
    if group.cross_default is None:  # only then are the members' lines needed
        return False
    freeze_members(group, [line], by=by, on=on)
    return True


def join_group(
    group: CreditGroup,
    borrower: Borrower,
    lines: Iterable[CreditLine],
    *,
    link: Link,
    allocation: Money,
    policy: PolicySettings,
    by: str,
    on: date,
) -> bool:
    """A customer joins with its borrower's `lines`: their counted total must fit the
    allocation, the group takes its classification, and a line of it in default cross-defaults
    the group. True when the group is in cross-default: then every member's lines and the
    joining ones go to `freeze_members`. A refused join may have changed the borrower: the
    caller saves nothing of it."""
    borrower.join(group.id, by=by, on=on)
    group.add_member(
        borrower.customer_id,
        link=link,
        allocation=allocation,
        lines=borrower.total(group.limit.currency),
        by=by,
        on=on,
    )
    group.record_classification(borrower.customer_id, borrower.classification, by=by, on=on)
    note_default(group, borrower.customer_id, lines, policy, by=by, on=on)
    return group.cross_default is not None


def leave_group(
    group: CreditGroup,
    borrower: Borrower,
    lines: Iterable[CreditLine],
    *,
    reason: str,
    by: str,
    on: date,
) -> list[CreditLine]:
    """A member leaves with its borrower's `lines`: a group freeze no longer binds them. The
    lines released."""
    group.remove_member(borrower.customer_id, reason=reason, by=by, on=on)
    borrower.leave(by=by, on=on)
    return release_members(group, lines, by=by, on=on)


def warn_of_breach(
    group: CreditGroup | None, line: CreditLine, kind: str, *, detail: str, by: str, on: date
) -> None:
    """A covenant breach on a member's line is an early warning for its group at once."""
    if group is not None:
        group.raise_warning(
            "covenant_breach", detail=f"{line.number}: {kind}: {detail}", by=by, on=on
        )


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
    return [
        line for line in unique.values() if line.freeze_for_group(group_id=group.id, by=by, on=on)
    ]


def release_members(
    group: CreditGroup, lines: Iterable[CreditLine], *, by: str, on: date
) -> list[CreditLine]:
    """A released group's (or a leaving member's) lines take drawdowns again: those released."""
    return [line for line in lines if line.release_for_group(group_id=group.id, by=by, on=on)]
