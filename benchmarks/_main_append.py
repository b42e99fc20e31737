"""The append path as main had it before issue 15, kept for `bench_writers.py` to compare:
the library's transaction (lock, insert, sync, fetch the positions) with the chain's rows
written from the client, so the events table's lock is held across the client's round trips."""

from __future__ import annotations

import threading
from typing import Any, Sequence

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from clientbook.infrastructure.chain import chain_table, next_links
from clientbook.infrastructure.postgres import BoundedApplicationRecorder


def extends(head: tuple[int, bytes] | None, before: int | None) -> bool:
    """Whether new events get links: the chain has begun, or the log was empty before them."""
    return head is not None or before is None


class MainAppendRecorder(BoundedApplicationRecorder):
    """Our bounded PostgreSQL recorder, writing the chain's rows with the events (after the
    insert, inside the library's EXCLUSIVE lock on the events table)."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        if datastore.enable_db_functions:  # its insert function would write no links
            raise OSError("clientbook's log keeps a hash chain: unset POSTGRES_ENABLE_DB_FUNCTIONS")
        super().__init__(datastore, events_table_name=events_table_name)
        self.chain_table_name = chain_table(events_table_name)
        schema, chain = Identifier(datastore.schema), Identifier(self.chain_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} (position bigint PRIMARY KEY, "
                "seq bigint NOT NULL, link bytea NOT NULL)"
            ).format(schema, chain)
        )
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
