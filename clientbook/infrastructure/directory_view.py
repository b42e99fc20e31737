"""SQL view of the customer directory: one row per customer, written once per page. The name
is kept sealed (sealed_fields.py); phones and identity documents only as blind-index digests."""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from typing import Any, Mapping, Sequence
from uuid import UUID

from msgspec.structs import replace

from clientbook.infrastructure.buffered import BufferedView, BulkTable, Documents, Row
from clientbook.infrastructure.columns import day, iso
from clientbook.infrastructure.sealed_fields import ClearFields
from clientbook.infrastructure.sql import SqlDatabase
from clientbook.projections.directory import CustomerDirectoryView, DirectoryEntry, Listing

COLUMNS = (
    "customer_id, number, name, kind, segment, tier, manager, status, restricted, "
    "registered_on, last_contact, last_seen, visit_cycle_days, lapsed, contact_consents"
)
TABLE = BulkTable(
    "customer_directory",
    [*COLUMNS.split(", "), "seen_due"],
    key=["customer_id"],
    fixed=["number", "kind", "registered_on"],
)
INDEX = BulkTable("customer_index", ["customer_id", "kind", "digest"], key=["customer_id", "kind"])


class SqlCustomerDirectoryView(BufferedView, CustomerDirectoryView):
    name = "customer_directory"
    tables = ("customer_directory", "customer_index")
    schema = (
        "CREATE TABLE IF NOT EXISTS customer_directory (customer_id TEXT PRIMARY KEY, "
        "number TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, segment TEXT NOT NULL, "
        "tier TEXT NOT NULL, manager TEXT NOT NULL, status TEXT NOT NULL, "
        "restricted INTEGER NOT NULL, registered_on TEXT NOT NULL, last_contact TEXT, "
        "last_seen TEXT NOT NULL, visit_cycle_days INTEGER, lapsed INTEGER NOT NULL, "
        "contact_consents TEXT NOT NULL, seen_due TEXT)",
        "CREATE UNIQUE INDEX IF NOT EXISTS customer_directory_number "
        "ON customer_directory (number)",
        "CREATE INDEX IF NOT EXISTS customer_directory_manager ON customer_directory (manager)",
        "CREATE INDEX IF NOT EXISTS customer_directory_seen_due ON customer_directory (seen_due)",
        "CREATE INDEX IF NOT EXISTS customer_directory_tier_seen "
        "ON customer_directory (tier, last_seen)",
        "CREATE TABLE IF NOT EXISTS customer_index (customer_id TEXT NOT NULL, "
        "kind TEXT NOT NULL, digest TEXT, PRIMARY KEY (customer_id, kind))",
        "CREATE INDEX IF NOT EXISTS customer_index_digest ON customer_index (kind, digest)",
    )

    def __init__(
        self, database: SqlDatabase, name: str | None = None, fields: ClearFields | None = None
    ) -> None:
        super().__init__(database, name)
        self.fields = fields or ClearFields()
        self._listings = self._buffered(
            Documents(TABLE, self._row, self._load, lambda ids: self.fields.prepare(ids))
        )  # the keys of the names a write seals, read in one query per few hundred
        self._index: Documents[tuple[UUID, str], str | None] = self._buffered(
            Documents(INDEX, _index_row)
        )

    def listing(self, customer_id: UUID) -> Listing | None:
        return self._listings.get(customer_id)

    def put(self, listing: Listing) -> None:
        self._listings.put(listing.customer_id, listing)

    def index(self, customer_id: UUID, kind: str, value: str | None) -> None:
        digest = self.fields.digest(kind, value) if value else None
        self._index.put((customer_id, kind), digest)

    def find(self, kind: str, value: str) -> list[DirectoryEntry]:
        digest = self.fields.digest(kind, value)
        return self._entries(
            self._select(
                "customer_id IN (SELECT customer_id FROM customer_index WHERE kind = ? "
                "AND digest = ?)",
                [kind, digest],
            )
        )

    def _load(self, customer_id: UUID) -> Listing | None:
        """The row as stored, its name still sealed: what the projection changes and puts back."""
        found = self._select("customer_id = ?", [str(customer_id)])
        return found[0] if found else None

    def get(self, customer_id: UUID) -> DirectoryEntry | None:
        found = self._load(customer_id)
        return None if found is None else self._entries([found])[0]

    def _entries(self, listings: list[Listing]) -> list[DirectoryEntry]:
        names = self.fields.open_many((found.customer_id, found.name) for found in listings)
        return [replace(found, name=name).entry() for found, name in zip(listings, names)]

    def search(
        self,
        *,
        manager: str | None = None,
        status: str | None = None,
        lapsed: bool | None = None,
        number: str | None = None,
    ) -> list[DirectoryEntry]:
        conditions = [
            ("manager = ?", manager),
            ("status = ?", status),
            ("number = ?", number),
            ("lapsed = ?", None if lapsed is None else int(lapsed)),
        ]
        used = [(sql, value) for sql, value in conditions if value is not None]
        where = " AND ".join(sql for sql, _ in used) or "1 = 1"
        return self._entries(self._select(where, [value for _, value in used]))

    def lapse_candidates(
        self, on: date, grace_days: int, tier_cycles: Mapping[str, int]
    ) -> Sequence[UUID]:
        cutoff = date.fromordinal(on.toordinal() - grace_days)
        tiers = sorted(tier_cycles.items())
        by_tier = "".join(" OR (tier = ? AND last_seen <= ?)" for _ in tiers)
        rows = self._rows(
            "SELECT customer_id FROM customer_directory WHERE lapsed = 0 AND (seen_due <= ? "
            "OR (visit_cycle_days IS NULL AND status NOT IN ('lost', 'closed') AND (1 = 0"
            f"{by_tier}))) ORDER BY number",
            (
                cutoff.isoformat(),
                *(
                    v
                    for tier, days in tiers
                    for v in (tier, (cutoff - timedelta(days=days)).isoformat())
                ),
            ),
        )
        return [UUID(r[0]) for r in rows]

    def _select(self, where: str, params: list[Any]) -> list[Listing]:
        rows = self._rows(
            f"SELECT {COLUMNS} FROM customer_directory WHERE {where} ORDER BY number", params
        )
        return [
            Listing(
                customer_id=UUID(r[0]),
                number=r[1],
                name=r[2],
                kind=r[3],
                segment=r[4],
                tier=r[5],
                manager=r[6],
                status=r[7],
                restricted=bool(r[8]),
                registered_on=date.fromisoformat(r[9]),
                last_contact=day(r[10]),
                last_seen=date.fromisoformat(r[11]),
                visit_cycle_days=None if r[12] is None else int(r[12]),
                lapsed=bool(r[13]),
                contact_consents=tuple(c for c in r[14].split(",") if c),
            )
            for r in rows
        ]

    def _row(self, customer_id: UUID, listing: Listing) -> Row:
        return _row(customer_id, listing, self.fields.seal(customer_id, listing.name))


def _index_row(key: tuple[UUID, str], digest: str | None) -> Row:
    return (str(key[0]), key[1], digest)


def _row(customer_id: UUID, listing: Listing, name: str) -> Row:
    return (
        str(customer_id),
        listing.number,
        name,
        listing.kind,
        listing.segment,
        listing.tier,
        listing.manager,
        listing.status,
        int(listing.restricted),
        listing.registered_on.isoformat(),
        iso(listing.last_contact),
        listing.last_seen.isoformat(),
        listing.visit_cycle_days,
        int(listing.lapsed),
        ",".join(listing.contact_consents),
        iso(listing.seen_due),
    )
