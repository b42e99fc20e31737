"""Permissions as policy: every command × every role as the default table says; auditors only
read; nobody raises their own authority; four eyes on canonical ids; three reviewers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from clientbook import (
    ROLES,
    Actor,
    ApprovalAuthorityError,
    ClientBook,
    DomainError,
    FourEyesError,
    InvalidValueError,
    Money,
    PolicyError,
    RoleRequiredError,
    SelfElevationError,
)
from clientbook.domain.permissions import default_roles
from clientbook.testing import change_policy

import _guard
from _guard import D, EVERYONE

SERVICES = ("customers", "complaints", "credit", "cards", "policy", "managers", "campaigns")


def test_every_command_is_allowed_to_exactly_the_roles_of_the_default_table() -> None:
    with ClientBook.open("memory:") as book:
        ids = _guard.build(book)
        checked = 0
        for service in SERVICES:
            target = getattr(book, service)
            for command in _guard.commands(target):
                name = f"{service}.{command}"
                for role in sorted(ROLES) + ["no role"]:
                    roles = set() if role == "no role" else {role}
                    arguments = {
                        **_guard.arguments(target, command, ids),
                        "by": Actor(f"u-{role.replace(' ', '-')}", roles),
                    }
                    refused = _permission_refusal(getattr(target, command), arguments, name)
                    assert refused == (role not in default_roles(name)), (name, role, refused)
                    checked += 1
        assert checked > 700


def _permission_refusal(command: object, arguments: dict[str, object], name: str) -> bool:
    """Whether the command was refused for the actor's role (other refusals are the rules')."""
    try:
        command(**arguments)  # type: ignore[operator]
    except RoleRequiredError as error:
        if "may not give" in str(error):
            assert f"may not give {name}; it needs one of the roles: " in str(error)
            return True
    except DomainError:
        pass
    return False


def test_an_auditor_reads_but_gives_no_command() -> None:
    with ClientBook.open("memory:") as book:
        auditor = Actor("u-audit", {"auditor"})
        with pytest.raises(
            RoleRequiredError,
            match="u-audit \\(auditor\\) may not give "
            "customers.register; it needs one of the roles: administration",
        ):
            book.customers.register(
                number="C-000001",
                kind="individual",
                name="Li Lei",
                manager="m-001",
                by=auditor,
                on=D,
            )
        with pytest.raises(RoleRequiredError, match="may not give policy.propose"):
            change_policy(
                book, "approval_limit_officer", "999999999.00", reason="mine", by=auditor, on=D
            )
        assert book.head == 0
        assert book.audit.trail() == []


def test_nobody_raises_their_own_approval_limit_or_grants_their_own_role_a_command() -> None:
    with ClientBook.open("memory:") as book:
        officer_admin = Actor("u-oa", {"officer", "administration"})
        with pytest.raises(SelfElevationError, match="u-oa holds officer"):
            change_policy(
                book,
                "approval_limit_officer",
                "999999999.00",
                reason="faster",
                by=officer_admin,
                on=D,
            )
        with pytest.raises(SelfElevationError, match="u-oa holds officer"):
            change_policy(
                book, "approval_limit_officer", "unlimited", reason="faster", by=officer_admin, on=D
            )
        admin = Actor("u-admin", {"administration"})
        with pytest.raises(SelfElevationError, match="may not grant a role they hold"):
            change_policy(
                book,
                "permission:credit.freeze",
                "credit_officer,administration",
                reason="cover",
                by=admin,
                on=D,
            )
        assert book.head == 0
        change_policy(
            book, "approval_limit_officer", "20000.00", reason="board decision", by=admin, on=D
        )
        change_policy(
            book, "approval_limit_officer", "5000.00", reason="lowered", by=officer_admin, on=D
        )  # lowering one's own limit is allowed
        assert book.policy.in_force(D).approval_limit_officer == Decimal("5000.00")


def test_a_policy_change_is_proposed_and_approved_by_a_second_administrator() -> None:
    with ClientBook.open("memory:") as book:
        admin, other = Actor("u-admin", {"administration"}), Actor("u-gm", {"general_manager"})
        later = D + timedelta(days=5)
        number = book.policy.propose(
            "complaint_deadline_days", "5", reason="stricter", effective=D, by=admin, on=D
        )
        assert book.policy.in_force(later).complaint_deadline_days == 7  # not yet approved
        head = book.head
        with pytest.raises(FourEyesError, match="another person must approve it"):
            book.policy.approve(number, by=Actor("U-Admin", {"administration"}), on=later)
        with pytest.raises(RoleRequiredError, match="may not give policy.approve"):
            book.policy.approve(number, by=Actor("u-boss", {"manager"}), on=later)
        assert book.head == head
        book.policy.approve(number, by=other, on=later)
        assert book.policy.in_force(later - timedelta(days=1)).complaint_deadline_days == 7
        assert book.policy.in_force(later).complaint_deadline_days == 5  # from the approval
        with pytest.raises(PolicyError, match="approved already by u-gm"):
            book.policy.approve(number, by=Actor("u-gm2", {"general_manager"}), on=later)
        raise_officers = book.policy.propose(
            "approval_limit_officer", "20000.00", reason="more", effective=D, by=admin, on=D
        )
        with pytest.raises(SelfElevationError, match="u-oa holds officer"):
            book.policy.approve(
                raise_officers, by=Actor("u-oa", {"officer", "administration"}), on=D
            )


def test_a_permission_change_takes_effect_from_its_business_date() -> None:
    with ClientBook.open("memory:") as book:
        ids = _guard.build(book)
        later = D + timedelta(days=10)
        change_policy(
            book,
            "permission:credit.freeze",
            "manager",
            reason="one desk",
            by=Actor("u-gm", {"general_manager"}),
            on=later,
        )
        book.credit.approve_line(ids["line"], by=_guard.SECOND, on=D)
        book.credit.activate_line(ids["line"], by=_guard.SECOND, on=D)
        credit_officer = Actor("u-credit", {"credit_officer"})
        book.credit.freeze(ids["line"], reason="fraud alert", by=credit_officer, on=D)
        book.credit.unfreeze(ids["line"], reason="cleared", by=credit_officer, on=D)
        with pytest.raises(RoleRequiredError, match="needs one of the roles: manager$"):
            book.credit.freeze(ids["line"], reason="again", by=credit_officer, on=later)
        book.credit.freeze(ids["line"], reason="again", by=Actor("u-m", {"manager"}), on=later)
        assert book.policy.in_force(later).roles_for("credit.freeze") == {"manager"}
        assert book.policy.in_force(D).roles_for("credit.freeze") == default_roles("credit.freeze")


def test_four_eyes_compares_canonical_user_ids() -> None:
    with ClientBook.open("memory:") as book:
        ids = _guard.build(book)
        with pytest.raises(InvalidValueError, match="surrounding whitespace"):
            Actor("u-everyone ", {"manager"})
        with pytest.raises(FourEyesError, match="another person must approve it"):
            book.credit.approve_line(ids["line"], by=Actor("U-EVERYONE", {"manager"}), on=D)


def test_the_three_reviews_of_a_report_are_three_different_people() -> None:
    with ClientBook.open("memory:") as book:
        ids = _guard.build(book)
        complaint, desk = ids["complaint"], Actor("u-desk", {"officer", "administration"})
        book.complaints.accept(complaint, by=desk, on=D)
        book.complaints.assign(complaint, department="cards", by=desk, on=D)
        book.complaints.investigate(
            complaint,
            cause="c",
            course_of_events="e",
            responsible_party="p",
            conclusion="c",
            countermeasures="m",
            prevention="p",
            by=desk,
            on=D,
        )
        everything = Actor("u-all", {"supervisor", "administration", "general_manager"})
        book.complaints.review(complaint, by=everything, on=D)
        head = book.head
        with pytest.raises(FourEyesError, match="U-ALL already reviewed"):
            book.complaints.endorse(
                complaint, opinion="fine", by=Actor("U-ALL", everything.roles), on=D
            )
        book.complaints.endorse(
            complaint, opinion="fine", by=Actor("u-adm", {"administration"}), on=D
        )
        with pytest.raises(FourEyesError, match="u-all already reviewed"):
            book.complaints.approve_report(complaint, by=everything, on=D)
        assert book.head == head + 1
        book.complaints.approve_report(complaint, by=Actor("u-gm", {"general_manager"}), on=D)


def test_a_referred_card_is_approved_only_within_the_approver_s_authority() -> None:
    with ClientBook.open("memory:") as book:
        ids = _guard.build(book)
        referred = book.cards.apply(
            number="K-000002",
            customer=ids["customer"],
            monthly_income=Money("100.00"),
            age=19,
            by=EVERYONE,
            on=D,
        )
        assert book.cards.account(referred).status == "referred"
        head = book.head
        with pytest.raises(RoleRequiredError, match="u-nobody \\(no role\\) may not give"):
            book.cards.decide(
                referred,
                approve=True,
                limit=Money("50000000.00"),
                reason="vip",
                by=Actor("u-nobody"),
                on=D,
            )
        with pytest.raises(ApprovalAuthorityError, match="may approve up to 10,000.00 CNY"):
            book.cards.decide(
                referred,
                approve=True,
                limit=Money("50000000.00"),
                reason="vip",
                by=Actor("u-off", {"officer"}),
                on=D,
            )
        assert book.head == head
        book.cards.decide(
            referred,
            approve=True,
            limit=Money("5000.00"),
            reason="ok",
            by=Actor("u-off", {"officer"}),
            on=D,
        )
