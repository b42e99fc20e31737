"""Relationship managers and their assessment (DOMAIN.md § Relationship managers; issue 14),
on the aggregates alone: each test fails if its rule breaks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from clientbook import Actor
from clientbook.domain.assessment import (
    BEHAVIOUR,
    INDICATORS,
    ManagerAssessment,
    MarketDeclaration,
    Period,
    grade_move,
    total,
    weights,
)
from clientbook.domain.errors import (
    AssessmentError,
    FourEyesError,
    GradeMoveError,
    InvalidTransitionError,
    InvalidValueError,
    ManagerUnavailableError,
    ReasonRequiredError,
    RoleRequiredError,
)
from clientbook.domain.manager import GRADES, RelationshipManager
from clientbook.domain.policy import PolicySettings

D = date(2026, 12, 31)
POLICY = PolicySettings()
BOSS = Actor("u-boss", {"manager"})


def manager(grade: str = "intermediate", certificate: str | None = "TC-1") -> RelationshipManager:
    m = RelationshipManager.register(
        manager="m-001",
        name="Li Wei",
        grade=grade,
        branch="Pudong",
        certificate=certificate,
        by="u-hr",
        on=D,
    )
    m.collect_events()
    return m


def scored(values: dict[str, int | str], period: str = "2026") -> ManagerAssessment:
    a = ManagerAssessment.open(manager="m-001", period=period, branch="Pudong", by="u-hr", on=D)
    for name, value in values.items():
        a.override(name, value, reason="from the branch's figures", by="u-hr", on=D)
    return a


def all_scores(indicators: int | str, behaviour: int | str) -> dict[str, int | str]:
    return {**{name: indicators for name in INDICATORS}, BEHAVIOUR: behaviour}


# -- managers ------------------------------------------------------------------------------


def test_a_manager_without_a_training_certificate_cannot_be_given_customers() -> None:
    m = manager(certificate=None)
    with pytest.raises(ManagerUnavailableError, match="training certificate"):
        m.require_can_take_customers()
    m.certify("TC-9", by="u-hr", on=D)
    m.require_can_take_customers()


def test_a_manager_who_left_cannot_be_given_customers_nor_assessed() -> None:
    m = manager()
    m.leave(reason="moved to another bank", by="u-hr", on=D)
    with pytest.raises(ManagerUnavailableError, match="left on 2026-12-31"):
        m.require_can_take_customers()
    with pytest.raises(InvalidTransitionError):
        m.apply_assessment(year=2026, move="up", assessment=uuid4(), by="u-boss", on=D)
    assert not m.in_succession_pool


def test_leaving_needs_a_reason() -> None:
    with pytest.raises(ReasonRequiredError):
        manager().leave(reason="  ", by="u-hr", on=D)


def test_grades_are_the_five_of_the_essay() -> None:
    assert GRADES == ("trainee", "junior", "intermediate", "senior", "principal")
    with pytest.raises(InvalidValueError, match="grade 'expert'"):
        manager(grade="expert")


@pytest.mark.parametrize(
    "grade, move, after",
    [
        ("intermediate", "up", "senior"),
        ("intermediate", "down", "junior"),
        ("intermediate", "none", "intermediate"),
        ("principal", "up", "principal"),
        ("trainee", "down", "trainee"),
    ],
)
def test_an_assessment_moves_the_grade_one_step_at_most(grade: str, move: str, after: str) -> None:
    m = manager(grade=grade)
    m.apply_assessment(year=2026, move=move, assessment=uuid4(), by="u-boss", on=D)
    assert m.grade == after


def test_the_grade_moves_at_most_once_a_year() -> None:
    m = manager()
    m.apply_assessment(year=2026, move="up", assessment=uuid4(), by="u-boss", on=D)
    with pytest.raises(GradeMoveError, match="at most once a year"):
        m.apply_assessment(year=2026, move="up", assessment=uuid4(), by="u-boss", on=D)
    m.apply_assessment(year=2027, move="up", assessment=uuid4(), by="u-boss", on=D)
    assert m.grade == "principal"


def test_senior_and_principal_managers_form_the_succession_pool() -> None:
    assert [manager(grade=g).in_succession_pool for g in GRADES] == [
        False,
        False,
        False,
        True,
        True,
    ]


# -- scores and totals ---------------------------------------------------------------------


def test_the_total_weighs_performance_75_and_behaviour_25_in_a_normal_market() -> None:
    performance, behaviour = weights(POLICY, normal_market=True)
    assert (performance, behaviour) == (Decimal(75), Decimal(25))
    scores = {**{name: Decimal(80) for name in INDICATORS}, BEHAVIOUR: Decimal(40)}
    assert total(scores, performance) == Decimal("70.00")


def test_an_abnormal_market_weighs_them_50_50() -> None:
    performance, _ = weights(POLICY, normal_market=False)
    scores = {**{name: Decimal(80) for name in INDICATORS}, BEHAVIOUR: Decimal(40)}
    assert total(scores, performance) == Decimal("60.00")


def test_the_total_rounds_half_up_to_the_cent() -> None:
    # performance mean 80.01 (400.05 / 5), behaviour 0: 80.01 * 0.75 = 60.0075 -> 60.01
    scores = {
        "volume": Decimal("80.05"),
        "profit": Decimal(80),
        "cost": Decimal(80),
        "receivables": Decimal(80),
        "service": Decimal(80),
        BEHAVIOUR: Decimal(0),
    }
    assert total(scores, Decimal(75)) == Decimal("60.01")


@pytest.mark.parametrize(
    "result, move", [("85.00", "up"), ("84.99", "none"), ("60.00", "none"), ("59.99", "down")]
)
def test_score_bands_move_the_grade_at_85_and_below_60(result: str, move: str) -> None:
    assert grade_move(Decimal(result), POLICY) == move


def test_score_bands_are_policy_settings() -> None:
    stricter = POLICY.with_setting("assessment_grade_up_score", "90")
    assert grade_move(Decimal("85"), stricter) == "none"


@pytest.mark.parametrize("value", [-1, 101, "abc", "50.001", Decimal("NaN"), 50.5])
def test_a_score_outside_0_to_100_or_not_a_number_is_refused(value: object) -> None:
    a = scored({})
    with pytest.raises(AssessmentError, match="from 0 to 100"):
        a.override("volume", value, reason="r", by="u-hr", on=D)  # type: ignore[arg-type]
    assert a.scores == {}


def test_a_proposed_score_counts_only_once_a_person_confirms_it() -> None:
    a = scored({name: 90 for name in INDICATORS[1:]} | {BEHAVIOUR: 90})
    a.propose("volume", 70, basis="12 customers acquired, 2 lost", by="system", on=D)
    with pytest.raises(AssessmentError, match="still needs a confirmed or set score for: volume"):
        a.submit(normal_market=True, policy=POLICY, by="u-hr", on=D)
    a.confirm("volume", by="u-hr", on=D)
    a.submit(normal_market=True, policy=POLICY, by="u-hr", on=D)
    assert a.scores["volume"].source == "confirmed" and a.scores["volume"].value == 70


def test_overriding_a_proposal_needs_a_reason() -> None:
    a = scored({})
    a.propose("profit", 70, basis="contribution of the manager's customers", by="system", on=D)
    with pytest.raises(ReasonRequiredError):
        a.override("profit", 75, reason=" ", by="u-hr", on=D)
    a.override("profit", 75, reason="a large fee booked in January", by="u-hr", on=D)
    assert a.scores["profit"].value == 75 and a.scores["profit"].source == "overridden"


def test_behaviour_is_scored_by_a_person_never_proposed() -> None:
    with pytest.raises(InvalidValueError, match="behaviour"):
        scored({}).propose(BEHAVIOUR, 70, basis="x", by="system", on=D)


def test_an_annual_assessment_submitted_proposes_the_grade_move() -> None:
    a = scored(all_scores(90, 80))
    a.submit(normal_market=True, policy=POLICY, by="u-hr", on=D)
    assert (a.total, a.move) == (Decimal("87.50"), "up")


def test_an_interim_assessment_moves_nothing() -> None:
    a = scored(all_scores(100, 100), period="2026-Q3")
    a.submit(normal_market=True, policy=POLICY, by="u-hr", on=D)
    assert (a.total, a.move) == (Decimal("100.00"), "none")
    assert Period.parse("2026-07").annual is False and Period.parse("2026").annual


@pytest.mark.parametrize("period", ["26", "2026-Q5", "2026-13", "2026-1", " 2026"])
def test_a_period_is_a_year_a_quarter_or_a_month(period: str) -> None:
    with pytest.raises(InvalidValueError, match="assessment period"):
        Period.parse(period)


def test_scores_cannot_change_after_submission() -> None:
    a = scored(all_scores(70, 70))
    a.submit(normal_market=True, policy=POLICY, by="u-hr", on=D)
    with pytest.raises(AssessmentError, match="no longer change"):
        a.override("volume", 99, reason="r", by="u-hr", on=D)


# -- approvals -----------------------------------------------------------------------------


def test_the_assessment_is_approved_by_another_person_with_a_managers_role() -> None:
    a = scored(all_scores(70, 70))
    with pytest.raises(InvalidTransitionError, match="only a submitted one"):
        a.approve(by=BOSS, on=D)
    a.submit(normal_market=True, policy=POLICY, by="u-boss", on=D)
    with pytest.raises(FourEyesError):
        a.approve(by=BOSS, on=D)
    with pytest.raises(RoleRequiredError, match="neither the manager nor the general_manager"):
        a.approve(by=Actor("u-clerk", {"officer"}), on=D)
    a.approve(by=Actor("u-gm", {"general_manager"}), on=D)
    assert a.status == "approved"


def test_an_abnormal_market_declaration_needs_a_reason_and_a_second_person() -> None:
    with pytest.raises(ReasonRequiredError):
        MarketDeclaration.declare(year=2026, branch="Pudong", reason="", by="u-boss", on=D)
    declared = MarketDeclaration.declare(
        year=2026,
        branch="Pudong",
        reason="regional lockdown closed branches for 4 months",
        by="u-boss",
        on=D,
    )
    with pytest.raises(FourEyesError):
        declared.approve(by=BOSS, on=D)
    declared.approve(by=Actor("u-gm", {"general_manager"}), on=D)
    assert declared.approved
    with pytest.raises(InvalidTransitionError, match="already approved"):
        declared.approve(by=Actor("u-gm2", {"general_manager"}), on=D)
