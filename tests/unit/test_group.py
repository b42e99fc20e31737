"""Every group-customer rule of DOMAIN.md § Credit lines and group customers, on the aggregates
(no I/O)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from clientbook import Actor, Money
from clientbook.reports.credit import detect
from clientbook.domain.errors import (
    AllocationExceededError,
    ConcentrationCapError,
    FourEyesError,
    GroupLimitError,
    InvalidTransitionError,
    InvalidValueError,
)
from clientbook.domain.group import CreditGroup, Link, concentration_cap
from clientbook.domain.policy import PolicySettings

D = date(2026, 1, 5)
POLICY = PolicySettings().with_setting("net_capital", "10000000.00")
LINK = Link("control", "share register 2025", Decimal("60"))


def group(limit: str = "1000000.00") -> CreditGroup:
    g = CreditGroup.form(
        name="Wang Group",
        lead_branch="Shanghai",
        lead_manager="m-001",
        limit=Money(limit),
        policy=POLICY,
        by="u",
        on=D,
    )
    g.collect_events()
    return g


def test_the_group_limit_never_exceeds_the_concentration_cap() -> None:
    assert concentration_cap(POLICY) == Money("1500000.00")
    with pytest.raises(
        ConcentrationCapError, match="above the concentration cap of 1,500,000.00 CNY"
    ):
        group("1500000.01")
    with pytest.raises(ConcentrationCapError, match="no net capital"):
        CreditGroup.form(
            name="X",
            lead_branch="b",
            lead_manager="m",
            limit=Money("1.00"),
            policy=PolicySettings(),
            by="u",
            on=D,
        )
    g = group()
    with pytest.raises(ConcentrationCapError):
        g.change_limit(Money("2000000.00"), policy=POLICY, by="u", on=D)


def test_allocations_never_exceed_the_group_limit() -> None:
    g = group()
    a, b = uuid4(), uuid4()
    g.add_member(a, link=LINK, allocation=Money("600000.00"), lines=Money.zero(), by="u", on=D)
    with pytest.raises(GroupLimitError, match="would put 1,000,000.01 CNY"):
        g.add_member(b, link=LINK, allocation=Money("400000.01"), lines=Money.zero(), by="u", on=D)
    g.add_member(b, link=LINK, allocation=Money("400000.00"), lines=Money.zero(), by="u", on=D)
    with pytest.raises(GroupLimitError, match="cannot fall to"):
        g.change_limit(Money("999999.99"), policy=POLICY, by="u", on=D)


def test_a_member_s_lines_never_exceed_its_allocation() -> None:
    g = group()
    a = uuid4()
    with pytest.raises(
        AllocationExceededError, match="lines total 500.00 CNY, above the allocation of 400.00"
    ):
        g.add_member(a, link=LINK, allocation=Money("400.00"), lines=Money("500.00"), by="u", on=D)
    g.add_member(a, link=LINK, allocation=Money("500.00"), lines=Money("500.00"), by="u", on=D)
    with pytest.raises(AllocationExceededError):
        g.check_line(a, Money("500.01"))
    with pytest.raises(AllocationExceededError):
        g.allocate(a, Money("499.99"), lines=Money("500.00"), by="u", on=D)


def test_the_unified_classification_is_the_worst_member_s() -> None:
    g = group()
    a, b = uuid4(), uuid4()
    for m in (a, b):
        g.add_member(m, link=LINK, allocation=Money("1.00"), lines=Money.zero(), by="u", on=D)
    g.record_classification(a, "special_mention", by="u", on=D)
    g.record_classification(b, "doubtful", by="u", on=D)
    assert g.classification == "doubtful"
    g.remove_member(b, reason="sold the subsidiary", by="u", on=D)
    assert g.classification == "special_mention"


def test_cross_default_holds_until_reviewed_and_released_by_another_person() -> None:
    g = group()
    a = uuid4()
    g.add_member(a, link=LINK, allocation=Money("1.00"), lines=Money.zero(), by="u", on=D)
    assert g.trigger_cross_default(a, by="batch", on=D)
    assert not g.trigger_cross_default(a, by="batch", on=D)
    with pytest.raises(InvalidTransitionError, match="must be reviewed"):
        g.release(by=Actor("u-boss", {"manager"}), on=D)
    g.review(findings="the default is isolated", by="u-reviewer", on=D)
    with pytest.raises(FourEyesError):
        g.release(by=Actor("u-reviewer", {"manager"}), on=D)
    g.release(by=Actor("u-boss", {"manager"}), on=D)
    assert g.cross_default is None and not g.under_review


def test_an_early_warning_puts_the_group_under_review() -> None:
    g = group()
    with pytest.raises(InvalidValueError, match="early warning 'rumour'"):
        g.raise_warning("rumour", detail="", by="u", on=D)
    g.raise_warning("collateral_withdrawn", detail="warehouse sold", by="u", on=D)
    assert g.under_review


@pytest.mark.parametrize(
    "link,qualifies",
    [
        (Link("control", "e", Decimal("50.01")), True),
        (Link("control", "e", Decimal("50")), False),
        (Link("control", "e", Decimal("30"), largest_shareholder=True), True),
        (Link("control", "e", Decimal("30"), board_majority=True), True),
        (Link("control", "e", Decimal("19.99"), largest_shareholder=True), False),
        (Link("control", "e", Decimal("5"), control_in_fact=True), True),
        (Link("economic_dependency", "e", Decimal("30")), True),
        (Link("economic_dependency", "e", Decimal("29.99")), False),
        (Link("economic_dependency", "e", None, large_non_trade_receivables=True), True),
        (Link("common_control", "e"), True),
        (Link("family_or_key_managers", "e"), True),
        (Link("mutual_guarantee", "e"), True),
        (Link("same_guarantor", "e"), True),
    ],
)
def test_the_link_rules_decide_who_is_one_risk(link: Link, qualifies: bool) -> None:
    assert link.qualifies(PolicySettings()) is qualifies


def test_a_link_needs_a_known_kind_and_evidence() -> None:
    with pytest.raises(InvalidValueError, match="link 'friendship'"):
        Link("friendship", "e").check()
    with pytest.raises(InvalidValueError, match="needs its evidence"):
        Link("control", " ", Decimal("60")).check()


def test_detection_proposes_connected_customers_and_finds_those_outside_their_group() -> None:
    links = [("C-1", "C-2", "control"), ("C-2", "C-3", "same_guarantor"), ("C-4", "C-5", "control")]
    found = detect(links, {"C-1": "G", "C-2": "G", "C-4": "H", "C-5": "H"})
    assert [p.customers for p in found.proposed] == [("C-1", "C-2", "C-3"), ("C-4", "C-5")]
    assert found.outside == (("C-2", "C-3", "same_guarantor"),)
