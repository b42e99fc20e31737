"""The quick `@event` calls (domain/triggers.py) make and apply the events the library would."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any, Iterator

import pytest
from eventsourcing.domain import DecoratedFuncCaller, event
from test_card import D, POLICY, active, buy

import clientbook.domain.base as base
from clientbook import Money
from clientbook.application.app import replay
from clientbook.domain.base import BookAggregate
from clientbook.domain.card import CardAccount
from clientbook.domain.triggers import QuickCommand, new_event


@pytest.fixture
def library_way(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Card accounts as the library alone makes them: its decorators, its `apply`, its event
    construction."""
    monkeypatch.setattr(base, "new_event", lambda *args: None)
    for name, value in list(vars(CardAccount).items()):
        if isinstance(value, QuickCommand):
            monkeypatch.setattr(CardAccount, name, value.decorator)
            if "apply" in vars(value.event_class):
                monkeypatch.setattr(value.event_class, "apply", DecoratedFuncCaller.apply)
    yield


def a_life(account: CardAccount) -> CardAccount:
    """Purchases, a fee, a part payment and 75 days of close of business (statements, interest,
    a missed due date, late fees, delinquency): most of the account's events."""
    assert buy(account, "300.00")
    account.charge_fee("over_limit", Money("5.00"), by="u-teller", on=D)
    day = D
    for n in range(75):
        day += timedelta(days=1)
        if n == 10:
            account.pay(Money("20.00"), by="u-teller", on=day)
        if n == 40:
            assert buy(account, "55.55", on=day)
        account.close_day(policy=POLICY, by="u-batch", on=day)
    return account


def recorded(events: list[Any]) -> list[tuple[str, list[tuple[str, Any]]]]:
    """Each event's class and its state in the order kept (what the mapper encodes), less the
    time it was made."""
    return [
        (type(e).__qualname__, [(k, v) for k, v in vars(e).items() if k != "timestamp"])
        for e in events
    ]


def state(account: CardAccount) -> dict[str, Any]:
    return {k: v for k, v in vars(account).items() if k not in ("_modified_on", "_pending_events")}


def test_an_accounts_life_records_the_events_the_library_itself_records(
    request: pytest.FixtureRequest,
) -> None:
    start = active()
    start.collect_events()
    quick = a_life(copy.deepcopy(start))
    request.getfixturevalue("library_way")
    library = a_life(copy.deepcopy(start))
    assert len(quick.pending_events) >= 9
    assert recorded(quick.pending_events) == recorded(library.pending_events)
    assert [list(vars(e)) for e in quick.pending_events] == [
        list(vars(e)) for e in library.pending_events
    ]
    assert state(quick) == state(library)


def test_replaying_with_the_quick_apply_gives_the_state_the_library_apply_gives(
    request: pytest.FixtureRequest,
) -> None:
    start = active()
    start.collect_events()
    account = a_life(copy.deepcopy(start))
    events = account.collect_events()
    quick = replay(copy.deepcopy(start), events)
    request.getfixturevalue("library_way")
    assert state(replay(copy.deepcopy(start), events)) == state(quick) == state(account)


def test_a_call_that_does_not_fit_the_method_raises_the_librarys_error(
    request: pytest.FixtureRequest,
) -> None:
    calls = [
        lambda a: a._charged("fees", "late", Money("1.00"), "u-x"),  # missing `on`
        lambda a: a._charged("fees", "late", Money("1.00"), "u-x", D, 1),  # one too many
        lambda a: a._charged("fees", "late", Money("1.00"), "u-x", D, kind="x"),  # twice
        lambda a: a._charged("fees", "late", Money("1.00"), "u-x", D, when=D),  # unknown
    ]
    quick = []
    for call in calls:
        with pytest.raises(TypeError) as raised:
            call(active())
        quick.append(str(raised.value))
    request.getfixturevalue("library_way")
    for call, message in zip(calls, quick):
        with pytest.raises(TypeError) as raised:
            call(active())
        assert str(raised.value) == message


def test_arguments_are_matched_by_name_with_defaults_or_left_to_the_library() -> None:
    class Tallied(BookAggregate):
        @event("Opened")
        def __init__(self, by: str) -> None:
            self.total = 0

        @event("Added")
        def _added(self, n: int, by: str, note: str = "-") -> None:
            self.total += n

    command = vars(Tallied)["_added"]
    assert isinstance(command, QuickCommand)
    assert command.arguments((1, "u-x"), {}) == {"n": 1, "by": "u-x", "note": "-"}
    assert command.arguments((1,), {"by": "u-x", "note": "n"}) == {"n": 1, "by": "u-x", "note": "n"}
    assert command.arguments((1, "u-x", "n", 4), {}) is None  # too many
    assert command.arguments((1,), {"n": 2, "by": "u"}) is None  # twice
    assert command.arguments((1,), {"by": "u", "size": 2}) is None  # unknown
    assert command.arguments((1,), {}) is None  # missing
    tallied = Tallied(by="u-x")
    tallied._added(2, "u-x")
    tallied._added(3, by="u-x", note="again")
    assert tallied.total == 5 and [e.note for e in tallied.collect_events()[1:]] == ["-", "again"]


def test_an_event_is_made_as_its_dataclass_makes_it_or_left_to_the_library() -> None:
    account = active()
    version = account.version
    values = {"component": "fees", "kind": "late", "amount": Money("1.00"), "by": "u", "on": D}
    made = new_event(CardAccount.Charged, account, values)
    expected = CardAccount.Charged(
        originator_id=account.id, originator_version=version + 1, timestamp=made.timestamp, **values
    )
    assert list(vars(made).items()) == list(vars(expected).items())
    assert account.version == version and "originator_id" not in values  # nothing changed
    assert new_event(CardAccount.Charged, account, {**values, "size": 1}) is None
    assert new_event(CardAccount.Charged, account, {"by": "u"}) is None  # fields left unset
