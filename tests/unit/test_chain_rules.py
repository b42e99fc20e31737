"""The chain's construction and the verifier's verdicts, on logs built in memory (issue 13)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clientbook.verify import (
    GENESIS,
    Checkpoint,
    Entry,
    Event,
    Link,
    export_lines,
    link,
    read_export,
    verify_entries,
)

KEY = Ed25519PrivateKey.generate()
AGGREGATES = [str(uuid4()) for _ in range(3)]


def auditors_link(previous: bytes, seq: int, position: int, event: Event) -> bytes:
    """The construction as docs/audit.md writes it, re-implemented from the text."""

    def field(data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + data

    message = (
        previous
        + seq.to_bytes(8, "big")
        + position.to_bytes(8, "big")
        + field(event.aggregate_id.encode())
        + event.version.to_bytes(8, "big")
        + field(event.topic.encode())
        + field(event.state)
    )
    return hashlib.sha256(message).digest()


def chained(events: list[Event]) -> list[Entry]:
    entries, previous = [], GENESIS
    for seq, e in enumerate(events, start=1):
        previous = link(previous, seq, e.position, e.aggregate_id, e.version, e.topic, e.state)
        entries.append(Entry(e.position, e, Link(e.position, seq, previous)))
    return entries


def a_log(n: int = 12, gap_at: int | None = None) -> list[Entry]:
    """n events of three aggregates, round robin; positions skip one at `gap_at` (PostgreSQL)."""
    events, versions = [], dict.fromkeys(AGGREGATES, 0)
    for i in range(n):
        aggregate = AGGREGATES[i % 3]
        versions[aggregate] += 1
        position = i + 1 + (1 if gap_at is not None and i + 1 >= gap_at else 0)
        state = json.dumps({"by": "u-clerk", "amount": f"{100 + i}.00"}).encode()
        events.append(Event(position, aggregate, versions[aggregate], "m:Line.Drawn", state))
    return chained(events)


def signed(entry: Entry, key: Ed25519PrivateKey = KEY, number: int = 1) -> Checkpoint:
    assert entry.link is not None
    c = Checkpoint(
        entry.position,
        entry.link.seq,
        entry.link.link,
        "2026-12-02T00:00:00+00:00",
        "2026-11-30",
        "close of business",
        b"",
        number,
    )
    return replace(c, signature=key.sign(c.message()))


def verdict(entries: list[Entry], checkpoints: tuple[Checkpoint, ...] = ()) -> tuple[str, int]:
    v = verify_entries(entries, list(checkpoints), KEY.public_key())
    assert v.damage is not None, "the damage went unnoticed"
    return v.damage.kind, v.damage.position


def test_the_link_is_the_construction_the_auditors_guide_describes() -> None:
    previous = GENESIS
    for entry in a_log(gap_at=4):
        assert entry.event is not None and entry.link is not None
        assert entry.link.link == auditors_link(
            previous, entry.link.seq, entry.position, entry.event
        )
        previous = entry.link.link


def test_a_log_as_written_is_sound_with_its_checkpoints_and_gaps_in_positions() -> None:
    log = a_log(gap_at=5)
    v = verify_entries(log, [signed(log[3], number=1), signed(log[-1], number=2)], KEY.public_key())
    assert v.ok, v.summary()
    assert (v.events, v.sound_to, v.checkpoints, v.checkpoint) == (12, 13, 2, 2)


def test_every_byte_of_a_stored_state_flipped_is_named_at_its_position() -> None:
    for target in (0, 6, 11):
        log = a_log()
        event = log[target].event
        assert event is not None
        for i in range(len(event.state)):
            flipped = bytearray(event.state)
            flipped[i] ^= 0x01
            damaged = list(log)
            damaged[target] = replace(log[target], event=replace(event, state=bytes(flipped)))
            assert verdict(damaged) == ("altered", target + 1)


def test_an_altered_aggregate_version_or_topic_is_named() -> None:
    log = a_log()
    event = log[4].event
    assert event is not None
    for changed in (
        replace(event, version=9),
        replace(event, topic="m:Line.Repaid"),
        replace(event, aggregate_id=str(uuid4())),
    ):
        damaged = list(log)
        damaged[4] = replace(log[4], event=changed)
        assert verdict(damaged) == ("altered", 5)


def test_a_deleted_event_is_named_whether_or_not_its_link_went_too() -> None:
    log = a_log()
    assert verdict(log[:5] + log[6:]) == ("deleted", 7)
    assert verdict(log[:5] + [replace(log[5], event=None)] + log[6:]) == ("deleted", 6)


def test_a_deleted_event_whose_chain_was_recomputed_shows_as_a_version_gap() -> None:
    events = [e.event for e in a_log() if e.event is not None]
    rewritten = chained(events[:4] + events[5:])  # event 5 gone, the chain redone after it
    kind, position = verdict(rewritten)
    gone = events[4]
    after = next(e for e in events[5:] if e.aggregate_id == gone.aggregate_id)
    assert (kind, position) == ("deleted", after.position)  # where its aggregate's version jumps


def test_an_inserted_event_is_named_with_or_without_a_link_of_its_own() -> None:
    log = a_log()
    stranger = Event(6, AGGREGATES[0], 9, "m:Line.Drawn", b"{}")
    moved = [
        replace(
            e,
            position=e.position + 1,
            event=replace(e.event, position=e.position + 1) if e.event else None,
            link=replace(e.link, position=e.position + 1) if e.link else None,
        )
        for e in log[5:]
    ]
    assert verdict(log[:5] + [Entry(6, stranger, None)] + moved) == ("inserted", 6)
    copied = Entry(6, stranger, replace(log[4].link, position=6) if log[4].link else None)
    assert verdict(log[:5] + [copied] + moved) == ("inserted", 6)


def test_two_events_swapped_whole_or_by_their_states_are_named_reordered() -> None:
    log = a_log()
    a, b = log[2].event, log[8].event
    assert a is not None and b is not None
    states = list(log)
    states[2] = replace(log[2], event=replace(a, state=b.state))
    states[8] = replace(log[8], event=replace(b, state=a.state))
    assert verdict(states) == ("reordered", 3)
    rows = list(log)
    rows[2] = replace(log[2], event=replace(b, position=3))
    rows[8] = replace(log[8], event=replace(a, position=9))
    assert verdict(rows) == ("reordered", 3)


def test_a_log_truncated_after_a_checkpoint_is_named_truncated() -> None:
    log = a_log()
    checkpoint = signed(log[-1])
    assert verify_entries(log, [checkpoint], KEY.public_key()).ok
    assert verdict(log[:9], (checkpoint,)) == ("truncated", 10)


def test_a_checkpoint_signed_with_another_key_is_refused() -> None:
    log = a_log()
    forged = signed(log[-1], key=Ed25519PrivateKey.generate())
    assert verdict(log, (forged,)) == ("bad signature", 12)
    tampered = replace(signed(log[-1]), business_date="2026-12-01")
    assert verdict(log, (tampered,)) == ("bad signature", 12)


def test_a_checkpoint_whose_link_the_chain_does_not_have_is_refused() -> None:
    log = a_log()
    events = [e.event for e in log if e.event is not None]
    honest = signed(log[-1])
    events[3] = replace(events[3], state=b'{"amount":"1.00"}')
    rewritten = chained(events)  # altered, and every link after it recomputed
    assert verify_entries(rewritten, [], KEY.public_key()).ok  # the chain alone cannot tell
    assert verdict(rewritten, (honest,)) == ("altered", 12)
    elsewhere = replace(honest, position=7)
    elsewhere = replace(elsewhere, signature=KEY.sign(elsewhere.message()))
    assert verdict(log, (elsewhere,)) == ("altered", 7)


def test_a_log_without_links_is_unchained() -> None:
    log = [replace(e, link=None) for e in a_log()]
    assert verdict(log) == ("unchained", 1)


def test_an_export_reads_back_as_it_was_written() -> None:
    log = a_log(gap_at=3)
    checkpoints = [signed(log[-1])]
    header, entries, read = read_export(export_lines(log, checkpoints, "PEM"))
    assert (header["public_key"], entries, read) == ("PEM", log, checkpoints)


@pytest.mark.parametrize("line", ['{"format": "other"}', '{"position": 1}'])
def test_a_file_that_is_no_export_is_refused(line: str) -> None:
    with pytest.raises(ValueError, match="not a clientbook log export"):
        read_export([line])


def test_a_verdict_trusts_the_log_no_further_than_the_last_checkpoint_that_held() -> None:
    log = a_log()
    events = [e.event for e in log if e.event is not None]
    early, late = signed(log[3], number=1), signed(log[-1], number=2)
    events[6] = replace(events[6], state=b'{"amount":"1.00"}')
    v = verify_entries(chained(events), [early, late], KEY.public_key())
    assert v.damage is not None and (v.damage.kind, v.damage.position) == ("altered", 12)
    assert (v.sound_to, v.checkpoint) == (4, 1)
    assert v.summary().endswith("sound up to position 4, checkpoint 1")
