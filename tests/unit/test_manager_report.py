"""The managers report's rows, made of the figures the manager view counts
(clientbook/reports/managers.py), without a book."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

from clientbook.projections.managers import Assessed, LostCustomer, ManagerFigures
from clientbook.reports.managers import manager_report

D = date(2026, 3, 31)


def report(**figures: object) -> dict[str, object]:
    parts: dict[str, object] = dict(
        books={}, activity={}, lost=(), registered={}, assessed={}, position=42
    )
    parts.update(figures)
    made = manager_report(
        ManagerFigures(**parts),  # type: ignore[arg-type]
        period_from=date(2026, 3, 1),
        period_to=D,
        minimum=15,
    )
    assert (made.period_from, made.period_to, made.minimum, made.position) == (
        date(2026, 3, 1),
        D,
        15,
        42,
    )
    return {row.manager: row for row in made.rows}


def test_a_serving_manager_under_the_minimum_is_below_it_and_one_who_left_is_not() -> None:
    rows = report(
        books={"m-1": (14, 2), "m-2": (15, 0), "m-3": (3, 0)},
        registered={"m-1": ("junior", "Head office", True), "m-3": ("senior", "Harbour", False)},
    )
    assert rows["m-1"].below_minimum and rows["m-1"].lapsed == 2
    assert not rows["m-2"].below_minimum  # 15 of 15
    assert not rows["m-3"].below_minimum and rows["m-3"].serving is False
    assert rows["m-2"].grade is None and not rows["m-2"].registered  # nobody registered m-2


def test_the_average_satisfaction_is_the_periods_scores_over_its_surveys_to_the_cent() -> None:
    rows = report(activity={"m-1": (5, 2, 3, 13), "m-2": (1, 0, 0, 0)})
    assert (rows["m-1"].contacts, rows["m-1"].follow_ups, rows["m-1"].surveys) == (5, 2, 3)
    assert rows["m-1"].average_satisfaction == Decimal("4.33")  # 13 / 3, half up
    assert rows["m-2"].average_satisfaction is None  # no survey: nothing to divide
    assert rows["m-2"].customers == 0 and rows["m-2"].below_minimum


def test_a_manager_who_only_lost_a_customer_in_the_period_has_a_row_and_the_loss_is_listed() -> (
    None
):
    lost = LostCustomer(uuid4(), "C-000009", "m-7", D, "moved abroad")
    made = manager_report(
        ManagerFigures({}, {}, (lost,), {}, {}, 1), period_from=D, period_to=D, minimum=15
    )
    assert [(r.manager, r.contacts, r.surveys) for r in made.rows] == [("m-7", 0, 0)]
    assert made.lost == (lost,)


def test_each_row_shows_the_latest_annual_assessment_with_its_weight() -> None:
    latest = Assessed("m-1", "2025", Decimal("75"), Decimal("88.5"), date(2026, 1, 20))
    rows = report(books={"m-1": (20, 0), "m-2": (20, 0)}, assessed={"m-1": latest})
    assert (rows["m-1"].assessed, rows["m-1"].assessment_total, rows["m-1"].performance_weight) == (
        "2025",
        Decimal("88.5"),
        Decimal("75"),
    )
    assert rows["m-2"].assessed is None and rows["m-2"].assessment_total is None
    assert list(rows) == ["m-1", "m-2"]  # by manager id
