"""The one eventsourcing Application: every aggregate of a book writes to its one log."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Mapper

from clientbook.domain.card import CardAccount
from clientbook.domain.errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from clientbook.application.idempotency import Idempotency

A = TypeVar("A", bound=Aggregate)
MapperBuilder = Callable[[Any, Any], Mapper[UUID]]  # (cipher, compressor) -> mapper

MAX_EVENTS_PER_SAVE = 2000
"""Bulk work saves many aggregates per call, but never a very large single insert."""


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply events in order. The library's projector does the same after an isinstance check
    against a runtime Protocol per event, which is most of the cost of a load on Python 3.11."""
    for domain_event in events:
        aggregate = domain_event.mutate(aggregate)
    return aggregate


class ClientBookApplication(Application[UUID]):
    """The book's event store and its one totally ordered log (the notification log)."""

    name = "ClientBook"
    env = {"AGGREGATE_CACHE_MAXSIZE": "5000"}
    """Recently used aggregates stay in memory; each load still reads any newer events first
    (fast-forward), so another process's writes are seen."""
    snapshotting_intervals = {CardAccount: 100}
    """Card accounts live for years and collect thousands of events: snapshot every 100."""
    part_size = 500
    """Aggregates per part of a close-of-business step (see batches.py): each part is one save,
    with its idempotency key; a few events per aggregate keep it within about 2,000."""

    def __init__(self, env: dict[str, str] | None = None, *, mapper: MapperBuilder | None = None):
        self._mapper_builder = mapper
        self._written = threading.local()
        self._deferred = threading.local()
        self._idempotency: Idempotency | None = None
        super().__init__(env)

    @property
    def last_written(self) -> int:
        """The position of the last event this thread saved (0 if none)."""
        return getattr(self._written, "position", 0)

    def note_written(self, position: int) -> None:
        """This thread's commands have written up to this position (a keyed retry's first
        result counts as written)."""
        self._written.position = max(position, self.last_written)

    @property
    def idempotency(self) -> Idempotency:
        """The book's idempotency keys (see application/idempotency.py)."""
        if self._idempotency is None:
            from clientbook.application.idempotency import Idempotency  # it builds on this module

            self._idempotency = Idempotency(self)
        return self._idempotency

    @contextmanager
    def deferred_saves(self) -> Iterator[list[Aggregate]]:
        """Inside, this thread's `save_all` collects the aggregates instead of writing them, so
        that a keyed command writes them, with its key's record, in one save afterwards."""
        stack: list[list[Aggregate]] = self._deferred.__dict__.setdefault("stack", [])
        stash: list[Aggregate] = []
        stack.append(stash)
        try:
            yield stash
        finally:
            stack.pop()

    def construct_mapper(self) -> Mapper[UUID]:
        if self._mapper_builder is None:
            return super().construct_mapper()
        return self._mapper_builder(self.factory.cipher(), self.factory.compressor())

    def get(
        self,
        cls: type[A],
        aggregate_id: UUID,
        what: str,
        error: type[NotFoundError] = NotFoundError,
    ) -> A:
        """Load an aggregate, or raise a domain error naming what was not found."""
        try:
            aggregate = self.repository.get(aggregate_id, projector_func=replay)
        except AggregateNotFoundError:
            raise error(f"{what} {aggregate_id} does not exist") from None
        if not isinstance(aggregate, cls):
            raise error(f"{aggregate_id} is a {type(aggregate).__name__}, not a {what}")
        return aggregate

    def change(
        self,
        cls: type[A],
        aggregate_id: UUID,
        what: str,
        error: type[NotFoundError],
        command: Callable[[A], object],
    ) -> None:
        """Load, give one command, save: the shape of every single-aggregate command."""
        aggregate = self.get(cls, aggregate_id, what, error)
        command(aggregate)
        self.save_all(aggregate)

    def get_version(self, aggregate_id: UUID, version: int) -> Any:
        """The aggregate as it was at a version (its events up to that one, replayed)."""
        return self.repository.get(aggregate_id, version=version, projector_func=replay)

    def exists(self, aggregate_id: UUID) -> bool:
        """Whether the aggregate has any event: one indexed query for its first stored event
        (the repository's `in` would load it: a snapshot query, an events query, a decode)."""
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def version_at(self, aggregate_id: UUID, topics: Sequence[str], position: int) -> int:
        """How many of an aggregate's events the log held at a position (its version then);
        `topics` are its event classes' topics, so only those notifications are read."""
        notifications = self.recorder.select_notifications(
            start=1, limit=10**9, stop=position, topics=topics
        )
        return sum(1 for n in notifications if n.originator_id == aggregate_id)

    def save_all(self, *aggregates: Aggregate) -> int | None:
        """Save atomically; a concurrent change to the same aggregate raises ConflictError.
        Inside `deferred_saves` the aggregates are collected instead (and None returned)."""
        stack = self._deferred.__dict__.get("stack")
        if stack:
            stack[-1].extend(aggregates)  # one aggregate twice: its events are taken once
            return None
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            names = ", ".join(f"{type(a).__name__} {a.id}" for a in aggregates)
            raise ConflictError(
                f"{names} was changed by someone else at the same time; nothing of this "
                "command was written: reload and try again"
            ) from None
        if not recordings:
            return None
        position = max(r.notification.id for r in recordings)
        self.note_written(position)
        return position

    def command_each(self, cls: type[A], ids: Iterable[UUID], command: Callable[[A], bool]) -> int:
        """Give each aggregate a command that says whether it changed; save the changed ones
        in batches and return how many there were (the shape of a close-of-business step)."""
        changed = []
        for aggregate_id in ids:
            aggregate = self.get(cls, aggregate_id, cls.__name__)
            if command(aggregate):
                changed.append(aggregate)
        return self.save_in_batches(changed)

    def save_in_batches(self, aggregates: Iterable[Aggregate]) -> int:
        """Save many aggregates, a bounded number of events per transaction; returns the count."""
        saved = 0
        for batch in _batches(aggregates):
            self.save_all(*batch)
            saved += len(batch)
        return saved


def _batches(aggregates: Iterable[Aggregate]) -> Iterator[list[Aggregate]]:
    batch: list[Aggregate] = []
    pending = 0
    for aggregate in aggregates:
        count = len(aggregate.pending_events)
        if batch and pending + count > MAX_EVENTS_PER_SAVE:
            yield batch
            batch, pending = [], 0
        batch.append(aggregate)
        pending += count
    if batch:
        yield batch
