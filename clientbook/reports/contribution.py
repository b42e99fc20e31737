"""The contribution report (essay 6): each customer's contribution over a period as of a date,
ranked, with the Pareto curve, the share of customers that brings 80% of it and what the top
4% and 20% bring — for the book, per segment and per manager — and the segment each
customer's rank proposes. The rules are in `clientbook/domain/value.py`; this folds the
contribution facts (projections/contribution.py) by the one as-of rule.

Who is counted: every customer registered as of the date and not closed before the period
began. Amounts in another currency than the report's are left out and counted in
`other_currency_amounts`, never converted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from attrs import define, field, frozen

from clientbook.domain.as_of import dated_prefix
from clientbook.domain.customer import FOUR_EYES_SEGMENTS, SEGMENTS
from clientbook.domain.errors import InvalidValueError
from clientbook.domain.value import Concentration, concentration, proposed_segment, prorated, ranked
from clientbook.projections.contribution import ContributionFact, ContributionView

ZERO = Decimal("0.00")
PARTS = (
    "card_interest",
    "card_fees",
    "line_interest",
    "line_fees",
    "recovered",
    "written_off",
    "reported",
)
"""What a contribution is made of; `written_off` is subtracted, the others added."""
_PART_OF = {
    ("CardAccount.Charged", "interest"): "card_interest",
    ("CardAccount.Charged", "fees"): "card_fees",
    ("CardAccount.AnnualFeeCharged", "fees"): "card_fees",
    ("CardAccount.Recovered", None): "recovered",
    ("CardAccount.WrittenOff", None): "written_off",
    ("CreditLine.IncomeRecorded", "interest"): "line_interest",
    ("CreditLine.IncomeRecorded", "fee"): "line_fees",
}


@frozen
class CustomerContribution:
    """One customer's contribution, its parts, its rank and the segment it proposes."""

    number: str
    manager: str
    segment: str
    rank: int
    """1 = the largest contribution."""
    contribution: Decimal
    cumulative_share_percent: Decimal | None
    """The share of the total that this customer and every one ranked above bring."""
    proposed_segment: str
    card_interest: Decimal
    card_fees: Decimal
    line_interest: Decimal
    line_fees: Decimal
    recovered: Decimal
    written_off: Decimal
    reported: Decimal


@frozen
class GroupConcentration:
    """The concentration of one segment's or manager's customers' contributions."""

    name: str
    customers: int
    total: Decimal
    customers_for_80_percent: int | None
    share_of_customers_for_80_percent: Decimal | None
    top_4_percent_share: Decimal | None
    top_20_percent_share: Decimal | None


@frozen
class SegmentProposal:
    """A customer whose contribution proposes another segment than the one they are in.
    Applying it is a command per customer (`book.customers.change_segment`, or for premium and
    restricted `propose_segment` and another person's `approve_segment`), never automatic."""

    number: str
    segment: str
    proposed: str
    contribution: Decimal
    needs_second_person: bool


@frozen
class ContributionReport:
    as_of: date
    position: int
    period_from: date
    period_to: date
    currency: str
    total: Decimal
    customers_counted: int
    customers_for_80_percent: int | None
    share_of_customers_for_80_percent: Decimal | None
    top_4_percent_share: Decimal | None
    top_20_percent_share: Decimal | None
    pareto_curve: tuple[tuple[Decimal, Decimal], ...]
    """(% of customers from the top, % of the total they bring), at every 5% of customers."""
    customers: tuple[CustomerContribution, ...]
    by_segment: tuple[GroupConcentration, ...]
    by_manager: tuple[GroupConcentration, ...]
    proposals: tuple[SegmentProposal, ...]
    premium_top_percent: Decimal
    major_top_percent: Decimal
    other_currency_amounts: tuple[tuple[str, int], ...] = ()
    """Amounts left out because they are in another currency: (currency, how many)."""


@define
class _Customer:
    number: str
    manager: str
    segment: str
    closed_on: date | None = None
    parts: dict[str, Decimal] = field(factory=lambda: dict.fromkeys(PARTS, ZERO))

    def add(self, part: str, amount: Decimal) -> None:
        self.parts[part] += amount

    def part(self, name: str) -> Decimal:
        return self.parts[name]

    @property
    def contribution(self) -> Decimal:
        return sum((self.part(p) for p in PARTS if p != "written_off"), ZERO) - self.part(
            "written_off"
        )


def contribution_report(
    facts: Iterable[ContributionFact],
    *,
    as_of: date,
    position: int,
    period_from: date,
    period_to: date,
    currency: str,
    premium_percent: Decimal,
    major_percent: Decimal,
) -> ContributionReport:
    """Fold the facts (in log order, up to `position`) into the report as of `as_of`."""
    if period_from > period_to:
        raise InvalidValueError(
            f"the contribution report's period starts {period_from}, after its end {period_to}"
        )
    period = (period_from, period_to)
    customers: dict[UUID, _Customer] = {}
    owner: dict[UUID, UUID] = {}
    other: Counter[str] = Counter()
    for fact in dated_prefix(facts, as_of, lambda f: f.entity, lambda f: f.on):
        kind = fact.event
        if kind == "Customer.Registered":
            assert fact.customer is not None and fact.detail and fact.manager and fact.segment
            customers[fact.customer] = _Customer(fact.detail, fact.manager, fact.segment)
        elif kind in ("CardAccount.Applied", "CreditLine.Proposed"):
            assert fact.customer is not None
            owner[fact.entity] = fact.customer
        elif kind == "Customer.ManagerReassigned":
            customers[fact.entity].manager = fact.manager or customers[fact.entity].manager
        elif kind == "Customer.SegmentChanged":
            customers[fact.entity].segment = fact.segment or customers[fact.entity].segment
        elif kind == "Customer.Closed":
            customers[fact.entity].closed_on = fact.on
        else:
            customer = customers[fact.customer or owner[fact.entity]]
            assert fact.amount is not None and fact.currency is not None
            if fact.currency != currency:
                other[fact.currency] += 1
            elif kind == "Customer.ContributionReported":
                assert fact.period_from is not None and fact.period_to is not None
                customer.add(
                    "reported", prorated(fact.amount, (fact.period_from, fact.period_to), period)
                )
            elif period_from <= fact.on <= period_to:
                customer.add(_PART_OF[kind, fact.detail], fact.amount)
    counted = {
        cid: c for cid, c in customers.items() if c.closed_on is None or c.closed_on >= period_from
    }
    order = ranked((c.number, c.contribution) for c in counted.values())
    by_number = {c.number: c for c in counted.values()}
    whole = concentration([amount for _, amount in order])
    running, rows = Decimal(0), []
    for rank, (number, amount) in enumerate(order):
        c = by_number[number]
        running += amount
        rows.append(
            CustomerContribution(
                number=number,
                manager=c.manager,
                segment=c.segment,
                rank=rank + 1,
                contribution=amount,
                cumulative_share_percent=None
                if whole.total <= 0
                else (running * 100 / whole.total).quantize(Decimal("0.01")),
                proposed_segment=proposed_segment(
                    rank,
                    len(order),
                    amount,
                    premium_percent=premium_percent,
                    major_percent=major_percent,
                ),
                **{p: c.part(p) for p in PARTS},
            )
        )
    return ContributionReport(
        as_of=as_of,
        position=position,
        period_from=period_from,
        period_to=period_to,
        currency=currency,
        total=whole.total,
        customers_counted=whole.customers,
        customers_for_80_percent=whole.customers_for_80_percent,
        share_of_customers_for_80_percent=whole.share_of_customers_for_80_percent,
        top_4_percent_share=whole.top_4_percent_share,
        top_20_percent_share=whole.top_20_percent_share,
        pareto_curve=whole.curve,
        customers=tuple(rows),
        by_segment=_groups(rows, lambda r: r.segment, order=SEGMENTS),
        by_manager=_groups(rows, lambda r: r.manager),
        proposals=tuple(
            SegmentProposal(
                r.number,
                r.segment,
                r.proposed_segment,
                r.contribution,
                r.proposed_segment in FOUR_EYES_SEGMENTS,
            )
            for r in rows
            if r.proposed_segment != r.segment
        ),
        premium_top_percent=premium_percent,
        major_top_percent=major_percent,
        other_currency_amounts=tuple(sorted(other.items())),
    )


def _groups(
    rows: list[CustomerContribution],
    key: Callable[[CustomerContribution], str],
    order: tuple[str, ...] = (),
) -> tuple[GroupConcentration, ...]:
    """Each group's concentration, its customers in the report's rank order."""
    members: dict[str, list[Decimal]] = {}
    for row in rows:
        members.setdefault(key(row), []).append(row.contribution)
    rank = {name: n for n, name in enumerate(order)}
    names = sorted(members, key=lambda name: (rank.get(name, len(rank)), name))
    return tuple(_group(name, concentration(members[name])) for name in names)


def _group(name: str, c: Concentration) -> GroupConcentration:
    return GroupConcentration(
        name,
        c.customers,
        c.total,
        c.customers_for_80_percent,
        c.share_of_customers_for_80_percent,
        c.top_4_percent_share,
        c.top_20_percent_share,
    )


class ContributionQueries:
    """`book.reports.contribution`: the report from the view, at a log position."""

    def __init__(
        self,
        view: ContributionView,
        policy: Any,
        refresh: Callable[[int | None], Any],
        application_name: str,
    ) -> None:
        self._view, self._policy, self._refresh = view, policy, refresh
        self._application_name = application_name

    def report(
        self,
        *,
        as_of: date,
        period_from: date | None = None,
        period_to: date | None = None,
        currency: str | None = None,
        position: int | None = None,
        at_least: int | None = None,
    ) -> ContributionReport:
        """The contribution over the period (default: the twelve months up to the as-of date)
        in `currency` (default: the policy's, as of the date)."""
        self._refresh(at_least)
        reflected = self._view.max_tracking_id(self._application_name) or 0
        if position is not None:
            reflected = min(reflected, position)
        period_to = period_to or as_of
        period_from = period_from or default_start(period_to)
        settings = self._policy.at(reflected).in_force(as_of)
        return contribution_report(
            self._view.facts(up_to_position=reflected),
            as_of=as_of,
            position=reflected,
            period_from=period_from,
            period_to=period_to,
            currency=currency or settings.currency,
            premium_percent=settings.segment_premium_top_percent,
            major_percent=settings.segment_major_top_percent,
        )


def default_start(end: date) -> date:
    """The first day of the twelve months that end on `end`."""
    try:
        start = end.replace(year=end.year - 1)
    except ValueError:  # 29 February
        start = end.replace(year=end.year - 1, day=28)
    return date.fromordinal(start.toordinal() + 1)
