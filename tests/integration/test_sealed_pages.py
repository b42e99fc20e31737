"""Opening a page's sealed parts: events sealed by earlier versions still decode as they did,
and the ciphers kept for opening go once an erasure is seen, and are bounded."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import StoredEvent

from clientbook import Actor, ClientBook
from clientbook.domain.customer import ERASED
from clientbook.infrastructure import keys as keys_module
from clientbook.infrastructure.kek import AesKeyWrap
from clientbook.infrastructure.keys import KeyStore
from clientbook.infrastructure.mapper import ClientBookMapper
from clientbook.infrastructure.sql import SqliteDatabase
from clientbook.infrastructure.store import parse_store_url

D = date(2026, 11, 2)
CLERK = Actor("u-clerk", {"officer"})
PERSONAL = ("name", "phone", "email", "address", "document_number")

# A customer's events and snapshot as the mapper of main at 4d8f9c8 stored them (the old
# two-step decoder), under a data key wrapped by KEK, with what that mapper decoded them to.
KEK = bytes(range(32))
SUBJECT = UUID("cb0e9a77-fe94-5d7f-a53a-ef2ecbebcf59")
KEY = base64.b64decode("NVju5ldSkKa1wypXom818nYAS3ym8rsFMR86kxOjpi57xZMdxKtPwQ==")
_C = "clientbook.domain.customer:Customer"
_T = '{"timestamp":"2026-12-03T15:15:02.671949Z",'
STORED = [
    (
        1,
        f"{_C}.Registered",
        f'{_T}"originator_topic":"{_C}","by":"u-clerk","number":"C-000042","kind":"individual",'
        '"manager":"m-007","segment":"potential","tier":"none","visit_cycle_days":null,'
        '"on":"2026-11-02","_sealed":{"fields":["address","document_number","email","name",'
        '"phone"],"data":"K31AmIrdhgXcUrYoEiV0LHe8fGOy/WY0//ycR30saUM0w1PJPKdzGzA/+Xgz9MEkN9WZY4L7'
        "iIwXdM4wRoZvGuuZNC7lDcWJcpU+mgO7Pv4CJwe5664vAthLpe2Gr3z8V1P2FVZbRGZInfNH2CVuJJwcl6gJJj7e"
        'RTRTp6gxaOo1/ZuXWieghersKpIgyJvgIYuLFVPpjFcA1LML0ij94ZbuFc+e"}}',
    ),
    (
        2,
        f"{_C}.ConsentGiven",
        f'{_T}"by":"u-clerk","kind":"phone","channel":"in_person","on":"2026-11-02"}}',
    ),
    (
        5,
        f"{_C}.ProfileUpdated",
        f'{_T}"by":"u-clerk","phone":null,"email":null,"address":null,"on":"2026-11-03",'
        '"_sealed":{"fields":["name"],"data":"Wko3KvjqiRxvlz0W4tWPPORBttJxVINksKcqrzhEUTTmx2nNL4YJ'
        '74OTrQKbANLiWQ=="}}',
    ),
    (
        5,
        "eventsourcing.domain:Snapshot",
        f'{_T}"topic":"{_C}","state":{{"$dict":[["_created_on",{{"$datetime":'
        '"2026-12-03T15:15:02.671949+00:00"}],["_modified_on",{"$datetime":'
        '"2026-12-03T15:15:02.672625+00:00"}],["number","C-000042"],["kind","individual"],'
        '["manager","m-007"],["segment","potential"],["tier","none"],["visit_cycle_days",null],'
        '["status","prospect"],["registered_on",{"$date":"2026-11-02"}],["last_seen",'
        '{"$date":"2026-11-02"}],["restricted",null],["lapsed",false],["last_contact",null],'
        '["contacts",0],["surveys",[]],["lost_reason",null],["erased",false],["consents",'
        '{"$dict":[["phone",{"$tuple":["in_person",{"$date":"2026-11-02"}]}],["email",{"$tuple":'
        '["in_person",{"$date":"2026-11-02"}]}],["address",{"$tuple":["in_person",{"$date":'
        '"2026-11-02"}]}]]}],["withdrawn",{"$set":[]}],["segment_proposal",null],["_sealed",'
        '{"$dict":[["fields",["address","document_number","email","name","phone"]],["data",'
        '"sKGN4Vi8XheigXQXBuydWhD22cTSYywKGlp5CViGlIOkbpVWwxFKMHYlJmtIjUrA9xZ4168qpSZN331iDeNQX8r0'
        "tf5PojCqKNvKN2OGXDA8MyJhIM1GEZkzkyzQE9MprZT7uP3cnaosxjgSGy8YLcDJX+Mnxa2OJGbf9SRo0c5Y9kpKwu"
        '5i0aMD6L4As0rjU2G2WD3B+X2n2KPA/cv501tsOyVxC73f2sVQae2p704hgqh2JEcHlmGe/+bS"]]}]]}}',
    ),
]
REGISTERED = {
    "address": "1 Road, Beijing",
    "document_number": "11010519491231002X",
    "email": "li@example.com",
    "name": "Li Lei",
    "phone": "+86 138 1111 2222",
}
DECODED = [
    REGISTERED,
    {},
    {"phone": None, "email": None, "address": None, "name": "Li Lei Jr."},
    {**REGISTERED, "name": "Li Lei Jr."},
]
ERASED_DECODED = [
    dict.fromkeys(REGISTERED, ERASED),
    {},
    {"phone": None, "email": None, "address": None, "name": ERASED},
    dict.fromkeys(REGISTERED, ERASED),
]


def old_log() -> tuple[ClientBookMapper, list[StoredEvent]]:
    database = SqliteDatabase(":memory:")
    keys = KeyStore(database, AesKeyWrap(KEK, "the test's key"))
    database.execute(
        "INSERT INTO personal_data_keys (subject, key) VALUES (?, ?)", (str(SUBJECT), KEY)
    )
    stored = [StoredEvent(SUBJECT, v, topic, state.encode()) for v, topic, state in STORED]
    return ClientBookMapper(keys), stored


def personal(event: Any) -> dict[str, Any]:
    state = event.state if hasattr(event, "state") else vars(event)
    return {k: v for k, v in state.items() if k in PERSONAL}


def test_events_sealed_by_an_earlier_version_decode_as_they_did() -> None:
    mapper, stored = old_log()

    page = mapper.to_domain_events(stored)
    alone = [mapper.to_domain_event(s) for s in stored]

    assert [personal(e) for e in page] == DECODED
    assert [vars(e) for e in alone] == [vars(e) for e in page]
    assert page[-1].mutate(None).name == "Li Lei Jr."  # type: ignore[attr-defined]
    mapper.keys.forget(SUBJECT)
    assert [personal(e) for e in mapper.to_domain_events(stored)] == ERASED_DECODED


@pytest.fixture
def book(store_url: str) -> Iterator[ClientBook]:
    with ClientBook.open(store_url) as b:
        yield b


def register(book: ClientBook, number: str) -> UUID:
    return book.customers.register(
        number=number, kind="individual", name=f"Name of {number}", manager="m-007", by=CLERK, on=D
    )


def names(book: ClientBook) -> dict[UUID, str]:
    notifications = book.app.recorder.select_notifications(start=1, limit=1000)
    mapper: Any = book.app.mapper
    return {e.originator_id: e.name for e in mapper.to_domain_events(notifications)}


def stored_key(book: ClientBook, subject: UUID) -> bytes:
    rows = book.keys._database.query(
        "SELECT key FROM personal_data_keys WHERE subject = ?", (str(subject),)
    )
    return bytes(rows[0][0])


def test_no_cipher_of_an_erased_key_is_kept_once_the_erasure_is_seen(
    book: ClientBook, store_url: str
) -> None:
    """A bare UPDATE on a connection of its own: an erasure by another process."""
    kept, erased = register(book, "C-000001"), register(book, "C-000002")
    assert names(book) == {kept: "Name of C-000001", erased: "Name of C-000002"}
    old_key = stored_key(book, erased)
    assert old_key in book.keys._ciphers  # decoding made it, and keeps it for the next page
    before = list(book.keys._ciphers.values())

    other = parse_store_url(store_url).open_database()
    try:
        other.execute("UPDATE personal_data_keys SET key = ? WHERE subject = ?", (b"", str(erased)))
    finally:
        other.close()

    assert names(book) == {kept: "Name of C-000001", erased: ERASED}
    assert old_key not in book.keys._ciphers
    assert not any(c is old for c in book.keys._ciphers.values() for old in before)


def test_a_forget_here_drops_the_kept_ciphers_at_once(book: ClientBook) -> None:
    cid = register(book, "C-000001")
    assert names(book) == {cid: "Name of C-000001"}
    key = stored_key(book, cid)
    assert key in book.keys._ciphers

    book.keys.forget(cid)

    assert key not in book.keys._ciphers
    assert names(book) == {cid: ERASED}


def test_the_kept_ciphers_are_bounded_and_a_page_past_the_bound_still_opens(
    book: ClientBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keys_module, "_CIPHERS_KEPT", 4)
    ids = [register(book, f"C-{n:06d}") for n in range(1, 11)]

    assert names(book) == {cid: f"Name of C-{n:06d}" for n, cid in enumerate(ids, 1)}
    assert len(book.keys._ciphers) <= 4


def test_sealing_keeps_no_cipher_of_its_own_and_a_bounded_number_of_keys(
    book: ClientBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long-lived process seals for every subject it meets: what it keeps per subject is the
    key (no 2.5 kB cipher), for at most `_SUBJECTS_KEPT` subjects; past the bound, sealing and
    opening go on, and a view's deterministic seal is the same text as before."""
    monkeypatch.setattr(keys_module, "_CIPHERS_KEPT", 4)
    monkeypatch.setattr(keys_module, "_SUBJECTS_KEPT", 5)
    ids = [register(book, f"C-{n:06d}") for n in range(1, 13)]
    first = book.keys.seal_value(ids[0], b"Name of C-000001")
    for cid in ids[1:]:
        book.keys.seal_value(cid, b"a value")  # moves ids[0] out of the kept keys

    assert len(book.keys._cache) <= 5 and len(book.keys._ciphers) <= 4
    assert not any(isinstance(kept, AESGCM) for kept in book.keys._cache.values())
    assert ids[0] not in book.keys._cache
    assert book.keys.seal_value(ids[0], b"Name of C-000001") == first  # read again, same text
    assert names(book) == {cid: f"Name of C-{n:06d}" for n, cid in enumerate(ids, 1)}
    assert [book.customers.get(cid).name for cid in ids] == [
        f"Name of C-{n:06d}" for n in range(1, 13)
    ]


def test_values_sealed_for_views_are_forgotten_once_an_erasure_elsewhere_is_seen(
    book: ClientBook, store_url: str
) -> None:
    """`seal_value` remembers plaintexts; a page that finds the erasure count moved drops them."""
    kept, erased = register(book, "C-000001"), register(book, "C-000002")
    assert names(book) == {kept: "Name of C-000001", erased: "Name of C-000002"}
    book.keys.seal_value(erased, b"Name of C-000002")
    assert (erased, b"Name of C-000002") in book.keys._sealed

    other = parse_store_url(store_url).open_database()
    try:
        other.execute("UPDATE personal_data_keys SET key = ? WHERE subject = ?", (b"", str(erased)))
    finally:
        other.close()

    assert names(book)[erased] == ERASED
    assert book.keys._sealed == {}
