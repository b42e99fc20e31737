#!/usr/bin/env python
"""Benchmark: round trips per command (issue 15, part 2), ours against plain eventsourcing, on
SQLite (a temp file) and PostgreSQL (a fresh schema, dropped afterwards), in one process run.

(a) Registration: `book.customers.register` (duplicate-number and manager checks, personal data
    sealed under a new key, written with the events) against a plain `Application.save` of an
    equivalent new aggregate (benchmarks/bench_customers.py's baseline). Target >= 1.0.
(b) Per command: load + command + save (`book.customers.record_contact` & co.) against the
    plain repository.get + command + save of the same stream, about 20 commands a customer
    (bench_customers.py's COMMANDS_PER_CUSTOMER). Target >= 1.5 on PostgreSQL.
(c) Sealed decode: pages of 500 Registered events (personal data sealed) decoded by our mapper,
    the page's keys read from the database in one query, against the same events stored
    unsealed (personal fields in clear) decoded by the same mapper. Target >= 0.8.

The baseline runs on the library's own recorder and factory (`--baseline-recorder library`, the
default), or, as before 2026-12-03, on clientbook's chained recorder that the store URL names
(`--baseline-recorder ours`: the library's mapper and application on our append path).

Each is timed in rounds, the two sides alternating (which goes first alternates too); a ratio
is the median over rounds of (baseline time / ours time), so > 1 means ours is faster. Beside
it, the CPU ratio: the same quotient of CPU seconds (this process plus, on PostgreSQL, the
server backends of its connections: benchmarks/_cpu.py Meter), which a shared machine's load
moves far less than wall time. Only ratios from one run mean anything.

Run: .venv/bin/python benchmarks/bench_round_trips.py [--backend sqlite|postgres|all]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from collections.abc import Callable, Sequence
from typing import Any

from _cpu import Meter  # benchmarks/_cpu.py
from _report import show_table  # benchmarks/_report.py
from bench_customers import (
    COMMANDS_PER_CUSTOMER,
    PG_BASE,
    Backend,
    Baseline,
    Ours,
    make_workload,
    postgres_backend,
    sqlite_backend,
)

from clientbook.infrastructure.mapper import ClientBookMapper, _Schema

TARGETS = {
    "registration": 1.0,
    "per command": 1.5,
    "sealed decode": 0.8,
    "sealed read + decode": 0.8,
}
"""From the issue; per command's is PostgreSQL's (SQLite's is informational)."""
PAGE = 500


class Measured:
    """Wall and CPU seconds of the rounds of one measurement, per side."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.wall: dict[str, list[float]] = {"ours": [], "baseline": []}
        self.cpu: dict[str, list[float]] = {"ours": [], "baseline": []}

    def time(self, side: str, fn: Callable[[], object]) -> None:
        gc.collect()
        start = self.meter.now()
        t0 = time.perf_counter()
        fn()
        self.wall[side].append(time.perf_counter() - t0)
        self.cpu[side].append(self.meter.since(start))

    def ratio(self) -> float:
        return statistics.median(b / o for o, b in zip(self.wall["ours"], self.wall["baseline"]))

    def cpu_ratio(self) -> float:
        pairs = zip(self.cpu["ours"], self.cpu["baseline"])
        return statistics.median(b / o for o, b in pairs if o > 0)


def split(items: Sequence[Any], rounds: int) -> list[Sequence[Any]]:
    size = -(-len(items) // rounds)
    return [items[i : i + size] for i in range(0, len(items), size)]


def alternate(rounds: int) -> list[tuple[str, str]]:
    return [("ours", "baseline") if k % 2 == 0 else ("baseline", "ours") for k in range(rounds)]


def library_recorder(env: dict[str, str]) -> dict[str, str]:
    """A baseline's environment with the library's own recorder and factory (plain
    eventsourcing), not clientbook's: a store URL's environment names clientbook's chained
    recorder, and on PostgreSQL clientbook's factory (its bounded pool, pings)."""
    plain = {k: v for k, v in env.items() if k not in _OURS}
    if plain.get("PERSISTENCE_MODULE") == "clientbook.infrastructure.postgres":
        plain["PERSISTENCE_MODULE"] = "eventsourcing.postgres"
    return plain


_OURS = ("APPLICATION_RECORDER_TOPIC", "CLIENTBOOK_STORE_TIMEOUT", "POSTGRES_PRE_PING")


def bench_commands(
    backend: Backend, meter: Meter, customers: int, commands: int, rounds: int, seed: int
) -> tuple[Measured, Measured]:
    work = make_workload(seed, customers, 0)
    # The commands go to the first customers, about COMMANDS_PER_CUSTOMER each (as in
    # bench_customers.py: the length of history a load without a cache would replay).
    # Segment changes to some segments need a second person now: contacts, surveys and tiers.
    few = max(4, min(customers, commands // COMMANDS_PER_CUSTOMER))
    stream = [c for c in make_workload(seed + 2, few, 2 * commands).commands if c.op != "segment"][
        : commands + commands // 5
    ]
    warm, timed = stream[: commands // 5], stream[commands // 5 :]
    sides = {"ours": NameOnly(backend.ours_url), "baseline": NameOnlyBaseline(backend.baseline_env)}
    registration, per_command = Measured(meter), Measured(meter)
    try:
        parts = split(work.registrations, rounds)
        for part, order in zip(parts, alternate(len(parts))):
            for label in order:
                side = sides[label]
                registration.time(
                    label, lambda side=side, part=part: [side.register(r) for r in part]
                )
        for side in sides.values():
            side.run(warm)
        parts = split(timed, rounds)
        for part, order in zip(parts, alternate(len(parts))):
            for label in order:
                side = sides[label]
                per_command.time(label, lambda side=side, part=part: side.run(list(part)))
    finally:
        for side in sides.values():
            side.close()
    return registration, per_command


class NameOnly(Ours):
    """Ours, registering with a name (personal data, sealed) and no contact details: one event,
    like the baseline's (contact details would need a consent, recorded as three more)."""

    def register(self, r: Any) -> None:
        self.ids.append(
            self.book.customers.register(
                number=r.number,
                kind="individual",
                name=r.name,
                manager=r.manager,
                by=self.actor,
                on=r.on,
            )
        )


class NameOnlyBaseline(Baseline):
    def register(self, r: Any) -> None:
        super().register(replace(r, phone=None, email=None, address=None))


class ClearMapper(ClientBookMapper):
    """Our mapper with no personal fields: every event stored in clear (the unsealed side)."""

    def schema(self, cls: type) -> _Schema:
        schema = self._schemas.get(cls)
        if schema is None:
            schema = self._schemas[cls] = _Schema(cls)
            schema.personal = frozenset()
        return schema


def bench_decode(
    backend: Backend, clear_backend: Backend, meter: Meter, customers: int, rounds: int, seed: int
) -> tuple[Measured, Measured]:
    """Registered events only: the ones that carry personal data (sealed by ours). Their
    unsealed copies are stored in a second book of the same backend (recorder only), so that
    'read + decode' reads pages of equal length from equal tables."""
    work = make_workload(seed + 1, customers, 0, first_number=700_000)
    ours, other = NameOnly(backend.ours_url), NameOnly(clear_backend.ours_url)
    try:
        for r in work.registrations:
            ours.register(r)
        book = ours.book
        notifications = book.app.recorder.select_notifications(start=1, limit=10**9)
        sealed = [n for n in notifications if n.topic.endswith(".Registered")]
        mapper = book.app.mapper
        assert isinstance(mapper, ClientBookMapper)
        assert all(b'"_sealed"' in n.state for n in sealed)
        clear_mapper = ClearMapper(mapper.keys)
        events = mapper.to_domain_events(sealed)
        clear = [clear_mapper.to_stored_event(e) for e in events]
        assert not any(b'"_sealed"' in s.state for s in clear)
        assert [vars(e) for e in clear_mapper.to_domain_events(clear)] == [vars(e) for e in events]
        for start in range(0, len(clear), PAGE):
            other.book.app.recorder.insert_events(clear[start : start + PAGE])
        rounds_of = max(1, len(sealed) // PAGE)
        sealed_pages, clear_pages = split(sealed, rounds_of), split(clear, rounds_of)
        topics = tuple(sorted({n.topic for n in sealed}))

        def decode(pages: list[Sequence[Any]], with_mapper: ClientBookMapper) -> None:
            for page in pages:
                with_mapper.to_domain_events(page)

        def read_and_decode(recorder: Any, with_mapper: ClientBookMapper) -> None:
            position = 0
            while True:
                page = recorder.select_notifications(
                    start=position, limit=PAGE, topics=topics, inclusive_of_start=False
                )
                with_mapper.to_domain_events(page)
                if len(page) < PAGE:
                    return
                position = page[-1].id

        sides = {
            "ours": (book.app.recorder, mapper, sealed_pages),
            "baseline": (other.book.app.recorder, clear_mapper, clear_pages),
        }
        for recorder, with_mapper, pages in sides.values():  # warm-up: schemas, keys, cache
            decode(pages, with_mapper)
            read_and_decode(recorder, with_mapper)
        decoded, read = Measured(meter), Measured(meter)
        for order in alternate(rounds):
            for label in order:
                recorder, with_mapper, pages = sides[label]
                decoded.time(label, lambda p=pages, m=with_mapper: decode(p, m))
                read.time(label, lambda r=recorder, m=with_mapper: read_and_decode(r, m))
        return decoded, read
    finally:
        ours.close()
        other.close()


def decode_rows(
    args: argparse.Namespace, tmp: str, name: str, meter: Meter
) -> list[tuple[str, Measured, int]]:
    """The two decode rows on a pair of fresh stores of the backend (sealed, unsealed)."""
    pair = [
        postgres_backend(args.postgres_url)
        if name == "postgres"
        else sqlite_backend(tmp, f"rt-decode-{k}")
        for k in range(2)
    ]
    backends = [b for b in pair if not isinstance(b, str)]
    try:
        assert len(backends) == 2, pair
        decode, read = bench_decode(
            backends[0], backends[1], meter, args.decoded, args.rounds, args.seed
        )
    finally:
        for b in backends:
            b.cleanup()
    return [("sealed decode", decode, args.decoded), ("sealed read + decode", read, args.decoded)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all")
    p.add_argument("--customers", type=int, default=600, help="registrations per side")
    p.add_argument("--commands", type=int, default=3000, help="timed commands per side")
    p.add_argument("--decoded", type=int, default=5000, help="sealed events decoded")
    p.add_argument("--rounds", type=int, default=10, help="rounds per measurement")
    p.add_argument("--seed", type=int, default=20240102)
    p.add_argument(
        "--only",
        choices=("commands", "decode"),
        help="only the registration and per-command rows, or only the two decode rows",
    )
    p.add_argument("--postgres-url", default=PG_BASE)
    p.add_argument(
        "--baseline-recorder",
        choices=("library", "ours"),
        default="library",
        help="the baseline's recorder: the library's own (plain eventsourcing), or clientbook's "
        "(the store URL's, as before 2026-12-03: the library's mapper on our chained recorder)",
    )
    args = p.parse_args(argv)

    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="clientbook-round-trips-") as tmp:
        backends: list[tuple[Backend, Meter]] = []
        if args.backend in ("sqlite", "all"):
            backends.append((sqlite_backend(tmp, "rt"), Meter(None)))
        if args.backend in ("postgres", "all"):
            pg = postgres_backend(args.postgres_url)
            if isinstance(pg, str):
                notes.append(f"postgres skipped: {pg}")
            else:
                backends.append((pg, Meter(args.postgres_url.split("?")[0])))
        for backend, meter in backends:
            if args.baseline_recorder == "library":
                backend = replace(backend, baseline_env=library_recorder(backend.baseline_env))
            measured: list[tuple[str, Measured, int]] = []
            try:
                if args.only != "decode":
                    registration, per_command = bench_commands(
                        backend, meter, args.customers, args.commands, args.rounds, args.seed
                    )
                    measured += [
                        ("registration", registration, args.customers),
                        ("per command", per_command, args.commands),
                    ]
            finally:
                backend.cleanup()
            name = backend.name
            if args.only != "commands":
                measured += decode_rows(args, tmp, name, meter)
            for what, m, size in measured:
                target = TARGETS.get(what)
                applies = target is not None and not (what == "per command" and name == "sqlite")
                verdict = "" if not applies else ("met" if m.ratio() >= target else "NOT met")
                rows.append(
                    (
                        what,
                        name,
                        str(size),
                        f"{statistics.median(m.wall['ours']) * 1e3:.1f}",
                        f"{statistics.median(m.wall['baseline']) * 1e3:.1f}",
                        f"{m.ratio():.2f}x",
                        f"{m.cpu_ratio():.2f}x",
                        f">= {target}" if applies else "(info)",
                        verdict,
                    )
                )
    show_table(
        "Round trips per command: ours vs plain eventsourcing (decode: sealed vs unsealed)",
        (
            "measure",
            "backend",
            "n",
            "ours ms/round",
            "base ms/round",
            "ratio",
            "cpu ratio",
            "target",
            "verdict",
        ),
        rows,
        {2, 3, 4, 5, 6},
        [
            *notes,
            f"baseline's recorder: {args.baseline_recorder}. "
            f"ratio: median over {args.rounds} alternating rounds of baseline time / ours time "
            "(> 1: ours faster); cpu ratio: the same of CPU seconds, this process plus its "
            "PostgreSQL backends (benchmarks/_cpu.py). Decode's baseline is the same events "
            "stored unsealed, decoded by the same mapper.",
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
