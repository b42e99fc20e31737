"""Idempotency across processes: two retrying one key at once, and a batch killed part-way."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import postgres_schema_url
from idempotency_worker import ROUNDS, retry_in_a_process

from clientbook import Actor, ClientBook, Money

D = date(2026, 1, 5)
CLERK = Actor("u-clerk", {"officer"})
BOSS = Actor("u-boss", {"manager"})


def test_two_processes_retrying_one_key_at_once_write_once_and_both_get_the_result(
    store_url: str,
) -> None:
    with ClientBook.open(store_url) as book:
        customer = book.customers.register(
            number="C-000001", kind="individual", name="Li Lei", manager="m-001", by=CLERK, on=D
        )
        line = book.credit.propose_line(
            number="L-000001",
            customer=customer,
            product="working_capital",
            limit=Money("50000.00"),
            rate=Decimal("4.35"),
            start=D,
            maturity=D + timedelta(days=365),
            review=D + timedelta(days=180),
            by=CLERK,
            on=D,
        )
        book.credit.approve_line(line, by=BOSS, on=D)
        book.credit.activate_line(line, by=CLERK, on=D)
        head = book.head
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Barrier(2, timeout=120), spawn.Queue()
    workers = [
        spawn.Process(target=retry_in_a_process, args=(store_url, start, results)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    answers = sorted(results.get(timeout=180) for _ in range(2 * ROUNDS))
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    for n in range(ROUNDS):  # both got the one complaint and the position its drawdown wrote
        assert answers[2 * n] == answers[2 * n + 1]
    with ClientBook.open(store_url) as book:
        kinds = [type(e).__qualname__ for _, e in book.decoded_events(head)]
        assert kinds.count("Complaint.Received") == ROUNDS
        assert kinds.count("CreditLine.Drawn") == ROUNDS
        assert book.credit.line(line).outstanding == Money(f"{100 * ROUNDS}.00")
        assert len({complaint for _, complaint, _ in answers}) == ROUNDS


CHILD = """
import sys
from datetime import date
from clientbook import ClientBook
with ClientBook.open(sys.argv[1]) as book:
    book.app.part_size = int(sys.argv[3])
    book.close_of_business(date.fromisoformat(sys.argv[2]))
"""
THROUGH = D + timedelta(days=12)
PART_SIZE = 2


def build(book: ClientBook) -> None:
    """Customers who lapse on most days of the run, complaints that fall overdue on one, credit
    lines past due: close of business cuts each date's work into several parts."""
    for n in range(1, 19):
        book.customers.register(
            number=f"C-{n:06d}",
            kind="individual",
            name=f"Holder {n}",
            manager="m-001",
            visit_cycle_days=1 + n // 2,
            by=CLERK,
            on=D,
        )
    customer = book.customers.id_of("C-000001")
    for _ in range(6):
        book.complaints.receive(
            customer=customer,
            category="damages",
            channel="hotline",
            request="refund it",
            department="branch 12",
            by=CLERK,
            on=D,
        )
    for n in range(1, 4):
        line = book.credit.propose_line(
            number=f"L-{n:06d}",
            customer=book.customers.id_of(f"C-{n:06d}"),
            product="working_capital",
            limit=Money("50000.00"),
            rate=Decimal("4.35"),
            start=D,
            maturity=D + timedelta(days=365),
            review=D + timedelta(days=180),
            by=CLERK,
            on=D,
        )
        book.credit.approve_line(line, by=BOSS, on=D)
        book.credit.activate_line(line, by=CLERK, on=D)
        book.credit.draw(line, Money("1000.00"), by=CLERK, on=D, due=D + timedelta(days=n))
    book.close_of_business(D)


def log_after(book: ClientBook, position: int) -> list[tuple[Any, ...]]:
    """The events after a position, as the comparison sees them: aggregate, version, type and
    every field but the time it was recorded."""
    return sorted(
        (
            e.originator_id,
            e.originator_version,
            type(e).__qualname__,
            tuple(sorted((k, repr(v)) for k, v in vars(e).items() if k != "timestamp")),
        )
        for _, e in book.decoded_events(position)
    )


@pytest.fixture
def other_url(store_url: str, tmp_path: Path) -> Iterator[str]:
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'other.db'}"
    else:
        yield from postgres_schema_url()


def test_a_close_of_business_killed_part_way_then_run_again_writes_what_one_run_writes(
    store_url: str, other_url: str
) -> None:
    with ClientBook.open(other_url) as whole:
        build(whole)
        start = whole.head
        whole.app.part_size = PART_SIZE
        whole.close_of_business(THROUGH)
        expected = log_after(whole, start)
    assert len(expected) > 50

    with ClientBook.open(store_url) as book:
        build(book)
        assert book.head == start
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, store_url, THROUGH.isoformat(), str(PART_SIZE)]
        )
        while book.head < start + len(expected) // 2 and child.poll() is None:
            time.sleep(0.002)
        assert child.poll() is None, "the close of business ended before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
        closed = book.last_business_date_closed
        assert start < book.head < start + len(expected) and closed and closed < THROUGH

        book.app.part_size = PART_SIZE
        book.close_of_business(THROUGH)
        assert log_after(book, start) == expected
