"""The base aggregate's rules: business dates are dates, and a copy (the repository's cache
hands out copies) shares nothing mutable with the original yet keeps the state's own sharing."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

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
