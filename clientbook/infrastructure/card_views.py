"""SQL view of card accounts: a document per account, and one fact per card event."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import Tracking

from clientbook.infrastructure.tracking import SqlTrackedView
from clientbook.projections.cards import CardAccountsView, batch_columns


class SqlCardAccountsView(SqlTrackedView, CardAccountsView):
    name = "card_accounts"
    tables = ("card_accounts", "card_facts")
    schema = (
        "CREATE TABLE IF NOT EXISTS card_accounts (account_id TEXT PRIMARY KEY, "
        "number TEXT NOT NULL, customer_id TEXT NOT NULL, is_open INTEGER NOT NULL, "
        "next_action TEXT, delinquent INTEGER NOT NULL, dormancy TEXT NOT NULL, "
        "last_use TEXT, zero_balance INTEGER NOT NULL, oldest_due TEXT, document TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS card_accounts_customer ON card_accounts (customer_id)",
        "CREATE INDEX IF NOT EXISTS card_accounts_next_action ON card_accounts (next_action)",
        "CREATE INDEX IF NOT EXISTS card_accounts_delinquent ON card_accounts (delinquent)",
        "CREATE INDEX IF NOT EXISTS card_accounts_oldest_due ON card_accounts (oldest_due)",
        "CREATE INDEX IF NOT EXISTS card_accounts_last_use ON card_accounts (dormancy, last_use)",
        "CREATE TABLE IF NOT EXISTS card_facts (position BIGINT PRIMARY KEY, "
        "account_id TEXT NOT NULL, event TEXT NOT NULL, business_date TEXT NOT NULL, "
        "data TEXT NOT NULL)",
    )

    _page: dict[UUID, dict[str, Any]] | None = None
    """Within a batch (a page of events), the documents read or written, written once at its
    end: an account with several events in a page is read and stored once, not per event."""

    @contextmanager
    def batch(self, tracking: Tracking) -> Iterator[int]:
        self._page = {}
        with super().batch(tracking) as since:
            yield since

    def _flush(self, cursor: Any) -> None:
        for account_id, document in (self._page or {}).items():
            self._store(account_id, document)

    def _discard(self) -> None:
        self._page = None

    def account(self, account_id: UUID) -> dict[str, Any] | None:
        if self._page is not None and account_id in self._page:
            return self._page[account_id]
        rows = self._rows("SELECT document FROM card_accounts WHERE account_id = ?", (str(account_id),))
        return msgspec.json.decode(rows[0][0]) if rows else None

    def put_account(self, account_id: UUID, document: dict[str, Any]) -> None:
        if self._page is not None:
            self._page[account_id] = document
        else:
            self._store(account_id, document)

    def _store(self, account_id: UUID, document: dict[str, Any]) -> None:
        batch = batch_columns(document)
        self._exec(
            "INSERT INTO card_accounts (account_id, number, customer_id, is_open, next_action, "
            "delinquent, dormancy, last_use, zero_balance, oldest_due, document) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET "
            "is_open = excluded.is_open, next_action = excluded.next_action, "
            "delinquent = excluded.delinquent, dormancy = excluded.dormancy, "
            "last_use = excluded.last_use, zero_balance = excluded.zero_balance, "
            "oldest_due = excluded.oldest_due, document = excluded.document",
            (str(account_id), document["number"], document["customer_id"],
             int(document["status"] not in ("closed", "declined")), *batch,
             msgspec.json.encode(document).decode()),
        )

    def due(self, on: date, dormant_before: date, long_dormant_before: date) -> list[UUID]:
        day = on.isoformat()
        rows = self._rows(
            "SELECT account_id FROM card_accounts WHERE is_open = 1 AND ("
            "next_action <= ? "
            "OR (delinquent = 1 AND (oldest_due IS NULL OR oldest_due >= ?)) "
            "OR (dormancy = 'none' AND last_use <= ?) "
            "OR (dormancy = 'dormant' AND zero_balance = 1 AND last_use <= ?)) ORDER BY number",
            (day, day, dormant_before.isoformat(), long_dormant_before.isoformat()),
        )
        return [UUID(account_id) for (account_id,) in rows]

    def accounts(self, *, open_only: bool = True) -> list[tuple[UUID, dict[str, Any]]]:
        rows = self._rows(
            "SELECT account_id, document FROM card_accounts "
            f"{'WHERE is_open = 1 ' if open_only else ''}ORDER BY number"
        )
        return [(UUID(i), msgspec.json.decode(d)) for i, d in rows]

    def add_fact(self, position: int, account_id: UUID, event: str, on: date, data: dict[str, Any]) -> None:
        self._exec(
            "INSERT INTO card_facts (position, account_id, event, business_date, data) "
            "VALUES (?, ?, ?, ?, ?)",
            (position, str(account_id), event, on.isoformat(), msgspec.json.encode(data).decode()),
        )

    def facts(self, *, up_to_position: int | None = None) -> list[tuple[int, UUID, str, date, dict[str, Any]]]:
        rows = self._rows(
            "SELECT position, account_id, event, business_date, data FROM card_facts "
            "WHERE position <= ? ORDER BY position",
            (up_to_position if up_to_position is not None else 2**62,),
        )
        return [(int(p), UUID(a), e, date.fromisoformat(d), msgspec.json.decode(x)) for p, a, e, d, x in rows]
