"""Policy settings: read the settings in force, change one with a reason."""

from __future__ import annotations

from datetime import date

from clientbook.application.app import ClientBookApplication
from clientbook.domain.actor import Actor
from clientbook.domain.policy import Policy, PolicySettings


class PolicyService:
    """The book's policy settings; defaults as in DOMAIN.md until a change is recorded."""

    def __init__(self, app: ClientBookApplication) -> None:
        self._app = app

    def in_force(self, on: date | None = None) -> PolicySettings:
        """The settings in force on a business date (the latest when no date is given)."""
        policy_id = Policy.create_id()
        if not self._app.exists(policy_id):
            return PolicySettings()
        return self._app.get(Policy, policy_id, "policy").in_force(on)

    def change(self, name: str, value: str, *, reason: str, by: Actor, on: date) -> None:
        """Change one setting from a business date on; the change is an event by `by`."""
        policy_id = Policy.create_id()
        if self._app.exists(policy_id):
            policy = self._app.get(Policy, policy_id, "policy")
        else:
            PolicySettings.parse(name, value)
            policy = Policy(settings=PolicySettings().as_text(), by=by.id, on=on)
        policy.change(name, value, reason=reason, by=by.id, on=on)
        self._app.save_all(policy)
