"""A state machine over one book: complaints driven through random orders of steps by random actors.

The machine keeps its own small re-statement of DOMAIN.md § Complaint (the expected step, who
investigated, who proposed the resolution, the deadline, whether and how "in time" was decided)
and predicts for every command whether it is accepted or refused. A refused command must raise a
DomainError of a kind the broken rule names and write nothing; an accepted one writes exactly the
events the model expects. After every step the aggregate, its record card, its audit trail and
the complaints report must agree with the model, and the audit trail must show the procedure's
rules kept: steps in order, four eyes, approval authority, in time decided once, overdue set by
close of business exactly when an open complaint is past its deadline.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar
from uuid import UUID

import pytest
from attrs import define, field
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from _stores import KINDS, OnAStore, run_on

from clientbook import (
    Actor,
    ApprovalAuthorityError,
    ClientBook,
    CurrencyMismatchError,
    CustomerNotFoundError,
    DomainError,
    FourEyesError,
    InvalidAmountError,
    InvalidInput,
    InvalidTransitionError,
    InvalidValueError,
    Money,
    PolicySettings,
    ReasonRequiredError,
)
from clientbook.application.complaints import ComplaintRecord
from clientbook.domain.customer import customer_id
from clientbook.domain.errors import (
    ComplaintClosedError,
    IncompleteReportError,
    RoleRequiredError,
    StepOrderError,
)

# -- the model's own vocabulary (DOMAIN.md § Complaint), independent of clientbook's constants ------

START = date(2026, 12, 24)  # close to the year's end: numbering starts again in 2027
DEADLINE_DAYS = 7  # policy default: calendar days from received to closed
MAX_COMPLAINTS = 5
CUSTOMERS = ("C-000001", "C-000002", "C-000009")  # the first (and maybe the second) are registered
CATEGORIES = ("price_reduction", "return", "exchange", "damages", "criticism")
CHANNELS = ("counter", "hotline", "letter", "online", "regulator")
PRODUCTS = ("general", "account", "card", "loan", "credit_line", "payment", "other")
RESOLUTIONS = ("compensation", "discount", "refund", "replacement", "explanation")
WITH_AMOUNT = ("compensation", "discount", "refund")
REPLY_FORMS = ("written", "oral")
OPEN_STEPS = (
    "received",
    "accepted",
    "assigned",
    "investigated",
    "reviewed",
    "endorsed",
    "approved",
    "resolution_proposed",
    "resolution_approved",
    "replied",
    "followed_up",
)
PAYABLE = ("resolution_approved", "replied", "followed_up")
REVIEWS = {  # stage of the report under review: the role that reviews (or returns) it there
    "investigated": "supervisor",
    "reviewed": "administration",
    "endorsed": "general_manager",
}
LIMITS: dict[str, Decimal | None] = {  # approval authority by role; None is unlimited
    "officer": Decimal("10000.00"),
    "supervisor": Decimal("100000.00"),
    "manager": Decimal("1000000.00"),
    "general_manager": None,
}
BATCH = "system:close-of-business"
POOL = {  # a small staff: the same person may investigate and hold a reviewer's role
    "u-desk": {"officer"},
    "u-zhang": {"officer", "supervisor"},
    "u-sup": {"supervisor"},
    "u-admin": {"administration"},
    "u-wu": {"administration", "supervisor"},
    "u-mgr": {"manager"},
    "u-zhao": {"officer", "manager"},
    "u-gm": {"general_manager"},
    "u-ma": {"general_manager", "administration"},
    "u-temp": {"relationship_manager"},  # staff (may give commands) without a review role
}
ACTORS = {uid: Actor(uid, frozenset(roles)) for uid, roles in POOL.items()}
AMOUNTS = (
    "0.00",
    "300.00",
    "9999.99",
    "10000.00",
    "10000.01",
    "99999.99",
    "100000.00",
    "100000.01",
    "1000000.00",
    "1000000.01",
    "2500000.00",
    "-5.00",
)
BAD_SCORES = (0, 6, -1, True, "4", 3.5)
BLANK = ("", "   ")
FROM = {  # event: (steps it may follow, step it leads to; None keeps the step or, reopened, see below)
    "Accepted": (("received",), "accepted"),
    "Rejected": (("received",), "closed"),
    "Assigned": (("accepted",), "assigned"),
    "Investigated": (("assigned",), "investigated"),
    "Reviewed": (("investigated",), "reviewed"),
    "Endorsed": (("reviewed",), "endorsed"),
    "ReportApproved": (("endorsed",), "approved"),
    "ReturnedForRework": (tuple(REVIEWS), "assigned"),
    "ResolutionProposed": (("approved",), "resolution_proposed"),
    "ResolutionApproved": (("resolution_proposed",), "resolution_approved"),
    "CompensationPaid": (PAYABLE, None),
    "Replied": (("resolution_approved",), "replied"),
    "FollowedUp": (("replied",), "followed_up"),
    "Closed": (("followed_up",), "closed"),
    "Reopened": (("closed",), None),  # back to received after a rejection, else to accepted
    "BecameOverdue": (OPEN_STEPS, None),
}

SAME_FIELDS = (  # named alike on the complaint record and in the model
    "number",
    "step",
    "rejected",
    "handling_department",
    "investigator",
    "opinion",
    "approved_amount",
    "paid",
    "satisfaction",
    "in_time",
    "closed_on",
    "overdue",
    "reopened",
    "deadline",
    "reworks",
    "received_on",
)

Refusals = Sequence[type[DomainError]]


def mostly(valid: Sequence[Any], invalid: Sequence[Any], odds: int = 5) -> st.SearchStrategy[Any]:
    """Mostly a valid value, one time in `odds + 1` an invalid one (shrinks towards valid)."""
    return st.integers(0, odds).flatmap(
        lambda n: st.sampled_from(invalid) if n == odds else st.sampled_from(valid)
    )


def authority(uid: str) -> Decimal | None:
    """The actor's highest approval limit; None is unlimited, no limited role is zero."""
    limits = [LIMITS[role] for role in POOL[uid] if role in LIMITS]
    if not limits:
        return Decimal("0.00")
    if any(limit is None for limit in limits):
        return None
    return max(limit for limit in limits if limit is not None)


def within_authority(uid: str, amount: Money | None) -> bool:
    limit = authority(uid)
    return amount is None or limit is None or amount.amount <= limit


def _money(value: Any) -> Money | None:
    """An amount as the audit trail shows it (its JSON form), read back."""
    return None if value is None else Money(value["amount"], value["currency"])


def _blank(value: object) -> bool:
    return not isinstance(value, str) or not value.strip()


def _ratio(total: Decimal, count: int) -> Decimal | None:
    return None if not count else (total / count).quantize(Decimal("0.01"), ROUND_HALF_UP)


@define
class Expected:
    """One complaint as the model expects it: the procedure re-stated in plain Python."""

    id: UUID
    number: str
    customer: str
    category: str
    channel: str
    department: str
    received_on: date
    deadline: date
    step: str = "received"
    rejected: bool = False
    handling_department: str | None = None
    investigator: str | None = None
    reviewers: list[str] = field(factory=list)  # review, endorsement: not again
    opinion: str | None = None
    proposer: str | None = None
    resolution: tuple[str, str, Money | None] | None = None
    card_resolution: str | None = None
    approved_amount: Money | None = None
    paid: Money | None = None
    satisfaction: int | None = None
    in_time: bool | None = None
    decided_by: str | None = None  # how in time was decided: "Rejected" or "Closed"
    first_closed_on: date | None = None
    closed_on: date | None = None
    overdue: bool = False
    reopened: int = 0
    reworks: int = 0
    events: list[str] = field(factory=lambda: ["Received"])

    def close(self, how: str, on: date) -> None:
        self.step, self.closed_on = "closed", on
        if self.in_time is None:  # decided once, at the first close
            self.in_time, self.decided_by = on <= self.deadline, how
            self.first_closed_on = on
            event(f"in time decided: {self.in_time} ({how})")
        else:
            event("closed again: in time stays")


def _command(name: str, steps: Sequence[str]) -> Any:
    """The rule giving command `name` to a complaint, mostly one at one of `steps`."""

    @rule(data=st.data())
    def command(self: ComplaintMachine, data: st.DataObject) -> None:
        getattr(self, f"do_{name}")(data, self.pick(data, steps))

    command.__name__ = name
    return command


class ComplaintMachine(OnAStore):
    def __init__(self) -> None:
        super().__init__()
        self.book = self.open_book()
        self.customers: set[str] = set()
        self.model: list[Expected] = []
        self.numbers: Counter[int] = Counter()  # year -> last number allocated
        self.facts: list[tuple[date, int, str, Any]] = []  # (business date, complaint, event, data)
        self.today = START
        self.last_closed: date | None = None
        self.seen_in_time: dict[UUID, bool] = {}  # in time as first read back once decided
        self._records: tuple[int, dict[UUID, ComplaintRecord]] = (-1, {})

    def teardown(self) -> None:
        try:
            self.rebuild_projections()
        finally:
            self.close_book(self.book)

    # -- giving a command ----------------------------------------------------------------------

    def give(self, command: Callable[[], object], refusals: Refusals, events: int = 1) -> bool:
        """Refused with one of `refusals` (the rules broken), or accepted writing `events` events."""
        head = self.book.head
        try:
            command()
        except DomainError as error:
            assert refusals, f"refused, but the model accepts it: {error!r}"
            assert type(error) in refusals, (
                f"expected one of {[r.__name__ for r in refusals]}, got {error!r}"
            )
            assert self.book.head == head, f"the refused command wrote to the log: {error!r}"
            event(f"refused: {type(error).__name__}")
            return False
        assert not refusals, f"accepted, but the model expects {[r.__name__ for r in refusals]}"
        assert self.book.head == head + events, "the command wrote an unexpected number of events"
        return True

    def record(self, index: int, kind: str, data: Any = None) -> None:
        self.model[index].events.append(kind)
        self.facts.append((self.today, index, kind, data))
        event(f"written: {kind}")

    @staticmethod
    def at(c: Expected, step: str) -> list[type[DomainError]]:
        """The refusal of a step taken out of order (a closed complaint says so)."""
        if c.step == "closed":
            return [ComplaintClosedError]
        return [StepOrderError] if c.step != step else []

    @staticmethod
    def reviewer_refusals(c: Expected, stage: str, actor: Actor) -> list[type[DomainError]]:
        refusals = ComplaintMachine.at(c, stage)
        if not refusals:
            role = REVIEWS[stage]
            if role not in actor.roles:
                refusals.append(RoleRequiredError)
            if actor.id == c.investigator:
                refusals.append(FourEyesError)
        return refusals

    @staticmethod
    def second_review(c: Expected, stage: str, actor: Actor) -> list[type[DomainError]]:
        """A report's review, endorsement and approval are three different people's."""
        again = c.step == stage and actor.id.casefold() in {r.casefold() for r in c.reviewers}
        return [FourEyesError] if again else []

    def pick(self, data: st.DataObject, steps: Sequence[str]) -> int:
        """A complaint, mostly one at one of `steps` (if any)."""
        fitting = [i for i, c in enumerate(self.model) if c.step in steps]
        if not fitting or data.draw(st.integers(0, 3), label="any complaint") == 3:
            return data.draw(st.integers(0, len(self.model) - 1), label="complaint")
        return data.draw(st.sampled_from(fitting), label="complaint")

    @staticmethod
    def actor(data: st.DataObject, role: str | None = None) -> Actor:
        """Anyone from the pool; for a reviewer's step, mostly someone holding its role."""
        ids = sorted(POOL)
        if role is not None and data.draw(st.integers(0, 2), label="any actor") < 2:
            ids = [uid for uid in ids if role in POOL[uid]]
        return ACTORS[data.draw(st.sampled_from(ids), label="actor")]

    # -- the book and the record card ----------------------------------------------------------

    @initialize(two=st.booleans(), data=st.data())
    def open_the_book(self, two: bool, data: st.DataObject) -> None:
        for number in CUSTOMERS[: 2 if two else 1]:
            self.book.customers.register(
                number=number,
                kind="individual",
                name=f"Li {number}",
                manager="m-007",
                by=ACTORS["u-desk"],
                on=START,
            )
            self.customers.add(number)
        self.do_receive(data, valid=True)  # the first complaint: every rule has one to work on
        assert len(self.model) == 1

    @precondition(lambda self: len(self.model) < MAX_COMPLAINTS)
    @rule(data=st.data())
    def receive(self, data: st.DataObject) -> None:
        self.do_receive(data)

    def do_receive(self, data: st.DataObject, valid: bool = False) -> None:
        def drawn(values: Sequence[Any], invalid: Sequence[Any], label: str) -> Any:
            return data.draw(
                st.sampled_from(values) if valid else mostly(values, invalid), label=label
            )

        customer = drawn(sorted(self.customers), CUSTOMERS[1:], "customer")
        category = drawn(CATEGORIES, ("anger",), "category")
        channel = drawn(CHANNELS, ("pigeon",), "channel")
        product = drawn(PRODUCTS, ("yacht",), "product")
        request = drawn(("refund the double fee", "the queue was two hours"), BLANK, "request")
        department = drawn(("branch 12", "card centre"), BLANK, "department")
        claimed = drawn((None, Money("300.00"), Money("0.00")), (Money("-1.00"),), "claimed")
        actor = self.actor(data)
        refusals: list[type[DomainError]] = []
        if customer not in self.customers:
            refusals.append(CustomerNotFoundError)
        if (
            category not in CATEGORIES
            or channel not in CHANNELS
            or product not in PRODUCTS
            or _blank(request)
            or _blank(department)
        ):
            refusals.append(InvalidValueError)
        if claimed is not None and claimed.amount < 0:
            refusals.append(InvalidAmountError)
        year = self.today.year
        events = 2 if self.numbers[year] else 3  # the year's numbering opens with its first
        received: list[UUID] = []
        if self.give(
            lambda: received.append(
                self.book.complaints.receive(
                    customer=customer_id(customer),
                    category=category,
                    channel=channel,
                    request=request,
                    department=department,
                    by=actor,
                    on=self.today,
                    claimed=claimed,
                    product=product,
                )
            ),
            refusals,
            events,
        ):
            self.numbers[year] += 1
            number = f"CP-{year}-{self.numbers[year]:06d}"
            event(f"received in {year}")
            assert self.book.complaints.id_of(number) == received[0]
            self.model.append(
                Expected(
                    id=received[0],
                    number=number,
                    customer=customer,
                    category=category,
                    channel=channel,
                    department=department.strip(),
                    received_on=self.today,
                    deadline=self.today + timedelta(days=DEADLINE_DAYS),
                )
            )
            self.facts.append((self.today, len(self.model) - 1, "Received", None))

    # -- the commands of book.complaints, each on a complaint drawn by its rule ----------------

    def do_accept(self, data: st.DataObject, i: int) -> None:
        c = self.model[i]
        if self.give(
            lambda: self.book.complaints.accept(c.id, by=self.actor(data), on=self.today),
            self.at(c, "received"),
        ):
            c.step = "accepted"
            self.record(i, "Accepted")

    def do_reject(self, data: st.DataObject, i: int) -> None:
        c = self.model[i]
        reply = data.draw(mostly(("the fee is in your signed contract",), BLANK), label="reply")
        refusals = self.at(c, "received") + ([InvalidValueError] if _blank(reply) else [])
        if self.give(
            lambda: self.book.complaints.reject(
                c.id, reply=reply, by=self.actor(data), on=self.today
            ),
            refusals,
        ):
            c.rejected, c.card_resolution = True, f"rejected: {reply}"
            c.close("Rejected", self.today)
            self.record(i, "Rejected")

    def do_assign(self, data: st.DataObject, i: int) -> None:
        c = self.model[i]
        department = data.draw(mostly(("card centre", "billing"), BLANK), label="department")
        actor = self.actor(data, "administration")
        refusals = self.at(c, "accepted") + ([InvalidValueError] if _blank(department) else [])
        if not self.at(c, "accepted") and "administration" not in actor.roles:
            refusals.append(RoleRequiredError)  # administration assigns
        if self.give(
            lambda: self.book.complaints.assign(c.id, department, by=actor, on=self.today), refusals
        ):
            c.step, c.handling_department = "assigned", department
            self.record(i, "Assigned")

    def do_investigate(self, data: st.DataObject, i: int) -> None:
        c = self.model[i]
        report = {
            part: "the fee was charged twice"
            for part in (
                "cause",
                "course_of_events",
                "responsible_party",
                "conclusion",
                "countermeasures",
                "prevention",
            )
        }
        lacking = data.draw(mostly([None], sorted(report)), label="part left blank")
        if lacking is not None:
            report[lacking] = data.draw(st.sampled_from(BLANK))
        actor = self.actor(data)
        refusals = self.at(c, "assigned") + ([IncompleteReportError] if lacking else [])
        if self.give(
            lambda: self.book.complaints.investigate(c.id, **report, by=actor, on=self.today),
            refusals,
        ):
            c.step, c.investigator = "investigated", actor.id
            self.record(i, "Investigated")

    def do_review(self, data: st.DataObject, i: int) -> None:
        c, actor = self.model[i], self.actor(data, "supervisor")
        if self.give(
            lambda: self.book.complaints.review(c.id, by=actor, on=self.today),
            self.reviewer_refusals(c, "investigated", actor),
        ):
            c.step, c.reviewers = "reviewed", [actor.id]
            self.record(i, "Reviewed")

    def do_endorse(self, data: st.DataObject, i: int) -> None:
        c, actor = self.model[i], self.actor(data, "administration")
        opinion = data.draw(mostly(("refund and apologise",), BLANK), label="opinion")
        refusals = self.reviewer_refusals(c, "reviewed", actor)
        if c.step == "reviewed" and _blank(opinion):
            refusals.append(InvalidValueError)
        refusals += self.second_review(c, "reviewed", actor)
        if self.give(
            lambda: self.book.complaints.endorse(c.id, opinion=opinion, by=actor, on=self.today),
            refusals,
        ):
            c.step, c.opinion = "endorsed", opinion
            c.reviewers.append(actor.id)
            self.record(i, "Endorsed")

    def do_approve_report(self, data: st.DataObject, i: int) -> None:
        c, actor = self.model[i], self.actor(data, "general_manager")
        if self.give(
            lambda: self.book.complaints.approve_report(c.id, by=actor, on=self.today),
            self.reviewer_refusals(c, "endorsed", actor) + self.second_review(c, "endorsed", actor),
        ):
            c.step = "approved"
            self.record(i, "ReportApproved")

    def do_return_for_rework(self, data: st.DataObject, i: int) -> None:
        c = self.model[i]
        actor = self.actor(data, REVIEWS.get(c.step))
        reason = data.draw(mostly(("the cause is not shown",), BLANK), label="reason")
        if c.step == "closed":
            refusals: list[type[DomainError]] = [ComplaintClosedError]
        elif c.step not in REVIEWS:
            refusals = [StepOrderError]
        else:
            refusals = self.reviewer_refusals(c, c.step, actor)
            if _blank(reason):
                refusals.append(ReasonRequiredError)
        if self.give(
            lambda: self.book.complaints.return_for_rework(
                c.id, reason=reason, by=actor, on=self.today
            ),
            refusals,
        ):
            c.step, c.reworks = "assigned", c.reworks + 1
            self.record(i, "ReturnedForRework")

    def do_propose_resolution(self, data: st.DataObject, i: int) -> None:
        c, actor = self.model[i], self.actor(data)
        kind = data.draw(mostly(RESOLUTIONS, ("apology",)), label="kind")
        amounts = st.sampled_from([Money(a) for a in AMOUNTS])
        if kind == "explanation":
            amount = data.draw(mostly([None], [Money("1.00")]), label="amount")
        elif kind in WITH_AMOUNT:
            amount = data.draw(
                mostly([True], [None]).flatmap(lambda some: amounts if some else st.none()),
                label="amount",
            )
        else:
            amount = data.draw(st.one_of(st.none(), amounts), label="amount")
        text = data.draw(mostly(("we refund the fee",), BLANK), label="text")
        refusals = self.at(c, "approved")
        if not refusals:
            if kind not in RESOLUTIONS or _blank(text):
                refusals.append(InvalidValueError)
            if (
                kind in WITH_AMOUNT
                and amount is None
                or kind == "explanation"
                and amount is not None
                or amount is not None
                and amount.amount < 0
            ):
                refusals.append(InvalidAmountError)
        if self.give(
            lambda: self.book.complaints.propose_resolution(
                c.id, kind=kind, text=text, amount=amount, by=actor, on=self.today
            ),
            refusals,
        ):
            c.step, c.proposer = "resolution_proposed", actor.id
            c.resolution, c.card_resolution = (kind, text, amount), f"{kind}: {text}"
            self.record(i, "ResolutionProposed")

    def do_approve_resolution(self, data: st.DataObject, i: int) -> None:
        c, actor = self.model[i], self.actor(data)
        refusals = self.at(c, "resolution_proposed")
        if not refusals:
            assert c.resolution is not None
            if actor.id == c.proposer:
                refusals.append(FourEyesError)
            if not within_authority(actor.id, c.resolution[2]):
                refusals.append(ApprovalAuthorityError)
        if self.give(
            lambda: self.book.complaints.approve_resolution(c.id, by=actor, on=self.today), refusals
        ):
            assert c.resolution is not None
            new = c.resolution[2]  # payments are made against everything approved, reopens too
            c.step = "resolution_approved"
            if new is not None:
                c.approved_amount = new if c.approved_amount is None else c.approved_amount + new
            self.record(i, "ResolutionApproved", new)

    def do_pay(self, data: st.DataObject, i: int) -> None:
        c = self.model[i]
        approved = c.approved_amount or Money("100.00")
        rest = approved - (c.paid or Money.zero())
        half = Money((rest.amount / 2).quantize(Decimal("0.01")))
        amount = data.draw(
            st.sampled_from(
                [
                    rest,
                    half,
                    Money("0.00"),
                    rest + Money("0.01"),
                    Money("-1.00"),
                    Money("1.00", "USD"),
                    Money("500.00"),
                ]
            ),
            label="payment",
        )
        if c.step == "closed":
            refusals: list[type[DomainError]] = [ComplaintClosedError]
        elif c.approved_amount is None or c.step not in PAYABLE:
            refusals = [StepOrderError]
        elif amount.currency != "CNY":
            refusals = [CurrencyMismatchError]
        elif amount.amount < 0 or (c.paid or Money.zero()) + amount > c.approved_amount:
            refusals = [InvalidAmountError]  # negative, or more than approved: over-payment
        else:
            refusals = []
        if self.give(
            lambda: self.book.complaints.pay(c.id, amount, by=self.actor(data), on=self.today),
            refusals,
        ):
            c.paid = amount if c.paid is None else c.paid + amount
            self.record(i, "CompensationPaid", amount)

    def do_reply(self, data: st.DataObject, i: int) -> None:
        c = self.model[i]
        form = data.draw(mostly(REPLY_FORMS, ("fax",)), label="form")
        text = data.draw(mostly(("refunded, with our apologies",), BLANK), label="text")
        refusals = self.at(c, "resolution_approved")
        if not refusals and (form not in REPLY_FORMS or _blank(text)):
            refusals.append(InvalidValueError)
        if self.give(
            lambda: self.book.complaints.reply(
                c.id, form=form, text=text, by=self.actor(data), on=self.today
            ),
            refusals,
        ):
            c.step = "replied"
            self.record(i, "Replied")

    def do_follow_up(self, data: st.DataObject, i: int) -> None:
        c = self.model[i]
        score = data.draw(mostly((1, 2, 3, 4, 5), BAD_SCORES, odds=3), label="satisfaction")
        refusals = self.at(c, "replied")
        if type(score) is not int:  # the edge of the domain refuses a wrong type before any rule
            refusals = [InvalidInput]
        elif not refusals and not 1 <= score <= 5:
            refusals.append(InvalidValueError)
        if self.give(
            lambda: self.book.complaints.follow_up(
                c.id, satisfaction=score, by=self.actor(data), on=self.today, note="called back"
            ),
            refusals,
        ):
            c.step, c.satisfaction = "followed_up", score
            self.record(i, "FollowedUp", score)

    def do_close(self, data: st.DataObject, i: int) -> None:
        c = self.model[i]
        if self.give(
            lambda: self.book.complaints.close(c.id, by=self.actor(data), on=self.today),
            self.at(c, "followed_up"),
        ):
            c.close("Closed", self.today)
            self.record(i, "Closed")

    def do_reopen(self, data: st.DataObject, i: int) -> None:
        c = self.model[i]
        reason = data.draw(mostly(("the refund never arrived",), BLANK), label="dispute")
        if c.step != "closed":
            refusals: list[type[DomainError]] = [InvalidTransitionError]
        else:
            refusals = [ReasonRequiredError] if _blank(reason) else []
        if self.give(
            lambda: self.book.complaints.reopen(
                c.id, reason=reason, by=self.actor(data), on=self.today
            ),
            refusals,
        ):
            c.step = "received" if c.rejected else "accepted"  # a rejection is checked again
            c.rejected, c.overdue, c.closed_on = False, False, None
            c.deadline = self.today + timedelta(days=DEADLINE_DAYS)
            c.reopened += 1
            self.record(i, "Reopened")

    NEXT: ClassVar[dict[str, tuple[str, ...]]] = {  # the commands that move a complaint on
        "received": ("accept", "accept", "accept", "reject"),
        "accepted": ("assign",),
        "assigned": ("investigate",),
        "investigated": ("review", "review", "return_for_rework"),
        "reviewed": ("endorse", "endorse", "return_for_rework"),
        "endorsed": ("approve_report", "approve_report", "return_for_rework"),
        "approved": ("propose_resolution",),
        "resolution_proposed": ("approve_resolution",),
        "resolution_approved": ("reply", "pay"),
        "replied": ("follow_up", "pay"),
        "followed_up": ("close", "pay"),
        "closed": ("reopen",),
    }

    # -- the rules: every command on a complaint, mostly one at the step the command expects -----

    def work_on(self, data: st.DataObject, i: int, steps: int) -> None:
        """One complaint, given in turn commands its step expects (the arguments still vary)."""
        for _ in range(steps):
            command = data.draw(st.sampled_from(self.NEXT[self.model[i].step]), label="command")
            getattr(self, f"do_{command}")(data, i)

    @rule(data=st.data(), steps=st.integers(1, 10))
    def work_on_a_complaint(self, data: st.DataObject, steps: int) -> None:
        self.work_on(data, data.draw(st.integers(0, len(self.model) - 1), label="complaint"), steps)

    @rule(data=st.data(), steps=st.integers(1, 10))
    def work_on_the_oldest_open_complaint(self, data: st.DataObject, steps: int) -> None:
        open_ = [i for i, c in enumerate(self.model) if c.step != "closed"]
        self.work_on(data, open_[0] if open_ else 0, steps)

    @rule(data=st.data(), steps=st.integers(1, 10))
    def work_on_the_newest_complaint(self, data: st.DataObject, steps: int) -> None:
        self.work_on(data, len(self.model) - 1, steps)

    accept = _command("accept", ("received",))
    reject = _command("reject", ("received",))
    assign = _command("assign", ("accepted",))
    investigate = _command("investigate", ("assigned",))
    review = _command("review", ("investigated",))
    endorse = _command("endorse", ("reviewed",))
    approve_report = _command("approve_report", ("endorsed",))
    return_for_rework = _command("return_for_rework", tuple(REVIEWS))
    propose_resolution = _command("propose_resolution", ("approved",))
    approve_resolution = _command("approve_resolution", ("resolution_proposed",))
    pay = _command("pay", PAYABLE)
    reply = _command("reply", ("resolution_approved",))
    follow_up = _command("follow_up", ("replied",))
    close = _command("close", ("followed_up",))
    reopen = _command("reopen", ("closed",))

    # -- the business date and close of business -----------------------------------------------

    @rule(days=st.sampled_from([1, 2, 3, 5, 8]))
    def advance_the_business_date(self, days: int) -> None:
        self.today += timedelta(days=days)

    @rule(days=st.integers(-1, 3))
    def close_of_business(self, days: int) -> None:
        through = self.today + timedelta(days=days)
        first = through if self.last_closed is None else self.last_closed + timedelta(days=1)
        dates = [first + timedelta(days=n) for n in range((through - first).days + 1)]
        expected = []
        for day in dates:
            due = [
                i
                for i, c in enumerate(self.model)
                if c.step != "closed" and not c.overdue and day > c.deadline
            ]
            for i in due:
                event("close of business: marked overdue")
                self.model[i].overdue = True
                self.model[i].events.append("BecameOverdue")
                self.facts.append((day, i, "BecameOverdue", None))
            expected.append((day, len(due)))
        head = self.book.head
        result = self.book.close_of_business(through)
        assert [(day.on, day.changes["overdue_complaints"]) for day in result.days] == expected
        opened = 1 if self.last_closed is None else 0  # the business calendar's first event
        keys = sum(1 for _, count in expected if count)  # a date's marks go with their part's key
        assert self.book.head == head + (
            opened + len(dates) + result.changes + keys if dates else 0
        )
        if dates:
            self.last_closed, self.today = through, max(self.today, through)
            assert self.book.last_business_date_closed == through

    @precondition(lambda self: self.store_kind == "memory")  # on a real store: at the end only
    @rule()
    def rebuild_projections(self) -> None:
        """Replaying the whole log into empty views gives the same cards, report and trail."""

        def views() -> tuple[Any, ...]:
            return (
                self.book.complaint_cards.cards(),
                self.book.reports.complaints(period_from=START, period_to=self.today),
                self.book.audit.trail(),
            )

        live = views()
        assert self.book.projections.rebuild() == self.book.head
        assert views() == live

    # -- invariants ----------------------------------------------------------------------------

    def records(self) -> dict[UUID, ComplaintRecord]:
        """Every complaint as the store has it now (read again only when the log has grown)."""
        head = self.book.head
        if self._records[0] != head:
            self._records = (head, {c.id: self.book.complaints.get(c.id) for c in self.model})
        return self._records[1]

    @invariant()
    def the_aggregates_and_cards_equal_the_model(self) -> None:
        cards = {card.complaint_id: card for card in self.book.complaint_cards.cards()}
        assert set(cards) == {c.id for c in self.model}
        records = self.records()
        for c in self.model:
            r = records[c.id]
            resolution = (
                None
                if r.resolution is None
                else (r.resolution.kind, r.resolution.text, r.resolution.amount)
            )
            got = {name: getattr(r, name) for name in SAME_FIELDS}
            got.update(customer=r.customer_id, resolution=resolution, version=r.version)
            want = {name: getattr(c, name) for name in SAME_FIELDS}
            want.update(
                customer=customer_id(c.customer), resolution=c.resolution, version=len(c.events)
            )
            assert got == want, c.number
            card = cards[c.id]
            assert (
                card.step,
                card.in_time,
                card.overdue,
                card.reopened,
                card.deadline,
                card.closed_on,
                card.rejected,
                card.paid,
                card.approved_amount,
                card.satisfaction,
                card.resolution,
                card.opinion,
            ) == (
                c.step,
                c.in_time,
                c.overdue,
                c.reopened,
                c.deadline,
                c.closed_on,
                c.rejected,
                c.paid,
                c.approved_amount,
                c.satisfaction,
                c.card_resolution,
                c.opinion,
            ), c.number
            assert [s.event for s in card.steps] == c.events

    @invariant()
    def in_time_once_decided_never_changes(self) -> None:
        for c in self.model:
            in_time = self.records()[c.id].in_time
            if c.id in self.seen_in_time:
                assert in_time is self.seen_in_time[c.id], f"{c.number}: in time changed"
            elif in_time is not None:
                self.seen_in_time[c.id] = in_time

    @invariant()
    def overdue_exactly_when_open_past_the_deadline_at_close_of_business(self) -> None:
        for r in self.records().values():
            if r.step != "closed":
                past = self.last_closed is not None and self.last_closed > r.deadline
                assert r.overdue == past, (
                    f"{r.number} is open with deadline {r.deadline}, business closed through "
                    f"{self.last_closed}, yet overdue={r.overdue}"
                )

    @invariant()
    def the_audit_trail_keeps_the_procedure(self) -> None:
        """Steps in order; four eyes on every approval; amounts within the approver's authority."""
        for c in self.model:
            trail = self.book.audit.trail(aggregate=c.id)
            assert [e.event_type for e in trail] == c.events
            assert trail[0].event_type == "Received"
            step, deadline = "received", date.fromisoformat(trail[0].changes["deadline"])
            investigator = proposer = None
            last_close, decided = None, 0
            for e in trail[1:]:
                assert e.business_date is not None, (c.number, e.event_type)
                allowed, leads_to = FROM[e.event_type]
                assert step in allowed, f"{c.number}: {e.event_type} while {step}"
                if e.event_type in ("Reviewed", "Endorsed", "ReportApproved", "ReturnedForRework"):
                    assert REVIEWS[step] in POOL[e.actor], (c.number, e.event_type, e.actor)
                    assert e.actor != investigator, (
                        f"{c.number}: {e.event_type} by the investigator {investigator}"
                    )
                if e.event_type == "Investigated":
                    investigator = e.actor
                if e.event_type == "ResolutionProposed":
                    proposer = e.actor
                if e.event_type == "ResolutionApproved":
                    assert e.actor != proposer, f"{c.number}: approved by its proposer {proposer}"
                    assert within_authority(e.actor, _money(e.changes["amount"])), (
                        f"{c.number}: {e.actor} approved {e.changes['amount']}"
                    )
                if e.event_type in ("Rejected", "Closed"):
                    if decided:  # in time is decided at the first close only
                        assert e.changes["in_time"] is None, (c.number, e.changes)
                    else:
                        assert e.changes["in_time"] == (e.business_date <= deadline), c.number
                    decided, last_close = decided + 1, e.event_type
                if e.event_type == "BecameOverdue":
                    assert e.actor == BATCH and e.business_date > deadline, c.number
                if e.event_type == "Reopened":
                    leads_to = "received" if last_close == "Rejected" else "accepted"
                    deadline = date.fromisoformat(e.changes["deadline"])
                    assert deadline == e.business_date + timedelta(days=DEADLINE_DAYS)
                step = leads_to or step
            assert step == c.step
            assert (c.decided_by is not None) == bool(decided)

    @invariant()
    def the_report_agrees_with_the_model(self) -> None:
        for period_from in (START, self.today - timedelta(days=3)):
            report = self.book.reports.complaints(period_from=period_from, period_to=self.today)
            assert report.position == self.book.head
            figures = {
                name: getattr(report, name)
                for name in self.expected_report(period_from, self.today)
            }
            assert figures == self.expected_report(period_from, self.today), (
                period_from,
                self.today,
            )

    def expected_report(self, first: date, last: date) -> dict[str, Any]:
        def within(day: date | None) -> bool:
            return day is not None and first <= day <= last

        received = [c for c in self.model if within(c.received_on)]
        complaints_by: defaultdict[str, set[int]] = defaultdict(set)  # complaints, not events
        for day, index, kind, _ in self.facts:
            if within(day):
                complaints_by[kind].add(index)
        closed = [c for c in self.model if within(c.first_closed_on)]
        in_time = sum(1 for c in closed if c.in_time)
        days = [
            (c.first_closed_on - c.received_on).days
            for c in closed
            if c.first_closed_on is not None
        ]
        money: defaultdict[str, list[Money]] = defaultdict(list)
        for day, _, kind, data in self.facts:
            if within(day) and kind in ("ResolutionApproved", "CompensationPaid") and data:
                money[kind].append(data)
        scores = [data for day, _, kind, data in self.facts if within(day) and kind == "FollowedUp"]
        approved, paid = money["ResolutionApproved"], money["CompensationPaid"]
        return {
            "received": len(received),
            "accepted": len(complaints_by["Accepted"]),
            "rejected": len(complaints_by["Rejected"]),
            "reopened": len(complaints_by["Reopened"]),
            "closed": len(closed),
            "closed_in_time": in_time,
            "closed_in_time_percent": _ratio(Decimal(100 * in_time), len(closed)),
            "open_overdue": sum(1 for c in self.model if c.step != "closed" and c.deadline < last),
            "by_category": tuple(sorted(Counter(c.category for c in received).items())),
            "by_channel": tuple(sorted(Counter(c.channel for c in received).items())),
            "by_department": tuple(sorted(Counter(c.department for c in received).items())),
            "average_days_to_close": _ratio(Decimal(sum(days)), len(days)),
            "max_days_to_close": max(days) if days else None,
            "compensation_approved": (sum(approved, Money.zero()),) if approved else (),
            "compensation_paid": (sum(paid, Money.zero()),) if paid else (),
            "average_satisfaction": _ratio(Decimal(sum(scores)), len(scores)),
        }


def test_the_model_authority_is_the_policy_default() -> None:
    """The model's approval limits are those of DOMAIN.md, as PolicySettings() has them."""
    defaults = PolicySettings()
    assert {role: getattr(defaults, f"approval_limit_{role}") for role in LIMITS} == LIMITS
    assert defaults.complaint_deadline_days == DEADLINE_DAYS


ComplaintMachine.TestCase.settings = settings(stateful_step_count=50)
TestComplaintMachine = ComplaintMachine.TestCase


@pytest.mark.parametrize("kind", KINDS)
def test_the_complaint_machine_on_a_real_database(kind: str) -> None:
    """Fewer, shorter examples on a SQLite file and a PostgreSQL schema: the real recorders,
    views and round trips through the mapper, inside the suite's time budget."""
    run_on(ComplaintMachine, kind, examples=2 if kind == "sqlite" else 1, steps=20)


# -- findings, each on its own: an accepted command must never write an event the book can't read --

REPORT = {
    "cause": "fee charged twice",
    "course_of_events": "billing ran twice",
    "responsible_party": "billing",
    "conclusion": "refund due",
    "countermeasures": "reverse the fee",
    "prevention": "fix the billing rule",
}


def _replied_complaint(book: ClientBook) -> UUID:
    """A complaint taken by distinct people through every step up to the reply."""
    desk, gm = ACTORS["u-desk"], ACTORS["u-gm"]
    book.customers.register(
        number="C-000001", kind="individual", name="Li Lei", manager="m-007", by=desk, on=START
    )
    cid = book.complaints.receive(
        customer=customer_id("C-000001"),
        category="damages",
        channel="hotline",
        request="refund the double fee",
        department="branch 12",
        by=desk,
        on=START,
    )
    c = book.complaints
    c.accept(cid, by=desk, on=START)
    c.assign(cid, "card centre", by=ACTORS["u-admin"], on=START)
    c.investigate(cid, **REPORT, by=desk, on=START)
    c.review(cid, by=ACTORS["u-sup"], on=START)
    c.endorse(cid, opinion="apologise", by=ACTORS["u-admin"], on=START)
    c.approve_report(cid, by=gm, on=START)
    c.propose_resolution(cid, kind="explanation", text="the fee is contractual", by=desk, on=START)
    c.approve_resolution(cid, by=gm, on=START)
    c.reply(cid, form="written", text="we explained the fee", by=desk, on=START)
    return cid


def _still_readable(book: ClientBook, cid: UUID) -> None:
    """The complaint, its trail and the report still load (they read every event of the log)."""
    book.complaints.get(cid)
    book.audit.trail(aggregate=cid)
    book.reports.complaints(period_from=START, period_to=START + timedelta(days=30))


@pytest.mark.parametrize("score", [3.0, Decimal(3)], ids=["float", "Decimal"])
def test_a_satisfaction_that_is_not_an_int_is_refused_or_read_back_as_one(score: Any) -> None:
    """A float or Decimal equal to a score passes `satisfaction in (1, 2, 3, 4, 5)`; the event
    is written, then nothing that reads the log (the complaint, audit, reports, close of business)
    can decode it: msgspec expects an int."""
    with ClientBook.open("memory:") as book:
        cid = _replied_complaint(book)
        head = book.head
        try:
            book.complaints.follow_up(cid, satisfaction=score, by=ACTORS["u-desk"], on=START)
        except DomainError:
            assert book.head == head
        _still_readable(book, cid)
        satisfaction = book.complaints.get(cid).satisfaction
        assert satisfaction is None or (type(satisfaction) is int and satisfaction == 3)


def test_a_datetime_given_as_the_business_date_is_refused_or_read_back_as_a_date() -> None:
    """`on` is a date; a datetime is one too for isinstance, is written as a timestamp, and the
    event can no longer be decoded (msgspec: "Invalid RFC3339 encoded date")."""
    with ClientBook.open("memory:") as book:
        cid = _replied_complaint(book)
        head = book.head
        try:
            book.complaints.follow_up(
                cid, satisfaction=4, by=ACTORS["u-desk"], on=datetime(2026, 12, 25, 10, 30)
            )
        except DomainError:
            assert book.head == head
        _still_readable(book, cid)
        trail = book.audit.trail(aggregate=cid)
        assert type(trail[-1].business_date) is date
