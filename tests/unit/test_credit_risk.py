"""The rules that span a line, its borrower and its group (clientbook/domain/credit_risk.py),
on the aggregates alone, without a book."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import count
from uuid import UUID, uuid4

import pytest
from test_credit_line import CREDIT_OFFICER, D, OFFICER, POLICY
from test_customer import active as active_customer
from test_group import LINK, group

from clientbook import Money
from clientbook.domain.borrower import Borrower
from clientbook.domain.credit_line import CreditLine
from clientbook.domain.credit_risk import (
    check_allocation,
    counted_after,
    counts,
    freeze_members,
    join_group,
    leave_group,
    note_default,
    record_line,
    release_members,
    require_unrestricted,
    warn_of_breach,
)
from clientbook.domain.errors import (
    AllocationExceededError,
    CustomerClosedError,
    CustomerRestrictedError,
)
from clientbook.domain.policy import PolicySettings
from clientbook.domain.group import CreditGroup


NUMBERS = count(1)
CUSTOMER = uuid4()


def active(limit: str) -> CreditLine:
    """An active line of one customer, with a number of its own (ids follow numbers)."""
    line = CreditLine.propose(
        number=f"L-{next(NUMBERS):06d}",
        customer_id=CUSTOMER,
        product="working_capital",
        limit=Money(limit),
        rate=Decimal("4.35"),
        start=D,
        maturity=D + timedelta(days=365),
        review=D + timedelta(days=180),
        by="u-proposer",
        on=D,
    )
    line.approve(by=OFFICER, policy=POLICY, on=D)
    line.activate(by="u-officer", on=D)
    line.collect_events()
    return line


def borrower_with(*lines: CreditLine) -> Borrower:
    borrower = Borrower(lines[0].customer_id, by="u")
    for line in lines:
        borrower.set_line(line.id, line.limit, line.classification, by="u", on=D)
    return borrower


def member_group(customer: UUID, allocation: str = "1500.00") -> CreditGroup:
    g = group()
    g.add_member(
        customer, link=LINK, allocation=Money(allocation), lines=Money.zero(), by="u", on=D
    )
    return g


def defaulted(line: CreditLine) -> CreditLine:
    line.classify("doubtful", reason="collateral lost", by=CREDIT_OFFICER, policy=POLICY, on=D)
    return line


def test_what_counts_against_an_allocation_is_every_counted_line_this_one_at_its_new_limit() -> (
    None
):
    line = active("1000.00")
    borrower = borrower_with(line)
    assert counted_after(borrower, line.id, Money("1200.00")) == Money("1200.00")
    other = active("400.00")
    assert counted_after(borrower, other.id, other.limit) == Money("1400.00")
    g = member_group(borrower.customer_id)
    check_allocation(g, borrower, other.id, Money("500.00"))  # 1,500.00: fits exactly
    with pytest.raises(AllocationExceededError):
        check_allocation(g, borrower, other.id, Money("500.01"))
    check_allocation(None, borrower, other.id, Money("1000000.00"))  # no group, no allocation


def test_a_line_in_default_cross_defaults_the_group_once_and_freezes_every_members_line() -> None:
    sick, healthy = defaulted(active("1000.00")), active("300.00")
    g = member_group(sick.customer_id)
    assert freeze_members(g, [healthy], by="u", on=D) == []  # no cross-default: nothing frozen
    assert not note_default(g, sick.customer_id, [healthy], POLICY, by="u", on=D)
    assert note_default(g, sick.customer_id, [sick], POLICY, by="u", on=D)
    assert g.cross_default is not None
    assert not note_default(g, sick.customer_id, [sick], POLICY, by="u", on=D)  # once
    frozen = freeze_members(g, [healthy, sick, healthy], by="u", on=D)
    assert {line.id for line in frozen} == {healthy.id, sick.id}
    assert freeze_members(g, [healthy, sick], by="u", on=D) == []  # frozen already


def test_a_release_lets_the_members_lines_draw_again() -> None:
    sick, healthy = defaulted(active("1000.00")), active("300.00")
    g = member_group(sick.customer_id)
    note_default(g, sick.customer_id, [sick], POLICY, by="u", on=D)
    freeze_members(g, [sick, healthy], by="u", on=D)
    released = release_members(g, [sick, healthy], by="u", on=D + timedelta(days=1))
    assert {line.id for line in released} == {sick.id, healthy.id}
    assert release_members(g, [sick, healthy], by="u", on=D + timedelta(days=1)) == []
    healthy.draw(
        Money("10.00"),
        customer_restricted=False,
        by="u",
        on=D + timedelta(days=1),
        due=D + timedelta(days=30),
    )
    assert healthy.outstanding == Money("10.00")


def test_raising_a_line_counts_it_once_at_its_new_limit_against_the_allocation() -> None:
    line = active("1000.00")
    borrower = borrower_with(line)
    g = member_group(borrower.customer_id)
    check_allocation(g, borrower, line.id, Money("1500.00"))  # not 1,000.00 + 1,500.00
    with pytest.raises(AllocationExceededError):
        check_allocation(g, borrower, line.id, Money("1500.01"))


def test_a_line_over_the_substandard_days_past_due_cross_defaults_its_group() -> None:
    late = active("1000.00")  # classified normal: only its days past due put it in default
    late.draw(Money("10.00"), customer_restricted=False, by="u", on=D, due=D)
    g = member_group(late.customer_id)
    day_90, day_91 = D + timedelta(days=90), D + timedelta(days=91)
    assert not note_default(g, late.customer_id, [late], POLICY, by="u-batch", on=day_90)
    assert note_default(g, late.customer_id, [late], POLICY, by="u-batch", on=day_91)
    event = g.collect_events()[-1]
    assert (type(event).__name__, event.customer_id, event.by, event.on) == (
        "CrossDefaulted",
        late.customer_id,
        "u-batch",
        day_91,
    )


def test_the_freeze_and_the_release_name_the_group_who_and_when() -> None:
    sick = defaulted(active("1000.00"))
    g = member_group(sick.customer_id)
    note_default(g, sick.customer_id, [sick], POLICY, by="u", on=D)
    sick.collect_events()
    later = D + timedelta(days=2)
    freeze_members(g, [sick], by="u-batch", on=D + timedelta(days=1))
    release_members(g, [sick], by="u-reviewer", on=later)
    frozen, released = sick.collect_events()
    assert (type(frozen).__name__, frozen.group_id, frozen.by, frozen.on) == (
        "FrozenByGroup",
        g.id,
        "u-batch",
        D + timedelta(days=1),
    )
    assert (type(released).__name__, released.group_id, released.by, released.on) == (
        "ReleasedByGroup",
        g.id,
        "u-reviewer",
        later,
    )


def proposed(limit: str, customer: UUID = CUSTOMER) -> CreditLine:
    line = CreditLine.propose(
        number=f"L-{next(NUMBERS):06d}",
        customer_id=customer,
        product="working_capital",
        limit=Money(limit),
        rate=Decimal("4.35"),
        start=D,
        maturity=D + timedelta(days=365),
        review=D + timedelta(days=180),
        by="u-proposer",
        on=D,
    )
    line.collect_events()
    return line


def no_policy() -> PolicySettings:
    raise AssertionError("the policy in force was asked for without a reason")


def test_only_an_approved_line_not_yet_closed_counts_against_an_allocation() -> None:
    line = proposed("1000.00")
    assert not counts(line)
    line.approve(by=OFFICER, policy=POLICY, on=D)
    assert counts(line)
    line.activate(by="u-officer", on=D)
    assert counts(line)
    line.freeze(reason="fraud alert", by="u-officer", on=D)
    assert counts(line)
    line.close(reason="repaid", by="u-officer", on=D)
    assert not counts(line)


def test_a_closed_or_restricted_customer_is_given_no_new_credit() -> None:
    customer = active_customer()
    require_unrestricted(customer, "proposed a credit line")  # open and unrestricted: fine
    customer.restrict(reason="sanctions screening", by="u", on=D)
    with pytest.raises(
        CustomerRestrictedError,
        match=r"C-000001 is restricted \(sanctions screening\); it cannot be "
        "given more credit",
    ):
        require_unrestricted(customer, "given more credit")
    customer.lift_restriction(reason="cleared", by="u", on=D)
    require_unrestricted(customer, "given more credit")
    customer.close(open_items=[], reason="moved away", by="u", on=D)
    with pytest.raises(CustomerClosedError, match="it cannot be approved a credit line"):
        require_unrestricted(customer, "approved a credit line")


def test_a_counted_line_is_set_on_its_borrower_and_an_uncounted_one_dropped() -> None:
    line = active("1000.00")
    borrower = Borrower(line.customer_id, by="u")
    assert not record_line(line, borrower, None, no_policy, by="u", on=D)  # no group: no policy
    assert borrower.limits == {line.id: Money("1000.00")}
    line.close(reason="repaid", by="u", on=D)
    assert not record_line(line, borrower, None, no_policy, by="u", on=D)
    assert borrower.limits == {}


def test_a_members_changed_line_gives_the_group_its_classification_and_may_cross_default_it() -> (
    None
):
    line = active("1000.00")
    borrower = borrower_with(line)
    g = member_group(line.customer_id)
    assert not record_line(line, borrower, g, lambda: POLICY, by="u", on=D)  # healthy
    assert g.cross_default is None and g.classification == "normal"
    defaulted(line)
    line.collect_events()
    assert record_line(line, borrower, g, lambda: POLICY, by="u-batch", on=D)
    assert g.classification == "doubtful" and g.cross_default is not None
    assert line.group_frozen  # the defaulting line is frozen with its group
    assert [type(e).__name__ for e in line.collect_events()] == ["FrozenByGroup"]
    assert record_line(line, borrower, g, lambda: POLICY, by="u", on=D)  # still cross-defaulted


def test_an_uncounted_line_of_a_member_neither_defaults_nor_freezes_its_group() -> None:
    line = defaulted(active("1000.00"))
    borrower = borrower_with(line)
    g = member_group(line.customer_id)
    line.close(reason="written off", by="u", on=D)
    line.collect_events()
    assert not record_line(line, borrower, g, no_policy, by="u", on=D)
    assert g.cross_default is None and borrower.limits == {}
    assert line.collect_events() == []


def test_joining_counts_the_borrowers_lines_against_the_allocation() -> None:
    line = active("1000.00")
    borrower = borrower_with(line)
    g = group()
    with pytest.raises(AllocationExceededError):
        join_group(
            g, borrower, [line], link=LINK, allocation=Money("999.99"), policy=POLICY, by="u", on=D
        )
    assert line.customer_id not in g.members  # the caller saves nothing of a refused join
    borrower = borrower_with(line)
    assert not join_group(
        g, borrower, [line], link=LINK, allocation=Money("1000.00"), policy=POLICY, by="u", on=D
    )
    assert line.customer_id in g.members and borrower.group == g.id
    assert g.cross_default is None


def test_joining_with_a_line_in_default_cross_defaults_the_group() -> None:
    line = defaulted(active("1000.00"))
    borrower = borrower_with(line)
    g = group()
    assert join_group(
        g, borrower, [line], link=LINK, allocation=Money("1000.00"), policy=POLICY, by="u", on=D
    )
    assert g.cross_default is not None and g.classification == "doubtful"
    assert not line.group_frozen  # the caller freezes the members' lines (freeze_members)


def test_leaving_releases_the_members_lines_from_the_group_freeze() -> None:
    sick = defaulted(active("1000.00"))
    borrower = borrower_with(sick)
    g = group()
    join_group(
        g, borrower, [sick], link=LINK, allocation=Money("1000.00"), policy=POLICY, by="u", on=D
    )
    freeze_members(g, [sick], by="u", on=D)
    released = leave_group(g, borrower, [sick], reason="sold", by="u", on=D)
    assert released == [sick] and not sick.group_frozen
    assert sick.customer_id not in g.members and borrower.group is None


def test_a_covenant_breach_warns_the_group_naming_the_line_and_no_group_is_no_warning() -> None:
    line = active("1000.00")
    g = member_group(line.customer_id)
    warn_of_breach(g, line, "dscr", detail="1.05 < 1.20", by="u", on=D)
    (event,) = g.collect_events()[-1:]
    assert (type(event).__name__, event.kind, event.detail) == (
        "EarlyWarning",
        "covenant_breach",
        f"{line.number}: dscr: 1.05 < 1.20",
    )
    assert g.under_review
    warn_of_breach(None, line, "dscr", detail="1.05 < 1.20", by="u", on=D)  # nothing to warn
