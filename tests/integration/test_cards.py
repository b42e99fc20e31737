"""Card accounts end to end on SQLite and PostgreSQL: the batch, the views, snapshots, the report."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Iterator
from uuid import UUID

import pytest

from clientbook import Actor, ClientBook, Money, OpenItemsError, testing
from clientbook.application.app import replay
from clientbook.domain.card import CardAccount

D = date(2026, 1, 5)
CLERK = Actor("u-clerk", {"officer"})
BOSS = Actor("u-boss", {"manager"})


@pytest.fixture
def book(store_url: str) -> Iterator[ClientBook]:
    with ClientBook.open(store_url) as b:
        b.customers.register(
            number="C-000001", kind="individual", name="Li Lei", manager="m-001", by=CLERK, on=D
        )
        yield b


def open_card(book: ClientBook, number: str = "K-000001", income: str = "20000.00") -> UUID:
    customer = book.customers.id_of("C-000001")
    return testing.open_card(book, customer, number, income=Money(income), by=CLERK, on=D)


def test_the_batch_runs_statements_and_delinquency_to_a_write_off(book: ClientBook) -> None:
    good, bad = open_card(book, "K-000001"), open_card(book, "K-000002")
    for account in (good, bad):
        assert book.cards.authorise(
            account, kind="purchase", amount=Money("1000.00"), merchant="m", by=CLERK, on=D
        )
    book.close_of_business(D + timedelta(days=31))  # statements close
    due = book.cards.account(good).statement[3]
    book.cards.pay(good, Money("1000.00"), by=CLERK, on=due)
    book.close_of_business(due + timedelta(days=1))
    views = {v.number: v for v in book.card_accounts.accounts(due + timedelta(days=1))}
    assert (views["K-000001"].days_past_due, views["K-000002"].days_past_due) == (0, 1)
    assert views["K-000002"].balance == Money("1050.00")  # the late fee
    head = book.head
    assert book.close_of_business(due + timedelta(days=1)).days == () and book.head == head
    book.close_of_business(due + timedelta(days=180))
    bad_now = book.cards.account(bad)
    assert (bad_now.bucket, bad_now.stage, bad_now.classification) == ("180+", "legal", "doubtful")
    assert bad_now.write_off_proposed_by == "system:close-of-business"
    book.cards.approve_write_off(bad, by=BOSS, on=due + timedelta(days=181))
    book.cards.recover(bad, Money("100.00"), by=CLERK, on=due + timedelta(days=200))
    report = book.card_accounts.portfolio(as_of=due + timedelta(days=200), period_from=D)
    assert report.written_off > Decimal("1000") and report.recovered == Decimal("100.00")
    assert dict((s, n) for s, n, _ in report.accounts_by_status)["written_off"] == 1
    assert report.activation_rate_percent == Decimal("100.00")
    book.projections.rebuild()
    assert book.card_accounts.portfolio(as_of=due + timedelta(days=200), period_from=D) == report


def test_roll_rates_compare_buckets_month_over_month(book: ClientBook) -> None:
    account = open_card(book)
    book.cards.authorise(
        account, kind="purchase", amount=Money("500.00"), merchant="m", by=CLERK, on=D
    )
    end = date(2026, 4, 30)
    for n in range(1, (end - D).days + 1):
        book.close_of_business(D + timedelta(days=n))
    report = book.card_accounts.portfolio(as_of=end)
    # statement 2026-02-05, due 2026-03-02, never paid: 29 days late on 2026-03-31, 59 on 04-30
    assert report.roll_rates == (("1-29", "30-59", 1),)
    assert report.cure_rate_percent == Decimal("0.00")


def test_a_customer_with_an_open_card_cannot_be_closed(book: ClientBook) -> None:
    open_card(book)
    with pytest.raises(OpenItemsError, match="card account K-000001"):
        book.customers.close(book.customers.id_of("C-000001"), reason="request", by=CLERK, on=D)


def test_a_long_lived_account_loads_from_a_snapshot_equal_to_its_full_replay(
    book: ClientBook,
) -> None:
    account_id = open_card(book, income="200000.00")
    account = book.app.get(CardAccount, account_id, "card account")
    policy = book.policy.in_force(D)
    for n in range(3340):  # three events a round: a purchase, its payment and a fee
        on = D + timedelta(days=n // 100)
        account.authorise(
            kind="purchase", amount=Money("10.00"), merchant="m", policy=policy, by="u", on=on
        )
        account.pay(Money("10.00"), by="u", on=on)
        account.charge_fee("late", Money("1.00"), by="u", on=on)
        if n % 300 == 299:
            book.app.save_all(account)
    book.app.save_all(account)
    assert account.version >= 10_000
    snapshots = list(book.app.snapshots.get(account_id))  # type: ignore[union-attr]
    # the last save took it past a multiple of the book's interval (20): a snapshot as saved
    assert snapshots and snapshots[-1].originator_version == account.version
    from_snapshot = book.app.get(CardAccount, account_id, "card account")
    from_every_event = replay(None, book.app.events.get(account_id))
    assert from_snapshot == from_every_event
    # each round adds 1.00 net; each payment pays the last fee first, then the oldest purchases
    assert from_snapshot.balance == Money("3340.00") and from_snapshot.component("fees") == Money(
        "1.00"
    )


def test_a_save_past_a_multiple_of_the_interval_snapshots_the_account_as_saved(
    book: ClientBook, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not at the multiple, read back from the store and replayed (the library's way): the
    account as the save left it, with no read of the log."""
    account_id = open_card(book, income="200000.00")
    account = book.app.get(CardAccount, account_id, "card account")
    policy = book.policy.in_force(D)
    interval = book.app.snapshotting_intervals[CardAccount]
    assert account.version < interval
    while account.version < interval + 3:
        account.authorise(
            kind="purchase", amount=Money("10.00"), merchant="m", policy=policy, by="u", on=D
        )
    reads: list[object] = []
    for recorder in (book.app.recorder, book.app.snapshots.recorder):  # type: ignore[union-attr]
        monkeypatch.setattr(recorder, "select_events", lambda *a, **k: reads.append(a))
    book.app.save_all(account)
    monkeypatch.undo()
    snapshots = list(book.app.snapshots.get(account_id))  # type: ignore[union-attr]
    assert [s.originator_version for s in snapshots] == [account.version] and not reads
    with ClientBook.open(store_url) as other:  # loads from that snapshot
        assert other.app.get(CardAccount, account_id, "card account") == replay(
            None, book.app.events.get(account_id)
        )


def test_a_past_due_account_still_gets_its_statement_on_schedule(book: ClientBook) -> None:
    account = open_card(book)
    book.cards.authorise(
        account, kind="purchase", amount=Money("500.00"), merchant="m", by=CLERK, on=D
    )
    for n in range(1, 100):
        book.close_of_business(D + timedelta(days=n))
    statements = [
        e.business_date for e in book.audit.trail(aggregate=account, event_type="StatementClosed")
    ]
    assert statements == [
        date(2026, 2, 5),
        date(2026, 3, 5),
        date(2026, 4, 5),
    ]  # every month, on the day


def test_paying_the_overdue_minimum_cures_the_account_at_the_next_close(book: ClientBook) -> None:
    """The oldest minimum is paid while a newer one is not yet due: days past due fall to zero,
    and the next close of business moves the account back to current, although no threshold
    of days past due is crossed that day."""
    account = open_card(book)
    book.cards.authorise(
        account, kind="purchase", amount=Money("1000.00"), merchant="m", by=CLERK, on=D
    )
    book.close_of_business(D + timedelta(days=31))  # the first statement
    first_due = book.cards.account(account).statement[3]
    book.close_of_business(first_due + timedelta(days=10))  # 10 days past due: 1-29, phone
    owed = book.cards.account(account)
    assert owed.bucket == "1-29" and len(owed.unpaid_minimums) == 2  # the second not yet due
    assert owed.unpaid_minimums[1][0] > first_due + timedelta(days=12)
    book.cards.pay(account, owed.unpaid_minimums[0][1], by=CLERK, on=first_due + timedelta(days=11))
    assert book.cards.account(account).days_past_due(first_due + timedelta(days=12)) == 0
    book.close_of_business(first_due + timedelta(days=12))
    cured = book.cards.account(account)
    assert (cured.bucket, cured.stage, cured.classification) == ("current", "none", "normal")
