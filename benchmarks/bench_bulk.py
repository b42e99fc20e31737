#!/usr/bin/env python
"""Benchmark: bulk work against the speed of the storage, ratios in one run (issue 16).

On one book (a temp SQLite file, or a fresh PostgreSQL schema) built by the UCI card import of
--rows holders (plus, with --demo-days, the demo's activity continuing the same book):

(a) import: events/s of `book.import_uci_cards` against plain eventsourcing saving the same
    number of events in transactions of the sizes the import made (bench_cards.raw_save_seconds;
    only its `app.save` calls timed). Target >= 0.5.
(b) batched saves: events/s inside `app.save` during the import (mapping, chain, insert) against
    a raw insert of rows of the same sizes in transactions of the same sizes into a plain table
    of the same columns (SQLite executemany; PostgreSQL COPY). Target >= 0.3.
(c) close of business for one day (a statement day: 2005-10-01 after the import alone, else the
    first of the month after the demo's activity; the days before it closed first, untimed):
    accounts/s against loading the same accounts and saving them with no command — one by one
    (`command_each`, the shape of main's batch) and in pages (`load_many`, this branch's).
    Target >= 1.0, and accounts/s not falling as the book grows. By default the close and
    its baselines follow a pass that fills the cache (a long-lived process); --cold starts each
    from an empty cache (a fresh process, where every load misses whatever the cache's size).
(d) the cache: a load-and-no-op-save pass (in pages) over every account with the default cache
    against the same pass with a cache that holds them all (the cliff: 8.6x on main, 17x at
    30,000 accounts with a cache of 5,000; the default is now a memory budget, app.py).
(e) as-of reports: the portfolio and the complaints report as of a date back in the log, on
    the whole log, against a full replay of the log (read and decode every event) and against
    main's way (fold every fact up to the position): first without a checkpoint, then again
    after one more business day, resumed from the checkpoint the first left. Peak memory
    (tracemalloc) of each. Target <= 0.05 of the full replay, <= 150 MiB.

Timed by this process's CPU time on SQLite (its work is in-process), by the wall clock on
PostgreSQL (--clock changes it). The million-event book: the full import and 30 demo days,
built once and kept (--keep PATH, a SQLite file; the build's (a) and (b) in PATH.json), then
measured again without rebuilding (--reuse PATH works on a copy: (c) closes a day).

Run: .venv/bin/python benchmarks/bench_bulk.py --rows 3000 [--backend postgres] [--demo-days 60]
     .venv/bin/python benchmarks/bench_bulk.py --rows 30000 --demo-days 30 --keep /tmp/book.db
     .venv/bin/python benchmarks/bench_bulk.py --reuse /tmp/book.db [--cold]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
from _report import show_table  # benchmarks/_report.py
from bench_cards import DATA, raw_save_seconds

from clientbook.adapters import UCI_CURRENCY
from clientbook.application.app import ClientBookApplication
from clientbook.book import ClientBook
from clientbook.demo import Demo
from clientbook.domain.card import CardAccount
from clientbook.infrastructure.store import parse_store_url
from clientbook.reports.portfolio import portfolio
from clientbook.reports.complaints import complaints_report

DAY = date(2005, 10, 1)
POSTGRES = os.environ.get(
    "CLIENTBOOK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
MIB = 1024 * 1024


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


CLOCK: Callable[[], float] = time.process_time
"""What the figures are timed by (main sets it from --clock)."""
CLOCK_NAME = "CPU time"


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    t0 = CLOCK()
    fn()
    return CLOCK() - t0


def peak(fn: Callable[[], object]) -> float:
    """Peak memory (MiB) that `fn` allocates, by tracemalloc (run apart from the timings)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()


class Recorded:
    """Every insert the book's recorder makes (its size and rows' sizes), and the time spent in
    `app.save` (mapping, chain and insert)."""

    def __init__(self, app: ClientBookApplication) -> None:
        self.sizes: list[int] = []
        self.rows: list[list[tuple[int, int]]] = []  # per insert: (topic length, state length)
        self.save_s = 0.0
        recorder: Any = app.recorder
        insert, save = recorder.insert_events, app.save

        def counting_insert(stored: list[Any], **kwargs: Any) -> Any:
            if stored:
                self.sizes.append(len(stored))
                self.rows.append([(len(s.topic), len(s.state)) for s in stored])
            return insert(stored, **kwargs)

        def timed_save(*objs: Any, **kwargs: Any) -> Any:
            t0 = CLOCK()
            try:
                return save(*objs, **kwargs)
            finally:
                self.save_s += CLOCK() - t0

        recorder.insert_events, app.save = counting_insert, timed_save  # type: ignore[method-assign]
        self._undo = lambda: (
            setattr(recorder, "insert_events", insert),
            setattr(app, "save", save),
        )

    def stop(self) -> None:
        self._undo()


def raw_insert_seconds(kind: str, target: str, inserts: list[list[tuple[int, int]]]) -> float:
    """The physical insert rate: rows of the same sizes, in transactions of the same sizes,
    into a plain table of the log's columns (SQLite executemany; PostgreSQL COPY)."""
    spent, version = 0.0, 0
    if kind == "sqlite":
        db = sqlite3.connect(target, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(
            "CREATE TABLE raw (originator_id TEXT, originator_version INTEGER, "
            "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )
        for rows in inserts:
            batch = []
            for topic, state in rows:
                version += 1
                batch.append((uuid.uuid4().hex, version, "t" * topic, b"s" * state))
            t0 = CLOCK()
            db.execute("BEGIN")
            db.executemany("INSERT INTO raw VALUES (?,?,?,?)", batch)
            db.execute("COMMIT")
            spent += CLOCK() - t0
        db.close()
        return spent
    with psycopg.connect(target, autocommit=True) as conn:
        schema = f"raw_{uuid.uuid4().hex[:10]}"
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            conn.execute(
                f"CREATE TABLE {schema}.raw (originator_id uuid, originator_version "
                "bigint, topic text, state bytea, PRIMARY KEY (originator_id, "
                "originator_version))"
            )
            for rows in inserts:
                batch = []
                for topic, state in rows:
                    version += 1
                    batch.append((uuid.uuid4(), version, "t" * topic, b"s" * state))
                t0 = CLOCK()
                with conn.transaction(), conn.cursor() as cur:
                    with cur.copy(f"COPY {schema}.raw FROM STDIN") as copy:
                        for row in batch:
                            copy.write_row(row)
                spent += CLOCK() - t0
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    return spent


def full_replay_seconds(book: ClientBook) -> float:
    """Read and decode every event of the log, in pages (what an as-of replay cost)."""
    recorder, decode = book.app.recorder, book.app.mapper.to_domain_event

    def replay() -> None:
        position = 0
        while True:
            page = recorder.select_notifications(
                start=position, limit=1000, inclusive_of_start=False
            )
            for n in page:
                decode(n)
            if len(page) < 1000:
                return
            position = page[-1].id

    return timed(replay)


def next_first(day: date) -> date:
    """The first of the month after `day` (a statement day: every UCI account's falls on it)."""
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


Table = list[tuple[str, ...]]


def ratio_row(
    what: str, count: int, unit: str, ours: float, base: float, target: str, note: str = ""
) -> tuple[str, ...]:
    ratio = (count / ours) / (count / base) if ours and base else float("nan")
    return (
        what,
        f"{count:,}",
        unit,
        f"{count / ours:,.0f}",
        f"{count / base:,.0f}",
        f"{ratio:.3f}",
        target,
        note,
    )


def build(
    book: ClientBook, kind: str, tmp: str, rows: int, demo_days: int
) -> tuple[Table, list[str]]:
    """The UCI import of `rows` holders, timed against its baselines ((a) and (b)), then the
    demo's activity for `demo_days` days (untimed), then every day closed up to the statement
    day that (c) times: 2005-10-01 without the demo, else the first of the month after it."""
    out: Table = []
    recorded = Recorded(book.app)
    say(f"importing {rows:,} rows")
    written: list[int] = []
    shown = [0.0]

    def progress(phase: str, done: int, total: int) -> None:
        if time.perf_counter() - shown[0] > 60 or done == total:
            shown[0] = time.perf_counter()
            say(f"  import: {phase} {done:,}/{total:,}, {book.head:,} events")

    import_s = timed(
        lambda: written.append(book.import_uci_cards(DATA, rows=rows, progress=progress))
    )
    recorded.stop()
    events = written[0]
    say(f"import: {events:,} events in {import_s:.1f} s ({CLOCK_NAME}); raw baselines")
    raw_schema = f"rawes_{uuid.uuid4().hex[:8]}"
    base_env = dict(
        parse_store_url(
            f"sqlite:///{os.path.join(tmp, 'raw.db')}"
            if kind == "sqlite"
            else f"{POSTGRES}?schema={raw_schema}"
        ).env
    )
    try:
        raw_s = raw_save_seconds(base_env, recorded.sizes, 2 * rows, clock=CLOCK)
    finally:
        if kind == "postgres":  # the baseline's schema, left behind before
            with psycopg.connect(POSTGRES, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {raw_schema} CASCADE")
    out.append(
        ratio_row(
            "(a) import vs raw batched saves",
            events,
            "events",
            import_s,
            raw_s,
            ">= 0.5",
            f"{len(recorded.sizes)} transactions, {2 * rows:,} aggregates",
        )
    )
    insert_s = raw_insert_seconds(
        kind,
        os.path.join(tmp, "raw-insert.db") if kind == "sqlite" else POSTGRES,
        recorded.rows,
    )
    out.append(
        ratio_row(
            "(b) batched saves vs raw insert",
            events,
            "events",
            recorded.save_s,
            insert_s,
            ">= 0.3",
            "time inside app.save during the import",
        )
    )
    for raw in ("raw.db", "raw-insert.db"):
        for leftover in Path(tmp).glob(f"{raw}*"):
            leftover.unlink()
    if demo_days:
        start = DAY + timedelta(days=1)
        say(f"demo activity: {demo_days} days from {start} (untimed)")

        def demo_progress(done: int, total: int) -> None:
            if done % 5 == 0 or done == total:
                say(f"  demo: day {done}/{total}, {book.head:,} events")

        last = Demo(book, seed=16, managers=4, start=start, numbers_after=rows).run(
            customers=max(50, rows // 20), days=demo_days, progress=demo_progress
        )
        statement_day = next_first(last)
    else:
        statement_day = DAY
    book.close_of_business(statement_day - timedelta(days=1))
    notes = [
        f"book: {book.head:,} events ({rows:,} UCI rows: {events:,} events"
        + (f"; + {demo_days} demo days" if demo_days else "")
        + ")"
    ]
    say(notes[0])
    return out, notes


def measure(book: ClientBook, as_of: date, cold: bool = False) -> Table:
    """(c), (d) and (e) on a built book: (c) closes the day after the last one closed; with
    `cold`, the close and each of its baselines start from an empty cache (a fresh process)."""
    out: Table = []
    cache: Any = book.app.repository.cache

    def started(fn: Callable[[], object]) -> float:
        if cold:  # the library's LRU cache: its entries, its list, its fill
            cache.cache.clear()
            cache.clear()
            cache.full = False
        return timed(fn)

    day = (book.last_business_date_closed or DAY - timedelta(days=1)) + timedelta(days=1)
    say(f"(c) close of business of {day}")
    due = book.card_accounts.cards_due(day)
    views = book.card_accounts.accounts(day)
    all_ids = [v.account_id for v in views]
    noop: Callable[[CardAccount], bool] = lambda account: True

    def one_by_one(ids: list[Any]) -> None:
        book.app.command_each(CardAccount, ids, noop)

    def in_pages(ids: list[Any]) -> None:
        loaded = list(book.app.load_many(CardAccount, ids, "card account"))
        book.app.give_back(*loaded)

    if not cold:
        in_pages(all_ids)  # warm-up (untimed)
    single = [started(lambda: one_by_one(due))]
    paged = [started(lambda: in_pages(due))]
    before = book.head
    close_s = started(lambda: book.close_of_business(day))
    closed_events = book.head - before
    single.append(started(lambda: one_by_one(due)))
    paged.append(started(lambda: in_pages(due)))
    for base, against in (
        (single, "load one by one + no-op save"),
        (paged, "load in pages + no-op give-back"),
    ):
        out.append(
            ratio_row(
                f"(c) close of business, {day}" + (", cold" if cold else ""),
                len(due),
                "accounts",
                close_s,
                statistics.median(base),
                ">= 1.0",
                f"vs {against}; the close wrote {closed_events:,} events",
            )
        )
    say("(d) the cache")
    maxsize = cache.maxsize
    default = timed(lambda: in_pages(all_ids))
    cache.maxsize, cache.full = 10**9, False
    in_pages(all_ids)  # fill it (untimed)
    holds_all = timed(lambda: in_pages(all_ids))
    out.append(
        ratio_row(
            "(d) pass over all accounts, default cache",
            len(all_ids),
            "accounts",
            default,
            holds_all,
            "no cliff",
            f"default cache {maxsize:,} vs one that holds all {len(all_ids):,}",
        )
    )

    say("(e) as-of reports: full replay")
    replay_s = full_replay_seconds(book)
    period_to = as_of
    cards_view, facts_view = book.card_accounts._view, book.complaint_cards._facts
    head = book.head

    def old_portfolio() -> Any:
        return portfolio(
            cards_view.facts(up_to_position=head),
            as_of=as_of,
            position=head,
            ceiling_percent=book.policy.in_force(as_of).card_long_dormant_ceiling_percent,
            currency=UCI_CURRENCY,
        )

    def old_complaints() -> Any:
        return complaints_report(
            facts_view.facts(up_to_position=head),
            period_from=as_of.replace(day=1),
            period_to=period_to,
            as_of=as_of,
            position=head,
        )

    def new_portfolio() -> Any:
        return book.reports.portfolio(as_of=as_of, position=head, currency=UCI_CURRENCY)

    def new_complaints() -> Any:
        return book.reports.complaints(
            period_from=as_of.replace(day=1), period_to=period_to, as_of=as_of, position=head
        )

    book.card_accounts.accounts(as_of)  # views at the head (untimed)
    say("(e) main's fold")
    old_p, old_c = timed(old_portfolio), timed(old_complaints)
    old_p_mib, old_c_mib = peak(old_portfolio), peak(old_complaints)
    say("(e) the reports, first")
    first_p, first_c = timed(new_portfolio), timed(new_complaints)
    assert new_portfolio() == old_portfolio() and new_complaints() == old_complaints()
    next_day = (book.last_business_date_closed or DAY) + timedelta(days=1)
    book.close_of_business(next_day)  # one more business day after the checkpoint
    book.card_accounts.accounts(next_day)
    head = book.head
    say("(e) the reports, resumed")
    again_p, again_c = timed(new_portfolio), timed(new_complaints)
    new_p_mib, new_c_mib = peak(new_portfolio), peak(new_complaints)
    assert new_portfolio() == old_portfolio() and new_complaints() == old_complaints()
    for name, first, again, old, mib, old_mib in (
        ("portfolio", first_p, again_p, old_p, new_p_mib, old_p_mib),
        ("complaints", first_c, again_c, old_c, new_c_mib, old_c_mib),
    ):
        out.append(
            (
                f"(e) {name} as of {as_of}",
                f"{head:,}",
                "events",
                f"{first:.3f} s / {again:.3f} s",
                f"{replay_s:.2f} s",
                f"{first / replay_s:.4f} / {again / replay_s:.4f}",
                "<= 0.05",
                f"first / resumed; main's fold {old:.3f} s; peak {mib:.1f} MiB "
                f"(main's {old_mib:.1f}); target <= 150 MiB",
            )
        )
    return out


def book_files(path: Path) -> list[Path]:
    """A SQLite book's files: the database and what lies beside it (its key file; not its
    leases' folder, nor a kept book's figures)."""
    return sorted(
        f for f in path.parent.glob(f"{path.name}*") if f.is_file() and f.suffix != ".json"
    )


def keep(book_path: Path, to: Path, built: Table, notes: list[str], meta: dict[str, Any]) -> None:
    """Copy a closed SQLite book (and its key file) to `to`, with the build's figures beside it
    (`to`.json) for --reuse."""
    to.parent.mkdir(parents=True, exist_ok=True)
    for f in book_files(book_path):
        shutil.copyfile(f, to.parent / (to.name + f.name[len(book_path.name) :]))
    Path(f"{to}.json").write_text(json.dumps({**meta, "built": built, "notes": notes}, indent=1))
    say(f"kept the book in {to} ({to.stat().st_size / MIB:,.0f} MiB) and {to}.json")


def main(argv: list[str] | None = None) -> int:
    global CLOCK, CLOCK_NAME
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=3000, help="UCI rows to import (default 3000)")
    p.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument(
        "--demo-days",
        type=int,
        default=0,
        help="continue the book with the demo's activity for this many days",
    )
    p.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=date(2005, 4, 30),
        help="the as-of date of (e) (default 2005-04-30, the data's first month end)",
    )
    p.add_argument(
        "--keep",
        type=Path,
        help="SQLite: keep the built book (before (c)) in this file, with the build's figures "
        "in PATH.json, for --reuse",
    )
    p.add_argument(
        "--reuse",
        type=Path,
        help="SQLite: take (c)-(e) on a copy of a book kept by --keep, without rebuilding it "
        "((a) and (b) are the build run's, from PATH.json)",
    )
    p.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        help="cpu: this process's CPU time (default on SQLite, whose work is in-process); "
        "wall: elapsed time (default on PostgreSQL, whose server's work is elsewhere)",
    )
    p.add_argument(
        "--cold",
        action="store_true",
        help="(c): the close and its baselines each start from an empty cache, as in a fresh "
        "process (by default they follow a pass that fills it)",
    )
    args = p.parse_args(argv)
    if (args.keep or args.reuse) and args.backend != "sqlite":
        p.error("--keep and --reuse are for SQLite books")
    if args.keep and args.reuse:
        p.error("--keep builds a book, --reuse takes one built before: one or the other")
    clock = args.clock or ("cpu" if args.backend == "sqlite" else "wall")
    CLOCK, CLOCK_NAME = (
        (time.process_time, "CPU time") if clock == "cpu" else (time.perf_counter, "wall clock")
    )
    t0 = time.perf_counter()
    rows, demo_days = args.rows, args.demo_days
    with tempfile.TemporaryDirectory(prefix="clientbook-bench-bulk-") as tmp:
        book_path = Path(tmp, "book.db")
        if args.backend == "sqlite":
            url = f"sqlite:///{book_path}"
        else:
            url = f"{POSTGRES}?schema=bulk_{uuid.uuid4().hex[:10]}"
        try:
            if args.reuse:
                kept = json.loads(Path(f"{args.reuse}.json").read_text())
                rows, demo_days = kept["rows"], kept["demo_days"]
                for f in book_files(args.reuse):
                    shutil.copyfile(f, Path(tmp, "book.db" + f.name[len(args.reuse.name) :]))
                built = [tuple(r) for r in kept["built"]]
                notes = kept["notes"] + [
                    f"(a) and (b): the build run's ({args.reuse}.json, {kept['clock']}); "
                    "(c)-(e) on a copy of the kept book"
                ]
            else:
                book = ClientBook.open(url)
                try:
                    built, notes = build(book, args.backend, tmp, rows, demo_days)
                finally:
                    book.close()
                if args.keep:
                    meta = {"rows": rows, "demo_days": demo_days, "clock": CLOCK_NAME}
                    keep(book_path, args.keep, built, notes, meta)
            book = ClientBook.open(url)
            try:
                table = built + measure(book, args.as_of, args.cold)
            finally:
                book.close()
        finally:
            if args.backend == "postgres":
                with psycopg.connect(POSTGRES, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA IF EXISTS {url.rsplit('=', 1)[1]} CASCADE")
    notes.append(
        f"Total run time {time.perf_counter() - t0:.0f} s; timed by {CLOCK_NAME}. "
        "ours/baseline: ratio of rates (higher is better), except (e): time ours / time of "
        "the full replay."
    )
    cols = (
        "measurement",
        "count",
        "unit",
        "ours /s",
        "baseline /s",
        "ours/baseline",
        "target",
        "notes",
    )
    show_table(
        f"clientbook bulk work ({args.backend}, --rows {rows}"
        f"{f', --demo-days {demo_days}' if demo_days else ''})",
        cols,
        table,
        {1, 3, 4, 5},
        notes,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
