"""The real card data (first 500 holders of the UCI set) replayed through the real commands."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from clientbook import ClientBook
from clientbook.adapters.uci_cards import read_holders
from clientbook.application.uci_import import LAST_DAY


def test_the_first_500_card_holders_replay_into_a_consistent_portfolio(
    tmp_path: Path, card_data: Path
) -> None:
    holders = list(read_holders(card_data, 500))
    assert len(holders) == 500 and holders[0].limit == Decimal("20000")
    with ClientBook.open(f"sqlite:///{tmp_path / 'uci.db'}") as book:
        events = book.import_uci_cards(card_data, rows=500)
        assert events > 500 * 10
        report = book.card_accounts.portfolio(as_of=LAST_DAY)
        assert report.issued == 500 and report.activation_rate_percent == Decimal("100.00")
        views = book.card_accounts.accounts(LAST_DAY)
        assert len(views) == 500
        # the account view agrees with the aggregates, to the cent
        first = book.cards.account(views[0].account_id)
        assert views[0].balance == first.balance and views[0].limit == first.limit
        assert first.limit.amount == holders[0].limit and first.limit.currency == "TWD"
        # a holder who paid every bill in full is current; the report's buckets add up
        assert sum(n for _, n, _ in report.accounts_by_bucket) == 500
        assert book.policy.in_force(LAST_DAY).card_minimum_payment_percent == Decimal("2")
        book.projections.rebuild()
        assert book.card_accounts.portfolio(as_of=LAST_DAY) == report
