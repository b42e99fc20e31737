"""Test support for embedders: hypothesis strategies (install the `test` extra to use them).

This package is the only part of clientbook that imports hypothesis; see `strategies` for a
usage example.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from clientbook.domain.actor import Actor
from clientbook.testing.strategies import (
    METHODS,
    CustomerCommand,
    actors,
    amounts,
    business_dates,
    customer_commands,
    customer_numbers,
    customer_registrations,
    money,
    user_ids,
)

if TYPE_CHECKING:
    from clientbook.book import ClientBook

__all__ = [
    "METHODS",
    "change_policy",
    "CustomerCommand",
    "actors",
    "amounts",
    "business_dates",
    "customer_commands",
    "customer_numbers",
    "customer_registrations",
    "money",
    "user_ids",
]


def change_policy(
    book: ClientBook,
    name: str,
    value: str,
    *,
    reason: str,
    on: date,
    by: Actor | None = None,
    approver: Actor | None = None,
    effective: date | None = None,
) -> int:
    """A policy change as a test sets one up: proposed and approved (✋) by two policy
    administrators, in force from `effective` (default `on`); returns the proposal number."""
    proposer = by or Actor("u-policy-proposer", {"administration"})
    approver = approver or Actor("u-policy-approver", {"general_manager"})
    number = book.policy.propose(
        name, value, reason=reason, effective=effective or on, by=proposer, on=on
    )
    book.policy.approve(number, by=approver, on=on)
    return number
