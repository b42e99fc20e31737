"""The complaint procedure (domain/complaint.py) as a person reads it: each step out of turn is
refused naming the step it needs, each event records what the step decided, and each other
refusal's whole message."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Callable
from uuid import UUID

import pytest
from test_complaint import (
    ADMIN,
    DESK,
    GM,
    INVESTIGATOR,
    OFFICER,
    POLICY,
    REPORT,
    SUPERVISOR,
    at,
    received,
)

from clientbook import Actor, Money
from clientbook.domain.complaint import (
    Complaint,
    ComplaintNumbers,
    InvestigationReport,
    Resolution,
)
from clientbook.domain.errors import (
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

D = date(2026, 11, 2)
LATER = D + timedelta(days=3)
NUMBER = "CP-2026-000017"
REFUND = Resolution("refund", "we refund the fee", Money("300.00"))

COMMANDS: dict[str, tuple[str, str, Callable[[Complaint], None]]] = {
    # command: (step it needs, what the message calls it, the command)
    "accept": ("received", "accepted", lambda c: c.accept(by=DESK, on=D)),
    "reject": ("received", "rejected", lambda c: c.reject(reply="no", by=DESK, on=D)),
    "assign": ("accepted", "assigned", lambda c: c.assign("card centre", by=ADMIN, on=D)),
    "investigate": (
        "assigned",
        "investigated",
        lambda c: c.investigate(REPORT, by=INVESTIGATOR, on=D),
    ),
    "review": ("investigated", "reviewed", lambda c: c.review(by=SUPERVISOR, on=D)),
    "endorse": ("reviewed", "endorsed", lambda c: c.endorse(opinion="ok", by=ADMIN, on=D)),
    "approve_report": ("endorsed", "approved", lambda c: c.approve_report(by=GM, on=D)),
    "propose": (
        "approved",
        "given a proposed resolution",
        lambda c: c.propose_resolution(REFUND, by=INVESTIGATOR, on=D),
    ),
    "approve_resolution": (
        "resolution_proposed",
        "given an approved resolution",
        lambda c: c.approve_resolution(by=OFFICER, policy=POLICY, on=D),
    ),
    "reply": (
        "resolution_approved",
        "replied to",
        lambda c: c.reply(form="written", text="done", by=DESK, on=D),
    ),
    "follow_up": (
        "replied",
        "followed up",
        lambda c: c.follow_up(satisfaction=4, note="ok", by=DESK, on=D),
    ),
    "close": ("followed_up", "closed", lambda c: c.close(by=DESK, on=D)),
}


def message(error: type[Exception], command: Callable[[], object]) -> str:
    with pytest.raises(error) as refused:
        command()
    return str(refused.value)


def last(c: Complaint) -> Any:
    return c.collect_events()[-1]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_step_out_of_turn_is_refused_naming_the_step_it_needs(name: str) -> None:
    step, what, command = COMMANDS[name]
    wrong = "accepted" if step == "received" else "received"
    c = at(wrong)
    assert message(StepOrderError, lambda: command(c)) == (
        f"complaint {NUMBER} is {wrong}; it can be {what} only when it is {step}"
    )
    closed = at("closed")
    assert message(ComplaintClosedError, lambda: command(closed)) == (
        f"complaint {NUMBER} is closed; it cannot be {what}"
    )


def test_the_ids_follow_the_numbers_and_never_change() -> None:
    assert Complaint.create_id(NUMBER) == UUID("77065282-5306-5dab-813d-3b9ba8ceea1c")
    assert ComplaintNumbers.create_id(2026) == UUID("8bf30c35-e5c9-5364-a8d0-e156f6d30eaa")
    assert ComplaintNumbers.create_id(2027) != ComplaintNumbers.create_id(2026)
    numbers = ComplaintNumbers(2026, by="u-desk")
    assert numbers.id == ComplaintNumbers.create_id(2026)
    assert numbers.allocate(by="u-desk") == "CP-2026-000001"
    assert last(numbers).by == "u-desk"


def test_the_record_card_records_every_part_of_the_complaint() -> None:
    customer = UUID(int=5)
    c = received(
        customer_id=customer,
        claimed=None,
        category="criticism",
        channel="letter",
        product="loan",
        request=" fee ",
        department=" branch 12 ",
    )
    event = last(c)
    assert (
        event.number,
        event.customer_id,
        event.category,
        event.channel,
        event.product,
        event.request,
        event.department,
        event.claimed,
        event.deadline,
        event.by,
        event.on,
    ) == (
        NUMBER,
        customer,
        "criticism",
        "letter",
        "loan",
        "fee",
        "branch 12",
        None,
        D + timedelta(days=7),
        DESK,
        D,
    )


def test_an_unknown_category_channel_or_product_is_refused_listing_the_known_ones() -> None:
    assert message(InvalidValueError, lambda: received(category="praise")) == (
        "complaint category 'praise' is not one of: price_reduction, return, exchange, damages, "
        "criticism"
    )
    assert message(InvalidValueError, lambda: received(channel="fax")) == (
        "complaint channel 'fax' is not one of: counter, hotline, letter, online, regulator"
    )
    assert message(InvalidAmountError, lambda: received(claimed=Money("-1.00"))) == (
        "the amount claimed cannot be negative; got -1.00 CNY"
    )


def test_each_step_records_what_it_decided_and_who() -> None:
    c = at("accepted")
    c.assign(" card centre ", by=ADMIN, on=LATER)
    event = last(c)
    assert (event.department, event.by, event.on) == ("card centre", "u-admin", LATER)
    assert message(InvalidValueError, lambda: at("accepted").assign(" ", by=ADMIN, on=D)) == (
        "the handling department is required"
    )
    c = at("reviewed")
    c.endorse(opinion=" refund it ", by=ADMIN, on=LATER)
    event = last(c)
    assert (event.opinion, event.by, event.on) == ("refund it", "u-admin", LATER)
    assert (
        message(InvalidValueError, lambda: at("reviewed").endorse(opinion=" ", by=ADMIN, on=D))
        == "administration's opinion is required"
    )
    c.approve_report(by=GM, on=LATER)
    event = last(c)
    assert (event.by, event.on) == ("u-gm", LATER)
    c = at("investigated")
    c.review(by=SUPERVISOR, on=LATER)
    event = last(c)
    assert (event.by, event.on) == ("u-supervisor", LATER)


def test_the_resolution_approved_records_its_amount_and_the_payment_its_limit() -> None:
    c = at("resolution_proposed")
    c.approve_resolution(by=OFFICER, policy=POLICY, on=LATER)
    event = last(c)
    assert (event.amount, event.by, event.on) == (Money("300.00"), "u-officer", LATER)
    assert message(InvalidAmountError, lambda: c.pay(Money("-1.00"), by=DESK, on=D)) == (
        "a payment cannot be negative; got -1.00 CNY"
    )
    assert message(InvalidAmountError, lambda: c.pay(Money("300.01"), by=DESK, on=D)) == (
        f"complaint {NUMBER}: paying 300.01 CNY would pay 300.01 CNY, more than the 300.00 CNY "
        "approved"
    )
    for step in ("resolution_approved", "replied", "followed_up"):
        at(step).pay(Money("300.00"), by=DESK, on=D)
    assert message(StepOrderError, lambda: at("approved").pay(Money("1.00"), by=DESK, on=D)) == (
        f"complaint {NUMBER} has no approved amount to pay (approved)"
    )


def test_the_resolution_approval_names_the_resolution_in_its_refusals() -> None:
    c = at("resolution_proposed")
    assert message(
        FourEyesError,
        lambda: c.approve_resolution(by=Actor(INVESTIGATOR, {"officer"}), policy=POLICY, on=D),
    ) == (
        f"the resolution of complaint {NUMBER} was prepared by u-investigator; another person "
        "must approve it"
    )
    big = at("approved")
    big.propose_resolution(
        Resolution("compensation", "sorry", Money("10000.01")), by=INVESTIGATOR, on=D
    )
    assert message(Exception, lambda: big.approve_resolution(by=OFFICER, policy=POLICY, on=D)) == (
        "u-officer (officer) may approve up to 10,000.00 CNY; the compensation of complaint "
        f"{NUMBER} is 10,000.01 CNY"
    )


def test_a_resolution_is_checked_for_its_text_and_amount() -> None:
    c = at("approved")
    assert message(
        InvalidValueError,
        lambda: c.propose_resolution(
            Resolution("refund", " ", Money("1.00")), by=INVESTIGATOR, on=D
        ),
    ) == ("the resolution's text is required")
    assert message(
        InvalidAmountError,
        lambda: c.propose_resolution(
            Resolution("explanation", "why", Money("1.00")), by=INVESTIGATOR, on=D
        ),
    ) == ("an explanation carries no amount")
    assert message(
        InvalidAmountError,
        lambda: c.propose_resolution(
            Resolution("refund", "back", Money("-1.00")), by=INVESTIGATOR, on=D
        ),
    ) == ("the refund cannot be negative; got -1.00 CNY")
    c.propose_resolution(Resolution("explanation", "why"), by=INVESTIGATOR, on=D)
    assert c.resolution == Resolution("explanation", "why")


def test_an_incomplete_report_names_the_missing_parts_in_words() -> None:
    report = InvestigationReport("cause", " ", "party", "conclusion", "", "prevention")
    assert message(
        IncompleteReportError, lambda: at("assigned").investigate(report, by=INVESTIGATOR, on=D)
    ) == ("the investigation report lacks: course of events, countermeasures")


def test_the_reply_and_the_follow_up_record_what_the_customer_was_told_and_said() -> None:
    c = at("resolution_approved")
    assert message(InvalidValueError, lambda: c.reply(form="fax", text="t", by=DESK, on=D)) == (
        "reply form 'fax' is not one of: written, oral"
    )
    assert message(InvalidValueError, lambda: c.reply(form="oral", text=" ", by=DESK, on=D)) == (
        "the reply is required"
    )
    c.reply(form="oral", text=" refunded ", by=DESK, on=LATER)
    event = last(c)
    assert (event.form, event.text, event.by, event.on) == ("oral", "refunded", DESK, LATER)
    for satisfaction in (0, 6):
        assert message(
            InvalidValueError,
            lambda: c.follow_up(satisfaction=satisfaction, note="n", by=DESK, on=D),
        ) == (f"satisfaction {satisfaction} is not a whole number from 1 to 5")
    at("replied").follow_up(satisfaction=1, note="n", by=DESK, on=D)
    c.follow_up(satisfaction=5, note=" happy ", by=DESK, on=LATER)
    event = last(c)
    assert (event.satisfaction, event.note, event.by, event.on) == (5, "happy", DESK, LATER)


def test_a_reviewer_names_the_role_the_report_waits_for() -> None:
    c = at("endorsed")
    assert message(RoleRequiredError, lambda: c.approve_report(by=ADMIN, on=D)) == (
        f"u-admin is not general manager; the report of complaint {NUMBER} is approved by the "
        "general manager"
    )
    c = at("investigated")
    assert message(
        FourEyesError, lambda: c.review(by=Actor(INVESTIGATOR, {"supervisor"}), on=D)
    ) == (
        f"the investigation report of complaint {NUMBER} was prepared by u-investigator; another "
        "person must approve it"
    )
    c = at("reviewed")
    both = Actor("u-supervisor", {"supervisor", "administration"})
    assert message(FourEyesError, lambda: c.endorse(opinion="o", by=both, on=D)) == (
        f"u-supervisor already reviewed the report of complaint {NUMBER}; its review, "
        "endorsement and approval are by three different people"
    )


def test_a_return_for_rework_needs_a_report_under_review_and_a_reason() -> None:
    assert message(
        StepOrderError, lambda: at("approved").return_for_rework(reason="r", by=GM, on=D)
    ) == (
        f"complaint {NUMBER} is approved; only a report under review (investigated, reviewed or "
        "endorsed) can be returned for rework"
    )
    assert message(
        ComplaintClosedError, lambda: at("closed").return_for_rework(reason="r", by=GM, on=D)
    ) == (f"complaint {NUMBER} is closed; it cannot be returned for rework")
    c = at("reviewed")
    assert (
        message(ReasonRequiredError, lambda: c.return_for_rework(reason=" ", by=ADMIN, on=D))
        == f"returning complaint {NUMBER}'s report needs a reason"
    )
    c.return_for_rework(reason=" redo ", by=ADMIN, on=LATER)
    event = last(c)
    assert (event.stage, event.reason, event.by, event.on, c.step) == (
        "reviewed",
        "redo",
        "u-admin",
        LATER,
        "assigned",
    )


def test_a_reopen_records_the_dispute_and_a_new_deadline_and_in_time_stays_decided() -> None:
    c = at("closed")
    assert message(
        ReasonRequiredError, lambda: c.reopen(reason=" ", by=DESK, on=D, policy=POLICY)
    ) == (f"reopening complaint {NUMBER} needs the customer's dispute")
    c.reopen(reason=" wrong amount ", by=DESK, on=LATER, policy=POLICY)
    event = last(c)
    assert (event.reason, event.step, event.deadline, event.by, event.on) == (
        "wrong amount",
        "accepted",
        LATER + timedelta(days=7),
        DESK,
        LATER,
    )
    for name in list(COMMANDS)[2:]:  # assigned ... closed again
        COMMANDS[name][2](c)
    closed = last(c)
    assert (closed.in_time, c.in_time) == (None, True)  # decided at the first close, once


def test_overdue_is_marked_once_recording_the_deadline() -> None:
    c = at("accepted")
    late = D + timedelta(days=8)
    assert message(InvalidTransitionError, lambda: c.mark_overdue(by="u-batch", on=D)) == (
        f"complaint {NUMBER} is not newly overdue on 2026-11-02 (deadline 2026-11-09)"
    )
    c.mark_overdue(by="u-batch", on=late)
    event = last(c)
    assert (event.deadline, event.by, event.on) == (D + timedelta(days=7), "u-batch", late)


def test_an_approved_explanation_has_no_amount_to_pay() -> None:
    c = at("approved")
    c.propose_resolution(Resolution("explanation", "the fee was due"), by=INVESTIGATOR, on=D)
    c.approve_resolution(by=OFFICER, policy=POLICY, on=D)
    assert message(StepOrderError, lambda: c.pay(Money("1.00"), by=DESK, on=D)) == (
        f"complaint {NUMBER} has no approved amount to pay (resolution_approved)"
    )


def test_the_record_card_keeps_the_amount_claimed() -> None:
    c = received(claimed=Money("300.00"))
    assert (last(c).claimed, c.claimed) == (Money("300.00"), Money("300.00"))
