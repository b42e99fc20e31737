"""The runner: keeps the book's projections current from the one log, in one process or many.

eventsourcing 9.5 cannot subscribe to SQLite, so the runner pulls pages of notifications
(`select_notifications`) on every backend and commits each projection's page of view changes
with the page's last position in one transaction. The view locks its tracking row first and
the runner applies only the events after the position it finds there, so any number of
processes may catch the same view up at once: each event is applied exactly once, and a
catch-up that finds the work done writes nothing.

- `catch_up()` brings every projection to the head in this process (what a book with no
  worker does before answering a query);
- `run()` is a worker: it takes a lease per projection, so one worker advances each, wakes on
  the store's notifications and polls as well (a notification is a hint, never the only
  trigger), and rebuilds a projection whose code is newer than its stored version;
- a handler that raises stops its projection only, at that event; `retry` and `skip` are an
  operator's recorded decisions;
- `rebuild()` builds views afresh in shadow tables while the old ones answer, then swaps them
  in, in one transaction; `rebuild(jobs=N)` shares the projections out among N processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timezone
from functools import partial
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from clientbook.domain.errors import InvalidValueError, RebuildFailed, ServiceError, ViewBehind
from clientbook.projections.view import decode_page
from clientbook.projections.operations import (
    Decision,
    Failure,
    Helpers,
    Leases,
    ProjectionStatus,
    ReadSideRecords,
    Shadows,
    Wakeup,
)

PAGE = 500
REBUILD_PAGE = 50_000
"""Events a rebuild applies per transaction: its shadow answers no one until the swap, and a
rebuild that dies is begun afresh, so its pages need not be small; a larger page writes each
changed document once for more events, and commits fewer times."""

Progress = Callable[[str, int, int], None]  # (projection name, position, head)
Refresh = Callable[..., int]  # refresh(at_least=None) -> the head it brought the views to
LATEST = -1
"""`at_least=LATEST`: the head of the log as it is now (what a command that decides on a view
needs, whether or not a worker keeps it)."""


def version_of(projection: Projection[Any]) -> int:
    """The version a projection's code declares (1 unless it says otherwise)."""
    return int(getattr(projection, "version", 1))


def lease_of(name: str) -> str:
    return f"projection:{name}"


class _Poisoned(Exception):
    """A handler raised on one event: the projection stops there."""

    def __init__(self, position: int, event: Any, error: Exception) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.position, self.event, self.error = position, event, error


Item = tuple[Tracking, Any]
"""An event of a page, as the runner hands it on: (its tracking, the event)."""


def _shares(
    decoded: list[Item], topics_of: list[str], wanted: list[frozenset[str]]
) -> list[list[Item]]:
    """Each projection's share of a page (`topics_of`: each event's topic), in one pass over
    it: the events of its topics (all of them for a projection of every topic)."""
    shares: list[list[Item]] = [[] for _ in wanted]
    picky = [(topics, share) for topics, share in zip(wanted, shares) if topics]
    takers: dict[str, list[list[Item]]] = {}
    for item, topic in zip(decoded, topics_of):
        lists = takers.get(topic)
        if lists is None:
            lists = takers[topic] = [share for topics, share in picky if topic in topics]
        for share in lists:
            share.append(item)
    return [share if topics else decoded for topics, share in zip(wanted, shares)]


READ_COST = 4
"""Microseconds, about, to read and decode an event (SQLite, cards log, 2 cores)."""
APPLY_COST = 10
"""Microseconds, about, for a projection to apply an event, its share of the swap included."""
CHILD_START = 1_000_000
"""Microseconds, about, to start a child: import clientbook and open the book."""


def share_out(
    projections: Sequence[Projection[Any]],
    counts: dict[str, int],
    jobs: int,
    child_start: int,
) -> list[list[Projection[Any]]]:
    """The projections in at most `jobs` shares of about equal cost, this process's first,
    each in the projections' own order. A share costs what its process does: it reads and
    decodes every event of the union of its projections' topics once (all of them if one
    takes every topic), and applies each projection's events (`counts`: events by topic);
    each share but the first begins with `child_start`. Each projection, the one with most
    events first, joins the share it leaves cheapest, so a small projection goes to a share
    that reads its events anyway."""
    total = sum(counts.values())

    def events(topics: frozenset[str]) -> int:
        return sum(counts.get(t, 0) for t in topics) if topics else total

    def cost(share: list[Projection[Any]]) -> int:
        if not share:
            return 0
        topics = [frozenset(p.topics) for p in share]
        read = total if not all(topics) else events(frozenset().union(*topics))
        return READ_COST * read + APPLY_COST * sum(events(t) for t in topics)

    count = min(jobs, len(projections))
    shares: list[list[Projection[Any]]] = [[] for _ in range(count)]
    start = [0] + [child_start] * (count - 1)
    for projection in sorted(projections, key=lambda p: events(frozenset(p.topics)), reverse=True):
        n = min(range(count), key=lambda n: start[n] + cost([*shares[n], projection]))
        shares[n].append(projection)
    order = {p: n for n, p in enumerate(projections)}
    return [sorted(share, key=order.__getitem__) for share in shares if share]


class ProjectionRunner:
    """Catch-up, workers, rebuilds and the operator's decisions for the book's projections.

    A runner for a past book stops at a log position (`stop_at`) and may pass over events
    (`include`, e.g. those dated after an as-of business date); it has no records, leases or
    shadows: its views are private to it, built in memory."""

    def __init__(
        self,
        app: Application[Any],
        projections: Sequence[Projection[Any]],
        *,
        stop_at: int | None = None,
        include: Callable[[Any], bool] | None = None,
        records: ReadSideRecords | None = None,
        leases: Leases | None = None,
        shadows: Shadows | None = None,
        wakeup: Callable[[], Wakeup] | None = None,
        transient: tuple[type[BaseException], ...] = (),
        counter: Callable[[int, int, tuple[str, ...]], int] | None = None,
        topic_counts: Callable[[], dict[str, int]] | None = None,
        helpers: Helpers | None = None,
        wait_timeout: float = 10.0,
        bulk: Callable[[], AbstractContextManager[Any]] = nullcontext,
    ) -> None:
        self._app = app
        self.projections = list(projections)
        self._stop_at = stop_at
        self._include = include
        self._records = records
        self._leases = leases
        self._shadows = shadows
        self._wakeup = wakeup
        self._counter = counter
        self._topic_counts = topic_counts
        self.helpers = helpers
        """Rebuilds in other processes (`rebuild(jobs=…)`); None: this process does them all."""
        self._transient: tuple[type[BaseException], ...] = (ServiceError, *transient)
        self.wait_timeout = wait_timeout
        """How long a query with `at_least` waits for a worker to reach that position."""
        self._bulk = bulk
        """Held around a pass over the log and a rebuild (the book's pauses the collector)."""
        self._lock = threading.RLock()
        self._current_versions: set[str] = set()
        self._live = set(self.projections)

    # -- positions -------------------------------------------------------------------------

    def position(self, projection: Projection[Any]) -> int:
        return projection.view.max_tracking_id(self._app.name) or 0

    def _positions(self, projections: Sequence[Projection[Any]]) -> list[int]:
        """Where each stands: the book's own views in one query, any other view on its own."""
        if self._records is None or not all(p in self._live for p in projections):
            return [self.position(p) for p in projections]
        known = self._records.positions(self._app.name)
        return [known.get(p.name, 0) for p in projections]

    def head(self) -> int:
        """The last position this runner reads up to."""
        head = self._app.recorder.max_notification_id() or 0
        return head if self._stop_at is None else min(head, self._stop_at)

    def named(self, names: Iterable[str]) -> list[Projection[Any]]:
        """The projections of these names (all of them for none), or a clear error."""
        names = list(names)
        chosen = [p for p in self.projections if not names or p.name in names]
        unknown = set(names) - {p.name for p in chosen}
        if unknown:
            known = ", ".join(p.name for p in self.projections)
            raise InvalidValueError(
                f"no projection named {', '.join(sorted(unknown))}: the projections are {known}"
            )
        return chosen

    # -- queries ---------------------------------------------------------------------------

    def catch_up(self, progress: Progress | None = None) -> int:
        """Bring every projection to the head in this process; returns the head reached."""
        return self._catch_up_these(self.projections, progress)

    def refresher(self, *names: str) -> Refresh:
        """What a query of the named projections' views calls first: `refresh(at_least=N)`.

        With a worker keeping them (another process, or a thread of this one), the query reads
        the views as they stand; given `at_least`, it waits (up to `wait_timeout`) until they
        have reached that position, else raises `ViewBehind`. With no worker, the views are
        caught up here first, as far as the head, so the answer is current."""
        chosen = self.named(names)
        return lambda at_least=None: self.ensure(chosen, at_least)

    def ensure(self, projections: Sequence[Projection[Any]], at_least: int | None) -> int:
        if at_least == LATEST:
            at_least = self.head()
        if self._worker_keeps(projections):
            if at_least is not None:
                self._wait_for(projections, at_least)
            return at_least or 0
        head = self._catch_up_these(projections, None)
        self._check_reached(projections, head if at_least is None else at_least)
        return head

    def _worker_keeps(self, projections: Sequence[Projection[Any]]) -> bool:
        leases = self._leases
        return leases is not None and all(leases.taken(lease_of(p.name)) for p in projections)

    def _wait_for(self, projections: Sequence[Projection[Any]], wanted: int) -> None:
        deadline = time.monotonic() + self.wait_timeout
        while True:
            behind = [(p, at) for p in projections if (at := self.position(p)) < wanted]
            if not behind:
                return
            failures = self._failures()
            if any(p.name in failures for p, _ in behind) or time.monotonic() >= deadline:
                raise self._behind(*behind[0], wanted, failures)  # as it stood when checked
            time.sleep(0.02)

    def _check_reached(self, projections: Sequence[Projection[Any]], wanted: int) -> None:
        for projection in projections:
            if (position := self.position(projection)) < wanted:
                raise self._behind(projection, position, wanted, self._failures())

    def _behind(
        self, projection: Projection[Any], position: int, wanted: int, failures: dict[str, Failure]
    ) -> ViewBehind:
        message = f"the {projection.name} view stands at position {position}, not yet {wanted}"
        failure = failures.get(projection.name)
        if failure is not None:
            message += (
                f": it stopped at position {failure.position} ({failure.event_type}: "
                f"{failure.error}); fix the cause, then `clientbook projections retry "
                f"{projection.name}`, or skip that event"
            )
        else:
            message += f" (waited {self.wait_timeout:g} s for its worker)"
        return ViewBehind(message, projection=projection.name, position=position, wanted=wanted)

    def _failures(self) -> dict[str, Failure]:
        return {} if self._records is None else self._records.failures()

    # -- catching up -----------------------------------------------------------------------

    def _catch_up_these(
        self,
        projections: Sequence[Projection[Any]],
        progress: Progress | None,
        *,
        going: Callable[[], bool] = lambda: True,
        record_failures: bool = True,
        page: int = PAGE,
    ) -> int:
        with self._lock:
            head = self.head()
            failures = self._failures() if record_failures else {}
            todo = [p for p in projections if p.name not in failures]
            for projection in todo:
                if record_failures and self._needs_rebuild(projection):
                    self._rebuild_one(projection, progress)
            positions = self._positions(todo)
            behind = [(p, since) for p, since in zip(todo, positions) if since < head]
            if behind:
                with self._bulk():
                    self._read_once(behind, head, progress, going, record_failures, page)
            return head

    def _read_once(
        self,
        behind: list[tuple[Projection[Any], int]],
        head: int,
        progress: Progress | None,
        going: Callable[[], bool],
        record_failures: bool,
        size: int = PAGE,
    ) -> None:
        """One pass over the log from the earliest position among `behind`: each page is read
        and decoded once, then each projection processes the events of its topics after its
        own position, and commits them with the page's last position in one transaction."""
        wanted = {p.name: frozenset(p.topics) for p, _ in behind}
        every = any(not w for w in wanted.values()) or self._include is not None
        # `include` may judge an event by the events before it: it sees them all
        topics = () if every else tuple(sorted(frozenset().union(*wanted.values())))
        position = min(since for _, since in behind)
        live, name = dict(behind), self._app.name
        while position < head and live and going():
            # The book's own head is applied here, not as the select's `stop`: with two bounds
            # and no statistics yet (a log just imported), PostgreSQL reads and sorts every row
            # after `position` for each page; with one, it walks its index, and past the head
            # are only the events written since this pass began. A past book's head may lie
            # far back: it is the select's `stop`, or its last page would read the rest.
            stop = head if self._stop_at is not None else None
            page = self._select(position, size, stop, topics)
            page = [n for n in page if n.id <= head]
            last = page[-1].id if len(page) == size else head
            events = decode_page(self._app.mapper, page)  # the page's keys in one query
            if self._include is not None:
                kept = [(n, e) for n, e in zip(page, events) if self._include(e)]
                page, events = [n for n, _ in kept], [e for _, e in kept]
            decoded = [(Tracking(name, n.id), e) for n, e in zip(page, events)]
            due = [p for p, since in live.items() if since < last]
            shares = _shares(decoded, [n.topic for n in page], [wanted[p.name] for p in due])
            passed = self._pass_over(
                [(p, live[p]) for p, mine in zip(due, shares) if not mine], last
            )
            for projection, mine in zip(due, shares):
                if projection in passed:
                    live[projection] = last
                    if progress is not None:
                        progress(projection.name, last, head)
                    continue
                try:
                    self._apply(projection, mine, last)
                except self._transient:
                    raise
                except Exception:
                    if not record_failures or self._records is None:
                        raise
                    self._stop_at_poison(projection, mine, last)
                    del live[projection]
                    continue
                live[projection] = last
                if progress is not None:
                    progress(projection.name, last, head)
            position = last

    def _pass_over(
        self, idle: list[tuple[Projection[Any], int]], last: int
    ) -> set[Projection[Any]]:
        """The projections a page held no events for, moved on to `last` together: those of
        one database in one transaction, where their views can (`SqlTrackedView.pass_over`).
        Returns those moved; the others get an empty batch each, as before."""
        together: dict[int, list[tuple[Projection[Any], int]]] = {}
        for projection, since in idle:
            if getattr(projection.view, "pass_over", None) is not None:
                together.setdefault(id(projection.view.database), []).append((projection, since))
        passed: set[Projection[Any]] = set()
        tracking = Tracking(self._app.name, last)
        for group in together.values():
            by_view = {id(p.view): p for p, _ in group}
            moved = group[0][0].view.pass_over([(p.view, since) for p, since in group], tracking)
            passed.update(by_view[id(view)] for view in moved)
        return passed

    def _select(self, start: int, limit: int, stop: int | None, topics: Sequence[str]) -> Any:
        """A page of the log after `start`: the recorder's `select_log` where it has one (the
        same rows as its notifications, lighter), else `select_notifications`."""
        recorder = self._app.recorder
        select_log = getattr(recorder, "select_log", None)
        if select_log is not None:
            return select_log(start, limit, stop, topics)
        return recorder.select_notifications(
            start=start, limit=limit, stop=stop, topics=topics, inclusive_of_start=False
        )

    def _apply(self, projection: Projection[Any], events: list[Item], last: int) -> None:
        with projection.view.batch(Tracking(self._app.name, last)) as locked:
            if events and events[0][0].notification_id <= locked:  # some applied elsewhere
                events = [e for e in events if e[0].notification_id > locked]
            in_pages = getattr(projection, "process_page", None)
            if in_pages is not None:  # the page at once; if it raises, the runner applies
                in_pages(events)  # it again one event at a time (_stop_at_poison)
                return
            for tracking, event in events:
                try:
                    projection.process_event(event, tracking)
                except self._transient:
                    raise
                except Exception as error:
                    raise _Poisoned(tracking.notification_id, event, error) from error

    def _stop_at_poison(self, projection: Projection[Any], events: list[Item], last: int) -> None:
        """A page failed: apply its events one at a time (each in its own transaction), so that
        every event before the bad one counts and the projection stops exactly at it."""
        assert self._records is not None
        for item in events:
            tracking, event = item
            notification_id = tracking.notification_id
            try:
                self._apply(projection, [item], notification_id)
            except self._transient:
                raise
            except Exception as failed:
                cause = failed.error if isinstance(failed, _Poisoned) else failed
                self._records.fail(
                    projection.name,
                    Failure(
                        position=notification_id,
                        event_type=type(event).__qualname__,
                        error=f"{type(cause).__name__}: {cause}",
                        at=_now(),
                    ),
                )
                return
        self._apply(projection, [], last)  # each went through on its own: the page is done

    # -- versions and rebuilds -------------------------------------------------------------

    def is_current(self, name: str) -> bool:
        """Whether the named projection's view was built by this code's version: not while it
        answers from an older version's tables (a rebuild filling its shadow, here or in
        another process). What a report stands on to keep checkpoints of its folds."""
        return not self._needs_rebuild(self.named([name])[0])

    def _needs_rebuild(self, projection: Projection[Any]) -> bool:
        if projection.name in self._current_versions or self._records is None:
            return False
        stored = self._records.versions().get(projection.name)
        if stored is None:  # built now, or by a clientbook from before versions (version 1)
            stored = version_of(projection) if self.position(projection) == 0 else 1
            self._records.set_version(projection.name, stored)
        stale = getattr(projection.view, "stale_schema", False)
        if not stale and (stored or 1) >= version_of(projection):
            self._current_versions.add(projection.name)
            return False
        return True

    def rebuild(
        self, progress: Progress | None = None, names: Iterable[str] = (), *, jobs: int = 1
    ) -> int:
        """Build the named projections (default: all) afresh from the log, in one pass over it:
        in shadow tables while the old ones answer, each swapped in when caught up (a book in
        memory simply empties and refills them). Returns the head reached.

        `jobs` > 1 shares the projections out among up to that many processes (`share_out`;
        a log too small to repay a child's start is rebuilt here alone): this one rebuilds a
        share, each other share is rebuilt by a book opened again in a process of its own
        (`helpers`), in its own pass over the log. Each projection is swapped in on its own,
        as before, so a share that fails (RebuildFailed, once every share has ended) leaves
        its projections' old tables answering and takes nothing from the others. `progress`
        hears of this process's share only."""
        if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
            raise InvalidValueError(
                f"jobs must be a whole number of processes, 1 or more: {jobs!r}"
            )
        with self._lock:
            chosen = self.named(names)
            if jobs > 1 and len(chosen) > 1 and self._shadows is not None:
                if self.helpers is None:
                    raise InvalidValueError(
                        "this book cannot rebuild in other processes (it was opened with a "
                        "key_provider object, which another process cannot be given): give "
                        "the key by CLIENTBOOK_KEY, CLIENTBOOK_KEY_FILE or key_file=, or use "
                        "jobs=1"
                    )
                self._rebuild_in_processes(chosen, progress, jobs, self.helpers)
            else:
                self._rebuild(chosen, progress)
            return self.head()

    def _rebuild_in_processes(
        self, chosen: list[Projection[Any]], progress: Progress | None, jobs: int, helpers: Helpers
    ) -> None:
        counts = self._topic_counts() if self._topic_counts is not None else {}
        mine, *theirs = share_out(chosen, counts, jobs, CHILD_START)
        started = [(share, helpers([p.name for p in share])) for share in theirs]
        try:
            self._rebuild(mine, progress)
        except BaseException:
            for _, helper in started:
                helper.stop()
            raise
        finally:
            failed = [(share, helper.wait()) for share, helper in started]
        failures = [(share, reason) for share, reason in failed if reason is not None]
        if failures:
            names = [p.name for share, _ in failures for p in share]
            raise RebuildFailed(
                "the rebuild in another process of "
                + "; ".join(f"{', '.join(p.name for p in s)}: {reason}" for s, reason in failures)
                + " (their old tables still answer; rebuild them again)",
                projections=names,
            )

    def _rebuild_one(self, projection: Projection[Any], progress: Progress | None) -> None:
        self._rebuild([projection], progress)

    def _rebuild(self, projections: list[Projection[Any]], progress: Progress | None) -> None:
        with self._bulk():  # the shadows' documents and the swaps too
            self._rebuild_in_bulk(projections, progress)

    def _rebuild_in_bulk(
        self, projections: list[Projection[Any]], progress: Progress | None
    ) -> None:
        if self._shadows is None or self._records is None:
            for projection in projections:
                projection.view.reset()
            self._catch_up_these(projections, progress, record_failures=False, page=REBUILD_PAGE)
            for projection in projections:
                self._finished_rebuild(projection)
            return
        leases, shadows, records = self._leases, self._shadows, self._records
        # another process rebuilding one of them: its old tables answer meanwhile
        mine = [p for p in projections if leases is None or leases.acquire(f"rebuild:{p.name}")]
        opened: list[tuple[Projection[Any], Any, Projection[Any]]] = []
        try:
            for projection in mine:
                records.set_rebuilding(projection.name, _now())
            _open_at_once(shadows, mine, opened)
            self._catch_up_these(
                [built for _, _, built in opened],
                progress,
                record_failures=False,
                page=REBUILD_PAGE,
            )
            shadows.finish_ahead([shadow for _, shadow, _ in opened])
            for projection, shadow, built in opened:
                finish = partial(self._catch_up_these, [projection], None, record_failures=False)
                shadows.swap(projection.view, shadow, self._app.name, finish)
                self._finished_rebuild(projection)
        except BaseException:
            self._cleaned_up(opened, mine)  # its own errors give way to the rebuild's
            raise
        failed = self._cleaned_up(opened, mine)
        if failed:
            raise failed[0]

    def _cleaned_up(
        self,
        opened: list[tuple[Projection[Any], Any, Projection[Any]]],
        mine: list[Projection[Any]],
    ) -> list[Exception]:
        """After a rebuild, all of it, though a step fails (the server gone for a moment):
        every shadow discarded, every rebuilding mark cleared, every lease given back. Returns
        the errors of the steps that failed."""
        assert self._shadows is not None and self._records is not None
        failed: list[Exception] = []
        for _, shadow, _ in opened:
            _noting(failed, self._shadows.discard, shadow)
        for projection in mine:
            _noting(failed, self._records.set_rebuilding, projection.name, None)
            if self._leases is not None:
                _noting(failed, self._leases.release, f"rebuild:{projection.name}")
        return failed

    def _finished_rebuild(self, projection: Projection[Any]) -> None:
        if self._records is not None:
            self._records.set_version(projection.name, version_of(projection))
            self._records.clear_failure(projection.name)
        self._current_versions.add(projection.name)

    # -- workers ---------------------------------------------------------------------------

    def run(
        self,
        names: Iterable[str] = (),
        *,
        stop: threading.Event | None = None,
        poll: float = 1.0,
        listen: bool = True,
        on_round: Callable[[list[str]], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """A worker: keep the named projections (default: all) current until `stop` is set.

        Each round it takes the lease of every projection it can, advances those, and waits
        for a notification of new events or `poll` seconds, whichever comes first. It stops
        after the page in hand when `stop` is set. `on_round` is told which it held. An error
        of the store (the server restarted, a timeout) ends the round, not the worker: it is
        told to `on_error`, and the next round tries again (a lost connection loses its
        leases, which this worker or another then takes anew)."""
        chosen = self.named(names)
        stop = stop or threading.Event()
        leases = self._leases
        wakeup = self._wakeup() if listen and self._wakeup is not None else None
        try:
            while not stop.is_set():
                try:
                    held = self._one_round(chosen, stop)
                except self._transient as error:
                    held = []
                    if on_error is not None:
                        on_error(error)
                if on_round is not None:
                    on_round([p.name for p in held])
                if stop.is_set():
                    break
                if wakeup is not None:
                    wakeup.wait(poll)
                else:
                    stop.wait(poll)
        finally:
            if leases is not None:
                for projection in chosen:
                    leases.release(lease_of(projection.name))
            if wakeup is not None:
                wakeup.close()

    def _one_round(
        self, chosen: list[Projection[Any]], stop: threading.Event
    ) -> list[Projection[Any]]:
        leases = self._leases
        held = [p for p in chosen if leases is None or leases.acquire(lease_of(p.name))]
        if held:
            self._catch_up_these(
                held,
                None,
                going=lambda: (
                    not stop.is_set()
                    and all(leases is None or leases.owns(lease_of(p.name)) for p in held)
                ),
            )
        return held

    def follow(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Keep every view up with new events until `stop` is set (a worker in a thread)."""
        self.run(stop=stop, poll=interval)

    # -- operations ------------------------------------------------------------------------

    def status(self) -> list[ProjectionStatus]:
        head = self.head()
        failures = self._failures()
        versions = {} if self._records is None else self._records.versions()
        rebuilding = {} if self._records is None else self._records.rebuilding()
        decisions = [] if self._records is None else self._records.decisions()
        rows = []
        for projection in self.projections:
            name = projection.name
            position = self.position(projection)
            holder = None if self._leases is None else self._leases.holder_of(lease_of(name))
            stored = versions.get(name) or (1 if position else None)
            failure = failures.get(name)
            state = (
                "failed"
                if failure
                else "rebuilding"
                if name in rebuilding
                else "running"
                if holder
                else "idle"
            )
            rows.append(
                ProjectionStatus(
                    name=name,
                    version=version_of(projection),
                    stored_version=stored,
                    position=position,
                    head=head,
                    lag_events=self._count_after(position, head, projection),
                    lag_seconds=self._age_of_next(position, head, projection),
                    state=state,
                    needs_rebuild=(stored is not None and stored < version_of(projection))
                    or bool(getattr(projection.view, "stale_schema", False)),
                    failure=failure,
                    holder=holder,
                    last_decision=next(
                        (d for d in reversed(decisions) if d.projection == name), None
                    ),
                )
            )
        return rows

    def _count_after(self, position: int, head: int, projection: Projection[Any]) -> int:
        if position >= head:
            return 0
        if self._counter is not None:
            return self._counter(position, head, tuple(projection.topics))
        notifications = self._app.recorder.select_notifications(
            start=position,
            limit=10**9,
            stop=head,
            topics=tuple(projection.topics),
            inclusive_of_start=False,
        )
        return len(notifications)

    def _age_of_next(self, position: int, head: int, projection: Projection[Any]) -> float:
        """How long ago the oldest event it has yet to apply was recorded (0 when none)."""
        first = self._app.recorder.select_notifications(
            start=position,
            limit=1,
            stop=head,
            topics=tuple(projection.topics),
            inclusive_of_start=False,
        )
        if position >= head or not first:
            return 0.0
        recorded: datetime = getattr(self._app.mapper.to_domain_event(first[0]), "timestamp")
        return max(0.0, (_now() - recorded).total_seconds())

    def retry(self, name: str, *, by: str, reason: str = "") -> int:
        """Clear a projection's failure and catch it up again; returns its position after."""
        (projection,) = self.named([name])
        failure = self._failure_of(name)
        assert self._records is not None
        self._records.decide(Decision(name, "retry", failure.position, by, reason, _now()))
        self._records.clear_failure(name)
        if not self._worker_keeps([projection]):
            self._catch_up_these([projection], None)
        return self.position(projection)

    def skip(self, name: str, *, position: int, reason: str, by: str) -> None:
        """Pass over the one event a projection stopped at, as an operator decided (recorded
        with who and why); the projection goes on after it."""
        (projection,) = self.named([name])
        failure = self._failure_of(name)
        if failure.position != position:
            raise InvalidValueError(
                f"{name} stopped at position {failure.position}, not {position}: "
                "skip names the position it stopped at"
            )
        if not reason.strip():
            raise InvalidValueError("a skip needs a reason: say why the event may be passed over")
        assert self._records is not None
        with projection.view.batch(Tracking(self._app.name, position)):
            self._records.decide(Decision(name, "skip", position, by, reason, _now()))
            self._records.clear_failure(name)

    def _failure_of(self, name: str) -> Failure:
        failure = self._failures().get(name)
        if failure is None:
            raise InvalidValueError(
                f"{name} has not stopped on a failure: nothing to retry or skip"
            )
        return failure

    def decisions(self, name: str | None = None) -> list[Decision]:
        return [] if self._records is None else self._records.decisions(name)


SHADOWS_AT_ONCE = 4
"""Shadows opened at a time: each makes its schema or file and its tables over a connection
of its own (on PostgreSQL, ten opened one after another took 0.24 s, an eighth of a rebuild of
51k events)."""


def _open_at_once(
    shadows: Shadows,
    projections: Sequence[Projection[Any]],
    opened: list[tuple[Projection[Any], Any, Projection[Any]]],
) -> None:
    """Open the projections' shadows, several at a time, each with its projection over it, into
    `opened` in the projections' order: every one that opened, so that it is discarded even
    when another failed to open, whose error is then raised."""
    with ThreadPoolExecutor(SHADOWS_AT_ONCE, thread_name_prefix="clientbook-open") as opening:
        made = [(p, opening.submit(shadows.open, p.view)) for p in projections]
    failed: list[BaseException] = []
    for projection, future in made:
        error = future.exception()
        if error is not None:
            failed.append(error)
            continue
        shadow = future.result()
        try:
            opened.append((projection, shadow, type(projection)(shadow)))
        except Exception as unmade:  # opened, not in `opened`: discarded here
            failed.append(unmade)
            _noting([], shadows.discard, shadow)
    if failed:
        raise failed[0]


def _noting(failed: list[Exception], step: Callable[..., object], *args: Any) -> None:
    """Do a step of a clean-up; an error it raises is noted in `failed`, and the rest go on."""
    try:
        step(*args)
    except Exception as error:
        failed.append(error)


def _now() -> datetime:
    return datetime.now(timezone.utc)
