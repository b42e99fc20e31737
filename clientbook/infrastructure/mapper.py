"""The event mapper: msgspec JSON, decoded by each event class's own schema.

Events are written as readable JSON and read back *typed*: a TypedDict derived from the event
class's type hints lets msgspec restore and validate UUID, Decimal, date, datetime and attrs
value objects. Older `class_version`s are decoded untyped, upcast, then converted. Personal
fields are sealed with the subject's key (see keys.py) and read as `[erased]` once it is gone,
or as unavailable while the book's key-encryption key is missing.
Snapshots have no schema, so their state is written with small type tags.
"""

from __future__ import annotations

import dataclasses
import sys
import typing
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, NotRequired, TypedDict
from uuid import UUID

import attrs
import msgspec
from eventsourcing.domain import CanSnapshotAggregate, DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic

from clientbook.domain.customer import ERASED, UNAVAILABLE
from clientbook.domain.errors import InvalidValueError
from clientbook.domain.money import Money
from clientbook.infrastructure.keys import KeyStore, unsealed

_BASE_FIELDS = ("originator_id", "originator_version")

_ToOpen = tuple[dict[str, Any], UUID, "Callable[[bytes], dict[str, Any]]", list[str], str]
"""An event's sealed part, set aside until its page's keys are read: the state it opens into,
its subject, how its plaintext decodes, its fields and the sealed text."""


class Sealed(msgspec.Struct, gc=False):
    """An event's sealed part as stored: its field names, and their JSON sealed (keys.py).
    Untracked by the collector: it holds a list of strings and a string, never a cycle."""

    fields: list[str]
    data: str


class _Version(msgspec.Struct):
    class_version: int = 1


class _Schema:
    """How one event class is decoded: its typed decoder, its shape and its personal fields."""

    def __init__(self, cls: type) -> None:
        hints = typing.get_type_hints(cls)
        self.personal = frozenset(getattr(cls, "personal_fields", ()))
        fields: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in _BASE_FIELDS:
                hint = hints.get(f.name, Any)
                fields[f.name] = NotRequired[hint] if f.name in self.personal else hint
        fields["class_version"] = NotRequired[int]
        fields["_sealed"] = NotRequired[Sealed]
        # The TypedDicts are made at run time from the event class's fields, which a type checker
        # cannot follow: it wants literal names and fields.
        self.shape = TypedDict(f"{cls.__qualname__}State", fields)  # type: ignore[misc]
        self.decoder = msgspec.json.Decoder(self.shape)
        personal = {name: hints[name] for name in self.personal if name in fields}
        self.decode_personal: Callable[[bytes], dict[str, Any]] = msgspec.json.Decoder(
            TypedDict(f"{cls.__qualname__}Personal", personal, total=False)  # type: ignore[operator]
        ).decode
        self.version = getattr(cls, "class_version", 1)


class _Storing:
    """How one class's events are stored, worked out once: a snapshot (no schema) or an event
    with its schema, its class version and its topic."""

    def __init__(self, cls: type, mapper: ClientBookMapper) -> None:
        snapshot = issubclass(cls, CanSnapshotAggregate)
        self.schema = None if snapshot else mapper.schema(cls)
        self.class_version: int = getattr(cls, "class_version", 1)
        self.topic = get_topic(cls)


class ClientBookMapper(Mapper[UUID]):
    """Maps domain events to stored events and back; see the module's docstring."""

    def __init__(self, keys: KeyStore, compressor: Any = None, cipher: Any = None) -> None:
        super().__init__(transcoder=_NoTranscoder(), compressor=compressor, cipher=cipher)
        self.keys = keys
        self._encoder = msgspec.json.Encoder(decimal_format="string")
        self._schemas: dict[type, _Schema] = {}
        self._snapshots: dict[type, bool] = {}
        self._storing: dict[type, _Storing] = {}
        self._version = msgspec.json.Decoder(_Version)
        self._untyped = msgspec.json.Decoder()

    def _class_of(self, topic: str) -> tuple[type, bool]:
        """The topic's class, and whether it is a snapshot's (an issubclass check of a runtime
        protocol costs microseconds: done once per class)."""
        cls = resolve_topic(topic)
        snapshot = self._snapshots.get(cls)
        if snapshot is None:
            snapshot = self._snapshots[cls] = issubclass(cls, CanSnapshotAggregate)
        return cls, snapshot

    def schema(self, cls: type) -> _Schema:
        schema = self._schemas.get(cls)
        if schema is None:
            schema = self._schemas[cls] = _Schema(cls)
        return schema

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        cls = type(domain_event)
        storing = self._storing.get(cls)
        if storing is None:
            storing = self._storing[cls] = _Storing(cls, self)
        state = dict(vars(domain_event))
        subject = state.pop("originator_id")
        version = state.pop("originator_version")
        if storing.schema is None:  # a snapshot
            state = {**state, "state": _tag(self._seal_snapshot(subject, state))}
            data = self._encoder.encode(state)
        else:
            if storing.schema.personal:
                self._seal(subject, state, storing.schema.personal, new=version == 1)
            if storing.class_version > 1:
                state["class_version"] = storing.class_version
            data = self._encoder.encode(state)
            self._check_readable(cls, data)
        return StoredEvent(subject, version, storing.topic, self._pack(data))

    def keys_to_write(self, stored_events: Sequence[StoredEvent]) -> list[tuple[str, bytes]]:
        """The personal-data keys made for these events, to insert in the transaction that
        saves them (KeyStore.pending_among)."""
        subjects = [e.originator_id for e in stored_events]
        return self.keys.pending_among(s for s in subjects if isinstance(s, UUID))

    def _check_readable(self, cls: type, data: bytes) -> None:
        """Refuse to store what could not be read back: a wrong type would break every load."""
        try:
            self.schema(cls).decoder.decode(data)
        except msgspec.ValidationError as error:
            raise InvalidValueError(
                f"{cls.__qualname__} cannot be recorded: {error}; nothing was written"
            ) from None

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """One event: its subject's key (if it has sealed fields) is read afresh."""
        return self.to_domain_events((stored_event,))[0]

    def to_domain_events(
        self, stored_events: Iterable[StoredEvent]
    ) -> list[DomainEventProtocol[UUID]]:
        """A page of events, decoded with the keys of all its sealed subjects read in one query
        with the erasure count, for each page (KeyStore.openers): an erasure another process
        committed before the page was read is honoured.

        Two passes: each event is decoded and made, its sealed part set aside; then the page's
        ciphers are read once and the sealed parts opened into the events' states (an event's
        `__dict__` is its state, so the events made first are complete once it returns)."""
        events: list[DomainEventProtocol[UUID]] = []
        sealed: list[_ToOpen] = []
        for stored in stored_events:
            events.append(self._made(stored, sealed))
        if sealed:
            self._open_page(sealed)
        return events

    def _made(self, stored_event: StoredEvent, sealed: list[_ToOpen]) -> DomainEventProtocol[UUID]:
        """The event, its clear state decoded; its sealed part, if any, goes to `sealed`."""
        cls, snapshot = self._class_of(stored_event.topic)
        data = self._unpack(stored_event.state)
        subject = stored_event.originator_id
        assert isinstance(subject, UUID)
        if snapshot:
            state = self._untyped.decode(data)
            state["timestamp"] = datetime.fromisoformat(state["timestamp"])
            inner = state["state"] = _untag_shared(state["state"])
            found = inner.pop("_sealed", None)
            if found is not None:
                sealed.append((inner, subject, _open_snapshot, found["fields"], found["data"]))
        else:
            schema = self.schema(cls)
            state = self._typed(cls, schema, data)
            found = state.pop("_sealed", None)
            if found is not None:
                sealed.append((state, subject, schema.decode_personal, found.fields, found.data))
        state["originator_id"] = subject
        state["originator_version"] = stored_event.originator_version
        domain_event: DomainEventProtocol[UUID] = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return domain_event

    def _open_page(self, sealed: list[_ToOpen]) -> None:
        """Open a page's sealed parts into their states, with the ciphers of the page's
        subjects read in one query: a subject without one (erased, or never given a key) reads
        `[erased]`, and one whose key cannot be unwrapped (no KEK) `[unavailable]`."""
        ciphers = self.keys.openers({s[1].int: s[1] for s in sealed})
        for state, subject, decode, fields, data in sealed:
            cipher = ciphers.get(subject.int) if data else None
            if cipher is not None:
                state.update(decode(unsealed(cipher, subject, data)))
            else:
                erased = not data or subject.int not in ciphers
                state.update(dict.fromkeys(fields, ERASED if erased else UNAVAILABLE))

    def _typed(self, cls: type, schema: _Schema, data: bytes) -> dict[str, Any]:
        if schema.version == 1 or self._version.decode(data).class_version == schema.version:
            state: dict[str, Any] = schema.decoder.decode(data)
            state.pop("class_version", None)
            return state
        state = self._untyped.decode(data)
        stored = state.pop("class_version", 1)
        for v in range(stored, schema.version):
            getattr(cls, f"upcast_v{v}_v{v + 1}")(state)
        return msgspec.convert(state, schema.shape, strict=False)

    def _seal(
        self, subject: UUID, state: dict[str, Any], personal: frozenset[str], *, new: bool
    ) -> None:
        """Move the non-empty personal fields out of the clear state into one sealed blob; a
        subject's first event (`new`) makes its key without looking for one (KeyStore.cipher)."""
        private = {name: state.pop(name) for name in sorted(personal) if state.get(name)}
        if private:
            sealed = self.keys.seal(subject, self._encoder.encode(private), new=new)
            state["_sealed"] = Sealed(fields=sorted(private), data=sealed)

    def _seal_snapshot(self, subject: UUID, snapshot: dict[str, Any]) -> dict[str, Any]:
        personal = _personal_of(snapshot["topic"])
        state = dict(snapshot["state"])
        private = {name: state.pop(name) for name in sorted(personal) if state.get(name)}
        if private:
            sealed = self.keys.seal(subject, msgspec.json.encode(_tag(private)))
            state["_sealed"] = {"fields": sorted(private), "data": sealed}
        return state

    def _pack(self, data: bytes) -> bytes:
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return data

    def _unpack(self, data: bytes) -> bytes:
        if self.cipher:
            data = self.cipher.decrypt(data)
        if self.compressor:
            data = self.compressor.decompress(data)
        return data


def _open_snapshot(plaintext: bytes) -> dict[str, Any]:
    """A snapshot's sealed part: tagged JSON (a snapshot has no schema to decode it by)."""
    return _untag(msgspec.json.decode(plaintext))


def _personal_of(aggregate_topic: str) -> frozenset[str]:
    aggregate = resolve_topic(aggregate_topic)
    return frozenset(getattr(getattr(aggregate, "Event", None), "personal_fields", ()))


class _NoTranscoder(Transcoder):
    """The mapper encodes by itself; the library's transcoder slot stays unused."""

    def encode(self, obj: Any) -> bytes:
        raise TypeError("ClientBookMapper encodes events itself")

    def decode(self, data: bytes) -> Any:
        raise TypeError("ClientBookMapper decodes events itself")


def _tag(value: Any) -> Any:
    """Snapshot state as JSON-safe values with type tags (they have no schema to decode by).

    The values a snapshot holds most — text, numbers, Money, dates, Decimals and containers —
    are told by their exact type first (`_BY_TYPE`): a card account holds about 150, and the
    general checks (`_tag_any`, for subclasses, enums and other value objects) cost more than
    tagging each."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    tagger = _BY_TYPE.get(kind)
    return _tag_any(value) if tagger is None else tagger(value)


def _tag_decimal(value: Decimal) -> Any:
    return {"$decimal": str(value)}


def _tag_date(value: date) -> Any:
    return {"$date": value.isoformat()}


def _tag_list(value: list[Any]) -> Any:
    return [_tag(v) for v in value]


def _tag_tuple(value: tuple[Any, ...]) -> Any:
    return {"$tuple": [_tag(v) for v in value]}


def _tag_dict(value: dict[Any, Any]) -> Any:
    return {"$dict": [[_tag(k), _tag(v)] for k, v in value.items()]}


def _tag_money(value: Money) -> Any:
    """As `_tag_any` tags any attrs value, without reading its fields' declarations."""
    fields = {"amount": _tag_decimal(value.amount), "currency": value.currency}
    return {"$attrs": _MONEY_TOPIC, "fields": fields}


def _tag_any(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Enum):
        return {"$enum": get_topic(type(value)), "value": _tag(value.value)}
    if isinstance(value, Decimal):
        return _tag_decimal(value)
    if isinstance(value, UUID):
        return {"$uuid": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return _tag_date(value)
    if isinstance(value, dict):
        return _tag_dict(value)
    if isinstance(value, tuple):
        return _tag_tuple(value)
    if isinstance(value, (set, frozenset)):
        return {"$set": [_tag(v) for v in value]}
    if isinstance(value, list):
        return _tag_list(value)
    if attrs.has(type(value)):
        fields = {f.name: _tag(getattr(value, f.name)) for f in attrs.fields(type(value))}
        return {"$attrs": get_topic(type(value)), "fields": fields}
    raise TypeError(f"cannot snapshot a value of type {type(value).__name__}: {value!r}")


_UNTAG: dict[str, Callable[[str], Any]] = {
    "$decimal": Decimal,
    "$uuid": UUID,
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
}

_MONEY_TOPIC = get_topic(Money)
_BY_TYPE: dict[type, Callable[[Any], Any]] = {
    Money: _tag_money,
    date: _tag_date,
    Decimal: _tag_decimal,
    list: _tag_list,
    tuple: _tag_tuple,
    dict: _tag_dict,
}

_SHARED_LIMIT = 50_000
"""The most decoded values kept for sharing; past it the table starts again (a bound on its
memory, not a cache anything relies on)."""


def _untagger(*, share: bool) -> Callable[[Any], Any]:
    """A function that turns tagged snapshot state back into values, the inverse of `_tag`.

    With `share` (a snapshot's clear state) equal values come out as one object each — a
    date (statement, due and posting dates are few), a Decimal (by its text, so "18" and
    "18.00" stay apart), a Money (by its amount's text and currency; Money is frozen and holds
    only immutable values) — and short strings and a `$dict`'s string keys (an aggregate's
    attribute names) are interned: a cache of thousands of card accounts then holds one zero
    Money of a currency, one 2005-08-01 and one "current" rather than one of each per account.
    The sealed personal part is decoded without sharing: nothing of it outlives its
    aggregates."""
    values: dict[Any, Any] = {}  # dates and Decimals by (tag, text), Money by (amount, currency)
    intern = sys.intern
    untag_scalar = _UNTAG

    def shared(key: Any, make: Callable[..., Any], *args: Any) -> Any:
        found = values.get(key)
        if found is None:
            if len(values) >= _SHARED_LIMIT:
                values.clear()
            found = values[key] = make(*args)
        return found

    def attrs_value(topic: str, fields: dict[str, Any]) -> Any:
        return resolve_topic(topic)(**{k: untag(v) for k, v in fields.items()})

    def untag(value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return intern(value) if share and len(value) <= 32 else value
        if kind is list:
            return [untag(v) for v in value]
        if kind is not dict:
            return value
        if len(value) == 1:
            ((tag, raw),) = value.items()
            if tag == "$dict":
                return {untag(k): untag(v) for k, v in raw}
            if tag == "$tuple":
                return tuple([untag(v) for v in raw])
            if tag == "$set":
                return {untag(v) for v in raw}
            if share and (tag == "$date" or tag == "$decimal"):
                return shared((tag, raw), untag_scalar[tag], raw)
            return untag_scalar[tag](raw)
        if "$enum" in value:
            return resolve_topic(value["$enum"])(untag(value["value"]))
        if "$attrs" in value:
            topic, fields = value["$attrs"], value["fields"]
            if share and topic == _MONEY_TOPIC and len(fields) == 2:
                amount, currency = fields.get("amount"), fields.get("currency")
                if type(amount) is dict and type(currency) is str and len(amount) == 1:
                    key = (amount.get("$decimal"), currency)
                    if type(key[0]) is str:
                        return shared(key, attrs_value, topic, fields)
            return attrs_value(topic, fields)
        raise KeyError(next(iter(value)))

    return untag


_untag_shared = _untagger(share=True)
_untag = _untagger(share=False)
