"""The log's hash chain on SQLite and PostgreSQL (issue 13): written with the events, by
concurrent writers too; damage made directly in the database is named by `verify`."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterator
from uuid import UUID, uuid4

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteConnection

from clientbook import Actor, ClientBook
from clientbook.domain.errors import ConflictError
from clientbook.infrastructure import chain
from clientbook.infrastructure.store import parse_store_url
from clientbook.verify import link

D = date(2026, 11, 2)
CLERK = Actor("u-clerk", {"officer"})
WRITERS, EACH = 2, 12
WRITER = """
import sys
from datetime import date
from clientbook import Actor, ClientBook
with ClientBook.open(sys.argv[1]) as book:
    for i in range(int(sys.argv[3])):
        book.customers.register(number=f"C-{sys.argv[2]}{i:04d}", kind="individual",
                                name="Li Lei", manager="m-007", by=Actor("u-clerk", {"officer"}),
                                on=date(2026, 11, 2))
"""


@pytest.fixture
def signed_url(store_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A store whose book can sign: PostgreSQL gets its key from the environment."""
    if store_url.startswith("postgresql"):
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        monkeypatch.setenv("CLIENTBOOK_SIGNING_KEY", pem.decode())
    return store_url


def register(book: ClientBook, prefix: str, count: int) -> None:
    for i in range(count):
        book.customers.register(
            number=f"C-{prefix}{i:04d}",
            kind="individual",
            name="Li Lei",
            manager="m-007",
            by=CLERK,
            on=D,
        )


class Raw:
    """The book's database as an intruder reaches it: plain SQL on the events and the chain."""

    def __init__(self, url: str) -> None:
        store = parse_store_url(url)
        self.sqlite = store.kind == "sqlite"
        if self.sqlite:
            self.connection: Any = sqlite3.connect(store.sqlite_path or "", isolation_level=None)
            self.connection.execute("PRAGMA synchronous=OFF")  # many small edits, no fsyncs
            self.events, self.chain, self.position = "stored_events", "stored_events_chain", "rowid"
        else:
            self.connection = psycopg.connect(
                store.postgres_conninfo or "",
                autocommit=True,
                options=f"-c search_path={store.postgres_schema}",
            )
            self.events, self.chain = "clientbook_events", "clientbook_events_chain"
            self.position = "notification_id"

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        if not self.sqlite:
            sql = sql.replace("?", "%s")
        cursor = self.connection.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []

    def state(self, position: int) -> bytes:
        return bytes(
            self.run(f"SELECT state FROM {self.events} WHERE {self.position} = ?", (position,))[0][
                0
            ]
        )

    def set_state(self, position: int, state: bytes) -> None:
        self.run(f"UPDATE {self.events} SET state = ? WHERE {self.position} = ?", (state, position))

    def delete(self, position: int, *, link: bool) -> None:
        """Delete the event; with `link`, its link too (on SQLite the link is in the event's
        row and always goes with it: `link=False` is PostgreSQL's alone)."""
        assert link or not self.sqlite, "a SQLite event's link is in its row"
        self.run(f"DELETE FROM {self.events} WHERE {self.position} = ?", (position,))
        if link and not self.sqlite:
            self.run(f"DELETE FROM {self.chain} WHERE position = ?", (position,))

    def unchain(self) -> None:
        """Remove every link, as a log written before the chain has none."""
        if self.sqlite:
            self.run(f"UPDATE {self.events} SET chain_seq = NULL, chain_link = NULL")
        else:
            self.run(f"DELETE FROM {self.chain}")

    def with_its_own_chain_table(self) -> list[Any]:
        """A SQLite log as clientbook chained it before the links moved into the events' rows:
        the links in a table `stored_events_chain` of their own; returns them."""
        links = self.run(f"SELECT position, seq, link FROM {self.chain} ORDER BY position")
        self.as_before_the_chain()
        self.run(f"CREATE TABLE {self.chain} (position INTEGER PRIMARY KEY, "
                 "seq INTEGER NOT NULL, link BLOB NOT NULL)")  # fmt: skip
        self.connection.executemany(f"INSERT INTO {self.chain} VALUES (?, ?, ?)", links)
        return links

    def as_before_the_chain(self) -> None:
        """The tables as a book from before issue 13 left them: no chain at all."""
        if self.sqlite:
            self.run(f"DROP VIEW {self.chain}")
            self.run(f"ALTER TABLE {self.events} DROP COLUMN chain_link")
            self.run(f"ALTER TABLE {self.events} DROP COLUMN chain_seq")
        else:
            self.run(f"DROP TABLE {self.chain}")


def _written(url: str) -> Iterator[tuple[ClientBook, Raw]]:
    with ClientBook.open(url) as book:
        register(book, "11", 8)
        raw = Raw(url)
        yield book, raw
        raw.connection.close()


@pytest.fixture
def written(signed_url: str) -> Iterator[tuple[ClientBook, Raw]]:
    """Eight events on each backend: for what the backends do differently (writing, reading)."""
    yield from _written(signed_url)


@pytest.fixture
def on_sqlite(tmp_path: Path) -> Iterator[tuple[ClientBook, Raw]]:
    """Eight events on SQLite: for the verifier's verdicts, which read both backends alike."""
    yield from _written(f"sqlite:///{tmp_path / 'book.db'}")


def damage_of(book: ClientBook) -> tuple[str, int]:
    verdict = book.trust.verify()
    assert verdict.damage is not None, "the damage went unnoticed"
    return verdict.damage.kind, verdict.damage.position


def test_every_event_is_chained_as_it_is_written(written: tuple[ClientBook, Raw]) -> None:
    book, raw = written
    rows = raw.run(f"SELECT seq, position FROM {raw.chain} ORDER BY seq")
    assert rows == [(seq, seq) for seq in range(1, book.head + 1)]
    verdict = book.trust.verify()
    assert verdict.ok, verdict.summary()
    assert (verdict.events, verdict.sound_to) == (book.head, book.head)


def test_a_write_refused_by_a_conflict_leaves_no_link(written: tuple[ClientBook, Raw]) -> None:
    book, raw = written
    before = raw.run(f"SELECT count(*) FROM {raw.chain}")[0][0]
    customer = book.find("C-110000")
    first, second = (book.app.repository.get(customer) for _ in range(2))
    for copy in (first, second):
        copy.record_contact(channel="call", purpose="follow_up", outcome="ok", by=CLERK.id, on=D)
    book.app.save_all(first)
    with pytest.raises(ConflictError, match="changed by someone else"):
        book.app.save_all(second)  # refused by the store (on PostgreSQL: a position used up)
    assert raw.run(f"SELECT count(*) FROM {raw.chain}")[0][0] == before + 1
    register(book, "12", 1)
    assert book.trust.verify().ok


def test_each_byte_of_a_sample_of_stored_states_flipped_is_named(
    written: tuple[ClientBook, Raw],
) -> None:
    book, raw = written
    for position in (1, 5):
        state = raw.state(position)
        step = 1 if raw.sqlite else 37  # every byte on SQLite, a sample on PostgreSQL
        for i in range(0, len(state), step):
            flipped = bytearray(state)
            flipped[i] ^= 0x20
            raw.set_state(position, bytes(flipped))
            assert damage_of(book) == ("altered", position), f"byte {i} of position {position}"
        raw.set_state(position, state)
    assert book.trust.verify().ok


def test_a_deleted_event_is_named_deleted(written: tuple[ClientBook, Raw]) -> None:
    book, raw = written
    if not raw.sqlite:  # a link kept where its event is gone
        raw.delete(4, link=False)
        assert damage_of(book) == ("deleted", 4)
    raw.delete(4, link=True)  # the event and its link: the chain jumps at the next one
    assert damage_of(book) == ("deleted", 5)


def test_an_inserted_event_is_named_inserted(on_sqlite: tuple[ClientBook, Raw]) -> None:
    book, raw = on_sqlite
    row = raw.run(f"SELECT originator_id, topic, state FROM {raw.events} WHERE {raw.position} = 3")[
        0
    ]
    columns = "originator_id, originator_version, topic, state"
    raw.run(f"INSERT INTO {raw.events} ({columns}) VALUES (?, 2, ?, ?)", tuple(row))
    kind, position = damage_of(book)
    assert (kind, position) == ("inserted", book.head)


def test_an_event_inserted_at_the_end_does_not_stop_the_chain(
    on_sqlite: tuple[ClientBook, Raw],
) -> None:
    """The next save goes on from the last link there is; the intruder's event is named."""
    book, raw = on_sqlite
    row = raw.run(f"SELECT originator_id, topic, state FROM {raw.events} WHERE {raw.position} = 3")
    columns = "originator_id, originator_version, topic, state"
    raw.run(f"INSERT INTO {raw.events} ({columns}) VALUES (?, 2, ?, ?)", tuple(row[0]))
    register(book, "12", 2)
    assert damage_of(book) == ("inserted", 9)
    raw.delete(9, link=True)
    verdict = book.trust.verify()
    assert verdict.ok and verdict.events == 10, verdict.summary()


def test_a_sqlite_log_whose_chain_has_its_own_table_moves_it_into_the_events_rows(
    tmp_path: Path,
) -> None:
    """A log chained by an earlier clientbook (the links in `stored_events_chain`, a table)
    opens with its links in the events' rows, its checkpoint still vouching for them."""
    url = f"sqlite:///{tmp_path / 'book.db'}"
    with ClientBook.open(url) as book:
        register(book, "11", 4)
        book.trust.checkpoint(note="before the move")
    raw = Raw(url)
    links = raw.with_its_own_chain_table()
    with ClientBook.open(url) as book:
        assert raw.run("SELECT type FROM sqlite_master WHERE name = 'stored_events_chain'") == [
            ("view",)
        ]
        assert raw.run("SELECT rowid, chain_seq, chain_link FROM stored_events") == links
        register(book, "12", 1)
        verdict = book.trust.verify()
        assert verdict.ok and verdict.events == 5 and verdict.checkpoints == 1, verdict.summary()
    raw.connection.close()


def test_two_events_with_their_states_swapped_are_named_reordered(
    on_sqlite: tuple[ClientBook, Raw],
) -> None:
    book, raw = on_sqlite
    two, six = raw.state(2), raw.state(6)
    raw.set_state(2, six)
    raw.set_state(6, two)
    assert damage_of(book) == ("reordered", 2)


def test_a_log_cut_short_after_a_checkpoint_is_named_truncated(
    on_sqlite: tuple[ClientBook, Raw],
) -> None:
    book, raw = on_sqlite
    checkpoint = book.trust.checkpoint(note="test")
    assert checkpoint.position == book.head == 8
    raw.delete(8, link=True)
    raw.delete(7, link=True)
    assert damage_of(book) == ("truncated", 7)


def test_a_rewritten_chain_is_caught_by_the_checkpoint(on_sqlite: tuple[ClientBook, Raw]) -> None:
    book, raw = on_sqlite
    book.trust.checkpoint(note="test")
    altered = raw.state(3).replace(b'"by":"u-clerk"', b'"by":"u-other"')
    assert altered != raw.state(3)
    raw.set_state(3, altered)
    raw.unchain()
    book.trust.seal_existing()  # the chain recomputed over the altered log, even signed anew
    verdict = book.trust.verify()
    assert verdict.damage is not None
    assert (verdict.damage.kind, verdict.damage.position) == ("altered", 8)


def test_verify_from_and_to_check_that_stretch_only(on_sqlite: tuple[ClientBook, Raw]) -> None:
    book, raw = on_sqlite
    raw.set_state(2, raw.state(2) + b" ")
    stretch = book.trust.verify(3, 6)
    assert stretch.ok and (stretch.first, stretch.last, stretch.events) == (3, 6, 4)
    assert book.trust.verify(1, 6).damage is not None


def test_the_writers_links_are_the_verifiers_whatever_its_cache_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The writer keeps the encoded aggregate ids and topics it hashes (chain.py); a cache
    that fills and is emptied, ids given as text or as UUIDs: the links stay `verify.link`'s."""
    monkeypatch.setattr(chain, "_ENCODED_LIMIT", 3)
    ids = [uuid4() for _ in range(5)]
    events = [
        StoredEvent(ids[i % 5] if i % 2 else str(ids[i % 5]), i, f"t.{i % 4}", bytes([i]) * i)
        for i in range(1, 30)
    ]
    positions = [10 * i for i in range(1, 30)]
    expected, previous = [], os.urandom(32)
    head = (7, previous)
    for seq, (position, event) in enumerate(zip(positions, events), start=8):
        previous = link(
            previous, seq, position, str(UUID(str(event.originator_id))),
            event.originator_version, event.topic, event.state,
        )  # fmt: skip
        expected.append((seq, position, previous))
    assert chain.next_links(head, positions, events) == expected
    assert chain.next_links(head, positions, events) == expected  # from the cache, this time


def test_a_writer_extends_from_its_last_row_only_while_no_other_save_came_between(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SQLite writer remembers the last row it committed and extends from it when its next
    events directly follow (chain.py): never from a save that failed at its commit, and never
    past another book's save."""
    url = f"sqlite:///{tmp_path / 'book.db'}"
    with ClientBook.open(url) as a, ClientBook.open(url) as b:
        register(a, "31", 2)
        committing = SQLiteConnection.commit

        def failing(connection: SQLiteConnection) -> None:
            connection.rollback()  # the events and their links were written; the commit fails
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(SQLiteConnection, "commit", failing)
        with pytest.raises(Exception, match="disk I/O error"):
            register(a, "32", 1)
        monkeypatch.setattr(SQLiteConnection, "commit", committing)
        register(b, "33", 1)  # takes the position the failed save had
        register(a, "34", 2)
        register(b, "35", 1)
        register(a, "36", 1)
        verdict = a.trust.verify()
        assert verdict.ok, verdict.damage
        assert verdict.events == a.head == 7


def test_a_writer_extends_the_chain_from_its_head_even_after_the_log_was_rewound(
    tmp_path: Path,
) -> None:
    """A log restored from a backup under a running writer (its last events gone) goes on
    from the head it has: the writer never links from a row it remembers writing."""
    url = f"sqlite:///{tmp_path / 'book.db'}"
    with ClientBook.open(url) as a, ClientBook.open(url) as b:
        register(a, "41", 3)
        raw = Raw(url)
        last = a.head
        raw.delete(last, link=True)  # the backup ended one event earlier
        register(b, "42", 1)  # takes the position again
        register(a, "43", 1)
        raw.connection.close()
        verdict = a.trust.verify()
        assert verdict.ok, verdict.damage


def _threads(url: str, count: int, work: Callable[[ClientBook, str], None]) -> None:
    errors: list[BaseException] = []

    def run(prefix: str) -> None:
        try:
            with ClientBook.open(url) as book:
                work(book, prefix)
        except BaseException as error:  # reported below, with the others
            errors.append(error)

    threads = [threading.Thread(target=run, args=(f"2{i}",)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def test_concurrent_writers_in_threads_leave_a_sound_chain(signed_url: str) -> None:
    _threads(signed_url, 4, lambda book, prefix: register(book, prefix, 10))
    with ClientBook.open(signed_url) as book:
        verdict = book.trust.verify()
        assert verdict.ok, verdict.summary()
        assert verdict.events == 40


def test_concurrent_writers_in_processes_leave_a_sound_chain(signed_url: str) -> None:
    ClientBook.open(signed_url).close()  # the tables exist before the writers start
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, signed_url, f"3{i}", str(EACH)],
            env=os.environ.copy(),
            stderr=subprocess.PIPE,
        )
        for i in range(WRITERS)
    ]
    for writer in writers:
        _, error = writer.communicate(timeout=90)
        assert writer.returncode == 0, error.decode()
    with ClientBook.open(signed_url) as book:
        verdict = book.trust.verify()
        assert verdict.ok, verdict.summary()
        assert verdict.events == WRITERS * EACH


def test_close_of_business_signs_a_checkpoint_for_each_date_it_closes(signed_url: str) -> None:
    with ClientBook.open(signed_url) as book:
        register(book, "11", 2)
        book.close_of_business(D)
        book.close_of_business(date(2026, 11, 4))  # closes the 3rd and the 4th
        checkpoints = book.trust.checkpoints()
        assert [c.business_date for c in checkpoints] == ["2026-11-02", "2026-11-03", "2026-11-04"]
        assert checkpoints[-1].position == book.head
        verdict = book.trust.verify()
        assert verdict.ok and verdict.checkpoints == 3, verdict.summary()


def test_erasing_a_customer_leaves_the_chain_sound(signed_url: str) -> None:
    with ClientBook.open(signed_url) as book:
        register(book, "11", 2)
        customer = book.find("C-110000")
        book.customers.close(customer, reason="left the bank", by=CLERK, on=D)
        book.trust.checkpoint(note="before the erasure")
        book.customers.erase_personal_data(customer, reason="asked", by=CLERK, on=D)
        verdict = book.trust.verify()
        assert verdict.ok and verdict.checkpoints == 1, verdict.summary()


def test_a_log_written_before_the_chain_is_unchained_until_sealed(signed_url: str) -> None:
    url = signed_url
    with ClientBook.open(url) as book:
        register(book, "11", 3)
    raw = Raw(url)
    raw.as_before_the_chain()
    with ClientBook.open(url) as book:  # opening it makes the chain's table, empty
        register(book, "12", 2)  # an old log gets no links until it is sealed
        assert raw.run(f"SELECT count(*) FROM {raw.chain}") == [(0,)]
        assert damage_of(book) == ("unchained", 1)
        sealed = book.trust.seal_existing()
        assert (sealed.position, sealed.seq) == (5, 5)
        assert "sealed the 5 events" in sealed.note
        register(book, "13", 1)
        verdict = book.trust.verify()
        assert verdict.ok and verdict.events == 6 and verdict.checkpoints == 1


def test_verify_reports_its_progress(
    on_sqlite: tuple[ClientBook, Raw], monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientbook.infrastructure import trust

    book, _ = on_sqlite
    monkeypatch.setattr(trust, "PROGRESS_EVERY", 3)
    seen: list[tuple[int, int]] = []
    assert book.trust.verify(progress=lambda done, last: seen.append((done, last))).ok
    assert seen == [(3, 8), (6, 8), (8, 8)]


def test_verify_while_others_write_finds_the_log_sound(signed_url: str) -> None:
    with ClientBook.open(signed_url) as book:
        register(book, "11", 2)
        writer = threading.Thread(
            target=_threads, args=(signed_url, 2, lambda b, p: register(b, p, 15))
        )
        writer.start()
        verdicts = []
        while writer.is_alive():
            verdicts.append(book.trust.verify())
        writer.join()
        verdicts.append(book.trust.verify())
    assert len(verdicts) > 1 and all(v.ok for v in verdicts), [v.summary() for v in verdicts]
    assert verdicts[-1].events == 32


def test_one_edit_erasing_the_first_and_last_links_does_not_stop_the_chain(
    on_sqlite: tuple[ClientBook, Raw],
) -> None:
    """A single UPDATE that empties the first and the last event's links is named, and the
    writers go on linking from the last link there is: it must not turn a chained log into an
    unchained one (every later event unprotected)."""
    book, raw = on_sqlite
    raw.run(f"UPDATE {raw.events} SET chain_seq = NULL, chain_link = NULL WHERE rowid IN (1, 8)")
    register(book, "12", 2)
    assert raw.run(f"SELECT position, seq FROM {raw.chain} WHERE position > 8") == [(9, 8), (10, 9)]
    assert damage_of(book) == ("inserted", 1)


def test_moving_an_old_chain_table_keeps_a_link_whose_event_is_gone(tmp_path: Path) -> None:
    """An old log whose last event was deleted behind the writers' backs (its link left in
    `stored_events_chain`) is named `deleted` before the move; it must still be after it."""
    url = f"sqlite:///{tmp_path / 'book.db'}"
    with ClientBook.open(url) as book:
        register(book, "11", 4)
    raw = Raw(url)
    raw.with_its_own_chain_table()
    raw.run("DELETE FROM stored_events WHERE rowid = 4")  # the event gone, its link kept
    with ClientBook.open(url) as book:
        register(book, "12", 1)
        assert book.head == 5  # after the link kept at 4, not in its place
        assert damage_of(book) == ("deleted", 4)
    raw.connection.close()


def test_two_recorders_on_one_datastore_each_extend_from_the_last_row(tmp_path: Path) -> None:
    """Two of the log's recorders sharing one datastore (one connection from its pool): a save
    by one commits on the connection the other remembers, which `data_version` does not see
    (it changes only for other connections' commits)."""
    from eventsourcing.persistence import InfrastructureFactory
    from eventsourcing.utils import Environment

    store = parse_store_url(f"sqlite:///{tmp_path / 'book.db'}")
    factory: Any = InfrastructureFactory.construct(Environment("ClientBook", store.env))
    first, second = factory.application_recorder(), factory.application_recorder()
    assert first.datastore is second.datastore

    def event() -> StoredEvent:
        return StoredEvent(uuid4(), 1, "Customer.ContactRecorded", b"{}")

    assert first.insert_events([event()]) == [1]
    assert second.insert_events([event()]) == [2]
    assert first.insert_events([event()]) == [3]  # not position 2 again (a refused save)
    factory.close()


def test_a_row_at_sqlites_last_rowid_fails_saves_as_the_store_not_as_python(
    tmp_path: Path,
) -> None:
    """An event put at rowid 2**63 - 1 (the largest SQLite has) leaves the writers no next
    position: a save fails as a persistence error naming it, not with Python's OverflowError
    (which nothing above the recorder expects), and saves go on once the row is gone."""
    from eventsourcing.persistence import InfrastructureFactory, PersistenceError
    from eventsourcing.utils import Environment

    path = tmp_path / "book.db"
    store = parse_store_url(f"sqlite:///{path}")
    factory: Any = InfrastructureFactory.construct(Environment("ClientBook", store.env))
    log = factory.application_recorder()

    def event() -> StoredEvent:
        return StoredEvent(uuid4(), 1, "Customer.ContactRecorded", b"{}")

    log.insert_events([event()])
    raw = sqlite3.connect(path, isolation_level=None)
    columns = "rowid, originator_id, originator_version, topic, state"
    raw.execute(
        f"INSERT INTO stored_events ({columns}) VALUES (?, ?, 1, 'T', x'')",
        (2**63 - 1, uuid4().hex),
    )
    with pytest.raises(PersistenceError, match="9223372036854775807"):
        log.insert_events([event()])
    raw.execute("DELETE FROM stored_events WHERE rowid = ?", (2**63 - 1,))
    raw.close()
    assert log.insert_events([event()]) == [2]
    factory.close()


def test_an_event_put_below_position_1_is_named_inserted(on_sqlite: tuple[ClientBook, Raw]) -> None:
    book, raw = on_sqlite
    row = raw.run(f"SELECT originator_id, topic, state FROM {raw.events} WHERE {raw.position} = 3")
    columns = "rowid, originator_id, originator_version, topic, state"
    raw.run(f"INSERT INTO {raw.events} ({columns}) VALUES (-5, ?, 2, ?, ?)", tuple(row[0]))
    assert damage_of(book) == ("inserted", -5)
