"""The collector's pause for bulk work (infrastructure/collector.py): off inside, back on once
the last pause ends, and left off when it was off before."""

from __future__ import annotations

import gc
import threading

from clientbook.infrastructure.collector import collector_paused


def test_the_collector_is_off_inside_and_on_again_after_the_last_nested_pause() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_a_pause_that_raises_still_ends() -> None:
    try:
        with collector_paused():
            raise RuntimeError("a failed rebuild")
    except RuntimeError:
        pass
    assert gc.isenabled()


def test_a_collector_the_application_turned_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_pauses_overlapping_in_threads_end_with_the_last() -> None:
    entered, release = threading.Barrier(2), threading.Event()

    def work() -> None:
        with collector_paused():
            entered.wait(timeout=10)
            release.wait(timeout=10)

    other = threading.Thread(target=work)
    other.start()
    with collector_paused():
        entered.wait(timeout=10)
    assert not gc.isenabled()  # the other thread's pause goes on
    release.set()
    other.join(timeout=10)
    assert gc.isenabled()
