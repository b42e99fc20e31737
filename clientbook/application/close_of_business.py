"""Close of business: daily steps run in order for each business date, exactly once per date."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import date
from typing import Protocol
from uuid import UUID

from attrs import frozen

from clientbook.application.app import ClientBookApplication
from clientbook.application.batches import command_in_parts
from clientbook.application.policy import PolicyService
from clientbook.domain.actor import Actor
from clientbook.domain.business_day import BusinessCalendar
from clientbook.domain.customer import Customer
from clientbook.domain.policy import PolicySettings

BATCH_ACTOR = Actor("system:close-of-business", roles={"batch"})

Exclusive = Callable[[str], AbstractContextManager[object]]
"""`exclusive(name)`: held by one process at a time; waits for another holder, or raises
`BusyError` when it waited too long."""


def step_key(on: date, step: str) -> str:
    """The idempotency key of a step's work on a business date (its parts add `/part n of m`)."""
    return f"close-of-business/{on.isoformat()}/{step}"


class DailyStep(Protocol):
    """One area's work for a business date; returns how many aggregates it changed."""

    name: str

    def run(self, on: date, policy: PolicySettings, by: Actor) -> int: ...


@frozen
class DayResult:
    on: date
    changes: dict[str, int]


@frozen
class CloseOfBusinessResult:
    """The dates closed by one call (none when the date was already closed)."""

    days: tuple[DayResult, ...]

    @property
    def changes(self) -> int:
        return sum(sum(day.changes.values()) for day in self.days)


class CloseOfBusiness:
    """Runs the registered steps for every business date not yet closed, in date order."""

    def __init__(
        self,
        app: ClientBookApplication,
        policy: PolicyService,
        refresh: Callable[[], object],
        exclusive: Exclusive = lambda name: nullcontext(),
    ) -> None:
        self._app = app
        self._policy = policy
        self._refresh = refresh  # brings the views the steps query up to the head of the log
        self._exclusive = exclusive
        self.steps: list[DailyStep] = []
        self.after_close: list[Callable[[date], object]] = []
        """Called with each date once it is closed (the book signs a checkpoint of its log)."""

    def run(self, on: date, *, by: Actor = BATCH_ACTOR) -> CloseOfBusinessResult:
        """Close every date up to `on` not closed yet. One process closes at a time: another
        that asks meanwhile waits for it, then finds those dates closed (and no work left)."""
        with self._exclusive("close_of_business"):
            return self._run(on, by)

    def _run(self, on: date, by: Actor) -> CloseOfBusinessResult:
        calendar = self._calendar(by)
        days = []
        for day in calendar.next_dates(on):
            settings = self._policy.in_force(day)
            changes = {}
            for step in self.steps:
                self._refresh()
                changes[step.name] = step.run(day, settings, by)
            calendar.close_day(day, changes=changes, by=by.id)
            self._app.save_all(calendar)
            for hook in self.after_close:
                hook(day)
            days.append(DayResult(day, changes))
        return CloseOfBusinessResult(tuple(days))

    def last_closed(self) -> date | None:
        calendar_id = BusinessCalendar.create_id()
        if not self._app.exists(calendar_id):
            return None
        return self._app.get(BusinessCalendar, calendar_id, "business calendar").last_closed

    def _calendar(self, by: Actor) -> BusinessCalendar:
        calendar_id = BusinessCalendar.create_id()
        if self._app.exists(calendar_id):
            return self._app.get(BusinessCalendar, calendar_id, "business calendar")
        return BusinessCalendar(by=by.id)


class LapseCandidates(Protocol):
    """Customers whose lapse date has come by a business date (a view answers this)."""

    def lapse_candidates(self, on: date, grace_days: int) -> Sequence[UUID]: ...


class MarkLapsedCustomers:
    """A customer not seen for the usual visit cycle plus the grace days becomes lapsed."""

    name = "lapsed_customers"

    def __init__(self, app: ClientBookApplication, candidates: LapseCandidates) -> None:
        self._app = app
        self._candidates = candidates

    def run(self, on: date, policy: PolicySettings, by: Actor) -> int:
        grace = policy.lapse_grace_days

        def lapse(customer: Customer) -> bool:
            if not customer.is_lapsing(on, grace):  # the view proposes, the aggregate decides
                return False
            customer.mark_lapsed(grace_days=grace, by=by.id, on=on)
            return True

        candidates = self._candidates.lapse_candidates(on, grace)
        return command_in_parts(self._app, step_key(on, self.name), by, Customer, candidates, lapse)
