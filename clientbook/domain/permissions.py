"""Which roles may give which command: the permission table, part of the policy in force.

Every keyed command is named `area.command` (`credit.freeze`). The defaults below are the
table DOMAIN.md's roles imply; a bank changes an entry with a policy change named
`permission:area.command` whose value lists the roles (`supervisor,manager`). `auditor` is in
no entry: an auditor reads. Approvals keep their own rules on top (four eyes, authority).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from clientbook.domain.errors import PolicyError, RoleRequiredError

PREFIX = "permission:"
STAFF = frozenset(
    {
        "officer",
        "supervisor",
        "manager",
        "general_manager",
        "administration",
        "credit_officer",
        "relationship_manager",
    }
)
SENIOR = frozenset({"supervisor", "manager", "general_manager"})
CREDIT = frozenset({"credit_officer"}) | SENIOR
POLICY_ADMINISTRATION = frozenset({"administration", "general_manager"})
"""Who proposes and (another of them) approves policy and permission changes."""

_ENTRIES: dict[str, frozenset[str]] = {
    "credit.freeze": CREDIT,
    "credit.unfreeze": CREDIT,
    "credit.classify": CREDIT,
    "credit.age_line": STAFF | {"batch"},
    "cards.authorise": STAFF | {"cardholder"},
    "cards.pay": STAFF | {"cardholder"},
    "cards.block": STAFF | {"cardholder"},
    "managers.propose_score": STAFF | {"batch"},  # proposed from the log's figures
    "managers.propose_scores": STAFF | {"batch"},
    "policy.propose": POLICY_ADMINISTRATION,
    "policy.approve": POLICY_ADMINISTRATION,
}
"""Entries that differ from the rule: every other command is given by staff (STAFF)."""


def default_roles(command: str) -> frozenset[str]:
    """The roles the default table allows to give a command."""
    return _ENTRIES.get(command, STAFF)


def defaults(commands: Iterable[str]) -> dict[str, frozenset[str]]:
    """The default table over these commands (documented in docs/security.md)."""
    return {command: default_roles(command) for command in sorted(commands)}


def parse_roles(name: str, value: str, known: Iterable[str]) -> frozenset[str]:
    """The roles a permission change names, or PolicyError saying what is wrong."""
    roles = frozenset(r.strip() for r in value.split(",") if r.strip())
    unknown = sorted(roles - set(known))
    if unknown:
        raise PolicyError(f"{name} names unknown role(s) {', '.join(unknown)}")
    if "auditor" in roles:
        raise PolicyError(f"{name} cannot include auditor: an auditor only reads")
    return roles


def require_permission(
    command: str, roles: frozenset[str], actor_id: str, table: Mapping[str, frozenset[str]]
) -> None:
    """Refuse a command to an actor holding none of the roles the table allows for it."""
    allowed = table.get(command, default_roles(command))
    if not roles & allowed:
        held = ", ".join(sorted(roles)) or "no role"
        raise RoleRequiredError(
            f"{actor_id} ({held}) may not give {command}; it needs one of the roles: "
            f"{', '.join(sorted(allowed))}"
        )
