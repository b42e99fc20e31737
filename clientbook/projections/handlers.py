"""The base of the book's projections: one method per event class, found once per class."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import singledispatchmethod
from typing import Any, TypeVar

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from clientbook.projections.view import TrackedView

V = TypeVar("V", bound=TrackedView)
Handler = Callable[[Any, Tracking], None]


class EventProjection(Projection[V]):
    """A projection whose `process_event` is a `@singledispatchmethod` with a method
    `.register`ed per event class (STYLE.md § 7).

    Python 3.11 wraps a singledispatchmethod anew on every access (`functools.update_wrapper`),
    which costs more than most handlers do; a rebuild calls it for every event. So each
    projection looks its handler up once per event class, and keeps it bound."""

    def __init__(self, view: V) -> None:
        super().__init__(view)
        generic = inspect.getattr_static(self, "process_event")
        assert isinstance(generic, singledispatchmethod), f"{type(self).__name__}.process_event"
        setattr(self, "process_event", _bound_once(self, generic))


def _bound_once(projection: object, generic: singledispatchmethod[Any]) -> Handler:
    handlers: dict[type, Handler] = {}

    def process_event(event: Any, tracking: Tracking) -> None:
        handler = handlers.get(event.__class__)
        if handler is None:
            method = generic.dispatcher.dispatch(event.__class__)
            handler = handlers[event.__class__] = method.__get__(projection)
        handler(event, tracking)

    return process_event
