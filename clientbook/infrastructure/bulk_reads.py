"""Bulk reads for batches: many aggregates' latest snapshots and the events after them, or the
events after versions a cache already holds, in one query per page of aggregates; and pages of
the log for the projections' runner, lighter than the library's notifications.

A close of business loads thousands of aggregates; one by one, each costs a snapshot query and
an events query (or a fast-forward query on a cache hit). These recorders answer a whole page
with one statement: `known` maps each aggregate to the version the caller holds (0 for none),
and the answer is, per aggregate, its newest snapshot newer than that version (if any) and every
event after the later of the two, in version order. The events' condition is two comparisons,
not one with the greater of the two versions: the one with the known version bounds the index
range an aggregate's events are read from, so that an aggregate the cache holds at its head
costs an index seek, not a read of all its events (2.5 to 1.0 ms a page of 313 accounts held
at their head, on a 10,000-account book: benchmarks/README.md, issue 16).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, cast
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.utils import retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from clientbook.infrastructure.postgres import _bounded

Latest = dict[UUID, tuple[StoredEvent | None, list[StoredEvent]]]
"""Per aggregate: its newest snapshot after the known version (or None), then its events after
the snapshot or the known version."""


def _gathered(rows: list[tuple[Any, ...]], convert: Any) -> Latest:
    """Rows of (is_snapshot, originator_id, version, topic, state), snapshots first per id and
    events in version order, gathered per aggregate."""
    latest: Latest = {}
    for is_snapshot, originator_id, version, topic, state in rows:
        aggregate_id: UUID = convert(originator_id)
        stored = StoredEvent(aggregate_id, version, topic, bytes(state))
        snapshot, events = latest.setdefault(aggregate_id, (None, []))
        if is_snapshot:
            latest[aggregate_id] = (stored, events)
        else:
            events.append(stored)
    return latest


class LogRow(NamedTuple):
    """A stored event as a page of the log gives it: what a `Notification` holds, as a tuple."""

    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


_IDS: dict[str, UUID] = {}
"""Aggregate ids as `select_log` made them from their hex, kept from one page to the next (a
UUID is the same whichever store its hex came from)."""
IDS_KEPT = 100_000
"""Ids `_IDS` keeps at most (about 250 bytes each; a log of 775,000 events has 62,000
aggregates), before it starts again."""


class SQLiteBulkReads:
    """`select_latest` for the SQLite application recorder (ids are stored as hex), and
    `select_log`."""

    events_table_name: str
    datastore: Any

    def select_log(
        self, start: int, limit: int, stop: int | None = None, topics: Sequence[str] = ()
    ) -> list[LogRow]:
        """`select_notifications(start, limit, stop, topics, inclusive_of_start=False)`: the
        same rows in the same order, each a `LogRow`, read by position rather than by column
        name, and each aggregate's id made once (up to IDS_KEPT of them, kept from page to
        page: a rebuild reads every event, and the library's `Notification`, a frozen
        dataclass, and its `UUID` from text cost more than decoding the event; the views then
        find an aggregate's documents by the same id)."""
        statement = (
            "SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {self.events_table_name} WHERE rowid > ?"
        )
        params: list[Any] = [start]
        if stop is not None:
            statement += " AND rowid <= ?"
            params.append(stop)
        if topics:
            statement += f" AND topic IN ({','.join('?' * len(topics))})"
            params += topics
        statement += " ORDER BY rowid LIMIT ?"
        params.append(limit)
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            rows = c.fetchall()
        ids = _IDS
        if len(ids) > IDS_KEPT:
            ids.clear()
        known, row = ids.get, tuple.__new__  # a NamedTuple's own __new__ is a Python call
        return [
            row(LogRow, (at, known(hex_id) or ids.setdefault(hex_id, UUID(hex_id)), v, t, s))
            for at, hex_id, v, t, s in rows
        ]

    def select_latest(self, known: Mapping[UUID, int], snapshots_table: str | None) -> Latest:
        if not known:
            return {}
        values = ",".join("(?,?)" for _ in known)
        params: list[Any] = []
        for aggregate_id, version in known.items():
            params += [aggregate_id.hex, version]
        events = self.events_table_name
        if snapshots_table is None:
            statement = (
                f"WITH known(id, v) AS (VALUES {values}) "
                f"SELECT 0, e.originator_id, e.originator_version, e.topic, e.state "
                f"FROM known k JOIN {events} e ON e.originator_id = k.id "
                "WHERE e.originator_version > k.v ORDER BY 2, 3"
            )
        else:
            statement = (
                f"WITH known(id, v) AS (VALUES {values}), "
                f"latest AS (SELECT s.originator_id AS id, max(s.originator_version) AS v "
                f"FROM known k JOIN {snapshots_table} s ON s.originator_id = k.id "
                "WHERE s.originator_version > k.v GROUP BY s.originator_id) "
                "SELECT 1, s.originator_id, s.originator_version, s.topic, s.state "
                f"FROM latest l JOIN {snapshots_table} s "
                "ON s.originator_id = l.id AND s.originator_version = l.v "
                "UNION ALL "
                "SELECT 0, e.originator_id, e.originator_version, e.topic, e.state "
                f"FROM known k JOIN {events} e ON e.originator_id = k.id "
                "LEFT JOIN latest l ON l.id = k.id "
                "WHERE e.originator_version > k.v AND e.originator_version > coalesce(l.v, 0) "
                "ORDER BY 2, 1 DESC, 3"
            )
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            rows = [tuple(row) for row in c.fetchall()]
        ids = {aggregate_id.hex: aggregate_id for aggregate_id in known}  # each made once
        return _gathered(rows, ids.__getitem__)

    def version_at(self, aggregate_id: UUID, position: int) -> int:
        """The aggregate's version when the log ended at `position` (0: it had no event yet):
        read by its key, not by scanning the log up to the position."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT max(originator_version) FROM {self.events_table_name} "
                "WHERE originator_id = ? AND rowid <= ?",
                (aggregate_id.hex, position),
            )
            row = c.fetchone()
        return int(row[0] or 0)


class PostgresBulkReads:
    """`select_latest` for the PostgreSQL application recorder: the page goes as two arrays;
    and `select_log`."""

    events_table_name: str
    datastore: Any

    def select_log(
        self, start: int, limit: int, stop: int | None = None, topics: Sequence[str] = ()
    ) -> list[LogRow]:
        """`select_notifications(start, limit, stop, topics, inclusive_of_start=False)`: the
        same rows in the same order, each a `LogRow`, read as tuples rather than as the
        dictionaries the library's connections make (a rebuild reads every event, and the
        library's `Notification`, a frozen dataclass made from a dictionary per row, costs
        more than decoding the event). Bounded and retried as the library's select is."""
        with _bounded(cast(Any, self)):  # a mixin of the PostgreSQL recorder
            return self._select_log(start, limit, stop, topics)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _select_log(
        self, start: int, limit: int, stop: int | None, topics: Sequence[str]
    ) -> list[LogRow]:
        statement = (
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {0}.{1} WHERE notification_id > %s"
        )
        params: list[Any] = [start]
        if stop is not None:
            statement += " AND notification_id <= %s"
            params.append(stop)
        if topics:
            statement += " AND topic = ANY(%s)"
            params.append(list(topics))
        statement += " ORDER BY notification_id LIMIT %s"
        params.append(limit)
        query = SQL(statement).format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name)
        )
        with self.datastore.get_connection() as connection:
            with connection.cursor(row_factory=tuple_row) as cursor:
                cursor.execute(query, params, prepare=True)
                rows = cursor.fetchall()
        row = tuple.__new__  # a NamedTuple's own __new__ is a Python call
        return [
            row(LogRow, (at, aggregate_id, v, t, bytes(s))) for at, aggregate_id, v, t, s in rows
        ]

    def select_latest(self, known: Mapping[UUID, int], snapshots_table: str | None) -> Latest:
        if not known:
            return {}
        schema, events = Identifier(self.datastore.schema), Identifier(self.events_table_name)
        given = "known AS (SELECT * FROM unnest(%s::uuid[], %s::bigint[]) AS k(id, v))"
        if snapshots_table is None:
            statement = SQL(
                "WITH "
                + given
                + " SELECT false AS is_snapshot, e.originator_id, e.originator_version, "
                "e.topic, e.state FROM known k JOIN {0}.{1} e ON e.originator_id = k.id "
                "WHERE e.originator_version > k.v ORDER BY 2, 3"
            ).format(schema, events)
        else:
            statement = SQL(
                "WITH " + given + ", "
                "latest AS (SELECT s.originator_id AS id, max(s.originator_version) AS v "
                "FROM known k JOIN {0}.{2} s ON s.originator_id = k.id "
                "WHERE s.originator_version > k.v GROUP BY s.originator_id) "
                "SELECT true AS is_snapshot, s.originator_id, s.originator_version, s.topic, s.state "
                "FROM latest l JOIN {0}.{2} s "
                "ON s.originator_id = l.id AND s.originator_version = l.v "
                "UNION ALL "
                "SELECT false, e.originator_id, e.originator_version, e.topic, e.state "
                "FROM known k JOIN {0}.{1} e ON e.originator_id = k.id "
                "LEFT JOIN latest l ON l.id = k.id "
                "WHERE e.originator_version > k.v AND e.originator_version > coalesce(l.v, 0) "
                "ORDER BY 2, 1 DESC, 3"
            ).format(schema, events, Identifier(snapshots_table))
        params = [list(known), list(known.values())]
        with self.datastore.get_connection() as connection, connection.cursor() as cursor:
            cursor.execute(statement, params, prepare=True)
            rows = [tuple(row.values()) for row in cursor.fetchall()]
        return _gathered(rows, lambda originator_id: originator_id)

    def version_at(self, aggregate_id: UUID, position: int) -> int:
        """The aggregate's version when the log ended at `position` (0: it had no event yet):
        read by its key, not by scanning the log up to the position."""
        statement = SQL(
            "SELECT max(originator_version) AS v FROM {0}.{1} "
            "WHERE originator_id = %s AND notification_id <= %s"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        with self.datastore.get_connection() as connection, connection.cursor() as cursor:
            cursor.execute(statement, (aggregate_id, position), prepare=True)
            row = cursor.fetchone()
        return int(row["v"] or 0) if row else 0
