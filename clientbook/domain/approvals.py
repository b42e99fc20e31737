"""Who may decide a four-eyes step (✋) waiting in the approvals inbox: never the person who
prepared it (user ids compared as four eyes compares them), only with a role the step
needs, and within their approval authority where the step has an amount.

The roles per step are the domain's rules for each decision: an amount within authority (credit
lines and their limit increases, card limit increases and write-offs, a complaint's resolution);
the department supervisor, administration and the general manager for a complaint report's
three reviews; a manager or general manager for assessments and market declarations; any staff
for a referred card application (whose limit the decider sets within their authority) and
for a segment change; policy administration for a policy change (one step per proposal:
`policy_change:3`)."""

from __future__ import annotations

from clientbook.domain.actor import Actor
from clientbook.domain.assessment import APPROVER_ROLES
from clientbook.domain.complaint import REVIEW_STAGES
from clientbook.domain.four_eyes import canonical_id
from clientbook.domain.money import Money
from clientbook.domain.permissions import POLICY_ADMINISTRATION, STAFF
from clientbook.domain.policy import PolicySettings

AUTHORITY = "within approval authority"
STEPS: dict[str, frozenset[str] | str] = {
    "credit_line": AUTHORITY,
    "credit_limit_increase": AUTHORITY,
    "card_limit_increase": AUTHORITY,
    "card_write_off": AUTHORITY,
    "complaint_resolution": AUTHORITY,
    "card_referral": frozenset(
        {"officer", "supervisor", "manager", "general_manager", "credit_officer"}
    ),
    "manager_assessment": APPROVER_ROLES,
    "market_declaration": APPROVER_ROLES,
    "segment_change": STAFF,
    "policy_change": POLICY_ADMINISTRATION,
    **{
        f"complaint_report_{stage}": frozenset({role})
        for stage, (role, _, _) in REVIEW_STAGES.items()
    },
}
"""Who may take each step: the roles, or any role whose approval authority covers the amount."""


def kind_of(step: str) -> str:
    """A step's kind: `policy_change:3` is a `policy_change`."""
    return step.split(":", 1)[0]


def who_may_decide(step: str) -> str:
    rule = STEPS.get(kind_of(step), frozenset())
    return rule if isinstance(rule, str) else ", ".join(sorted(rule))


def may_decide(
    actor: Actor, step: str, prepared_by: str, amount: Money | None, policy: PolicySettings
) -> bool:
    if canonical_id(actor.id) == canonical_id(prepared_by):
        return False
    rule = STEPS.get(kind_of(step))
    if rule is None:
        return False
    if isinstance(rule, frozenset):
        return bool(actor.roles & rule)
    limit = actor.authority(policy)
    if limit is None:
        return True
    return limit.amount > 0 and (amount is None or amount.amount <= limit.amount)
