"""Follow-up plans on SQLite and PostgreSQL (essay 5's three-level maintenance): tier visit
cycles in close of business, campaigns on the managers' call-back lists, counted in the
managers report, rebuilt from zero the same."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Iterator

import pytest

from clientbook import Actor, ClientBook, DomainError, DuplicateNumberError
from clientbook.testing import change_policy

D = date(2026, 1, 5)
CLERK = Actor("u-clerk", {"officer"})
TIERS = {"C-000001": "vip", "C-000002": "a", "C-000003": "b", "C-000004": "none", "C-000005": "vip"}


@pytest.fixture
def book(store_url: str) -> Iterator[ClientBook]:
    with ClientBook.open(store_url) as b:
        for number, tier in TIERS.items():
            b.customers.register(
                number=number,
                kind="individual",
                name=f"Holder {number}",
                manager="m-001" if number < "C-000003" else "m-002",
                tier=tier,
                by=CLERK,
                on=D,
            )
        yield b


def lapsed(book: ClientBook) -> set[str]:
    return {e.number for e in book.directory.search(lapsed=True)}


def test_without_a_cycle_of_their_own_customers_lapse_after_their_tiers_cycle(
    book: ClientBook,
) -> None:
    """Defaults: VIP 90 days, A 60, B 30, plus the 3 grace days; tier none never lapses."""
    own = book.customers.id_of("C-000005")
    book.customers.set_visit_cycle(own, 7, by=CLERK, on=D)
    book.close_of_business(D + timedelta(days=32))
    assert lapsed(book) == {"C-000005"}
    book.close_of_business(D + timedelta(days=33))
    assert lapsed(book) == {"C-000005", "C-000003"}
    book.close_of_business(D + timedelta(days=62))
    assert lapsed(book) == {"C-000005", "C-000003"}
    book.close_of_business(D + timedelta(days=63))
    assert lapsed(book) == {"C-000005", "C-000003", "C-000002"}
    change_policy(
        book, "visit_cycle_vip_days", "120", reason="quarterly review", on=D + timedelta(days=64)
    )
    book.close_of_business(D + timedelta(days=93))  # 90 + 3, but the policy now says 120
    assert "C-000001" not in lapsed(book)
    book.close_of_business(D + timedelta(days=123))
    assert lapsed(book) == {"C-000005", "C-000003", "C-000002", "C-000001"}


def test_a_campaign_puts_its_tiers_customers_on_the_call_back_list_until_contacted(
    book: ClientBook,
) -> None:
    gone = book.customers.id_of("C-000005")
    book.customers.close(gone, reason="moved away", by=CLERK, on=D)
    start = D + timedelta(days=10)
    book.campaigns.launch(
        number="FEST-2026",
        kind="festival",
        title="Spring festival",
        tiers=["vip", "a"],
        by=CLERK,
        on=start,
    )
    listed = book.campaigns.call_backs(on=start)
    assert [(c.manager, c.customer, c.due, c.overdue) for c in listed] == [
        ("m-001", "C-000001", start + timedelta(days=7), False),
        ("m-001", "C-000002", start + timedelta(days=7), False),
    ]
    assert book.campaigns.call_backs(on=start, manager="m-002") == []
    first, second = (book.customers.id_of(n) for n in ("C-000001", "C-000002"))
    book.customers.record_contact(
        first,
        channel="call",
        purpose="courtesy",
        outcome="too early",
        by=CLERK,
        on=start - timedelta(days=1),
    )
    assert len(book.campaigns.call_backs(on=start)) == 2  # a contact before the start is none
    book.customers.record_contact(
        first,
        channel="call",
        purpose="courtesy",
        outcome="greeted",
        by=CLERK,
        on=start + timedelta(days=2),
    )
    later = start + timedelta(days=9)
    assert [(c.customer, c.overdue) for c in book.campaigns.call_backs(on=later)] == [
        ("C-000002", True)
    ]
    report = book.reports.managers(period_from=start, period_to=later)
    assert [
        (f.manager, f.campaign, f.covered, f.done, f.late, f.missed, f.pending)
        for f in report.campaign_follow_ups
    ] == [("m-001", "FEST-2026", 2, 1, 0, 1, 0)]
    book.customers.record_contact(
        second, channel="visit", purpose="courtesy", outcome="late", by=CLERK, on=later
    )
    report = book.reports.managers(period_from=start, period_to=later)
    assert [(f.done, f.late, f.missed) for f in report.campaign_follow_ups] == [(1, 1, 0)]
    rebuilt_equals_live(book, start, later)


def rebuilt_equals_live(book: ClientBook, start: date, end: date) -> None:
    live = book.reports.managers(period_from=start, period_to=end)
    calls = book.campaigns.call_backs(on=end)
    book.projections.rebuild(names=["campaign_follow_ups"])
    assert book.reports.managers(period_from=start, period_to=end) == live
    assert book.campaigns.call_backs(on=end) == calls


def test_an_ended_campaign_leaves_the_call_back_list_and_its_uncontacted_are_missed(
    book: ClientBook,
) -> None:
    campaign = book.campaigns.launch(
        number="WX-0001",
        kind="weather_warning",
        title="Typhoon warning",
        tiers=["b"],
        by=CLERK,
        on=D,
    )
    assert [c.customer for c in book.campaigns.call_backs(on=D)] == ["C-000003"]
    book.campaigns.end(campaign, reason="typhoon passed", by=CLERK, on=D + timedelta(days=2))
    assert book.campaigns.call_backs(on=D + timedelta(days=2)) == []
    report = book.reports.managers(period_from=D, period_to=D + timedelta(days=2))
    assert [(f.campaign, f.missed) for f in report.campaign_follow_ups] == [("WX-0001", 1)]


def test_a_bad_or_taken_campaign_is_refused_and_writes_nothing(book: ClientBook) -> None:
    book.campaigns.launch(
        number="PR-0001",
        kind="price_change",
        title="Fuel price change",
        tiers=["vip"],
        by=CLERK,
        on=D,
    )
    head = book.head
    with pytest.raises(DuplicateNumberError, match="campaign number PR-0001 is taken"):
        book.campaigns.launch(
            number="PR-0001", kind="price_change", title="Again", tiers=["vip"], by=CLERK, on=D
        )
    for tiers in ([], ["gold"], "vip"):
        with pytest.raises(DomainError):
            book.campaigns.launch(
                number="PR-0002", kind="price_change", title="Fuel", tiers=tiers, by=CLERK, on=D
            )  # type: ignore[arg-type]
    with pytest.raises(DomainError):
        book.campaigns.launch(
            number="PR-0002",
            kind="price_change",
            title="Fuel",
            tiers=["vip"],
            by=Actor("u-auditor", {"auditor"}),
            on=D,
        )
    assert book.head == head
