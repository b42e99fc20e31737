"""The actor's rules as a person reads them: ids, roles and the authority refusal's message."""

from __future__ import annotations

import pytest

from clientbook import Actor, Money
from clientbook.domain.errors import ApprovalAuthorityError, InvalidValueError
from clientbook.domain.policy import PolicySettings

POLICY = PolicySettings()


def test_a_single_role_may_be_given_as_a_string() -> None:
    assert Actor("u-o", "officer").roles == frozenset({"officer"})


def test_unknown_roles_are_named_with_every_known_one() -> None:
    with pytest.raises(InvalidValueError) as refused:
        Actor("u", {"king", "jester"})
    assert str(refused.value) == (
        "unknown role(s) jester, king; known: administration, auditor, batch, cardholder, "
        "credit_officer, general_manager, manager, officer, relationship_manager, supervisor"
    )


@pytest.mark.parametrize("blank", ["", "   "])
def test_an_actor_without_a_user_id_is_told_what_one_looks_like(blank: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        Actor(blank)
    assert str(refused.value) == "an actor needs a user id, such as 'u-clerk'"


def test_a_user_id_with_a_control_character_names_the_user_id() -> None:
    with pytest.raises(InvalidValueError) as refused:
        Actor("u-\x00a")
    assert str(refused.value) == "user id holds the control character U+0000 at position 2"


def test_the_authority_refusal_names_the_approvers_roles_their_limit_and_the_amount() -> None:
    with pytest.raises(ApprovalAuthorityError) as refused:
        Actor("u-o", {"officer", "auditor"}).require_authority(
            Money("10000.01"), POLICY, "the refund"
        )
    assert str(refused.value) == (
        "u-o (auditor, officer) may approve up to 10,000.00 CNY; the refund is 10,000.01 CNY"
    )


def test_an_actor_without_a_role_is_refused_as_having_no_role() -> None:
    with pytest.raises(ApprovalAuthorityError) as refused:
        Actor("u-x").require_authority(Money("0.01"), POLICY, "the refund")
    assert str(refused.value) == "u-x (no role) may approve up to 0.00 CNY; the refund is 0.01 CNY"
