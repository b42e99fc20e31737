"""The business calendar (domain/business_day.py): close of business runs for each date once,
in order, with no date skipped."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from clientbook.domain.business_day import BusinessCalendar
from clientbook.domain.errors import InvalidTransitionError

D = date(2026, 12, 1)


def test_the_calendar_is_one_record_with_an_id_that_never_changes() -> None:
    assert BusinessCalendar(by="u").id == BusinessCalendar.create_id()
    assert BusinessCalendar.create_id() == UUID("daf439ca-b2ab-5267-b1e0-5a12a00464ac")


def test_a_new_calendar_closes_the_date_asked_for_first() -> None:
    calendar = BusinessCalendar(by="u")
    assert calendar.next_dates(D) == [D]
    calendar.close_day(D, changes={"cards": 2}, by="u-batch")
    assert calendar.last_closed == D
    closed = calendar.collect_events()[-1]
    assert (type(closed).__name__, closed.on, closed.changes, closed.by) == (
        "DayClosed",
        D,
        {"cards": 2},
        "u-batch",
    )


def test_the_dates_still_to_close_run_from_the_day_after_the_last_through_the_date() -> None:
    calendar = BusinessCalendar(by="u")
    calendar.close_day(D, changes={}, by="u-batch")
    assert calendar.next_dates(D) == []
    assert calendar.next_dates(D + timedelta(days=3)) == [
        D + timedelta(days=1),
        D + timedelta(days=2),
        D + timedelta(days=3),
    ]


def test_a_date_out_of_turn_is_refused_naming_the_next_date_to_close() -> None:
    calendar = BusinessCalendar(by="u")
    calendar.close_day(D, changes={}, by="u-batch")
    with pytest.raises(InvalidTransitionError) as refused:
        calendar.close_day(D + timedelta(days=2), changes={}, by="u-batch")
    assert str(refused.value) == (
        "business date 2026-12-03 cannot be closed now; the next date to close is 2026-12-02"
    )
    with pytest.raises(InvalidTransitionError) as refused:
        calendar.close_day(D, changes={}, by="u-batch")
    assert str(refused.value) == (
        "business date 2026-12-01 cannot be closed now; the next date to close is after 2026-12-01"
    )
    assert len(calendar.collect_events()) == 2
