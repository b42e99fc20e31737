"""What the read side records about itself, and what it needs from the outside to run in many
processes: failures, operators' decisions, versions, leases and wake-ups.

The runner (runner.py) works through these interfaces only; `infrastructure/read_side.py`
keeps them in the book's SQLite file or PostgreSQL schema, beside the views.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Protocol, Sequence

from attrs import frozen


@frozen
class Failure:
    """A projection stopped at an event its handler could not process."""

    position: int
    event_type: str
    error: str
    at: datetime


@frozen
class Decision:
    """An operator's decision about a stopped projection: `retry` it, or `skip` one event."""

    projection: str
    decision: str
    position: int | None
    actor: str
    reason: str
    at: datetime


@frozen
class ProjectionStatus:
    """One projection as an operator sees it (`clientbook projections status`)."""

    name: str
    version: int
    stored_version: int | None
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    state: str
    """`running` (a worker holds its lease), `idle`, `failed` or `rebuilding`."""
    needs_rebuild: bool
    failure: Failure | None
    holder: str | None
    """Which worker holds the projection's lease, if any does."""
    last_decision: Decision | None


class ReadSideRecords(Protocol):
    """Failures, decisions, versions and rebuilds of the projections, kept with the views."""

    def positions(self, application_name: str) -> dict[str, int]:
        """Every view's tracked position, by projection name (the views share the records'
        database)."""

    def versions(self) -> dict[str, int]: ...

    def set_version(self, projection: str, version: int) -> None: ...

    def failures(self) -> dict[str, Failure]: ...

    def fail(self, projection: str, failure: Failure) -> None: ...

    def clear_failure(self, projection: str) -> None: ...

    def decide(self, decision: Decision) -> None: ...

    def decisions(self, projection: str | None = None) -> list[Decision]: ...

    def set_rebuilding(self, projection: str, since: datetime | None) -> None: ...

    def rebuilding(self) -> dict[str, datetime]: ...


class Leases(Protocol):
    """Named exclusive leases across processes: one worker per projection, one close of
    business at a time. A lease is released when its holder releases it or dies."""

    holder: str

    def acquire(self, name: str) -> bool:
        """Take the lease if it is free (or already ours); never waits."""

    def owns(self, name: str) -> bool:
        """Whether this holder still has the lease (a lost connection loses it)."""

    def release(self, name: str) -> None: ...

    def taken(self, name: str) -> bool:
        """Whether anyone, this holder included, has the lease now."""

    def holder_of(self, name: str) -> str | None:
        """Who has the lease now, if anyone."""


class Wakeup(Protocol):
    """A hint that new events may have been written (PostgreSQL NOTIFY); never the only one:
    a worker also polls."""

    def wait(self, timeout: float) -> None: ...

    def close(self) -> None: ...


class Shadows(Protocol):
    """Rebuilds without downtime: a projection's view built afresh elsewhere while the old one
    answers, then swapped in, in one transaction, at the position the new one reached."""

    def open(self, view: object) -> object:
        """A new, empty view of the same class, in tables of its own."""

    def finish_ahead(self, shadows: Sequence[object]) -> None:
        """The shadows are complete: what they still hold back may be written now, while
        others are swapped in (each swap waits for its shadow's)."""

    def swap(
        self, view: object, shadow: object, application_name: str, finish: Callable[[], int]
    ) -> int:
        """In one transaction: lock the view, replace its tables by the shadow's and its
        position by the shadow's, then let `finish` apply to it whatever the log gained
        meanwhile; returns the position the view then stands at."""

    def discard(self, shadow: object) -> None: ...


class Helper(Protocol):
    """A rebuild running in another process (`Helpers`)."""

    def wait(self) -> str | None:
        """Wait for it to end: None when it rebuilt its projections, else why it did not."""

    def stop(self) -> None:
        """End it now (this process is stopping); its shadows are begun afresh next time."""


class Helpers(Protocol):
    """Rebuilds in other processes: a book opened again, elsewhere, that rebuilds the named
    projections of the same store and ends."""

    def __call__(self, names: list[str]) -> Helper: ...
