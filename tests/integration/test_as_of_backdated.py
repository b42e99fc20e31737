"""As-of answers when events are recorded late with earlier business dates (back-dated).

One rule everywhere a book is read as of a business date: each aggregate's events up to, not
including, its first event dated after that date. A back-dated event recorded after a later-dated
one therefore does not count (an aggregate's state is its events in order, never a selection).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from clientbook import Actor, ClientBook, Money

D = date(2026, 3, 2)
OFFICER = Actor("u-officer", {"officer"})
MANAGER = Actor("u-manager", {"manager"})


@pytest.fixture
def book() -> Iterator[ClientBook]:
    with ClientBook.open("memory:") as opened:
        customer = opened.customers.register(
            number="C-000001",
            kind="organisation",
            name="Li Trading",
            manager="m-001",
            by=OFFICER,
            on=D,
        )
        opened.customers.activate(customer, by=OFFICER, on=D)
        yield opened


def _line(book: ClientBook) -> UUID:
    line = book.credit.propose_line(
        number="L-000001",
        customer=book.customers.id_of("C-000001"),
        product="working_capital",
        limit=Money("1000000.00"),
        rate=Decimal("4.35"),
        start=D,
        maturity=D + timedelta(days=365),
        review=D + timedelta(days=180),
        by=OFFICER,
        on=D,
    )
    book.credit.approve_line(line, by=MANAGER, on=D)
    book.credit.activate_line(line, by=OFFICER, on=D)
    return line


def test_a_back_dated_drawing_after_a_later_one_is_not_counted_as_of_between(
    book: ClientBook,
) -> None:
    line = _line(book)
    book.credit.draw(line, Money("100.00"), by=OFFICER, on=D + timedelta(days=1))
    book.credit.draw(line, Money("500.00"), by=OFFICER, on=D + timedelta(days=10))
    book.credit.draw(line, Money("7.00"), by=OFFICER, on=D + timedelta(days=2))  # back-dated
    on = D + timedelta(days=5)
    live = book.credit_reports.classification(as_of=on)
    with book.as_of(on=on) as past:
        from_past = past.credit_reports.classification(as_of=on)
        [exposure] = past.exposure.lines(on)
    outstanding = {row.classification: row.outstanding for row in live.rows}["normal"]
    assert outstanding == Money("100.00")
    assert from_past.rows == live.rows
    assert exposure.outstanding == Money("100.00")


def test_the_dated_prefix_rule() -> None:
    from clientbook.projections.view import dated_prefix

    items = [
        ("a", D),
        ("b", D),
        ("a", D + timedelta(days=9)),
        ("b", D + timedelta(days=1)),
        ("a", D + timedelta(days=1)),
    ]  # the last: back-dated, after a later-dated one
    kept = list(dated_prefix(items, D + timedelta(days=5), lambda i: i[0], lambda i: i[1]))
    assert kept == [("a", D), ("b", D), ("b", D + timedelta(days=1))]


def test_a_view_read_alone_applies_the_rule_to_events_it_does_not_subscribe_to(
    book: ClientBook,
) -> None:
    """The manager report takes no profile updates; a later-dated update must still cut the
    customer's later events from it, as from every other view of the past book, even when the
    manager report is the first (and only) view read."""
    customer = book.customers.id_of("C-000001")
    book.customers.give_consent(
        customer, "phone", channel="phone", by=OFFICER, on=D + timedelta(days=20)
    )
    book.customers.update_profile(
        customer, phone="13800000000", by=OFFICER, on=D + timedelta(days=20)
    )
    book.customers.record_contact(
        customer,
        channel="call",
        purpose="follow_up",
        outcome="needs met",
        by=OFFICER,
        on=D + timedelta(days=5),
    )
    with book.as_of(on=D + timedelta(days=10)) as past:
        [row] = past.reports.managers(period_from=D, period_to=D + timedelta(days=10)).rows
        assert row.contacts == 0
    with book.as_of(on=D + timedelta(days=20)) as past:
        [row] = past.reports.managers(period_from=D, period_to=D + timedelta(days=20)).rows
        assert row.contacts == 1
