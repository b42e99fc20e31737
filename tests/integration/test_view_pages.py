"""A page of view changes is written in bulk, and what a view keeps between pages stays true."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterator, Sequence
from unittest.mock import Mock
from uuid import UUID

import pytest
from eventsourcing.persistence import Tracking

from clientbook import Actor, ClientBook
from clientbook.demo import Demo
from clientbook.infrastructure.buffered import BufferedView, BulkTable, Documents
from clientbook.infrastructure.read_side import SqlShadows
from clientbook.infrastructure.sql import PostgresDatabase, SqlDatabase
from clientbook.projections import runner
from conftest import postgres_schema_url

CLERK = Actor("u-clerk", roles={"officer"})
DAY = date(2026, 11, 2)
BULK_VIEWS = (
    "customer_directory",
    "manager_report",
    "complaint_cards",
    "complaint_facts",
    "exposure",
    "card_accounts",
    "approvals",
)


class CountingDatabase:
    """The view's own database, noting each statement of each transaction (a page)."""

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database
        self.pages: list[list[tuple[str, int]]] = []  # (statement, rows) per transaction

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self._database.transaction() as cursor:
            self.pages.append([])
            yield _CountingCursor(cursor, self.pages[-1])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._database, name)


class _CountingCursor:
    def __init__(self, cursor: Any, statements: list[tuple[str, int]]) -> None:
        self._cursor, self._statements = cursor, statements

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self._statements.append((sql, 1))
        return self._cursor.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        self._statements.append((sql, len(rows)))
        return self._cursor.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def _everything(book: ClientBook, on: date) -> dict[str, Any]:
    return {
        "directory": book.directory.search(),
        "managers": book.reports.managers(period_from=DAY - timedelta(366), period_to=on),
        "cards": book.complaint_cards.cards(),
        "complaints": book.reports.complaints(period_from=DAY, period_to=on),
        "exposure": book.exposure.lines(on, open_only=False),
        "accounts": book.card_accounts.accounts(on, open_only=False),
        "portfolio": book.card_accounts.portfolio(as_of=on),
        "approvals": book.approvals.pending(on=on),
    }


def _rows(views: dict[str, Any]) -> dict[str, list[str]]:
    return {
        table: sorted(repr(row) for row in view.database.query(f"SELECT * FROM {table}"))
        for view in views.values()
        for table in view.tables
    }


def test_a_rebuild_writes_each_view_table_once_a_page_and_reads_nothing_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "REBUILD_PAGE", runner.PAGE)  # so that this log spans pages
    with ClientBook.open("memory:") as book:
        last = Demo(book, seed=7, managers=3, start=DAY).run(customers=20, days=120)
        live = _everything(book, last)
        views = {p.name: p.view for p in book.projections.projections if p.name in BULK_VIEWS}
        stored = _rows(views)  # written live, a page for each catch-up
        counted = {name: CountingDatabase(view.database) for name, view in views.items()}
        for name, view in views.items():
            view.database = counted[name]  # type: ignore[assignment]

        book.projections.rebuild()

        assert _everything(book, last) == live
        assert _rows(views) == stored
        for name, database in counted.items():
            pages = [p for p in database.pages if "projection_tracking" in p[0][0]]
            assert len(pages) > 1, f"{name}: the log should span several pages"
            for page in pages:
                work = [(sql, rows) for sql, rows in page if "projection_tracking" not in sql]
                assert not [sql for sql, _ in work if not sql.startswith("INSERT")], name
                # a table's rows go in one `executemany` of full multi-row statements and one
                # of the rows left over (buffered.SQLITE_ROWS): each statement once a page
                statements = [sql for sql, _ in work]
                assert len(set(statements)) == len(statements), f"{name} wrote a table twice"
                tables = [sql.split()[2] for sql in statements]
                assert all(tables.count(table) <= 2 for table in tables), name
                assert set(tables) <= set(views[name].tables)


@pytest.fixture
def demo_book(tmp_path: Path) -> tuple[str, date, dict[str, Any]]:
    """A small demo book's URL, its last business day, and everything its views answer."""
    url = f"sqlite:///{tmp_path / 'book.db'}"
    with ClientBook.open(url) as book:
        last = Demo(book, seed=7, managers=3, start=DAY).run(customers=20, days=120)
        return url, last, _everything(book, last)


def test_a_view_that_keeps_few_documents_reads_the_others_back(
    demo_book: tuple[str, date, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, last, live = demo_book
    monkeypatch.setattr(Documents, "keep", 3)
    monkeypatch.setattr("clientbook.infrastructure.read_side.REBUILD_KEEP", 3)  # the shadow too
    with ClientBook.open(url) as book:
        book.projections.rebuild()

        assert _everything(book, last) == live


def test_a_rebuild_reads_back_none_of_the_documents_it_wrote(
    demo_book: tuple[str, date, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    document_loads: list[object],
) -> None:
    url, last, live = demo_book
    monkeypatch.setattr(Documents, "keep", 3)  # a live view's bound: far below the documents
    loads = document_loads
    with ClientBook.open(url) as book:
        loads.clear()
        book.projections.rebuild()

        assert loads == []  # built from zero, a shadow knows every document it wrote
        assert _everything(book, last) == live


def register(book: ClientBook, number: str = "C-000001") -> UUID:
    return book.customers.register(
        number=number, kind="individual", name="Li Lei", manager="m-007", by=CLERK, on=DAY
    )


def test_a_view_forgets_what_it_kept_when_another_book_moved_it_on(store_url: str) -> None:
    with ClientBook.open(store_url) as first, ClientBook.open(store_url) as second:
        cid = register(first)
        assert first.directory.customer(cid) is not None  # first keeps the customer's document
        second.customers.change_tier(cid, "vip", reason="assets", by=CLERK, on=DAY)
        assert second.directory.customer(cid).tier == "vip"  # type: ignore[union-attr]
        first.customers.record_contact(
            cid, channel="visit", purpose="follow_up", outcome="fine", by=CLERK, on=DAY
        )

        entry = first.directory.customer(cid)

        assert entry is not None and (entry.tier, entry.last_contact) == ("vip", DAY)
        assert first.directory.search() == second.directory.search()


@pytest.fixture
def database(store_url: str) -> Iterator[SqlDatabase]:
    with ClientBook.open(store_url) as book:
        yield book.projections.projections[0].view.database


def test_bulk_writes_insert_and_replace_rows_in_statements_of_any_size(
    database: SqlDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("clientbook.infrastructure.buffered.POSTGRES_PARAMETERS", 10)
    monkeypatch.setattr("clientbook.infrastructure.buffered.SQLITE_ROWS", 4)  # 6 of 4, then 1
    database.create(["CREATE TABLE bulk_test (k TEXT PRIMARY KEY, v INTEGER, w TEXT)"])
    table = BulkTable("bulk_test", ["k", "v", "w"], key=["k"], fixed=["w"])
    with database.transaction() as cursor:
        table.write(cursor, database.dialect, [(f"k{i}", i, "first") for i in range(25)])
    with database.transaction() as cursor:
        table.write(cursor, database.dialect, [(f"k{i}", -i, "again") for i in range(20, 30)])

    rows = database.query("SELECT k, v, w FROM bulk_test ORDER BY v")

    assert len(rows) == 30
    assert rows[:10] == [(f"k{i}", -i, "first" if i < 25 else "again") for i in range(29, 19, -1)]
    assert rows[10:] == [(f"k{i}", i, "first") for i in range(20)]


AWKWARD = ["tab\there", "new\nline", "back\\slash \\N", "quote ' and \"", "", None, "日本 €"]
"""Text that COPY's own format must escape (tabs, newlines, backslashes, \\N), and None."""


def test_a_bulk_write_keeps_every_value_as_it_was_given(
    database: SqlDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL, more values than a small statement takes go by COPY, whose text format
    escapes what it must: every value reads back as it was written, inserted or upserted."""
    monkeypatch.setattr("clientbook.infrastructure.buffered.POSTGRES_PARAMETERS", 4)
    database.create(
        [
            "CREATE TABLE bulk_plain (n BIGINT NOT NULL, t TEXT)",
            "CREATE TABLE bulk_keyed (k TEXT PRIMARY KEY, n BIGINT NOT NULL, t TEXT)",
        ]
    )
    plain = BulkTable("bulk_plain", ["n", "t"])
    keyed = BulkTable("bulk_keyed", ["k", "n", "t"], key=["k"])
    rows = [(i * 2**40, text) for i, text in enumerate(AWKWARD)]
    with database.transaction() as cursor:
        plain.write(cursor, database.dialect, rows)
        keyed.write(cursor, database.dialect, [(f"k{i}", 0, "old") for i in range(len(AWKWARD))])
    with database.transaction() as cursor:
        keyed.write(cursor, database.dialect, [(f"k{n}", n, t) for n, (_, t) in enumerate(rows)])

    assert database.query("SELECT n, t FROM bulk_plain ORDER BY n") == rows
    assert database.query("SELECT n, t FROM bulk_keyed ORDER BY n") == [
        (n, t) for n, (_, t) in enumerate(rows)
    ]


def test_two_bulk_upserts_of_one_table_in_one_transaction_leave_the_second_ones_values(
    database: SqlDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL an upsert's rows pass through a temporary table: the second write of the
    transaction must not move the first one's rows in again (which, for a key in both, fails:
    ON CONFLICT cannot change a row twice in one statement)."""
    monkeypatch.setattr("clientbook.infrastructure.buffered.POSTGRES_PARAMETERS", 4)
    database.create(["CREATE TABLE bulk_twice (k TEXT PRIMARY KEY, v INTEGER NOT NULL)"])
    table = BulkTable("bulk_twice", ["k", "v"], key=["k"])
    with database.transaction() as cursor:
        table.write(cursor, database.dialect, [(f"k{i}", 1) for i in range(6)])
        table.write(cursor, database.dialect, [(f"k{i}", 2) for i in range(3, 9)])
    with database.transaction() as cursor:
        table.write(cursor, database.dialect, [(f"k{i}", 3) for i in range(8, 12)])

    assert database.query("SELECT k, v FROM bulk_twice ORDER BY v, k") == [
        *[(f"k{i}", 1) for i in range(3)],
        *sorted((f"k{i}", 2) for i in range(3, 8)),
        *sorted((f"k{i}", 3) for i in range(8, 12)),
    ]


def test_the_staging_table_of_upserts_by_copy_does_not_grow_with_every_write() -> None:
    """An upsert's rows pass through a temporary table, which autovacuum never visits: were it
    only emptied by DELETE, a pooled connection's table would keep every row it ever held, and
    each write would read them all again. Thirty pages of one view, on one connection or a few:
    the table holds one write's pages at most."""
    for url in postgres_schema_url():
        with ClientBook.open(url) as book:
            database = book.projections.projections[0].view.database
            database.create(["CREATE TABLE bulk_bloat (k TEXT PRIMARY KEY, v TEXT NOT NULL)"])
            table = BulkTable("bulk_bloat", ["k", "v"], key=["k"])
            rows = [(f"k{i}", "x" * 200) for i in range(1000)]  # far over 200 values
            sizes: dict[int, list[int]] = {}
            for _ in range(30):
                with database.transaction() as cursor:
                    table.write(cursor, database.dialect, rows)
                    cursor.execute(
                        "SELECT pg_relation_size('clientbook_stage_bulk_bloat'), pg_backend_pid()"
                    )
                    size, backend = cursor.fetchone()
                    sizes.setdefault(backend, []).append(size)

            assert database.query("SELECT count(*) FROM bulk_bloat") == [(1000,)]
            assert max(len(s) for s in sizes.values()) > 1  # a connection wrote again
            for seen in sizes.values():
                assert max(seen) <= 2 * seen[0], f"the stage grew: {seen}"


def test_a_large_bulk_write_on_postgresql_goes_by_copy_not_by_statements_of_its_values() -> None:
    """psycopg parses a statement of more than 50 parameters afresh at every call, and the
    server parses and plans it: a page's rows go by COPY (a third of a rebuild's time on
    PostgreSQL went to the parse alone)."""
    for url in postgres_schema_url():
        _copied_not_stated(url)


def _copied_not_stated(url: str) -> None:
    with ClientBook.open(url) as book:
        database = book.projections.projections[0].view.database
        database.create(
            [
                "CREATE TABLE bulk_big (n BIGINT NOT NULL, t TEXT)",
                "CREATE TABLE bulk_big_keyed (k BIGINT PRIMARY KEY, t TEXT)",
            ]
        )
        rows = [(i, f"row {i}") for i in range(5000)]
        run: list[tuple[str, int]] = []
        with database.transaction() as cursor:
            executed, copied = cursor.execute, cursor.copy_rows

            def execute(sql: str, params: Sequence[Any] = ()) -> Any:
                run.append((sql.split()[0], len(params)))
                return executed(sql, params)

            def copy_rows(statement: str, values: Any) -> None:
                values = list(values)
                run.append((statement.split()[0], len(values)))
                copied(statement, values)

            cursor.execute, cursor.copy_rows = execute, copy_rows  # type: ignore[method-assign]
            BulkTable("bulk_big", ["n", "t"]).write(cursor, database.dialect, rows)
            BulkTable("bulk_big_keyed", ["k", "t"], key=["k"]).write(cursor, database.dialect, rows)

        assert [statement for statement, _ in run] == ["COPY", "CREATE", "COPY", "INSERT", "DELETE"]
        assert max(params for statement, params in run if statement != "COPY") == 0
        assert database.query("SELECT count(*), sum(n) FROM bulk_big") == [(5000, 12497500)]
        assert database.query("SELECT count(*) FROM bulk_big_keyed") == [(5000,)]


def test_a_bulk_write_with_a_row_of_another_width_raises_and_writes_nothing(
    database: SqlDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows are flattened into one list of values and cut into statements: a row with a
    value too few would shift every value after it, so it is refused before anything runs."""
    monkeypatch.setattr("clientbook.infrastructure.buffered.SQLITE_ROWS", 4)
    database.create(["CREATE TABLE bulk_width (k TEXT PRIMARY KEY, v INTEGER)"])
    table = BulkTable("bulk_width", ["k", "v"], key=["k"])
    rows: list[tuple[Any, ...]] = [(f"k{i}", i) for i in range(9)]
    rows[2] = ("k2",)

    with pytest.raises(ValueError, match="each row for bulk_width must have 2 values"):
        with database.transaction() as cursor:
            table.write(cursor, database.dialect, rows)

    assert database.query("SELECT count(*) FROM bulk_width") == [(0,)]


def test_a_rebuilt_view_keeps_its_indexes_though_its_shadow_had_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "book.db"
    with ClientBook.open(f"sqlite:///{path}") as book:
        Demo(book, seed=7, managers=3, start=DAY).run(customers=5, days=10)
        indexes = _indexes(path)
        seen: list[set[str]] = []
        opened = SqlShadows.open

        def open_and_look(shadows: SqlShadows, view: object) -> object:
            shadow = opened(shadows, view)
            seen.append(_indexes(Path(f"{path}.rebuild-{getattr(view, 'name')}")))
            return shadow

        monkeypatch.setattr(SqlShadows, "open", open_and_look)
        book.projections.rebuild()

        assert len(seen) == len(book.projections.projections)
        assert not set().union(*seen) - _unique(path)  # only the rules' indexes in a shadow
        assert _indexes(path) == indexes and any("card_accounts_" in i for i in indexes)


def test_a_rebuilt_view_on_postgresql_has_its_indexes_built_once_its_rows_are_in() -> None:
    """A PostgreSQL shadow is made without its plain indexes, which are built in the shadow
    once its rows (and its held documents) are in, before its tables move in: the view ends
    with the indexes it had."""
    for url in postgres_schema_url():
        _indexes_after_rows(url)


def _indexes_after_rows(url: str) -> None:
    with ClientBook.open(url) as book:
        Demo(book, seed=7, managers=3, start=DAY).run(customers=5, days=10)
        main = book.projections.projections[0].view.database
        indexes = _pg_indexes(main)
        built: list[tuple[dict[str, str], set[str], int]] = []
        index = PostgresDatabase.index

        def look_and_index(database: PostgresDatabase, statements: Sequence[str]) -> None:
            before = _pg_indexes(database)
            cards = any("card_accounts_customer" in s for s in statements)
            rows = database.query("SELECT count(*) FROM card_accounts")[0][0] if cards else 0
            index(database, statements)
            built.append((before, set(_pg_indexes(database)) - set(before), rows))

        PostgresDatabase.index = look_and_index  # type: ignore[method-assign]
        try:
            book.projections.rebuild()
        finally:
            PostgresDatabase.index = index  # type: ignore[method-assign]

        assert len(built) == len(book.projections.projections)
        assert all(" UNIQUE " in sql for before, _, _ in built for sql in before.values())
        made = set().union(*(after for _, after, _ in built))
        assert made == {name for name, sql in indexes.items() if " UNIQUE " not in sql}
        cards = main.query("SELECT count(*) FROM card_accounts")[0][0]
        assert cards and [rows for _, _, rows in built if rows] == [cards]  # its rows were in
        assert _pg_indexes(main) == indexes and "card_accounts_customer" in indexes


def test_a_postgresql_shadow_commits_without_waiting_for_the_disk_and_the_book_waits_as_ever(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A shadow is thrown away if the rebuild dies, so its commits need not wait for the
    server's log to reach the disk; the swap, in the book's schema, still does (and so every
    commit of the shadow before it)."""
    for url in postgres_schema_url():
        with ClientBook.open(url) as book:
            Demo(book, seed=7, managers=3, start=DAY).run(customers=3, days=3)
            seen: list[str] = []
            opened = SqlShadows.open

            def open_and_look(shadows: SqlShadows, view: object) -> object:
                shadow: Any = opened(shadows, view)
                seen.append(shadow.database.query("SHOW synchronous_commit")[0][0])
                return shadow

            monkeypatch.setattr(SqlShadows, "open", open_and_look)
            book.projections.rebuild()
            main = book.projections.projections[0].view.database

            assert seen == ["off"] * len(book.projections.projections)
            assert main.query("SHOW synchronous_commit") == [("on",)]


def test_a_postgresql_shadow_whose_indexes_fail_fails_the_rebuild_and_leaves_no_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for url in postgres_schema_url():
        with ClientBook.open(url) as book:
            Demo(book, seed=7, managers=3, start=DAY).run(customers=3, days=3)
            live = book.card_accounts.accounts(DAY + timedelta(days=3), open_only=False)
            index = PostgresDatabase.index

            def failing(database: PostgresDatabase, statements: Sequence[str]) -> None:
                if any("card_accounts_customer" in s for s in statements):
                    raise OSError("no space left for the index")
                index(database, statements)

            monkeypatch.setattr(PostgresDatabase, "index", failing)
            with pytest.raises(OSError, match="no space left"):
                book.projections.rebuild()

            assert book.card_accounts.accounts(DAY + timedelta(days=3), open_only=False) == live
            main = book.projections.projections[0].view.database
            assert main.query(
                "SELECT count(*) FROM pg_namespace WHERE starts_with(nspname, current_schema())"
            ) == [(1,)]  # the book's own schema, and no shadow's
            monkeypatch.setattr(PostgresDatabase, "index", index)
            book.projections.rebuild()
            assert book.card_accounts.accounts(DAY + timedelta(days=3), open_only=False) == live


def _pg_indexes(database: SqlDatabase) -> dict[str, str]:
    rows = database.query(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
    )
    return {str(name): str(sql).replace(f"{_schema_of(sql)}.", "") for name, sql in rows}


def _schema_of(sql: str) -> str:
    return str(sql).split(" ON ")[1].split(".")[0]


def _indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
    return {name for (name,) in rows}


def _unique(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE 'CREATE UNIQUE%'"
        ).fetchall()
    return {name for (name,) in rows}


class Notes(BufferedView):
    """A view of one table of documents, for the deferred writes of a rebuild's shadow."""

    name = "notes"
    tables = ("notes",)
    schema = ("CREATE TABLE IF NOT EXISTS notes (k TEXT PRIMARY KEY, v TEXT NOT NULL)",)

    def __init__(self, database: SqlDatabase) -> None:
        super().__init__(database)
        table = BulkTable("notes", ["k", "v"], key=["k"])
        self.notes: Documents[str, str] = self._buffered(Documents(table, _note_row, self._load))

    def _load(self, key: str) -> str | None:
        rows = self._rows("SELECT v FROM notes WHERE k = ?", (key,))
        return str(rows[0][0]) if rows else None

    def stored(self) -> list[tuple[Any, ...]]:
        return self.database.query("SELECT k, v FROM notes ORDER BY k")


def _note_row(key: str, value: str) -> tuple[str, str]:
    return (key, value)


def _page(view: Notes, position: int, **notes: str) -> None:
    with view.batch(Tracking("app", position)):
        for key, value in notes.items():
            view.notes.put(key, value)


def test_a_shadow_writes_each_document_once_before_its_swap(database: SqlDatabase) -> None:
    view = Notes(database)
    view.notes.keep_up_to(1)  # the documents it forgets are read from those held back
    view.defer_writes()
    _page(view, 10, a="1", b="1")
    _page(view, 20, a="2")

    assert view.stored() == [] and view.max_tracking_id("app") == 20
    with view.batch(Tracking("app", 30)):
        assert (view.notes.get("a"), view.notes.get("b"), view.notes.get("c")) == ("2", "1", None)
    view.write_deferred()
    assert view.stored() == [("a", "2"), ("b", "1")]


def test_a_shadow_holds_each_document_once(database: SqlDatabase) -> None:
    """Held back until the swap, a document is read from there: not also kept among the
    documents a live view keeps (at 30,000 accounts, keeping each page's too cost 4% of a
    rebuild)."""
    view = Notes(database)
    view.defer_writes()
    _page(view, 10, a="1", b="1")
    _page(view, 20, a="2")

    assert len(view.notes._kept) == 0
    with view.batch(Tracking("app", 30)):
        assert (view.notes.get("a"), view.notes.get("b")) == ("2", "1")


def test_a_shadow_page_that_does_not_commit_takes_its_documents_with_it(
    database: SqlDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = Notes(database)
    view.defer_writes()
    _page(view, 10, a="1")
    with monkeypatch.context() as failing:  # written, then the tracking fails: rolled back
        failing.setattr(view, "_insert_tracking", Mock(side_effect=RuntimeError("disk full")))
        with pytest.raises(RuntimeError, match="disk full"):
            _page(view, 20, a="lost", b="lost")
    _page(view, 10)  # a page the view has (nothing written: nothing may be taken from before)

    with view.batch(Tracking("app", 20)):
        assert (view.notes.get("a"), view.notes.get("b")) == ("1", None)
    view.write_deferred()
    assert view.stored() == [("a", "1")] and view.max_tracking_id("app") == 20


def test_a_shadow_holding_too_many_documents_writes_them_in_the_page(
    database: SqlDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Documents, "DEFERRED", 2)
    view = Notes(database)
    view.defer_writes()
    _page(view, 10, a="1", b="1")
    assert view.stored() == []

    _page(view, 20, c="1")

    assert view.stored() == [("a", "1"), ("b", "1"), ("c", "1")]
    with view.batch(Tracking("app", 25)):  # no longer held: read back from the table
        assert (view.notes.get("b"), view.notes.get("d")) == ("1", None)
    _page(view, 30, a="2")
    view.write_deferred()
    assert view.stored() == [("a", "2"), ("b", "1"), ("c", "1")]
