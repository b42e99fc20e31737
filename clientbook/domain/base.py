"""The base of every clientbook aggregate: every event records who acted."""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from clientbook.domain.errors import InvalidValueError
from clientbook.domain.money import Money
from clientbook.domain.triggers import new_event, quicken

NAMESPACE = uuid5(NAMESPACE_URL, "https://clientbook.invalid/ids")


def business_key_id(kind: str, key: str) -> UUID:
    """A deterministic id from a business key, so that a duplicate key collides in the store."""
    return uuid5(NAMESPACE, f"{kind}/{key}")


def _check_who_and_when(kwargs: dict[str, Any]) -> None:
    """Every event records who acted, and an event that has a business date has a date
    (DOMAIN.md, "Everything, always"): checked once, when the command records it."""
    by = kwargs.get("by")
    if type(by) is not str or not by:
        raise InvalidValueError(f"an event records who acted as a user id, not {by!r}")
    if "on" in kwargs and type(kwargs["on"]) is not date:
        raise InvalidValueError(f"a business date must be a date, not {kwargs['on']!r}")


_SHARED: frozenset[type] = frozenset(
    {str, int, float, bool, type(None), Decimal, date, datetime, UUID, Money}
)
"""Immutable values a copy of an aggregate's state may share with the original."""


def _copied(value: Any, memo: dict[int, Any], shared: frozenset[type]) -> Any:
    """A copy of a piece of aggregate state: containers are rebuilt, immutable values shared,
    anything else deep-copied."""
    kind = type(value)
    if kind in shared:
        return value
    if kind is list:  # copied, then only its items that are not shared are copied in turn
        out = value.copy()
        for n, v in enumerate(out):
            if type(v) not in shared:
                out[n] = _copied(v, memo, shared)
        return out
    if kind is dict:
        mapping = value.copy()
        for k, v in mapping.items():
            if type(v) not in shared:
                mapping[k] = _copied(v, memo, shared)
        return mapping
    if kind is tuple:
        if all(type(v) in shared for v in value):
            return value
        return tuple(_copied(v, memo, shared) for v in value)
    if kind is set:
        return set(value)
    if kind is frozenset:
        return value
    return copy.deepcopy(value, memo)


class BookAggregate(Aggregate):
    """An aggregate whose every event carries `by`, the acting user's id."""

    value_types: ClassVar[frozenset[type]] = frozenset()
    """The aggregate's own immutable value classes (frozen, holding only immutable values),
    which a copy may share."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        quicken(cls)  # the library's @event calls, without its per-call signature work

    def __deepcopy__(self, memo: dict[int, Any]) -> BookAggregate:
        """The repository's cache hands out deep copies, so that a command that fails half-way
        leaves the cached aggregate untouched. `copy.deepcopy` walks every Money and Decimal of
        a long-lived account through `__reduce_ex__`; this rebuilds only the containers and
        shares the immutable values, which made a day's card batch about twice as fast."""
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        clone.__dict__.update(_copied(self.__dict__, memo, self._shared_types()))
        return clone

    @classmethod
    def _shared_types(cls) -> frozenset[type]:
        shared = cls.__dict__.get("_shared")
        if shared is None:
            shared = _SHARED | cls.value_types
            setattr(cls, "_shared", shared)  # once per class
        return shared

    @classmethod
    def _create(cls, event_class: Any, *, id: Any = None, **kwargs: Any) -> Any:
        _check_who_and_when(kwargs)
        return super()._create(event_class, id=id, **kwargs)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """The library's `trigger_event`, with the event made as its dataclass would make it
        (triggers.py): applied by its `mutate`, then pending."""
        _check_who_and_when(kwargs)
        made = new_event(event_class, self, kwargs)
        if made is None:
            super().trigger_event(event_class, **kwargs)
            return
        made.mutate(self)
        self._pending_events.append(made)

    class Event(Aggregate.Event):
        by: str
        personal_fields: ClassVar[frozenset[str]] = frozenset()

    class Created(Event, Aggregate.Created):
        pass
