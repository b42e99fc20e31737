"""One facade name: `book.reports.<name>(…)` for every report of the catalogue and
`book.reports.run(name, …)`; the older names answer the same."""

from __future__ import annotations

from datetime import date

import pytest
from _small_demo import LAST, START, small_demo

from clientbook import ClientBook, InvalidValueError
from clientbook.reports.catalogue import REPORTS, Parameters, run_report


def test_every_catalogue_report_is_a_method_of_book_reports_and_run_gives_it() -> None:
    with ClientBook.open(small_demo()) as book:
        position = book.head
        asked: dict[str, object] = {
            "managers": book.reports.managers(period_from=START, period_to=LAST),
            "complaints": book.reports.complaints(period_from=START, period_to=LAST, as_of=LAST),
            "groups": book.reports.groups(as_of=LAST),
            "classification": book.reports.classification(as_of=LAST),
            "migration": book.reports.migration(from_date=START, to_date=LAST),
            "aging": book.reports.aging(as_of=LAST),
            "portfolio": book.reports.portfolio(as_of=LAST, period_from=START),
            "contribution": book.reports.contribution(
                as_of=LAST, period_from=START, period_to=LAST
            ),
        }
        assert set(asked) == set(REPORTS)
        for name, report in asked.items():
            run = book.reports.run(
                name, as_of=LAST, period_from=START, period_to=LAST, digest=False
            )
            assert run.report == report, name
            assert (
                run.rows == run_report(book, name, Parameters(LAST, START, LAST), digest=False).rows
            )
            assert run.manifest["log"]["position"] == position
        assert book.credit_reports.concentration(as_of=LAST) == asked["groups"]
        assert book.card_accounts.portfolio(as_of=LAST, period_from=START) == asked["portfolio"]
        with book.as_of(on=date(2026, 7, 20)) as past, pytest.raises(InvalidValueError):
            past.reports.run("groups", as_of=date(2026, 7, 20))
