"""A portfolio is in one currency: a book whose cards are in several (the demo's yuan beside the
UCI import's New Taiwan dollars) reports each by its currency and never adds amounts across
them; asked for none, it says which there are, and writes nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Iterator
from uuid import UUID, uuid4

import pytest
from click.testing import CliRunner

from clientbook import Actor, ClientBook, InvalidValueError, Money, testing
from clientbook.cli import main
from clientbook.domain.errors import InvalidAmountError
from clientbook.projections.cards import CardFact
from clientbook.reports.portfolio import portfolio

D = date(2026, 1, 5)
LATER = D + timedelta(days=10)
CLERK = Actor("u-clerk", {"officer"})
BOTH = "the book's cards are in CNY, USD: a portfolio is in one currency"


def open_card(book: ClientBook, number: str, currency: str, spend: str) -> UUID:
    customer = book.customers.id_of("C-000001")
    income = Money("20000.00", currency)
    account = testing.open_card(book, customer, number, income=income, by=CLERK, on=D)
    book.cards.authorise(
        account, kind="purchase", amount=Money(spend, currency), merchant="m", by=CLERK, on=D
    )
    return account


def two_currencies(book: ClientBook) -> None:
    book.customers.register(
        number="C-000001", kind="individual", name="Li Lei", manager="m-001", by=CLERK, on=D
    )
    open_card(book, "K-000001", "CNY", "1000.00")
    open_card(book, "K-000002", "CNY", "500.00")
    open_card(book, "K-000003", "USD", "300.00")


def book_file(tmp_path: Path) -> tuple[str, int]:
    """A SQLite book of the cards in two currencies, for the command line: its URL and head."""
    db = f"sqlite:///{tmp_path / 'book.db'}"
    with ClientBook.open(db) as book:
        two_currencies(book)
        return db, book.head


@pytest.fixture
def book(store_url: str) -> Iterator[ClientBook]:
    with ClientBook.open(store_url) as b:
        two_currencies(b)
        yield b


def test_each_currency_has_its_portfolio_and_no_amount_is_added_across_them(
    book: ClientBook,
) -> None:
    dollars = book.reports.portfolio(as_of=LATER, currency="USD")
    yuan = book.reports.portfolio(as_of=LATER, currency="CNY")
    assert (dollars.currency, dollars.issued, dollars.currencies) == ("USD", 1, ("CNY", "USD"))
    assert dollars.accounts_by_bucket == (("current", 1, Decimal("300.00")),)
    assert dollars.accounts_by_status == (("active", 1, Decimal("300.00")),)
    assert (yuan.currency, yuan.issued) == ("CNY", 2)
    assert yuan.accounts_by_bucket == (("current", 2, Decimal("1500.00")),)
    assert dict(yuan.balances_by_class)["normal"] == Decimal("1500.00")
    nothing = book.reports.portfolio(as_of=LATER, currency="EUR")
    assert (nothing.issued, nothing.accounts_by_bucket) == (0, ())


def test_a_book_in_several_currencies_must_say_which_and_a_bad_code_is_refused(
    book: ClientBook,
) -> None:
    head = book.head
    with pytest.raises(InvalidValueError, match=BOTH):
        book.reports.portfolio(as_of=LATER)
    with pytest.raises(InvalidAmountError, match="'usd' is not a three-letter ISO 4217 code"):
        book.reports.portfolio(as_of=LATER, currency="usd")
    assert book.head == head


def test_a_report_run_through_the_api_takes_the_portfolios_currency(book: ClientBook) -> None:
    """`book.reports.run` as the command line's `report`: the currency chooses the portfolio's
    and goes in its manifest; any other report refuses one, writing nothing."""
    with pytest.raises(InvalidValueError, match=BOTH):
        book.reports.run("portfolio", as_of=LATER)
    run = book.reports.run("portfolio", as_of=LATER, currency="USD")
    assert run.manifest["parameters"]["currency"] == "USD"
    assert ("currency", "USD") in [tuple(row[:2]) for row in run.manifest["rows"]]
    head = book.head
    with pytest.raises(InvalidValueError, match="a currency is for the portfolio"):
        book.reports.run("complaints", as_of=LATER, currency="USD")
    assert book.head == head


def test_before_the_second_currency_the_book_has_one_portfolio(book: ClientBook) -> None:
    """As of a log position before the dollar card, the yuan is the only currency."""
    before = next(e.position for e in book.events() if "USD" in str(e.state)) - 1
    past = book.reports.portfolio(as_of=LATER, position=before)
    assert (past.currency, past.currencies, past.issued) == ("CNY", ("CNY",), 2)


def test_write_offs_and_recoveries_count_in_their_accounts_currency() -> None:
    yuan, dollars, on = uuid4(), uuid4(), date(2027, 1, 15)
    facts = [
        CardFact(1, yuan, "Applied", on, decision="approved", currency="CNY"),
        CardFact(2, dollars, "Applied", on, decision="approved", currency="USD"),
        CardFact(3, yuan, "Issued", on),
        CardFact(4, dollars, "Issued", on),
        CardFact(5, yuan, "Charged", on, amount=Decimal("700.00")),
        CardFact(6, dollars, "Charged", on, amount=Decimal("90.00")),
        CardFact(7, yuan, "WrittenOff", on, amount=Decimal("700.00")),
        CardFact(8, dollars, "WrittenOff", on, amount=Decimal("90.00")),
        CardFact(9, dollars, "Recovered", on, amount=Decimal("10.00")),
    ]
    ceiling = Decimal("20")
    cny = portfolio(facts, as_of=on, position=9, ceiling_percent=ceiling, currency="CNY")
    usd = portfolio(facts, as_of=on, position=9, ceiling_percent=ceiling, currency="USD")
    assert (cny.written_off, cny.recovered) == (Decimal("700.00"), Decimal(0))
    assert (usd.written_off, usd.recovered) == (Decimal("90.00"), Decimal("10.00"))
    with pytest.raises(InvalidValueError, match=BOTH):
        portfolio(facts, as_of=on, position=9, ceiling_percent=ceiling)


def test_the_command_line_asks_for_the_currency_and_names_it_in_every_format(
    tmp_path: Path,
) -> None:
    db, head = book_file(tmp_path)
    runner = CliRunner()
    base = ["--db", db, "report", "portfolio", "--as-of", LATER.isoformat()]
    refused = runner.invoke(main, base)
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert BOTH in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    listed = runner.invoke(main, [*base, "--currency", "USD", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    document = json.loads(listed.stdout)
    assert (document["currency"], document["currencies"]) == ("USD", ["CNY", "USD"])
    assert document["accounts_by_bucket"] == [["current", 1, "300.00"]]
    table = runner.invoke(main, [*base, "--currency", "USD"])
    assert "balance (USD)" in table.stdout and "also in CNY" in table.stdout
    csv = runner.invoke(main, [*base, "--currency", "CNY", "--format", "csv"])
    assert csv.stdout.splitlines()[:2] == ["bucket,accounts,balance (CNY)", "current,2,1500.00"]
    manifest = tmp_path / "portfolio.json"
    made = runner.invoke(main, [*base, "--currency", "USD", "--manifest", str(manifest)])
    assert made.exit_code == 0, made.output
    assert json.loads(manifest.read_text())["parameters"]["currency"] == "USD"
    again = runner.invoke(main, ["--db", db, "reproduce", str(manifest)])
    assert again.exit_code == 0, again.output
    with ClientBook.open(db) as book:
        assert book.head == head


def test_the_html_report_shows_the_policys_currency_and_names_the_others(book: ClientBook) -> None:
    from clientbook.reports.html import collect, render_html

    inputs = collect(book, as_of=LATER, position=book.head)
    assert (inputs.portfolio.currency, inputs.portfolio.issued) == ("CNY", 2)
    page = render_html(inputs)
    assert "Card balances by delinquency bucket, CNY" in page
    assert "Cards in other currencies (a portfolio each)</th><td>USD</td>" in page


def test_currency_is_refused_for_other_reports_and_chooses_the_html_pages_portfolio(
    tmp_path: Path,
) -> None:
    db, _ = book_file(tmp_path)
    runner = CliRunner()
    on = ["--as-of", LATER.isoformat()]
    refused = runner.invoke(main, ["--db", db, "report", "contribution", *on, "--currency", "USD"])
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert "--currency is for the portfolio" in refused.stderr
    page = tmp_path / "page.html"
    written = runner.invoke(
        main, ["--db", db, "report", "portfolio", *on, "--currency", "USD", "--html", str(page)]
    )
    assert written.exit_code == 0, written.output
    html = page.read_text()
    assert "Card balances by delinquency bucket, USD" in html
    assert "Cards in other currencies (a portfolio each)</th><td>CNY</td>" in html


def test_a_portfolio_manifest_made_before_portfolios_had_a_currency(tmp_path: Path) -> None:
    """It lacks the currency rows and names none: where the cards were in one currency then,
    it reproduces; where they were in several, its figures added them, and it is refused."""
    from clientbook.reports.catalogue import Parameters, reproduce, run_report

    with ClientBook.open(f"sqlite:///{tmp_path / 'book.db'}") as book:
        two_currencies(book)
        dollars = next(e.position for e in book.events() if "USD" in str(e.state))
        for position in (dollars - 1, book.head):
            run = run_report(
                book, "portfolio", Parameters(LATER, None, None, "CNY"), position=position
            )
            old = {
                **run.manifest,
                "parameters": Parameters(LATER).as_json(),
                "rows": [r for r in run.manifest["rows"] if r[0] not in ("currency", "currencies")],
            }
            if position < dollars:
                assert reproduce(book, old).identical
            else:
                with pytest.raises(
                    InvalidValueError, match="adds the amounts of cards in CNY, USD"
                ):
                    reproduce(book, old)
