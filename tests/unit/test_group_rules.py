"""A group customer's rules (domain/group.py) as a person reads them: what each event records,
each refusal's whole message, and the links between customers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from clientbook import Actor, Money
from clientbook.domain.errors import (
    ConcentrationCapError,
    FourEyesError,
    GroupLimitError,
    InvalidTransitionError,
    InvalidValueError,
    ReasonRequiredError,
)
from clientbook.domain.group import CreditGroup, CustomerLink, Link, group_id, link_id
from clientbook.domain.policy import PolicySettings

D = date(2026, 1, 5)
LATER = date(2026, 2, 2)
POLICY = PolicySettings().with_setting("net_capital", "10000000.00")
LINK = Link("control", "share register 2025", Decimal("60"))
A, B = UUID(int=1), UUID(int=2)


def group(limit: str = "1000000.00") -> CreditGroup:
    g = CreditGroup.form(
        name="Wang Group",
        lead_branch="Shanghai",
        lead_manager="m-001",
        limit=Money(limit),
        policy=POLICY,
        by="u-officer",
        on=D,
    )
    return g


def last(aggregate: Any) -> Any:
    return aggregate.collect_events()[-1]


def refusal(error: type[Exception], command: Any) -> str:
    with pytest.raises(error) as refused:
        command()
    return str(refused.value)


def test_ids_follow_the_business_keys_and_never_change() -> None:
    assert group().id == group_id("Wang Group")
    assert group_id("Huaxia") == UUID("769454e4-978a-5f9c-b615-5f474d346d59")
    assert link_id(A, B) == link_id(B, A) == UUID("8db165b5-8037-5b01-a007-25a942091447")
    assert CustomerLink(A, B, LINK, by="u", on=D).id == CustomerLink.create_id(B, A)
    assert link_id(A, uuid4()) != link_id(A, B)


def test_forming_records_the_group_and_names_each_missing_part() -> None:
    g = group()
    event = last(g)
    assert (g.name, g.lead_branch, g.lead_manager, g.limit, event.by, event.on) == (
        "Wang Group",
        "Shanghai",
        "m-001",
        Money("1000000.00"),
        "u-officer",
        D,
    )
    for field, what in [
        ("name", "group name"),
        ("lead_branch", "lead branch"),
        ("lead_manager", "lead relationship manager"),
    ]:
        arguments = {"name": "G", "lead_branch": "b", "lead_manager": "m", field: " "}
        assert refusal(
            InvalidValueError,
            lambda: CreditGroup.form(**arguments, limit=Money("1.00"), policy=POLICY, by="u", on=D),
        ) == (f"the {what} is required")


def test_the_cap_refusals_say_what_to_do_and_name_the_group() -> None:
    assert refusal(
        ConcentrationCapError,
        lambda: CreditGroup.form(
            name="X",
            lead_branch="b",
            lead_manager="m",
            limit=Money("1.00"),
            policy=PolicySettings(),
            by="u",
            on=D,
        ),
    ) == ("the policy has no net capital yet; set net_capital before granting a group limit")
    assert refusal(
        ConcentrationCapError,
        lambda: group().change_limit(Money("1500000.01"), policy=POLICY, by="u", on=D),
    ) == (
        "group Wang Group's limit of 1,500,000.01 CNY is above the concentration cap of "
        "1,500,000.00 CNY (15% of net capital)"
    )
    usd = POLICY.with_setting("currency", "USD")
    from clientbook.domain.group import concentration_cap

    assert concentration_cap(usd) == Money("1500000.00", "USD")


def test_a_members_addition_records_its_link_and_allocation() -> None:
    g = group()
    g.add_member(A, link=LINK, allocation=Money("300.00"), lines=Money.zero(), by="u-o", on=LATER)
    event = last(g)
    assert (event.customer_id, event.link, event.allocation, event.by, event.on) == (
        A,
        LINK,
        Money("300.00"),
        "u-o",
        LATER,
    )
    assert refusal(
        InvalidValueError,
        lambda: g.add_member(
            A, link=LINK, allocation=Money("1.00"), lines=Money.zero(), by="u", on=D
        ),
    ) == ("the customer is already a member of group Wang Group")


def test_allocations_are_checked_against_the_others_and_the_limit() -> None:
    g = group("1000.00")
    g.add_member(A, link=LINK, allocation=Money("600.00"), lines=Money.zero(), by="u", on=D)
    g.add_member(B, link=LINK, allocation=Money("400.00"), lines=Money.zero(), by="u", on=D)
    g.allocate(A, Money("600.00"), lines=Money.zero(), by="u-o", on=LATER)  # its own counts once
    event = last(g)
    assert (event.customer_id, event.allocation, event.by, event.on) == (
        A,
        Money("600.00"),
        "u-o",
        LATER,
    )
    assert refusal(
        GroupLimitError, lambda: g.allocate(A, Money("600.01"), lines=Money.zero(), by="u", on=D)
    ) == (
        "allocating 600.01 CNY would put 1,000.01 CNY of group Wang Group's 1,000.00 CNY limit "
        "to members"
    )
    assert refusal(
        InvalidValueError, lambda: g.allocate(A, Money("-1.00"), lines=Money.zero(), by="u", on=D)
    ) == ("an allocation cannot be negative; got -1.00 CNY")
    assert refusal(
        InvalidValueError,
        lambda: g.allocate(uuid4(), Money("1.00"), lines=Money.zero(), by="u", on=D),
    ) == ("the customer is not a member of group Wang Group")


def test_the_limit_may_fall_to_what_is_allocated_and_no_lower() -> None:
    g = group("1000.00")
    g.add_member(A, link=LINK, allocation=Money("600.00"), lines=Money.zero(), by="u", on=D)
    g.change_limit(Money("600.00"), policy=POLICY, by="u-o", on=LATER)
    event = last(g)
    assert (g.limit, event.by, event.on) == (Money("600.00"), "u-o", LATER)
    assert refusal(
        GroupLimitError, lambda: g.change_limit(Money("599.99"), policy=POLICY, by="u", on=D)
    ) == (
        "group Wang Group has 600.00 CNY allocated to members; its limit cannot fall to 599.99 CNY"
    )


def test_a_member_is_removed_with_a_reason() -> None:
    g = group()
    g.add_member(A, link=LINK, allocation=Money("1.00"), lines=Money.zero(), by="u", on=D)
    assert refusal(ReasonRequiredError, lambda: g.remove_member(A, reason=" ", by="u", on=D)) == (
        "removing a member from group Wang Group needs a reason"
    )
    g.remove_member(A, reason=" sold ", by="u-o", on=LATER)
    event = last(g)
    assert (event.customer_id, event.reason, event.by, event.on) == (A, "sold", "u-o", LATER)
    assert A not in g.members and A not in g.member_classes


def test_a_members_classification_is_recorded_only_when_it_changes() -> None:
    g = group()
    g.add_member(A, link=LINK, allocation=Money("1.00"), lines=Money.zero(), by="u", on=D)
    assert not g.record_classification(A, "normal", by="u", on=D)
    assert not g.record_classification(uuid4(), "loss", by="u", on=D)
    assert g.record_classification(A, "doubtful", by="u-b", on=LATER)
    event = last(g)
    assert (event.customer_id, event.classification, event.by, event.on) == (
        A,
        "doubtful",
        "u-b",
        LATER,
    )
    assert g.classification == "doubtful"


def test_a_warning_puts_the_group_under_review_and_a_second_person_releases_it() -> None:
    g = group()
    assert refusal(
        InvalidValueError, lambda: g.raise_warning("gossip", detail="d", by="u", on=D)
    ) == (
        "early warning 'gossip' is not one of: overdraft_abuse, overdue_bills, "
        "collateral_withdrawn, rating_downgrade, covenant_breach"
    )
    assert refusal(InvalidTransitionError, lambda: g.review(findings="f", by="u", on=D)) == (
        "group Wang Group is not under review"
    )
    assert refusal(InvalidTransitionError, lambda: g.release(by=Actor("u-s"), on=D)) == (
        "group Wang Group must be reviewed before it is released"
    )
    g.raise_warning("covenant_breach", detail=" dividend paid ", by="u-w", on=LATER)
    event = last(g)
    assert (event.kind, event.detail, event.by, event.on) == (
        "covenant_breach",
        "dividend paid",
        "u-w",
        LATER,
    )
    assert g.warnings == [(LATER, "covenant_breach", "dividend paid")] and g.under_review
    assert refusal(ReasonRequiredError, lambda: g.review(findings=" ", by="u", on=D)) == (
        "reviewing group Wang Group needs the findings"
    )
    g.review(findings=" paid back ", by="u-r", on=LATER)
    event = last(g)
    assert (event.findings, event.by, event.on) == ("paid back", "u-r", LATER)
    assert refusal(FourEyesError, lambda: g.release(by=Actor("u-r"), on=LATER)) == (
        "the review of group Wang Group was prepared by u-r; another person must approve it"
    )
    g.release(by=Actor("u-s"), on=LATER)
    event = last(g)
    assert (event.by, event.on, g.under_review) == ("u-s", LATER, False)


def test_a_links_rules_name_what_is_wrong() -> None:
    assert refusal(InvalidValueError, lambda: Link("cousin", "e").check()) == (
        "link 'cousin' is not one of: control, common_control, family_or_key_managers, "
        "mutual_guarantee, same_guarantor, economic_dependency"
    )
    assert refusal(InvalidValueError, lambda: Link("control", " ").check()) == (
        "a control link needs its evidence"
    )
    for percent in ("0", "100"):
        Link("control", "e", Decimal(percent)).check()
    for percent in ("-0.01", "100.01"):
        assert (
            refusal(InvalidValueError, lambda: Link("control", "e", Decimal(percent)).check())
            == f"a link's percentage {percent} is not between 0 and 100"
        )


def test_a_recorded_link_is_revised_and_ended_once_with_a_reason() -> None:
    link = CustomerLink(A, B, LINK, by="u", on=D)
    revised = Link("mutual_guarantee", "guarantee contract 2026")
    link.revise(revised, by="u-o", on=LATER)
    event = last(link)
    assert (event.link, event.by, event.on, link.link) == (revised, "u-o", LATER, revised)
    with pytest.raises(InvalidValueError):
        link.revise(Link("cousin", "e"), by="u", on=LATER)
    assert refusal(ReasonRequiredError, lambda: link.end(reason=" ", by="u", on=LATER)) == (
        "ending a link needs a reason"
    )
    link.end(reason=" sold ", by="u-e", on=LATER)
    event = last(link)
    assert (event.reason, event.by, event.on, link.ended) == ("sold", "u-e", LATER, True)
    assert refusal(InvalidTransitionError, lambda: link.end(reason="again", by="u", on=LATER)) == (
        "the link has already ended"
    )
    link.revise(LINK, by="u", on=LATER)  # a revision restores an ended link
    assert not link.ended


def test_forming_a_group_above_the_cap_names_the_group() -> None:
    with pytest.raises(ConcentrationCapError) as refused:
        CreditGroup.form(
            name="Li Group",
            lead_branch="b",
            lead_manager="m",
            limit=Money("1500000.01"),
            policy=POLICY,
            by="u",
            on=D,
        )
    assert str(refused.value).startswith("group Li Group's limit of 1,500,000.01 CNY is above")


def test_a_link_without_a_percentage_holds_none() -> None:
    lenient = POLICY.with_setting("control_significant_percent", "0.5")
    largest = Link("control", "register", largest_shareholder=True)
    assert not largest.qualifies(lenient)
    assert Link("control", "register", Decimal("0.5"), largest_shareholder=True).qualifies(lenient)
