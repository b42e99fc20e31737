"""As-of reports resumed from checkpoints equal the full replay of their facts.

Random fact logs (a few accounts and complaints, dates in random order, so back-dated facts are
common) are written to the real SQL views in pages; a report as of a random date at a random
position is asked twice — first at an earlier position, which leaves a checkpoint, then at the
later one, which resumes from it — and each answer must equal the fold of every fact up to its
position (the full replay, as reports were computed before checkpoints).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.persistence import Tracking
from hypothesis import given, settings
from hypothesis import strategies as st

from clientbook.domain.card import BUCKETS, CARD_CLASSES
from clientbook.domain.money import Money
from clientbook.infrastructure.card_views import SqlCardAccountsView
from clientbook.infrastructure.checkpoint_views import SqlReportCheckpoints
from clientbook.infrastructure.complaint_views import SqlComplaintFactsView
from clientbook.infrastructure.sql import SqliteDatabase
from clientbook.infrastructure.store import parse_store_url
from clientbook.projections.cards import CardFact
from clientbook.reports.portfolio import PortfolioFold, portfolio
from clientbook.projections.checkpoints import resumed
from clientbook.projections.complaint_facts import Fact
from clientbook.reports.complaints import ComplaintsFold, complaints_report

START = date(2026, 1, 1)
DAYS = 90
CEILING = Decimal("20")
APP = "ClientBook"
NS = UUID(int=7)


def _id(n: int) -> UUID:
    return uuid5(NS, str(n))


days = st.integers(min_value=0, max_value=DAYS - 1).map(lambda n: START + timedelta(days=n))
amounts = st.integers(min_value=1, max_value=10_000).map(lambda n: Decimal(n) / 100)

card_details = st.one_of(
    st.just(("Issued", {})),
    st.just(("Activated", {})),
    st.just(("WrittenOff", {})),
    st.just(("Closed", {})),
    st.builds(lambda a: ("Authorised", {"amount": a}), amounts),
    st.builds(lambda a: ("Paid", {"amount": a}), amounts),
    st.builds(lambda a: ("Recovered", {"amount": a}), amounts),
    st.builds(
        lambda b, c: ("DelinquencyMoved", {"bucket": b, "classification": c}),
        st.sampled_from(BUCKETS),
        st.sampled_from(CARD_CLASSES),
    ),
    st.builds(
        lambda d: ("DormancyChanged", {"dormancy": d}),
        st.sampled_from(("none", "dormant", "long_term")),
    ),
)

complaint_details = st.one_of(
    st.builds(
        lambda d: (
            "Received",
            {"category": "fees", "channel": "branch", "department": "cards", "deadline": d},
        ),
        days,
    ),
    st.just(("Accepted", {})),
    st.builds(lambda t: ("Rejected", {"in_time": t}), st.booleans()),
    st.builds(lambda t: ("Closed", {"in_time": t}), st.booleans()),
    st.builds(lambda d: ("Reopened", {"deadline": d}), days),
    st.builds(lambda a: ("ResolutionApproved", {"amount": Money(a)}), amounts),
    st.builds(lambda a: ("CompensationPaid", {"amount": Money(a)}), amounts),
    st.builds(lambda s: ("FollowedUp", {"satisfaction": s}), st.integers(1, 5)),
)


back_dated = st.one_of(st.just(0), st.just(0), st.just(0), st.integers(1, 30))


def _logged(draw: Any, details: Any, make: Any) -> list[Any]:
    """Facts at increasing positions (with gaps, as on PostgreSQL), for random owners, dated
    as a book's are: business days advancing with the log, one fact in four back-dated."""
    raw = draw(
        st.lists(
            st.tuples(
                st.integers(0, 5), st.integers(0, 2), back_dated, details, st.integers(1, 40)
            ),
            min_size=1,
            max_size=400,
        )
    )
    facts, position, today = [], 0, 0
    for owner, advance, back, (event, extra), gap in raw:
        position, today = position + gap, min(DAYS - 1, today + advance)
        on = START + timedelta(days=max(0, today - back))
        facts.append(make(position, _id(owner), event, on, **extra))
    return facts


@st.composite
def card_logs(draw: Any) -> list[CardFact]:
    return _logged(draw, card_details, CardFact)


@st.composite
def complaint_logs(draw: Any) -> list[Fact]:
    return _logged(draw, complaint_details, Fact)


def _written(view: Any, facts: list[Any], page: int) -> None:
    """The facts as the projection writes them: a page at a time, each with its position."""
    for start in range(0, len(facts), page):
        part = facts[start : start + page]
        with view.batch(Tracking(APP, part[-1].position)):
            for fact in part:
                view.add_fact(fact)


cuts = dict(
    first=st.floats(min_value=0, max_value=1),
    second=st.floats(min_value=0, max_value=1),
    as_of=days,
    page=st.integers(min_value=1, max_value=150),
)


def _positions(facts: list[Any], first: float, second: float) -> tuple[int, int]:
    head = facts[-1].position
    low, high = sorted((int(head * first), int(head * second)))
    return low, high


@settings(max_examples=max(10, settings.default.max_examples))
@given(facts=card_logs(), **cuts)
def test_a_portfolio_resumed_from_a_checkpoint_equals_the_full_replay(
    facts: list[CardFact], first: float, second: float, as_of: date, page: int
) -> None:
    database = SqliteDatabase(":memory:")
    view, checkpoints = SqlCardAccountsView(database), SqlReportCheckpoints(database)
    checkpoints.every = 1
    _written(view, facts, page)
    key = PortfolioFold.key(as_of, None)
    for position in _positions(facts, first, second):
        fold = resumed(
            checkpoints,
            "portfolio",
            key,
            position,
            lambda: PortfolioFold(as_of),
            lambda state: PortfolioFold.restore(as_of, None, state),
            lambda after, up_to: view.facts_for(after, up_to, as_of),
        )
        replayed = portfolio(
            [f for f in facts if f.position <= position],
            as_of=as_of,
            position=position,
            ceiling_percent=CEILING,
        )
        assert fold.report(position, CEILING) == replayed
    database.close()


@settings(max_examples=max(10, settings.default.max_examples))
@given(facts=complaint_logs(), **cuts)
def test_a_complaints_report_resumed_from_a_checkpoint_equals_the_full_replay(
    facts: list[Fact], first: float, second: float, as_of: date, page: int
) -> None:
    database = SqliteDatabase(":memory:")
    view, checkpoints = SqlComplaintFactsView(database), SqlReportCheckpoints(database)
    checkpoints.every = 1
    _written(view, facts, page)
    period_from, period_to = START, START + timedelta(days=DAYS // 2)
    key = ComplaintsFold.key(period_from, period_to, as_of)
    for position in _positions(facts, first, second):
        fold = resumed(
            checkpoints,
            "complaints",
            key,
            position,
            lambda: ComplaintsFold(period_from, period_to, as_of),
            lambda state: ComplaintsFold.restore(period_from, period_to, as_of, state),
            lambda after, up_to: view.facts_for(after, up_to, as_of),
        )
        replayed = complaints_report(
            [f for f in facts if f.position <= position],
            period_from=period_from,
            period_to=period_to,
            as_of=as_of,
            position=position,
        )
        assert fold.report(position) == replayed
    database.close()


def test_a_checkpoint_made_before_a_back_dated_fact_is_never_the_answer_for_its_date(
    store_url: str,
) -> None:
    """As of A: account X is cut by a fact dated after A (position 100), so its back-dated
    payment at 220 does not count; account Y has nothing dated after A, so its back-dated
    purchase at 210 does. A checkpoint made at 150 holds neither. On both stores' SQL."""
    as_of, later = START + timedelta(days=5), START + timedelta(days=15)
    x, y = _id(1), _id(2)
    before = [
        CardFact(1, x, "Issued", START),
        CardFact(2, x, "Activated", START),
        CardFact(3, y, "Issued", START),
        CardFact(4, y, "Activated", START),
        CardFact(100, x, "Authorised", later, amount=Decimal("50.00")),
    ]
    after = [
        CardFact(210, y, "Authorised", START, amount=Decimal("30.00")),
        CardFact(220, x, "Paid", START, amount=Decimal("20.00")),
    ]
    database = parse_store_url(store_url).open_database()
    view, checkpoints = SqlCardAccountsView(database), SqlReportCheckpoints(database)
    checkpoints.every = 1
    key = PortfolioFold.key(as_of, None)

    def report(position: int) -> Any:
        fold = resumed(
            checkpoints,
            "portfolio",
            key,
            position,
            lambda: PortfolioFold(as_of),
            lambda state: PortfolioFold.restore(as_of, None, state),
            lambda after, up_to: view.facts_for(after, up_to, as_of),
        )
        return fold.report(position, CEILING)

    _written(view, before, 10)
    at_checkpoint = report(150)
    found = checkpoints.nearest("portfolio", key, 150)
    assert found is not None and found[0] == 63  # complete to the block before the late fact
    _written(view, after, 10)
    now = report(220)
    assert now == portfolio(before + after, as_of=as_of, position=220, ceiling_percent=CEILING)
    assert at_checkpoint.balances_by_class[0] == ("normal", Decimal("0.00"))
    assert now.balances_by_class[0] == ("normal", Decimal("30.00"))  # Y's, not X's payment
    assert checkpoints.nearest("portfolio", PortfolioFold.key(later, None), 220) is None
    database.close()
