"""Scores proposed from the log's figures: against the period's other managers, the best 100
and the weakest 50; cost the other way round; satisfaction on its own scale; nothing without
a figure. And the days an assessment period covers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from clientbook.domain.assessment import Period, proposed_scores

FIGURES = {
    "volume": {"m-1": Decimal(12), "m-2": Decimal(2), "m-3": Decimal(7)},
    "profit": {"m-1": Decimal("100.00"), "m-2": Decimal("100.00"), "m-3": Decimal("100.00")},
    "cost": {"m-1": Decimal("900.00"), "m-2": Decimal("0.00"), "m-3": Decimal("300.00")},
    "service": {"m-1": Decimal("4.50"), "m-2": None, "m-3": Decimal("1.00")},
}


def test_the_best_figure_scores_100_the_weakest_50_and_the_rest_in_proportion() -> None:
    best, weakest, middle = (proposed_scores(FIGURES, m) for m in ("m-1", "m-2", "m-3"))
    assert (best["volume"][0], weakest["volume"][0], middle["volume"][0]) == (
        Decimal("100.00"),
        Decimal("50.00"),
        Decimal("75.00"),
    )
    assert best["volume"][1] == (
        "customers acquired less customers lost: 12, against 2 to 12 "
        "for the 3 managers of the period"
    )
    assert {m: proposed_scores(FIGURES, m)["profit"][0] for m in ("m-1", "m-2")} == {
        "m-1": Decimal(75),
        "m-2": Decimal(75),
    }  # all equal


def test_lower_cost_scores_higher_and_satisfaction_is_scored_on_its_own_scale() -> None:
    assert proposed_scores(FIGURES, "m-2")["cost"][0] == Decimal("100.00")
    assert proposed_scores(FIGURES, "m-1")["cost"][0] == Decimal("50.00")
    assert proposed_scores(FIGURES, "m-3")["cost"][0] == Decimal("83.33")
    assert proposed_scores(FIGURES, "m-1")["service"] == (
        Decimal("87.50"),
        "the average satisfaction score of the manager's customers: 4.50 of 5",
    )
    assert proposed_scores(FIGURES, "m-3")["service"][0] == Decimal("0.00")
    assert "service" not in proposed_scores(FIGURES, "m-2")  # no survey: nothing to propose
    assert "receivables" not in proposed_scores(FIGURES, "m-1")  # a person scores it


def test_a_period_covers_its_year_quarter_or_month() -> None:
    assert Period.parse("2026").dates == (date(2026, 1, 1), date(2026, 12, 31))
    assert Period.parse("2026-Q2").dates == (date(2026, 4, 1), date(2026, 6, 30))
    assert Period.parse("2026-Q4").dates == (date(2026, 10, 1), date(2026, 12, 31))
    assert Period.parse("2028-02").dates == (date(2028, 2, 1), date(2028, 2, 29))


def test_an_indicator_without_the_managers_figure_leaves_the_others_proposed() -> None:
    figures = {
        "volume": {"m-2": Decimal(3)},
        "service": {"m-1": Decimal("4.00")},
        "profit": {"m-1": Decimal("1.00"), "m-2": Decimal("3.00")},
    }
    assert {k: v[0] for k, v in proposed_scores(figures, "m-1").items()} == {
        "service": Decimal("75.00"),
        "profit": Decimal("50.00"),
    }


def test_satisfaction_outside_one_to_five_is_held_to_the_scale() -> None:
    assert proposed_scores({"service": {"m": Decimal("5.04")}}, "m")["service"][0] == Decimal(100)
    assert proposed_scores({"service": {"m": Decimal("0.96")}}, "m")["service"][0] == Decimal(0)


def test_a_proposed_score_on_a_half_cent_rounds_half_up() -> None:
    assert proposed_scores({"service": {"m": Decimal("4.001")}}, "m")["service"][0] == (
        Decimal("75.03")
    )  # 3.001 x 25 = 75.025
    peers = {"volume": {"m-1": Decimal(1), "m-2": Decimal(0), "m-3": Decimal(10000)}}
    assert proposed_scores(peers, "m-1")["volume"][0] == Decimal("50.01")  # 50 + 50 x 0.0001
