"""Complaints end to end on SQLite and PostgreSQL: numbering, the procedure, views and the report."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Iterator
from uuid import UUID

import pytest

from clientbook import Actor, ClientBook, CustomerNotFoundError, DomainError, Money, OpenItemsError
from clientbook.domain.customer import customer_id

D = date(2026, 11, 2)
DESK = Actor("u-desk", {"officer"})
INVESTIGATOR = Actor("u-investigator", {"officer"})
SUPERVISOR = Actor("u-supervisor", {"supervisor"})
ADMIN = Actor("u-admin", {"administration"})
GM = Actor("u-gm", {"general_manager"})
REPORT = dict(
    cause="fee charged twice",
    course_of_events="billing ran twice",
    responsible_party="billing",
    conclusion="refund due",
    countermeasures="reverse the fee",
    prevention="fix the billing rule",
)


@pytest.fixture
def book(store_url: str) -> Iterator[ClientBook]:
    with ClientBook.open(store_url) as b:
        b.customers.register(
            number="C-000001", kind="individual", name="Li Lei", manager="m-007", by=DESK, on=D
        )
        yield b


def receive(book: ClientBook, on: date = D, **extra: object) -> UUID:
    args: dict[str, object] = dict(
        customer=customer_id("C-000001"),
        category="damages",
        channel="hotline",
        request="refund the double fee",
        department="branch 12",
        claimed=Money("300.00"),
        by=DESK,
        on=on,
    )
    args.update(extra)
    return book.complaints.receive(**args)  # type: ignore[arg-type]


def handle(
    book: ClientBook, cid: UUID, on: date, *, close_on: date | None = None, amount: str = "300.00"
) -> None:
    """Take a complaint through every step, from acceptance to the archive."""
    c = book.complaints
    c.accept(cid, by=DESK, on=on)
    c.assign(cid, "card centre", by=ADMIN, on=on)
    c.investigate(cid, **REPORT, by=INVESTIGATOR, on=on)
    c.review(cid, by=SUPERVISOR, on=on)
    c.endorse(cid, opinion="refund and apologise", by=ADMIN, on=on)
    c.approve_report(cid, by=GM, on=on)
    c.propose_resolution(
        cid, kind="refund", text="we refund the fee", amount=Money(amount), by=INVESTIGATOR, on=on
    )
    c.approve_resolution(cid, by=SUPERVISOR, on=on)
    c.pay(cid, Money(amount), by=DESK, on=on)
    c.reply(cid, form="written", text="refunded, with our apologies", by=DESK, on=on)
    c.follow_up(cid, satisfaction=4, by=DESK, on=on)
    c.close(cid, by=DESK, on=close_on or on)


def test_numbers_run_per_year_without_gaps(book: ClientBook) -> None:
    ids = [receive(book) for _ in range(3)] + [receive(book, on=date(2027, 1, 3))]
    assert [book.complaints.get(i).number for i in ids] == [
        "CP-2026-000001",
        "CP-2026-000002",
        "CP-2026-000003",
        "CP-2027-000001",
    ]
    assert book.complaints.id_of("CP-2026-000002") == ids[1]


def test_concurrent_receipts_never_share_or_skip_a_number(store_url: str) -> None:
    with ClientBook.open(store_url) as setup:
        setup.customers.register(
            number="C-000001", kind="individual", name="Li Lei", manager="m-007", by=DESK, on=D
        )
    books = [ClientBook.open(store_url) for _ in range(4)]
    barrier = threading.Barrier(len(books), timeout=30)
    errors: list[BaseException] = []

    def receipts(own: ClientBook) -> None:
        barrier.wait()
        try:
            for _ in range(5):
                receive(own)
        except BaseException as error:  # reported below: the test must see every failure
            errors.append(error)

    threads = [threading.Thread(target=receipts, args=(b,)) for b in books]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    numbers = sorted(card.number for card in books[0].complaint_cards.cards())
    for b in books:
        b.close()
    assert numbers == [f"CP-2026-{n:06d}" for n in range(1, 21)]


def test_a_complaint_against_an_unknown_customer_is_refused(book: ClientBook) -> None:
    head = book.head
    with pytest.raises(CustomerNotFoundError, match="does not exist"):
        receive(book, customer=customer_id("C-999999"))
    assert book.head == head


def test_a_refused_step_writes_nothing(book: ClientBook) -> None:
    cid = receive(book)
    head = book.head
    with pytest.raises(DomainError):
        book.complaints.assign(cid, "card centre", by=ADMIN, on=D)
    with pytest.raises(DomainError):
        book.complaints.review(cid, by=SUPERVISOR, on=D)
    assert book.head == head


def test_the_whole_procedure_reaches_the_record_card(book: ClientBook) -> None:
    cid = receive(book)
    handle(book, cid, D + timedelta(days=2))
    card = book.complaint_cards.card(cid)
    assert (card.number, card.customer_name, card.step, card.in_time) == (
        "CP-2026-000001",
        "Li Lei",
        "closed",
        True,
    )
    assert card.opinion == "refund and apologise" and card.resolution == "refund: we refund the fee"
    assert card.paid == Money("300.00") and card.satisfaction == 4
    assert [s.event for s in card.steps] == [
        "Received",
        "Accepted",
        "Assigned",
        "Investigated",
        "Reviewed",
        "Endorsed",
        "ReportApproved",
        "ResolutionProposed",
        "ResolutionApproved",
        "CompensationPaid",
        "Replied",
        "FollowedUp",
        "Closed",
    ]
    assert [s.by for s in card.steps][4:7] == ["u-supervisor", "u-admin", "u-gm"]


def test_a_customer_with_an_open_complaint_cannot_be_closed(book: ClientBook) -> None:
    cid = receive(book)
    customer = customer_id("C-000001")
    with pytest.raises(OpenItemsError, match="complaint CP-2026-000001"):
        book.customers.close(customer, reason="request", by=DESK, on=D)
    book.complaints.reject(cid, reply="the fee is contractual", by=DESK, on=D)
    book.customers.close(customer, reason="request", by=DESK, on=D)


def test_close_of_business_marks_overdue_complaints_once(book: ClientBook) -> None:
    late = receive(book)
    prompt = receive(book)
    book.complaints.reject(prompt, reply="no cause", by=DESK, on=D)
    book.close_of_business(D + timedelta(days=7))
    assert not book.complaints.get(late).overdue
    result = book.close_of_business(D + timedelta(days=9))
    assert [day.changes["overdue_complaints"] for day in result.days] == [1, 0]
    assert book.complaints.get(late).overdue and not book.complaints.get(prompt).overdue
    work = book.complaint_cards.worklist(D + timedelta(days=10))
    assert [(w.number, w.days_left) for w in work] == [("CP-2026-000001", -3)]


def test_the_report_counts_the_period_and_ignores_later_dates(book: ClientBook) -> None:
    on_time, late, rejected, still_open = (receive(book) for _ in range(4))
    handle(book, on_time, D + timedelta(days=1))
    handle(book, late, D + timedelta(days=2), close_on=D + timedelta(days=10))
    book.complaints.reject(rejected, reply="contractual fee", by=DESK, on=D + timedelta(days=1))
    book.complaints.reopen(
        on_time, reason="refund not received", by=DESK, on=D + timedelta(days=20)
    )
    receive(book, on=D + timedelta(days=40), category="criticism", channel="online")

    period = dict(period_from=D, period_to=D + timedelta(days=30))
    report = book.reports.complaints(**period)
    assert (report.received, report.accepted, report.rejected, report.closed) == (4, 2, 1, 3)
    assert (report.closed_in_time, str(report.closed_in_time_percent)) == (2, "66.67")
    assert (report.reopened, report.open_overdue) == (1, 2)  # still_open, and on_time reopened
    assert report.by_category == (("damages", 4),) and report.by_channel == (("hotline", 4),)
    assert (str(report.average_days_to_close), report.max_days_to_close) == ("4.00", 10)  # 1, 10, 1
    assert report.compensation_approved == (Money("600.00"),)
    assert report.compensation_paid == (Money("600.00"),)
    assert str(report.average_satisfaction) == "4.00"
    assert report.position == book.head

    earlier = book.reports.complaints(**period, as_of=D + timedelta(days=5))
    assert (earlier.closed, earlier.reopened, earlier.open_overdue, earlier.as_of) == (
        2,
        0,
        0,
        D + timedelta(days=5),
    )
    at_start = book.reports.complaints(**period, position=1)
    assert at_start.received == 0 and at_start.position == 1


def test_the_report_rebuilt_from_zero_equals_the_live_one(book: ClientBook) -> None:
    first, second = receive(book), receive(book)
    handle(book, first, D + timedelta(days=3))
    book.complaints.accept(second, by=DESK, on=D + timedelta(days=1))
    period = dict(period_from=D, period_to=D + timedelta(days=30))
    live = (
        book.reports.complaints(**period),
        book.complaint_cards.cards(),
        book.complaint_cards.cfpb("Example Bank"),
    )
    book.projections.rebuild()
    assert (
        book.reports.complaints(**period),
        book.complaint_cards.cards(),
        book.complaint_cards.cfpb("Example Bank"),
    ) == live


def test_the_cfpb_export_maps_our_fields_to_theirs(book: ClientBook) -> None:
    done, rejected = receive(book, product="card"), receive(book, channel="letter")
    handle(book, done, D)
    book.complaints.reopen(done, reason="disputed", by=DESK, on=D + timedelta(days=1))
    book.complaints.reject(rejected, reply="contractual", by=DESK, on=D + timedelta(days=9))
    first, second = book.complaint_cards.cfpb("Example Bank")
    assert first["Complaint ID"] == "CP-2026-000001"
    assert first["Product"] == "Credit card or prepaid card"
    assert (first["Timely response?"], first["Consumer disputed?"]) == ("Yes", "Yes")
    assert first["Company response to consumer"] == "In progress"
    assert (second["Submitted via"], second["Timely response?"]) == ("Postal mail", "No")
    assert second["Company response to consumer"] == "Closed without relief"
    assert second["Consumer complaint narrative"] == "" and second["Company"] == "Example Bank"


def test_the_report_counts_complaints_not_events(book: ClientBook) -> None:
    twice = receive(book)
    c = book.complaints
    c.reject(twice, reply="contractual fee", by=DESK, on=D + timedelta(days=1))
    c.reopen(twice, reason="new evidence", by=DESK, on=D + timedelta(days=2))
    c.reject(twice, reply="still contractual", by=DESK, on=D + timedelta(days=3))
    c.reopen(twice, reason="escalated", by=DESK, on=D + timedelta(days=4))
    assert len(book.audit.trail(aggregate=twice, event_type="Rejected")) == 2
    report = book.reports.complaints(period_from=D, period_to=D + timedelta(days=30))
    assert (report.received, report.rejected, report.reopened) == (1, 1, 1)


def test_an_event_dated_before_its_aggregate_began_does_not_break_a_past_book(
    book: ClientBook,
) -> None:
    complaint = receive(book, on=D + timedelta(days=5))
    book.complaints.accept(complaint, by=DESK, on=D + timedelta(days=3))  # dated earlier
    with book.as_of(on=D + timedelta(days=4)) as past:
        assert past.complaint_cards.cards() == []
    with book.as_of(on=D + timedelta(days=5)) as past:
        [card] = past.complaint_cards.cards()
        assert card.step == "accepted"


def test_an_approval_after_rework_names_the_new_investigator(book: ClientBook) -> None:
    c = book.complaints
    complaint = receive(book)
    c.accept(complaint, by=DESK, on=D)
    c.assign(complaint, "card centre", by=ADMIN, on=D)
    c.investigate(complaint, **REPORT, by=INVESTIGATOR, on=D)
    c.review(complaint, by=SUPERVISOR, on=D)
    c.return_for_rework(complaint, reason="the cause is not shown", by=ADMIN, on=D)
    c.investigate(complaint, **REPORT, by=Actor("u-investigator-2", {"officer"}), on=D)
    c.review(complaint, by=SUPERVISOR, on=D)
    first, second = book.audit.trail(aggregate=complaint, event_type="Reviewed")
    assert first.proposed_by == INVESTIGATOR.id and second.proposed_by == "u-investigator-2"
    investigations = book.audit.trail(aggregate=complaint, event_type="Investigated")
    assert second.proposal_position == investigations[1].position
