#!/usr/bin/env python
"""Benchmark: writers on one PostgreSQL log (issue 15), in one run: 1, 2, 4 and 8 writer
processes, and as many threads in one process, each giving commands to customers of its own
(load, command, save: one event per command), on

- **ours**: a ClientBook (the chained log, appended by the server-side function);
- **main**: the same book on the append path main had before issue 15 (`_main_append.py`);
- **plain**: plain eventsourcing (an Application and an Aggregate, the library's recorder);
- **reference**: ours with `synchronous_commit=off` on the benchmark's connections
  (PGOPTIONS), the physical bound on this machine for the same workload.

Each configuration does about `--commands` commands in all (split among its writers); events/s
is over the wall time from the start signal to the last writer's end; p50/p99 are per command.
Targets: 8 writers >= 3x one writer, or within 0.7 of the reference if the cores make 3x
impossible.

Run: .venv/bin/python benchmarks/bench_writers.py [--commands N] [--rounds R]
PostgreSQL: 127.0.0.1:5432, database test; BENCH_POSTGRES_PORT and BENCH_POSTGRES_DB choose a
server of the benchmark's own (8 books at once need about 60 connections).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import show_table  # noqa: E402

PORT = os.environ.get("BENCH_POSTGRES_PORT", "5432")  # a server of the benchmark's own, if set
DBNAME = os.environ.get("BENCH_POSTGRES_DB", "test")
POSTGRES = f"postgresql://postgres@127.0.0.1:{PORT}/{DBNAME}"
CONNINFO = f"host=127.0.0.1 port={PORT} user=postgres dbname={DBNAME}"
TOPIC = "CLIENTBOOK_APPLICATION_RECORDER_TOPIC"  # the app's env, prefixed: overrides the URL's
MAIN = "_main_append:MainAppendRecorder"
SYSTEMS = ("ours", "main", "plain", "reference")
COUNTS = (1, 2, 4, 8)
D = date(2026, 1, 5)


def environment(system: str) -> dict[str, str]:
    """What a writer of `system` sets before it opens its store."""
    env = {"CLIENTBOOK_SIGNING_KEY": "11" * 32}
    if system == "main":
        env[TOPIC] = MAIN
    if system == "reference":
        env["PGOPTIONS"] = "-c synchronous_commit=off"
    return env


def plain_env(schema: str, create: bool) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": DBNAME,
        "POSTGRES_HOST": "127.0.0.1",
        "POSTGRES_PORT": PORT,
        "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": "",
        "POSTGRES_SCHEMA": schema,
        "CREATE_TABLE": "y" if create else "n",
    }


def opened(
    system: str, schema: str, create: bool
) -> tuple[Callable[[], Callable[[], None]], Callable[[], None]]:
    """(make a customer and return its command, close) for one writer of `system`."""
    os.environ.update(environment(system))
    if system == "plain":
        from plain_app import Customers  # beside this file

        app = Customers(env=plain_env(schema, create))
        return app.customer_command, app.close
    from clientbook import Actor, ClientBook

    clerk = Actor("u-clerk", {"officer"})
    book = ClientBook.open(f"{POSTGRES}?schema={schema}")

    def customer() -> Callable[[], None]:
        cid = book.customers.register(
            number=f"C-{uuid.uuid4().int % 10**6:06d}",
            kind="individual",
            name="Li Lei",
            manager="m-001",
            by=clerk,
            on=D,
        )

        def command() -> None:
            book.customers.record_contact(
                cid, channel="call", purpose="follow_up", outcome="ok", by=clerk, on=D
            )

        return command

    return customer, book.close


def writer(
    system: str, schema: str, threads: int, commands: int, ready: Any, start: Any, results: Any
) -> None:
    """One process: `threads` threads, each `commands` commands on a customer of its own."""
    customer, close = opened(system, schema, create=False)
    work = [customer() for _ in range(threads)]
    latencies: list[list[float]] = [[] for _ in range(threads)]

    def run(i: int) -> None:
        command, mine = work[i], latencies[i]
        for _ in range(commands):
            began = time.perf_counter()
            command()
            mine.append(time.perf_counter() - began)

    ready.put(1)
    start.wait()
    began = time.monotonic()
    runners = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    results.put((began, time.monotonic(), [x for mine in latencies for x in mine]))
    close()


def measure(system: str, processes: int, threads: int, commands: int) -> tuple[float, ...]:
    """(events/s, p50 ms, p99 ms) of one configuration on a fresh schema."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    context = multiprocessing.get_context("spawn")
    ready, start, results = context.Queue(), context.Event(), context.Queue()
    with psycopg.connect(CONNINFO, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    _, close = opened(system, schema, create=True)  # the tables, made once
    close()
    for name in environment(system):
        os.environ.pop(name, None)
    each = max(10, commands // (processes * threads))
    children = [
        context.Process(target=writer, args=(system, schema, threads, each, ready, start, results))
        for _ in range(processes)
    ]
    try:
        for child in children:
            child.start()
        for _ in children:
            ready.get(timeout=120)
        start.set()
        done = [results.get(timeout=300) for _ in children]
        for child in children:
            child.join(timeout=60)
    finally:
        for child in children:
            if child.is_alive():
                child.kill()
        with psycopg.connect(CONNINFO, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    wall = max(d[1] for d in done) - min(d[0] for d in done)
    latencies = sorted(x for d in done for x in d[2])
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / wall, p50 * 1000, p99 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=480, help="commands per configuration")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--modes", default="processes,threads")
    options = parser.parse_args()
    systems, modes = options.systems.split(","), options.modes.split(",")
    runs: dict[tuple[str, str, int], list[tuple[float, ...]]] = {}
    for _ in range(options.rounds):  # rounds interleave the systems: load drifts alike
        for mode in modes:
            for count in COUNTS:
                for system in systems:
                    shape = (count, 1) if mode == "processes" else (1, count)
                    runs.setdefault((mode, system, count), []).append(
                        measure(system, *shape, options.commands)
                    )

    def median(mode: str, system: str, count: int, i: int = 0) -> float:
        return statistics.median(r[i] for r in runs[(mode, system, count)])

    rows = []
    for mode in modes:
        for count in COUNTS:
            for system in systems:
                rate = median(mode, system, count)
                scale = rate / median(mode, system, 1)
                vs = {
                    other: rate / median(mode, other, count)
                    for other in ("plain", "reference")
                    if other in systems
                }
                rows.append(
                    (
                        mode,
                        str(count),
                        system,
                        f"{rate:,.0f}",
                        f"{median(mode, system, count, 1):.2f}",
                        f"{median(mode, system, count, 2):.2f}",
                        f"{scale:.2f}",
                        f"{vs.get('plain', 0):.2f}",
                        f"{vs.get('reference', 0):.2f}",
                    )
                )
    show_table(
        "writers on one PostgreSQL log: events/s, command latency",
        (
            "writers",
            "n",
            "system",
            "events/s",
            "p50 ms",
            "p99 ms",
            "x one writer",
            "x plain",
            "x reference",
        ),
        rows,
        {1, 3, 4, 5, 6, 7, 8},
        [
            f"{options.rounds} rounds (medians), about {options.commands} commands per "
            "configuration; load average before: "
            f"{os.getloadavg()[0]:.1f}; cores: {os.cpu_count()}"
        ],
    )


if __name__ == "__main__":
    main()
