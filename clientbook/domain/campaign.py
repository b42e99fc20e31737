"""A campaign (essay 5's three-level maintenance): a price change, a festival, a weather
warning, recorded with the service tiers it covers. Every customer of those tiers (open, as the
directory showed them when it started) goes on their manager's call-back list until contacted;
a contact after the follow-up date is late, and none at all by then is missed.

The covered customers are named in the campaign's first event, with their manager then, so
that who was to be called is part of the log and never depends on when a view is read."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from uuid import UUID

from eventsourcing.domain import event

from clientbook.domain.base import BookAggregate, business_key_id
from clientbook.domain.checks import require_reason as _reason
from clientbook.domain.errors import InvalidTransitionError, InvalidValueError

KINDS = ("price_change", "festival", "weather_warning", "product", "other")
TIERS = ("vip", "a", "b", "none")
_NUMBER = re.compile(r"[A-Z][A-Z0-9]{0,7}-[0-9]{4,}")


def check_tiers(tiers: Sequence[str]) -> list[str]:
    """The tiers a campaign covers: one or more known ones, each once, in the order given."""
    chosen = list(dict.fromkeys(tiers))
    if not chosen or any(tier not in TIERS for tier in chosen):
        raise InvalidValueError(
            f"a campaign covers one or more service tiers of {', '.join(TIERS)}; got "
            f"{', '.join(map(str, tiers)) or 'none'}"
        )
    return chosen


def campaign_id(number: str) -> UUID:
    return business_key_id("campaign", number)


class Campaign(BookAggregate):
    """A campaign and the customers it puts on their managers' call-back lists."""

    @staticmethod
    def create_id(number: str) -> UUID:
        return campaign_id(number)

    @classmethod
    def launch(
        cls,
        *,
        number: str,
        kind: str,
        title: str,
        tiers: Sequence[str],
        covered: Sequence[tuple[UUID, str, str]],
        follow_up_days: int,
        by: str,
        on: date,
    ) -> Campaign:
        """Start a campaign on `on` for the customers `covered` (id, number, manager), each to
        be contacted within `follow_up_days` (policy)."""
        if not isinstance(number, str) or not _NUMBER.fullmatch(number):
            raise InvalidValueError(
                f"campaign number {number!r} is not of the form FEST-2026 or CP-0001 (capital "
                "letters, a dash, at least four digits)"
            )
        if kind not in KINDS:
            raise InvalidValueError(f"campaign kind {kind!r} is not one of {', '.join(KINDS)}")
        if not isinstance(title, str) or not title.strip():
            raise InvalidValueError("a campaign needs a title")
        due = on + timedelta(days=follow_up_days)
        return cls(
            number,
            kind,
            title.strip(),
            check_tiers(tiers),
            [(customer, number, manager) for customer, number, manager in covered],
            due,
            by,
            on,
        )

    @event("Launched")
    def __init__(
        self,
        number: str,
        kind: str,
        title: str,
        tiers: list[str],
        covered: list[tuple[UUID, str, str]],
        follow_up_by: date,
        by: str,
        on: date,
    ) -> None:
        self.number, self.kind, self.title, self.tiers = number, kind, title, tiers
        self.covered, self.follow_up_by = covered, follow_up_by
        self.started = on
        self.ended: date | None = None

    def end(self, *, reason: str, by: str, on: date) -> None:
        """End the campaign: customers not contacted by then stay missed, none is added."""
        if self.ended is not None:
            raise InvalidTransitionError(f"campaign {self.number} ended on {self.ended}")
        if on < self.started:
            raise InvalidValueError(
                f"campaign {self.number} started on {self.started}; it cannot end on {on}"
            )
        self._ended(_reason(reason, "ending a campaign"), by, on)

    @event("Ended")
    def _ended(self, reason: str, by: str, on: date) -> None:
        self.ended = on
