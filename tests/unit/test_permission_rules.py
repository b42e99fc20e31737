"""The permission table (domain/permissions.py, docs/security.md): its defaults, a change's
roles, and the refusal a person reads."""

from __future__ import annotations

import pytest

from clientbook.domain.actor import ROLES
from clientbook.domain.errors import PolicyError, RoleRequiredError
from clientbook.domain.permissions import (
    STAFF,
    default_roles,
    defaults,
    parse_roles,
    require_permission,
)

CREDIT = {"credit_officer", "supervisor", "manager", "general_manager"}


def test_staff_give_every_command_the_table_does_not_name() -> None:
    assert STAFF == {
        "officer",
        "supervisor",
        "manager",
        "general_manager",
        "administration",
        "credit_officer",
        "relationship_manager",
    }
    assert default_roles("customers.register") == STAFF


@pytest.mark.parametrize(
    "command, roles",
    [
        ("credit.freeze", CREDIT),
        ("credit.unfreeze", CREDIT),
        ("credit.classify", CREDIT),
        ("credit.age_line", STAFF | {"batch"}),
        ("managers.propose_score", STAFF | {"batch"}),
        ("cards.authorise", STAFF | {"cardholder"}),
        ("cards.pay", STAFF | {"cardholder"}),
        ("cards.block", STAFF | {"cardholder"}),
        ("policy.propose", {"administration", "general_manager"}),
        ("policy.approve", {"administration", "general_manager"}),
    ],
)
def test_the_default_table_names_the_commands_given_by_other_roles(
    command: str, roles: set[str]
) -> None:
    assert default_roles(command) == roles
    assert "auditor" not in default_roles(command)


def test_the_table_over_some_commands_is_in_their_order() -> None:
    table = defaults(["policy.approve", "credit.freeze", "customers.register"])
    assert list(table) == ["credit.freeze", "customers.register", "policy.approve"]
    assert table["credit.freeze"] == CREDIT and table["customers.register"] == STAFF


def test_a_permission_change_lists_known_roles_separated_by_commas() -> None:
    name = "permission:credit.freeze"
    assert parse_roles(name, " supervisor, manager,,", ROLES) == {"supervisor", "manager"}
    with pytest.raises(PolicyError) as refused:
        parse_roles(name, "king,supervisor,jester", ROLES)
    assert str(refused.value) == ("permission:credit.freeze names unknown role(s) jester, king")
    with pytest.raises(PolicyError) as refused:
        parse_roles(name, "supervisor,auditor", ROLES)
    assert str(refused.value) == (
        "permission:credit.freeze cannot include auditor: an auditor only reads"
    )


def test_a_refused_command_names_the_actor_their_roles_and_the_roles_it_needs() -> None:
    table = {"credit.freeze": frozenset({"manager", "supervisor"})}
    require_permission("credit.freeze", frozenset({"manager"}), "u-m", table)
    with pytest.raises(RoleRequiredError) as refused:
        require_permission("credit.freeze", frozenset({"officer", "auditor"}), "u-o", table)
    assert str(refused.value) == (
        "u-o (auditor, officer) may not give credit.freeze; it needs one of the roles: "
        "manager, supervisor"
    )
    with pytest.raises(RoleRequiredError) as refused:
        require_permission("credit.classify", frozenset(), "u-x", table)  # the default entry
    assert str(refused.value) == (
        "u-x (no role) may not give credit.classify; it needs one of the roles: "
        "credit_officer, general_manager, manager, supervisor"
    )
