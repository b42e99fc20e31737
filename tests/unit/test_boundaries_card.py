"""Every threshold of DOMAIN.md § Card accounts on both sides, and every card rounding rule on
an amount that lands on a half cent (half-up: 0.005 rounds away from zero)."""

from __future__ import annotations

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
    shift_months,
    stage_for,
)
from clientbook.domain.errors import (
    ApprovalAuthorityError,
    InvalidTransitionError,
    InvalidValueError,
)
from clientbook.domain.policy import PolicySettings

D = date(2026, 1, 5)
FIRST_STATEMENT = date(2026, 2, 5)  # issued on D: the cycle's day, a month on
DUE = FIRST_STATEMENT + timedelta(days=25)
POLICY = PolicySettings()


def applied(age: int = 35, score: int = 800, income: str = "2000.00") -> CardAccount:
    return CardAccount.apply_for(
        number="K-000001",
        customer_id=uuid4(),
        applicant=Applicant(Money(income), age),
        score=score,
        policy=POLICY,
        by="u-clerk",
        on=D,
    )


def active(income: str = "2000.00") -> CardAccount:
    """Approved at grade 1: a limit of five times the income (10,000.00), APR 18%."""
    account = applied(income=income)
    account.issue(
        token="tok_1",
        last4="4321",
        apr=Decimal("18"),
        annual_fee=Money("0.00"),
        expiry=D + timedelta(days=1095),
        by="u-clerk",
        on=D,
    )
    account.activate(by="u-clerk", on=D)
    return account


def with_statement(spent: str) -> CardAccount:
    """Spent `spent` on D; the first statement closed, its minimum due on DUE and unpaid."""
    account = active()
    assert account.authorise(
        kind="purchase", amount=Money(spent), merchant="shop", policy=POLICY, by="u-holder", on=D
    )
    account.close_statement(policy=POLICY, by="batch", on=FIRST_STATEMENT)
    account.collect_events()
    return account


# -- delinquency: buckets, collection stages, the card five categories --------------------


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [
        (0, "current"),
        (1, "1-29"),
        (29, "1-29"),
        (30, "30-59"),
        (59, "30-59"),
        (60, "60-89"),
        (89, "60-89"),
        (90, "90-119"),
        (119, "90-119"),
        (120, "120-149"),
        (149, "120-149"),
        (150, "150-179"),
        (179, "150-179"),
        (180, "180+"),
    ],
)
def test_each_delinquency_bucket_starts_and_ends_where_domain_md_says(
    dpd: int, bucket: str
) -> None:
    assert bucket_for(dpd) == bucket


@pytest.mark.parametrize(
    ("dpd", "stage"),
    [
        (0, "none"),
        (1, "phone"),
        (59, "phone"),
        (60, "visit"),
        (119, "visit"),
        (120, "legal"),
    ],
)
def test_collections_escalate_at_1_60_and_120_days(dpd: int, stage: str) -> None:
    assert stage_for(dpd, POLICY) == stage


@pytest.mark.parametrize(
    ("dpd", "category"),
    [
        (0, "normal"),
        (1, "special_mention"),
        (90, "special_mention"),
        (91, "substandard"),
        (120, "substandard"),
        (121, "doubtful"),
        (180, "doubtful"),
        (181, "loss"),
    ],
)
def test_the_card_five_categories_change_at_1_91_121_and_181_days(dpd: int, category: str) -> None:
    assert card_class_for(dpd) == category


def test_the_late_fee_falls_the_day_after_the_due_date_not_on_it() -> None:
    account = with_statement("1000.00")
    assert account.age(policy=POLICY, by="batch", on=DUE) is False
    assert account.component("fees") == Money("0.00") and account.days_past_due(DUE) == 0
    assert account.age(policy=POLICY, by="batch", on=DUE + timedelta(days=1))
    assert account.component("fees") == Money("50.00")
    assert (account.bucket, account.stage, account.classification) == (
        "1-29",
        "phone",
        "special_mention",
    )


def test_the_batch_proposes_a_write_off_at_180_days_past_due_not_at_179() -> None:
    account = with_statement("1000.00")
    account.age(policy=POLICY, by="batch", on=DUE + timedelta(days=179))
    assert account.write_off_proposed_by is None
    account.age(policy=POLICY, by="batch", on=DUE + timedelta(days=180))
    assert account.write_off_proposed_by == "batch" and account.bucket == "180+"


def test_a_write_off_is_approved_at_180_days_past_due_and_refused_at_179() -> None:
    account = with_statement("1000.00")
    account.age(policy=POLICY, by="batch", on=DUE + timedelta(days=180))
    approver = Actor("u-head", {"officer"})
    with pytest.raises(InvalidTransitionError, match="179 days past due; it is written off only"):
        account.approve_write_off(by=approver, policy=POLICY, on=DUE + timedelta(days=179))
    account.approve_write_off(by=approver, policy=POLICY, on=DUE + timedelta(days=180))
    assert account.status == "written_off" and account.written_off == Money("1000.00")


# -- statements: the minimum payment, the due date, interest, fees --------------------------


@pytest.mark.parametrize(
    ("balance", "minimum"),
    [
        ("1000.05", "100.01"),  # 10% is 100.005: half a cent rounds up
        ("1000.00", "100.00"),  # 10% is the floor exactly
        ("999.90", "100.00"),  # 10% is 99.99: the floor of 100 is greater
        ("100.00", "100.00"),  # the floor and the whole balance are one
        ("99.99", "99.99"),  # the whole balance, being smaller than the floor
    ],
)
def test_the_minimum_payment_is_the_greater_of_10_percent_and_100_or_the_whole_balance(
    balance: str,
    minimum: str,
) -> None:
    assert active().minimum_payment(Money(balance), POLICY) == Money(minimum)


def test_the_due_date_is_25_days_after_the_statement() -> None:
    account = with_statement("1000.00")
    assert account.statement == (FIRST_STATEMENT, Money("1000.00"), Money("100.00"), DUE)
    assert DUE == date(2026, 3, 2)


def test_a_months_interest_on_a_half_cent_rounds_half_up() -> None:
    account = with_statement("3.00")  # 3.00 x 18% / 12 = 0.045
    assert account.interest_due(date(2026, 3, 5)) == Money("0.05")


def test_no_interest_when_the_last_statement_was_paid_in_full() -> None:
    account = with_statement("3.00")
    account.authorise(
        kind="purchase",
        amount=Money("3.00"),
        merchant="shop",
        policy=POLICY,
        by="u-holder",
        on=FIRST_STATEMENT + timedelta(days=1),
    )
    account.pay(Money("2.99"), by="u-holder", on=DUE)  # a cent short of the statement's 3.00
    assert account.interest_due(date(2026, 3, 5)) == Money("0.05")  # 3.01 x 1.5% = 0.045
    account.pay(Money("0.01"), by="u-holder", on=DUE)
    assert account.interest_due(date(2026, 3, 5)) is None


@pytest.mark.parametrize(
    ("advance", "fee"),
    [
        ("1001.50", "30.05"),  # 3% is 30.045: half a cent rounds up
        ("1000.17", "30.01"),  # 30.0051
        ("1000.00", "30.00"),  # 3% is the minimum exactly
        ("999.50", "30.00"),  # 29.985 would round to 29.99: the minimum of 30 is greater
    ],
)
def test_the_cash_advance_fee_is_3_percent_rounded_half_up_and_at_least_30(
    advance: str,
    fee: str,
) -> None:
    assert active().cash_advance_fee(Money(advance), POLICY) == Money(fee)


# -- pricing ----------------------------------------------------------------------------------


def test_an_apr_increase_takes_effect_45_days_after_notice_at_the_soonest() -> None:
    account = active()
    with pytest.raises(InvalidValueError, match="takes effect on 2026-02-19 at the soonest"):
        account.reprice(
            Decimal("19"),
            notified_on=D,
            effective_on=D + timedelta(days=44),
            reason="repricing",
            policy=POLICY,
            by="u-pricing",
            on=D,
        )
    account.collect_events()
    account.reprice(
        Decimal("19"),
        notified_on=D,
        effective_on=D + timedelta(days=45),
        reason="repricing",
        policy=POLICY,
        by="u-pricing",
        on=D,
    )
    assert account.aprs[-1] == (date(2026, 2, 19), Decimal("19"))


def test_an_apr_decrease_may_take_effect_at_once() -> None:
    account = active()
    account.reprice(
        Decimal("17.99"),
        notified_on=D,
        effective_on=D,
        reason="loyalty",
        policy=POLICY,
        by="u-pricing",
        on=D,
    )
    assert account.aprs[-1] == (D, Decimal("17.99"))


# -- dormancy ----------------------------------------------------------------------------------


def test_a_card_unused_for_6_months_is_dormant_not_a_day_before() -> None:
    account = active()
    six_months = shift_months(D, 6)
    assert (
        account.check_dormancy(policy=POLICY, by="batch", on=six_months - timedelta(days=1))
        is False
    )
    assert account.check_dormancy(policy=POLICY, by="batch", on=six_months)
    assert account.dormancy == "dormant"


def test_a_card_unused_for_18_months_at_zero_is_long_term_dormant_not_a_day_before() -> None:
    account = active()
    account.check_dormancy(policy=POLICY, by="batch", on=shift_months(D, 6))
    eighteen = shift_months(D, 18)
    assert (
        account.check_dormancy(policy=POLICY, by="batch", on=eighteen - timedelta(days=1)) is False
    )
    assert account.check_dormancy(policy=POLICY, by="batch", on=eighteen)
    assert account.dormancy == "long_term"


def test_a_card_with_a_balance_stays_dormant_after_18_months() -> None:
    account = with_statement("0.01")
    account.check_dormancy(policy=POLICY, by="batch", on=shift_months(D, 6))
    assert account.check_dormancy(policy=POLICY, by="batch", on=shift_months(D, 18)) is False
    assert account.dormancy == "dormant"


# -- application: score bands, referral, age, approval authority --------------------------------


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (720, 1),
        (719, 2),
        (680, 2),
        (679, 3),
        (640, 3),
        (639, 4),
        (600, 4),
        (599, 5),
    ],
)
def test_the_risk_grade_bands_begin_at_720_680_640_and_600(score: int, grade: int) -> None:
    assert grade_for(score) == grade


@pytest.mark.parametrize(("score", "decision"), [(640, "approved"), (639, "referred")])
def test_grade_3_is_decided_by_the_scorecard_and_grade_4_is_referred(
    score: int, decision: str
) -> None:
    assert applied(score=score).status == decision


@pytest.mark.parametrize(("age", "decision"), [(17, "declined"), (18, "approved")])
def test_the_youngest_card_holder_is_18(age: int, decision: str) -> None:
    assert applied(age=age).status == decision


@pytest.mark.parametrize(
    ("age", "points"), [(20, 0), (21, 30), (24, 30), (25, 60), (60, 60), (61, 0)]
)
def test_the_default_scorecards_age_points_change_at_21_25_and_61(age: int, points: int) -> None:
    assert DefaultScorecard().score(Applicant(Money("0.00"), age)) == 500 + points


@pytest.mark.parametrize(
    ("income", "points"), [("19999.99", 199), ("20000.00", 200), ("30000.00", 200)]
)
def test_the_default_scorecards_income_points_stop_at_200(income: str, points: int) -> None:
    assert DefaultScorecard().score(Applicant(Money(income), 0)) == 500 + points


@pytest.mark.parametrize(
    ("role", "limit"),
    [
        ("officer", "10000.00"),
        ("supervisor", "100000.00"),
        ("manager", "1000000.00"),
    ],
)
def test_a_card_limit_increase_is_approved_at_the_approvers_authority_and_refused_above(
    role: str,
    limit: str,
) -> None:
    at, above = active("1000.00"), active("1000.00")  # limits of 5,000.00
    approver = Actor("u-approver", {role})
    for account, new in ((at, Money(limit)), (above, Money(limit) + Money("0.01"))):
        account.propose_limit_increase(new, reason="income rose", by="u-clerk", on=D)
    at.approve_limit_increase(by=approver, policy=POLICY, on=D)
    assert at.limit == Money(limit)
    above.collect_events()
    with pytest.raises(ApprovalAuthorityError, match=f"may approve up to {Money(limit)}"):
        above.approve_limit_increase(by=approver, policy=POLICY, on=D)
    assert above.collect_events() == [] and above.limit == Money("5000.00")


def test_paying_only_the_minimum_leaves_interest_due_paying_the_balance_does_not() -> None:
    account = with_statement("1000.00")  # statement balance 1,000.00, minimum 100.00
    account.pay(Money("100.00"), by="u-holder", on=DUE)
    assert account.interest_due(date(2026, 3, 5)) == Money("13.50")  # 900.00 x 18% / 12


def test_no_interest_at_an_apr_of_zero() -> None:
    account = with_statement("1000.00")
    account.reprice(
        Decimal("0"),
        notified_on=D,
        effective_on=D,
        reason="promotion",
        policy=POLICY,
        by="u-pricing",
        on=D,
    )
    assert account.interest_due(date(2026, 3, 5)) is None


def test_interest_uses_the_apr_in_force_on_the_day_an_increase_takes_effect() -> None:
    account = with_statement("1000.00")
    effective = FIRST_STATEMENT + timedelta(days=45)
    account.reprice(
        Decimal("24"),
        notified_on=FIRST_STATEMENT,
        effective_on=effective,
        reason="risk",
        policy=POLICY,
        by="u-pricing",
        on=FIRST_STATEMENT,
    )
    assert account.interest_due(effective - timedelta(days=1)) == Money("15.00")  # 18%
    assert account.interest_due(effective) == Money("20.00")  # 24%


def test_after_a_decrease_interest_uses_the_lower_apr_not_the_highest_ever() -> None:
    account = with_statement("1000.00")
    account.reprice(
        Decimal("12"),
        notified_on=FIRST_STATEMENT,
        effective_on=FIRST_STATEMENT,
        reason="loyalty",
        policy=POLICY,
        by="u-pricing",
        on=FIRST_STATEMENT,
    )
    assert account.interest_due(date(2026, 3, 5)) == Money("10.00")  # 12%, not 18%
