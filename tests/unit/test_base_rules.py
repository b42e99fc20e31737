"""The base aggregate's rules: business dates are dates, and a copy (the repository's cache
hands out copies) shares nothing mutable with the original yet keeps the state's own sharing."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from attrs import frozen
from eventsourcing.domain import event

from clientbook import Money
from clientbook.domain.base import BookAggregate
from clientbook.domain.errors import InvalidValueError


class Note:
    """A mutable piece of state that is neither a container nor an immutable value."""

    def __init__(self, text: str) -> None:
        self.text = text


@frozen
class Terms:
    rate: str


class Thing(BookAggregate):
    value_types = frozenset({Terms})

    @event("Made")
    def __init__(self, by: str) -> None:
        note = Note("first")
        self.note = note
        self.same_note = note
        self.nested: list[Any] = [[1], note, note, Money("1.00")]
        self.by_key: dict[str, Any] = {"a": [1], "note": note, "amount": Money("2.00")}
        self.pair: tuple[Any, ...] = (note, [1], note)
        self.flat: tuple[Any, ...] = (1, "a")
        self.tags = {"x"}
        self.fixed = frozenset({"y"})
        self.terms = Terms("5%")
        self.me = [self]

    @event("Dated")
    def date(self, by: str, on: date) -> None:
        self.on = on


def test_a_business_date_must_be_a_date_not_a_datetime_or_text() -> None:
    thing = Thing(by="u")
    thing.date(by="u", on=date(2026, 12, 1))
    with pytest.raises(InvalidValueError) as refused:
        thing.date(by="u", on="2026-12-01")  # type: ignore[arg-type]
    assert str(refused.value) == "a business date must be a date, not '2026-12-01'"
    assert len(thing.collect_events()) == 2


def test_a_copy_shares_no_mutable_state_with_the_original() -> None:
    thing = Thing(by="u")
    clone = copy.deepcopy(thing)
    assert clone.__dict__.keys() == thing.__dict__.keys() and clone is not thing
    clone.note.text = "changed"
    clone.nested[0].append(2)
    clone.by_key["a"].append(2)
    clone.pair[1].append(2)
    clone.tags.add("z")
    assert thing.note.text == "first"
    assert thing.nested[0] == [1] and thing.by_key["a"] == [1] and thing.pair[1] == [1]
    assert thing.tags == {"x"} and type(clone.tags) is set and clone.fixed == thing.fixed
    assert clone.flat == (1, "a") and clone.terms == Terms("5%")
    assert clone.nested[3] == Money("1.00") and clone.by_key["amount"] == Money("2.00")


def test_a_copy_keeps_what_the_state_shares_within_itself() -> None:
    """As `copy.deepcopy` does: one object referred to twice is one object in the copy."""
    thing = Thing(by="u")
    clone = copy.deepcopy(thing)
    note = clone.note
    assert note is not thing.note
    assert clone.same_note is note and clone.nested[1] is note and clone.nested[2] is note
    assert clone.by_key["note"] is note and clone.pair[0] is note and clone.pair[2] is note
    assert clone.me[0] is clone


def test_a_copy_shares_the_immutable_values_including_the_aggregates_own() -> None:
    """The point of the copy: values that cannot change are not copied (BookAggregate)."""
    thing = Thing(by="u")
    for _ in range(2):  # the shared types are worked out once per class, then reused
        clone = copy.deepcopy(thing)
        assert clone.terms is thing.terms and clone.fixed is thing.fixed
        assert clone.nested[3] is thing.nested[3] and clone.flat is thing.flat


@pytest.mark.parametrize("by", [None, "", 7])
def test_every_event_records_who_acted_as_a_user_id(by: object) -> None:
    thing = Thing(by="u")
    with pytest.raises(InvalidValueError) as refused:
        thing.date(by=by, on=date(2026, 12, 1))  # type: ignore[arg-type]
    assert str(refused.value) == f"an event records who acted as a user id, not {by!r}"
    with pytest.raises(InvalidValueError):
        Thing(by=by)  # type: ignore[arg-type]
    assert len(thing.collect_events()) == 1


def test_an_event_with_a_business_date_has_one() -> None:
    thing = Thing(by="u")
    with pytest.raises(InvalidValueError) as refused:
        thing.date(by="u", on=None)  # type: ignore[arg-type]
    assert str(refused.value) == "a business date must be a date, not None"
    assert len(thing.collect_events()) == 1


class Keyed(BookAggregate):
    @event("Keyed")
    def __init__(self, id: UUID, by: str) -> None:  # noqa: A002 (eventsourcing's name)
        self.key = id


def test_each_class_works_out_the_types_its_copies_share_from_its_own_value_types() -> None:
    """A class defined in the test, so that its first copy is made here, with nothing cached for
    it yet (its state is set by hand: an aggregate class made twice in one process cannot
    record an event, its topic being taken)."""

    @frozen
    class Rate:
        percent: str

    class Priced(BookAggregate):
        value_types = frozenset({Rate})

    priced = object.__new__(Priced)
    priced.__dict__.update(
        rate=Rate("5"), amount=Money("3.00"), note=Note("n"), terms=Terms("1%")
    )  # Thing's value type, not this class's
    for _ in range(2):
        clone = copy.deepcopy(priced)
        assert clone.rate is priced.rate and clone.amount is priced.amount
        assert clone.note is not priced.note and clone.note.text == "n"
        assert clone.terms is not priced.terms and clone.terms == Terms("1%")


def test_an_aggregate_whose_init_takes_its_id_is_created_with_the_id_given() -> None:
    """eventsourcing's way to give an aggregate its id: `__init__` names an `id` parameter."""
    given = UUID("0b9f5d3e-6f0a-4c3b-9b8e-2f1d7c6a5e40")
    keyed = Keyed(id=given, by="u")
    assert keyed.id == given == keyed.key == keyed.collect_events()[0].originator_id
