"""Shared fixtures: a book on every backend, and hypothesis profiles."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

POSTGRES_URL = os.environ.get(
    "CLIENTBOOK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("CLIENTBOOK_REQUIRE_POSTGRES") == "1"


def _postgres_unreachable() -> str | None:
    try:
        import psycopg

        from clientbook.infrastructure.store import parse_store_url

        conninfo = parse_store_url(POSTGRES_URL + "?schema=public").postgres_conninfo
        with psycopg.connect(conninfo, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except Exception as error:  # any failure to reach it is the reason to skip
        return f"PostgreSQL at {POSTGRES_URL} is not reachable ({type(error).__name__}: {error})"
    return None


_PG_PROBLEM: list[str | None] = []


def postgres_schema_url() -> Iterator[str]:
    """A fresh schema for one test, dropped afterwards; skip (or fail under CI) without a server."""
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_postgres_unreachable())
    problem = _PG_PROBLEM[0]
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"CLIENTBOOK_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(f"{problem}; set CLIENTBOOK_TEST_POSTGRES_URL to run the PostgreSQL cases")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{POSTGRES_URL}?schema={schema}"
    import psycopg

    from clientbook.infrastructure.store import parse_store_url

    conninfo = parse_store_url(POSTGRES_URL + "?schema=public").postgres_conninfo
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store URL: a SQLite file in tmp_path, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'book.db'}"
    else:
        yield from postgres_schema_url()


@pytest.fixture
def book() -> Iterator["ClientBook"]:
    """An in-memory book for fast tests."""
    from clientbook import ClientBook

    with ClientBook.open("memory:") as b:
        yield b
