#!/usr/bin/env python
"""Benchmark: clientbook's customer path against plain eventsourcing, in one process run.

(a) Customer commands, one save per command (load + command + save), events/s, on SQLite (a
    temp file) and PostgreSQL (a fresh schema, dropped afterwards). Ours: `ClientBook.open(url)`
    and `book.customers.*`. Baseline: a minimal `Aggregate` with equivalent events and an
    `Application` with the library's default Mapper + JSONTranscoder on the same backend.
(b) Log replay with decoding: every stored event of a customer log decoded with our mapper vs
    the default Mapper + JSONTranscoder over an equivalent log.

Only ratios ours/baseline measured in the same run are meaningful; nothing here is a pass/fail
on absolute timings. Run: /tmp/venv/bin/python benchmarks/bench_customers.py [--help]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable, Iterator
from uuid import NAMESPACE_URL, UUID, uuid5

from _report import show_table  # benchmarks/_report.py
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import JSONTranscoder, Transcoding

from clientbook.book import ClientBook
from clientbook.domain.actor import Actor
from clientbook.domain.customer import Customer
from clientbook.infrastructure.store import parse_store_url

PG_BASE = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_COMMANDS = 0.9  # ours/baseline events/s, from the issue
TARGET_REPLAY = 1.5
COMMANDS_PER_CUSTOMER = 20  # sets how long a history each load replays (no snapshots)
CHUNKS = 16  # timed commands are split into chunks run ours/baseline alternately
PAGE = 500
DIRECTORY_READS = 20  # whole-directory searches per side, alternated

CHANNELS = ("visit", "call", "message", "email", "counter", "video")
PURPOSES = ("follow_up", "courtesy", "sales", "service", "complaint", "collection", "other")
SURVEY_CHANNELS = ("counter", "phone", "online", "app", "visit", "mail")
TIERS = ("vip", "a", "b", "none")
SEGMENTS = ("potential", "ordinary", "major", "premium", "restricted")
OPS = (
    "contact",
    "contact",
    "contact",
    "contact",
    "survey",
    "survey",
    "survey",
    "tier",
    "tier",
    "segment",
)  # ~40% contacts, 30% surveys, 20% tier changes, 10% segment changes
START = date(2024, 1, 2)
BY = "u-bench"


# --------------------------------------------------------------------------------------------
# The baseline: plain eventsourcing, default Mapper + JSONTranscoder (+ a date transcoding).
# --------------------------------------------------------------------------------------------

_NS = uuid5(NAMESPACE_URL, "https://clientbook.invalid/bench-baseline")


class BaselineCustomer(Aggregate):
    """A minimal customer with the same events (and fields) as clientbook's Customer."""

    @staticmethod
    def create_id(number: str) -> UUID:
        return uuid5(_NS, number)

    @event("Registered")
    def __init__(
        self,
        number: str,
        kind: str,
        name: str,
        manager: str,
        phone: str | None,
        email: str | None,
        address: str | None,
        document_number: str | None,
        segment: str,
        tier: str,
        visit_cycle_days: int | None,
        by: str,
        on: date,
    ) -> None:
        self.number, self.kind, self.name, self.manager = number, kind, name, manager
        self.phone, self.email, self.address = phone, email, address
        self.document_number = document_number
        self.segment, self.tier, self.visit_cycle_days = segment, tier, visit_cycle_days
        self.status = "prospect"
        self.registered_on = self.last_seen = on
        self.last_contact: date | None = None
        self.contacts = 0
        self.surveys: list[tuple[date, str, int]] = []

    def record_contact(
        self, *, channel: str, purpose: str, outcome: str, by: str, on: date
    ) -> None:
        _check(channel in CHANNELS and purpose in PURPOSES and bool(outcome))
        self._contact_recorded(channel, purpose, outcome, by, on)

    @event("ContactRecorded")
    def _contact_recorded(
        self, channel: str, purpose: str, outcome: str, by: str, on: date
    ) -> None:
        self.contacts += 1
        self.last_contact = on if self.last_contact is None else max(self.last_contact, on)
        self.last_seen = max(self.last_seen, on)

    def record_survey(self, *, channel: str, score: int, by: str, on: date) -> None:
        _check(channel in SURVEY_CHANNELS and 1 <= score <= 5)
        self._survey_recorded(channel, score, by, on)

    @event("SurveyRecorded")
    def _survey_recorded(self, channel: str, score: int, by: str, on: date) -> None:
        self.surveys.append((on, channel, score))

    def change_tier(self, tier: str, *, reason: str, by: str, on: date) -> None:
        _check(tier in TIERS and tier != self.tier and bool(reason))
        self._tier_changed(self.tier, tier, reason, by, on)

    @event("TierChanged")
    def _tier_changed(self, previous: str, tier: str, reason: str, by: str, on: date) -> None:
        self.tier = tier

    def change_segment(self, segment: str, *, reason: str, by: str, on: date) -> None:
        _check(segment in SEGMENTS and segment != self.segment and bool(reason))
        self._segment_changed(self.segment, segment, reason, by, on)

    @event("SegmentChanged")
    def _segment_changed(self, previous: str, segment: str, reason: str, by: str, on: date) -> None:
        self.segment = segment


def _check(ok: bool) -> None:
    if not ok:
        raise ValueError("invalid baseline command")


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class BaselineCustomers(Application[UUID]):
    """Library defaults throughout: Mapper + JSONTranscoder, no cache, no snapshots."""

    name = "BaselineCustomers"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


# --------------------------------------------------------------------------------------------
# The workload: deterministic from --seed, identical for ours and the baseline.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    number: str
    name: str
    phone: str
    email: str
    address: str
    manager: str
    on: date


@dataclass(frozen=True)
class Command:
    customer: int  # index into the registrations
    op: str
    args: dict[str, Any]


@dataclass
class Workload:
    registrations: list[Registration]
    commands: list[Command]


def make_workload(seed: int, customers: int, commands: int, first_number: int = 1) -> Workload:
    rnd = random.Random(seed)
    regs = [
        Registration(
            number=f"C-{first_number + i:06d}",
            name=f"Customer {first_number + i}",
            phone=f"+86 10 {rnd.randrange(10**7, 10**8)}",
            email=f"c{first_number + i}@example.com",
            address=f"{rnd.randrange(1, 999)} Bench Road",
            manager=f"m-{rnd.randrange(1, 20):02d}",
            on=START,
        )
        for i in range(customers)
    ]
    tiers = ["none"] * customers
    segments = ["potential"] * customers
    cmds: list[Command] = []
    day = 0
    while len(cmds) < commands:  # each pass gives every customer one command, in shuffled order
        day += 1
        on = START + timedelta(days=day)
        order = list(range(customers))
        rnd.shuffle(order)
        for i in order[: commands - len(cmds)]:
            op = rnd.choice(OPS)
            if op == "contact":
                args = dict(
                    channel=rnd.choice(CHANNELS),
                    purpose=rnd.choice(PURPOSES),
                    outcome=rnd.choice(("reached", "no answer", "call back", "done")),
                )
            elif op == "survey":
                args = dict(channel=rnd.choice(SURVEY_CHANNELS), score=rnd.randint(1, 5))
            elif op == "tier":
                tiers[i] = rnd.choice([t for t in TIERS if t != tiers[i]])
                args = dict(tier=tiers[i], reason="annual review")
            else:
                segments[i] = rnd.choice([s for s in SEGMENTS if s != segments[i]])
                args = dict(segment=segments[i], reason="portfolio review")
            cmds.append(Command(i, op, {**args, "on": on}))
    return Workload(regs, cmds)


# --------------------------------------------------------------------------------------------
# The two sides: the same calls, one save per command.
# --------------------------------------------------------------------------------------------


class Ours:
    label = "ours"

    def __init__(self, url: str) -> None:
        self.book = ClientBook.open(url)
        self.actor = Actor(BY, frozenset({"officer"}))
        self.ids: list[UUID] = []

    def register(self, r: Registration) -> None:
        self.ids.append(
            self.book.customers.register(
                number=r.number,
                kind="individual",
                name=r.name,
                manager=r.manager,
                by=self.actor,
                on=r.on,
                phone=r.phone,
                email=r.email,
                address=r.address,
                consent="in_person",  # contact details need it (and record it: 3 more events)
            )
        )

    def run(self, commands: list[Command]) -> None:
        customers, ids, actor = self.book.customers, self.ids, self.actor
        for c in commands:
            cid, a = ids[c.customer], c.args
            if c.op == "contact":
                customers.record_contact(
                    cid,
                    channel=a["channel"],
                    purpose=a["purpose"],
                    outcome=a["outcome"],
                    by=actor,
                    on=a["on"],
                )
            elif c.op == "survey":
                customers.record_survey(
                    cid, channel=a["channel"], score=a["score"], by=actor, on=a["on"]
                )
            elif c.op == "tier":
                customers.change_tier(cid, a["tier"], reason=a["reason"], by=actor, on=a["on"])
            else:
                customers.change_segment(
                    cid, a["segment"], reason=a["reason"], by=actor, on=a["on"]
                )

    def close(self) -> None:
        self.book.close()


class Baseline:
    label = "baseline"

    def __init__(self, env: dict[str, str]) -> None:
        self.app = BaselineCustomers(env=env)
        self.ids: list[UUID] = []

    def register(self, r: Registration) -> None:
        c = BaselineCustomer(
            number=r.number,
            kind="individual",
            name=r.name,
            manager=r.manager,
            phone=r.phone,
            email=r.email,
            address=r.address,
            document_number=None,
            segment="potential",
            tier="none",
            visit_cycle_days=None,
            by=BY,
            on=r.on,
        )
        self.app.save(c)
        self.ids.append(c.id)

    def run(self, commands: list[Command]) -> None:
        get, save, ids = self.app.repository.get, self.app.save, self.ids
        for c in commands:
            agg: BaselineCustomer = get(ids[c.customer])  # type: ignore[assignment]
            a = c.args
            if c.op == "contact":
                agg.record_contact(
                    channel=a["channel"],
                    purpose=a["purpose"],
                    outcome=a["outcome"],
                    by=BY,
                    on=a["on"],
                )
            elif c.op == "survey":
                agg.record_survey(channel=a["channel"], score=a["score"], by=BY, on=a["on"])
            elif c.op == "tier":
                agg.change_tier(a["tier"], reason=a["reason"], by=BY, on=a["on"])
            else:
                agg.change_segment(a["segment"], reason=a["reason"], by=BY, on=a["on"])
            save(agg)

    def close(self) -> None:
        self.app.close()


# --------------------------------------------------------------------------------------------
# Backends
# --------------------------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    ours_url: str
    baseline_env: dict[str, str]
    cleanup: Callable[[], None] = lambda: None


def sqlite_backend(tmp: str, tag: str) -> Backend:
    ours = os.path.join(tmp, f"{tag}-ours.db")
    base = os.path.join(tmp, f"{tag}-baseline.db")  # SQLite tables have fixed names: own file
    env = dict(parse_store_url(f"sqlite:///{base}").env)  # the same settings ClientBook uses
    return Backend("sqlite", f"sqlite:///{ours}", env)


def postgres_backend(base_url: str) -> Backend | str:
    """A fresh schema for both sides (tables are prefixed by app name), or why not."""
    try:
        import psycopg
        from psycopg import sql

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        conninfo = base_url.split("?")[0]
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    except Exception as e:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        return f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
    url = f"{base_url}{'&' if '?' in base_url else '?'}schema={schema}"

    def drop() -> None:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))

    return Backend("postgres", url, dict(parse_store_url(url).env), drop)


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    backend: str
    events: int
    ours_s: float
    base_s: float
    target: float | None
    note: str = ""
    pairs: list[float] | None = None  # ours/baseline of each back-to-back pair of timings

    @property
    def ours_rate(self) -> float:
        return self.events / self.ours_s

    @property
    def base_rate(self) -> float:
        return self.events / self.base_s

    @property
    def ratio(self) -> float:
        """The median of the paired ratios: robust to a burst of load from other processes."""
        return statistics.median(self.pairs) if self.pairs else self.ours_rate / self.base_rate


def paired(ours: list[float], base: list[float]) -> list[float]:
    """Ratios ours/baseline in events/s of timings taken back to back on the same events."""
    return [b / o for o, b in zip(ours, base)]


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def chunks(items: list[Any], n: int) -> Iterator[list[Any]]:
    size = -(-len(items) // n)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def bench_commands(backend: Backend, events: int, seed: int, profile: bool) -> list[Row]:
    customers = max(4, events // COMMANDS_PER_CUSTOMER)
    warm = max(50, events // 10)
    work = make_workload(seed, customers, warm + events)
    warmup, measured = work.commands[:warm], work.commands[warm:]
    sides = (Ours(backend.ours_url), Baseline(backend.baseline_env))
    try:
        # Registration (one save each): informational, it also does the key and number checks.
        reg: dict[str, list[float]] = {s.label: [] for s in sides}
        for k, part in enumerate(chunks(work.registrations, 2)):
            for s in sides if k % 2 == 0 else sides[::-1]:
                reg[s.label].append(timed(lambda s=s, part=part: [s.register(r) for r in part]))
        for s in sides:  # warm-up: the first commands of the stream, not timed
            s.run(warmup)
        spent: dict[str, list[float]] = {s.label: [] for s in sides}
        for k, part in enumerate(chunks(measured, CHUNKS)):  # ABBA..., same versions on both
            for s in sides if k % 2 == 0 else sides[::-1]:
                spent[s.label].append(timed(lambda s=s, part=part: s.run(part)))
        ours = sides[0]
        assert isinstance(ours, Ours)
        ours.book.projections.catch_up()  # not timed: the reads below find the view current
        directory: dict[str, list[float]] = {"ours": [], "baseline": []}
        reads = {
            "ours": ours.book.directory.search,
            "baseline": lambda: ours.book._database.query(
                "SELECT * FROM customer_directory ORDER BY number"
            ),
        }
        for k in range(DIRECTORY_READS):
            for label in ("ours", "baseline") if k % 2 == 0 else ("baseline", "ours"):
                directory[label].append(timed(reads[label]))
        if profile:
            extra = make_workload(seed, customers, warm + events + 500).commands[-500:]
            for s in sides:  # the same continuation of the stream on each side's own store
                print_profile(f"{backend.name}: {s.label} commands", lambda s=s: s.run(extra))
    finally:
        for s in sides:
            s.close()
    return [
        Row(
            "register (1 save each)",
            backend.name,
            customers,
            sum(reg["ours"]),
            sum(reg["baseline"]),
            None,
            "info; no identity document",
            paired(reg["ours"], reg["baseline"]),
        ),
        Row(
            "commands (load+cmd+save)",
            backend.name,
            len(measured),
            sum(spent["ours"]),
            sum(spent["baseline"]),
            TARGET_COMMANDS,
            f"{customers} customers x {len(measured) // customers} cmds, {CHUNKS} chunks",
            paired(spent["ours"], spent["baseline"]),
        ),
        Row(
            "directory reads (search)",
            backend.name,
            customers * DIRECTORY_READS,
            sum(directory["ours"]),
            sum(directory["baseline"]),
            None,
            "info; rows/s; baseline: the same rows by one plain SELECT",
            paired(directory["ours"], directory["baseline"]),
        ),
    ]


def build_logs(tmp: str, seed: int, events: int) -> tuple[str, str]:
    """Two equivalent SQLite logs, bulk-saved: registrations plus commands, the same stream."""
    customers = max(4, events // (COMMANDS_PER_CUSTOMER + 1))
    work = make_workload(seed + 1, customers, events - customers, first_number=500_000)
    ours_url = f"sqlite:///{os.path.join(tmp, 'replay-ours.db')}"
    base_env = dict(parse_store_url(f"sqlite:///{os.path.join(tmp, 'replay-base.db')}").env)
    actor_id = BY
    with ClientBook.open(ours_url) as book:
        aggs = [
            Customer.register(
                number=r.number,
                kind="individual",
                name=r.name,
                manager=r.manager,
                by=actor_id,
                on=r.on,
                phone=r.phone,
                email=r.email,
                address=r.address,
            )
            for r in work.registrations
        ]
        bases = [
            BaselineCustomer(
                number=r.number,
                kind="individual",
                name=r.name,
                manager=r.manager,
                phone=r.phone,
                email=r.email,
                address=r.address,
                document_number=None,
                segment="potential",
                tier="none",
                visit_cycle_days=None,
                by=BY,
                on=r.on,
            )
            for r in work.registrations
        ]
        for c in work.commands:
            for agg in (aggs[c.customer], bases[c.customer]):
                a = {k: v for k, v in c.args.items() if k not in ("tier", "segment")}
                if c.op == "contact":
                    agg.record_contact(**a, by=actor_id)
                elif c.op == "survey":
                    agg.record_survey(**a, by=actor_id)
                elif c.op == "tier":
                    agg.change_tier(c.args["tier"], **a, by=actor_id)
                else:
                    agg.change_segment(c.args["segment"], **a, by=actor_id)
        book.app.save_in_batches(aggs)
        with BaselineCustomers(env=base_env) as app:
            for i in range(0, len(bases), 100):
                app.save(*bases[i : i + 100])
    return ours_url, base_env["SQLITE_DBNAME"]


def pages(recorder: Any) -> list[list[Any]]:
    out, position = [], 0
    while True:
        page = recorder.select_notifications(start=position, limit=PAGE, inclusive_of_start=False)
        if page:
            out.append(page)
        if len(page) < PAGE:
            return out
        position = page[-1].id


def bench_replay(tmp: str, seed: int, events: int, repeats: int, profile: bool) -> list[Row]:
    ours_url, base_path = build_logs(tmp, seed, events)
    book = ClientBook.open(ours_url)  # a freshly opened book: cold key and schema caches
    app = BaselineCustomers(env=dict(parse_store_url(f"sqlite:///{base_path}").env))
    try:
        sides = {
            "ours": (book.app.recorder, book.app.mapper),
            "baseline": (app.recorder, app.mapper),
        }
        everything = {k: [n for page in pages(r) for n in page] for k, (r, _) in sides.items()}
        assert len(everything["ours"]) == len(everything["baseline"])
        # The same log split by kind: registrations carry personal data (sealed by ours).
        subsets = {
            "all": everything,
            "registered": {
                k: [n for n in v if n.topic.endswith(".Registered")] for k, v in everything.items()
            },
            "other": {
                k: [n for n in v if not n.topic.endswith(".Registered")]
                for k, v in everything.items()
            },
        }

        def decode(label: str, subset: str) -> None:
            to_domain_event = sides[label][1].to_domain_event
            for n in subsets[subset][label]:
                to_domain_event(n)

        def select_and_decode(label: str) -> None:
            recorder, mapper = sides[label]
            position = 0
            while True:
                page = recorder.select_notifications(
                    start=position, limit=PAGE, inclusive_of_start=False
                )
                for n in page:
                    mapper.to_domain_event(n)
                if len(page) < PAGE:
                    return
                position = page[-1].id

        for label in sides:  # warm-up: keys, schemas, topics, page cache
            decode(label, "all")
            select_and_decode(label)
        runs: dict[str, Callable[[str], object]] = {
            "all": lambda label: decode(label, "all"),
            "registered": lambda label: decode(label, "registered"),
            "other": lambda label: decode(label, "other"),
            "e2e": select_and_decode,
        }
        spent: dict[str, dict[str, list[float]]] = {r: {k: [] for k in sides} for r in runs}
        for k in range(repeats):  # interleaved, alternating which side goes first
            order = list(sides) if k % 2 == 0 else list(sides)[::-1]
            for run, fn in runs.items():
                for label in order:
                    spent[run][label].append(timed(lambda fn=fn, label=label: fn(label)))
        if profile:
            for label in sides:
                print_profile(f"replay: {label} decode", lambda label=label: decode(label, "all"))
    finally:
        book.close()
        app.close()

    def row(what: str, run: str, size: int, target: float | None, note: str) -> Row:
        t = spent[run]
        return Row(
            what,
            "sqlite",
            size,
            statistics.median(t["ours"]),
            statistics.median(t["baseline"]),
            target,
            note,
            paired(t["ours"], t["baseline"]),
        )

    n, reg = len(everything["ours"]), len(subsets["registered"]["ours"])
    med = f"median of {repeats}"
    return [
        row("replay: decode only", "all", n, TARGET_REPLAY, f"{med}; whole log"),
        row("  of which Registered", "registered", reg, None, f"info; {med}; personal data"),
        row("  of which other events", "other", n - reg, None, f"info; {med}; no personal data"),
        row("replay: select + decode", "e2e", n, None, f"info; {med}; pages of {PAGE}"),
    ]


def print_profile(title: str, fn: Callable[[], object], top: int = 25) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(fn)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    print(f"\n=== cProfile: {title} (by tottime) ===")
    print("\n".join(out.getvalue().strip().splitlines()[3:]))


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def verdict(row: Row) -> str:
    if row.target is None:
        return ""
    return f"target ≥{row.target:g}: {'met' if row.ratio >= row.target else 'MISSED'}"


def print_table(rows: list[Row], notes: list[str], header: str) -> None:
    cols = (
        "measurement",
        "backend",
        "events",
        "ours ev/s",
        "baseline ev/s",
        "ours/baseline",
        "range",
        "target",
        "notes",
    )
    data = [
        (
            r.what,
            r.backend,
            f"{r.events:,}",
            f"{r.ours_rate:,.0f}",
            f"{r.base_rate:,.0f}",
            f"{r.ratio:.2f}",
            f"{min(r.pairs):.2f}-{max(r.pairs):.2f}" if r.pairs else "",
            verdict(r),
            r.note,
        )
        for r in rows
    ]
    show_table(header, cols, data, {2, 3, 4, 5, 6}, notes)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--events",
        type=int,
        default=5000,
        help="timed command events per side and backend; the replay log holds "
        "--replay-factor times as many (default 5000)",
    )
    p.add_argument(
        "--backend",
        choices=("sqlite", "postgres", "all"),
        default="all",
        help="where to run the command benchmark (a); the replay (b) uses SQLite",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=20240102,
        help="seeds the workload (customers, command stream); same for both sides",
    )
    p.add_argument(
        "--postgres-url",
        default=PG_BASE,
        help=f"server and database for the postgres rows (default {PG_BASE}); a "
        "schema bench_<random> is created there and dropped afterwards",
    )
    p.add_argument(
        "--replay-factor",
        type=int,
        default=6,
        help="size of the replay log as a multiple of --events (default 6)",
    )
    p.add_argument("--repeats", type=int, default=9, help="replay repeats (median is reported)")
    p.add_argument(
        "--profile",
        action="store_true",
        help="also print cProfile tables of both command paths and both decoders",
    )
    args = p.parse_args(argv)
    if args.events < 1 or args.replay_factor < 1 or args.repeats < 1:
        p.error("--events, --replay-factor and --repeats must be at least 1")

    t_start = time.perf_counter()
    rows: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="clientbook-bench-") as tmp:
        if args.backend in ("sqlite", "all"):
            rows += bench_commands(sqlite_backend(tmp, "cmd"), args.events, args.seed, args.profile)
        if args.backend in ("postgres", "all"):
            pg = postgres_backend(args.postgres_url)
            if isinstance(pg, str):
                notes.insert(
                    0,
                    f"PostgreSQL at {args.postgres_url} is unreachable ({pg}); "
                    "postgres rows skipped.",
                )
            else:
                try:
                    rows += bench_commands(pg, args.events, args.seed, args.profile)
                finally:
                    pg.cleanup()
        rows += bench_replay(
            tmp, args.seed, max(500, args.events * args.replay_factor), args.repeats, args.profile
        )
    from importlib.metadata import version

    elapsed = time.perf_counter() - t_start
    header = (
        f"clientbook vs plain eventsourcing {version('eventsourcing')} — seed {args.seed}, "
        f"--events {args.events}, Python {sys.version.split()[0]}, msgspec "
        f"{version('msgspec')}"
    )
    notes.append(
        "ours/baseline: events/s ratio, the median over back-to-back pairs of timings "
        "in this run (command chunks, or replay repeats); range: min-max of those pairs."
    )
    notes.append(
        "ev/s columns: commands = total events / total time; replay = median time. "
        "Higher is better for ours. Absolute rates depend on the machine and its load."
    )
    notes.append(f"Total run time {elapsed:.1f} s.")
    print_table(rows, notes, header)
    return 0


if __name__ == "__main__":
    sys.exit(main())
