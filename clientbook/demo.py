"""The demo: a synthetic but realistic book of customers, managers and contacts over business days.

It uses only the public API, as an embedding application would. The same seed gives the same
book (ids, numbers and business dates; only recorded times differ).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Callable, Sequence
from uuid import UUID

from attrs import frozen

from clientbook.application.uci_import import Holder
from clientbook.book import ClientBook
from clientbook.domain.actor import Actor
from clientbook.domain.card import add_months
from clientbook.domain.card_numbers import identity_document
from clientbook.domain.complaint import CATEGORIES, PRODUCTS
from clientbook.domain.assessment import BEHAVIOUR, INDICATORS
from clientbook.domain.customer import CHANNELS, FOUR_EYES_SEGMENTS, SURVEY_CHANNELS, TIERS
from clientbook.domain.errors import DomainError
from clientbook.domain.group import Link
from clientbook.domain.money import Money

SURNAMES = ("Li", "Wang", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu")
GIVEN = ("Lei", "Mei", "Hua", "Jun", "Ling", "Qiang", "Yan", "Tao", "Xin", "Bo")
FIRMS = ("Trading", "Logistics", "Foods", "Textiles", "Machinery", "Pharma", "Energy")
LOSS_REASONS = (
    "moved to a competitor's lower rate",
    "relocated abroad",
    "business wound up",
    "unhappy with service at the branch",
    "consolidated accounts elsewhere",
)
OUTCOMES = (
    "needs met",
    "asked about a loan",
    "will visit the branch",
    "no answer, retry",
    "updated contact details",
    "interested in a premium card",
)

BRANCHES = ("Head office", "Riverside", "Harbour")
ABNORMAL_BRANCH = "Harbour"
"""The branch whose year the demo declares an abnormal market (a port closed by typhoons)."""
GRADES = ("trainee", "junior", "intermediate", "senior", "principal")
FESTIVAL_DAY = 10
"""The business day (from the start) of the demo's festival campaign."""

Progress = Callable[[int, int], None]


@frozen
class CardProfile:
    """A demo applicant shaped by a real card holder: age, income (the limit the issuer gave,
    over five, as the UCI import reads it), a typical purchase (the average monthly bill over
    four and a half purchases a month) and a payment habit (whole bills, part, or nothing)."""

    age: int
    income: int
    purchase: int
    habit: str

    @classmethod
    def of(cls, holder: Holder) -> CardProfile:
        billed = sum(b for b in holder.bills if b > 0)
        paid = sum(holder.payments)
        months = sum(1 for b in holder.bills if b > 0) or 1
        if billed > 0 and paid >= billed * Decimal("0.9"):
            habit = "full"
        elif holder.defaulted and paid < billed * Decimal("0.05"):
            habit = "never"
        else:
            habit = "minimum"
        purchase = int(Decimal(billed) / months / Decimal("4.5")) if billed > 0 else 0
        return cls(holder.age, max(1, int(holder.limit / 5)), purchase, habit)


class Demo:
    """Builds the demo book, one business day at a time."""

    def __init__(
        self,
        book: ClientBook,
        *,
        seed: int,
        managers: int,
        start: date,
        card_profiles: Sequence[Holder] = (),
        numbers_after: int = 0,
    ) -> None:
        """`card_profiles`: real card holders (the UCI data) whose age, limit, bills and payments
        shape the demo's applicants and how they use and pay their cards. `numbers_after`: the
        demo's customer and card numbers follow it (C-/K-<numbers_after + n>), so that its
        activity can continue a book whose customers and cards already hold the numbers up to
        it (a UCI import of that many rows numbers them C-/K-000001 on)."""
        self.book = book
        self.numbers_after = numbers_after
        self.card_profiles = list(card_profiles)
        self.spend: dict[UUID, int] = {}  # account -> typical purchase, in whole units
        self.rng = random.Random(seed)
        self.value_rng = random.Random(seed + 1)
        """For what later issues added (consents, income, contributions, assessments), so that
        the rest of a seed's book stays as it was."""
        self.managers = [f"m-{n:03d}" for n in range(1, managers + 1)]
        self.clerks = [Actor(f"u-clerk-{n}", {"officer"}) for n in range(1, 4)]
        self.supervisor = Actor("u-supervisor", {"supervisor"})
        self.start = start
        self.customers: list[UUID] = []
        self.complaints: list[UUID] = []
        self.slow: set[UUID] = set()
        self.disputes: dict[UUID, date] = {}  # closed complaints the customer will dispute
        self.open: set[UUID] = set()
        self.refused = 0
        self.lines: list[tuple[UUID, list[tuple[date, Money]], bool]] = []
        self.credit_granted: date | None = None
        self.cards: dict[UUID, str] = {}  # account -> how its holder pays: full, minimum, never
        self.card_holders: set[UUID] = set()
        self.card_days: dict[UUID, int] = {}  # account -> day of the month its holder pays
        self.credit_officer = Actor("u-credit", {"credit_officer"})
        self.credit_manager = Actor("u-credit-manager", {"manager"})
        self.desk = Actor("u-desk", {"officer"})
        self.investigator = Actor("u-investigator", {"officer"})
        self.administration = Actor("u-admin", {"administration"})
        self.general_manager = Actor("u-gm", {"general_manager"})

    def run(self, *, customers: int, days: int, progress: Progress | None = None) -> date:
        per_day = max(1, customers // max(1, days // 2))
        day = self.start
        for n in range(days):
            day = self.start + timedelta(days=n)
            for _ in range(per_day if len(self.customers) < customers else 0):
                self.register(day)
            for _ in range(self.rng.randint(2, 6) + len(self.customers) // 10):
                self.act(day)
            if n == 0:
                self.register_managers(day)
                for name, value in (
                    ("net_capital", "2000000000.00"),
                    ("tier1_capital", "1600000000.00"),
                ):
                    proposal = self.book.policy.propose(
                        name,
                        value,
                        reason="audited 2025 accounts",
                        effective=day,
                        by=self.administration,
                        on=day,
                    )
                    self.book.policy.approve(proposal, by=self.general_manager, on=day)
            if n >= 15 and not self.credit_granted and self._ready_for_credit(customers):
                self.grant_credit(day)
                self.credit_granted = day
            if n % 30 == 5:
                self.open_cards(day)
            self.use_cards(day)
            self.repay_instalments(day)
            if n == FESTIVAL_DAY:
                self.book.campaigns.launch(
                    number=f"FEST-{day.year}",
                    kind="festival",
                    title="Festival greetings",
                    tiers=["vip", "a"],
                    by=self.supervisor,
                    on=day,
                )
            if day.day == 28:
                self.earn(day)
            if (day.month, day.day) == (12, 31):
                self.assess_year(day)
            if self.customers and self.rng.random() < max(0.2, len(self.customers) / 300):
                self.complain(day)
            for complaint in [c for c in self.complaints if c in self.open or c in self.disputes]:
                steps = 1 if complaint in self.slow else self.rng.choice((1, 2, 2, 3))
                for _ in range(steps):
                    self.handle(complaint, day)
            self.book.close_of_business(day)
            if progress:
                progress(n + 1, days)
        return day

    def register(self, on: date) -> None:
        number = f"C-{self.numbers_after + len(self.customers) + 1:06d}"
        organisation = self.rng.random() < 0.3
        name = (
            f"{self.rng.choice(SURNAMES)} {self.rng.choice(FIRMS)} Co."
            if organisation
            else f"{self.rng.choice(SURNAMES)} {self.rng.choice(GIVEN)}"
        )
        manager = self.rng.choices(self.managers, weights=range(len(self.managers), 0, -1))[0]
        customer = self.book.customers.register(
            number=number,
            kind="organisation" if organisation else "individual",
            name=name,
            manager=manager,
            by=self.rng.choice(self.clerks),
            on=on,
            phone=f"+86 1{self.rng.randint(30, 89)} {self.rng.randint(1000, 9999)} "
            f"{self.rng.randint(1000, 9999)}",
            consent="in_person",
            document_number=identity_document(
                f"{self.rng.randint(110000, 659999)}{self.rng.randint(10**11, 10**12 - 1)}"
            ),
            visit_cycle_days=self.rng.choice((7, 14, 30, 30, 60, 90)),
            tier=self.rng.choice(TIERS),
        )
        self.customers.append(customer)
        if self.value_rng.random() < 0.3:
            self.book.customers.give_consent(
                customer, "marketing", channel="in_person", by=self.desk, on=on
            )
        if self.rng.random() < 0.85:
            self.book.customers.activate(customer, by=self.rng.choice(self.clerks), on=on)

    def act(self, on: date) -> None:
        if not self.customers:
            return
        customer = self.rng.choice(self.customers)
        clerk = self.rng.choice(self.clerks)
        roll = self.rng.random()
        service = self.book.customers
        try:
            if roll < 0.55:
                service.record_contact(
                    customer,
                    channel=self.rng.choice(CHANNELS),
                    purpose=self.rng.choice(("follow_up", "follow_up", "service", "sales")),
                    outcome=self.rng.choice(OUTCOMES),
                    by=clerk,
                    on=on,
                )
            elif roll < 0.75:
                service.record_survey(
                    customer,
                    channel=self.rng.choice(SURVEY_CHANNELS),
                    score=self.rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 4, 8, 6))[0],
                    by=clerk,
                    on=on,
                )
            elif roll < 0.78:
                service.mark_dormant(
                    customer, reason="no transactions for a quarter", by=clerk, on=on
                )
            elif roll < 0.795:
                service.mark_lost(customer, reason=self.rng.choice(LOSS_REASONS), by=clerk, on=on)
            elif roll < 0.88:
                service.reactivate(customer, reason="won back after a visit", by=clerk, on=on)
            elif roll < 0.92:
                service.reassign_manager(
                    customer,
                    self.rng.choice(self.managers),
                    reason="portfolio rebalancing",
                    by=self.supervisor,
                    on=on,
                )
            elif roll < 0.95:
                segment = self.rng.choice(("ordinary", "major", "premium"))
                if segment in FOUR_EYES_SEGMENTS:  # ✋ proposed, and approved by another
                    service.propose_segment(
                        customer,
                        segment,
                        reason="annual contribution review",
                        by=self.supervisor,
                        on=on,
                    )
                    service.approve_segment(customer, by=self.general_manager, on=on)
                else:
                    service.change_segment(
                        customer,
                        segment,
                        reason="annual contribution review",
                        by=self.supervisor,
                        on=on,
                    )
            elif roll < 0.97:
                service.restrict(
                    customer, reason="adverse credit bureau record", by=self.supervisor, on=on
                )
            else:
                service.lift_restriction(
                    customer, reason="bureau record cleared", by=self.supervisor, on=on
                )
        except DomainError:
            self.refused += 1  # a real desk gets refusals too: the rule said no, nothing written

    # -- managers and customer value ---------------------------------------------------------

    def register_managers(self, on: date) -> None:
        """Every manager registered and certified, with a grade and a branch."""
        for n, manager in enumerate(self.managers):
            self.book.managers.register(
                manager=manager,
                name=f"{SURNAMES[n % len(SURNAMES)]} {GIVEN[n % len(GIVEN)]}",
                grade=GRADES[n % len(GRADES)],
                branch=BRANCHES[n % len(BRANCHES)],
                certificate=f"RM-{on.year}-{n + 1:03d}",
                by=self.administration,
                on=on,
            )

    def earn(self, on: date) -> None:
        """Month end: interest on every drawn line, and deposits' contribution reported from
        the core banking system for some customers."""
        for line, _, _ in self.lines:
            record = self.book.credit.line(line)
            interest = record.outstanding.amount * record.rate / 100 / 12
            if record.status in ("active", "frozen", "matured") and interest >= Decimal("0.01"):
                self.book.credit.record_income(
                    line, "interest", Money(f"{interest:.2f}"), by=self.desk, on=on
                )
        for customer in self.customers:
            if self.value_rng.random() < 0.2:
                amount = Money(f"{self.value_rng.randint(5, 400) * 10}.00")
                self.book.customers.report_contribution(
                    customer,
                    source="core banking: deposits",
                    period_from=on.replace(day=1),
                    period_to=on,
                    amount=amount,
                    by=self.desk,
                    on=on,
                )

    def assess_year(self, on: date) -> None:
        """The annual assessment of every serving manager, the Harbour branch's year declared
        an abnormal market (50/50); each grade moves at most one step."""
        year, rng = on.year, self.value_rng
        self.book.managers.declare_abnormal_market(
            year=year,
            branch=ABNORMAL_BRANCH,
            reason="port closed for six weeks by typhoons",
            by=self.administration,
            on=on,
        )
        self.book.managers.approve_declaration(
            year=year, branch=ABNORMAL_BRANCH, by=self.general_manager, on=on
        )
        for manager in self.managers:
            if not self.book.managers.get(manager).active:
                continue
            period, level = str(year), rng.choice((50, 72, 91))  # weak, steady, strong
            self.book.managers.open_assessment(manager, period, by=self.supervisor, on=on)
            self.book.managers.propose_scores(manager, period, by=self.supervisor, on=on)
            proposed = {
                name
                for name, s in self.book.managers.assessment(manager, period).scores
                if s.source == "proposed"
            }
            for indicator in (*INDICATORS, BEHAVIOUR):
                if indicator in proposed:  # the log's figures, confirmed by a person
                    self.book.managers.confirm_score(
                        manager, period, indicator, by=self.administration, on=on
                    )
                    continue
                score = Decimal(min(100, max(0, level + rng.randint(-7, 7))))
                self.book.managers.set_score(
                    manager,
                    period,
                    indicator,
                    score,
                    reason="year-end review",
                    by=self.supervisor,
                    on=on,
                )
            self.book.managers.submit_assessment(manager, period, by=self.supervisor, on=on)
            self.book.managers.approve_assessment(manager, period, by=self.general_manager, on=on)

    # -- credit -----------------------------------------------------------------------------

    def _ready_for_credit(self, customers: int) -> bool:
        """Credit is granted from day 15, once there are the firms for three groups and one
        firm outside them (or every customer has been registered): the book the README tells
        of, with a connection group detection finds."""
        records = [self.book.customers.get(c) for c in self.customers]
        firms = sum(r.kind == "organisation" and r.restricted is None for r in records)
        return firms > 10 or len(self.customers) >= customers

    def grant_credit(self, on: date) -> None:
        """Form groups of connected firms and grant lines; one line will never be repaid."""
        records = [self.book.customers.get(c) for c in self.customers]
        firms = [r.id for r in records if r.kind == "organisation" and r.restricted is None]
        credit = self.book.credit
        groups = [
            firms[i : i + 3] for i in range(0, min(len(firms), 9), 3) if len(firms[i : i + 3]) >= 2
        ]
        for g, members in enumerate(groups):
            group = credit.form_group(
                name=f"{SURNAMES[g]} Holdings group",
                lead_branch="Head office",
                lead_manager=self.managers[g % len(self.managers)],
                limit=Money("30000000.00"),
                by=self.credit_manager,
                on=on,
            )
            for k, member in enumerate(members):
                if k:
                    credit.record_link(
                        members[0],
                        member,
                        Link(
                            "control",
                            "share register",
                            Decimal(self.rng.choice(("51", "65", "80"))),
                        ),
                        by=self.desk,
                        on=on,
                    )
                credit.add_member(
                    group,
                    member,
                    link=Link("control", "share register", Decimal("60")),
                    allocation=Money("9000000.00"),
                    by=self.credit_manager,
                    on=on,
                )
        if len(firms) > 10:  # a connection nobody grouped: detection should find it
            credit.record_link(
                firms[0],
                firms[10],
                Link("same_guarantor", "guarantee register"),
                by=self.desk,
                on=on,
            )
        for n, firm in enumerate(firms):
            product = ("working_capital", "trade_credit", "overdraft")[n % 3]
            limit = Money(f"{self.rng.randint(5, 40) * 100000}.00")
            line = credit.propose_line(
                number=f"L-{n + 1:06d}",
                customer=firm,
                product=product,
                limit=limit,
                rate=Decimal("4.35"),
                start=on,
                maturity=on + timedelta(days=720),
                review=on + timedelta(days=180),
                by=self.desk,
                on=on,
            )
            big = limit > Money("1000000.00")  # above a manager's authority: the general manager
            credit.approve_line(
                line, by=self.general_manager if big else self.credit_manager, on=on
            )
            credit.activate_line(line, by=self.desk, on=on)
            drawn = Money(f"{limit.amount * Decimal('0.6'):.2f}")
            sick = n == 0 and bool(groups)
            first_due = on + timedelta(days=5 if sick else 30)
            third = Money(f"{drawn.amount / 3:.2f}")
            schedule = [(first_due + timedelta(days=30 * k), third) for k in range(3)]
            if product == "trade_credit":
                for due, amount in schedule:
                    credit.draw(line, amount, by=self.desk, on=on, due=due)
            else:
                credit.draw(line, drawn, by=self.desk, on=on)
                credit.schedule(line, schedule, by=self.desk, on=on)
            self.lines.append((line, schedule, sick))

    def repay_instalments(self, on: date) -> None:
        """Borrowers pay their instalments on the due date, mostly; the sick one never does."""
        for line, schedule, sick in self.lines:
            for due, amount in schedule:
                if due == on and not sick and self.rng.random() < 0.9:
                    self.book.credit.repay(line, amount, by=self.desk, on=on)
                elif due + timedelta(days=20) == on and not sick:
                    record = self.book.credit.line(line)
                    if record.days_past_due(on) > 0:  # a late payer catches up
                        self.book.credit.repay(
                            line, min(amount, record.outstanding), by=self.desk, on=on
                        )

    # -- cards --------------------------------------------------------------------------------

    def open_cards(self, on: date) -> None:
        """Some individuals apply; referrals go to a supervisor; approved cards are issued."""
        cards, rng = self.book.cards, self.rng
        for customer in self.customers:
            record = self.book.customers.get(customer)
            if customer in self.card_holders or record.kind != "individual" or rng.random() > 0.4:
                continue
            if record.status not in ("active", "prospect") or record.restricted:
                continue
            self.card_holders.add(customer)
            profile = self._profile(len(self.card_holders))
            income = profile.income if profile else rng.randint(3, 40) * 1000
            account = cards.apply(
                number=f"K-{self.numbers_after + len(self.card_holders):06d}",
                customer=customer,
                monthly_income=Money(f"{income}.00"),
                age=profile.age if profile else rng.randint(19, 64),
                by=self.desk,
                on=on,
            )
            status = cards.account(account).status
            if status == "referred":
                approve = rng.random() < 0.7
                cards.decide(
                    account,
                    approve=approve,
                    limit=Money("5000.00") if approve else None,
                    reason="income verified" if approve else "thin credit file",
                    by=self.supervisor,
                    on=on,
                )
                status = "approved" if approve else "declined"
            if status != "approved":
                continue
            cards.issue(
                account,
                token=f"demo-token-{account.hex[:8]}",
                last4=f"{rng.randint(0, 9999):04d}",
                apr=Decimal("18.25"),
                annual_fee=Money("100.00"),
                expiry=add_months(on, 36),
                by=self.desk,
                on=on,
            )
            if rng.random() < 0.9:  # some cards are never activated
                cards.activate(account, by=self.desk, on=on)
                self.cards[account] = (
                    profile.habit
                    if profile
                    else rng.choices(("full", "minimum", "never"), weights=(6, 3, 1))[0]
                )
                self.spend[account] = profile.purchase if profile else 0
                self.card_days[account] = (on + timedelta(days=23)).day  # before the due date

    def use_cards(self, on: date) -> None:
        """Holders buy and pay as their habits say; the batch does the rest."""
        cards, rng = self.book.cards, self.rng
        for account, habit in self.cards.items():
            if rng.random() < 0.15 and habit != "never" or (habit == "never" and on.day == 7):
                kind = "cash_advance" if rng.random() < 0.1 else "purchase"
                typical = self.spend.get(account, 0)
                units = (
                    rng.randint(typical // 2, typical * 3 // 2)
                    if typical
                    else rng.randint(2, 80) * 25
                )
                cards.authorise(
                    account,
                    kind=kind,
                    amount=Money(f"{max(1, units)}.00"),
                    merchant=rng.choice(MERCHANTS),
                    by=self.desk,
                    on=on,
                )
            if on.day != self.card_days[account]:
                continue  # statements close monthly; the holder looks at the account once a month
            record = cards.account(account)
            if record.statement is not None and habit != "never" and record.status == "active":
                owed = record.statement[1] if habit == "full" else record.statement[2]
                amount = min(owed, record.balance)
                if amount.amount > 0:
                    cards.pay(account, amount, by=self.desk, on=on)
            if record.write_off_proposed_by is not None and record.status != "written_off":
                cards.approve_write_off(account, by=self.general_manager, on=on)

    def _profile(self, n: int) -> CardProfile | None:
        if not self.card_profiles:
            return None
        return CardProfile.of(self.card_profiles[(n - 1) % len(self.card_profiles)])

    # -- complaints -----------------------------------------------------------------------

    def complain(self, on: date) -> None:
        category = self.rng.choice(CATEGORIES)
        complaint = self.book.complaints.receive(
            customer=self.rng.choice(self.customers),
            category=category,
            channel=self.rng.choice(COMPLAINT_CHANNELS),
            product=self.rng.choice(PRODUCTS),
            request=REQUESTS[category],
            department=self.rng.choice(DEPARTMENTS),
            claimed=Money(f"{self.rng.randint(1, 400) * 25}.00") if category == "damages" else None,
            by=self.desk,
            on=on,
        )
        self.complaints.append(complaint)
        self.open.add(complaint)
        if self.rng.random() < 0.2:
            self.slow.add(complaint)  # some complaints stall and end up late

    def handle(self, complaint: UUID, on: date) -> None:
        """Take one complaint one step further, as a busy department would."""
        record = self.book.complaints.get(complaint)
        if self.rng.random() > (0.25 if complaint in self.slow else 0.9):
            return
        c, rng = self.book.complaints, self.rng
        step = record.step
        if step == "closed":
            if self.disputes.get(complaint, date.max) <= on:
                del self.disputes[complaint]
                self.open.add(complaint)
                c.reopen(complaint, reason="the customer disputes the outcome", by=self.desk, on=on)
        elif step == "received":
            if rng.random() < 0.15:
                self.open.discard(complaint)
                c.reject(
                    complaint,
                    reply="the terms the customer signed cover this charge",
                    by=self.desk,
                    on=on,
                )
            else:
                c.accept(complaint, by=self.desk, on=on)
        elif step == "accepted":
            c.assign(complaint, rng.choice(DEPARTMENTS), by=self.administration, on=on)
        elif step == "assigned":
            c.investigate(
                complaint,
                cause="a fee rule applied twice",
                course_of_events="the customer was charged on two statement dates",
                responsible_party=record.handling_department or record.department,
                conclusion="the complaint is justified",
                countermeasures="reverse the charge and apologise",
                prevention="a check for duplicate fees in the billing run",
                by=self.investigator,
                on=on,
            )
        elif step == "investigated" and rng.random() < 0.1:
            c.return_for_rework(
                complaint, reason="the cause is not evidenced", by=self.supervisor, on=on
            )
        elif step == "investigated":
            c.review(complaint, by=self.supervisor, on=on)
        elif step == "reviewed":
            c.endorse(
                complaint,
                opinion="settle promptly and review the fee rule",
                by=self.administration,
                on=on,
            )
        elif step == "endorsed":
            c.approve_report(complaint, by=self.general_manager, on=on)
        elif step == "approved":
            kind = rng.choice(("compensation", "refund", "discount", "explanation", "replacement"))
            amount = (
                None
                if kind in ("explanation", "replacement")
                else (record.claimed or Money(f"{rng.randint(2, 80) * 25}.00"))
            )
            c.propose_resolution(
                complaint,
                kind=kind,
                text=f"we offer a {kind}",
                amount=amount,
                by=self.investigator,
                on=on,
            )
        elif step == "resolution_proposed":
            c.approve_resolution(complaint, by=self.supervisor, on=on)
        elif step == "resolution_approved":
            if record.approved_amount is not None and record.paid is None:
                c.pay(complaint, record.approved_amount, by=self.desk, on=on)
            c.reply(
                complaint,
                form=rng.choice(("written", "oral")),
                text="our answer, with apologies",
                by=self.desk,
                on=on,
            )
        elif step == "replied":
            c.follow_up(
                complaint,
                satisfaction=rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 3, 6, 4))[0],
                by=self.desk,
                on=on,
            )
        elif step == "followed_up":
            self.open.discard(complaint)
            c.close(complaint, by=self.desk, on=on)
            if record.reopened == 0 and rng.random() < 0.08:
                self.disputes[complaint] = on + timedelta(days=rng.randint(3, 20))


MERCHANTS = ("supermarket", "fuel station", "online shop", "restaurant", "pharmacy", "airline")


COMPLAINT_CHANNELS = ("counter", "hotline", "hotline", "letter", "online", "online", "regulator")
DEPARTMENTS = ("retail banking", "card centre", "credit department", "branch operations")
REQUESTS = {
    "price_reduction": "the annual fee is higher than I was told; reduce it",
    "return": "I want to give back the card I did not ask for",
    "exchange": "replace my damaged card with a new one",
    "damages": "I lost money because the transfer was late; compensate me",
    "criticism": "the queue at the branch was over an hour; do better",
}
