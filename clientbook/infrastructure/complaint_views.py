"""SQL views of complaints: record cards (a JSON document per complaint) and the report's facts
(JSON lists by block of positions)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID

import msgspec

from clientbook.infrastructure.buffered import BufferedView, BulkTable, Documents, FactBlocks, Row
from clientbook.infrastructure.sealed_fields import ClearFields
from clientbook.infrastructure.sql import SqlDatabase
from clientbook.projections.complaints import CardDocument, ComplaintCard, ComplaintCardsView
from clientbook.projections.complaint_facts import ComplaintFactsView, Fact

CARDS = BulkTable(
    "complaint_cards",
    ["complaint_id", "number", "customer_id", "is_open", "deadline", "document"],
    key=["complaint_id"],
    fixed=["number", "customer_id"],
)
NAMES = BulkTable("complaint_customer_names", ["customer_id", "name"], key=["customer_id"])
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(CardDocument).decode


class SqlComplaintCardsView(BufferedView, ComplaintCardsView):
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

    def __init__(
        self, database: SqlDatabase, name: str | None = None, fields: ClearFields | None = None
    ) -> None:
        super().__init__(database, name)
        self.fields = fields or ClearFields()  # customers' names are kept sealed
        self._documents = self._buffered(Documents(CARDS, _card_row, self._load))
        self._names: Documents[UUID, str] = self._buffered(
            Documents(NAMES, self._name_row, prepare=lambda ids: self.fields.prepare(ids))
        )  # the keys of the names a write seals, read in one query per few hundred

    def _name_row(self, customer_id: UUID, name: str) -> Row:
        return (str(customer_id), self.fields.seal(customer_id, name))

    def document(self, complaint_id: UUID) -> CardDocument | None:
        return self._documents.get(complaint_id)

    def put_document(self, complaint_id: UUID, document: CardDocument) -> None:
        self._documents.put(complaint_id, document)

    def set_customer_name(self, customer_id: UUID, name: str) -> None:
        self._names.put(customer_id, name)

    def _load(self, complaint_id: UUID) -> CardDocument | None:
        rows = self._rows(
            "SELECT document FROM complaint_cards WHERE complaint_id = ?", (str(complaint_id),)
        )
        return _decode(rows[0][0]) if rows else None

    def cards(
        self, *, open_only: bool = False, customer_id: UUID | None = None
    ) -> list[ComplaintCard]:
        conditions = [
            ("c.is_open = ?", 1 if open_only else None),
            ("c.customer_id = ?", None if customer_id is None else str(customer_id)),
        ]
        used = [(sql, value) for sql, value in conditions if value is not None]
        rows = self._rows(
            "SELECT c.complaint_id, c.document, n.name, n.customer_id FROM complaint_cards c "
            "LEFT JOIN complaint_customer_names n ON n.customer_id = c.customer_id "
            f"WHERE {' AND '.join(sql for sql, _ in used) or '1 = 1'} "
            "ORDER BY c.deadline, c.number",
            [value for _, value in used],
        )
        names = self.fields.open_many((UUID(r[3]), r[2]) for r in rows if r[2] is not None)
        opened = iter(names)
        return [
            _decode(document).card(UUID(cid), None if name is None else next(opened))
            for cid, document, name, _ in rows
        ]


def _card_row(complaint_id: UUID, document: CardDocument) -> Row:
    d = document
    is_open = int(d.step != "closed")
    customer_id, deadline = str(d.customer_id), d.deadline.isoformat()
    return (str(complaint_id), d.number, customer_id, is_open, deadline, _encode(d).decode())


class SqlComplaintFactsView(BufferedView, ComplaintFactsView):
    name = "complaint_facts"
    tables = ("complaint_facts",)
    schema = (
        "CREATE TABLE IF NOT EXISTS complaint_facts (block BIGINT PRIMARY KEY, "
        "facts TEXT NOT NULL, earliest TEXT NOT NULL)",
    )

    def __init__(self, database: SqlDatabase, name: str | None = None) -> None:
        super().__init__(database, name)
        self._facts = self._buffered(FactBlocks("complaint_facts", Fact, self._rows))

    def add_fact(self, fact: Fact) -> None:
        self._facts.add(fact)

    def facts(self, *, up_to_position: int | None = None) -> list[Fact]:
        return self._facts.read(up_to_position)

    def facts_for(self, after: int, up_to: int, on: date) -> tuple[int, Iterator[Fact]]:
        return self._facts.read_for(after, up_to, on)
