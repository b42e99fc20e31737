"""Every threshold of DOMAIN.md § Customer and § Complaint on both sides: a customer lapses on
the usual cycle + 3rd day, a complaint closes in time on its 7th calendar day and is overdue on
the 8th, and a resolution is approved at the approver's authority but not a cent above."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from clientbook import Actor, Money
from clientbook.domain.complaint import Complaint, InvestigationReport, Resolution
from clientbook.domain.customer import Customer
from clientbook.domain.errors import ApprovalAuthorityError, InvalidTransitionError
from clientbook.domain.policy import PolicySettings

D = date(2026, 11, 2)
POLICY = PolicySettings()
REPORT = InvestigationReport(
    "wrong fee", "charged twice", "billing", "refund due", "reverse the fee", "fix the billing rule"
)


def seen_on_d_with_a_30_day_cycle() -> Customer:
    customer = Customer.register(
        number="C-000001", kind="individual", name="Li Lei", manager="m-007", by="u-clerk", on=D
    )
    customer.activate(by="u-clerk", on=D)
    customer.set_visit_cycle(30, by="u-clerk", on=D)
    customer.collect_events()
    return customer


def test_a_customer_lapses_on_the_33rd_day_unseen_with_a_30_day_cycle_not_on_the_32nd() -> None:
    customer = seen_on_d_with_a_30_day_cycle()
    assert customer.lapse_due(POLICY.lapse_grace_days) == D + timedelta(days=33)
    assert customer.is_lapsing(D + timedelta(days=32), POLICY.lapse_grace_days) is False
    with pytest.raises(InvalidTransitionError, match="is not lapsed on 2026-12-04"):
        customer.mark_lapsed(grace_days=3, by="batch", on=D + timedelta(days=32))
    assert customer.collect_events() == []
    customer.mark_lapsed(grace_days=3, by="batch", on=D + timedelta(days=33))
    assert customer.lapsed is True


def test_a_contact_on_the_last_day_starts_the_cycle_again() -> None:
    customer = seen_on_d_with_a_30_day_cycle()
    customer.record_contact(
        channel="call", purpose="follow_up", outcome="fine", by="u-rm", on=D + timedelta(days=32)
    )
    assert customer.is_lapsing(D + timedelta(days=33), 3) is False
    assert customer.is_lapsing(D + timedelta(days=65), 3) is True


def received(on: date = D) -> Complaint:
    return Complaint.receive(
        number="CP-2026-000017",
        customer_id=Customer.create_id("C-1"),
        category="damages",
        channel="hotline",
        request="refund the fee",
        department="branch 12",
        claimed=Money("300.00"),
        product="card",
        policy=POLICY,
        by="u-desk",
        on=on,
    )


def closed_on(day: date, amount: str = "300.00", approver: str = "officer") -> Complaint:
    """A complaint received on D taken through every step, all on D, and closed on `day`."""
    c = received()
    c.accept(by="u-desk", on=D)
    c.assign("card centre", by=Actor("u-admin", {"administration"}), on=D)
    c.investigate(REPORT, by="u-investigator", on=D)
    c.review(by=Actor("u-supervisor", {"supervisor"}), on=D)
    c.endorse(opinion="refund it", by=Actor("u-admin", {"administration"}), on=D)
    c.approve_report(by=Actor("u-gm", {"general_manager"}), on=D)
    c.propose_resolution(
        Resolution("refund", "we refund", Money(amount)), by="u-investigator", on=D
    )
    c.approve_resolution(by=Actor("u-approver", {approver}), policy=POLICY, on=D)
    c.reply(form="written", text="refunded", by="u-desk", on=D)
    c.follow_up(satisfaction=4, note="ok", by="u-desk", on=D)
    c.close(by="u-desk", on=day)
    return c


def test_a_complaint_closed_on_its_7th_day_is_in_time_and_on_its_8th_late() -> None:
    assert received().deadline == D + timedelta(days=7)
    assert closed_on(D + timedelta(days=7)).in_time is True
    assert closed_on(D + timedelta(days=8)).in_time is False


def test_a_complaint_rejected_on_its_7th_day_is_in_time_and_on_its_8th_late() -> None:
    on_time, late = received(), received()
    on_time.reject(reply="the fee was agreed", by="u-desk", on=D + timedelta(days=7))
    late.reject(reply="the fee was agreed", by="u-desk", on=D + timedelta(days=8))
    assert (on_time.in_time, late.in_time) == (True, False)


def test_an_open_complaint_is_overdue_from_its_8th_day_not_on_its_7th() -> None:
    c = received()
    assert c.is_overdue_on(D + timedelta(days=7)) is False
    with pytest.raises(InvalidTransitionError):
        c.mark_overdue(by="batch", on=D + timedelta(days=7))
    assert c.is_overdue_on(D + timedelta(days=8)) is True
    c.mark_overdue(by="batch", on=D + timedelta(days=8))
    assert c.overdue is True


@pytest.mark.parametrize(
    ("role", "limit"),
    [
        ("officer", "10000.00"),
        ("supervisor", "100000.00"),
        ("manager", "1000000.00"),
    ],
)
def test_a_resolution_is_approved_at_the_approvers_authority_and_refused_a_cent_above(
    role: str,
    limit: str,
) -> None:
    assert closed_on(D, limit, role).step == "closed"
    with pytest.raises(ApprovalAuthorityError, match=f"may approve up to {Money(limit)}"):
        closed_on(D, str(Money(limit).amount + Money("0.01").amount), role)


def test_without_a_cycle_of_its_own_a_customer_lapses_after_its_tiers_cycle() -> None:
    """Essay 5's three-level maintenance: VIP every 90 days, A 60, B 30 (policy defaults)."""
    assert (
        POLICY.tier_visit_cycle("vip"),
        POLICY.tier_visit_cycle("a"),
        POLICY.tier_visit_cycle("b"),
        POLICY.tier_visit_cycle("none"),
    ) == (90, 60, 30, None)
    for tier, cycle in (("vip", 90), ("a", 60), ("b", 30)):
        c = Customer.register(
            number="C-000001",
            kind="individual",
            name="Li Lei",
            manager="m-007",
            by="u-clerk",
            on=D,
            tier=tier,
        )
        days = POLICY.tier_visit_cycle(tier)
        assert c.lapse_due(3, days) == D + timedelta(days=cycle + 3)
        assert c.is_lapsing(D + timedelta(days=cycle + 2), 3, days) is False
        assert c.is_lapsing(D + timedelta(days=cycle + 3), 3, days) is True
        c.set_visit_cycle(7, by="u-clerk", on=D)  # its own cycle comes first
        assert c.lapse_due(3, days) == D + timedelta(days=10)
    none = Customer.register(
        number="C-000002", kind="individual", name="Han Meimei", manager="m-007", by="u-clerk", on=D
    )
    assert none.lapse_due(3, POLICY.tier_visit_cycle("none")) is None
