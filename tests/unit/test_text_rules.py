"""The text rules (domain/text.py) as a person reads them: each refusal names the parameter and
what to do, and the limits are exact."""

from __future__ import annotations

import pytest

from clientbook.domain.errors import CardNumberInInput, InvalidInput
from clientbook.domain.text import NAME_MAX, PROSE_MAX, SHORT_MAX, check_text, shown


def refusal(value: object, parameter: str, **options: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        check_text(value, parameter, **options)  # type: ignore[arg-type]
    assert refused.value.parameter == parameter
    return refused.value


def test_the_limits_are_those_documented() -> None:
    assert (SHORT_MAX, NAME_MAX, PROSE_MAX) == (100, 200, 4000)


def test_a_text_that_is_not_text_is_refused_showing_what_it_was() -> None:
    assert str(refusal(12, "request")) == "request must be text, not 12 (int)"


def test_a_long_value_is_shown_cut_short() -> None:
    assert shown("x" * 10) == "'xxxxxxxxxx' (str)"
    assert shown(b"y" * 50) == "b'" + "y" * 35 + "... (bytes)"
    assert shown("z" * 38) == "'" + "z" * 38 + "' (str)"  # 40 characters: shown whole
    assert shown("z" * 39) == "'" + "z" * 36 + "... (str)"  # 41: cut to 37 and "..."


def test_a_control_character_in_prose_is_refused_saying_line_breaks_are_allowed() -> None:
    assert str(refusal("ok\x07", "reason", prose=True)) == (
        "reason holds the control character U+0007 at position 2 (only line breaks are allowed)"
    )
    assert str(refusal("ok\x07", "number")) == (
        "number holds the control character U+0007 at position 2"
    )


def test_a_text_at_its_maximum_is_kept_and_one_character_more_is_refused() -> None:
    assert check_text("x" * SHORT_MAX, "number") == "x" * SHORT_MAX
    assert str(refusal("x" * (PROSE_MAX + 1), "note", maximum=PROSE_MAX)) == (
        "note is 4,001 characters long; at most 4,000 are kept"
    )


def test_a_card_number_in_a_text_is_refused_saying_what_to_give_instead() -> None:
    error = refusal("card 4111111111111111", "request")
    assert isinstance(error, CardNumberInInput)
    assert str(error) == (
        "request holds a full card number, which is never stored (PCI DSS); give the issuer's "
        "token or the last four digits instead"
    )
    assert check_text("card 4111111111111111", "token", card_scan=False)
