"""Any sequence of keyed commands, with some of them given again — the same (a retry) or with
other arguments under the same key — leaves the log of the sequence given once; every retry
returns the first result and every reuse is refused, and neither writes anything."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from _outcomes import Outcomes

from clientbook import Actor, ClientBook, DomainError, IdempotencyKeyReused, InvalidInput
from clientbook.domain.customer import IdentityClaim, customer_id
from clientbook.testing import CustomerCommand, customer_commands

NUMBERS = st.sampled_from(["C-000001", "C-000002"])
ACTORS = st.sampled_from([Actor("u-li", {"officer"}), Actor("u-wang", {"officer", "manager"})])
DATES = st.sampled_from([date(2026, 3, 2), date(2026, 3, 3)])
COMMANDS = customer_commands(numbers=NUMBERS, actors=ACTORS, dates=DATES)


@st.composite
def scripts(draw: st.DrawFn) -> tuple[list[CustomerCommand], list[str | None], list[Any]]:
    """Commands, their keys (some none), and what is given again: (which command's key, after
    which command, None for the same command or another command for other arguments)."""
    commands = draw(st.lists(COMMANDS, min_size=1, max_size=12))
    keys = [draw(st.sampled_from([f"key-{n}", None, f"key-{n}"])) for n in range(len(commands))]
    again = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(commands) - 1),
                st.integers(0, len(commands) - 1),
                st.one_of(st.none(), COMMANDS),
            ),
            max_size=8,
        )
    )
    return commands, keys, [(source, max(source, after), other) for source, after, other in again]


def give(book: ClientBook, command: CustomerCommand, key: str | None) -> Any:
    customers = book.customers
    if command.method == "register":
        return customers.register(number=command.number, **command.kwargs, idempotency_key=key)
    method = getattr(customers, command.method)  # the id of a customer that may not exist:
    return method(customer_id(command.number), **command.kwargs, idempotency_key=key)


def outcome(book: ClientBook, command: CustomerCommand, key: str | None, outcomes: Outcomes) -> Any:
    """The command's result, or the type of its refusal (which wrote nothing)."""
    result = outcomes.give(book, lambda: give(book, command, key))
    return type(result) if isinstance(result, DomainError) else result


def log(book: ClientBook) -> list[tuple[Any, ...]]:
    """The log but the times recorded and keys' digests: a digest of personal data is keyed by
    the book's own (random) personal-data key, so it differs between two books; so are an
    identity claim's id and document key (by the book's index key): a claim is named by its
    order of appearance, wherever its id appears."""
    events = list(book.decoded_events())
    claims = {
        str(claim): f"claim-{n}"
        for n, claim in enumerate(
            dict.fromkeys(e.originator_id for _, e in events if isinstance(e, IdentityClaim.Event))
        )
    }

    def named(text: str) -> str:
        for claim, name in claims.items():
            text = text.replace(claim, name)
        return text

    return [
        (
            position,
            named(str(e.originator_id)),
            e.originator_version,
            type(e).__qualname__,
            sorted(
                (k, named(repr(v)))
                for k, v in vars(e).items()
                if k not in ("timestamp", "digest", "document_key")
            ),
        )
        for position, e in events
    ]


def test_commands_given_again_with_their_keys_leave_the_log_of_the_commands_given_once() -> None:
    outcomes = Outcomes()  # of the commands given once

    @given(script=scripts())
    def given_again(script: tuple[list[CustomerCommand], list[str | None], list[Any]]) -> None:
        commands, keys, again = script
        with ClientBook.open("memory:") as once:
            expected = [
                outcome(once, command, key, outcomes) for command, key in zip(commands, keys)
            ]
            expected_log = log(once)
        with ClientBook.open("memory:") as twice:
            recorded: dict[str, Any] = {}  # key -> the first result, for keys whose command wrote
            for n, (command, key) in enumerate(zip(commands, keys)):
                head = twice.head
                assert outcome(twice, command, key, Outcomes()) == expected[n]
                if key is not None and twice.head > head:
                    recorded[key] = expected[n]
                for source, _, other in (a for a in again if a[1] == n):
                    key = keys[source]
                    if key not in recorded:  # no key, or its command wrote nothing: no retry
                        continue
                    head = twice.head
                    if other is None or other == commands[source]:
                        assert give(twice, commands[source], key) == recorded[key]
                    else:
                        try:
                            give(twice, other, key)
                        except IdempotencyKeyReused as refusal:
                            assert refusal.key == key
                        except InvalidInput:
                            pass  # malformed arguments are refused before any key is read
                        else:
                            raise AssertionError(f"{other} reused {key!r} and was not refused")
                    assert twice.head == head
            assert log(twice) == expected_log

    given_again()
    outcomes.assert_both_happened()
