"""The base of every clientbook aggregate: every event records who acted."""

from __future__ import annotations

from typing import ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

NAMESPACE = uuid5(NAMESPACE_URL, "https://clientbook.invalid/ids")


def business_key_id(kind: str, key: str) -> UUID:
    """A deterministic id from a business key, so that a duplicate key collides in the store."""
    return uuid5(NAMESPACE, f"{kind}/{key}")


class BookAggregate(Aggregate):
    """An aggregate whose every event carries `by`, the acting user's id."""

    class Event(Aggregate.Event):
        by: str
        personal_fields: ClassVar[frozenset[str]] = frozenset()

    class Created(Event, Aggregate.Created):
        pass
