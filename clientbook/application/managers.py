"""Relationship managers and their assessments: register, certify, leave (handing every
customer over), and the annual assessment with its abnormal-market declarations.

A customer's manager is an id (`m-001`); one nobody has registered is an *unregistered manager*
(books recorded before managers existed), shown as such in the managers report. A registered
manager takes customers only while serving and certified (`check_can_take`, which the customers
service asks before a registration or a reassignment).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

from attrs import frozen
from eventsourcing.domain import Aggregate

from clientbook.application.app import ClientBookApplication
from clientbook.application.keyed import idempotent
from clientbook.application.policy import PolicyService
from clientbook.domain.actor import Actor
from clientbook.domain.assessment import (
    ManagerAssessment,
    MarketDeclaration,
    Period,
    Score,
    proposed_scores,
)
from clientbook.domain.customer import Customer
from clientbook.domain.errors import (
    AssessmentNotFoundError,
    InvalidValueError,
    ManagerNotFoundError,
    NotFoundError,
)
from clientbook.domain.manager import RelationshipManager, manager_id

CustomersOf = Callable[[str], Sequence[UUID]]
"""The customers a manager looks after, as far as the head of the log."""

Figures = Callable[[date, date, date], Mapping[str, Mapping[str, Decimal | None]]]
"""Each held indicator's figure per manager over a period (first, last day), as of a date
(the reports compute them from the log; `domain/assessment.py` HELD says what each is)."""


@frozen
class ManagerRecord:
    manager: str
    name: str
    grade: str
    branch: str
    certificate: str | None
    active: bool
    left_on: date | None
    in_succession_pool: bool
    moves: tuple[tuple[int, str], ...]

    @classmethod
    def of(cls, m: RelationshipManager) -> ManagerRecord:
        return cls(
            m.manager,
            m.name,
            m.grade,
            m.branch,
            m.certificate,
            m.active,
            m.left_on,
            m.in_succession_pool,
            tuple(sorted(m.moves.items())),
        )


@frozen
class AssessmentRecord:
    manager: str
    period: str
    status: str
    scores: tuple[tuple[str, Score], ...]
    performance_weight: Decimal | None
    total: Decimal | None
    move: str | None

    @classmethod
    def of(cls, a: ManagerAssessment) -> AssessmentRecord:
        return cls(
            a.manager,
            a.period,
            a.status,
            tuple(sorted(a.scores.items())),
            a.performance_weight,
            a.total,
            a.move,
        )


class Managers:
    """Relationship managers over the one log (`book.managers`)."""

    area = "managers"

    def __init__(
        self,
        app: ClientBookApplication,
        policy: PolicyService,
        customers_of: CustomersOf,
        figures: Figures | None = None,
    ) -> None:
        self._app = app
        self._figures = figures
        self._policy = policy
        self._customers_of = customers_of

    # -- queries --------------------------------------------------------------------------

    def get(self, manager: str) -> ManagerRecord:
        return ManagerRecord.of(self._load(manager))

    def is_registered(self, manager: str) -> bool:
        return self._app.exists(manager_id(manager))

    def check_can_take(self, manager: str) -> None:
        """Refuse a registered manager who left or holds no certificate (an unregistered id is
        allowed: books recorded before managers existed name them). A checked read: from
        memory, the command's save failing if the manager changed meanwhile (app.checked_read)."""
        registered = self._app.checked_read(
            RelationshipManager, manager_id(manager), f"relationship manager {manager}"
        )
        if registered is not None:
            registered.require_can_take_customers()

    def assessment(self, manager: str, period: str) -> AssessmentRecord:
        return AssessmentRecord.of(self._assessment(manager, period))

    # -- managers -------------------------------------------------------------------------

    @idempotent
    def register(
        self,
        *,
        manager: str,
        name: str,
        grade: str,
        branch: str,
        by: Actor,
        on: date,
        certificate: str | None = None,
        idempotency_key: str | None = None,
    ) -> UUID:
        registered = RelationshipManager.register(
            manager=manager,
            name=name,
            grade=grade,
            branch=branch,
            certificate=certificate,
            by=by.id,
            on=on,
        )
        return self._create(registered, f"manager {manager} is already registered")

    @idempotent
    def certify(
        self,
        manager: str,
        certificate: str,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._change(manager, lambda m: m.certify(certificate, by=by.id, on=on))

    @idempotent
    def move_branch(
        self, manager: str, branch: str, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._change(manager, lambda m: m.move_branch(branch, by=by.id, on=on))

    @idempotent
    def leave(
        self,
        manager: str,
        *,
        hand_over_to: str,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> int:
        """The manager leaves and every customer of theirs goes to `hand_over_to`, each a
        reassignment with the reason, all in one transaction; returns how many were handed over."""
        leaving = self._load(manager)
        if hand_over_to == manager:
            raise InvalidValueError(f"manager {manager} cannot hand their customers to themselves")
        self.check_can_take(hand_over_to)
        leaving.leave(reason=reason, by=by.id, on=on)
        customers = [self._app.get(Customer, c, "customer") for c in self._customers_of(manager)]
        for customer in customers:
            customer.reassign_manager(
                hand_over_to, reason=f"{manager} left: {reason.strip()}", by=by.id, on=on
            )
        self._app.save_all(leaving, *customers)
        return len(customers)

    # -- assessments ----------------------------------------------------------------------

    @idempotent
    def open_assessment(
        self, manager: str, period: str, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> UUID:
        assessed = self._load(manager)
        assessed.require_serving("be assessed")
        opened = ManagerAssessment.open(
            manager=manager, period=period, branch=assessed.branch, by=by.id, on=on
        )
        return self._create(opened, f"{manager}'s {period} assessment is already open")

    @idempotent
    def propose_score(
        self,
        manager: str,
        period: str,
        indicator: str,
        score: Decimal,
        *,
        basis: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._assess(
            manager, period, lambda a: a.propose(indicator, score, basis=basis, by=by.id, on=on)
        )

    @idempotent
    def propose_scores(
        self, manager: str, period: str, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> int:
        """Propose the scores of the indicators whose figures the log holds (volume, profit,
        cost, service), each against the period's other managers and saying its figures; a
        person confirms or overrides each. Returns how many were proposed."""
        assessment = self._assessment(manager, period)
        if self._figures is None:
            raise InvalidValueError("this book computes no figures to propose scores from")
        first, last = Period.parse(period).dates
        proposals = proposed_scores(self._figures(first, min(last, on), on), manager)
        for indicator, (value, basis) in sorted(proposals.items()):
            assessment.propose(indicator, value, basis=basis, by=by.id, on=on)
        self._app.save_all(assessment)
        return len(proposals)

    @idempotent
    def confirm_score(
        self,
        manager: str,
        period: str,
        indicator: str,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._assess(manager, period, lambda a: a.confirm(indicator, by=by.id, on=on))

    @idempotent
    def set_score(
        self,
        manager: str,
        period: str,
        indicator: str,
        score: Decimal,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        """A person's score for an indicator or for behaviour, with the reason."""
        self._assess(
            manager, period, lambda a: a.override(indicator, score, reason=reason, by=by.id, on=on)
        )

    @idempotent
    def submit_assessment(
        self, manager: str, period: str, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        """Weights as the year and branch call for: 50/50 under an approved declaration."""
        assessment = self._assessment(manager, period)
        year = Period.parse(period).year
        declared = (
            self._app.exists(MarketDeclaration.create_id(year, assessment.branch))
            and self._declaration(year, assessment.branch).approved
        )
        assessment.submit(
            normal_market=not declared, policy=self._policy.in_force(on), by=by.id, on=on
        )
        self._app.save_all(assessment)

    @idempotent
    def approve_assessment(
        self, manager: str, period: str, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        """✋ The assessment approved; an annual one settles the year's grade in the same
        transaction (at most one step; interim ones move nothing)."""
        assessment = self._assessment(manager, period)
        assessment.approve(by=by, on=on)
        changed: list[Aggregate] = [assessment]
        if assessment.annual:
            assessed = self._load(manager)
            assessed.apply_assessment(
                year=Period.parse(period).year,
                move=assessment.move or "none",
                assessment=assessment.id,
                by=by.id,
                on=on,
            )
            changed.append(assessed)
        self._app.save_all(*changed)

    @idempotent
    def declare_abnormal_market(
        self,
        *,
        year: int,
        branch: str,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> UUID:
        declared = MarketDeclaration.declare(
            year=year, branch=branch, reason=reason, by=by.id, on=on
        )
        return self._create(declared, f"{branch} already has a market declaration for {year}")

    @idempotent
    def approve_declaration(
        self, *, year: int, branch: str, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        declaration = self._declaration(year, branch)
        declaration.approve(by=by, on=on)
        self._app.save_all(declaration)

    # -- helpers --------------------------------------------------------------------------

    def _create(self, created: Aggregate, taken: str) -> UUID:
        """Save a new aggregate whose business key must not be taken (else `taken` is said)."""
        if self._app.exists(created.id):
            raise InvalidValueError(taken)
        self._app.save_all(created)
        return created.id

    def _load(self, manager: str) -> RelationshipManager:
        found = self._find(manager)
        if found is None:
            raise ManagerNotFoundError(
                f"there is no relationship manager {manager}; register them first"
            )
        return found

    def _find(self, manager: str) -> RelationshipManager | None:
        if not self.is_registered(manager):
            return None
        return self._app.get(
            RelationshipManager,
            manager_id(manager),
            f"relationship manager {manager}",
            ManagerNotFoundError,
        )

    def _change(self, manager: str, command: Callable[[RelationshipManager], object]) -> None:
        changed = self._load(manager)
        command(changed)
        self._app.save_all(changed)

    def _assessment(self, manager: str, period: str) -> ManagerAssessment:
        return self._app.get(
            ManagerAssessment,
            ManagerAssessment.create_id(manager, period),
            f"{manager}'s {period} assessment",
            AssessmentNotFoundError,
        )

    def _assess(
        self, manager: str, period: str, command: Callable[[ManagerAssessment], object]
    ) -> None:
        self._app.change(
            ManagerAssessment,
            ManagerAssessment.create_id(manager, period),
            f"{manager}'s {period} assessment",
            AssessmentNotFoundError,
            command,
        )

    def _declaration(self, year: int, branch: str) -> MarketDeclaration:
        return self._app.get(
            MarketDeclaration,
            MarketDeclaration.create_id(year, branch),
            f"the {year} market declaration for {branch}",
            NotFoundError,
        )
