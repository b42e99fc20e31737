"""`book.reports`: every report by its catalogue name, and `run(name, …)`, which gives the
report with the rows and manifest an auditor reproduces. One facade name for all of them; the
older ones (`book.credit_reports`, `book.card_accounts.portfolio`) stay as aliases."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from clientbook.domain.errors import InvalidValueError
from clientbook.reports.complaints import ComplaintReports, ComplaintsReport
from clientbook.reports.contribution import ContributionQueries, ContributionReport
from clientbook.reports.credit import (
    AgingReport,
    ClassificationReport,
    ConcentrationReport,
    CreditReports,
    GroupDetection,
    MigrationReport,
)
from clientbook.reports.managers import ManagerReport, ManagerReports
from clientbook.reports.portfolio import CardReports, PortfolioReport

if TYPE_CHECKING:
    from clientbook.reports.catalogue import ReportRun


class BookReports:
    """Each method is one report of the catalogue (`clientbook report NAME`), as of a date and
    optionally cut at a log position; `run` is any of them by name."""

    def __init__(
        self,
        queries: ManagerReports,
        complaints: ComplaintReports,
        credit: CreditReports,
        cards: CardReports,
        owner: Any,
        contribution: ContributionQueries,
    ) -> None:
        self._queries = queries
        self._complaints = complaints
        self._contribution = contribution
        self._credit = credit
        self._cards = cards
        self._owner = owner

    def managers(
        self, *, period_from: date, period_to: date, at_least: int | None = None
    ) -> ManagerReport:
        return self._queries.managers(
            period_from=period_from, period_to=period_to, at_least=at_least
        )

    def complaints(self, **parameters: Any) -> ComplaintsReport:
        """See `ComplaintReports.report`: period_from, period_to, as_of, position, at_least."""
        return self._complaints.report(**parameters)

    def groups(self, *, as_of: date, position: int | None = None) -> ConcentrationReport:
        """Group credit concentration against the cap (also `concentration`)."""
        return self._credit.concentration(as_of=as_of, position=position)

    concentration = groups

    def classification(self, *, as_of: date, position: int | None = None) -> ClassificationReport:
        return self._credit.classification(as_of=as_of, position=position)

    def migration(
        self, *, from_date: date, to_date: date, position: int | None = None
    ) -> MigrationReport:
        return self._credit.migration(from_date=from_date, to_date=to_date, position=position)

    def aging(self, *, as_of: date, position: int | None = None) -> AgingReport:
        return self._credit.aging(as_of=as_of, position=position)

    def portfolio(
        self,
        *,
        as_of: date,
        period_from: date | None = None,
        position: int | None = None,
        currency: str | None = None,
    ) -> PortfolioReport:
        return self._cards.portfolio(
            as_of=as_of, period_from=period_from, position=position, currency=currency
        )

    def contribution(
        self,
        *,
        as_of: date,
        period_from: date | None = None,
        period_to: date | None = None,
        currency: str | None = None,
        position: int | None = None,
        at_least: int | None = None,
    ) -> ContributionReport:
        """Customer value over a period (default: the twelve months up to `as_of`)."""
        return self._contribution.report(
            as_of=as_of,
            period_from=period_from,
            period_to=period_to,
            currency=currency,
            position=position,
            at_least=at_least,
        )

    def detect_groups(self) -> GroupDetection:
        return self._credit.detect_groups()

    def run(
        self,
        name: str,
        *,
        as_of: date,
        period_from: date | None = None,
        period_to: date | None = None,
        position: int | None = None,
        digest: bool = True,
        currency: str | None = None,
    ) -> ReportRun:
        """The report `name` with its rows and manifest (see reports/catalogue.py); `currency`
        chooses the portfolio's, where the book's cards are in several."""
        from clientbook.book import ClientBook
        from clientbook.reports.catalogue import Parameters, run_report

        if not isinstance(self._owner, ClientBook):
            raise InvalidValueError(
                "a past book's report has no manifest: run it on the book, with position="
            )
        return run_report(
            self._owner,
            name,
            Parameters(as_of, period_from, period_to, currency),
            position=position,
            digest=digest,
        )
