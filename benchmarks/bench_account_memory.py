#!/usr/bin/env python
"""Memory of loaded card accounts (issue 16's cache cliff): bytes per account and load rate.

On a book file (e.g. one kept by `bench_bulk.py --keep PATH`; give a copy, the book is opened),
loads every card account in pages (`load_many`) into a cache that holds them all and reports
what the loaded accounts hold by tracemalloc (bytes per account, the new allocations that
survive a gc, divided by the accounts), and times by CPU time a paged load pass over them all
with the default cache, and one with the cache holding them all, best of `--rounds` each:
their ratio is bench_bulk.py's (d).

Run: .venv/bin/python benchmarks/bench_account_memory.py /tmp/copy-of-book.db [--rounds 2]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path
from typing import Any

from clientbook.book import ClientBook
from clientbook.domain.card import CardAccount


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("book", type=Path, help="a SQLite book file (a copy: it is opened)")
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args(argv)
    book = ClientBook.open(f"sqlite:///{args.book}")
    try:
        app = book.app
        ids = [v.account_id for v in book.card_accounts.accounts(date(2005, 10, 1))]

        def in_pages() -> None:
            loaded = list(app.load_many(CardAccount, ids, "card account"))
            app.give_back(*loaded)

        in_pages()  # warm-up (untimed)
        rates = []
        for _ in range(args.rounds):
            t0 = time.process_time()
            in_pages()
            rates.append(len(ids) / (time.process_time() - t0))
        cache: Any = app.repository.cache
        maxsize = cache.maxsize
        cache.maxsize, cache.full = 10**9, False
        cache.cache.clear()
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        loaded = list(app.load_many(CardAccount, ids, "card account"))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        versions = sum(a.version for a in loaded) / len(loaded)
        app.give_back(*loaded)
        del loaded
        alls = []
        for _ in range(args.rounds):
            t0 = time.process_time()
            in_pages()
            alls.append(len(ids) / (time.process_time() - t0))
        print(
            f"{len(ids):,} card accounts (mean version {versions:.1f}): "
            f"{held / len(ids):,.0f} bytes each loaded (tracemalloc); "
            f"paged pass with the default cache ({maxsize:,}): best {max(rates):,.0f} accounts/s "
            f"(CPU time, {args.rounds} rounds: {', '.join(f'{r:,.0f}' for r in rates)}); "
            f"with a cache holding all: best {max(alls):,.0f}/s; (d) ratio "
            f"{max(rates) / max(alls):.3f}"
        )
    finally:
        book.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
