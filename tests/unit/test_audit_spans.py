"""The audit trail reads its entries' events from the log in spans of positions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clientbook.infrastructure.audit_view import spans


def test_near_positions_share_a_span_and_far_ones_do_not() -> None:
    assert list(spans([1, 2, 5, 40, 41, 100], gap=3, span=1000)) == [(1, 5), (40, 41), (100, 100)]


def test_a_span_never_covers_more_positions_than_its_limit() -> None:
    assert list(spans(list(range(1, 11)), gap=3, span=4)) == [(1, 4), (5, 8), (9, 10)]


def test_no_positions_need_no_span() -> None:
    assert list(spans([], gap=3, span=4)) == []


@given(
    positions=st.sets(st.integers(min_value=1, max_value=5000)).map(sorted),
    gap=st.integers(min_value=1, max_value=100),
    span=st.integers(min_value=1, max_value=500),
)
def test_spans_cover_every_position_in_order_and_keep_to_their_limits(
    positions: list[int], gap: int, span: int
) -> None:
    found = list(spans(positions, gap, span))
    assert [p for p in positions if not any(a <= p <= b for a, b in found)] == []
    assert all(b - a < span for a, b in found)
    assert all(b1 < a2 for (_, b1), (a2, _) in zip(found, found[1:]))
    assert all(a in positions and b in positions for a, b in found)
