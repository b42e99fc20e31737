"""The card account's close of business is a method of the account, in its own order."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from test_card import D, POLICY, active, applied, buy

from clientbook import Money
from clientbook.domain.card import Applicant, CardAccount


def names(account: CardAccount) -> list[str]:
    return [type(e).__name__ for e in account.collect_events()]


def test_a_day_with_a_statement_due_closes_it_before_ageing_and_a_quiet_day_changes_nothing() -> (
    None
):
    account = active()
    assert buy(account, "300.00")
    account.collect_events()
    statement = account.next_statement
    assert statement is not None
    assert account.close_day(policy=POLICY, by="u-batch", on=statement - timedelta(days=1)) is False
    assert names(account) == []
    assert account.close_day(policy=POLICY, by="u-batch", on=statement) is True
    closed = names(account)
    assert closed and closed[0] == "StatementClosed", closed
    assert account.next_statement is not None and account.next_statement > statement
    assert account.close_day(policy=POLICY, by="u-batch", on=statement) is False
    assert names(account) == []


def test_each_step_of_the_close_of_business_records_who_ran_it_in_the_accounts_order() -> None:
    # the statement first, then the days past due, dormancy, the annual fee and renewal: on the
    # expiry date of a card not used since its issue, whose first anniversary was never billed
    account = active(annual_fee="200.00")
    expiry = account.expiry
    assert expiry is not None
    assert account.close_day(policy=POLICY, by="u-batch", on=expiry) is True
    events = account.collect_events()
    assert [(type(e).__name__, e.by, e.on) for e in events] == [
        ("StatementClosed", "u-batch", expiry),
        ("DormancyChanged", "u-batch", expiry),
        ("AnnualFeeCharged", "u-batch", expiry),
        ("Renewed", "u-batch", expiry),
    ]
    assert (account.dormancy, account.component("fees")) == ("dormant", Money("400.00"))


def test_the_day_after_a_missed_due_date_the_close_of_business_charges_and_ages_as_its_runner() -> (
    None
):
    account = active()
    assert buy(account, "300.00")
    assert account.next_statement is not None
    account.close_day(policy=POLICY, by="u-batch", on=account.next_statement)
    assert account.statement is not None
    day_after = account.statement[3] + timedelta(days=1)
    account.collect_events()
    assert account.close_day(policy=POLICY, by="u-batch", on=day_after) is True
    events = account.collect_events()
    assert [(type(e).__name__, e.by) for e in events] == [
        ("Charged", "u-batch"),
        ("DelinquencyMoved", "u-batch"),
    ]
    assert (events[0].kind, events[0].amount) == ("late", Money("50.00"))


def test_an_issued_card_not_yet_activated_still_gets_its_statement() -> None:
    account = issued_only()
    assert account.next_statement is not None
    assert account.close_day(policy=POLICY, by="u-batch", on=account.next_statement) is True
    assert names(account)[0] == "StatementClosed"
    assert account.statement is not None and account.statement[1] == Money("0.00")


def test_an_expired_card_still_gets_its_statements() -> None:
    account = active()
    assert buy(account, "300.00")
    account.block(reason="fraud suspected", by="u-fraud", on=D)
    assert account.expiry is not None
    assert account.renew_or_expire(by="u-batch", on=account.expiry)
    assert account.status == "expired"
    account.collect_events()
    statement = account.next_statement
    assert account.close_day(policy=POLICY, by="u-batch", on=account.expiry) is True
    assert names(account)[0] == "StatementClosed"
    assert account.statement is not None and account.statement[:2] == (
        account.expiry,
        Money("300.00"),
    )
    assert account.next_statement is not None and statement is not None
    assert account.next_statement > statement


def test_a_card_not_yet_activated_or_closed_never_turns_dormant() -> None:
    waiting = issued_only()
    closed = active()
    closed.close(reason="on request", by="u-clerk", on=D)
    half_a_year = D + timedelta(days=200)
    for account in (waiting, closed):
        assert account.check_dormancy(policy=POLICY, by="u-batch", on=half_a_year) is False
        assert account.dormancy == "none"
    closed.collect_events()
    assert closed.close_day(policy=POLICY, by="u-batch", on=half_a_year) is False
    assert names(closed) == []


def issued_only() -> CardAccount:
    account = applied(Applicant(Money("2000.00"), 35), score=800)
    account.issue(
        token="tok_1",
        last4="4321",
        apr=Decimal("18"),
        annual_fee=Money("0.00"),
        expiry=D + timedelta(days=1095),
        by="u-clerk",
        on=D,
    )
    account.collect_events()
    return account
