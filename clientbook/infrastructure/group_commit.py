"""Group commit: the saves that threads of one process make at the same moment share one
transaction, so they pay for one round trip and one commit (one WAL flush) between them.

No thread of its own: the first thread to save leads. It takes every save queued so far, writes
them in one transaction, and hands each its own positions; if that transaction fails on a
conflict, each save is written again alone, so a conflict fails only the save that caused it.
Saves that queued meanwhile form the next group, led by the first of them (a leader never
serves more than its own group, so no caller waits on others' work for long).
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Sequence

from eventsourcing.persistence import IntegrityError, StoredEvent


class Save:
    """One caller's save, waiting in the queue."""

    __slots__ = ("events", "kwargs", "positions", "error", "done", "wake")

    def __init__(self, events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> None:
        self.events, self.kwargs = events, kwargs
        self.positions: Sequence[int] = ()
        self.error: BaseException | None = None
        self.done = False
        self.wake = threading.Event()


Write = Callable[[Sequence[Save]], Sequence[Sequence[int]]]
"""Writes saves in one transaction; returns each one's positions."""


class GroupCommit:
    def __init__(self, write: Write) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._queue: list[Save] = []
        self._leading = False

    def save(self, events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> Sequence[int]:
        mine = Save(events, kwargs)
        with self._lock:
            self._queue.append(mine)
            lead, self._leading = not self._leading, True
        if not lead:
            mine.wake.wait()  # done by a leader, or made the next leader
        if not mine.done:
            self._lead()
        if mine.error is not None:
            raise mine.error
        return mine.positions

    def _lead(self) -> None:
        with self._lock:
            group, self._queue = self._queue, []
        try:
            self._written(group)
        finally:
            for save in group:
                save.done = True
                save.wake.set()
            with self._lock:
                if self._queue:
                    self._queue[0].wake.set()  # the next group's leader
                else:
                    self._leading = False

    def _written(self, group: list[Save]) -> None:
        try:
            for save, positions in zip(group, self._write(group)):
                save.positions = positions
        except IntegrityError as error:
            if len(group) == 1:
                group[0].error = error
                return
            for save in group:  # which of them conflicted: each alone
                self._written([save])
        except BaseException as error:
            for save in group:
                save.error = error
