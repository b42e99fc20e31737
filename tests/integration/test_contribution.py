"""The contribution report on SQLite and PostgreSQL: what counts, ranks, shares, proposals, the
as-of rule, a rebuild from zero and a manifest reproduced; segment proposals applied by
command, ✋ where they must be."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Iterator

import pytest

from clientbook import Actor, ClientBook, DomainError, FourEyesError, InvalidValueError, Money
from clientbook.testing import open_card
from clientbook.reports.catalogue import reproduce

D = date(2026, 1, 5)
START, END = date(2026, 1, 1), date(2026, 12, 31)
CLERK = Actor("u-clerk", {"officer"})
BOSS = Actor("u-boss", {"manager"})


@pytest.fixture
def book(store_url: str) -> Iterator[ClientBook]:
    yield from six_customers(store_url)


def six_customers(url: str) -> Iterator[ClientBook]:
    with ClientBook.open(url) as b:
        for n in range(1, 7):
            b.customers.register(
                number=f"C-00000{n}",
                kind="organisation",
                name=f"Firm {n}",
                manager="m-001" if n <= 3 else "m-002",
                by=CLERK,
                on=D,
            )
        yield b


@pytest.fixture
def sqlite_book(tmp_path: object) -> Iterator[ClientBook]:
    """The full scenario's half year of daily closes takes half a minute on PostgreSQL; the
    other tests run on both."""
    yield from six_customers(f"sqlite:///{tmp_path}/book.db")


def cid(book: ClientBook, n: int) -> object:
    return book.customers.id_of(f"C-00000{n}")


def line(book: ClientBook, n: int) -> object:
    line_id = book.credit.propose_line(
        number=f"L-00000{n}",
        customer=cid(book, n),
        product="working_capital",
        limit=Money("100000.00"),
        rate=Decimal("4.35"),
        start=D,
        maturity=D + timedelta(700),
        review=D + timedelta(180),
        by=CLERK,
        on=D,
    )
    book.credit.approve_line(line_id, by=BOSS, on=D)
    book.credit.activate_line(line_id, by=CLERK, on=D)
    return line_id


def card(book: ClientBook, n: int, number: str) -> object:
    return open_card(book, cid(book, n), number, by=CLERK, on=D)


def scenario(book: ClientBook, *, write_off: bool = True) -> dict[str, Decimal]:
    """Six customers; returns the contributions the report must find for 2026. Without
    `write_off`, C-000002 and C-000003 hold no card (the card's half year of daily closes is
    the slow part)."""
    l1 = line(book, 1)
    book.credit.record_income(l1, "interest", Money("5000.00"), by=CLERK, on=date(2026, 3, 31))
    book.credit.record_income(l1, "fee", Money("200.00"), by=CLERK, on=date(2026, 4, 1))
    expected = {
        "C-000001": Decimal("5200.00"),
        "C-000002": Decimal("0.00"),
        "C-000003": Decimal("0.00"),
        "C-000004": Decimal("3730.00"),
        "C-000005": Decimal("0.00"),
        "C-000006": Decimal("0.00"),
    }
    if not write_off:
        contributions(book)
        return expected
    k2 = card(book, 2, "K-000002")
    book.cards.charge_fee(k2, "late", Money("50.00"), by=CLERK, on=date(2026, 2, 1))
    k3 = card(book, 3, "K-000003")
    book.cards.authorise(k3, kind="purchase", amount=Money("1000.00"), merchant="m", by=CLERK, on=D)
    book.close_of_business(D + timedelta(days=31))
    due = book.cards.account(k3).statement[3]  # type: ignore[attr-defined]
    book.close_of_business(due + timedelta(days=180))
    book.cards.approve_write_off(k3, by=BOSS, on=due + timedelta(days=181))
    book.cards.recover(k3, Money("100.00"), by=CLERK, on=due + timedelta(days=200))
    written_off = book.cards.account(k3).written_off.amount  # type: ignore[arg-type]
    contributions(book)
    return {
        **expected,
        "C-000002": charged(book, k2),
        "C-000003": charged(book, k3) - written_off + Decimal("100.00"),
    }


def contributions(book: ClientBook) -> None:
    """Income on lines and amounts reported from outside (no card)."""
    c4 = cid(book, 4)
    book.customers.report_contribution(
        c4,
        source="deposits",
        period_from=START,  # type: ignore[arg-type]
        period_to=date(2026, 6, 30),
        amount=Money("3000.00"),
        by=CLERK,
        on=date(2026, 7, 1),
    )
    book.customers.report_contribution(  # half of it (365 of 730 days) falls in 2026
        c4,
        source="wealth",
        period_from=date(2025, 1, 1),
        period_to=END,  # type: ignore[arg-type]
        amount=Money("1460.00"),
        by=CLERK,
        on=END,
    )
    l6 = line(book, 6)
    book.credit.record_income(l6, "interest", Money("800.00"), by=CLERK, on=date(2027, 1, 2))


def charged(book: ClientBook, account: object) -> Decimal:
    """Interest and fees the card was charged in 2026 (the batch adds late fees)."""
    return sum(
        (
            e.amount.amount
            for e in book.app.repository.event_store.get(account)  # type: ignore[arg-type]
            if type(e).__name__ in ("Charged", "AnnualFeeCharged") and e.on.year == 2026
        ),
        Decimal(0),
    )


def test_each_customers_contribution_counts_what_the_log_earned_in_the_period(
    sqlite_book: ClientBook,
) -> None:
    book = sqlite_book
    expected = scenario(book)
    report = book.reports.contribution(as_of=date(2027, 1, 31), period_from=START, period_to=END)
    assert {c.number: c.contribution for c in report.customers} == expected
    assert expected["C-000003"] < 0  # the write-off cost more than the card earned
    assert [c.number for c in report.customers] == [
        "C-000001",
        "C-000004",
        "C-000002",
        "C-000005",
        "C-000006",
        "C-000003",
    ]
    first = report.customers[0]
    assert (first.line_interest, first.line_fees, first.rank) == (
        Decimal("5000.00"),
        Decimal("200.00"),
        1,
    )
    assert report.customers[1].reported == Decimal("3730.00")
    total = sum(expected.values())
    assert report.total == total and report.customers_counted == 6
    # 5200 alone is below 80% of the total; with 3730 it is above: 2 of 6 customers.
    assert 5200 * 100 < 80 * total <= (5200 + 3730) * 100
    assert (report.customers_for_80_percent, report.share_of_customers_for_80_percent) == (
        2,
        Decimal("33.33"),
    )
    top = (Decimal(5200) * 100 / total).quantize(Decimal("0.01"))
    assert report.top_4_percent_share == top == report.customers[0].cumulative_share_percent
    assert report.top_20_percent_share == (Decimal(8930) * 100 / total).quantize(Decimal("0.01"))
    assert report.pareto_curve[0] == (Decimal("0.00"), Decimal("0.00"))
    assert report.pareto_curve[-1] == (Decimal("100.00"), Decimal("100.00"))
    assert {(m.name, m.customers, m.total) for m in report.by_manager} == {
        ("m-001", 3, expected["C-000001"] + expected["C-000002"] + expected["C-000003"]),
        ("m-002", 3, expected["C-000004"]),
    }
    assert [(s.name, s.customers) for s in report.by_segment] == [("potential", 6)]
    proposals = {p.number: (p.proposed, p.needs_second_person) for p in report.proposals}
    assert proposals == {
        "C-000001": ("premium", True),
        "C-000004": ("major", False),
        "C-000002": ("ordinary", False),
        "C-000003": ("restricted", True),
    }
    rebuilt_and_reproduced(book)


def test_as_of_a_date_and_a_position_the_report_counts_only_what_was_there(
    book: ClientBook,
) -> None:
    scenario(book, write_off=False)
    before_july = book.reports.contribution(
        as_of=date(2026, 6, 30), period_from=START, period_to=date(2026, 6, 30)
    )
    amounts = {c.number: c.contribution for c in before_july.customers}
    assert amounts["C-000001"] == Decimal("5200.00") and amounts["C-000004"] == 0
    head = book.head
    c5 = cid(book, 5)
    book.customers.report_contribution(
        c5,
        source="deposits",
        period_from=START,  # type: ignore[arg-type]
        period_to=END,
        amount=Money("999.00"),
        by=CLERK,
        on=END,
    )
    at_head = book.reports.contribution(as_of=END, period_from=START, period_to=END, position=head)
    now = book.reports.contribution(as_of=END, period_from=START, period_to=END)
    assert {c.number: c.contribution for c in at_head.customers}["C-000005"] == 0
    assert {c.number: c.contribution for c in now.customers}["C-000005"] == Decimal("999.00")


def test_a_customer_closed_before_the_period_is_not_counted_and_other_currencies_are_named(
    book: ClientBook,
) -> None:
    book.customers.close(cid(book, 6), reason="moved away", by=CLERK, on=D)  # type: ignore[arg-type]
    book.customers.report_contribution(
        cid(book, 5),
        source="fx desk",
        period_from=D,  # type: ignore[arg-type]
        period_to=D,
        amount=Money("10.00", "USD"),
        by=CLERK,
        on=D,
    )
    report = book.reports.contribution(as_of=END, period_from=D + timedelta(1), period_to=END)
    assert [c.number for c in report.customers] == [f"C-00000{n}" for n in range(1, 6)]
    assert report.other_currency_amounts == (("USD", 1),)
    assert report.total == 0 and report.customers_for_80_percent is None


def rebuilt_and_reproduced(book: ClientBook) -> None:
    """Rebuilt from zero and reproduced from its manifest, the report is the same."""
    run = book.reports.run(
        "contribution", as_of=date(2027, 1, 31), period_from=START, period_to=END
    )
    book.projections.rebuild(names=["contribution"])
    again = book.reports.contribution(as_of=date(2027, 1, 31), period_from=START, period_to=END)
    assert again == run.report
    result = reproduce(book, run.manifest)
    assert result.identical and result.rows == len(run.rows)
    default = book.reports.run("contribution", as_of=END)
    assert (default.report.period_from, default.report.period_to) == (START, END)


def test_a_proposal_is_applied_by_a_command_per_customer_and_premium_by_two_people(
    book: ClientBook,
) -> None:
    scenario(book, write_off=False)
    report = book.reports.contribution(as_of=END, period_from=START, period_to=END)
    proposal = next(p for p in report.proposals if p.proposed == "premium")
    customer = book.customers.id_of(proposal.number)
    head = book.head
    with pytest.raises(FourEyesError, match="segment premium needs a second person"):
        book.customers.change_segment(
            customer, "premium", reason="contribution report", by=CLERK, on=END
        )
    assert book.head == head
    book.customers.propose_segment(
        customer, "premium", reason="contribution report 2026", by=CLERK, on=END
    )
    with pytest.raises(FourEyesError):
        book.customers.approve_segment(customer, by=CLERK, on=END)
    book.customers.approve_segment(customer, by=BOSS, on=END)
    assert book.customers.get(customer).segment == "premium"
    major = next(p for p in report.proposals if p.proposed == "major")
    book.customers.change_segment(
        book.customers.id_of(major.number),
        "major",
        reason="contribution report 2026",
        by=CLERK,
        on=END,
    )
    after = book.reports.contribution(as_of=END, period_from=START, period_to=END)
    assert {p.number for p in after.proposals} == {p.number for p in report.proposals} - {
        proposal.number,
        major.number,
    }


def test_bad_report_periods_and_income_are_refused_and_write_nothing(book: ClientBook) -> None:
    l1 = line(book, 1)
    head = book.head
    with pytest.raises(InvalidValueError, match="starts 2026-12-31, after its end 2026-01-01"):
        book.reports.contribution(as_of=END, period_from=END, period_to=START)
    for kind, amount in (
        ("bonus", Money("1.00")),
        ("interest", Money("0.00")),
        ("interest", Money("-1.00")),
        ("fee", Money("5.00", "USD")),
    ):
        with pytest.raises(DomainError):
            book.credit.record_income(l1, kind, amount, by=CLERK, on=END)
    assert book.head == head
