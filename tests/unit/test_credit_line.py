"""Every credit-line rule of DOMAIN.md § Credit lines, on the aggregate itself (no I/O)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from clientbook import Actor, Money
from clientbook.domain.credit_line import CreditLine, aging_bucket, floor_for, worse
from clientbook.domain.errors import (
    ApprovalAuthorityError,
    ClassificationFloorError,
    CustomerRestrictedError,
    FourEyesError,
    InsufficientCreditError,
    InvalidAmountError,
    InvalidTransitionError,
    InvalidValueError,
    LineFrozenError,
    OverRepaymentError,
    RoleRequiredError,
)
from clientbook.domain.policy import PolicySettings

D = date(2026, 1, 5)
POLICY = PolicySettings()
OFFICER = Actor("u-officer", {"officer"})
SUPERVISOR = Actor("u-supervisor", {"supervisor"})
CREDIT_OFFICER = Actor("u-credit", {"credit_officer"})


def proposed(limit: str = "1000.00", product: str = "working_capital") -> CreditLine:
    line = CreditLine.propose(
        number="L-000001",
        customer_id=uuid4(),
        product=product,
        limit=Money(limit),
        rate=Decimal("4.35"),
        start=D,
        maturity=D + timedelta(days=365),
        review=D + timedelta(days=180),
        by="u-proposer",
        on=D,
    )
    line.collect_events()
    return line


def active(limit: str = "1000.00", product: str = "working_capital") -> CreditLine:
    line = proposed(limit, product)
    line.approve(by=OFFICER, policy=POLICY, on=D)
    line.activate(by="u-officer", on=D)
    line.collect_events()
    return line


def test_a_proposal_needs_a_known_product_a_positive_limit_and_ordered_dates() -> None:
    with pytest.raises(InvalidValueError, match="product 'mortgage'"):
        CreditLine.propose(
            number="L-1",
            customer_id=uuid4(),
            product="mortgage",
            limit=Money("1.00"),
            rate=Decimal("1"),
            start=D,
            maturity=D + timedelta(1),
            review=D,
            by="u",
            on=D,
        )
    with pytest.raises(InvalidAmountError, match="more than zero"):
        proposed("0.00")
    with pytest.raises(InvalidValueError, match="dates must run"):
        CreditLine.propose(
            number="L-1",
            customer_id=uuid4(),
            product="overdraft",
            limit=Money("1.00"),
            rate=Decimal("1"),
            start=D,
            maturity=D,
            review=D,
            by="u",
            on=D,
        )


def test_approval_is_four_eyes_and_within_authority() -> None:
    line = proposed("20000.00")
    with pytest.raises(FourEyesError):
        line.approve(by=Actor("u-proposer", {"general_manager"}), policy=POLICY, on=D)
    with pytest.raises(ApprovalAuthorityError, match="may approve up to 10,000.00 CNY"):
        line.approve(by=OFFICER, policy=POLICY, on=D)
    line.approve(by=SUPERVISOR, policy=POLICY, on=D)
    assert line.status == "approved"


def test_a_line_is_drawn_only_once_active() -> None:
    line = proposed()
    with pytest.raises(InvalidTransitionError, match="can be drawn on only when active"):
        line.draw(Money("1.00"), customer_restricted=False, by="u", on=D)


def test_drawing_beyond_the_available_amount_is_refused_and_records_nothing() -> None:
    line = active()
    line.draw(Money("600.00"), customer_restricted=False, by="u", on=D)
    with pytest.raises(
        InsufficientCreditError, match="has 400.00 CNY available; cannot draw 400.01"
    ):
        line.draw(Money("400.01"), customer_restricted=False, by="u", on=D)
    assert [type(e).__name__ for e in line.collect_events()] == ["Drawn"]
    assert line.available == Money("400.00")


def test_a_frozen_line_or_a_restricted_customer_takes_no_drawdown() -> None:
    line = active()
    with pytest.raises(CustomerRestrictedError):
        line.draw(Money("1.00"), customer_restricted=True, by="u", on=D)
    line.freeze(reason="fraud suspected", by="u", on=D)
    with pytest.raises(LineFrozenError, match="frozen \\(fraud suspected\\)"):
        line.draw(Money("1.00"), customer_restricted=False, by="u", on=D)
    line.unfreeze(reason="cleared", by="u", on=D)
    line.freeze_for_group(group_id=uuid4(), by="batch", on=D)
    with pytest.raises(LineFrozenError, match="cross-default"):
        line.draw(Money("1.00"), customer_restricted=False, by="u", on=D)


def test_repayments_never_exceed_the_outstanding_amount() -> None:
    line = active()
    line.draw(Money("100.00"), customer_restricted=False, by="u", on=D)
    with pytest.raises(OverRepaymentError, match="has 100.00 CNY outstanding; cannot repay 100.01"):
        line.repay(Money("100.01"), by="u", on=D)
    line.repay(Money("100.00"), by="u", on=D)
    assert line.outstanding == Money.zero()


def test_an_increase_is_proposed_and_approved_by_another_a_decrease_is_at_once() -> None:
    line = active()
    with pytest.raises(InvalidAmountError, match="not above"):
        line.propose_limit_increase(Money("900.00"), by="u-a", on=D)
    line.propose_limit_increase(Money("5000.00"), by="u-a", on=D)
    assert line.limit == Money("1000.00")
    with pytest.raises(FourEyesError):
        line.approve_limit_increase(by=Actor("u-a", {"manager"}), policy=POLICY, on=D)
    line.approve_limit_increase(by=OFFICER, policy=POLICY, on=D)
    assert line.limit == Money("5000.00")
    line.draw(Money("3000.00"), customer_restricted=False, by="u", on=D)
    with pytest.raises(InvalidAmountError, match="cannot fall to 2,999.99"):
        line.decrease_limit(Money("2999.99"), reason="risk", by="u", on=D)
    line.decrease_limit(Money("3000.00"), reason="risk appetite", by="u", on=D)
    assert line.available == Money.zero()


def test_unpaid_instalments_make_the_line_past_due_oldest_first() -> None:
    line = active()
    line.draw(Money("300.00"), customer_restricted=False, by="u", on=D)
    line.schedule(
        [(D + timedelta(10), Money("100.00")), (D + timedelta(40), Money("200.00"))], by="u", on=D
    )
    with pytest.raises(InvalidAmountError, match="more than the 300.00 CNY outstanding"):
        line.schedule([(D + timedelta(50), Money("0.01"))], by="u", on=D)
    assert line.days_past_due(D + timedelta(10)) == 0
    assert line.days_past_due(D + timedelta(15)) == 5
    line.repay(Money("150.00"), by="u", on=D + timedelta(15))
    assert line.days_past_due(D + timedelta(45)) == 5  # the second instalment is half unpaid
    assert line.unpaid() == [(D + timedelta(40), Money("150.00"))]


def test_the_classification_floor_follows_days_past_due() -> None:
    assert [floor_for(dpd, POLICY) for dpd in (0, 1, 90, 91, 270, 271, 360, 361)] == [
        "normal",
        "special_mention",
        "special_mention",
        "substandard",
        "substandard",
        "doubtful",
        "doubtful",
        "loss",
    ]
    assert worse("normal", "doubtful") == "doubtful"


def test_a_credit_officer_classifies_with_a_reason_never_better_than_the_floor() -> None:
    line = active()
    line.draw(Money("100.00"), customer_restricted=False, by="u", on=D, due=D + timedelta(1))
    later = D + timedelta(days=100)
    with pytest.raises(RoleRequiredError):
        line.classify("doubtful", reason="x", by=OFFICER, policy=POLICY, on=later)
    with pytest.raises(
        ClassificationFloorError, match="99 days past due; it cannot be better than substandard"
    ):
        line.classify("special_mention", reason="x", by=CREDIT_OFFICER, policy=POLICY, on=later)
    line.classify("doubtful", reason="collateral lost", by=CREDIT_OFFICER, policy=POLICY, on=later)
    assert line.classification == "doubtful"


def test_close_of_business_applies_the_floor_once() -> None:
    line = active()
    line.draw(Money("100.00"), customer_restricted=False, by="u", on=D, due=D + timedelta(1))
    day = D + timedelta(days=93)
    assert line.record_past_due(by="batch", on=day)
    assert not line.record_past_due(by="batch", on=day)
    assert line.apply_floor(policy=POLICY, by="batch", on=day)
    assert line.classification == "substandard"
    assert not line.apply_floor(policy=POLICY, by="batch", on=day)
    assert line.is_in_default(day, POLICY)


def test_a_covenant_breach_needs_the_covenant() -> None:
    line = active()
    with pytest.raises(InvalidValueError, match="no dividends covenant"):
        line.record_breach("dividends", detail="paid", by="u", on=D)
    line.add_covenant("dividends", by="u", on=D)
    line.record_breach("dividends", detail="paid a dividend in breach", by="u", on=D)
    assert line.breaches == [(D, "dividends", "paid a dividend in breach")]


def test_receivables_age_in_buckets() -> None:
    assert [aging_bucket(d) for d in (0, 1, 30, 31, 60, 61, 90, 91)] == [
        "current",
        "1-30",
        "1-30",
        "31-60",
        "31-60",
        "61-90",
        "61-90",
        ">90",
    ]
    line = active(product="trade_credit")
    line.draw(Money("100.00"), customer_restricted=False, by="u", on=D, due=D + timedelta(30))
    line.draw(Money("50.00"), customer_restricted=False, by="u", on=D, due=D + timedelta(90))
    aging = line.aging(D + timedelta(days=75))
    assert (aging["31-60"], aging["current"]) == (Money("100.00"), Money("50.00"))


def test_a_line_closes_only_at_zero_and_matures_on_its_date() -> None:
    line = active()
    line.draw(Money("1.00"), customer_restricted=False, by="u", on=D)
    with pytest.raises(InvalidTransitionError, match="closes at zero"):
        line.close(reason="done", by="u", on=D)
    with pytest.raises(InvalidTransitionError, match="matures on"):
        line.mark_matured(by="u", on=D)
    line.mark_matured(by="u", on=D + timedelta(days=365))
    line.repay(Money("1.00"), by="u", on=D)
    line.close(reason="repaid", by="u", on=D)
    assert line.status == "closed"


def test_only_a_granted_line_is_classified_or_given_an_increase() -> None:
    line = proposed()
    with pytest.raises(InvalidTransitionError, match="can be classified only when"):
        line.classify("loss", reason="x", by=CREDIT_OFFICER, policy=POLICY, on=D)
    granted = active()
    granted.propose_limit_increase(Money("2000.00"), by="u-a", on=D)
    granted.close(reason="done", by="u", on=D)
    with pytest.raises(InvalidTransitionError, match="given a limit increase only when"):
        granted.approve_limit_increase(by=SUPERVISOR, policy=POLICY, on=D)
