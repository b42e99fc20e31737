"""The processes of tests/integration/test_many_processes.py, each run as its own interpreter:

    python _roles.py ROLE '{"url": ..., "folder": ..., ...}'

A role opens its own book, says it is ready (a file in `folder`), waits for the test's `go`
file, does its bounded work and prints one JSON line: what it did, the errors it was allowed
to see (a `DomainError`, of which `ConflictError` is one, or `ViewBehind`) and any other error
with its traceback (`unexpected`, which the test requires to be empty). Every loop is bounded
by a count and a deadline, so a role ends even if the test forgets it (the test kills it too).
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import os
import random
import signal
import sys
import time
import traceback
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable
from uuid import UUID

from clientbook import Actor, ClientBook, DomainError
from clientbook.domain.errors import ViewBehind
from clientbook.projections.runner import lease_of

D = date(2026, 11, 2)
CLERK = Actor("u-clerk", {"officer"})
DEADLINE = 60.0  # no role runs longer than this, whatever it was asked
GO_WAIT = 60.0
PEER_WAIT = 20.0  # less than a job's deadline: a closer whose peers never came says so

CONTACT = dict(channel="call", purpose="follow_up", outcome="spoke to them")


class Outcomes:
    """What a process did: counts by kind, allowed errors by type, unexpected ones in full."""

    def __init__(self) -> None:
        self.done: Counter[str] = Counter()
        self.allowed: Counter[str] = Counter()
        self.unexpected: list[str] = []
        self.seconds: dict[str, float] = {}

    def attempt(self, kind: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            result = call()
        except (DomainError, ViewBehind) as error:
            self.allowed[type(error).__name__] += 1
            return error
        except Exception as error:  # anything else is what the tests look for
            self.unexpected.append(
                f"{kind}: {type(error).__name__}: {error}\n" + traceback.format_exc(limit=8)
            )
            return error
        finally:
            self.seconds[kind] = self.seconds.get(kind, 0.0) + time.perf_counter() - started
        self.done[kind] += 1
        return result

    def report(self, **more: Any) -> dict[str, Any]:
        return dict(
            done=dict(self.done),
            allowed=dict(self.allowed),
            unexpected=self.unexpected,
            seconds={k: round(v, 3) for k, v in self.seconds.items()},
            **more,
        )


def ready_then_wait(folder: Path, name: str) -> None:
    (folder / f"ready-{name}").touch()
    deadline = time.monotonic() + GO_WAIT
    while not (folder / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"{name}: no go after {GO_WAIT:g} s")
        time.sleep(0.01)


def publish(folder: Path, name: str, state: dict[str, Any]) -> None:
    """What a writer has written so far, for other processes to ask `at_least=` of."""
    temporary = folder / f".{name}.tmp"
    temporary.write_text(json.dumps(state))
    os.replace(temporary, folder / f"{name}.json")


def published(folder: Path) -> list[dict[str, Any]]:
    states = []
    for path in sorted(folder.glob("writer-*.json")):
        try:
            states.append(json.loads(path.read_text()))
        except (OSError, ValueError):  # being replaced just now
            continue
    return states


def stopped(folder: Path, started: float) -> bool:
    return (folder / "done").exists() or time.monotonic() - started > DEADLINE


# -- roles -----------------------------------------------------------------------------------


def writer(
    book: ClientBook,
    folder: Path,
    name: str,
    customers: int,
    contacts: int,
    complaints: int,
    pause: float = 0.0,
    **_: Any,
) -> dict[str, Any]:
    """Registers its own customers, activates them, records their contacts (one business day
    apart) and receives complaints for the first few; refuses itself once on purpose (a taken
    number). After every command it publishes the position it wrote and what it changed, and
    pauses (a clerk's pace, so that the writes last while workers come and go)."""
    out = Outcomes()
    attempt = out.attempt

    def paced(kind: str, call: Callable[[], Any]) -> Any:
        time.sleep(pause)
        return attempt(kind, call)

    out.attempt = paced  # type: ignore[method-assign]
    state: dict[str, Any] = {"writer": name, "customers": {}}
    for i in range(customers):
        number = f"C-{name[-1]}{i:05d}"
        cid = out.attempt(
            "register",
            lambda: book.customers.register(
                number=number,
                kind="individual",
                name=f"Customer {number}",
                manager=f"m-{name}",
                visit_cycle_days=30,
                by=CLERK,
                on=D,
            ),
        )
        if not isinstance(cid, UUID):
            continue
        mine: dict[str, Any] = {"status": "prospect", "last_contact": None, "complaints": 0}
        state["customers"][str(cid)] = mine
        state["position"] = book.last_written
        publish(folder, name, state)
        if i == 0:  # refused: nothing written, a DomainError
            out.attempt(
                "register again",
                lambda: book.customers.register(
                    number=number,
                    kind="individual",
                    name="Someone else",
                    manager="m-x",
                    by=CLERK,
                    on=D,
                ),
            )
        if not isinstance(
            out.attempt("activate", lambda: book.customers.activate(cid, by=CLERK, on=D)), Exception
        ):
            mine["status"] = "active"
        for k in range(contacts):
            day = D + timedelta(days=k + 1)
            if not isinstance(
                out.attempt(
                    "contact",
                    lambda: book.customers.record_contact(cid, **CONTACT, by=CLERK, on=day),
                ),
                Exception,
            ):
                mine["last_contact"] = day.isoformat()
                state["position"] = book.last_written
                publish(folder, name, state)
        if i < complaints:
            received = out.attempt(
                "complaint",
                lambda: book.complaints.receive(
                    customer=cid,
                    category="damages",
                    channel="hotline",
                    request="refund the fee",
                    department="branch 12",
                    by=CLERK,
                    on=D + timedelta(days=1),
                ),
            )
            if isinstance(received, UUID):
                mine["complaints"] += 1
        state["position"] = book.last_written
        publish(folder, name, state)
    return out.report(last_written=book.last_written)


def querier(
    book: ClientBook, folder: Path, name: str, iterations: int, minimum: int = 0, **_: Any
) -> dict[str, Any]:
    """Queries the directory and the complaint cards in a loop, most of them `at_least=` a
    position a writer published, until the test says done (but at least `minimum` times); an
    answer that does not show what that writer had written by then is counted as stale (the
    test requires none)."""
    out = Outcomes()
    rng = random.Random(name)
    stale: list[str] = []
    modes: Counter[str] = Counter()
    started = time.monotonic()
    asked = 0
    for _round in range(iterations):
        if stopped(folder, started) and (asked >= minimum or time.monotonic() - started > DEADLINE):
            break
        states = [s for s in published(folder) if s.get("customers")]
        if not states:
            time.sleep(0.01)
            continue
        asked += 1
        state = rng.choice(states)
        wanted = state["position"]
        cid, expected = rng.choice(list(state["customers"].items()))
        kept = all(
            book.leases.taken(lease_of(p)) for p in ("customer_directory", "complaint_cards")
        )
        modes["worker keeps the views" if kept else "caught up in this process"] += 1
        kind = ("customer", "cards", "search")[asked % 3]
        if kind == "customer":
            entry = out.attempt(kind, lambda: book.directory.customer(UUID(cid), at_least=wanted))
            if isinstance(entry, Exception):
                continue
            if entry is None or _older(entry.status, entry.last_contact, expected):
                stale.append(f"{cid} at_least={wanted}: {entry} but {expected} was written")
        elif kind == "cards":
            cards = out.attempt(
                kind, lambda: book.complaint_cards.cards(customer=UUID(cid), at_least=wanted)
            )
            if not isinstance(cards, Exception) and len(cards) < expected["complaints"]:
                stale.append(
                    f"{cid} at_least={wanted}: {len(cards)} complaints, not "
                    f"{expected['complaints']}"
                )
        else:
            out.attempt(kind, lambda: book.directory.search())
    return out.report(stale=stale, modes=dict(modes))


def _older(status: str, last_contact: date | None, expected: dict[str, Any]) -> bool:
    if expected["status"] == "active" and status != "active":
        return True
    wanted = expected["last_contact"]
    return wanted is not None and (last_contact is None or last_contact.isoformat() < wanted)


def catcher(book: ClientBook, folder: Path, name: str, iterations: int, **_: Any) -> dict[str, Any]:
    """Catches every view up in this process, in a loop, until the test says done."""
    out = Outcomes()
    started = time.monotonic()
    for _round in range(iterations):
        if stopped(folder, started):
            break
        out.attempt("catch_up", book.projections.catch_up)
    out.attempt("catch_up", book.projections.catch_up)  # once more, after the last write
    return out.report()


def contacts(
    book: ClientBook, folder: Path, name: str, customers: list[str], count: int, **_: Any
) -> dict[str, Any]:
    """Records `count` contacts, round robin over the given customers, as fast as it can."""
    out = Outcomes()
    for k in range(count):
        cid = UUID(customers[k % len(customers)])
        out.attempt(
            "contact",
            lambda: book.customers.record_contact(
                cid, **CONTACT, by=CLERK, on=D + timedelta(days=1 + k // len(customers))
            ),
        )
    return out.report(last_written=book.last_written)


def closer(
    book: ClientBook, folder: Path, name: str, on: str, customers: int, peers: int, **_: Any
) -> dict[str, Any]:
    """Registers its own customers (last seen long enough ago to lapse on `on`), waits until
    every peer has, then closes business for `on`; says which days it closed."""
    out = Outcomes()
    day = date.fromisoformat(on)
    for i in range(customers):
        cid = out.attempt(
            "register",
            lambda: book.customers.register(
                number=f"C-{name[-1]}{i:05d}",
                kind="individual",
                name=f"Holder {name} {i}",
                manager="m-001",
                visit_cycle_days=30,
                by=CLERK,
                on=day - timedelta(days=60),
            ),
        )
        if isinstance(cid, UUID):
            out.attempt(
                "activate",
                lambda: book.customers.activate(cid, by=CLERK, on=day - timedelta(days=60)),
            )
    (folder / f"registered-{name}").touch()
    deadline = time.monotonic() + PEER_WAIT
    while len(list(folder.glob("registered-*"))) < peers and time.monotonic() < deadline:
        time.sleep(0.01)
    registered = sorted(path.name.split("-", 1)[1] for path in folder.glob("registered-*"))
    result = out.attempt("close", lambda: book.close_of_business(day))
    days = (
        []
        if isinstance(result, Exception)
        else [(d.on.isoformat(), d.changes) for d in result.days]
    )
    return out.report(days=days, registered_before_close=registered)


def reader(book: ClientBook, folder: Path, name: str, iterations: int, **_: Any) -> dict[str, Any]:
    """Counts the directory's customers and complaint cards in a loop, with the time of each
    read, until the test says done."""
    out = Outcomes()
    reads: list[tuple[float, int, int]] = []
    started = time.monotonic()
    for _round in range(iterations):
        if stopped(folder, started):
            break
        customers = out.attempt("search", book.directory.search)
        cards = out.attempt("cards", book.complaint_cards.cards)
        if not isinstance(customers, Exception) and not isinstance(cards, Exception):
            reads.append((time.time(), len(customers), len(cards)))
    return out.report(reads=reads)


def announcer(book: ClientBook, folder: Path, name: str, commands: int, **_: Any) -> dict[str, Any]:
    """Registers a customer, then records contacts one business day apart; after each command
    it announces the position written and the contact's date (`said-K.json`) and waits for the
    test's answer (`heard-K`) before the next, so the test queries right after each command."""
    out = Outcomes()
    cid = book.customers.register(
        number=f"C-{name[-1]}00000",
        kind="individual",
        name="Announced",
        manager="m-001",
        by=CLERK,
        on=D,
    )
    book.customers.activate(cid, by=CLERK, on=D)
    started = time.monotonic()
    for k in range(commands):
        day = D + timedelta(days=k + 1)
        out.attempt(
            "contact", lambda: book.customers.record_contact(cid, **CONTACT, by=CLERK, on=day)
        )
        publish(
            folder,
            f"said-{k}",
            {"position": book.last_written, "customer": str(cid), "day": day.isoformat()},
        )
        while not (folder / f"heard-{k}").exists():
            if stopped(folder, started):
                return out.report()
            time.sleep(0.001)
    return out.report()


ROLES: dict[str, Callable[..., dict[str, Any]]] = {
    "writer": writer,
    "querier": querier,
    "catcher": catcher,
    "contacts": contacts,
    "closer": closer,
    "reader": reader,
    "announcer": announcer,
}


def run_role(role: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """One role, in a book of its own, opened and closed here."""
    folder = Path(arguments.pop("folder"))
    name = arguments["name"]
    if arguments.pop("open_after_go", False):  # processes opening one store at once
        ready_then_wait(folder, name)
        book = ClientBook.open(arguments.pop("url"))
    else:
        book = ClientBook.open(arguments.pop("url"))
        ready_then_wait(folder, name)
    try:
        started = time.time()
        result = ROLES[role](book, folder, **arguments)
        result.update(role=role, name=name, started=started, ended=time.time(), pid=os.getpid())
    finally:
        book.close()
    return result


def run_cli(arguments: list[str], out: str, err: str) -> dict[str, Any]:
    """`clientbook ARGUMENTS` in this process, as its console script runs it, its output in
    files; the signal handlers it sets (a worker's SIGTERM) are undone after."""
    from clientbook.cli import main as clientbook

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    with (
        open(out, "w", buffering=1) as stdout,
        open(err, "w", buffering=1) as stderr,
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        try:
            clientbook.main(arguments, prog_name="clientbook", standalone_mode=False)
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        except Exception:
            traceback.print_exc()
            code = 1
        finally:
            for number, handler in handlers.items():
                signal.signal(number, handler)
    return {"code": code, "pid": os.getpid()}


def serve(connection: Any) -> None:
    """A process of the tests' pool (spawned once, then given one job after another): it
    imports clientbook once, then runs each role or command it is sent with books of its own."""
    import clientbook.cli  # noqa: F401  (imported once, before the first job)

    connection.send({"ready": os.getpid()})
    while True:
        try:
            kind, payload = connection.recv()
        except (EOFError, OSError):
            return
        # SIGUSR1 writes every thread's stack to the job's stderr file: the test asks for it
        # before it kills a job that overran its deadline, so the failure says where it hung.
        with open(job_stderr(kind, payload), "a") as stacks:
            faulthandler.register(signal.SIGUSR1, file=stacks, all_threads=True)
            try:
                result = run_role(*payload) if kind == "role" else run_cli(*payload)
            except BaseException:  # the test reports it; the process serves on
                result = {"crashed": traceback.format_exc()}
            finally:
                faulthandler.unregister(signal.SIGUSR1)
        connection.send(result)


def job_stderr(kind: str, payload: tuple[Any, ...]) -> str:
    """The file the test reads as a job's stderr."""
    if kind == "role":
        role, arguments = payload
        return str(Path(arguments["folder"]) / f"{arguments['name']}.err")
    return str(payload[2])


def main() -> None:
    print(json.dumps(run_role(sys.argv[1], json.loads(sys.argv[2])), default=str), flush=True)


if __name__ == "__main__":
    main()
