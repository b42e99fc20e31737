"""Money: a Decimal amount in whole cents with a currency, never a float."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Union

from attrs import field, frozen

from clientbook.domain.errors import CurrencyMismatchError, InvalidAmountError

CENT = Decimal("0.01")
DEFAULT_CURRENCY = "CNY"
_CURRENCY = re.compile(r"[A-Z]{3}")

MAX_AMOUNT = Decimal("999999999999999.99")
"""The largest amount the book keeps (just under 10**15, a thousand trillion): far above any
balance, limit or capital, and within every column and report."""

AmountLike = Union[Decimal, str, int]


def to_amount(value: AmountLike) -> Decimal:
    """Read an amount exactly: refuses floats, non-numbers and fractions of a cent."""
    if isinstance(value, float) or isinstance(value, bool):
        raise InvalidAmountError(
            f"amount {value!r} is a {type(value).__name__}; give a Decimal or a string such as '12.34'"
        )
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidAmountError(f"amount {value!r} is not a number") from None
    if not amount.is_finite():
        raise InvalidAmountError(f"amount {value!r} is not a finite number")
    if abs(amount) > MAX_AMOUNT:
        raise InvalidAmountError(
            f"amount {value} is beyond the largest amount kept, {MAX_AMOUNT:,}"
        )
    quantised = amount.quantize(CENT)
    if quantised != amount:
        raise InvalidAmountError(
            f"amount {value} has a fraction of a cent; amounts are in whole cents"
        )
    return quantised


_CODES: set[str] = set()
"""Currency codes already found well-formed: each is matched once, then only looked up (every
Money a replay decodes is validated, and nearly all of them carry the same code)."""


def _valid_currency(_instance: object, _attribute: object, value: str) -> None:
    if value.__class__ is not str or value not in _CODES:
        _CODES.add(checked_currency(value))


def checked_currency(value: str) -> str:
    """The currency code, refused (InvalidAmountError) unless it is three capital letters."""
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        raise InvalidAmountError(
            f"currency {value!r} is not a three-letter ISO 4217 code such as 'CNY'"
        )
    return value


@frozen(order=False)
class Money:
    """An amount in whole cents of one currency; arithmetic stays within one currency."""

    amount: Decimal = field(converter=to_amount)
    currency: str = field(default=DEFAULT_CURRENCY, validator=_valid_currency)

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(Decimal("0.00"), currency)

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def _same(self, other: Money, verb: str) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot {verb} {self} and {other!r}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"cannot {verb} {self} and {other}: currencies differ")

    def __add__(self, other: Money) -> Money:
        self._same(other, "add")
        return _of_cents(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other, "subtract")
        return _of_cents(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return _of_cents(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other, "compare")
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other, "compare")
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other, "compare")
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other, "compare")
        return self.amount >= other.amount

    def __str__(self) -> str:
        return f"{self.amount:,.2f} {self.currency}"


def _of_cents(amount: Decimal, currency: str) -> Money:
    """The Money of a sum, difference or negation of amounts already in whole cents and of a
    checked currency: whole cents again (the exponent stays -2), so only the bound is checked;
    beyond it the constructor refuses it as usual. A replay and a close of business add Money
    tens of thousands of times; the full conversion cost most of each."""
    if not -MAX_AMOUNT <= amount <= MAX_AMOUNT:
        return Money(amount, currency)  # raises InvalidAmountError, naming the amount
    money = object.__new__(Money)
    object.__setattr__(money, "amount", amount)
    object.__setattr__(money, "currency", currency)
    return money


def require_not_negative(money: Money, what: str) -> Money:
    """Refuse a negative amount where a negative makes no sense."""
    if money.is_negative:
        raise InvalidAmountError(f"{what} cannot be negative; got {money}")
    return money
