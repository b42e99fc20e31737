"""Shared fixtures: a book on every backend, and hypothesis profiles."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from clientbook import ClientBook

settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# A PostgreSQL book keeps its key-encryption key in a file under the user's configuration folder
# (infrastructure/kek.py): the tests' files go to a folder of their own, removed at the end.
_KEYS = tempfile.mkdtemp(prefix="clientbook-test-keys-")
os.environ["XDG_CONFIG_HOME"] = _KEYS
atexit.register(shutil.rmtree, _KEYS, ignore_errors=True)

POSTGRES_URL = os.environ.get(
    "CLIENTBOOK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("CLIENTBOOK_REQUIRE_POSTGRES") == "1"


def _postgres_unreachable(url: str = POSTGRES_URL, timeout: float = 3) -> str | None:
    """Why PostgreSQL at `url` cannot be reached, or None when it answers.

    Only a failure to connect is a reason to skip; anything else (a bad URL, a bug in this probe,
    a missing driver) raises, so it fails the PostgreSQL cases instead of hiding them."""
    import psycopg

    from clientbook import StoreUnavailable
    from clientbook.infrastructure.store import parse_store_url

    try:  # parsing the URL ensures the schema: it connects, and gives up after `timeout`
        conninfo = parse_store_url(f"{url}?schema=public&timeout={timeout}").postgres_conninfo
        with psycopg.connect(conninfo or "", connect_timeout=max(2, int(timeout))) as connection:
            connection.execute("SELECT 1")
    except (StoreUnavailable, psycopg.OperationalError) as error:  # refused, timed out, auth
        return f"PostgreSQL at {url} is not reachable ({type(error).__name__}: {error})"
    return None


_PG_PROBLEM: list[str | None] = []


def postgres_problem() -> str | None:
    """Why the test PostgreSQL cannot be reached (asked once per session), or None."""
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_postgres_unreachable())
    return _PG_PROBLEM[0]


def drop_schema(schema: str) -> None:
    import psycopg

    from clientbook.infrastructure.store import parse_store_url

    conninfo = parse_store_url(POSTGRES_URL + "?schema=public").postgres_conninfo
    with psycopg.connect(conninfo or "", autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        leftovers = connection.execute(  # a failed test's rebuild shadows (read_side.py)
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s) "
            "OR starts_with(nspname, %s)",
            (f"{schema}__rebuild_", f"{schema[:37]}__rebuild_"),
        ).fetchall()
        for (shadow,) in leftovers:
            connection.execute(f'DROP SCHEMA IF EXISTS "{shadow}" CASCADE')


def require_postgres(problem: str | None, required: bool = REQUIRE_POSTGRES) -> None:
    """Skip the test for the problem, saying so, or fail it when PostgreSQL is required."""
    if problem:
        if required:
            pytest.fail(f"CLIENTBOOK_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(f"{problem}; set CLIENTBOOK_TEST_POSTGRES_URL to run the PostgreSQL cases")


def postgres_schema_url() -> Iterator[str]:
    """A fresh schema for one test, dropped afterwards; skip (or fail under CI) without a server."""
    require_postgres(postgres_problem())
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{POSTGRES_URL}?schema={schema}"
    drop_schema(schema)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store URL: a SQLite file in tmp_path, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'book.db'}"
    else:
        yield from postgres_schema_url()


CARD_DATA = Path(
    os.environ.get("CLIENTBOOK_TEST_DATA")
    or Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "uci-credit-card-default.csv"
)
"""The UCI card data: `CLIENTBOOK_TEST_DATA`, or `../shared/data/` beside the checkout."""
REQUIRE_DATA = os.environ.get("CLIENTBOOK_REQUIRE_DATA") == "1"


def card_data_problem(path: Path = CARD_DATA) -> str | None:
    """Why the card-data tests cannot run, or None when the file is there."""
    if path.is_file():
        return None
    return f"the UCI card data is not at {path} (set CLIENTBOOK_TEST_DATA to the CSV's path)"


def require_card_data(path: Path = CARD_DATA, required: bool = REQUIRE_DATA) -> Path:
    """The card data's path; without it skip, saying why, or fail when it is required."""
    problem = card_data_problem(path)
    if problem:
        if required:
            pytest.fail(f"CLIENTBOOK_REQUIRE_DATA=1 but {problem}")
        pytest.skip(f"{problem}; set CLIENTBOOK_REQUIRE_DATA=1 to make its absence a failure")
    return path


@pytest.fixture
def card_data() -> Path:
    """The UCI card data (CLIENTBOOK_REQUIRE_DATA=1, set by .ci/run, makes it mandatory)."""
    return require_card_data()


@pytest.fixture
def book() -> Iterator[ClientBook]:
    """An in-memory book for fast tests."""
    from clientbook import ClientBook

    with ClientBook.open("memory:") as b:
        yield b


class ThrowawayPostgres:
    """A PostgreSQL cluster of a test's own, on a free port, that the test may stop and start:
    `pg_createcluster VERSION cbtest_<random> -p PORT`, trust authentication, dropped after."""

    def __init__(self, version: str, name: str, port: int) -> None:
        self.version, self.name, self.port = version, name, port
        self._starting: Any = None  # a pg_ctlcluster start still checking the server

    def url(self, *, schema: str, timeout: float, password: str = "") -> str:
        """A store URL on the cluster's `postgres` database (a password only shows it is kept
        out of messages: trust authentication never asks for it)."""
        login = f"postgres:{password}" if password else "postgres"
        where = f"127.0.0.1:{self.port}/postgres"
        return f"postgresql://{login}@{where}?schema={schema}&timeout={timeout}"

    def conninfo(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; `immediate` is a crash: no checkpoint, sessions cut off."""
        self.settle()
        _run("pg_ctlcluster", "-m", mode, self.version, self.name, "stop")

    def start(self) -> None:
        """Start the server; returns as soon as it accepts connections (pg_ctlcluster goes on
        checking it for seconds more: `settle()` waits for that, as stop and drop do)."""
        import subprocess
        import time

        import psycopg

        self.settle()
        self._starting = subprocess.Popen(
            ["pg_ctlcluster", self.version, self.name, "start"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(self.conninfo(), connect_timeout=2).close()
                return
            except psycopg.OperationalError as error:
                if self._starting.poll() not in (None, 0) or time.monotonic() > deadline:
                    self.settle()
                    raise RuntimeError(f"{self.name} did not start: {error}") from None
            time.sleep(0.05)

    def settle(self) -> None:
        """Wait for a start still being checked by pg_ctlcluster; raise if it failed."""
        starting, self._starting = self._starting, None
        if starting is not None:
            _, errors = starting.communicate(timeout=120)
            if starting.returncode != 0:
                raise RuntimeError(f"pg_ctlcluster start {self.name} failed: {errors.strip()}")


def _run(*command: str) -> None:
    import subprocess

    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip() or done.stdout}")


def _throwaway_problem() -> str | None:
    import shutil

    if shutil.which("pg_createcluster") is None or shutil.which("pg_ctlcluster") is None:
        return "pg_createcluster/pg_ctlcluster (postgresql-common) are not installed"
    if os.geteuid() != 0:
        return "creating a PostgreSQL cluster needs root (pg_createcluster)"
    if not _pg_versions():
        return "no PostgreSQL server is installed under /usr/lib/postgresql"
    return None


def _pg_versions() -> list[str]:
    root = Path("/usr/lib/postgresql")
    found = [p.name for p in root.glob("*") if (p / "bin" / "postgres").exists()]
    return sorted(found, key=lambda v: int(v) if v.isdigit() else 0)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A cluster of the module's own that its tests may stop and start (and must leave
    started). Skips, saying why, where clusters cannot be made; fails instead under
    CLIENTBOOK_REQUIRE_POSTGRES=1."""
    problem = _throwaway_problem()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"CLIENTBOOK_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(f"{problem}: the restart tests need a cluster of their own")
    versions = _pg_versions()
    version = "15" if "15" in versions else versions[-1]
    cluster = ThrowawayPostgres(version, f"cbtest_{uuid.uuid4().hex[:10]}", _free_port())
    try:
        _run(
            "pg_createcluster",
            version,
            cluster.name,
            "-p",
            str(cluster.port),
            "--start-conf",
            "manual",
            "--",
            "--auth=trust",
            "--no-sync",
        )
        cluster.start()
    except Exception as error:
        if _cluster_exists(cluster):
            _run("pg_dropcluster", "--stop", version, cluster.name)
        if REQUIRE_POSTGRES:
            pytest.fail(f"CLIENTBOOK_REQUIRE_POSTGRES=1 but no throwaway cluster: {error}")
        pytest.skip(f"no throwaway PostgreSQL cluster: {error}")
    try:
        yield cluster
    finally:
        cluster.settle()
        _run("pg_dropcluster", "--stop", version, cluster.name)


def _cluster_exists(cluster: ThrowawayPostgres) -> bool:
    return Path(f"/etc/postgresql/{cluster.version}/{cluster.name}").exists()


class ThrowawayReplica:
    """A streaming replica of a throwaway cluster: `pg_basebackup -R` of the primary into a
    second cluster of its own, on another port, started as a hot standby."""

    def __init__(self, primary: ThrowawayPostgres, standby: ThrowawayPostgres) -> None:
        self.primary, self.standby = primary, standby

    def urls(self, *, schema: str, timeout: float = 10) -> tuple[str, str]:
        """(the primary's store URL, the replica's) for one schema."""
        return (
            self.primary.url(schema=schema, timeout=timeout),
            self.standby.url(schema=schema, timeout=timeout),
        )


def _basebackup(primary: ThrowawayPostgres, standby: ThrowawayPostgres) -> None:
    import shutil

    data = Path(f"/var/lib/postgresql/{standby.version}/{standby.name}")
    for part in data.iterdir():  # emptied, kept: the folder above it is not postgres's
        shutil.rmtree(part) if part.is_dir() else part.unlink()
    _run(
        "runuser",
        "-u",
        "postgres",
        "--",
        "pg_basebackup",
        "-h",
        "127.0.0.1",
        "-p",
        str(primary.port),
        "-U",
        "postgres",
        "-D",
        str(data),
        "-R",
        "-X",
        "stream",
        "--no-sync",
    )


@pytest.fixture(scope="module")
def throwaway_replica(throwaway_postgres: ThrowawayPostgres) -> Iterator[ThrowawayReplica]:
    """The module's throwaway cluster as a primary, and a streaming replica of it (dropped
    after); skips, saying why, where clusters cannot be made (fails under
    CLIENTBOOK_REQUIRE_POSTGRES=1)."""
    import shutil

    primary = throwaway_postgres
    standby = ThrowawayPostgres(primary.version, f"cbrepl_{uuid.uuid4().hex[:10]}", _free_port())
    try:
        if (
            shutil.which("pg_basebackup") is None
            and not Path(f"/usr/lib/postgresql/{primary.version}/bin/pg_basebackup").exists()
        ):
            raise RuntimeError("pg_basebackup is not installed")
        _run(
            "pg_createcluster",
            standby.version,
            standby.name,
            "-p",
            str(standby.port),
            "--start-conf",
            "manual",
            "--",
            "--auth=trust",
            "--no-sync",
        )
        _basebackup(primary, standby)
        standby.start()
    except Exception as error:
        if _cluster_exists(standby):
            _run("pg_dropcluster", "--stop", standby.version, standby.name)
        if REQUIRE_POSTGRES:
            pytest.fail(f"CLIENTBOOK_REQUIRE_POSTGRES=1 but no streaming replica: {error}")
        pytest.skip(f"no throwaway streaming replica: {error}")
    try:
        yield ThrowawayReplica(primary, standby)
    finally:
        standby.settle()
        _run("pg_dropcluster", "--stop", standby.version, standby.name)


@pytest.fixture
def document_loads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The keys of the documents the views made from now on read back from their tables (the
    `load` of each `Documents`): a view that kept a document reads none."""
    from clientbook.infrastructure.buffered import Documents

    loads: list[object] = []
    made = Documents.__init__

    def counting(
        documents: Any, table: Any, row: Any, load: Any = None, prepare: Any = None
    ) -> None:
        def counted(key: Any) -> Any:
            loads.append(key)
            return load(key)

        made(documents, table, row, None if load is None else counted, prepare)

    monkeypatch.setattr(Documents, "__init__", counting)
    return loads
