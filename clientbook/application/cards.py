"""Card-account commands over the one log, and the card close-of-business step."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Callable, Sequence
from uuid import UUID

from clientbook.application.app import ClientBookApplication
from clientbook.application.keyed import idempotent
from clientbook.application.policy import PolicyService
from clientbook.domain.actor import Actor
from clientbook.domain.card import (
    Applicant,
    CardAccount,
    DefaultScorecard,
    Scorecard,
    card_account_id,
)
from clientbook.domain.customer import Customer
from clientbook.domain.errors import (
    CardAccountNotFoundError,
    CustomerNotFoundError,
    DuplicateNumberError,
)
from clientbook.domain.money import Money


class Cards:
    """Card-account commands and queries, over the one ClientBook log."""

    area = "cards"
    """Its name on the book (`book.cards`), and in its commands' idempotency keys."""

    def __init__(
        self, app: ClientBookApplication, policy: PolicyService, scorecard: Scorecard | None = None
    ) -> None:
        self._app = app
        self._policy = policy
        self.scorecard: Scorecard = scorecard or DefaultScorecard()

    @idempotent
    def apply(
        self,
        *,
        number: str,
        customer: UUID,
        monthly_income: Money,
        age: int,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> UUID:
        """Record an application, scored by the scorecard; grades 4–5 are referred to a person."""
        holder = self._app.get(Customer, customer, "customer", CustomerNotFoundError)
        holder.require_open_for_new_business("given a card")
        if self._app.exists(card_account_id(number)):
            raise DuplicateNumberError(f"card account number {number} is taken")
        applicant = Applicant(monthly_income, age, existing_customer=holder.status == "active")
        account = CardAccount.apply_for(
            number=number,
            customer_id=customer,
            applicant=applicant,
            score=self.scorecard.score(applicant),
            policy=self._policy.in_force(on),
            by=by.id,
            on=on,
        )
        self._app.save_all(account)
        return account.id

    @idempotent
    def decide(
        self,
        account: UUID,
        *,
        approve: bool,
        reason: str,
        by: Actor,
        on: date,
        limit: Money | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        policy = self._policy.in_force(on)
        self._do(
            account,
            lambda a: a.decide(
                approve=approve, limit=limit, reason=reason, by=by, on=on, policy=policy
            ),
        )

    @idempotent
    def issue(
        self,
        account: UUID,
        *,
        token: str,
        last4: str,
        apr: Decimal,
        annual_fee: Money,
        expiry: date,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(
            account,
            lambda a: a.issue(
                token=token,
                last4=last4,
                apr=apr,
                annual_fee=annual_fee,
                expiry=expiry,
                by=by.id,
                on=on,
            ),
        )

    @idempotent
    def activate(
        self, account: UUID, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._do(account, lambda a: a.activate(by=by.id, on=on))

    @idempotent
    def authorise(
        self,
        account: UUID,
        *,
        kind: str,
        amount: Money,
        merchant: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> bool:
        """True if approved; a decline is recorded with its reason and changes no balance."""
        policy = self._policy.in_force(on)
        outcome: list[bool] = []
        self._do(
            account,
            lambda a: outcome.append(
                a.authorise(
                    kind=kind, amount=amount, merchant=merchant, policy=policy, by=by.id, on=on
                )
            ),
        )
        return outcome[0]

    @idempotent
    def pay(
        self,
        account: UUID,
        amount: Money,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(account, lambda a: a.pay(amount, by=by.id, on=on))

    @idempotent
    def charge_fee(
        self,
        account: UUID,
        kind: str,
        amount: Money,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(account, lambda a: a.charge_fee(kind, amount, by=by.id, on=on))

    @idempotent
    def promise(
        self,
        account: UUID,
        amount: Money,
        *,
        by_date: date,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(account, lambda a: a.promise(amount, by_date=by_date, by=by.id, on=on))

    @idempotent
    def agree_plan(
        self,
        account: UUID,
        instalments: Sequence[tuple[date, Money]],
        *,
        waive_fees: bool,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(
            account,
            lambda a: a.agree_plan(list(instalments), waive_fees=waive_fees, by=by.id, on=on),
        )

    @idempotent
    def approve_write_off(
        self, account: UUID, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        policy = self._policy.in_force(on)
        self._do(account, lambda a: a.approve_write_off(by=by, policy=policy, on=on))

    @idempotent
    def recover(
        self,
        account: UUID,
        amount: Money,
        *,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(account, lambda a: a.recover(amount, by=by.id, on=on))

    @idempotent
    def decrease_limit(
        self,
        account: UUID,
        limit: Money,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(account, lambda a: a.decrease_limit(limit, reason=reason, by=by.id, on=on))

    @idempotent
    def propose_limit_increase(
        self,
        account: UUID,
        limit: Money,
        *,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        self._do(account, lambda a: a.propose_limit_increase(limit, reason=reason, by=by.id, on=on))

    @idempotent
    def approve_limit_increase(
        self, account: UUID, *, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        policy = self._policy.in_force(on)
        self._do(account, lambda a: a.approve_limit_increase(by=by, policy=policy, on=on))

    @idempotent
    def reprice(
        self,
        account: UUID,
        apr: Decimal,
        *,
        notified_on: date,
        effective_on: date,
        reason: str,
        by: Actor,
        on: date,
        idempotency_key: str | None = None,
    ) -> None:
        policy = self._policy.in_force(on)
        self._do(
            account,
            lambda a: a.reprice(
                apr,
                notified_on=notified_on,
                effective_on=effective_on,
                reason=reason,
                policy=policy,
                by=by.id,
                on=on,
            ),
        )

    @idempotent
    def block(
        self, account: UUID, *, reason: str, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._do(account, lambda a: a.block(reason=reason, by=by.id, on=on))

    @idempotent
    def unblock(
        self, account: UUID, *, reason: str, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._do(account, lambda a: a.unblock(reason=reason, by=by.id, on=on))

    @idempotent
    def close(
        self, account: UUID, *, reason: str, by: Actor, on: date, idempotency_key: str | None = None
    ) -> None:
        self._do(account, lambda a: a.close(reason=reason, by=by.id, on=on))

    def account(self, account: UUID) -> CardAccount:
        """The account as it stands (a copy: changing it changes nothing stored)."""
        return self._app.get(CardAccount, account, "card account", CardAccountNotFoundError)

    def _do(self, account: UUID, command: Callable[[CardAccount], object]) -> None:
        self._app.change(CardAccount, account, "card account", CardAccountNotFoundError, command)
