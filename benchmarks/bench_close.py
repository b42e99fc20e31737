#!/usr/bin/env python
"""Benchmark (c) of bench_bulk.py alone, quicker to repeat: on a copy of a book kept by
`bench_bulk.py --keep PATH`, warm the cache with a paged pass over every card account, then time
(CPU) loading the accounts due one by one with a no-op save, the close of the next day, and the
same loads twice more; the ratio is the loads' median rate over the close's (issue 16).

Run: .venv/bin/python benchmarks/bench_close.py /tmp/book.db [--repeats 3]
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from clientbook.book import ClientBook
from clientbook.domain.card import CardAccount


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def once(kept: Path) -> str:
    with tempfile.TemporaryDirectory(prefix="clientbook-bench-close-") as tmp:
        for f in kept.parent.glob(kept.name + "*"):
            if f.suffix != ".json":
                shutil.copyfile(f, Path(tmp, "book.db" + f.name[len(kept.name) :]))
        with ClientBook.open(f"sqlite:///{tmp}/book.db") as book:
            app = book.app
            last = book.last_business_date_closed
            assert last is not None, "a book kept by bench_bulk.py --keep"
            day = last + timedelta(days=1)
            due = book.card_accounts.cards_due(day)
            every = [v.account_id for v in book.card_accounts.accounts(day)]
            app.give_back(*app.load_many(CardAccount, every, "card account"))  # warm (untimed)

            def one_by_one() -> None:
                app.command_each(CardAccount, due, lambda account: True)

            base = [timed(one_by_one)]
            before = book.head
            close = timed(lambda: book.close_of_business(day))
            written = book.head - before
            base += [timed(one_by_one), timed(one_by_one)]
    loads = statistics.median(base)
    return (
        f"{len(due):,} accounts, {written:,} events: close {len(due) / close:,.0f} accounts/s "
        f"({close / len(due) * 1e6:.0f} us each), one by one {len(due) / loads:,.0f}/s "
        f"({loads / len(due) * 1e6:.0f} us): ratio {loads / close:.3f}"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("kept", type=Path, help="a book kept by bench_bulk.py --keep")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    for _ in range(args.repeats):
        print(once(args.kept), flush=True)


if __name__ == "__main__":
    main()
