"""The edge of the domain: every public command's arguments are checked for type, range and
form before any rule runs, so a bad value is refused with an `InvalidInput` naming the
parameter, and nothing is written.

The checks follow each command's type hints (a `date` is a `date`, an `Actor` an `Actor`, a
`Money` a non-negative `Money`) and, for text, the parameter's name (prose may hold line
breaks; names and prose may be longer than codes). Rules that need the book's state (an
unknown customer, a closed one) stay with the commands.
"""

from __future__ import annotations

import functools
import inspect
import re
import types
import typing
from collections import abc
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Union
from uuid import UUID

from clientbook.domain.actor import Actor
from clientbook.domain.errors import InvalidAmountInput, InvalidInput
from clientbook.domain.group import Link
from clientbook.domain.money import MAX_AMOUNT, Money
from clientbook.domain.text import NAME_MAX, PROSE_MAX, SHORT_MAX, shown, check_text

PROSE = frozenset(
    {
        "reason",
        "request",
        "cause",
        "course_of_events",
        "responsible_party",
        "conclusion",
        "countermeasures",
        "prevention",
        "opinion",
        "reply",
        "text",
        "note",
        "outcome",
        "detail",
        "findings",
        "address",
        "evidence",
    }
)
"""Text a person writes: line breaks allowed, up to PROSE_MAX characters."""
NAMES = frozenset({"name", "merchant"})
"""Names of people, organisations and merchants: up to NAME_MAX characters."""
OWN_RULES = frozenset({"idempotency_key"})
"""Checked by their own rule (an idempotency key: printable, 1–255 characters)."""
INT_RANGES: Mapping[str, tuple[int, int]] = {"age": (0, 150)}
INT_DEFAULT = (-1_000_000_000, 1_000_000_000)
"""Other whole numbers (days, scores) keep their commands' own ranges; this only bounds them."""
NOT_NEGATIVE = frozenset({"annual_fee", "monthly_income"})
"""Amounts whose commands had no rule against a negative; every other amount's command has
its own (`require_positive`, `require_not_negative`), whose message it keeps."""
FORM_RULES: Mapping[str, frozenset[str]] = {
    "customers.register": frozenset({"number", "phone"}),
    "customers.update_profile": frozenset({"phone"}),
}
"""Parameters whose command matches them against a form (a customer number, a phone) that no
control character fits: the form's message says more than the control character would."""
DECIMAL_MAX = Decimal(1_000_000)
"""Rates and percentages (an APR, an interest rate) are far below this."""
SEQUENCE_MAX = 1_000
"""Instalments in one plan or schedule."""

Check = Callable[[str, Any], object]
_IDENTITY_SHAPE = re.compile(r"[0-9]{15}|[0-9]{17}[0-9Xx]")


def checked_arguments(
    command: str, func: Callable[..., Any]
) -> Callable[[Mapping[str, Any]], None]:
    """The check of a command's arguments (by name), built once from its type hints."""
    hints = typing.get_type_hints(func)
    formed = FORM_RULES.get(command, frozenset())
    checks = {
        name: _check_for(name, hint, formed)
        for name, hint in hints.items()
        if name not in ("return", *OWN_RULES)
    }

    def check(arguments: Mapping[str, Any]) -> None:
        for name, value in arguments.items():
            rule = checks.get(name)
            if rule is not None:
                try:
                    rule(name, value)
                except InvalidInput as error:
                    raise type(error)(f"{command}: {error}", parameter=error.parameter) from None

    return check


F = typing.TypeVar("F", bound=Callable[..., Any])


def checked(command: str) -> Callable[[F], F]:
    """A decorator for an entry point that is not a keyed service command (close of business,
    a report): its arguments are checked the same way before it runs."""

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        checks: list[Callable[[Mapping[str, Any]], None]] = []

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            if not checks:
                checks.append(checked_arguments(command, func))
            checks[0](signature.bind(*args, **kwargs).arguments)
            return func(*args, **kwargs)

        return typing.cast(F, run)

    return decorate


def _check_for(name: str, hint: Any, formed: frozenset[str] = frozenset()) -> Check:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        rule = _check_for(name, inner[0], formed) if len(inner) == 1 else _anything
        return _optional(rule) if type(None) in typing.get_args(hint) else rule
    if origin is tuple:
        return functools.partial(_pair, [_check_for(name, a) for a in typing.get_args(hint)])
    if isinstance(origin, type) and issubclass(origin, abc.Sequence):
        (item,) = typing.get_args(hint)
        return functools.partial(_sequence, _check_for(name, item))
    if hint is str:
        special = {"document_number": _document, "phone": _phone}.get(name)
        return special or _text_rule(name, name in formed)
    return _BY_TYPE.get(hint, _instance_of(hint))


def _text_rule(name: str, formed: bool) -> Check:
    maximum = PROSE_MAX if name in PROSE else NAME_MAX if name in NAMES else SHORT_MAX
    prose = name in PROSE
    return lambda n, v: check_text(v, n, maximum=maximum, prose=prose, controls=not formed)


def _document(name: str, value: Any) -> None:
    """Identity document numbers are compared without spaces (see customer.py) and scanned
    so; one shaped like a national identity number (15 digits, or 17 and a check character,
    valid or not) is taken for one: old 15-digit numbers and data entered without the check
    character must not be refused as card numbers."""
    check_text(value, name, card_scan=False)
    compact = re.sub(r"\s+", "", value)
    if not _IDENTITY_SHAPE.fullmatch(compact):
        check_text(compact, name)


def _phone(name: str, value: Any) -> None:
    """A phone number has at most 15 digits (ITU E.164), so only a longer one is scanned for a
    card number: a 13-digit phone number passes the Luhn check one time in ten."""
    check_text(value, name, card_scan=False, controls=False)  # its form admits no control
    if isinstance(value, str) and sum(c.isdigit() for c in value) > 15:
        check_text(value, name, controls=False)


def _anything(name: str, value: Any) -> None:
    return None


def _optional(rule: Check) -> Check:
    return lambda name, value: None if value is None else rule(name, value)


def _refuse(name: str, wanted: str, value: Any) -> None:
    raise InvalidInput(f"{name} must be {wanted}, not {shown(value)}", parameter=name)


def _date(name: str, value: Any) -> None:
    if type(value) is not date:
        _refuse(name, "a date such as date(2026, 11, 2)", value)


def _actor(name: str, value: Any) -> None:
    if not isinstance(value, Actor):
        _refuse(name, "an Actor such as Actor('u-clerk', {'officer'})", value)


def _uuid(name: str, value: Any) -> None:
    if not isinstance(value, UUID):
        _refuse(name, "an id (a UUID) that the book gave", value)


def _bool(name: str, value: Any) -> None:
    if type(value) is not bool:
        _refuse(name, "True or False", value)


def _int(name: str, value: Any) -> None:
    if type(value) is not int:
        _refuse(name, "a whole number", value)
    low, high = INT_RANGES.get(name, INT_DEFAULT)
    if not low <= value <= high:
        raise InvalidInput(
            f"{name} must be between {low:,} and {high:,}; got {value:,}", parameter=name
        )


def _decimal(name: str, value: Any) -> None:
    if not isinstance(value, Decimal):
        _refuse(name, "a Decimal such as Decimal('4.35') (never a float)", value)
    if not value.is_finite() or abs(value) > DECIMAL_MAX:
        raise InvalidInput(
            f"{name} must be a finite number within ±{DECIMAL_MAX:,}; got {value}", parameter=name
        )


def _money(name: str, value: Any) -> None:
    if not isinstance(value, Money):
        raise InvalidAmountInput(
            f"{name} must be a Money such as Money('12.34'), not {shown(value)}", parameter=name
        )
    if value.is_negative and name in NOT_NEGATIVE:
        raise InvalidAmountInput(f"{name} cannot be negative; got {value}", parameter=name)
    if value.amount > MAX_AMOUNT:  # Money refuses this itself; a subclass might not
        raise InvalidAmountInput(f"{name} is above {MAX_AMOUNT:,}", parameter=name)


def _link(name: str, value: Any) -> None:
    if not isinstance(value, Link):
        _refuse(name, "a Link", value)
    check_text(value.kind, f"{name}.kind")
    check_text(value.evidence, f"{name}.evidence", maximum=PROSE_MAX, prose=True)
    if value.percent is not None:
        _decimal(f"{name}.percent", value.percent)
    for flag in (
        "largest_shareholder",
        "board_majority",
        "control_in_fact",
        "large_non_trade_receivables",
    ):
        _bool(f"{name}.{flag}", getattr(value, flag))


def _sequence(item: Check, name: str, value: Any) -> None:
    if not isinstance(value, (list, tuple)):
        _refuse(name, "a list", value)
    if len(value) > SEQUENCE_MAX:
        raise InvalidInput(
            f"{name} has {len(value):,} items; at most {SEQUENCE_MAX:,}", parameter=name
        )
    for element in value:
        item(name, element)


def _pair(items: list[Check], name: str, value: Any) -> None:
    if not isinstance(value, (list, tuple)) or len(value) != len(items):
        _refuse(name, f"a tuple of {len(items)} items", value)
    for rule, element in zip(items, value):
        rule(name, element)


def _instance_of(cls: Any) -> Check:
    if not isinstance(cls, type):
        return _anything
    return lambda name, value: (
        None if isinstance(value, cls) else _refuse(name, f"a {cls.__name__}", value)
    )


_BY_TYPE: dict[Any, Check] = {
    date: _date,
    Actor: _actor,
    UUID: _uuid,
    bool: _bool,
    int: _int,
    Decimal: _decimal,
    Money: _money,
    Link: _link,
}

__all__ = ["checked", "checked_arguments", "PROSE", "NAMES", "SHORT_MAX", "NAME_MAX", "PROSE_MAX"]
