"""The borrower (domain/borrower.py): one per customer, the sum and the worst classification
of its open lines, and at most one group at a time."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from clientbook import Money
from clientbook.domain.borrower import Borrower, borrower_id
from clientbook.domain.errors import InvalidValueError

D = date(2026, 12, 1)
CUSTOMER = UUID(int=1)


def test_a_customers_borrower_has_an_id_of_its_own_that_never_changes() -> None:
    """The id is derived from the customer, so a second borrower for one customer collides in
    the store; stored logs name it, so it is the same in every release."""
    assert Borrower(CUSTOMER, by="u").id == borrower_id(CUSTOMER)
    assert borrower_id(CUSTOMER) == UUID("b06469a8-4810-5fee-9222-5fae54612b38")
    assert borrower_id(UUID(int=2)) != borrower_id(CUSTOMER)


def test_the_total_is_the_sum_of_the_open_lines_limits() -> None:
    borrower = Borrower(CUSTOMER, by="u")
    assert borrower.total("CNY") == Money.zero()
    a, b = uuid4(), uuid4()
    borrower.set_line(a, Money("100.00"), "normal", by="u", on=D)
    borrower.set_line(b, Money("250.00"), "normal", by="u", on=D)
    assert borrower.total("CNY") == Money("350.00")
    borrower.drop_line(a, by="u", on=D)
    assert borrower.total("CNY") == Money("250.00")


def test_the_classification_is_the_worst_of_the_lines() -> None:
    borrower = Borrower(CUSTOMER, by="u")
    assert borrower.classification == "normal"
    a, b = uuid4(), uuid4()
    borrower.set_line(a, Money("100.00"), "substandard", by="u", on=D)
    borrower.set_line(b, Money("100.00"), "special_mention", by="u", on=D)
    assert borrower.classification == "substandard"
    borrower.drop_line(a, by="u", on=D)
    assert borrower.classification == "special_mention"


def test_setting_a_line_records_an_event_only_when_its_limit_or_classification_changes() -> None:
    borrower = Borrower(CUSTOMER, by="u")
    line = uuid4()
    borrower.collect_events()
    for limit, classification, recorded in [
        ("100.00", "normal", 1),
        ("100.00", "normal", 0),
        ("200.00", "normal", 1),
        ("200.00", "doubtful", 1),
        ("200.00", "doubtful", 0),
    ]:
        borrower.set_line(line, Money(limit), classification, by="u", on=D)
        assert len(borrower.collect_events()) == recorded, (limit, classification)


def test_dropping_a_line_the_borrower_does_not_hold_records_nothing() -> None:
    borrower = Borrower(CUSTOMER, by="u")
    line = uuid4()
    borrower.set_line(line, Money("100.00"), "normal", by="u", on=D)
    borrower.drop_line(uuid4(), by="u", on=D)
    borrower.drop_line(line, by="u", on=D)
    borrower.drop_line(line, by="u", on=D)
    assert [type(e).__name__ for e in borrower.collect_events()] == [
        "Opened",
        "LineSet",
        "LineDropped",
    ]
    assert borrower.limits == {} and borrower.classes == {}


def test_a_borrower_joins_one_group_at_a_time() -> None:
    borrower = Borrower(CUSTOMER, by="u")
    group, other = uuid4(), uuid4()
    borrower.join(group, by="u", on=D)
    assert borrower.group == group
    with pytest.raises(InvalidValueError) as refused:
        borrower.join(other, by="u", on=D)
    assert str(refused.value) == "the customer is already a member of another group"
    borrower.leave(by="u", on=D)
    borrower.leave(by="u", on=D)  # not in a group: nothing to record
    assert borrower.group is None
    borrower.join(other, by="u", on=D)
    events = borrower.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Opened",
        "JoinedGroup",
        "LeftGroup",
        "JoinedGroup",
    ]
    joined, left = events[1], events[2]
    assert (joined.group_id, joined.customer_id, joined.by, joined.on) == (group, CUSTOMER, "u", D)
    assert (left.group_id, left.customer_id, left.by, left.on) == (group, CUSTOMER, "u", D)
