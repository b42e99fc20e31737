"""Credit lines and groups end to end on SQLite and PostgreSQL: group rules, cross-default, reports."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Iterator
from uuid import UUID

import pytest

from clientbook import Actor, ClientBook, DomainError, Money, OpenItemsError
from clientbook.domain.errors import (
    AllocationExceededError,
    CustomerRestrictedError,
    LineFrozenError,
)
from clientbook.domain.group import Link
from clientbook.testing import change_policy

D = date(2026, 1, 5)
OFFICER = Actor("u-officer", {"officer"})
MANAGER = Actor("u-manager", {"manager"})
CREDIT = Actor("u-credit", {"credit_officer"})
ADMIN = Actor("u-admin", {"administration"})
CONTROL = Link("control", "share register", Decimal("70"))


@pytest.fixture
def book(store_url: str) -> Iterator[ClientBook]:
    with ClientBook.open(store_url) as b:
        change_policy(b, "net_capital", "100000000.00", reason="audited accounts", by=ADMIN, on=D)
        change_policy(b, "tier1_capital", "80000000.00", reason="audited accounts", by=ADMIN, on=D)
        for n in range(1, 5):
            b.customers.register(
                number=f"C-{n:06d}",
                kind="organisation",
                name=f"Firm {n}",
                manager="m-001",
                by=OFFICER,
                on=D,
            )
        yield b


def cid(book: ClientBook, n: int) -> UUID:
    return book.customers.id_of(f"C-{n:06d}")


def line(
    book: ClientBook, n: int, number: str, limit: str, product: str = "working_capital"
) -> UUID:
    line_id = book.credit.propose_line(
        number=number,
        customer=cid(book, n),
        product=product,
        limit=Money(limit),
        rate=Decimal("4.35"),
        start=D,
        maturity=D + timedelta(days=365),
        review=D + timedelta(days=180),
        by=OFFICER,
        on=D,
    )
    book.credit.approve_line(line_id, by=MANAGER, on=D)
    book.credit.activate_line(line_id, by=OFFICER, on=D)
    return line_id


def test_a_member_s_lines_never_exceed_its_allocation_even_if_approved_before_joining(
    book: ClientBook,
) -> None:
    before = line(book, 1, "L-000001", "600000.00")
    group = book.credit.form_group(
        name="Wang Group",
        lead_branch="Shanghai",
        lead_manager="m-001",
        limit=Money("1000000.00"),
        by=MANAGER,
        on=D,
    )
    head = book.head
    with pytest.raises(AllocationExceededError):
        book.credit.add_member(
            group, cid(book, 1), link=CONTROL, allocation=Money("500000.00"), by=MANAGER, on=D
        )
    assert book.head == head
    book.credit.add_member(
        group, cid(book, 1), link=CONTROL, allocation=Money("700000.00"), by=MANAGER, on=D
    )
    second = book.credit.propose_line(
        number="L-000002",
        customer=cid(book, 1),
        product="overdraft",
        limit=Money("100000.01"),
        rate=Decimal("6"),
        start=D,
        maturity=D + timedelta(days=90),
        review=D + timedelta(days=30),
        by=OFFICER,
        on=D,
    )
    with pytest.raises(AllocationExceededError, match="would total 700,000.01 CNY"):
        book.credit.approve_line(second, by=MANAGER, on=D)
    book.credit.propose_limit_increase(before, Money("700000.00"), by=OFFICER, on=D)
    book.credit.approve_limit_increase(before, by=MANAGER, on=D)
    book.credit.propose_limit_increase(before, Money("700000.01"), by=OFFICER, on=D)
    with pytest.raises(AllocationExceededError):
        book.credit.approve_limit_increase(before, by=MANAGER, on=D)


def test_a_restricted_customer_gets_no_new_credit(book: ClientBook) -> None:
    line_id = line(book, 2, "L-000009", "1000.00")
    book.customers.restrict(cid(book, 2), reason="court order", by=OFFICER, on=D)
    head = book.head
    with pytest.raises(CustomerRestrictedError):
        book.credit.draw(line_id, Money("1.00"), by=OFFICER, on=D)
    with pytest.raises(CustomerRestrictedError):
        book.credit.propose_line(
            number="L-000010",
            customer=cid(book, 2),
            product="overdraft",
            limit=Money("1.00"),
            rate=Decimal("1"),
            start=D,
            maturity=D + timedelta(days=9),
            review=D,
            by=OFFICER,
            on=D,
        )
    assert book.head == head


def test_a_member_in_default_freezes_the_whole_group_until_reviewed_and_released(
    book: ClientBook,
) -> None:
    group = book.credit.form_group(
        name="Li Group",
        lead_branch="Beijing",
        lead_manager="m-002",
        limit=Money("2000000.00"),
        by=MANAGER,
        on=D,
    )
    for n in (1, 2, 3):
        book.credit.add_member(
            group, cid(book, n), link=CONTROL, allocation=Money("500000.00"), by=MANAGER, on=D
        )
    sick = line(book, 1, "L-000001", "100000.00")
    healthy = line(book, 2, "L-000002", "100000.00")
    book.credit.draw(sick, Money("50000.00"), by=OFFICER, on=D, due=D + timedelta(days=30))
    book.close_of_business(D + timedelta(days=121))  # 91 days past due: substandard, default
    assert book.credit.line(sick).classification == "substandard"
    assert book.credit.group(group).cross_default == cid(book, 1)
    assert book.credit.group(group).classification == "substandard"
    with pytest.raises(LineFrozenError, match="cross-default"):
        book.credit.draw(healthy, Money("1.00"), by=OFFICER, on=D + timedelta(days=121))
    late = line(book, 3, "L-000003", "1000.00")  # approved during the freeze: frozen too
    assert book.credit.line(late).group_frozen
    book.credit.review_group(
        group, findings="isolated; collateral covers it", by=CREDIT, on=D + timedelta(days=122)
    )
    book.credit.release_group(group, by=MANAGER, on=D + timedelta(days=123))
    book.credit.draw(healthy, Money("1.00"), by=OFFICER, on=D + timedelta(days=123))
    assert [e.event_type for e in book.audit.trail(aggregate=healthy)][-3:] == [
        "FrozenByGroup",
        "ReleasedByGroup",
        "Drawn",
    ]


def test_a_member_defaults_after_90_days_past_due_not_at_90_and_its_own_line_freezes_too(
    book: ClientBook,
) -> None:
    group = book.credit.form_group(
        name="Qian Group",
        lead_branch="Nanjing",
        lead_manager="m-002",
        limit=Money("2000000.00"),
        by=MANAGER,
        on=D,
    )
    for n in (1, 2):
        book.credit.add_member(
            group, cid(book, n), link=CONTROL, allocation=Money("500000.00"), by=MANAGER, on=D
        )
    sick, healthy = line(book, 1, "L-000001", "100000.00"), line(book, 2, "L-000002", "100000.00")
    book.credit.draw(sick, Money("50000.00"), by=OFFICER, on=D, due=D + timedelta(days=1))
    book.close_of_business(D + timedelta(days=91))  # exactly 90 days past due: not yet default
    assert book.credit.group(group).cross_default is None
    assert not book.credit.line(sick).group_frozen and not book.credit.line(healthy).group_frozen
    book.close_of_business(D + timedelta(days=92))  # 91 days: default, cross-default
    assert book.credit.group(group).cross_default == cid(book, 1)
    assert book.credit.line(sick).group_frozen and book.credit.line(healthy).group_frozen
    head = book.head
    with pytest.raises(LineFrozenError, match="cross-default"):
        book.credit.draw(sick, Money("1.00"), by=OFFICER, on=D + timedelta(days=92))
    assert book.head == head


def test_a_covenant_breach_raises_an_early_warning_on_the_group(book: ClientBook) -> None:
    group = book.credit.form_group(
        name="Zhao Group",
        lead_branch="Xi'an",
        lead_manager="m-003",
        limit=Money("1000000.00"),
        by=MANAGER,
        on=D,
    )
    book.credit.add_member(
        group, cid(book, 4), link=CONTROL, allocation=Money("500000.00"), by=MANAGER, on=D
    )
    line_id = line(book, 4, "L-000004", "1000.00")
    book.credit.add_covenant(line_id, "dividends", by=OFFICER, on=D)
    book.credit.record_breach(line_id, "dividends", detail="paid 2025 dividend", by=OFFICER, on=D)
    g = book.credit.group(group)
    assert g.under_review and g.warnings[0][1] == "covenant_breach"


def test_a_customer_with_an_open_line_cannot_be_closed(book: ClientBook) -> None:
    line(book, 3, "L-000005", "1000.00")
    with pytest.raises(OpenItemsError, match="credit line L-000005"):
        book.customers.close(cid(book, 3), reason="request", by=OFFICER, on=D)


def test_reports_as_of_dates_and_their_rebuild(book: ClientBook) -> None:
    group = book.credit.form_group(
        name="Wang Group",
        lead_branch="Shanghai",
        lead_manager="m-001",
        limit=Money("9000000.00"),
        by=MANAGER,
        on=D,
    )
    book.credit.add_member(
        group, cid(book, 1), link=CONTROL, allocation=Money("5000000.00"), by=MANAGER, on=D
    )
    trade = line(book, 1, "L-000001", "100000.00", product="trade_credit")
    book.credit.draw(trade, Money("30000.00"), by=OFFICER, on=D, due=D + timedelta(days=30))
    book.credit.draw(trade, Money("20000.00"), by=OFFICER, on=D, due=D + timedelta(days=120))
    other = line(book, 2, "L-000002", "8000.00")
    book.credit.draw(other, Money("8000.00"), by=OFFICER, on=D)
    book.close_of_business(D + timedelta(days=70))
    book.credit.classify(
        other, "doubtful", reason="fraud at the firm", by=CREDIT, on=D + timedelta(days=80)
    )

    five = book.credit_reports.classification(as_of=D + timedelta(days=75))
    counts = {r.classification: (r.lines, r.outstanding) for r in five.rows}
    assert counts["special_mention"] == (1, Money("50000.00")) and counts["normal"] == (
        1,
        Money("8000.00"),
    )
    later = book.credit_reports.classification(as_of=D + timedelta(days=80))
    assert {r.classification: r.lines for r in later.rows}["doubtful"] == 1
    moves = book.credit_reports.migration(
        from_date=D + timedelta(days=10), to_date=D + timedelta(days=80)
    )
    assert (moves.count("normal", "special_mention"), moves.count("normal", "doubtful")) == (1, 1)

    aging = book.credit_reports.aging(as_of=D + timedelta(days=75))
    assert dict(aging.rows[0].buckets)["31-60"] == Money("30000.00")
    assert dict(aging.totals)["current"] == Money("20000.00")

    report = book.credit_reports.concentration(as_of=D + timedelta(days=75))
    (row,) = report.groups
    assert (row.name, row.committed, row.outstanding) == (
        "Wang Group",
        Money("100000.00"),
        Money("50000.00"),
    )
    assert (str(row.share_of_net_capital_percent), row.within_cap) == ("9.00", True)
    assert (str(row.tier1_percent), row.large_exposure) == ("0.13", False)
    assert row.members[0].number == "C-000001" and row.classification == "special_mention"

    live = (five, book.exposure.lines(D + timedelta(days=75)))
    book.projections.rebuild()
    assert (
        book.credit_reports.classification(as_of=D + timedelta(days=75)),
        book.exposure.lines(D + timedelta(days=75)),
    ) == live


def test_group_detection_finds_connected_customers_outside_the_group(book: ClientBook) -> None:
    one, two, three = cid(book, 1), cid(book, 2), cid(book, 3)
    book.credit.record_link(one, two, CONTROL, by=OFFICER, on=D)
    book.credit.record_link(
        two, three, Link("economic_dependency", "sales ledger", Decimal("45")), by=OFFICER, on=D
    )
    book.credit.record_link(
        three, cid(book, 4), Link("economic_dependency", "ledger", Decimal("5")), by=OFFICER, on=D
    )
    group = book.credit.form_group(
        name="Wang Group",
        lead_branch="Shanghai",
        lead_manager="m-001",
        limit=Money("1000000.00"),
        by=MANAGER,
        on=D,
    )
    book.credit.add_member(group, one, link=CONTROL, allocation=Money("1.00"), by=MANAGER, on=D)
    book.credit.add_member(group, two, link=CONTROL, allocation=Money("1.00"), by=MANAGER, on=D)
    found = book.credit_reports.detect_groups()
    assert [p.customers for p in found.proposed] == [("C-000001", "C-000002", "C-000003")]
    assert found.outside == (("C-000002", "C-000003", "economic_dependency"),)


def test_refused_credit_commands_write_nothing(book: ClientBook) -> None:
    line_id = line(book, 1, "L-000001", "100.00")
    head = book.head
    for refuse in (
        lambda: book.credit.draw(line_id, Money("100.01"), by=OFFICER, on=D),
        lambda: book.credit.repay(line_id, Money("0.01"), by=OFFICER, on=D),
        lambda: book.credit.classify(line_id, "loss", reason="x", by=OFFICER, on=D),
        lambda: book.credit.close_line(line_id, reason="", by=OFFICER, on=D),
    ):
        with pytest.raises(DomainError):
            refuse()
    assert book.head == head
