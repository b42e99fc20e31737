"""What the HTML report shows, collected from a book: every report cut at one log position, so
that the figures agree with each other."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from attrs import frozen

from clientbook import __version__
from clientbook.domain.card import shift_months
from clientbook.domain.ratios import npl_ratio, portfolio_at_risk
from clientbook.reports.portfolio import PortfolioReport
from clientbook.reports.complaints import ComplaintsReport
from clientbook.reports.managers import ManagerReport
from clientbook.reports.contribution import ContributionReport, default_start
from clientbook.reports.credit import (
    AgingReport,
    ClassificationReport,
    ConcentrationReport,
    MigrationReport,
)

if TYPE_CHECKING:
    from clientbook.book import ClientBook


@frozen
class HtmlInputs:
    """The already-computed reports one page shows, all cut at one log position."""

    title: str
    as_of: date
    position: int
    version: str
    complaints_by_month: tuple[ComplaintsReport, ...]
    portfolio: PortfolioReport
    concentration: ConcentrationReport
    migration: MigrationReport
    classification: ClassificationReport
    managers: ManagerReport | None = None
    contribution: ContributionReport | None = None
    currency: str = "CNY"
    """The currency of the amounts the page shows (the policy's, as of the date)."""
    risk_by_month: tuple[MonthRisk, ...] = ()
    aging: AgingReport | None = None


@frozen
class MonthRisk:
    """PAR30, PAR90 (card balances) and the NPL ratio (credit lines) at a month's end, %."""

    month: str
    par30: Decimal | None
    par90: Decimal | None
    npl: Decimal | None


def collect(
    book: ClientBook,
    *,
    as_of: date,
    months: int = 12,
    title: str = "clientbook report",
    position: int | None = None,
    currency: str | None = None,
) -> HtmlInputs:
    """Every report as of `as_of`, all cut at one log position (default: the head when called)
    so that they agree; the card portfolio in `currency` (default: see `_cards`)."""
    if months < 1:
        raise ValueError(f"months must be at least 1, not {months}")
    if position is None:
        position = book.head
    firsts = [shift_months(as_of.replace(day=1), -k) for k in reversed(range(months))]
    complaints = tuple(
        book.reports.complaints(
            period_from=first, period_to=_month_end(first), as_of=as_of, position=position
        )
        for first in firsts
    )
    credit = book.credit_reports
    cards = _cards(book, as_of, position, currency)
    return HtmlInputs(
        title=title,
        as_of=as_of,
        position=position,
        version=__version__,
        complaints_by_month=complaints,
        portfolio=cards,
        concentration=credit.concentration(as_of=as_of, position=position),
        # The year before as_of, or the first month shown when that is later.
        migration=credit.migration(
            from_date=max(shift_months(as_of, -12), firsts[0]), to_date=as_of, position=position
        ),
        classification=credit.classification(as_of=as_of, position=position),
        managers=_managers_for_year(book, as_of, position),
        contribution=book.reports.contribution(as_of=as_of, position=position),
        currency=book.policy.in_force(as_of).currency,
        risk_by_month=tuple(
            _risk(book, min(_month_end(first), as_of), position, cards.currency) for first in firsts
        ),
        aging=credit.aging(as_of=as_of, position=position),
    )


def _cards(book: ClientBook, on: date, position: int, currency: str | None) -> PortfolioReport:
    """The portfolio the page shows: in `currency` if given; else in the policy's, unless the
    book's cards are in others only (then the first of them); the section names the others."""
    cards = book.reports.portfolio(
        as_of=on, position=position, currency=currency or book.policy.in_force(on).currency
    )
    if currency is None and cards.currencies and cards.currency not in cards.currencies:
        cards = book.reports.portfolio(as_of=on, position=position, currency=cards.currencies[0])
    return cards


def _risk(book: ClientBook, on: date, position: int, currency: str) -> MonthRisk:
    """The month's ratios as of its last day (or the as-of date in the last month); the card
    balances in the page's portfolio's currency, every month."""
    cards = book.reports.portfolio(as_of=on, position=position, currency=currency)
    lines = book.reports.classification(as_of=on, position=position)
    balances = [(bucket, balance) for bucket, _, balance in cards.accounts_by_bucket]
    return MonthRisk(
        on.strftime("%Y-%m"),
        portfolio_at_risk(balances, 30),
        portfolio_at_risk(balances, 90),
        npl_ratio((r.classification, r.outstanding.amount) for r in lines.rows),
    )


def _managers_for_year(book: ClientBook, as_of: date, position: int) -> ManagerReport:
    """The managers report over the twelve months up to `as_of`, from the log at `position`."""
    with book.as_of(on=as_of, position=position) as past:
        return past.reports.managers(period_from=default_start(as_of), period_to=as_of)


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])
