"""Canonical JSON of command arguments, and its digest: equal arguments, equal text.

Money, dates, UUIDs, decimals, attrs values (an Actor with its roles sorted), tuples, lists,
sets and dicts each have one spelling, so a retry that passes the same values — built afresh,
in another process, with keywords in another order — gives the same digest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import attrs


def canonical(value: Any) -> Any:
    """A JSON-ready value with one spelling per meaning."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, Decimal):  # 18, 18.0 and 18.00 are the same rate
        return {"decimal": format(value.normalize(), "f")}
    if isinstance(value, (UUID, date)):  # datetime is a date
        return {type(value).__name__: value.isoformat() if isinstance(value, date) else str(value)}
    if isinstance(value, Enum):
        return {type(value).__name__: canonical(value.value)}
    if attrs.has(type(value)):
        return _record(value, {a.name: getattr(value, a.name) for a in attrs.fields(type(value))})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _record(value, {f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, (list, tuple)):
        return [canonical(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return {"set": sorted((canonical(item) for item in value), key=_text)}
    if isinstance(value, Mapping):
        return {"map": sorted(([canonical(k), canonical(v)] for k, v in value.items()), key=_text)}
    raise TypeError(f"{type(value).__qualname__} {value!r} has no canonical form")


def _record(value: Any, fields: dict[str, Any]) -> dict[str, Any]:
    return {type(value).__qualname__: {name: canonical(v) for name, v in fields.items()}}


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_text(value: Any) -> str:
    """The canonical JSON text of a value."""
    return _text(canonical(value))


def digest_of(command: str, arguments: Mapping[str, Any]) -> str:
    """SHA-256 of the command's name and its arguments, by name."""
    text = _text([command, {name: canonical(v) for name, v in arguments.items()}])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def encode_result(value: Any) -> str:
    """A command's result as stored with its key (None, a bool, an int or a UUID)."""
    if isinstance(value, UUID):
        return json.dumps(str(value))
    if value is None or isinstance(value, (bool, int)):
        return json.dumps(value)
    raise TypeError(f"a key cannot record the result {value!r}")
