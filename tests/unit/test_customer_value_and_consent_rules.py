"""A customer's segment proposals, reported contributions, consents and lapsing
(domain/customer.py), to the letter: each refusal's whole message and what each event records,
where test_consent_and_segments.py matches a message's gist; and how a phone number is compared
and which withdrawn consents a view hides."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_customer import BY, D, active, customer
from test_customer_rules import LATER, NUMBER, last, message

from clientbook import Money
from clientbook.domain.customer import Customer, comparable_phone, withdrawn_consents
from clientbook.domain.errors import (
    ConsentError,
    CustomerClosedError,
    FourEyesError,
    InvalidTransitionError,
    InvalidValueError,
    ReasonRequiredError,
)

CHANNELS = "in_person, phone, online, written, app"


def test_contact_details_without_consent_are_refused_naming_the_channels() -> None:
    assert message(ConsentError, lambda: customer(phone="138 0013 8000")) == (
        f"customer {NUMBER}: phone can be recorded only with the customer's consent: give "
        f"consent= with the channel by which they gave it ({CHANNELS})"
    )
    c = active()
    assert message(ConsentError, lambda: c.update_profile(email="li@example.cn", by=BY, on=D)) == (
        f"customer {NUMBER}: a email detail is recorded only while the customer's email consent "
        "stands; record it first (give_consent)"
    )


def test_a_four_eyes_segment_is_proposed_and_approved_by_another_person() -> None:
    c = active()
    assert message(FourEyesError, lambda: c.change_segment("premium", reason="r", by=BY, on=D)) == (
        f"customer {NUMBER}: segment premium needs a second person; propose it "
        "(propose_segment) and another person approves it"
    )
    assert (
        message(ReasonRequiredError, lambda: c.propose_segment("premium", reason=" ", by=BY, on=D))
        == "a segment proposal needs a reason"
    )
    c.propose_segment("premium", reason="top 4%", by=BY, on=D)
    assert message(FourEyesError, lambda: c.approve_segment(by=BY, on=D)) == (
        f"the segment change of customer {NUMBER} was prepared by {BY}; another person must "
        "approve it"
    )
    assert message(ReasonRequiredError, lambda: c.reject_segment(reason="", by="u-b", on=D)) == (
        "rejecting a segment proposal needs a reason"
    )
    c.collect_events()
    c.reject_segment(reason=" not yet ", by="u-b", on=LATER)
    event = last(c)
    assert (event.segment, event.reason, event.by, event.on) == ("premium", "not yet", "u-b", LATER)


def test_a_closed_customers_pending_proposal_is_not_approved() -> None:
    c = active()
    c.propose_segment("premium", reason="top 4%", by=BY, on=D)
    c.close(open_items=[], reason="moved away", by=BY, on=D)
    assert message(CustomerClosedError, lambda: c.approve_segment(by="u-b", on=D)) == (
        f"customer {NUMBER} is closed; its segment cannot change"
    )


def test_a_contribution_records_its_source_and_period_which_may_be_one_day_begun_today() -> None:
    c = active()
    c.report_contribution(
        source=" deposits ",
        period_from=LATER,
        period_to=LATER,
        amount=Money("-12.00"),
        by="u-feed",
        on=LATER,
    )
    event = last(c)
    assert (event.source, event.period_from, event.period_to, event.amount, event.by) == (
        "deposits",
        LATER,
        LATER,
        Money("-12.00"),
        "u-feed",
    )


def test_a_contribution_without_a_source_or_of_zero_is_refused() -> None:
    c = active()
    assert message(
        InvalidValueError,
        lambda: c.report_contribution(
            source=" ", period_from=D, period_to=D, amount=Money("1.00"), by=BY, on=D
        ),
    ) == ("contribution source is required")
    assert message(
        InvalidValueError,
        lambda: c.report_contribution(
            source="deposits", period_from=D, period_to=D, amount=Money("0.00"), by=BY, on=D
        ),
    ) == ("a reported contribution of zero changes nothing")


def test_a_consent_names_its_kind_and_channel_and_a_closed_customer_records_none() -> None:
    c = active()
    assert message(
        InvalidValueError, lambda: c.give_consent("phone", channel="fax", by=BY, on=D)
    ) == (f"consent channel 'fax' is not one of: {CHANNELS}")
    c.give_consent("phone", channel="app", by=BY, on=D)
    assert message(
        InvalidValueError, lambda: c.withdraw_consent("sms", channel="app", by=BY, on=D)
    ) == ("consent kind 'sms' is not one of: phone, email, address, marketing")
    assert message(
        InvalidValueError, lambda: c.withdraw_consent("phone", channel="fax", by=BY, on=D)
    ) == (f"consent channel 'fax' is not one of: {CHANNELS}")
    c.collect_events()
    c.withdraw_consent("phone", channel="written", by="u-b", on=LATER)
    event = last(c)
    assert (event.kind, event.channel, event.by, event.on) == ("phone", "written", "u-b", LATER)
    c.close(open_items=[], reason="moved away", by=BY, on=LATER)
    assert message(
        CustomerClosedError, lambda: c.give_consent("email", channel="app", by=BY, on=LATER)
    ) == (f"customer {NUMBER} is closed; a consent cannot be recorded")


def test_a_customer_without_a_cycle_of_their_own_lapses_by_their_tiers() -> None:
    c = active()
    assert message(
        InvalidTransitionError,
        lambda: c.mark_lapsed(grace_days=5, tier_cycle_days=30, by=BY, on=D + timedelta(days=34)),
    ) == (
        f"customer {NUMBER} is not lapsed on {D + timedelta(days=34)}: last seen {D}, "
        "cycle 30 days, grace 5 days"
    )
    c.mark_lapsed(grace_days=5, tier_cycle_days=30, by=BY, on=D + timedelta(days=35))
    assert c.lapsed


def test_a_customers_own_cycle_is_the_one_a_refusal_to_lapse_names() -> None:
    c = active(visit_cycle_days=10)
    assert message(
        InvalidTransitionError,
        lambda: c.mark_lapsed(grace_days=5, tier_cycle_days=30, by=BY, on=D + timedelta(days=14)),
    ) == (
        f"customer {NUMBER} is not lapsed on {D + timedelta(days=14)}: last seen {D}, "
        "cycle 10 days, grace 5 days"
    )


@pytest.mark.parametrize(
    "phone, compared",
    [
        ("+86 138-0013 8000", "+8613800138000"),
        ("(010) 6512 3456", "01065123456"),
        ("  +1 (2)", "+12"),
        ("+", ""),
        ("", ""),
    ],
)
def test_a_phone_number_is_compared_by_its_digits_and_a_leading_plus(
    phone: str, compared: str
) -> None:
    assert comparable_phone(phone) == compared


def test_a_view_hides_the_contact_details_whose_consent_was_withdrawn_and_not_given_again() -> None:
    c: Customer = Customer.register(
        number=NUMBER,
        kind="individual",
        name="Li Lei",
        manager="m-007",
        by=BY,
        on=D,
        phone="138 0013 8000",
        email="li@example.cn",
        address="1 Road",
        consent="in_person",
    )
    c.give_consent("marketing", channel="app", by=BY, on=D)
    for kind in ("phone", "email", "marketing"):
        c.withdraw_consent(kind, channel="written", by=BY, on=LATER)
    c.give_consent("email", channel="app", by=BY, on=LATER)
    events = c.collect_events()
    assert withdrawn_consents(events) == frozenset({"phone"})
    assert withdrawn_consents(events[:-1]) == frozenset({"phone", "email"})
    assert withdrawn_consents([]) == frozenset()
