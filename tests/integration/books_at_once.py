"""What each spawned process of test_opening_at_once runs: a module of its own, so the children
import only clientbook, not pytest and the test's fixtures."""

from __future__ import annotations

from datetime import date
from typing import Any


def open_and_register(urls: list[str], index: int, barrier: Any, results: Any) -> None:
    """Each round, once all processes are ready, open the round's book and register this
    process's customer; report the error, if any, to the test."""
    from clientbook import Actor, ClientBook

    clerk = Actor("u-clerk", {"officer"})
    for round_, url in enumerate(urls):
        barrier.wait(timeout=120)
        try:
            with ClientBook.open(url) as book:
                book.customers.register(
                    number=f"C-{index + 1:06d}",
                    kind="individual",
                    name="Li Lei",
                    manager="m-007",
                    by=clerk,
                    on=date(2026, 11, 2),
                )
            results.put((round_, index, ""))
        except BaseException as error:  # the finding: report it
            results.put((round_, index, f"{type(error).__name__}: {error}"))
