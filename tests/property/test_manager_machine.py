"""A state machine over relationship managers across years (issue 14): random certifications,
departures with hand-overs, reassignments, abnormal-market declarations and annual assessments
against a small model of its own.

After every step: each manager's grade equals the model's (never more than one step a year, by
the score bands, at the weights the year and branch were declared for); no customer is looked
after by a manager who left; a refused command wrote nothing. At the end, every manager and
customer replayed from the stored events (past the cache) equals what the book answers.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from attrs import define, field
from hypothesis import Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from clientbook import Actor, ClientBook, DomainError
from clientbook.domain.assessment import BEHAVIOUR, INDICATORS
from clientbook.domain.manager import RelationshipManager, manager_id

GRADES = ("trainee", "junior", "intermediate", "senior", "principal")  # the essay's, in order
BRANCHES = ("Pudong", "Wuhan")
MANAGERS = ("m-1", "m-2", "m-3", "m-4")
CUSTOMERS = tuple(f"C-{i:06d}" for i in range(1, 7))
YEARS = (2026, 2027, 2028)
HR = Actor("u-hr", {"administration"})
GM = Actor("u-gm", {"general_manager"})
BOSS = Actor("u-boss", {"manager"})
CLERK = Actor("u-clerk", {"officer"})
scores = st.one_of(  # any score to the cent, and often one on a band's edge
    st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n) / 100),
    st.sampled_from([Decimal(v) for v in ("59.99", "60", "84.99", "85", "100")]),
)


@define
class Manager:
    grade: str
    branch: str
    certified: bool
    active: bool = True
    assessed: set[int] = field(factory=set)


def expected_total(indicators: Decimal, behaviour: Decimal, abnormal: bool) -> Decimal:
    weight = Decimal(50 if abnormal else 75)
    weighted = (indicators * weight + behaviour * (100 - weight)) / 100
    return weighted.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class ManagerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.book = ClientBook.open("memory:")
        self.managers: dict[str, Manager] = {}
        self.looked_after: dict[str, str] = {}  # customer number -> manager
        self.ids: dict[str, object] = {}
        self.declared: set[tuple[int, str]] = set()
        self.approved: set[tuple[int, str]] = set()

    def teardown(self) -> None:
        self.book.close()

    def give(self, command: object, allowed: bool) -> bool:
        head = self.book.head
        try:
            command()  # type: ignore[operator]
        except DomainError:
            assert not allowed, "the model expected the command to be accepted"
            assert self.book.head == head, "a refused command wrote events"
            event("refused")
            return False
        assert allowed, "the model expected a refusal"
        event("accepted")
        return True

    @initialize(
        grades=st.lists(st.sampled_from(GRADES), min_size=4, max_size=4),
        certified=st.lists(st.booleans(), min_size=4, max_size=4),
    )
    def start(self, grades: list[str], certified: list[bool]) -> None:
        on = date(2026, 1, 5)
        for n, manager in enumerate(MANAGERS):
            self.book.managers.register(
                manager=manager,
                name=manager,
                grade=grades[n],
                branch=BRANCHES[n % 2],
                certificate="TC" if certified[n] or n == 0 else None,
                by=HR,
                on=on,
            )
            self.managers[manager] = Manager(grades[n], BRANCHES[n % 2], certified[n] or n == 0)
        for number in CUSTOMERS:
            self.ids[number] = self.book.customers.register(
                number=number, kind="individual", name=number, manager="m-1", by=CLERK, on=on
            )
            self.looked_after[number] = "m-1"

    def can_take(self, manager: str) -> bool:
        m = self.managers[manager]
        return m.active and m.certified

    @rule(manager=st.sampled_from(MANAGERS))
    def certify(self, manager: str) -> None:
        if self.give(
            lambda: self.book.managers.certify(manager, "TC-x", by=HR, on=date(2026, 2, 1)),
            self.managers[manager].active,
        ):
            self.managers[manager].certified = True

    @rule(customer=st.sampled_from(CUSTOMERS), manager=st.sampled_from(MANAGERS))
    def reassign(self, customer: str, manager: str) -> None:
        allowed = self.can_take(manager) and self.looked_after[customer] != manager
        if self.give(
            lambda: self.book.customers.reassign_manager(
                self.ids[customer],
                manager,
                reason="workload",
                by=CLERK,  # type: ignore[arg-type]
                on=date(2026, 2, 1),
            ),
            allowed,
        ):
            self.looked_after[customer] = manager

    @rule(manager=st.sampled_from(MANAGERS), to=st.sampled_from(MANAGERS))
    def leave(self, manager: str, to: str) -> None:
        allowed = self.managers[manager].active and to != manager and self.can_take(to)
        if allowed and sum(m.active for m in self.managers.values()) <= 2:
            return  # keep two serving managers, so the machine goes on assessing
        if self.give(
            lambda: self.book.managers.leave(
                manager, hand_over_to=to, reason="left", by=HR, on=date(2026, 6, 1)
            ),
            allowed,
        ):
            self.managers[manager].active = False
            for customer, holder in self.looked_after.items():
                if holder == manager:
                    self.looked_after[customer] = to

    @rule(year=st.sampled_from(YEARS), branch=st.sampled_from(BRANCHES), approve=st.booleans())
    def declare_abnormal_market(self, year: int, branch: str, approve: bool) -> None:
        if self.give(
            lambda: self.book.managers.declare_abnormal_market(
                year=year, branch=branch, reason="floods", by=BOSS, on=date(year, 12, 1)
            ),
            (year, branch) not in self.declared,
        ):
            self.declared.add((year, branch))
        if approve and self.give(
            lambda: self.book.managers.approve_declaration(
                year=year, branch=branch, by=GM, on=date(year, 12, 1)
            ),
            (year, branch) not in self.approved,
        ):
            self.approved.add((year, branch))

    @rule(
        manager=st.sampled_from(MANAGERS),
        year=st.sampled_from(YEARS),
        indicators=scores,
        behaviour=scores,
    )
    def assess(self, manager: str, year: int, indicators: Decimal, behaviour: Decimal) -> None:
        m = self.managers[manager]
        period, on = str(year), date(year, 12, 31)
        if not self.give(
            lambda: self.book.managers.open_assessment(manager, period, by=HR, on=on),
            m.active and year not in m.assessed,
        ):
            return
        m.assessed.add(year)
        for name in INDICATORS:
            self.book.managers.set_score(
                manager, period, name, indicators, reason="figures", by=HR, on=on
            )
        self.book.managers.set_score(
            manager, period, BEHAVIOUR, behaviour, reason="appraisal", by=HR, on=on
        )
        self.book.managers.submit_assessment(manager, period, by=HR, on=on)
        abnormal = (year, m.branch) in self.approved
        total = expected_total(indicators, behaviour, abnormal)
        assert self.book.managers.assessment(manager, period).total == total
        self.book.managers.approve_assessment(manager, period, by=GM, on=on)
        step = 1 if total >= 85 else -1 if total < 60 else 0
        event(f"grade move {step:+d}" + (" (abnormal market)" if abnormal else ""))
        m.grade = GRADES[min(max(GRADES.index(m.grade) + step, 0), len(GRADES) - 1)]

    @invariant()
    def grades_and_holders_match_the_model(self) -> None:
        for manager, expected in self.managers.items():
            record = self.book.managers.get(manager)
            assert (record.grade, record.active) == (expected.grade, expected.active)
            assert {year for year, _ in record.moves} == expected.assessed
        for customer, manager in self.looked_after.items():
            assert self.managers[manager].active, f"{customer} is with {manager}, who left"
            assert self.book.customers.get(self.ids[customer]).manager == manager  # type: ignore[arg-type]

    def check_replayed(self) -> None:
        for manager in MANAGERS:
            replayed: RelationshipManager = self.book.app.repository.get(
                manager_id(manager), version=2**62
            )
            assert replayed.grade == self.book.managers.get(manager).grade
            assert replayed.moves == dict(self.book.managers.get(manager).moves)

    @rule()
    def replay_from_the_log(self) -> None:
        self.check_replayed()

    @rule()
    def the_managers_report_rebuilt_from_zero_equals_the_live_one(self) -> None:
        period = dict(period_from=date(2026, 1, 1), period_to=date(2028, 12, 31))
        live = self.book.reports.managers(**period)
        with self.book.as_of() as rebuilt:
            again = rebuilt.reports.managers(**period)
        assert again.rows == live.rows
        for row in live.rows:
            if row.registered:
                assert (row.grade, row.serving) == (
                    self.managers[row.manager].grade,
                    self.managers[row.manager].active,
                )


ManagerMachine.TestCase.settings = settings(
    max_examples=max(10, settings.default.max_examples // 3),  # a third of the profile's
    stateful_step_count=30,
    report_multiple_bugs=False,
    phases=[p for p in Phase if p is not Phase.explain],
)
TestManagerMachine = ManagerMachine.TestCase
