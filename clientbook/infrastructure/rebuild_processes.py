"""Rebuilds in other processes: `book.projections.rebuild(jobs=N)` hands each share but its own
to a `clientbook projections rebuild NAME …` of the same store, run as a child process.

A child is a book opened afresh (it shares nothing with this process but the store and the
key), so it holds its projections' rebuild leases, fills its own shadows and swaps each in,
exactly as a rebuild started by hand in another terminal would. The store's URL and the key's
file go to it in its environment, never on its command line, where any user's `ps` reads them.
A child's standard output is dropped; its standard error, the one line the command prints
when it fails, is the reason `wait` gives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD_COMMAND = [sys.executable, "-m", "clientbook", "projections", "rebuild"]
"""The command a share's names are appended to (tests replace it to make a child fail)."""
STOP_GRACE = 10.0
"""Seconds a child has to end after SIGTERM before it is killed."""


class ChildRebuild:
    """One child process rebuilding some projections."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self._errors = tempfile.TemporaryFile()  # a pipe could fill and stall the child
        self._process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._errors,
        )

    @property
    def pid(self) -> int:
        return self._process.pid

    def wait(self) -> str | None:
        try:
            code = self._process.wait()
            if code == 0:
                return None
            self._errors.seek(0)
            said = self._errors.read().decode("utf-8", "replace").strip().splitlines()
            last = said[-1].strip() if said else ""
            if last.lower().startswith("error: "):
                last = last[len("error: ") :]
            ended = f"exit status {code}" if code > 0 else f"killed by signal {-code}"
            return f"{last} ({ended})" if last else ended
        finally:
            self._errors.close()

    def stop(self) -> None:
        if self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            self._process.kill()


class ChildRebuilds:
    """Starts the children of one store (`Helpers`): its URL, and the key file the book was
    given, if any (a key in CLIENTBOOK_KEY, or a key file found by the default rules, reaches
    the child as it reached this process)."""

    def __init__(self, url: str, *, key_file: str | Path | None = None) -> None:
        self._url = url
        self._key_file = None if key_file is None else str(Path(key_file).resolve())

    def __call__(self, names: list[str]) -> ChildRebuild:
        env = dict(os.environ, CLIENTBOOK_DB=self._url)
        if self._key_file is not None:
            env["CLIENTBOOK_KEY_FILE"] = self._key_file
        return ChildRebuild([*CHILD_COMMAND, *names], env)
