"""The demo: a synthetic but realistic book of customers, managers and contacts over business days.

It uses only the public API, as an embedding application would. The same seed gives the same
book (ids, numbers and business dates; only recorded times differ).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Callable
from uuid import UUID

from clientbook.book import ClientBook
from clientbook.domain.actor import Actor
from clientbook.domain.customer import CHANNELS, SURVEY_CHANNELS, TIERS
from clientbook.domain.errors import DomainError

SURNAMES = ("Li", "Wang", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu")
GIVEN = ("Lei", "Mei", "Hua", "Jun", "Ling", "Qiang", "Yan", "Tao", "Xin", "Bo")
FIRMS = ("Trading", "Logistics", "Foods", "Textiles", "Machinery", "Pharma", "Energy")
LOSS_REASONS = ("moved to a competitor's lower rate", "relocated abroad", "business wound up",
                "unhappy with service at the branch", "consolidated accounts elsewhere")
OUTCOMES = ("needs met", "asked about a loan", "will visit the branch", "no answer, retry",
            "updated contact details", "interested in a premium card")

Progress = Callable[[int, int], None]


class Demo:
    """Builds the demo book, one business day at a time."""

    def __init__(self, book: ClientBook, *, seed: int, managers: int, start: date) -> None:
        self.book = book
        self.rng = random.Random(seed)
        self.managers = [f"m-{n:03d}" for n in range(1, managers + 1)]
        self.clerks = [Actor(f"u-clerk-{n}", {"officer"}) for n in range(1, 4)]
        self.supervisor = Actor("u-supervisor", {"supervisor"})
        self.start = start
        self.customers: list[UUID] = []
        self.refused = 0

    def run(self, *, customers: int, days: int, progress: Progress | None = None) -> date:
        per_day = max(1, customers // max(1, days // 2))
        day = self.start
        for n in range(days):
            day = self.start + timedelta(days=n)
            for _ in range(per_day if len(self.customers) < customers else 0):
                self.register(day)
            for _ in range(self.rng.randint(2, 6) + len(self.customers) // 10):
                self.act(day)
            self.book.close_of_business(day)
            if progress:
                progress(n + 1, days)
        return day

    def register(self, on: date) -> None:
        number = f"C-{len(self.customers) + 1:06d}"
        organisation = self.rng.random() < 0.3
        name = (f"{self.rng.choice(SURNAMES)} {self.rng.choice(FIRMS)} Co." if organisation
                else f"{self.rng.choice(SURNAMES)} {self.rng.choice(GIVEN)}")
        manager = self.rng.choices(self.managers, weights=range(len(self.managers), 0, -1))[0]
        customer = self.book.customers.register(
            number=number, kind="organisation" if organisation else "individual", name=name,
            manager=manager, by=self.rng.choice(self.clerks), on=on,
            phone=f"+86 1{self.rng.randint(30, 89)} {self.rng.randint(1000, 9999)} "
                  f"{self.rng.randint(1000, 9999)}",
            document_number=f"{self.rng.randint(110000, 659999)}{self.rng.randint(10**11, 10**12 - 1)}",
            visit_cycle_days=self.rng.choice((7, 14, 30, 30, 60, 90)),
            tier=self.rng.choice(TIERS),
        )
        self.customers.append(customer)
        if self.rng.random() < 0.85:
            self.book.customers.activate(customer, by=self.rng.choice(self.clerks), on=on)

    def act(self, on: date) -> None:
        if not self.customers:
            return
        customer = self.rng.choice(self.customers)
        clerk = self.rng.choice(self.clerks)
        roll = self.rng.random()
        service = self.book.customers
        try:
            if roll < 0.55:
                service.record_contact(customer, channel=self.rng.choice(CHANNELS),
                                       purpose=self.rng.choice(("follow_up", "follow_up", "service", "sales")),
                                       outcome=self.rng.choice(OUTCOMES), by=clerk, on=on)
            elif roll < 0.75:
                service.record_survey(customer, channel=self.rng.choice(SURVEY_CHANNELS),
                                      score=self.rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 4, 8, 6))[0],
                                      by=clerk, on=on)
            elif roll < 0.78:
                service.mark_dormant(customer, reason="no transactions for a quarter", by=clerk, on=on)
            elif roll < 0.795:
                service.mark_lost(customer, reason=self.rng.choice(LOSS_REASONS), by=clerk, on=on)
            elif roll < 0.88:
                service.reactivate(customer, reason="won back after a visit", by=clerk, on=on)
            elif roll < 0.92:
                service.reassign_manager(customer, self.rng.choice(self.managers),
                                         reason="portfolio rebalancing", by=self.supervisor, on=on)
            elif roll < 0.95:
                service.change_segment(customer, self.rng.choice(("ordinary", "major", "premium")),
                                       reason="annual contribution review", by=self.supervisor, on=on)
            elif roll < 0.97:
                service.restrict(customer, reason="adverse credit bureau record", by=self.supervisor, on=on)
            else:
                service.lift_restriction(customer, reason="bureau record cleared", by=self.supervisor, on=on)
        except DomainError:
            self.refused += 1  # a real desk gets refusals too: the rule said no, nothing written
