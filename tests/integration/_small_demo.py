"""One small demo book on SQLite per test process, shared by the modules that only read it
(building one takes seconds; the output and as-of tests need the same one)."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

from clientbook import ClientBook
from clientbook.demo import Demo

START = date(2026, 7, 1)
DAYS = 60
LAST = START + timedelta(days=DAYS - 1)


@functools.cache
def small_demo() -> str:
    """The URL of a demo book: seed 5, 2 managers, 30 customers, 60 business days."""
    folder = Path(tempfile.mkdtemp(prefix="clientbook-small-demo-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    url = f"sqlite:///{folder / 'demo.db'}"
    with ClientBook.open(url) as book:
        Demo(book, seed=5, managers=2, start=START).run(customers=30, days=DAYS)
    return url
