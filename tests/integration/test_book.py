"""The facade end to end on SQLite and PostgreSQL: commands, refusals, erasure, close of business."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Iterator
from uuid import UUID

import pytest

from clientbook import (
    Actor,
    ClientBook,
    ConflictError,
    CustomerNotFoundError,
    DomainError,
    DuplicateCustomerNumberError,
    IdentityDocumentTakenError,
    InvalidValueError,
    OpenItemsError,
)
from clientbook.domain.customer import ERASED, Customer
from clientbook.testing import change_policy

D = date(2026, 11, 2)
CLERK = Actor("u-clerk", {"officer"})
BOSS = Actor("u-boss", {"supervisor"})
POLICY_ADMIN = Actor("u-boss", {"supervisor", "administration"})  # policy.change needs it


@pytest.fixture
def book(store_url: str) -> Iterator[ClientBook]:
    with ClientBook.open(store_url) as b:
        yield b


def register(book: ClientBook, number: str = "C-000001", **extra: object) -> UUID:
    args: dict[str, object] = dict(
        number=number, kind="individual", name="Li Lei", manager="m-007", by=CLERK, on=D
    )
    args.update(extra)
    return book.customers.register(**args)  # type: ignore[arg-type]


def test_a_registered_customer_reloads_from_a_new_book_on_the_same_store(store_url: str) -> None:
    with ClientBook.open(store_url) as first:
        cid = register(
            first,
            phone="+86 138 0000 0000",
            consent="in_person",
            document_number="110101199001011234",
            visit_cycle_days=30,
        )
        first.customers.activate(cid, by=CLERK, on=D)
        first.customers.record_contact(
            cid, channel="visit", purpose="follow_up", outcome="fine", by=CLERK, on=D + timedelta(1)
        )
        live = first.customers.get(cid)
    with ClientBook.open(store_url) as second:
        assert second.customers.get(cid) == live
        assert second.customers.id_of("C-000001") == cid


def test_a_taken_customer_number_is_refused_and_nothing_is_written(book: ClientBook) -> None:
    register(book)
    head = book.head
    with pytest.raises(DuplicateCustomerNumberError, match="customer number C-000001 is taken"):
        register(book, name="Someone Else")
    assert book.head == head


def test_an_identity_document_belongs_to_one_customer_only(book: ClientBook) -> None:
    register(book, document_number="110101199001011234")
    head = book.head
    with pytest.raises(IdentityDocumentTakenError, match="already belongs to another customer"):
        register(book, number="C-000002", document_number="1101 0119 9001 0112 34")
    assert book.head == head
    with pytest.raises(CustomerNotFoundError):
        book.customers.id_of("C-000002")


def test_replacing_a_document_frees_the_old_one(book: ClientBook) -> None:
    first = register(book, document_number="A-1")
    book.customers.record_identity_document(first, "A-2", by=CLERK, on=D)
    register(book, number="C-000002", document_number="A-1")
    with pytest.raises(IdentityDocumentTakenError):
        register(book, number="C-000003", document_number="A-2")


def test_a_refused_command_writes_nothing(book: ClientBook) -> None:
    cid = register(book)
    head = book.head
    refusals = [
        lambda: book.customers.record_survey(cid, channel="phone", score=9, by=CLERK, on=D),
        lambda: book.customers.reassign_manager(cid, "m-008", reason="", by=BOSS, on=D),
        lambda: book.customers.mark_lost(cid, reason="moved", by=CLERK, on=D),
        lambda: book.customers.change_tier(cid, "none", reason="x", by=CLERK, on=D),
        lambda: book.customers.erase_personal_data(cid, reason="x", by=CLERK, on=D),
    ]
    for refuse in refusals:
        with pytest.raises(DomainError):
            refuse()
    assert book.head == head
    assert book.customers.get(cid).version == 1


def test_an_unknown_customer_is_a_domain_error(book: ClientBook) -> None:
    with pytest.raises(CustomerNotFoundError, match="does not exist"):
        book.customers.activate(Customer.create_id("C-999999"), by=CLERK, on=D)


def test_closing_waits_for_what_other_areas_report_open(book: ClientBook) -> None:
    cid = register(book)
    book.customers.add_open_items_check(lambda c: ["complaint CP-2026-000001"] if c == cid else [])
    with pytest.raises(OpenItemsError, match="complaint CP-2026-000001"):
        book.customers.close(cid, reason="request", by=CLERK, on=D)
    assert book.customers.get(cid).status == "prospect"


def test_two_writers_on_one_customer_one_wins_the_other_gets_a_conflict(store_url: str) -> None:
    with ClientBook.open(store_url) as a, ClientBook.open(store_url) as b:
        cid = register(a)
        mine = a.app.repository.get(cid)
        theirs = b.app.repository.get(cid)
        mine.record_contact(channel="call", purpose="follow_up", outcome="ok", by="u-a", on=D)
        theirs.change_tier("vip", reason="upgrade", by="u-b", on=D)
        a.app.save_all(mine)
        head = a.head
        with pytest.raises(ConflictError, match="changed by someone else"):
            b.app.save_all(theirs)
        assert b.head == head
        assert b.customers.get(cid).tier == "none"


def test_concurrent_registrations_of_one_number_create_one_customer(store_url: str) -> None:
    books = [ClientBook.open(store_url) for _ in range(4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(books), timeout=30)

    def attempt(own: ClientBook, n: int) -> None:
        barrier.wait()
        try:
            register(own, name=f"Writer {n}")
            outcomes.append("ok")
        except DuplicateCustomerNumberError:
            outcomes.append("taken")

    threads = [threading.Thread(target=attempt, args=(b, n)) for n, b in enumerate(books)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for b in books:
        b.close()
    assert sorted(outcomes) == ["ok", "taken", "taken", "taken"]


def test_erasure_makes_personal_data_unreadable_everywhere_but_keeps_the_log(
    store_url: str,
) -> None:
    with ClientBook.open(store_url) as book:
        cid = register(
            book,
            phone="+86 138 1111 2222",
            document_number="110101199001011234",
            consent="in_person",
        )
        book.customers.give_consent(cid, "address", channel="written", by=CLERK, on=D)
        book.customers.update_profile(cid, address="9 Nanjing Road", by=CLERK, on=D)
        book.customers.close(cid, reason="customer's request", by=CLERK, on=D)
        book.projections.catch_up()
        head = book.head
        raw = b"".join(r.state for r in book.events())
        assert b"Li Lei" not in raw and b"Nanjing" not in raw and b"1111 2222" not in raw
        book.customers.erase_personal_data(cid, reason="erasure request", by=BOSS, on=D)
        assert book.head == head + 2  # the erasure event and the released document claim
        assert book.directory.customer(cid).name == ERASED
        registered = book.audit.trail(aggregate=cid, event_type="Registered")[0]
        assert registered.changes["name"] == ERASED and registered.changes["phone"] == ERASED
        assert registered.changes["number"] == "C-000001"
    with ClientBook.open(store_url) as reopened:
        record = reopened.customers.get(cid)
        assert (record.name, record.phone, record.address, record.document_number) == (ERASED,) * 4
        assert record.number == "C-000001" and record.status == "closed"
        reopened.projections.rebuild()
        assert reopened.directory.customer(cid).name == ERASED
        assert "Li Lei" not in str([e.changes for e in reopened.audit.trail()])
        register(reopened, number="C-000002", document_number="110101199001011234")


def test_close_of_business_marks_lapsed_customers_once_and_in_date_order(book: ClientBook) -> None:
    seen = register(book, visit_cycle_days=7)
    quiet = register(book, number="C-000002", visit_cycle_days=7)
    book.customers.record_contact(
        seen, channel="call", purpose="follow_up", outcome="ok", by=CLERK, on=D + timedelta(8)
    )
    first = book.close_of_business(D + timedelta(10))
    assert [day.on for day in first.days] == [D + timedelta(10)]
    assert first.changes == 1
    assert book.customers.get(quiet).lapsed and not book.customers.get(seen).lapsed
    head = book.head
    again = book.close_of_business(D + timedelta(10))
    assert again.days == () and book.head == head
    later = book.close_of_business(D + timedelta(18))
    assert [day.on for day in later.days] == [D + timedelta(n) for n in range(11, 19)]
    assert book.customers.get(seen).lapsed
    lapsed = book.audit.trail(event_type="Lapsed")
    assert [(e.actor, e.business_date) for e in lapsed] == [
        ("system:close-of-business", D + timedelta(10)),
        ("system:close-of-business", D + timedelta(18)),
    ]
    assert book.last_business_date_closed == D + timedelta(18)


def test_a_policy_change_is_an_event_by_its_actor_and_steers_close_of_business(
    book: ClientBook,
) -> None:
    cid = register(book, visit_cycle_days=7)
    change_policy(book, "lapse_grace_days", "10", reason="longer holidays", by=POLICY_ADMIN, on=D)
    assert book.policy.in_force(D).lapse_grace_days == 10
    book.close_of_business(D + timedelta(16))
    assert not book.customers.get(cid).lapsed
    book.close_of_business(D + timedelta(17))
    assert book.customers.get(cid).lapsed
    (change,) = book.audit.trail(event_type="ChangeProposed")
    assert change.actor == "u-boss" and change.changes["value"] == "10"
    with pytest.raises(InvalidValueError):
        book.customers.set_visit_cycle(cid, 0, by=CLERK, on=D)


def test_the_views_follow_the_log(book: ClientBook) -> None:
    a = register(book)
    b = register(book, number="C-000002", manager="m-008")
    book.customers.activate(a, by=CLERK, on=D)
    book.customers.activate(b, by=CLERK, on=D)
    book.customers.record_survey(a, channel="phone", score=4, by=CLERK, on=D)
    book.customers.record_survey(a, channel="phone", score=5, by=CLERK, on=D)
    book.customers.record_contact(
        a, channel="visit", purpose="follow_up", outcome="ok", by=CLERK, on=D
    )
    book.customers.mark_lost(b, reason="relocated", by=CLERK, on=D + timedelta(3))
    book.customers.reassign_manager(
        a, "m-008", reason="m-007 retired", by=BOSS, on=D + timedelta(4)
    )
    report = book.reports.managers(period_from=D, period_to=D + timedelta(30))
    rows = {row.manager: row for row in report.rows}
    assert rows["m-008"].customers == 1 and rows["m-008"].below_minimum
    assert rows["m-007"].customers == 0
    assert (rows["m-007"].surveys, str(rows["m-007"].average_satisfaction)) == (2, "4.50")
    assert rows["m-007"].follow_ups == 1
    assert [(l.number, l.manager, l.reason) for l in report.lost] == [
        ("C-000002", "m-008", "relocated")
    ]
    assert report.position == book.head
    assert [e.number for e in book.directory.search(manager="m-008")] == ["C-000001", "C-000002"]
    assert [e.number for e in book.directory.search(status="lost")] == ["C-000002"]
    assert [e.event_type for e in book.audit.trail(actor="u-boss")] == ["ManagerReassigned"]
