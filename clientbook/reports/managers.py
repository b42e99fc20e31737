"""The relationship-manager report: the 1:15 rule, lapsed customers, follow-ups, satisfaction,
churn; each manager's grade, branch and whether they serve (a manager id nobody registered shows
as unregistered), the succession pool, and the customers left with a manager who has left. Made
of the figures the manager view counts (projections/managers.py), with the campaigns' follow-ups
(projections/campaigns.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import attrs
from attrs import frozen

from clientbook.domain.manager import SUCCESSION_GRADES
from clientbook.projections.campaigns import CampaignFollowUps, CampaignQueries
from clientbook.projections.managers import LostCustomer, ManagerFigures, ManagerReportView
from clientbook.projections.runner import Refresh


@frozen
class ManagerRow:
    manager: str
    customers: int
    below_minimum: bool
    lapsed: int
    contacts: int
    follow_ups: int
    surveys: int
    average_satisfaction: Decimal | None
    grade: str | None = None
    """None: an unregistered manager (an id customers name that nobody registered)."""
    branch: str | None = None
    serving: bool | None = None
    """False once the manager left; None when unregistered."""
    assessed: str | None = None
    """The year of the latest annual assessment approved by the period's end."""
    assessment_total: Decimal | None = None
    performance_weight: Decimal | None = None
    """The weight of the five indicators in that total: 75, or 50 in an abnormal market."""

    @property
    def registered(self) -> bool:
        return self.grade is not None


@frozen
class ManagerReport:
    """Per manager: customers against the minimum, lapsed now; contacts, surveys and losses in
    the period."""

    period_from: date
    period_to: date
    minimum: int
    position: int
    rows: tuple[ManagerRow, ...]
    lost: tuple[LostCustomer, ...]
    campaign_follow_ups: tuple[CampaignFollowUps, ...] = ()
    """Per manager and campaign started in the period: done, late, missed, pending."""

    @property
    def below_minimum(self) -> tuple[ManagerRow, ...]:
        return tuple(row for row in self.rows if row.below_minimum)

    @property
    def succession_pool(self) -> tuple[ManagerRow, ...]:
        """Serving senior and principal managers."""
        return tuple(r for r in self.rows if r.serving and r.grade in SUCCESSION_GRADES)

    @property
    def without_manager(self) -> tuple[ManagerRow, ...]:
        """Managers who left but still have customers in their book: those customers have no
        one looking after them until they are reassigned."""
        return tuple(r for r in self.rows if r.serving is False and r.customers)


def manager_report(
    figures: ManagerFigures, *, period_from: date, period_to: date, minimum: int
) -> ManagerReport:
    """A row per manager who has customers, activity or losses in the period, or is registered:
    below the minimum unless they left (one who left has no book), the period's average
    satisfaction, the latest annual assessment."""
    book, registered, assessed = figures.books, figures.registered, figures.assessed
    activity = dict(figures.activity)
    for customer in figures.lost:
        activity.setdefault(customer.manager, (0, 0, 0, 0))
    rows = []
    for manager in sorted(set(book) | set(activity) | set(registered)):
        latest = assessed.get(manager)
        customers, lapsed = book.get(manager, (0, 0))
        contacts, follow_ups, surveys, total = activity.get(manager, (0, 0, 0, 0))
        average = (
            None
            if not surveys
            else (Decimal(total) / surveys).quantize(Decimal("0.01"), ROUND_HALF_UP)
        )
        grade, branch, serving = registered.get(manager, (None, None, None))
        rows.append(
            ManagerRow(
                manager,
                customers,
                customers < minimum and serving is not False,  # one who left has no book
                lapsed,
                contacts,
                follow_ups,
                surveys,
                average,
                grade,
                branch,
                serving,
                None if latest is None else latest.period,
                None if latest is None else latest.total,
                None if latest is None else latest.performance_weight,
            )
        )
    return ManagerReport(
        period_from, period_to, minimum, figures.position, tuple(rows), figures.lost
    )


class ManagerReports:
    """The managers report (`book.reports.managers`)."""

    def __init__(
        self,
        managers: ManagerReportView,
        minimum: Callable[[date], int],
        refresh: Refresh,
        application_name: str,
        campaigns: CampaignQueries,
    ) -> None:
        self._managers = managers
        self._campaigns = campaigns
        self._minimum = minimum
        self._refresh = refresh
        self._application_name = application_name

    def managers(
        self, *, period_from: date, period_to: date, at_least: int | None = None
    ) -> ManagerReport:
        """Customers per manager against the minimum in force at the period's end."""
        self._refresh(at_least)
        figures = self._managers.figures(period_from, period_to, self._application_name)
        report = manager_report(
            figures, period_from=period_from, period_to=period_to, minimum=self._minimum(period_to)
        )
        return attrs.evolve(
            report,
            campaign_follow_ups=self._campaigns.follow_ups(
                period_from=period_from, period_to=period_to, at_least=at_least
            ),
        )
