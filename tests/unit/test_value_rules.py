"""Customer value's rules without I/O (domain/value.py): pro rata by days, the top shares,
the ranking, the Pareto figures and curve, and the segment a rank proposes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from clientbook.domain.value import (
    concentration,
    proposed_segment,
    prorated,
    ranked,
    top_count,
)

JAN, DEC = date(2026, 1, 1), date(2026, 12, 31)


def test_an_amount_counts_by_the_days_of_its_period_inside_the_reports() -> None:
    assert prorated(Decimal("365.00"), (JAN, DEC), (JAN, DEC)) == Decimal("365.00")
    assert prorated(Decimal("100.00"), (JAN, date(2026, 1, 10)), (date(2026, 1, 6), DEC)) == (
        Decimal("50.00")
    )  # 5 of its 10 days
    assert prorated(Decimal("1.00"), (JAN, date(2026, 1, 3)), (JAN, JAN)) == Decimal("0.33")
    assert prorated(Decimal("0.05"), (JAN, date(2026, 1, 2)), (JAN, JAN)) == Decimal(
        "0.03"
    )  # half up
    assert prorated(Decimal("9.00"), (JAN, JAN), (date(2026, 1, 2), DEC)) == Decimal("0.00")
    assert prorated(Decimal("9.00"), (DEC, DEC), (JAN, DEC)) == Decimal("9.00")  # its last day


def test_the_top_share_of_customers_is_rounded_up_to_at_least_one() -> None:
    assert [top_count(n, Decimal(4)) for n in (0, 1, 25, 26, 100)] == [0, 1, 1, 2, 4]
    assert [top_count(n, Decimal(20)) for n in (5, 6, 10)] == [1, 2, 2]
    assert top_count(101, Decimal(20)) == 21  # 20.2 customers: 21


def test_the_largest_contribution_ranks_first_and_ties_go_by_number() -> None:
    assert ranked([("C-2", Decimal(5)), ("C-3", Decimal(9)), ("C-1", Decimal(5))]) == [
        ("C-3", Decimal(9)),
        ("C-1", Decimal(5)),
        ("C-2", Decimal(5)),
    ]


def test_the_pareto_figures_count_the_fewest_customers_reaching_80_percent() -> None:
    c = concentration([Decimal(50), Decimal(30), Decimal(10), Decimal(10), Decimal(0)])
    assert (c.customers, c.total, c.customers_for_80_percent) == (5, Decimal(100), 2)
    assert c.share_of_customers_for_80_percent == Decimal("40.00")
    assert (c.top_4_percent_share, c.top_20_percent_share) == (Decimal("50.00"), Decimal("50.00"))
    assert len(c.curve) == 21 and c.curve[0] == (Decimal("0.00"), Decimal("0.00"))
    assert c.curve[4] == (Decimal("20.00"), Decimal("50.00"))  # the top 1 of 5
    assert c.curve[5] == (Decimal("25.00"), Decimal("80.00"))  # 1.25 rounds up to 2
    assert c.curve[-1] == (Decimal("100.00"), Decimal("100.00"))
    exactly = concentration([Decimal(80), Decimal(20)])
    assert exactly.customers_for_80_percent == 1  # reaching 80% exactly is enough
    below = concentration([Decimal("79.99"), Decimal("20.01")])
    assert below.customers_for_80_percent == 2


def test_without_a_positive_total_there_is_nothing_to_share() -> None:
    for amounts in ([], [Decimal(0)], [Decimal(5), Decimal(-9)]):
        c = concentration(amounts)
        assert (
            c.customers_for_80_percent,
            c.share_of_customers_for_80_percent,
            c.top_4_percent_share,
            c.top_20_percent_share,
            c.curve,
        ) == (None, None, None, None, ())
        assert c.customers == len(amounts)
        assert c.total == sum(amounts, Decimal(0))
    assert str(concentration([]).total) == "0.00"  # an amount in cents, as every total


def test_one_customer_or_a_total_below_one_still_shares_out_all_of_it() -> None:
    alone = concentration([Decimal("250.00")])
    assert (alone.customers_for_80_percent, alone.top_4_percent_share) == (1, Decimal("100.00"))
    small = concentration([Decimal("0.40"), Decimal("0.10")])  # 0.50 in all
    assert (small.customers_for_80_percent, small.top_4_percent_share) == (1, Decimal("80.00"))
    assert alone.curve[-1] == small.curve[-1] == (Decimal("100.00"), Decimal("100.00"))


def test_the_top_4_percent_of_21_customers_is_the_first_one() -> None:
    c = concentration([Decimal(21 - k) for k in range(21)])  # 21, 20, ..., 1: 231 in all
    assert c.top_4_percent_share == Decimal("9.09")  # 21 of 231
    assert c.top_20_percent_share == Decimal("41.13")  # the top 5: 95 of 231


def test_a_share_of_a_half_hundredth_of_a_percent_rounds_half_up() -> None:
    c = concentration([Decimal("797.00"), Decimal("3.00")])  # the top one: 99.625%
    assert c.top_4_percent_share == Decimal("99.63")


def test_a_rank_proposes_its_segment_by_the_policys_shares() -> None:
    def propose(rank: int, amount: str) -> str:
        return proposed_segment(
            rank, 10, Decimal(amount), premium_percent=Decimal(4), major_percent=Decimal(20)
        )

    assert [propose(0, "9"), propose(1, "9"), propose(2, "9"), propose(3, "0.01")] == [
        "premium",
        "major",
        "ordinary",
        "ordinary",
    ]
    assert (propose(0, "0"), propose(9, "-0.01")) == ("potential", "restricted")
