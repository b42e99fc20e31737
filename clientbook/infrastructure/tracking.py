"""What every SQL view shares: its tracking position, and the transaction a page commits in.

A page of events is processed inside `batch(tracking)`. The batch opens the view's transaction
and, before anything else, locks the view's tracking row and reads the position it stands at
(PostgreSQL: `SELECT … FOR UPDATE`; SQLite: `BEGIN IMMEDIATE` holds the file's write lock). It
yields that position: the runner processes only the events after it. So when several processes
catch the same view up at once, each page is applied by exactly one of them; the others find
the position already advanced and write nothing — never a uniqueness error.
"""

from __future__ import annotations

import threading

import sqlite3
from contextlib import contextmanager
from typing import Any, Iterator, Sequence, Sized

import psycopg
from eventsourcing.persistence import IntegrityError, Tracking

from clientbook.infrastructure.sql import SqlDatabase

TRACKING_TABLE = (
    "CREATE TABLE IF NOT EXISTS projection_tracking (projection TEXT NOT NULL, "
    "application_name TEXT NOT NULL, notification_id BIGINT NOT NULL, "
    "PRIMARY KEY (projection, application_name))"
)


class SqlTrackedView:
    """Tracking and transactions shared by the SQL views; subclasses name their tables.

    `tables` lists every table the view writes and `schema` the statements that create them
    (and their indexes): a rebuild without downtime builds the same tables elsewhere, then
    swaps them in. A view that buffers a page's changes writes them in `_flush(cursor)`, which
    runs at the end of a batch, before the tracking position."""

    name = ""
    tables: tuple[str, ...] = ()

    @property
    def personal_data(self) -> bool:
        """Whether its rows hold customers' personal data: a view that does seals it with its
        `fields` (sealed values, blind-index digests). A rebuild's swap drops its old tables
        with SQLite's `secure_delete`, zeroing them on disk; the other views' tables are
        dropped without it (zeroing the audit trail's pages made its DROP six times as slow,
        for nothing to hide)."""
        return hasattr(self, "fields")

    schema: tuple[str, ...] = ()

    def __init__(self, database: SqlDatabase, name: str | None = None) -> None:
        self.database = database
        self.name = name or self.name
        self._pages = threading.local()  # the open page's cursor, for the thread that opened it
        self.stale_schema = False
        """Tables from an older version of the view are in the way: it needs a rebuild."""
        database.create((TRACKING_TABLE,))
        try:
            database.create(self.schema)
        except (sqlite3.OperationalError, psycopg.ProgrammingError) as error:
            if "column" not in str(error):  # an index on a column the old tables lack
                raise
            self.stale_schema = True

    @contextmanager
    def batch(self, tracking: Tracking) -> Iterator[int]:
        """A page's transaction. Yields the position the view stood at when it was locked; the
        changes made inside commit with `tracking` if that is further on, else not at all."""
        with self.database.transaction() as cursor:
            self._pages.cursor = cursor
            try:
                since = self._lock_tracking(cursor, tracking.application_name)
                yield since
                if tracking.notification_id > since:
                    self._flush(cursor)
                    self._insert_tracking(cursor, tracking)
            finally:
                self._pages.cursor = None
                self._discard()
        self._committed()

    def _committed(self) -> None:
        """After a page's transaction has ended without an error: committed, unless it joined
        an outer one (views that hold back writes override it; a rebuild's shadow's pages are
        transactions of their own)."""

    def pass_over(
        self, views: Sequence[tuple[SqlTrackedView, int]], tracking: Tracking
    ) -> list[SqlTrackedView]:
        """Move on views of this one's database that a page held no events for, each from the
        position the runner knew it at, to `tracking`'s: in one transaction of two statements
        for them all, where a batch each would take two statements and a transaction apiece
        (on PostgreSQL, four round trips a view, and most views have nothing in most pages of
        a live log). Their tracking rows are locked first, in the order of their names, so two
        processes passing over the same views at once wait for each other, never deadlock; a
        view found elsewhere than the runner knew (another process moved it, or it has no row
        yet) is left as it is, for a batch of its own to find what to do. Returns the views
        moved on."""
        known = {view.name: (view, since) for view, since in views}
        to = tracking.notification_id
        lock = " ORDER BY projection FOR UPDATE" if self.database.dialect == "postgresql" else ""
        with self.database.transaction() as cursor:
            cursor.execute(
                "SELECT projection, notification_id FROM projection_tracking "
                f"WHERE application_name = ? AND projection IN ({_marks(known)}){lock}",
                (tracking.application_name, *known),
            )
            found = {str(name): int(at) for name, at in cursor.fetchall()}
            moving = [(v, since) for v, since in known.values() if found.get(v.name) == since < to]
            if moving:
                cursor.execute(
                    "UPDATE projection_tracking SET notification_id = ? "
                    f"WHERE application_name = ? AND projection IN ({_marks(moving)})",
                    (to, tracking.application_name, *(v.name for v, _ in moving)),
                )
        for view, since in moving:
            view._passed_over(since, to)
        return [view for view, _ in moving]

    def forget_kept(self) -> None:
        """Forget what the view keeps of its tables between pages: they were replaced (a
        rebuild's swap), and may differ from the old ones at the very same position (a new
        version of the view). Views that keep some override it."""

    def _passed_over(self, since: int, position: int) -> None:
        """The view was moved on from `since` to `position` with nothing of its own to change
        (`pass_over`): what it keeps of its tables is as true there (views that keep some
        override it)."""

    @property
    def _tx(self) -> Any:
        """This thread's open page (its cursor), if it has one: a query from another thread,
        while a worker thread is in a page, reads on a connection of its own what is committed."""
        return getattr(self._pages, "cursor", None)

    def _flush(self, cursor: Any) -> None:
        """Write what the page buffered (views that buffer override this)."""

    def _discard(self) -> None:
        """Forget what the page buffered, written or not (views that buffer override this)."""

    def _lock_tracking(self, cursor: Any, application_name: str) -> int:
        """Lock the view's tracking row (made if missing) and read its position: one statement,
        which on PostgreSQL holds the row lock until the transaction ends."""
        cursor.execute(
            "INSERT INTO projection_tracking (projection, application_name, notification_id) "
            "VALUES (?, ?, 0) ON CONFLICT (projection, application_name) DO UPDATE "
            "SET notification_id = projection_tracking.notification_id "
            "RETURNING notification_id",
            (self.name, application_name),
        )
        return int(cursor.fetchone()[0])

    def insert_tracking(self, tracking: Tracking) -> None:
        with self.database.transaction() as cursor:
            self._insert_tracking(cursor, tracking)

    def _insert_tracking(self, cursor: Any, tracking: Tracking) -> None:
        cursor.execute(
            "INSERT INTO projection_tracking (projection, application_name, notification_id) "
            "VALUES (?, ?, ?) ON CONFLICT (projection, application_name) DO UPDATE "
            "SET notification_id = excluded.notification_id "
            "WHERE projection_tracking.notification_id < excluded.notification_id "
            "RETURNING notification_id",
            (self.name, tracking.application_name, tracking.notification_id),
        )
        if cursor.fetchone() is None:
            raise IntegrityError(
                f"{self.name} has already processed {tracking.application_name} "
                f"position {tracking.notification_id}"
            )

    def max_tracking_id(self, application_name: str) -> int | None:
        rows = self._rows(
            "SELECT notification_id FROM projection_tracking "
            "WHERE projection = ? AND application_name = ?",
            (self.name, application_name),
        )
        return int(rows[0][0]) or None if rows else None

    def reset(self) -> None:
        with self.database.transaction() as cursor:
            for table in self.tables:
                cursor.execute(f"DELETE FROM {table}")
            cursor.execute("DELETE FROM projection_tracking WHERE projection = ?", (self.name,))

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> None:
        if self._tx is not None:
            self._tx.execute(sql, params)
        else:
            self.database.execute(sql, params)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self._tx is not None:
            self._tx.execute(sql, params)
            return [tuple(row) for row in self._tx.fetchall()]
        return self.database.query(sql, params)


def _marks(items: Sized) -> str:
    return ", ".join("?" for _ in range(len(items)))
