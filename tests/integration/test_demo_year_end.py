"""The demo across a year end: managers registered and certified, assessed on 31 December (the
Harbour branch's year declared an abnormal market), a festival campaign, consents, income on
lines and deposits reported, so that the managers and contribution reports have them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from clientbook import ClientBook
from clientbook.demo import ABNORMAL_BRANCH, GRADES, Demo
from clientbook.reports.catalogue import reproduce
from clientbook.reports.html import collect, percent, render_html

START = date(2026, 12, 20)


def test_the_demo_assesses_its_managers_at_the_year_end_and_values_its_customers(
    tmp_path: Path,
) -> None:
    with ClientBook.open(f"sqlite:///{tmp_path / 'demo.db'}") as book:
        demo = Demo(book, seed=11, managers=4, start=START)
        last = demo.run(customers=30, days=40)  # credit from day 15, interest on the 28th
        records = [book.managers.get(m) for m in demo.managers]
        assert all(r.certificate and r.active for r in records)
        assert {r.branch for r in records} >= {ABNORMAL_BRANCH, "Head office"}
        for n, record in enumerate(records):
            assessment = book.managers.assessment(record.manager, "2026")
            assert assessment.status == "approved"
            weight = 50 if record.branch == ABNORMAL_BRANCH else 75
            assert assessment.performance_weight == Decimal(weight)
            scores = dict(assessment.scores)
            for held in ("volume", "profit", "cost"):  # proposed from the log, confirmed
                assert scores[held].source == "confirmed", (held, scores[held])
                assert "managers of the period" in scores[held].basis
            assert scores["receivables"].source == "overridden"
            moved = GRADES.index(record.grade) - GRADES.index(GRADES[n % len(GRADES)])
            assert abs(moved) <= 1  # one step a year at most ("none" at the top or bottom)
            assert record.moves in (((2026, assessment.move),), ((2026, "none"),))
        report = book.reports.managers(period_from=START, period_to=last)
        assert {(row.manager, row.assessed) for row in report.rows if row.grade} == {
            (m, "2026") for m in demo.managers
        }
        assert report.campaign_follow_ups and all(
            f.campaign == "FEST-2026" for f in report.campaign_follow_ups
        )
        run = book.reports.run("contribution", as_of=last)
        value = run.report
        assert value.total > 0 and value.customers_for_80_percent is not None
        assert sum(c.reported for c in value.customers) > 0
        assert sum(c.line_interest for c in value.customers) > 0
        assert reproduce(book, run.manifest).identical
        consents = [book.customers.get(c).consents for c in demo.customers]
        assert any(("marketing", "in_person", c[0][2]) in c for c in consents if c)
        page = render_html(collect(book, as_of=last))
        managers = page.split('<section id="managers">')[1].split("</section>")[0]
        for record in (book.managers.get(m) for m in demo.managers):
            assert f'<th scope="row">{record.manager}</th><td>{record.grade}</td>' in managers
        assert "Succession pool" in managers
        value = page.split('<section id="value">')[1].split("</section>")[0]
        assert "<polyline" in value and f"{value.count('<circle')}" == "21"  # every 5%
        share = f"{value_report_share(value)}"
        assert share == percent(run.report.share_of_customers_for_80_percent)


def value_report_share(section: str) -> str:
    """The share of customers bringing 80%, as the page says it."""
    return section.split(" of them bring 80%")[0].rsplit(": ", 1)[1]
