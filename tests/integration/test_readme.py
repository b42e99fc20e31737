"""The README's "Embedding clientbook" example runs as written: the embedder's service, then
their property test with clientbook.testing."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks(section: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, re.S)


def test_the_embedding_example_and_its_property_test_run() -> None:
    service, test, _ = _blocks("Embedding clientbook")
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(service, "README: onboarding", "exec"), namespace)
    exec(compile(test, "README: test_onboarding", "exec"), namespace)
    property_test = namespace["test_onboarding_completes_or_writes_nothing"]
    assert callable(property_test)
    property_test()


def test_the_retry_loop_gives_a_command_once_though_its_first_reply_is_lost() -> None:
    from test_idempotency import cut_the_next_reply

    from clientbook import Actor, ClientBook, IdempotencyKeyReused

    *_, retry = _blocks("Embedding clientbook")
    namespace: dict[str, Any] = {"__name__": "readme_retry"}
    exec(compile(retry, "README: retry", "exec"), namespace)
    with_retries = namespace["with_retries"]
    clerk, on = Actor("u-clerk", {"officer"}), date(2026, 1, 5)
    with ClientBook.open("memory:") as book:
        customer = book.customers.register(
            number="C-000001", kind="individual", name="Li Lei", manager="m-001", by=clerk, on=on
        )
        cut_the_next_reply(book)
        with_retries(
            book.customers.record_contact,
            customer,
            channel="call",
            pause=0,
            purpose="follow_up",
            outcome="ok",
            by=clerk,
            on=on,
            idempotency_key="r-1",
        )
        assert book.customers.get(customer).contacts == 1
        with pytest.raises(IdempotencyKeyReused):  # the book's answer: not retried
            with_retries(
                book.customers.record_contact,
                customer,
                channel="visit",
                pause=0,
                purpose="follow_up",
                outcome="ok",
                by=clerk,
                on=on,
                idempotency_key="r-1",
            )


def test_the_public_api_is_what_clientbook_exports() -> None:
    import clientbook

    for name in clientbook.__all__:
        assert getattr(clientbook, name) is not None, name
    assert {"ClientBook", "PastBook", "run_report", "reproduce", "DomainError"} <= set(
        clientbook.__all__
    )
