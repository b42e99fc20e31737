"""Every customer rule of DOMAIN.md § Customer, on the aggregate itself (no I/O)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from clientbook.domain.customer import ERASED, Customer
from clientbook.domain.errors import (
    CustomerClosedError,
    InvalidTransitionError,
    InvalidValueError,
    OpenItemsError,
    ReasonRequiredError,
)

D = date(2026, 11, 2)
BY = "u-clerk"


def customer(**overrides: object) -> Customer:
    args: dict[str, object] = dict(
        number="C-000001", kind="individual", name="Li Lei", manager="m-007", by=BY, on=D
    )
    args.update(overrides)
    c = Customer.register(**args)  # type: ignore[arg-type]
    c.collect_events()
    return c


def active(**overrides: object) -> Customer:
    c = customer(**overrides)
    c.activate(by=BY, on=D)
    c.collect_events()
    return c


def test_registration_records_who_when_and_the_acquiring_manager() -> None:
    c = Customer.register(
        number="C-000123",
        kind="organisation",
        name="Wang Trading Co.",
        manager="m-001",
        by=BY,
        on=D,
    )
    (event,) = c.collect_events()
    assert type(event) is Customer.Registered
    assert (event.by, event.on, event.manager) == (BY, D, "m-001")
    assert (c.status, c.segment, c.tier, c.manager) == ("prospect", "potential", "none", "m-001")


def test_the_customer_id_comes_from_the_number() -> None:
    assert customer().id == customer().id == Customer.create_id("C-000001")
    assert customer(number="C-000002").id != customer().id


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("number", "123", "form C-000123"),
        ("kind", "person", "customer kind 'person'"),
        ("name", "  ", "customer name is required"),
        ("manager", "", "relationship manager is required"),
        ("segment", "gold", "segment 'gold'"),
        ("tier", "platinum", "service tier 'platinum'"),
        ("phone", "call me", "not a phone number"),
        ("email", "li.example.com", "not an e-mail address"),
        ("visit_cycle_days", 0, "visit cycle 0"),
    ],
)
def test_a_registration_with_a_bad_field_is_refused(
    field: str, value: object, message: str
) -> None:
    with pytest.raises(InvalidValueError, match=message):
        customer(**{field: value})


def test_the_identity_document_number_is_normalised() -> None:
    assert customer(document_number=" 1101 0119x ").document_number == "11010119X"


def test_a_profile_update_records_only_what_changed_and_empty_clears() -> None:
    c = customer(phone="+86 138 0000 0000", email="li@example.com", consent="in_person")
    c.give_consent("address", channel="written", by=BY, on=D)
    c.collect_events()
    c.update_profile(by=BY, on=D, name="Li Lei", email="", address="1 Bund Road")
    (event,) = c.collect_events()
    assert (event.name, event.email, event.address, event.phone) == (None, "", "1 Bund Road", None)
    assert (c.email, c.address, c.phone) == (None, "1 Bund Road", "+86 138 0000 0000")


def test_a_profile_update_that_changes_nothing_is_refused() -> None:
    c = customer()
    with pytest.raises(InvalidValueError, match="changes nothing"):
        c.update_profile(by=BY, on=D, name="Li Lei")
    assert c.collect_events() == []


def test_reassigning_the_manager_needs_a_reason_and_another_manager() -> None:
    c = customer()
    with pytest.raises(ReasonRequiredError, match="reassignment needs a reason"):
        c.reassign_manager("m-008", reason=" ", by=BY, on=D)
    with pytest.raises(InvalidValueError, match="already looked after by m-007"):
        c.reassign_manager("m-007", reason="x", by=BY, on=D)
    c.reassign_manager("m-008", reason="m-007 left the bank", by=BY, on=D)
    (event,) = c.collect_events()
    assert (event.previous, event.manager, event.reason) == (
        "m-007",
        "m-008",
        "m-007 left the bank",
    )
    assert c.manager == "m-008"


def test_segment_and_tier_changes_need_a_known_value_and_a_reason() -> None:
    c = customer()
    with pytest.raises(InvalidValueError, match="segment 'gold'"):
        c.change_segment("gold", reason="x", by=BY, on=D)
    with pytest.raises(ReasonRequiredError):
        c.change_segment("major", reason="", by=BY, on=D)
    c.change_segment("major", reason="contribution review", by=BY, on=D)
    c.change_tier("vip", reason="major segment", by=BY, on=D)
    assert (c.segment, c.tier) == ("major", "vip")
    with pytest.raises(InvalidValueError, match="already has service tier vip"):
        c.change_tier("vip", reason="x", by=BY, on=D)


def test_a_contact_needs_a_known_channel_and_purpose_and_an_outcome() -> None:
    c = customer()
    with pytest.raises(InvalidValueError, match="contact channel 'pigeon'"):
        c.record_contact(channel="pigeon", purpose="follow_up", outcome="x", by=BY, on=D)
    with pytest.raises(InvalidValueError, match="contact purpose 'gossip'"):
        c.record_contact(channel="call", purpose="gossip", outcome="x", by=BY, on=D)
    with pytest.raises(InvalidValueError, match="contact outcome is required"):
        c.record_contact(channel="call", purpose="follow_up", outcome="", by=BY, on=D)
    assert c.collect_events() == []


def test_a_back_dated_contact_does_not_move_the_last_contact_back() -> None:
    c = customer()
    c.record_contact(channel="visit", purpose="follow_up", outcome="ok", by=BY, on=D + timedelta(5))
    c.record_contact(channel="call", purpose="service", outcome="ok", by=BY, on=D + timedelta(2))
    assert c.last_contact == D + timedelta(5) and c.contacts == 2


def test_a_customer_not_seen_for_the_cycle_plus_grace_days_is_lapsed() -> None:
    c = customer(visit_cycle_days=30)
    assert c.lapse_due(3) == D + timedelta(33)
    assert not c.is_lapsing(D + timedelta(32), 3)
    with pytest.raises(InvalidTransitionError, match="is not lapsed on"):
        c.mark_lapsed(grace_days=3, by="batch", on=D + timedelta(32))
    c.mark_lapsed(grace_days=3, by="batch", on=D + timedelta(33))
    assert c.lapsed
    with pytest.raises(InvalidTransitionError):  # once only
        c.mark_lapsed(grace_days=3, by="batch", on=D + timedelta(34))


def test_the_next_contact_clears_a_lapse_and_restarts_the_cycle() -> None:
    c = customer(visit_cycle_days=7)
    c.mark_lapsed(grace_days=3, by="batch", on=D + timedelta(10))
    c.record_contact(channel="call", purpose="follow_up", outcome="ok", by=BY, on=D + timedelta(11))
    assert not c.lapsed and c.lapse_due(3) == D + timedelta(21)


def test_a_customer_without_a_visit_cycle_never_lapses() -> None:
    assert customer().lapse_due(3) is None
    assert not customer().is_lapsing(D + timedelta(1000), 3)


def test_a_satisfaction_score_is_a_whole_number_from_1_to_5() -> None:
    c = customer()
    for bad in (0, 6, True, "5"):
        with pytest.raises(InvalidValueError, match="from 1 to 5"):
            c.record_survey(channel="phone", score=bad, by=BY, on=D)  # type: ignore[arg-type]
    c.record_survey(channel="phone", score=5, by=BY, on=D)
    assert c.surveys == [(D, "phone", 5)]


def test_the_lifecycle_moves_prospect_active_dormant_lost_and_back() -> None:
    c = customer()
    with pytest.raises(
        InvalidTransitionError, match="only a customer who is active can become dormant"
    ):
        c.mark_dormant(reason="quiet", by=BY, on=D)
    c.activate(by=BY, on=D)
    c.mark_dormant(reason="no transactions", by=BY, on=D)
    c.reactivate(reason="visited", by=BY, on=D)
    c.mark_lost(reason="moved to a competitor", by=BY, on=D)
    assert (c.status, c.lost_reason) == ("lost", "moved to a competitor")
    c.reactivate(reason="won back", by=BY, on=D)
    assert c.status == "active"


def test_a_lost_customer_needs_the_exit_interview_reason() -> None:
    c = active()
    with pytest.raises(ReasonRequiredError, match="exit interview"):
        c.mark_lost(reason="", by=BY, on=D)


def test_only_dormant_or_lost_customers_are_reactivated() -> None:
    with pytest.raises(InvalidTransitionError, match="dormant or lost can be reactivated"):
        active().reactivate(reason="x", by=BY, on=D)


def test_a_restriction_has_a_reason_and_is_lifted_once() -> None:
    c = active()
    c.restrict(reason="fraud alert", by=BY, on=D)
    assert c.restricted == "fraud alert"
    with pytest.raises(InvalidTransitionError, match="already restricted: fraud alert"):
        c.restrict(reason="again", by=BY, on=D)
    c.lift_restriction(reason="cleared", by=BY, on=D)
    with pytest.raises(InvalidTransitionError, match="is not restricted"):
        c.lift_restriction(reason="x", by=BY, on=D)


def test_a_customer_with_open_items_cannot_be_closed() -> None:
    c = active()
    with pytest.raises(OpenItemsError, match="still has open: credit line L-1, card 4321"):
        c.close(open_items=["credit line L-1", "card 4321"], reason="request", by=BY, on=D)
    assert c.collect_events() == [] and c.status == "active"


def test_a_closed_customer_takes_no_further_commands() -> None:
    c = active()
    c.close(open_items=[], reason="customer's request", by=BY, on=D)
    with pytest.raises(CustomerClosedError, match="C-000001 is closed"):
        c.record_contact(channel="call", purpose="follow_up", outcome="x", by=BY, on=D)
    with pytest.raises(CustomerClosedError):
        c.reactivate(reason="x", by=BY, on=D)
    with pytest.raises(CustomerClosedError):
        c.close(open_items=[], reason="again", by=BY, on=D)


def test_personal_data_is_erased_only_after_closing_and_only_once() -> None:
    c = active(phone="+86 138 0000 0000", document_number="X1", consent="in_person")
    with pytest.raises(InvalidTransitionError, match="erased only after closing"):
        c.erase_personal_data(reason="request", by=BY, on=D)
    c.close(open_items=[], reason="request", by=BY, on=D)
    c.erase_personal_data(reason="GDPR art. 17 request", by=BY, on=D)
    assert (c.name, c.phone, c.document_number, c.email) == (ERASED, ERASED, ERASED, None)
    with pytest.raises(InvalidTransitionError, match="already erased"):
        c.erase_personal_data(reason="again", by=BY, on=D)


def test_every_event_records_the_actor_and_the_business_date() -> None:
    c = customer()
    c.activate(by="u-other", on=D + timedelta(1))
    events = c.collect_events()
    assert [(e.by, e.on) for e in events] == [("u-other", D + timedelta(1))]


def test_clearing_an_empty_detail_changes_nothing() -> None:
    c = customer()
    with pytest.raises(InvalidValueError, match="changes nothing"):
        c.update_profile(by=BY, on=D, email="", address="")


def test_a_new_visit_cycle_clears_the_lapse_until_judged_again() -> None:
    c = customer(visit_cycle_days=7)
    c.mark_lapsed(grace_days=3, by="batch", on=D + timedelta(10))
    c.set_visit_cycle(None, by=BY, on=D + timedelta(11))
    assert not c.lapsed and not c.is_lapsing(D + timedelta(100), 3)
