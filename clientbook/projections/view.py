"""The view interface every projection writes to: changes commit with the tracking position."""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager

from eventsourcing.persistence import Tracking, TrackingRecorder


class TrackedView(TrackingRecorder, ABC):
    """A read model whose every change commits in one transaction with its tracking position.

    A projection writes inside `batch(tracking)`: the view's rows and the position they reflect
    commit together or not at all, so a crash never loses or double-counts an event.
    """

    name: str

    @abstractmethod
    def batch(self, tracking: Tracking) -> AbstractContextManager[None]:
        """Changes made inside the block commit together with `tracking`, or not at all."""

    @abstractmethod
    def reset(self) -> None:
        """Remove every row and the tracking position: the view is rebuilt from zero next."""
