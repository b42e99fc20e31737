"""Every keyed command checks the permission table in force (see domain/permissions.py)."""

from __future__ import annotations

from datetime import date

from clientbook.application.app import ClientBookApplication
from clientbook.domain.actor import Actor
from clientbook.domain.permissions import require_permission
from clientbook.domain.policy import Policy, PolicySettings


def check_permission(app: ClientBookApplication, command: str, by: Actor, on: date | None) -> None:
    """Refuse a command to an actor whose roles the permission table in force on the business
    date does not allow to give it. The policy is a checked read (`checked_read`): from memory,
    and the command's save fails if the policy changed meanwhile (then it is given again)."""
    policy = app.checked_read(Policy, _POLICY, "policy")
    settings = _DEFAULTS if policy is None else policy.in_force(on)
    require_permission(command, by.roles, by.id, settings.permission_table())


_POLICY = Policy.create_id()
_DEFAULTS = PolicySettings()
"""The settings of a book without a policy (frozen: one copy serves every command)."""
