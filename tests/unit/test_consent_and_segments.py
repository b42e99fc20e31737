"""Consent before contact details (essay 5's three steps), segment changes under four eyes, and
contributions reported from outside clientbook: the customer's own rules, without I/O."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from clientbook.domain.customer import Customer
from clientbook.domain.errors import (
    ConsentError,
    CustomerClosedError,
    FourEyesError,
    InvalidTransitionError,
    InvalidValueError,
    ReasonRequiredError,
)
from clientbook.domain.money import Money

D = date(2026, 11, 2)
BY, OTHER = "u-clerk", "u-supervisor"


def customer(**overrides: object) -> Customer:
    args: dict[str, object] = dict(
        number="C-000001", kind="individual", name="Li Lei", manager="m-007", by=BY, on=D
    )
    args.update(overrides)
    c = Customer.register(**args)  # type: ignore[arg-type]
    c.collect_events()
    return c


# -- consent ------------------------------------------------------------------------------


def test_a_contact_detail_at_registration_needs_the_channel_of_the_customers_consent() -> None:
    with pytest.raises(
        ConsentError,
        match=r"C-000001: phone, email can be recorded only with "
        r"the customer's consent: give consent=",
    ):
        customer(phone="+86 138 0000 0000", email="li@example.com")
    with pytest.raises(InvalidValueError, match="consent channel 'pigeon'"):
        customer(phone="+86 138 0000 0000", consent="pigeon")
    with pytest.raises(InvalidValueError, match="none is; record a consent on its own"):
        customer(consent="in_person")


def test_registration_with_consent_records_one_consent_per_detail_given() -> None:
    c = Customer.register(
        number="C-000001",
        kind="individual",
        name="Li Lei",
        manager="m-007",
        by=BY,
        on=D,
        phone="+86 138 0000 0000",
        address="1 Bund Road",
        consent="written",
    )
    registered, *consents = c.collect_events()
    assert [(e.kind, e.channel, e.on) for e in consents] == [
        ("phone", "written", D),
        ("address", "written", D),
    ]
    assert c.consents == {"phone": ("written", D), "address": ("written", D)}
    assert c.contact_step == 3


def test_a_detail_is_recorded_later_only_while_its_consent_stands() -> None:
    c = customer()
    with pytest.raises(
        ConsentError,
        match="a phone detail is recorded only while the customer's phone consent stands",
    ):
        c.update_profile(phone="+86 138 0000 0000", by=BY, on=D)
    assert c.collect_events() == []
    c.give_consent("phone", channel="phone", by=BY, on=D)
    c.update_profile(phone="+86 138 0000 0000", by=BY, on=D)
    assert c.phone == "+86 138 0000 0000"


def test_withdrawing_a_consent_hides_its_detail_and_refuses_contacts_by_its_channels() -> None:
    c = customer(phone="+86 138 0000 0000", email="li@example.com", consent="in_person")
    c.withdraw_consent("phone", channel="phone", by=BY, on=D + timedelta(1))
    assert (c.phone, c.email) == (None, "li@example.com")
    assert "phone" not in c.consents and c.withdrawn == {"phone"}
    for channel in ("call", "message", "video"):
        with pytest.raises(
            ConsentError, match=f"withdrew their phone consent; no contact by {channel}"
        ):
            c.record_contact(channel=channel, purpose="follow_up", outcome="x", by=BY, on=D)
    c.record_contact(channel="email", purpose="follow_up", outcome="sent", by=BY, on=D)
    c.record_contact(channel="counter", purpose="service", outcome="met", by=BY, on=D)
    with pytest.raises(ConsentError):
        c.update_profile(phone="+86 138 9999 9999", by=BY, on=D)
    c.give_consent("phone", channel="written", by=BY, on=D + timedelta(2))
    assert c.withdrawn == frozenset()
    c.record_contact(channel="call", purpose="follow_up", outcome="reached", by=BY, on=D)


def test_a_consent_is_given_once_and_withdrawn_only_while_it_stands() -> None:
    c = customer()
    with pytest.raises(InvalidValueError, match="consent kind 'fax'"):
        c.give_consent("fax", channel="written", by=BY, on=D)
    with pytest.raises(InvalidTransitionError, match="no marketing consent standing"):
        c.withdraw_consent("marketing", channel="online", by=BY, on=D)
    c.give_consent("marketing", channel="online", by=BY, on=D)
    with pytest.raises(
        InvalidValueError,
        match=r"marketing consent already stands \(given "
        r"2026-11-02 by online\)",
    ):
        c.give_consent("marketing", channel="app", by=BY, on=D)
    c.withdraw_consent("marketing", channel="app", by=BY, on=D)
    assert c.consents == {}


def test_a_customer_without_consent_records_from_before_keeps_being_contacted() -> None:
    """Only a withdrawal refuses a channel: customers recorded before consents existed (or who
    never gave one) are still called."""
    c = customer()
    c.record_contact(channel="call", purpose="courtesy", outcome="reached", by=BY, on=D)
    assert c.contacts == 1


def test_the_three_steps_first_visit_named_contact_details() -> None:
    c = customer()
    assert c.contact_step == 1
    c.record_contact(channel="counter", purpose="courtesy", outcome="met again", by=BY, on=D)
    assert c.contact_step == 2
    c.give_consent("marketing", channel="in_person", by=BY, on=D)
    assert c.contact_step == 2  # marketing is no contact detail
    c.give_consent("email", channel="in_person", by=BY, on=D)
    assert c.contact_step == 3
    c.withdraw_consent("email", channel="online", by=BY, on=D)
    assert c.contact_step == 2


def test_a_closed_customer_gives_no_consent_but_may_withdraw_one() -> None:
    c = customer(phone="+86 138 0000 0000", consent="in_person")
    c.close(open_items=[], reason="moved away", by=BY, on=D)
    with pytest.raises(CustomerClosedError):
        c.give_consent("marketing", channel="written", by=BY, on=D)
    c.withdraw_consent("phone", channel="written", by=BY, on=D)
    assert c.phone is None


# -- segments under four eyes --------------------------------------------------------------


def test_premium_and_restricted_are_entered_only_on_an_approved_proposal() -> None:
    c = customer()
    for segment in ("premium", "restricted"):
        with pytest.raises(FourEyesError, match=f"segment {segment} needs a second person"):
            c.change_segment(segment, reason="review", by=BY, on=D)
    assert c.collect_events() == []
    c.propose_segment("premium", reason="top 4% of contribution", by=BY, on=D)
    assert c.segment == "potential" and c.segment_proposal == (
        "premium",
        "top 4% of contribution",
        BY,
        D,
    )
    with pytest.raises(FourEyesError, match="prepared by u-clerk; another person must approve"):
        c.approve_segment(by=BY, on=D)
    c.approve_segment(by=OTHER, on=D)
    assert (c.segment, c.segment_proposal) == ("premium", None)
    changed = c.collect_events()[-1]
    assert (changed.previous, changed.segment, changed.reason, changed.by) == (
        "potential",
        "premium",
        "top 4% of contribution",
        OTHER,
    )


def test_one_segment_proposal_at_a_time_and_a_rejection_needs_a_reason() -> None:
    c = customer()
    with pytest.raises(InvalidTransitionError, match="no segment proposal to be approved"):
        c.approve_segment(by=OTHER, on=D)
    with pytest.raises(InvalidValueError, match="already in segment potential"):
        c.propose_segment("potential", reason="x", by=BY, on=D)
    c.propose_segment("restricted", reason="written-off card", by=BY, on=D)
    with pytest.raises(
        InvalidTransitionError,
        match="already has a proposal to move to segment restricted by u-clerk",
    ):
        c.propose_segment("major", reason="x", by=BY, on=D)
    with pytest.raises(ReasonRequiredError):
        c.reject_segment(reason=" ", by=OTHER, on=D)
    c.reject_segment(reason="recovered in full", by=OTHER, on=D)
    assert (c.segment, c.segment_proposal) == ("potential", None)
    with pytest.raises(InvalidTransitionError, match="no segment proposal to be rejected"):
        c.reject_segment(reason="again", by=OTHER, on=D)


def test_a_proposal_is_not_approved_once_the_customer_is_closed() -> None:
    c = customer()
    c.propose_segment("major", reason="review", by=BY, on=D)
    c.close(open_items=[], reason="moved away", by=BY, on=D)
    with pytest.raises(CustomerClosedError):
        c.approve_segment(by=OTHER, on=D)


# -- contributions reported from outside ------------------------------------------------------


def test_a_reported_contribution_has_a_source_a_begun_period_and_an_amount() -> None:
    c = customer()
    report = dict(
        source="deposits",
        period_from=D.replace(day=1),
        period_to=D,
        amount=Money("120.50"),
        by=BY,
        on=D,
    )
    with pytest.raises(InvalidValueError, match="contribution source"):
        c.report_contribution(**{**report, "source": " "})  # type: ignore[arg-type]
    with pytest.raises(
        InvalidValueError, match="period starts 2026-11-02, after its end 2026-11-01"
    ):
        c.report_contribution(**{**report, "period_from": D, "period_to": D.replace(day=1)})  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="this one starts 2026-11-03"):
        c.report_contribution(
            **{
                **report,
                "period_from": D + timedelta(1),  # type: ignore[arg-type]
                "period_to": D + timedelta(30),
            }
        )
    with pytest.raises(InvalidValueError, match="contribution of zero"):
        c.report_contribution(**{**report, "amount": Money("0.00")})  # type: ignore[arg-type]
    assert c.collect_events() == []
    c.report_contribution(**report)  # type: ignore[arg-type]
    c.report_contribution(**{**report, "amount": Money("-8.00")})  # type: ignore[arg-type]
    assert [e.amount for e in c.collect_events()] == [Money("120.50"), Money("-8.00")]
