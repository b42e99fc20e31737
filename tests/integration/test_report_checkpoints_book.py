"""A book's as-of reports resume from the checkpoints they leave, and answer what a full
replay of the facts answers: the demo's book, reports at rising positions as of random dates."""

from __future__ import annotations

import fcntl
import os
import random
from datetime import date, timedelta
from pathlib import Path

from clientbook import ClientBook
from clientbook.demo import Demo
from clientbook.projections.cards import CardAccountsProjection
from clientbook.reports.portfolio import PortfolioFold, portfolio
from clientbook.reports.complaints import complaints_report

START = date(2026, 7, 1)
DAYS = 40


def test_as_of_reports_from_checkpoints_equal_the_full_replay_at_rising_positions() -> None:
    rng = random.Random(16)
    with ClientBook.open("memory:") as book:
        Demo(book, seed=16, managers=2, start=START).run(customers=14, days=DAYS)
        checkpoints = book.card_accounts.checkpoints
        assert checkpoints is not None and checkpoints is book.complaint_cards.checkpoints
        checkpoints.every = 1  # every report leaves one
        head = book.head
        cards, facts = book.card_accounts._view, book.complaint_cards._facts  # the views
        for _ in range(3):
            on = START + timedelta(days=rng.randrange(DAYS))
            period_to = on + timedelta(days=rng.randrange(10))
            for position in sorted(rng.sample(range(1, head + 1), 3)) + [head]:
                got = book.reports.portfolio(as_of=on, position=position)
                assert got == portfolio(
                    cards.facts(up_to_position=position),
                    as_of=on,
                    position=position,
                    ceiling_percent=got.long_term_dormant_ceiling_percent,
                    currency=got.currency,  # the policy's while no card is issued
                )
                complaints = book.reports.complaints(
                    period_from=START, period_to=period_to, as_of=on, position=position
                )
                assert complaints == complaints_report(
                    facts.facts(up_to_position=position),
                    period_from=START,
                    period_to=period_to,
                    as_of=on,
                    position=position,
                )
        assert checkpoints.nearest("portfolio", PortfolioFold.key(on, None), head)


def test_no_checkpoint_stands_on_facts_an_older_version_built(tmp_path: Path) -> None:
    """While another process rebuilds the card facts for a new version, the old tables answer;
    a checkpoint folded from them would be filed under the new version's key and outlive the
    rebuild, so none is read or made until the new facts are in."""
    url = f"sqlite:///{tmp_path / 'book.db'}"
    with ClientBook.open(url) as book:
        Demo(book, seed=16, managers=2, start=START).run(customers=14, days=DAYS)
        on = START + timedelta(days=DAYS - 1)
        book.projections._records.set_version("card_accounts", CardAccountsProjection.version - 1)
    leases = tmp_path / "book.db.leases"
    leases.mkdir(exist_ok=True)
    held = os.open(leases / "rebuild-card_accounts", os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX)  # the other process's rebuild
    try:
        with ClientBook.open(url) as book:
            checkpoints = book.card_accounts.checkpoints
            assert checkpoints is not None
            checkpoints.every = 1
            key = PortfolioFold.key(on, None)
            book.reports.portfolio(as_of=on)
            assert checkpoints.nearest("portfolio", key, book.head) is None
    finally:
        fcntl.flock(held, fcntl.LOCK_UN)
        os.close(held)
    with ClientBook.open(url) as book:  # the rebuild is done: the new facts answer
        checkpoints = book.card_accounts.checkpoints
        assert checkpoints is not None
        checkpoints.every = 1
        book.reports.portfolio(as_of=on)
        assert checkpoints.nearest("portfolio", key, book.head) is not None
