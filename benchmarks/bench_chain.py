#!/usr/bin/env python
"""Benchmark: what the log's hash chain costs (issue 13), on SQLite (temp files) and PostgreSQL
(fresh schemas, dropped afterwards), as ratios against baselines run in the same process.

- **append, per command**: `record_contact` (load + command + save, one event per save) on a
  chained book against an unchained one (clientbook's recorder without the chain, everything
  else a save does kept: `_unchained.py`, chosen through the environment), interleaved in
  rounds. Target: chained/unchained rate >= 0.9.
- **append, batched**: `save_all` of `--batch` customers with a contact recorded on each (one
  transaction of `--batch` events). Target >= 0.9.
- **verify**: `book.trust.verify()` over the chained log (select, hash, versions, checkpoints)
  against a raw select-and-decode of the same log (`select_notifications` pages +
  `mapper.to_domain_events`, a page at a time). Target >= 0.5.

Run: .venv/bin/python benchmarks/bench_chain.py [--commands N] [--batches N] [--rounds R]
     [--no-postgres] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _cpu import Meter  # noqa: E402
from _report import show_table  # noqa: E402

from clientbook import Actor, ClientBook  # noqa: E402
from clientbook.domain.customer import Customer  # noqa: E402

CLERK = Actor("u-clerk", {"officer"})
D = date(2026, 1, 5)
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
PG_CONNINFO = "host=127.0.0.1 port=5432 user=postgres dbname=test"
UNCHAINED = {  # clientbook's own recorders without the chain (_unchained.py)
    "sqlite": "_unchained:UnchainedSQLiteRecorder",
    "postgresql": "_unchained:UnchainedPostgresRecorder",
}
TOPIC = "CLIENTBOOK_APPLICATION_RECORDER_TOPIC"  # the app's env, prefixed: overrides the URL's


@contextmanager
def opened(url: str, *, chained: bool) -> Iterator[ClientBook]:
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    if not chained:
        os.environ[TOPIC] = UNCHAINED[kind]
    try:
        book = ClientBook.open(url)
    finally:
        os.environ.pop(TOPIC, None)
    assert type(book.app.recorder).__name__.startswith("Chained") == chained
    with book:
        yield book


CPU: dict[str, list[float]] = {}
"""Per kind and side ("batched ours"): CPU seconds of each timed run (see _cpu.py)."""
METER = Meter(None)


def rate(count: int, work: Callable[[], None], cpu: str = "") -> float:
    """Events per second of wall time; with `cpu`, the run's CPU seconds (this process and its
    PostgreSQL backends) are kept under that name too."""
    meter = METER.now() if cpu else None
    started = time.perf_counter()
    work()
    spent = time.perf_counter() - started
    if meter is not None:
        CPU.setdefault(cpu, []).append(METER.since(meter) / count)
    return count / spent


class Appends:
    """One book's appends: a command at a time, and batched saves."""

    def __init__(self, book: ClientBook, batch: int) -> None:
        self.book = book
        self.customer = book.customers.register(
            number="C-000001", kind="individual", name="Li Lei", manager="m-001", by=CLERK, on=D
        )
        self.pool = [
            Customer.register(
                number=f"C-{100000 + n:06d}",
                kind="individual",
                name="Li Lei",
                manager="m-001",
                by=CLERK.id,
                on=D,
            )
            for n in range(batch)
        ]
        book.app.save_all(*self.pool)  # kept in memory: each batch appends to all of them

    def commands(self, n: int, side: str) -> float:
        def run() -> None:
            for _ in range(n):
                self.book.customers.record_contact(
                    self.customer, channel="call", purpose="follow_up", outcome="ok", by=CLERK, on=D
                )

        return rate(n, run, f"per command {side}")

    def batches(self, n: int, side: str) -> float:
        """`n` saves, each of one contact recorded on every customer of the pool."""

        def run() -> None:
            for _ in range(n):
                for customer in self.pool:
                    customer.record_contact(
                        channel="call", purpose="follow_up", outcome="ok", by=CLERK.id, on=D
                    )
                self.book.app.save_all(*self.pool)

        return rate(n * len(self.pool), run, f"batched {side}")


def raw_decode(book: ClientBook) -> int:
    recorder, mapper, after, count = book.app.recorder, book.app.mapper, 0, 0
    while True:
        page = recorder.select_notifications(start=after, limit=500, inclusive_of_start=False)
        mapper.to_domain_events(page)  # a page's keys in one query, as the book reads pages
        count += len(page)
        if len(page) < 500:
            return count
        after = page[-1].id


def measure(urls: tuple[str, str], options: argparse.Namespace) -> dict[str, list[float]]:
    ratios: dict[str, list[float]] = {"per command": [], "batched": [], "verify": []}
    rates: dict[str, list[float]] = {}
    with opened(urls[0], chained=True) as ours, opened(urls[1], chained=False) as base:
        mine, theirs = Appends(ours, options.batch), Appends(base, options.batch)
        for round_ in range(options.rounds):
            for kind, run in (
                ("per command", lambda a, s: a.commands(options.commands, s)),
                ("batched", lambda a, s: a.batches(options.batches, s)),
            ):
                if round_ % 2:  # who goes first alternates: the machine's load drifts
                    a, b = run(mine, "ours"), run(theirs, "theirs")
                else:
                    b, a = run(theirs, "theirs"), run(mine, "ours")
                ratios[kind].append(a / b)
                rates.setdefault(kind, []).extend([a, b])
        ours.trust.checkpoint(note="bench")
        events = ours.head
        for round_ in range(options.rounds):
            verdict: list[bool] = []
            timings = [
                lambda: rate(events, lambda: verdict.append(ours.trust.verify().ok), "verify ours"),
                lambda: rate(events, lambda: raw_decode(ours), "verify theirs"),
            ]
            if round_ % 2:
                v, r = timings[0](), timings[1]()
            else:
                r, v = timings[1](), timings[0]()
            assert verdict == [True]
            ratios["verify"].append(v / r)
            rates.setdefault("verify", []).extend([v, r])
    return {**ratios, **{f"rates {k}": v for k, v in rates.items()}, "events": [events]}


def postgres_urls() -> tuple[tuple[str, str], Callable[[], None]]:
    import psycopg

    schemas = [f"bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]

    def drop() -> None:
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as c:
            for schema in schemas:
                c.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    return (f"{POSTGRES}?schema={schemas[0]}", f"{POSTGRES}?schema={schemas[1]}"), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=100, help="commands per round and side")
    parser.add_argument("--batches", type=int, default=10, help="batched saves per round")
    parser.add_argument("--batch", type=int, default=200, help="events per batched save")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    options = parser.parse_args()
    rows = []
    key = os.environ.setdefault("CLIENTBOOK_SIGNING_KEY", "11" * 32)  # a throwaway key
    with tempfile.TemporaryDirectory() as folder:
        backends = [
            (
                "SQLite",
                (f"sqlite:///{folder}/chained.db", f"sqlite:///{folder}/unchained.db"),
                lambda: None,
            )
        ][options.no_sqlite :]
        if not options.no_postgres:
            backends.append(("PostgreSQL", *postgres_urls()))
        for name, urls, drop in backends:
            global METER
            METER = Meter(None if name == "SQLite" else PG_CONNINFO)
            CPU.clear()
            try:
                result = measure(urls, options)
            finally:
                drop()
            for kind, target in (("per command", 0.9), ("batched", 0.9), ("verify", 0.5)):
                values, pair = result[kind], result[f"rates {kind}"]
                ours = statistics.median(pair[0::2])
                theirs = statistics.median(pair[1::2])
                best = max(pair[0::2]) / max(pair[1::2])
                cpu = statistics.mean(CPU[f"{kind} theirs"]) / statistics.mean(CPU[f"{kind} ours"])
                rows.append(
                    (
                        name,
                        kind,
                        f"{ours:,.0f}",
                        f"{theirs:,.0f}",
                        f"{statistics.median(values):.2f}",
                        f"{min(values):.2f}-{max(values):.2f}",
                        f"{best:.2f}",
                        f"{cpu:.2f}",
                        f"{target}",
                    )
                )
    assert key
    show_table(
        "the hash chain: chained vs unchained appends, verify vs select-and-decode",
        (
            "store",
            "what",
            "ours /s",
            "baseline /s",
            "ratio",
            "range",
            "best / best",
            "CPU ratio",
            "target",
        ),
        rows,
        {2, 3, 4, 5, 6, 7, 8},
        [
            f"{options.rounds} rounds; per command: {options.commands} record_contact; "
            f"batched: {options.batches} saves of {options.batch} events; "
            "verify: the chained log of the appends (events/s), baseline raw "
            "select_notifications + mapper.to_domain_events",
            "ratio: median of the rounds' ratios; best / best: each side's fastest round "
            "against the other's (the least disturbed by the machine's other work); CPU ratio: "
            "the baseline's CPU seconds per event over ours, this process's and its "
            "PostgreSQL backends' (benchmarks/_cpu.py): what the rate ratio would be on an "
            "idle machine, where waiting for a core costs nothing",
        ],
    )


if __name__ == "__main__":
    main()
