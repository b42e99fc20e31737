"""The one as-of rule (clientbook/domain/as_of.py), against a model of it, over random logs with
back-dated events, several passes sharing one rule, and dated prefixes."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from clientbook.domain.as_of import AsOf, dated_prefix

DAY = date(2026, 7, 1)
Event = tuple[str, int, "date | None"]  # aggregate, version, business date


@st.composite
def logs(draw: st.DrawFn) -> list[Event]:
    """Events of a few aggregates interleaved in log order, versions 1, 2, … per aggregate,
    business dates in any order (so some are back-dated), a few without a date."""
    aggregates = draw(st.lists(st.sampled_from("abcd"), max_size=40))
    dates = st.none() | st.integers(0, 20).map(lambda n: DAY + timedelta(days=n))
    versions: dict[str, int] = {}
    log = []
    for aggregate in aggregates:
        versions[aggregate] = versions.get(aggregate, 0) + 1
        log.append((aggregate, versions[aggregate], draw(dates)))
    return log


def model(log: list[Event], on: date) -> list[Event]:
    """Each aggregate's events up to, not including, its first one dated after `on`."""
    kept, cut = [], set()
    for aggregate, version, dated in log:
        cut |= {aggregate} if dated is not None and dated > on else set()
        if aggregate not in cut:
            kept.append((aggregate, version, dated))
    return kept


as_of_dates = st.integers(0, 20).map(lambda n: DAY + timedelta(days=n))


@given(log=logs(), on=as_of_dates)
def test_the_rule_keeps_each_aggregates_events_up_to_its_first_later_dated_one(
    log: list[Event], on: date
) -> None:
    rule = AsOf(on)
    assert [e for e in log if rule.counts(e[0], e[1], e[2])] == model(log, on)


@given(log=logs(), on=as_of_dates, passes=st.integers(2, 4))
def test_passes_sharing_one_rule_all_keep_the_same_events(
    log: list[Event], on: date, passes: int
) -> None:
    rule = AsOf(on)  # a past book's projections each read the log from its start
    for _ in range(passes):
        assert [e for e in log if rule.counts(e[0], e[1], e[2])] == model(log, on)


@given(log=logs(), on=as_of_dates)
def test_a_back_dated_event_after_a_later_dated_one_never_counts(
    log: list[Event], on: date
) -> None:
    kept = set(model(log, on))
    rule = AsOf(on)
    for aggregate, version, dated in log:
        counted = rule.counts(aggregate, version, dated)
        earlier_late = any(
            a == aggregate and v < version and d is not None and d > on for a, v, d in log
        )
        if earlier_late:
            assert not counted
        assert counted == ((aggregate, version, dated) in kept)


@given(log=logs(), on=as_of_dates)
def test_a_dated_prefix_is_the_rule_over_items_in_log_order(log: list[Event], on: date) -> None:
    dated = [e for e in log if e[2] is not None]
    prefix = list(dated_prefix(dated, on, lambda e: e[0], lambda e: e[2] or DAY))
    assert prefix == model(dated, on)
    assert all(d is not None and d <= on for _, _, d in prefix)


@given(log=logs())
def test_without_a_date_every_event_counts_until_stopped(log: list[Event]) -> None:
    rule = AsOf(None)
    assert all(rule.counts(*e) for e in log)
    if log:
        aggregate, version, _ = log[-1]
        rule.stop(aggregate, version)
        assert not rule.counts(*log[-1])
        assert rule.counts(aggregate, version - 1, None)  # what came before still counts
