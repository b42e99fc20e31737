"""Money (domain/money.py) as a person reads it: each refusal's whole message, and arithmetic
that keeps the currency it was given."""

from __future__ import annotations

import operator
from typing import Any, Callable

import pytest

from clientbook import Money
from clientbook.domain.errors import CurrencyMismatchError, InvalidAmountError
from clientbook.domain.money import MAX_AMOUNT


def test_arithmetic_in_another_currency_stays_in_it() -> None:
    assert Money("1.00", "USD") + Money("2.50", "USD") == Money("3.50", "USD")
    assert Money("1.00", "EUR") - Money("2.50", "EUR") == Money("-1.50", "EUR")


@pytest.mark.parametrize(
    "verb, apply",
    [
        ("add", operator.add),
        ("subtract", operator.sub),
        ("compare", operator.lt),
        ("compare", operator.le),
        ("compare", operator.gt),
        ("compare", operator.ge),
    ],
)
def test_combining_two_currencies_is_refused_naming_both_amounts(
    verb: str, apply: Callable[[Any, Any], Any]
) -> None:
    with pytest.raises(CurrencyMismatchError) as refused:
        apply(Money("1.00"), Money("2.00", "USD"))
    assert str(refused.value) == f"cannot {verb} 1.00 CNY and 2.00 USD: currencies differ"
    with pytest.raises(TypeError) as wrong:
        apply(Money("1.00"), 2)
    assert str(wrong.value) == f"cannot {verb} 1.00 CNY and 2"


def test_a_currency_is_a_three_letter_code_and_the_refusal_shows_what_was_given() -> None:
    assert Money("1.00", "XTS").currency == "XTS"  # ISO 4217's code for testing
    assert Money("1.00", "XTS").currency == "XTS"  # and again, once known
    for bad in ("yuan", 840):
        with pytest.raises(InvalidAmountError) as refused:
            Money("1.00", bad)  # type: ignore[arg-type]
        assert str(refused.value) == (
            f"currency {bad!r} is not a three-letter ISO 4217 code such as 'CNY'"
        )


def test_the_negative_of_an_amount_keeps_its_currency_and_orders_with_it() -> None:
    assert -Money("1.50", "USD") == Money("-1.50", "USD")
    assert -Money("-0.01") == Money("0.01")
    assert Money("1.00", "USD") <= Money("1.00", "USD") and Money("0.99", "USD") <= Money(
        "1.00", "USD"
    )
    assert not Money("1.01", "USD") <= Money("1.00", "USD")


def test_a_sum_difference_or_negation_is_money_in_whole_cents_and_within_the_bound() -> None:
    """Arithmetic makes its result without the constructor's full conversion (the operands
    are whole cents already): the result is the constructor's, field for field, and a result
    beyond the largest amount kept is refused as the constructor refuses it."""
    for result, made in [
        (Money("0.10", "USD") + Money("0.20", "USD"), Money("0.30", "USD")),
        (Money("5.00", "USD") - Money("7.25", "USD"), Money("-2.25", "USD")),
        (-Money("0.00", "USD"), Money("0.00", "USD")),
    ]:
        assert result == made and hash(result) == hash(made) and str(result) == str(made)
        assert result.amount.as_tuple() == made.amount.as_tuple()  # exponent -2, same sign
    top = Money(MAX_AMOUNT, "USD")
    for beyond in (lambda: top + Money("0.01", "USD"), lambda: -top - Money("0.01", "USD")):
        with pytest.raises(InvalidAmountError, match="beyond the largest amount kept"):
            beyond()
    assert top - Money("0.01", "USD") + Money("0.01", "USD") == top
