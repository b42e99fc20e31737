"""As-of reports ignore later events: over random logs and random cut points.

A random log is the demo's year, shortened, from a random seed, on an SQLite file (and, for a
few examples, on PostgreSQL, against the SQLite log of the same seed). A cut point
is a log position and an as-of business date. The oracle is the log itself cut there: a copy of
the file with every later event deleted and its views rebuilt from zero. Every report run on the
whole book at the cut must give exactly the rows the cut copy gives, and the past book
(`book.as_of(position=…)`) must show the directory, the complaint cards and the audit trail the
cut copy shows.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import POSTGRES_URL, drop_schema, postgres_problem, require_postgres

from clientbook import ClientBook
from clientbook.demo import Demo
from clientbook.reports.catalogue import REPORTS, Parameters, run_report

START = date(2026, 7, 1)
DAYS = 45
EXAMPLES = max(3, settings.default.max_examples // 5)  # each example builds a book
PG_DAYS = 20  # on PostgreSQL a shorter demo: the same report code, on the other dialect


def _cut_copy(source: Path, target: Path, position: int) -> None:
    """The log as it was at `position`: a copy of the file with every later event deleted."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        dst.execute("DELETE FROM stored_events WHERE rowid > ?", (position,))
    shutil.copy(f"{source}.key", f"{target}.key")  # the key that opens its personal data


def _at(book: ClientBook, position: int, parameters: Parameters) -> dict[str, Any]:
    """Every report at the cut, and what the past book shows there."""
    seen: dict[str, Any] = {
        name: run_report(book, name, parameters, position=position).rows for name in REPORTS
    }
    with book.as_of(position=position) as past:
        seen["directory"] = past.directory.search()
        seen["cards"] = past.complaint_cards.cards()
        seen["trail"] = past.audit.trail()
    return seen


def _of_the_cut_log(whole: Path, folder: str, position: int, parameters: Parameters) -> Any:
    """The oracle: the same from a copy of the SQLite log with every later event deleted."""
    part = Path(folder, "part.db")
    _cut_copy(whole, part, position)
    with ClientBook.open(f"sqlite:///{part}") as cut_book:
        cut_book.projections.rebuild()
        assert cut_book.head == position
        seen: dict[str, Any] = {
            name: run_report(cut_book, name, parameters).rows for name in REPORTS
        }
        seen["directory"] = cut_book.directory.search()
        seen["cards"] = cut_book.complaint_cards.cards()
        seen["trail"] = cut_book.audit.trail()
    return seen


def _as_logged(seen: dict[str, Any]) -> Any:
    """What two logs of the same events share: everything but the times they were recorded
    and what each book's own keys make (an identity claim's id and document key)."""
    claims: dict[Any, int] = {}

    def strip(value: Any) -> Any:
        if attrs.has(type(value)):
            value = attrs.asdict(value, recurse=False)
        if isinstance(value, dict) and value.get("aggregate_type") == "IdentityClaim":
            # a claim's id and document key are keyed by each book's own index key
            value = {
                **value,
                "aggregate_id": claims.setdefault(value["aggregate_id"], len(claims)),
                "changes": {k: v for k, v in value["changes"].items() if k != "document_key"},
            }
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if not isinstance(v, datetime)}
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        return value

    return strip(seen)


def _demo(url: str, seed: int, days: int = DAYS) -> ClientBook:
    book = ClientBook.open(url)
    Demo(book, seed=seed, managers=2, start=START).run(customers=12, days=days)
    return book


def _cut(book: ClientBook, cut: float, as_of_day: int) -> tuple[int, Parameters]:
    position = max(1, int(book.head * cut))
    assert position < book.head
    on = START + timedelta(days=as_of_day)
    return position, Parameters(as_of=on, period_from=START, period_to=on)


CUTS = dict(
    seed=st.integers(min_value=0, max_value=10_000),
    cut=st.floats(min_value=0.05, max_value=0.95),
    as_of_day=st.integers(min_value=0, max_value=DAYS - 1),
)


@settings(max_examples=EXAMPLES)
@given(**CUTS)
def test_a_report_at_a_cut_equals_the_report_of_the_log_cut_there(
    seed: int, cut: float, as_of_day: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        whole = Path(folder, "whole.db")
        with _demo(f"sqlite:///{whole}", seed) as book:
            position, parameters = _cut(book, cut, as_of_day)
            at_cut = _at(book, position, parameters)
        assert at_cut == _of_the_cut_log(whole, folder, position, parameters)


def test_on_postgresql_a_report_at_a_cut_equals_the_report_of_the_log_cut_there() -> None:
    """The same demo on PostgreSQL: its reports and past book at a cut equal those of the
    SQLite log of the same seed cut there (the demo is repeatable, so the logs match)."""
    require_postgres(postgres_problem())

    @settings(max_examples=1)  # each example builds a book on each store
    @given(**{**CUTS, "as_of_day": st.integers(min_value=0, max_value=PG_DAYS - 1)})
    def on_postgresql(seed: int, cut: float, as_of_day: int) -> None:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        try:
            with _demo(f"{POSTGRES_URL}?schema={schema}", seed, PG_DAYS) as book:
                position, parameters = _cut(book, cut, as_of_day)
                at_cut = _at(book, position, parameters)
                positions = [n.id for n in book.app.recorder.select_notifications(1, position)]
            assert positions == list(range(1, position + 1)), "a gap: the logs would not align"
            with tempfile.TemporaryDirectory() as folder:
                whole = Path(folder, "whole.db")
                with _demo(f"sqlite:///{whole}", seed, PG_DAYS) as same:
                    assert same.head >= position
                oracle = _of_the_cut_log(whole, folder, position, parameters)
            assert _as_logged(at_cut) == _as_logged(oracle)
        finally:
            drop_schema(schema)

    on_postgresql()
