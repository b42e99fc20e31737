"""A card account's rules (domain/card.py) as a person reads them: fees, promises, plans,
blocks, limits, repricing, recoveries and closing, what each event records and each refusal's
whole message."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Callable
from uuid import UUID

import pytest
from test_card import CLERK, D, GOOD, POLICY, active, applied, buy

from clientbook import Actor, Money
from clientbook.domain.card import (
    Applicant,
    CardAccount,
    card_account_id,
    check_card_reference,
    settle_minimums,
    unpaid_after,
)
from clientbook.domain.policy import PolicySettings
from clientbook.domain.errors import (
    ApprovalAuthorityError,
    CardNumberError,
    FourEyesError,
    InvalidAmountError,
    InvalidTransitionError,
    InvalidValueError,
    ReasonRequiredError,
)

LATER = D + timedelta(days=10)
NUMBER = "K-000001"


def message(error: type[Exception], command: Callable[[], object]) -> str:
    with pytest.raises(error) as refused:
        command()
    return str(refused.value)


def last(account: CardAccount) -> Any:
    return account.collect_events()[-1]


def closed() -> CardAccount:
    account = active()
    account.close(reason="on request", by=CLERK, on=D)
    account.collect_events()
    return account


@pytest.mark.parametrize("kind", ["annual", "late", "over_limit", "cash_advance"])
def test_a_fee_of_each_kind_is_charged_and_recorded(kind: str) -> None:
    account = active()
    account.charge_fee(kind, Money("25.00"), by="u-a", on=LATER)
    event = last(account)
    assert (event.component, event.kind, event.amount, event.by, event.on) == (
        "fees",
        kind,
        Money("25.00"),
        "u-a",
        LATER,
    )
    assert account.component("fees") == Money("25.00") == account.balance


def test_a_fee_of_no_known_kind_or_amount_or_on_a_closed_account_is_refused() -> None:
    account = active()
    assert message(
        InvalidValueError, lambda: account.charge_fee("stamp", Money("1.00"), by=CLERK, on=D)
    ) == ("fee 'stamp' is not annual, late, over_limit or cash_advance")
    assert (
        message(
            InvalidAmountError, lambda: account.charge_fee("late", Money("0.00"), by=CLERK, on=D)
        )
        == "a fee must be more than zero; got 0.00 CNY"
    )
    gone = closed()
    assert message(
        InvalidTransitionError, lambda: gone.charge_fee("late", Money("1.00"), by=CLERK, on=D)
    ) == (f"card account {NUMBER} is closed; it cannot be charged a fee")


def test_a_promise_to_pay_records_its_amount_and_date() -> None:
    account = active()
    account.promise(Money("100.00"), by_date=LATER, by="u-collector", on=D)
    event = last(account)
    assert (event.amount, event.by_date, event.by, event.on) == (
        Money("100.00"),
        LATER,
        "u-collector",
        D,
    )
    assert account.promises == [(D, Money("100.00"), LATER)]
    assert message(
        InvalidAmountError, lambda: account.promise(Money("0.00"), by_date=LATER, by=CLERK, on=D)
    ) == ("a promise to pay must be more than zero; got 0.00 CNY")


def test_a_repayment_plan_records_its_instalments_in_order_and_any_fees_waived() -> None:
    account = active()
    account.charge_fee("late", Money("50.00"), by=CLERK, on=D)
    buy(account, "100.00")
    plan = [(LATER + timedelta(days=30), Money("60.00")), (LATER, Money("90.00"))]
    account.agree_plan(plan, waive_fees=False, by="u-collector", on=D)
    event = last(account)
    assert (event.instalments, event.fees_waived, event.by, event.on) == (
        sorted(plan),
        None,
        "u-collector",
        D,
    )
    assert account.component("fees") == Money("50.00")
    account.agree_plan(plan, waive_fees=True, by="u-collector", on=LATER)
    event = last(account)
    assert event.fees_waived == Money("50.00")
    assert account.component("fees") == Money.zero() and account.balance == Money("100.00")
    assert account.plans == [(D, tuple(sorted(plan))), (LATER, tuple(sorted(plan)))]
    assert (
        message(InvalidValueError, lambda: account.agree_plan([], waive_fees=False, by=CLERK, on=D))
        == "a repayment plan needs instalments"
    )


def test_a_block_and_its_lifting_record_their_reasons() -> None:
    account = active()
    assert (
        message(InvalidTransitionError, lambda: account.unblock(reason="r", by=CLERK, on=D))
        == f"card account {NUMBER} is not blocked"
    )
    assert message(ReasonRequiredError, lambda: account.block(reason=" ", by=CLERK, on=D)) == (
        "a fraud block needs a reason"
    )
    account.block(reason=" stolen ", by="u-fraud", on=D)
    event = last(account)
    assert (event.reason, event.by, event.on, account.blocked) == ("stolen", "u-fraud", D, "stolen")
    assert not buy(account, "1.00")
    assert (
        message(InvalidTransitionError, lambda: account.block(reason="again", by=CLERK, on=D))
        == f"card account {NUMBER} is already blocked"
    )
    assert message(ReasonRequiredError, lambda: account.unblock(reason="", by=CLERK, on=D)) == (
        "lifting a block needs a reason"
    )
    account.unblock(reason=" found ", by="u-fraud2", on=LATER)
    event = last(account)
    assert (event.reason, event.by, event.on, account.blocked) == ("found", "u-fraud2", LATER, None)
    assert buy(account, "1.00", LATER)


def test_a_limit_decrease_is_below_the_limit_and_withdraws_a_pending_increase() -> None:
    account = active()  # limit 10,000.00
    assert message(
        InvalidAmountError,
        lambda: account.decrease_limit(Money("-1.00"), reason="r", by=CLERK, on=D),
    ) == ("a credit limit cannot be negative; got -1.00 CNY")
    assert message(
        InvalidAmountError,
        lambda: account.decrease_limit(Money("10000.00"), reason="r", by=CLERK, on=D),
    ) == ("10,000.00 CNY is not below the limit of 10,000.00 CNY")
    assert (
        message(
            ReasonRequiredError,
            lambda: account.decrease_limit(Money("5000.00"), reason=" ", by=CLERK, on=D),
        )
        == "a limit change needs a reason"
    )
    account.propose_limit_increase(Money("12000.00"), reason="income", by="u-p", on=D)
    account.collect_events()
    account.decrease_limit(Money("0.00"), reason=" risk ", by="u-risk", on=LATER)
    withdrawn, changed = account.collect_events()
    assert (withdrawn.limit, withdrawn.reason, withdrawn.by, withdrawn.on) == (
        Money("12000.00"),
        "superseded by a limit decrease",
        "u-risk",
        LATER,
    )
    assert (changed.limit, changed.reason, changed.by, changed.on) == (
        Money("0.00"),
        "risk",
        "u-risk",
        LATER,
    )
    assert account.limit == Money.zero() and account.pending_limit is None


def test_a_limit_increase_is_proposed_above_the_limit_and_approved_by_another_within_authority() -> (
    None
):
    account = active()
    assert message(
        InvalidAmountError,
        lambda: account.propose_limit_increase(Money("10000.00"), reason="r", by=CLERK, on=D),
    ) == ("10,000.00 CNY is not above the limit of 10,000.00 CNY")
    assert message(
        InvalidTransitionError,
        lambda: account.approve_limit_increase(
            by=Actor("u-s", {"supervisor"}), policy=POLICY, on=D
        ),
    ) == (f"card account {NUMBER} has no limit increase to approve")
    assert (
        message(
            ReasonRequiredError,
            lambda: account.propose_limit_increase(Money("20000.00"), reason="", by=CLERK, on=D),
        )
        == "a limit increase needs a reason"
    )
    account.propose_limit_increase(Money("20000.00"), reason=" income ", by="u-p", on=D)
    event = last(account)
    assert (event.limit, event.reason, event.by, event.on) == (
        Money("20000.00"),
        "income",
        "u-p",
        D,
    )
    assert message(
        FourEyesError,
        lambda: account.approve_limit_increase(
            by=Actor("u-p", {"supervisor"}), policy=POLICY, on=D
        ),
    ) == (
        f"the limit increase of card account {NUMBER} was prepared by u-p; another person must "
        "approve it"
    )
    assert message(
        ApprovalAuthorityError,
        lambda: account.approve_limit_increase(by=Actor("u-o", {"officer"}), policy=POLICY, on=D),
    ) == (
        f"u-o (officer) may approve up to 10,000.00 CNY; the new limit of card account {NUMBER} "
        "is 20,000.00 CNY"
    )
    account.approve_limit_increase(by=Actor("u-s", {"supervisor"}), policy=POLICY, on=LATER)
    event = last(account)
    assert (event.limit, event.reason, event.by, event.on, account.limit) == (
        Money("20000.00"),
        "increase approved",
        "u-s",
        LATER,
        Money("20000.00"),
    )


def test_repricing_records_its_dates_and_refuses_a_negative_apr_or_a_short_notice() -> None:
    account = active()  # 18%
    assert (
        message(
            InvalidValueError,
            lambda: account.reprice(
                Decimal("-0.01"),
                notified_on=D,
                effective_on=D,
                reason="r",
                policy=POLICY,
                by=CLERK,
                on=D,
            ),
        )
        == "an APR cannot be negative"
    )
    soonest = D + timedelta(days=45)
    assert message(
        InvalidValueError,
        lambda: account.reprice(
            Decimal("20"),
            notified_on=D,
            effective_on=soonest - timedelta(days=1),
            reason="r",
            policy=POLICY,
            by=CLERK,
            on=D,
        ),
    ) == ("an APR increase notified on 2026-01-05 takes effect on 2026-02-19 at the soonest")
    assert (
        message(
            ReasonRequiredError,
            lambda: account.reprice(
                Decimal("20"),
                notified_on=D,
                effective_on=soonest,
                reason=" ",
                policy=POLICY,
                by=CLERK,
                on=D,
            ),
        )
        == "repricing needs a reason"
    )
    account.reprice(
        Decimal("20"),
        notified_on=D,
        effective_on=soonest,
        reason=" market ",
        policy=POLICY,
        by="u-pricing",
        on=D,
    )
    event = last(account)
    assert (event.apr, event.notified_on, event.effective_on, event.reason, event.by) == (
        Decimal("20"),
        D,
        soonest,
        "market",
        "u-pricing",
    )
    account.reprice(
        Decimal("0"),
        notified_on=D,
        effective_on=D,
        reason="promotion",
        policy=POLICY,
        by=CLERK,
        on=D,
    )  # a decrease: at once
    assert account.apr == Decimal("0")


def test_an_account_closes_once_at_zero_with_a_reason() -> None:
    account = active()
    buy(account, "10.00")
    assert message(InvalidTransitionError, lambda: account.close(reason="r", by=CLERK, on=D)) == (
        f"card account {NUMBER} owes 10.00 CNY; it closes at zero"
    )
    account.pay(Money("10.00"), by=CLERK, on=D)
    assert message(ReasonRequiredError, lambda: account.close(reason=" ", by=CLERK, on=D)) == (
        "closing a card account needs a reason"
    )
    account.close(reason=" moved ", by="u-a", on=LATER)
    event = last(account)
    assert (event.reason, event.by, event.on, account.status) == ("moved", "u-a", LATER, "closed")
    assert (
        message(InvalidTransitionError, lambda: account.close(reason="r", by=CLERK, on=D))
        == f"card account {NUMBER} is already closed"
    )


def test_nothing_written_off_leaves_nothing_to_recover() -> None:
    assert message(
        InvalidTransitionError, lambda: active().recover(Money("1.00"), by=CLERK, on=D)
    ) == (f"card account {NUMBER} has nothing written off to recover")
    assert message(
        InvalidTransitionError, lambda: closed().recover(Money("1.00"), by=CLERK, on=D)
    ) == (f"card account {NUMBER} has nothing written off to recover")


def written_off() -> tuple[CardAccount, date]:
    account = active()
    buy(account, "1000.00")
    account.close_statement(policy=POLICY, by="batch", on=D + timedelta(days=31))
    due = account.statement[3]
    account.age(policy=POLICY, by="batch", on=due + timedelta(days=180))
    account.approve_write_off(
        by=Actor("u-boss", {"manager"}), policy=POLICY, on=due + timedelta(days=180)
    )
    account.collect_events()
    return account, due + timedelta(days=181)


def test_a_write_off_names_the_days_past_due_and_the_approvers_authority() -> None:
    account = active("4000.00")  # a limit of 20,000.00
    buy(account, "15000.00")
    account.close_statement(policy=POLICY, by="batch", on=D + timedelta(days=31))
    due = account.statement[3]
    account.age(policy=POLICY, by="batch", on=due + timedelta(days=180))
    assert message(
        ApprovalAuthorityError,
        lambda: account.approve_write_off(
            by=Actor("u-o", {"officer"}), policy=POLICY, on=due + timedelta(days=180)
        ),
    ) == (
        f"u-o (officer) may approve up to 10,000.00 CNY; the write-off of card account {NUMBER} "
        f"is {account.balance}"
    )
    assert message(
        InvalidTransitionError,
        lambda: account.approve_write_off(
            by=Actor("u-boss", {"manager"}), policy=POLICY, on=due + timedelta(days=179)
        ),
    ) == (f"card account {NUMBER} is 179 days past due; it is written off only at 180")


def test_recoveries_after_a_write_off_are_recorded_up_to_the_amount_written_off() -> None:
    account, day = written_off()
    assert (
        message(InvalidAmountError, lambda: account.recover(Money("0.00"), by=CLERK, on=day))
        == "a recovery must be more than zero; got 0.00 CNY"
    )
    account.recover(Money("400.00"), by="u-collector", on=day)
    event = last(account)
    assert (event.amount, event.by, event.on, account.recovered) == (
        Money("400.00"),
        "u-collector",
        day,
        Money("400.00"),
    )
    account.recover(Money("600.00"), by=CLERK, on=day)  # exactly what was written off
    assert message(
        InvalidAmountError, lambda: account.recover(Money("0.01"), by=CLERK, on=day)
    ) == ("recoveries would exceed the 1,000.00 CNY written off")
    account.close(reason="recovered", by=CLERK, on=day)
    assert message(
        InvalidAmountError, lambda: account.recover(Money("0.01"), by=CLERK, on=day)
    ).startswith("recoveries would exceed")


def referred() -> CardAccount:
    account = applied(score=300)  # grade 5: always referred to a person
    assert account.status == "referred"
    account.collect_events()
    return account


def test_an_application_records_the_applicant_score_grade_and_decision() -> None:
    account = applied(score=800)
    event = last(account)
    assert (
        event.number,
        event.applicant,
        event.score,
        event.grade,
        event.decision,
        event.limit,
        event.by,
        event.on,
    ) == (NUMBER, GOOD, 800, 1, "approved", account.approved_limit, CLERK, D)
    assert event.customer_id == account.customer_id and account.approved_limit is not None


def test_a_referral_is_decided_by_another_person_with_a_reason_and_a_limit_within_authority() -> (
    None
):
    account = referred()
    boss = Actor("u-boss", {"manager"})
    assert message(
        FourEyesError,
        lambda: account.decide(
            approve=True, limit=Money("1.00"), reason="r", by=Actor(CLERK, {"officer"}), on=D
        ),
    ) == (f"card application {NUMBER} was prepared by u-clerk; another person must approve it")
    for limit in (None, Money("0.00")):
        assert message(
            InvalidAmountError,
            lambda: account.decide(approve=True, limit=limit, reason="r", by=boss, on=D),
        ) == ("an approval needs a limit above zero")
    assert message(
        ApprovalAuthorityError,
        lambda: account.decide(
            approve=True, limit=Money("10000.01"), reason="r", by=Actor("u-o", {"officer"}), on=D
        ),
    ) == (
        f"u-o (officer) may approve up to 10,000.00 CNY; the limit of card {NUMBER} is "
        "10,000.01 CNY"
    )
    assert message(
        ReasonRequiredError,
        lambda: account.decide(approve=True, limit=Money("0.01"), reason=" ", by=boss, on=D),
    ) == ("a referral decision needs a reason")
    account.decide(approve=True, limit=Money("0.01"), reason=" known customer ", by=boss, on=LATER)
    event = last(account)
    assert (event.decision, event.limit, event.reason, event.by, event.on) == (
        "approved",
        Money("0.01"),
        "known customer",
        "u-boss",
        LATER,
    )
    assert message(
        InvalidTransitionError,
        lambda: account.decide(approve=False, limit=None, reason="r", by=boss, on=D),
    ) == (f"card application {NUMBER} is approved, not referred")


def test_a_declined_referral_keeps_no_limit() -> None:
    account = referred()
    account.decide(
        approve=False,
        limit=Money("500.00"),
        reason="thin file",
        by=Actor("u-boss", {"manager"}),
        on=D,
    )
    event = last(account)
    assert (event.decision, event.limit, account.status) == ("declined", None, "declined")
    assert message(
        InvalidTransitionError,
        lambda: account.issue(
            token="tok",
            last4="1234",
            apr=Decimal("18"),
            annual_fee=Money("0.00"),
            expiry=D + timedelta(days=1),
            by=CLERK,
            on=D,
        ),
    ) == (f"card account {NUMBER} is declined; only an approved one is issued")


def test_an_issue_records_the_card_reference_and_terms_and_checks_them() -> None:
    account = applied(score=800)
    account.collect_events()
    for apr, expiry in ((Decimal("-0.01"), D + timedelta(days=1)), (Decimal("18"), D)):
        assert message(
            InvalidValueError,
            lambda: account.issue(
                token="tok",
                last4="1234",
                apr=apr,
                annual_fee=Money("0.00"),
                expiry=expiry,
                by=CLERK,
                on=D,
            ),
        ) == ("the APR cannot be negative and the expiry must be after the issue date")
    assert message(InvalidTransitionError, lambda: account.activate(by=CLERK, on=D)) == (
        f"card account {NUMBER} is approved; only an issued card is activated"
    )
    account.issue(
        token="tok_9",
        last4="9876",
        apr=Decimal("0"),
        annual_fee=Money("120.00"),
        expiry=D + timedelta(days=1),
        by="u-issuer",
        on=D,
    )
    event = last(account)
    assert (
        event.token,
        event.last4,
        event.limit,
        event.apr,
        event.annual_fee,
        event.expiry,
        event.by,
        event.on,
    ) == (
        "tok_9",
        "9876",
        account.approved_limit,
        Decimal("0"),
        Money("120.00"),
        D + timedelta(days=1),
        "u-issuer",
        D,
    )
    account.activate(by="u-holder", on=LATER)
    activated, fee = account.collect_events()
    assert (activated.by, activated.on) == ("u-holder", LATER)
    assert (fee.kind, fee.amount, fee.by, fee.on) == ("annual", Money("120.00"), "u-holder", LATER)


def test_an_authorisation_records_what_was_bought_where_or_why_it_was_declined() -> None:
    account = active()  # 10,000.00 available
    assert message(
        InvalidValueError,
        lambda: account.authorise(
            kind="refund", amount=Money("1.00"), merchant="m", policy=POLICY, by=CLERK, on=D
        ),
    ) == ("authorisation kind 'refund' is not purchase or cash_advance")
    assert message(
        InvalidAmountError,
        lambda: account.authorise(
            kind="purchase", amount=Money("0.00"), merchant="m", policy=POLICY, by=CLERK, on=D
        ),
    ) == ("an authorisation must be more than zero; got 0.00 CNY")
    assert account.authorise(
        kind="purchase",
        amount=Money("10000.00"),
        merchant="shop",
        policy=POLICY,
        by="u-holder",
        on=LATER,
    )
    event = last(account)
    assert (event.kind, event.amount, event.merchant, event.by, event.on) == (
        "purchase",
        Money("10000.00"),
        "shop",
        "u-holder",
        LATER,
    )
    assert not account.authorise(
        kind="purchase",
        amount=Money("0.01"),
        merchant="kiosk",
        policy=POLICY,
        by="u-holder",
        on=LATER,
    )
    event = last(account)
    assert (event.kind, event.amount, event.merchant, event.reason) == (
        "purchase",
        Money("0.01"),
        "kiosk",
        "0.01 CNY exceeds the available credit of 0.00 CNY",
    )


def test_a_cash_advance_needs_room_for_its_fee_and_records_the_fee() -> None:
    account = active()  # 10,000.00 available; a fee of 3%, at least 30.00
    assert not account.authorise(
        kind="cash_advance",
        amount=Money("9709.00"),
        merchant="atm",
        policy=POLICY,
        by="u-holder",
        on=D,
    )
    assert last(account).reason == ("10,000.27 CNY exceeds the available credit of 10,000.00 CNY")
    assert account.authorise(
        kind="cash_advance",
        amount=Money("100.00"),
        merchant="atm",
        policy=POLICY,
        by="u-holder",
        on=D,
    )
    advanced, fee = account.collect_events()
    assert (advanced.kind, advanced.amount) == ("cash_advance", Money("100.00"))
    assert (fee.kind, fee.amount, fee.by) == ("cash_advance", Money("30.00"), "u-holder")
    usd = active()
    assert usd.cash_advance_fee(Money("1000.00", "USD"), POLICY) == Money("30.00", "USD")


STATEMENT = D + timedelta(days=31)


def test_a_statement_closing_above_the_limit_charges_the_over_limit_fee_once() -> None:
    account = active()  # limit 10,000.00
    buy(account, "10000.00")
    account.collect_events()
    account.close_statement(policy=POLICY, by="u-batch", on=STATEMENT)
    closed_at_limit = account.collect_events()
    assert [type(e).__name__ for e in closed_at_limit] == ["StatementClosed"]  # at, not above
    account.charge_fee("late", Money("0.01"), by=CLERK, on=STATEMENT)
    account.pay(Money("10000.01"), by=CLERK, on=STATEMENT)  # the grace period: no interest
    buy(account, "10000.00", STATEMENT)
    account.charge_fee("late", Money("0.01"), by=CLERK, on=STATEMENT)
    account.collect_events()
    next_statement = account.next_statement
    assert next_statement is not None
    account.close_statement(policy=POLICY, by="u-batch", on=next_statement)
    fee, statement = account.collect_events()
    assert (type(fee).__name__, fee.component, fee.kind, fee.amount, fee.by, fee.on) == (
        "Charged",
        "fees",
        "over_limit",
        Money("50.00"),
        "u-batch",
        next_statement,
    )
    assert statement.balance == Money("10050.01")


def test_interest_is_charged_as_interest_on_an_unpaid_statement() -> None:
    account = active()
    buy(account, "1200.00")
    account.collect_events()
    account.close_statement(policy=POLICY, by="u-batch", on=STATEMENT)
    account.collect_events()
    following = account.next_statement
    assert following is not None
    account.close_statement(policy=POLICY, by="u-batch", on=following)
    interest = account.collect_events()[0]
    assert (interest.component, interest.kind, interest.amount) == (
        "interest",
        "interest",
        Money("18.00"),
    )  # 1,200.00 at 18% for a month


def test_no_statement_is_due_before_its_date_or_on_a_closed_or_written_off_account() -> None:
    account = active()
    assert message(
        InvalidTransitionError,
        lambda: account.close_statement(
            policy=POLICY, by="u-batch", on=STATEMENT - timedelta(days=1)
        ),
    ) == (f"card account {NUMBER} has no statement due on 2026-02-04")
    gone = closed()
    assert message(
        InvalidTransitionError,
        lambda: gone.close_statement(policy=POLICY, by="u-batch", on=STATEMENT),
    ).endswith("has no statement due on 2026-02-05")
    account, day = written_off()
    assert message(
        InvalidTransitionError,
        lambda: account.close_statement(policy=POLICY, by="u-batch", on=day + timedelta(days=60)),
    ).startswith(f"card account {NUMBER} has no statement due on")


def test_the_minimum_is_never_more_than_what_is_not_already_due() -> None:
    account = active()
    buy(account, "150.00")
    account.close_statement(policy=POLICY, by="u-batch", on=STATEMENT)
    assert account.statement is not None and account.statement[2] == Money("100.00")
    following = account.next_statement
    assert following is not None
    account.close_statement(policy=POLICY, by="u-batch", on=following)
    # 150.00 + 2.25 interest owed, 100.00 of it already due: at most 52.25 more
    assert account.statement[1] == Money("152.25") and account.statement[2] == Money("52.25")


def test_a_missed_due_date_charges_the_late_fee_the_next_day() -> None:
    account = active()
    buy(account, "500.00")
    account.collect_events()
    account.close_statement(policy=POLICY, by="u-batch", on=STATEMENT)
    due = account.statement[3] if account.statement else D
    account.collect_events()
    assert account.age(policy=POLICY, by="u-batch", on=due + timedelta(days=1))
    fee = account.collect_events()[0]
    assert (fee.component, fee.kind, fee.amount, fee.by) == (
        "fees",
        "late",
        Money("50.00"),
        "u-batch",
    )
    account.age(policy=POLICY, by="u-batch", on=due + timedelta(days=180))
    proposed = account.collect_events()[-1]
    assert (type(proposed).__name__, proposed.dpd, proposed.balance) == (
        "WriteOffProposed",
        180,
        account.balance,
    )


@pytest.mark.parametrize(
    "risk, renewed", [("none", True), ("grade 4", False), ("late", False), ("blocked", False)]
)
def test_at_expiry_a_card_is_renewed_for_three_years_unless_high_risk(
    risk: str, renewed: bool
) -> None:
    account = active()
    expiry = account.expiry
    assert expiry is not None
    if risk == "grade 4":
        account.grade = 4  # as a grade-4 application decided by a person would be
    if risk == "blocked":
        account.block(reason="fraud", by=CLERK, on=D)
    if risk == "late":
        buy(account, "500.00")
        account.close_statement(policy=POLICY, by="u-batch", on=STATEMENT)
        assert account.statement is not None and account.statement[3] < expiry
    account.collect_events()
    assert not account.renew_or_expire(by="u-batch", on=expiry - timedelta(days=1))
    assert account.renew_or_expire(by="u-batch", on=expiry)
    event = account.collect_events()[-1]
    if renewed:
        assert (type(event).__name__, event.expiry) == ("Renewed", date(2032, 1, 4))  # 36 months on
    else:
        assert (type(event).__name__, account.status) == ("Expired", "expired")
        assert not account.renew_or_expire(by="u-batch", on=expiry)


def test_a_closed_or_written_off_card_is_neither_renewed_nor_expired() -> None:
    gone = closed()
    assert gone.expiry is not None and not gone.renew_or_expire(by="u-batch", on=gone.expiry)
    account, _ = written_off()
    assert account.expiry is not None
    assert not account.renew_or_expire(by="u-batch", on=account.expiry)


def test_a_payment_names_each_refusal() -> None:
    account = active()
    buy(account, "10.00")
    assert message(InvalidAmountError, lambda: account.pay(Money("0.00"), by=CLERK, on=D)) == (
        "a payment must be more than zero; got 0.00 CNY"
    )
    assert message(Exception, lambda: account.pay(Money("10.01"), by=CLERK, on=D)) == (
        f"card account {NUMBER} owes 10.00 CNY; cannot pay 10.01 CNY"
    )
    gone, day = written_off()
    assert message(InvalidTransitionError, lambda: gone.pay(Money("1.00"), by=CLERK, on=day)) == (
        f"card account {NUMBER} is written off; record a recovery instead"
    )
    assert message(
        InvalidTransitionError, lambda: gone.charge_fee("late", Money("1.00"), by=CLERK, on=day)
    ) == (f"card account {NUMBER} is written_off; it cannot be charged a fee")
    assert message(
        InvalidTransitionError,
        lambda: gone.approve_write_off(by=Actor("u-boss2", {"manager"}), policy=POLICY, on=day),
    ) == (f"card account {NUMBER} has no write-off to approve")


def test_a_declined_application_takes_no_fee() -> None:
    declined = applied(Applicant(Money("90000.00"), 17), score=800)
    assert message(
        InvalidTransitionError, lambda: declined.charge_fee("annual", Money("1.00"), by=CLERK, on=D)
    ) == (f"card account {NUMBER} is declined; it cannot be charged a fee")


def test_a_payment_settles_the_minimums_oldest_first_and_keeps_what_is_left_of_one() -> None:
    first, second = D, D + timedelta(days=30)
    minimums: list[list[object]] = [[first, Money("100.00")], [second, Money("50.00")]]
    assert settle_minimums(minimums, Decimal("120.00")) == [[second, Money("30.00")]]
    assert settle_minimums(minimums, Decimal("100.00")) == [[second, Money("50.00")]]
    assert settle_minimums(minimums, Decimal("30.00")) == [
        [first, Money("70.00")],
        [second, Money("50.00")],
    ]


def test_the_card_view_settles_minimums_by_the_same_rule_on_the_amounts_alone() -> None:
    first, second = D, D + timedelta(days=30)
    owed = ((first, Decimal("100.00")), (second, Decimal("50.00")))
    assert unpaid_after(owed, Decimal("120.00")) == ((second, Decimal("30.00")),)
    assert unpaid_after(owed, Decimal("100.00")) == ((second, Decimal("50.00")),)
    assert unpaid_after(owed, Decimal("30.00")) == (
        (first, Decimal("70.00")),
        (second, Decimal("50.00")),
    )
    assert unpaid_after(owed, Decimal("500.00")) == ()


def test_a_card_is_named_by_a_token_and_four_digits_only() -> None:
    assert card_account_id(NUMBER) == UUID("d24622ab-7525-5e96-ade1-3cb9f48e85d1")
    for last4 in ("12a4", "", "12345"):
        assert message(CardNumberError, lambda: check_card_reference("tok", last4)) == (
            f"the last four digits must be four digits, not {last4!r}"
        )
    assert message(
        CardNumberError, lambda: check_card_reference("tok-4111 1111 1111 1111", "1111")
    ) == ("a token must not contain a card number; give the issuer's token instead")


USD_INCOME = Applicant(Money("2000.00", "USD"), 35)


def usd_card(*, apr: str = "18", expiry: date | None = None) -> CardAccount:
    account = applied(USD_INCOME, score=800)  # grade 1: five times the monthly income
    account.issue(
        token="tok_usd",
        last4="1234",
        apr=Decimal(apr),
        annual_fee=Money("0.00", "USD"),
        expiry=expiry or D + timedelta(days=1095),
        by=CLERK,
        on=D,
    )
    account.activate(by=CLERK, on=D)
    account.collect_events()
    return account


def test_a_card_in_dollars_keeps_every_amount_in_dollars() -> None:
    account = usd_card()
    assert account.approved_limit == Money("10000.00", "USD") == account.limit
    assert account.authorise(
        kind="purchase",
        amount=Money("9990.00", "USD"),
        merchant="shop",
        policy=POLICY,
        by="u-holder",
        on=D,
    )
    first = date(2026, 2, 5)
    account.close_statement(policy=POLICY, by="batch", on=first)
    assert account.statement == (
        first,
        Money("9990.00", "USD"),
        Money("999.00", "USD"),
        date(2026, 3, 2),
    )
    account.collect_events()
    assert account.age(policy=POLICY, by="batch", on=date(2026, 3, 3)) is True
    fee, moved = account.collect_events()
    assert (fee.kind, fee.amount) == ("late", Money("50.00", "USD"))
    assert (moved.dpd, moved.bucket, moved.by, moved.on) == (1, "1-29", "batch", date(2026, 3, 3))
    account.close_statement(policy=POLICY, by="batch", on=date(2026, 3, 5))
    interest, over_limit, closed = account.collect_events()
    assert (interest.kind, interest.amount) == (
        "interest",
        Money("149.85", "USD"),
    )  # 9,990 x 18% / 12
    assert (over_limit.kind, over_limit.amount) == ("over_limit", Money("50.00", "USD"))
    assert (closed.balance, closed.minimum) == (Money("10239.85", "USD"), Money("1023.99", "USD"))
    account.pay(Money("1200.00", "USD"), by="u-holder", on=date(2026, 3, 6))
    assert account.unpaid_minimums == [[date(2026, 3, 30), Money("822.99", "USD")]]


def test_a_partly_paid_minimum_stays_due_in_its_own_currency() -> None:
    minimums: list[list[object]] = [[D, Money("100.00", "EUR")]]
    assert settle_minimums(minimums, Decimal("30.00")) == [[D, Money("70.00", "EUR")]]


def test_the_suggested_limit_is_rounded_down_to_whole_hundreds() -> None:
    account = applied(Applicant(Money("2050.50"), 35), score=800)  # 5 x 2,050.50 = 10,252.50
    assert account.approved_limit == Money("10200.00")


def test_an_application_records_the_customer_and_its_id_is_that_of_its_number() -> None:
    customer = UUID("12345678-1234-5678-1234-567812345678")
    account = CardAccount.apply_for(
        number=NUMBER,
        customer_id=customer,
        applicant=GOOD,
        score=800,
        policy=POLICY,
        by=CLERK,
        on=D,
    )
    assert account.customer_id == customer == last(account).customer_id
    assert account.id == card_account_id(NUMBER)


def test_declining_a_referral_needs_no_authority_for_the_limit_it_names() -> None:
    account = applied(score=610)
    account.decide(
        approve=False,
        limit=Money("900000000.00"),
        reason="income not shown",
        by=Actor("u-risk", {"officer"}),
        on=D,
    )
    assert (account.status, account.approved_limit) == ("declined", None)


def test_the_proposer_of_a_write_off_cannot_approve_it() -> None:
    account = active()
    assert buy(account, "1000.00")
    account.close_statement(policy=POLICY, by="batch", on=D + timedelta(days=31))
    assert account.statement is not None
    day = account.statement[3] + timedelta(days=180)
    account.age(policy=POLICY, by="u-batch", on=day)
    assert message(
        FourEyesError,
        lambda: account.approve_write_off(by=Actor("u-batch", {"manager"}), policy=POLICY, on=day),
    ) == (
        f"the write-off of card account {NUMBER} was prepared by u-batch; another person must "
        "approve it"
    )


def test_a_late_fee_alone_is_a_change_of_the_day() -> None:
    # a second minimum missed while the first is still unpaid: the fee, but no new bucket
    account = active()
    assert buy(account, "3000.00")
    account.close_statement(policy=POLICY, by="batch", on=date(2026, 2, 5))  # due 2 March
    account.age(policy=POLICY, by="batch", on=date(2026, 3, 3))
    account.close_statement(policy=POLICY, by="batch", on=date(2026, 3, 5))  # due 30 March
    account.collect_events()
    assert account.age(policy=POLICY, by="batch", on=date(2026, 3, 31)) is True  # 29 days past due
    assert [(type(e).__name__, e.kind) for e in account.collect_events()] == [("Charged", "late")]
    assert account.bucket == "1-29"


def test_a_write_off_proposal_alone_is_a_change_of_the_day() -> None:
    policy = PolicySettings(card_write_off_dpd=200)  # later than the last bucket and class
    account = active()
    assert buy(account, "1000.00")
    account.close_statement(policy=policy, by="batch", on=date(2026, 2, 5))
    assert account.statement is not None
    due = account.statement[3]
    account.age(policy=policy, by="batch", on=due + timedelta(days=181))
    assert (account.bucket, account.classification) == ("180+", "loss")
    account.collect_events()
    assert account.age(policy=policy, by="batch", on=due + timedelta(days=199)) is False
    assert account.age(policy=policy, by="batch", on=due + timedelta(days=200)) is True
    assert [type(e).__name__ for e in account.collect_events()] == ["WriteOffProposed"]


def test_a_card_not_yet_issued_has_no_apr() -> None:
    assert applied().apr_on(D) == Decimal(0)


def test_a_card_one_day_past_due_at_expiry_expires() -> None:
    account = usd_card(expiry=date(2026, 3, 3))
    assert account.authorise(
        kind="purchase",
        amount=Money("100.00", "USD"),
        merchant="shop",
        policy=POLICY,
        by="u-holder",
        on=D,
    )
    account.close_statement(policy=POLICY, by="batch", on=date(2026, 2, 5))  # due 2 March
    assert account.renew_or_expire(by="batch", on=date(2026, 3, 3)) is True
    assert account.status == "expired"


def test_repricing_at_the_same_apr_needs_no_notice() -> None:
    account = active()
    account.reprice(
        Decimal("18"),
        notified_on=D,
        effective_on=D,
        reason="annual review",
        policy=POLICY,
        by=CLERK,
        on=D,
    )
    assert (type(last(account)).__name__, account.apr_on(D)) == ("Repriced", Decimal("18"))


@pytest.mark.parametrize(
    ("issued", "statement"),
    [
        (date(2026, 3, 29), date(2026, 4, 28)),
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2026, 3, 28), date(2026, 4, 28)),
    ],
)
def test_statements_fall_on_the_issue_day_held_at_the_28th(issued: date, statement: date) -> None:
    account = applied()
    account.issue(
        token="tok_1",
        last4="4321",
        apr=Decimal("18"),
        annual_fee=Money("0.00"),
        expiry=issued + timedelta(days=1095),
        by=CLERK,
        on=issued,
    )
    assert account.next_statement == statement


def test_a_statement_whose_balance_is_all_still_due_asks_for_no_more() -> None:
    policy = PolicySettings(
        card_payment_due_days=40
    )  # the first minimum falls due after the second statement
    account = applied(Applicant(Money("2000.00"), 35), score=800)
    account.issue(
        token="tok_1",
        last4="4321",
        apr=Decimal("0"),
        annual_fee=Money("0.00"),
        expiry=D + timedelta(days=1095),
        by=CLERK,
        on=D,
    )
    account.activate(by=CLERK, on=D)
    assert buy(account, "60.00")
    account.close_statement(policy=policy, by="batch", on=date(2026, 2, 5))
    account.close_statement(policy=policy, by="batch", on=date(2026, 3, 5))
    assert account.statement is not None
    assert account.statement[1:3] == (Money("60.00"), Money("0.00"))
    assert account.unpaid_minimums == [[date(2026, 3, 17), Money("60.00")]]
