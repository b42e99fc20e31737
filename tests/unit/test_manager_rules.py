"""A relationship manager's rules (domain/manager.py) as a person reads them: what each event
records, and each refusal's whole message."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from clientbook.domain.errors import (
    GradeMoveError,
    InvalidTransitionError,
    InvalidValueError,
    ManagerUnavailableError,
    ReasonRequiredError,
)
from clientbook.domain.manager import RelationshipManager, manager_id

D = date(2026, 12, 31)
LATER = date(2027, 1, 4)


def register(**changes: Any) -> RelationshipManager:
    arguments = {
        "manager": " m-001 ",
        "name": " Li Wei ",
        "grade": "intermediate",
        "branch": " Pudong ",
        "certificate": " TC-1 ",
        "by": "u-hr",
        "on": D,
    }
    return RelationshipManager.register(**{**arguments, **changes})


def message(error: pytest.ExceptionInfo[Exception]) -> str:
    return str(error.value)


def test_a_registration_records_the_manager_trimmed_who_and_when() -> None:
    m = register()
    event = m.collect_events()[0]
    assert (m.manager, m.name, m.grade, m.branch, m.certificate) == (
        "m-001",
        "Li Wei",
        "intermediate",
        "Pudong",
        "TC-1",
    )
    assert (event.by, event.on) == ("u-hr", D)
    assert m.id == manager_id("m-001") == UUID("73e19dc7-3164-585d-8839-9fe2f13c9445")
    assert register(certificate=None).certificate is None


@pytest.mark.parametrize(
    "field, what",
    [
        ("manager", "an id, such as m-001"),
        ("name", "a name"),
        ("branch", "a branch"),
        ("certificate", "a certificate number"),
    ],
)
def test_a_registration_missing_a_part_names_it(field: str, what: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        register(**{field: "  "})
    assert message(refused) == f"a relationship manager needs {what}"
    with pytest.raises(InvalidValueError) as refused:
        register(**{field: 7})
    assert message(refused) == f"a relationship manager needs {what}"


def test_an_unknown_grade_is_refused_listing_the_grades() -> None:
    with pytest.raises(InvalidValueError) as refused:
        register(grade="expert")
    assert message(refused) == (
        "grade 'expert' is not one of: trainee, junior, intermediate, senior, principal"
    )


def test_a_manager_who_cannot_take_customers_is_told_what_to_do() -> None:
    uncertified = register(certificate=None)
    with pytest.raises(ManagerUnavailableError) as refused:
        uncertified.require_can_take_customers()
    assert message(refused) == (
        "manager m-001 has no pre-job training certificate yet; record it before giving them "
        "customers"
    )
    gone = register()
    gone.leave(reason="retired", by="u-hr", on=D)
    with pytest.raises(ManagerUnavailableError) as refused:
        gone.require_can_take_customers()
    assert message(refused) == (
        "manager m-001 left on 2026-12-31; give the customer to a serving manager"
    )


def test_a_certificate_is_recorded_trimmed_with_who_and_when() -> None:
    m = register(certificate=None)
    m.certify(" TC-9 ", by="u-hr2", on=LATER)
    event = m.collect_events()[-1]
    assert (m.certificate, event.by, event.on) == ("TC-9", "u-hr2", LATER)
    with pytest.raises(InvalidValueError) as refused:
        m.certify(" ", by="u-hr", on=LATER)
    assert message(refused) == "a relationship manager needs a certificate number"


def test_a_branch_move_records_the_new_branch_and_refuses_the_same_one() -> None:
    m = register()
    m.move_branch(" Jing'an ", by="u-hr", on=LATER)
    event = m.collect_events()[-1]
    assert (m.branch, event.by, event.on) == ("Jing'an", "u-hr", LATER)
    with pytest.raises(InvalidValueError) as refused:
        m.move_branch("Jing'an", by="u-hr", on=LATER)
    assert message(refused) == "manager m-001 is already in branch Jing'an"
    with pytest.raises(InvalidValueError) as refused:
        m.move_branch("", by="u-hr", on=LATER)
    assert message(refused) == "a relationship manager needs a branch"


def test_leaving_records_the_reason_and_date_and_ends_what_a_manager_can_do() -> None:
    m = register()
    with pytest.raises(ReasonRequiredError) as refused:
        m.leave(reason=" ", by="u-hr", on=D)
    assert message(refused) == "manager m-001 leaving needs a reason"
    m.leave(reason=" retired ", by="u-hr", on=D)
    event = m.collect_events()[-1]
    assert (event.reason, event.by, event.on, m.left_on, m.active) == (
        "retired",
        "u-hr",
        D,
        D,
        False,
    )
    for what, command in [
        ("be certified", lambda: m.certify("TC-2", by="u", on=LATER)),
        ("move branch", lambda: m.move_branch("Jing'an", by="u", on=LATER)),
        ("leave", lambda: m.leave(reason="again", by="u", on=LATER)),
        (
            "be assessed",
            lambda: m.apply_assessment(year=2026, move="up", assessment=uuid4(), by="u", on=LATER),
        ),
    ]:
        with pytest.raises(InvalidTransitionError) as refused:
            command()
        assert message(refused) == f"manager m-001 left on 2026-12-31; they cannot {what}"


def test_an_assessments_grade_move_is_recorded_with_its_year_and_assessment() -> None:
    m = register()
    assessment = uuid4()
    m.apply_assessment(year=2026, move="up", assessment=assessment, by="u-boss", on=LATER)
    event = m.collect_events()[-1]
    assert (event.year, event.move, event.grade, event.assessment, event.by, event.on) == (
        2026,
        "up",
        "senior",
        assessment,
        "u-boss",
        LATER,
    )
    assert m.moves == {2026: "up"}
    with pytest.raises(GradeMoveError) as refused:
        m.apply_assessment(year=2026, move="down", assessment=uuid4(), by="u-boss", on=LATER)
    assert message(refused) == (
        "manager m-001's grade was already settled for 2026 (up); a grade moves at most once a year"
    )
    with pytest.raises(InvalidValueError) as refused:
        m.apply_assessment(year=2027, move="sideways", assessment=uuid4(), by="u", on=LATER)
    assert message(refused) == "a grade move is one of: up, down, none"


@pytest.mark.parametrize("grade, move", [("principal", "up"), ("trainee", "down")])
def test_a_move_past_the_top_or_the_bottom_is_recorded_as_none(grade: str, move: str) -> None:
    m = register(grade=grade)
    m.apply_assessment(year=2026, move=move, assessment=uuid4(), by="u-boss", on=LATER)
    event = m.collect_events()[-1]
    assert (event.move, event.grade, m.moves) == ("none", grade, {2026: "none"})


def test_a_junior_moved_down_becomes_a_trainee_the_lowest_grade() -> None:
    m = register(grade="junior")
    m.apply_assessment(year=2026, move="down", assessment=uuid4(), by="u-boss", on=LATER)
    assert (m.grade, m.moves) == ("trainee", {2026: "down"})
