"""The edge of the domain: text rules, card numbers, amounts (pure, no store)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from clientbook import Money
from clientbook.domain.card_numbers import (
    contains_card_number,
    identity_document,
    is_identity_document,
    luhn_valid,
)
from clientbook.domain.errors import (
    CardNumberError,
    InvalidAmountError,
    InvalidInput,
    InvalidValueError,
)
from clientbook.domain.text import PROSE_MAX, check_text


def _with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


@given(
    body=st.text("0123456789", min_size=11, max_size=17),
    issuer=st.sampled_from("123456"),
    separator=st.sampled_from(["", " ", "-"]),
    context=st.sampled_from(["{}", "card {} ok"]),
)
def test_a_luhn_valid_card_number_is_found_with_or_without_separators(
    body: str, issuer: str, separator: str, context: str
) -> None:
    digits = _with_check_digit(issuer + body)
    assume(not is_identity_document(digits))  # an identity number is taken for one
    written = separator.join(digits[i : i + 4] for i in range(0, len(digits), 4))
    assert contains_card_number(context.format(written))


def test_a_number_failing_luhn_or_too_short_or_long_is_not_a_card_number() -> None:
    valid = "4111111111111111"
    assert luhn_valid(valid) and not luhn_valid("4111111111111112")
    assert not contains_card_number("4111111111111112")
    assert not contains_card_number("411111111111")  # 12 digits
    assert not contains_card_number(valid + "1234")  # one run of 20 digits
    assert contains_card_number("4111 1111 1111 1111 1225")  # a card, then other digits
    assert not contains_card_number("+86 138 0013 8000")


@given(body=st.text("0123456789", min_size=17, max_size=17).map(lambda b: "1" + b[1:]))
def test_identity_document_numbers_are_never_taken_for_card_numbers(body: str) -> None:
    document = identity_document(body)
    assert is_identity_document(document)
    assert not contains_card_number(document)
    assert not contains_card_number(f"her document is {document.lower()}.")


def test_an_identity_document_number_that_passes_luhn_is_still_not_a_card_number() -> None:
    documents = (identity_document(f"{11010119900101000 + n}") for n in range(1000))
    document = next(d for d in documents if d.isdigit() and luhn_valid(d))
    assert luhn_valid(document) and not contains_card_number(document)
    assert check_text(document, "document_number") == document
    with pytest.raises(CardNumberError, match="PCI DSS"):
        check_text("4111111111111111", "request")


@pytest.mark.parametrize(
    "text, what",
    [
        ("a\x00b", r"U\+0000"),
        ("bell\x07", r"U\+0007"),
        ("tab\tbed", r"U\+0009"),
        ("x\ud800", "lone surrogate"),
        ("x" * (PROSE_MAX + 1), "at most 4,000"),
    ],
)
def test_bad_text_is_refused_naming_the_parameter(text: str, what: str) -> None:
    with pytest.raises(InvalidInput, match=what) as refused:
        check_text(text, "request", maximum=PROSE_MAX, prose=True)
    assert refused.value.parameter == "request"


def test_line_breaks_are_kept_in_prose_only() -> None:
    assert check_text("first line\r\nsecond", "reason", prose=True) == "first line\r\nsecond"
    with pytest.raises(InvalidInput, match=r"U\+000A"):
        check_text("C-000001\n", "number")


@pytest.mark.parametrize("amount", ["1e26", "-1e16", Decimal("1000000000000000.00")])
def test_an_amount_beyond_the_documented_magnitude_is_refused(amount: object) -> None:
    with pytest.raises(InvalidAmountError, match="largest amount"):
        Money(amount)  # type: ignore[arg-type]
    assert Money("999999999999999.99").amount == Decimal("999999999999999.99")


@pytest.mark.parametrize(
    "user_id, message",
    [
        (" u-boss", "surrounding whitespace"),
        ("u-boss\n", "surrounding whitespace"),
        ("u-\x00boss", r"U\+0000"),
        ("u-" + "x" * 100, "at most 100"),
        ("4111111111111111", "PCI DSS"),
    ],
)
def test_a_user_id_is_validated(user_id: str, message: str) -> None:
    from clientbook import Actor

    with pytest.raises(InvalidValueError, match=message):
        Actor(user_id, {"officer"})


def test_four_eyes_takes_ids_that_differ_only_in_case_for_one_person() -> None:
    from clientbook.domain.actor import require_four_eyes
    from clientbook.domain.errors import FourEyesError

    with pytest.raises(FourEyesError):
        require_four_eyes("u-boss", "U-BOSS", "credit line L-000001")
    require_four_eyes("u-boss", "u-bos", "credit line L-000001")
