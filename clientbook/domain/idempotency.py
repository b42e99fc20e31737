"""Idempotency keys: the record of a command's first use of a key, so that a retry with the
same key returns its result instead of writing again.

A key's record is an aggregate whose id is derived from the key: two writers that use one key at
the same time both try to write its version 1, and the store lets one of them succeed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import event

from clientbook.domain.base import BookAggregate, business_key_id
from clientbook.domain.errors import InvalidIdempotencyKeyError

MAX_KEY_LENGTH = 255
"""The longest key a command takes, in characters (as payment APIs allow)."""


def check_key(key: object) -> str:
    """The key, if it is one: printable text of 1 to MAX_KEY_LENGTH characters."""
    if not isinstance(key, str):
        raise InvalidIdempotencyKeyError(
            f"an idempotency key is a string, not {type(key).__name__} {key!r}"
        )
    if not key.strip():
        raise InvalidIdempotencyKeyError("an idempotency key must not be empty or blank")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidIdempotencyKeyError(
            f"an idempotency key has at most {MAX_KEY_LENGTH} characters; this one has {len(key)}"
        )
    if not key.isprintable():
        raise InvalidIdempotencyKeyError(
            f"an idempotency key is printable text; {key!r} has control characters"
        )
    return key


def key_id(key: str) -> UUID:
    """The id of a key's record: the same key always gives the same id."""
    return business_key_id("idempotency-key", key)


class IdempotencyKey(BookAggregate):
    """A key and its use: the command, a digest of its arguments, who gave it, what it returned
    (`result`, as JSON) and the ids of the aggregates it created."""

    @staticmethod
    def create_id(key: str) -> UUID:
        return key_id(key)

    @event("Used")
    def __init__(
        self, key: str, command: str, digest: str, result: str, created: tuple[UUID, ...], by: str
    ) -> None:
        self.key = key
        self._use(command, digest, result, created, by)

    def use_again(
        self, *, command: str, digest: str, result: str, created: tuple[UUID, ...], by: str
    ) -> None:
        """A new use of a key whose last use has expired (see `expired`)."""
        self._used_again(command, digest, result, created, by)

    @event("UsedAgain")
    def _used_again(
        self, command: str, digest: str, result: str, created: tuple[UUID, ...], by: str
    ) -> None:
        self._use(command, digest, result, created, by)

    def _use(
        self, command: str, digest: str, result: str, created: tuple[UUID, ...], by: str
    ) -> None:
        self.command, self.digest, self.result = command, digest, result
        self.created, self.used_by = tuple(created), by

    @property
    def used_at(self) -> datetime:
        """When the key was last used (the time its record was written, UTC)."""
        return self.modified_on

    def expired(self, now: datetime, days: int) -> bool:
        """Whether the last use is older than the period keys are kept for."""
        return now - self.used_at > timedelta(days=days)
