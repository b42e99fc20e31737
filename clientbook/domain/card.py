"""The card account: application, issue, use, statements, delinquency, collections, write-off."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol, cast
from uuid import UUID

from attrs import frozen
from eventsourcing.domain import event

from clientbook.domain.actor import Actor, require_four_eyes
from clientbook.domain.base import BookAggregate, business_key_id
from clientbook.domain.checks import require_positive as _positive
from clientbook.domain.checks import require_reason as _reason
from clientbook.domain.errors import (
    CardNumberError,
    InvalidAmountError,
    InvalidTransitionError,
    InvalidValueError,
    OverRepaymentError,
)
from clientbook.domain.money import Money
from clientbook.domain.policy import PolicySettings

BUCKETS = ("current", "1-29", "30-59", "60-89", "90-119", "120-149", "150-179", "180+")
STAGES = ("none", "phone", "visit", "legal")
CARD_CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")
COMPONENTS = ("fees", "interest", "principal")  # payments pay in this order, oldest first
_PAN = re.compile(r"\d{12,19}")
CENT = Decimal("0.01")


def card_account_id(number: str) -> UUID:
    return business_key_id("card-account", number)


def bucket_for(dpd: int) -> str:
    if dpd <= 0:
        return "current"
    if dpd >= 180:
        return "180+"
    return BUCKETS[1 + min(dpd // 30, 5)] if dpd >= 30 else "1-29"


def stage_for(dpd: int, policy: PolicySettings) -> str:
    if dpd >= policy.card_legal_dpd:
        return "legal"
    if dpd >= policy.card_visit_dpd:
        return "visit"
    return "phone" if dpd >= 1 else "none"


def card_class_for(dpd: int) -> str:
    """Card five-category: normal (paid by the due date), 1–90, 91–120, 121–180, > 180."""
    if dpd <= 0:
        return "normal"
    if dpd <= 90:
        return "special_mention"
    if dpd <= 120:
        return "substandard"
    return "doubtful" if dpd <= 180 else "loss"


def shift_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), or the month's last day if it is shorter."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_months(day: date, months: int) -> date:
    """Statement cycles: the same day of the month, held at the 28th so every month has it."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, 28))


@frozen
class Applicant:
    """What the scorecard sees of an applicant."""

    monthly_income: Money
    age: int
    existing_customer: bool = False


class Scorecard(Protocol):
    """Scores an application; a higher score is a lower risk."""

    def score(self, applicant: Applicant) -> int: ...


class DefaultScorecard:
    """A transparent default: 500 points, plus up to 200 for monthly income (1 point per 100),
    plus 60 for ages 25 to 60 (30 for 21 to 24), plus 40 for an existing customer."""

    def score(self, applicant: Applicant) -> int:
        income = min(200, int(applicant.monthly_income.amount // 100))
        age = 60 if 25 <= applicant.age <= 60 else 30 if 21 <= applicant.age < 25 else 0
        return 500 + income + age + (40 if applicant.existing_customer else 0)


def grade_for(score: int) -> int:
    """Risk grade 1 (best) to 5 by score band: 720+, 680+, 640+, 600+, below."""
    for grade, floor in enumerate((720, 680, 640, 600), start=1):
        if score >= floor:
            return grade
    return 5


def suggested_limit(applicant: Applicant, grade: int) -> Money:
    """Monthly income times 5, 4, 3, 2 or 1 by grade, in hundreds."""
    amount = applicant.monthly_income.amount * (6 - grade)
    return Money((amount // 100) * 100, applicant.monthly_income.currency)


class CardAccount(BookAggregate):
    """A card account over its life: every posting, statement and delinquency step an event."""

    value_types = frozenset({Applicant})

    @staticmethod
    def create_id(number: str) -> UUID:
        return card_account_id(number)

    @classmethod
    def apply_for(
        cls,
        *,
        number: str,
        customer_id: UUID,
        applicant: Applicant,
        score: int,
        policy: PolicySettings,
        by: str,
        on: date,
    ) -> CardAccount:
        """Record an application and its decision: grades 4–5 always go to a person."""
        grade = grade_for(score)
        if applicant.age < policy.card_minimum_age:
            decision, limit = "declined", None
        elif grade >= 4:
            decision, limit = "referred", None
        else:
            decision, limit = "approved", suggested_limit(applicant, grade)
        return cls(
            number=number,
            customer_id=customer_id,
            applicant=applicant,
            score=score,
            grade=grade,
            decision=decision,
            limit=limit,
            by=by,
            on=on,
        )

    @event("Applied")
    def __init__(
        self,
        number: str,
        customer_id: UUID,
        applicant: Applicant,
        score: int,
        grade: int,
        decision: str,
        limit: Money | None,
        by: str,
        on: date,
    ) -> None:
        self.number, self.customer_id, self.applicant = number, customer_id, applicant
        self.score, self.grade, self.applied_by = score, grade, by
        self.status = decision  # approved, declined or referred
        self.approved_limit = limit
        currency = applicant.monthly_income.currency
        self.limit = Money.zero(currency)
        self.token: str | None = None
        self.last4: str | None = None
        self.apr = Decimal(0)
        self.aprs: list[tuple[date, Decimal]] = []
        self.annual_fee = Money.zero(currency)
        self.expiry: date | None = None
        self.blocked: str | None = None
        self.postings: dict[str, list[list[object]]] = {c: [] for c in COMPONENTS}  # FIFO, unpaid
        self.totals: dict[str, Money] = {c: Money.zero(currency) for c in COMPONENTS}
        self.unpaid_minimums: list[list[object]] = []  # [due, amount left]
        self.statement: tuple[date, Money, Money, date] | None = None  # on, balance, min, due
        self.paid_since_statement = Money.zero(currency)
        self.next_statement: date | None = None
        self.anniversary: date | None = None  # when the next annual fee falls due
        self.last_use: date | None = None
        self.dormancy = "none"  # none, dormant, long_term
        self.bucket, self.stage, self.classification = "current", "none", "normal"
        self.write_off_proposed_by: str | None = None
        self.written_off = Money.zero(currency)
        self.recovered = Money.zero(currency)
        self.pending_limit: tuple[Money, str] | None = None
        self.promises: list[tuple[date, Money, date]] = []
        self.plans: list[tuple[date, tuple[tuple[date, Money], ...]]] = []

    # -- balances -------------------------------------------------------------------------

    def component(self, name: str) -> Money:
        return self.totals[name]

    @property
    def balance(self) -> Money:
        return self.component("fees") + self.component("interest") + self.component("principal")

    @property
    def available(self) -> Money:
        left = self.limit - self.balance
        return left if not left.is_negative else Money.zero(self.limit.currency)

    def days_past_due(self, on: date) -> int:
        """Days from the oldest unpaid minimum payment's due date."""
        if not self.unpaid_minimums:
            return 0
        return max(0, (on - self.unpaid_minimums[0][0]).days)  # type: ignore[operator]

    # -- decision, issue, activation ------------------------------------------------------

    def decide(
        self,
        *,
        approve: bool,
        limit: Money | None,
        reason: str,
        by: Actor,
        on: date,
        policy: PolicySettings | None = None,
    ) -> None:
        """✋ A person decides a referred application; not the one who took it, and a limit
        within the approver's authority (under the default settings if none are given)."""
        if self.status != "referred":
            raise InvalidTransitionError(
                f"card application {self.number} is {self.status}, not referred"
            )
        require_four_eyes(self.applied_by, by.id, f"card application {self.number}")
        if approve and (limit is None or limit.amount <= 0):
            raise InvalidAmountError("an approval needs a limit above zero")
        if approve and limit is not None:
            by.require_authority(
                limit, policy or PolicySettings(), f"the limit of card {self.number}"
            )
        self._decided(
            "approved" if approve else "declined",
            limit if approve else None,
            _reason(reason, "a referral decision"),
            by.id,
            on,
        )

    @event("Decided")
    def _decided(self, decision: str, limit: Money | None, reason: str, by: str, on: date) -> None:
        self.status, self.approved_limit = decision, limit

    def issue(
        self,
        *,
        token: str,
        last4: str,
        apr: Decimal,
        annual_fee: Money,
        expiry: date,
        by: str,
        on: date,
    ) -> None:
        """Issue the card: identified by a token and the last four digits, never the full number."""
        if self.status != "approved":
            raise InvalidTransitionError(
                f"card account {self.number} is {self.status}; only an approved one is issued"
            )
        check_card_reference(token, last4)
        if apr < 0 or expiry <= on:
            raise InvalidValueError(
                "the APR cannot be negative and the expiry must be after the issue date"
            )
        assert self.approved_limit is not None
        self._issued(
            token, last4, self.approved_limit, apr, annual_fee, expiry, add_months(on, 1), by, on
        )

    @event("Issued")
    def _issued(
        self,
        token: str,
        last4: str,
        limit: Money,
        apr: Decimal,
        annual_fee: Money,
        expiry: date,
        next_statement: date,
        by: str,
        on: date,
    ) -> None:
        self.status, self.token, self.last4 = "issued", token, last4
        self.limit, self.apr, self.annual_fee, self.expiry = limit, apr, annual_fee, expiry
        self.aprs = [(on, apr)]
        self.next_statement, self.anniversary = next_statement, shift_months(on, 12)
        self.last_use = on

    def activate(self, *, by: str, on: date) -> None:
        if self.status != "issued":
            raise InvalidTransitionError(
                f"card account {self.number} is {self.status}; only an issued card is activated"
            )
        self._activated(by, on)
        if not self.annual_fee.is_zero:
            self._charged("fees", "annual", self.annual_fee, by, on)

    @event("Activated")
    def _activated(self, by: str, on: date) -> None:
        self.status = "active"

    # -- use ------------------------------------------------------------------------------

    def authorise(
        self, *, kind: str, amount: Money, merchant: str, policy: PolicySettings, by: str, on: date
    ) -> bool:
        """Approve a purchase or cash advance within the available credit, or record the decline."""
        if kind not in ("purchase", "cash_advance"):
            raise InvalidValueError(f"authorisation kind {kind!r} is not purchase or cash_advance")
        _positive(amount, "an authorisation")
        fee = self.cash_advance_fee(amount, policy) if kind == "cash_advance" else None
        needed = amount + fee if fee is not None else amount
        reason = self._decline_reason(needed)
        if reason is not None:
            self._declined(kind, amount, merchant, reason, by, on)
            return False
        self._authorised(kind, amount, merchant, by, on)
        if fee is not None:
            self._charged("fees", "cash_advance", fee, by, on)
        return True

    def cash_advance_fee(self, amount: Money, policy: PolicySettings) -> Money:
        fee = (amount.amount * policy.card_cash_advance_fee_percent / 100).quantize(
            CENT, ROUND_HALF_UP
        )
        return Money(max(fee, policy.card_cash_advance_fee_minimum), amount.currency)

    def _decline_reason(self, needed: Money) -> str | None:
        if self.status != "active":
            return f"the card is {self.status}"
        if self.blocked is not None:
            return f"the card is blocked: {self.blocked}"
        if needed > self.available:
            return f"{needed} exceeds the available credit of {self.available}"
        return None

    @event("Authorised")
    def _authorised(self, kind: str, amount: Money, merchant: str, by: str, on: date) -> None:
        self._post("principal", kind, amount, on)
        self.last_use = max(self.last_use or on, on)
        self.dormancy = "none"

    @event("AuthorisationDeclined")
    def _declined(
        self, kind: str, amount: Money, merchant: str, reason: str, by: str, on: date
    ) -> None:
        pass  # recorded for the audit trail and the customer's statement; no balance changes

    @event("Charged")
    def _charged(self, component: str, kind: str, amount: Money, by: str, on: date) -> None:
        self._post(component, kind, amount, on)

    def _post(self, component: str, kind: str, amount: Money, on: date) -> None:
        self.postings[component].append([on, kind, amount])
        self.totals[component] += amount

    def charge_fee(self, kind: str, amount: Money, *, by: str, on: date) -> None:
        if kind not in ("annual", "late", "over_limit", "cash_advance"):
            raise InvalidValueError(f"fee {kind!r} is not annual, late, over_limit or cash_advance")
        self._require_open("charged a fee")
        self._charged("fees", kind, _positive(amount, "a fee"), by, on)

    def pay(self, amount: Money, *, by: str, on: date) -> None:
        """A payment: fees, then interest, then principal, each oldest first."""
        _positive(amount, "a payment")
        if self.status == "written_off":
            raise InvalidTransitionError(
                f"card account {self.number} is written off; record a recovery instead"
            )
        if amount > self.balance:
            raise OverRepaymentError(
                f"card account {self.number} owes {self.balance}; cannot pay {amount}"
            )
        self._paid(amount, by, on)

    @event("Paid")
    def _paid(self, amount: Money, by: str, on: date) -> None:
        left = amount.amount
        for name in COMPONENTS:
            postings = self.postings[name]
            while left > 0 and postings:
                remaining: Money = postings[0][2]  # type: ignore[assignment]
                take = min(left, remaining.amount)
                left -= take
                self.totals[name] -= Money(take, amount.currency)
                if take == remaining.amount:
                    postings.pop(0)
                else:
                    postings[0][2] = Money(remaining.amount - take, amount.currency)
        self.paid_since_statement += amount
        self._settle_minimums(amount.amount)

    def _settle_minimums(self, amount: Decimal) -> None:
        self.unpaid_minimums = settle_minimums(self.unpaid_minimums, amount)

    # -- statements -----------------------------------------------------------------------

    def close_day(self, *, policy: PolicySettings, by: str, on: date) -> bool:
        """The account's close of business, in its order: the statement if one is due, then
        days past due (fees, buckets, stages, classification, write-off), dormancy, the annual
        fee, renewal or expiry. Whether anything changed."""
        changed = False
        statement_due = self.next_statement is not None and self.next_statement <= on
        if statement_due and self.status in ("active", "issued", "expired"):
            self.close_statement(policy=policy, by=by, on=on)
            changed = True
        changed = self.age(policy=policy, by=by, on=on) or changed
        changed = self.check_dormancy(policy=policy, by=by, on=on) or changed
        changed = self.charge_annual_fee(by=by, on=on) or changed
        return self.renew_or_expire(by=by, on=on) or changed

    def close_statement(self, *, policy: PolicySettings, by: str, on: date) -> None:
        """Close the cycle: interest on an unpaid previous balance, over-limit fee, then the
        statement balance, its minimum payment and its due date."""
        if (
            self.next_statement is None
            or on < self.next_statement
            or self.status in ("written_off", "closed")
        ):
            raise InvalidTransitionError(f"card account {self.number} has no statement due on {on}")
        interest = self.interest_due(on)
        if interest is not None:
            self._charged("interest", "interest", interest, by, on)
        if self.balance > self.limit:
            self._charged(
                "fees", "over_limit", Money(policy.card_over_limit_fee, self.limit.currency), by, on
            )
        balance = self.balance
        still_due = sum((m[1].amount for m in self.unpaid_minimums), Decimal(0))  # type: ignore[attr-defined]
        headroom = Money(max(Decimal(0), balance.amount - still_due), balance.currency)
        minimum = min(self.minimum_payment(balance, policy), headroom)  # never more than is owed
        due = on + timedelta(days=policy.card_payment_due_days)
        assert self.next_statement is not None
        self._statement_closed(balance, minimum, due, add_months(self.next_statement, 1), by, on)

    def interest_due(self, on: date) -> Money | None:
        """A month's interest at the APR in force on the principal, unless the last statement was
        paid in full (the grace period)."""
        if self.statement is None or self.paid_since_statement >= self.statement[1]:
            return None
        apr = self.apr_on(on)
        amount = (self.component("principal").amount * apr / 100 / 12).quantize(CENT, ROUND_HALF_UP)
        return Money(amount, self.limit.currency) if amount > 0 else None

    def apr_on(self, on: date) -> Decimal:
        """The APR in force on a date: the one with the latest effective date not after it (of
        two effective the same day, the later repricing); a decrease counts as an increase does."""
        in_force = [
            apr for effective, apr in sorted(self.aprs, key=lambda a: a[0]) if effective <= on
        ]
        return in_force[-1] if in_force else self.apr

    def minimum_payment(self, balance: Money, policy: PolicySettings) -> Money:
        """The greater of the percentage and the floor, or the whole balance if smaller."""
        share = (balance.amount * policy.card_minimum_payment_percent / 100).quantize(
            CENT, ROUND_HALF_UP
        )
        return Money(
            min(balance.amount, max(share, policy.card_minimum_payment_floor)), balance.currency
        )

    @event("StatementClosed")
    def _statement_closed(
        self, balance: Money, minimum: Money, due: date, next_statement: date, by: str, on: date
    ) -> None:
        self.statement = (on, balance, minimum, due)
        self.paid_since_statement = Money.zero(balance.currency)
        self.next_statement = next_statement
        if not minimum.is_zero:
            self.unpaid_minimums.append([due, minimum])

    # -- delinquency ----------------------------------------------------------------------

    def age(self, *, policy: PolicySettings, by: str, on: date) -> bool:
        """Close of business: late fee on a missed due date, then bucket, collection stage and
        classification from the days past due. True if anything changed."""
        changed = False
        if any(m[0] == on - timedelta(days=1) for m in self.unpaid_minimums):
            self._charged("fees", "late", Money(policy.card_late_fee, self.limit.currency), by, on)
            changed = True
        dpd = self.days_past_due(on)
        moves = (bucket_for(dpd), stage_for(dpd, policy), card_class_for(dpd))
        if moves != (self.bucket, self.stage, self.classification):
            self._delinquency_moved(dpd, *moves, by, on)
            changed = True
        if (
            dpd >= policy.card_write_off_dpd
            and self.write_off_proposed_by is None
            and self.status != "written_off"
        ):
            self._write_off_proposed(dpd, self.balance, by, on)
            changed = True
        return changed

    @event("DelinquencyMoved")
    def _delinquency_moved(
        self, dpd: int, bucket: str, stage: str, classification: str, by: str, on: date
    ) -> None:
        self.bucket, self.stage, self.classification = bucket, stage, classification

    @event("WriteOffProposed")
    def _write_off_proposed(self, dpd: int, balance: Money, by: str, on: date) -> None:
        self.write_off_proposed_by = by

    def approve_write_off(self, *, by: Actor, policy: PolicySettings, on: date) -> None:
        """✋ A person approves the write-off the batch proposed (核销), within authority, while
        the account is still 180 days past due."""
        if self.write_off_proposed_by is None or self.status == "written_off":
            raise InvalidTransitionError(f"card account {self.number} has no write-off to approve")
        if self.days_past_due(on) < policy.card_write_off_dpd:
            raise InvalidTransitionError(
                f"card account {self.number} is {self.days_past_due(on)} days past due; it is "
                f"written off only at {policy.card_write_off_dpd}"
            )
        require_four_eyes(
            self.write_off_proposed_by, by.id, f"the write-off of card account {self.number}"
        )
        by.require_authority(self.balance, policy, f"the write-off of card account {self.number}")
        self._written_off(self.balance, by.id, on)

    @event("WrittenOff")
    def _written_off(self, amount: Money, by: str, on: date) -> None:
        self.status, self.written_off = "written_off", amount
        self.postings = {c: [] for c in COMPONENTS}
        self.totals = {c: Money.zero(amount.currency) for c in COMPONENTS}
        self.unpaid_minimums = []

    def recover(self, amount: Money, *, by: str, on: date) -> None:
        if self.status not in ("written_off", "closed") or self.written_off.is_zero:
            raise InvalidTransitionError(
                f"card account {self.number} has nothing written off to recover"
            )
        if self.recovered + _positive(amount, "a recovery") > self.written_off:
            raise InvalidAmountError(f"recoveries would exceed the {self.written_off} written off")
        self._recovered(amount, by, on)

    @event("Recovered")
    def _recovered(self, amount: Money, by: str, on: date) -> None:
        self.recovered += amount

    def promise(self, amount: Money, *, by_date: date, by: str, on: date) -> None:
        self._promised(_positive(amount, "a promise to pay"), by_date, by, on)

    @event("PromisedToPay")
    def _promised(self, amount: Money, by_date: date, by: str, on: date) -> None:
        self.promises.append((on, amount, by_date))

    def agree_plan(
        self, instalments: list[tuple[date, Money]], *, waive_fees: bool, by: str, on: date
    ) -> None:
        """A repayment plan; the fees may be waived (the waiver is recorded)."""
        if not instalments:
            raise InvalidValueError("a repayment plan needs instalments")
        self._plan_agreed(
            sorted(instalments), self.component("fees") if waive_fees else None, by, on
        )

    @event("RepaymentPlanAgreed")
    def _plan_agreed(
        self, instalments: list[tuple[date, Money]], fees_waived: Money | None, by: str, on: date
    ) -> None:
        self.plans.append((on, tuple(instalments)))
        if fees_waived is not None:
            self.postings["fees"] = []
            self.totals["fees"] = Money.zero(fees_waived.currency)

    # -- limits, pricing, blocks, dormancy, renewal, closing ------------------------------

    def decrease_limit(self, limit: Money, *, reason: str, by: str, on: date) -> None:
        if limit.is_negative:
            raise InvalidAmountError(f"a credit limit cannot be negative; got {limit}")
        if not limit < self.limit:
            raise InvalidAmountError(f"{limit} is not below the limit of {self.limit}")
        reason = _reason(reason, "a limit change")
        if self.pending_limit is not None:  # said in the log, not dropped silently
            self._limit_increase_withdrawn(
                self.pending_limit[0], "superseded by a limit decrease", by, on
            )
        self._limit_changed(limit, reason, by, on)

    @event("LimitIncreaseWithdrawn")
    def _limit_increase_withdrawn(self, limit: Money, reason: str, by: str, on: date) -> None:
        self.pending_limit = None

    def propose_limit_increase(self, limit: Money, *, reason: str, by: str, on: date) -> None:
        if not limit > self.limit:
            raise InvalidAmountError(f"{limit} is not above the limit of {self.limit}")
        self._limit_increase_proposed(limit, _reason(reason, "a limit increase"), by, on)

    @event("LimitIncreaseProposed")
    def _limit_increase_proposed(self, limit: Money, reason: str, by: str, on: date) -> None:
        self.pending_limit = (limit, by)

    def approve_limit_increase(self, *, by: Actor, policy: PolicySettings, on: date) -> None:
        """✋ Another person approves, within authority for the new limit."""
        if self.pending_limit is None:
            raise InvalidTransitionError(
                f"card account {self.number} has no limit increase to approve"
            )
        limit, proposer = self.pending_limit
        require_four_eyes(proposer, by.id, f"the limit increase of card account {self.number}")
        by.require_authority(limit, policy, f"the new limit of card account {self.number}")
        self._limit_changed(limit, "increase approved", by.id, on)

    @event("LimitChanged")
    def _limit_changed(self, limit: Money, reason: str, by: str, on: date) -> None:
        self.limit, self.pending_limit = limit, None

    def reprice(
        self,
        apr: Decimal,
        *,
        notified_on: date,
        effective_on: date,
        reason: str,
        policy: PolicySettings,
        by: str,
        on: date,
    ) -> None:
        """A new APR; an increase takes effect no sooner than the notice period after notice."""
        if apr < 0:
            raise InvalidValueError("an APR cannot be negative")
        earliest = notified_on + timedelta(days=policy.card_apr_notice_days)
        if apr > self.apr and effective_on < earliest:
            raise InvalidValueError(
                f"an APR increase notified on {notified_on} takes effect on {earliest} at the soonest"
            )
        self._repriced(apr, notified_on, effective_on, _reason(reason, "repricing"), by, on)

    @event("Repriced")
    def _repriced(
        self, apr: Decimal, notified_on: date, effective_on: date, reason: str, by: str, on: date
    ) -> None:
        self.aprs.append((effective_on, apr))
        self.apr = apr

    def block(self, *, reason: str, by: str, on: date) -> None:
        if self.blocked is not None:
            raise InvalidTransitionError(f"card account {self.number} is already blocked")
        self._blocked(_reason(reason, "a fraud block"), by, on)

    @event("Blocked")
    def _blocked(self, reason: str, by: str, on: date) -> None:
        self.blocked = reason

    def unblock(self, *, reason: str, by: str, on: date) -> None:
        if self.blocked is None:
            raise InvalidTransitionError(f"card account {self.number} is not blocked")
        self._unblocked(_reason(reason, "lifting a block"), by, on)

    @event("Unblocked")
    def _unblocked(self, reason: str, by: str, on: date) -> None:
        self.blocked = None

    def check_dormancy(self, *, policy: PolicySettings, by: str, on: date) -> bool:
        """Close of business: no customer use for 6 months is dormant; 18 months at zero, long-term."""
        if self.status != "active" or self.last_use is None:
            return False
        if self.dormancy == "none" and on >= shift_months(
            self.last_use, policy.card_dormant_months
        ):
            self._dormancy_changed("dormant", by, on)
            return True
        long_term = on >= shift_months(self.last_use, policy.card_long_dormant_months)
        if self.dormancy == "dormant" and long_term and self.balance.is_zero:
            self._dormancy_changed("long_term", by, on)
            return True
        return False

    @event("DormancyChanged")
    def _dormancy_changed(self, dormancy: str, by: str, on: date) -> None:
        self.dormancy = dormancy  # a flag beside the status: a dormant card still works

    def charge_annual_fee(self, *, by: str, on: date) -> bool:
        """Close of business: the annual fee on each anniversary of the issue, while active."""
        if self.anniversary is None or on < self.anniversary or self.status != "active":
            return False
        self._annual_fee_charged(self.annual_fee, shift_months(self.anniversary, 12), by, on)
        return True

    @event("AnnualFeeCharged")
    def _annual_fee_charged(self, amount: Money, next_anniversary: date, by: str, on: date) -> None:
        if not amount.is_zero:
            self._post("fees", "annual", amount, on)
        self.anniversary = next_anniversary

    def renew_or_expire(self, *, by: str, on: date) -> bool:
        """At expiry: renewed for three years unless high risk (grade 4–5, delinquent, blocked)."""
        if (
            self.expiry is None
            or on < self.expiry
            or self.status in ("written_off", "closed", "expired")
        ):
            return False
        risky = self.grade >= 4 or self.days_past_due(on) > 0 or self.blocked is not None
        if risky:
            self._expired(by, on)
        else:
            self._renewed(add_months(self.expiry, 36), by, on)
        return True

    @event("Renewed")
    def _renewed(self, expiry: date, by: str, on: date) -> None:
        self.expiry = expiry

    @event("Expired")
    def _expired(self, by: str, on: date) -> None:
        self.status = "expired"

    def close(self, *, reason: str, by: str, on: date) -> None:
        """Close on request at a zero balance, or after a write-off."""
        if self.status == "closed":
            raise InvalidTransitionError(f"card account {self.number} is already closed")
        if self.status != "written_off" and not self.balance.is_zero:
            raise InvalidTransitionError(
                f"card account {self.number} owes {self.balance}; it closes at zero"
            )
        self._closed(_reason(reason, "closing a card account"), by, on)

    @event("Closed")
    def _closed(self, reason: str, by: str, on: date) -> None:
        self.status = "closed"

    @property
    def is_open(self) -> bool:
        return self.status not in ("declined", "closed")

    def _require_open(self, what: str) -> None:
        if self.status in ("declined", "closed", "written_off"):
            raise InvalidTransitionError(
                f"card account {self.number} is {self.status}; it cannot be {what}"
            )


def settle_minimums(minimums: list[list[object]], amount: Decimal) -> list[list[object]]:
    """A payment settles the minimum payments oldest first; what is still unpaid stays, each
    in its own currency."""
    currencies = {due: minimum.currency for due, minimum in minimums}  # type: ignore[attr-defined]
    owed = [(cast(date, due), minimum.amount) for due, minimum in minimums]  # type: ignore[attr-defined]
    return [[due, Money(left, currencies[due])] for due, left in unpaid_after(owed, amount)]


def unpaid_after(
    minimums: Sequence[tuple[date, Decimal]], amount: Decimal
) -> tuple[tuple[date, Decimal], ...]:
    """`settle_minimums` on the amounts alone, by due date: what a payment of `amount` leaves
    of them, oldest settled first (the card view applies the account's rule so, without a
    Money per minimum)."""
    left, unpaid = amount, []
    for due, minimum in minimums:
        take = min(left, minimum)
        left -= take
        if take < minimum:
            unpaid.append((due, minimum - take))
    return tuple(unpaid)


def check_card_reference(token: str, last4: str) -> None:
    """Refuse anything that could be a full card number: only a token and four digits are kept."""
    if not re.fullmatch(r"\d{4}", last4 or ""):
        raise CardNumberError(f"the last four digits must be four digits, not {last4!r}")
    if not token or _PAN.search(re.sub(r"[\s-]", "", token)):
        raise CardNumberError(
            "a token must not contain a card number; give the issuer's token instead"
        )
