"""The one eventsourcing Application: every aggregate of a book writes to its one log."""

from __future__ import annotations

import copy
import threading
import weakref
from contextlib import contextmanager
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Protocol,
    Sequence,
    TypeVar,
)
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    EventStore,
    IntegrityError,
    Mapper,
    Notification,
    Recording,
    StoredEvent,
)

from clientbook.domain.card import CardAccount
from clientbook.domain.errors import ConflictError, DomainError, NotFoundError
from clientbook.projections.view import decode_page

if TYPE_CHECKING:
    from clientbook.application.idempotency import Idempotency

A = TypeVar("A", bound=Aggregate)
MapperBuilder = Callable[[Any, Any], Mapper[UUID]]  # (cipher, compressor) -> mapper

MAX_EVENTS_PER_SAVE = 2000
"""Bulk work saves many aggregates per call, but never a very large single insert."""
LOAD_PAGE = 500
"""Aggregates a batch loads with one query (their snapshots and the events after them)."""
AGGREGATE_CACHE_MIB = 256
"""The memory the aggregate cache takes at most by default. A batch that walks more aggregates
than the cache holds loads those beyond it from the store (a snapshot decoded, up to 19 events
replayed), about ten times a cached load: a budget that holds a book's card accounts keeps its
close of business at the cached rate (benchmarks/README.md, issue 16)."""
CACHED_AGGREGATE_BYTES = 6_500
"""What one cached aggregate is counted at: a loaded card account, the largest of the ones
batches walk, held 6,316 bytes on a 10,000-account book (benchmarks/bench_account_memory.py)."""


class BulkReader(Protocol):
    """A recorder that answers a page of aggregates in one query (infrastructure/bulk_reads.py):
    per aggregate, its newest snapshot after the version known, and the events after that."""

    def select_latest(
        self, known: Mapping[UUID, int], snapshots_table: str | None
    ) -> dict[UUID, tuple[StoredEvent | None, list[StoredEvent]]]: ...


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply events in order. The library's projector does the same after an isinstance check
    against a runtime Protocol per event, which is most of the cost of a load on Python 3.11."""
    for domain_event in events:
        aggregate = domain_event.mutate(aggregate)
    return aggregate


class _Collected(ProcessingEvent[UUID]):
    """The library's processing event, collecting our aggregates' events after a nominal type
    check: its runtime Protocol checks cost about 30 µs an aggregate, a tenth of a batch save."""

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        others = []
        for obj in objs:
            if isinstance(obj, Aggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            else:
                others.append(obj)
        super().collect_events(*others, **kwargs)


class StaleReadError(ConflictError):
    """An aggregate a command read from memory (`checked_read`) changed before the command was
    saved; nothing was written. The keyed command wrapper gives the command again."""


KeyRows = Sequence[tuple[str, bytes]]
SEALING_ATTEMPTS = 3
"""How often a save is sealed again after another save stored a key it had made (a race)."""


class PendingKeys(Protocol):
    """Keys made for events being saved (infrastructure/keys.py, KeyStore)."""

    def written(self, rows: KeyRows) -> None: ...

    def raced(self, rows: KeyRows) -> bool: ...

    def write_pending(self, rows: KeyRows) -> bool: ...


class PagedEventStore(EventStore[UUID]):
    """The library's event store, decoding what a read returns as one page (`decode_page`):
    a load's events cost one key query between them, not one per sealed event.

    A save writes the personal-data keys its events were sealed with and made meanwhile
    (the mapper's `keys_to_write`) in its own transaction, when the recorder can
    (`writes_personal_data_keys`): a registration is one transaction, one round trip on
    PostgreSQL, and keys and events commit together or not at all. A key that another save
    stored first (here or in another process) fails the insert; the save is then sealed again
    with the stored key and retried, so no event is ever stored under a key that is not the
    subject's stored one. Without such a recorder (the in-memory log) the keys are written
    just before, in a transaction of their own."""

    def put(self, domain_events: Sequence[Any], **kwargs: Any) -> list[Recording[UUID]]:
        keys_to_write = getattr(self.mapper, "keys_to_write", None)
        if keys_to_write is None:
            return super().put(domain_events, **kwargs)
        keys: PendingKeys = getattr(self.mapper, "keys")
        with_events = getattr(self.recorder, "writes_personal_data_keys", False)
        for attempt in range(1, SEALING_ATTEMPTS + 1):
            stored = [self.mapper.to_stored_event(e) for e in domain_events]
            rows = keys_to_write(stored)
            if rows and not with_events and not keys.write_pending(rows):
                continue  # another key was stored first: seal again with it
            try:
                if rows and with_events:
                    positions = self.recorder.insert_events(
                        stored, **kwargs, personal_data_keys=rows
                    )
                else:
                    positions = self.recorder.insert_events(stored, **kwargs)
            except IntegrityError:
                if rows and with_events and keys.raced(rows) and attempt < SEALING_ATTEMPTS:
                    continue
                raise
            if rows and with_events:
                keys.written(rows)
            return _recordings(domain_events, stored, positions)
        raise IntegrityError("personal-data keys kept changing while the save was sealed")

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[Any]:
        stored = self.recorder.select_events(
            originator_id=originator_id, gt=gt, lte=lte, desc=desc, limit=limit
        )
        return iter(decode_page(self.mapper, stored) if stored else ())


def _recordings(
    domain_events: Sequence[Any], stored: Sequence[StoredEvent], positions: Sequence[int] | None
) -> list[Recording[UUID]]:
    """What the library's `EventStore.put` returns: each event with its notification."""
    if not positions:
        return []
    assert len(positions) == len(stored)
    return [
        Recording(
            d,
            Notification(
                originator_id=s.originator_id,
                originator_version=s.originator_version,
                topic=s.topic,
                state=s.state,
                id=n,
            ),
        )
        for d, s, n in zip(domain_events, stored, positions, strict=True)
    ]


class ClientBookApplication(Application[UUID]):
    """The book's event store and its one totally ordered log (the notification log)."""

    name = "ClientBook"
    env = {"AGGREGATE_CACHE_MAXSIZE": str(AGGREGATE_CACHE_MIB * 2**20 // CACHED_AGGREGATE_BYTES)}
    """Recently used aggregates stay in memory, as many as the memory budget holds (about
    41,000); each load still reads any newer events first (fast-forward), so another process's
    writes are seen. CLIENTBOOK_AGGREGATE_CACHE_MAXSIZE sets another count."""
    snapshotting_intervals = {CardAccount: 20}
    """Card accounts live for years and collect thousands of events: a snapshot whenever a save
    takes one past a multiple of 20 (of the account as saved, all of a save's in one write), so
    that a batch loading more accounts than the cache holds replays fewer than 20 events of
    each."""
    part_size = 500
    """Aggregates per part of a close-of-business step (see batches.py): each part is one save,
    with its idempotency key; a few events per aggregate keep it within about 2,000."""

    def __init__(self, env: dict[str, str] | None = None, *, mapper: MapperBuilder | None = None):
        self._mapper_builder = mapper
        self._written = threading.local()
        self._deferred = threading.local()
        self._idempotency: Idempotency | None = None
        self._lent: weakref.WeakValueDictionary[UUID, Aggregate] = weakref.WeakValueDictionary()
        """Aggregates lent to batches by `load_many`, out of the cache until given back."""
        self._checked_reads: dict[UUID, tuple[int, Aggregate | None]] = {}
        self._expected = threading.local()
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

    def construct_event_store(self) -> EventStore[UUID]:
        return PagedEventStore(mapper=self.mapper, recorder=self.recorder)

    def construct_snapshot_store(self) -> EventStore[UUID]:
        recorder = self.factory.aggregate_recorder(purpose="snapshots")
        return PagedEventStore(mapper=self.mapper, recorder=recorder)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's save, with `_Collected` (the same steps, in the same order)."""
        processing_event = _Collected()
        processing_event.collect_events(*objs, **kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # deprecated in the library, still called there
        return recordings

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """A snapshot of each aggregate a save took past a multiple of its interval, taken from
        the saved aggregate at the version saved, and all of a save's snapshots put at once.

        The library snapshots at the multiple itself, which, when later events of the same save
        moved the aggregate on, it reads back from the store and replays (a query and a decode
        per aggregate: 8% of an import's CPU). Loads start from the newest snapshot, whatever
        its version, so the saved state serves them as well, with fewer events after it."""
        intervals = self.snapshotting_intervals
        if not (self.snapshots and intervals):
            return
        crossed: dict[UUID, Any] = {}
        for event in processing_event.events:
            aggregate: Any = processing_event.aggregates.get(event.originator_id)
            interval = intervals.get(type(aggregate)) if aggregate is not None else None
            if interval is not None and event.originator_version % interval == 0:
                crossed[event.originator_id] = aggregate
        if crossed:
            self.snapshots.put([type(a).Snapshot.take(a) for a in crossed.values()])

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

    def load_many(self, cls: type[A], ids: Sequence[UUID], what: str) -> Iterator[A]:
        """Load many aggregates for a batch, a page at a time: one query per page brings the
        events after what the cache holds, or the newest snapshot and the events after it.

        The aggregates are lent to the batch, not copied: each leaves the cache, and goes back
        when `save_all` saves its changes, or when the batch gives it back unchanged
        (`give_back`); one the batch drops is simply no longer cached. One the cache did not
        hold goes in only while the cache has room: a least-recently-used cache would evict
        each aggregate just before a batch that walks more than it holds comes back to it,
        so that every load would miss."""
        reader: BulkReader = self.recorder  # type: ignore[assignment]
        if not hasattr(reader, "select_latest"):  # the in-memory store: one by one is cheap
            for aggregate_id in ids:
                yield self.get(cls, aggregate_id, what)
            return
        snapshots: Any = self.snapshots.recorder if self.snapshots else None
        table = snapshots.events_table_name if snapshots else None
        for start in range(0, len(ids), LOAD_PAGE):
            page = ids[start : start + LOAD_PAGE]
            cached = self._taken_from_cache(page)
            known = {i: cached[i].version if i in cached else 0 for i in page}
            latest = reader.select_latest(known, table)
            decoded = self._decoded_page(latest)
            for aggregate_id in page:
                found = decoded.get(aggregate_id, (None, []))
                aggregate = self._brought_up(aggregate_id, cached.get(aggregate_id), *found)
                if aggregate is None:
                    raise NotFoundError(f"{what} {aggregate_id} does not exist")
                if not isinstance(aggregate, cls):
                    raise NotFoundError(
                        f"{aggregate_id} is a {type(aggregate).__name__}, not a {what}"
                    )
                self._lent[aggregate_id] = aggregate
                yield aggregate

    def give_back(self, *aggregates: Aggregate) -> None:
        """Aggregates a batch loaded and left unchanged go back to the cache."""
        self._returned([a for a in aggregates if not a.pending_events])

    def _returned(self, aggregates: Iterable[Aggregate]) -> None:
        """Lent aggregates whose state is the log's (unchanged, or just saved) go back to the
        cache: to where they were, or to room it has."""
        cache = self.repository.cache
        for aggregate in aggregates:
            if self._lent.get(aggregate.id) is not aggregate:
                continue
            del self._lent[aggregate.id]
            if cache is not None and (
                aggregate.id in cache.cache or not getattr(cache, "full", False)
            ):
                cache.put(aggregate.id, aggregate)

    def _taken_from_cache(self, ids: Sequence[UUID]) -> dict[UUID, Any]:
        cache = self.repository.cache
        found = {}
        if cache is not None:
            for aggregate_id in ids:
                try:
                    found[aggregate_id] = cache.get(aggregate_id, evict=True)
                except KeyError:
                    pass
        return found

    def _decoded_page(
        self, latest: Mapping[UUID, tuple[StoredEvent | None, list[StoredEvent]]]
    ) -> dict[UUID, tuple[Any, list[Any]]]:
        """A page of aggregates' snapshots and events decoded in one call of the mapper (the
        keys of all their sealed fields in one query, see `decode_page`)."""
        stored: list[StoredEvent] = []
        for snapshot, events in latest.values():
            stored.extend([snapshot, *events] if snapshot is not None else events)
        decoded = iter(decode_page(self.mapper, stored))
        out = {}
        for aggregate_id, (snapshot, events) in latest.items():
            first = next(decoded) if snapshot is not None else None
            out[aggregate_id] = (first, [next(decoded) for _ in events])
        return out

    def _brought_up(self, aggregate_id: UUID, cached: Any, snapshot: Any, events: list[Any]) -> Any:
        """The aggregate at the head of its (decoded) events: the cached one fast-forwarded
        (under the repository's lock for it, which a concurrent load may hold), else rebuilt.
        A cached one with no newer event is the log's as it is: no lock to take."""
        if cached is None or snapshot is not None:
            return replay(None, [snapshot, *events] if snapshot else events)
        if not events:
            return cached
        repository = self.repository
        lock = repository._use_fastforward_lock(aggregate_id)
        try:
            with lock:
                return replay(cached, [e for e in events if e.originator_version > cached.version])
        finally:
            repository._disuse_fastforward_lock(aggregate_id)

    def change(
        self,
        cls: type[A],
        aggregate_id: UUID,
        what: str,
        error: type[NotFoundError],
        command: Callable[[A], object],
    ) -> None:
        """Load, give one command, save: the shape of every single-aggregate command.

        The load is a copy of the cached aggregate when the cache holds it, with no read of the
        log: the save is the check, since its insert fails when another writer stored a newer
        event of the aggregate (the version it writes is taken). Then, or when the command
        refuses or changes nothing on the copy (which may be behind the log), the command is
        given again to the aggregate as the log has it, and that answer stands. Inside
        `deferred_saves` the save comes later, so the load reads the log as before."""
        if not self._deferred.__dict__.get("stack"):
            draft = self._cached_copy(cls, aggregate_id)
            if draft is not None:
                try:
                    command(draft)
                    if draft.pending_events:
                        self.save_all(draft)
                        self._cache_saved(draft)
                        return
                except StaleReadError:
                    raise  # the command is given again from its start (keyed.py)
                except DomainError:
                    pass  # judged on a copy that may be behind the log: judge again
        aggregate = self.get(cls, aggregate_id, what, error)
        command(aggregate)
        self.save_all(aggregate)
        self._cache_saved(aggregate)

    def _cached_copy(self, cls: type[A], aggregate_id: UUID) -> A | None:
        """A copy of the cached aggregate (commands change it, never the cached one), if any."""
        cache = self.repository.cache
        if cache is None:
            return None
        try:
            cached = cache.get(aggregate_id)
        except KeyError:
            return None
        return copy.deepcopy(cached) if type(cached) is cls else None

    def _cache_saved(self, aggregate: Aggregate) -> None:
        """A saved aggregate is the log's state: the cache holds it (the library's save caches
        only without fast-forward; the next load reads any newer events anyway)."""
        cache = self.repository.cache
        if cache is not None and not aggregate.pending_events:
            cache.put(aggregate.id, aggregate)

    def checked_read(self, cls: type[A], aggregate_id: UUID, what: str) -> A | None:
        """An aggregate a command only reads (the book's policy), or None if it does not
        exist, from memory, with no read of the log, where the recorder can check it: this
        thread's next saves then carry the version read (`expected_versions`), and the
        recorder fails a save, inside its transaction and after the log's write lock, when the
        aggregate has moved on since (an IntegrityError, which `save_all` tells from a
        conflict and raises as StaleReadError: the command is given again, on a fresh read).
        Without such a recorder (the in-memory log) it is a load, as before."""
        if not getattr(self.recorder, "checks_expected_versions", False):
            try:
                return self.get(cls, aggregate_id, what)
            except NotFoundError:
                return None
        found = self._checked_reads.get(aggregate_id)
        if found is None:
            try:
                aggregate: Aggregate | None = self.get(cls, aggregate_id, what)
            except NotFoundError:
                aggregate = None
            found = (0 if aggregate is None else aggregate.version, aggregate)
            self._checked_reads[aggregate_id] = found
        expected: dict[UUID, int] = self._expected.__dict__.setdefault("versions", {})
        expected[aggregate_id] = found[0]
        return found[1]  # type: ignore[return-value]

    @contextmanager
    def command_reads(self) -> Iterator[None]:
        """The scope of a command's checked reads (keyed.py): its saves carry the reads it
        makes itself, and no save after it carries them. A command given inside another
        (nested) shares the outer one's."""
        local = self._expected.__dict__
        outer = local.get("depth", 0) == 0
        if outer:
            local.pop("versions", None)
        local["depth"] = local.get("depth", 0) + 1
        try:
            yield
        finally:
            local["depth"] -= 1
            if outer:
                local.pop("versions", None)

    def get_version(self, aggregate_id: UUID, version: int) -> Any:
        """The aggregate as it was at a version (its events up to that one, replayed)."""
        return self.repository.get(aggregate_id, version=version, projector_func=replay)

    def exists(self, aggregate_id: UUID) -> bool:
        """Whether the aggregate has any event: one indexed query for its first stored event
        (the repository's `in` would load it: a snapshot query, an events query, a decode)."""
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def version_at(self, aggregate_id: UUID, topics: Sequence[str], position: int) -> int:
        """How many of an aggregate's events the log held at a position (its version then);
        `topics` are its event classes' topics, so only those notifications are read (a
        recorder that can read it by the aggregate's key does, infrastructure/bulk_reads.py)."""
        by_key = getattr(self.recorder, "version_at", None)
        if by_key is not None:
            return int(by_key(aggregate_id, position))
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
        changed = [a for a in aggregates if a.pending_events]
        expected = self._expected.__dict__.get("versions")
        if expected:
            expected = self._outside(expected, changed)
        try:
            recordings = self._saved(changed, aggregates, expected)
        except IntegrityError:
            if expected and self._stale(expected):
                raise StaleReadError(
                    "what this command read changed before it was saved; nothing was written"
                ) from None
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

    def _outside(self, expected: dict[UUID, int], changed: Sequence[Aggregate]) -> dict[UUID, int]:
        """The checked reads a save must have the recorder check: those of aggregates it does
        not write itself. One it writes must be the version read, as its first new event says
        (the store's uniqueness then checks it); if not, the read was stale."""
        outside = dict(expected)
        for aggregate in changed:
            if aggregate.id in outside:
                read = outside.pop(aggregate.id)
                if aggregate.pending_events[0].originator_version != read + 1:
                    self._checked_reads.pop(aggregate.id, None)
                    raise StaleReadError(
                        f"{type(aggregate).__name__} {aggregate.id} changed after this command "
                        "read it; nothing was written"
                    )
        return outside

    def _stale(self, expected: Mapping[UUID, int]) -> bool:
        """Whether a checked read is behind the log (after a save failed): those reads are
        dropped, to be read afresh."""
        stale = False
        for aggregate_id, version in expected.items():
            last = self.recorder.select_events(aggregate_id, desc=True, limit=1)
            if (last[0].originator_version if last else 0) != version:
                self._checked_reads.pop(aggregate_id, None)
                stale = True
        return stale

    def _saved(
        self,
        changed: list[Aggregate],
        aggregates: Sequence[Aggregate],
        expected: Mapping[UUID, int] | None = None,
    ) -> list[Recording[UUID]]:
        """Save; lent aggregates go back to the cache when saved, and are never given back
        when the save failed (it took their events: their state is no longer the log's)."""
        try:
            if expected:
                recordings = self.save(*aggregates, expected_versions=sorted(expected.items()))
            else:
                recordings = self.save(*aggregates)
        except BaseException:
            for aggregate in changed:
                if self._lent.get(aggregate.id) is aggregate:
                    del self._lent[aggregate.id]
            raise
        for aggregate in changed:  # a checked read this process changed: read it afresh
            self._checked_reads.pop(aggregate.id, None)
        self._returned(changed)
        return recordings

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
