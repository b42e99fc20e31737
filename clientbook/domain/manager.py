"""Relationship managers (essay 11): registered with a grade, a branch and a pre-job training
certificate; they take customers only while active and certified, and their grade moves at most
one step a year, by an approved annual assessment (`domain/assessment.py`).

Customers name their manager by id (`Customer.manager`, a text such as `m-001`) since the first
wave; a manager aggregate has that id as its business key, so books recorded before managers were
registered keep working: their ids are "unregistered managers" until someone registers them.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from clientbook.domain.base import BookAggregate, business_key_id
from clientbook.domain.errors import (
    GradeMoveError,
    InvalidTransitionError,
    InvalidValueError,
    ManagerUnavailableError,
    ReasonRequiredError,
)

GRADES = ("trainee", "junior", "intermediate", "senior", "principal")
"""From the lowest to the highest; a move is one step along this order."""

SUCCESSION_GRADES = frozenset({"senior", "principal"})
MOVES = {"up": 1, "down": -1, "none": 0}


def check_grade(value: str) -> str:
    """A grade by name, or InvalidValueError listing the grades."""
    if value not in GRADES:
        raise InvalidValueError(f"grade {value!r} is not one of: {', '.join(GRADES)}")
    return value


def manager_id(manager: str) -> UUID:
    return business_key_id("relationship-manager", manager)


def _text(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(f"a relationship manager needs {what}")
    return value.strip()


class RelationshipManager(BookAggregate):
    """A relationship manager: grade, branch, training certificate, and whether still serving."""

    @staticmethod
    def create_id(manager: str) -> UUID:
        return manager_id(manager)

    @classmethod
    def register(
        cls,
        *,
        manager: str,
        name: str,
        grade: str,
        branch: str,
        certificate: str | None = None,
        by: str,
        on: date,
    ) -> RelationshipManager:
        return cls(
            _text(manager, "an id, such as m-001"),
            _text(name, "a name"),
            check_grade(grade),
            _text(branch, "a branch"),
            None if certificate is None else _text(certificate, "a certificate number"),
            by,
            on,
        )

    @event("Registered")
    def __init__(
        self,
        manager: str,
        name: str,
        grade: str,
        branch: str,
        certificate: str | None,
        by: str,
        on: date,
    ) -> None:
        self.manager, self.name, self.grade, self.branch = manager, name, grade, branch
        self.certificate = certificate
        self.left_on: date | None = None
        self.moves: dict[int, str] = {}  # assessment year -> "up", "down" or "none"

    @property
    def active(self) -> bool:
        return self.left_on is None

    @property
    def in_succession_pool(self) -> bool:
        return self.active and self.grade in SUCCESSION_GRADES

    def require_can_take_customers(self) -> None:
        """Customers go only to a manager who serves and holds the pre-job training certificate."""
        if not self.active:
            raise ManagerUnavailableError(
                f"manager {self.manager} left on {self.left_on}; "
                "give the customer to a serving manager"
            )
        if self.certificate is None:
            raise ManagerUnavailableError(
                f"manager {self.manager} has no pre-job training certificate yet; record it "
                "before giving them customers"
            )

    def certify(self, certificate: str, *, by: str, on: date) -> None:
        self.require_serving("be certified")
        self._certified(_text(certificate, "a certificate number"), by, on)

    @event("Certified")
    def _certified(self, certificate: str, by: str, on: date) -> None:
        self.certificate = certificate

    def move_branch(self, branch: str, *, by: str, on: date) -> None:
        self.require_serving("move branch")
        branch = _text(branch, "a branch")
        if branch == self.branch:
            raise InvalidValueError(f"manager {self.manager} is already in branch {branch}")
        self._branch_moved(branch, by, on)

    @event("BranchMoved")
    def _branch_moved(self, branch: str, by: str, on: date) -> None:
        self.branch = branch

    def leave(self, *, reason: str, by: str, on: date) -> None:
        """The manager leaves; their customers are handed over one reassignment each (the
        application does it, with this reason), and nobody gives them customers again."""
        self.require_serving("leave")
        if not isinstance(reason, str) or not reason.strip():
            raise ReasonRequiredError(f"manager {self.manager} leaving needs a reason")
        self._left(reason.strip(), by, on)

    @event("Left")
    def _left(self, reason: str, by: str, on: date) -> None:
        self.left_on = on

    def apply_assessment(
        self, *, year: int, move: str, assessment: UUID, by: str, on: date
    ) -> None:
        """The grade after an approved annual assessment: at most one step a year."""
        self.require_serving("be assessed")
        if move not in MOVES:
            raise InvalidValueError(f"a grade move is one of: {', '.join(MOVES)}")
        if year in self.moves:
            raise GradeMoveError(
                f"manager {self.manager}'s grade was already settled for {year} "
                f"({self.moves[year]}); a grade moves at most once a year"
            )
        step = GRADES.index(self.grade) + MOVES[move]
        if not 0 <= step < len(GRADES):
            move, step = "none", GRADES.index(self.grade)  # already at the top or the bottom
        self._grade_settled(year, move, GRADES[step], assessment, by, on)

    @event("GradeSettled")
    def _grade_settled(
        self, year: int, move: str, grade: str, assessment: UUID, by: str, on: date
    ) -> None:
        self.moves[year] = move
        self.grade = grade

    def require_serving(self, what: str) -> None:
        """Refuse what a manager who left can no longer do (be certified, moved, assessed)."""
        if not self.active:
            raise InvalidTransitionError(
                f"manager {self.manager} left on {self.left_on}; they cannot {what}"
            )
