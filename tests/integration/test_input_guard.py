"""Every public command refuses a bad argument with a DomainError and writes nothing, on
SQLite and PostgreSQL: a sweep of every command × parameter × kind of bad value, and a
hypothesis fuzz per service of bad texts and numbers."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Iterator
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientbook.domain.card_numbers import is_identity_document
from clientbook import ClientBook, DomainError, Money
from clientbook.domain.errors import CustomerClosedError, InvalidInput

import _guard
from _guard import D, EVERYONE
from conftest import postgres_schema_url

SERVICES = ("customers", "complaints", "credit", "cards", "policy", "campaigns")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def guarded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ClientBook, str, dict[str, UUID]]]:
    """A small book of every aggregate, shared by the module's tests (each writes nothing)."""
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path_factory.mktemp('guard') / 'b.db'}"])
    else:
        urls = postgres_schema_url()
    url = next(urls)
    with ClientBook.open(url) as book:
        ids = _guard.build(book)
        book.projections.catch_up()
        yield book, url, ids
    for _ in urls:  # drops the PostgreSQL schema
        pass


def _refused(book: ClientBook, service: str, command: str, arguments: dict[str, Any]) -> None:
    head = book.head
    with pytest.raises(DomainError):
        getattr(getattr(book, service), command)(**arguments)
    assert book.head == head, f"{service}.{command} wrote to the log"


@pytest.mark.parametrize("service", SERVICES)
def test_every_command_refuses_every_bad_argument_and_writes_nothing(
    guarded: tuple[ClientBook, str, dict[str, UUID]], service: str
) -> None:
    book, url, ids = guarded
    before = _guard.snapshot(url)
    swept = 0
    for command, name, value, arguments in _guard.calls(getattr(book, service), ids):
        try:
            _refused(book, service, command, arguments)
        except BaseException as error:
            raise AssertionError(f"{service}.{command}({name}={value!r:.60})") from error
        swept += 1
    book.projections.catch_up()
    assert _guard.snapshot(url) == before
    assert swept > 20


texts = st.one_of(
    st.text(min_size=1, max_size=20).map(lambda t: t + "\x00"),
    st.builds(
        lambda a, c, b: a + chr(c) + b,
        st.text(max_size=5),
        st.sampled_from([*range(0, 9), 11, 12, *range(14, 32), 127, 0x85]),
        st.text(max_size=5),
    ),
    st.integers(0xD800, 0xDFFF).map(lambda c: "x" + chr(c)),
    st.integers(13, 18)
    .flatmap(lambda n: st.text("0123456789", min_size=n - 1, max_size=n - 1))
    .map(lambda body: _guard.luhn_complete("4" + body[1:]))
    # an 18-digit run whose last digit is also a valid identity-number check character is an
    # identity document number, which the rule keeps (CI drew 449753595626717828)
    .filter(lambda number: not is_identity_document(number)),
    st.sampled_from(_guard.CARD_NUMBERS),
)
"""Texts no field keeps: a NUL, a control character, a lone surrogate, a card number."""
IDENTITY_SHAPED = re.compile(r"[0-9]{15}|[0-9]{17}[0-9Xx]")


@pytest.mark.parametrize("service", SERVICES)
@settings(max_examples=15)
@given(data=st.data())
def test_fuzzed_texts_and_numbers_are_refused_with_nothing_written(
    guarded: tuple[ClientBook, str, dict[str, UUID]], service: str, data: st.DataObject
) -> None:
    book, _url, ids = guarded
    target = getattr(book, service)
    command = data.draw(st.sampled_from(_guard.commands(target)))
    params = _guard.hints(target, command)
    arguments = _guard.arguments(target, command, ids)
    texts_of = [n for n, h in params.items() if str in (h, *getattr(h, "__args__", ()))]
    numbers_of = [n for n, h in params.items() if h is int]
    choices = [("text", n) for n in texts_of] + [("number", n) for n in numbers_of]
    if not choices:
        return
    kind, name = data.draw(st.sampled_from(choices))
    if kind == "text":  # a document field takes an identity-number-shaped run as one (15
        # digits, or 17 and a check character, valid or not: the rule in domain/inputs.py;
        # CI drew 421299541536984587 and 413933716905608590)
        arguments[name] = data.draw(
            texts.filter(lambda v: name != "document_number" or not IDENTITY_SHAPED.fullmatch(v))
        )
    else:
        arguments[name] = data.draw(
            st.one_of(
                st.integers(max_value=-(10**9) - 1),
                st.integers(min_value=10**9 + 1),
                st.floats(),
                st.text(max_size=3),
            )
        )
    _refused(book, service, command, arguments)


def test_a_closed_customer_gets_no_credit_line_or_card_but_may_still_complain() -> None:
    with ClientBook.open("memory:") as book:
        ids = _guard.build(book)
        head = book.head
        with pytest.raises(CustomerClosedError, match="C-000002 is closed"):
            book.credit.propose_line(
                **{**_guard.arguments(book.credit, "propose_line", ids), "customer": ids["closed"]}
            )
        with pytest.raises(CustomerClosedError, match="C-000002 is closed"):
            book.cards.apply(
                **{**_guard.arguments(book.cards, "apply", ids), "customer": ids["closed"]}
            )
        assert book.head == head
        book.complaints.receive(
            customer=ids["closed"],
            category="damages",
            channel="letter",
            request="my fee was wrong",
            department="branch 12",
            by=EVERYONE,
            on=D,
        )
        assert book.head > head


def test_the_issue_s_bad_inputs_are_refused_naming_the_parameter() -> None:
    with ClientBook.open("memory:") as book:
        ids = _guard.build(book)
        head = book.head
        cases = [
            (book.cards.apply, {"age": "forty"}, "age must be a whole number"),
            (book.cards.apply, {"age": -5}, "age must be between 0 and 150"),
            (book.cards.apply, {"monthly_income": Money("-1.00")}, "monthly_income cannot be"),
            (book.cards.apply, {"monthly_income": 5000.0}, "monthly_income must be a Money"),
            (book.complaints.receive, {"on": "2026-01-05"}, "on must be a date"),
            (book.complaints.receive, {"by": "u-clerk"}, "by must be an Actor"),
            (book.customers.register, {"name": "Li\x00Lei"}, "name holds the control"),
            (book.customers.register, {"name": "Li \ud800"}, "not valid Unicode"),
            (book.customers.register, {"name": "x" * 1_000_000}, "at most 200"),
            (book.credit.propose_line, {"start": "2026-01-05"}, "start must be a date"),
            (book.complaints.receive, {"request": "card 4111 1111 1111 1111"}, "PCI DSS"),
        ]
        for command, bad, message in cases:
            service = command.__self__  # type: ignore[attr-defined]
            arguments = {**_guard.arguments(service, command.__name__, ids), **bad}
            if command.__name__ == "receive":
                arguments["customer"] = ids["customer"]
            with pytest.raises(InvalidInput, match=message) as refused:
                command(**arguments)
            assert refused.value.parameter == next(iter(bad))
        with pytest.raises(InvalidInput, match="annual_fee cannot be negative"):
            book.cards.issue(
                ids["account"],
                token="tok-1",
                last4="1111",
                apr=Decimal("18"),
                annual_fee=Money("-100.00"),
                expiry=D.replace(year=2030),
                by=EVERYONE,
                on=D,
            )
        with pytest.raises(InvalidInput, match="close_of_business: on must be a date"):
            book.close_of_business("2026-01-05")  # type: ignore[arg-type]
        assert book.head == head


def test_a_document_number_shaped_like_an_identity_number_is_kept_a_card_number_is_not() -> None:
    with ClientBook.open("memory:") as book:
        for n, document in enumerate(
            (
                "110101199001011233",  # 18 digits passing Luhn, its check character not valid
                "110101900101125",  # the 15 digits of an identity card issued before 1999, Luhn too
            )
        ):
            book.customers.register(
                number=f"C-00000{n + 1}",
                kind="individual",
                name="Li",
                manager="m-001",
                document_number=document,
                by=EVERYONE,
                on=D,
            )
        head = book.head
        for card in ("4111111111111111", "4111 1111 1111 1111"):
            with pytest.raises(InvalidInput, match="PCI DSS"):
                book.customers.register(
                    number="C-000009",
                    kind="individual",
                    name="Li",
                    manager="m-001",
                    document_number=card,
                    by=EVERYONE,
                    on=D,
                )
        assert book.head == head == 4
