"""Campaigns (`book.campaigns`): launched for service tiers, they put every covered customer on
their manager's call-back list until contacted (domain/campaign.py, projections/campaigns.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from uuid import UUID

from clientbook.application.app import ClientBookApplication
from clientbook.application.keyed import idempotent
from clientbook.application.policy import PolicyService
from clientbook.domain.actor import Actor
from clientbook.domain.campaign import Campaign, campaign_id, check_tiers
from clientbook.domain.errors import ConflictError, DuplicateNumberError, NotFoundError
from clientbook.projections.campaigns import CallBack, CampaignQueries

Covered = Callable[[Sequence[str]], list[tuple[UUID, str, str]]]
"""The open customers of these tiers, as (id, number, manager), as the directory shows them."""


class Campaigns:
    area = "campaigns"

    def __init__(
        self,
        app: ClientBookApplication,
        policy: PolicyService,
        covered: Covered,
        queries: CampaignQueries,
    ) -> None:
        self._app, self._policy, self._covered, self._queries = app, policy, covered, queries

    @idempotent
    def launch(
        self,
        *,
        number: str,
        kind: str,
        title: str,
        tiers: Sequence[str],
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> UUID:
        """Start a campaign for the customers of `tiers`; each is to be contacted within the
        policy's `campaign_follow_up_days`."""
        if self._app.exists(campaign_id(number)):
            raise DuplicateNumberError(f"campaign number {number} is taken")
        chosen = check_tiers(tiers)
        campaign = Campaign.launch(
            number=number,
            kind=kind,
            title=title,
            tiers=chosen,
            covered=self._covered(chosen),
            follow_up_days=self._policy.in_force(on).campaign_follow_up_days,
            by=by.id,
            on=on,
        )
        try:
            self._app.save_all(campaign)
        except ConflictError:
            raise DuplicateNumberError(f"campaign number {number} was just taken") from None
        return campaign.id

    @idempotent
    def end(
        self,
        campaign: UUID,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        c = self._load(campaign)
        c.end(reason=reason, by=by.id, on=on)
        self._app.save_all(c)

    def id_of(self, number: str) -> UUID:
        found = campaign_id(number)
        if not self._app.exists(found):
            raise NotFoundError(f"there is no campaign {number}")
        return found

    def call_backs(
        self, *, on: date, manager: str | None = None, at_least: int | None = None
    ) -> list[CallBack]:
        """The customers still to be called back for a campaign, by manager and due date."""
        return self._queries.call_backs(on=on, manager=manager, at_least=at_least)

    def _load(self, campaign: UUID) -> Campaign:
        return self._app.get(Campaign, campaign, "campaign")
