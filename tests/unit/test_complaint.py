"""Every complaint rule of DOMAIN.md § Complaint, on the aggregate itself (no I/O)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from clientbook import Actor, Money
from clientbook.domain.complaint import Complaint, ComplaintNumbers, InvestigationReport, Resolution
from clientbook.domain.errors import (
    ApprovalAuthorityError,
    ComplaintClosedError,
    FourEyesError,
    IncompleteReportError,
    InvalidAmountError,
    InvalidTransitionError,
    InvalidValueError,
    ReasonRequiredError,
    RoleRequiredError,
    StepOrderError,
)
from clientbook.domain.policy import PolicySettings

D = date(2026, 11, 2)
POLICY = PolicySettings()
DESK, INVESTIGATOR = "u-desk", "u-investigator"
SUPERVISOR = Actor("u-supervisor", {"supervisor"})
ADMIN = Actor("u-admin", {"administration"})
GM = Actor("u-gm", {"general_manager"})
OFFICER = Actor("u-officer", {"officer"})
REPORT = InvestigationReport(
    "wrong fee",
    "fee charged twice",
    "billing",
    "refund due",
    "reverse the fee",
    "fix the billing rule",
)


def received(on: date = D, **overrides: object) -> Complaint:
    args: dict[str, object] = dict(
        number="CP-2026-000017",
        customer_id=uuid4(),
        category="damages",
        channel="hotline",
        request="refund the double fee",
        department="branch 12",
        claimed=Money("300.00"),
        product="card",
        policy=POLICY,
        by=DESK,
        on=on,
    )
    args.update(overrides)
    return Complaint.receive(**args)  # type: ignore[arg-type]


def at(step: str, on: date = D) -> Complaint:
    c = received(on)
    script = [
        ("accepted", lambda: c.accept(by=DESK, on=on)),
        ("assigned", lambda: c.assign("card centre", by=ADMIN, on=on)),
        ("investigated", lambda: c.investigate(REPORT, by=INVESTIGATOR, on=on)),
        ("reviewed", lambda: c.review(by=SUPERVISOR, on=on)),
        ("endorsed", lambda: c.endorse(opinion="refund it", by=ADMIN, on=on)),
        ("approved", lambda: c.approve_report(by=GM, on=on)),
        (
            "resolution_proposed",
            lambda: c.propose_resolution(
                Resolution("refund", "we refund the fee", Money("300.00")), by=INVESTIGATOR, on=on
            ),
        ),
        ("resolution_approved", lambda: c.approve_resolution(by=OFFICER, policy=POLICY, on=on)),
        ("replied", lambda: c.reply(form="written", text="refunded", by=DESK, on=on)),
        ("followed_up", lambda: c.follow_up(satisfaction=4, note="ok", by=DESK, on=on)),
        ("closed", lambda: c.close(by=DESK, on=on)),
    ]
    for name, command in script:
        if c.step == step:
            break
        command()
    assert c.step == step
    c.collect_events()
    return c


def test_the_record_card_has_the_number_customer_request_and_deadline() -> None:
    c = received()
    assert (c.number, c.step, c.received_on) == ("CP-2026-000017", "received", D)
    assert c.deadline == D + timedelta(days=7)
    assert c.id == Complaint.create_id("CP-2026-000017")


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("category", "anger", "complaint category 'anger'"),
        ("channel", "pigeon", "complaint channel 'pigeon'"),
        ("request", " ", "the customer's request is required"),
        ("department", "", "the receiving department is required"),
        ("product", "yacht", "product 'yacht'"),
    ],
)
def test_a_receipt_with_a_bad_field_is_refused(field: str, value: object, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        received(**{field: value})


def test_a_negative_claim_is_refused() -> None:
    with pytest.raises(InvalidAmountError, match="amount claimed cannot be negative"):
        received(claimed=Money("-1.00"))


def test_the_deadline_comes_from_the_policy() -> None:
    longer = PolicySettings().with_setting("complaint_deadline_days", "15")
    assert received(policy=longer).deadline == D + timedelta(days=15)


def test_numbers_are_allocated_in_sequence_per_year() -> None:
    numbers = ComplaintNumbers(year=2026, by=DESK)
    assert [numbers.allocate(by=DESK) for _ in range(3)] == [
        "CP-2026-000001",
        "CP-2026-000002",
        "CP-2026-000003",
    ]
    assert ComplaintNumbers.create_id(2026) != ComplaintNumbers.create_id(2027)


def test_skipping_a_step_is_refused_and_records_nothing() -> None:
    c = received()
    with pytest.raises(
        StepOrderError, match="is received; it can be assigned only when it is accepted"
    ):
        c.assign("card centre", by=ADMIN, on=D)
    c.collect_events()
    c = at("assigned")
    with pytest.raises(StepOrderError):
        c.review(by=SUPERVISOR, on=D)
    with pytest.raises(StepOrderError):
        c.propose_resolution(Resolution("explanation", "sorry"), by=DESK, on=D)
    assert c.collect_events() == []


def test_a_rejection_needs_the_reply_and_closes_the_complaint() -> None:
    c = received()
    with pytest.raises(InvalidValueError, match="reply explaining the rejection is required"):
        c.reject(reply="", by=DESK, on=D)
    c.reject(reply="the fee is in your signed contract", by=DESK, on=D + timedelta(1))
    assert (c.step, c.rejected, c.in_time) == ("closed", True, True)


def test_every_part_of_the_investigation_report_is_required() -> None:
    c = at("assigned")
    with pytest.raises(IncompleteReportError, match="lacks: countermeasures, prevention"):
        c.investigate(InvestigationReport("a", "b", "c", "d", "", " "), by=INVESTIGATOR, on=D)


@pytest.mark.parametrize(
    "stage,actor,step",
    [
        ("investigated", SUPERVISOR, lambda c, a: c.review(by=a, on=D)),
        ("reviewed", ADMIN, lambda c, a: c.endorse(opinion="fine", by=a, on=D)),
        ("endorsed", GM, lambda c, a: c.approve_report(by=a, on=D)),
    ],
)
def test_each_review_needs_its_role_and_another_person_than_the_investigator(
    stage: str, actor: Actor, step: object
) -> None:
    c = at(stage)
    with pytest.raises(RoleRequiredError, match="is not"):
        step(c, OFFICER)  # type: ignore[operator]
    investigator_with_role = Actor(INVESTIGATOR, actor.roles)
    with pytest.raises(FourEyesError, match=f"prepared by {INVESTIGATOR}"):
        step(c, investigator_with_role)  # type: ignore[operator]
    assert c.collect_events() == []
    step(c, actor)  # type: ignore[operator]


def test_a_reviewer_may_return_the_report_for_rework_with_a_reason() -> None:
    c = at("reviewed")
    with pytest.raises(ReasonRequiredError):
        c.return_for_rework(reason=" ", by=ADMIN, on=D)
    with pytest.raises(RoleRequiredError):
        c.return_for_rework(reason="thin", by=SUPERVISOR, on=D)
    c.return_for_rework(reason="the cause is not shown", by=ADMIN, on=D)
    (event,) = c.collect_events()
    assert (event.stage, event.reason, c.step, c.reworks) == (
        "reviewed",
        "the cause is not shown",
        "assigned",
        1,
    )
    with pytest.raises(StepOrderError, match="only a report under review"):
        c.return_for_rework(reason="again", by=ADMIN, on=D)


def test_a_money_resolution_needs_an_amount_and_an_explanation_has_none() -> None:
    c = at("approved")
    with pytest.raises(InvalidAmountError, match="a refund needs an amount"):
        c.propose_resolution(Resolution("refund", "refund"), by=INVESTIGATOR, on=D)
    with pytest.raises(InvalidAmountError, match="explanation carries no amount"):
        c.propose_resolution(Resolution("explanation", "x", Money("1.00")), by=INVESTIGATOR, on=D)
    with pytest.raises(InvalidValueError, match="resolution 'apology'"):
        c.propose_resolution(Resolution("apology", "x"), by=INVESTIGATOR, on=D)


def test_the_resolution_approver_is_not_its_proposer_and_stays_within_authority() -> None:
    c = at("approved")
    c.propose_resolution(
        Resolution("compensation", "for the damage", Money("20000.00")), by="u-officer", on=D
    )
    with pytest.raises(FourEyesError):
        c.approve_resolution(by=OFFICER, policy=POLICY, on=D)
    with pytest.raises(ApprovalAuthorityError, match="may approve up to 10,000.00 CNY"):
        c.approve_resolution(by=Actor("u-other-officer", {"officer"}), policy=POLICY, on=D)
    c.approve_resolution(by=SUPERVISOR, policy=POLICY, on=D)
    assert c.approved_amount == Money("20000.00")


def test_payments_never_exceed_the_approved_amount() -> None:
    c = at("resolution_approved")
    c.pay(Money("200.00"), by=DESK, on=D)
    with pytest.raises(InvalidAmountError, match="more than the 300.00 CNY approved"):
        c.pay(Money("100.01"), by=DESK, on=D)
    c.pay(Money("100.00"), by=DESK, on=D)
    assert c.paid == Money("300.00")


def test_a_follow_up_records_satisfaction_from_1_to_5() -> None:
    c = at("replied")
    with pytest.raises(InvalidValueError, match="from 1 to 5"):
        c.follow_up(satisfaction=6, note="", by=DESK, on=D)
    with pytest.raises(InvalidValueError, match="reply form 'fax'"):
        at("resolution_approved").reply(form="fax", text="x", by=DESK, on=D)


def test_in_time_is_decided_once_at_the_first_close_and_never_changes() -> None:
    late = at("followed_up")
    late.close(by=DESK, on=D + timedelta(days=8))
    assert late.in_time is False
    on_time = at("closed", on=D)
    assert on_time.in_time is True
    on_time.reopen(
        reason="the refund never arrived", by=DESK, on=D + timedelta(days=30), policy=POLICY
    )
    assert (on_time.step, on_time.reopened, on_time.deadline) == (
        "accepted",
        1,
        D + timedelta(days=37),
    )
    on_time.collect_events()
    on_time.assign("card centre", by=ADMIN, on=D + timedelta(31))
    assert on_time.in_time is True


def test_a_closed_complaint_can_only_be_reopened() -> None:
    c = at("closed")
    with pytest.raises(
        ComplaintClosedError, match="CP-2026-000017 is closed; it cannot be assigned"
    ):
        c.assign("x", by=ADMIN, on=D)
    with pytest.raises(ReasonRequiredError):
        c.reopen(reason="", by=DESK, on=D, policy=POLICY)
    with pytest.raises(InvalidTransitionError, match="only a closed complaint can be reopened"):
        received().reopen(reason="x", by=DESK, on=D, policy=POLICY)


def test_a_reopened_rejection_goes_back_to_the_validity_check() -> None:
    c = received()
    c.reject(reply="not our fault", by=DESK, on=D)
    c.reopen(reason="it was", by=DESK, on=D + timedelta(2), policy=POLICY)
    assert (c.step, c.rejected) == ("received", False)


def test_an_open_complaint_past_its_deadline_becomes_overdue_once() -> None:
    c = at("assigned")
    with pytest.raises(InvalidTransitionError, match="not newly overdue"):
        c.mark_overdue(by="batch", on=D + timedelta(days=7))
    c.mark_overdue(by="batch", on=D + timedelta(days=8))
    assert c.overdue
    with pytest.raises(InvalidTransitionError):
        c.mark_overdue(by="batch", on=D + timedelta(days=9))
    c.investigate(REPORT, by=INVESTIGATOR, on=D + timedelta(days=9))  # the deadline never blocks


def test_administration_assigns_the_complaint() -> None:
    c = at("accepted")
    with pytest.raises(RoleRequiredError, match="administration assigns"):
        c.assign("card centre", by=OFFICER, on=D)


def test_a_satisfaction_that_is_not_a_whole_number_is_refused() -> None:
    for score in (3.0, Decimal(3), "4"):
        with pytest.raises(InvalidValueError, match="from 1 to 5"):
            at("replied").follow_up(satisfaction=score, note="", by=DESK, on=D)  # type: ignore[arg-type]


def test_a_payment_on_a_closed_complaint_says_it_is_closed() -> None:
    with pytest.raises(ComplaintClosedError, match="cannot be paid"):
        at("closed").pay(Money("1.00"), by=DESK, on=D)


def test_payments_are_made_against_everything_approved_across_reopens() -> None:
    c = at("closed")
    c.reopen(reason="more damage found", by=DESK, on=D + timedelta(1), policy=POLICY)
    c.assign("card centre", by=ADMIN, on=D + timedelta(1))
    c.investigate(REPORT, by=INVESTIGATOR, on=D + timedelta(1))
    c.review(by=SUPERVISOR, on=D + timedelta(1))
    c.endorse(opinion="pay the rest", by=ADMIN, on=D + timedelta(1))
    c.approve_report(by=GM, on=D + timedelta(1))
    c.propose_resolution(
        Resolution("compensation", "the rest", Money("100.00")),
        by=INVESTIGATOR,
        on=D + timedelta(1),
    )
    c.approve_resolution(by=OFFICER, policy=POLICY, on=D + timedelta(1))
    assert c.approved_amount == Money("400.00")
    c.pay(Money("400.00"), by=DESK, on=D + timedelta(1))


def test_a_business_date_must_be_a_date() -> None:
    from datetime import datetime

    with pytest.raises(InvalidValueError, match="business date must be a date"):
        received().accept(by=DESK, on=datetime(2026, 11, 2, 10, 0))  # type: ignore[arg-type]
