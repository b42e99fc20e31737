"""A credit line's rules (domain/credit_line.py) as a person reads them: each step out of turn
names the statuses it needs, each event records what changed and why, and each refusal's whole
message."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, Callable
from uuid import UUID

import pytest
from test_credit_line import CREDIT_OFFICER, D, OFFICER, POLICY, SUPERVISOR, active, proposed

from clientbook import Actor, Money
from clientbook.domain.credit_line import CreditLine, credit_line_id
from clientbook.domain.errors import (
    ApprovalAuthorityError,
    ClassificationFloorError,
    FourEyesError,
    InvalidAmountError,
    InvalidTransitionError,
    InvalidValueError,
    LineFrozenError,
    ReasonRequiredError,
    RoleRequiredError,
)

LATER = D + timedelta(days=10)
NUMBER = "L-000001"


def message(error: type[Exception], command: Callable[[], object]) -> str:
    with pytest.raises(error) as refused:
        command()
    return str(refused.value)


def last(line: CreditLine) -> Any:
    return line.collect_events()[-1]


def propose(**changes: Any) -> CreditLine:
    arguments: dict[str, Any] = dict(
        number=NUMBER,
        customer_id=UUID(int=3),
        product="overdraft",
        limit=Money("1000.00"),
        rate=Decimal("4.35"),
        start=D,
        maturity=D + timedelta(days=365),
        review=D + timedelta(days=180),
        by="u-proposer",
        on=D,
    )
    return CreditLine.propose(**{**arguments, **changes})


def test_a_proposal_records_its_terms_and_its_id_never_changes() -> None:
    line = propose()
    event = last(line)
    assert (
        event.number,
        event.customer_id,
        event.product,
        event.limit,
        event.rate,
        event.start,
        event.maturity,
        event.review,
        event.by,
        event.on,
    ) == (
        NUMBER,
        UUID(int=3),
        "overdraft",
        Money("1000.00"),
        Decimal("4.35"),
        D,
        D + timedelta(days=365),
        D + timedelta(days=180),
        "u-proposer",
        D,
    )
    assert line.id == credit_line_id(NUMBER) == UUID("32e2b180-d654-5385-8ccd-7d4259c2c8e1")


def test_a_proposal_with_bad_terms_says_what_is_wrong() -> None:
    assert message(InvalidValueError, lambda: propose(product="mortgage")) == (
        "product 'mortgage' is not one of: working_capital, overdraft, trade_credit, guarantee, "
        "trade_finance"
    )
    assert message(InvalidAmountError, lambda: propose(limit=Money("0.00"))) == (
        "a credit limit must be more than zero; got 0.00 CNY"
    )
    assert message(InvalidValueError, lambda: propose(rate=Decimal("-0.01"))) == (
        "interest rate Decimal('-0.01') is not a non-negative Decimal (% a year)"
    )
    assert message(InvalidValueError, lambda: propose(rate=4.35)) == (
        "interest rate 4.35 is not a non-negative Decimal (% a year)"
    )
    assert message(InvalidValueError, lambda: propose(maturity=D)) == (
        "dates must run start 2026-01-05 ≤ review 2026-07-04 ≤ maturity 2026-01-05, start before "
        "maturity"
    )
    propose(rate=Decimal("0"), review=D)  # a review on the start date, at no interest
    propose(review=D + timedelta(days=365))  # or on the maturity date
    assert message(InvalidValueError, lambda: propose(review=D - timedelta(days=1))).startswith(
        "dates must run start"
    )


@pytest.mark.parametrize(
    "command, what, needs",
    [
        (lambda line: line.activate(by="u", on=D), "activated", "approved"),
        (
            lambda line: line.propose_limit_increase(Money("2000.00"), by="u", on=D),
            "given a limit increase",
            "approved or active or frozen",
        ),
        (
            lambda line: line.approve_limit_increase(by=SUPERVISOR, policy=POLICY, on=D),
            "given a limit increase",
            "approved or active or frozen",
        ),
        (
            lambda line: line.draw(Money("1.00"), customer_restricted=False, by="u", on=D),
            "drawn on",
            "active",
        ),
        (
            lambda line: line.schedule([(D, Money("1.00"))], by="u", on=D),
            "given a repayment schedule",
            "active or frozen or matured",
        ),
        (
            lambda line: line.classify(
                "doubtful", reason="r", by=CREDIT_OFFICER, policy=POLICY, on=D
            ),
            "classified",
            "approved or active or frozen or matured",
        ),
        (lambda line: line.freeze(reason="r", by="u", on=D), "frozen", "active"),
        (lambda line: line.unfreeze(reason="r", by="u", on=D), "unfrozen", "frozen"),
        (
            lambda line: line.mark_matured(by="u", on=D + timedelta(days=365)),
            "matured",
            "active or frozen",
        ),
    ],
)
def test_a_step_out_of_turn_names_the_statuses_it_needs(
    command: Any, what: str, needs: str
) -> None:
    line = proposed()
    assert message(InvalidTransitionError, lambda: command(line)) == (
        f"credit line {NUMBER} is proposed; it can be {what} only when {needs}"
    )


def test_a_closed_line_cannot_be_approved_or_lowered() -> None:
    line = active()
    line.close(reason="done", by="u", on=D)
    assert message(
        InvalidTransitionError, lambda: line.approve(by=OFFICER, policy=POLICY, on=D)
    ) == (f"credit line {NUMBER} is closed; it can be approved only when proposed")
    assert message(
        InvalidTransitionError, lambda: line.decrease_limit(Money("1.00"), reason="r", by="u", on=D)
    ) == (
        f"credit line {NUMBER} is closed; it can be given a lower limit only when proposed or "
        "approved or active or frozen"
    )


def test_approval_and_activation_record_who_and_when() -> None:
    line = proposed()
    line.approve(by=OFFICER, policy=POLICY, on=LATER)
    event = last(line)
    assert (event.by, event.on, line.status) == ("u-officer", LATER, "approved")
    line.activate(by="u-a", on=LATER)
    event = last(line)
    assert (event.by, event.on, line.status) == ("u-a", LATER, "active")


def test_a_limit_increase_is_above_the_limit_and_approved_by_another_within_authority() -> None:
    line = active()
    assert message(
        InvalidAmountError, lambda: line.propose_limit_increase(Money("1000.00"), by="u", on=D)
    ) == (
        f"1,000.00 CNY is not above credit line {NUMBER}'s limit of 1,000.00 CNY; a decrease "
        "takes effect at once with decrease_limit"
    )
    assert message(
        InvalidTransitionError,
        lambda: line.approve_limit_increase(by=SUPERVISOR, policy=POLICY, on=D),
    ) == (f"credit line {NUMBER} has no limit increase to approve")
    line.propose_limit_increase(Money("20000.00"), by="u-p", on=LATER)
    event = last(line)
    assert (event.new_limit, event.by, event.on) == (Money("20000.00"), "u-p", LATER)
    assert message(
        FourEyesError,
        lambda: line.approve_limit_increase(by=Actor("u-p", {"supervisor"}), policy=POLICY, on=D),
    ) == (
        f"the limit increase of credit line {NUMBER} was prepared by u-p; another person must "
        "approve it"
    )
    assert message(
        ApprovalAuthorityError, lambda: line.approve_limit_increase(by=OFFICER, policy=POLICY, on=D)
    ) == (
        f"u-officer (officer) may approve up to 10,000.00 CNY; the new limit of credit line "
        f"{NUMBER} is 20,000.00 CNY"
    )
    line.approve_limit_increase(by=SUPERVISOR, policy=POLICY, on=LATER)
    event = last(line)
    assert (event.limit, event.by, event.on, line.limit, line.pending_limit) == (
        Money("20000.00"),
        "u-supervisor",
        LATER,
        Money("20000.00"),
        None,
    )


def test_a_limit_decrease_is_below_the_limit_above_what_is_outstanding_and_has_a_reason() -> None:
    line = active()
    line.draw(Money("400.00"), customer_restricted=False, by="u", on=D)
    assert message(
        InvalidAmountError, lambda: line.decrease_limit(Money("1000.00"), reason="r", by="u", on=D)
    ) == ("1,000.00 CNY is not below the limit of 1,000.00 CNY")
    assert message(
        InvalidAmountError, lambda: line.decrease_limit(Money("399.99"), reason="r", by="u", on=D)
    ) == (f"credit line {NUMBER} has 400.00 CNY outstanding; its limit cannot fall to 399.99 CNY")
    assert (
        message(
            ReasonRequiredError,
            lambda: line.decrease_limit(Money("400.00"), reason=" ", by="u", on=D),
        )
        == "a limit decrease needs a reason"
    )
    line.decrease_limit(Money("400.00"), reason=" risk ", by="u-risk", on=LATER)
    event = last(line)
    assert (event.limit, event.reason, event.by, event.on, line.available) == (
        Money("400.00"),
        "risk",
        "u-risk",
        LATER,
        Money.zero(),
    )
    empty = active()
    assert message(
        InvalidAmountError, lambda: empty.decrease_limit(Money("0.00"), reason="r", by="u", on=D)
    ) == (f"credit line {NUMBER} has 0.00 CNY outstanding; its limit cannot fall to 0.00 CNY")
    empty.decrease_limit(Money("0.01"), reason="r", by="u", on=D)


def test_a_drawdown_records_its_amount_and_due_date_and_refuses_a_due_date_before_it() -> None:
    line = active()
    line.draw(Money("10.00"), customer_restricted=False, by="u-t", on=LATER, due=LATER)
    event = last(line)
    assert (event.amount, event.due, event.by, event.on) == (Money("10.00"), LATER, "u-t", LATER)
    assert line.instalments == [(LATER, Money("10.00"))]
    assert message(
        InvalidValueError,
        lambda: line.draw(
            Money("1.00"),
            customer_restricted=False,
            by="u",
            on=LATER,
            due=LATER - timedelta(days=1),
        ),
    ) == ("a drawdown's due date 2026-01-14 cannot be before its date 2026-01-15")
    line.freeze(reason="fraud", by="u", on=D)
    assert message(
        LineFrozenError, lambda: line.draw(Money("1.00"), customer_restricted=False, by="u", on=D)
    ) == (f"credit line {NUMBER} is frozen (fraud); no new drawdowns")


def test_a_schedule_records_its_instalments_in_order_within_what_is_outstanding() -> None:
    line = active()
    line.draw(Money("300.00"), customer_restricted=False, by="u", on=D)
    assert message(InvalidValueError, lambda: line.schedule([], by="u", on=D)) == (
        "a repayment schedule needs at least one instalment"
    )
    assert message(
        InvalidAmountError, lambda: line.schedule([(LATER, Money("0.00"))], by="u", on=D)
    ) == ("an instalment must be more than zero; got 0.00 CNY")
    plan = [(LATER + timedelta(days=30), Money("100.00")), (LATER, Money("200.00"))]
    line.schedule(plan, by="u-s", on=LATER)
    event = last(line)
    assert (event.instalments, event.by, event.on) == (sorted(plan), "u-s", LATER)
    assert message(
        InvalidAmountError, lambda: line.schedule([(LATER, Money("0.01"))], by="u", on=D)
    ) == (
        f"credit line {NUMBER}: instalments of 0.01 CNY would schedule more than the 300.00 CNY "
        "outstanding"
    )


def test_a_repayment_never_exceeds_what_is_outstanding() -> None:
    line = active()
    line.draw(Money("300.00"), customer_restricted=False, by="u", on=D)
    assert message(InvalidAmountError, lambda: line.repay(Money("0.00"), by="u", on=D)) == (
        "a repayment must be more than zero; got 0.00 CNY"
    )
    assert message(Exception, lambda: line.repay(Money("300.01"), by="u", on=D)) == (
        f"credit line {NUMBER} has 300.00 CNY outstanding; cannot repay 300.01 CNY"
    )
    line.repay(Money("300.00"), by="u-r", on=LATER)
    event = last(line)
    assert (event.amount, event.by, event.on, line.outstanding) == (
        Money("300.00"),
        "u-r",
        LATER,
        Money.zero(),
    )


def test_a_classification_is_set_by_a_credit_officer_with_a_reason_never_above_the_floor() -> None:
    line = active()
    line.draw(Money("100.00"), customer_restricted=False, by="u", on=D, due=D)
    assert message(
        InvalidValueError,
        lambda: line.classify("fine", reason="r", by=CREDIT_OFFICER, policy=POLICY, on=D),
    ) == (
        "classification 'fine' is not one of: normal, special_mention, substandard, doubtful, loss"
    )
    assert message(
        RoleRequiredError,
        lambda: line.classify("doubtful", reason="r", by=OFFICER, policy=POLICY, on=D),
    ) == ("u-officer is not a credit officer; a credit officer classifies lines")
    assert message(
        ClassificationFloorError,
        lambda: line.classify(
            "normal", reason="r", by=CREDIT_OFFICER, policy=POLICY, on=D + timedelta(days=1)
        ),
    ) == (f"credit line {NUMBER} is 1 days past due; it cannot be better than special_mention")
    assert message(
        InvalidValueError,
        lambda: line.classify("normal", reason="r", by=CREDIT_OFFICER, policy=POLICY, on=D),
    ) == (f"credit line {NUMBER} is already normal")
    assert message(
        ReasonRequiredError,
        lambda: line.classify("doubtful", reason=" ", by=CREDIT_OFFICER, policy=POLICY, on=D),
    ) == ("a classification needs a reason")
    line.classify("doubtful", reason=" collateral ", by=CREDIT_OFFICER, policy=POLICY, on=LATER)
    event = last(line)
    assert (event.previous, event.classification, event.reason, event.by, event.on) == (
        "normal",
        "doubtful",
        "collateral",
        "u-credit",
        LATER,
    )


def test_the_floor_is_applied_with_its_days_past_due_as_the_reason() -> None:
    line = active()
    line.draw(Money("100.00"), customer_restricted=False, by="u", on=D, due=D)
    day = D + timedelta(days=91)
    assert line.apply_floor(policy=POLICY, by="u-batch", on=day)
    event = last(line)
    assert (event.previous, event.classification, event.reason, event.by, event.on) == (
        "normal",
        "substandard",
        "91 days past due",
        "u-batch",
        day,
    )
    assert not line.apply_floor(policy=POLICY, by="u-batch", on=day)


def test_freezing_and_unfreezing_record_their_reasons() -> None:
    line = active()
    assert message(ReasonRequiredError, lambda: line.freeze(reason=" ", by="u", on=D)) == (
        "freezing a line needs a reason"
    )
    line.freeze(reason=" fraud ", by="u-f", on=LATER)
    event = last(line)
    assert (event.reason, event.by, event.on, line.frozen) == ("fraud", "u-f", LATER, "fraud")
    assert message(ReasonRequiredError, lambda: line.unfreeze(reason="", by="u", on=D)) == (
        "unfreezing a line needs a reason"
    )
    line.unfreeze(reason=" cleared ", by="u-g", on=LATER)
    event = last(line)
    assert (event.reason, event.by, line.frozen, line.status) == ("cleared", "u-g", None, "active")


def test_covenants_and_breaches_name_what_is_wrong() -> None:
    line = active()
    assert message(InvalidValueError, lambda: line.add_covenant("silence", by="u", on=D)) == (
        "covenant 'silence' is not one of: asset_disposal, change_of_shareholders, "
        "external_guarantees, dividends, cross_default"
    )
    line.add_covenant("dividends", by="u-c", on=LATER)
    event = last(line)
    assert (event.kind, event.by, event.on) == ("dividends", "u-c", LATER)
    assert message(InvalidValueError, lambda: line.add_covenant("dividends", by="u", on=D)) == (
        f"credit line {NUMBER} already has a dividends covenant"
    )
    assert message(
        InvalidValueError, lambda: line.record_breach("asset_disposal", detail="d", by="u", on=D)
    ) == (f"credit line {NUMBER} has no asset_disposal covenant to breach")
    assert (
        message(
            ReasonRequiredError, lambda: line.record_breach("dividends", detail=" ", by="u", on=D)
        )
        == "a covenant breach needs a reason"
    )
    line.record_breach("dividends", detail=" paid out ", by="u-b", on=LATER)
    event = last(line)
    assert (event.kind, event.detail, event.by, event.on) == ("dividends", "paid out", "u-b", LATER)


def test_maturity_the_review_date_and_closing() -> None:
    line = active()
    maturity = D + timedelta(days=365)
    assert message(
        InvalidTransitionError, lambda: line.mark_matured(by="u", on=maturity - timedelta(days=1))
    ) == (f"credit line {NUMBER} matures on 2027-01-05, not 2027-01-04")
    assert message(
        InvalidValueError, lambda: line.set_review_date(maturity + timedelta(days=1), by="u", on=D)
    ) == ("review date 2027-01-06 is after maturity 2027-01-05")
    line.set_review_date(maturity, by="u-r", on=LATER)
    event = last(line)
    assert (event.review, event.by, event.on, line.review) == (maturity, "u-r", LATER, maturity)
    line.draw(Money("5.00"), customer_restricted=False, by="u", on=D)
    line.mark_matured(by="u-batch", on=maturity)
    event = last(line)
    assert (event.by, event.on, line.status) == ("u-batch", maturity, "matured")
    assert message(InvalidTransitionError, lambda: line.close(reason="r", by="u", on=D)) == (
        f"credit line {NUMBER} has 5.00 CNY outstanding; it closes at zero"
    )
    line.repay(Money("5.00"), by="u", on=maturity)
    assert message(ReasonRequiredError, lambda: line.close(reason=" ", by="u", on=D)) == (
        "closing a line needs a reason"
    )
    line.close(reason=" repaid ", by="u-c", on=maturity)
    event = last(line)
    assert (event.reason, event.by, event.on, line.status) == ("repaid", "u-c", maturity, "closed")
    assert message(InvalidTransitionError, lambda: line.close(reason="r", by="u", on=D)) == (
        f"credit line {NUMBER} is already closed"
    )


def test_a_line_past_due_records_since_when() -> None:
    line = active()
    line.draw(Money("10.00"), customer_restricted=False, by="u", on=D, due=D)
    assert not line.record_past_due(by="u-batch", on=D)
    assert line.record_past_due(by="u-batch", on=D + timedelta(days=1))
    event = last(line)
    assert (event.since, event.by, event.on) == (D, "u-batch", D + timedelta(days=1))
    assert not line.record_past_due(by="u-batch", on=D + timedelta(days=2))


def test_a_line_approval_names_the_line_in_its_refusals() -> None:
    line = proposed("20000.00")
    assert message(
        FourEyesError,
        lambda: line.approve(by=Actor("u-proposer", {"supervisor"}), policy=POLICY, on=D),
    ) == (f"credit line {NUMBER} was prepared by u-proposer; another person must approve it")
    assert message(
        ApprovalAuthorityError, lambda: line.approve(by=OFFICER, policy=POLICY, on=D)
    ) == (
        f"u-officer (officer) may approve up to 10,000.00 CNY; the limit of credit line {NUMBER} "
        "is 20,000.00 CNY"
    )


def test_a_drawdown_may_use_all_that_is_available_and_names_each_refusal() -> None:
    line = active()
    assert message(
        InvalidAmountError,
        lambda: line.draw(Money("0.00"), customer_restricted=False, by="u", on=D),
    ) == ("a drawdown must be more than zero; got 0.00 CNY")
    assert message(
        Exception, lambda: line.draw(Money("1.00"), customer_restricted=True, by="u", on=D)
    ) == (f"the customer of credit line {NUMBER} is restricted; no new credit")
    line.draw(Money("1000.00"), customer_restricted=False, by="u", on=D)
    assert line.available == Money.zero()
    other = active()
    other.freeze_for_group(group_id=UUID(int=9), by="u", on=D)
    assert message(
        LineFrozenError, lambda: other.draw(Money("1.00"), customer_restricted=False, by="u", on=D)
    ) == (f"credit line {NUMBER} is frozen (the group's cross-default); no new drawdowns")


def test_instalments_count_together_against_what_is_outstanding() -> None:
    line = active()
    line.draw(Money("300.00"), customer_restricted=False, by="u", on=D)
    assert message(
        InvalidAmountError,
        lambda: line.schedule([(LATER, Money("200.00")), (LATER, Money("100.01"))], by="u", on=D),
    ).startswith(f"credit line {NUMBER}: instalments of 300.01 CNY would schedule more")


def test_unpaid_amounts_in_one_aging_bucket_add_up_and_nothing_due_is_no_days_past_due() -> None:
    line = active()
    assert line.days_past_due(LATER) == 0
    line.draw(Money("100.00"), customer_restricted=False, by="u", on=D, due=D)
    line.draw(Money("50.00"), customer_restricted=False, by="u", on=D, due=D + timedelta(days=1))
    aging = line.aging(D + timedelta(days=20))
    assert aging["1-30"] == Money("150.00")


def test_a_line_in_another_currency_keeps_it_in_what_is_unpaid() -> None:
    line = propose(limit=Money("1000.00", "USD"))
    line.approve(by=OFFICER, policy=POLICY.with_setting("currency", "USD"), on=D)
    line.activate(by="u", on=D)
    line.draw(Money("100.00", "USD"), customer_restricted=False, by="u", on=D, due=D)
    line.repay(Money("40.00", "USD"), by="u", on=D)
    assert line.unpaid() == [(D, Money("60.00", "USD"))]


@pytest.mark.parametrize("kind", ["interest", "fee"])
def test_income_is_recorded_by_kind_without_changing_the_balances(kind: str) -> None:
    line = active()
    line.draw(Money("100.00"), customer_restricted=False, by="u", on=D)
    line.collect_events()
    line.record_income(kind, Money("4.35"), by="u-lending", on=LATER)
    event = last(line)
    assert (type(event).__name__, event.kind, event.amount, event.by, event.on) == (
        "IncomeRecorded",
        kind,
        Money("4.35"),
        "u-lending",
        LATER,
    )
    assert line.outstanding == Money("100.00")


def test_income_of_another_kind_currency_or_amount_or_before_activation_is_refused() -> None:
    line = active()
    assert (
        message(InvalidValueError, lambda: line.record_income("bonus", Money("1.00"), by="u", on=D))
        == "income 'bonus' is not interest or fee"
    )
    assert message(
        InvalidAmountError, lambda: line.record_income("fee", Money("5.00", "USD"), by="u", on=D)
    ) == (f"credit line {NUMBER} is in CNY; income of 5.00 USD is in another currency")
    assert (
        message(InvalidAmountError, lambda: line.record_income("fee", Money("0.00"), by="u", on=D))
        == "income must be more than zero; got 0.00 CNY"
    )
    assert message(
        InvalidTransitionError,
        lambda: proposed().record_income("interest", Money("1.00"), by="u", on=D),
    ) == (
        f"credit line {NUMBER} is proposed; it can be credited with income only when active or "
        "frozen or matured or closed"
    )
    assert line.collect_events() == []


def test_a_closed_lines_last_interest_is_still_recorded() -> None:
    line = active()
    line.close(reason="repaid", by="u-c", on=D)
    line.record_income("interest", Money("0.01"), by="u-lending", on=LATER)
    assert (last(line).kind, line.status) == ("interest", "closed")
