"""The PCI DSS rule: a full card number (primary account number, PAN) is never stored.

A PAN is 13 to 19 digits, written with or without spaces or dashes between them, whose last
digit is the Luhn check digit and whose first digit names a card issuer's industry (ISO/IEC
7812: 1 airlines, 2–6 banking, travel and payment networks, 81 China UnionPay). Identity
document numbers (GB 11643: 17 digits and an ISO 7064 MOD 11-2 check character) are not card
numbers, so they are taken out of a text before it is scanned.
"""

from __future__ import annotations

import re

_RUN = re.compile(r"[0-9]+(?:[ -][0-9]+)*")
"""Digits in groups, single spaces or dashes between the groups."""
_IDENTITY_DOCUMENT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits ends in its Luhn check digit."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def is_identity_document(text: str) -> bool:
    """Whether the text is a GB 11643 identity document number with a valid check character."""
    if not re.fullmatch(r"[0-9]{17}[0-9Xx]", text):
        return False
    return identity_document(text) == text[:17] + text[17].upper()


def identity_document(digits: str) -> str:
    """The identity document number with these first 17 digits and its check character."""
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS))
    return digits[:17] + _ID_CHECK[total % 11]


def _issuer_prefix(digits: str) -> bool:
    return digits[0] in "123456" or digits.startswith("81")


def _without_identity_documents(text: str) -> str:
    return _IDENTITY_DOCUMENT.sub(
        lambda m: " " if is_identity_document(m.group()) else m.group(), text
    )


def contains_card_number(text: str) -> bool:
    """Whether the text holds something that is a full card number (see the module)."""
    if sum(map(str.isdigit, text)) < 13:  # most texts: no scan at all
        return False
    for run in _RUN.finditer(_without_identity_documents(text)):
        if any(_issuer_prefix(d) and luhn_valid(d) for d in _candidates(run.group())):
            return True
    return False


def _candidates(run: str) -> list[str]:
    """The 13–19 digit numbers a run can be read as: the whole of an unbroken run, or any
    consecutive groups of a separated one (a card number may be followed by other digits)."""
    groups = re.split(r"[ -]", run)
    found = []
    for first in range(len(groups)):
        digits = ""
        for group in groups[first:]:
            digits += group
            if len(digits) > 19:
                break
            if len(digits) >= 13:
                found.append(digits)
    return found
