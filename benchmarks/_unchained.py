"""bench_chain.py's baseline: clientbook's own recorders without the hash chain. Everything
else a save does (keys written with the events, checked reads, the group commit, the append
function's refusal of a taken version) is kept, so that a ratio is the chain's cost alone."""

from __future__ import annotations

from typing import Any, Sequence

from eventsourcing.persistence import StoredEvent
from psycopg.sql import Composed

from clientbook.infrastructure.chain import (
    _APPEND,
    ChainedPostgresApplicationRecorder,
    ChainedSQLiteApplicationRecorder,
)

_LINKS = _APPEND[
    _APPEND.index("    SELECT c.seq, c.link INTO head_seq") : _APPEND.index("    PERFORM pg_notify")
]
UNCHAINED_APPEND = _APPEND.replace(_LINKS, "")
"""The append function without its head read, links and chain rows."""


class UnchainedSQLiteRecorder(ChainedSQLiteApplicationRecorder):
    def _link(self, c: Any, positions: Sequence[int], stored_events: Sequence[StoredEvent]) -> None:
        """No links."""


class UnchainedPostgresRecorder(ChainedPostgresApplicationRecorder):
    def append_function(self, template: str = UNCHAINED_APPEND) -> Composed:
        return super().append_function(template)
