"""The thresholds and roundings that reports apply, on both sides: the 1:15 rule at 14 and 15
customers, the 20% ceiling on long-term dormant cards, and every percentage or average that
lands on a half of its last place (half-up)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

from clientbook import Actor, ClientBook
from clientbook.reports.credit import _percent as credit_percent
from clientbook.projections.cards import CardFact
from clientbook.reports.portfolio import _percent as card_percent, portfolio
from clientbook.reports.complaints import _ratio

D = date(2026, 11, 2)
CLERK = Actor("u-clerk", {"officer"})


def test_a_manager_with_14_customers_is_below_the_1_to_15_rule_and_with_15_is_not(
    book: ClientBook,
) -> None:
    for n in range(29):
        book.customers.register(
            number=f"C-{n:06d}",
            kind="individual",
            name=f"Holder {n}",
            manager="m-fourteen" if n < 14 else "m-fifteen",
            by=CLERK,
            on=D,
        )
    report = book.reports.managers(period_from=D, period_to=D)
    rows = {row.manager: (row.customers, row.below_minimum) for row in report.rows}
    assert report.minimum == 15
    assert rows == {"m-fourteen": (14, True), "m-fifteen": (15, False)}
    assert [row.manager for row in report.below_minimum] == ["m-fourteen"]


def test_a_managers_average_satisfaction_on_a_half_rounds_half_up(book: ClientBook) -> None:
    customer = book.customers.register(
        number="C-000001", kind="individual", name="Li Lei", manager="m-007", by=CLERK, on=D
    )
    for score in (4, 4, 4, 4, 4, 3, 3, 3):  # 29 / 8 = 3.625
        book.customers.record_survey(customer, channel="phone", score=score, by=CLERK, on=D)
    (row,) = book.reports.managers(period_from=D, period_to=D).rows
    assert row.average_satisfaction == Decimal("3.63")


def cards(issued: int, long_term: int) -> list[CardFact]:
    facts, position = [], 0
    for n in range(issued):
        account = uuid4()
        kinds = ["Issued", "Activated"] + (["DormancyChanged"] if n < long_term else [])
        for kind in kinds:
            position += 1
            facts.append(
                CardFact(
                    position,
                    account,
                    kind,
                    D,
                    dormancy="long_term" if kind == "DormancyChanged" else None,
                )
            )
    return facts


def test_long_term_dormant_cards_at_20_percent_are_within_the_ceiling_and_above_it_are_not() -> (
    None
):
    at = portfolio(cards(5, 1), as_of=D, position=10, ceiling_percent=Decimal("20"))
    above = portfolio(cards(995, 200), as_of=D, position=10, ceiling_percent=Decimal("20"))
    assert (at.long_term_dormant_percent, at.long_term_dormant_within_ceiling) == (
        Decimal("20.00"),
        True,
    )
    assert (above.long_term_dormant_percent, above.long_term_dormant_within_ceiling) == (
        Decimal("20.10"),
        False,
    )


def test_report_percentages_and_averages_on_a_half_round_half_up() -> None:
    assert card_percent(1, 800) == Decimal("0.13")  # 0.125%
    assert credit_percent(Decimal("1.00"), Decimal("800.00")) == Decimal("0.13")
    assert _ratio(Decimal("29"), 8) == Decimal("3.63")  # 3.625
    assert _ratio(Decimal("1"), 8) == Decimal("0.13")  # 0.125: the even neighbour is 0.12
