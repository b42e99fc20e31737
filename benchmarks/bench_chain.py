#!/usr/bin/env python
"""Benchmark: what the log's hash chain costs (issue 13), on SQLite (temp files) and PostgreSQL
(fresh schemas, dropped afterwards), as ratios against baselines run in the same process.

- **append, per command**: `record_contact` (load + command + save, one event per save) on a
  chained book against an unchained one (the recorder without the chain, chosen through the
  environment), interleaved in rounds. Target: chained/unchained rate >= 0.9.
- **append, batched**: `save_all` of `--batch` customers with a contact recorded on each (one
  transaction of `--batch` events). Target >= 0.9.
- **verify**: `book.trust.verify()` over the chained log (select, hash, versions, checkpoints)
  against a raw select-and-decode of the same log (`select_notifications` pages +
  `mapper.to_domain_event`). Target >= 0.5.

Run: .venv/bin/python benchmarks/bench_chain.py [--commands N] [--batches N] [--rounds R]
     [--no-postgres]
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

from _report import show_table  # noqa: E402

from clientbook import Actor, ClientBook  # noqa: E402
from clientbook.domain.customer import Customer  # noqa: E402

CLERK = Actor("u-clerk", {"officer"})
D = date(2026, 1, 5)
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
UNCHAINED = {
    "sqlite": "eventsourcing.sqlite:SQLiteApplicationRecorder",
    "postgresql": "clientbook.infrastructure.postgres:BoundedApplicationRecorder",
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


def rate(count: int, work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


class Appends:
    """One book's appends: a command at a time, and batched saves."""

    def __init__(self, book: ClientBook, batch: int) -> None:
        self.book = book
        self.customer = book.customers.register(number="C-000001", kind="individual",
                                                name="Li Lei", manager="m-001", by=CLERK, on=D)
        self.pool = [Customer.register(number=f"C-{100000 + n:06d}", kind="individual",
                                       name="Li Lei", manager="m-001", by=CLERK.id, on=D)
                     for n in range(batch)]
        book.app.save_all(*self.pool)  # kept in memory: each batch appends to all of them

    def commands(self, n: int) -> float:
        def run() -> None:
            for _ in range(n):
                self.book.customers.record_contact(self.customer, channel="call",
                                                   purpose="follow_up", outcome="ok", by=CLERK,
                                                   on=D)
        return rate(n, run)

    def batches(self, n: int) -> float:
        """`n` saves, each of one contact recorded on every customer of the pool."""
        def run() -> None:
            for _ in range(n):
                for customer in self.pool:
                    customer.record_contact(channel="call", purpose="follow_up", outcome="ok",
                                            by=CLERK.id, on=D)
                self.book.app.save_all(*self.pool)
        return rate(n * len(self.pool), run)


def raw_decode(book: ClientBook) -> int:
    recorder, mapper, after, count = book.app.recorder, book.app.mapper, 0, 0
    while True:
        page = recorder.select_notifications(start=after, limit=500, inclusive_of_start=False)
        for notification in page:
            mapper.to_domain_event(notification)
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
            for kind, run in (("per command", lambda a: a.commands(options.commands)),
                              ("batched", lambda a: a.batches(options.batches))):
                if round_ % 2:  # who goes first alternates: the machine's load drifts
                    a, b = run(mine), run(theirs)
                else:
                    b, a = run(theirs), run(mine)
                ratios[kind].append(a / b)
                rates.setdefault(kind, []).extend([a, b])
        ours.trust.checkpoint(note="bench")
        events = ours.head
        for round_ in range(options.rounds):
            verdict: list[bool] = []
            timings = [lambda: rate(events, lambda: verdict.append(ours.trust.verify().ok)),
                       lambda: rate(events, lambda: raw_decode(ours))]
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
    options = parser.parse_args()
    rows = []
    key = os.environ.setdefault("CLIENTBOOK_SIGNING_KEY", "11" * 32)  # a throwaway key
    with tempfile.TemporaryDirectory() as folder:
        backends = [("SQLite", (f"sqlite:///{folder}/chained.db",
                                f"sqlite:///{folder}/unchained.db"), lambda: None)]
        if not options.no_postgres:
            backends.append(("PostgreSQL", *postgres_urls()))
        for name, urls, drop in backends:
            try:
                result = measure(urls, options)
            finally:
                drop()
            for kind, target in (("per command", 0.9), ("batched", 0.9), ("verify", 0.5)):
                values, pair = result[kind], result[f"rates {kind}"]
                ours = statistics.median(pair[0::2])
                theirs = statistics.median(pair[1::2])
                rows.append((name, kind, f"{ours:,.0f}", f"{theirs:,.0f}",
                             f"{statistics.median(values):.2f}",
                             f"{min(values):.2f}-{max(values):.2f}", f"{target}"))
    assert key
    show_table("the hash chain: chained vs unchained appends, verify vs select-and-decode",
               ("store", "what", "ours /s", "baseline /s", "ratio", "range", "target"),
               rows, {2, 3, 4, 5, 6},
               [f"{options.rounds} rounds; per command: {options.commands} record_contact; "
                f"batched: {options.batches} saves of {options.batch} events; "
                "verify: the chained log of the appends (events/s), baseline raw "
                "select_notifications + mapper.to_domain_event"])


if __name__ == "__main__":
    main()
