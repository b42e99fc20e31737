"""The contribution report adds up to the postings in the log: over random income on credit
lines, card fees and contributions reported for random periods, every customer's parts and the
total equal what the stored events say (read here on their own, not through the report), and
the shares follow from the ranked amounts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from clientbook import Actor, ClientBook, Money
from clientbook.domain.value import prorated
from clientbook.testing import amounts

D = date(2026, 1, 5)
CLERK, BOSS = Actor("u-clerk", {"officer"}), Actor("u-boss", {"manager"})
NUMBERS = ("C-000001", "C-000002", "C-000003", "C-000004")
PERIOD = (date(2026, 2, 1), date(2026, 6, 30))
DAYS = st.integers(0, 240).map(lambda n: D + timedelta(days=n))
POSTING = st.tuples(
    st.sampled_from(NUMBERS),
    st.sampled_from(["interest", "fee", "card fee", "reported"]),
    amounts(min_value=Decimal("0.01"), max_value=Decimal("99999.99")),
    DAYS,
    st.integers(0, 200),  # a reported amount's period length, in days
)


def open_book() -> tuple[ClientBook, dict[str, Any], dict[str, Any]]:
    book = ClientBook.open("memory:")
    lines, cards = {}, {}
    for n, number in enumerate(NUMBERS, 1):
        customer = book.customers.register(
            number=number,
            kind="organisation",
            name=f"Firm {n}",
            manager=f"m-00{n % 2}",
            by=CLERK,
            on=D,
        )
        line = book.credit.propose_line(
            number=f"L-00000{n}",
            customer=customer,
            product="working_capital",
            limit=Money("100000.00"),
            rate=Decimal("4.35"),
            start=D,
            maturity=D + timedelta(700),
            review=D + timedelta(180),
            by=CLERK,
            on=D,
        )
        book.credit.approve_line(line, by=BOSS, on=D)
        book.credit.activate_line(line, by=CLERK, on=D)
        card = book.cards.apply(
            number=f"K-00000{n}",
            customer=customer,
            monthly_income=Money("20000.00"),
            age=40,
            by=CLERK,
            on=D,
        )
        book.cards.issue(
            card,
            token=f"tok_{n}",
            last4="4321",
            apr=Decimal("18"),
            annual_fee=Money("0.00"),
            expiry=D + timedelta(days=1095),
            by=CLERK,
            on=D,
        )
        lines[number], cards[number] = line, card
    return book, lines, cards


@given(postings=st.lists(POSTING, max_size=25))
def test_every_customers_contribution_is_the_sum_of_its_postings_in_the_period(
    postings: list[tuple[str, str, Decimal, date, int]],
) -> None:
    book, lines, cards = open_book()
    with book:
        for number, kind, amount, on, length in postings:
            if kind in ("interest", "fee"):
                book.credit.record_income(lines[number], kind, Money(amount), by=CLERK, on=on)
            elif kind == "card fee":
                book.cards.charge_fee(cards[number], "late", Money(amount), by=CLERK, on=on)
            else:
                book.customers.report_contribution(
                    book.customers.id_of(number),
                    source="deposits",
                    period_from=on,
                    period_to=on + timedelta(days=length),
                    amount=Money(amount),
                    by=CLERK,
                    on=on + timedelta(days=length),
                )
        as_of = D + timedelta(days=500)
        report = book.reports.contribution(as_of=as_of, period_from=PERIOD[0], period_to=PERIOD[1])
        expected = postings_in_the_log(book, lines, cards)
        found = {
            c.number: (c.line_interest, c.line_fees, c.card_fees, c.reported)
            for c in report.customers
        }
        assert found == expected
        assert {c.number: c.contribution for c in report.customers} == {
            n: sum(parts, Decimal(0)) for n, parts in expected.items()
        }
        assert report.total == sum((sum(p, Decimal(0)) for p in expected.values()), Decimal(0))
        ranked = [c.contribution for c in report.customers]
        assert ranked == sorted(ranked, reverse=True)
        if report.total > 0:
            reach = report.customers_for_80_percent
            assert reach is not None
            assert sum(ranked[:reach]) * 100 >= 80 * report.total
            assert sum(ranked[: reach - 1]) * 100 < 80 * report.total
        event(f"customers with a contribution: {sum(1 for c in ranked if c)}")


def postings_in_the_log(
    book: ClientBook, lines: dict[str, Any], cards: dict[str, Any]
) -> dict[str, tuple[Decimal, ...]]:
    """Each customer's (line interest, line fees, card fees, reported) from the stored events."""
    owner = {**{v: k for k, v in lines.items()}, **{v: k for k, v in cards.items()}}
    customers = {book.customers.id_of(n): n for n in NUMBERS}
    sums = {n: [Decimal("0.00")] * 4 for n in NUMBERS}
    for _, e in book.decoded_events():
        kind = type(e).__name__
        if kind == "IncomeRecorded" and PERIOD[0] <= e.on <= PERIOD[1]:
            sums[owner[e.originator_id]][0 if e.kind == "interest" else 1] += e.amount.amount
        elif kind == "Charged" and PERIOD[0] <= e.on <= PERIOD[1]:
            sums[owner[e.originator_id]][2] += e.amount.amount
        elif kind == "ContributionReported":
            sums[customers[e.originator_id]][3] += prorated(
                e.amount.amount, (e.period_from, e.period_to), PERIOD
            )
    return {n: tuple(parts) for n, parts in sums.items()}
