"""Every "as of a business date" path goes through the one rule (clientbook/domain/as_of.py),
and the worklist as of a past date is the past book's."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any, Callable, Iterator

import pytest
from click.testing import CliRunner

from clientbook import ClientBook
from clientbook.cli import main
from clientbook.domain.as_of import AsOf
from _small_demo import START, small_demo

ON = START + timedelta(days=40)


@pytest.fixture(scope="module")
def demo_db() -> str:
    return small_demo()


@pytest.fixture
def book(demo_db: str) -> Iterator[ClientBook]:
    with ClientBook.open(demo_db) as opened:
        yield opened


def calls_to_the_rule(monkeypatch: pytest.MonkeyPatch, query: Callable[[], Any]) -> int:
    """How many events the query put to the one as-of rule."""
    calls = []
    counts = AsOf.counts

    def counting(self: AsOf, aggregate: object, order: int, dated: date | None) -> bool:
        calls.append(aggregate)
        return counts(self, aggregate, order, dated)

    with monkeypatch.context() as patch:
        patch.setattr(AsOf, "counts", counting)
        query()
    return len(calls)


def test_past_books_reports_and_the_credit_history_all_ask_the_one_rule(
    book: ClientBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    def past_directory() -> Any:
        with book.as_of(on=ON) as past:
            return past.directory.search()

    paths: dict[str, Callable[[], Any]] = {
        "past book": past_directory,
        "complaints report": lambda: book.reports.complaints(
            period_from=START, period_to=ON, as_of=ON
        ),
        "card portfolio": lambda: book.card_accounts.portfolio(as_of=ON),
        "credit classification": lambda: book.credit_reports.classification(as_of=ON),
    }
    book.projections.catch_up()
    for name, query in paths.items():
        assert calls_to_the_rule(monkeypatch, query) > 0, name


def test_the_worklist_as_of_a_past_date_is_the_past_books(book: ClientBook, demo_db: str) -> None:
    with book.as_of(on=ON) as past:
        expected = past.complaint_cards.worklist(ON)
        received_later = {c.number for c in book.complaint_cards.cards() if c.received_on > ON}
    assert received_later, "the demo receives complaints after the as-of date"
    assert any(item.days_left < 0 for item in expected), "some were overdue on that date"
    result = CliRunner().invoke(
        main, ["--db", demo_db, "worklist", "--as-of", ON.isoformat(), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)["rows"]
    assert [(r["complaint"], r["deadline"], r["days_left"]) for r in listed] == [
        (i.number, i.deadline.isoformat(), i.days_left) for i in expected
    ]
    assert not received_later & {r["complaint"] for r in listed}
