"""The errors that carry more than a message keep what a caller acts on (domain/errors.py)."""

from __future__ import annotations

from datetime import datetime, timezone

from clientbook.domain.errors import (
    DomainError,
    IdempotencyKeyReused,
    InvalidInput,
    ReplicaBehind,
    ServiceError,
    ViewBehind,
)

WHEN = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)


def test_a_reused_key_names_its_first_use() -> None:
    error = IdempotencyKeyReused(
        "key k-1 was used for cards.pay",
        key="k-1",
        command="cards.pay",
        actor="u-li",
        when=WHEN,
        position=42,
    )
    assert isinstance(error, DomainError) and str(error) == "key k-1 was used for cards.pay"
    assert (error.key, error.command, error.actor, error.when, error.position) == (
        "k-1",
        "cards.pay",
        "u-li",
        WHEN,
        42,
    )


def test_a_view_behind_says_where_it_is_and_where_it_was_asked_to_be() -> None:
    error = ViewBehind("cards is at 10; asked for 12", projection="cards", position=10, wanted=12)
    assert isinstance(error, ServiceError) and not isinstance(error, DomainError)
    assert str(error) == "cards is at 10; asked for 12"
    assert (error.projection, error.position, error.wanted) == ("cards", 10, 12)


def test_bad_input_names_its_parameter() -> None:
    error = InvalidInput("amount must be Money", parameter="amount")
    assert str(error) == "amount must be Money" and error.parameter == "amount"


def test_a_replica_behind_says_how_far_and_what_the_bound_is() -> None:
    error = ReplicaBehind("the replica is 2,048 bytes behind", lag_bytes=2048, bound=1024.0)
    assert isinstance(error, ServiceError) and not isinstance(error, DomainError)
    assert str(error) == "the replica is 2,048 bytes behind"
    assert (error.lag_bytes, error.bound) == (2048, 1024.0)
