"""SQL views of complaints: record cards (a JSON document per complaint) and report facts."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import msgspec

from clientbook.infrastructure.tracking import SqlTrackedView
from clientbook.projections.complaints import ComplaintCard, ComplaintCardsView, card_of
from clientbook.projections.complaints_report import ComplaintFactsView, Fact


class SqlComplaintCardsView(SqlTrackedView, ComplaintCardsView):
    name = "complaint_cards"
    tables = ("complaint_cards", "complaint_customer_names")
    schema = (
        "CREATE TABLE IF NOT EXISTS complaint_cards (complaint_id TEXT PRIMARY KEY, "
        "number TEXT NOT NULL, customer_id TEXT NOT NULL, is_open INTEGER NOT NULL, "
        "deadline TEXT NOT NULL, document TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS complaint_cards_open ON complaint_cards (is_open, deadline)",
        "CREATE INDEX IF NOT EXISTS complaint_cards_customer ON complaint_cards (customer_id)",
        "CREATE TABLE IF NOT EXISTS complaint_customer_names (customer_id TEXT PRIMARY KEY, "
        "name TEXT NOT NULL)",
    )

    def card(self, complaint_id: UUID) -> dict[str, Any] | None:
        rows = self._rows(
            "SELECT document FROM complaint_cards WHERE complaint_id = ?", (str(complaint_id),)
        )
        return msgspec.json.decode(rows[0][0]) if rows else None

    def put_card(self, complaint_id: UUID, document: dict[str, Any]) -> None:
        self._exec(
            "INSERT INTO complaint_cards (complaint_id, number, customer_id, is_open, deadline, "
            "document) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (complaint_id) DO UPDATE SET "
            "is_open = excluded.is_open, deadline = excluded.deadline, "
            "document = excluded.document",
            (
                str(complaint_id),
                document["number"],
                document["customer_id"],
                int(document["step"] != "closed"),
                document["deadline"],
                msgspec.json.encode(document).decode(),
            ),
        )

    def set_customer_name(self, customer_id: UUID, name: str) -> None:
        self._exec(
            "INSERT INTO complaint_customer_names (customer_id, name) VALUES (?, ?) "
            "ON CONFLICT (customer_id) DO UPDATE SET name = excluded.name",
            (str(customer_id), name),
        )

    def cards(
        self, *, open_only: bool = False, customer_id: UUID | None = None
    ) -> list[ComplaintCard]:
        conditions = [
            ("c.is_open = ?", 1 if open_only else None),
            ("c.customer_id = ?", None if customer_id is None else str(customer_id)),
        ]
        used = [(sql, value) for sql, value in conditions if value is not None]
        rows = self._rows(
            "SELECT c.complaint_id, c.document, n.name FROM complaint_cards c "
            "LEFT JOIN complaint_customer_names n ON n.customer_id = c.customer_id "
            f"WHERE {' AND '.join(sql for sql, _ in used) or '1 = 1'} "
            "ORDER BY c.deadline, c.number",
            [value for _, value in used],
        )
        return [card_of(UUID(cid), msgspec.json.decode(doc), name) for cid, doc, name in rows]


class SqlComplaintFactsView(SqlTrackedView, ComplaintFactsView):
    name = "complaint_facts"
    tables = ("complaint_facts",)
    schema = (
        "CREATE TABLE IF NOT EXISTS complaint_facts (position BIGINT PRIMARY KEY, "
        "complaint_id TEXT NOT NULL, event TEXT NOT NULL, business_date TEXT NOT NULL, "
        "data TEXT NOT NULL)",
    )

    def add_fact(self, fact: Fact) -> None:
        self._exec(
            "INSERT INTO complaint_facts (position, complaint_id, event, business_date, data) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                fact.position,
                str(fact.complaint_id),
                fact.event,
                fact.on.isoformat(),
                msgspec.json.encode(fact.data).decode(),
            ),
        )

    def facts(self, *, up_to_position: int | None = None) -> list[Fact]:
        rows = self._rows(
            "SELECT position, complaint_id, event, business_date, data FROM complaint_facts "
            "WHERE position <= ? ORDER BY position",
            (up_to_position if up_to_position is not None else 2**62,),
        )
        return [
            Fact(int(p), UUID(c), e, date.fromisoformat(d), msgspec.json.decode(x))
            for p, c, e, d, x in rows
        ]
