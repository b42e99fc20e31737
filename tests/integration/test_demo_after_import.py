"""The demo's activity continuing a book the UCI import built (the million-event book of
benchmarks/bench_bulk.py, in small): its customers and cards numbered after the import's, and
every report of the catalogue running on the book they make together."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from clientbook import ClientBook
from clientbook.demo import Demo
from clientbook.domain.errors import DomainError
from clientbook.reports.catalogue import REPORTS, Parameters, run_report
from clientbook.reports.html import collect, render_html

ROWS = 12
START = date(2005, 10, 2)  # the import closes business up to 2005-09-25


def test_the_demo_continues_a_uci_import_with_numbers_after_its_own(
    tmp_path: Path, card_data: Path
) -> None:
    with ClientBook.open(f"sqlite:///{tmp_path / 'book.db'}") as book:
        book.import_uci_cards(card_data, rows=ROWS)
        imported = book.head
        demo = Demo(book, seed=16, managers=2, start=START, numbers_after=ROWS)
        last = demo.run(customers=20, days=8)  # cards opened on day 5
        assert book.head > imported and book.last_business_date_closed == last
        numbers = [book.customers.get(c).number for c in demo.customers]
        assert numbers[0] == f"C-{ROWS + 1:06d}" and len(set(numbers)) == len(numbers)
        cards = [book.cards.account(a).number for a in demo.cards]
        assert cards and all(int(n.removeprefix("K-")) > ROWS for n in cards)
        for currency in ("TWD", "CNY"):  # the import's cards, and the demo's
            for name in REPORTS:
                asked = Parameters(last, START, last, currency if name == "portfolio" else None)
                run = run_report(book, name, asked)
                assert run.manifest["log"]["position"] == book.head, name
            portfolio = book.reports.portfolio(as_of=last, currency=currency)
            assert portfolio.issued == ROWS if currency == "TWD" else portfolio.issued >= len(cards)
            page = render_html(collect(book, as_of=last, currency=currency))
            assert '<section id="managers">' in page


def test_without_numbers_after_the_demo_would_take_a_number_the_import_holds(
    tmp_path: Path, card_data: Path
) -> None:
    with ClientBook.open(f"sqlite:///{tmp_path / 'book.db'}") as book:
        book.import_uci_cards(card_data, rows=ROWS)
        with pytest.raises(DomainError, match="C-000001"):
            Demo(book, seed=16, managers=2, start=START).run(customers=20, days=2)
