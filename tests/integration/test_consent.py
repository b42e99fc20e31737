"""Consent before contact details on SQLite and PostgreSQL: the directory's three steps, a
withdrawal hiding the detail from every view (the record, the audit trail, a past book) and
refusing its channels, refusals that write nothing, views rebuilt the same."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Iterator

import pytest

from clientbook import Actor, ClientBook, ConsentError
from clientbook.domain.customer import WITHDRAWN

D = date(2026, 3, 2)
CLERK = Actor("u-clerk", {"officer"})
PHONE = "+86 138 1234 5678"


@pytest.fixture
def book(store_url: str) -> Iterator[ClientBook]:
    with ClientBook.open(store_url) as b:
        yield b


def steps(book: ClientBook) -> dict[str, int]:
    return {e.number: e.contact_step for e in book.directory.search()}


def test_the_directory_shows_the_step_each_customer_has_reached(book: ClientBook) -> None:
    met = book.customers.register(
        number="C-000001", kind="individual", name="White Camry", manager="m-1", by=CLERK, on=D
    )
    book.customers.register(
        number="C-000002",
        kind="individual",
        name="Li Lei",
        manager="m-1",
        phone=PHONE,
        consent="in_person",
        by=CLERK,
        on=D,
    )
    assert steps(book) == {"C-000001": 1, "C-000002": 3}
    book.customers.record_contact(
        met,
        channel="counter",
        purpose="courtesy",
        outcome="gave his name",
        by=CLERK,
        on=D + timedelta(days=7),
    )
    assert steps(book)["C-000001"] == 2
    book.customers.give_consent(
        met, "email", channel="in_person", by=CLERK, on=D + timedelta(days=14)
    )
    assert steps(book)["C-000001"] == 3
    assert book.directory.customer(met).contact_consents == ("email",)  # type: ignore[union-attr]
    live = book.directory.search()
    book.projections.rebuild(names=["customer_directory"])
    assert book.directory.search() == live


def test_a_withdrawal_hides_the_detail_from_every_view_and_refuses_its_channels(
    book: ClientBook,
) -> None:
    cid = book.customers.register(
        number="C-000001",
        kind="individual",
        name="Li Lei",
        manager="m-1",
        phone=PHONE,
        consent="phone",
        by=CLERK,
        on=D,
    )
    book.customers.update_profile(cid, phone="+86 138 0000 0001", by=CLERK, on=D)
    before = book.head
    book.customers.withdraw_consent(
        cid, "phone", channel="phone", by=CLERK, on=D + timedelta(days=1)
    )
    assert book.customers.get(cid).phone is None
    assert book.directory.customer(cid).contact_step == 1  # type: ignore[union-attr]
    trail = book.audit.trail(aggregate=cid)
    shown = [e.changes.get("phone") for e in trail if "phone" in e.changes]
    assert shown == [WITHDRAWN, WITHDRAWN]
    assert PHONE not in repr(trail)
    with book.as_of(position=before) as past:  # the past book, from when consent stood
        assert PHONE not in repr(past.audit.trail(aggregate=cid))
    head = book.head
    with pytest.raises(ConsentError, match="withdrew their phone consent; no contact by call"):
        book.customers.record_contact(
            cid,
            channel="call",
            purpose="follow_up",
            outcome="x",
            by=CLERK,
            on=D + timedelta(days=2),
        )
    with pytest.raises(ConsentError, match="phone detail is recorded only while"):
        book.customers.update_profile(cid, phone=PHONE, by=CLERK, on=D + timedelta(days=2))
    with pytest.raises(ConsentError, match="can be recorded only with the customer's consent"):
        book.customers.register(
            number="C-000002",
            kind="individual",
            name="Han Meimei",
            manager="m-1",
            email="hmm@example.cn",
            by=CLERK,
            on=D,
        )
    assert book.head == head
    book.customers.record_contact(
        cid, channel="counter", purpose="service", outcome="met", by=CLERK, on=D + timedelta(days=2)
    )


def test_a_detail_withdrawn_then_erased_reads_the_same_live_and_reloaded(store_url: str) -> None:
    """Found by the rebuild property test (CI, a random seed): a phone withdrawn, then the
    customer closed and erased, read None live and `[erased]` from the log, whose sealed phone
    decodes as erased before the withdrawal is applied. A withdrawal hides the detail whatever
    it held."""
    with ClientBook.open(store_url) as book:
        cid = book.customers.register(
            number="C-000001",
            kind="individual",
            name="Li Lei",
            manager="m-001",
            phone=PHONE,
            consent="in_person",
            by=CLERK,
            on=D,
        )
        book.customers.withdraw_consent(cid, kind="phone", channel="in_person", by=CLERK, on=D)
        book.customers.close(cid, reason="moved abroad", by=CLERK, on=D)
        book.customers.erase_personal_data(cid, reason="asked", by=CLERK, on=D)
        live = book.customers.get(cid)
    with ClientBook.open(store_url) as reopened:
        assert reopened.customers.get(cid) == live
    assert live.phone is None
