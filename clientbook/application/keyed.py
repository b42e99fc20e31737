"""`@idempotent`: a service command that takes `idempotency_key=` (see idempotency.py)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar
from uuid import UUID

from clientbook.application.app import ClientBookApplication, StaleReadError
from clientbook.application.permissions import check_permission
from clientbook.domain.inputs import checked_arguments

if TYPE_CHECKING:
    from clientbook.application.idempotency import Idempotency

P = ParamSpec("P")
STALE_READ_ATTEMPTS = 3
R = TypeVar("R")

_DECODERS: dict[str, Callable[[Any], Any]] = {
    "None": lambda value: None,
    "bool": bool,
    "int": int,
    "UUID": UUID,
}
"""How a recorded result is read back, by the command's return annotation."""


def idempotent(func: Callable[P, R]) -> Callable[P, R]:
    """Let a service command take `idempotency_key=` (see the module's docstring). The service
    has `_app` and `area` (its name on the book); the command has `by` and declares
    `idempotency_key: str | None = None`, which this wrapper takes off before calling it."""
    return _keyed(func, func.__name__)


def idempotent_as(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """`@idempotent` for a private part of a public command, under the public one's name."""
    return lambda func: _keyed(func, name)


def _keyed(func: Callable[P, R], command_name: str) -> Callable[P, R]:
    signature = inspect.signature(func)
    key = signature.parameters.get("idempotency_key")
    if key is None or key.kind is not key.KEYWORD_ONLY or key.default is not None:
        raise TypeError(f"{func.__qualname__} must declare `idempotency_key: str | None = None`")
    if "by" not in signature.parameters:
        raise TypeError(f"{func.__qualname__} must take the acting `by`")
    decode = _DECODERS.get(str(func.__annotations__.get("return")))
    if decode is None:
        raise TypeError(
            f"{func.__qualname__} returns {func.__annotations__.get('return')}, "
            f"which a key cannot record; known: {', '.join(_DECODERS)}"
        )

    checks: list[Callable[[Any], None]] = []
    binding = Binding(signature)

    @functools.wraps(func)
    def command(*args: P.args, **kwargs: P.kwargs) -> R:
        """The command, given again (a few times at most) when what it read from memory
        changed before its save (StaleReadError: nothing of it was written)."""
        app: ClientBookApplication = getattr(args[0], "_app")
        for attempt in range(1, STALE_READ_ATTEMPTS + 1):
            try:
                with app.command_reads():
                    return checked(*args, **kwargs)
            except StaleReadError:
                if attempt == STALE_READ_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        if not checks:  # built at the first call: the type hints are resolvable by then
            area = getattr(args[0], "area", "book")
            checks.append(checked_arguments(f"{area}.{command_name}", func))
        arguments = binding.arguments(args, kwargs)
        checks[0](arguments)
        service = args[0]
        check_permission(
            getattr(service, "_app"),
            f"{getattr(service, 'area')}.{command_name}",
            arguments["by"],
            arguments.get("on"),
        )
        key = kwargs.pop("idempotency_key", None)
        if key is None:
            return func(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        service, *_ = args
        arguments = {
            name: value
            for name, value in bound.arguments.items()
            if name not in ("self", "idempotency_key")
        }
        name = f"{getattr(service, 'area')}.{command_name}"
        keys: Idempotency = getattr(service, "_app").idempotency
        subject_of = getattr(service, "personal_subject", None)
        if subject_of is not None:
            arguments = keys.fingerprinted(subject_of(arguments), arguments)
        result: R = keys.run(key, name, arguments, lambda: func(*args, **kwargs), decode)
        return result

    setattr(command, "idempotent", True)
    return command


class Binding:
    """A command's arguments by name, as `signature.bind(...).arguments` gives them (in the
    signature's order, defaults not filled in); a call that does not fit the signature raises
    TypeError (the caller's bug). A call that names what it gives, or gives it in order, as
    commands are given, is bound without `inspect`, whose bind was a tenth of a registration's
    time in Python."""

    def __init__(self, signature: inspect.Signature) -> None:
        self._signature = signature
        parameters = list(signature.parameters.values())[1:]  # after `self`
        named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        self._simple = all(p.kind in named for p in parameters)
        self._order = [p.name for p in parameters]
        self._positional = [
            p.name for p in parameters if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        ]
        self._accepted = frozenset(self._order)
        self._required = frozenset(p.name for p in parameters if p.default is p.empty)

    def arguments(self, args: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        given = len(args) - 1
        if self._simple and 0 <= given <= len(self._positional):
            found = dict(zip(self._positional[:given], args[1:])) if given else {}
            names = kwargs.keys()
            if not (found.keys() & names) and names <= self._accepted:
                found.update(kwargs)
                if self._required <= found.keys():
                    return {name: found[name] for name in self._order if name in found}
        bound = self._signature.bind(*args, **kwargs)
        return {name: value for name, value in bound.arguments.items() if name != "self"}
