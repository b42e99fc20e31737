"""Small checks every aggregate's commands share."""

from __future__ import annotations

from clientbook.domain.errors import InvalidAmountError, ReasonRequiredError
from clientbook.domain.money import Money


def require_positive(amount: Money, what: str) -> Money:
    """Refuse zero or a negative amount where only a positive one makes sense."""
    if amount.amount <= 0:
        raise InvalidAmountError(f"{what} must be more than zero; got {amount}")
    return amount


def require_reason(reason: str, what: str) -> str:
    """Refuse a step that must say why, given no reason; returns the reason trimmed."""
    if not isinstance(reason, str) or not reason.strip():
        raise ReasonRequiredError(f"{what} needs a reason")
    return reason.strip()
