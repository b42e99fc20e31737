"""The PCI DSS scan (domain/card_numbers.py) at its edges: the Luhn digit, the issuer digits of
ISO/IEC 7812, the 19-digit maximum and GB 11643 identity documents."""

from __future__ import annotations

import pytest

from clientbook.domain.card_numbers import (
    contains_card_number,
    identity_document,
    is_identity_document,
    luhn_valid,
)


@pytest.mark.parametrize("number", ["79927398713", "5555555555554444", "4539578763621486"])
def test_the_luhn_digit_folds_each_doubled_digit_over_nine(number: str) -> None:
    """Doubled digits of 5 to 9 (10 to 18) count as their digit sum (1 to 9)."""
    assert luhn_valid(number)
    body, check = number[:-1], int(number[-1])
    assert not any(luhn_valid(body + str((check + d) % 10)) for d in range(1, 10))


@pytest.mark.parametrize(
    "number, card",
    [
        ("8100000000000002", True),  # 81: China UnionPay
        ("8200000000000001", False),
        ("7000000000000005", False),
        ("9000000000000001", False),
        ("0000000000000000", False),
        ("1000000000000008", True),
        ("6000000000000007", True),
    ],
)
def test_a_card_number_starts_with_an_issuers_digits(number: str, card: bool) -> None:
    assert luhn_valid(number)
    assert contains_card_number(number) is card


def test_twenty_luhn_valid_digits_in_one_run_are_not_a_card_number() -> None:
    assert luhn_valid("40000000000000000002") and luhn_valid("4000000000000000006")
    assert not contains_card_number("40000000000000000002")
    assert contains_card_number("4000000000000000006")  # 19 digits: the longest PAN


def test_an_identity_document_may_end_in_a_lower_case_x() -> None:
    document = identity_document("11010519491231002")
    assert document == "11010519491231002X"
    assert is_identity_document(document) and is_identity_document(document.lower())
    assert not is_identity_document("110105194912310021")  # wrong check character


def test_eighteen_digits_that_are_no_identity_document_are_still_scanned() -> None:
    assert not is_identity_document("400000000000000002")
    assert contains_card_number("400000000000000002")
    assert contains_card_number("ref 11010519491231002X and card 400000000000000002")
