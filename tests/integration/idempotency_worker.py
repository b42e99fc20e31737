"""A process that gives keyed commands at the same moment as another (test_idempotency_processes).

Its own small module, so that a spawned process imports only clientbook and this."""

from __future__ import annotations

from datetime import date
from typing import Any

from clientbook import Actor, ClientBook, Money

D = date(2026, 1, 5)
TELLER = Actor("u-teller", {"officer"})
ROUNDS = 3


def retry_in_a_process(url: str, start: Any, results: Any) -> None:
    """Receives a complaint and draws on a line with the other process, ROUNDS times, each
    time with the key the other gives."""
    with ClientBook.open(url) as book:
        customer = book.customers.id_of("C-000001")
        line = book.credit.id_of_line("L-000001")
        for n in range(ROUNDS):
            start.wait()
            complaint = book.complaints.receive(
                customer=customer,
                category="damages",
                channel="hotline",
                request="refund it",
                department="branch 12",
                by=TELLER,
                on=D,
                idempotency_key=f"complaint-{n}",
            )
            start.wait()
            book.credit.draw(line, Money("100.00"), by=TELLER, on=D, idempotency_key=f"draw-{n}")
            results.put((n, str(complaint), book.last_written))
