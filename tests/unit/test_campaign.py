"""Campaign rules without I/O: what a campaign must name, when it ends, and how each covered
customer's follow-up counts on a date (done, late, missed, pending; on the call-back list)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from clientbook.domain.base import business_key_id
from clientbook.domain.campaign import Campaign, campaign_id
from clientbook.domain.errors import InvalidTransitionError, InvalidValueError, ReasonRequiredError
from clientbook.projections.campaigns import FollowUp

D = date(2026, 2, 1)
CUSTOMER = uuid4()


def launch(**overrides: object) -> Campaign:
    args: dict[str, object] = dict(
        number="FEST-2026",
        kind="festival",
        title="Spring festival",
        tiers=["vip", "a"],
        covered=[(CUSTOMER, "C-000001", "m-001")],
        follow_up_days=7,
        by="u-clerk",
        on=D,
    )
    args.update(overrides)
    return Campaign.launch(**args)  # type: ignore[arg-type]


def test_a_campaign_names_its_kind_title_and_tiers_and_its_follow_up_date() -> None:
    c = launch(tiers=["a", "vip", "a"])
    assert (c.number, c.kind, c.title, c.started) == ("FEST-2026", "festival", "Spring festival", D)
    assert c.id == campaign_id("FEST-2026") == business_key_id("campaign", "FEST-2026")
    assert str(campaign_id("FEST-2026")) == str(Campaign.create_id("FEST-2026"))
    assert (c.tiers, c.follow_up_by, c.covered) == (
        ["a", "vip"],
        D + timedelta(days=7),
        [(CUSTOMER, "C-000001", "m-001")],
    )
    for field, value, message in (
        (
            "number",
            "fest",
            "campaign number 'fest' is not of the form FEST-2026 or CP-0001 "
            "(capital letters, a dash, at least four digits)",
        ),
        (
            "kind",
            "party",
            "campaign kind 'party' is not one of price_change, festival, "
            "weather_warning, product, other",
        ),
        ("title", "  ", "a campaign needs a title"),
        ("tiers", [], "a campaign covers one or more service tiers of vip, a, b, none; got none"),
        (
            "tiers",
            ["gold", "vip"],
            "a campaign covers one or more service tiers of vip, a, b, none; got gold, vip",
        ),
    ):
        with pytest.raises(InvalidValueError) as refused:
            launch(**{field: value})
        assert str(refused.value) == message


def test_a_campaign_ends_once_with_a_reason_not_before_it_started() -> None:
    c = launch()
    with pytest.raises(ReasonRequiredError, match="^ending a campaign needs a reason$"):
        c.end(reason="", by="u-clerk", on=D)
    with pytest.raises(
        InvalidValueError, match="started on 2026-02-01; it cannot end on 2026-01-31"
    ):
        c.end(reason="over", by="u-clerk", on=D - timedelta(days=1))
    c.end(reason="festival over", by="u-clerk", on=D + timedelta(days=3))
    with pytest.raises(InvalidTransitionError, match="ended on 2026-02-04"):
        c.end(reason="again", by="u-clerk", on=D + timedelta(days=4))


def follow_up(**changes: object) -> FollowUp:
    args: dict[str, object] = dict(
        campaign_id=uuid4(),
        campaign="FEST-2026",
        customer_id=CUSTOMER,
        customer="C-000001",
        manager="m-001",
        started=D,
        due=D + timedelta(days=7),
    )
    args.update(changes)
    return FollowUp(**args)  # type: ignore[arg-type]


def test_a_follow_up_is_done_by_its_due_date_late_after_it_and_missed_without_a_contact() -> None:
    due = D + timedelta(days=7)
    assert follow_up(contacted=due).outcome(due + timedelta(days=30)) == "done"
    assert follow_up(contacted=due + timedelta(days=1)).outcome(due + timedelta(days=1)) == "late"
    assert follow_up(contacted=due + timedelta(days=1)).outcome(due) == "pending"  # not yet then
    assert follow_up().outcome(due) == "pending"
    assert follow_up().outcome(due + timedelta(days=1)) == "missed"
    assert follow_up(ended=D + timedelta(days=2)).outcome(D + timedelta(days=2)) == "missed"
    assert follow_up(ended=D + timedelta(days=2)).outcome(D + timedelta(days=1)) == "pending"


def test_a_covered_customer_is_on_the_call_back_list_until_contacted_or_the_end() -> None:
    assert not follow_up().to_call(D - timedelta(days=1))
    assert follow_up().to_call(D) and follow_up().to_call(D + timedelta(days=60))  # overdue too
    assert not follow_up(contacted=D + timedelta(days=3)).to_call(D + timedelta(days=3))
    assert follow_up(contacted=D + timedelta(days=3)).to_call(D + timedelta(days=2))
    assert not follow_up(ended=D + timedelta(days=5)).to_call(D + timedelta(days=5))
