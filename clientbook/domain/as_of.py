"""The one "as of a business date" rule, which past books, reports and the audit trail follow.

As of a date, an aggregate is its events in log order up to, not including, its first event
dated after that date. A back-dated event (recorded after a later-dated one of the same
aggregate, but dated earlier) does not count: an aggregate's state is its events in order,
never a selection of them. Events without a business date never cut.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable, Iterable, Iterator, Mapping, TypeVar

T = TypeVar("T")


class AsOf:
    """The rule for one business date, applied to events fed in log order. Several passes over
    the log may share one (each projection of a past book reads the log from its start): an
    aggregate is cut at the order (version or position) of its first late event, so an earlier
    event is counted on every pass and a later one on none."""

    def __init__(self, on: date | None, cut: Mapping[Any, int] | None = None) -> None:
        self.on = on
        self._cut: dict[object, int] = dict(cut or {})  # aggregate -> order of its first
        # event not counted; given to resume a pass where an earlier one stopped

    @property
    def cut(self) -> dict[object, int]:
        """The aggregates cut so far, each with the order it was cut at (what resumes it)."""
        return dict(self._cut)

    def counts(self, aggregate: object, order: int, dated: date | None) -> bool:
        """Whether the event `order` (increasing within an aggregate) of `aggregate`, dated
        `dated`, is part of the aggregate as of the date."""
        cut = self._cut.get(aggregate)
        if cut is not None and order >= cut:
            return False
        if self.on is not None and dated is not None and dated > self.on:
            self.stop(aggregate, order)
            return False
        return True

    def stop(self, aggregate: object, order: int) -> None:
        """Count nothing of `aggregate` from `order` on (a reason other than a date: a log
        position cut, an event the caller cannot see)."""
        self._cut[aggregate] = min(order, self._cut.get(aggregate, order))


def dated_prefix(
    items: Iterable[T], as_of: date, entity: Callable[[T], object], on: Callable[[T], date]
) -> Iterator[T]:
    """The items (in log order) a report as of a business date counts, by the rule above."""
    rule = AsOf(as_of)
    return (item for n, item in enumerate(items) if rule.counts(entity(item), n, on(item)))
