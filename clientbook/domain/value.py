"""Customer value (essay 6; DOMAIN.md § Relationship managers and customer value): what each
customer contributed over a period, how concentrated that is (the Pareto curve), and the
segment each customer's rank proposes.

A customer's contribution over a period is the interest and fees earned on their credit lines
and card accounts dated in it, less card write-offs, plus recoveries, plus what the embedding
bank reported from outside clientbook for the period (deposits, other products; an amount
reported for a longer period counts pro rata by days). Rankings put the larger contribution
first; of two equal ones, the lower customer number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from attrs import frozen

CENT = Decimal("0.01")
PERCENT = Decimal("0.01")
PARETO = Decimal(80)
"""The share of the total contribution whose bearers the Pareto figure counts (80%)."""
CURVE_STEPS = 20
"""The Pareto curve is given at every 5% of customers (0%, 5%, …, 100%)."""


def prorated(amount: Decimal, reported: tuple[date, date], period: tuple[date, date]) -> Decimal:
    """The part of an amount reported for the days `reported` that falls in `period` (both
    inclusive), by days, rounded half up to the cent; all of it when `reported` lies within."""
    start, end = max(reported[0], period[0]), min(reported[1], period[1])
    if start > end:
        return Decimal("0.00")
    days, whole = (end - start).days + 1, (reported[1] - reported[0]).days + 1
    if days == whole:
        return amount
    return (amount * days / whole).quantize(CENT, ROUND_HALF_UP)


def top_count(customers: int, percent: Decimal) -> int:
    """How many customers the top `percent` of them are: rounded up, at least one."""
    if customers == 0:
        return 0
    return max(1, math.ceil(customers * percent / 100))


def ranked(contributions: Iterable[tuple[str, Decimal]]) -> list[tuple[str, Decimal]]:
    """(customer number, contribution), the largest contribution first, ties by number."""
    return sorted(contributions, key=lambda item: (-item[1], item[0]))


@frozen
class Concentration:
    """How concentrated a set of customers' contributions is. The shares are None when the
    total is not positive (there is nothing to share out)."""

    customers: int
    total: Decimal
    customers_for_80_percent: int | None
    """The fewest customers, from the top, whose contributions reach 80% of the total."""
    share_of_customers_for_80_percent: Decimal | None
    """Those customers as a % of all."""
    top_4_percent_share: Decimal | None
    """The % of the total that the top 4% of customers bring (at least one customer)."""
    top_20_percent_share: Decimal | None
    curve: tuple[tuple[Decimal, Decimal], ...]
    """(% of customers from the top, % of the total they bring), at every 5% of customers."""


def concentration(amounts: Sequence[Decimal]) -> Concentration:
    """The concentration of contributions given largest first (see `ranked`)."""
    n, total = len(amounts), sum(amounts, Decimal("0.00"))
    if n == 0 or total <= 0:
        return Concentration(n, total, None, None, None, None, ())
    cumulative: list[Decimal] = []
    running = Decimal(0)
    for amount in amounts:
        running += amount
        cumulative.append(running)
    reach = next(k + 1 for k, c in enumerate(cumulative) if c * 100 >= PARETO * total)

    def brought_by(count: int) -> Decimal:
        return _percent(cumulative[count - 1] if count else Decimal(0), total)

    curve = tuple(
        (Decimal(100 * step) / CURVE_STEPS, brought_by(math.ceil(n * step / CURVE_STEPS)))
        for step in range(CURVE_STEPS + 1)
    )
    return Concentration(
        customers=n,
        total=total,
        customers_for_80_percent=reach,
        share_of_customers_for_80_percent=_percent(Decimal(reach), Decimal(n)),
        top_4_percent_share=brought_by(top_count(n, Decimal(4))),
        top_20_percent_share=brought_by(top_count(n, Decimal(20))),
        curve=tuple((share.quantize(PERCENT), brought) for share, brought in curve),
    )


def proposed_segment(
    rank: int, customers: int, amount: Decimal, *, premium_percent: Decimal, major_percent: Decimal
) -> str:
    """The segment a contribution proposes for the customer at `rank` (0 = the top) of
    `customers`: restricted when it is negative (the customer cost more than they brought),
    potential when it is nothing, premium within the top `premium_percent`, major within the
    top `major_percent`, else ordinary."""
    if amount < 0:
        return "restricted"
    if amount == 0:
        return "potential"
    if rank < top_count(customers, premium_percent):
        return "premium"
    if rank < top_count(customers, major_percent):
        return "major"
    return "ordinary"


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(PERCENT, ROUND_HALF_UP)
