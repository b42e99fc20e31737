"""A new personal-data key is written in the transaction that saves the events sealed with it:
both commit, or neither; a key another process stored first is the one the events get."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from clientbook import Actor, ClientBook
from clientbook.domain.customer import Customer, customer_id
from clientbook.domain.errors import ConflictError

D = date(2026, 11, 2)
CLERK = Actor("u-clerk", {"officer"})


def stored_key(book: ClientBook, subject: UUID) -> bytes | None:
    rows = book.keys._database.query(
        "SELECT key FROM personal_data_keys WHERE subject = ?", (str(subject),)
    )
    return bytes(rows[0][0]) if rows else None


def new_customer(number: str) -> Customer:
    return Customer.register(
        number=number,
        kind="individual",
        name=f"Name of {number}",
        manager="m-007",
        by=CLERK.id,
        on=D,
        phone="+86 138 1111 2222",
        consent="in_person",
    )


@pytest.fixture
def book(store_url: str) -> Iterator[ClientBook]:
    with ClientBook.open(store_url) as b:
        yield b


class KeyDatabaseCalls:
    """Counts the calls a book makes to its keys' database (queries and transactions)."""

    def __init__(self, book: ClientBook, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        database = book.keys._database
        for name in ("query", "execute", "transaction"):
            original = getattr(database, name)

            def counted(*args: Any, _name: str = name, _f: Any = original, **kw: Any) -> Any:
                self.calls.append(_name)
                return _f(*args, **kw)

            monkeypatch.setattr(database, name, counted)


def test_a_registration_writes_its_key_with_its_events_and_nothing_before(
    book: ClientBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = KeyDatabaseCalls(book, monkeypatch)
    cid = book.customers.register(
        number="C-000001",
        kind="individual",
        name="Li Lei",
        manager="m-007",
        by=CLERK,
        on=D,
        phone="+86 138 1111 2222",
        consent="in_person",
    )
    assert calls.calls == []  # no read of the key, no transaction of its own
    assert stored_key(book, cid)
    assert book.keys._pending == {}
    with ClientBook.open(book.store.url) as other:  # nothing cached: it reads the stored key
        assert other.customers.get(cid).name == "Li Lei"


def test_a_save_that_fails_writes_neither_its_events_nor_its_key(book: ClientBook) -> None:
    book.customers.register(
        number="C-000001", kind="individual", name="Taken", manager="m-007", by=CLERK, on=D
    )
    fresh, clash = new_customer("C-000002"), new_customer("C-000001")  # C-000001 exists
    head = book.head
    with pytest.raises(ConflictError):
        book.app.save_all(fresh, clash)
    assert book.head == head
    assert stored_key(book, fresh.id) is None  # the key was inserted, and rolled back

    again = new_customer("C-000002")  # the command retried: its key is written this time
    book.app.save_all(again)
    assert stored_key(book, again.id)
    with ClientBook.open(book.store.url) as other:
        assert other.customers.get(again.id).name == "Name of C-000002"


_STORE_KEY = """
import sys
from uuid import UUID
from clientbook import ClientBook
with ClientBook.open(sys.argv[1]) as book:
    book.keys.fingerprint(UUID(sys.argv[2]), b"anything")  # makes and stores the key at once
    print(book.keys._database.query(
        "SELECT key FROM personal_data_keys WHERE subject = ?", (sys.argv[2],))[0][0].hex())
"""


def test_a_key_another_process_stored_first_is_the_one_the_events_are_sealed_with(
    book: ClientBook, store_url: str
) -> None:
    """Two processes make a key for one subject: this one's is pending (its registration not
    saved yet) when another stores its own; the save fails on the key, is sealed again with
    the stored key and written; both processes read the customer's personal data."""
    customer = new_customer("C-000001")
    book.app.mapper.to_stored_event(customer.pending_events[0])  # this process's key: pending
    assert customer.id in book.keys._pending

    done = subprocess.run(
        [sys.executable, "-c", _STORE_KEY, store_url, str(customer.id)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    theirs = bytes.fromhex(done.stdout.strip().splitlines()[-1])
    assert theirs != book.keys._pending[customer.id], done.stderr

    book.app.save_all(customer)

    assert stored_key(book, customer.id) == theirs
    assert customer.id not in book.keys._pending
    assert book.customers.get(customer.id).name == "Name of C-000001"
    with ClientBook.open(store_url) as other:
        assert other.customers.get(customer.id).name == "Name of C-000001"
    events = list(book.decoded_events())
    names = [getattr(e, "name", None) for _, e in events if e.originator_id == customer.id]
    assert names[0] == "Name of C-000001"


_REGISTER = """
import sys, time
from datetime import date
from clientbook import Actor, ClientBook, DomainError
with ClientBook.open(sys.argv[1]) as book:
    go = float(sys.argv[2])
    time.sleep(max(0.0, go - time.time()))
    try:
        book.customers.register(number="C-000009", kind="individual", name=sys.argv[3],
                                manager="m-007", by=Actor("u-clerk", {"officer"}),
                                on=date(2026, 11, 2), phone="+86 138 1111 2222",
                                consent="in_person")
        print("registered")
    except DomainError as error:
        print(type(error).__name__)
"""


def test_two_processes_registering_one_customer_one_wins_and_its_data_reads(
    book: ClientBook, store_url: str
) -> None:
    import time

    go = time.time() + 4
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _REGISTER, store_url, str(go), name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("First", "Second")
    ]
    outs = [r.communicate(timeout=120) for r in runs]
    said = sorted(out.strip().splitlines()[-1] for out, _ in outs)
    assert said == ["DuplicateCustomerNumberError", "registered"], outs
    cid = customer_id("C-000009")
    assert book.customers.get(cid).name in ("First", "Second")
    assert stored_key(book, cid)


def test_a_taken_number_is_refused_by_the_save_and_leaves_no_gap_in_the_positions(
    book: ClientBook,
) -> None:
    """No read before a registration's save: the store refuses the taken number's first event
    (on PostgreSQL before a position is taken from the sequence, so no gap is left)."""
    from clientbook.domain.errors import DuplicateCustomerNumberError

    register = dict(kind="individual", name="Li Lei", manager="m-007", by=CLERK, on=D)
    book.customers.register(number="C-000001", **register)  # type: ignore[arg-type]
    with pytest.raises(DuplicateCustomerNumberError):
        book.customers.register(number="C-000001", **register)  # type: ignore[arg-type]
    book.customers.register(number="C-000002", **register)  # type: ignore[arg-type]
    positions = [n.id for n in book.app.recorder.select_notifications(start=1, limit=10)]
    assert positions == [1, 2]


def test_a_log_whose_recorder_writes_no_keys_stores_them_before_its_save(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library's own recorders (chosen by CLIENTBOOK_APPLICATION_RECORDER_TOPIC) write no
    keys with the events: the book stores a new key in a transaction of its own first."""
    recorder = (
        "clientbook.infrastructure.postgres:BoundedApplicationRecorder"
        if store_url.startswith("postgresql")
        else "eventsourcing.sqlite:SQLiteApplicationRecorder"
    )
    monkeypatch.setenv("CLIENTBOOK_APPLICATION_RECORDER_TOPIC", recorder)
    with ClientBook.open(store_url) as book:
        assert not getattr(book.app.recorder, "writes_personal_data_keys", False)
        customer = new_customer("C-000042")
        book.app.save_all(customer)
        assert stored_key(book, customer.id) is not None
        assert book.customers.get(customer.id).name == "Name of C-000042"
