"""What each report shows as tables: the same columns in the terminal, in CSV and in JSON rows.

`listings(name, report)` gives a report's tables by name, the first being its main one (the
one `--format csv` writes unless `--table` names another). Buckets are listed in days-past-due
order, never in text order."""

from __future__ import annotations

from typing import Any, Callable

from clientbook.domain.credit_line import AGING_BUCKETS
from clientbook.domain.money import Money
from clientbook.reports.render import Column, Listing, columns


def _managers(r: Any) -> dict[str, Listing]:
    main = Listing(
        f"Relationship managers, {r.period_from} to {r.period_to} (minimum {r.minimum} "
        f"customers; log position {r.position:,})",
        columns(
            "manager",
            "grade",
            "branch",
            "serving",
            "customers",
            "below_minimum",
            "lapsed",
            "contacts",
            "follow_ups",
            "surveys",
            "average_satisfaction",
            "assessed",
            "assessment_total",
            "performance_weight",
        ),
        tuple(
            (
                m.manager,
                m.grade or "unregistered",
                m.branch,
                m.serving,
                m.customers,
                m.below_minimum,
                m.lapsed,
                m.contacts,
                m.follow_ups,
                m.surveys,
                m.average_satisfaction,
                m.assessed,
                m.assessment_total,
                m.performance_weight,
            )
            for m in r.rows
        ),
    )
    lost = Listing(
        "Lost customers and reasons",
        (Column("on", "date"), *columns("customer", "manager", "reason")),
        tuple((c.on, c.number, c.manager, c.reason) for c in r.lost),
    )
    pool = Listing(
        "Succession pool (serving senior and principal managers)",
        columns("manager", "grade", "branch"),
        tuple((m.manager, m.grade, m.branch) for m in r.succession_pool),
    )
    left = Listing(
        "Managers who left with customers still in their book (no one looks after them)",
        columns("manager", "customers"),
        tuple((m.manager, m.customers) for m in r.without_manager),
    )
    campaigns = Listing(
        "Campaign follow-ups of campaigns started in the period, as of its end",
        (
            *columns("manager", "campaign"),
            Column("due", "follow up by"),
            *columns("covered", "done", "late", "missed", "pending"),
        ),
        tuple(
            (c.manager, c.campaign, c.due, c.covered, c.done, c.late, c.missed, c.pending)
            for c in r.campaign_follow_ups
        ),
    )
    return {
        "managers": main,
        "lost": lost,
        "succession": pool,
        "without_manager": left,
        "campaigns": campaigns,
    }


def _joined(pairs: Any) -> str:
    return ", ".join(f"{k} {v}" for k, v in pairs)


def _complaints(r: Any) -> dict[str, Listing]:
    measures: tuple[tuple[str, Any], ...] = (
        ("received", r.received),
        ("accepted", r.accepted),
        ("rejected", r.rejected),
        ("closed", r.closed),
        ("closed_in_time", r.closed_in_time),
        ("closed_in_time_percent", r.closed_in_time_percent),
        ("open_overdue_on_the_as_of_date", r.open_overdue),
        ("reopened", r.reopened),
        ("average_days_to_close", r.average_days_to_close),
        ("max_days_to_close", r.max_days_to_close),
        ("average_satisfaction", r.average_satisfaction),
        *((f"compensation_approved_{m.currency}", m) for m in r.compensation_approved),
        *((f"compensation_paid_{m.currency}", m) for m in r.compensation_paid),
        *((f"category_{k}", v) for k, v in r.by_category),
        *((f"channel_{k}", v) for k, v in r.by_channel),
        *((f"department_{k}", v) for k, v in r.by_department),
    )
    return {
        "complaints": Listing(
            f"Complaints, {r.period_from} to {r.period_to}, as of {r.as_of} "
            f"(log position {r.position:,})",
            columns("measure", "value"),
            tuple((k, v) for k, v in measures),
        )
    }


def _groups(r: Any) -> dict[str, Listing]:
    main = Listing(
        f"Group credit concentration as of {r.as_of} (cap {r.cap_percent}% of net capital; "
        f"large exposure ≥ {r.large_exposure_percent}% of Tier 1, limit "
        f"{r.large_exposure_limit_percent}%; log position {r.position:,})",
        columns(
            "group",
            "members",
            "limit",
            "allocated",
            "outstanding",
            "usage_percent",
            "net_capital_percent",
            "within_cap",
            "tier1_percent",
            "large_exposure",
            "classification",
            "cross_default",
            "warnings",
        ),
        tuple(
            (
                g.name,
                len(g.members),
                g.limit,
                g.allocated,
                g.outstanding,
                g.usage_percent,
                g.share_of_net_capital_percent,
                g.within_cap,
                g.tier1_percent,
                g.large_exposure,
                g.classification,
                g.cross_default,
                len(g.warnings),
            )
            for g in r.groups
        ),
    )
    members = Listing(
        "Group members",
        columns(
            "group", "customer", "link", "allocation", "lines", "outstanding", "classification"
        ),
        tuple(
            (g.name, m.number, m.link, m.allocation, m.lines, m.outstanding, m.classification)
            for g in r.groups
            for m in g.members
        ),
    )
    return {"groups": main, "members": members}


def _classification(r: Any) -> dict[str, Listing]:
    return {
        "classification": Listing(
            f"Five-category classification as of {r.as_of} (log position {r.position:,})",
            columns("classification", "lines", "outstanding"),
            tuple((row.classification, row.lines, row.outstanding) for row in r.rows),
        )
    }


def _migration(r: Any) -> dict[str, Listing]:
    return {
        "migration": Listing(
            f"Classification migration {r.from_date} → {r.to_date} (log position {r.position:,})",
            (
                Column("from_class", "from"),
                Column("to_class", "to"),
                *columns("lines", "outstanding"),
            ),
            tuple((c.from_class, c.to_class, c.lines, c.outstanding) for c in r.cells),
        )
    }


def _aging(r: Any) -> dict[str, Listing]:
    buckets = sorted((b for b, _ in r.totals), key=_aging_order)
    totals = dict(r.totals)

    def amounts(pairs: Any) -> tuple[Money, ...]:
        found = dict(pairs)
        return tuple(found[b] for b in buckets)

    return {
        "aging": Listing(
            f"Trade-credit receivables aging as of {r.as_of} (log position {r.position:,})",
            (Column("line"), *(Column(f"days_{b}", b) for b in buckets)),
            (
                *((row.number, *amounts(row.buckets)) for row in r.rows),
                ("total", *(totals[b] for b in buckets)),
            ),
        )
    }


def _aging_order(bucket: str) -> int:
    return AGING_BUCKETS.index(bucket) if bucket in AGING_BUCKETS else len(AGING_BUCKETS)


BALANCE = Column("balance", money=True)


def _portfolio(r: Any) -> dict[str, Listing]:
    where = f"as of {r.as_of} (log position {r.position:,}; {r.issued:,} cards issued)"
    period = f"from {r.period_from} to {r.as_of}" if r.period_from else f"up to {r.as_of}"
    others = [c for c in r.currencies if c != r.currency]
    notes = (
        (f"cards in {r.currency} only; the book's cards are also in {', '.join(others)}",)
        if others
        else ()
    )

    def priced(rows: Any) -> tuple[tuple[Any, ...], ...]:
        """The rows with their last value, an amount, in the portfolio's currency."""
        if not r.currency:
            return tuple(rows)
        return tuple((*row[:-1], Money(row[-1], r.currency)) for row in rows)

    return {
        "buckets": Listing(
            f"Card portfolio {where}",
            (*columns("bucket", "accounts"), BALANCE),
            priced(r.accounts_by_bucket),
            notes,
        ),
        "status": Listing(
            "Accounts by status",
            (*columns("status", "accounts"), BALANCE),
            priced(r.accounts_by_status),
        ),
        "classes": Listing(
            "Five-category balances",
            (Column("classification"), BALANCE),
            priced(r.balances_by_class),
        ),
        "roll_rates": Listing(
            "Roll rates from the last month-end",
            (Column("from_bucket", "from"), Column("to_bucket", "to"), Column("accounts")),
            tuple(roll for roll in r.roll_rates if roll[0] != roll[1]),
        ),
        "summary": Listing(
            f"Card portfolio measures {where}",
            columns("measure", "value"),
            (
                ("cure_rate_percent", r.cure_rate_percent),
                ("activation_rate_percent", r.activation_rate_percent),
                ("dormant_percent", r.dormant_percent),
                ("long_term_dormant_percent", r.long_term_dormant_percent),
                ("long_term_dormant_ceiling_percent", r.long_term_dormant_ceiling_percent),
                ("long_term_dormant_within_ceiling", r.long_term_dormant_within_ceiling),
            ),
        ),
        "losses": Listing(
            f"Written off and recovered {period}",
            (Column("measure"), Column("amount", money=True)),
            priced((("written_off", r.written_off), ("recovered", r.recovered))),
        ),
    }


def _contribution(r: Any) -> dict[str, Listing]:
    where = (
        f"from {r.period_from} to {r.period_to}, as of {r.as_of} (log position "
        f"{r.position:,}; amounts in {r.currency})"
    )
    amount = Column("contribution", money=True)
    groups = (
        Column("name"),
        *columns("customers"),
        Column("total", money=True),
        *columns(
            "customers_for_80_percent",
            "share_of_customers_for_80_percent",
            "top_4_percent_share",
            "top_20_percent_share",
        ),
    )

    def group_rows(items: Any) -> tuple[tuple[Any, ...], ...]:
        return tuple(
            (
                g.name,
                g.customers,
                g.total,
                g.customers_for_80_percent,
                g.share_of_customers_for_80_percent,
                g.top_4_percent_share,
                g.top_20_percent_share,
            )
            for g in items
        )

    return {
        "customers": Listing(
            f"Contribution by customer {where}",
            (
                *columns("rank", "number", "manager", "segment"),
                amount,
                Column("cumulative_share_percent", "cumulative %"),
                Column("proposed_segment", "proposed"),
            ),
            tuple(
                (
                    c.rank,
                    c.number,
                    c.manager,
                    c.segment,
                    c.contribution,
                    c.cumulative_share_percent,
                    c.proposed_segment,
                )
                for c in r.customers
            ),
        ),
        "summary": Listing(
            f"Concentration {where}",
            columns("measure", "value"),
            (
                ("customers_counted", r.customers_counted),
                ("total", r.total),
                ("customers_for_80_percent", r.customers_for_80_percent),
                ("share_of_customers_for_80_percent", r.share_of_customers_for_80_percent),
                ("top_4_percent_share", r.top_4_percent_share),
                ("top_20_percent_share", r.top_20_percent_share),
            ),
            notes=tuple(
                f"{n} amount(s) in {c} left out (not converted)"
                for c, n in r.other_currency_amounts
            ),
        ),
        "pareto": Listing(
            "Pareto curve: share of the total by share of customers",
            (
                Column("customers_percent", "customers %"),
                Column("contribution_percent", "contribution %"),
            ),
            tuple(r.pareto_curve),
        ),
        "segments": Listing("By segment", groups, group_rows(r.by_segment)),
        "managers": Listing("By relationship manager", groups, group_rows(r.by_manager)),
        "proposals": Listing(
            f"Segment proposals (top {r.premium_top_percent}% premium, top "
            f"{r.major_top_percent}% major; ✋ premium and restricted need a second person)",
            (
                *columns("number", "segment", "proposed"),
                amount,
                Column("needs_second_person", "✋"),
            ),
            tuple(
                (p.number, p.segment, p.proposed, p.contribution, p.needs_second_person)
                for p in r.proposals
            ),
        ),
    }


LISTINGS: dict[str, Callable[[Any], dict[str, Listing]]] = {
    "managers": _managers,
    "complaints": _complaints,
    "groups": _groups,
    "classification": _classification,
    "migration": _migration,
    "aging": _aging,
    "portfolio": _portfolio,
    "contribution": _contribution,
}


def listings(name: str, report: Any) -> dict[str, Listing]:
    """The report's tables by name, its main one first."""
    return LISTINGS[name](report)
