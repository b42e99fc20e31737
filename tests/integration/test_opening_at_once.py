"""Books opened at the same moment on one PostgreSQL schema: none fails.

Each round, eight processes wait at a barrier, then open a book on a schema that does not
exist yet and register one customer. The library's recorder alone runs its DDL (CREATE OR
REPLACE FUNCTION) in every one of them: 1 to 4 of 8 failed with "tuple concurrently updated".
"""

from __future__ import annotations

import multiprocessing
import queue
from typing import Iterator

import pytest
from books_at_once import open_and_register
from conftest import postgres_schema_url

PROCESSES = 8
ROUNDS = 3


@pytest.fixture
def fresh_schema_urls() -> Iterator[list[str]]:
    """One store URL per round, each on a schema no one has opened yet; dropped afterwards."""
    schemas = [postgres_schema_url() for _ in range(ROUNDS)]
    yield [next(schema) for schema in schemas]
    for schema in schemas:
        next(schema, None)


def test_eight_processes_opening_one_fresh_schema_at_once_all_succeed(
    fresh_schema_urls: list[str],
) -> None:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    processes = [
        context.Process(target=open_and_register, args=(fresh_schema_urls, i, barrier, results))
        for i in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=120) for _ in range(PROCESSES * ROUNDS)]
    except queue.Empty:
        pytest.fail("the processes did not all report within 120 s")
    finally:
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
    failures = sorted(outcome for outcome in outcomes if outcome[2])
    assert failures == [], failures

    from clientbook import ClientBook

    for url in fresh_schema_urls:
        with ClientBook.open(url) as book:
            assert book.head >= PROCESSES and len(book.directory.search()) == PROCESSES
