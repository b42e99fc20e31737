"""Four eyes: the approver of a step is another person than whoever prepared it."""

from __future__ import annotations

from clientbook.domain.errors import FourEyesError


def canonical_id(user_id: str) -> str:
    """A user id as compared to another: case does not make another person."""
    return user_id.casefold()


def require_four_eyes(prepared_by: str, approver: str, what: str) -> None:
    """Refuse an approval by the same person who proposed or prepared the step."""
    if canonical_id(prepared_by) == canonical_id(approver):
        raise FourEyesError(f"{what} was prepared by {prepared_by}; another person must approve it")
