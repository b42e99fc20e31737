"""Who acts: a user id with roles; approval authority and the four-eyes rule."""

from __future__ import annotations

from collections.abc import Iterable

from attrs import field, frozen

from clientbook.domain.errors import ApprovalAuthorityError, InvalidValueError
from clientbook.domain.four_eyes import canonical_id, require_four_eyes
from clientbook.domain.money import Money
from clientbook.domain.policy import PolicySettings
from clientbook.domain.text import check_text

ROLES = frozenset(
    {
        "officer",
        "supervisor",
        "manager",
        "general_manager",
        "administration",
        "credit_officer",
        "relationship_manager",
        "auditor",
        "batch",
        "cardholder",
    }
)


def _roles(value: str | Iterable[str]) -> frozenset[str]:
    roles = frozenset({value} if isinstance(value, str) else value)
    unknown = sorted(roles - ROLES)
    if unknown:
        raise InvalidValueError(
            f"unknown role(s) {', '.join(unknown)}; known: {', '.join(sorted(ROLES))}"
        )
    return roles


def _user_id(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError("an actor needs a user id, such as 'u-clerk'")
    if value != value.strip():
        raise InvalidValueError(f"user id {value!r} has surrounding whitespace; give it without")
    check_text(value, "user id")


@frozen
class Actor:
    """A person or batch acting on the book: recorded as `by` on every event."""

    id: str = field(validator=_user_id)
    roles: frozenset[str] = field(factory=frozenset, converter=_roles)

    @property
    def canonical(self) -> str:
        """The id as four eyes compares it (see canonical_id)."""
        return canonical_id(self.id)

    def authority(self, policy: PolicySettings) -> Money | None:
        """The highest approval limit over this actor's roles; None means unlimited."""
        limits = [policy.approval_limit(role) for role in self.roles if policy.has_limit_for(role)]
        if not limits:
            return Money.zero(policy.currency)
        if any(limit is None for limit in limits):
            return None
        return max(limits, key=lambda m: m.amount)  # type: ignore[union-attr]

    def require_authority(self, amount: Money, policy: PolicySettings, what: str) -> None:
        """Refuse to approve `what` above this actor's approval authority."""
        limit = self.authority(policy)
        if limit is not None and amount > limit:
            raise ApprovalAuthorityError(
                f"{self.id} ({', '.join(sorted(self.roles)) or 'no role'}) may approve up to "
                f"{limit}; {what} is {amount}"
            )


__all__ = ["ROLES", "Actor", "canonical_id", "require_four_eyes"]
