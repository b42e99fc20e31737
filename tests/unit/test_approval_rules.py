"""Who may decide a step in the approvals inbox (domain/approvals.py), for every kind of step."""

from __future__ import annotations

import pytest

from clientbook import Actor, Money
from clientbook.domain.approvals import STEPS, kind_of, may_decide, who_may_decide
from clientbook.domain.policy import PolicySettings

POLICY = PolicySettings()


@pytest.mark.parametrize(
    "stage, role",
    [
        ("investigated", "supervisor"),
        ("reviewed", "administration"),
        ("endorsed", "general_manager"),
    ],
)
def test_a_complaint_report_waits_for_its_stages_role_and_never_for_its_investigator(
    stage: str, role: str
) -> None:
    step = f"complaint_report_{stage}"
    assert may_decide(Actor("u-a", {role}), step, "u-investigator", None, POLICY)
    assert not may_decide(Actor("u-investigator", {role}), step, "u-investigator", None, POLICY)
    others = {"supervisor", "administration", "general_manager"} - {role}
    assert not may_decide(Actor("u-a", others), step, "u-investigator", None, POLICY)


@pytest.mark.parametrize(
    "amount, officer, supervisor",
    [("10000.00", True, True), ("10000.01", False, True), ("100000.01", False, False)],
)
def test_an_amount_is_decided_within_authority(
    amount: str, officer: bool, supervisor: bool
) -> None:
    for step in ("credit_line", "card_write_off", "complaint_resolution"):
        assert may_decide(Actor("u-o", {"officer"}), step, "u-p", Money(amount), POLICY) is officer
        assert (
            may_decide(Actor("u-s", {"supervisor"}), step, "u-p", Money(amount), POLICY)
            is supervisor
        )
        assert may_decide(Actor("u-g", {"general_manager"}), step, "u-p", Money(amount), POLICY)
        assert not may_decide(
            Actor("u-r", {"relationship_manager"}), step, "u-p", Money(amount), POLICY
        )


def test_a_referred_card_waits_for_staff_and_assessments_for_a_manager() -> None:
    assert may_decide(Actor("u-o", {"officer"}), "card_referral", "u-p", None, POLICY)
    assert not may_decide(Actor("u-a", {"auditor"}), "card_referral", "u-p", None, POLICY)
    assert may_decide(Actor("u-m", {"manager"}), "manager_assessment", "u-p", None, POLICY)
    assert not may_decide(Actor("u-s", {"supervisor"}), "manager_assessment", "u-p", None, POLICY)


def test_the_same_person_is_the_same_whatever_the_case() -> None:
    assert not may_decide(
        Actor("U-Boss", {"general_manager"}), "credit_line", "u-boss", None, POLICY
    )


def test_every_step_says_who_may_decide_it_and_an_unknown_step_is_nobodys() -> None:
    assert all(who_may_decide(step) for step in STEPS)
    assert not may_decide(Actor("u-g", {"general_manager"}), "unknown", "u-p", None, POLICY)


def test_who_may_decide_names_the_authority_or_the_roles_and_nobody_for_an_unknown_step() -> None:
    assert who_may_decide("credit_line") == "within approval authority"
    assert who_may_decide("card_referral") == (
        "credit_officer, general_manager, manager, officer, supervisor"
    )
    assert who_may_decide("unknown") == ""


def test_no_authority_decides_no_amount_and_any_authority_decides_within_it() -> None:
    assert not may_decide(Actor("u-a", {"auditor"}), "credit_line", "u-p", None, POLICY)
    cent = POLICY.with_setting("approval_limit_officer", "0.01")
    assert may_decide(Actor("u-o", {"officer"}), "credit_line", "u-p", Money("0.01"), cent)
    assert may_decide(Actor("u-o", {"officer"}), "credit_line", "u-p", None, cent)


def test_a_numbered_step_is_of_the_kind_before_its_first_colon() -> None:
    assert kind_of("policy_change:3") == "policy_change"
    assert kind_of("segment_change:C-000001:2") == "segment_change"
    assert who_may_decide("policy_change:3") == who_may_decide("policy_change") != ""
    admin = Actor("u-admin", {"administration"})
    assert (
        may_decide(admin, "policy_change:3", "u-p", None, POLICY)
        == may_decide(admin, "policy_change", "u-p", None, POLICY)
        is True
    )
