"""The log's hash chain, written by the recorders in the transaction that inserts the events.

Each stored event gets a row in the chain table beside the events table: its ordinal in the
chain (`seq`), its position and its link (`clientbook.verify.link`, documented in docs/audit.md).
The recorder computes the links after its insert, while it still holds the log's write lock
(SQLite's write transaction; PostgreSQL's EXCLUSIVE lock on the events table, which the library
takes to keep notification ids in commit order), so two writers can never extend the chain from
the same link, and no event is ever committed without its link.

A log written before the chain existed has events and no links: its writers add none until
`seal_existing()` chains what is there (`clientbook verify --seal-existing`).
"""

from __future__ import annotations

import threading
from typing import Any, Sequence
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from clientbook.infrastructure.bulk_reads import PostgresBulkReads, SQLiteBulkReads
from clientbook.infrastructure.postgres import BoundedApplicationRecorder
from clientbook.verify import GENESIS, link

SQLITE_EVENTS, POSTGRES_EVENTS = "stored_events", "clientbook_events"
"""The events tables: SQLite's fixed name, and the one PostgreSQL's factory gives our app."""


def chain_table(events_table: str) -> str:
    return f"{events_table}_chain"


def aggregate_text(originator_id: UUID | str) -> str:
    """An aggregate id as the chain hashes it: a UUID in its canonical 36-character form."""
    return str(originator_id if isinstance(originator_id, UUID) else UUID(originator_id))


def next_links(
    head: tuple[int, bytes] | None, positions: Sequence[int], events: Sequence[StoredEvent]
) -> list[tuple[int, int, bytes]]:
    """The chain rows (seq, position, link) that extend the chain from `head` (seq, link)."""
    seq, previous = head if head is not None else (0, GENESIS)
    rows = []
    for position, event in zip(positions, events):
        seq += 1
        previous = link(
            previous, seq, position, aggregate_text(event.originator_id),
            event.originator_version, event.topic, event.state,
        )
        rows.append((seq, position, previous))
    return rows


def extends(head: tuple[int, bytes] | None, before: int | None) -> bool:
    """Whether new events get links: the chain has begun, or the log was empty before them."""
    return head is not None or before is None


class ChainedSQLiteApplicationRecorder(SQLiteBulkReads, SQLiteApplicationRecorder):
    """The library's SQLite recorder, writing the chain's rows with the events."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = SQLITE_EVENTS):
        self.chain_table_name = chain_table(events_table_name)
        super().__init__(datastore, events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.chain_table_name} (position INTEGER PRIMARY KEY, "
            "seq INTEGER NOT NULL, link BLOB NOT NULL)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        if positions:  # the inserts hold the write lock: the head read now stays the head
            c.execute(f"SELECT seq, link FROM {self.chain_table_name} "
                      "ORDER BY position DESC LIMIT 1")
            row = c.fetchone()
            head = None if row is None else (row[0], bytes(row[1]))
            before = None
            if head is None:  # no chain yet: it begins only on an empty log
                c.execute(f"SELECT max(rowid) FROM {self.events_table_name} WHERE rowid < ?",
                          (positions[0],))
                before = c.fetchone()[0]
            if extends(head, before):
                c.executemany(f"INSERT INTO {self.chain_table_name} (seq, position, link) "
                              "VALUES (?, ?, ?)",
                              next_links(head, positions, stored_events))
        return positions


class ChainedPostgresApplicationRecorder(PostgresBulkReads, BoundedApplicationRecorder):
    """Our bounded PostgreSQL recorder, writing the chain's rows with the events (after the
    insert, inside the library's EXCLUSIVE lock on the events table)."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        if datastore.enable_db_functions:  # its insert function would write no links
            raise OSError("clientbook's log keeps a hash chain: unset POSTGRES_ENABLE_DB_FUNCTIONS")
        super().__init__(datastore, events_table_name=events_table_name)
        self.chain_table_name = chain_table(events_table_name)
        schema, chain = Identifier(datastore.schema), Identifier(self.chain_table_name)
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {0}.{1} (position bigint PRIMARY KEY, "
            "seq bigint NOT NULL, link bytea NOT NULL)"
        ).format(schema, chain))
        self._heads = threading.local()
        self._select_head = SQL(
            "SELECT (SELECT max(notification_id) FROM {0}.{2}) "
            "AS before, h.seq, h.link FROM (SELECT 1) AS one LEFT JOIN "
            "(SELECT seq, link FROM {0}.{1} ORDER BY position DESC LIMIT 1) AS h ON true"
        ).format(schema, chain, Identifier(events_table_name))
        self._insert_links = SQL(
            "INSERT INTO {0}.{1} (seq, position, link) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bytea[])"
        ).format(schema, chain)

    def _lock_table(self, curs: Cursor[DictRow]) -> None:
        """After the lock, before the insert: ask for the chain's head, in the same pipeline,
        so that its answer comes back with the insert's (no round trip of its own)."""
        super()._lock_table(curs)
        head = curs.connection.cursor()
        head.execute(self._select_head, prepare=True)
        self._heads.cursor = head

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        head_cursor, self._heads.cursor = self._heads.cursor, None
        with head_cursor:
            row = head_cursor.fetchone()
        if positions:
            assert row is not None
            head = None if row["seq"] is None else (row["seq"], bytes(row["link"]))
            if extends(head, row["before"]):
                rows = next_links(head, positions, stored_events)
                columns = [[r[i] for r in rows] for i in range(3)]  # one statement for all
                curs.execute(self._insert_links, columns, prepare=True)
        return positions
