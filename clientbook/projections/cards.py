"""Card accounts: the account view (what is due when) and the card facts the portfolio report
(reports/portfolio.py) folds."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from attrs import frozen
from eventsourcing.persistence import Tracking
from msgspec import Struct
from msgspec.structs import replace

from clientbook.domain.card import CardAccount, shift_months, unpaid_after
from clientbook.domain.money import Money
from clientbook.projections.handlers import EventProjection
from clientbook.projections.view import TrackedView, event_class, events_of, topics

CARD_EVENTS = events_of(CardAccount)
TWO = Decimal("0.01")


@frozen
class CardView:
    """A card account as operations see it on a date."""

    account_id: UUID
    number: str
    customer_id: UUID
    status: str
    limit: Money
    balance: Money
    available: Money
    days_past_due: int
    bucket: str
    stage: str
    classification: str
    last_statement: date | None
    next_statement: date | None


class AccountDocument(Struct, frozen=True):
    """What the projection keeps per card account: enough for its view on any date, and for
    what the daily batch selects it by (`batch_columns`)."""

    number: str
    customer_id: UUID
    status: str
    currency: str
    limit: Decimal = Decimal("0.00")
    balance: Decimal = Decimal("0.00")
    minimums: tuple[tuple[date, Decimal], ...] = ()
    """Minimum payments not yet paid, by due date, oldest first."""
    bucket: str = "current"
    stage: str = "none"
    classification: str = "normal"
    last_statement: date | None = None
    next_statement: date | None = None
    last_use: date | None = None
    dormancy: str = "none"
    expiry: date | None = None
    anniversary: date | None = None
    write_off_proposed: bool = False


class CardFact(Struct, frozen=True, omit_defaults=True):
    """A card event as the portfolio report counts it: when, and what of it the report needs."""

    position: int
    account_id: UUID
    event: str
    on: date
    amount: Decimal | None = None
    """In the account's currency (the application's fact names it)."""
    decision: str | None = None
    currency: str | None = None
    """The account's currency, on its application's fact."""
    bucket: str | None = None
    classification: str | None = None
    dormancy: str | None = None


class CardAccountsView(TrackedView):
    @abstractmethod
    def account(self, account_id: UUID) -> AccountDocument | None:
        """The account's document as the projection last put it (in a page: the latest)."""

    @abstractmethod
    def put_account(self, account_id: UUID, document: AccountDocument) -> None: ...

    @abstractmethod
    def accounts(self, *, open_only: bool = True) -> list[tuple[UUID, AccountDocument]]: ...

    @abstractmethod
    def due(self, on: date, dormant_before: date, long_dormant_before: date) -> list[UUID]:
        """Accounts with something due by `on` (`batch_columns`: a statement, the day after an
        unpaid minimum's due date — so every account past due, daily —, expiry, an anniversary),
        still in collections although nothing is past due any more (a payment settled the
        overdue minimum), or unused since the dates given."""

    @abstractmethod
    def add_fact(self, fact: CardFact) -> None: ...

    @abstractmethod
    def facts(self, *, up_to_position: int | None = None) -> list[CardFact]:
        """All facts in log order, up to a log position when one is given."""

    @abstractmethod
    def facts_for(self, after: int, up_to: int, on: date) -> tuple[int, Iterator[CardFact]]:
        """The facts after a position and up to another that a report as of `on` must fold,
        in log order, and the position they are complete to (the facts left out after it are
        all dated after `on`)."""


def _card(name: str) -> type:
    return event_class(CardAccount, name)


class CardAccountsProjection(EventProjection[CardAccountsView]):
    """Card events into the account view, and one fact per event for the portfolio report
    (even an event it does not count dates its account for a report as of an earlier date)."""

    name = "card_accounts"
    version = 4  # 3: fact blocks keep their earliest business date; 4: the account's currency
    topics = topics(*CARD_EVENTS)

    def __init__(self, view: CardAccountsView) -> None:
        super().__init__(view)
        # bound once: a rebuild calls them for nearly every event of the log
        self._document, self._keep, self._add_fact = view.account, view.put_account, view.add_fact

    @singledispatchmethod
    def process_event(self, event: Any, tracking: Tracking) -> None:
        """An event of no card account."""

    @process_event.register(CardAccount.Event)
    def dated(self, event: Any, tracking: Tracking) -> None:
        self._fact(event, tracking)

    @process_event.register(_card("Applied"))
    def applied(self, event: Any, tracking: Tracking) -> None:
        account = AccountDocument(
            number=event.number,
            customer_id=event.customer_id,
            status=event.decision,
            currency=event.applicant.monthly_income.currency,
        )
        self.view.put_account(event.originator_id, account)
        self._fact(event, tracking, decision=event.decision, currency=account.currency)

    @process_event.register(_card("Decided"))
    def decided(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status=event.decision)
        self._fact(event, tracking, decision=event.decision)

    @process_event.register(_card("Issued"))
    def issued(self, event: Any, tracking: Tracking) -> None:
        anniversary = shift_months(event.on, 12)
        self._change(
            event,
            status="issued",
            limit=event.limit.amount,
            expiry=event.expiry,
            next_statement=event.next_statement,
            last_use=event.on,
            anniversary=anniversary,
        )
        self._fact(event, tracking)

    @process_event.register(_card("Activated"))
    def activated(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="active")
        self._fact(event, tracking)

    @process_event.register(_card("Authorised"))
    def authorised(self, event: Any, tracking: Tracking) -> None:
        account = self._account(event)
        last_use = event.on if account.last_use is None else max(account.last_use, event.on)
        balance = account.balance + event.amount.amount
        self._put(event, account, balance=balance, last_use=last_use, dormancy="none")
        self._fact(event, tracking, amount=event.amount.amount)

    @process_event.register(_card("Charged"))
    def charged(self, event: Any, tracking: Tracking) -> None:
        self._add_to_balance(event, event.amount.amount)
        self._fact(event, tracking, amount=event.amount.amount)

    @process_event.register(_card("AnnualFeeCharged"))
    def annual_fee_charged(self, event: Any, tracking: Tracking) -> None:
        self._add_to_balance(event, event.amount.amount, anniversary=event.next_anniversary)
        self._fact(event, tracking, amount=event.amount.amount)

    @process_event.register(_card("Paid"))
    def paid(self, event: Any, tracking: Tracking) -> None:
        account, amount = self._account(event), event.amount.amount
        minimums = unpaid_after(account.minimums, amount)  # the account's own rule
        self._put(event, account, balance=account.balance - amount, minimums=minimums)
        self._fact(event, tracking, amount=amount)

    @process_event.register(_card("StatementClosed"))
    def statement_closed(self, event: Any, tracking: Tracking) -> None:
        account = self._account(event)
        due = () if event.minimum.is_zero else ((event.due, event.minimum.amount),)
        self._put(
            event,
            account,
            last_statement=event.on,
            next_statement=event.next_statement,
            minimums=(*account.minimums, *due),
        )
        self._fact(event, tracking)

    @process_event.register(_card("DelinquencyMoved"))
    def delinquency_moved(self, event: Any, tracking: Tracking) -> None:
        bucket, classification = event.bucket, event.classification
        self._change(event, bucket=bucket, stage=event.stage, classification=classification)
        self._fact(event, tracking, bucket=bucket, classification=classification)

    @process_event.register(_card("WriteOffProposed"))
    def write_off_proposed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, write_off_proposed=True)
        self._fact(event, tracking)

    @process_event.register(_card("WrittenOff"))
    def written_off(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="written_off", balance=Decimal("0.00"), minimums=())
        self._fact(event, tracking, amount=event.amount.amount)

    @process_event.register(_card("Recovered"))
    def recovered(self, event: Any, tracking: Tracking) -> None:
        self._fact(event, tracking, amount=event.amount.amount)

    @process_event.register(_card("RepaymentPlanAgreed"))
    def repayment_plan_agreed(self, event: Any, tracking: Tracking) -> None:
        waived = Decimal(0) if event.fees_waived is None else event.fees_waived.amount
        if waived:
            self._add_to_balance(event, -waived)
        self._fact(event, tracking, amount=waived)

    @process_event.register(_card("LimitChanged"))
    def limit_changed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, limit=event.limit.amount)
        self._fact(event, tracking)

    @process_event.register(_card("DormancyChanged"))
    def dormancy_changed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, dormancy=event.dormancy)
        self._fact(event, tracking, dormancy=event.dormancy)

    @process_event.register(_card("Renewed"))
    def renewed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, expiry=event.expiry)
        self._fact(event, tracking)

    @process_event.register(_card("Expired"))
    def expired(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="expired")
        self._fact(event, tracking)

    @process_event.register(_card("Closed"))
    def closed(self, event: Any, tracking: Tracking) -> None:
        self._change(event, status="closed")
        self._fact(event, tracking)

    def _account(self, event: Any) -> AccountDocument:
        account = self._document(event.originator_id)
        assert account is not None, f"no view of card account {event.originator_id}"
        return account

    def _change(self, event: Any, **changes: Any) -> None:
        self._put(event, self._account(event), **changes)

    def _add_to_balance(self, event: Any, amount: Decimal, **changes: Any) -> None:
        account = self._account(event)
        self._put(event, account, balance=account.balance + amount, **changes)

    def _put(self, event: Any, account: AccountDocument, **changes: Any) -> None:
        self._keep(event.originator_id, replace(account, **changes))

    def _fact(self, event: Any, tracking: Tracking, **details: Any) -> None:
        kind, position = type(event).__name__, tracking.notification_id
        self._add_fact(CardFact(position, event.originator_id, kind, event.on, **details))


def view_of(account_id: UUID, account: AccountDocument, on: date) -> CardView:
    currency = account.currency
    limit, balance = Money(account.limit, currency), Money(account.balance, currency)
    dpd = max(0, (on - account.minimums[0][0]).days) if account.minimums else 0
    available = limit - balance
    return CardView(
        account_id=account_id,
        number=account.number,
        customer_id=account.customer_id,
        status=account.status,
        limit=limit,
        balance=balance,
        available=available if not available.is_negative else Money.zero(currency),
        days_past_due=dpd,
        bucket=account.bucket,
        stage=account.stage,
        classification=account.classification,
        last_statement=account.last_statement,
        next_statement=account.next_statement,
    )


BatchColumns = tuple[date | None, int, str, date | None, int, date | None]


def batch_columns(account: AccountDocument) -> BatchColumns:
    """What the card batch selects by, kept beside the document: the next date something falls
    due (statement, the day after a due date, expiry), whether the account is in collections
    (looked at daily), its dormancy, its last use and whether it owes nothing."""
    status = account.status
    if status not in ("issued", "active", "expired", "written_off"):
        return None, 0, "n/a", None, 0, None
    dates = []
    if account.next_statement and status in ("issued", "active", "expired"):
        dates.append(account.next_statement)
    if account.minimums:
        dates.append(account.minimums[0][0] + timedelta(days=1))
    if account.expiry and status in ("issued", "active"):
        dates.append(account.expiry)
    if account.anniversary and status == "active":
        dates.append(account.anniversary)
    delinquent = int(account.stage != "none" and status != "written_off")
    dormancy = account.dormancy if status == "active" else "n/a"
    oldest = account.minimums[0][0] if account.minimums and status != "written_off" else None
    zero_balance = int(account.balance == 0)
    return (
        min(dates) if dates else None,
        delinquent,
        dormancy,
        account.last_use,
        zero_balance,
        oldest,
    )
