"""SQL view of card accounts: a document per account, and the portfolio report's facts (one per
card event, kept as JSON lists by block of positions)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID

import msgspec

from clientbook.infrastructure.buffered import BufferedView, BulkTable, Documents, FactBlocks, Row
from clientbook.infrastructure.columns import iso
from clientbook.infrastructure.sql import SqlDatabase
from clientbook.projections.cards import AccountDocument, CardAccountsView, CardFact, batch_columns

ACCOUNTS = BulkTable(
    "card_accounts",
    "account_id number customer_id is_open next_action delinquent dormancy last_use "
    "zero_balance oldest_due document".split(),
    key=["account_id"],
    fixed=["number", "customer_id"],
)
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(AccountDocument).decode


class SqlCardAccountsView(BufferedView, CardAccountsView):
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
        "CREATE TABLE IF NOT EXISTS card_facts (block BIGINT PRIMARY KEY, facts TEXT NOT NULL, "
        "earliest TEXT NOT NULL)",
    )

    def __init__(self, database: SqlDatabase, name: str | None = None) -> None:
        super().__init__(database, name)
        self._accounts = self._buffered(Documents(ACCOUNTS, _account_row, self._load))
        self._facts = self._buffered(FactBlocks("card_facts", CardFact, self._rows))
        # The buffers' own methods, with no call between: a rebuild calls them for nearly
        # every event of the log (the methods below say what they do).
        setattr(self, "account", self._accounts.get)
        setattr(self, "put_account", self._accounts.put)
        setattr(self, "add_fact", self._facts.add)

    def account(self, account_id: UUID) -> AccountDocument | None:
        return self._accounts.get(account_id)

    def put_account(self, account_id: UUID, document: AccountDocument) -> None:
        self._accounts.put(account_id, document)

    def add_fact(self, fact: CardFact) -> None:
        self._facts.add(fact)

    def _load(self, account_id: UUID) -> AccountDocument | None:
        rows = self._rows(
            "SELECT document FROM card_accounts WHERE account_id = ?", (str(account_id),)
        )
        return _decode(rows[0][0]) if rows else None

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

    def accounts(self, *, open_only: bool = True) -> list[tuple[UUID, AccountDocument]]:
        rows = self._rows(
            "SELECT account_id, document FROM card_accounts "
            f"{'WHERE is_open = 1 ' if open_only else ''}ORDER BY number"
        )
        return [(UUID(account_id), _decode(document)) for account_id, document in rows]

    def facts(self, *, up_to_position: int | None = None) -> list[CardFact]:
        return self._facts.read(up_to_position)

    def facts_for(self, after: int, up_to: int, on: date) -> tuple[int, Iterator[CardFact]]:
        return self._facts.read_for(after, up_to, on)


def _account_row(account_id: UUID, account: AccountDocument) -> Row:
    next_action, delinquent, dormancy, last_use, zero_balance, oldest = batch_columns(account)
    is_open = int(account.status not in ("closed", "declined"))
    return (
        str(account_id),
        account.number,
        str(account.customer_id),
        is_open,
        iso(next_action),
        delinquent,
        dormancy,
        iso(last_use),
        zero_balance,
        iso(oldest),
        _encode(account).decode(),
    )
