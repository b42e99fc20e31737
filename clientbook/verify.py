"""The log's hash chain and its signed checkpoints, checked without trusting the book.

This module is the auditor's verifier. It imports nothing but the standard library and
`cryptography`, so that it can be copied alone and run against an export:

    python -m clientbook.verify clientbook-log.jsonl --public-key signing-key.pub

The book uses the same functions to write the chain and to check it in the database, so the
construction written down in docs/audit.md exists exactly once, here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import struct
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

GENESIS = bytes(32)
"""The link before the first event: 32 zero bytes."""

CHECKPOINT_DOMAIN = b"clientbook-checkpoint-v1\n"
"""Prefixed to a checkpoint's canonical JSON before it is signed."""

EXPORT_FORMAT = "clientbook-log"
REORDER_WINDOW = 256
"""How far past an altered event the verifier looks for the event it was swapped with."""

ALTERED, DELETED, INSERTED, REORDERED = "altered", "deleted", "inserted", "reordered"
TRUNCATED, BAD_SIGNATURE, UNCHAINED = "truncated", "bad signature", "unchained"


_HEAD, _MIDDLE, _LENGTH = struct.Struct(">QQI"), struct.Struct(">QI"), struct.Struct(">I")


def link(
    previous: bytes,
    seq: int,
    position: int,
    aggregate_id: str,
    version: int,
    topic: str,
    state: bytes,
) -> bytes:
    """SHA-256 of the previous link, the event's place in the chain and its stored fields:
    previous ‖ u64 seq ‖ u64 position ‖ u32 len ‖ aggregate id ‖ u64 version ‖ u32 len ‖
    topic ‖ u32 len ‖ state (big-endian; see docs/audit.md)."""
    return encoded_link(
        previous, seq, position, aggregate_id.encode(), version, topic.encode(), state
    )


def encoded_link(
    previous: bytes,
    seq: int,
    position: int,
    aggregate_id: bytes,
    version: int,
    topic: bytes,
    state: bytes,
) -> bytes:
    """`link`, given the aggregate id and the topic already encoded (UTF-8): what a writer
    that keeps their encodings calls."""
    return hashlib.sha256(
        b"".join(
            (
                previous,
                _HEAD.pack(seq, position, len(aggregate_id)),
                aggregate_id,
                _MIDDLE.pack(version, len(topic)),
                topic,
                _LENGTH.pack(len(state)),
                state,
            )
        )
    ).digest()


@dataclass(frozen=True, slots=True)
class Event:
    """One stored event, as the log holds it (the aggregate id in its canonical text form)."""

    position: int
    aggregate_id: str
    version: int
    topic: str
    state: bytes


@dataclass(frozen=True, slots=True)
class Link:
    """One row of the chain: the event's ordinal in the chain (`seq`), its position, its link."""

    position: int
    seq: int
    link: bytes


@dataclass(frozen=True, slots=True)
class Entry:
    """What the log holds at one position: the event, its link, or (if damaged) one of them."""

    position: int
    event: Event | None
    link: Link | None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement: the chain's link at `position` (its `seq`-th event) was `link`."""

    position: int
    seq: int
    link: bytes
    recorded_at: str
    business_date: str | None
    note: str
    signature: bytes
    number: int = 0

    def message(self) -> bytes:
        """The bytes signed: the domain prefix and the checkpoint's canonical JSON."""
        return CHECKPOINT_DOMAIN + canonical(self.statement())

    def statement(self) -> dict[str, Any]:
        return {
            "business_date": self.business_date,
            "link": self.link.hex(),
            "note": self.note,
            "position": self.position,
            "recorded_at": self.recorded_at,
            "seq": self.seq,
        }

    def signed_by(self, key: Ed25519PublicKey) -> bool:
        try:
            key.verify(self.signature, self.message())
        except InvalidSignature:
            return False
        return True


def canonical(value: Any) -> bytes:
    """JSON with sorted keys, no spaces and ASCII only: one byte string per value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


@dataclass(frozen=True, slots=True)
class Damage:
    """The first thing found wrong: its kind, the position it was found at, and what it is."""

    kind: str
    position: int
    detail: str


@dataclass
class Verdict:
    """What a verification found: how far the log is sound, and the first damage if any."""

    first: int = 0
    last: int = 0
    events: int = 0
    sound_to: int = 0
    checkpoint: int | None = None
    """The number of the last checkpoint that vouches for the log (at or before `sound_to`)."""
    checkpoints: int = 0
    damage: Damage | None = None

    @property
    def ok(self) -> bool:
        return self.damage is None

    def as_dict(self) -> dict[str, Any]:
        damage = self.damage
        return {
            "ok": self.ok,
            "from": self.first,
            "to": self.last,
            "events": self.events,
            "sound_to": self.sound_to,
            "checkpoint": self.checkpoint,
            "checkpoints": self.checkpoints,
            "damage": None
            if damage is None
            else {"kind": damage.kind, "position": damage.position, "detail": damage.detail},
        }

    def summary(self) -> str:
        if self.damage is not None:
            d = self.damage
            vouched = "" if self.checkpoint is None else f", checkpoint {self.checkpoint}"
            return (
                f"{d.kind} at position {d.position}: {d.detail}; sound up to position "
                f"{self.sound_to}{vouched}"
            )
        vouched = "" if self.checkpoint is None else f", the last is number {self.checkpoint}"
        return (
            f"sound: {self.events} events, positions {self.first} to {self.last}; "
            f"{self.checkpoints} signed checkpoints match the chain{vouched}"
        )


@dataclass
class _Walk:
    """The chain as walked so far: the last link seen, each aggregate's last version."""

    previous: Link | None
    versions: dict[str, int] = field(default_factory=dict)
    from_start: bool = True


class ChainCheck:
    """Walks a log's entries in position order (`feed()`, then `finish()` for the verdict).

    Each link is checked against the stored link before it, so damage stays where it is: one
    altered event fails at its own position only, which lets the verifier tell a swap (two
    failures that pass when exchanged) from an alteration."""

    def __init__(self, previous: Link | None = None, *, from_start: bool = True) -> None:
        self._walk = _Walk(previous, from_start=from_start)
        self.verdict = Verdict()
        self._suspect: list[tuple[Entry, Link | None]] = []
        self._left = 0
        self.links: dict[int, Link] = {}
        """Each position's link, for the checkpoints (kept only at checkpoint positions)."""
        self.wanted: set[int] = set()

    def feed(self, entries: Iterable[Entry]) -> bool:
        """Check more entries; False once damage is known (the rest need not be read)."""
        for entry in entries:
            if not self._feed(entry):
                return False
        return True

    def _feed(self, entry: Entry) -> bool:
        verdict = self.verdict
        if self._suspect:
            return self._look_for_swap(entry)
        verdict.first = verdict.first or entry.position
        damage = self._check(entry)
        if damage == "suspect":
            self._suspect.append((entry, self._walk.previous))
            self._left = REORDER_WINDOW
            self._advance(entry)
            return True
        if isinstance(damage, Damage):
            verdict.damage = damage
            return False
        self._advance(entry)
        verdict.sound_to = entry.position
        return True

    def _advance(self, entry: Entry) -> None:
        verdict = self.verdict
        verdict.last = entry.position
        verdict.events += entry.event is not None
        if entry.link is not None:
            self._walk.previous = entry.link
            if entry.position in self.wanted:
                self.links[entry.position] = entry.link
        if entry.event is not None:
            self._walk.versions[entry.event.aggregate_id] = entry.event.version

    def _check(self, entry: Entry) -> Damage | str | None:
        event, row, previous = entry.event, entry.link, self._walk.previous
        p = entry.position
        if event is None:
            return Damage(DELETED, p, f"the event at position {p} is gone; its link remains")
        if row is None:
            return Damage(INSERTED, p, f"the event at position {p} has no link in the chain")
        expected = 1 if previous is None else previous.seq + 1
        if row.seq > expected:
            gone = row.seq - expected
            return Damage(
                DELETED,
                p,
                f"{gone} event(s) before position {p} are gone "
                f"(the chain jumps from event {expected - 1} to {row.seq})",
            )
        if row.seq < expected:
            return Damage(
                INSERTED, p, f"the link at position {p} repeats event {row.seq} of the chain"
            )
        if _link_of(previous, row, event) != row.link:
            return "suspect"
        return self._check_version(event)

    def _check_version(self, event: Event) -> Damage | None:
        last = self._walk.versions.get(event.aggregate_id)
        expected = (1 if self._walk.from_start else event.version) if last is None else last + 1
        p = event.position
        if event.version > expected:
            return Damage(
                DELETED,
                p,
                f"aggregate {event.aggregate_id} jumps from version "
                f"{expected - 1} to {event.version} at position {p}",
            )
        if event.version < expected:
            return Damage(
                INSERTED,
                p,
                f"aggregate {event.aggregate_id} has version {event.version} again at position {p}",
            )
        return None

    def _look_for_swap(self, entry: Entry) -> bool:
        (first, before) = self._suspect[0]
        p = first.position
        assert first.event is not None and first.link is not None
        if (
            entry.event is not None
            and entry.link is not None
            and _swapped(first, before, entry, self._walk.previous)
        ):
            self.verdict.damage = Damage(
                REORDERED, p, f"the events at positions {p} and {entry.position} were swapped"
            )
            return False
        self._left -= 1
        self._advance(entry)
        if self._left <= 0:
            self.finish()
            return False
        return True

    def finish(self) -> Verdict:
        """The verdict once every entry has been fed."""
        if self._suspect and self.verdict.damage is None:
            first = self._suspect[0][0]
            self.verdict.damage = Damage(
                ALTERED,
                first.position,
                f"the event at position {first.position} does not "
                "match its link: its stored fields were changed",
            )
        self.verdict.last = max(self.verdict.last, self.verdict.sound_to)
        return self.verdict


def _link_of(previous: Link | None, row: Link, event: Event) -> bytes:
    return link(
        GENESIS if previous is None else previous.link,
        row.seq,
        row.position,
        event.aggregate_id,
        event.version,
        event.topic,
        event.state,
    )


def _swapped(a: Entry, a_before: Link | None, b: Entry, b_before: Link | None) -> bool:
    """Whether a's link matches b's event (whole, or only b's state) and b's matches a's."""
    assert a.event and a.link and b.event and b.link
    if b_before is not None and b_before.position == a.position:
        b_before = a.link  # adjacent: b's link follows a's stored link
    whole = _matches(a, a_before, b.event) and _matches(b, b_before, a.event)
    states = _matches(a, a_before, _with_state(a.event, b.event.state)) and _matches(
        b, b_before, _with_state(b.event, a.event.state)
    )
    return whole or states


def _matches(entry: Entry, before: Link | None, event: Event) -> bool:
    assert entry.link is not None
    return _link_of(before, entry.link, event) == entry.link.link


def _with_state(event: Event, state: bytes) -> Event:
    return Event(event.position, event.aggregate_id, event.version, event.topic, state)


def check_checkpoints(
    checkpoints: Sequence[Checkpoint],
    links: dict[int, Link],
    verdict: Verdict,
    key: Ed25519PublicKey,
    head: int,
) -> Verdict:
    """Each checkpoint in the verified range: signed by `key`, and the chain has its link
    there. The first failure becomes the verdict's damage, unless an earlier one was found."""
    vouched = 0
    for checkpoint in sorted(checkpoints, key=lambda c: (c.position, c.number)):
        if verdict.damage is not None and checkpoint.position >= verdict.damage.position:
            break
        damage = _checkpoint_damage(checkpoint, links, key, head)
        if damage is not None:  # a chain that passed may have been recomputed: trust it no
            verdict.damage = damage  # further than the last checkpoint that held
            verdict.sound_to = min(verdict.sound_to, vouched)
            break
        vouched = checkpoint.position
        verdict.checkpoints += 1
        verdict.checkpoint = checkpoint.number
    return verdict


def _checkpoint_damage(
    checkpoint: Checkpoint, links: dict[int, Link], key: Ed25519PublicKey, head: int
) -> Damage | None:
    n, p = checkpoint.number, checkpoint.position
    if not checkpoint.signed_by(key):
        return Damage(BAD_SIGNATURE, p, f"checkpoint {n} is not signed by the public key given")
    if p > head:
        return Damage(
            TRUNCATED,
            head + 1,
            f"checkpoint {n} vouches for the log up to position "
            f"{p}, but it ends at position {head}",
        )
    row = links.get(p) if p else Link(0, 0, GENESIS)  # position 0: the empty log
    if row is None:
        return Damage(
            DELETED, p, f"checkpoint {n} vouches for position {p}, which the chain no longer has"
        )
    if row.link != checkpoint.link or row.seq != checkpoint.seq:
        return Damage(
            ALTERED,
            p,
            f"the chain at position {p} is not the one checkpoint {n} "
            "signed: the log up to there was rewritten",
        )
    return None


def verify_entries(
    entries: Sequence[Entry],
    checkpoints: Sequence[Checkpoint],
    key: Ed25519PublicKey,
) -> Verdict:
    """Verify a whole log (from its first position) and its checkpoints."""
    if entries and all(entry.link is None for entry in entries):
        first = entries[0].position
        return Verdict(
            first=first,
            last=entries[-1].position,
            damage=Damage(
                UNCHAINED,
                first,
                "the log has no hash chain: it was written before the book kept "
                "one and has not been sealed (clientbook verify --seal-existing)",
            ),
        )
    check = ChainCheck()
    check.wanted = {c.position for c in checkpoints}
    check.feed(entries)
    head = entries[-1].position if entries else 0
    return check_checkpoints(checkpoints, check.links, check.finish(), key, head)


# The export: one JSON object a line. A header, then an entry per position, then checkpoints.


def export_lines(
    entries: Iterable[Entry], checkpoints: Iterable[Checkpoint], public_key_pem: str
) -> Iterator[str]:
    """The lines of an export file (without newlines)."""
    yield json.dumps({"format": EXPORT_FORMAT, "version": 1, "public_key": public_key_pem})
    for entry in entries:
        yield json.dumps(_entry_json(entry), ensure_ascii=False)
    for checkpoint in checkpoints:
        record = dict(
            checkpoint.statement(), number=checkpoint.number, signature=checkpoint.signature.hex()
        )
        yield json.dumps({"checkpoint": record})


def _entry_json(entry: Entry) -> dict[str, Any]:
    record: dict[str, Any] = {"position": entry.position}
    if entry.event is not None:
        e = entry.event
        record.update(
            aggregate_id=e.aggregate_id,
            version=e.version,
            topic=e.topic,
            state=e.state.decode("utf-8", "surrogateescape"),
        )
    if entry.link is not None:
        record.update(seq=entry.link.seq, link=entry.link.link.hex())
    return record


def read_export(lines: Iterable[str]) -> tuple[dict[str, Any], list[Entry], list[Checkpoint]]:
    """The header, entries and checkpoints of an export file's lines."""
    iterator = iter(lines)
    header = json.loads(next(iterator))
    if header.get("format") != EXPORT_FORMAT:
        raise ValueError("not a clientbook log export (its first line names no such format)")
    entries, checkpoints = [], []
    for line in iterator:
        record = json.loads(line)
        if "checkpoint" in record:
            checkpoints.append(_checkpoint(record["checkpoint"]))
        else:
            entries.append(_entry(record))
    return header, entries, checkpoints


def _entry(record: dict[str, Any]) -> Entry:
    p = int(record["position"])
    event = link_row = None
    if "topic" in record:
        state = record["state"].encode("utf-8", "surrogateescape")
        event = Event(p, record["aggregate_id"], int(record["version"]), record["topic"], state)
    if "link" in record:
        link_row = Link(p, int(record["seq"]), bytes.fromhex(record["link"]))
    return Entry(p, event, link_row)


def _checkpoint(record: dict[str, Any]) -> Checkpoint:
    return Checkpoint(
        position=int(record["position"]),
        seq=int(record["seq"]),
        link=bytes.fromhex(record["link"]),
        recorded_at=record["recorded_at"],
        business_date=record["business_date"],
        note=record["note"],
        signature=bytes.fromhex(record["signature"]),
        number=int(record.get("number", 0)),
    )


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM, or from the 32 raw bytes written as hex."""
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        key = load_pem_public_key(text)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the public key is not an Ed25519 key")
        return key
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text.decode()))


def main(argv: Sequence[str] | None = None) -> int:
    """Verify an export file against a public key; exit 0 if sound, 1 if damaged, 2 on bad
    input."""
    parser = argparse.ArgumentParser(prog="python -m clientbook.verify", description=main.__doc__)
    parser.add_argument("file", help="the export written by `clientbook export log`")
    parser.add_argument("--public-key", required=True, help="the book's public key (PEM file)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    try:
        with open(args.public_key, "rb") as key_file:
            key = load_public_key(key_file.read())
        with open(args.file, encoding="utf-8", errors="surrogateescape") as export:
            _, entries, checkpoints = read_export(export)
    except (OSError, ValueError, KeyError) as error:
        print(f"cannot verify: {error}", file=sys.stderr)
        return 2
    verdict = verify_entries(entries, checkpoints, key)
    if args.format == "json":
        print(json.dumps(verdict.as_dict()))
    else:
        print(verdict.summary(), file=sys.stdout if verdict.ok else sys.stderr)
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
