"""SQL view of campaign follow-ups: a document per covered customer (their follow-ups of every
campaign) and the customers each campaign covers."""

from __future__ import annotations

from uuid import UUID

import msgspec

from clientbook.infrastructure.buffered import BufferedView, BulkTable, Documents, Row
from clientbook.infrastructure.sql import SqlDatabase
from clientbook.projections.campaigns import CampaignFollowUpsView, FollowUp

FOLLOW_UPS = BulkTable("campaign_follow_ups", ["customer_id", "document"], key=["customer_id"])
COVERED = BulkTable("campaign_covered", ["campaign_id", "customers"], key=["campaign_id"])
_encode = msgspec.json.Encoder().encode
_follow_ups = msgspec.json.Decoder(tuple[FollowUp, ...]).decode
_customers = msgspec.json.Decoder(tuple[UUID, ...]).decode


class SqlCampaignFollowUpsView(BufferedView, CampaignFollowUpsView):
    name = "campaign_follow_ups"
    tables = ("campaign_follow_ups", "campaign_covered")
    schema = (
        "CREATE TABLE IF NOT EXISTS campaign_follow_ups (customer_id TEXT PRIMARY KEY, "
        "document TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS campaign_covered (campaign_id TEXT PRIMARY KEY, "
        "customers TEXT NOT NULL)",
    )

    def __init__(self, database: SqlDatabase, name: str | None = None) -> None:
        super().__init__(database, name)
        self._follow_ups = self._buffered(Documents(FOLLOW_UPS, _row, self._load))
        self._covered = self._buffered(Documents(COVERED, _row, self._load_covered))

    def follow_ups_of(self, customer_id: UUID) -> tuple[FollowUp, ...]:
        return self._follow_ups.get(customer_id) or ()

    def put_follow_ups(self, customer_id: UUID, follow_ups: tuple[FollowUp, ...]) -> None:
        self._follow_ups.put(customer_id, follow_ups)

    def covered_by(self, campaign_id: UUID) -> tuple[UUID, ...]:
        return self._covered.get(campaign_id) or ()

    def put_covered(self, campaign_id: UUID, customers: tuple[UUID, ...]) -> None:
        self._covered.put(campaign_id, customers)

    def all_follow_ups(self) -> list[FollowUp]:
        found = [
            f
            for (document,) in self._rows("SELECT document FROM campaign_follow_ups")
            for f in _follow_ups(document)
        ]
        return sorted(found, key=lambda f: (f.started, f.campaign, f.customer))

    def _load(self, customer_id: UUID) -> tuple[FollowUp, ...] | None:
        rows = self._rows(
            "SELECT document FROM campaign_follow_ups WHERE customer_id = ?", (str(customer_id),)
        )
        return _follow_ups(rows[0][0]) if rows else None

    def _load_covered(self, campaign_id: UUID) -> tuple[UUID, ...] | None:
        rows = self._rows(
            "SELECT customers FROM campaign_covered WHERE campaign_id = ?", (str(campaign_id),)
        )
        return _customers(rows[0][0]) if rows else None


def _row(key: UUID, document: object) -> Row:
    return (str(key), _encode(document).decode())
