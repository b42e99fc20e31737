"""Test support for embedders: hypothesis strategies (install the `test` extra to use them).

This package is the only part of clientbook that imports hypothesis; see `strategies` for a
usage example.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from clientbook.domain.actor import Actor
from clientbook.domain.money import Money
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
    "open_card",
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


def open_card(
    book: ClientBook,
    customer: UUID,
    number: str,
    *,
    on: date,
    by: Actor,
    income: Money | None = None,
) -> UUID:
    """A card account as a test sets one up: applied for on a monthly income (default 20,000.00
    CNY; the account is in its currency), issued (APR 18%, no annual fee, three years) and
    activated, all on `on`; returns the account's id."""
    income = income or Money("20000.00")
    account = book.cards.apply(
        number=number, customer=customer, monthly_income=income, age=40, by=by, on=on
    )
    book.cards.issue(
        account,
        token=f"tok_{number}",
        last4="4321",
        apr=Decimal("18"),
        annual_fee=Money.zero(income.currency),
        expiry=on + timedelta(days=1095),
        by=by,
        on=on,
    )
    book.cards.activate(account, by=by, on=on)
    return account
