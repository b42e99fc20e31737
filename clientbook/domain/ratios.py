"""Portfolio risk ratios a risk committee reads month by month.

- PAR30 / PAR90 (portfolio at risk): the share of the card balances on books that is 30 / 90 or
  more days past due, by delinquency bucket.
- NPL ratio: the share of credit-line outstanding classified substandard, doubtful or loss
  (the five-category non-performing classes).

Each is a percentage rounded half up to two places, or None when there is nothing to divide by.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from clientbook.domain.card import BUCKETS

NON_PERFORMING = ("substandard", "doubtful", "loss")
_AT_RISK_FROM = {30: BUCKETS.index("30-59"), 90: BUCKETS.index("90-119")}


def portfolio_at_risk(balances: Iterable[tuple[str, Decimal]], days: int) -> Decimal | None:
    """PAR`days` from (bucket, balance) pairs: the share of balances in buckets from `days`
    (30 or 90) days past due on."""
    first = _AT_RISK_FROM[days]
    pairs = list(balances)
    total = sum((b for _, b in pairs), Decimal(0))
    at_risk = sum(
        (b for bucket, b in pairs if bucket in BUCKETS and BUCKETS.index(bucket) >= first),
        Decimal(0),
    )
    return _share(at_risk, total)


def npl_ratio(outstanding: Iterable[tuple[str, Decimal]]) -> Decimal | None:
    """From (classification, outstanding) pairs: the non-performing share."""
    pairs = list(outstanding)
    total = sum((o for _, o in pairs), Decimal(0))
    return _share(sum((o for c, o in pairs if c in NON_PERFORMING), Decimal(0)), total)


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    if whole <= 0:
        return None
    return (part * 100 / whole).quantize(Decimal("0.01"), ROUND_HALF_UP)
