"""A book's events are the same, byte for byte but for when they were recorded, whether the
quick `@event` calls (domain/triggers.py) or the library's own make them."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.domain import DecoratedFuncCaller

import clientbook.domain.base as base
from clientbook import ClientBook
from clientbook.domain.base import BookAggregate
from clientbook.domain.triggers import QuickCommand

HOLDERS = 12
STATEMENT_DAY = date(2005, 10, 1)
_WHEN = re.compile(rb'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"')
_SEALED = re.compile(rb'("_sealed":\{"fields":\[[^\]]*\],"data":)"[^"]*"')
"""Personal fields sealed under each book's own key (a fresh nonce each time)."""


def _library_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every aggregate class as the library alone makes its events."""
    monkeypatch.setattr(base, "new_event", lambda *args: None)
    classes: list[type] = [BookAggregate]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        for name, value in list(vars(cls).items()):
            if isinstance(value, QuickCommand):
                monkeypatch.setattr(cls, name, value.decorator)
                if "apply" in vars(value.event_class):
                    monkeypatch.setattr(value.event_class, "apply", DecoratedFuncCaller.apply)


def _masked(state: bytes) -> bytes:
    return _SEALED.sub(rb'\1"sealed"', _WHEN.sub(b'"t"', state))


def _log(url: str, card_data: Path) -> list[tuple[Any, ...]]:
    """The import of a few holders and a statement day's close, as stored, with the times of
    recording masked."""
    with ClientBook.open(url) as book:
        book.import_uci_cards(card_data, rows=HOLDERS)
        book.close_of_business(STATEMENT_DAY)
        rows = book.app.recorder.select_notifications(start=1, limit=10**9)
        return [
            (n.id, n.originator_id, n.originator_version, n.topic, _masked(n.state)) for n in rows
        ]


def test_an_import_and_a_close_store_the_events_the_librarys_own_calls_store(
    tmp_path: Path, card_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite only (an import of 12 holders, twice, about 10 s)."""
    quick = _log(f"sqlite:///{tmp_path / 'quick.db'}", card_data)
    with monkeypatch.context() as patched:
        _library_way(patched)
        library = _log(f"sqlite:///{tmp_path / 'library.db'}", card_data)
    assert len(quick) > 500 and any(b'"t"' in row[4] for row in quick)
    assert quick == library
