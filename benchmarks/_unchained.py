"""bench_chain.py's baseline: clientbook's own recorders without the hash chain. Everything
else a save does (keys written with the events, checked reads, the group commit, the append
function's refusal of a taken version) is kept, so that a ratio is the chain's cost alone."""

from __future__ import annotations

from typing import Any, Sequence

from eventsourcing.persistence import StoredEvent
from psycopg.sql import Composed

from clientbook.infrastructure.chain import (
    _APPEND,
    KEYS_TABLE,
    ChainedPostgresApplicationRecorder,
    ChainedSQLiteApplicationRecorder,
)

_LINKS = _APPEND[
    _APPEND.index("    SELECT c.seq, c.link INTO head_seq") : _APPEND.index(
        "    IF given_expected IS NOT NULL"
    )
]
UNCHAINED_APPEND = _APPEND.replace(_LINKS, "")
"""The append function without its head read, links and chain rows (its checked reads, which
follow them, kept)."""


class UnchainedSQLiteRecorder(ChainedSQLiteApplicationRecorder):
    def _append(
        self, c: Any, known: Any, stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]
    ) -> tuple[list[int], Any]:
        """The same transaction (the write lock first), keys and version checks, and the events
        inserted with SQLite choosing their positions: no last row read, no links."""
        keys = kwargs.pop("personal_data_keys", None)
        expected = kwargs.pop("expected_versions", None)
        if keys:
            c.executemany(f"INSERT INTO {KEYS_TABLE} (subject, key) VALUES (?, ?)", keys)
        positions = []
        for e in stored_events:
            c.execute(
                f"INSERT INTO {self.events_table_name} (originator_id, originator_version, "
                "topic, state) VALUES (?, ?, ?, ?)",
                (e.originator_id.hex, e.originator_version, e.topic, e.state),
            )
            positions.append(c.lastrowid)
        if expected:
            self._check_versions(c, expected)
        return positions, None


class UnchainedPostgresRecorder(ChainedPostgresApplicationRecorder):
    def append_function(self, template: str = UNCHAINED_APPEND) -> Composed:
        return super().append_function(template)
