"""Sealed events decode a page at a time: the keys of a page's subjects in one query, read
afresh for each page, so that an erasure committed in another process is honoured at once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from clientbook import Actor, ClientBook
from clientbook.domain.customer import ERASED
from clientbook.infrastructure.keys import KeyStore
from clientbook.infrastructure.store import parse_store_url

D = date(2026, 11, 2)
CLERK = Actor("u-clerk", {"officer"})


def register(book: ClientBook, number: str) -> UUID:
    cid = book.customers.register(
        number=number,
        kind="individual",
        name=f"Name of {number}",
        manager="m-007",
        by=CLERK,
        on=D,
        phone="+86 138 1111 2222",
        consent="in_person",
    )
    book.customers.update_profile(cid, name=f"New name of {number}", by=CLERK, on=D)
    return cid


class KeyQueries:
    """Counts the queries of the book's key tables (the keys and the erasure count)."""

    def __init__(self, book: ClientBook, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        database = book.keys._database
        query = database.query

        def counted(sql: str, *args: Any, **kwargs: Any) -> Any:
            if "personal_data_key" in sql:
                self.count += 1
            return query(sql, *args, **kwargs)

        monkeypatch.setattr(database, "query", counted)


@pytest.fixture
def book(store_url: str) -> Iterator[ClientBook]:
    with ClientBook.open(store_url) as b:
        yield b


def names(book: ClientBook) -> dict[UUID, str]:
    """Each customer's name as the log's events give it, the whole log decoded as one page."""
    notifications = book.app.recorder.select_notifications(start=1, limit=1000)
    found = {}
    for event in book.app.mapper.to_domain_events(notifications):  # type: ignore[attr-defined]
        if hasattr(event, "name"):
            found[event.originator_id] = event.name
    return found


def test_a_page_of_sealed_events_reads_its_keys_in_one_query(
    book: ClientBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [register(book, f"C-{n:06d}") for n in range(1, 11)]
    queries = KeyQueries(book, monkeypatch)

    decoded = names(book)

    assert decoded == {cid: f"New name of C-{n:06d}" for n, cid in enumerate(ids, 1)}
    assert queries.count == 1  # 20 sealed events of 10 subjects: one query, not 20


def test_a_load_reads_its_events_keys_in_one_query(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ClientBook.open(store_url) as book:
        cid = register(book, "C-000001")
        for n in range(5):
            book.customers.update_profile(cid, name=f"Name {n}", by=CLERK, on=D)
    with ClientBook.open(store_url) as fresh:  # nothing cached: the load decodes 7 events
        queries = KeyQueries(fresh, monkeypatch)
        assert fresh.customers.get(cid).name == "Name 4"
        assert queries.count == 1


def test_each_page_reads_the_keys_afresh(book: ClientBook) -> None:
    cid = register(book, "C-000001")
    assert names(book)[cid] == "New name of C-000001"
    book.keys.forget(cid)
    assert names(book)[cid] == ERASED
    first = book.app.recorder.select_notifications(start=1, limit=1)[0]
    alone: Any = book.app.mapper.to_domain_event(first)  # one event alone reads it afresh too
    assert alone.name == ERASED


_FORGET = """
import sys
from uuid import UUID
from clientbook import ClientBook
with ClientBook.open(sys.argv[1]) as book:
    book.keys.forget(UUID(sys.argv[2]))
print("forgotten")
"""


def test_an_erasure_in_another_process_is_honoured_by_the_next_decode_here(
    book: ClientBook, store_url: str
) -> None:
    """Erasure in one process, decode in another: the erased key is never used afterwards."""
    kept, erased = register(book, "C-000001"), register(book, "C-000002")
    assert names(book) == {kept: "New name of C-000001", erased: "New name of C-000002"}
    trail = book.audit.trail(aggregate=erased)
    assert "New name of C-000002" in repr([e.changes for e in trail])

    done = subprocess.run(
        [sys.executable, "-c", _FORGET, store_url, str(erased)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip() == "forgotten", done.stderr

    assert names(book) == {kept: "New name of C-000001", erased: ERASED}
    after = [e.changes for e in book.audit.trail(aggregate=erased)]
    assert "Name of C-000002" not in repr(after)
    assert after[0]["name"] == ERASED
    events = [e for _, e in book.decoded_events() if e.originator_id == erased]
    assert {getattr(e, "name", ERASED) for e in events} == {ERASED}


def test_keys_kept_from_a_page_are_dropped_once_any_key_changes_in_the_database(
    book: ClientBook, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The erasure count moves with any UPDATE or DELETE of a key, whoever makes it (here a
    bare statement on a connection of its own, as an older process's forget would)."""
    kept, erased = register(book, "C-000001"), register(book, "C-000002")
    assert names(book) == {kept: "New name of C-000001", erased: "New name of C-000002"}
    queries = KeyQueries(book, monkeypatch)
    assert names(book)[kept] == "New name of C-000001"
    assert queries.count == 1  # the count alone: both keys were kept

    other = parse_store_url(store_url).open_database()
    try:
        other.execute("UPDATE personal_data_keys SET key = ? WHERE subject = ?", (b"", str(erased)))
    finally:
        other.close()

    assert names(book) == {kept: "New name of C-000001", erased: ERASED}
    other = parse_store_url(store_url).open_database()
    try:
        other.execute("DELETE FROM personal_data_keys WHERE subject = ?", (str(kept),))
    finally:
        other.close()
    assert names(book) == {kept: ERASED, erased: ERASED}


def test_a_view_reads_the_keys_of_a_page_it_seals_in_one_query(
    book: ClientBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    subjects = [register(book, f"C-{i + 1:06}") for i in range(12)]
    keys = KeyStore(book.keys._database, book.keys._kek)  # a process that has read no key yet
    queries = KeyQueries(book, monkeypatch)

    keys.load(subjects)
    sealed = [keys.seal_value(s, b"a name") for s in subjects]

    assert queries.count == 1
    assert sealed == [book.keys.seal_value(s, b"a name") for s in subjects]  # the stored keys


def test_a_value_sealed_before_is_not_sealed_again_and_never_outlives_its_key(
    book: ClientBook,
) -> None:
    first, second = register(book, "C-000001"), register(book, "C-000002")
    keys = KeyStore(book.keys._database, book.keys._kek)
    sealed = keys.seal_value(first, b"a name")
    remembered = keys._sealed[(first, b"a name")]

    assert keys.seal_value(first, b"a name") is sealed  # the remembered text itself
    assert keys.seal_value(second, b"a name") != sealed  # each subject under its own key
    assert remembered[0] is keys.cipher(first, create=False)

    keys.forget(first)

    assert keys.seal_value(first, b"a name") == ""
    assert keys._sealed == {}  # no plaintext kept after an erasure


def test_a_rebuild_seals_its_names_with_keys_read_in_bulk_past_the_keys_kept(
    book: ClientBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild's shadow writes every customer's document at its swap: their keys are read a
    few hundred a query, in parts the key store keeps, never one query a customer."""
    from clientbook.infrastructure import buffered
    from clientbook.infrastructure import keys as keys_module

    subjects = [register(book, f"C-{i + 1:06}") for i in range(12)]
    before = names(book)
    monkeypatch.setattr(keys_module, "_SUBJECTS_KEPT", 3)
    monkeypatch.setattr(buffered.Documents, "PREPARED", 3)
    book.keys._cache.clear()  # as in a process that has sealed for none of them
    one_by_one: list[UUID] = []
    read = KeyStore._read

    def reading(self: KeyStore, subject: UUID) -> bytes | None:
        one_by_one.append(subject)
        return read(self, subject)

    monkeypatch.setattr(KeyStore, "_read", reading)

    book.projections.rebuild(names=["customer_directory", "complaint_cards"])

    assert one_by_one == []
    assert names(book) == before and set(before) == set(subjects)
