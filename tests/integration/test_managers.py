"""`book.managers` on every backend: customers go only to serving, certified managers; a
manager who leaves hands every customer over; the assessment settles the year's grade."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from clientbook import Actor, ClientBook, Money
from clientbook.domain.assessment import BEHAVIOUR, INDICATORS
from clientbook.domain.customer import Customer
from clientbook.domain.errors import (
    AssessmentNotFoundError,
    InvalidTransitionError,
    InvalidValueError,
    ManagerNotFoundError,
    ManagerUnavailableError,
)

D = date(2026, 3, 2)
YEAR_END = date(2026, 12, 31)
HR = Actor("u-hr", {"administration"})
BOSS = Actor("u-boss", {"manager"})
GM = Actor("u-gm", {"general_manager"})
CLERK = Actor("u-clerk", {"officer"})


def register_customer(book: ClientBook, number: str, manager: str) -> UUID:
    return book.customers.register(
        number=number, kind="individual", name=f"Holder {number}", manager=manager, by=CLERK, on=D
    )


def test_customers_go_to_serving_certified_managers_and_follow_one_who_leaves(
    store_url: str,
) -> None:
    with ClientBook.open(store_url) as book:
        book.managers.register(
            manager="m-001",
            name="Li Wei",
            grade="junior",
            branch="Pudong",
            certificate="TC-1",
            by=HR,
            on=D,
        )
        book.managers.register(
            manager="m-002", name="Zhang Min", grade="trainee", branch="Pudong", by=HR, on=D
        )
        first = [register_customer(book, f"C-{i:06d}", "m-001") for i in range(3)]
        register_customer(book, "C-000009", "m-legacy")  # an id nobody registered: allowed

        head = book.head
        with pytest.raises(ManagerUnavailableError, match="no pre-job training certificate"):
            register_customer(book, "C-000010", "m-002")
        with pytest.raises(ManagerUnavailableError):
            book.managers.leave("m-001", hand_over_to="m-002", reason="retires", by=HR, on=D)
        assert book.head == head  # nothing written by either

        book.managers.certify("m-002", "TC-2", by=HR, on=D)
        handed = book.managers.leave("m-001", hand_over_to="m-002", reason="retires", by=HR, on=D)
        assert handed == 3
        for cid in first:
            customer = book.customers.get(cid)
            assert customer.manager == "m-002"
        trail = book.audit.trail(event_type="ManagerReassigned")
        assert len(trail) == 3
        assert not book.managers.get("m-001").active

        head = book.head
        with pytest.raises(ManagerUnavailableError, match="left on 2026-03-02"):
            book.customers.reassign_manager(first[0], "m-001", reason="back", by=CLERK, on=D)
        with pytest.raises(ManagerUnavailableError):
            register_customer(book, "C-000011", "m-001")
        with pytest.raises(InvalidTransitionError, match="cannot be assessed"):
            book.managers.open_assessment("m-001", "2026", by=HR, on=D)
        with pytest.raises(ManagerNotFoundError, match="register them first"):
            book.managers.certify("m-404", "TC-4", by=HR, on=D)
        with pytest.raises(InvalidValueError, match="already registered"):
            book.managers.register(
                manager="m-002", name="Again", grade="junior", branch="Pudong", by=HR, on=D
            )
        assert book.head == head


def assess(book: ClientBook, manager: str, period: str, indicators: int, behaviour: int) -> None:
    book.managers.open_assessment(manager, period, by=HR, on=YEAR_END)
    for name in INDICATORS:
        book.managers.propose_score(
            manager,
            period,
            name,
            Decimal(indicators),
            basis="from the log",
            by=Actor("system:assessment", {"batch"}),
            on=YEAR_END,
        )
        book.managers.confirm_score(manager, period, name, by=HR, on=YEAR_END)
    book.managers.set_score(
        manager,
        period,
        BEHAVIOUR,
        Decimal(behaviour),
        reason="branch head's appraisal",
        by=HR,
        on=YEAR_END,
    )
    book.managers.submit_assessment(manager, period, by=HR, on=YEAR_END)


def test_an_approved_annual_assessment_settles_the_grade_with_the_declared_weights(
    store_url: str,
) -> None:
    with ClientBook.open(store_url) as book:
        for manager, branch in (("m-001", "Pudong"), ("m-002", "Wuhan")):
            book.managers.register(
                manager=manager,
                name=manager,
                grade="intermediate",
                branch=branch,
                certificate="TC",
                by=HR,
                on=D,
            )
        book.managers.declare_abnormal_market(
            year=2026,
            branch="Wuhan",
            reason="lockdown closed the branch for 4 months",
            by=BOSS,
            on=YEAR_END,
        )
        book.managers.approve_declaration(year=2026, branch="Wuhan", by=GM, on=YEAR_END)

        # indicators 90, behaviour 70: 85.00 at 75/25 (up), 80.00 at 50/50 (stays)
        assess(book, "m-001", "2026", 90, 70)
        assess(book, "m-002", "2026", 90, 70)
        assert book.managers.assessment("m-001", "2026").total == Decimal("85.00")
        assert book.managers.assessment("m-002", "2026").total == Decimal("80.00")
        for manager in ("m-001", "m-002"):
            book.managers.approve_assessment(manager, "2026", by=GM, on=YEAR_END)
        assert book.managers.get("m-001").grade == "senior"
        assert book.managers.get("m-001").in_succession_pool
        assert book.managers.get("m-002").grade == "intermediate"
        assert book.managers.get("m-002").moves == ((2026, "none"),)

        assess(book, "m-001", "2026-Q4", 100, 100)  # interim: recorded, moves nothing
        book.managers.approve_assessment("m-001", "2026-Q4", by=GM, on=YEAR_END)
        assert book.managers.get("m-001").grade == "senior"

        head = book.head
        with pytest.raises(InvalidValueError, match="already open"):
            book.managers.open_assessment("m-001", "2026", by=HR, on=YEAR_END)
        with pytest.raises(AssessmentNotFoundError):
            book.managers.confirm_score("m-001", "2025", "volume", by=HR, on=YEAR_END)
        assert book.head == head

    if store_url != "memory:":  # what was written reads back the same
        with ClientBook.open(store_url) as again:
            assert again.managers.get("m-001").grade == "senior"
            assert again.managers.assessment("m-002", "2026").performance_weight == 50


def test_the_managers_report_shows_grades_the_succession_pool_and_customers_left_behind(
    store_url: str,
) -> None:
    with ClientBook.open(store_url) as book:
        book.managers.register(
            manager="m-001",
            name="Li Wei",
            grade="senior",
            branch="Pudong",
            certificate="TC-1",
            by=HR,
            on=D,
        )
        book.managers.register(
            manager="m-002",
            name="Zhang Min",
            grade="junior",
            branch="Wuhan",
            certificate="TC-2",
            by=HR,
            on=D,
        )
        book.managers.register(
            manager="m-003",
            name="Wu Fang",
            grade="principal",
            branch="Wuhan",
            certificate="TC-3",
            by=HR,
            on=D,
        )
        for i in range(2):
            register_customer(book, f"C-{i:06d}", "m-001")
        register_customer(book, "C-000007", "m-legacy")
        book.managers.leave("m-003", hand_over_to="m-002", reason="retires", by=HR, on=D)
        # a customer recorded for m-003 after they left (a book written before the rule, or a
        # writer that read m-003 just before the departure committed): nobody looks after it
        late = Customer.register(
            number="C-000009", kind="individual", name="Late", manager="m-003", by="u-loader", on=D
        )
        book.app.save_all(late)

        report = book.reports.managers(period_from=D, period_to=YEAR_END)
        rows = {row.manager: row for row in report.rows}
        assert (rows["m-001"].grade, rows["m-001"].branch, rows["m-001"].serving) == (
            "senior",
            "Pudong",
            True,
        )
        assert rows["m-001"].customers == 2 and rows["m-001"].below_minimum
        assert (rows["m-002"].grade, rows["m-002"].customers) == ("junior", 0)  # none yet
        assert rows["m-legacy"].registered is False and rows["m-legacy"].serving is None
        assert rows["m-003"].serving is False and not rows["m-003"].below_minimum
        assert [r.manager for r in report.succession_pool] == ["m-001"]  # m-003 left
        assert [(r.manager, r.customers) for r in report.without_manager] == [("m-003", 1)]

        book.managers.open_assessment("m-002", "2026", by=HR, on=YEAR_END)
        for name in (*INDICATORS, BEHAVIOUR):
            book.managers.set_score(
                "m-002", "2026", name, Decimal(95), reason="figures", by=HR, on=YEAR_END
            )
        book.managers.submit_assessment("m-002", "2026", by=HR, on=YEAR_END)
        book.managers.approve_assessment("m-002", "2026", by=GM, on=YEAR_END)
        rows = {r.manager: r for r in book.reports.managers(period_from=D, period_to=YEAR_END).rows}
        assert rows["m-002"].grade == "intermediate"


def test_scores_are_proposed_from_the_log_against_the_periods_other_managers(
    store_url: str,
) -> None:
    with ClientBook.open(store_url) as book:
        for manager in ("m-001", "m-002"):
            book.managers.register(
                manager=manager,
                name=f"Manager {manager}",
                grade="junior",
                branch="Head office",
                certificate="RM-1",
                by=HR,
                on=D,
            )
        for n in range(1, 4):
            register_customer(book, f"C-00000{n}", "m-001")
        quiet = register_customer(book, "C-000009", "m-002")
        book.customers.record_survey(quiet, channel="counter", score=5, by=CLERK, on=D)
        book.customers.report_contribution(
            quiet,
            source="deposits",
            period_from=D,
            period_to=D,
            amount=Money("800.00"),
            by=CLERK,
            on=D,
        )
        head = book.head
        with pytest.raises(AssessmentNotFoundError):
            book.managers.propose_scores("m-001", "2026", by=BOSS, on=YEAR_END)
        assert book.head == head
        book.managers.open_assessment("m-001", "2026", by=BOSS, on=YEAR_END)
        assert book.managers.propose_scores("m-001", "2026", by=BOSS, on=YEAR_END) == 3
        scores = dict(book.managers.assessment("m-001", "2026").scores)
        assert {k: (s.value, s.source) for k, s in scores.items()} == {
            "volume": (Decimal("100.00"), "proposed"),  # 3 acquired against m-002's 1
            "profit": (Decimal("50.00"), "proposed"),  # nothing against 800.00
            "cost": (Decimal("75.00"), "proposed"),
        }  # no write-offs anywhere
        assert scores["volume"].basis == (
            "customers acquired less customers lost: 3, against "
            "1 to 3 for the 2 managers of the period"
        )
        book.managers.open_assessment("m-002", "2026", by=BOSS, on=YEAR_END)
        book.managers.propose_scores("m-002", "2026", by=BOSS, on=YEAR_END)
        other = dict(book.managers.assessment("m-002", "2026").scores)
        assert (other["service"].value, other["profit"].value) == (Decimal(100), Decimal(100))
