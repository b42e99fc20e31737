"""A command's reads without a round trip: the customer from the aggregate cache and the policy
from memory, both checked by the save itself, so another process's change is still honoured."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from clientbook import Actor, ClientBook, RoleRequiredError

D = date(2026, 11, 2)
CLERK = Actor("u-clerk", {"officer"})
MANAGER = Actor("u-manager", {"manager"})
CONTACT = dict(channel="call", purpose="follow_up", outcome="spoke to them")


@pytest.fixture
def book(store_url: str) -> Iterator[ClientBook]:
    with ClientBook.open(store_url) as b:
        yield b


def in_another_process(store_url: str, code: str) -> None:
    program = (
        "import sys\nfrom datetime import date\nfrom uuid import UUID\n"
        "from clientbook import Actor, ClientBook\nfrom clientbook.testing import change_policy\n"
        "with ClientBook.open(sys.argv[1]) as book:\n"
        + "".join(f"    {line}\n" for line in code.strip().splitlines())
        + "print('done')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, store_url], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip().endswith("done"), done.stderr


def register(book: ClientBook) -> Any:
    return book.customers.register(
        number="C-000001", kind="individual", name="Li Lei", manager="m-007", by=CLERK, on=D
    )


def test_a_command_on_a_cached_customer_reads_nothing_before_its_save(
    book: ClientBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = register(book)
    book.customers.record_contact(cid, **CONTACT, by=CLERK, on=D)  # the policy read once
    reads: list[Any] = []
    recorder = book.app.recorder
    for name in ("select_events", "select_notifications"):
        original = getattr(recorder, name)

        def counted(*args: Any, _f: Any = original, **kwargs: Any) -> Any:
            reads.append(args)
            return _f(*args, **kwargs)

        monkeypatch.setattr(recorder, name, counted)

    book.customers.record_contact(cid, **CONTACT, by=CLERK, on=D)

    assert reads == []
    assert book.customers.get(cid).contacts == 2


def test_a_cached_customer_behind_the_log_is_given_the_command_again_as_the_log_has_it(
    book: ClientBook, store_url: str
) -> None:
    cid = register(book)
    book.customers.record_contact(cid, **CONTACT, by=CLERK, on=D)  # cached at version 2
    in_another_process(
        store_url,
        f"""book.customers.record_contact(UUID("{cid}"), channel="call", purpose="follow_up",
    outcome="spoke", by=Actor("u-other", {{"officer"}}), on=date(2026, 11, 2))""",
    )

    book.customers.record_contact(cid, **CONTACT, by=CLERK, on=D)  # no ConflictError

    assert book.customers.get(cid).contacts == 3
    with ClientBook.open(store_url) as other:
        assert other.customers.get(cid).contacts == 3


def test_a_policy_changed_in_another_process_is_honoured_by_the_next_command_here(
    book: ClientBook, store_url: str
) -> None:
    cid = register(book)
    book.customers.record_contact(cid, **CONTACT, by=CLERK, on=D)  # the policy: none, read
    in_another_process(
        store_url,
        """change_policy(book, "permission:customers.record_contact", "manager",
    reason="one desk", on=date(2026, 11, 2))""",
    )
    head = book.head

    with pytest.raises(RoleRequiredError, match="needs one of the roles: manager"):
        book.customers.record_contact(cid, **CONTACT, by=CLERK, on=D)

    assert book.head == head  # nothing of the refused command was written
    book.customers.record_contact(cid, **CONTACT, by=MANAGER, on=D)
    assert book.customers.get(cid).contacts == 2


def test_a_policy_changed_here_is_read_afresh(book: ClientBook) -> None:
    from clientbook.testing import change_policy

    cid = register(book)
    book.customers.record_contact(cid, **CONTACT, by=CLERK, on=D)
    change_policy(book, "permission:customers.record_contact", "manager", reason="one desk", on=D)
    with pytest.raises(RoleRequiredError):
        book.customers.record_contact(cid, **CONTACT, by=CLERK, on=D)
    book.customers.record_contact(cid, **CONTACT, by=MANAGER, on=D)
