"""The count that "refused or applied" tests rely on: a run that only refused (or only applied)
fails, and a refusal that wrote to the log fails at once."""

from __future__ import annotations

from datetime import date

import pytest
from _outcomes import Outcomes

from clientbook import Actor, ClientBook, DomainError

CLERK = Actor("u-clerk", {"officer"})
D = date(2026, 1, 5)


def register(book: ClientBook, number: str) -> object:
    return book.customers.register(
        number=number, kind="individual", name="Li Lei", manager="m-001", by=CLERK, on=D
    )


def test_a_run_that_only_refused_or_only_applied_fails_the_count(book: ClientBook) -> None:
    refused_only, applied_only, both = Outcomes(), Outcomes(), Outcomes()
    register(book, "C-000001")
    for outcomes in (refused_only, both):
        assert isinstance(outcomes.give(book, lambda: register(book, "C-000001")), DomainError)
    for outcomes, number in ((applied_only, "C-000002"), (both, "C-000003")):
        assert not isinstance(outcomes.give(book, lambda: register(book, number)), DomainError)
    for one_sided in (refused_only, applied_only):
        with pytest.raises(AssertionError, match="saw only"):
            one_sided.assert_both_happened()
    both.assert_both_happened()
    assert both.counts == {"applied": 1, "refused": 1}


def test_a_refusal_that_wrote_to_the_log_fails(book: ClientBook) -> None:
    def writes_then_refuses() -> None:
        register(book, "C-000001")
        raise DomainError("refused after writing")

    with pytest.raises(AssertionError, match="but wrote to the log"):
        Outcomes().give(book, writes_then_refuses)
