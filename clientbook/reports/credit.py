"""Credit reports as of a business date or log position, from aggregates replayed to that point.

These reports need the credit line's own rules (unpaid instalments, days past due, floors), so
rather than restate them in a projection they replay each aggregate's events up to the as-of
point (`repository.get(id, version=N)`); the audit trail says which version that is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol, TypeVar
from uuid import UUID

from attrs import frozen
from eventsourcing.domain import Aggregate

from clientbook.application.app import ClientBookApplication
from clientbook.application.policy import PolicyService
from clientbook.domain.credit_line import AGING_BUCKETS, CLASSES, CreditLine
from clientbook.domain.credit_risk import COUNTED
from clientbook.domain.customer import Customer
from clientbook.domain.group import CreditGroup, CustomerLink, concentration_cap
from clientbook.domain.money import Money
from clientbook.domain.policy import PolicySettings

A = TypeVar("A", bound=Aggregate)
HUNDRED = Decimal(100)


class History(Protocol):
    """Which version each aggregate had as of a date or position (the audit trail answers)."""

    def versions(
        self, aggregate_type: str, *, on: date | None = None, position: int | None = None
    ) -> dict[UUID, int]: ...

    def max_tracking_id(self, application_name: str) -> int | None: ...


@frozen
class ClassRow:
    classification: str
    lines: int
    outstanding: Money


@frozen
class ClassificationReport:
    as_of: date
    position: int
    rows: tuple[ClassRow, ...]


@frozen
class MigrationCell:
    from_class: str
    to_class: str
    lines: int
    outstanding: Money


@frozen
class MigrationReport:
    """How lines moved between the five categories from one date to another."""

    from_date: date
    to_date: date
    position: int
    cells: tuple[MigrationCell, ...]

    def count(self, from_class: str, to_class: str) -> int:
        return sum(
            c.lines for c in self.cells if (c.from_class, c.to_class) == (from_class, to_class)
        )


@frozen
class MemberRow:
    customer_id: UUID
    number: str
    link: str
    allocation: Money
    lines: Money
    outstanding: Money
    classification: str


@frozen
class GroupRow:
    name: str
    lead_branch: str
    lead_manager: str
    limit: Money
    allocated: Money
    committed: Money
    outstanding: Money
    usage_percent: Decimal | None
    share_of_net_capital_percent: Decimal | None
    cap: Money | None
    within_cap: bool | None
    tier1_percent: Decimal | None
    large_exposure: bool | None
    over_large_exposure_limit: bool | None
    classification: str
    cross_default: str | None
    under_review: bool
    warnings: tuple[tuple[date, str, str], ...]
    members: tuple[MemberRow, ...]


@frozen
class ConcentrationReport:
    as_of: date
    position: int
    cap_percent: Decimal
    large_exposure_percent: Decimal
    large_exposure_limit_percent: Decimal
    groups: tuple[GroupRow, ...]


@frozen
class AgingRow:
    number: str
    customer_id: UUID
    buckets: tuple[tuple[str, Money], ...]


@frozen
class AgingReport:
    as_of: date
    position: int
    rows: tuple[AgingRow, ...]
    totals: tuple[tuple[str, Money], ...]


class CreditReports:
    """The five-category, migration, group concentration and receivables aging reports."""

    def __init__(
        self,
        app: ClientBookApplication,
        policy: PolicyService,
        history: History,
        refresh: Callable[[], object],
    ) -> None:
        self._app = app
        self._policy = policy
        self._history = history
        self._refresh = refresh

    def classification(self, *, as_of: date, position: int | None = None) -> ClassificationReport:
        reflected, lines = self._lines(as_of, position)
        currency = self._policy.at(reflected).in_force(as_of).currency
        rows = []
        for classification in CLASSES:
            chosen = [line for line in lines if line.classification == classification]
            rows.append(
                ClassRow(
                    classification, len(chosen), _sum((l.outstanding for l in chosen), currency)
                )
            )
        return ClassificationReport(as_of, reflected, tuple(rows))

    def migration(
        self, *, from_date: date, to_date: date, position: int | None = None
    ) -> MigrationReport:
        reflected, before = self._lines(from_date, position)
        _, after = self._lines(to_date, reflected)
        start = {line.id: line.classification for line in before}
        cells: dict[tuple[str, str], list[CreditLine]] = defaultdict(list)
        for line in after:
            cells[(start.get(line.id, "new"), line.classification)].append(line)
        return MigrationReport(
            from_date,
            to_date,
            reflected,
            tuple(
                MigrationCell(
                    f, t, len(ls), _sum((l.outstanding for l in ls), ls[0].limit.currency)
                )
                for (f, t), ls in sorted(
                    cells.items(), key=lambda kv: (_order(kv[0][0]), _order(kv[0][1]))
                )
            ),
        )

    def concentration(self, *, as_of: date, position: int | None = None) -> ConcentrationReport:
        reflected, lines = self._lines(as_of, position)
        policy = self._policy.at(reflected).in_force(as_of)
        groups = self._as_of(CreditGroup, "CreditGroup", as_of, reflected)
        by_customer: dict[UUID, list[CreditLine]] = defaultdict(list)
        for line in lines:
            by_customer[line.customer_id].append(line)
        rows = [
            self._group_row(g, by_customer, policy) for g in sorted(groups, key=lambda g: g.name)
        ]
        return ConcentrationReport(
            as_of,
            reflected,
            policy.concentration_cap_percent,
            policy.large_exposure_percent,
            policy.large_exposure_limit_percent,
            tuple(rows),
        )

    def aging(self, *, as_of: date, position: int | None = None) -> AgingReport:
        reflected, lines = self._lines(as_of, position)
        rows = []
        totals: dict[str, Money] = {}
        for line in sorted(
            (l for l in lines if l.product == "trade_credit"), key=lambda l: l.number
        ):
            buckets = line.aging(as_of)
            rows.append(AgingRow(line.number, line.customer_id, tuple(buckets.items())))
            for bucket, amount in buckets.items():
                totals[bucket] = totals[bucket] + amount if bucket in totals else amount
        return AgingReport(
            as_of,
            reflected,
            tuple(rows),
            tuple((b, totals[b]) for b in AGING_BUCKETS if b in totals),
        )

    def detect_groups(self) -> GroupDetection:
        """Propose groups from the recorded links, and list connected customers left outside."""
        self._refresh()
        policy = self._policy.in_force()

        def number(cid: UUID) -> str:
            return self._app.get(Customer, cid, "customer").number

        links: list[tuple[str, str, str]] = []
        for l in self._current(CustomerLink, "CustomerLink"):
            if not l.ended and l.link.qualifies(policy):
                first, second = sorted((number(l.first), number(l.second)))
                links.append((first, second, l.link.kind))
        group_of = {
            number(member): g.name
            for g in self._current(CreditGroup, "CreditGroup")
            for member in g.members
        }
        return detect(links, group_of)

    # -- helpers --------------------------------------------------------------------------

    def _current(self, cls: type[A], type_name: str) -> list[A]:
        return [
            self._app.get(cls, aggregate_id, type_name)
            for aggregate_id in self._history.versions(type_name)
        ]

    def _group_row(
        self, g: CreditGroup, by_customer: dict[UUID, list[CreditLine]], policy: PolicySettings
    ) -> GroupRow:
        currency = g.limit.currency
        members = []
        for customer_id, allocation in g.members.items():
            own = by_customer.get(customer_id, [])
            members.append(
                MemberRow(
                    customer_id,
                    self._app.get(Customer, customer_id, "customer").number,
                    g.links[customer_id].kind,
                    allocation,
                    _sum((l.limit for l in own), currency),
                    _sum((l.outstanding for l in own), currency),
                    g.member_classes.get(customer_id, "normal"),
                )
            )
        members.sort(key=lambda m: m.number)
        committed = _sum((m.lines for m in members), currency)
        outstanding = _sum((m.outstanding for m in members), currency)
        net, tier1 = policy.net_capital, policy.tier1_capital
        cap = concentration_cap(policy) if net else None
        tier1_percent = _percent(committed.amount, tier1)
        cross = g.cross_default
        return GroupRow(
            name=g.name,
            lead_branch=g.lead_branch,
            lead_manager=g.lead_manager,
            limit=g.limit,
            allocated=g.allocated,
            committed=committed,
            outstanding=outstanding,
            usage_percent=_percent(outstanding.amount, g.limit.amount),
            share_of_net_capital_percent=_percent(g.limit.amount, net),
            cap=cap,
            within_cap=None if cap is None else g.limit <= cap,
            tier1_percent=tier1_percent,
            large_exposure=None
            if tier1_percent is None
            else tier1_percent >= policy.large_exposure_percent,
            over_large_exposure_limit=None
            if tier1_percent is None
            else tier1_percent > policy.large_exposure_limit_percent,
            classification=g.classification,
            cross_default=None
            if cross is None
            else next((m.number for m in members if m.customer_id == cross), str(cross)),
            under_review=g.under_review,
            warnings=tuple(g.warnings),
            members=tuple(members),
        )

    def _lines(self, on: date, position: int | None) -> tuple[int, list[CreditLine]]:
        self._refresh()
        reflected = self._history.max_tracking_id(self._app.name) or 0
        if position is not None:
            reflected = min(reflected, position)
        lines = self._as_of(CreditLine, "CreditLine", on, reflected)
        return reflected, [line for line in lines if line.status in COUNTED]

    def _as_of(self, cls: type[A], type_name: str, on: date, position: int) -> list[A]:
        versions = self._history.versions(type_name, on=on, position=position)
        return [
            self._app.get_version(aggregate_id, version)
            for aggregate_id, version in versions.items()
        ]


def _sum(amounts: Iterable[Money], currency: str) -> Money:
    total = None
    for amount in amounts:
        total = amount if total is None else total + amount
    return total if total is not None else Money.zero(currency)


def _percent(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    return (part * HUNDRED / whole).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _order(classification: str) -> int:
    return CLASSES.index(classification) if classification in CLASSES else -1


@frozen
class ProposedGroup:
    """Customers connected by qualifying links: they should be managed as one group."""

    customers: tuple[str, ...]
    groups: tuple[str, ...]
    links: tuple[tuple[str, str, str], ...]


@frozen
class GroupDetection:
    proposed: tuple[ProposedGroup, ...]
    outside: tuple[tuple[str, str, str], ...]
    """Connected pairs (number, number, link kind) not in the same group: they escape its limit."""


def detect(links: Iterable[tuple[str, str, str]], group_of: dict[str, str]) -> GroupDetection:
    """Connected components of the qualifying links, and the connected pairs split across groups."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    pairs = sorted(links)
    for a, b, _ in pairs:
        parent[root(a)] = root(b)
    components: dict[str, list[str]] = defaultdict(list)
    for customer in list(parent):
        components[root(customer)].append(customer)
    proposed = []
    for members in components.values():
        members.sort()
        inside = tuple(p for p in pairs if p[0] in members)
        groups = tuple(sorted({group_of[m] for m in members if m in group_of}))
        proposed.append(ProposedGroup(tuple(members), groups, inside))
    outside = tuple(
        p for p in pairs if group_of.get(p[0]) is None or group_of.get(p[0]) != group_of.get(p[1])
    )
    return GroupDetection(tuple(sorted(proposed, key=lambda g: g.customers)), outside)
