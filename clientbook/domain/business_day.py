"""The business calendar: which business dates close of business has run for."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from eventsourcing.domain import event

from clientbook.domain.base import BookAggregate, business_key_id
from clientbook.domain.errors import InvalidTransitionError


class BusinessCalendar(BookAggregate):
    """Records each business date closed, so that a second run for a date does nothing."""

    @staticmethod
    def create_id() -> Any:
        return business_key_id("calendar", "business-days")

    @event("Opened")
    def __init__(self, by: str) -> None:
        self.last_closed: date | None = None

    def next_dates(self, through: date) -> list[date]:
        """The dates still to close, in order, up to and including `through`."""
        first = through if self.last_closed is None else self.last_closed + timedelta(days=1)
        return [first + timedelta(days=n) for n in range((through - first).days + 1)]

    def close_day(self, on: date, *, changes: dict[str, int], by: str) -> None:
        expected = self.next_dates(on)[:1]
        if expected != [on]:
            raise InvalidTransitionError(
                f"business date {on} cannot be closed now; the next date to close is "
                f"{expected[0] if expected else 'after ' + str(self.last_closed)}"
            )
        self._day_closed(on, changes, by)

    @event("DayClosed")
    def _day_closed(self, on: date, changes: dict[str, int], by: str) -> None:
        self.last_closed = on
