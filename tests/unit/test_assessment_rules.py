"""The managers' assessment (domain/assessment.py) as a person reads it: what each event
records, each refusal's whole message, and the exact edges of scores and years."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from clientbook import Actor
from clientbook.domain.assessment import (
    BEHAVIOUR,
    INDICATORS,
    ManagerAssessment,
    MarketDeclaration,
    Period,
    score,
    total,
)
from clientbook.domain.errors import (
    AssessmentError,
    FourEyesError,
    InvalidTransitionError,
    InvalidValueError,
    ReasonRequiredError,
    RoleRequiredError,
)
from clientbook.domain.policy import PolicySettings

D = date(2026, 12, 31)
LATER = date(2027, 1, 4)
POLICY = PolicySettings()
GM = Actor("u-gm", {"general_manager"})


def opened(period: str = "2026") -> ManagerAssessment:
    a = ManagerAssessment.open(manager=" m-001 ", period=period, branch="Pudong", by="u-hr", on=D)
    return a


def complete(a: ManagerAssessment, value: int = 70) -> ManagerAssessment:
    for name in (*INDICATORS, BEHAVIOUR):
        a.override(name, value, reason="figures", by="u-hr", on=D)
    return a


def last(aggregate: Any) -> Any:
    return aggregate.collect_events()[-1]


def test_an_assessment_and_a_declaration_have_ids_that_never_change() -> None:
    """Their ids are their business keys (manager and period; year and branch)."""
    assert (
        opened().id
        == ManagerAssessment.create_id("m-001", "2026")
        == UUID("558b5ef9-477a-547c-9d77-5c2eb0c268e9")
    )
    assert ManagerAssessment.create_id("m-001", "2027") != opened().id
    assert ManagerAssessment.create_id("m-002", "2026") != opened().id
    declared = MarketDeclaration.declare(
        year=2026, branch=" Pudong ", reason=" lockdown ", by="u-boss", on=D
    )
    assert (
        declared.id
        == MarketDeclaration.create_id(2026, "Pudong")
        == UUID("97eaed12-6507-5ed9-b57d-ed94c664b5f2")
    )
    assert MarketDeclaration.create_id(2027, "Pudong") != declared.id
    assert MarketDeclaration.create_id(2026, "Jing'an") != declared.id


def test_opening_records_the_manager_period_branch_who_and_when() -> None:
    a = opened()
    event = last(a)
    assert (a.manager, a.period, a.branch, event.by, event.on) == (
        "m-001",
        "2026",
        "Pudong",
        "u-hr",
        D,
    )
    with pytest.raises(InvalidValueError) as refused:
        ManagerAssessment.open(manager=" ", period="2026", branch="Pudong", by="u", on=D)
    assert str(refused.value) == "an assessment names its manager"
    with pytest.raises(InvalidValueError) as refused:
        ManagerAssessment.open(manager=7, period="2026", branch="P", by="u", on=D)  # type: ignore[arg-type]
    assert str(refused.value) == "an assessment names its manager"


def test_a_bad_period_is_refused_showing_the_three_forms() -> None:
    with pytest.raises(InvalidValueError) as refused:
        Period.parse("2026-Q5")
    assert str(refused.value) == (
        "assessment period '2026-Q5' is not a year (2026), a quarter (2026-Q1) or a month (2026-03)"
    )


@pytest.mark.parametrize("value, kept", [(0, "0.00"), ("0.01", "0.01"), (100, "100.00")])
def test_a_score_is_from_0_to_100_inclusive(value: object, kept: str) -> None:
    assert score(value, "volume") == Decimal(kept)  # type: ignore[arg-type]


def test_a_score_out_of_range_is_refused_saying_what_a_score_is() -> None:
    with pytest.raises(AssessmentError) as refused:
        score("-0.01", "volume")
    assert str(refused.value) == (
        "the volume score must be a number from 0 to 100 with at most two decimals, not '-0.01'"
    )


def test_the_total_rounds_a_half_cent_up() -> None:
    # performance mean 80.01, weighed 50/50 with 0: 40.005 -> 40.01 (half even would be 40.00)
    scores = {
        "volume": Decimal("80.05"),
        "profit": Decimal(80),
        "cost": Decimal(80),
        "receivables": Decimal(80),
        "service": Decimal(80),
        BEHAVIOUR: Decimal(0),
    }
    assert total(scores, Decimal(50)) == Decimal("40.01")


def test_a_proposal_records_its_score_basis_who_and_when() -> None:
    a = opened()
    a.propose("volume", 70, basis=" 12 acquired ", by="system", on=LATER)
    event = last(a)
    assert (event.indicator, event.value, event.source, event.basis, event.by, event.on) == (
        "volume",
        Decimal("70.00"),
        "proposed",
        "12 acquired",
        "system",
        LATER,
    )
    with pytest.raises(ReasonRequiredError) as refused:
        a.propose("volume", 70, basis=" ", by="system", on=LATER)
    assert str(refused.value) == "a proposal says what it was computed from"
    with pytest.raises(AssessmentError) as refused:
        a.propose("volume", 101, basis="b", by="system", on=LATER)
    assert str(refused.value).startswith("the volume score must be")


def test_a_confirmation_records_the_proposals_score_and_basis_and_who_confirmed() -> None:
    a = opened()
    a.propose("volume", 70, basis="12 acquired", by="system", on=D)
    a.confirm("volume", by="u-hr", on=LATER)
    event = last(a)
    assert (event.value, event.source, event.basis, event.by, event.on) == (
        Decimal("70.00"),
        "confirmed",
        "12 acquired",
        "u-hr",
        LATER,
    )
    with pytest.raises(AssessmentError) as refused:
        a.confirm("volume", by="u-hr", on=LATER)  # confirmed already: nothing proposed
    assert str(refused.value) == (
        "volume has no proposed score to confirm for m-001's 2026 assessment; set it with a reason"
    )
    with pytest.raises(AssessmentError):
        a.confirm("profit", by="u-hr", on=LATER)


def test_an_override_records_the_score_reason_who_and_when() -> None:
    a = opened()
    a.override(BEHAVIOUR, 55, reason=" late reports ", by="u-hr", on=LATER)
    event = last(a)
    assert (event.indicator, event.value, event.source, event.basis, event.by, event.on) == (
        BEHAVIOUR,
        Decimal("55.00"),
        "overridden",
        "late reports",
        "u-hr",
        LATER,
    )
    with pytest.raises(ReasonRequiredError) as refused:
        a.override("profit", 50, reason="", by="u-hr", on=LATER)
    assert str(refused.value) == "setting the profit score needs a reason"
    with pytest.raises(AssessmentError) as refused:
        a.override("cost", "x", reason="r", by="u-hr", on=LATER)
    assert str(refused.value) == (
        "the cost score must be a number from 0 to 100 with at most two decimals, not 'x'"
    )
    with pytest.raises(InvalidValueError) as refused:
        a.override("charm", 50, reason="r", by="u-hr", on=LATER)
    assert str(refused.value) == (
        "indicator 'charm' is not one of: volume, profit, cost, receivables, service "
        "(or 'behaviour', set by a person)"
    )


def test_a_submission_lists_every_score_still_missing() -> None:
    a = opened()
    a.override("profit", 50, reason="r", by="u-hr", on=D)
    with pytest.raises(AssessmentError) as refused:
        a.submit(normal_market=True, policy=POLICY, by="u-hr", on=D)
    assert str(refused.value) == (
        "m-001's 2026 assessment still needs a confirmed or set score for: volume, cost, "
        "receivables, service, behaviour"
    )


def test_a_submission_records_the_weight_total_and_move_with_who_and_when() -> None:
    a = complete(opened(), 90)
    a.submit(normal_market=False, policy=POLICY, by="u-hr", on=LATER)
    event = last(a)
    assert (event.performance_weight, event.total, event.move, event.by, event.on) == (
        Decimal(50),
        Decimal("90.00"),
        "up",
        "u-hr",
        LATER,
    )
    with pytest.raises(AssessmentError) as refused:
        a.override("volume", 10, reason="r", by="u-hr", on=LATER)
    assert str(refused.value) == (
        "m-001's 2026 assessment is submitted; its scores can no longer change"
    )


def test_an_approval_names_what_is_approved_in_each_refusal_and_records_the_approver() -> None:
    a = complete(opened())
    with pytest.raises(InvalidTransitionError) as refused:
        a.approve(by=GM, on=LATER)
    assert str(refused.value) == (
        "m-001's 2026 assessment is open; only a submitted one is approved"
    )
    a.submit(normal_market=True, policy=POLICY, by="u-gm", on=D)
    with pytest.raises(RoleRequiredError) as refused:
        a.approve(by=Actor("u-clerk", {"officer"}), on=LATER)
    assert str(refused.value) == (
        "u-clerk holds neither the manager nor the general_manager role; one of them approves "
        "m-001's 2026 assessment"
    )
    with pytest.raises(FourEyesError) as refused:
        a.approve(by=GM, on=LATER)
    assert str(refused.value) == (
        "m-001's 2026 assessment was prepared by u-gm; another person must approve it"
    )
    a.approve(by=Actor("u-boss", {"manager"}), on=LATER)
    event = last(a)
    assert (a.status, event.by, event.on) == ("approved", "u-boss", LATER)


@pytest.mark.parametrize("year", [1901, 2999])
def test_a_declarations_year_is_a_year(year: int) -> None:
    assert MarketDeclaration.declare(year=year, branch="P", reason="r", by="u", on=D).year == year


@pytest.mark.parametrize("year", [1900, 3000, "2026"])
def test_a_declaration_of_no_year_is_refused(year: object) -> None:
    with pytest.raises(InvalidValueError) as refused:
        MarketDeclaration.declare(year=year, branch="P", reason="r", by="u", on=D)  # type: ignore[arg-type]
    assert str(refused.value) == f"a declaration's year must be a year, not {year!r}"


def test_a_declaration_records_its_year_branch_reason_and_who_and_refuses_missing_parts() -> None:
    declared = MarketDeclaration.declare(
        year=2026, branch=" Pudong ", reason=" lockdown ", by="u-boss", on=D
    )
    event = last(declared)
    assert (declared.year, declared.branch, declared.reason, event.by, event.on) == (
        2026,
        "Pudong",
        "lockdown",
        "u-boss",
        D,
    )
    for branch in (" ", 7):
        with pytest.raises(InvalidValueError) as refused:
            MarketDeclaration.declare(year=2026, branch=branch, reason="r", by="u", on=D)  # type: ignore[arg-type]
        assert str(refused.value) == "a declaration names its branch"
    with pytest.raises(ReasonRequiredError) as refused:
        MarketDeclaration.declare(year=2026, branch="P", reason=" ", by="u", on=D)
    assert str(refused.value) == "a declaration of an abnormal market needs its reason"


def test_a_declarations_approval_names_the_declaration_in_each_refusal() -> None:
    declared = MarketDeclaration.declare(
        year=2026, branch="Pudong", reason="lockdown", by="u-gm", on=D
    )
    with pytest.raises(RoleRequiredError) as refused:
        declared.approve(by=Actor("u-clerk", {"officer"}), on=LATER)
    assert str(refused.value) == (
        "u-clerk holds neither the manager nor the general_manager role; one of them approves "
        "the 2026 market declaration for Pudong"
    )
    with pytest.raises(FourEyesError) as refused:
        declared.approve(by=GM, on=LATER)
    assert str(refused.value) == (
        "the 2026 market declaration for Pudong was prepared by u-gm; another person must "
        "approve it"
    )
    declared.approve(by=Actor("u-boss", {"manager"}), on=LATER)
    event = last(declared)
    assert (declared.approved, event.by, event.on) == (True, "u-boss", LATER)
    with pytest.raises(InvalidTransitionError) as refused:
        declared.approve(by=Actor("u-boss2", {"manager"}), on=LATER)
    assert str(refused.value) == "the 2026 declaration for Pudong is already approved"


def test_an_approved_assessment_is_not_approved_again() -> None:
    a = complete(opened())
    a.submit(normal_market=True, policy=POLICY, by="u-hr", on=D)
    a.approve(by=GM, on=LATER)
    with pytest.raises(InvalidTransitionError) as refused:
        a.approve(by=Actor("u-boss", {"manager"}), on=LATER)
    assert str(refused.value) == (
        "m-001's 2026 assessment is approved; only a submitted one is approved"
    )
