"""Close of business: every daily step (customers lapse, complaints fall overdue, credit lines
age, card accounts close their day), run in order for each business date, exactly once per
date."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import date
from typing import Protocol
from uuid import UUID

from attrs import frozen

from clientbook.application.app import ClientBookApplication
from clientbook.application.batches import command_in_parts, each_in_turn
from clientbook.application.policy import PolicyService
from clientbook.domain.actor import Actor
from clientbook.domain.business_day import BusinessCalendar
from clientbook.domain.card import CardAccount
from clientbook.domain.complaint import Complaint
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

    def lapse_candidates(
        self, on: date, grace_days: int, tier_cycles: Mapping[str, int]
    ) -> Sequence[UUID]: ...


class MarkLapsedCustomers:
    """A customer not seen for the usual visit cycle plus the grace days becomes lapsed."""

    name = "lapsed_customers"

    def __init__(self, app: ClientBookApplication, candidates: LapseCandidates) -> None:
        self._app = app
        self._candidates = candidates

    def run(self, on: date, policy: PolicySettings, by: Actor) -> int:
        grace = policy.lapse_grace_days

        def lapse(customer: Customer) -> bool:
            tier_cycle = policy.tier_visit_cycle(customer.tier)
            if not customer.is_lapsing(on, grace, tier_cycle):  # the view proposes, the
                return False  # aggregate decides
            customer.mark_lapsed(grace_days=grace, by=by.id, on=on, tier_cycle_days=tier_cycle)
            return True

        candidates = self._candidates.lapse_candidates(on, grace, policy.tier_visit_cycles())
        return command_in_parts(self._app, step_key(on, self.name), by, Customer, candidates, lapse)


class CardsDue(Protocol):
    """Accounts with something due on a date: a statement, a due date, delinquency, dormancy,
    expiry (a view answers, so the batch never loads every account)."""

    def cards_due(self, on: date) -> Sequence[UUID]: ...


class RunCardCycle:
    """Close-of-business step: statements, late fees, buckets, collection stages, classification,
    write-off proposals, dormancy and renewal, each change an event, once per date."""

    name = "card_accounts"

    def __init__(self, app: ClientBookApplication, due: CardsDue) -> None:
        self._app = app
        self._due = due

    def run(self, on: date, policy: PolicySettings, by: Actor) -> int:
        def cycle(account: CardAccount) -> bool:
            return account.close_day(policy=policy, by=by.id, on=on)  # the account's own order

        key = step_key(on, self.name)
        return command_in_parts(self._app, key, by, CardAccount, self._due.cards_due(on), cycle)


class OverdueCandidates(Protocol):
    """Open complaints past their deadline on a date and not yet marked (a view answers)."""

    def overdue_candidates(self, on: date) -> Sequence[UUID]: ...


class MarkOverdueComplaints:
    """Close-of-business step: an open complaint past its deadline becomes overdue, once."""

    name = "overdue_complaints"

    def __init__(self, app: ClientBookApplication, candidates: OverdueCandidates) -> None:
        self._app = app
        self._candidates = candidates

    def run(self, on: date, policy: PolicySettings, by: Actor) -> int:
        def mark(complaint: Complaint) -> bool:
            if complaint.overdue or not complaint.is_overdue_on(on):  # the aggregate decides
                return False
            complaint.mark_overdue(by=by.id, on=on)
            return True

        candidates = self._candidates.overdue_candidates(on)
        return command_in_parts(self._app, step_key(on, self.name), by, Complaint, candidates, mark)


class LineAgeing(Protocol):
    """What ageing a line takes: the Credit service (which saves the line with its borrower
    and group)."""

    @property
    def app(self) -> ClientBookApplication: ...

    def age_line(self, line_id: UUID, *, policy: PolicySettings, by: Actor, on: date) -> bool: ...


class AgingCandidates(Protocol):
    """Lines with an unpaid instalment due before a date, or maturing by it (a view answers)."""

    def lines_to_age(self, on: date) -> Sequence[UUID]: ...


class AgeCreditLines:
    """Close-of-business step: days past due, DPD floors, maturity, group classification and
    cross-default, each change an event."""

    name = "credit_lines"

    def __init__(self, credit: LineAgeing, candidates: AgingCandidates) -> None:
        self._credit = credit
        self._app = credit.app
        self._candidates = candidates

    def run(self, on: date, policy: PolicySettings, by: Actor) -> int:
        """Each line is saved with the borrower and group it changes: a part of its own."""

        def age(line_id: UUID) -> bool:
            return self._credit.age_line(line_id, policy=policy, by=by, on=on)

        lines = self._candidates.lines_to_age(on)
        return each_in_turn(self._app, step_key(on, self.name), by, lines, age)
