from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from clientbook import Actor, Money
from clientbook.domain.actor import require_four_eyes
from clientbook.domain.errors import (
    ApprovalAuthorityError,
    CurrencyMismatchError,
    FourEyesError,
    InvalidAmountError,
    InvalidValueError,
    PolicyError,
    ReasonRequiredError,
)
from clientbook.domain.money import require_not_negative
from clientbook.domain.policy import Policy, PolicySettings

D = date(2026, 11, 2)


def test_money_is_quantised_to_whole_cents() -> None:
    assert Money("12.5").amount == Decimal("12.50")
    assert str(Money(Decimal("1234.5"))) == "1,234.50 CNY"


def test_a_fraction_of_a_cent_is_refused() -> None:
    with pytest.raises(InvalidAmountError, match="fraction of a cent"):
        Money("0.001")


def test_a_float_is_refused() -> None:
    with pytest.raises(InvalidAmountError, match="is a float"):
        Money(0.1)  # type: ignore[arg-type]


def test_not_a_number_is_refused() -> None:
    with pytest.raises(InvalidAmountError, match="not a number"):
        Money("ten")
    with pytest.raises(InvalidAmountError, match="finite"):
        Money("NaN")


def test_the_currency_is_a_three_letter_code() -> None:
    assert Money("1.00", "USD").currency == "USD"
    with pytest.raises(InvalidAmountError, match="ISO 4217"):
        Money("1.00", "yuan")
    for bad in ("CNY\n", " CNY", "usd", "CN"):  # `$` alone would let a trailing newline in
        with pytest.raises(InvalidAmountError, match="ISO 4217"):
            Money("1.00", bad)


def test_arithmetic_stays_within_one_currency() -> None:
    assert Money("1.10") + Money("2.20") == Money("3.30")
    assert Money("5.00") - Money("7.50") == Money("-2.50")
    assert Money("1.00") < Money("1.01")
    with pytest.raises(CurrencyMismatchError, match="currencies differ"):
        Money("1.00") + Money("1.00", "USD")
    with pytest.raises(CurrencyMismatchError):
        assert Money("1.00") < Money("2.00", "USD")


def test_a_negative_amount_is_refused_where_it_makes_no_sense() -> None:
    with pytest.raises(InvalidAmountError, match="claim cannot be negative"):
        require_not_negative(Money("-0.01"), "claim")
    assert require_not_negative(Money("0.00"), "claim") == Money.zero()


def test_approval_authority_defaults_follow_the_roles() -> None:
    policy = PolicySettings()
    assert Actor("u", {"officer"}).authority(policy) == Money("10000.00")
    assert Actor("u", {"supervisor"}).authority(policy) == Money("100000.00")
    assert Actor("u", {"manager"}).authority(policy) == Money("1000000.00")
    assert Actor("u", {"general_manager"}).authority(policy) is None
    assert Actor("u", {"officer", "manager"}).authority(policy) == Money("1000000.00")
    assert Actor("u", {"auditor"}).authority(policy) == Money.zero()


def test_approving_above_the_authority_is_refused() -> None:
    officer = Actor("u-officer", {"officer"})
    officer.require_authority(Money("10000.00"), PolicySettings(), "the refund")
    with pytest.raises(ApprovalAuthorityError, match="may approve up to 10,000.00 CNY"):
        officer.require_authority(Money("10000.01"), PolicySettings(), "the refund")
    Actor("g", {"general_manager"}).require_authority(Money("99999999.00"), PolicySettings(), "x")


def test_four_eyes_refuses_the_same_person_approving() -> None:
    require_four_eyes("u-a", "u-b", "the report")
    with pytest.raises(FourEyesError, match="prepared by u-a; another person"):
        require_four_eyes("u-a", "u-a", "the report")


def test_an_actor_needs_an_id_and_known_roles() -> None:
    with pytest.raises(InvalidValueError, match="user id"):
        Actor(" ")
    with pytest.raises(InvalidValueError, match="unknown role"):
        Actor("u", {"king"})


def test_policy_defaults_are_those_of_the_domain() -> None:
    p = PolicySettings()
    assert (p.manager_min_customers, p.lapse_grace_days, p.complaint_deadline_days) == (15, 3, 7)
    assert p.concentration_cap_percent == Decimal("15")
    assert (p.card_write_off_dpd, p.card_apr_notice_days, p.card_payment_due_days) == (180, 45, 25)


def test_a_policy_change_applies_from_its_business_date_on() -> None:
    policy = Policy(settings=PolicySettings().as_text(), by="u-admin", on=D)
    policy.change(
        "complaint_deadline_days", "10", reason="regulator", by="u-admin", on=date(2026, 12, 1)
    )
    assert policy.in_force(date(2026, 11, 30)).complaint_deadline_days == 7
    assert policy.in_force(date(2026, 12, 1)).complaint_deadline_days == 10
    assert policy.in_force().complaint_deadline_days == 10


def test_a_policy_change_needs_a_known_setting_a_valid_value_and_a_reason() -> None:
    policy = Policy(settings=PolicySettings().as_text(), by="u-admin", on=D)
    with pytest.raises(PolicyError, match="no policy setting 'deadline'"):
        policy.change("deadline", "3", reason="x", by="u", on=D)
    with pytest.raises(PolicyError, match="cannot be 'soon'"):
        policy.change("complaint_deadline_days", "soon", reason="x", by="u", on=D)
    with pytest.raises(PolicyError, match="percentage"):
        policy.change("concentration_cap_percent", "150", reason="x", by="u", on=D)
    with pytest.raises(ReasonRequiredError):
        policy.change("complaint_deadline_days", "5", reason=" ", by="u", on=D)
    assert len(policy.collect_events()) == 1


def test_an_unlimited_authority_can_be_set_and_read_back() -> None:
    settings = PolicySettings().with_setting("approval_limit_manager", "unlimited")
    assert settings.approval_limit("manager") is None
    assert settings.as_text()["approval_limit_manager"] == "unlimited"
