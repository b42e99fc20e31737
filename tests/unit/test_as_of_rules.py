"""The one as-of rule (domain/as_of.py) on small logs, case by case; the property tests check
it against a model over random logs."""

from __future__ import annotations

from datetime import date, timedelta

from clientbook.domain.as_of import AsOf, dated_prefix

DAY = date(2026, 7, 1)
NEXT = DAY + timedelta(days=1)


def test_an_event_dated_on_the_day_counts_and_one_dated_after_cuts_its_aggregate() -> None:
    rule = AsOf(DAY)
    assert rule.counts("a", 1, DAY)
    assert not rule.counts("a", 2, NEXT)
    assert not rule.counts("a", 3, DAY)  # back-dated after the cut: not counted
    assert rule.counts("b", 1, DAY)  # another aggregate is not cut


def test_an_event_without_a_date_never_cuts_and_no_date_counts_everything() -> None:
    rule = AsOf(DAY)
    assert rule.counts("a", 1, None) and rule.counts("a", 2, DAY)
    everything = AsOf(None)
    assert everything.counts("a", 1, NEXT) and everything.counts("a", 2, DAY)


def test_a_second_pass_counts_the_same_events_as_the_first() -> None:
    rule = AsOf(DAY)
    log = [("a", 1, DAY), ("a", 2, NEXT), ("a", 3, DAY), ("b", 1, None)]
    first = [e for e in log if rule.counts(*e)]
    second = [e for e in log if rule.counts(*e)]
    assert first == second == [("a", 1, DAY), ("b", 1, None)]


def test_a_stop_cuts_an_aggregate_at_the_earliest_order_given() -> None:
    rule = AsOf(None)
    rule.stop("a", 3)
    rule.stop("a", 5)  # later: the cut stays at 3
    assert rule.counts("a", 2, None)
    assert not rule.counts("a", 3, None) and not rule.counts("a", 4, None)
    rule.stop("a", 1)
    assert not rule.counts("a", 2, None)


def test_a_dated_prefix_keeps_each_entitys_items_before_its_first_later_one() -> None:
    items = [("a", DAY), ("b", NEXT), ("a", DAY), ("b", DAY), ("a", NEXT), ("a", DAY)]
    kept = list(dated_prefix(items, DAY, entity=lambda i: i[0], on=lambda i: i[1]))
    assert kept == [("a", DAY), ("a", DAY)]
