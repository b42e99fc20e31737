"""Random tests on the real databases: a state machine written against a book in memory runs
its examples on a SQLite file or a PostgreSQL schema of each example's own, dropped after.

The machines keep their in-memory `TestCase` (many examples, fast); `run_on` runs a few more
on each real store, where the SQL views, the recorders and the mapper's round trip are in play."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from clientbook import ClientBook
from conftest import POSTGRES_URL, drop_schema, postgres_problem, require_postgres

KINDS = ("sqlite", "postgres")


class FreshStore:
    """One example's store: `memory:`, a SQLite file in a temporary folder, or a new schema."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._folder: str | None = None
        self._schema: str | None = None
        if kind == "memory":
            self.url = "memory:"
        elif kind == "sqlite":
            self._folder = tempfile.mkdtemp(prefix="cb-machine-")
            self.url = f"sqlite:///{Path(self._folder) / 'book.db'}"
        else:
            self._schema = f"t_{uuid.uuid4().hex[:12]}"
            self.url = f"{POSTGRES_URL}?schema={self._schema}"

    def open(self) -> ClientBook:
        return ClientBook.open(self.url)

    def drop(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        if self._schema is not None:
            drop_schema(self._schema)


class OnAStore(RuleBasedStateMachine):
    """A machine's book, opened on `store_kind` (memory unless a test says otherwise)."""

    store_kind = "memory"

    def open_book(self) -> ClientBook:
        self.store = FreshStore(self.store_kind)
        return self.store.open()

    def close_book(self, book: ClientBook) -> None:
        try:
            book.close()
        finally:
            self.store.drop()


def run_on(
    machine: type[OnAStore], kind: str, *, examples: int, steps: int, **attributes: object
) -> None:
    """Run `examples` examples of up to `steps` steps of the machine on a real store (with
    `attributes` of the machine's class overridden, say to keep an example short)."""
    if kind == "postgres":
        require_postgres(postgres_problem())
    name = f"{machine.__name__}On{kind.title()}"
    on_store = type(name, (machine,), {"store_kind": kind, **attributes})
    parent = machine.TestCase.settings
    run_state_machine_as_test(
        on_store,
        settings=settings(parent, max_examples=examples, stateful_step_count=steps),
    )
