"""PAR30, PAR90 and the NPL ratio: which buckets and classes count, and the edges."""

from __future__ import annotations

from decimal import Decimal

from clientbook.domain.ratios import npl_ratio, portfolio_at_risk

BALANCES = [
    ("current", Decimal("700")),
    ("1-29", Decimal("100")),
    ("30-59", Decimal("50")),
    ("60-89", Decimal("50")),
    ("90-119", Decimal("60")),
    ("180+", Decimal("40")),
]


def test_par30_counts_every_bucket_from_30_days_and_par90_from_90() -> None:
    assert portfolio_at_risk(BALANCES, 30) == Decimal("20.00")  # 200 of 1,000
    assert portfolio_at_risk(BALANCES, 90) == Decimal("10.00")  # 100 of 1,000
    assert portfolio_at_risk([("1-29", Decimal("1"))], 30) == Decimal("0.00")  # 29 days is not
    assert portfolio_at_risk([("30-59", Decimal("1"))], 90) == Decimal("0.00")
    assert portfolio_at_risk([("current", Decimal("0"))], 30) is None


def test_the_npl_ratio_is_substandard_doubtful_and_loss_over_all_outstanding() -> None:
    classes = [
        ("normal", Decimal("600")),
        ("special_mention", Decimal("100")),
        ("substandard", Decimal("100")),
        ("doubtful", Decimal("100")),
        ("loss", Decimal("100")),
    ]
    assert npl_ratio(classes) == Decimal("30.00")
    assert npl_ratio([("special_mention", Decimal("3"))]) == Decimal("0.00")
    assert npl_ratio([("normal", Decimal("1")), ("loss", Decimal("2"))]) == Decimal("66.67")
    assert npl_ratio([]) is None


def test_a_ratio_on_a_half_hundredth_of_a_percent_rounds_half_up() -> None:
    assert npl_ratio([("normal", Decimal("3")), ("loss", Decimal("797"))]) == Decimal("99.63")
    assert portfolio_at_risk([("current", Decimal("799")), ("90-119", Decimal("1"))], 90) == (
        Decimal("0.13")
    )  # 0.125%
