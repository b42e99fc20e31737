"""Policy settings: read the settings in force; ✋ propose a change, another approves it."""

from __future__ import annotations

from datetime import date

from eventsourcing.utils import get_topic

from clientbook.application.app import ClientBookApplication
from clientbook.application.keyed import idempotent
from clientbook.domain.actor import Actor
from clientbook.domain.errors import PolicyError
from clientbook.domain.policy import Policy, PolicySettings, check_no_self_elevation

POLICY_TOPICS = tuple(
    get_topic(getattr(Policy, name))
    for name in ("Established", "SettingChanged", "ChangeProposed", "ChangeApproved")
)
"""Every Policy event class: how many of them the log held at a position is its version."""


class PolicyService:
    """The book's policy settings; defaults as in DOMAIN.md until a change is recorded.

    With `up_to`, the settings as the log held them at that position: a change recorded later,
    even one dated earlier, is not seen (what an as-of report and its manifest use)."""

    area = "policy"
    """Its name on the book (`book.policy`), and in its commands' idempotency keys."""

    def __init__(self, app: ClientBookApplication, *, up_to: int | None = None) -> None:
        self._app = app
        self._up_to = up_to

    def at(self, position: int) -> PolicyService:
        """The settings as the log held them at a position (a report cut there uses these)."""
        up_to = position if self._up_to is None else min(position, self._up_to)
        return PolicyService(self._app, up_to=up_to)

    def in_force(self, on: date | None = None) -> PolicySettings:
        """The settings in force on a business date (the latest when no date is given)."""
        policy_id = Policy.create_id()
        if self._up_to is not None:
            version = self._app.version_at(policy_id, POLICY_TOPICS, self._up_to)
            if version == 0:
                return PolicySettings()
            return self._app.get_version(policy_id, version).in_force(on)
        if not self._app.exists(policy_id):
            return PolicySettings()
        return self._app.get(Policy, policy_id, "policy").in_force(on)

    @idempotent
    def propose(
        self,
        name: str,
        value: str,
        *,
        reason: str,
        effective: date,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> int:
        """Propose a setting's (or a permission's) change from a business date on; it takes
        effect once another policy administrator approves it. Returns the proposal number."""
        check_no_self_elevation(name, value, by.roles, self.in_force(on), by.id)
        policy_id = Policy.create_id()
        if self._app.exists(policy_id):
            policy = self._app.get(Policy, policy_id, "policy")
        else:
            PolicySettings.parse(name, value)
            policy = Policy(settings=PolicySettings().as_text(), by=by.id, on=on)
        number = policy.propose(name, value, reason=reason, effective=effective, by=by.id, on=on)
        self._app.save_all(policy)
        return number

    @idempotent
    def approve(
        self, number: int, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        """✋ Approve a proposal: not its proposer, nor anyone whose limit or rights it raises;
        in force from its date or this business date, whichever is later."""
        policy_id = Policy.create_id()
        if not self._app.exists(policy_id):
            raise PolicyError(f"there is no policy proposal {number}")
        policy = self._app.get(Policy, policy_id, "policy")
        policy.approve(number, by=by.id, roles=by.roles, on=on)
        self._app.save_all(policy)
