"""Replays the UCI "default of credit card clients" data as card accounts and business months.

Data: Yeh, I-C. & Lien, C-H. (2009), Expert Systems with Applications 36(2); UCI Machine Learning
Repository, CC BY 4.0. 30,000 card holders of a Taiwanese issuer, April–September 2005, amounts
in NT dollars (recorded here as TWD).

What maps to which command (everything goes through the domain's own commands and rules):

| data                               | command                                                       |
|------------------------------------|---------------------------------------------------------------|
| ID                                 | `Customer.register` C-<ID>, card account K-<ID>               |
| X5 age, X1 limit                   | `CardAccount.apply_for` (monthly income taken as limit / 5,   |
|                                    | scored by the default scorecard); a referral is decided by an |
|                                    | import reviewer with the limit X1, an automatic approval is   |
|                                    | then set to X1 (`decrease_limit`, or an increase proposed and |
|                                    | approved by two people)                                       |
| —                                  | `issue` (token, last four "0000"), `activate` on 2005-03-01   |
| X12–X17 statement balance          | purchases (`authorise`) bring the balance up to the month's   |
|                                    | bill before the statement closes on the 1st of the month      |
| X18–X23 amount paid                | `pay` on the 15th, against the statement before it            |
| X6–X11 repayment status, Y default | not replayed: delinquency comes from clientbook's own rules   |
|                                    | (a minimum unpaid by its due date); compare in the report     |
| —                                  | a policy change: minimum payment 2% (see MINIMUM_PAYMENT_...)  |

Close of business runs every day from the first statement, so statements, late fees, buckets,
collection stages and classification come from the batch, as for any other account.

A re-run of the same file after a crash is exactly once: every phase (the accounts opened, each
month's bills, each month's payments) saves its rows in parts, each with an idempotency key
derived from the file's digest, the phase and the rows (`uci-cards/<digest>/open/rows 1-200`),
so the re-run skips what was saved and does the rest; close of business does the same per date.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Callable, Iterator, Sequence

from attrs import frozen

from clientbook.application.app import ClientBookApplication
from clientbook.application.batches import rows_in_parts
from clientbook.application.canonical import digest_of
from clientbook.application.policy import PolicyService
from clientbook.domain.actor import Actor
from clientbook.domain.card import Applicant, CardAccount, DefaultScorecard
from clientbook.domain.customer import Customer
from clientbook.domain.money import Money
from clientbook.domain.policy import PolicySettings

IMPORTER = Actor("u-uci-import", {"officer"})
MIGRATION = Actor("u-uci-import", {"officer", "administration"})
"""The importer as it records the policy change of the migration (policy.change needs it)."""
REVIEWER = Actor("u-uci-reviewer", {"general_manager"})
CURRENCY = "TWD"
OPENED = date(2005, 3, 1)
LAST_DAY = date(2005, 9, 25)
"""The replay ends before September's statement falls due: the data has no payment against it."""
MINIMUM_PAYMENT_PERCENT = Decimal("2")
"""90% of the data's payments meet a 2% minimum (87% meet 3%, 57% meet 5%, 39% the default 10%),
so the import records the policy change a bank migrating this portfolio would make."""
PART_ROWS = 200
"""Card holders per part: opening an account writes about seven events."""
MONTHS = (
    date(2005, 4, 1),
    date(2005, 5, 1),
    date(2005, 6, 1),
    date(2005, 7, 1),
    date(2005, 8, 1),
    date(2005, 9, 1),
)


@frozen
class Holder:
    id: int
    limit: Decimal
    age: int
    bills: tuple[Decimal, ...]  # April … September
    payments: tuple[Decimal, ...]  # April … September, each against the statement before it
    defaulted: bool


Progress = Callable[[str, int, int], None]


class UciImport:
    """Opens the accounts in batches, then runs the business months through close of business."""

    def __init__(
        self,
        app: ClientBookApplication,
        policy: PolicyService,
        close_of_business: Callable[[date], object],
    ) -> None:
        self._app = app
        self._policy = policy
        self._close = close_of_business

    def run(
        self,
        holders: list[Holder],
        progress: Progress | None = None,
        minimum_payment_percent: Decimal = MINIMUM_PAYMENT_PERCENT,
        source: str | None = None,
    ) -> int:
        """Returns the number of events written. `source` names the data in the import's keys
        (the book gives the file's digest); by default, a digest of the holders."""
        start = self._app.recorder.max_notification_id() or 0
        key = f"uci-cards/{source or digest_of('uci-cards', {'holders': holders})[:16]}"
        if self._policy.in_force(OPENED).card_minimum_payment_percent != minimum_payment_percent:
            proposal = self._policy.propose(
                "card_minimum_payment_percent",
                str(minimum_payment_percent),
                reason="the source issuer's minimum payment: the data's payments meet it as "
                "they met the issuer's",
                effective=OPENED,
                by=MIGRATION,
                on=OPENED,
                idempotency_key=f"{key}/policy",
            )
            self._policy.approve(
                proposal, by=REVIEWER, on=OPENED, idempotency_key=f"{key}/policy-approval"
            )
        self._open_accounts(key, holders, progress)
        days = (LAST_DAY - MONTHS[0]).days + 1
        for n in range(days):
            on = MONTHS[0] + timedelta(days=n)
            if on in MONTHS:
                self._bill(key, holders, MONTHS.index(on), on)
            if on.day == 15:
                self._pay(key, holders, [m for m in MONTHS if m <= on][-1], on)
            self._close(on)
            if progress:
                progress("business days", n + 1, days)
        return (self._app.recorder.max_notification_id() or 0) - start

    def _open_accounts(self, key: str, holders: list[Holder], progress: Progress | None) -> None:
        policy = self._policy.in_force(OPENED)
        opened = [0]

        def open_part(part: Sequence[Holder]) -> list[Customer | CardAccount]:
            opened[0] += len(part)
            if progress:
                progress("accounts", opened[0], len(holders))
            return [a for h in part for a in self._open(h, policy)]

        rows_in_parts(self._app, f"{key}/open", IMPORTER, holders, open_part, PART_ROWS)
        if progress:
            progress("accounts", len(holders), len(holders))

    def _open(self, h: Holder, policy: PolicySettings) -> tuple[Customer, CardAccount]:
        customer = Customer.register(
            number=f"C-{h.id:06d}",
            kind="individual",
            name=f"UCI card holder {h.id}",
            manager="m-uci",
            by=IMPORTER.id,
            on=OPENED,
        )
        customer.activate(by=IMPORTER.id, on=OPENED)
        limit = Money(h.limit, CURRENCY)
        applicant = Applicant(Money((h.limit / 5).quantize(Decimal("0.01")), CURRENCY), h.age, True)
        score = DefaultScorecard().score(applicant)
        account = CardAccount.apply_for(
            number=f"K-{h.id:06d}",
            customer_id=customer.id,
            applicant=applicant,
            score=score,
            policy=policy,
            by=IMPORTER.id,
            on=OPENED,
        )
        if account.status == "referred":
            account.decide(
                approve=True,
                limit=limit,
                reason="limit granted by the source system",
                by=REVIEWER,
                on=OPENED,
            )
        account.issue(
            token=f"uci-token-{h.id}",
            last4="0000",
            apr=Decimal("18"),
            annual_fee=Money("0.00", CURRENCY),
            expiry=date(2008, 3, 1),
            by=IMPORTER.id,
            on=OPENED,
        )
        account.activate(by=IMPORTER.id, on=OPENED)
        self._set_limit(account, limit, policy)
        return customer, account

    @staticmethod
    def _set_limit(account: CardAccount, limit: Money, policy: PolicySettings) -> None:
        if limit < account.limit:
            account.decrease_limit(
                limit, reason="limit as in the source system", by=IMPORTER.id, on=OPENED
            )
        elif limit > account.limit:
            account.propose_limit_increase(
                limit, reason="limit as in the source system", by=IMPORTER.id, on=OPENED
            )
            account.approve_limit_increase(by=REVIEWER, policy=policy, on=OPENED)

    def _accounts(self, holders: Sequence[Holder]) -> Iterator[tuple[Holder, CardAccount]]:
        ids = [CardAccount.create_id(f"K-{h.id:06d}") for h in holders]
        yield from zip(holders, self._app.load_many(CardAccount, ids, "card account"))

    def _bill(self, key: str, holders: list[Holder], month: int, on: date) -> None:
        """Purchases bring each balance up to the month's bill before its statement closes."""
        policy = self._policy.in_force(on)

        def bill(part: Sequence[Holder]) -> list[CardAccount]:
            changed = []
            for h, account in self._accounts(part):
                short = Money(h.bills[month], CURRENCY) - account.balance
                room = account.available
                amount = min(short, room) if not short.is_negative else Money.zero(CURRENCY)
                if amount.amount > 0 and account.status == "active" and account.blocked is None:
                    account.authorise(
                        kind="purchase",
                        amount=amount,
                        merchant="as billed",
                        policy=policy,
                        by=f"holder-{h.id}",
                        on=on,
                    )
                    changed.append(account)
                else:
                    self._app.give_back(account)
            return changed

        rows_in_parts(
            self._app, f"{key}/bills/{on.isoformat()}", IMPORTER, holders, bill, PART_ROWS
        )

    def _pay(self, key: str, holders: list[Holder], statement: date, on: date) -> None:
        """The month's payment, against the statement before it (never more than is owed)."""
        index = MONTHS.index(statement) + 1
        if index >= len(MONTHS):
            return

        def pay(part: Sequence[Holder]) -> list[CardAccount]:
            changed = []
            for h, account in self._accounts(part):
                amount = min(Money(h.payments[index], CURRENCY), account.balance)
                if amount.amount > 0 and account.status != "written_off":
                    account.pay(amount, by=f"holder-{h.id}", on=on)
                    changed.append(account)
                else:
                    self._app.give_back(account)
            return changed

        rows_in_parts(
            self._app, f"{key}/payments/{on.isoformat()}", IMPORTER, holders, pay, PART_ROWS
        )
