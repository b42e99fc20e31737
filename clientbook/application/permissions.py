"""Every keyed command checks the permission table in force (see domain/permissions.py)."""

from __future__ import annotations

from datetime import date

from clientbook.application.app import ClientBookApplication
from clientbook.domain.actor import Actor
from clientbook.domain.errors import NotFoundError
from clientbook.domain.permissions import require_permission
from clientbook.domain.policy import Policy, PolicySettings


def check_permission(app: ClientBookApplication, command: str, by: Actor, on: date | None) -> None:
    """Refuse a command to an actor whose roles the permission table in force on the business
    date does not allow to give it (one load of the policy, from the aggregate cache)."""
    try:
        settings = app.get(Policy, Policy.create_id(), "policy").in_force(on)
    except NotFoundError:
        settings = PolicySettings()
    require_permission(command, by.roles, by.id, settings.permission_table())
