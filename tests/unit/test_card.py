"""Every card-account rule of DOMAIN.md § Card accounts, on the aggregate itself (no I/O)."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from clientbook import Actor, Money
from clientbook.domain.card import (
    Applicant,
    CardAccount,
    DefaultScorecard,
    bucket_for,
    card_class_for,
    grade_for,
    stage_for,
)
from clientbook.domain.errors import (
    ApprovalAuthorityError,
    CardNumberError,
    FourEyesError,
    InvalidAmountError,
    InvalidTransitionError,
    InvalidValueError,
    OverRepaymentError,
)
from clientbook.domain.policy import PolicySettings

D = date(2026, 1, 5)
POLICY = PolicySettings()
CLERK = "u-clerk"
GOOD = Applicant(Money("20000.00"), 35)


def applied(applicant: Applicant = GOOD, score: int | None = None) -> CardAccount:
    score = DefaultScorecard().score(applicant) if score is None else score
    return CardAccount.apply_for(
        number="K-000001",
        customer_id=uuid4(),
        applicant=applicant,
        score=score,
        policy=POLICY,
        by=CLERK,
        on=D,
    )


def active(limit_income: str = "2000.00", annual_fee: str = "0.00") -> CardAccount:
    account = applied(Applicant(Money(limit_income), 35), score=800)  # grade 1: 5 x income
    account.issue(
        token="tok_1",
        last4="4321",
        apr=Decimal("18"),
        annual_fee=Money(annual_fee),
        expiry=D + timedelta(days=1095),
        by=CLERK,
        on=D,
    )
    account.activate(by=CLERK, on=D)
    account.collect_events()
    return account


def buy(account: CardAccount, amount: str, on: date = D) -> bool:
    return account.authorise(
        kind="purchase", amount=Money(amount), merchant="shop", policy=POLICY, by="u-holder", on=on
    )


def test_the_default_scorecard_and_the_grade_bands() -> None:
    assert DefaultScorecard().score(Applicant(Money("20000.00"), 35, existing_customer=True)) == 800
    assert DefaultScorecard().score(Applicant(Money("3000.00"), 22)) == 560
    assert [grade_for(s) for s in (720, 719, 680, 640, 600, 599)] == [1, 2, 2, 3, 4, 5]


def test_grades_4_and_5_are_always_referred_and_minors_declined() -> None:
    assert (applied(score=610).status, applied(score=500).status) == ("referred", "referred")
    assert applied(Applicant(Money("90000.00"), 17), score=800).status == "declined"
    approved = applied(score=700)  # grade 2: four times the monthly income
    assert (approved.status, approved.approved_limit) == ("approved", Money("80000.00"))


def test_a_referral_is_decided_by_another_person_with_a_reason() -> None:
    account = applied(score=610)
    with pytest.raises(FourEyesError):
        account.decide(
            approve=True, limit=Money("5000.00"), reason="ok", by=Actor(CLERK, {"officer"}), on=D
        )
    with pytest.raises(InvalidAmountError):
        account.decide(approve=True, limit=None, reason="ok", by=Actor("u-risk", {"officer"}), on=D)
    account.decide(
        approve=True,
        limit=Money("5000.00"),
        reason="stable job",
        by=Actor("u-risk", {"officer"}),
        on=D,
    )
    assert (account.status, account.approved_limit) == ("approved", Money("5000.00"))


@pytest.mark.parametrize(
    "token,last4",
    [
        ("4111111111111111", "1111"),
        ("tok 4111 1111 1111 1111", "1111"),
        ("tok_1", "41111"),
        ("tok_1", "x123"),
    ],
)
def test_a_full_card_number_is_refused(token: str, last4: str) -> None:
    account = applied(score=800)
    with pytest.raises(CardNumberError):
        account.issue(
            token=token,
            last4=last4,
            apr=Decimal("18"),
            annual_fee=Money("0.00"),
            expiry=D + timedelta(days=1000),
            by=CLERK,
            on=D,
        )


def test_authorisation_within_available_on_an_active_unblocked_card_or_a_recorded_decline() -> None:
    account = active()  # limit 10,000.00
    assert buy(account, "9000.00")
    assert not buy(account, "1000.01")
    declined = account.collect_events()[-1]
    assert (
        type(declined).__name__ == "AuthorisationDeclined"
        and "exceeds the available credit" in declined.reason
    )
    assert account.balance == Money("9000.00")
    account.block(reason="stolen", by=CLERK, on=D)
    assert not buy(account, "1.00")
    assert account.collect_events()[-1].reason == "the card is blocked: stolen"


def test_a_cash_advance_pays_its_fee_and_must_fit_with_it() -> None:
    account = active()
    assert account.authorise(
        kind="cash_advance",
        amount=Money("2000.00"),
        merchant="atm",
        policy=POLICY,
        by="u-holder",
        on=D,
    )
    assert (account.component("fees"), account.balance) == (Money("60.00"), Money("2060.00"))
    assert account.cash_advance_fee(Money("100.00"), POLICY) == Money("30.00")


def test_payments_go_to_fees_then_interest_then_principal_oldest_first() -> None:
    account = active(annual_fee="200.00")
    buy(account, "1000.00")
    account.close_statement(policy=POLICY, by="batch", on=D + timedelta(days=31))
    buy(account, "500.00", D + timedelta(days=40))
    account.close_statement(policy=POLICY, by="batch", on=D + timedelta(days=62))  # interest
    interest = account.component("interest")
    assert interest == Money("22.50")  # 1,500.00 x 18% / 12
    account.pay(Money("300.00"), by="u-holder", on=D + timedelta(days=63))
    assert account.component("fees").is_zero and account.component("interest") == Money(
        "22.50"
    ) - Money("22.50")
    assert account.postings["principal"][0][2] == Money("922.50")  # the oldest purchase first
    with pytest.raises(OverRepaymentError):
        account.pay(Money("1422.51"), by="u-holder", on=D)


def test_the_statement_sets_the_minimum_payment_and_the_due_date() -> None:
    small, large, tiny = active(), active(), active()
    buy(small, "800.00")
    buy(large, "5000.00")
    buy(tiny, "60.00")
    for account in (small, large, tiny):
        account.close_statement(policy=POLICY, by="batch", on=D + timedelta(days=31))
    assert [a.statement[2] for a in (small, large, tiny)] == [
        Money("100.00"),
        Money("500.00"),
        Money("60.00"),
    ]
    assert small.statement[3] == D + timedelta(days=56)
    with pytest.raises(InvalidTransitionError, match="no statement due"):
        small.close_statement(policy=POLICY, by="batch", on=D + timedelta(days=32))


def test_no_interest_when_the_last_statement_was_paid_in_full() -> None:
    account = active()
    buy(account, "1000.00")
    account.close_statement(policy=POLICY, by="batch", on=D + timedelta(days=31))
    account.pay(Money("1000.00"), by="u-holder", on=D + timedelta(days=40))
    buy(account, "200.00", D + timedelta(days=41))
    account.close_statement(policy=POLICY, by="batch", on=D + timedelta(days=62))
    assert account.component("interest").is_zero


def test_a_missed_minimum_brings_a_late_fee_and_delinquency_by_days_past_due() -> None:
    account = active()
    buy(account, "1000.00")
    account.close_statement(policy=POLICY, by="batch", on=D + timedelta(days=31))
    due = account.statement[3]
    assert not account.age(policy=POLICY, by="batch", on=due)
    assert account.age(policy=POLICY, by="batch", on=due + timedelta(days=1))
    assert account.component("fees") == Money("50.00")
    assert (account.days_past_due(due + timedelta(days=1)), account.bucket, account.stage) == (
        1,
        "1-29",
        "phone",
    )
    account.pay(Money("60.00"), by="u-holder", on=due + timedelta(days=2))  # 50 fee, 10 principal
    assert account.days_past_due(due + timedelta(days=2)) == 2  # the minimum is not yet met


def test_buckets_stages_and_classes_follow_days_past_due() -> None:
    assert [bucket_for(d) for d in (0, 1, 29, 30, 59, 60, 90, 120, 150, 179, 180)] == [
        "current",
        "1-29",
        "1-29",
        "30-59",
        "30-59",
        "60-89",
        "90-119",
        "120-149",
        "150-179",
        "150-179",
        "180+",
    ]
    assert [stage_for(d, POLICY) for d in (0, 1, 59, 60, 119, 120)] == [
        "none",
        "phone",
        "phone",
        "visit",
        "visit",
        "legal",
    ]
    assert [card_class_for(d) for d in (0, 1, 90, 91, 120, 121, 180, 181)] == [
        "normal",
        "special_mention",
        "special_mention",
        "substandard",
        "substandard",
        "doubtful",
        "doubtful",
        "loss",
    ]


def test_write_off_is_proposed_at_180_days_and_approved_by_a_person() -> None:
    account = active()
    buy(account, "1000.00")
    account.close_statement(policy=POLICY, by="batch", on=D + timedelta(days=31))
    due = account.statement[3]
    account.age(policy=POLICY, by="batch", on=due + timedelta(days=179))
    assert account.write_off_proposed_by is None
    with pytest.raises(InvalidTransitionError, match="no write-off"):
        account.approve_write_off(by=Actor("u-boss", {"manager"}), policy=POLICY, on=due)
    account.age(policy=POLICY, by="batch", on=due + timedelta(days=180))
    with pytest.raises(FourEyesError):
        account.approve_write_off(
            by=Actor("batch", {"batch"}), policy=POLICY, on=due + timedelta(days=180)
        )
    account.approve_write_off(
        by=Actor("u-boss", {"manager"}), policy=POLICY, on=due + timedelta(days=181)
    )
    # no late fee here: the batch did not run on the day after the due date
    assert (account.status, account.written_off, account.balance) == (
        "written_off",
        Money("1000.00"),
        Money.zero(),
    )
    account.recover(Money("950.00"), by=CLERK, on=due + timedelta(days=200))
    with pytest.raises(InvalidAmountError, match="exceed"):
        account.recover(Money("50.01"), by=CLERK, on=due + timedelta(days=201))


def test_limit_increases_are_four_eyes_within_authority_and_decreases_at_once() -> None:
    account = active()
    account.propose_limit_increase(Money("20000.00"), reason="good payer", by="u-a", on=D)
    with pytest.raises(FourEyesError):
        account.approve_limit_increase(by=Actor("u-a", {"manager"}), policy=POLICY, on=D)
    with pytest.raises(ApprovalAuthorityError):
        account.approve_limit_increase(by=Actor("u-b", {"officer"}), policy=POLICY, on=D)
    account.approve_limit_increase(by=Actor("u-b", {"supervisor"}), policy=POLICY, on=D)
    account.decrease_limit(Money("5000.00"), reason="risk review", by="u-a", on=D)
    assert account.limit == Money("5000.00")


def test_a_decrease_withdraws_a_pending_increase_in_the_log() -> None:
    account = active()
    account.propose_limit_increase(Money("20000.00"), reason="good payer", by="u-a", on=D)
    account.decrease_limit(Money("5000.00"), reason="risk review", by="u-c", on=D)
    proposed, withdrawn, changed = account.collect_events()
    assert type(proposed).__name__ == "LimitIncreaseProposed"
    assert type(withdrawn).__name__ == "LimitIncreaseWithdrawn"
    assert (withdrawn.limit, withdrawn.by) == (Money("20000.00"), "u-c")  # type: ignore[attr-defined]
    assert type(changed).__name__ == "LimitChanged" and account.pending_limit is None
    with pytest.raises(InvalidTransitionError):
        account.approve_limit_increase(by=Actor("u-b", {"supervisor"}), policy=POLICY, on=D)


def test_an_apr_increase_takes_effect_no_sooner_than_45_days_after_notice() -> None:
    account = active()
    with pytest.raises(InvalidValueError, match="at the soonest"):
        account.reprice(
            Decimal("24"),
            notified_on=D,
            effective_on=D + timedelta(days=44),
            reason="r",
            policy=POLICY,
            by=CLERK,
            on=D,
        )
    account.reprice(
        Decimal("24"),
        notified_on=D,
        effective_on=D + timedelta(days=45),
        reason="market",
        policy=POLICY,
        by=CLERK,
        on=D,
    )
    account.reprice(
        Decimal("12"),
        notified_on=D,
        effective_on=D,
        reason="promotion",
        policy=POLICY,
        by=CLERK,
        on=D,
    )


def test_dormant_after_6_months_long_term_after_18_at_zero_balance() -> None:
    account = active()
    assert not account.check_dormancy(policy=POLICY, by="batch", on=D + timedelta(days=150))
    assert account.check_dormancy(policy=POLICY, by="batch", on=date(2026, 7, 5))
    assert account.dormancy == "dormant" and account.status == "active"
    assert account.check_dormancy(policy=POLICY, by="batch", on=date(2027, 7, 5))
    assert account.dormancy == "long_term"
    assert buy(account, "1.00", date(2027, 7, 6)) and account.dormancy == "none"


def test_renewal_at_expiry_unless_high_risk() -> None:
    account = active()
    expiry = account.expiry
    assert account.renew_or_expire(by="batch", on=expiry) and account.expiry > expiry
    risky = active()
    risky.block(reason="fraud", by=CLERK, on=D)
    assert risky.renew_or_expire(by="batch", on=risky.expiry) and risky.status == "expired"


def test_a_card_closes_on_request_only_at_zero() -> None:
    account = active()
    buy(account, "1.00")
    with pytest.raises(InvalidTransitionError, match="closes at zero"):
        account.close(reason="request", by=CLERK, on=D)
    account.pay(Money("1.00"), by="u-holder", on=D)
    account.close(reason="request", by=CLERK, on=D)
    assert account.status == "closed"


def test_the_minimum_payments_due_never_exceed_what_is_owed() -> None:
    account = active()
    buy(account, "1000.00")
    account.close_statement(policy=POLICY, by="batch", on=D + timedelta(days=31))
    account.pay(Money("700.00"), by="u-holder", on=D + timedelta(days=60))
    account.close_statement(policy=POLICY, by="batch", on=D + timedelta(days=62))
    still_due = sum((m[1].amount for m in account.unpaid_minimums), Decimal(0))
    assert still_due <= account.balance.amount


def test_the_annual_fee_falls_due_on_each_anniversary_of_the_issue() -> None:
    account = active(annual_fee="200.00")  # charged once at activation
    assert not account.charge_annual_fee(by="batch", on=date(2027, 1, 4))
    assert account.charge_annual_fee(by="batch", on=date(2027, 1, 5))
    assert not account.charge_annual_fee(by="batch", on=date(2027, 1, 6))
    assert account.component("fees") == Money("400.00") and account.anniversary == date(2028, 1, 5)


def test_a_copy_of_an_account_shares_no_mutable_state_with_it() -> None:
    """The repository's cache hands out copies (BookAggregate.__deepcopy__): a command given to
    a copy must leave the cached original exactly as it was."""
    account = active()
    buy(account, "120.00")
    account.close_statement(policy=POLICY, by="system", on=D + timedelta(days=31))
    account.collect_events()
    before = copy.deepcopy(account.__dict__)
    clone = copy.deepcopy(account)
    assert clone.__dict__ == account.__dict__ and clone is not account
    buy(clone, "30.00", D + timedelta(days=32))
    clone.pay(Money("50.00"), by="holder", on=D + timedelta(days=33))
    assert clone.balance != account.balance
    assert account.__dict__ == before
