"""The approvals inbox (`book.approvals`): every four-eyes step waiting for a decision, and
for a given actor only those they may decide (the rule is `domain/approvals.py`)."""

from __future__ import annotations

from datetime import date

from attrs import frozen

from clientbook.application.policy import PolicyService
from clientbook.domain.actor import Actor
from clientbook.domain.approvals import may_decide, who_may_decide
from clientbook.domain.money import Money
from clientbook.projections.approvals import ApprovalsView, Pending
from clientbook.projections.runner import Refresh


@frozen
class Approval:
    """One step waiting for a decision, as the inbox lists it."""

    step: str
    what: str
    proposed_by: str
    amount: Money | None
    proposed_on: date
    age_days: int
    may_decide: str
    """The roles that may decide it, or "within approval authority"."""
    position: int


class Approvals:
    def __init__(self, view: ApprovalsView, policy: PolicyService, refresh: Refresh) -> None:
        self._view = view
        self._policy = policy
        self._refresh = refresh

    def pending(self, *, for_actor: Actor | None = None, on: date | None = None,
                at_least: int | None = None) -> list[Approval]:
        """Every pending step, oldest first; with `for_actor`, only those that actor may decide
        on the business date `on` (default: today), under the policy then; a step's age is
        counted to that date."""
        self._refresh(at_least)
        waiting = self._view.pending()
        today = on or date.today()
        if for_actor is not None:
            policy = self._policy.in_force(today)
            waiting = [p for p in waiting
                       if may_decide(for_actor, p.step, p.prepared_by, p.money, policy)]
        return [_listed(p, today) for p in waiting]


def _listed(p: Pending, today: date) -> Approval:
    return Approval(p.step, p.what, p.prepared_by, p.money, p.proposed_on,
                    max(0, (today - p.proposed_on).days), who_may_decide(p.step), p.position)
