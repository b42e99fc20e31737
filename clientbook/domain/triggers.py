"""A cheaper way from a command's `@event` method to its event, with the library's contracts.

eventsourcing's `@event` hands every call through a bound decorator object (made afresh at
each attribute access), matches the arguments to the signature and filters them twice, then
`trigger_event` builds the event and `mutate` calls the method again through `apply`, which
filters the event's attributes once more: about 60% of a card account's statement day
(benchmarks/README.md, issue 16). Here each decorated method of a `BookAggregate` class gets a
descriptor that does the matching with names worked out once per method, and each event class
an `apply` with its method's parameter names worked out once. The events are the library's
classes, built by `trigger_event` and applied by `mutate` (versions, timestamps, pending events
as ever); a call the quick matching cannot settle goes the library's way, with its errors.
"""

from __future__ import annotations

import dataclasses
import inspect
from types import MethodType
from typing import Any
from uuid import UUID

from eventsourcing.domain import (
    CanMutateAggregate,
    CommandMethodDecorator,
    DecoratedFuncCaller,
    DomainEvent,
    decorated_func_callers,
    decorated_funcs,
)

_EMPTY = inspect.Parameter.empty


class QuickCommand:
    """Stands for a `CommandMethodDecorator` on its aggregate class: a call on an aggregate
    triggers the decorator's event class with the call's arguments by name."""

    def __init__(self, decorator: CommandMethodDecorator, event_class: type[Any]) -> None:
        self.decorator = decorator
        self.event_class = event_class
        params = list(inspect.signature(decorator.decorated_func).parameters.values())[1:]
        self.positional = tuple(
            p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        )
        self.names = frozenset(p.name for p in params)
        self.defaults = tuple((p.name, p.default) for p in params if p.default is not _EMPTY)
        fields = set(inspect.signature(event_class).parameters)
        self.fields = None if self.names <= fields else frozenset(self.names & fields)
        """The event's fields among the arguments, when not all of them are (else None)."""
        self.__doc__ = decorator.decorated_func.__doc__
        self.__name__ = decorator.decorated_func.__name__

    def __get__(self, instance: Any, owner: type[Any]) -> Any:
        if instance is None:
            return self.decorator.__get__(None, owner)
        return MethodType(self, instance)

    def __call__(self, aggregate: Any, *args: Any, **kwargs: Any) -> None:
        values = self.arguments(args, kwargs)
        if values is None:  # the library's way, which raises its TypeError for this call
            self.decorator.__get__(aggregate, type(aggregate))(*args, **kwargs)
            return
        if self.fields is not None:
            values = {k: v for k, v in values.items() if k in self.fields}
        aggregate.trigger_event(self.event_class, **values)

    def arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any] | None:
        """Every argument by name, defaults filled in; None when the call does not fit the
        signature exactly (too many, unknown, twice or missing)."""
        positional = self.positional
        if len(args) > len(positional):
            return None
        values = dict(zip(positional, args))
        for name, value in kwargs.items():
            if name in values or name not in self.names:
                return None
            values[name] = value
        for name, default in self.defaults:
            if name not in values:
                values[name] = default
        return values if len(values) == len(self.names) else None


def _quick_apply(func: Any, names: tuple[str, ...]) -> Any:
    def apply(self: Any, aggregate: Any) -> None:
        """Applies the event by calling the method decorated by @event with the event's
        attributes of its parameters' names (as `DecoratedFuncCaller.apply`)."""
        state = self.__dict__
        func(aggregate, **{n: state[n] for n in names if n in state})

    return apply


def quicken(cls: type[Any]) -> None:
    """Give each `@event` method defined on `cls` (not `__init__`, not a property) a
    `QuickCommand`, and its event class a quick `apply`, where the library's own would only
    call the method (no base event class between defines `apply`)."""
    for name, value in tuple(cls.__dict__.items()):
        if not isinstance(value, CommandMethodDecorator) or value.decorated_property:
            continue
        func = value.decorated_func
        if func.__name__ in ("__init__", "_") or value not in decorated_func_callers:
            continue
        event_class: Any = decorated_func_callers[value]
        setattr(cls, name, QuickCommand(value, event_class))
        if event_class.apply is DecoratedFuncCaller.apply and decorated_funcs[event_class] is func:
            after = super(DecoratedFuncCaller, event_class).apply
            if getattr(after, "__func__", after) is CanMutateAggregate.apply:
                names = tuple(list(inspect.signature(func).parameters)[1:])
                event_class.apply = _quick_apply(func, names)


_Plan = tuple[tuple[str, ...], frozenset[str], dict[str, Any]]
_PLANS: dict[type, _Plan | None] = {}
_EXPLICIT: dict[type, bool] = {}
"""Aggregate classes with an explicit TOPIC, whose events the library checks when triggered."""


def _plan(event_class: type[Any]) -> _Plan | None:
    """The event class's fields in order and their defaults, where its dataclass `__init__`
    only sets them and checks the originator id is a UUID (`DomainEvent.__post_init__`)."""
    if not dataclasses.is_dataclass(event_class) or getattr(event_class, "TOPIC", None):
        return None
    post_init = getattr(event_class, "__post_init__", None)
    if post_init is not None and post_init is not DomainEvent.__post_init__:
        return None
    names, defaults = [], {}
    for f in dataclasses.fields(event_class):
        if not f.init or f.default_factory is not dataclasses.MISSING:
            return None
        names.append(f.name)
        if f.default is not dataclasses.MISSING:
            defaults[f.name] = f.default
    return tuple(names), frozenset(names), defaults


def new_event(event_class: type[Any], aggregate: Any, values: dict[str, Any]) -> Any:
    """The event `trigger_event` makes (the next version of the aggregate, timestamped now),
    its state set as its dataclass `__init__` sets it, field by field in order; None when the
    class or the values need the library's way (which raises its errors)."""
    try:
        plan = _PLANS[event_class]
    except KeyError:
        plan = _PLANS[event_class] = _plan(event_class)
    kind = type(aggregate)
    explicit = _EXPLICIT.get(kind)
    if explicit is None:
        explicit = _EXPLICIT[kind] = bool(getattr(kind, "TOPIC", None))
    if plan is None or explicit:
        return None
    names, fields, defaults = plan
    given = dict(values)
    given["originator_id"] = aggregate.id
    given["originator_version"] = aggregate.version + 1
    if given.get("timestamp") is None:
        given["timestamp"] = event_class.create_timestamp()
    if not given.keys() <= fields or not isinstance(given["originator_id"], UUID):
        return None
    try:
        state = {n: given[n] if n in given else defaults[n] for n in names}
    except KeyError:  # a field without a value or a default
        return None
    made = object.__new__(event_class)
    object.__setattr__(made, "__dict__", state)
    return made
