"""Idempotency keys, pure: which keys a command takes, and which arguments count as the same."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest

from clientbook import Actor, InvalidIdempotencyKeyError, Money
from clientbook.application.canonical import digest_of
from clientbook.domain.idempotency import MAX_KEY_LENGTH, IdempotencyKey, check_key

D = date(2026, 1, 5)
LINE = UUID("8d1f0c34-7e43-4a55-9a4b-0b8f3c2e1a10")


def pay(**changes: object) -> str:
    arguments = {
        "account": LINE,
        "amount": Money("100.00"),
        "by": Actor("u-li", {"officer"}),
        "on": D,
        "plan": [(D, Money("5.00"))],
        "notes": {"b": 1, "a": 2},
    }
    return digest_of("cards.pay", {**arguments, **changes})


def test_the_same_values_spelled_otherwise_give_the_same_digest() -> None:
    assert pay() == pay(amount=Money(Decimal("100.0")))
    assert pay() == pay(by=Actor("u-li", ["officer"]), notes={"a": 2, "b": 1})
    assert pay() == pay(account=UUID(str(LINE)), plan=((D, Money("5")),))
    assert digest_of("c", {"apr": Decimal("18")}) == digest_of("c", {"apr": Decimal("18.00")})


def test_any_other_value_command_or_actor_gives_another_digest() -> None:
    digests = {
        pay(),
        pay(amount=Money("100.01")),
        pay(amount=Money("100.00", "USD")),
        pay(by=Actor("u-wang", {"officer"})),
        pay(by=Actor("u-li", {"manager"})),
        pay(on=D + timedelta(days=1)),
        pay(plan=[]),
        pay(notes={"a": 2}),
        digest_of("cards.charge_fee", {}),
        digest_of("cards.pay", {}),
        digest_of("c", {"x": "1"}),
        digest_of("c", {"x": 1}),
        digest_of("c", {"x": True}),
        digest_of("c", {"x": None}),
    }
    assert len(digests) == 14


def test_a_value_with_no_canonical_form_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="no canonical form"):
        digest_of("c", {"x": object()})


def test_a_key_is_printable_text_of_at_most_255_characters() -> None:
    assert check_key("web:3f9c-0001") == "web:3f9c-0001"
    assert check_key("k" * MAX_KEY_LENGTH) and MAX_KEY_LENGTH == 255
    for bad in ("", " \t", "k" * 256, "tab\there", 7, None, b"k"):
        with pytest.raises(InvalidIdempotencyKeyError):
            check_key(bad)


def test_a_key_s_use_expires_after_the_period_and_a_new_use_starts_it_again() -> None:
    key = IdempotencyKey(
        key="k-1", command="cards.pay", digest="d1", result="null", created=(), by="u-li"
    )
    used = key.used_at
    assert used.tzinfo is not None and not key.expired(used + timedelta(days=30), 30)
    assert key.expired(used + timedelta(days=30, seconds=1), 30)
    key.use_again(command="cards.pay", digest="d2", result="null", created=(LINE,), by="u-wang")
    assert (key.digest, key.created, key.used_by) == ("d2", (LINE,), "u-wang")
    assert key.used_at >= used and key.version == 2
    assert datetime.now(timezone.utc) - key.used_at < timedelta(minutes=1)


@pytest.mark.parametrize(
    "bad, message",
    [
        (7, "an idempotency key is a string, not int 7"),
        (b"k", "an idempotency key is a string, not bytes b'k'"),
        (" \t", "an idempotency key must not be empty or blank"),
        ("k" * 256, "an idempotency key has at most 255 characters; this one has 256"),
        ("tab\there", "an idempotency key is printable text; 'tab\\there' has control characters"),
    ],
)
def test_a_refused_key_says_what_a_key_must_be(bad: object, message: str) -> None:
    with pytest.raises(InvalidIdempotencyKeyError) as refused:
        check_key(bad)
    assert str(refused.value) == message


def test_a_keys_record_has_an_id_of_its_own_that_never_changes() -> None:
    """Stored logs name a key's record by this id: the same in every release, and one per key."""
    key = IdempotencyKey(key="k-1", command="c", digest="d", result="null", created=(), by="u")
    assert key.id == UUID("01dd8afc-55b5-5abd-8fd2-8e2e1b281fb2")
    assert IdempotencyKey.create_id("k-2") != key.id


def test_a_new_use_records_its_command_and_result() -> None:
    key = IdempotencyKey(
        key="k-1", command="cards.pay", digest="d1", result="1", created=(), by="u-li"
    )
    key.use_again(command="cards.block", digest="d2", result="2", created=(), by="u-wang")
    assert (key.command, key.result) == ("cards.block", "2")
