"""The credit line: a facility granted to one customer, its drawdowns, schedule and classification."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import event

from clientbook.domain.actor import Actor, require_four_eyes
from clientbook.domain.base import BookAggregate, business_key_id
from clientbook.domain.checks import require_positive as _positive
from clientbook.domain.checks import require_reason as _reason
from clientbook.domain.errors import (
    ClassificationFloorError,
    CustomerRestrictedError,
    InsufficientCreditError,
    InvalidAmountError,
    InvalidTransitionError,
    InvalidValueError,
    LineFrozenError,
    OverRepaymentError,
    RoleRequiredError,
)
from clientbook.domain.money import Money
from clientbook.domain.policy import PolicySettings

PRODUCTS = ("working_capital", "overdraft", "trade_credit", "guarantee", "trade_finance")
CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")
COVENANTS = (
    "asset_disposal",
    "change_of_shareholders",
    "external_guarantees",
    "dividends",
    "cross_default",
)
AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", ">90")
INCOME_KINDS = ("interest", "fee")


def credit_line_id(number: str) -> UUID:
    return business_key_id("credit-line", number)


def worse(a: str, b: str) -> str:
    """The worse of two five-category classifications."""
    return max(a, b, key=CLASSES.index)


def floor_for(dpd: int, policy: PolicySettings) -> str:
    """The best classification a line may have at these days past due."""
    if dpd > policy.credit_loss_dpd:
        return "loss"
    if dpd > policy.credit_doubtful_dpd:
        return "doubtful"
    if dpd > policy.credit_substandard_dpd:
        return "substandard"
    if dpd >= policy.credit_special_mention_dpd:
        return "special_mention"
    return "normal"


def aging_bucket(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    for bound, bucket in ((30, "1-30"), (60, "31-60"), (90, "61-90")):
        if days_past_due <= bound:
            return bucket
    return ">90"


def unpaid_instalments(
    instalments: list[tuple[date, Money]], repaid: Money
) -> list[tuple[date, Money]]:
    """What is left of each instalment after the repayments, which pay the oldest first."""
    left, result = repaid.amount, []
    for due, amount in sorted(instalments):
        paid = min(left, amount.amount)
        left -= paid
        if paid < amount.amount:
            result.append((due, Money(amount.amount - paid, amount.currency)))
    return result


class CreditLine(BookAggregate):
    """A credit facility of one customer: limit, outstanding, schedule, classification."""

    @staticmethod
    def create_id(number: str) -> UUID:
        return credit_line_id(number)

    @classmethod
    def propose(
        cls,
        *,
        number: str,
        customer_id: UUID,
        product: str,
        limit: Money,
        rate: Decimal,
        start: date,
        maturity: date,
        review: date,
        by: str,
        on: date,
    ) -> CreditLine:
        if product not in PRODUCTS:
            raise InvalidValueError(f"product {product!r} is not one of: {', '.join(PRODUCTS)}")
        _positive(limit, "a credit limit")
        if not isinstance(rate, Decimal) or rate < 0:
            raise InvalidValueError(
                f"interest rate {rate!r} is not a non-negative Decimal (% a year)"
            )
        if not start < maturity or not start <= review <= maturity:
            raise InvalidValueError(
                f"dates must run start {start} ≤ review {review} ≤ maturity {maturity}, start before maturity"
            )
        return cls(
            number=number,
            customer_id=customer_id,
            product=product,
            limit=limit,
            rate=rate,
            start=start,
            maturity=maturity,
            review=review,
            by=by,
            on=on,
        )

    @event("Proposed")
    def __init__(
        self,
        number: str,
        customer_id: UUID,
        product: str,
        limit: Money,
        rate: Decimal,
        start: date,
        maturity: date,
        review: date,
        by: str,
        on: date,
    ) -> None:
        self.number, self.customer_id, self.product = number, customer_id, product
        self.limit, self.rate = limit, rate
        self.start, self.maturity, self.review = start, maturity, review
        self.outstanding = Money.zero(limit.currency)
        self.status = "proposed"
        self.proposer = by
        self.frozen: str | None = None
        self.group_frozen = False
        self.pending_limit: Money | None = None
        self.pending_limit_by: str | None = None
        self.classification = "normal"
        self.instalments: list[tuple[date, Money]] = []
        self.repaid = Money.zero(limit.currency)
        self.past_due_since: date | None = None
        self.covenants: list[str] = []
        self.breaches: list[tuple[date, str, str]] = []

    @property
    def available(self) -> Money:
        return self.limit - self.outstanding

    @property
    def is_open(self) -> bool:
        return self.status not in ("closed",)

    # -- approval -------------------------------------------------------------------------

    def approve(self, *, by: Actor, policy: PolicySettings, on: date) -> None:
        """✋ Another person approves the line, within their approval authority."""
        self._require(("proposed",), "approved")
        require_four_eyes(self.proposer, by.id, f"credit line {self.number}")
        by.require_authority(self.limit, policy, f"the limit of credit line {self.number}")
        self._approved(by.id, on)

    @event("Approved")
    def _approved(self, by: str, on: date) -> None:
        self.status = "approved"

    def activate(self, *, by: str, on: date) -> None:
        self._require(("approved",), "activated")
        self._activated(by, on)

    @event("Activated")
    def _activated(self, by: str, on: date) -> None:
        self.status = "active"

    # -- limits ---------------------------------------------------------------------------

    def propose_limit_increase(self, new_limit: Money, *, by: str, on: date) -> None:
        self._require(("approved", "active", "frozen"), "given a limit increase")
        if not new_limit > self.limit:
            raise InvalidAmountError(
                f"{new_limit} is not above credit line {self.number}'s limit of {self.limit}; "
                "a decrease takes effect at once with decrease_limit"
            )
        self._limit_increase_proposed(new_limit, by, on)

    @event("LimitIncreaseProposed")
    def _limit_increase_proposed(self, new_limit: Money, by: str, on: date) -> None:
        self.pending_limit, self.pending_limit_by = new_limit, by

    def approve_limit_increase(self, *, by: Actor, policy: PolicySettings, on: date) -> None:
        """✋ Another person approves the increase, within authority for the new limit."""
        self._require(("approved", "active", "frozen"), "given a limit increase")
        if self.pending_limit is None or self.pending_limit_by is None:
            raise InvalidTransitionError(
                f"credit line {self.number} has no limit increase to approve"
            )
        require_four_eyes(
            self.pending_limit_by, by.id, f"the limit increase of credit line {self.number}"
        )
        by.require_authority(
            self.pending_limit, policy, f"the new limit of credit line {self.number}"
        )
        self._limit_increased(self.pending_limit, by.id, on)

    @event("LimitIncreased")
    def _limit_increased(self, limit: Money, by: str, on: date) -> None:
        self.limit, self.pending_limit, self.pending_limit_by = limit, None, None

    def decrease_limit(self, new_limit: Money, *, reason: str, by: str, on: date) -> None:
        """A decrease takes effect at once; never below what is outstanding."""
        self._require(("proposed", "approved", "active", "frozen"), "given a lower limit")
        if not new_limit < self.limit:
            raise InvalidAmountError(f"{new_limit} is not below the limit of {self.limit}")
        if new_limit < self.outstanding or new_limit.amount <= 0:
            raise InvalidAmountError(
                f"credit line {self.number} has {self.outstanding} outstanding; its limit cannot "
                f"fall to {new_limit}"
            )
        self._limit_decreased(new_limit, _reason(reason, "a limit decrease"), by, on)

    @event("LimitDecreased")
    def _limit_decreased(self, limit: Money, reason: str, by: str, on: date) -> None:
        self.limit = limit

    # -- drawdowns and repayments ---------------------------------------------------------

    def draw(
        self,
        amount: Money,
        *,
        customer_restricted: bool,
        by: str,
        on: date,
        due: date | None = None,
    ) -> None:
        """Draw within the available amount on an active, unfrozen line of an unrestricted customer."""
        _positive(amount, "a drawdown")
        if self.frozen is not None or self.group_frozen:
            why = self.frozen or "the group's cross-default"
            raise LineFrozenError(f"credit line {self.number} is frozen ({why}); no new drawdowns")
        self._require(("active",), "drawn on")
        if customer_restricted:
            raise CustomerRestrictedError(
                f"the customer of credit line {self.number} is restricted; no new credit"
            )
        if amount > self.available:
            raise InsufficientCreditError(
                f"credit line {self.number} has {self.available} available; cannot draw {amount}"
            )
        if due is not None and due < on:
            raise InvalidValueError(f"a drawdown's due date {due} cannot be before its date {on}")
        self._drawn(amount, due, by, on)

    @event("Drawn")
    def _drawn(self, amount: Money, due: date | None, by: str, on: date) -> None:
        self.outstanding += amount
        if due is not None:
            self.instalments.append((due, amount))

    def schedule(self, instalments: list[tuple[date, Money]], *, by: str, on: date) -> None:
        """Add instalments with due dates; all scheduled but unpaid never exceeds outstanding."""
        self._require(("active", "frozen", "matured"), "given a repayment schedule")
        if not instalments:
            raise InvalidValueError("a repayment schedule needs at least one instalment")
        total = Money.zero(self.limit.currency)
        for due, amount in instalments:
            total += _positive(amount, "an instalment")
        if self.unpaid_scheduled() + total > self.outstanding:
            raise InvalidAmountError(
                f"credit line {self.number}: instalments of {total} would schedule more than the "
                f"{self.outstanding} outstanding"
            )
        self._scheduled(sorted(instalments), by, on)

    @event("Scheduled")
    def _scheduled(self, instalments: list[tuple[date, Money]], by: str, on: date) -> None:
        self.instalments = sorted([*self.instalments, *instalments])

    def repay(self, amount: Money, *, by: str, on: date) -> None:
        _positive(amount, "a repayment")
        if amount > self.outstanding:
            raise OverRepaymentError(
                f"credit line {self.number} has {self.outstanding} outstanding; cannot repay {amount}"
            )
        self._repaid(amount, by, on)

    @event("Repaid")
    def _repaid(self, amount: Money, by: str, on: date) -> None:
        self.outstanding -= amount
        self.repaid += amount
        if self.past_due_since is not None and self.oldest_unpaid_due() is None:
            self.past_due_since = None

    def unpaid(self) -> list[tuple[date, Money]]:
        """Instalments not yet covered by repayments, oldest first (repayments pay oldest first)."""
        return unpaid_instalments(self.instalments, self.repaid)

    def unpaid_scheduled(self) -> Money:
        total = Money.zero(self.limit.currency)
        for _, amount in self.unpaid():
            total += amount
        return total

    def oldest_unpaid_due(self) -> date | None:
        unpaid = self.unpaid()
        return unpaid[0][0] if unpaid else None

    def days_past_due(self, on: date) -> int:
        """Days since the oldest unpaid instalment fell due (0 when none is overdue)."""
        due = self.oldest_unpaid_due()
        return max(0, (on - due).days) if due is not None else 0

    def aging(self, on: date) -> dict[str, Money]:
        """Unpaid amounts by days past due: current, 1–30, 31–60, 61–90, > 90."""
        buckets = {bucket: Money.zero(self.limit.currency) for bucket in AGING_BUCKETS}
        for due, amount in self.unpaid():
            bucket = aging_bucket((on - due).days)
            buckets[bucket] += amount
        return buckets

    def record_past_due(self, *, by: str, on: date) -> bool:
        """Close of business: note the day an unpaid instalment made the line past due."""
        due = self.oldest_unpaid_due()
        if due is None or due >= on or self.past_due_since == due:
            return False
        self._became_past_due(due, by, on)
        return True

    @event("BecamePastDue")
    def _became_past_due(self, since: date, by: str, on: date) -> None:
        self.past_due_since = since

    # -- classification -------------------------------------------------------------------

    def classify(
        self, classification: str, *, reason: str, by: Actor, policy: PolicySettings, on: date
    ) -> None:
        """A credit officer sets the five-category classification, never better than the floor."""
        self._require(("approved", "active", "frozen", "matured"), "classified")
        if classification not in CLASSES:
            raise InvalidValueError(
                f"classification {classification!r} is not one of: {', '.join(CLASSES)}"
            )
        if "credit_officer" not in by.roles:
            raise RoleRequiredError(
                f"{by.id} is not a credit officer; a credit officer classifies lines"
            )
        floor = floor_for(self.days_past_due(on), policy)
        if worse(classification, floor) != classification:
            raise ClassificationFloorError(
                f"credit line {self.number} is {self.days_past_due(on)} days past due; it cannot "
                f"be better than {floor}"
            )
        if classification == self.classification:
            raise InvalidValueError(f"credit line {self.number} is already {classification}")
        self._classified(
            self.classification, classification, _reason(reason, "a classification"), by.id, on
        )

    def apply_floor(self, *, policy: PolicySettings, by: str, on: date) -> bool:
        """Close of business: move the classification down to the floor its DPD sets."""
        dpd = self.days_past_due(on)
        floor = floor_for(dpd, policy)
        if worse(self.classification, floor) == self.classification:
            return False
        self._classified(self.classification, floor, f"{dpd} days past due", by, on)
        return True

    @event("Classified")
    def _classified(
        self, previous: str, classification: str, reason: str, by: str, on: date
    ) -> None:
        self.classification = classification

    def is_in_default(self, on: date, policy: PolicySettings) -> bool:
        """Substandard or worse, or more than the substandard DPD threshold past due."""
        return (
            CLASSES.index(self.classification) >= CLASSES.index("substandard")
            or self.days_past_due(on) > policy.credit_substandard_dpd
        )

    # -- freezing, covenants, maturity, closing --------------------------------------------

    def freeze(self, *, reason: str, by: str, on: date) -> None:
        self._require(("active",), "frozen")
        self._frozen(_reason(reason, "freezing a line"), by, on)

    @event("Frozen")
    def _frozen(self, reason: str, by: str, on: date) -> None:
        self.frozen, self.status = reason, "frozen"

    def unfreeze(self, *, reason: str, by: str, on: date) -> None:
        self._require(("frozen",), "unfrozen")
        self._unfrozen(_reason(reason, "unfreezing a line"), by, on)

    @event("Unfrozen")
    def _unfrozen(self, reason: str, by: str, on: date) -> None:
        self.frozen, self.status = None, "active"

    def freeze_for_group(self, *, group_id: UUID, by: str, on: date) -> bool:
        if self.group_frozen or not self.is_open:
            return False
        self._group_frozen(group_id, by, on)
        return True

    @event("FrozenByGroup")
    def _group_frozen(self, group_id: UUID, by: str, on: date) -> None:
        self.group_frozen = True

    def release_for_group(self, *, group_id: UUID, by: str, on: date) -> bool:
        if not self.group_frozen:
            return False
        self._group_released(group_id, by, on)
        return True

    @event("ReleasedByGroup")
    def _group_released(self, group_id: UUID, by: str, on: date) -> None:
        self.group_frozen = False

    def add_covenant(self, kind: str, *, by: str, on: date) -> None:
        if kind not in COVENANTS:
            raise InvalidValueError(f"covenant {kind!r} is not one of: {', '.join(COVENANTS)}")
        if kind in self.covenants:
            raise InvalidValueError(f"credit line {self.number} already has a {kind} covenant")
        self._covenant_added(kind, by, on)

    @event("CovenantAdded")
    def _covenant_added(self, kind: str, by: str, on: date) -> None:
        self.covenants.append(kind)

    def record_breach(self, kind: str, *, detail: str, by: str, on: date) -> None:
        """A covenant breach is recorded (and raises an early warning on the group)."""
        if kind not in self.covenants:
            raise InvalidValueError(f"credit line {self.number} has no {kind} covenant to breach")
        self._breached(kind, _reason(detail, "a covenant breach"), by, on)

    @event("CovenantBreached")
    def _breached(self, kind: str, detail: str, by: str, on: date) -> None:
        self.breaches.append((on, kind, detail))

    def mark_matured(self, *, by: str, on: date) -> None:
        if on < self.maturity:
            raise InvalidTransitionError(
                f"credit line {self.number} matures on {self.maturity}, not {on}"
            )
        self._require(("active", "frozen"), "matured")
        self._matured(by, on)

    @event("Matured")
    def _matured(self, by: str, on: date) -> None:
        self.status = "matured"

    def set_review_date(self, review: date, *, by: str, on: date) -> None:
        if review > self.maturity:
            raise InvalidValueError(f"review date {review} is after maturity {self.maturity}")
        self._review_set(review, by, on)

    @event("ReviewDateSet")
    def _review_set(self, review: date, by: str, on: date) -> None:
        self.review = review

    def record_income(self, kind: str, amount: Money, *, by: str, on: date) -> None:
        """Interest or a fee the line earned, as the lending system posted it (interest is
        serviced as it falls due, so the outstanding does not change): it counts in the
        customer's contribution. A closed line's last interest is still recorded."""
        if kind not in INCOME_KINDS:
            raise InvalidValueError(f"income {kind!r} is not {' or '.join(INCOME_KINDS)}")
        self._require(("active", "frozen", "matured", "closed"), "credited with income")
        if amount.currency != self.limit.currency:
            raise InvalidAmountError(
                f"credit line {self.number} is in {self.limit.currency}; income of {amount} "
                "is in another currency"
            )
        self._income_recorded(kind, _positive(amount, "income"), by, on)

    @event("IncomeRecorded")
    def _income_recorded(self, kind: str, amount: Money, by: str, on: date) -> None:
        pass  # counted by the contribution report; the line's balances are unchanged

    def close(self, *, reason: str, by: str, on: date) -> None:
        if not self.is_open:
            raise InvalidTransitionError(f"credit line {self.number} is already closed")
        if not self.outstanding.is_zero:
            raise InvalidTransitionError(
                f"credit line {self.number} has {self.outstanding} outstanding; it closes at zero"
            )
        self._closed(_reason(reason, "closing a line"), by, on)

    @event("Closed")
    def _closed(self, reason: str, by: str, on: date) -> None:
        self.status = "closed"

    def _require(self, statuses: tuple[str, ...], what: str) -> None:
        if self.status not in statuses:
            raise InvalidTransitionError(
                f"credit line {self.number} is {self.status}; it can be {what} only when "
                f"{' or '.join(statuses)}"
            )
