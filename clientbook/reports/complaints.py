"""The complaints report for a period, as of a date: computed from complaint facts
(projections/complaint_facts.py), one per event, folded by the one as-of rule; and
`book.complaint_cards`, the complaint queries with this report, resumed from a checkpoint."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Iterable
from uuid import UUID

import msgspec
from attrs import define, frozen
from msgspec import Struct

from clientbook.adapters.cfpb import cfpb_rows
from clientbook.domain.as_of import AsOf
from clientbook.domain.money import Money
from clientbook.projections.checkpoints import ReportCheckpoints, resumed
from clientbook.projections.complaint_facts import (
    ComplaintFactsProjection,
    ComplaintFactsView,
    Fact,
)
from clientbook.projections.complaints import ComplaintCardsView
from clientbook.projections.queries import ComplaintQueries
from clientbook.projections.runner import Refresh

TWO_PLACES = Decimal("0.01")


@frozen
class ComplaintsReport:
    """Complaint handling for a period, as it stood on the as-of date. Accepted, rejected and
    reopened count complaints, not events: a complaint rejected, reopened and rejected again
    in the period is one rejected complaint (and one reopened)."""

    period_from: date
    period_to: date
    as_of: date
    position: int
    received: int
    accepted: int
    rejected: int
    closed: int
    closed_in_time: int
    closed_in_time_percent: Decimal | None
    open_overdue: int
    reopened: int
    by_category: tuple[tuple[str, int], ...]
    by_channel: tuple[tuple[str, int], ...]
    by_department: tuple[tuple[str, int], ...]
    average_days_to_close: Decimal | None
    max_days_to_close: int | None
    compensation_approved: tuple[Money, ...]
    compensation_paid: tuple[Money, ...]
    average_satisfaction: Decimal | None


@define
class _Complaint:
    received_on: date
    category: str
    channel: str
    department: str
    deadline: date
    open: bool = True
    first_closed_on: date | None = None
    in_time: bool | None = None

    @classmethod
    def received(cls, fact: Fact) -> _Complaint:
        category, channel, department = fact.category, fact.channel, fact.department
        assert category and channel and department and fact.deadline, f"not received: {fact}"
        return cls(fact.on, category, channel, department, fact.deadline)


def complaints_report(
    facts: Iterable[Fact],
    *,
    period_from: date,
    period_to: date,
    as_of: date | None = None,
    position: int = 0,
) -> ComplaintsReport:
    """Fold the facts recorded for business dates up to `as_of` into the period's figures."""
    fold = ComplaintsFold(period_from, period_to, as_of)
    for fact in facts:
        fold.add(fact)
    return fold.report(position)


class _ComplaintsState(Struct):
    complaints: dict[UUID, _Complaint]
    counted: dict[str, set[UUID]]
    approved: dict[str, Decimal]
    paid: dict[str, Decimal]
    score_total: int
    scores: int
    cut: dict[UUID, int]


class ComplaintsFold:
    """The complaints report's fold for a period as of a date, fact by fact, in log order; its
    state is a checkpoint (`encode`, `restore`) that a later report resumes."""

    def __init__(
        self,
        period_from: date,
        period_to: date,
        as_of: date | None = None,
        state: _ComplaintsState | None = None,
    ) -> None:
        self.period_from, self.period_to = period_from, period_to
        self.as_of = as_of or period_to
        self._s = state or _ComplaintsState({}, {}, {}, {}, 0, 0, {})
        self._rule = AsOf(self.as_of, self._s.cut)  # facts in log order: a position orders them

    @staticmethod
    def key(period_from: date, period_to: date, as_of: date | None) -> str:
        """The parameters a checkpoint of this fold holds for (with the facts' version)."""
        return (
            f"v{ComplaintFactsProjection.version}/{period_from.isoformat()}/"
            f"{period_to.isoformat()}/{(as_of or period_to).isoformat()}"
        )

    def _within(self, day: date) -> bool:
        return self.period_from <= day <= self.period_to

    def add(self, fact: Fact) -> None:
        if not self._rule.counts(fact.complaint_id, fact.position, fact.on):
            return
        s = self._s
        if fact.event == "Received":
            s.complaints[fact.complaint_id] = _Complaint.received(fact)
        c = s.complaints.get(fact.complaint_id)
        if c is None:  # received after the as-of date
            return
        if not self._within(fact.on):
            _apply(c, fact)
            return
        s.counted.setdefault(fact.event, set()).add(fact.complaint_id)
        if fact.event in ("ResolutionApproved", "CompensationPaid") and fact.amount is not None:
            totals = s.approved if fact.event == "ResolutionApproved" else s.paid
            currency = fact.amount.currency
            totals[currency] = totals.get(currency, Decimal(0)) + fact.amount.amount
        if fact.event == "FollowedUp" and fact.satisfaction is not None:
            s.score_total += fact.satisfaction
            s.scores += 1
        _apply(c, fact)

    def encode(self) -> bytes:
        self._s.cut = {k: v for k, v in self._rule.cut.items() if isinstance(k, UUID)}
        return _encode_state(self._s)

    @classmethod
    def restore(
        cls, period_from: date, period_to: date, as_of: date | None, state: bytes
    ) -> ComplaintsFold:
        return cls(period_from, period_to, as_of, _decode_state(state))

    def report(self, position: int) -> ComplaintsReport:
        s, within, as_of = self._s, self._within, self.as_of
        counted = s.counted
        received = [c for c in s.complaints.values() if within(c.received_on)]
        closed = [
            c for c in s.complaints.values() if c.first_closed_on and within(c.first_closed_on)
        ]
        in_time = sum(1 for c in closed if c.in_time)
        days = [(c.first_closed_on - c.received_on).days for c in closed if c.first_closed_on]
        return ComplaintsReport(
            period_from=self.period_from,
            period_to=self.period_to,
            as_of=as_of,
            position=position,
            received=len(received),
            accepted=len(counted.get("Accepted", ())),
            rejected=len(counted.get("Rejected", ())),
            closed=len(closed),
            closed_in_time=in_time,
            closed_in_time_percent=_ratio(Decimal(100 * in_time), len(closed)),
            open_overdue=sum(1 for c in s.complaints.values() if c.open and c.deadline < as_of),
            reopened=len(counted.get("Reopened", ())),
            by_category=_count(c.category for c in received),
            by_channel=_count(c.channel for c in received),
            by_department=_count(c.department for c in received),
            average_days_to_close=_ratio(Decimal(sum(days)), len(days)),
            max_days_to_close=max(days) if days else None,
            compensation_approved=tuple(Money(v, k) for k, v in sorted(s.approved.items())),
            compensation_paid=tuple(Money(v, k) for k, v in sorted(s.paid.items())),
            average_satisfaction=_ratio(Decimal(s.score_total), s.scores),
        )


_encode_state = msgspec.json.Encoder().encode
_decode_state = msgspec.json.Decoder(_ComplaintsState).decode


def _apply(c: _Complaint, fact: Fact) -> None:
    if fact.event in ("Closed", "Rejected"):
        c.open = False
        if c.first_closed_on is None:
            c.first_closed_on, c.in_time = fact.on, fact.in_time
    elif fact.event == "Reopened":
        assert fact.deadline is not None, f"a reopening without a deadline: {fact}"
        c.open, c.deadline = True, fact.deadline


def _ratio(total: Decimal, count: int) -> Decimal | None:
    return None if not count else (total / count).quantize(TWO_PLACES, ROUND_HALF_UP)


def _count(values: Iterable[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(Counter(values).items()))


class ComplaintReports(ComplaintQueries):
    """`book.complaint_cards`: record cards and the worklist (projections/queries.py), the
    CFPB-shaped export (its columns: adapters/cfpb.py), and the complaints report."""

    def __init__(
        self,
        cards: ComplaintCardsView,
        facts: ComplaintFactsView,
        refresh: Refresh,
        application_name: str,
    ) -> None:
        super().__init__(cards, refresh)
        self._facts = facts
        self._application_name = application_name
        self.checkpoints: ReportCheckpoints | None = None
        """Where the as-of report keeps its fold's state (the book sets it)."""
        self.facts_current: Callable[[], bool] = lambda: True
        """Whether the complaint facts were built by this code's version (see CardReports)."""

    def cfpb(self, company: str) -> list[dict[str, str]]:
        """The complaint log as the CFPB's consumer complaint database has it, one row each."""
        return cfpb_rows(self.cards(), company)

    def report(
        self,
        *,
        period_from: date,
        period_to: date,
        as_of: date | None = None,
        position: int | None = None,
        at_least: int | None = None,
    ) -> ComplaintsReport:
        """The complaints report for a period, as of a business date and/or a log position."""
        self._refresh(at_least)
        reflected = self._facts.max_tracking_id(self._application_name) or 0
        if position is not None:
            reflected = min(reflected, position)
        fold = resumed(
            self.checkpoints if self.facts_current() else None,
            "complaints",
            ComplaintsFold.key(period_from, period_to, as_of),
            reflected,
            lambda: ComplaintsFold(period_from, period_to, as_of),
            lambda state: ComplaintsFold.restore(period_from, period_to, as_of, state),
            lambda after, up_to: self._facts.facts_for(after, up_to, as_of or period_to),
        )
        return fold.report(reflected)
