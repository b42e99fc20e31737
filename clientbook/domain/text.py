"""The rules every text a command is given keeps: valid Unicode, no control characters (line
breaks only where prose is expected), a maximum length, and no full card number (PCI DSS)."""

from __future__ import annotations

import re

from clientbook.domain.card_numbers import contains_card_number
from clientbook.domain.errors import CardNumberInInput, InvalidInput

SHORT_MAX = 100
"""Identifiers, codes and the names of departments, branches and managers."""
NAME_MAX = 200
"""A customer's, group's or merchant's name."""
PROSE_MAX = 4000
"""Reasons, requests, reports, replies, notes and addresses: text a person writes."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINE_BREAKS = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def check_text(
    value: object,
    parameter: str,
    *,
    maximum: int = SHORT_MAX,
    prose: bool = False,
    card_scan: bool = True,
    controls: bool = True,
) -> str:
    """Refuse a text that breaks the rules above, naming the parameter; returns it unchanged."""
    if not isinstance(value, str):
        raise InvalidInput(f"{parameter} must be text, not {shown(value)}", parameter=parameter)
    if _SURROGATE.search(value):
        raise InvalidInput(
            f"{parameter} is not valid Unicode (it holds a lone surrogate)", parameter=parameter
        )
    control = controls and (_CONTROL_BUT_LINE_BREAKS if prose else _CONTROL).search(value)
    if control:
        allowed = " (only line breaks are allowed)" if prose else ""
        raise InvalidInput(
            f"{parameter} holds the control character U+{ord(control.group()):04X} at "
            f"position {control.start()}{allowed}",
            parameter=parameter,
        )
    if len(value) > maximum:
        raise InvalidInput(
            f"{parameter} is {len(value):,} characters long; at most {maximum:,} are kept",
            parameter=parameter,
        )
    if card_scan and contains_card_number(value):
        raise CardNumberInInput(
            f"{parameter} holds a full card number, which is never stored (PCI DSS); "
            "give the issuer's token or the last four digits instead",
            parameter=parameter,
        )
    return value


def shown(value: object) -> str:
    """A value as an error message shows it: its type, and a short, safe repr."""
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{text} ({type(value).__name__})"
