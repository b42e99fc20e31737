"""Card accounts: the account view (what is due when) and the portfolio report from card facts."""

from __future__ import annotations

from abc import abstractmethod
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from attrs import define, frozen
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from clientbook.domain.card import BUCKETS, CARD_CLASSES, CardAccount, settle_minimums, shift_months
from clientbook.domain.money import Money
from clientbook.projections.view import TrackedView, dated_prefix, events_of, topics

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


class CardAccountsView(TrackedView):
    @abstractmethod
    def account(self, account_id: UUID) -> dict[str, Any] | None: ...

    @abstractmethod
    def put_account(self, account_id: UUID, document: dict[str, Any]) -> None: ...

    @abstractmethod
    def accounts(self, *, open_only: bool = True) -> list[tuple[UUID, dict[str, Any]]]: ...

    @abstractmethod
    def due(self, on: date, dormant_before: date, long_dormant_before: date) -> list[UUID]:
        """Accounts with something due by `on` (`batch_columns`: a statement, the day after an
        unpaid minimum's due date — so every account past due, daily —, expiry, an anniversary),
        still in collections although nothing is past due any more (a payment settled the
        overdue minimum), or unused since the dates given."""

    @abstractmethod
    def add_fact(self, position: int, account_id: UUID, event: str, on: date, data: dict[str, Any]) -> None: ...

    @abstractmethod
    def facts(self, *, up_to_position: int | None = None) -> list[tuple[int, UUID, str, date, dict[str, Any]]]: ...


def _m(money: Money) -> str:
    return str(money.amount)


_FACTS: dict[str, Any] = {
    "Applied": lambda e: {"decision": e.decision},
    "Decided": lambda e: {"decision": e.decision},
    "Authorised": lambda e: {"amount": _m(e.amount)},
    "Charged": lambda e: {"amount": _m(e.amount), "kind": e.kind},
    "AnnualFeeCharged": lambda e: {"amount": _m(e.amount), "kind": "annual"},
    "Paid": lambda e: {"amount": _m(e.amount)},
    "RepaymentPlanAgreed": lambda e: {"amount": _m(e.fees_waived) if e.fees_waived else "0"},
    "DelinquencyMoved": lambda e: {"bucket": e.bucket, "classification": e.classification},
    "WrittenOff": lambda e: {"amount": _m(e.amount)},
    "Recovered": lambda e: {"amount": _m(e.amount)},
    "DormancyChanged": lambda e: {"dormancy": e.dormancy},
}


class CardAccountsProjection(Projection[CardAccountsView]):
    """Card events into the account view, and one fact per event for the portfolio report."""

    name = "card_accounts"
    topics = topics(*CARD_EVENTS)

    def process_event(self, event: Any, tracking: Tracking) -> None:
        kind = type(event).__name__
        if kind == "Applied":
            doc: dict[str, Any] = {
                "number": event.number, "customer_id": str(event.customer_id),
                "status": event.decision, "currency": event.applicant.monthly_income.currency,
                "limit": "0.00", "balance": "0.00", "minimums": [], "bucket": "current",
                "stage": "none", "classification": "normal", "last_statement": None,
                "next_statement": None, "last_use": None, "dormancy": "none", "expiry": None,
                "write_off_proposed": False,
            }
        else:
            found = self.view.account(event.originator_id)
            assert found is not None, f"no view of card account {event.originator_id}"
            doc = found
            _CHANGES.get(kind, lambda e, d: None)(event, doc)
        self.view.put_account(event.originator_id, doc)
        data = _FACTS.get(kind, lambda e: {})(event)
        self.view.add_fact(tracking.notification_id, event.originator_id, kind, event.on, data)


def _add(doc: dict[str, Any], amount: Money, sign: int = 1) -> None:
    doc["balance"] = str(Decimal(doc["balance"]) + sign * amount.amount)


def _paid(e: Any, doc: dict[str, Any]) -> None:
    _add(doc, e.amount, -1)
    minimums = [[date.fromisoformat(d), Money(a, doc["currency"])] for d, a in doc["minimums"]]
    doc["minimums"] = [[d.isoformat(), str(m.amount)]  # type: ignore[attr-defined]
                       for d, m in settle_minimums(minimums, e.amount.amount)]


def _statement(e: Any, doc: dict[str, Any]) -> None:
    doc.update(last_statement=e.on.isoformat(), next_statement=e.next_statement.isoformat())
    if not e.minimum.is_zero:
        doc["minimums"].append([e.due.isoformat(), str(e.minimum.amount)])


def _annual_fee(e: Any, doc: dict[str, Any]) -> None:
    _add(doc, e.amount)
    doc.update(anniversary=e.next_anniversary.isoformat())


def _authorised(e: Any, doc: dict[str, Any]) -> None:
    _add(doc, e.amount)
    doc.update(last_use=max(doc["last_use"] or e.on.isoformat(), e.on.isoformat()), dormancy="none")


_CHANGES: dict[str, Any] = {
    "Decided": lambda e, d: d.update(status=e.decision),
    "Issued": lambda e, d: d.update(status="issued", limit=_m(e.limit), expiry=e.expiry.isoformat(),
                                    next_statement=e.next_statement.isoformat(), last_use=e.on.isoformat(),
                                    anniversary=shift_months(e.on, 12).isoformat()),
    "Activated": lambda e, d: d.update(status="active"),
    "Authorised": _authorised,
    "Charged": lambda e, d: _add(d, e.amount),
    "AnnualFeeCharged": _annual_fee,
    "Paid": _paid,
    "StatementClosed": _statement,
    "DelinquencyMoved": lambda e, d: d.update(bucket=e.bucket, stage=e.stage, classification=e.classification),
    "WriteOffProposed": lambda e, d: d.update(write_off_proposed=True),
    "WrittenOff": lambda e, d: d.update(status="written_off", balance="0.00", minimums=[]),
    "RepaymentPlanAgreed": lambda e, d: _add(d, e.fees_waived, -1) if e.fees_waived else None,
    "LimitChanged": lambda e, d: d.update(limit=_m(e.limit)),
    "DormancyChanged": lambda e, d: d.update(dormancy=e.dormancy),
    "Renewed": lambda e, d: d.update(expiry=e.expiry.isoformat()),
    "Expired": lambda e, d: d.update(status="expired"),
    "Closed": lambda e, d: d.update(status="closed"),
}


def view_of(account_id: UUID, doc: dict[str, Any], on: date) -> CardView:
    currency = doc["currency"]
    limit, balance = Money(doc["limit"], currency), Money(doc["balance"], currency)
    dpd = max(0, (on - date.fromisoformat(doc["minimums"][0][0])).days) if doc["minimums"] else 0
    available = limit - balance

    def day(v: str | None) -> date | None:
        return None if v is None else date.fromisoformat(v)

    return CardView(
        account_id=account_id, number=doc["number"], customer_id=UUID(doc["customer_id"]),
        status=doc["status"], limit=limit, balance=balance,
        available=available if not available.is_negative else Money.zero(currency),
        days_past_due=dpd, bucket=doc["bucket"], stage=doc["stage"],
        classification=doc["classification"], last_statement=day(doc["last_statement"]),
        next_statement=day(doc["next_statement"]),
    )


def batch_columns(doc: dict[str, Any]) -> tuple[str | None, int, str, str | None, int, str | None]:
    """What the card batch selects by, kept beside the document: the next date something falls
    due (statement, the day after a due date, expiry), whether the account is in collections
    (looked at daily), its dormancy, its last use and whether it owes nothing."""
    status = doc["status"]
    if status not in ("issued", "active", "expired", "written_off"):
        return None, 0, "n/a", None, 0, None
    dates = []
    if doc["next_statement"] and status in ("issued", "active", "expired"):
        dates.append(doc["next_statement"])
    if doc["minimums"]:
        dates.append((date.fromisoformat(doc["minimums"][0][0]) + timedelta(days=1)).isoformat())
    if doc["expiry"] and status in ("issued", "active"):
        dates.append(doc["expiry"])
    if doc.get("anniversary") and status == "active":
        dates.append(doc["anniversary"])
    delinquent = int(doc["stage"] != "none" and status != "written_off")
    active = status == "active"
    oldest = doc["minimums"][0][0] if doc["minimums"] and status != "written_off" else None
    return (min(dates) if dates else None, delinquent, doc["dormancy"] if active else "n/a",
            doc["last_use"], int(Decimal(doc["balance"]) == 0), oldest)


# -- the portfolio report ------------------------------------------------------------------


@define
class _Account:
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


def portfolio(facts: Iterable[tuple[int, UUID, str, date, dict[str, Any]]], *, as_of: date,
              position: int, ceiling_percent: Decimal, period_from: date | None = None) -> PortfolioReport:
    """Fold the card facts up to `as_of`; roll rates compare with the month-end before it."""
    month_end = as_of.replace(day=1) - timedelta(days=1)
    period_from = period_from or as_of.replace(day=1)
    now: dict[UUID, _Account] = defaultdict(_Account)
    before: dict[UUID, str] = {}
    written_off = recovered = Decimal(0)
    for _, account_id, kind, on, data in dated_prefix(facts, as_of, lambda f: f[1], lambda f: f[3]):
        if on > month_end and account_id not in before:
            before[account_id] = now[account_id].bucket if account_id in now else "new"
        a = now[account_id]
        _apply(a, kind, data)
        if period_from <= on and kind == "WrittenOff":
            written_off += Decimal(data["amount"])
        if period_from <= on and kind == "Recovered":
            recovered += Decimal(data["amount"])
    for account_id, a in now.items():
        before.setdefault(account_id, a.bucket)
    live = {k: a for k, a in now.items() if a.issued}
    by_status = _group(live.values(), lambda a: a.status)
    by_bucket = _group([a for a in live.values() if a.status not in ("written_off", "closed")], lambda a: a.bucket)
    rolls = Counter((before[k], a.bucket) for k, a in live.items() if before[k] != "new")
    delinquent_before = [k for k in live if before[k] not in ("current", "new")]
    cured = sum(1 for k in delinquent_before if live[k].bucket == "current")
    issued = len(live)
    open_accounts = [a for a in live.values() if a.status not in ("closed", "written_off", "expired")]
    return PortfolioReport(
        as_of=as_of, position=position, accounts_by_status=by_status, accounts_by_bucket=by_bucket,
        balances_by_class=tuple((c, sum((a.balance for a in live.values() if a.classification == c), Decimal(0)))
                                for c in CARD_CLASSES),
        roll_rates=tuple(sorted(((f, t, n) for (f, t), n in rolls.items()),
                                key=lambda r: (BUCKETS.index(r[0]), BUCKETS.index(r[1])))),
        cure_rate_percent=_percent(cured, len(delinquent_before)),
        written_off=written_off, recovered=recovered, issued=issued,
        activation_rate_percent=_percent(sum(a.activated for a in live.values()), issued),
        dormant_percent=_percent(sum(a.dormancy != "none" for a in open_accounts), issued),
        long_term_dormant_percent=_percent(sum(a.dormancy == "long_term" for a in open_accounts), issued),
        long_term_dormant_ceiling_percent=ceiling_percent,
        long_term_dormant_within_ceiling=(_percent(sum(a.dormancy == "long_term" for a in open_accounts), issued)
                                          or Decimal(0)) <= ceiling_percent,
    )


def _apply(a: _Account, kind: str, data: dict[str, Any]) -> None:
    if kind in ("Applied", "Decided"):
        a.status = data["decision"]
    elif kind == "Issued":
        a.status, a.issued = "issued", True
    elif kind == "Activated":
        a.status, a.activated = "active", True
    elif kind in ("Authorised", "Charged", "AnnualFeeCharged"):
        a.balance += Decimal(data["amount"])
        if kind == "Authorised":
            a.dormancy = "none"
    elif kind in ("Paid", "RepaymentPlanAgreed"):
        a.balance -= Decimal(data["amount"])
    elif kind == "DelinquencyMoved":
        a.bucket, a.classification = data["bucket"], data["classification"]
    elif kind == "WrittenOff":
        a.status, a.balance = "written_off", Decimal(0)
    elif kind == "DormancyChanged":
        a.dormancy = data["dormancy"]
    elif kind in ("Closed", "Expired"):
        a.status = kind.lower()


def _group(accounts: Iterable[_Account], key: Any) -> tuple[tuple[str, int, Decimal], ...]:
    counts: Counter[str] = Counter()
    sums: defaultdict[str, Decimal] = defaultdict(Decimal)
    for a in accounts:
        counts[key(a)] += 1
        sums[key(a)] += a.balance
    return tuple((k, counts[k], sums[k]) for k in sorted(counts))


def _percent(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(100 * part) / whole).quantize(TWO, ROUND_HALF_UP)
