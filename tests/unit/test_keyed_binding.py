"""A keyed command's arguments by name: what `inspect.Signature.bind` gives, without it for
the calls commands are given (by keyword, or their leading arguments in order)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from clientbook.application.keyed import Binding


class Service:
    def command(self, customer: str, amount: int = 0, *, by: str, on: str | None = None) -> None:
        """A command's shape: positional-or-keyword first, then keyword-only."""


SIGNATURE = inspect.signature(Service.command)
SELF = Service()
CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((SELF,), {"customer": "c", "by": "u"}),
    ((SELF,), {"by": "u", "customer": "c", "on": "d"}),
    ((SELF, "c"), {"by": "u"}),
    ((SELF, "c", 5), {"on": "d", "by": "u"}),
    ((SELF,), {"amount": 1, "customer": "c", "by": "u"}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_a_call_is_bound_as_inspect_binds_it_in_the_signatures_order(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    expected = {
        name: value
        for name, value in SIGNATURE.bind(*args, **kwargs).arguments.items()
        if name != "self"
    }
    found = Binding(SIGNATURE).arguments(args, kwargs)

    assert found == expected
    assert list(found) == list(expected)


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_the_calls_commands_are_given_are_bound_without_inspect(
    args: tuple[Any, ...], kwargs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    binding = Binding(SIGNATURE)

    def refused(*_: Any, **__: Any) -> Any:
        raise AssertionError("bound with inspect")

    monkeypatch.setattr(inspect.Signature, "bind", refused)

    assert binding.arguments(args, kwargs)["by"] == "u"


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((SELF,), {"customer": "c"}),  # `by` missing
        ((SELF,), {"customer": "c", "by": "u", "colour": "red"}),  # no such parameter
        ((SELF, "c"), {"customer": "c", "by": "u"}),  # given twice
        ((SELF, "c", 5, "x"), {"by": "u"}),  # too many in order
    ],
)
def test_a_call_that_does_not_fit_the_signature_is_refused_as_inspect_refuses_it(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(TypeError):
        SIGNATURE.bind(*args, **kwargs)
    with pytest.raises(TypeError):
        Binding(SIGNATURE).arguments(args, kwargs)
