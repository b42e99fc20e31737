"""The base of the book's projections: one method per event class, found once per class."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
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
    projection looks its handler up once per event class, and keeps it bound; and the runner
    gives it a page at a time (`process_page`), which calls each event's handler directly."""

    def __init__(self, view: V) -> None:
        super().__init__(view)
        generic = inspect.getattr_static(self, "process_event")
        assert isinstance(generic, singledispatchmethod), f"{type(self).__name__}.process_event"
        self._generic: singledispatchmethod[Any] = generic
        self._handlers: dict[type, Handler] = {}
        setattr(self, "process_event", self._process_event)

    def process_page(self, events: Sequence[tuple[Tracking, Any]]) -> None:
        """The events of a page, in log order, each by its class's handler."""
        handlers = self._handlers
        for tracking, event in events:
            handler = handlers.get(event.__class__) or self._handler_of(event.__class__)
            handler(event, tracking)

    def _process_event(self, event: Any, tracking: Tracking) -> None:
        (self._handlers.get(event.__class__) or self._handler_of(event.__class__))(event, tracking)

    def _handler_of(self, event_class: type) -> Handler:
        method = self._generic.dispatcher.dispatch(event_class)
        handler: Handler = method.__get__(self)
        self._handlers[event_class] = handler
        return handler
