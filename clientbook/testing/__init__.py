"""Test support for embedders: hypothesis strategies (install the `test` extra to use them).

This package is the only part of clientbook that imports hypothesis; see `strategies` for a
usage example.
"""

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

__all__ = [
    "METHODS",
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
