"""Issue 15: appends from many processes never let a follower skip, repeat or reorder an event.

K writer processes (two threads each, so that saves also share transactions: group commit)
append to one log while a follower in the test's process reads it as the
projection runner does (the positions after the last one it saw, a page at a time). When the
writers are done, what the follower saw must be the log's final order: nothing missed, nothing
twice. The same harness, run on a recorder without the append lock (`_appenders.py`), must see
the follower miss events, so this test can fail."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any, Iterator

import _appenders
import pytest
from conftest import postgres_schema_url

from clientbook.infrastructure.store import parse_store_url

WRITERS, SAVES, PAGE = 4, 100, 25
UNLOCKED = "_appenders:UnlockedRecorder"


def follow_while_writing(env: dict[str, str]) -> tuple[list[int], list[int]]:
    """The positions a follower read, in its order, while WRITERS processes appended; and the
    log's final order."""
    factory, log = _appenders.recorder(env)
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    writers = [
        context.Process(target=_appenders.write, args=(env, w, SAVES, start))
        for w in range(WRITERS)
    ]
    for writer in writers:
        writer.start()
    try:
        start.set()
        seen: list[int] = []
        while True:
            writing = any(writer.is_alive() for writer in writers)  # asked before the read
            page = log.select_notifications(
                seen[-1] if seen else None, PAGE, inclusive_of_start=not seen
            )
            seen += [n.id for n in page]
            if not page and not writing:
                break
        for writer in writers:
            writer.join(timeout=30)
            assert writer.exitcode == 0, f"a writer failed (exit code {writer.exitcode})"
        final = [n.id for n in log.select_notifications(None, 10**6)]
    finally:
        for writer in writers:
            if writer.is_alive():
                writer.kill()
        factory.close()
    return seen, final


@pytest.fixture(params=["sqlite", "postgres"])
def log_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield parse_store_url(f"sqlite:///{tmp_path / 'book.db'}").env
    else:
        for url in postgres_schema_url():
            yield parse_store_url(url).env


def test_a_follower_sees_every_append_of_many_processes_once_in_the_logs_order(
    log_env: dict[str, str],
) -> None:
    seen, final = follow_while_writing(log_env)
    assert len(final) >= WRITERS * SAVES
    assert seen == final


@pytest.fixture
def unlocked_env() -> Iterator[dict[str, Any]]:
    for url in postgres_schema_url():
        yield {**parse_store_url(url).env, "APPLICATION_RECORDER_TOPIC": UNLOCKED}


def test_without_the_append_lock_a_follower_misses_events(unlocked_env: dict[str, str]) -> None:
    """The check above can fail: appends that commit out of position order are passed over."""
    seen, final = follow_while_writing(unlocked_env)
    missed = set(final) - set(seen)
    assert missed, "the follower saw every event although the appends took no lock"
    assert len(seen) == len(set(seen))  # it skips; it never repeats


def test_a_log_made_before_the_append_function_gets_it_when_opened() -> None:
    import uuid

    import psycopg
    from eventsourcing.persistence import StoredEvent

    for url in postgres_schema_url():
        store = parse_store_url(url)
        factory, log = _appenders.recorder(store.env)
        first = log.insert_events([StoredEvent(uuid.uuid4(), 1, _appenders.TOPIC, b"{}")])
        factory.close()
        with psycopg.connect(store.postgres_conninfo or "", autocommit=True) as connection:
            connection.execute(
                f'DROP FUNCTION "{store.postgres_schema}".{log.append_function_name}'
            )
        factory, log = _appenders.recorder(store.env)  # as a book of the older version left it
        try:
            later = log.insert_events([StoredEvent(uuid.uuid4(), 1, _appenders.TOPIC, b"{}")])
            assert later[0] > first[0]
        finally:
            factory.close()


def test_a_conflict_in_a_group_of_saves_fails_only_its_own_save() -> None:
    """Threads saving at once share transactions; the one that conflicts is refused alone."""
    import threading
    import uuid

    from eventsourcing.persistence import IntegrityError, StoredEvent

    for url in postgres_schema_url():
        factory, log = _appenders.recorder(parse_store_url(url).env)
        shared, start = uuid.uuid4(), threading.Barrier(8)
        outcomes: list[str] = []

        def save(n: int) -> None:
            aggregate = shared if n % 2 else uuid.uuid4()  # half of them race for one version
            start.wait()
            try:
                log.insert_events([StoredEvent(aggregate, 1, _appenders.TOPIC, b"{}")])
                outcomes.append("shared" if aggregate == shared else "own")
            except IntegrityError:
                outcomes.append("refused")

        threads = [threading.Thread(target=save, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        factory.close()
        assert sorted(outcomes) == ["own"] * 4 + ["refused"] * 3 + ["shared"]
