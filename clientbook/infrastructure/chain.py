"""The log's hash chain, written by the recorders in the transaction that inserts the events.

Each stored event gets its ordinal in the chain (`seq`) and its link (`clientbook.verify.link`,
documented in docs/audit.md), written while the save holds the log's write lock (SQLite's
`BEGIN IMMEDIATE`; PostgreSQL's EXCLUSIVE lock on the events table, which keeps positions in
commit order), so two writers can never extend the chain from the same link, and no event is
ever committed without its link. On SQLite the link is in the event's own row (columns
`chain_seq`, `chain_link`; `stored_events_chain` is a view of them); on PostgreSQL it is a row
of `clientbook_events_chain`, computed in SQL by the log's append function, so that a save is
one round trip (docs/operations.md, "Appends").

A log written before the chain existed has events and no links: its writers add none until
`seal_existing()` chains what is there (`clientbook verify --seal-existing`).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence
from uuid import UUID
from weakref import WeakKeyDictionary

import msgspec
from attrs import frozen

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteTransaction,
)
from eventsourcing.persistence import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from eventsourcing.utils import retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier, Literal

from clientbook.infrastructure.bulk_reads import PostgresBulkReads, SQLiteBulkReads
from clientbook.infrastructure.group_commit import GroupCommit, Save
from clientbook.infrastructure.postgres import BoundedApplicationRecorder, _bounded
from clientbook.verify import GENESIS, encoded_link

SQLITE_EVENTS, POSTGRES_EVENTS = "stored_events", "clientbook_events"
"""The events tables: SQLite's fixed name, and the one PostgreSQL's factory gives our app."""


def chain_table(events_table: str) -> str:
    return f"{events_table}_chain"


def orphans_table(events_table: str) -> str:
    """Where a SQLite log that moved its chain into the events' rows keeps the links whose
    events were already gone then (damage found at the move, kept for `verify` to name)."""
    return f"{events_table}_chain_orphans"


def aggregate_text(originator_id: UUID | str) -> str:
    """An aggregate id as the chain hashes it: a UUID in its canonical 36-character form."""
    return str(originator_id if isinstance(originator_id, UUID) else UUID(originator_id))


_ENCODED: dict[object, bytes] = {}
"""Aggregate ids and topics as the chain hashes them (UTF-8 bytes of their text), kept: a
writer meets the same ones again and again, and a UUID's text costs more than its hash."""
_ENCODED_LIMIT = 65_536


def _encoded(key: UUID | str, text: Callable[[], str]) -> bytes:
    found = _ENCODED.get(key)
    if found is None:
        if len(_ENCODED) >= _ENCODED_LIMIT:
            _ENCODED.clear()
        found = _ENCODED[key] = text().encode()
    return found


def next_links(
    head: tuple[int, bytes] | None, positions: Sequence[int], events: Sequence[StoredEvent]
) -> list[tuple[int, int, bytes]]:
    """The chain rows (seq, position, link) that extend the chain from `head` (seq, link)."""
    seq, previous = head if head is not None else (0, GENESIS)
    rows = []
    for position, event in zip(positions, events):
        seq += 1
        originator_id, topic = event.originator_id, event.topic
        previous = encoded_link(
            previous,
            seq,
            position,
            _encoded(originator_id, lambda: aggregate_text(originator_id)),
            event.originator_version,
            _encoded(topic, lambda: topic),
            event.state,
        )
        rows.append((seq, position, previous))
    return rows


_EXPECTED = "expected_versions"
KEYS_TABLE = "personal_data_keys"
"""The book's data keys (infrastructure/keys.py): a save inserts the keys its events were
sealed with and made meanwhile (`personal_data_keys=[(subject, wrapped key)]`) in its own
transaction. A plain INSERT: a subject that has a key by then fails the save (IntegrityError),
which the event store seals again with the stored key (application/app.py, PagedEventStore)."""


class _WriteTransaction(SQLiteTransaction):
    """The library's transaction, begun with the file's write lock (`BEGIN IMMEDIATE`): what a
    save reads first (the log's last row) stays the last row until it commits."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        return cursor


@frozen
class _Head:
    """Where a SQLite writer's last committed save left the log, on its connection: the last
    position, the chain's (seq, link) there (None: the log is unchained), and the file's
    `data_version` (other connections' commits) and the connection's `total_changes()` (its
    own rows written, by this recorder or any other code on the same connection) then."""

    position: int
    link: tuple[int, bytes] | None
    data_version: int
    changes: int


class ChainedSQLiteApplicationRecorder(SQLiteBulkReads, SQLiteApplicationRecorder):
    """The library's SQLite recorder, writing each event's link in the event's own row (columns
    `chain_seq`, `chain_link`) and the events' new personal-data keys (`KEYS_TABLE`) with them.

    The links live in the events' rows, not in a table of their own, because a second table
    written by every save costs a command about a sixth of its time (benchmarks/bench_chain.py);
    `{events}_chain` is a view of them with the chain table's columns, so that everything that
    reads the chain reads both backends alike. A log whose chain was kept in its own table
    moves it into the rows when a book opens it (`_create_table`).

    A save takes the write lock first (`BEGIN IMMEDIATE`), reads the log's last row, and
    inserts its events after it with their positions and links. When the connection's own last
    save left that row and no other connection has committed since (SQLite's `data_version`,
    which changes on every other connection's commit: another writer, a restore, an intruder)
    and nothing else wrote on the connection since (its `total_changes()`: another recorder on
    the same datastore, a caller of `_insert_events`), the row it remembers is the last row,
    and is not read again."""

    writes_personal_data_keys = True
    checks_expected_versions = True
    """`expected_versions=[(aggregate id, version)]`: the save fails (IntegrityError) unless
    each aggregate's last version is the one given (0: none), checked under the write lock."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = SQLITE_EVENTS):
        self.chain_table_name = chain = chain_table(events_table_name)
        super().__init__(datastore, events_table_name)
        events = events_table_name
        self._heads: WeakKeyDictionary[SQLiteConnection, _Head] = WeakKeyDictionary()
        self._orphans_end = 0
        """The last position `orphans_table` holds (0: none, or the table is not known to this
        recorder, which did not create the tables): new events are put after it."""
        self._last_row_sql = (
            f"SELECT rowid, chain_seq, chain_link FROM {events} ORDER BY rowid DESC LIMIT 1"
        )
        self._last_link_sql = (
            f"SELECT chain_seq, chain_link FROM {events} WHERE chain_link IS NOT NULL "
            "ORDER BY rowid DESC LIMIT 1"
        )
        self.insert_events_statement = (
            f"INSERT INTO {events} (rowid, originator_id, originator_version, topic, state, "
            "chain_seq, chain_link) VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        self._view_sql = (
            f"CREATE VIEW IF NOT EXISTS {chain} AS SELECT rowid AS position, chain_seq AS seq, "
            f"chain_link AS link FROM {events} WHERE chain_link IS NOT NULL"
        )

    def construct_create_table_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.events_table_name} (originator_id TEXT, "
            "originator_version INTEGER, topic TEXT, state BLOB, chain_seq INTEGER, "
            "chain_link BLOB, PRIMARY KEY (originator_id, originator_version))"
        ]

    def create_table(self) -> None:
        with self.datastore.get_connection(commit=True) as connection:
            with _WriteTransaction(connection, commit=True) as c, c:
                self._create_table(c)

    def _create_table(self, c: SQLiteCursor) -> None:
        """The events table with its links, and the chain's view; a log from before moves in:
        one without link columns gets them (empty: unchained until sealed), and one whose
        chain had its own table has its links copied into the rows and the table dropped; a
        link whose event was gone by then (a deletion, which `verify` named) is kept in
        `orphans_table`, where `verify` still names it."""
        super()._create_table(c)
        events, chain = self.events_table_name, self.chain_table_name
        c.execute(f"SELECT name FROM pragma_table_info('{events}') WHERE name = 'chain_link'")
        if c.fetchone() is None:
            c.execute(f"ALTER TABLE {events} ADD COLUMN chain_seq INTEGER")
            c.execute(f"ALTER TABLE {events} ADD COLUMN chain_link BLOB")
        c.execute("SELECT type FROM sqlite_master WHERE name = ?", (chain,))
        found = c.fetchone()
        if found is not None and found[0] == "table":
            c.execute(
                f"UPDATE {events} SET (chain_seq, chain_link) = (SELECT seq, link FROM {chain} "
                f"WHERE position = {events}.rowid) WHERE rowid IN (SELECT position FROM {chain})"
            )
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {orphans_table(events)} (position INTEGER PRIMARY KEY, "
                f"seq INTEGER NOT NULL, link BLOB NOT NULL)"
            )
            c.execute(
                f"INSERT INTO {orphans_table(events)} SELECT position, seq, link FROM {chain} "
                f"WHERE position NOT IN (SELECT rowid FROM {events})"
            )
            c.execute(f"DROP TABLE {chain}")
        orphans = orphans_table(events)
        c.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (orphans,))
        if c.fetchone() is None:
            c.execute(self._view_sql)
        else:  # the view shows them where they were, positions not taken again: `deleted`
            c.execute(f"{self._view_sql} UNION ALL SELECT position, seq, link FROM {orphans}")
            c.execute(f"SELECT coalesce(max(position), 0) FROM {orphans}")
            self._orphans_end = c.fetchone()[0]

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self.datastore.get_connection(commit=True) as connection:
            known = self._heads.pop(connection, None)  # forgotten unless this save commits
            with _WriteTransaction(connection, commit=True) as c, c:
                positions, head = self._append(c, known, stored_events, kwargs)
            self._heads[connection] = head
            return positions

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's hook, for a caller that holds a transaction of its own: the log's
        last row is read. In a transaction begun without the write lock, a save that another
        connection's commit overtook between that read and the insert fails (SQLite refuses a
        write from a stale snapshot): it can never extend the chain from a row that is not last."""
        return self._append(c, None, stored_events, kwargs)[0]

    def _append(
        self,
        c: SQLiteCursor,
        known: _Head | None,
        stored_events: Sequence[StoredEvent],
        kwargs: dict[str, Any],
    ) -> tuple[list[int], _Head]:
        keys = list(kwargs.pop("personal_data_keys", None) or ())
        expected = kwargs.pop(_EXPECTED, None)
        c.execute("PRAGMA data_version")  # before this save's own rows
        data_version, changes = c.fetchone()[0], c.sqlite_cursor.connection.total_changes
        head = (
            known
            if known is not None and (known.data_version, known.changes) == (data_version, changes)
            else None
        )
        if keys:
            c.executemany(f"INSERT INTO {KEYS_TABLE} (subject, key) VALUES (?, ?)", keys)
        last, link = (head.position, head.link) if head else self._last_row(c)
        if last + len(stored_events) > _LAST_ROWID:  # no position left after the last row
            raise DataError(
                f"the SQLite log has no position after {last} for {len(stored_events)} "
                f"event(s) (its largest is {_LAST_ROWID}): run clientbook verify"
            )
        positions = list(range(last + 1, last + 1 + len(stored_events)))
        rows = (
            next_links(link, positions, stored_events)
            if link is not None
            else [(None, position, None) for position in positions]
        )
        params = [
            (position, _hex(e.originator_id), e.originator_version, e.topic, e.state, seq, value)
            for (seq, position, value), e in zip(rows, stored_events)
        ]
        if len(params) == 1:  # a command's save: executemany costs more for one row
            c.execute(self.insert_events_statement, params[0])
        elif params:
            c.executemany(self.insert_events_statement, params)
        if expected:  # the write lock is held: one query for all of them
            self._check_versions(c, expected)
        if rows and rows[-1][0] is not None:
            link = (rows[-1][0], rows[-1][2])
        changes = c.sqlite_cursor.connection.total_changes  # what the next save must find
        return positions, _Head(positions[-1] if positions else last, link, data_version, changes)

    def _last_row(self, c: SQLiteCursor) -> tuple[int, tuple[int, bytes] | None]:
        """The log's last position, and the chain's (seq, link) to extend: the genesis on an
        empty log; None on a log with no link at all (unchained until sealed). Where the last
        events have no link on a chained log (inserted behind the writers' backs, or their links
        emptied), the chain goes on from the last link there is, wherever the others are
        missing: `verify` names those events. (Not the first row's link: one UPDATE emptying
        the first and the last link would otherwise stop the chain for every later event.) An
        unchained log is read to its start to find it has no link, once per connection while
        no other connection commits: seal it."""
        c.execute(self._last_row_sql)
        row = c.fetchone()
        if row is None:
            return self._orphans_end, (0, GENESIS)
        end = max(row[0], self._orphans_end)
        if row[2] is not None:
            return end, (row[1], bytes(row[2]))
        c.execute(self._last_link_sql)
        linked = c.fetchone()
        return end, None if linked is None else (linked[0], bytes(linked[1]))

    def _check_versions(self, c: SQLiteCursor, expected: Sequence[tuple[UUID, int]]) -> None:
        marks = ", ".join("?" for _ in expected)
        c.execute(
            f"SELECT originator_id, max(originator_version) FROM {self.events_table_name} "
            f"WHERE originator_id IN ({marks}) GROUP BY originator_id",
            [aggregate_id.hex for aggregate_id, _ in expected],
        )
        found = {UUID(row[0]): row[1] for row in c.fetchall()}
        for aggregate_id, version in expected:
            if found.get(aggregate_id, 0) != version:
                raise IntegrityError(f"aggregate {aggregate_id} is no longer at version {version}")


_LAST_ROWID = 2**63 - 1
"""SQLite's largest rowid: a save whose positions would pass it (an event put there by hand)
fails as the store's error, not with Python's OverflowError at the insert."""


def _hex(originator_id: UUID | str) -> str:
    """An aggregate id as the SQLite log stores it (as the library does: a UUID's 32 hex digits)."""
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id


_APPEND = """
CREATE OR REPLACE FUNCTION {schema}.{function}(
    given_events json, given_keys json, given_expected json, lock_timeout text
) RETURNS SETOF bigint LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $append$
DECLARE
    events {schema}.{event_type}[];
    positions bigint[];
    head_seq bigint;
    previous bytea;
    before bigint;
    links bytea[] := '{{}}';
    seqs bigint[] := '{{}}';
    e {schema}.{event_type};
    aggregate_bytes bytea;
    topic_bytes bytea;
    stale record;
    i int;
BEGIN
    events := ARRAY(
        SELECT ROW(given.i, given.v, given.t, decode(given.s, 'base64'))::{schema}.{event_type}
        FROM json_to_recordset(given_events) AS given(i {id_type}, v bigint, t text, s text)
    );
    IF given_keys IS NOT NULL THEN  -- a log may have no keys' table (a recorder alone)
        INSERT INTO {schema}.{keys} (subject, key)
            SELECT given.subject, decode(given.key, 'base64')
            FROM json_to_recordset(given_keys) AS given(subject text, key text);
    END IF;
    PERFORM set_config('lock_timeout', lock_timeout, true);
    {lock}
    IF EXISTS (  -- a probe of the key per event: never a scan of the log, whatever its size
        SELECT 1 FROM unnest(events) AS given WHERE (
            SELECT true FROM {schema}.{events} AS taken
            WHERE taken.originator_id = given.originator_id
                AND taken.originator_version = given.originator_version
            LIMIT 1
        )
    ) THEN  -- under the lock this is exact: refused before a position is taken (no gap)
        RAISE EXCEPTION 'an aggregate version this save writes is taken'
            USING ERRCODE = 'unique_violation';
    END IF;
    WITH inserted AS (
        INSERT INTO {schema}.{events} (originator_id, originator_version, topic, state)
        SELECT originator_id, originator_version, topic, state FROM unnest(events)
        RETURNING notification_id
    ) SELECT array_agg(notification_id ORDER BY notification_id) INTO positions FROM inserted;
    SELECT c.seq, c.link INTO head_seq, previous FROM {schema}.{chain} AS c
        ORDER BY c.position DESC LIMIT 1;
    IF head_seq IS NULL THEN
        SELECT max(notification_id) INTO before FROM {schema}.{events}
            WHERE notification_id < positions[1];
    END IF;
    IF head_seq IS NOT NULL OR before IS NULL THEN
        head_seq := coalesce(head_seq, 0);
        previous := coalesce(previous, decode(repeat('00', 32), 'hex'));
        FOR i IN 1 .. cardinality(events) LOOP
            e := events[i];
            aggregate_bytes := convert_to(e.originator_id::text, 'UTF8');
            topic_bytes := convert_to(e.topic, 'UTF8');
            previous := sha256(
                previous || int8send(head_seq + i) || int8send(positions[i])
                || int4send(octet_length(aggregate_bytes)) || aggregate_bytes
                || int8send(e.originator_version)
                || int4send(octet_length(topic_bytes)) || topic_bytes
                || int4send(octet_length(e.state)) || e.state
            );
            links := links || previous;
            seqs := seqs || (head_seq + i);
        END LOOP;
        INSERT INTO {schema}.{chain} (seq, position, link)
            SELECT * FROM unnest(seqs, positions, links);
    END IF;
    IF given_expected IS NOT NULL THEN  -- after the insert: the log's lock is held
        SELECT expected.i, expected.v INTO stale
            FROM json_to_recordset(given_expected) AS expected(i {id_type}, v bigint)
            WHERE coalesce((SELECT max(taken.originator_version) FROM {schema}.{events} AS taken
                WHERE taken.originator_id = expected.i), 0) <> expected.v
            LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'aggregate % is no longer at version %', stale.i, stale.v
                USING ERRCODE = 'unique_violation';
        END IF;
    END IF;
    PERFORM pg_notify({channel}, '');
    RETURN QUERY SELECT unnest(positions);
END
$append$
"""
"""The append function (docs/operations.md, "Appends"): one save (or a group of them) in one
statement, so in one transaction and one round trip. Its arguments are JSON arrays (each parsed
once): the stored events (states in base64), the personal-data keys to insert first, before
the lock (KEYS_TABLE; NULL: none), and the checked reads (each aggregate's last version, 0 for
none, checked after the insert, under the lock, a mismatch being a unique_violation; NULL:
none). The links are computed as `clientbook.verify.link` does, in SQL; `lock` is the statement
that makes appends serial. A save whose aggregate version is taken (a conflict, a taken
customer number) is refused before its insert, under the lock, so it takes no position from the
sequence: refused commands leave no gap. Its statements' plans are generic (`plan_cache_mode`):
their best plan never depends on the arguments, and a custom plan made at every call was a
sixth of the server's time for a save."""

_JSON = msgspec.json.Encoder()
"""Encodes the append function's arguments (UUIDs as their canonical text, bytes as base64)."""


class ChainedPostgresApplicationRecorder(PostgresBulkReads, BoundedApplicationRecorder):
    """Our bounded PostgreSQL recorder; a save is one statement, so one round trip: a call of
    the log's append function, which inserts the save's personal-data keys, takes the library's
    EXCLUSIVE lock on the events table, inserts the events, computes their links from the
    chain's head (`clientbook.verify.link`, in SQL) and writes them, and checks the save's
    checked reads. The connection is in autocommit, so the server commits the statement before
    it answers: the lock is held for the server's work and the commit only, never while the
    client waits on the network or for a core (docs/operations.md, "Appends")."""

    writes_personal_data_keys = True
    """A save's new personal-data keys go in its transaction (KEYS_TABLE), inserted by the
    append function before it takes the log's lock."""
    checks_expected_versions = True
    """`expected_versions`: checked by the append function after its insert (the lock held); a
    mismatch raises unique_violation (IntegrityError)."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        if datastore.enable_db_functions:  # the library's insert function writes no links
            raise OSError("clientbook's log keeps a hash chain: unset POSTGRES_ENABLE_DB_FUNCTIONS")
        super().__init__(datastore, events_table_name=events_table_name)
        self.chain_table_name = chain_table(events_table_name)
        self.append_function_name = f"{events_table_name}_append_v3"
        """v2 NOTIFYs the schema's own channel (postgres.log_channel); v3 takes a whole save (its
        keys and checked reads too) in JSON: a log whose schema has only an older version's
        function gets this one when a book opens it."""
        schema, chain = Identifier(datastore.schema), Identifier(self.chain_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} (position bigint PRIMARY KEY, "
                "seq bigint NOT NULL, link bytea NOT NULL)"
            ).format(schema, chain)
        )
        self.sql_create_statements.append(self.append_function())
        self.function_names = [self.append_function_name]
        self._append = SQL(
            "SELECT position FROM {0}.{1}(%s::json, %s::json, %s::json, {2}) AS position"
        ).format(
            schema,
            Identifier(self.append_function_name),
            Literal(f"{datastore.lock_timeout}s"),
        )
        self._append_bytes: bytes | None = None
        """`_append` as the connection sends it, made once (a Composed is rendered per use)."""
        self._group = GroupCommit(self._append_group)

    def lock_statement(self) -> Composed:
        """What makes appends serial: positions are given out and committed one transaction at
        a time, so no follower passes over a position that commits later."""
        return SQL("LOCK TABLE {0}.{1} IN EXCLUSIVE MODE;").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name)
        )

    def append_function(self, template: str = _APPEND) -> Composed:
        """`{events}_append_v3(events, keys, expected, lock_timeout)`: keys, lock, insert, link,
        checked reads, notify; returns the positions."""
        return SQL(template).format(
            schema=Identifier(self.datastore.schema),
            function=Identifier(self.append_function_name),
            event_type=Identifier(self.stored_event_type_name),
            id_type=Identifier(self.datastore.originator_id_type),
            events=Identifier(self.events_table_name),
            chain=Identifier(self.chain_table_name),
            keys=Identifier(KEYS_TABLE),
            lock=self.lock_statement(),
            channel=Literal(self.channel_name),
        )

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with _bounded(self):  # one deadline for the call, its retries included
            return self._group.save(stored_events, kwargs)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _append_group(self, saves: Sequence[Save]) -> list[Sequence[int]]:
        """The saves in one statement (one transaction, one round trip): one call of the append
        function with all their events, keys and checked reads; each save's positions."""
        arguments = _arguments(saves)
        positions: list[int] = []
        if any(arguments):
            with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as c:
                if self._append_bytes is None:
                    self._append_bytes = self._append.as_bytes(conn)
                c.execute(self._append_bytes, arguments, prepare=True)
                positions = [row[0] for row in c.fetchall()]
        split: list[Sequence[int]] = []
        start = 0
        for save in saves:
            split.append(positions[start : start + len(save.events)])
            start += len(save.events)
        return split


def _arguments(saves: Sequence[Save]) -> tuple[str | None, str | None, str | None]:
    """The append function's arguments for these saves: their events, keys and checked reads,
    as JSON (None: none)."""
    events = [
        {"i": e.originator_id, "v": e.originator_version, "t": e.topic, "s": e.state}
        for save in saves
        for e in save.events
    ]
    keys = [
        {"subject": subject, "key": key}
        for save in saves
        for subject, key in save.kwargs.get("personal_data_keys", None) or ()
    ]
    expected = [
        {"i": aggregate_id, "v": version}
        for save in saves
        for aggregate_id, version in save.kwargs.get(_EXPECTED, None) or ()
    ]
    return (
        _JSON.encode(events).decode() if events else None,
        _JSON.encode(keys).decode() if keys else None,
        _JSON.encode(expected).decode() if expected else None,
    )
