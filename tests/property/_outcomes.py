"""Counting what a "refused or applied" property test saw, so that it can also say both happened.

A property that accepts either outcome passes just as well when every command is refused (or
none is): the count over the whole run is what shows that the test looked at both."""

from __future__ import annotations

from collections import Counter
from typing import Callable, TypeVar

from hypothesis import event
from hypothesis.errors import InvalidArgument

from clientbook import ClientBook, DomainError

T = TypeVar("T")


class Outcomes:
    """Gives commands to a book and counts how many were applied and how many refused."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def give(self, book: ClientBook, command: Callable[[], T]) -> T | DomainError:
        """Apply the command; a refusal must write nothing. Its result, or the refusal."""
        head = book.head
        try:
            result = command()
        except DomainError as refusal:
            assert book.head == head, f"refused with {refusal!r} but wrote to the log"
            self.counts["refused"] += 1
            _note(f"refused: {type(refusal).__name__}")
            return refusal
        self.counts["applied"] += 1
        return result

    def assert_both_happened(self) -> None:
        """Over the run, some commands were applied and some refused."""
        assert self.counts["applied"] > 0 and self.counts["refused"] > 0, (
            f"a test of 'refused or applied' saw only {dict(self.counts)}"
        )


def _note(what: str) -> None:
    """Count it in hypothesis's statistics, when called from a hypothesis test."""
    try:
        event(what)
    except InvalidArgument:  # outside a test
        pass
