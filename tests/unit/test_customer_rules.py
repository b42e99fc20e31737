"""A customer's rules (domain/customer.py) as a person reads them: a closed customer refuses
each command saying what cannot happen, each status step names the statuses it needs, each
event records the change and its reason, and each other refusal's whole message."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any, Callable
from uuid import UUID

import pytest
from test_customer import BY, D, active, customer

from clientbook.domain.customer import Customer, IdentityClaim, customer_id
from clientbook.domain.errors import (
    CustomerClosedError,
    IdentityDocumentTakenError,
    InvalidTransitionError,
    InvalidValueError,
    ReasonRequiredError,
)

LATER = D + timedelta(days=5)
NUMBER = "C-000001"


def message(error: type[Exception], command: Callable[[], object]) -> str:
    with pytest.raises(error) as refused:
        command()
    return str(refused.value)


def last(c: Any) -> Any:
    return c.collect_events()[-1]


def closed() -> Customer:
    c = active()
    c.close(open_items=[], reason="moved away", by=BY, on=D)
    return c


CLOSED: list[tuple[str, Callable[[Customer], object]]] = [
    ("its profile cannot be updated", lambda c: c.update_profile(name="X", by=BY, on=D)),
    (
        "its identity document cannot be recorded",
        lambda c: c.record_identity_document("110105194912310021", by=BY, on=D),
    ),
    ("it cannot be reassigned", lambda c: c.reassign_manager("m-2", reason="r", by=BY, on=D)),
    ("its segment cannot change", lambda c: c.change_segment("major", reason="r", by=BY, on=D)),
    ("its service tier cannot change", lambda c: c.change_tier("vip", reason="r", by=BY, on=D)),
    (
        "a contact cannot be recorded",
        lambda c: c.record_contact(channel="call", purpose="sales", outcome="o", by=BY, on=D),
    ),
    ("its visit cycle cannot be set", lambda c: c.set_visit_cycle(30, by=BY, on=D)),
    (
        "a survey cannot be recorded",
        lambda c: c.record_survey(channel="phone", score=4, by=BY, on=D),
    ),
    ("it cannot be activated", lambda c: c.activate(by=BY, on=D)),
    ("it cannot be marked lost", lambda c: c.mark_lost(reason="r", by=BY, on=D)),
    ("it cannot be reactivated", lambda c: c.reactivate(reason="r", by=BY, on=D)),
    ("it cannot be restricted", lambda c: c.restrict(reason="r", by=BY, on=D)),
    ("its restriction cannot be lifted", lambda c: c.lift_restriction(reason="r", by=BY, on=D)),
    ("it cannot be closed again", lambda c: c.close(open_items=[], reason="r", by=BY, on=D)),
    ("it cannot be given a card", lambda c: c.require_open_for_new_business("given a card")),
]


@pytest.mark.parametrize("consequence, command", CLOSED, ids=[c for c, _ in CLOSED])
def test_a_closed_customer_refuses_saying_what_cannot_happen(
    consequence: str, command: Callable[[Customer], object]
) -> None:
    c = closed()
    c.collect_events()
    assert message(CustomerClosedError, lambda: command(c)) == (
        f"customer {NUMBER} is closed; {consequence}"
    )
    assert c.collect_events() == []


@pytest.mark.parametrize(
    "start, command, needed, action",
    [
        ("active", lambda c: c.activate(by=BY, on=D), "prospect", "be activated"),
        ("prospect", lambda c: c.mark_dormant(reason="r", by=BY, on=D), "active", "become dormant"),
        (
            "prospect",
            lambda c: c.mark_lost(reason="r", by=BY, on=D),
            "active or dormant",
            "be marked lost",
        ),
        (
            "active",
            lambda c: c.reactivate(reason="r", by=BY, on=D),
            "dormant or lost",
            "be reactivated",
        ),
    ],
)
def test_a_status_step_names_the_statuses_it_needs(
    start: str, command: Any, needed: str, action: str
) -> None:
    c = active() if start == "active" else customer()
    assert message(InvalidTransitionError, lambda: command(c)) == (
        f"customer {NUMBER} is {start}; only a customer who is {needed} can {action}"
    )


@pytest.mark.parametrize(
    "what, command",
    [
        ("a reassignment", lambda c: c.reassign_manager("m-2", reason=" ", by=BY, on=D)),
        ("a segment change", lambda c: c.change_segment("major", reason=" ", by=BY, on=D)),
        ("a tier change", lambda c: c.change_tier("vip", reason=" ", by=BY, on=D)),
        ("marking a customer dormant", lambda c: c.mark_dormant(reason=" ", by=BY, on=D)),
        (
            "a lost customer (the exit interview's reason)",
            lambda c: c.mark_lost(reason=" ", by=BY, on=D),
        ),
        ("a restriction", lambda c: c.restrict(reason=" ", by=BY, on=D)),
        ("closing a customer", lambda c: c.close(open_items=[], reason=" ", by=BY, on=D)),
    ],
)
def test_each_change_names_what_needs_a_reason(what: str, command: Any) -> None:
    assert message(ReasonRequiredError, lambda: command(active())) == f"{what} needs a reason"


def test_reactivating_and_lifting_a_restriction_need_reasons_too() -> None:
    c = active()
    c.mark_dormant(reason="no use", by=BY, on=D)
    assert message(ReasonRequiredError, lambda: c.reactivate(reason="", by=BY, on=D)) == (
        "a reactivation needs a reason"
    )
    c.restrict(reason="fraud", by=BY, on=D)
    assert message(ReasonRequiredError, lambda: c.lift_restriction(reason="", by=BY, on=D)) == (
        "lifting a restriction needs a reason"
    )


def test_status_changes_record_their_reasons() -> None:
    c = active()
    c.mark_dormant(reason=" no use ", by="u-a", on=LATER)
    event = last(c)
    assert (event.reason, event.by, event.on, c.status) == ("no use", "u-a", LATER, "dormant")
    c.reactivate(reason=" back ", by="u-b", on=LATER)
    event = last(c)
    assert (event.reason, event.by, c.status) == ("back", "u-b", "active")
    c.mark_lost(reason=" rates ", by="u-c", on=LATER)
    event = last(c)
    assert (event.reason, c.lost_reason, c.status) == ("rates", "rates", "lost")
    c.reactivate(reason="won back", by=BY, on=LATER)
    c.restrict(reason=" fraud ", by="u-d", on=LATER)
    event = last(c)
    assert (event.reason, c.restricted) == ("fraud", "fraud")
    assert message(InvalidTransitionError, lambda: c.restrict(reason="x", by=BY, on=D)) == (
        f"customer {NUMBER} is already restricted: fraud"
    )
    c.lift_restriction(reason=" cleared ", by="u-e", on=LATER)
    event = last(c)
    assert (event.reason, c.restricted) == ("cleared", None)
    assert (
        message(InvalidTransitionError, lambda: c.lift_restriction(reason="x", by=BY, on=D))
        == f"customer {NUMBER} is not restricted"
    )


def test_manager_segment_and_tier_changes_record_before_and_after() -> None:
    c = active()
    c.reassign_manager(" m-009 ", reason=" leave ", by="u-a", on=LATER)
    event = last(c)
    assert (event.previous, event.manager, event.reason, event.by, event.on) == (
        "m-007",
        "m-009",
        "leave",
        "u-a",
        LATER,
    )
    assert (
        message(InvalidValueError, lambda: c.reassign_manager("m-009", reason="r", by=BY, on=D))
        == f"customer {NUMBER} is already looked after by m-009"
    )
    assert (
        message(InvalidValueError, lambda: c.reassign_manager(" ", reason="r", by=BY, on=D))
        == "relationship manager is required"
    )
    c.change_segment("major", reason=" volume ", by="u-a", on=LATER)
    event = last(c)
    assert (event.previous, event.segment, event.reason) == ("potential", "major", "volume")
    assert (
        message(InvalidValueError, lambda: c.change_segment("major", reason="r", by=BY, on=D))
        == f"customer {NUMBER} is already in segment major"
    )
    c.change_tier("vip", reason=" fuel ", by="u-a", on=LATER)
    event = last(c)
    assert (event.previous, event.tier, event.reason) == ("none", "vip", "fuel")
    assert message(InvalidValueError, lambda: c.change_tier("vip", reason="r", by=BY, on=D)) == (
        f"customer {NUMBER} already has service tier vip"
    )
    assert message(InvalidValueError, lambda: c.change_tier("gold", reason="r", by=BY, on=D)) == (
        "service tier 'gold' is not one of: vip, a, b, none"
    )


def test_a_profile_update_records_only_what_changes() -> None:
    c = active(
        phone="+86 21 5555 0100", email="li@example.com", address="Pudong", consent="in_person"
    )
    c.update_profile(name=" Li Lei ", phone="+86 21 5555 0199", email="", by="u-a", on=LATER)
    event = last(c)
    assert (event.name, event.phone, event.email, event.address, event.by, event.on) == (
        None,
        "+86 21 5555 0199",
        "",
        None,
        "u-a",
        LATER,
    )
    assert (c.phone, c.email, c.address) == ("+86 21 5555 0199", None, "Pudong")
    assert message(InvalidValueError, lambda: c.update_profile(name=" ", by=BY, on=D)) == (
        "customer name is required"
    )
    assert message(InvalidValueError, lambda: c.update_profile(phone="call me", by=BY, on=D)) == (
        "phone 'call me' is not a phone number (digits, spaces, +, -, ())"
    )
    assert message(InvalidValueError, lambda: c.update_profile(address="Pudong", by=BY, on=D)) == (
        f"customer {NUMBER}: the profile update changes nothing"
    )


def test_a_name_is_kept_trimmed_on_update_as_at_registration() -> None:
    """A bug the mutants showed: an update kept the spaces around a name, so the same name
    with spaces was recorded as a change."""
    c = active()
    assert message(
        InvalidValueError, lambda: c.update_profile(name=" Li Lei ", by=BY, on=D)
    ).endswith("changes nothing")
    c.update_profile(name="  Han Meimei ", by=BY, on=D)
    assert c.name == "Han Meimei" and last(c).name == "Han Meimei"


@pytest.mark.parametrize("email", ["li.example.com", "@example.com", "li@"])
def test_an_e_mail_address_has_something_on_each_side_of_the_at(email: str) -> None:
    assert message(InvalidValueError, lambda: customer(email=email)) == (
        f"e-mail {email!r} is not an e-mail address"
    )


def test_an_identity_document_is_recorded_compared_without_spaces_or_case() -> None:
    c = active()
    assert c.record_identity_document(" 11010519491231002x ", by="u-a", on=LATER) is None
    event = last(c)
    assert (event.document_number, event.by, event.on) == ("11010519491231002X", "u-a", LATER)
    assert message(
        InvalidValueError, lambda: c.record_identity_document("1101 0519 4912 3100 2X", by=BY, on=D)
    ) == (f"customer {NUMBER} already has this identity document")
    assert c.record_identity_document("110105194912310021", by=BY, on=D) == "11010519491231002X"
    assert message(InvalidValueError, lambda: c.record_identity_document(" ", by=BY, on=D)) == (
        "identity document number is required"
    )


def test_contacts_surveys_and_visit_cycles_record_what_was_done() -> None:
    c = active()
    c.record_contact(channel="video", purpose="courtesy", outcome=" fine ", by="u-a", on=LATER)
    event = last(c)
    assert (event.channel, event.purpose, event.outcome, event.by, event.on) == (
        "video",
        "courtesy",
        "fine",
        "u-a",
        LATER,
    )
    assert message(
        InvalidValueError,
        lambda: c.record_contact(channel="call", purpose="sales", outcome=" ", by=BY, on=D),
    ) == ("contact outcome is required")
    for score in (1, 5):
        c.record_survey(channel="mail", score=score, by="u-a", on=LATER)
        event = last(c)
        assert (event.channel, event.score) == ("mail", score)
    assert message(
        InvalidValueError, lambda: c.record_survey(channel="fax", score=3, by=BY, on=D)
    ) == ("survey channel 'fax' is not one of: counter, phone, online, app, visit, mail")
    for score in (0, 6):
        assert message(
            InvalidValueError, lambda: c.record_survey(channel="app", score=score, by=BY, on=D)
        ) == (f"satisfaction score {score} is not a whole number from 1 to 5")
    c.set_visit_cycle(30, by="u-a", on=LATER)
    event = last(c)
    assert (event.days, event.by, event.on) == (30, "u-a", LATER)
    assert message(InvalidValueError, lambda: c.set_visit_cycle(30, by=BY, on=D)) == (
        f"customer {NUMBER} already has a visit cycle of 30 days"
    )
    assert message(InvalidValueError, lambda: c.set_visit_cycle(0, by=BY, on=D)) == (
        "visit cycle 0 is not a whole number of days from 1 to 3660"
    )
    c.set_visit_cycle(3660, by=BY, on=D)


def test_lapse_is_due_after_the_cycle_and_grace_and_is_recorded_with_both() -> None:
    c = active(visit_cycle_days=10)
    assert c.lapse_due(3) == D + timedelta(days=13)
    seen = c.last_seen
    c.mark_lapsed(grace_days=3, by="u-batch", on=D + timedelta(days=14))
    event = last(c)
    assert (event.last_seen, event.grace_days, event.by) == (seen, 3, "u-batch")
    lost = active(visit_cycle_days=10)
    lost.mark_lost(reason="r", by=BY, on=D)
    assert lost.lapse_due(3) is None
    assert closed().lapse_due(3) is None


def test_closing_and_erasing_record_their_reasons() -> None:
    c = active()
    c.close(open_items=[], reason=" moved ", by="u-a", on=LATER)
    event = last(c)
    assert (event.reason, event.by, event.on, c.status) == ("moved", "u-a", LATER, "closed")
    assert (
        message(ReasonRequiredError, lambda: c.erase_personal_data(reason=" ", by=BY, on=D))
        == "an erasure needs a reason"
    )
    c.erase_personal_data(reason=" request ", by="u-b", on=LATER)
    event = last(c)
    assert (event.reason, event.by, event.on) == ("request", "u-b", LATER)


def test_ids_follow_the_number_and_the_documents_digest_and_never_change() -> None:
    assert customer().id == customer_id(NUMBER) == UUID("14f36bce-b1ed-54c2-968b-e73fea66aac5")
    key = IdentityClaim.key_of(" 11010519491231002x")
    assert key == hashlib.sha256(b"11010519491231002X").hexdigest()
    assert IdentityClaim.create_id("k") == UUID("3163b89e-b607-5eeb-82ff-b118cb8d3bc9")
    assert IdentityClaim.id_for("11010519491231002X") == IdentityClaim.create_id(key)
    assert IdentityClaim.create_id("k2") != IdentityClaim.create_id("k")


def test_an_identity_claim_belongs_to_one_customer_until_released() -> None:
    first, second = UUID(int=1), UUID(int=2)
    claim = IdentityClaim("k", first, by="u")
    assert message(IdentityDocumentTakenError, lambda: claim.reclaim(second, by="u")) == (
        "the identity document belongs to another customer"
    )
    claim.release(by="u-a")
    assert claim.customer_id is None and last(claim).by == "u-a"
    claim.release(by="u-a")  # released already: nothing recorded
    assert claim.collect_events() == []
    claim.reclaim(second, by="u-b")
    event = last(claim)
    assert (claim.customer_id, event.customer_id, event.by) == (second, second, "u-b")


def test_a_registration_records_the_kind_of_customer() -> None:
    c = Customer.register(
        number="C-000002",
        kind="organisation",
        name="Wang Trading Co.",
        manager="m-001",
        by=BY,
        on=D,
    )
    assert (last(c).kind, c.kind) == ("organisation", "organisation")


def test_a_profile_update_refuses_an_e_mail_address_that_is_none() -> None:
    with pytest.raises(InvalidValueError) as refused:
        active().update_profile(email="li.example.com", by=BY, on=D)
    assert str(refused.value) == "e-mail 'li.example.com' is not an e-mail address"


def test_a_closed_customer_never_lapses() -> None:
    c = active(visit_cycle_days=10)
    c.close(open_items=[], reason="moved", by=BY, on=D)
    assert c.lapse_due(3) is None and not c.is_lapsing(D + timedelta(days=100), 3)


def test_a_visit_cycle_is_a_whole_number_of_days_from_one() -> None:
    c = active()
    c.set_visit_cycle(1, by=BY, on=D)
    for bad in (True, 0, 3661):
        with pytest.raises(InvalidValueError) as refused:
            c.set_visit_cycle(bad, by=BY, on=D)
        assert str(refused.value) == (
            f"visit cycle {bad!r} is not a whole number of days from 1 to 3660"
        )
