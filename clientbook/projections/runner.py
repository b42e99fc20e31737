"""The catch-up runner: brings each projection from its tracked position to the head of the log.

eventsourcing 9.5 cannot subscribe to SQLite, so the runner pulls pages of notifications
(`select_notifications`) on every backend, and commits each page's view changes together with
the page's last position. `follow()` repeats this until told to stop.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Sequence

from eventsourcing.application import Application
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from clientbook.projections.view import TrackedView

PAGE = 500

Progress = Callable[[str, int, int], None]  # (projection name, position, head)


class ProjectionRunner:
    """Catch-up and rebuild for the book's projections, all reading the one log.

    A runner for a past book stops at a log position (`stop_at`) and may pass over events
    (`include`, e.g. those dated after an as-of business date): its views then show the book
    as it stood at that point, computed from the log up to it."""

    def __init__(
        self,
        app: Application[Any],
        projections: Sequence[Projection[Any]],
        *,
        stop_at: int | None = None,
        include: Callable[[Any], bool] | None = None,
    ) -> None:
        self._app = app
        self.projections = list(projections)
        self._stop_at = stop_at
        self._include = include
        self._lock = threading.Lock()

    def position(self, projection: Projection[TrackedView]) -> int:
        return projection.view.max_tracking_id(self._app.name) or 0

    def head(self) -> int:
        """The last position this runner reads up to."""
        head = self._app.recorder.max_notification_id() or 0
        return head if self._stop_at is None else min(head, self._stop_at)

    def catch_up(self, progress: Progress | None = None) -> int:
        """Process every event not yet processed; returns the head position reached."""
        return self._catch_up_these(self.projections, progress)

    def refresher(self, *names: str) -> Callable[[], int]:
        """A catch-up of the named projections only: what a query of their views calls first,
        so that reading one view never waits for the others (a past book builds only what is
        asked of it)."""
        chosen = [p for p in self.projections if p.name in names]
        unknown = set(names) - {p.name for p in chosen}
        if unknown:
            raise ValueError(f"no projection named {', '.join(sorted(unknown))}")
        return lambda: self._catch_up_these(chosen, None)

    def _catch_up_these(
        self, projections: Sequence[Projection[Any]], progress: Progress | None
    ) -> int:
        with self._lock:
            head = self.head()
            behind = [(p, self.position(p)) for p in projections]
            behind = [(p, since) for p, since in behind if since < head]
            if behind:
                self._read_once(behind, head, progress)
            return head

    def rebuild(self, progress: Progress | None = None) -> int:
        """Empty every view, then replay the whole log into it."""
        with self._lock:
            for projection in self.projections:
                projection.view.reset()
        return self.catch_up(progress)

    def follow(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Keep the views up with new events until `stop` is set."""
        while not stop.is_set():
            self.catch_up()
            stop.wait(interval)

    def _read_once(
        self,
        behind: list[tuple[Projection[Any], int]],
        head: int,
        progress: Progress | None,
    ) -> None:
        """One pass over the log from the earliest position among `behind`: each page is read
        and decoded once, then each projection processes the events of its topics after its
        own position, and commits them with the page's last position in one transaction."""
        wanted = [frozenset(p.topics) for p, _ in behind]
        topics = () if any(not w for w in wanted) else tuple(sorted(frozenset().union(*wanted)))
        if self._include is not None:
            topics = ()  # `include` may judge an event by the events before it: it sees them all
        position = min(since for _, since in behind)
        mapper = self._app.mapper
        name = self._app.name
        while position < head:
            page = self._app.recorder.select_notifications(
                start=position, limit=PAGE, stop=head, topics=topics, inclusive_of_start=False
            )
            last = page[-1].id if len(page) == PAGE else head
            decoded = [(n.id, n.topic, mapper.to_domain_event(n)) for n in page]
            if self._include is not None:
                decoded = [(i, t, e) for i, t, e in decoded if self._include(e)]
            for (projection, since), topics_of in zip(behind, wanted):
                if last <= since:
                    continue
                with projection.view.batch(Tracking(name, last)) as locked:
                    for notification_id, topic, event in decoded:
                        if notification_id > locked and (not topics_of or topic in topics_of):
                            projection.process_event(event, Tracking(name, notification_id))
                if progress is not None:
                    progress(projection.name, last, head)
            position = last
