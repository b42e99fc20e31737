"""The audit trail is an index of the log: it reads each event's changes from the log when asked,
so personal data is never copied into it and reads as erased once its key is forgotten."""

from __future__ import annotations

import calendar
import threading

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from clientbook import Actor, ClientBook
from clientbook.domain.customer import ERASED
from clientbook.infrastructure.audit_view import LogReader, SqlAuditTrailView
from clientbook.infrastructure.sql import SqlDatabase
from clientbook.infrastructure.store import parse_store_url
from clientbook.projections.audit import AuditTrailProjection

D = date(2026, 11, 2)
CLERK = Actor("u-clerk", {"officer"})
PERSONAL = ("Li Lei", "+86 138 1111 2222", "110101199001010001", "9 Nanjing Road")
INDEX_COLUMNS = [
    "position",
    "recorded_micros",
    "business_date",
    "actor",
    "aggregate_type",
    "aggregate_id",
    "version",
    "event_type",
]


def register(book: ClientBook, number: str = "C-000001") -> UUID:
    cid = book.customers.register(
        number=number,
        kind="individual",
        name="Li Lei",
        manager="m-007",
        by=CLERK,
        on=D,
        phone="+86 138 1111 2222",
        document_number=f"11010119900101{number[-4:]}",
        consent="in_person",
    )
    book.customers.give_consent(cid, "address", channel="written", by=CLERK, on=D)
    book.customers.update_profile(cid, address="9 Nanjing Road", by=CLERK, on=D)
    return cid


def audit_view(book: ClientBook) -> Any:
    (view,) = [p.view for p in book.projections.projections if p.name == "audit_trail"]
    return view


def stored_rows(book: ClientBook) -> list[tuple[Any, ...]]:
    """Every row the audit trail's view keeps, in every table it has, once caught up."""
    book.projections.catch_up()
    view = audit_view(book)
    return [
        tuple(row)
        for table in view.tables
        for row in view.database.query(f"SELECT * FROM {table} ORDER BY position")
    ]


class NoLog:
    """A log with nothing in it: for tests of the view's writes alone."""

    def at(self, positions: Sequence[int]) -> dict[int, Any]:
        return {}

    def of(self, aggregate: UUID) -> list[Any]:
        return []


@pytest.fixture
def database(store_url: str) -> Iterator[SqlDatabase]:
    db = parse_store_url(store_url).open_database()
    yield db
    db.close()


def entry(position: int, aggregate: UUID) -> tuple[Any, ...]:
    """What the projection gives the view for one event: `view.index([entry(…)])`."""
    return (
        position,
        datetime(2026, 11, 2, 9, tzinfo=timezone.utc),
        D,
        "u-clerk",
        "Customer",
        aggregate,
        position,
        "Registered",
    )


def test_the_trail_keeps_an_index_of_the_log_and_no_changes_or_personal_data(
    store_url: str,
) -> None:
    with ClientBook.open(store_url) as book:
        cid = register(book)
        (registered,) = book.audit.trail(aggregate=cid, event_type="Registered")
        assert registered.changes["name"] == "Li Lei"  # read from the log, opened with its key
        assert registered.changes["phone"] == "+86 138 1111 2222"
        rows = stored_rows(book)
        named = audit_view(book).database.query(
            f"SELECT {', '.join(INDEX_COLUMNS)} FROM audit_trail ORDER BY position"
        )
        assert [tuple(r) for r in named] == rows  # these columns and no others
        assert [(r[0], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows] == [
            (1, "2026-11-02", "u-clerk", "Customer", cid.hex, 1, "Registered"),
            (2, "2026-11-02", "u-clerk", "Customer", cid.hex, 2, "ConsentGiven"),
            (3, None, "u-clerk", "IdentityClaim", rows[2][5], 1, "Claimed"),
            (4, "2026-11-02", "u-clerk", "Customer", cid.hex, 3, "ConsentGiven"),
            (5, "2026-11-02", "u-clerk", "Customer", cid.hex, 4, "ProfileUpdated"),
        ]
        assert not [d for d in PERSONAL if d in repr(rows)]
        assert AuditTrailProjection.version == 2  # the stored shape of version 1 had changes


def test_forgetting_a_key_makes_the_trail_read_personal_data_as_erased_with_no_scrub(
    store_url: str,
) -> None:
    with ClientBook.open(store_url) as book:
        cid = register(book)
        before = book.audit.trail(aggregate=cid)
        assert [d for d in PERSONAL if d in repr([e.changes for e in before])] == list(PERSONAL)
        rows, head = stored_rows(book), book.head

        book.keys.forget(cid)  # the key alone: no event, nothing processed, no view written

        assert (book.head, stored_rows(book)) == (head, rows)
        after = book.audit.trail(aggregate=cid)
        assert not [d for d in PERSONAL if d in repr([e.changes for e in after])]
        registered, _, _, updated = after  # with the phone's and the address's consents
        assert (registered.changes["name"], registered.changes["phone"]) == (ERASED, ERASED)
        assert registered.changes["document_number"] == ERASED
        assert (registered.changes["number"], updated.changes["address"]) == ("C-000001", ERASED)
        assert [attrs_but_changes(e) for e in after] == [attrs_but_changes(e) for e in before]
    with ClientBook.open(store_url) as reopened:  # another process reads the same
        assert reopened.audit.trail(aggregate=cid) == after
        with reopened.as_of(position=head) as past:
            assert past.audit.trail(aggregate=cid) == after


def attrs_but_changes(entry: Any) -> tuple[Any, ...]:
    return (
        entry.position,
        entry.recorded_at,
        entry.business_date,
        entry.actor,
        entry.aggregate_type,
        entry.aggregate_id,
        entry.version,
        entry.event_type,
    )


def test_the_rebuilt_index_equals_the_one_built_live(store_url: str) -> None:
    with ClientBook.open(store_url) as book:
        register(book)
        book.projections.catch_up()
        register(book, "C-000002")
        live = (stored_rows(book), book.audit.trail())

        book.projections.rebuild()

        assert (stored_rows(book), book.audit.trail()) == live


def test_a_page_that_fails_writes_no_index_rows_and_the_next_writes_only_its_own(
    database: SqlDatabase,
) -> None:
    view = SqlAuditTrailView(database)
    aggregate = uuid4()
    with pytest.raises(RuntimeError, match="a handler broke"):
        with view.batch(Tracking("ClientBook", 2)):
            view.index([entry(1, aggregate)])
            view.index([entry(2, aggregate)])
            raise RuntimeError("a handler broke")
    assert database.query("SELECT COUNT(*) FROM audit_trail") == [(0,)]
    assert view.max_tracking_id("ClientBook") is None
    with view.batch(Tracking("ClientBook", 3)):
        view.index([entry(3, aggregate)])
    assert database.query("SELECT position FROM audit_trail") == [(3,)]
    assert view.max_tracking_id("ClientBook") == 3


def test_a_page_already_applied_elsewhere_writes_nothing(database: SqlDatabase) -> None:
    view = SqlAuditTrailView(database)
    other = SqlAuditTrailView(database)  # say, another process
    aggregate = uuid4()
    with other.batch(Tracking("ClientBook", 1)):
        other.index([entry(1, aggregate)])
    with view.batch(Tracking("ClientBook", 1)) as since:
        assert since == 1  # the runner then processes nothing; had it indexed, it is dropped
        view.index([entry(1, aggregate)])
    assert database.query("SELECT COUNT(*) FROM audit_trail") == [(1,)]


def test_a_page_of_more_rows_than_one_insert_takes_is_written_whole(
    database: SqlDatabase,
) -> None:
    view = SqlAuditTrailView(database)
    aggregate = uuid4()
    with view.batch(Tracking("ClientBook", 2500)):
        for position in range(1, 2501):
            view.index([entry(position, aggregate)])
    assert view.versions("Customer") == {aggregate: 2500}
    assert database.query("SELECT MIN(position), MAX(position), COUNT(*) FROM audit_trail") == [
        (1, 2500, 2500)
    ]


def test_events_are_read_back_by_position_across_spans(store_url: str) -> None:
    with ClientBook.open(store_url) as book:
        for n in range(1, 7):
            register(book, f"C-00000{n}")
        logged = dict(book.decoded_events())
        wanted = [2, 3, 7, 12, 13, book.head]
        reader = LogReader(book.app.recorder, book.app.mapper, gap=2, span=3)

        found = reader.at(wanted)

        assert list(found) == wanted
        assert [vars(e) for e in found.values()] == [vars(logged[p]) for p in wanted]


def test_an_index_row_the_log_lacks_is_an_error_not_an_entry_without_changes(
    database: SqlDatabase,
) -> None:
    view = SqlAuditTrailView(database, NoLog())
    with view.batch(Tracking("ClientBook", 1)):
        view.index([entry(1, uuid4())])
    with pytest.raises(LookupError, match="indexes log position 1, which the log lacks"):
        view.entries()
    with pytest.raises(RuntimeError, match="made without the log to read from"):
        SqlAuditTrailView(database).entries()


def test_the_view_names_every_table_and_index_it_creates(database: SqlDatabase) -> None:
    view = SqlAuditTrailView(database)
    created = " ".join(view.schema)
    for table in view.tables:
        assert f"CREATE TABLE IF NOT EXISTS {table} (" in created
    if database.dialect == "sqlite":
        made = database.query(
            "SELECT type, name FROM sqlite_master WHERE tbl_name IN "
            f"({', '.join('?' * len(view.tables))}) AND name NOT LIKE 'sqlite_autoindex%'",
            view.tables,
        )
        assert sorted(made) == sorted(
            [("table", t) for t in view.tables]
            + [("index", s.split()[5]) for s in view.schema if s.startswith("CREATE INDEX")]
        )


@pytest.mark.parametrize("many", [1000, 2])
def test_an_aggregates_entries_are_those_of_the_whole_trail_that_are_its_own(
    store_url: str, many: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientbook.infrastructure import audit_view

    monkeypatch.setattr(audit_view, "MANY_VALUES", many)  # 2: times looked up two at a time
    boss = Actor("u-boss", {"supervisor"})
    with ClientBook.open(store_url) as book:
        first, second = register(book), register(book, "C-000002")
        for n, (cid, by) in enumerate([(first, CLERK), (second, boss), (first, boss)] * 2):
            book.customers.record_contact(
                cid,
                channel="call",
                purpose="follow_up",
                outcome="ok",
                by=by,
                on=date(2026, 11, 3 + n),
            )
        everything = book.audit.trail()
        filters: list[dict[str, Any]] = [
            {},
            {"actor": "u-boss"},
            {"event_type": "ContactRecorded"},
            {"limit": 3},
            {"on_from": date(2026, 11, 5), "on_to": date(2026, 11, 7)},
            {"recorded_from": everything[3].recorded_at, "recorded_to": everything[-2].recorded_at},
            {"actor": "u-boss", "limit": 1},
        ]
        for cid in (first, second):
            for f in filters:
                mine = [
                    e for e in book.audit.trail(**{**f, "limit": None}) if e.aggregate_id == cid
                ][: f.get("limit")]
                assert book.audit.trail(aggregate=cid, **f) == mine, f
                assert mine, f  # every filter finds something of each aggregate


OLD_TRAIL = (  # how version 1 kept the trail: every event's changes copied, in clear
    "CREATE TABLE audit_trail (position BIGINT PRIMARY KEY, recorded_at TEXT NOT NULL, "
    "business_date TEXT, actor TEXT NOT NULL, aggregate_type TEXT NOT NULL, "
    "aggregate_id TEXT NOT NULL, version BIGINT NOT NULL, event_type TEXT NOT NULL, "
    "changes TEXT NOT NULL)",
    "CREATE INDEX audit_trail_aggregate ON audit_trail (aggregate_id, position)",
    "CREATE INDEX audit_trail_actor ON audit_trail (actor, position)",
    "CREATE INDEX audit_trail_business_date ON audit_trail (business_date)",
)


def test_a_trail_kept_by_version_1_is_rebuilt_as_an_index_when_the_book_opens(
    store_url: str,
) -> None:
    with ClientBook.open(store_url) as book:
        cid = register(book)
        trail = book.audit.trail()
        rows = stored_rows(book)
        view = audit_view(book)
        with view.database.transaction() as cursor:  # the store as version 1 left it
            cursor.execute("DROP TABLE audit_trail")
            for statement in OLD_TRAIL:
                cursor.execute(statement)
            for row in rows:
                position, micros, *rest = row  # then, the time recorded was ISO text
                cursor.execute(
                    "INSERT INTO audit_trail VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (position, str(micros), *rest, '{"name": "Li Lei"}'),
                )
            cursor.execute("DELETE FROM projection_state WHERE projection = 'audit_trail'")
    with ClientBook.open(store_url) as reopened:
        assert reopened.audit.trail() == trail
        assert stored_rows(reopened) == rows
        assert reopened.audit.trail(aggregate=cid) == [e for e in trail if e.aggregate_id == cid]
        (status,) = [s for s in reopened.projections.status() if s.name == "audit_trail"]
        assert (status.version, status.stored_version, status.needs_rebuild) == (2, 2, False)


def test_a_query_from_another_thread_during_a_page_does_not_read_the_pages_transaction(
    database: SqlDatabase,
) -> None:
    """A worker thread's page and a query thread share one view object: the query never reads
    the page's uncommitted writes through the page's cursor (which the page closes under it).
    On PostgreSQL it reads on a connection of its own what is committed; on SQLite, whose one
    connection the threads take in turn, it waits for the page to commit."""
    view = SqlAuditTrailView(database)
    in_page, asked = threading.Event(), threading.Event()
    seen: list[int | None] = []

    def query() -> None:
        in_page.wait(10)
        seen.append(view.max_tracking_id("ClientBook"))
        asked.set()

    asker = threading.Thread(target=query)
    asker.start()
    with view.batch(Tracking("ClientBook", 9)):
        view._exec(
            "UPDATE projection_tracking SET notification_id = 5 WHERE projection = ?", (view.name,)
        )  # in the page's transaction, not committed yet
        in_page.set()
        asked.wait(1.0)  # PostgreSQL answers now; SQLite's query waits for the commit
    asker.join(10)
    committed_then = None if database.dialect == "postgresql" else 9
    assert seen == [committed_then]  # never 5, the page's uncommitted position
    assert view.max_tracking_id("ClientBook") == 9


def test_an_index_row_keeps_the_moment_in_microseconds_since_1970_utc_and_the_id_in_hex(
    database: SqlDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows' times and ids as `index` makes them: an aware moment in any zone, a moment
    without a zone (taken as UTC), and ids made afresh after the view forgot the ones it had
    made (`HEXES_KEPT`)."""
    monkeypatch.setattr("clientbook.infrastructure.audit_view.HEXES_KEPT", 1)
    view = SqlAuditTrailView(database)
    ids = [uuid4() for _ in range(3)]
    moments = [
        datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=timezone.utc),
        datetime(2026, 11, 2, 17, 30, 15, 123457, tzinfo=timezone(timedelta(hours=8))),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
    ]
    pages = [  # one page of aware moments, then one with a moment without a zone
        [(*entry(p, ids[p % 3])[:1], moments[p - 1], *entry(p, ids[p % 3])[2:]) for p in (1, 2, 3)],
        [(*entry(4, ids[0])[:1], datetime(2026, 11, 2, 9, 30, 15, 5), *entry(4, ids[0])[2:])],
    ]
    for page in pages:
        with view.batch(Tracking("ClientBook", page[-1][0])):
            for row in page:
                view.index([row])
    rows = database.query(
        "SELECT position, recorded_micros, aggregate_id, business_date FROM audit_trail "
        "ORDER BY position"
    )
    second = 1_000_000
    at_9_30_15 = calendar.timegm((2026, 11, 2, 9, 30, 15)) * second
    assert rows == [
        (1, at_9_30_15 + 123456, ids[1].hex, "2026-11-02"),
        (2, at_9_30_15 + 123457, ids[2].hex, "2026-11-02"),
        (3, -1, ids[0].hex, "2026-11-02"),
        (4, at_9_30_15 + 5, ids[0].hex, "2026-11-02"),
    ]
