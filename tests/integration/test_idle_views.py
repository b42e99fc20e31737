"""Views a page holds no events for are moved on together, in one transaction: not one batch
each (on PostgreSQL four round trips a view). What they keep between pages stays true, and a
view another book moved meanwhile is left to a batch of its own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import Tracking

from clientbook import Actor, ClientBook, Money
from clientbook.infrastructure.tracking import SqlTrackedView

CLERK = Actor("u-clerk", roles={"officer"})
DAY = date(2026, 11, 2)


def register(book: ClientBook, number: str) -> UUID:
    return book.customers.register(
        number=number, kind="individual", name="Li Lei", manager="m-007", by=CLERK, on=DAY
    )


def survey(book: ClientBook, customer: UUID) -> None:
    """An event for the manager report and the audit trail only (Customer.SurveyRecorded)."""
    book.customers.record_survey(customer, channel="visit", score=4, by=CLERK, on=DAY)


def _takers(book: ClientBook, topic_suffix: str) -> set[str]:
    return {
        p.name
        for p in book.projections.projections
        if not p.topics or any(t.endswith(topic_suffix) for t in p.topics)
    }


def _positions(book: ClientBook) -> dict[str, int]:
    return {p.name: book.projections.position(p) for p in book.projections.projections}


def test_the_views_a_page_has_no_events_for_take_no_batch_and_reach_the_head(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ClientBook.open(store_url) as book:
        customer = register(book, "C-000001")
        book.projections.catch_up()
        survey(book, customer)
        takers = _takers(book, ".SurveyRecorded")
        assert {"audit_trail", "manager_report"} <= takers and "customer_directory" not in takers
        batches: list[str] = []
        passes: list[list[str]] = []
        lock, pass_over = SqlTrackedView._lock_tracking, SqlTrackedView.pass_over

        def locking(view: SqlTrackedView, cursor: Any, application_name: str) -> int:
            batches.append(view.name)
            return lock(view, cursor, application_name)

        def passing(
            view: SqlTrackedView, views: list[tuple[SqlTrackedView, int]], tracking: Tracking
        ) -> list[SqlTrackedView]:
            passes.append(sorted(v.name for v, _ in views))
            return pass_over(view, views, tracking)

        monkeypatch.setattr(SqlTrackedView, "_lock_tracking", locking)
        monkeypatch.setattr(SqlTrackedView, "pass_over", passing)

        head = book.projections.catch_up()

        assert sorted(batches) == sorted(takers)  # a batch for each view with events only
        others = sorted(set(_positions(book)) - takers)
        assert passes == [others]  # the others together, in one transaction
        assert set(_positions(book).values()) == {head}
        assert book.directory.customer(customer) is not None


def test_a_view_passed_over_keeps_what_it_kept(
    store_url: str, document_loads: list[object]
) -> None:
    """The directory keeps its customers' documents between pages; moved on without a page,
    it still does: the next page that changes a customer reads nothing back."""
    loads = document_loads
    with ClientBook.open(store_url) as book:
        first, second = register(book, "C-000001"), register(book, "C-000002")
        book.projections.catch_up()  # the directory's page kept both documents
        survey(book, first)
        book.projections.catch_up()  # a page without the directory's events: passed over
        loads.clear()
        book.customers.change_tier(second, "vip", reason="assets", by=CLERK, on=DAY)

        entry = book.directory.customer(second)

        assert entry is not None and entry.tier == "vip"
        assert loads == []  # the kept document was still true


def test_a_view_another_book_moved_on_is_left_to_a_batch_of_its_own(store_url: str) -> None:
    with ClientBook.open(store_url) as first, ClientBook.open(store_url) as second:
        customer = register(first, "C-000001")
        first.projections.catch_up()  # first knows the directory at this position
        known = _positions(first)["customer_directory"]
        second.customers.change_tier(customer, "vip", reason="assets", by=CLERK, on=DAY)
        second.projections.catch_up()  # second moves the directory on
        survey(first, customer)
        directory = first.projections.named(["customer_directory"])[0].view
        moved_to = _positions(first)["customer_directory"]
        assert known < moved_to < first.head

        moved = directory.pass_over([(directory, known)], Tracking(first.app.name, first.head))

        assert moved == []  # not where first knew it: left as it is
        assert _positions(first)["customer_directory"] == moved_to
        head = first.projections.catch_up()
        assert set(_positions(first).values()) == {head}
        assert first.directory.customer(customer).tier == "vip"  # type: ignore[union-attr]
        assert first.directory.search() == second.directory.search()


def test_a_view_of_facts_passed_over_after_another_book_added_some_reads_them_back(
    store_url: str,
) -> None:
    """The contribution view keeps the facts of the block it stands in between pages. Another
    book adds a fact to that block; this book's next page holds none of the view's events, so
    the view is passed over from where the other book left it: what it held from before that
    is no longer the block's, and its next fact is written after every fact the block has."""
    with ClientBook.open(store_url) as first, ClientBook.open(store_url) as second:
        customer = register(first, "C-000001")

        def report(book: ClientBook, amount: str) -> None:
            book.customers.report_contribution(
                customer,
                source="deposits",
                period_from=date(2026, 10, 1),
                period_to=date(2026, 10, 31),
                amount=Money(amount, "CNY"),
                by=CLERK,
                on=DAY,
            )

        report(first, "100.00")
        first.projections.catch_up()  # first holds the block's facts as it stands here
        report(second, "200.00")
        second.projections.catch_up()  # the block gains a fact first does not hold
        survey(first, customer)
        first.projections.catch_up()  # the contribution view passed over, from second's place
        report(first, "300.00")
        first.projections.catch_up()

        live = first.projections.named(["contribution"])[0].view.facts()
        assert [f.amount for f in live if f.amount is not None] == [
            Decimal("100.00"),
            Decimal("200.00"),
            Decimal("300.00"),
        ]
        first.projections.rebuild(names=["contribution"])
        assert first.projections.named(["contribution"])[0].view.facts() == live


def test_a_view_passed_over_after_another_book_moved_it_forgets_what_it_kept(
    store_url: str,
) -> None:
    """The directory keeps a customer's document; another book changes the customer and moves
    the directory on; a page here without the directory's events passes it over from there.
    What it kept from before is no longer true: the next change reads the document back."""
    with ClientBook.open(store_url) as first, ClientBook.open(store_url) as second:
        customer = register(first, "C-000001")
        assert first.directory.customer(customer) is not None  # kept by first
        second.customers.change_tier(customer, "vip", reason="assets", by=CLERK, on=DAY)
        second.projections.catch_up()
        survey(first, customer)
        first.projections.catch_up()  # passed over, from where second left it
        first.customers.record_contact(
            customer, channel="visit", purpose="follow_up", outcome="fine", by=CLERK, on=DAY
        )

        entry = first.directory.customer(customer)

        assert entry is not None and (entry.tier, entry.last_contact) == ("vip", DAY)
        assert first.directory.search() == second.directory.search()
