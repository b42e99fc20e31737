"""Report-state checkpoints: a report as of a date resumes its fold from a log position.

A report as of a date (the card portfolio, the complaints report) folds facts in log order by
the one as-of rule. Its fold's state at a position — for one as-of date and its other
parameters, over the facts of one projection version — is a checkpoint: a later report with the
same parameters takes the nearest checkpoint at or before its position and folds only the facts
after it. A fact recorded later for an earlier date (a back-dated event) lies after the
checkpoint, so it is folded like any other: a checkpoint describes its own date at its own
position, and serves nothing else. Checkpoints are made on demand, when a report folded many
facts past the nearest one, at the position its facts were complete to.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

F = TypeVar("F", contravariant=True)
Fo = TypeVar("Fo", bound="Fold[Any]")

CHECKPOINT_AFTER = 5_000
"""Facts folded past the nearest checkpoint that make a new one worth writing."""


class Fold(Protocol[F]):
    """A report's state over the facts folded so far."""

    def add(self, fact: F) -> None: ...

    def encode(self) -> bytes: ...


class ReportCheckpoints(ABC):
    """Where checkpoints are kept: by report, parameters key and log position."""

    every = CHECKPOINT_AFTER
    """Facts folded past the nearest checkpoint that make a new one worth writing."""

    @abstractmethod
    def nearest(self, report: str, key: str, position: int) -> tuple[int, bytes] | None:
        """The checkpoint at the highest position not after `position` (None: there is none)."""

    @abstractmethod
    def put(self, report: str, key: str, position: int, state: bytes) -> None:
        """Keep a checkpoint (another with the same report, key and position is the same)."""


Facts = Callable[[int, int], tuple[int, Iterator[F]]]
"""(after, up_to) -> the position the facts are complete to, and the facts in log order."""


def resumed(
    checkpoints: ReportCheckpoints | None,
    report: str,
    key: str,
    position: int,
    start: Callable[[], Fo],
    restore: Callable[[bytes], Fo],
    facts: Facts[F],
) -> Fo:
    """The fold up to `position`: from the nearest checkpoint (or from nothing), then the facts
    after it; a new checkpoint when that took many facts."""
    found = checkpoints.nearest(report, key, position) if checkpoints else None
    after, fold = (found[0], restore(found[1])) if found else (0, start())
    through, new = facts(after, position)
    folded = 0
    for fact in new:
        fold.add(fact)
        folded += 1
    if checkpoints is not None and folded >= checkpoints.every and through > after:
        checkpoints.put(report, key, through, fold.encode())
    return fold
