"""Our views pass the library's own tracking-recorder test suite: someone else's idea of correct."""

from __future__ import annotations

import tempfile
from pathlib import Path
from uuid import uuid4

import pytest

from conftest import postgres_schema_url
from eventsourcing.tests import (
    persistence as es_p,
)  # the module, so pytest does not collect its bases
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder
from eventsourcing.utils import Environment

from eventsourcing.sqlite import SQLiteDatastore

from clientbook.infrastructure.audit_view import SqlAuditTrailView
from clientbook.infrastructure.chain import (
    ChainedPostgresApplicationRecorder,
    ChainedSQLiteApplicationRecorder,
)
from clientbook.infrastructure.postgres import (
    BoundedAggregateRecorder,
    BoundedApplicationRecorder,
    Factory,
)
from clientbook.infrastructure.sql import PostgresDatabase, SqliteDatabase
from clientbook.infrastructure.store import parse_store_url


class TestSqliteViewTracking(es_p.TrackingRecorderTestCase):
    def setUp(self) -> None:
        self._dir = tempfile.TemporaryDirectory()

    def tearDown(self) -> None:
        self._dir.cleanup()

    def create_recorder(self) -> SqlAuditTrailView:
        return SqlAuditTrailView(SqliteDatabase(str(Path(self._dir.name) / "views.db")))


class TestPostgresViewTracking(es_p.TrackingRecorderTestCase):
    def setUp(self) -> None:
        self._schema = postgres_schema_url()
        self._url = next(self._schema)

    def tearDown(self) -> None:
        next(self._schema, None)

    def create_recorder(self) -> SqlAuditTrailView:
        store = parse_store_url(self._url)
        assert store.postgres_conninfo is not None
        return SqlAuditTrailView(PostgresDatabase(store.postgres_conninfo, store.postgres_schema))


def test_views_of_different_projections_keep_separate_positions(tmp_path: Path) -> None:
    from eventsourcing.persistence import Tracking

    from clientbook.infrastructure.directory_view import SqlCustomerDirectoryView

    database = SqliteDatabase(str(tmp_path / "views.db"))
    audit, directory = SqlAuditTrailView(database), SqlCustomerDirectoryView(database)
    audit.insert_tracking(Tracking("ClientBook", 7))
    assert (audit.max_tracking_id("ClientBook"), directory.max_tracking_id("ClientBook")) == (
        7,
        None,
    )
    audit.reset()
    assert audit.max_tracking_id("ClientBook") is None


class _OnAFreshSchema:
    """A fresh PostgreSQL schema per test, and the factories made on it closed afterwards."""

    def setUp(self) -> None:
        self._schema = postgres_schema_url()
        self._url = next(self._schema)
        self._factories: list[Factory] = []

    def tearDown(self) -> None:
        for factory in self._factories:
            factory.close()
        next(self._schema, None)

    def factory(self) -> Factory:
        factory = Factory(Environment("ClientBook", parse_store_url(self._url).env))
        self._factories.append(factory)
        return factory


class TestOurPostgresApplicationRecorder(_OnAFreshSchema, es_p.ApplicationRecorderTestCase):
    """Our bounded recorder, made by our factory (as a book makes it), is still the library's."""

    EXPECT_CONTIGUOUS_NOTIFICATION_IDS = False  # PostgreSQL's positions have gaps

    def create_recorder(self) -> BoundedApplicationRecorder:
        recorder = self.factory().application_recorder()
        assert isinstance(recorder, BoundedApplicationRecorder)
        return recorder

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestOurPostgresAggregateRecorder(_OnAFreshSchema, es_p.AggregateRecorderTestCase):
    """The snapshots' recorder, likewise."""

    def create_recorder(self) -> BoundedAggregateRecorder:
        recorder = self.factory().aggregate_recorder("snapshots")
        assert isinstance(recorder, BoundedAggregateRecorder)
        return recorder


class TestOurSqliteApplicationRecorder(es_p.ApplicationRecorderTestCase):
    """The recorder that writes the log's hash chain on SQLite is still the library's."""

    def setUp(self) -> None:
        self._dir = tempfile.TemporaryDirectory()

    def tearDown(self) -> None:
        self._dir.cleanup()

    def create_recorder(self) -> ChainedSQLiteApplicationRecorder:
        datastore = SQLiteDatastore(str(Path(self._dir.name) / "log.db"), lock_timeout=30)
        recorder = ChainedSQLiteApplicationRecorder(datastore)
        recorder.create_table()
        return recorder


def test_the_library_suites_ran_on_the_chained_recorders() -> None:
    """The PostgreSQL suite above gets the chained recorder through the book's environment."""
    env = parse_store_url("postgresql://postgres@127.0.0.1/test").env
    assert env["APPLICATION_RECORDER_TOPIC"].endswith("ChainedPostgresApplicationRecorder")
    assert issubclass(ChainedPostgresApplicationRecorder, BoundedApplicationRecorder)


def test_snapshots_go_in_by_copy_not_as_the_librarys_array_of_composite_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """psycopg writes the library's array out in Python, value by value; COPY writes the rows
    in C. A duplicate is still the library's IntegrityError (its own suite, above)."""

    def not_this_way(*args: object, **kwargs: object) -> None:
        raise AssertionError("the snapshots went in as an array of composite values")

    monkeypatch.setattr(PostgresAggregateRecorder, "_insert_stored_events", not_this_way)
    for url in postgres_schema_url():
        factory = Factory(Environment("ClientBook", parse_store_url(url).env))
        try:
            recorder = factory.aggregate_recorder("snapshots")
            rows = [StoredEvent(uuid4(), 20, "a:Snapshot", b"\x00\t\\N{}") for _ in range(3)]
            recorder.insert_events(rows)
            assert [recorder.select_events(row.originator_id) for row in rows] == [
                [row] for row in rows
            ]
        finally:
            factory.close()


def test_the_librarys_own_log_insert_still_takes_the_logs_lock_and_notifies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The log's recorder derives from the snapshots' one: it must not take their COPY."""
    done: list[str] = []
    lock, notify = (
        PostgresApplicationRecorder._lock_table,
        PostgresApplicationRecorder._notify_channel,
    )
    monkeypatch.setattr(
        PostgresApplicationRecorder,
        "_lock_table",
        lambda self, c: (done.append("lock"), lock(self, c))[1],
    )
    monkeypatch.setattr(
        PostgresApplicationRecorder,
        "_notify_channel",
        lambda self, c: (done.append("notify"), notify(self, c))[1],
    )
    for url in postgres_schema_url():
        factory = Factory(Environment("ClientBook", parse_store_url(url).env))
        try:
            recorder = BoundedApplicationRecorder(factory.datastore)
            recorder.create_table()
            row = StoredEvent(uuid4(), 1, "a:Event", b"{}")
            assert recorder.insert_events([row]) and recorder.select_events(row.originator_id) == [
                row
            ]
            assert done == ["lock", "notify"]
        finally:
            factory.close()
