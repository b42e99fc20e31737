"""The argument guard (domain/inputs.py) on a command of every parameter type: each refusal is
an InvalidInput naming the command and the parameter, with what to give instead."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from clientbook import Actor, Money
from clientbook.domain.errors import CardNumberInInput, InvalidAmountInput, InvalidInput
from clientbook.domain.group import Link
from clientbook.domain.inputs import SEQUENCE_MAX, checked, checked_arguments

D = date(2026, 12, 1)
ID = UUID(int=7)
CARD = "4111111111111111"


class Token:
    """A value type of the command's own."""


def command(
    customer: UUID,
    amount: Money,
    annual_fee: Money,
    on: date,
    by: Actor,
    flag: bool,
    age: int,
    days: int,
    rate: Decimal,
    link: Link,
    plan: list[tuple[date, Money]],
    reason: str,
    name: str,
    number: str,
    phone: str,
    document_number: str,
    note: str | None,
    either: int | str,
    token: Token,
    idempotency_key: str,
) -> None:
    """Every kind of parameter a service command has."""


def check_all(arguments: dict[str, object]) -> None:
    """The check built in the test, not at import, so that it is built by the code under test."""
    checked_arguments("demo.command", command)(arguments)


def check_formed(arguments: dict[str, object]) -> None:
    """The same command named as one whose `number` and `phone` have forms of their own."""
    checked_arguments("customers.register", command)(arguments)


def refused(name: str, value: object, check: Any = check_all) -> InvalidInput:
    with pytest.raises(InvalidInput) as error:
        check({name: value})
    assert error.value.parameter.split(".")[0] == name
    return error.value


GOOD: dict[str, object] = {
    "customer": ID,
    "amount": Money("-1.00"),
    "annual_fee": Money("0.00"),
    "on": D,
    "by": Actor("u-clerk", {"officer"}),
    "flag": False,
    "age": 150,
    "days": -1_000_000_000,
    "rate": Decimal("-1000000"),
    "link": Link("control", "a\nb", Decimal("51")),
    "plan": [(D, Money("5.00"))] * SEQUENCE_MAX,
    "reason": "x\n" * 2000,
    "name": "n" * 200,
    "number": "C-000001",
    "phone": "+86 138 0013 8000",
    "document_number": "110105194912310021",
    "note": None,
    "either": [],
    "token": Token(),
    "idempotency_key": "\x00",
    "unknown": object(),
}


def test_good_arguments_at_their_limits_pass() -> None:
    check_all(GOOD)
    check_formed({"number": "C-\x00", "phone": "138\x00"})  # their forms refuse these instead


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("customer", "C-1", "customer must be an id (a UUID) that the book gave, not 'C-1' (str)"),
        (
            "on",
            datetime(2026, 12, 1),
            "on must be a date such as date(2026, 11, 2), not datetime.datetime(2026, 12, 1, 0, 0) "
            "(datetime)",
        ),
        (
            "by",
            "u-clerk",
            "by must be an Actor such as Actor('u-clerk', {'officer'}), not 'u-clerk' (str)",
        ),
        ("flag", 1, "flag must be True or False, not 1 (int)"),
        ("age", True, "age must be a whole number, not True (bool)"),
        ("age", 151, "age must be between 0 and 150; got 151"),
        ("age", -1, "age must be between 0 and 150; got -1"),
        (
            "days",
            1_000_000_001,
            "days must be between -1,000,000,000 and 1,000,000,000; got 1,000,000,001",
        ),
        (
            "rate",
            4.35,
            "rate must be a Decimal such as Decimal('4.35') (never a float), not 4.35 (float)",
        ),
        (
            "rate",
            Decimal("1000000.01"),
            "rate must be a finite number within ±1,000,000; got 1000000.01",
        ),
        ("rate", Decimal("NaN"), "rate must be a finite number within ±1,000,000; got NaN"),
        ("link", "control", "link must be a Link, not 'control' (str)"),
        ("plan", "soon", "plan must be a list, not 'soon' (str)"),
        ("plan", [(D, Money("1.00"))] * (SEQUENCE_MAX + 1), "plan has 1,001 items; at most 1,000"),
        (
            "plan",
            [(D,)],
            "plan must be a tuple of 2 items, not (datetime.date(2026, 12, 1),) (tuple)",
        ),
        ("plan", [D], "plan must be a tuple of 2 items, not datetime.date(2026, 12, 1) (date)"),
        (
            "plan",
            [("2026-12-01", Money("1.00"))],
            "plan must be a date such as date(2026, 11, 2), not '2026-12-01' (str)",
        ),
        ("token", "t", "token must be a Token, not 't' (str)"),
        ("note", 5, "note must be text, not 5 (int)"),
    ],
)
def test_a_value_of_the_wrong_type_or_range_is_refused_naming_the_command_and_parameter(
    name: str, value: object, message: str
) -> None:
    assert str(refused(name, value)) == f"demo.command: {message}"


def test_an_amount_must_be_money_and_some_may_not_be_negative() -> None:
    error = refused("amount", "12.34")
    assert isinstance(error, InvalidAmountInput)
    assert (
        str(error) == "demo.command: amount must be a Money such as Money('12.34'), not "
        "'12.34' (str)"
    )
    error = refused("annual_fee", Money("-0.01"))
    assert isinstance(error, InvalidAmountInput)
    assert str(error) == "demo.command: annual_fee cannot be negative; got -0.01 CNY"


def test_text_limits_follow_the_parameters_name() -> None:
    assert str(refused("reason", "x" * 4001)) == (
        "demo.command: reason is 4,001 characters long; at most 4,000 are kept"
    )
    assert str(refused("name", "n" * 201)) == (
        "demo.command: name is 201 characters long; at most 200 are kept"
    )
    assert str(refused("number", "n" * 101)) == (
        "demo.command: number is 101 characters long; at most 100 are kept"
    )
    assert str(refused("name", "a\nb")) == (
        "demo.command: name holds the control character U+000A at position 1"
    )
    assert str(refused("number", "C-\x00")) == (
        "demo.command: number holds the control character U+0000 at position 2"
    )


def test_a_links_parts_are_checked_by_their_own_names() -> None:
    assert str(refused("link", Link("con\x00trol", "e"))) == (
        "demo.command: link.kind holds the control character U+0000 at position 3"
    )
    assert str(refused("link", Link("control", "e" * 4001))) == (
        "demo.command: link.evidence is 4,001 characters long; at most 4,000 are kept"
    )
    assert str(refused("link", Link("control", "e", 51.0))) == (  # type: ignore[arg-type]
        "demo.command: link.percent must be a Decimal such as Decimal('4.35') (never a float), "
        "not 51.0 (float)"
    )
    for flag in (
        "largest_shareholder",
        "board_majority",
        "control_in_fact",
        "large_non_trade_receivables",
    ):
        assert str(refused("link", Link("control", "e", **{flag: 1}))) == (
            f"demo.command: link.{flag} must be True or False, not 1 (int)"
        )


def test_a_phone_number_is_scanned_for_a_card_number_only_beyond_fifteen_digits() -> None:
    check_all({"phone": "4111 1111 1111 1"})  # 13 digits passing Luhn: a phone number
    assert isinstance(refused("phone", "+" + CARD), CardNumberInInput)
    assert str(refused("phone", 7)) == "demo.command: phone must be text, not 7 (int)"


def test_an_identity_document_shaped_number_is_never_taken_for_a_card_number() -> None:
    for shaped in ("110105 19491231 0021", "110105194912310", "11010519491231002x"):
        check_all({"document_number": shaped})
    assert isinstance(refused("document_number", CARD), CardNumberInInput)
    assert isinstance(refused("document_number", "4111 1111 1111 1111"), CardNumberInInput)
    assert str(refused("document_number", "a\x00")) == (
        "demo.command: document_number holds the control character U+0000 at position 1"
    )


def test_a_card_number_in_text_is_refused_unless_it_is_a_token() -> None:
    assert isinstance(refused("reason", f"card {CARD}"), CardNumberInInput)


def test_an_entry_point_is_checked_before_it_runs() -> None:
    ran: list[date] = []

    @checked("close_of_business")
    def close(on: date, *, by: Actor) -> str:
        ran.append(on)
        return "closed"

    with pytest.raises(InvalidInput) as error:
        close("2026-12-01", by=Actor("u-batch", {"batch"}))  # type: ignore[arg-type]
    assert str(error.value) == (
        "close_of_business: on must be a date such as date(2026, 11, 2), not '2026-12-01' (str)"
    )
    assert ran == []
    assert close(D, by=Actor("u-batch", {"batch"})) == "closed"
    assert close(D, by=Actor("u-batch", {"batch"})) == "closed"  # the check is built once
    assert ran == [D, D] and close.__name__ == "close"


def test_a_phone_number_of_up_to_fifteen_digits_is_never_taken_for_a_card_number() -> None:
    check_all({"phone": "+4 1111 1111 1119"})  # 13 digits passing Luhn
    check_all({"phone": "411111111111116"})  # 15 digits passing Luhn
    check_all({"phone": "1234567890123456\x00"})  # 16, no card: its form refuses the rest


def test_an_identity_shaped_document_number_passing_luhn_is_kept_with_or_without_spaces() -> None:
    for shaped in ("413933716905608590", "4139 3371 6905 6085 90"):
        check_all({"document_number": shaped})
        assert isinstance(refused("reason", shaped), CardNumberInInput)


def test_an_optional_text_keeps_its_parameters_limits_and_a_required_value_is_not_optional() -> (
    None
):
    check_all({"note": "x\n" * 2000})  # prose: 4,000 characters, line breaks allowed
    assert str(refused("note", "x" * 4001)) == (
        "demo.command: note is 4,001 characters long; at most 4,000 are kept"
    )
    assert str(refused("customer", None)) == (
        "demo.command: customer must be an id (a UUID) that the book gave, not None (NoneType)"
    )


def test_the_largest_amount_kept_is_accepted() -> None:
    check_all({"amount": Money("999999999999999.99")})


def grouped(
    reason: list[str],
    name: tuple[str, str],
    number: str | None,
    note: list[str] | None,
) -> None:
    """Text inside lists, tuples and optional values, named by the parameter that holds it."""


def test_text_in_a_list_tuple_or_optional_value_keeps_its_parameters_rules() -> None:
    check = checked_arguments("customers.register", grouped)
    check({"reason": ["a\nb", "x" * 4000], "name": ("n" * 200, "m"), "note": ["c\nd"]})
    check({"number": "C-\x00"})  # an optional `number` keeps its form's own check
    with pytest.raises(InvalidInput) as error:
        check({"name": ("a\nb", "m")})
    assert str(error.value) == (
        "customers.register: name holds the control character U+000A at position 1"
    )


def test_an_amount_above_the_largest_kept_is_refused_even_where_money_let_it_through() -> None:
    """`Money` refuses such an amount itself; the guard does not rely on it (a value built
    around its converter, as a subclass might)."""
    huge = Money("1.00")
    object.__setattr__(huge, "amount", Decimal("1000000000000000.00"))
    error = refused("amount", huge)
    assert isinstance(error, InvalidAmountInput)
    assert str(error) == "demo.command: amount is above 999,999,999,999,999.99"
