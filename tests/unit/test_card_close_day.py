"""The card account's close of business is a method of the account, in its own order."""

from __future__ import annotations

from datetime import timedelta

from test_card import POLICY, active, buy

from clientbook.domain.card import CardAccount


def names(account: CardAccount) -> list[str]:
    return [type(e).__name__ for e in account.collect_events()]


def test_a_day_with_a_statement_due_closes_it_before_ageing_and_a_quiet_day_changes_nothing(
) -> None:
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
