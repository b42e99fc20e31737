#!/usr/bin/env python
"""Benchmark: `clientbook rebuild` (every projection from zero) against raw replay of the same log.

Two logs, each in a temp SQLite file (or, with --backend postgres, a fresh PostgreSQL schema),
built untimed first:
  demo   `Demo(book, seed=2026, managers=8, start=2026-07-01).run(customers=150, days=365)`,
         the book `clientbook demo` makes (--customers / --days / --seed to change it);
  cards  `book.import_uci_cards(DATA, rows=N)`, the real UCI card data (--rows, default 2000).

For each log, events = `book.head`:
  ours      `book.projections.rebuild()` wall time (reset every view, then the runner's
            catch-up: pages of 500, per projection, view writes and tracking per page);
  raw       the unavoidable cost of replaying the log: every notification read from the
            recorder in pages of 500 and decoded with the book's own mapper, no view writes;
  per-proj  (info) the same read + decode done once per projection over its own topics
            (`projection.topics`, () = all), as the runner reads the log once per projection.

Each is timed --repeats times (median), ours/baseline order alternating, gc.collect() before
each. After every rebuild the views are checked against what they held before (every view
table's rows, and the queries over them); a rebuild that changes the views is reported.

Only ratios measured in the same run are meaningful; nothing here is a pass/fail on absolute
timings. Run: .venv/bin/python benchmarks/bench_rebuild.py [--backend postgres] [--help]
(on PostgreSQL the rates are of the wall clock and the CPU figures this process's alone: the
server's work is not in them).
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import gc
import hashlib
import io
import os
import pstats
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from _report import show_table  # benchmarks/_report.py

from clientbook.application.uci_import import LAST_DAY, OPENED
from clientbook.book import ClientBook
from clientbook.demo import Demo
from clientbook.infrastructure.store import parse_store_url

DATA = Path("/work/shared/data/uci-credit-card-default.csv")
POSTGRES = os.environ.get(
    "CLIENTBOOK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKEND = "sqlite"  # --backend
DEFAULT_ROWS = 2000  # the import: ~20 s for 2000 rows, ~80 s for 5000, ~8 min for all 30000
DEMO_START = date(2026, 7, 1)  # as `clientbook demo`
DEMO_MANAGERS = 8
PAGE = 500  # as the runner (clientbook/projections/runner.py)
OPENING = "(shadows opened)"
SELECTS = "(the log's selects)"
DECODES = "(the pages' decode)"
SWAPS = "(swaps, after the last page)"
PARTS = (OPENING, SELECTS, DECODES)
CPU: dict[str, list[float]] = {"ours": [], "raw": []}
"""CPU seconds of each timed rebuild and raw replay (this process: SQLite works in it), which
the machine's other work barely moves, beside the wall times. With --jobs, a rebuild's CPU
includes its child processes' (`RUSAGE_CHILDREN`)."""
JOBS = 1
"""--jobs: the processes each timed rebuild shares its projections out among
(`rebuild(jobs=…)`); the breakdown then covers this process's share only."""


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The three measurements
# --------------------------------------------------------------------------------------------


def rebuild(book: ClientBook, each: dict[str, float]) -> float:
    """Ours: one `book.projections.rebuild()`. `each` gets the seconds of its parts, for the
    breakdown: the log's selects (the recorder's `select_log`, or `select_notifications`,
    wrapped for this call only), the pages' decode (the mapper's `to_domain_events`, wrapped likewise), each
    projection's share of the pages (from the progress callback, one call per projection and
    page: the time since the call before it), what came before the first select (the shadows
    opened) and what came after the last page (the swaps)."""
    previous = [0.0]

    def progress(name: str, position: int, head: int) -> None:
        now = time.perf_counter()
        each[name] = each.get(name, 0.0) + now - previous[0]
        previous[0] = now

    recorder: Any = book.app.recorder
    # the runner's read: the recorder's `select_log` where it has one (SQLite's)
    reads = "select_log" if hasattr(recorder, "select_log") else "select_notifications"
    select = getattr(recorder, reads)

    def timed_select(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        if SELECTS not in each:
            each[OPENING] = started - previous[0]
        try:
            return select(*args, **kwargs)
        finally:
            previous[0] = time.perf_counter()
            each[SELECTS] = each.get(SELECTS, 0.0) + previous[0] - started

    mapper: Any = book.app.mapper
    decode = mapper.to_domain_events

    def timed_decode(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return list(decode(*args, **kwargs))
        finally:
            previous[0] = time.perf_counter()
            each[DECODES] = each.get(DECODES, 0.0) + previous[0] - started

    setattr(recorder, reads, timed_select)
    mapper.to_domain_events = timed_decode
    gc.collect()
    try:
        cpu, t0 = time.process_time() + _children_cpu(), time.perf_counter()
        previous[0] = t0
        book.projections.rebuild(progress, jobs=JOBS)
        done = time.perf_counter()
        spent = done - t0
        CPU["ours"].append(time.process_time() + _children_cpu() - cpu)
        each[SWAPS] = done - previous[0]
    finally:
        delattr(recorder, reads)  # back to the classes' methods
        del mapper.to_domain_events
    return spent


def _children_cpu() -> float:
    """CPU seconds of the ended child processes (a rebuild's other jobs), user and system."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def read_and_decode(book: ClientBook, topics: tuple[str, ...] | None, head: int) -> int:
    """Read the log in pages of PAGE and decode each notification; returns the count.
    topics=None: the raw replay as the brief states it (no topic filter, no stop); otherwise
    the runner's own select (topics, stop=head) without any view write."""
    recorder, to_domain_event = book.app.recorder, book.app.mapper.to_domain_event
    position, count = 0, 0
    while True:
        if topics is None:
            page = recorder.select_notifications(
                start=position, limit=PAGE, inclusive_of_start=False
            )
        else:
            page = recorder.select_notifications(
                start=position, limit=PAGE, stop=head, topics=topics, inclusive_of_start=False
            )
        events = [to_domain_event(n) for n in page]
        count += len(events)
        if len(page) < PAGE:
            return count
        position = page[-1].id


def raw_replay(book: ClientBook, head: int) -> float:
    gc.collect()
    cpu, t0 = time.process_time(), time.perf_counter()
    n = read_and_decode(book, None, head)
    spent = time.perf_counter() - t0
    CPU["raw"].append(time.process_time() - cpu)
    assert n == head, (n, head)
    return spent


def per_projection_replay(
    book: ClientBook, head: int, each: dict[str, float], counts: dict[str, int]
) -> float:
    gc.collect()
    total = 0.0
    for projection in book.projections.projections:
        t0 = time.perf_counter()
        counts[projection.name] = read_and_decode(book, tuple(projection.topics), head)
        each[projection.name] = time.perf_counter() - t0
        total += each[projection.name]
    return total


# --------------------------------------------------------------------------------------------
# The views check: every view table's rows and the queries over them, before and after
# --------------------------------------------------------------------------------------------


def table_digests(book: ClientBook) -> dict[str, tuple[int, str]]:
    """(rows, sha256) of every view table, rows in full column order, and of each projection's
    tracking row."""
    out: dict[str, tuple[int, str]] = {}
    for projection in book.projections.projections:
        view: Any = projection.view
        db = view.database
        for table in view.tables:
            if db.dialect == "sqlite":
                cols = [r[1] for r in db.query(f"PRAGMA table_info({table})")]
            else:
                cols = [
                    r[0]
                    for r in db.query(
                        "SELECT column_name FROM information_schema.columns WHERE "
                        "table_schema = current_schema() AND table_name = ? "
                        "ORDER BY ordinal_position",
                        (table,),
                    )
                ]
            rows = db.query(f"SELECT * FROM {table} ORDER BY {', '.join(cols)}")
            h = hashlib.sha256()
            for row in rows:
                h.update(repr(tuple(row)).encode())
            out[table] = (len(rows), h.hexdigest())
        out[f"tracking[{projection.name}]"] = (1, repr(view.max_tracking_id(book.app.name)))
    return out


def query_results(book: ClientBook, period_from: date, as_of: date) -> dict[str, Any]:
    """The views as the book's queries answer them (attrs values: compared with ==)."""
    return {
        "directory.search()": book.directory.search(),
        "complaint_cards.cards()": book.complaint_cards.cards(),
        f"card_accounts.portfolio(as_of={as_of})": book.card_accounts.portfolio(as_of=as_of),
        f"card_accounts.accounts({as_of}, open_only=False)": book.card_accounts.accounts(
            as_of, open_only=False
        ),
        f"exposure.lines({as_of}, open_only=False)": book.exposure.lines(as_of, open_only=False),
        "reports.managers(...)": book.reports.managers(period_from=period_from, period_to=as_of),
        "reports.complaints(...)": book.reports.complaints(
            period_from=period_from, period_to=as_of
        ),
    }


@dataclass
class Snapshot:
    tables: dict[str, tuple[int, str]]
    queries: dict[str, Any]

    @classmethod
    def take(cls, book: ClientBook, period_from: date, as_of: date) -> Snapshot:
        return cls(table_digests(book), query_results(book, period_from, as_of))

    def differences(self, other: Snapshot) -> list[str]:
        diff = [
            f"table {t} ({self.tables.get(t, (0,))[0]} -> {other.tables.get(t, (0,))[0]} rows)"
            for t in sorted(set(self.tables) | set(other.tables))
            if self.tables.get(t) != other.tables.get(t)
        ]
        diff += [f"query {q}" for q in self.queries if self.queries[q] != other.queries.get(q)]
        return diff


# --------------------------------------------------------------------------------------------
# One log
# --------------------------------------------------------------------------------------------


@dataclass
class Result:
    log: str
    events: int
    projections: int
    ours: list[float]
    raw: list[float]
    per_proj: list[float]
    check: str
    cpu_ours: list[float] = field(default_factory=list)
    cpu_raw: list[float] = field(default_factory=list)
    # breakdown per projection: name -> (topics, events read, ours s each repeat, raw s each)
    breakdown: dict[str, tuple[int, int, list[float], list[float]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @staticmethod
    def ratio(base: list[float], ours: list[float]) -> tuple[float, float, float]:
        """ours/baseline in events/s = baseline time / ours time, per repeat: (median, min, max)."""
        pairs = [b / o for b, o in zip(base, ours)]
        return statistics.median(pairs), min(pairs), max(pairs)


def measure(
    book: ClientBook, log: str, period_from: date, as_of: date, repeats: int, profile: bool
) -> Result:
    book.projections.catch_up()
    head = book.head
    names = [p.name for p in book.projections.projections]
    topics = {p.name: len(p.topics) for p in book.projections.projections}
    say(f"{log}: {head:,} events; snapshot of the views before the rebuilds")
    before = Snapshot.take(book, period_from, as_of)
    again = Snapshot.take(book, period_from, as_of)
    unstable = before.differences(again)  # the check must be able to see "equal"
    read_and_decode(book, None, head)  # warm-up (untimed): page cache, mapper caches
    ours: list[float] = []
    raw: list[float] = []
    per: list[float] = []
    ours_each: dict[str, list[float]] = {n: [] for n in [*PARTS, *names, SWAPS]}
    raw_each: dict[str, list[float]] = {n: [] for n in names}
    counts: dict[str, int] = {}
    problems: list[str] = []
    CPU["ours"].clear()
    CPU["raw"].clear()
    for r in range(repeats):

        def do_ours() -> None:
            each: dict[str, float] = {}
            ours.append(rebuild(book, each))
            for name, spent in ours_each.items():
                spent.append(each.get(name, 0.0))

        def do_base() -> None:
            raw.append(raw_replay(book, head))
            each: dict[str, float] = {}
            per.append(per_projection_replay(book, head, each, counts))
            for name, t in each.items():
                raw_each[name].append(t)

        if r % 2 == 0:
            do_ours()
            do_base()
        else:
            do_base()
            do_ours()
        say(
            f"{log}: repeat {r + 1}/{repeats}: rebuild {ours[-1]:.2f} s, raw replay "
            f"{raw[-1]:.2f} s, per-projection raw {per[-1]:.2f} s; checking the views"
        )
        after = Snapshot.take(book, period_from, as_of)
        problems += [f"after rebuild {r + 1}: {d}" for d in before.differences(after)]
    if profile:
        profiler = cProfile.Profile()
        gc.collect()
        profiler.enable()
        book.projections.rebuild()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(15)
        print(
            f"\ncProfile of one extra rebuild of the {log} log ({head:,} events), top 15 "
            "cumulative:"
        )
        print(out.getvalue())
        problems += [
            f"after the profiled rebuild: {d}"
            for d in before.differences(Snapshot.take(book, period_from, as_of))
        ]
    rows = sum(n for n, _ in before.tables.values())
    if unstable:
        check = "CANNOT CHECK"
        detail = "the views differ between two snapshots with no rebuild: " + "; ".join(unstable)
    elif problems:
        check = "DIFFERENT"
        detail = "; ".join(problems[:8]) + (
            f" ... ({len(problems)} in all)" if len(problems) > 8 else ""
        )
    else:
        check = "identical"
        detail = (
            f"{len(before.tables) - len(names)} view tables ({rows - len(names):,} rows) + "
            f"{len(names)} tracking positions, and {len(before.queries)} queries, equal "
            f"after each of the {repeats + profile} rebuilds to before them"
        )
    res = Result(
        log, head, len(names), ours, raw, per, check, CPU["ours"][:repeats], CPU["raw"][:repeats]
    )
    res.notes.append(f"{log}: views after rebuild {check}: {detail}.")
    for part in PARTS:
        res.breakdown[part] = (-1, 0, ours_each[part], [])
    for n in names:
        res.breakdown[n] = (topics[n], counts[n], ours_each[n], raw_each[n])
    res.breakdown[SWAPS] = (-1, 0, ours_each[SWAPS], [])
    return res


def copy_sqlite(source: str, target: str) -> None:
    """A consistent copy of a SQLite book (the backup API: WAL contents included), with the
    key-encryption key file beside it (without it the copy would read personal data as
    unavailable, and its directory view would be rebuilt as unopened)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    if os.path.exists(f"{source}.key"):
        shutil.copy2(f"{source}.key", f"{target}.key")


def cached(
    tmp: str, cache: Path | None, name: str, build: Callable[[ClientBook], tuple[date, date]]
) -> tuple[ClientBook, date, date]:
    """Open the log `name` in `tmp`: copied from `cache` when a run kept it there (the dates
    beside it), else built (and kept there, given a cache)."""
    if BACKEND == "postgres":
        return cached_schema(tmp, cache, name, build)
    path = os.path.join(tmp, f"{name}.db")
    if cache is not None and (cache / f"{name}.db").is_file():
        say(f"{name}: the log kept in {cache} (not rebuilt)")
        copy_sqlite(str(cache / f"{name}.db"), path)
        first, last = (cache / f"{name}.dates").read_text().split()
        return (
            ClientBook.open(f"sqlite:///{path}"),
            date.fromisoformat(first),
            date.fromisoformat(last),
        )
    book = ClientBook.open(f"sqlite:///{path}")
    first_day, last_day = build(book)
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        copy_sqlite(path, str(cache / f"{name}.db"))
        (cache / f"{name}.dates").write_text(f"{first_day} {last_day}\n")
    return book, first_day, last_day


def cached_schema(
    tmp: str, cache: Path | None, name: str, build: Callable[[ClientBook], tuple[date, date]]
) -> tuple[ClientBook, date, date]:
    """PostgreSQL: the log `name` in a schema of its own. Kept (given a cache): the schema stays
    after the run, named in `cache` with its dates and its key file, and is used as it is by
    later runs (a rebuild changes only the views, which it checks); else a fresh schema, dropped
    when the process ends."""
    schema = "bench_rebuild_" + "".join(c if c.isalnum() else "_" for c in name)
    url = f"{POSTGRES}?schema={schema}"
    kept = None if cache is None else cache / f"{name}.pg"
    if kept is not None and kept.is_file():
        say(f"{name}: the log kept in PostgreSQL schema {schema} (not rebuilt)")
        first, last = kept.read_text().split()
        book = ClientBook.open(url, key_file=f"{kept}.key")
        return book, date.fromisoformat(first), date.fromisoformat(last)
    _drop_schema(schema)
    key_file = f"{kept}.key" if kept is not None else os.path.join(tmp, f"{name}.pg.key")
    book = ClientBook.open(url, create=True, key_file=key_file)
    if kept is None:
        atexit.register(_drop_schema, schema)
    first_day, last_day = build(book)
    if kept is not None:
        kept.write_text(f"{first_day} {last_day}\n")
    return book, first_day, last_day


def _drop_schema(schema: str) -> None:
    conninfo = parse_store_url(f"{POSTGRES}?schema=public").postgres_conninfo
    with psycopg.connect(conninfo or "", autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def demo_log(
    tmp: str, customers: int, days: int, seed: int, cache: Path | None = None
) -> tuple[ClientBook, date, date]:
    return cached(
        tmp,
        cache,
        f"demo-{customers}c-{days}d-{seed}",
        lambda book: _demo(book, customers, days, seed),
    )


def _demo(book: ClientBook, customers: int, days: int, seed: int) -> tuple[date, date]:
    say(
        f"demo log: Demo(seed={seed}, managers={DEMO_MANAGERS}, start={DEMO_START}).run("
        f"customers={customers}, days={days}) (untimed; ~15-25 s with the defaults)"
    )
    end = Demo(book, seed=seed, managers=DEMO_MANAGERS, start=DEMO_START).run(
        customers=customers, days=days
    )
    return DEMO_START, end


def cards_log(
    tmp: str, data: Path, rows: int, cache: Path | None = None
) -> tuple[ClientBook, date, date]:
    return cached(tmp, cache, f"cards-{rows}", lambda book: _cards(book, data, rows))


def _cards(book: ClientBook, data: Path, rows: int) -> tuple[date, date]:
    say(
        f"cards log: import_uci_cards(rows={rows:,}) (untimed; roughly {rows * 0.016:.0f} s on a "
        "loaded 2-core machine)"
    )
    book.import_uci_cards(data, rows=rows)
    return OPENED, book.last_business_date_closed or LAST_DAY


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def rate(events: int, seconds: list[float]) -> str:
    return f"{events / statistics.median(seconds):,.0f}" if events else "-"


def report(results: list[Result], header: str, notes: list[str]) -> None:
    cols = (
        "log",
        "events",
        "projections",
        "ours ev/s",
        "raw replay ev/s",
        "ours/raw",
        "range",
        "CPU ratio",
        "µs CPU/event",
        "per-proj raw ev/s",
        "ours/per-proj raw",
        "views after rebuild",
    )
    data = []
    for r in results:
        q, lo, hi = Result.ratio(r.raw, r.ours)
        qp, _, _ = Result.ratio(r.per_proj, r.ours)
        cpu = statistics.median(r.cpu_raw) / statistics.median(r.cpu_ours)
        per_event = statistics.median(r.cpu_ours) / r.events * 1e6
        data.append(
            (
                r.log,
                f"{r.events:,}",
                str(r.projections),
                rate(r.events, r.ours),
                rate(r.events, r.raw),
                f"{q:.3f}",
                f"{lo:.3f}-{hi:.3f}",
                f"{cpu:.3f}",
                f"{per_event:.1f}",
                rate(r.events, r.per_proj),
                f"{qp:.3f}",
                r.check,
            )
        )
    notes = [
        *notes,
        "CPU ratio: the raw replay's CPU seconds over the rebuild's (medians; this "
        "process's CPU time, where SQLite does its work too): the ratio an idle machine "
        "would show; µs CPU/event: the rebuild's, per event of the log",
    ]
    show_table(
        header,
        cols,
        data,
        {1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
        [n for r in results for n in r.notes] + notes,
    )
    for r in results:
        print()
        cols = (
            "projection",
            "topics",
            "events read",
            "ours s",
            "share",
            "ours ev/s",
            "raw ev/s (its topics)",
            "ours/raw",
        )
        total = statistics.median(r.ours)
        data = []
        for name, (topics, n, ours, raw) in r.breakdown.items():
            t_ours = statistics.median(ours)
            q = Result.ratio(raw, ours)[0] if n else 0.0
            data.append(
                (
                    name,
                    {-1: "", 0: "all"}.get(topics, str(topics)),
                    f"{n:,}" if n else "-",
                    f"{t_ours:.3f}",
                    f"{t_ours / total:.0%}",
                    rate(n, ours),
                    rate(n, raw),
                    f"{q:.3f}" if n else "-",
                )
            )
        show_table(
            f"{r.log}: where the rebuild's time goes (medians over the repeats)",
            cols,
            data,
            {2, 3, 4, 5, 6, 7},
            [
                "ours s: the rebuild's parts (see `rebuild`): the selects of the log and the "
                "pages' decode, then each projection's share of the pages, the swaps after; "
                "raw: read + decode of the projection's topics only, no view writes."
            ],
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--log", choices=("demo", "cards", "all"), default="all")
    p.add_argument(
        "--backend",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="where the log is (postgres: CLIENTBOOK_TEST_POSTGRES_URL, default the local "
        "server's database test; a schema per log)",
    )
    p.add_argument("--customers", type=int, default=150, help="demo customers (default 150)")
    p.add_argument("--days", type=int, default=365, help="demo business days (default 365)")
    p.add_argument("--seed", type=int, default=2026, help="demo seed (default 2026)")
    p.add_argument(
        "--rows",
        type=int,
        default=DEFAULT_ROWS,
        help=f"UCI rows to import, up to 30000 = the full set (default {DEFAULT_ROWS})",
    )
    p.add_argument("--data", type=Path, default=DATA, help=f"the UCI CSV (default {DATA})")
    p.add_argument("--repeats", type=int, default=3, help="timings per side (default 3)")
    p.add_argument(
        "--profile",
        action="store_true",
        help="print a cProfile (top 15 cumulative) of one extra rebuild per log",
    )
    p.add_argument(
        "--keep-logs",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep each built log in DIR and reuse it in later runs (a log depends "
        "only on its options, not on the read side's code)",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="processes each rebuild shares its projections out among (default 1; the "
        "breakdown then covers this process's share, the CPU every process's)",
    )
    args = p.parse_args(argv)
    if min(args.customers, args.days, args.rows, args.repeats, args.jobs) < 1:
        p.error("--customers, --days, --rows, --repeats and --jobs must be at least 1")
    global JOBS, BACKEND
    JOBS, BACKEND = args.jobs, args.backend
    if args.keep_logs is not None:
        args.keep_logs.mkdir(parents=True, exist_ok=True)
    if args.log in ("cards", "all") and not args.data.is_file():
        p.error(f"no such file: {args.data}")

    t_start = time.perf_counter()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="clientbook-bench-rebuild-") as tmp:
        builders: list[tuple[str, Callable[[], tuple[ClientBook, date, date]]]] = []
        if args.log in ("demo", "all"):
            builders.append(
                (
                    f"demo {args.customers}c/{args.days}d",
                    lambda: demo_log(tmp, args.customers, args.days, args.seed, args.keep_logs),
                )
            )
        if args.log in ("cards", "all"):
            builders.append(
                (
                    f"uci cards {args.rows:,} rows",
                    lambda: cards_log(tmp, args.data, args.rows, args.keep_logs),
                )
            )
        for label, build in builders:
            t0 = time.perf_counter()
            book, period_from, as_of = build()
            say(f"{label}: built in {time.perf_counter() - t0:.1f} s")
            try:
                results.append(measure(book, label, period_from, as_of, args.repeats, args.profile))
            finally:
                book.close()
    from importlib.metadata import version

    elapsed = time.perf_counter() - t_start
    header = (
        "clientbook rebuild vs raw replay of the same log "
        f"({'PostgreSQL' if BACKEND == 'postgres' else 'SQLite'}, eventsourcing "
        f"{version('eventsourcing')}, Python {sys.version.split()[0]}) — repeats "
        f"{args.repeats}, jobs {args.jobs}"
    )
    notes = [
        "events = book.head. ours: book.projections.rebuild() (reset + catch-up of every "
        "projection). raw replay: read every notification in pages of 500 + decode with the "
        "book's mapper, once, no view writes. per-proj raw (info): the same once per projection "
        "over its topics (stop=head), as the runner reads the log.",
        "ours/raw: events/s ratio = raw time / rebuild time, median over the repeats (order "
        "alternating); range: min-max over the repeats. Higher is better; 1.0 = as fast as "
        "merely replaying the log. Absolute rates depend on the machine and its load.",
        "views after rebuild: every view table's rows (sorted, hashed) and tracking position, "
        "and the queries directory.search, complaint_cards.cards, card_accounts.portfolio/"
        "accounts, exposure.lines, reports.managers/complaints, compared with before the "
        "rebuilds, after each one.",
        f"Total run time {elapsed:.1f} s.",
    ]
    report(results, header, notes)
    return 0 if all(r.check.startswith("identical") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
