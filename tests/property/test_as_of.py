"""As-of reports ignore later events: over random logs and random cut points.

A random log is the demo's year, shortened, from a random seed, on an SQLite file. A cut point
is a log position and an as-of business date. The oracle is the log itself cut there: a copy of
the file with every later event deleted and its views rebuilt from zero. Every report run on the
whole book at the cut must give exactly the rows the cut copy gives, and the past book
(`book.as_of(position=…)`) must show the directory, the complaint cards and the audit trail the
cut copy shows.
"""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from clientbook import ClientBook
from clientbook.demo import Demo
from clientbook.reports.catalogue import REPORTS, Parameters, run_report

START = date(2026, 7, 1)
DAYS = 45
EXAMPLES = max(3, settings.default.max_examples // 5)  # each example builds a book


def _cut_copy(source: Path, target: Path, position: int) -> None:
    """The log as it was at `position`: a copy of the file with every later event deleted."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        dst.execute("DELETE FROM stored_events WHERE rowid > ?", (position,))


@settings(max_examples=EXAMPLES)
@given(
    seed=st.integers(min_value=0, max_value=10_000),
    cut=st.floats(min_value=0.05, max_value=0.95),
    as_of_day=st.integers(min_value=0, max_value=DAYS - 1),
)
def test_a_report_at_a_cut_equals_the_report_of_the_log_cut_there(
    seed: int, cut: float, as_of_day: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        whole, part = Path(folder, "whole.db"), Path(folder, "part.db")
        with ClientBook.open(f"sqlite:///{whole}") as book:
            Demo(book, seed=seed, managers=2, start=START).run(customers=12, days=DAYS)
            position = max(1, int(book.head * cut))
            assert position < book.head
            on = START + timedelta(days=as_of_day)
            parameters = Parameters(as_of=on, period_from=START, period_to=on)
            at_cut = {n: run_report(book, n, parameters, position=position).rows for n in REPORTS}
            with book.as_of(position=position) as past:
                directory = past.directory.search()
                cards = past.complaint_cards.cards()
                trail = past.audit.trail()
        _cut_copy(whole, part, position)
        with ClientBook.open(f"sqlite:///{part}") as cut_book:
            cut_book.projections.rebuild()
            assert cut_book.head == position
            for name in REPORTS:
                assert at_cut[name] == run_report(cut_book, name, parameters).rows, name
            assert directory == cut_book.directory.search()
            assert cards == cut_book.complaint_cards.cards()
            assert trail == cut_book.audit.trail()
