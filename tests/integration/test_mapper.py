"""The msgspec mapper: every payload type round-trips typed, old versions upcast, personal data seals."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import ClassVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import event
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from clientbook import Money
from clientbook.domain.base import BookAggregate
from clientbook.domain.customer import ERASED
from clientbook.infrastructure.keys import KeyStore
from clientbook.infrastructure.mapper import ClientBookMapper
from clientbook.infrastructure.sql import SqliteDatabase


class Colour(Enum):
    RED = "red"
    AMBER = "amber"


class Thing(BookAggregate):
    class Event(BookAggregate.Event):
        personal_fields: ClassVar[frozenset[str]] = frozenset({"secret"})

    @event("Made")
    def __init__(
        self,
        amount: Money,
        ref: UUID,
        on: date,
        at: datetime,
        colour: Colour,
        rate: Decimal,
        tags: tuple[str, ...],
        secret: str | None,
        by: str,
    ) -> None:
        self.amount, self.colour, self.secret = amount, colour, secret

    class Renamed(BookAggregate.Event):
        class_version = 2
        name: str
        channel: str

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["channel"] = "branch"

        def apply(self, aggregate: Thing) -> None:
            aggregate.name = self.name


@pytest.fixture
def mapper() -> ClientBookMapper:
    return ClientBookMapper(KeyStore(SqliteDatabase(":memory:")))


def made(secret: str | None = "top secret") -> Thing.Made:
    thing = Thing(
        amount=Money("12.34", "EUR"),
        ref=uuid4(),
        on=date(2026, 11, 2),
        at=datetime(2026, 11, 2, 9, 30, tzinfo=timezone(timedelta(hours=8))),
        colour=Colour.AMBER,
        rate=Decimal("0.1875"),
        tags=("a", "b"),
        secret=secret,
        by="u-clerk",
    )
    (created,) = thing.collect_events()
    return created  # type: ignore[return-value]


def test_every_payload_type_round_trips_typed(mapper: ClientBookMapper) -> None:
    original = made()
    copy = mapper.to_domain_event(mapper.to_stored_event(original))
    assert copy == original
    assert isinstance(copy.amount, Money) and copy.amount.amount == Decimal("12.34")
    assert copy.colour is Colour.AMBER and copy.at.utcoffset() == timedelta(hours=8)


def test_the_stored_row_is_readable_json_with_personal_data_sealed(
    mapper: ClientBookMapper,
) -> None:
    stored = mapper.to_stored_event(made())
    row = json.loads(stored.state)
    assert row["amount"] == {"amount": "12.34", "currency": "EUR"} and row["by"] == "u-clerk"
    assert "secret" not in row and b"top secret" not in stored.state
    assert row["_sealed"]["fields"] == ["secret"]


def test_an_empty_personal_field_is_not_sealed(mapper: ClientBookMapper) -> None:
    stored = mapper.to_stored_event(made(secret=None))
    assert "_sealed" not in json.loads(stored.state)
    assert mapper.to_domain_event(stored).secret is None


def test_a_forgotten_key_leaves_the_personal_fields_erased(mapper: ClientBookMapper) -> None:
    original = made()
    stored = mapper.to_stored_event(original)
    mapper.keys.forget(original.originator_id)
    copy = mapper.to_domain_event(stored)
    assert copy.secret == ERASED and copy.amount == original.amount


def test_an_old_version_of_an_event_is_upcast(mapper: ClientBookMapper) -> None:
    v1 = StoredEvent(
        uuid4(),
        2,
        get_topic(Thing.Renamed),
        b'{"timestamp":"2026-01-01T00:00:00+00:00","by":"u-1","name":"Li"}',
    )
    renamed = mapper.to_domain_event(v1)
    assert (renamed.name, renamed.channel, renamed.by) == ("Li", "branch", "u-1")
    again = mapper.to_domain_event(mapper.to_stored_event(renamed))
    assert (
        again == renamed and json.loads(mapper.to_stored_event(renamed).state)["class_version"] == 2
    )


def test_a_snapshot_round_trips_with_personal_data_sealed(mapper: ClientBookMapper) -> None:
    thing = Thing(
        amount=Money("1.00"),
        ref=uuid4(),
        on=date(2026, 11, 2),
        at=datetime(2026, 11, 2, tzinfo=timezone.utc),
        colour=Colour.RED,
        rate=Decimal("1"),
        tags=(),
        secret="top secret",
        by="u-clerk",
    )
    thing.collect_events()
    snapshot = Thing.Snapshot.take(thing)
    stored = mapper.to_stored_event(snapshot)
    assert b"top secret" not in stored.state
    copy = mapper.to_domain_event(stored)
    assert copy.state == snapshot.state
    assert copy.mutate(None) == thing
    mapper.keys.forget(thing.id)
    assert mapper.to_domain_event(stored).mutate(None).secret == ERASED


def test_an_event_that_could_not_be_read_back_is_refused(mapper: ClientBookMapper) -> None:
    from clientbook import InvalidValueError

    bad = made()
    object.__setattr__(bad, "rate", "not a number")
    with pytest.raises(InvalidValueError, match="cannot be recorded"):
        mapper.to_stored_event(bad)


def test_a_forgotten_subject_never_gets_a_new_key(mapper: ClientBookMapper) -> None:
    before = made()
    stored_before = mapper.to_stored_event(before)
    mapper.keys.forget(before.originator_id)
    later = Thing.Renamed(
        originator_id=before.originator_id,
        originator_version=2,
        timestamp=before.timestamp,
        by="u",
        name="x",
        channel="c",
    )
    mapper.to_stored_event(later)  # writing again after erasure must not make a new key
    assert mapper.to_domain_event(stored_before).secret == ERASED
    again = made()
    object.__setattr__(again, "originator_id", before.originator_id)
    assert mapper.to_domain_event(mapper.to_stored_event(again)).secret == ERASED


def _snapshot_of_a_thing(amount: Money, on: date) -> StoredEvent:
    thing = Thing(
        amount=amount,
        ref=uuid4(),
        on=on,
        at=datetime(2026, 11, 2, tzinfo=timezone.utc),
        colour=Colour.RED,
        rate=Decimal("1"),
        tags=(),
        secret=None,
        by="u-clerk",
    )
    thing.collect_events()
    thing.opened = on  # type: ignore[attr-defined]
    thing.fees = Money.zero("EUR")  # type: ignore[attr-defined]
    thing.state_name = "current"  # type: ignore[attr-defined]
    return ClientBookMapper(KeyStore(SqliteDatabase(":memory:"))).to_stored_event(
        Thing.Snapshot.take(thing)
    )


def test_snapshots_share_the_values_that_recur_across_aggregates(
    mapper: ClientBookMapper,
) -> None:
    """Issue 16: a cache of thousands of card accounts held one Money.zero, one date and one
    attribute name of each per account; decoded snapshots now share them (they are immutable),
    and still equal what was taken."""
    one, two = (
        mapper.to_domain_event(_snapshot_of_a_thing(Money(f"{n}.00", "EUR"), date(2026, 11, 2)))
        for n in (1, 2)
    )
    a, b = one.state, two.state  # type: ignore[attr-defined]
    assert a["fees"] == Money.zero("EUR") and a["fees"] is b["fees"]
    assert a["opened"] == date(2026, 11, 2) and a["opened"] is b["opened"]
    assert a["state_name"] is b["state_name"]
    (name_a,) = [k for k in a if k == "state_name"]
    (name_b,) = [k for k in b if k == "state_name"]
    assert name_a is name_b  # the attribute names are one string each
    assert a["amount"] == Money("1.00", "EUR") and b["amount"] == Money("2.00", "EUR")
    assert a["amount"] is not b["amount"]


def test_a_snapshot_stored_before_the_sharing_still_loads(mapper: ClientBookMapper) -> None:
    """The stored form is unchanged: a snapshot row written before issue 16's decoder (this
    one by hand, as the old _tag wrote it) loads to the same values."""
    money = get_topic(Money)
    state = (
        '{"timestamp":"2026-12-02T10:00:00+00:00","topic":"' + get_topic(Thing) + '",'
        '"state":{"$dict":[["_created_on",{"$datetime":"2026-12-02T10:00:00+00:00"}],'
        '["_modified_on",{"$datetime":"2026-12-02T10:00:00+00:00"}],'
        '["amount",{"$attrs":"' + money + '","fields":{"amount":{"$decimal":"0.00"},'
        '"currency":"EUR"}}],["colour",{"$enum":"' + get_topic(Colour) + '","value":"red"}],'
        '["aprs",[{"$tuple":[{"$date":"2005-03-01"},{"$decimal":"18"}]}]],'
        '["seen",{"$set":["x"]}],["secret",null]]}}'
    )
    stored = StoredEvent(uuid4(), 20, get_topic(Thing.Snapshot), state.encode())
    thing = mapper.to_domain_event(stored).mutate(None)  # type: ignore[attr-defined]
    assert thing.version == 20 and thing.amount == Money.zero("EUR")
    assert thing.colour is Colour.RED and thing.seen == {"x"}
    assert thing.aprs == [(date(2005, 3, 1), Decimal("18"))]
    assert str(thing.aprs[0][1]) == "18"  # the Decimal's exponent is kept
