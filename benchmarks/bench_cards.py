#!/usr/bin/env python
"""Benchmark: the UCI card import and a day's close of business, against baselines in one run.

(a) Import: events/s of `book.import_uci_cards(path, rows=N)` on a temp SQLite file (reading the
    CSV, every domain command, save_in_batches, and the ~200 daily closes of business the replay
    runs, projections included). Baseline: a plain `eventsourcing.application.Application` with
    a minimal `Aggregate` and the default Mapper + JSONTranscoder on SQLite, saving the same
    number of events in transactions of exactly the sizes the import used (recorded during the
    import), over as many aggregates (a customer and a card account per row). Only the
    `app.save` calls are timed on the baseline side: the raw batched-save rate.
(b) Close of business for one day, 2005-10-01 (the 1st after the import's LAST_DAY; the days
    up to 2005-09-30 are closed first, untimed): card accounts processed per second, where
    "processed" is what the batch loads, i.e. `CardQueries.cards_due(day)`. Baseline: loading
    the same accounts and saving them with no command (`command_each` with a no-op, so the
    same `app.get` + `save_in_batches` path, writing nothing), timed before and after the close.
    An info row relates the same close to all N accounts of the book and a load + no-op over
    all N, and a note says how many of the N were actually due.

Only ratios ours/baseline measured in the same run are meaningful; nothing here is a pass/fail
on absolute timings. Run: /tmp/venv/bin/python benchmarks/bench_cards.py [--help]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from _report import show_table  # benchmarks/_report.py
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from clientbook.adapters.uci_cards import read_holders
from clientbook.application.uci_import import LAST_DAY
from clientbook.book import ClientBook
from clientbook.domain.card import CardAccount
from clientbook.infrastructure.store import parse_store_url

DATA = Path("/work/shared/data/uci-credit-card-default.csv")
DEFAULT_ROWS = 2000  # ~2-3 minutes in all on a loaded 2-core machine (import ~10-23 ms/row)
BASELINE_REPEATS = 3  # raw-save runs: two right after the import, one after the close
DAY = date(LAST_DAY.year + (LAST_DAY.month == 12), LAST_DAY.month % 12 + 1, 1)  # 2005-10-01


# --------------------------------------------------------------------------------------------
# The baseline: plain eventsourcing, default Mapper + JSONTranscoder, a minimal aggregate.
# --------------------------------------------------------------------------------------------


class Tally(Aggregate):
    """A minimal aggregate: created with a name, then ticked."""

    @event("Created")
    def __init__(self, name: str) -> None:
        self.name = name
        self.ticks = 0

    @event("Ticked")
    def tick(self, n: int, note: str) -> None:
        self.ticks += 1


class RawApp(Application):
    name = "RawBaseline"


def raw_save_seconds(
    env: dict[str, str],
    batch_sizes: list[int],
    aggregates: int,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Save sum(batch_sizes) events in transactions of those sizes over `aggregates` aggregates
    (round-robin: the first touch creates one, later touches update it). Returns the time spent
    in `app.save` only (by `clock`); the events are triggered before each timed save."""
    spent = 0.0
    pool: list[Tally | None] = [None] * aggregates
    slot = 0
    app = RawApp(env=env)
    try:
        gc.collect()
        for size in batch_sizes:
            touched: dict[int, Tally] = {}
            for _ in range(size):
                agg = pool[slot]
                if agg is None:
                    agg = pool[slot] = Tally(name=f"tally-{slot}")
                else:
                    agg.tick(n=slot, note="ticked by the baseline")
                touched[slot] = agg
                slot = (slot + 1) % aggregates
            t0 = clock()
            app.save(*touched.values())
            spent += clock() - t0
    finally:
        app.close()
    return spent


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    count: int
    unit: str
    ours_s: float
    base_s: list[float]  # each baseline timing of the same work (the reported one is the median)
    note: str = ""

    @property
    def ours_rate(self) -> float:
        return self.count / self.ours_s

    @property
    def base_rate(self) -> float:
        return self.count / statistics.median(self.base_s)

    @property
    def pairs(self) -> list[float]:
        return [b / self.ours_s for b in self.base_s]

    @property
    def ratio(self) -> float:
        return statistics.median(self.pairs)


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(tmp: str, path: Path, rows: int) -> tuple[list[Row], list[str]]:
    n = sum(1 for _ in read_holders(path, rows))
    notes: list[str] = []
    base_env = lambda k: dict(parse_store_url(f"sqlite:///{os.path.join(tmp, f'raw-{k}.db')}").env)
    book = ClientBook.open(f"sqlite:///{os.path.join(tmp, 'book.db')}")
    try:
        # (a) the import, recording the size of every insert it makes
        sizes: list[int] = []
        recorder: Any = book.app.recorder
        insert_events = recorder.insert_events

        def counting_insert(stored_events: list[Any], **kwargs: Any) -> Any:
            if stored_events:
                sizes.append(len(stored_events))
            return insert_events(stored_events, **kwargs)

        recorder.insert_events = counting_insert
        written: list[int] = []
        say(f"importing {n:,} rows (about {n * 0.02 + 15:.0f} s on a loaded 2-core machine)")
        import_s = timed(lambda: written.append(book.import_uci_cards(path, rows=rows)))
        recorder.insert_events = insert_events
        events = written[0]
        assert sum(sizes) == events, (sum(sizes), events)
        raw: list[float] = []
        say(f"raw baseline: {events:,} events in {len(sizes)} transactions, x{BASELINE_REPEATS}")
        for k in range(BASELINE_REPEATS - 1):
            raw.append(raw_save_seconds(base_env(k), sizes, 2 * n))

        # (b) close of business for DAY, the days before it closed first (untimed)
        say(f"closing business days up to {DAY - timedelta(days=1)} (untimed)")
        book.close_of_business(DAY - timedelta(days=1))
        views = book.card_accounts.accounts(DAY)
        statement_due = [
            v.account_id
            for v in views
            if v.next_statement is not None
            and v.next_statement <= DAY
            and v.status in ("active", "issued", "expired")
        ]
        past_due = sum(1 for v in views if v.days_past_due > 0)
        due = book.card_accounts.cards_due(DAY)  # also brings the views up to the head
        all_ids = [v.account_id for v in views]
        noop: Callable[[CardAccount], bool] = lambda account: True

        def load_and_save(ids: list[Any]) -> None:
            book.app.command_each(CardAccount, ids, noop)  # no pending events: writes nothing

        say(f"close of business {DAY}: {len(due):,} accounts due of {n:,}")
        load_and_save(all_ids)  # warm-up: page cache, topics, keys (untimed)
        load_due = [timed(lambda: load_and_save(due))]
        load_all = [timed(lambda: load_and_save(all_ids))]
        head = book.head
        result: list[Any] = []
        close_s = timed(lambda: result.append(book.close_of_business(DAY)))
        close_events = book.head - head
        load_due.append(timed(lambda: load_and_save(due)))
        load_all.append(timed(lambda: load_and_save(all_ids)))
        still_due = sum(
            1
            for v in book.card_accounts.accounts(DAY)
            if v.next_statement is not None
            and v.next_statement <= DAY
            and v.status in ("active", "issued", "expired")
        )
        raw.append(raw_save_seconds(base_env(BASELINE_REPEATS - 1), sizes, 2 * n))
    finally:
        book.close()

    changes = result[0].days[0].changes if result and result[0].days else {}
    median_size = statistics.median(sizes)
    rows_out = [
        Row(
            "import_uci_cards (events)",
            events,
            "events",
            import_s,
            raw,
            f"{n:,} rows; baseline: the same {len(sizes)} txns, {2 * n:,} aggs",
        ),
        Row(
            f"close of business {DAY} (due accts)",
            max(1, len(due)),
            "accounts",
            close_s,
            load_due,
            "baseline: load + no-op save of the same accounts",
        ),
        Row(
            "  same close per account in book",
            n,
            "accounts",
            close_s,
            load_all,
            "info; baseline: load + no-op save of all N"
            + (" (NOT like for like: see below)" if len(due) < n else ""),
        ),
    ]
    notes.append(
        f"Import: {events:,} events in {len(sizes)} transactions (median {median_size:g}, max "
        f"{max(sizes):,} events); baseline times app.save only. Close of {DAY}: wrote "
        f"{close_events:,} events, changes {dict(changes)}."
    )
    notes.append(
        f"Due on {DAY}: {len(due):,} of {n:,} card accounts were selected by cards_due; "
        f"{len(statement_due):,} had a statement due on or before {DAY} per the view "
        f"({past_due:,} past due). After the close, {still_due:,} still had one due."
        + (
            " -> NOT all N accounts were processed; see benchmarks/README.md."
            if len(due) < n
            else ""
        )
    )
    return rows_out, notes


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def print_table(rows: list[Row], notes: list[str], header: str) -> None:
    cols = (
        "measurement",
        "count",
        "unit",
        "ours /s",
        "baseline /s",
        "ours/baseline",
        "range",
        "notes",
    )
    data = [
        (
            r.what,
            f"{r.count:,}",
            r.unit,
            f"{r.ours_rate:,.0f}",
            f"{r.base_rate:,.0f}",
            f"{r.ratio:.3f}",
            f"{min(r.pairs):.3f}-{max(r.pairs):.3f}",
            r.note,
        )
        for r in rows
    ]
    show_table(header, cols, data, {1, 3, 4, 5, 6}, notes)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--rows",
        type=int,
        default=DEFAULT_ROWS,
        help=f"UCI rows (card holders) to import, up to 30000 (default {DEFAULT_ROWS})",
    )
    p.add_argument("--data", type=Path, default=DATA, help=f"the UCI CSV (default {DATA})")
    args = p.parse_args(argv)
    if args.rows < 1:
        p.error("--rows must be at least 1")
    if not args.data.is_file():
        p.error(f"no such file: {args.data}")

    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="clientbook-bench-cards-") as tmp:
        rows, notes = run(tmp, args.data, args.rows)
    from importlib.metadata import version

    elapsed = time.perf_counter() - t_start
    header = (
        f"clientbook cards vs plain eventsourcing {version('eventsourcing')} (SQLite) — "
        f"--rows {args.rows}, Python {sys.version.split()[0]}, msgspec {version('msgspec')}"
    )
    notes.append(
        "ours/baseline: ratio of rates, against the median baseline timing; range: "
        f"against each baseline timing (import: {BASELINE_REPEATS} raw-save runs, after "
        "the import and after the close; close: load + no-op before and after "
        "the close). The import and the close are each timed once (a date closes once)."
    )
    notes.append("Higher is better for ours. Absolute rates depend on the machine and its load.")
    notes.append(f"Total run time {elapsed:.1f} s.")
    print_table(rows, notes, header)
    return 0


if __name__ == "__main__":
    sys.exit(main())
