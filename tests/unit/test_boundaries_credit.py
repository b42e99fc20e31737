"""Every threshold of DOMAIN.md § Credit lines and group customers on both sides: the DPD floors,
receivables aging, default, the concentration cap, allocations, the links that make a group,
and the approval authority of each role (exactly at the limit, and a cent above)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from clientbook import Actor, Money
from clientbook.domain.credit_line import CreditLine, aging_bucket, floor_for
from clientbook.domain.errors import (
    AllocationExceededError,
    ApprovalAuthorityError,
    ClassificationFloorError,
    ConcentrationCapError,
    GroupLimitError,
)
from clientbook.domain.group import CreditGroup, Link, concentration_cap
from clientbook.domain.policy import PolicySettings

D = date(2026, 1, 5)
POLICY = PolicySettings()
CAPITAL = PolicySettings(net_capital=Decimal("1000000.00"))  # 15%: a cap of 150,000.00
CREDIT_OFFICER = Actor("u-credit", {"credit_officer"})
AUTHORITY = [("officer", "10000.00"), ("supervisor", "100000.00"), ("manager", "1000000.00")]


def proposed(limit: str) -> CreditLine:
    line = CreditLine.propose(
        number="L-000001",
        customer_id=uuid4(),
        product="working_capital",
        limit=Money(limit),
        rate=Decimal("4.35"),
        start=D,
        maturity=D + timedelta(days=730),
        review=D + timedelta(days=365),
        by="u-proposer",
        on=D,
    )
    line.collect_events()
    return line


def past_due_line() -> CreditLine:
    """An active line whose instalment of 100.00 fell due on D and is unpaid."""
    line = proposed("1000.00")
    line.approve(by=Actor("u-boss", {"officer"}), policy=POLICY, on=D)
    line.activate(by="u-boss", on=D)
    line.draw(Money("100.00"), customer_restricted=False, by="u-teller", on=D, due=D)
    line.collect_events()
    return line


# -- the DPD floors of the five categories, receivables aging, default ---------------------------


@pytest.mark.parametrize(
    ("dpd", "floor"),
    [
        (0, "normal"),
        (1, "special_mention"),
        (90, "special_mention"),
        (91, "substandard"),
        (270, "substandard"),
        (271, "doubtful"),
        (360, "doubtful"),
        (361, "loss"),
    ],
)
def test_the_floor_by_days_past_due_changes_after_0_90_270_and_360(dpd: int, floor: str) -> None:
    assert floor_for(dpd, POLICY) == floor


@pytest.mark.parametrize(
    ("dpd", "best", "refused"),
    [
        (90, "special_mention", "normal"),
        (91, "substandard", "special_mention"),
        (270, "substandard", "special_mention"),
        (271, "doubtful", "substandard"),
        (360, "doubtful", "substandard"),
        (361, "loss", "doubtful"),
    ],
)
def test_a_credit_officer_classifies_at_the_floor_but_not_above_it(
    dpd: int,
    best: str,
    refused: str,
) -> None:
    line, on = past_due_line(), D + timedelta(days=dpd)
    with pytest.raises(ClassificationFloorError, match=f"{dpd} days past due; it cannot be better"):
        line.classify(refused, reason="review", by=CREDIT_OFFICER, policy=POLICY, on=on)
    line.classify(best, reason="review", by=CREDIT_OFFICER, policy=POLICY, on=on)
    assert line.classification == best


@pytest.mark.parametrize(
    ("dpd", "floor"),
    [(1, "special_mention"), (91, "substandard"), (271, "doubtful"), (361, "loss")],
)
def test_close_of_business_moves_a_line_to_its_floor_on_the_day_it_is_crossed(
    dpd: int,
    floor: str,
) -> None:
    line = past_due_line()
    line.apply_floor(policy=POLICY, by="batch", on=D + timedelta(days=dpd - 1))
    assert line.classification != floor
    assert line.apply_floor(policy=POLICY, by="batch", on=D + timedelta(days=dpd))
    assert line.classification == floor


def test_a_line_is_in_default_after_90_days_past_due_not_at_90() -> None:
    line = past_due_line()
    assert line.is_in_default(D + timedelta(days=90), POLICY) is False
    assert line.is_in_default(D + timedelta(days=91), POLICY) is True


def test_a_line_classified_substandard_is_in_default_at_any_days_past_due() -> None:
    line = past_due_line()
    line.classify("special_mention", reason="watch", by=CREDIT_OFFICER, policy=POLICY, on=D)
    assert line.is_in_default(D, POLICY) is False
    line.classify("substandard", reason="weak", by=CREDIT_OFFICER, policy=POLICY, on=D)
    assert line.is_in_default(D, POLICY) is True


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, ">90"),
    ],
)
def test_receivables_age_into_current_1_30_31_60_61_90_and_over_90(days: int, bucket: str) -> None:
    assert aging_bucket(days) == bucket


def test_the_day_an_instalment_falls_due_it_is_not_yet_past_due() -> None:
    line = past_due_line()
    assert line.days_past_due(D) == 0 and line.record_past_due(by="batch", on=D) is False
    assert line.days_past_due(D + timedelta(days=1)) == 1
    assert line.record_past_due(by="batch", on=D + timedelta(days=1))


# -- approval authority: at each role's limit, and a cent above ----------------------------------


@pytest.mark.parametrize(("role", "limit"), AUTHORITY)
def test_a_line_is_approved_at_the_approvers_authority_and_refused_a_cent_above(
    role: str,
    limit: str,
) -> None:
    approver = Actor("u-approver", {role})
    at = proposed(limit)
    at.approve(by=approver, policy=POLICY, on=D)
    assert at.status == "approved"
    above = proposed(str(Decimal(limit) + Decimal("0.01")))
    with pytest.raises(ApprovalAuthorityError, match=f"may approve up to {Money(limit)}"):
        above.approve(by=approver, policy=POLICY, on=D)
    assert above.collect_events() == [] and above.status == "proposed"


@pytest.mark.parametrize(("role", "limit"), AUTHORITY)
def test_a_limit_increase_is_approved_at_the_approvers_authority_and_refused_a_cent_above(
    role: str,
    limit: str,
) -> None:
    approver = Actor("u-approver", {role})
    lines = []
    for new in (Money(limit), Money(limit) + Money("0.01")):
        line = proposed("5000.00")
        line.approve(by=Actor("u-boss", {"officer"}), policy=POLICY, on=D)
        line.propose_limit_increase(new, by="u-proposer", on=D)
        line.collect_events()
        lines.append(line)
    lines[0].approve_limit_increase(by=approver, policy=POLICY, on=D)
    assert lines[0].limit == Money(limit)
    with pytest.raises(ApprovalAuthorityError, match=f"may approve up to {Money(limit)}"):
        lines[1].approve_limit_increase(by=approver, policy=POLICY, on=D)
    assert lines[1].collect_events() == [] and lines[1].limit == Money("5000.00")


def test_a_general_manager_approves_any_amount_and_the_highest_role_counts() -> None:
    line = proposed("999999999999.99")
    line.approve(by=Actor("u-gm", {"general_manager"}), policy=POLICY, on=D)
    assert line.status == "approved"
    both = Actor("u-two-hats", {"officer", "supervisor"})
    assert both.authority(POLICY) == Money("100000.00")
    assert Actor("u-auditor", {"auditor"}).authority(POLICY) == Money("0.00")


# -- group customers: the 15% cap, allocations, links -------------------------------------------


def group(limit: str = "100000.00", policy: PolicySettings = CAPITAL) -> CreditGroup:
    formed = CreditGroup.form(
        name="G-ONE",
        lead_branch="branch 1",
        lead_manager="m-001",
        limit=Money(limit),
        policy=policy,
        by="u-credit",
        on=D,
    )
    formed.collect_events()
    return formed


def test_a_group_limit_at_the_15_percent_cap_is_allowed_and_a_cent_above_refused() -> None:
    assert group("150000.00").limit == Money("150000.00")
    with pytest.raises(ConcentrationCapError, match="above the concentration cap of 150,000.00"):
        group("150000.01")
    raised = group()
    raised.change_limit(Money("150000.00"), policy=CAPITAL, by="u-credit", on=D)
    assert raised.limit == Money("150000.00")
    with pytest.raises(ConcentrationCapError, match="above the concentration cap"):
        raised.change_limit(Money("150000.01"), policy=CAPITAL, by="u-credit", on=D)
    assert raised.collect_events()[-1].limit == Money("150000.00")  # type: ignore[attr-defined]


def test_the_cap_on_a_half_cent_rounds_down_so_no_limit_is_above_15_percent() -> None:
    odd = PolicySettings(net_capital=Decimal("1000000.10"))  # 15% is 150,000.015
    assert concentration_cap(odd) == Money("150000.01")
    assert group("150000.01", odd).limit == Money("150000.01")
    with pytest.raises(ConcentrationCapError):
        group("150000.02", odd)


def test_member_allocations_may_fill_the_group_limit_but_not_a_cent_more() -> None:
    g = group("1000.00")
    link = Link("mutual_guarantee", "mutual guarantee deed 7")
    first, second = uuid4(), uuid4()
    g.add_member(first, link=link, allocation=Money("600.00"), lines=Money("0.00"), by="u", on=D)
    with pytest.raises(GroupLimitError, match="would put 1,000.01 CNY of group G-ONE"):
        g.add_member(
            second, link=link, allocation=Money("400.01"), lines=Money("0.00"), by="u", on=D
        )
    g.add_member(second, link=link, allocation=Money("400.00"), lines=Money("0.00"), by="u", on=D)
    assert g.allocated == Money("1000.00")


def test_a_members_lines_may_reach_its_allocation_but_not_a_cent_more() -> None:
    g = group("1000.00")
    member = uuid4()
    g.add_member(
        member,
        link=Link("mutual_guarantee", "deed"),
        allocation=Money("500.00"),
        lines=Money("500.00"),
        by="u",
        on=D,
    )
    g.check_line(member, Money("500.00"))
    with pytest.raises(AllocationExceededError, match="would total 500.01 CNY, above its"):
        g.check_line(member, Money("500.01"))


@pytest.mark.parametrize(
    ("link", "one_risk"),
    [
        (Link("control", "register", Decimal("50.01")), True),
        (Link("control", "register", Decimal("50")), False),
        (Link("control", "register", Decimal("50"), largest_shareholder=True), True),
        (Link("control", "register", Decimal("20"), largest_shareholder=True), True),
        (Link("control", "register", Decimal("19.99"), largest_shareholder=True), False),
        (Link("control", "register", Decimal("20"), board_majority=True), True),
        (Link("control", "register", Decimal("5"), control_in_fact=True), True),
        (Link("economic_dependency", "accounts", Decimal("30")), True),
        (Link("economic_dependency", "accounts", Decimal("29.99")), False),
        (
            Link("economic_dependency", "accounts", Decimal("1"), large_non_trade_receivables=True),
            True,
        ),
    ],
)
def test_a_link_makes_one_risk_above_50_percent_from_20_with_control_and_from_30_dependency(
    link: Link,
    one_risk: bool,
) -> None:
    assert link.qualifies(POLICY) is one_risk
