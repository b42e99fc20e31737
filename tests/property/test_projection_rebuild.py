"""Views rebuilt from the log equal the views built as it grew; reloaded state equals live state.

Random customer commands (valid and invalid mixed, close of business and catch-ups in between) run
on a book in a SQLite file. The views' contents, read through the public queries, must survive
`book.projections.rebuild()` unchanged, and a second book opened on the same file must load every
customer exactly as the first book has it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen
from hypothesis import example, given
from hypothesis import strategies as st

from _outcomes import Outcomes

from clientbook import Actor, ClientBook, DomainError, InvalidValueError
from clientbook.domain.customer import ERASED
from clientbook.testing import (
    CustomerCommand,
    business_dates,
    customer_commands,
    customer_registrations,
)

NUMBERS = ("C-000001", "C-000002", "C-000003")
FIRST_DAY, LAST_DAY = date(2026, 1, 1), date(2026, 3, 31)
DATES = business_dates(min_value=FIRST_DAY, max_value=LAST_DAY)
OFFICER = Actor("u-clerk", roles={"officer"})


@frozen
class CloseOfBusiness:
    on: date

    def apply(self, book: ClientBook) -> None:
        book.close_of_business(self.on)


@frozen
class CatchUp:
    """Bring the views up to the head now, so that they are built in several goes."""

    def apply(self, book: ClientBook) -> None:
        book.projections.catch_up()


STEPS = st.lists(
    st.one_of(
        customer_commands(numbers=st.sampled_from(NUMBERS), dates=DATES),
        st.builds(CloseOfBusiness, DATES),
        st.just(CatchUp()),
    ),
    min_size=5,
    max_size=30,
)
REGISTRATIONS = st.lists(
    customer_registrations(numbers=st.sampled_from(NUMBERS), dates=DATES), min_size=1, max_size=3
)


@pytest.fixture
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{Path(directory) / 'book.db'}"


def views(book: ClientBook) -> dict[str, Any]:
    """Everything the views show, through the public queries (each catches up first), and the
    audit trail's index of the log as stored (the queries read each entry's changes from the
    log itself)."""
    (audit,) = [p.view for p in book.projections.projections if p.name == "audit_trail"]
    return {
        "audit": book.audit.trail(),
        "audit index": audit.database.query("SELECT * FROM audit_trail ORDER BY position"),
        "directory": book.directory.search(),
        "managers": book.reports.managers(
            period_from=FIRST_DAY - timedelta(days=366), period_to=LAST_DAY + timedelta(days=366)
        ),
    }


def run(
    book: ClientBook, registrations: list[dict[str, Any]], steps: list[Any], outcomes: Outcomes
) -> None:
    """Give every step; a refused one writes nothing, and `outcomes` counts both kinds."""
    for step in [*registrations, *steps]:
        if isinstance(step, dict):
            outcomes.give(book, lambda: book.customers.register(**step))
        else:
            outcomes.give(book, lambda: step.apply(book))


def customers(book: ClientBook) -> dict[str, Any]:
    found = {}
    for number in NUMBERS:
        try:
            found[number] = book.customers.get(book.customers.id_of(number))
        except DomainError:
            continue  # never registered
    return found


def close_and_erase(*numbers: str) -> list[CustomerCommand]:
    return [
        CustomerCommand(
            method, number, {"reason": "the customer asked", "by": OFFICER, "on": FIRST_DAY}
        )
        for number in numbers
        for method in ("close", "erase_personal_data")
    ]


def _run_twice(
    url: str, registrations: list[dict[str, Any]], steps: list[Any], outcomes: Outcomes
) -> None:
    with ClientBook.open(url) as book:
        run(book, registrations, steps, outcomes)
        book.projections.catch_up()
        built = views(book)
        live = customers(book)

        book.projections.rebuild()

        assert views(book) == built
        assert {entry.number for entry in built["directory"]} == set(live)
        assert len(built["audit"]) == book.head

    with ClientBook.open(url) as reopened:
        assert customers(reopened) == live
        assert views(reopened) == built
        reopened.projections.rebuild()
        assert views(reopened) == built


def test_rebuilt_views_and_reloaded_customers_equal_those_built_live() -> None:
    outcomes = Outcomes()

    @given(registrations=REGISTRATIONS, steps=STEPS)
    @example(
        registrations=[
            {
                "number": "C-000001",
                "kind": "individual",
                "name": "李雷",
                "manager": "u-wang",
                "by": OFFICER,
                "on": FIRST_DAY,
                "phone": "13800138000",
                "document_number": "110101199003070011",
                "visit_cycle_days": 1,
            }
        ],  # C-000002 and C-000003 were never registered: closing them is refused
        steps=[
            CloseOfBusiness(FIRST_DAY + timedelta(days=9)),
            CatchUp(),
            *close_and_erase(*NUMBERS),
        ],
    )
    def rebuilt_equal_live(registrations: list[dict[str, Any]], steps: list[Any]) -> None:
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite:///{Path(directory) / 'book.db'}"
            _run_twice(url, registrations, steps, outcomes)

    rebuilt_equal_live()
    outcomes.assert_both_happened()


def test_after_erasure_the_rebuilt_audit_trail_shows_no_personal_data(sqlite_url: str) -> None:
    with ClientBook.open(sqlite_url) as book:
        cid = book.customers.register(
            number="C-000001",
            kind="individual",
            name="韩梅梅",
            manager="u-wang",
            by=OFFICER,
            on=FIRST_DAY,
            phone="+86 10 6666 0000",
            consent="in_person",
            document_number="G12345678",
        )
        book.customers.give_consent(cid, "email", channel="online", by=OFFICER, on=FIRST_DAY)
        book.customers.update_profile(cid, email="hmm@example.cn", by=OFFICER, on=FIRST_DAY)
        book.projections.catch_up()  # the trail reads the details in clear from the log, for now
        for command in close_and_erase("C-000001"):
            command.apply(book)
        scrubbed = views(book)

        book.projections.rebuild()

        assert views(book) == scrubbed
        text = repr(scrubbed)
        for detail in ("韩梅梅", "+86 10 6666 0000", "G12345678", "hmm@example.cn"):
            assert detail not in text
        assert book.directory.customer(cid).name == ERASED  # type: ignore[union-attr]


def test_after_erasure_a_second_book_on_the_same_file_cannot_read_the_personal_data(
    sqlite_url: str,
) -> None:
    with ClientBook.open(sqlite_url) as first, ClientBook.open(sqlite_url) as second:
        cid = first.customers.register(
            number="C-000001",
            kind="individual",
            name="韩梅梅",
            manager="u-wang",
            by=OFFICER,
            on=FIRST_DAY,
            email="hmm@example.cn",
            consent="online",
        )
        assert second.customers.get(cid).email == "hmm@example.cn"  # say, another worker
        for command in close_and_erase("C-000001"):
            command.apply(first)

        registered: Any = next(e for _, e in second.decoded_events() if e.originator_id == cid)

        assert (registered.name, registered.email) == (ERASED, ERASED)


def test_a_visit_cycle_the_book_accepts_keeps_the_views_readable() -> None:
    outcomes = Outcomes()

    @given(days=st.integers(min_value=1, max_value=10**9))
    @example(days=3_000_000)
    @example(days=10**9)  # past the last date there is: refused
    def cycle_kept_readable(days: int) -> None:
        with ClientBook.open("memory:") as book:
            cid = outcomes.give(
                book,
                lambda: book.customers.register(
                    number="C-000001",
                    kind="individual",
                    name="Li Lei",
                    manager="u-wang",
                    by=OFFICER,
                    on=FIRST_DAY,
                    visit_cycle_days=days,
                ),
            )
            if isinstance(cid, DomainError):
                assert isinstance(cid, InvalidValueError), cid  # an absurd cycle, refused
                return
            book.close_of_business(FIRST_DAY + timedelta(days=1))

            entry = book.directory.customer(cid)
            assert entry is not None and entry.visit_cycle_days == days
            assert book.customers.get(cid).lapsed is False  # 3,000,000 days have not passed

    cycle_kept_readable()
    outcomes.assert_both_happened()
