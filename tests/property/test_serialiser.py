"""Every event of every aggregate, and a customer's snapshot, round-trip through the mapper.

Field values are drawn from strategies derived from each event class's own type hints, so an
event added later is covered without touching this file.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any, Union

import msgspec
import pytest
from eventsourcing.cipher import AESCipher
from eventsourcing.compressor import ZlibCompressor
from eventsourcing.utils import Environment
from hypothesis import example, given
from hypothesis import strategies as st

from _outcomes import Outcomes

from clientbook import Actor, ClientBook
from clientbook.domain.business_day import BusinessCalendar
from clientbook.domain.campaign import Campaign
from clientbook.domain.customer import ERASED, Customer, IdentityClaim
from clientbook.domain.policy import Policy
from clientbook.infrastructure.keys import KeyStore
from clientbook.infrastructure.mapper import ClientBookMapper
from clientbook.infrastructure.sql import SqliteDatabase
from clientbook.domain.money import Money
from clientbook.testing import CustomerCommand, customer_commands, customer_registrations, money

AGGREGATES = (Customer, IdentityClaim, Policy, BusinessCalendar, Campaign)
BASE_FIELDS = ("originator_id", "originator_version")


def event_classes() -> list[type]:
    """The event classes nested in each aggregate (the classes its events are stored as)."""
    return [
        value
        for aggregate in AGGREGATES
        for value in vars(aggregate).values()
        if isinstance(value, type) and issubclass(value, aggregate.Event)
    ]


EVENT_CLASSES = event_classes()


def personal_fields(cls: type) -> frozenset[str]:
    names = {f.name for f in dataclasses.fields(cls)}
    return frozenset(getattr(cls, "personal_fields", ())) & names


PERSONAL_EVENT_CLASSES = [cls for cls in EVENT_CLASSES if personal_fields(cls)]


def strategy_for(hint: Any, text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """A strategy for values of a type hint; `text` for every string."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is str:
        return text
    if hint is type(None):
        return st.none()
    if hint is datetime:  # events are stamped in UTC
        return st.datetimes(timezones=st.just(UTC))
    if hint is Money:  # a Money is valid by construction: whole cents, a known currency
        return money()
    if origin in (Union, types.UnionType):
        return st.one_of([strategy_for(arg, text) for arg in args])
    if origin is dict:
        return st.dictionaries(strategy_for(args[0], text), strategy_for(args[1], text), max_size=4)
    return st.from_type(hint)


ANY_TEXT = st.text()


def events(
    cls: type,
    *,
    text: st.SearchStrategy[str] = ANY_TEXT,
    personal: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Any]:
    """Events of `cls` with every field drawn from its type hint (`personal` for personal data)."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, st.SearchStrategy[Any]] = {
        "originator_id": st.uuids(),
        "originator_version": st.integers(1, 2**31),
    }
    for f in dataclasses.fields(cls):
        if f.name not in fields:
            strings = text
            if personal is not None and f.name in personal_fields(cls):
                strings = personal
            fields[f.name] = strategy_for(hints[f.name], strings)
    return st.builds(cls, **fields)


def fresh_mapper(**options: Any) -> ClientBookMapper:
    return ClientBookMapper(KeyStore(SqliteDatabase(":memory:")), **options)


@pytest.fixture(scope="module", params=["plain", "compressed-and-encrypted"])
def mapper(request: pytest.FixtureRequest) -> Iterator[ClientBookMapper]:
    if request.param == "plain":
        yield fresh_mapper()
    else:
        cipher = AESCipher(Environment(env={"CIPHER_KEY": AESCipher.create_key(32)}))
        yield fresh_mapper(compressor=ZlibCompressor(), cipher=cipher)


def test_the_walk_finds_every_event_of_the_aggregates() -> None:
    names = {cls.__qualname__ for cls in EVENT_CLASSES}
    assert {
        "Customer.Registered",
        "Customer.ProfileUpdated",
        "Customer.IdentityDocumentRecorded",
        "Customer.ManagerReassigned",
        "Customer.SegmentChanged",
        "Customer.TierChanged",
        "Customer.ContactRecorded",
        "Customer.VisitCycleSet",
        "Customer.Lapsed",
        "Customer.SurveyRecorded",
        "Customer.Activated",
        "Customer.MadeDormant",
        "Customer.Lost",
        "Customer.Reactivated",
        "Customer.Restricted",
        "Customer.RestrictionLifted",
        "Customer.Closed",
        "Customer.PersonalDataErased",
        "IdentityClaim.Claimed",
        "IdentityClaim.Reclaimed",
        "IdentityClaim.Released",
        "Policy.Established",
        "Policy.SettingChanged",
        "BusinessCalendar.Opened",
        "BusinessCalendar.DayClosed",
        "Customer.ConsentGiven",
        "Customer.ConsentWithdrawn",
        "Customer.SegmentChangeProposed",
        "Customer.SegmentProposalRejected",
        "Customer.ContributionReported",
        "Campaign.Launched",
        "Campaign.Ended",
    } <= names
    assert {cls.__qualname__ for cls in PERSONAL_EVENT_CLASSES} >= {
        "Customer.Registered",
        "Customer.ProfileUpdated",
        "Customer.IdentityDocumentRecorded",
    }


def one_of_each(classes: list[type], **options: Any) -> st.SearchStrategy[tuple[Any, ...]]:
    """One event of every class in `classes`: each example covers them all."""
    return st.tuples(*(events(cls, **options) for cls in classes))


@given(every_event=one_of_each(EVENT_CLASSES))
def test_every_event_round_trips_through_the_mapper(
    mapper: ClientBookMapper, every_event: tuple[Any, ...]
) -> None:
    for event in every_event:
        stored = mapper.to_stored_event(event)

        restored = mapper.to_domain_event(stored)

        assert type(restored) is type(event)
        assert restored == event, type(event).__qualname__
        assert (stored.originator_id, stored.originator_version) == (
            event.originator_id,
            event.originator_version,
        )


ASCII_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E))
PERSONAL_TEXT = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=2)
"""Personal values in CJK, all else in ASCII: a personal value cannot hide in another field."""


@given(every_event=one_of_each(EVENT_CLASSES, text=ASCII_TEXT, personal=PERSONAL_TEXT))
def test_stored_events_are_readable_json_with_personal_fields_sealed(
    every_event: tuple[Any, ...],
) -> None:
    mapper = fresh_mapper()
    for event in every_event:
        cls = type(event)
        stored = mapper.to_stored_event(event)

        document = json.loads(stored.state)

        for f in dataclasses.fields(cls):
            value, where = getattr(event, f.name), f"{cls.__qualname__}.{f.name}"
            if f.name in BASE_FIELDS:
                assert f.name not in document, where  # kept in the stored event's own columns
            elif f.name in personal_fields(cls) and value:
                assert f.name not in document and f.name in document["_sealed"]["fields"], where
                assert value.encode() not in stored.state, where
                assert json.dumps(value).strip('"').encode() not in stored.state, where
            else:
                assert document[f.name] == json.loads(msgspec.json.encode(value)), where


@given(every_event=one_of_each(PERSONAL_EVENT_CLASSES, personal=PERSONAL_TEXT))
def test_forgetting_the_key_erases_the_personal_fields_and_nothing_else(
    every_event: tuple[Any, ...],
) -> None:
    mapper = fresh_mapper()
    for event in every_event:
        cls = type(event)
        stored = mapper.to_stored_event(event)

        mapper.keys.forget(event.originator_id)
        restored = mapper.to_domain_event(stored)

        for f in dataclasses.fields(cls):
            value = getattr(event, f.name)
            expected = ERASED if f.name in personal_fields(cls) and value else value
            assert getattr(restored, f.name) == expected, f"{cls.__qualname__}.{f.name}"


# -- snapshots ---------------------------------------------------------------------------------

NUMBER = "C-000001"
OFFICER = Actor("u-clerk", roles={"officer"})
A_DAY = date(2026, 1, 5)


def customer_after(
    book: ClientBook,
    registration: dict[str, Any],
    commands: list[CustomerCommand],
    outcomes: Outcomes | None = None,
) -> Customer:
    """The customer after the commands; a refused one writes nothing and `outcomes` counts it."""
    cid = book.customers.register(**registration)
    outcomes = outcomes or Outcomes()
    for command in commands:
        outcomes.give(book, lambda: command.apply(book))
    customer: Customer = book.app.repository.get(cid)
    assert isinstance(customer, Customer)
    return customer


def _state(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


LI_LEI = {
    "number": NUMBER,
    "kind": "individual",
    "name": "李雷",
    "manager": "u-wang",
    "by": OFFICER,
    "on": A_DAY,
    "email": "li@example.cn",
    "consent": "online",
}
CLOSE_AND_ERASE = [
    CustomerCommand("close", NUMBER, {"reason": "moved abroad", "by": OFFICER, "on": A_DAY}),
    CustomerCommand(
        "erase_personal_data", NUMBER, {"reason": "the customer asked", "by": OFFICER, "on": A_DAY}
    ),
]


def test_a_customer_snapshot_round_trips_and_leaves_the_customer_readable() -> None:
    outcomes = Outcomes()

    @given(
        registration=customer_registrations(numbers=st.just(NUMBER)),
        commands=st.lists(customer_commands(numbers=st.just(NUMBER)), max_size=12),
    )
    @example(registration=LI_LEI, commands=CLOSE_AND_ERASE)
    @example(registration=LI_LEI, commands=CLOSE_AND_ERASE[:1] * 2)  # closed twice: refused
    def snapshot_round_trips(registration: dict[str, Any], commands: list[CustomerCommand]) -> None:
        with ClientBook.open("memory:") as book:
            customer = customer_after(book, registration, commands, outcomes)
            before = book.customers.get(customer.id)
            snapshot = Customer.Snapshot.take(customer)

            restored = book.app.mapper.to_domain_event(book.app.mapper.to_stored_event(snapshot))

            assert restored == snapshot
            assert _state(restored.mutate(None)) == _state(customer)
            assert book.customers.get(customer.id) == before  # a snapshot disturbs nothing
            stored_events = [e for _, e in book.decoded_events() if e.originator_id == customer.id]
            assert len(stored_events) == customer.version  # and every stored event still reads

    snapshot_round_trips()
    outcomes.assert_both_happened()


@given(registration=customer_registrations(numbers=st.just(NUMBER)))
@example(registration=LI_LEI)
def test_a_snapshot_read_after_erasure_reads_like_the_events_read_after_erasure(
    registration: dict[str, Any],
) -> None:
    with ClientBook.open("memory:") as book:
        customer = customer_after(book, registration, [])
        stored = book.app.mapper.to_stored_event(Customer.Snapshot.take(customer))
        for command in CLOSE_AND_ERASE:
            command.apply(book)

        restored: Any = book.app.mapper.to_domain_event(stored)
        state = restored.state

        for name in sorted(Customer.Event.personal_fields):
            before = getattr(customer, name)  # a detail never given stays None, as in the events
            assert state[name] == (ERASED if before else before), name
