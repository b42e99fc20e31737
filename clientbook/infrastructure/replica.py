"""Queries and reports from a PostgreSQL streaming replica; commands stay on the primary.

A replica holds what the primary held some moments ago: its log, its views (kept by workers
on the primary, replicated like any table) and its keys. Before each query the book asks the
primary for its current WAL position and waits, up to `max_lag` seconds, until the replica has
replayed that far; a replica that has not is reported (`ReplicaBehind`), never silently read.
So a query on the replica sees at least everything committed on the primary before it was
asked (an erasure included), and `at_least=position` then waits for the views to reach the
position, as on the primary (docs/operations.md, "Replicas").
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

from clientbook.domain.errors import ReplicaBehind
from eventsourcing.projection import Projection
from psycopg.conninfo import conninfo_to_dict

from clientbook.infrastructure.postgres import describe
from clientbook.infrastructure.sql import SqlDatabase
from clientbook.infrastructure.store import Store
from clientbook.projections.runner import LATEST, ProjectionRunner

_POLL = 0.01  # how often a waiting query asks the replica again

_REPLAYED = (
    "SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn() >= ?::pg_lsn, false), "
    "coalesce(pg_wal_lsn_diff(?::pg_lsn, pg_last_wal_replay_lsn()), 0)::bigint"
)


class ReplicaLag:
    """How far the replica trails the primary, checked against the book's bound."""

    def __init__(
        self, primary: SqlDatabase, replica: SqlDatabase, store: Store, bound: float
    ) -> None:
        self.primary, self.replica, self.bound = primary, replica, bound
        params = conninfo_to_dict(store.postgres_conninfo or "")
        self.where = describe(params, store.postgres_schema)

    def check(self) -> None:
        """Return once the replica has replayed the primary's WAL as it stands now; raise
        ReplicaBehind if that takes longer than the bound."""
        wanted = self.primary.query("SELECT pg_current_wal_lsn()::text")[0][0]
        deadline = time.monotonic() + self.bound
        while True:
            standby, replayed, behind = self.replica.query(_REPLAYED, (wanted, wanted))[0]
            if replayed or not standby:  # promoted, it is a primary: nothing to wait for
                return
            if time.monotonic() >= deadline:
                raise ReplicaBehind(
                    f"the replica {self.where} is {behind:,} bytes of WAL behind its primary "
                    f"after {self.bound:g} s (the book's max_lag): its answers would be stale; "
                    "query again later, or without the replica",
                    lag_bytes=int(behind),
                    bound=self.bound,
                )
            time.sleep(_POLL)


class ReplicaRunner(ProjectionRunner):
    """A runner over the replica's views that never writes (a replica cannot): workers on the
    primary keep the views; a query checks the replica's lag, then waits for `at_least`."""

    def __init__(
        self,
        app: Any,
        projections: Sequence[Projection[Any]],
        *,
        lag: ReplicaLag,
        primary_head: Callable[[], int],
        **options: Any,
    ) -> None:
        super().__init__(app, projections, **options)
        self.lag = lag
        self._primary_head = primary_head

    def ensure(self, projections: Sequence[Projection[Any]], at_least: int | None) -> int:
        self.lag.check()
        if at_least == LATEST:
            at_least = self._primary_head()  # the log's head is the primary's
        return super().ensure(projections, at_least)

    def _worker_keeps(self, projections: Sequence[Projection[Any]]) -> bool:
        return True
