"""The card portfolio report as of a date: accounts by status and delinquency bucket, balances
by class, roll rates from the previous month-end, cure, activation and dormancy rates, write-offs
and recoveries, folded from the card facts (projections/cards.py) by the one as-of rule; and
`book.card_accounts`, the card queries with this report, resumed from a checkpoint.

A portfolio is in one currency: the accounts opened in it, their balances and losses. A book
whose cards are in several (the demo's yuan cards beside the UCI import's New Taiwan dollars)
has a portfolio in each, asked for by its currency; amounts are never added across
currencies, and without a rate of exchange there is no total of them."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

import msgspec
from attrs import define, frozen
from msgspec import Struct

from clientbook.domain.as_of import AsOf
from clientbook.domain.card import BUCKETS, CARD_CLASSES
from clientbook.domain.errors import InvalidValueError
from clientbook.domain.money import checked_currency
from clientbook.projections.cards import CardAccountsProjection, CardAccountsView, CardFact
from clientbook.projections.checkpoints import ReportCheckpoints, resumed
from clientbook.projections.queries import CardQueries, Policies
from clientbook.projections.runner import Refresh

TWO = Decimal("0.01")


@define
class _Account:
    currency: str = ""
    status: str = "applied"
    balance: Decimal = Decimal(0)
    bucket: str = "current"
    classification: str = "normal"
    issued: bool = False
    activated: bool = False
    dormancy: str = "none"


@frozen
class PortfolioReport:
    """The card portfolio on a date, with roll rates from the previous month-end."""

    as_of: date
    position: int
    currency: str
    """The currency of the accounts counted and of every amount ("" for facts that name none)."""
    accounts_by_status: tuple[tuple[str, int, Decimal], ...]
    accounts_by_bucket: tuple[tuple[str, int, Decimal], ...]
    balances_by_class: tuple[tuple[str, Decimal], ...]
    roll_rates: tuple[tuple[str, str, int], ...]
    """(from bucket at the previous month-end, to bucket now, accounts)."""
    cure_rate_percent: Decimal | None
    written_off: Decimal
    recovered: Decimal
    issued: int
    activation_rate_percent: Decimal | None
    dormant_percent: Decimal | None
    long_term_dormant_percent: Decimal | None
    long_term_dormant_ceiling_percent: Decimal
    long_term_dormant_within_ceiling: bool
    period_from: date | None = None
    """Write-offs and recoveries count from this date to `as_of` (default: the as-of month)."""
    currencies: tuple[str, ...] = ()
    """Every currency the book's issued cards are in, this one included: each has a portfolio."""


def portfolio(
    facts: Iterable[CardFact],
    *,
    as_of: date,
    position: int,
    ceiling_percent: Decimal,
    period_from: date | None = None,
    currency: str | None = None,
) -> PortfolioReport:
    """Fold the card facts up to `as_of`; roll rates compare with the month-end before it.
    `currency` chooses the portfolio (default: the one the cards are in, see `choose`)."""
    fold = PortfolioFold(as_of, period_from)
    for fact in facts:
        fold.add(fact)
    return fold.report(position, ceiling_percent, currency)


class _PortfolioState(Struct):
    now: dict[UUID, _Account]
    before: dict[UUID, str]
    written_off: dict[str, Decimal]
    recovered: dict[str, Decimal]
    cut: dict[UUID, int]


class PortfolioFold:
    """The portfolio's fold of card facts as of a date, fact by fact, in log order; its state
    is a checkpoint (`encode`, `restore`) that a later report resumes."""

    def __init__(
        self, as_of: date, period_from: date | None = None, state: _PortfolioState | None = None
    ) -> None:
        self.as_of, self.month_end = as_of, as_of.replace(day=1) - timedelta(days=1)
        self.period_from, self._period_given = period_from or as_of.replace(day=1), period_from
        state = state or _PortfolioState({}, {}, {}, {}, {})
        self.now, self.before = state.now, state.before
        self.written_off, self.recovered = state.written_off, state.recovered
        self._rule = AsOf(as_of, state.cut)  # facts in log order: a position orders them

    @staticmethod
    def key(as_of: date, period_from: date | None) -> str:
        """The parameters a checkpoint of this fold holds for (with the facts' version)."""
        start = (period_from or as_of.replace(day=1)).isoformat()
        return f"v{CardAccountsProjection.version}/{as_of.isoformat()}/{start}"

    def add(self, fact: CardFact) -> None:
        account_id, kind, on = fact.account_id, fact.event, fact.on
        if not self._rule.counts(account_id, fact.position, on):
            return
        if on > self.month_end and account_id not in self.before:
            self.before[account_id] = (
                self.now[account_id].bucket if account_id in self.now else "new"
            )
        a = self.now.get(account_id)
        if a is None:
            a = self.now[account_id] = _Account()
        _apply(a, fact)
        if self.period_from <= on and kind in ("WrittenOff", "Recovered"):
            losses = self.written_off if kind == "WrittenOff" else self.recovered
            losses[a.currency] = losses.get(a.currency, Decimal(0)) + (fact.amount or 0)

    def encode(self) -> bytes:
        cut = {k: v for k, v in self._rule.cut.items() if isinstance(k, UUID)}
        return _encode_state(
            _PortfolioState(self.now, self.before, self.written_off, self.recovered, cut)
        )

    @classmethod
    def restore(cls, as_of: date, period_from: date | None, state: bytes) -> PortfolioFold:
        return cls(as_of, period_from, _decode_state(state))

    def currencies(self) -> tuple[str, ...]:
        """The currencies of the cards issued by the as-of date, in alphabetical order."""
        return tuple(sorted({a.currency for a in self.now.values() if a.issued}))

    def choose(self, currency: str | None, default: str = "") -> str:
        """The portfolio's currency: the one asked for, else the one the issued cards are in
        (`default` when none is issued); a book whose cards are in several must say which."""
        if currency is not None:
            return currency
        found = self.currencies()
        if len(found) > 1:
            raise InvalidValueError(
                f"the book's cards are in {', '.join(found)}: a portfolio is in one currency, "
                "so ask for one of them (currency=..., --currency)"
            )
        return found[0] if found else default

    def report(
        self, position: int, ceiling_percent: Decimal, currency: str | None = None
    ) -> PortfolioReport:
        """The portfolio of the accounts in `currency` (default: as `choose` has it)."""
        currency = self.choose(currency)
        now, before = self.now, dict(self.before)
        for account_id, a in now.items():
            before.setdefault(account_id, a.bucket)
        live = {k: a for k, a in now.items() if a.issued and a.currency == currency}
        by_status = _group(live.values(), lambda a: a.status)
        on_books = [a for a in live.values() if a.status not in ("written_off", "closed")]
        by_bucket = _group(on_books, lambda a: a.bucket, order=BUCKETS)  # days-past-due order
        rolls = Counter((before[k], a.bucket) for k, a in live.items() if before[k] != "new")
        delinquent_before = [k for k in live if before[k] not in ("current", "new")]
        cured = sum(1 for k in delinquent_before if live[k].bucket == "current")
        issued = len(live)
        open_accounts = [
            a for a in live.values() if a.status not in ("closed", "written_off", "expired")
        ]
        long_term_dormant = _percent(sum(a.dormancy == "long_term" for a in open_accounts), issued)
        return PortfolioReport(
            as_of=self.as_of,
            position=position,
            currency=currency,
            accounts_by_status=by_status,
            accounts_by_bucket=by_bucket,
            balances_by_class=tuple(
                (c, sum((a.balance for a in live.values() if a.classification == c), Decimal(0)))
                for c in CARD_CLASSES
            ),
            roll_rates=tuple(
                sorted(
                    ((f, t, n) for (f, t), n in rolls.items()),
                    key=lambda r: (BUCKETS.index(r[0]), BUCKETS.index(r[1])),
                )
            ),
            cure_rate_percent=_percent(cured, len(delinquent_before)),
            written_off=self.written_off.get(currency, Decimal(0)),
            recovered=self.recovered.get(currency, Decimal(0)),
            issued=issued,
            activation_rate_percent=_percent(sum(a.activated for a in live.values()), issued),
            dormant_percent=_percent(sum(a.dormancy != "none" for a in open_accounts), issued),
            long_term_dormant_percent=long_term_dormant,
            long_term_dormant_ceiling_percent=ceiling_percent,
            long_term_dormant_within_ceiling=(long_term_dormant or Decimal(0)) <= ceiling_percent,
            period_from=self._period_given,
            currencies=self.currencies(),
        )


_encode_state = msgspec.json.Encoder().encode
_decode_state = msgspec.json.Decoder(_PortfolioState).decode


def _apply(a: _Account, fact: CardFact) -> None:
    kind, amount = fact.event, fact.amount or Decimal(0)
    if kind in ("Applied", "Decided"):
        a.status = fact.decision or a.status
        a.currency = fact.currency or a.currency
    elif kind == "Issued":
        a.status, a.issued = "issued", True
    elif kind == "Activated":
        a.status, a.activated = "active", True
    elif kind in ("Authorised", "Charged", "AnnualFeeCharged"):
        a.balance += amount
        if kind == "Authorised":
            a.dormancy = "none"
    elif kind in ("Paid", "RepaymentPlanAgreed"):
        a.balance -= amount
    elif kind == "DelinquencyMoved":
        a.bucket = fact.bucket or a.bucket
        a.classification = fact.classification or a.classification
    elif kind == "WrittenOff":
        a.status, a.balance = "written_off", Decimal(0)
    elif kind == "DormancyChanged":
        a.dormancy = fact.dormancy or a.dormancy
    elif kind in ("Closed", "Expired"):
        a.status = kind.lower()


def _group(
    accounts: Iterable[_Account], key: Any, order: tuple[str, ...] = ()
) -> tuple[tuple[str, int, Decimal], ...]:
    """Count and sum per key, keys in `order` (others after it, by name)."""
    counts: Counter[str] = Counter()
    sums: defaultdict[str, Decimal] = defaultdict(Decimal)
    for a in accounts:
        counts[key(a)] += 1
        sums[key(a)] += a.balance
    rank = {k: n for n, k in enumerate(order)}
    return tuple(
        (k, counts[k], sums[k]) for k in sorted(counts, key=lambda k: (rank.get(k, len(rank)), k))
    )


def _percent(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(100 * part) / whole).quantize(TWO, ROUND_HALF_UP)


class CardReports(CardQueries):
    """`book.card_accounts`: card accounts on a date and what the batch must look at
    (projections/queries.py), and the portfolio report."""

    def __init__(
        self, view: CardAccountsView, policy: Policies, refresh: Refresh, application_name: str
    ) -> None:
        super().__init__(view, policy, refresh)
        self._application_name = application_name
        self.checkpoints: ReportCheckpoints | None = None
        """Where the as-of report keeps its fold's state (the book sets it)."""
        self.facts_current: Callable[[], bool] = lambda: True
        """Whether the card facts were built by this code's version (the book asks its
        runner): while old tables answer during a rebuild, checkpoints are neither read nor
        made, since one would be filed under the new version's key."""

    def portfolio(
        self,
        *,
        as_of: date,
        period_from: date | None = None,
        position: int | None = None,
        at_least: int | None = None,
        currency: str | None = None,
    ) -> PortfolioReport:
        """The portfolio on `as_of`; write-offs and recoveries from `period_from` (default: the
        first of the month) on; roll rates from the previous month-end. `currency`: the
        portfolio of the cards in it (default: the currency the book's cards are in; the
        policy's when none is issued; refused when they are in several)."""
        if currency is not None:
            checked_currency(currency)
        fold, reflected = self._fold(as_of, period_from, position, at_least)
        policy = self._policy.at(reflected).in_force(as_of)
        currency = fold.choose(currency, default=policy.currency)
        return fold.report(reflected, policy.card_long_dormant_ceiling_percent, currency)

    def currencies(self, *, as_of: date, position: int | None = None) -> tuple[str, ...]:
        """The currencies of the cards issued by `as_of` (at `position`): one portfolio each."""
        return self._fold(as_of, None, position, None)[0].currencies()

    def _fold(
        self, as_of: date, period_from: date | None, position: int | None, at_least: int | None
    ) -> tuple[PortfolioFold, int]:
        """The portfolio's fold of the card facts up to `position` (default: as far as the view
        reflects), resumed from a checkpoint where one holds; and that position."""
        self._refresh(at_least)
        reflected = self._view.max_tracking_id(self._application_name) or 0
        if position is not None:
            reflected = min(reflected, position)
        fold = resumed(
            self.checkpoints if self.facts_current() else None,
            "portfolio",
            PortfolioFold.key(as_of, period_from),
            reflected,
            lambda: PortfolioFold(as_of, period_from),
            lambda state: PortfolioFold.restore(as_of, period_from, state),
            lambda after, up_to: self._view.facts_for(after, up_to, as_of),
        )
        return fold, reflected
