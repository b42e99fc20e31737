"""Idempotency keys on SQLite and PostgreSQL: a reply lost after the commit, then the retry."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterator
from uuid import UUID

import pytest

from clientbook import (
    Actor,
    ClientBook,
    IdempotencyKeyReused,
    InvalidIdempotencyKeyError,
    Money,
    PolicyError,
    StoreUnavailable,
)
from clientbook.application.canonical import digest_of
from clientbook.domain.complaint import complaint_id
from clientbook.domain.idempotency import key_id
from clientbook.testing import change_policy

D = date(2026, 1, 5)
CLERK = Actor("u-clerk", {"officer"})
TELLER = Actor("u-teller", {"officer"})
BOSS = Actor("u-boss", {"manager"})
POLICY_ADMIN = Actor("u-boss", {"manager", "administration"})  # policy.change needs it


class CutAfterCommit:
    """The store's recorder, except that the next insert commits and then its reply is lost,
    as when the connection drops after the commit: the caller sees StoreUnavailable."""

    def __init__(self, recorder: Any) -> None:
        self._recorder = recorder
        self.armed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._recorder, name)

    def insert_events(self, stored_events: Sequence[Any], **kwargs: Any) -> Any:
        positions = self._recorder.insert_events(stored_events, **kwargs)
        if self.armed:
            self.armed = False
            raise StoreUnavailable("the connection dropped before the commit was acknowledged")
        return positions


def cut_the_next_reply(book: ClientBook) -> None:
    if not isinstance(book.app.events.recorder, CutAfterCommit):
        book.app.events.recorder = CutAfterCommit(book.app.events.recorder)
    book.app.events.recorder.armed = True


@pytest.fixture
def book(store_url: str) -> Iterator[ClientBook]:
    with ClientBook.open(store_url) as b:
        customer = b.customers.register(
            number="C-000001", kind="individual", name="Li Lei", manager="m-001", by=CLERK, on=D
        )
        b.customers.activate(customer, by=CLERK, on=D)
        yield b


def written(book: ClientBook, after: int) -> list[tuple[str, UUID, int]]:
    return [
        (type(e).__qualname__, e.originator_id, e.originator_version)
        for _, e in book.decoded_events(after)
    ]


def card(book: ClientBook) -> UUID:
    account = book.cards.apply(
        number="K-000001",
        customer=book.customers.id_of("C-000001"),
        monthly_income=Money("20000.00"),
        age=40,
        by=CLERK,
        on=D,
    )
    book.cards.issue(
        account,
        token="tok_1",
        last4="4321",
        apr=Decimal("18"),
        annual_fee=Money("0.00"),
        expiry=D + timedelta(days=1095),
        by=CLERK,
        on=D,
    )
    book.cards.activate(account, by=CLERK, on=D)
    book.cards.authorise(
        account, kind="purchase", amount=Money("500.00"), merchant="m", by=CLERK, on=D
    )
    return account


def credit_line(book: ClientBook) -> UUID:
    line = book.credit.propose_line(
        number="L-000001",
        customer=book.customers.id_of("C-000001"),
        product="working_capital",
        limit=Money("50000.00"),
        rate=Decimal("4.35"),
        start=D,
        maturity=D + timedelta(days=365),
        review=D + timedelta(days=180),
        by=CLERK,
        on=D,
    )
    book.credit.approve_line(line, by=BOSS, on=D)
    book.credit.activate_line(line, by=CLERK, on=D)
    return line


Give = Callable[[str], Any]
Check = Callable[[], Any]


def payment(book: ClientBook) -> tuple[Give, Check]:
    account = card(book)
    return (
        lambda key: book.cards.pay(account, Money("100.00"), by=TELLER, on=D, idempotency_key=key),
        lambda: book.cards.account(account).balance,
    )


def drawdown(book: ClientBook) -> tuple[Give, Check]:
    line = credit_line(book)
    return (
        lambda key: book.credit.draw(line, Money("1000.00"), by=TELLER, on=D, idempotency_key=key),
        lambda: book.credit.line(line).outstanding,
    )


def contact(book: ClientBook) -> tuple[Give, Check]:
    customer = book.customers.id_of("C-000001")
    return (
        lambda key: book.customers.record_contact(
            customer,
            channel="call",
            purpose="follow_up",
            outcome="wants a card",
            by=TELLER,
            on=D,
            idempotency_key=key,
        ),
        lambda: book.customers.get(customer).contacts,
    )


def complaint(book: ClientBook) -> tuple[Give, Check]:
    customer = book.customers.id_of("C-000001")
    return (
        lambda key: book.complaints.receive(
            customer=customer,
            category="damages",
            channel="hotline",
            request="refund the fee",
            department="branch 12",
            by=TELLER,
            on=D,
            idempotency_key=key,
        ),
        lambda: [book.app.exists(complaint_id(f"CP-2026-{n:06d}")) for n in (1, 2)],
    )


def authorisation(book: ClientBook) -> tuple[Give, Check]:
    account = card(book)
    return (
        lambda key: book.cards.authorise(
            account,
            kind="purchase",
            amount=Money("80.00"),
            merchant="m",
            by=TELLER,
            on=D,
            idempotency_key=key,
        ),
        lambda: book.cards.account(account).balance,
    )


COMMANDS = {
    "payment": payment,
    "drawdown": drawdown,
    "contact": contact,
    "complaint": complaint,
    "authorisation": authorisation,
}


@pytest.mark.parametrize("command", COMMANDS)
def test_a_retry_after_the_reply_was_lost_returns_the_first_result_and_writes_once(
    book: ClientBook, command: str
) -> None:
    give, state = COMMANDS[command](book)
    head = book.head
    cut_the_next_reply(book)
    with pytest.raises(StoreUnavailable):
        give("retry-7f3a")
    committed, after_first = book.head, state()
    assert committed > head  # the first attempt was committed; only its reply was lost
    first = written(book, head)
    assert first[-1] == ("IdempotencyKey.Used", key_id("retry-7f3a"), 1)

    result = give("retry-7f3a")
    assert give("retry-7f3a") == result
    assert book.head == committed and written(book, head) == first and state() == after_first
    assert book.last_written == committed  # the retry reports the position the command wrote
    record = book.app.idempotency.lookup("retry-7f3a")
    assert record is not None and record.created == tuple(
        aggregate for _, aggregate, version in first if version == 1 and aggregate != record.id
    )
    if command == "complaint":
        assert result == record.created[-1] and book.complaints.get(result).number
    if command == "authorisation":
        assert result is True


def test_a_key_given_again_with_other_arguments_is_refused_naming_its_first_use(
    book: ClientBook,
) -> None:
    account = card(book)
    before = datetime.now(timezone.utc)
    book.cards.pay(account, Money("100.00"), by=TELLER, on=D, idempotency_key="pay-0042")
    position, head = book.last_written, book.head
    others: list[Callable[[], Any]] = [
        lambda: book.cards.pay(
            account, Money("200.00"), by=TELLER, on=D, idempotency_key="pay-0042"
        ),
        lambda: book.cards.pay(
            account, Money("100.00"), by=CLERK, on=D, idempotency_key="pay-0042"
        ),
        lambda: book.cards.pay(
            account,
            Money("100.00"),
            by=TELLER,
            on=D + timedelta(days=1),
            idempotency_key="pay-0042",
        ),
        lambda: book.cards.charge_fee(
            account, "late", Money("100.00"), by=TELLER, on=D, idempotency_key="pay-0042"
        ),
    ]
    for other in others:
        with pytest.raises(IdempotencyKeyReused) as refused:
            other()
        assert (refused.value.command, refused.value.actor, refused.value.position) == (
            "cards.pay",
            "u-teller",
            position,
        )
        assert before <= refused.value.when <= datetime.now(timezone.utc)
        message = str(refused.value)
        assert "'pay-0042'" in message and "cards.pay by u-teller" in message
        assert f"log position {position}" in message
        assert book.head == head
    # the same values, built afresh and spelled otherwise, are the same arguments
    book.cards.pay(
        account, Money("100.0"), on=D, by=Actor("u-teller", ["officer"]), idempotency_key="pay-0042"
    )
    assert book.head == head and book.cards.account(account).balance == Money("400.00")


def test_bad_keys_are_refused_and_write_nothing() -> None:
    with ClientBook.open("memory:") as book:
        customer = book.customers.register(
            number="C-000001", kind="individual", name="Li Lei", manager="m-001", by=CLERK, on=D
        )
        head = book.head
        for bad, says in [
            ("", "empty"),
            ("   ", "empty"),
            ("k" * 256, "at most 255"),
            (42, "not int"),
            (b"key-1", "not bytes"),
            ("key\n1", "control"),
        ]:
            with pytest.raises(InvalidIdempotencyKeyError, match=says):
                book.customers.record_contact(
                    customer,
                    channel="call",
                    purpose="follow_up",
                    outcome="ok",
                    by=CLERK,
                    on=D,
                    idempotency_key=bad,
                )
            assert book.head == head
        book.customers.activate(customer, by=CLERK, on=D, idempotency_key="k" * 255)
        assert book.head == head + 2


def test_a_key_past_the_policy_period_is_free_again_and_its_record_names_the_new_use() -> None:
    with ClientBook.open("memory:") as book:
        book.customers.register(
            number="C-000001", kind="individual", name="Li Lei", manager="m-001", by=CLERK, on=D
        )
        give, contacts = contact(book)
        give("call-1")
        give("call-1")
        assert contacts() == 1
        now = datetime.now(timezone.utc)
        book.app.idempotency.clock = lambda: now + timedelta(days=29)
        give("call-1")
        assert contacts() == 1  # within 30 days: the first result
        book.app.idempotency.clock = lambda: now + timedelta(days=31)
        give("call-1")
        assert contacts() == 2  # past them: a new command, recorded as the key's new use
        record = book.app.idempotency.lookup("call-1")
        assert record is not None and record.version == 2
        assert written(book, book.head - 1) == [("IdempotencyKey.UsedAgain", record.id, 2)]
        book.app.idempotency.clock = lambda: record.used_at + timedelta(days=29)
        give("call-1")
        assert contacts() == 2  # and that use is kept for the period in turn


def test_the_period_is_a_policy_setting_of_at_least_a_day() -> None:
    with ClientBook.open("memory:") as book:
        book.customers.register(
            number="C-000001", kind="individual", name="Li Lei", manager="m-001", by=CLERK, on=D
        )
        change_policy(
            book,
            "idempotency_key_days",
            "90",
            reason="the payment network retries for up to 60 days",
            by=POLICY_ADMIN,
            on=D,
        )
        with pytest.raises(PolicyError, match="at least 1 day"):
            change_policy(
                book, "idempotency_key_days", "0", reason="no keys", by=POLICY_ADMIN, on=D
            )
        give, contacts = contact(book)
        give("call-1")
        now = datetime.now(timezone.utc)
        book.app.idempotency.clock = lambda: now + timedelta(days=89)
        give("call-1")
        assert contacts() == 1
        book.app.idempotency.clock = lambda: now + timedelta(days=91)
        give("call-1")
        assert contacts() == 2


def test_a_refused_command_leaves_its_key_unused() -> None:
    with ClientBook.open("memory:") as book:
        customer = book.customers.register(
            number="C-000001", kind="individual", name="Li Lei", manager="m-001", by=CLERK, on=D
        )
        head = book.head
        with pytest.raises(Exception, match="not one of"):
            book.customers.record_contact(
                customer,
                channel="fax",
                purpose="follow_up",
                outcome="ok",
                by=CLERK,
                on=D,
                idempotency_key="c-9",
            )
        assert book.head == head and book.app.idempotency.lookup("c-9") is None
        book.customers.record_contact(
            customer,
            channel="call",
            purpose="follow_up",
            outcome="ok",
            by=CLERK,
            on=D,
            idempotency_key="c-9",
        )
        assert book.customers.get(customer).contacts == 1


def test_every_command_of_every_service_takes_an_idempotency_key() -> None:
    delegating = {"erase_personal_data"}  # keys its log part, then forgets the data's key
    with ClientBook.open("memory:") as book:
        services = [book.customers, book.complaints, book.credit, book.cards, book.policy]
        commands = [
            (service, name)
            for service in services
            for name, method in inspect.getmembers(service, inspect.ismethod)
            if not name.startswith("_") and "by" in inspect.signature(method).parameters
        ]
        assert len(commands) > 60
        for service, name in commands:
            method = getattr(service, name)
            parameter = inspect.signature(method).parameters.get("idempotency_key")
            assert parameter is not None and parameter.default is None, name
            assert getattr(method, "idempotent", False) or name in delegating, name


def test_a_digest_of_personal_data_is_keyed_by_the_customer_s_key_and_erased_with_it() -> None:
    with ClientBook.open("memory:") as book:
        customer = book.customers.register(
            number="C-000001", kind="individual", name="Li Lei", manager="m-001", by=CLERK, on=D
        )
        arguments = {
            "customer": customer,
            "by": CLERK,
            "on": D,
            "name": None,
            "phone": "+86 10 5555 0199",
            "email": None,
            "address": None,
        }
        book.customers.give_consent(customer, "phone", channel="phone", by=CLERK, on=D)
        book.customers.update_profile(
            customer, phone="+86 10 5555 0199", by=CLERK, on=D, idempotency_key="profile-1"
        )
        head = book.head
        book.customers.update_profile(
            customer, phone="+86 10 5555 0199", by=CLERK, on=D, idempotency_key="profile-1"
        )
        with pytest.raises(IdempotencyKeyReused):
            book.customers.update_profile(
                customer, phone="+86 10 5555 0100", by=CLERK, on=D, idempotency_key="profile-1"
            )
        assert book.head == head
        record = book.app.idempotency.lookup("profile-1")
        assert record is not None
        command = "customers.update_profile"
        assert record.digest != digest_of(command, arguments)  # no plain hash to guess from
        keys = book.app.idempotency
        assert record.digest == digest_of(command, keys.fingerprinted(customer, arguments))
        book.keys.forget(customer)  # erasure: with the key gone, no one can recompute it
        assert record.digest != digest_of(command, keys.fingerprinted(customer, arguments))
