"""The view interface every projection writes to: changes commit with the tracking position."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.utils import get_topic

from clientbook.domain.as_of import dated_prefix

__all__ = ["TrackedView", "dated_prefix", "event_class", "events_of", "topics"]


class TrackedView(TrackingRecorder, ABC):
    """A read model whose every change commits in one transaction with its tracking position.

    A projection writes inside `batch(tracking)`: the view's rows and the position they reflect
    commit together or not at all, so a crash never loses or double-counts an event.
    """

    name: str

    @abstractmethod
    def batch(self, tracking: Tracking) -> AbstractContextManager[int]:
        """A page's transaction, with the view's position locked: yields the position the view
        stood at; changes made inside commit together with `tracking` if that is further on."""

    @abstractmethod
    def reset(self) -> None:
        """Remove every row and the tracking position: the view is rebuilt from zero next."""


def topics(*classes: type) -> tuple[str, ...]:
    """The topics a projection subscribes to, from the event classes it handles."""
    return tuple(get_topic(cls) for cls in classes)


def events_of(aggregate: type[Aggregate], *names: str) -> tuple[type, ...]:
    """Every event class an aggregate triggers (not its base `Event` or `Created`); given names,
    only those classes, in the order named."""
    if names:
        return tuple(event_class(aggregate, name) for name in names)
    base = aggregate.Event
    return tuple(
        cls
        for cls in vars(aggregate).values()
        if isinstance(cls, type)
        and issubclass(cls, base)
        and cls.__name__ not in ("Event", "Created")
    )


def event_class(aggregate: type[Aggregate], name: str) -> type:
    """The aggregate's event class of this name, such as `event_class(Customer, "Registered")`.

    `@event("Registered")` makes `Customer.Registered` when the class is defined, so a type
    checker cannot see it as an attribute; projections name such classes through here. An unknown
    name fails on import, as the attribute would have."""
    for cls in events_of(aggregate):
        if cls.__name__ == name:
            return cls
    raise AttributeError(f"{aggregate.__qualname__} has no event class {name!r}")


def decode_page(mapper: Any, stored: Sequence[Any]) -> list[Any]:
    """Stored events (or notifications) decoded as one page: with the mapper's
    `to_domain_events` when it has one (clientbook's reads the keys of all the page's sealed
    fields in one query, afresh), else one by one."""
    decode = getattr(mapper, "to_domain_events", None)
    return (
        list(decode(stored)) if decode is not None else [mapper.to_domain_event(s) for s in stored]
    )
