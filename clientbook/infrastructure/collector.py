"""Python's cyclic garbage collector, paused while the book does bulk work.

A rebuild, an as-of replay, an import or a close of business keeps many objects alive at once
(a rebuild's shadow keeps every document it writes, the aggregate cache holds the day's
accounts), and the collector walks all of them again and again as the work allocates: at 51,000
events it took 30% of a rebuild's time, and the more a pass holds, the more each walk costs.
What such work makes is acyclic (documents, events, rows), so reference counting frees it as
it goes; only cycles wait, and the collector finds them when the work ends. Pauses nest and may
overlap across threads: the collector runs again once the last one ends, unless it was off
before the first began (an embedding application's choice is kept).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_restore = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block (reference counting goes on as ever)."""
    global _depth, _restore
    with _lock:
        if _depth == 0:
            _restore = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restore:
                gc.enable()
