"""Group customers: connected customers managed as one risk, with a group limit and allocations."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal
from uuid import UUID

from attrs import frozen
from eventsourcing.domain import event

from clientbook.domain.actor import Actor, require_four_eyes
from clientbook.domain.base import BookAggregate, business_key_id
from clientbook.domain.credit_line import worse
from clientbook.domain.errors import (
    AllocationExceededError,
    ConcentrationCapError,
    GroupLimitError,
    InvalidTransitionError,
    InvalidValueError,
    ReasonRequiredError,
)
from clientbook.domain.money import Money
from clientbook.domain.policy import PolicySettings

LINK_KINDS = (
    "control",
    "common_control",
    "family_or_key_managers",
    "mutual_guarantee",
    "same_guarantor",
    "economic_dependency",
)
WARNINGS = (
    "overdraft_abuse",
    "overdue_bills",
    "collateral_withdrawn",
    "rating_downgrade",
    "covenant_breach",
)


@frozen
class Link:
    """How one customer is connected to another, with the evidence for it."""

    kind: str
    evidence: str
    percent: Decimal | None = None
    largest_shareholder: bool = False
    board_majority: bool = False
    control_in_fact: bool = False
    large_non_trade_receivables: bool = False

    def check(self) -> Link:
        if self.kind not in LINK_KINDS:
            raise InvalidValueError(f"link {self.kind!r} is not one of: {', '.join(LINK_KINDS)}")
        if not self.evidence.strip():
            raise InvalidValueError(f"a {self.kind} link needs its evidence")
        if self.percent is not None and not Decimal(0) <= self.percent <= Decimal(100):
            raise InvalidValueError(f"a link's percentage {self.percent} is not between 0 and 100")
        return self

    def qualifies(self, policy: PolicySettings) -> bool:
        """Whether the link makes the two customers one risk, by the regulator's rules."""
        percent = self.percent or Decimal(0)
        if self.kind == "control":
            if percent > policy.control_majority_percent:
                return True
            significant = (
                policy.control_significant_percent <= percent <= policy.control_majority_percent
            )
            return self.control_in_fact or (
                significant and (self.largest_shareholder or self.board_majority)
            )
        if self.kind == "economic_dependency":
            return percent >= policy.economic_dependency_percent or self.large_non_trade_receivables
        return True  # common control, family or key managers, guarantees


def link_id(a: UUID, b: UUID) -> UUID:
    first, second = sorted((str(a), str(b)))
    return business_key_id("customer-link", f"{first}/{second}")


class CustomerLink(BookAggregate):
    """The recorded connection between two customers (group detection reads these)."""

    @staticmethod
    def create_id(first: UUID, second: UUID) -> UUID:
        return link_id(first, second)

    @event("Recorded")
    def __init__(self, first: UUID, second: UUID, link: Link, by: str, on: date) -> None:
        self.first, self.second, self.link = first, second, link
        self.ended = False

    def revise(self, link: Link, *, by: str, on: date) -> None:
        self._revised(link.check(), by, on)

    @event("Revised")
    def _revised(self, link: Link, by: str, on: date) -> None:
        self.link, self.ended = link, False

    def end(self, *, reason: str, by: str, on: date) -> None:
        if self.ended:
            raise InvalidTransitionError("the link has already ended")
        if not reason.strip():
            raise ReasonRequiredError("ending a link needs a reason")
        self._ended(reason.strip(), by, on)

    @event("Ended")
    def _ended(self, reason: str, by: str, on: date) -> None:
        self.ended = True


def group_id(name: str) -> UUID:
    return business_key_id("credit-group", name)


def concentration_cap(policy: PolicySettings) -> Money:
    """The most a group's limit may be: the cap's percentage of the net capital."""
    if policy.net_capital is None:
        raise ConcentrationCapError(
            "the policy has no net capital yet; set net_capital before granting a group limit"
        )
    cap = policy.net_capital * policy.concentration_cap_percent / Decimal(100)
    # Down to the cent: rounded to nearest, 15% of 1,000,000.10 (150,000.015) would let a
    # limit of 150,000.02 through, above the percentage.
    return Money(cap.quantize(Decimal("0.01"), ROUND_DOWN), policy.currency)


class CreditGroup(BookAggregate):
    """Customers managed as one risk: group limit, allocations, unified classification, cross-default."""

    @staticmethod
    def create_id(name: str) -> UUID:
        return group_id(name)

    @classmethod
    def form(
        cls,
        *,
        name: str,
        lead_branch: str,
        lead_manager: str,
        limit: Money,
        policy: PolicySettings,
        by: str,
        on: date,
    ) -> CreditGroup:
        for value, what in (
            (name, "group name"),
            (lead_branch, "lead branch"),
            (lead_manager, "lead relationship manager"),
        ):
            if not value.strip():
                raise InvalidValueError(f"the {what} is required")
        _check_cap(limit, policy, name)
        return cls(
            name=name, lead_branch=lead_branch, lead_manager=lead_manager, limit=limit, by=by, on=on
        )

    @event("Formed")
    def __init__(
        self, name: str, lead_branch: str, lead_manager: str, limit: Money, by: str, on: date
    ) -> None:
        self.name, self.lead_branch, self.lead_manager = name, lead_branch, lead_manager
        self.limit = limit
        self.members: dict[UUID, Money] = {}
        self.links: dict[UUID, Link] = {}
        self.member_classes: dict[UUID, str] = {}
        self.cross_default: UUID | None = None
        self.reviewed_by: str | None = None
        self.under_review = False
        self.warnings: list[tuple[date, str, str]] = []

    @property
    def allocated(self) -> Money:
        total = Money.zero(self.limit.currency)
        for allocation in self.members.values():
            total += allocation
        return total

    @property
    def classification(self) -> str:
        """Unified classification: the worst of the members'."""
        result = "normal"
        for classification in self.member_classes.values():
            result = worse(result, classification)
        return result

    def add_member(
        self, customer_id: UUID, *, link: Link, allocation: Money, lines: Money, by: str, on: date
    ) -> None:
        """Add a member with its link; its allocation fits the limit and covers its lines."""
        if customer_id in self.members:
            raise InvalidValueError(f"the customer is already a member of group {self.name}")
        link.check()
        self._check_allocation(customer_id, allocation, lines)
        self._member_added(customer_id, link, allocation, by, on)

    @event("MemberAdded")
    def _member_added(
        self, customer_id: UUID, link: Link, allocation: Money, by: str, on: date
    ) -> None:
        self.members[customer_id] = allocation
        self.links[customer_id] = link
        self.member_classes.setdefault(customer_id, "normal")

    def remove_member(self, customer_id: UUID, *, reason: str, by: str, on: date) -> None:
        self._require_member(customer_id)
        if not reason.strip():
            raise ReasonRequiredError(f"removing a member from group {self.name} needs a reason")
        self._member_removed(customer_id, reason.strip(), by, on)

    @event("MemberRemoved")
    def _member_removed(self, customer_id: UUID, reason: str, by: str, on: date) -> None:
        del self.members[customer_id], self.links[customer_id]
        self.member_classes.pop(customer_id, None)

    def allocate(
        self, customer_id: UUID, allocation: Money, *, lines: Money, by: str, on: date
    ) -> None:
        self._require_member(customer_id)
        self._check_allocation(customer_id, allocation, lines)
        self._allocated(customer_id, allocation, by, on)

    @event("AllocationChanged")
    def _allocated(self, customer_id: UUID, allocation: Money, by: str, on: date) -> None:
        self.members[customer_id] = allocation

    def change_limit(self, limit: Money, *, policy: PolicySettings, by: str, on: date) -> None:
        _check_cap(limit, policy, self.name)
        if self.allocated > limit:
            raise GroupLimitError(
                f"group {self.name} has {self.allocated} allocated to members; its limit cannot "
                f"fall to {limit}"
            )
        self._limit_changed(limit, by, on)

    @event("LimitChanged")
    def _limit_changed(self, limit: Money, by: str, on: date) -> None:
        self.limit = limit

    def check_line(self, customer_id: UUID, lines_after: Money) -> None:
        """A member's credit lines never exceed its allocation (checked at approval and increase)."""
        allocation = self.members.get(customer_id)
        if allocation is not None and lines_after > allocation:
            raise AllocationExceededError(
                f"the member's credit lines would total {lines_after}, above its allocation of "
                f"{allocation} in group {self.name}"
            )

    def record_classification(
        self, customer_id: UUID, classification: str, *, by: str, on: date
    ) -> bool:
        """Keep the member's (worst line) classification, so the group's is the worst member's."""
        if (
            customer_id not in self.members
            or self.member_classes.get(customer_id) == classification
        ):
            return False
        self._member_classified(customer_id, classification, by, on)
        return True

    @event("MemberClassified")
    def _member_classified(self, customer_id: UUID, classification: str, by: str, on: date) -> None:
        self.member_classes[customer_id] = classification

    def trigger_cross_default(self, customer_id: UUID, *, by: str, on: date) -> bool:
        """A member in default freezes the whole group until it is reviewed and released."""
        if self.cross_default is not None or customer_id not in self.members:
            return False
        self._cross_defaulted(customer_id, by, on)
        return True

    @event("CrossDefaulted")
    def _cross_defaulted(self, customer_id: UUID, by: str, on: date) -> None:
        self.cross_default, self.under_review, self.reviewed_by = customer_id, True, None

    def raise_warning(self, kind: str, *, detail: str, by: str, on: date) -> None:
        """An early-warning signal puts the group under review."""
        if kind not in WARNINGS:
            raise InvalidValueError(f"early warning {kind!r} is not one of: {', '.join(WARNINGS)}")
        self._warned(kind, detail.strip(), by, on)

    @event("EarlyWarning")
    def _warned(self, kind: str, detail: str, by: str, on: date) -> None:
        self.warnings.append((on, kind, detail))
        self.under_review, self.reviewed_by = True, None

    def review(self, *, findings: str, by: str, on: date) -> None:
        if not self.under_review:
            raise InvalidTransitionError(f"group {self.name} is not under review")
        if not findings.strip():
            raise ReasonRequiredError(f"reviewing group {self.name} needs the findings")
        self._reviewed(findings.strip(), by, on)

    @event("Reviewed")
    def _reviewed(self, findings: str, by: str, on: date) -> None:
        self.reviewed_by = by

    def release(self, *, by: Actor, on: date) -> None:
        """✋ Another person than the reviewer releases the group after its review."""
        if self.reviewed_by is None:
            raise InvalidTransitionError(
                f"group {self.name} must be reviewed before it is released"
            )
        require_four_eyes(self.reviewed_by, by.id, f"the review of group {self.name}")
        self._released(by.id, on)

    @event("Released")
    def _released(self, by: str, on: date) -> None:
        self.cross_default, self.under_review, self.reviewed_by = None, False, None

    def _check_allocation(self, customer_id: UUID, allocation: Money, lines: Money) -> None:
        if allocation.is_negative:
            raise InvalidValueError(f"an allocation cannot be negative; got {allocation}")
        others = self.allocated - self.members.get(customer_id, Money.zero(self.limit.currency))
        if others + allocation > self.limit:
            raise GroupLimitError(
                f"allocating {allocation} would put {others + allocation} of group {self.name}'s "
                f"{self.limit} limit to members"
            )
        if lines > allocation:
            raise AllocationExceededError(
                f"the member's credit lines total {lines}, above the allocation of {allocation}"
            )

    def _require_member(self, customer_id: UUID) -> None:
        if customer_id not in self.members:
            raise InvalidValueError(f"the customer is not a member of group {self.name}")


def _check_cap(limit: Money, policy: PolicySettings, name: str) -> None:
    cap = concentration_cap(policy)
    if limit > cap:
        raise ConcentrationCapError(
            f"group {name}'s limit of {limit} is above the concentration cap of {cap} "
            f"({policy.concentration_cap_percent}% of net capital)"
        )
