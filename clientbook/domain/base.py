"""The base of every clientbook aggregate: every event records who acted."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from clientbook.domain.errors import InvalidValueError

NAMESPACE = uuid5(NAMESPACE_URL, "https://clientbook.invalid/ids")


def business_key_id(kind: str, key: str) -> UUID:
    """A deterministic id from a business key, so that a duplicate key collides in the store."""
    return uuid5(NAMESPACE, f"{kind}/{key}")


def _check_business_date(kwargs: dict[str, Any]) -> None:
    on = kwargs.get("on")
    if on is not None and (type(on) is not date):
        raise InvalidValueError(f"a business date must be a date, not {on!r}")


class BookAggregate(Aggregate):
    """An aggregate whose every event carries `by`, the acting user's id."""

    @classmethod
    def _create(cls, event_class: Any, *, id: Any = None, **kwargs: Any) -> Any:
        _check_business_date(kwargs)
        return super()._create(event_class, id=id, **kwargs)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        _check_business_date(kwargs)
        super().trigger_event(event_class, **kwargs)

    class Event(Aggregate.Event):
        by: str
        personal_fields: ClassVar[frozenset[str]] = frozenset()

    class Created(Event, Aggregate.Created):
        pass
