#!/usr/bin/env python
"""Benchmark: what an idempotency key costs a command, on SQLite (a temp file) and PostgreSQL
(a fresh schema, dropped afterwards).

Per backend, in one run and interleaved in rounds (so that load on the machine hits all alike):
a contact recorded with no key, with a new key (one more read: the key is looked up, and one
more event: its record), and given again with a used key (the retry: the key's record read and
its position looked up; nothing written). Reported: the median time per command.

Run: .venv/bin/python benchmarks/bench_idempotency.py [--commands N] [--rounds R] [--no-postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import show_table  # noqa: E402

from clientbook import Actor, ClientBook  # noqa: E402

CLERK = Actor("u-clerk", {"officer"})
D = date(2026, 1, 5)
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def measure(url: str, commands: int, rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {"no key": [], "new key": [], "retry": []}
    with ClientBook.open(url) as book:
        customer = book.customers.register(
            number="C-000001", kind="individual", name="Li Lei", manager="m-001", by=CLERK, on=D
        )

        def contact(key: str | None) -> None:
            book.customers.record_contact(
                customer,
                channel="call",
                purpose="follow_up",
                outcome="ok",
                by=CLERK,
                on=D,
                idempotency_key=key,
            )

        def timed(give: Callable[[int], None]) -> float:
            started = time.perf_counter()
            for n in range(commands):
                give(n)
            return (time.perf_counter() - started) / commands

        for r in range(rounds):
            times["no key"].append(timed(lambda n: contact(None)))
            times["new key"].append(timed(lambda n: contact(f"bench-{r}-{n}")))
            times["retry"].append(timed(lambda n: contact(f"bench-{r}-{n}")))
    return {name: statistics.median(values) for name, values in times.items()}


def postgres_url() -> tuple[str, Callable[[], None]]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"

    def drop() -> None:
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as c:
            c.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    return f"{POSTGRES}?schema={schema}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=200, help="commands per round and kind")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-postgres", action="store_true")
    options = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        backends = [("SQLite", f"sqlite:///{folder}/bench.db", lambda: None)]
        if not options.no_postgres:
            backends.append(("PostgreSQL", *postgres_url()))
        for name, url, drop in backends:
            try:
                result = measure(url, options.commands, options.rounds)
            finally:
                drop()
            base = result["no key"]
            for kind, seconds in result.items():
                rows.append((name, kind, f"{seconds * 1000:.3f}", f"{seconds / base:.2f}"))
    show_table(
        "record_contact, median time per command",
        ("store", "command", "ms", "× no key"),
        rows,
        {2, 3},
        [f"{options.commands} commands × {options.rounds} rounds per kind"],
    )


if __name__ == "__main__":
    main()
