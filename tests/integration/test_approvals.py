"""The approvals inbox (issue 14): every four-eyes step waiting, and for an actor only what they
may decide — never their own proposal, only with the role the step needs, within authority."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from clientbook import Actor, ClientBook, Money
from clientbook.domain.assessment import BEHAVIOUR, INDICATORS

D = date(2026, 3, 2)
OFFICER = Actor("u-officer", {"officer"})
OTHER_OFFICER = Actor("u-other", {"officer"})  # authority 10,000
SUPERVISOR = Actor("u-super", {"supervisor"})  # authority 100,000
HR = Actor("u-hr", {"administration"})
GM = Actor("u-gm", {"general_manager"})


@pytest.fixture
def book(store_url: str) -> Iterator[ClientBook]:
    with ClientBook.open(store_url) as b:
        b.customers.register(
            number="C-000001", kind="organisation", name="Firm", manager="m-1", by=OFFICER, on=D
        )
        yield b


def propose(book: ClientBook, number: str, limit: str) -> UUID:
    return book.credit.propose_line(
        number=number,
        customer=book.customers.id_of("C-000001"),
        product="working_capital",
        limit=Money(limit),
        rate=Decimal("4.35"),
        start=D,
        maturity=D + timedelta(days=365),
        review=D + timedelta(days=180),
        by=OFFICER,
        on=D,
    )


def steps(book: ClientBook, actor: Actor | None = None) -> list[tuple[str, str]]:
    return [(a.step, a.what) for a in book.approvals.pending(for_actor=actor, on=D)]


def test_an_actor_sees_what_they_may_approve_and_never_their_own(book: ClientBook) -> None:
    small = propose(book, "L-000001", "5000.00")
    propose(book, "L-000002", "50000.00")
    everything = book.approvals.pending(on=D + timedelta(days=3))
    assert [(a.step, a.what, a.proposed_by, a.amount, a.age_days) for a in everything] == [
        ("credit_line", "credit line L-000001", "u-officer", Money("5000.00"), 3),
        ("credit_line", "credit line L-000002", "u-officer", Money("50000.00"), 3),
    ]
    assert everything[0].may_decide == "within approval authority"

    assert steps(book, OFFICER) == []  # their own proposals
    assert steps(book, Actor("U-OFFICER", {"supervisor"})) == []  # the same person, by id
    assert steps(book, OTHER_OFFICER) == [("credit_line", "credit line L-000001")]  # 10,000
    assert steps(book, SUPERVISOR) == [
        ("credit_line", "credit line L-000001"),
        ("credit_line", "credit line L-000002"),
    ]
    assert steps(book, Actor("u-auditor", {"auditor"})) == []

    book.credit.approve_line(small, by=SUPERVISOR, on=D)
    assert steps(book) == [("credit_line", "credit line L-000002")]
    book.credit.activate_line(small, by=OFFICER, on=D)
    book.credit.propose_limit_increase(small, Money("8000.00"), by=OTHER_OFFICER, on=D)
    assert steps(book, OFFICER) == [("credit_limit_increase", "credit line L-000001")]
    assert steps(book, OTHER_OFFICER) == []
    book.credit.approve_limit_increase(small, by=OFFICER, on=D)
    assert steps(book) == [("credit_line", "credit line L-000002")]


def test_assessments_and_declarations_wait_for_a_manager(book: ClientBook) -> None:
    book.managers.register(
        manager="m-1", name="Li", grade="junior", branch="Pudong", certificate="TC", by=HR, on=D
    )
    book.managers.declare_abnormal_market(
        year=2026, branch="Pudong", reason="floods", by=Actor("u-boss", {"manager"}), on=D
    )
    book.managers.open_assessment("m-1", "2026", by=HR, on=D)
    for name in (*INDICATORS, BEHAVIOUR):
        book.managers.set_score("m-1", "2026", name, Decimal(70), reason="figures", by=HR, on=D)
    book.managers.submit_assessment("m-1", "2026", by=HR, on=D)
    assert steps(book, GM) == [
        ("market_declaration", "the 2026 market declaration for Pudong"),
        ("manager_assessment", "m-1's 2026 assessment"),
    ]
    assert steps(book, Actor("u-boss", {"manager"})) == [
        ("manager_assessment", "m-1's 2026 assessment")
    ]  # not their own declaration
    assert steps(book, SUPERVISOR) == []
    book.managers.approve_assessment("m-1", "2026", by=GM, on=D)
    book.managers.approve_declaration(year=2026, branch="Pudong", by=GM, on=D)
    assert steps(book) == []


def test_the_inbox_rebuilt_from_the_log_equals_the_live_one(book: ClientBook) -> None:
    first = propose(book, "L-000001", "5000.00")
    propose(book, "L-000002", "50000.00")
    proposed = book.head
    book.credit.approve_line(first, by=SUPERVISOR, on=D)
    live = book.approvals.pending(on=D)
    with book.as_of() as rebuilt:
        assert rebuilt.approvals.pending(on=D) == live
    with book.as_of(position=proposed) as before:  # before the approval
        assert [a.what for a in before.approvals.pending(on=D)] == [
            "credit line L-000001",
            "credit line L-000002",
        ]


def test_segment_and_policy_proposals_wait_in_the_inbox_for_a_second_person(
    book: ClientBook,
) -> None:
    customer = book.customers.id_of("C-000001")
    book.customers.propose_segment(
        customer, "premium", reason="top 4% of contribution", by=OFFICER, on=D
    )
    number = book.policy.propose(
        "manager_min_customers", "12", reason="smaller branches", effective=D, by=HR, on=D
    )
    assert steps(book) == [
        ("segment_change", "customer C-000001"),
        (f"policy_change:{number}", f"policy proposal {number}: manager_min_customers = 12"),
    ]
    assert steps(book, OFFICER) == []  # neither their own proposal nor a policy administrator
    assert steps(book, OTHER_OFFICER) == [("segment_change", "customer C-000001")]
    assert steps(book, HR) == [("segment_change", "customer C-000001")]  # not their own policy
    assert steps(book, GM) == [
        ("segment_change", "customer C-000001"),
        (f"policy_change:{number}", f"policy proposal {number}: manager_min_customers = 12"),
    ]
    book.customers.approve_segment(customer, by=OTHER_OFFICER, on=D)
    book.policy.approve(number, by=GM, on=D)
    assert steps(book) == []
    book.customers.propose_segment(
        customer, "restricted", reason="written-off card", by=OFFICER, on=D
    )
    book.customers.reject_segment(customer, reason="recovered in full", by=GM, on=D)
    assert steps(book) == []
