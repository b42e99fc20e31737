"""Hypothesis strategies for code that embeds clientbook (the optional `test` extra).

Each function returns a strategy, takes keyword-only options and is named in the plural, as
hypothesis's own strategies are. `customer_commands()` describes calls of `book.customers`
methods, valid and invalid ones mixed, that a test applies to a book of its own:

    from hypothesis import given, strategies as st
    from clientbook import ClientBook, DomainError
    from clientbook.testing import customer_commands, customer_registrations

    NUMBERS = st.sampled_from(["C-000001", "C-000002"])

    @given(registration=customer_registrations(numbers=NUMBERS),
           commands=st.lists(customer_commands(numbers=NUMBERS), max_size=30))
    def test_a_refused_command_writes_nothing(registration, commands):
        with ClientBook.open("memory:") as book:
            book.customers.register(**registration)
            for command in commands:
                head = book.head
                try:
                    command.apply(book)
                except DomainError:
                    assert book.head == head
"""

from __future__ import annotations

import string
from collections.abc import Collection
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from attrs import field, frozen
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from clientbook.domain.card_numbers import contains_card_number
from clientbook.domain.actor import Actor
from clientbook.domain.customer import (
    CHANNELS,
    CONSENT_CHANNELS,
    CONSENT_KINDS,
    CONTACT_DETAILS,
    KINDS,
    PURPOSES,
    SEGMENTS,
    SURVEY_CHANNELS,
    TIERS,
)
from clientbook.domain.errors import DomainError
from clientbook.domain.money import Money, to_amount
from clientbook.domain.permissions import STAFF

if TYPE_CHECKING:
    from clientbook.book import ClientBook

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

_BLANK = ("", "   ")
_BAD_PHONES = ("12", "phone", "+", "call me")
_BAD_EMAILS = ("no-at-sign", "@example.cn", "li@")


def _amount_option(value: Any, name: str) -> Decimal:
    try:
        return to_amount(value)
    except DomainError as error:
        raise InvalidArgument(f"{name}={value!r}: {error}") from None


def amounts(
    *, min_value: Decimal | str = Decimal("0.00"), max_value: Decimal | str = Decimal("1000000.00")
) -> SearchStrategy[Decimal]:
    """Decimals in whole cents (exponent -2) from `min_value` to `max_value`, never floats."""
    low, high = _amount_option(min_value, "min_value"), _amount_option(max_value, "max_value")
    if low > high:
        raise InvalidArgument(f"min_value={low} is greater than max_value={high}")
    cents = st.integers(min_value=int(low * 100), max_value=int(high * 100))
    return cents.map(lambda n: Decimal(n).scaleb(-2))


_CNY = st.just("CNY")


def money(
    *,
    currencies: SearchStrategy[str] = _CNY,
    min_value: Decimal | str = Decimal("0.00"),
    max_value: Decimal | str = Decimal("1000000.00"),
) -> SearchStrategy[Money]:
    """Money in whole cents of a currency drawn from `currencies` (three-letter ISO codes)."""
    return st.builds(Money, amounts(min_value=min_value, max_value=max_value), currencies)


def user_ids() -> SearchStrategy[str]:
    """User ids such as `u-wang`: what events record as `by`."""
    return st.text(string.ascii_lowercase, min_size=1, max_size=10).map(lambda s: f"u-{s}")


def actors(
    *,
    ids: SearchStrategy[str] | None = None,
    roles: SearchStrategy[Collection[str]] | None = None,
) -> SearchStrategy[Actor]:
    """Actors with an id from `ids` and a set of known roles from `roles` (by default one to
    three staff roles: every command's default permission allows them)."""
    ids = user_ids() if ids is None else ids
    if roles is None:
        roles = st.frozensets(st.sampled_from(sorted(STAFF)), min_size=1, max_size=3)
    return st.builds(Actor, ids, roles)


def customer_numbers(*, min_value: int = 1, max_value: int = 999_999) -> SearchStrategy[str]:
    """Well-formed customer numbers, `C-000123`."""
    if not 0 <= min_value <= max_value:
        raise InvalidArgument(f"need 0 <= min_value <= max_value, got {min_value}, {max_value}")
    return st.integers(min_value, max_value).map(lambda n: f"C-{n:06d}")


def business_dates(
    *, min_value: date = date(2020, 1, 1), max_value: date = date(2035, 12, 31)
) -> SearchStrategy[date]:
    """Business dates (`on`) between `min_value` and `max_value`, inclusive."""
    if min_value > max_value:
        raise InvalidArgument(f"min_value={min_value} is after max_value={max_value}")
    return st.dates(min_value=min_value, max_value=max_value)


def _words(alphabet: str | SearchStrategy[str], max_words: int = 3) -> SearchStrategy[str]:
    word = st.text(alphabet, min_size=1, max_size=8)
    return st.lists(word, min_size=1, max_size=max_words).map(" ".join)


_LATIN = string.ascii_letters
_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
_NAMES = st.one_of(_words(_CJK, 1), _words(_LATIN))
_TEXTS = _words(_LATIN + string.digits, 6).filter(lambda text: not contains_card_number(text))
_PHONES = st.from_regex(r"\+?[0-9][0-9 ()-]{4,14}[0-9]", fullmatch=True).filter(
    lambda phone: not contains_card_number(phone)  # a card number is refused anywhere
)
_EMAILS = st.builds(  # not st.emails(): its first draw in a process costs seconds
    "{}@{}.{}".format,
    st.text(_LATIN + string.digits + "._-", min_size=1, max_size=12),
    st.text(string.ascii_lowercase, min_size=1, max_size=10),
    st.sampled_from(["cn", "com"]),
)
_DOCUMENTS = st.text(string.digits + "X", min_size=8, max_size=18).filter(
    lambda number: not contains_card_number(number)  # the book refuses a full card number
)
_CYCLES = st.integers(min_value=1, max_value=366)


def customer_registrations(
    *,
    numbers: SearchStrategy[str] | None = None,
    documents: SearchStrategy[str] | None = None,
    managers: SearchStrategy[str] | None = None,
    dates: SearchStrategy[date] | None = None,
    actors: SearchStrategy[Actor] | None = None,
) -> SearchStrategy[dict[str, Any]]:
    """Keyword arguments for `book.customers.register(**registration)` that pass its checks.

    Whether the book accepts one also depends on the book: its number or identity document
    may be taken already.
    """
    required = {
        "number": customer_numbers() if numbers is None else numbers,
        "kind": st.sampled_from(KINDS),
        "name": _NAMES,
        "manager": user_ids() if managers is None else managers,
        "by": _actors_option(actors),
        "on": business_dates() if dates is None else dates,
    }
    optional = {
        "phone": _PHONES,
        "email": _EMAILS,
        "address": _TEXTS,
        "document_number": _DOCUMENTS if documents is None else documents,
        "segment": st.sampled_from(SEGMENTS),
        "tier": st.sampled_from(TIERS),
        "visit_cycle_days": _CYCLES,
    }
    return st.fixed_dictionaries(required, optional=optional).flatmap(_with_consent)


def _with_consent(registration: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """Contact details are registered with the channel of the customer's consent to them."""
    if not any(registration.get(kind) for kind in CONTACT_DETAILS):
        return st.just(registration)
    return st.sampled_from(CONSENT_CHANNELS).map(
        lambda channel: {**registration, "consent": channel}
    )


def _actors_option(value: SearchStrategy[Actor] | None) -> SearchStrategy[Actor]:
    return actors() if value is None else value


@frozen
class CustomerCommand:
    """One call of a `book.customers` method: the method, the customer's number, the arguments."""

    method: str
    number: str
    kwargs: dict[str, Any] = field(factory=dict, hash=False)

    def apply(self, book: ClientBook) -> Any:
        """Give the command to the book; a refusal raises a `clientbook.DomainError`."""
        customers = book.customers
        if self.method == "register":
            return customers.register(number=self.number, **self.kwargs)
        return getattr(customers, self.method)(customers.id_of(self.number), **self.kwargs)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"CustomerCommand.{self.method}({self.number!r}, {arguments})"


def _mostly(valid: SearchStrategy[Any], invalid: Collection[Any]) -> SearchStrategy[Any]:
    """Valid values four times in five; shrinks towards valid."""
    bad = st.sampled_from(list(invalid))
    return st.integers(0, 4).flatmap(lambda n: bad if n == 4 else valid)


def _reasons() -> SearchStrategy[str]:
    return _mostly(_TEXTS, _BLANK)


def _profile_values(valid: SearchStrategy[str], invalid: Collection[str]) -> SearchStrategy[Any]:
    return st.one_of(st.none(), st.just(""), _mostly(valid, invalid))


_ARGUMENTS: dict[str, dict[str, SearchStrategy[Any]]] = {
    "update_profile": {
        "name": st.one_of(st.none(), _mostly(_NAMES, _BLANK)),
        "phone": _profile_values(_PHONES, _BAD_PHONES),
        "email": _profile_values(_EMAILS, _BAD_EMAILS),
        "address": st.one_of(st.none(), st.just(""), _TEXTS),
    },
    "give_consent": {
        "kind": _mostly(st.sampled_from(CONSENT_KINDS), ("fax",)),
        "channel": _mostly(st.sampled_from(CONSENT_CHANNELS), ("pigeon",)),
    },
    "withdraw_consent": {
        "kind": _mostly(st.sampled_from(CONSENT_KINDS), ("fax",)),
        "channel": _mostly(st.sampled_from(CONSENT_CHANNELS), ("pigeon",)),
    },
    "record_identity_document": {"document_number": _mostly(_DOCUMENTS, _BLANK)},
    "reassign_manager": {"manager": _mostly(user_ids(), _BLANK), "reason": _reasons()},
    "change_segment": {
        "segment": _mostly(st.sampled_from(SEGMENTS), ("gold", "")),
        "reason": _reasons(),
    },
    "change_tier": {
        "tier": _mostly(st.sampled_from(TIERS), ("A", "platinum")),
        "reason": _reasons(),
    },
    "record_contact": {
        "channel": _mostly(st.sampled_from(CHANNELS), ("fax", "")),
        "purpose": _mostly(st.sampled_from(PURPOSES), ("gossip",)),
        "outcome": _mostly(_TEXTS, _BLANK),
    },
    "set_visit_cycle": {"days": _mostly(st.one_of(st.none(), _CYCLES), (0, -7, True, 10**5))},
    "record_survey": {
        "channel": _mostly(st.sampled_from(SURVEY_CHANNELS), ("pigeon",)),
        "score": _mostly(st.integers(1, 5), (-1, 0, 6, 10, True)),
    },
    "activate": {},
    "mark_dormant": {"reason": _reasons()},
    "mark_lost": {"reason": _reasons()},
    "reactivate": {"reason": _reasons()},
    "restrict": {"reason": _reasons()},
    "lift_restriction": {"reason": _reasons()},
    "close": {"reason": _reasons()},
    "erase_personal_data": {"reason": _reasons()},
}
METHODS = ("register", *_ARGUMENTS)
"""The `book.customers` methods that `customer_commands()` calls."""

_BAD_REGISTRATIONS = (
    ("number", "C-12"),
    ("number", "000123"),
    ("kind", "person"),
    ("name", "  "),
    ("manager", ""),
    ("phone", "12"),
    ("email", "li@"),
    ("segment", "gold"),
    ("tier", "A"),
    ("visit_cycle_days", 0),
    ("visit_cycle_days", 10**5),
    ("document_number", " "),
    ("consent", None),
)


def _registration_commands(
    numbers: SearchStrategy[str], by: SearchStrategy[Actor], dates: SearchStrategy[date]
) -> SearchStrategy[CustomerCommand]:
    def command(registration: dict[str, Any], bad: tuple[str, Any] | None) -> CustomerCommand:
        kwargs = dict(registration)
        if bad is not None:
            kwargs[bad[0]] = bad[1]
        return CustomerCommand("register", kwargs.pop("number"), kwargs)

    registrations = customer_registrations(numbers=numbers, actors=by, dates=dates)
    bad = _mostly(st.none(), _BAD_REGISTRATIONS)
    return st.builds(command, registrations, bad)


def customer_commands(
    *,
    numbers: SearchStrategy[str] | None = None,
    actors: SearchStrategy[Actor] | None = None,
    dates: SearchStrategy[date] | None = None,
    methods: Collection[str] = METHODS,
) -> SearchStrategy[CustomerCommand]:
    """Commands for `book.customers`, valid and invalid arguments mixed, on customers `numbers`.

    Draw numbers from a small set (`st.sampled_from`) so that commands meet the customers
    registered before them. Whether a command is refused also depends on the book's state.
    """
    unknown = sorted(set(methods) - set(METHODS))
    if unknown or not methods:
        raise InvalidArgument(f"methods must be some of {', '.join(METHODS)}; got {unknown}")
    numbers = customer_numbers() if numbers is None else numbers
    by = _actors_option(actors)
    dates = business_dates() if dates is None else dates
    choices = []
    for method in sorted(set(methods), key=METHODS.index):
        if method == "register":  # drawn more often, so that later commands find customers
            choices.extend([_registration_commands(numbers, by, dates)] * 3)
            continue
        arguments = st.fixed_dictionaries({**_ARGUMENTS[method], "by": by, "on": dates})
        choices.append(st.builds(CustomerCommand, st.just(method), numbers, arguments))
    return st.one_of(choices)
