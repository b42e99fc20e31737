"""The policy (domain/policy.py) as a person reads it: each setting's edges and messages, the
✋ proposal and approval of a change, nobody raising their own authority, and which change is
in force on a date."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest

from clientbook import Money
from clientbook.domain.errors import (
    FourEyesError,
    PolicyError,
    ReasonRequiredError,
    SelfElevationError,
)
from clientbook.domain.policy import Policy, PolicySettings, check_no_self_elevation, setting

D = date(2026, 12, 1)
LATER = D + timedelta(days=9)
SETTINGS = PolicySettings()
ADMIN = frozenset({"administration"})


def policy() -> Policy:
    p = Policy(settings=SETTINGS.as_text(), by="u-admin", on=D)
    p.collect_events()
    return p


def refusal(name: str, value: str) -> str:
    with pytest.raises(PolicyError) as refused:
        PolicySettings.parse(name, value)
    return str(refused.value)


def last(aggregate: Any) -> Any:
    return aggregate.collect_events()[-1]


@pytest.mark.parametrize(
    "name, value, why",
    [
        ("lapse_grace_days", "-1", "must not be negative"),
        ("idempotency_key_days", "0", "must be at least 1 day"),
        ("concentration_cap_percent", "-0.01", "must be a percentage between 0 and 100"),
        ("concentration_cap_percent", "100.01", "must be a percentage between 0 and 100"),
    ],
)
def test_a_setting_out_of_its_range_is_refused_saying_why(name: str, value: str, why: str) -> None:
    assert refusal(name, value) == f"policy setting {name} cannot be {value!r}: {why}"


@pytest.mark.parametrize(
    "name, value, parsed",
    [
        ("lapse_grace_days", "0", 0),
        ("idempotency_key_days", "1", 1),
        ("concentration_cap_percent", "0", Decimal(0)),
        ("concentration_cap_percent", "100", Decimal(100)),
        ("approval_limit_officer", "unlimited", None),
        ("approval_limit_officer", " 20000.00 ", Decimal("20000.00")),
        ("net_capital", "", None),
        ("net_capital", "5000000.00", Decimal("5000000.00")),
        ("currency", "USD", "USD"),
    ],
)
def test_a_setting_at_the_edge_of_its_range_is_kept(name: str, value: str, parsed: object) -> None:
    assert PolicySettings.parse(name, value) == parsed


def test_an_unknown_setting_is_refused_listing_the_known_ones() -> None:
    message = refusal("deadline", "3")
    assert message == f"there is no policy setting 'deadline'; known: {', '.join(SETTINGS.names())}"
    assert message.startswith(
        "there is no policy setting 'deadline'; known: currency, approval_limit_officer, "
    )
    assert refusal("permissions", "x").startswith("there is no policy setting 'permissions'")


def test_every_setting_is_named_and_described_and_shown_as_text() -> None:
    names = PolicySettings.names()
    assert len(names) == 46 and "permissions" not in names
    assert PolicySettings.describe("complaint_deadline_days") == (
        "calendar days from received to closed"
    )
    text = SETTINGS.as_text()
    assert (
        text["approval_limit_general_manager"],
        text["net_capital"],
        text["complaint_deadline_days"],
    ) == ("unlimited", "", "7")
    assert PolicySettings().approval_limit_officer == Decimal("10000.00")


def test_an_approval_limit_is_in_the_policys_currency() -> None:
    usd = SETTINGS.with_setting("currency", "USD")
    assert usd.approval_limit("officer") == Money("10000.00", "USD")


def test_a_permission_change_names_a_command_and_known_roles() -> None:
    changed = SETTINGS.with_setting("permission:credit.freeze", "supervisor, manager")
    assert changed.roles_for("credit.freeze") == {"supervisor", "manager"}
    assert changed.permission_table() == {"credit.freeze": frozenset({"supervisor", "manager"})}
    assert changed.roles_for("credit.classify") == SETTINGS.roles_for("credit.classify")
    assert SETTINGS.roles_for("credit.freeze") == {
        "credit_officer",
        "supervisor",
        "manager",
        "general_manager",
    }
    again = changed.with_setting("permission:cards.pay", "officer")
    assert again.permissions == (
        ("cards.pay", frozenset({"officer"})),
        ("credit.freeze", frozenset({"supervisor", "manager"})),
    )
    assert refusal("permission:credit", "manager") == (
        "'permission:credit' does not name a command as permission:area.command"
    )
    assert refusal("permission:credit.freeze", "king") == (
        "permission:credit.freeze names unknown role(s) king"
    )


def test_the_policy_is_one_record_with_an_id_that_never_changes() -> None:
    assert policy().id == Policy.create_id() == UUID("bfe57fe3-f891-58ce-b73d-adb89a4459a2")


def test_a_direct_change_records_its_value_reason_who_and_when() -> None:
    p = policy()
    p.change("complaint_deadline_days", " 10 ", reason="regulator", by="u-admin", on=LATER)
    event = last(p)
    assert (event.name, event.value, event.reason, event.by, event.on) == (
        "complaint_deadline_days",
        "10",
        "regulator",
        "u-admin",
        LATER,
    )
    with pytest.raises(ReasonRequiredError) as refused:
        p.change("complaint_deadline_days", "5", reason=" ", by="u-admin", on=LATER)
    assert str(refused.value) == "changing policy setting complaint_deadline_days needs a reason"


def test_the_later_of_two_changes_on_one_date_is_in_force() -> None:
    p = policy()
    p.change("complaint_deadline_days", "9", reason="r", by="u-admin", on=LATER)
    p.change("complaint_deadline_days", "10", reason="r", by="u-admin", on=LATER)
    assert p.in_force(LATER).complaint_deadline_days == 10


def test_changes_apply_in_the_order_of_their_dates_not_of_their_recording() -> None:
    p = policy()
    p.change("complaint_deadline_days", "10", reason="r", by="u-admin", on=LATER)
    p.change("complaint_deadline_days", "8", reason="r", by="u-admin", on=D + timedelta(days=4))
    assert p.in_force(LATER - timedelta(days=1)).complaint_deadline_days == 8
    assert p.in_force(LATER).complaint_deadline_days == 10


def test_a_proposal_records_its_change_and_is_numbered() -> None:
    p = policy()
    assert (
        p.propose("lapse_grace_days", " 5 ", reason=" audit ", effective=LATER, by="u-a", on=D) == 1
    )
    event = last(p)
    assert (
        event.number,
        event.name,
        event.value,
        event.reason,
        event.effective,
        event.by,
        event.on,
    ) == (1, "lapse_grace_days", "5", "audit", LATER, "u-a", D)
    assert p.proposal(1) == ("lapse_grace_days", "5", LATER, "u-a", None)
    assert p.propose("lapse_grace_days", "6", reason="r", effective=LATER, by="u-a", on=D) == 2
    assert p.in_force(LATER).lapse_grace_days == 3  # nothing approved yet


def test_a_proposal_needs_a_valid_value_a_reason_and_a_date() -> None:
    p = policy()
    with pytest.raises(PolicyError):
        p.propose("lapse_grace_days", "soon", reason="r", effective=LATER, by="u-a", on=D)
    with pytest.raises(ReasonRequiredError) as refused:
        p.propose("lapse_grace_days", "5", reason=" ", effective=LATER, by="u-a", on=D)
    assert str(refused.value) == "changing policy setting lapse_grace_days needs a reason"
    with pytest.raises(PolicyError) as error:
        p.propose(
            "lapse_grace_days",
            "5",
            reason="r",
            effective="2026-12-10",  # type: ignore[arg-type]
            by="u-a",
            on=D,
        )
    assert str(error.value) == "the change of lapse_grace_days needs the date it takes effect"
    with pytest.raises(PolicyError) as error:
        p.proposal(1)
    assert str(error.value) == "there is no policy proposal 1"
    assert p.collect_events() == []


def test_an_approval_by_another_person_takes_effect_on_the_later_date() -> None:
    p = policy()
    p.propose("lapse_grace_days", "5", reason="r", effective=D, by="u-a", on=D)
    with pytest.raises(FourEyesError) as refused:
        p.approve(1, by="U-A", roles=ADMIN, on=LATER)
    assert str(refused.value) == (
        "policy proposal 1 (lapse_grace_days) was prepared by u-a; another person must approve it"
    )
    p.approve(1, by="u-b", roles=ADMIN, on=LATER)  # effective D, approved LATER: from LATER
    event = last(p)
    assert (event.number, event.effective, event.by, event.on) == (1, LATER, "u-b", LATER)
    assert p.proposal(1) == ("lapse_grace_days", "5", LATER, "u-a", "u-b")
    assert p.in_force(LATER - timedelta(days=1)).lapse_grace_days == 3
    assert p.in_force(LATER).lapse_grace_days == 5
    with pytest.raises(PolicyError) as error:
        p.approve(1, by="u-c", roles=ADMIN, on=LATER)
    assert str(error.value) == "policy proposal 1 was approved already by u-b"


def test_an_approval_keeps_a_later_effective_date() -> None:
    p = policy()
    p.propose("lapse_grace_days", "5", reason="r", effective=LATER, by="u-a", on=D)
    p.approve(1, by="u-b", roles=ADMIN, on=D)
    assert p.proposal(1)[2] == LATER and p.in_force(LATER - timedelta(days=1)).lapse_grace_days == 3


def test_an_approver_may_not_raise_their_own_roles_limit() -> None:
    p = policy()
    p.propose("approval_limit_officer", "20000.00", reason="r", effective=D, by="u-a", on=D)
    with pytest.raises(SelfElevationError) as refused:
        p.approve(1, by="u-o", roles=frozenset({"officer", "administration"}), on=D)
    assert str(refused.value) == (
        "u-o holds officer: raising the officer's approval limit is for someone who does not "
        "hold it"
    )
    assert p.collect_events()[-1].__class__.__name__ == "ChangeProposed"


@pytest.mark.parametrize(
    "value, refused",
    [("20000.00", True), ("unlimited", True), ("10000.00", False), ("5000.00", False)],
)
def test_a_limit_is_raised_when_it_grows_or_becomes_unlimited(value: str, refused: bool) -> None:
    officer = frozenset({"officer"})
    if refused:
        with pytest.raises(SelfElevationError):
            check_no_self_elevation("approval_limit_officer", value, officer, SETTINGS, "u-o")
    else:
        check_no_self_elevation("approval_limit_officer", value, officer, SETTINGS, "u-o")
    check_no_self_elevation(
        "approval_limit_officer", value, frozenset({"manager"}), SETTINGS, "u-m"
    )  # not their own role's limit


def test_an_unlimited_limit_is_not_raised_further() -> None:
    check_no_self_elevation(
        "approval_limit_general_manager", "5.00", frozenset({"general_manager"}), SETTINGS, "u-gm"
    )


def test_nobody_grants_their_own_role_a_command() -> None:
    mine = frozenset({"officer", "auditor"})
    with pytest.raises(SelfElevationError) as refused:
        check_no_self_elevation(
            "permission:credit.freeze", "officer,supervisor", mine, SETTINGS, "u-o"
        )
    assert str(refused.value) == (
        "u-o may not grant a role they hold (officer) the right to give credit.freeze"
    )
    # a role that already had the right, or a role they do not hold, elevates nobody
    check_no_self_elevation(
        "permission:credit.freeze", "supervisor", frozenset({"supervisor"}), SETTINGS, "u-s"
    )
    check_no_self_elevation("permission:credit.freeze", "manager", mine, SETTINGS, "u-o")


def test_self_elevation_is_judged_against_the_settings_in_force_on_the_approval_date() -> None:
    p = policy()
    p.propose("approval_limit_officer", "20000.00", reason="r", effective=LATER, by="u-a", on=D)
    p.approve(1, by="u-b", roles=ADMIN, on=D)  # 20,000.00 from LATER on
    p.propose("approval_limit_officer", "15000.00", reason="r", effective=D, by="u-a", on=D)
    with pytest.raises(SelfElevationError):  # on D the limit is 10,000.00: 15,000.00 raises it
        p.approve(2, by="u-o", roles=frozenset({"officer", "administration"}), on=D)


def test_a_refusal_to_grant_names_every_held_role_it_would_grant() -> None:
    held = frozenset({"officer", "relationship_manager"})
    with pytest.raises(SelfElevationError) as refused:
        check_no_self_elevation(
            "permission:credit.freeze", "officer,relationship_manager", held, SETTINGS, "u-o"
        )
    assert str(refused.value) == (
        "u-o may not grant a role they hold (officer, relationship_manager) the right to give "
        "credit.freeze"
    )


def test_a_setting_declares_its_default_how_its_text_is_read_and_what_it_means() -> None:
    """Declared here, not at import: `PolicySettings` itself is built before a test runs."""

    @attrs.frozen
    class Demo:
        grace_days: int = setting(7, int, "days of grace")

    (field,) = attrs.fields(Demo)
    assert Demo().grace_days == 7
    assert (field.default, dict(field.metadata)) == (7, {"parse": int, "doc": "days of grace"})
