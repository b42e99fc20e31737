"""The relationship managers' assessment (essay 11): scores 0–100 for the five linked
performance indicators — volume, profit, cost, receivables collected, service — and for
behaviour and attitude; the total weighs performance 75% and behaviour 25% in a normal market
and 50/50 when a declaration for the year and branch, ✋ approved, says the market or the
institution's own policy prevented normal work (both weights are policy settings).

Where clientbook holds the figures, the application proposes an indicator's score from the log;
a person then confirms it or overrides it with a reason, and only confirmed or overridden scores
count. The assessment is submitted, then ✋ approved by another person holding the `manager` or
`general_manager` role. An approved annual assessment moves the grade by the score bands in
policy (default: 85 and above up one grade, below 60 down one); monthly and quarterly interim
assessments are recorded the same way and move nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from attrs import frozen
from eventsourcing.domain import event

from clientbook.domain.actor import Actor, require_four_eyes
from clientbook.domain.base import BookAggregate, business_key_id
from clientbook.domain.errors import (
    AssessmentError,
    InvalidTransitionError,
    InvalidValueError,
    ReasonRequiredError,
    RoleRequiredError,
)
from clientbook.domain.policy import PolicySettings

INDICATORS = ("volume", "profit", "cost", "receivables", "service")
"""The five linked performance indicators ("five links")."""
BEHAVIOUR = "behaviour"
APPROVER_ROLES = frozenset({"manager", "general_manager"})
_PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|0[1-9]|1[0-2]))?$")
CENT = Decimal("0.01")


@frozen
class Period:
    """`2026` (the annual assessment), `2026-Q1` (quarterly) or `2026-03` (monthly)."""

    text: str

    @classmethod
    def parse(cls, text: str) -> Period:
        if not isinstance(text, str) or not _PERIOD.match(text):
            raise InvalidValueError(
                f"assessment period {text!r} is not a year (2026), a quarter "
                "(2026-Q1) or a month (2026-03)"
            )
        return cls(text)

    @property
    def year(self) -> int:
        return int(self.text[:4])

    @property
    def annual(self) -> bool:
        return len(self.text) == 4

    @property
    def dates(self) -> tuple[date, date]:
        """The first and last day of the period."""
        year, part = self.year, self.text[5:]
        if not part:
            return date(year, 1, 1), date(year, 12, 31)
        first = int(part[1]) * 3 - 2 if part.startswith("Q") else int(part)
        last = first + 2 if part.startswith("Q") else first
        end = date(year + last // 12, last % 12 + 1, 1) - timedelta(days=1)
        return date(year, first, 1), end


HELD = {
    "volume": "customers acquired less customers lost",
    "profit": "the contribution of the manager's customers",
    "cost": "card write-offs of the manager's customers",
    "service": "the average satisfaction score of the manager's customers",
}
"""The indicators whose figures the log holds, and what each figure is; receivables collected
are scored by a person (the lending system holds the collections)."""
LOWER_IS_BETTER = frozenset({"cost"})


def proposed_scores(
    figures: Mapping[str, Mapping[str, Decimal | None]], manager: str
) -> dict[str, tuple[Decimal, str]]:
    """Scores for `manager` from the figures of every manager of the period (indicator ->
    manager -> figure): against their peers, the best figure scores 100 and the weakest 50
    (all equal: 75), in proportion between; satisfaction (1 to 5) scores (s - 1) x 25 on
    its own. An indicator without a figure for the manager proposes nothing."""
    proposals: dict[str, tuple[Decimal, str]] = {}
    for indicator, by_manager in figures.items():
        mine = by_manager.get(manager)
        if mine is None:
            continue
        if indicator == "service":
            value = ((mine - 1) * 25).quantize(CENT, ROUND_HALF_UP)
            proposals[indicator] = (
                min(Decimal(100), max(Decimal(0), value)),
                f"{HELD[indicator]}: {mine} of 5",
            )
            continue
        known = [v for v in by_manager.values() if v is not None]
        low, high = min(known), max(known)
        if high == low:
            value = Decimal(75)
        else:
            share = (mine - low) / (high - low)
            if indicator in LOWER_IS_BETTER:
                share = 1 - share
            value = (50 + 50 * share).quantize(CENT, ROUND_HALF_UP)
        proposals[indicator] = (
            value,
            f"{HELD[indicator]}: {mine}, against {low} to {high} "
            f"for the {len(known)} managers of the period",
        )
    return proposals


def score(value: Decimal | int | str, what: str) -> Decimal:
    """A score between 0 and 100, to the cent; anything else is refused, saying what."""
    try:
        number = Decimal(value) if isinstance(value, (Decimal, int, str)) else None
    except ArithmeticError:
        number = None
    if (
        number is None
        or not number.is_finite()
        or not 0 <= number <= 100
        or number != number.quantize(CENT)
    ):
        raise AssessmentError(
            f"the {what} score must be a number from 0 to 100 with at most two "
            f"decimals, not {value!r}"
        )
    return number.quantize(CENT)


@frozen
class Score:
    """An indicator's score and where it came from: `proposed` (from the log, not yet counted),
    `confirmed` (a person agreed with the proposal) or `overridden` (a person set it, with a
    reason)."""

    value: Decimal
    source: str
    basis: str
    by: str

    @property
    def counts(self) -> bool:
        return self.source in ("confirmed", "overridden")


def weights(policy: PolicySettings, normal_market: bool) -> tuple[Decimal, Decimal]:
    """(performance, behaviour) in percent: 75/25 normally, 50/50 in an abnormal market."""
    performance = (
        policy.assessment_performance_weight
        if normal_market
        else policy.assessment_performance_weight_abnormal
    )
    return performance, Decimal(100) - performance


def total(scores: dict[str, Decimal], performance_weight: Decimal) -> Decimal:
    """The mean of the five indicators weighted with behaviour, rounded half up to the cent."""
    performance = sum((scores[name] for name in INDICATORS), Decimal(0)) / len(INDICATORS)
    weighted = (
        performance * performance_weight + scores[BEHAVIOUR] * (Decimal(100) - performance_weight)
    ) / Decimal(100)
    return weighted.quantize(CENT, rounding=ROUND_HALF_UP)


def grade_move(result: Decimal, policy: PolicySettings) -> str:
    """The band a total falls in: up, down or none."""
    if result >= policy.assessment_grade_up_score:
        return "up"
    if result < policy.assessment_grade_down_score:
        return "down"
    return "none"


def assessment_id(manager: str, period: Period) -> UUID:
    return business_key_id("manager-assessment", f"{manager}/{period.text}")


def declaration_id(year: int, branch: str) -> UUID:
    return business_key_id("market-declaration", f"{year}/{branch}")


class MarketDeclaration(BookAggregate):
    """For a year and a branch: the market or the institution's own policy prevented normal
    work, so its managers' assessments weigh performance and behaviour 50/50 once ✋ approved."""

    @staticmethod
    def create_id(year: int, branch: str) -> UUID:
        return declaration_id(year, branch)

    @classmethod
    def declare(
        cls, *, year: int, branch: str, reason: str, by: str, on: date
    ) -> MarketDeclaration:
        if not isinstance(year, int) or not 1900 < year < 3000:
            raise InvalidValueError(f"a declaration's year must be a year, not {year!r}")
        if not isinstance(branch, str) or not branch.strip():
            raise InvalidValueError("a declaration names its branch")
        if not isinstance(reason, str) or not reason.strip():
            raise ReasonRequiredError("a declaration of an abnormal market needs its reason")
        return cls(year, branch.strip(), reason.strip(), by, on)

    @event("Declared")
    def __init__(self, year: int, branch: str, reason: str, by: str, on: date) -> None:
        self.year, self.branch, self.reason, self.declared_by = year, branch, reason, by
        self.approved = False

    def approve(self, *, by: Actor, on: date) -> None:
        """✋ Another person with a manager's role approves the declaration."""
        if self.approved:
            raise InvalidTransitionError(
                f"the {self.year} declaration for {self.branch} is already approved"
            )
        _require_approver(by, f"the {self.year} market declaration for {self.branch}")
        require_four_eyes(
            self.declared_by, by.id, f"the {self.year} market declaration for {self.branch}"
        )
        self._approved(by.id, on)

    @event("Approved")
    def _approved(self, by: str, on: date) -> None:
        self.approved = True


class ManagerAssessment(BookAggregate):
    """One manager's assessment for one period: scores, then submitted, then ✋ approved."""

    value_types = frozenset({Score})

    @staticmethod
    def create_id(manager: str, period: str) -> UUID:
        return assessment_id(manager, Period.parse(period))

    @classmethod
    def open(
        cls, *, manager: str, period: str, branch: str, by: str, on: date
    ) -> ManagerAssessment:
        if not isinstance(manager, str) or not manager.strip():
            raise InvalidValueError("an assessment names its manager")
        return cls(manager.strip(), Period.parse(period).text, branch, by, on)

    @event("Opened")
    def __init__(self, manager: str, period: str, branch: str, by: str, on: date) -> None:
        self.manager, self.period, self.branch = manager, period, branch
        self.scores: dict[str, Score] = {}
        self.status = "open"
        self.submitted_by: str | None = None
        self.performance_weight: Decimal | None = None
        self.total: Decimal | None = None
        self.move: str | None = None

    @property
    def annual(self) -> bool:
        return Period(self.period).annual

    # -- scores ---------------------------------------------------------------------------

    def propose(
        self, indicator: str, value: Decimal | int | str, *, basis: str, by: str, on: date
    ) -> None:
        """A score proposed from the log's figures; it counts once a person confirms it."""
        self._require_open()
        self._scored(
            _indicator(indicator),
            score(value, indicator),
            "proposed",
            _words(basis, "a proposal says what it was computed from"),
            by,
            on,
        )

    def confirm(self, indicator: str, *, by: str, on: date) -> None:
        self._require_open()
        proposed = self.scores.get(_indicator(indicator))
        if proposed is None or proposed.source != "proposed":
            raise AssessmentError(
                f"{indicator} has no proposed score to confirm for "
                f"{self.manager}'s {self.period} assessment; set it with a "
                "reason"
            )
        self._scored(indicator, proposed.value, "confirmed", proposed.basis, by, on)

    def override(
        self, indicator: str, value: Decimal | int | str, *, reason: str, by: str, on: date
    ) -> None:
        """A person sets the score (where the log holds no figures, or to correct a proposal)."""
        self._require_open()
        name = indicator if indicator == BEHAVIOUR else _indicator(indicator)
        self._scored(
            name,
            score(value, name),
            "overridden",
            _words(reason, f"setting the {name} score needs a reason"),
            by,
            on,
        )

    @event("Scored")
    def _scored(
        self, indicator: str, value: Decimal, source: str, basis: str, by: str, on: date
    ) -> None:
        self.scores[indicator] = Score(value, source, basis, by)

    # -- submission and approval ----------------------------------------------------------

    def submit(self, *, normal_market: bool, policy: PolicySettings, by: str, on: date) -> None:
        """Every indicator and behaviour scored by a person; the weights the market calls for."""
        self._require_open()
        missing = [
            n for n in (*INDICATORS, BEHAVIOUR) if n not in self.scores or not self.scores[n].counts
        ]
        if missing:
            raise AssessmentError(
                f"{self.manager}'s {self.period} assessment still needs a "
                f"confirmed or set score for: {', '.join(missing)}"
            )
        performance, _ = weights(policy, normal_market)
        result = total({n: s.value for n, s in self.scores.items()}, performance)
        move = grade_move(result, policy) if self.annual else "none"
        self._submitted(performance, result, move, by, on)

    @event("Submitted")
    def _submitted(
        self, performance_weight: Decimal, total: Decimal, move: str, by: str, on: date
    ) -> None:
        self.status, self.submitted_by = "submitted", by
        self.performance_weight, self.total, self.move = performance_weight, total, move

    def approve(self, *, by: Actor, on: date) -> None:
        """✋ Another person with a manager's role approves the scores and the total."""
        if self.status != "submitted" or self.submitted_by is None:
            raise InvalidTransitionError(
                f"{self.manager}'s {self.period} assessment is "
                f"{self.status}; only a submitted one is approved"
            )
        what = f"{self.manager}'s {self.period} assessment"
        _require_approver(by, what)
        require_four_eyes(self.submitted_by, by.id, what)
        self._approved(by.id, on)

    @event("Approved")
    def _approved(self, by: str, on: date) -> None:
        self.status = "approved"

    def _require_open(self) -> None:
        if self.status != "open":
            raise AssessmentError(
                f"{self.manager}'s {self.period} assessment is {self.status}; "
                "its scores can no longer change"
            )


def _indicator(name: str) -> str:
    if name not in INDICATORS:
        raise InvalidValueError(
            f"indicator {name!r} is not one of: {', '.join(INDICATORS)} "
            f"(or {BEHAVIOUR!r}, set by a person)"
        )
    return name


def _words(text: str, missing: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ReasonRequiredError(missing)
    return text.strip()


def _require_approver(by: Actor, what: str) -> None:
    if not by.roles & APPROVER_ROLES:
        raise RoleRequiredError(
            f"{by.id} holds neither the manager nor the general_manager "
            f"role; one of them approves {what}"
        )
