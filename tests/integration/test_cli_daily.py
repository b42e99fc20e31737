"""`clientbook close-of-business` (the daily job a bank schedules) and `clientbook approvals`
(the four-eyes inbox), issue 14."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner, Result

from clientbook import Actor, ClientBook, Money
from clientbook.cli import main

D = date(2026, 3, 2)
OFFICER = Actor("u-officer", {"officer"})


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def a_book(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'book.db'}"
    with ClientBook.open(url) as book:
        cid = book.customers.register(
            number="C-000001",
            kind="organisation",
            name="Firm",
            manager="m-1",
            visit_cycle_days=30,
            by=OFFICER,
            on=D,
        )
        book.customers.activate(cid, by=OFFICER, on=D)
        for number, limit in (("L-000001", "5000.00"), ("L-000002", "50000.00")):
            book.credit.propose_line(
                number=number,
                customer=cid,
                product="working_capital",
                limit=Money(limit),
                rate=Decimal("4.35"),
                start=D,
                maturity=D + timedelta(days=365),
                review=D + timedelta(days=180),
                by=OFFICER,
                on=D,
            )
        book.close_of_business(D)
    return url


def test_close_of_business_closes_every_date_not_closed_yet_then_has_nothing_to_do(
    tmp_path: Path,
) -> None:
    url = a_book(tmp_path)
    result = run("--db", url, "close-of-business", "--through", "2026-04-05")
    assert result.exit_code == 0, result.output
    closed = [line for line in result.stdout.splitlines() if ": closed (" in line]
    assert [line.split(":")[0] for line in closed] == [
        (D + timedelta(days=n)).isoformat() for n in range(1, 35)
    ]
    lapsed = [line.split(":")[0] for line in closed if "lapsed_customers 1" in line]
    assert lapsed == ["2026-04-04"]  # last seen 2026-03-02, a 30-day cycle and 3 days' grace
    with ClientBook.open(url) as book:
        assert book.last_business_date_closed == date(2026, 4, 5)
        head = book.head

    again = run("--db", url, "close-of-business", "--through", "2026-04-05")
    assert again.exit_code == 0
    assert "nothing to close: business dates are closed through 2026-04-05" in again.stderr
    with ClientBook.open(url) as book:
        assert book.head == head


def test_close_of_business_refuses_a_bad_date_and_a_missing_book_in_one_line(
    tmp_path: Path,
) -> None:
    for args in (
        ("--db", a_book(tmp_path), "close-of-business", "--through", "2026-02-30"),
        ("--db", f"sqlite:///{tmp_path / 'none.db'}", "close-of-business"),
    ):
        result = run(*args)
        assert result.exit_code != 0 and "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "none.db").exists()


def test_approvals_lists_what_waits_and_for_an_actor_what_they_may_decide(tmp_path: Path) -> None:
    url = a_book(tmp_path)
    every = run("--db", url, "approvals", "--as-of", "2026-03-12", "--format", "json")
    assert every.exit_code == 0, every.output
    rows = json.loads(every.stdout)["rows"]
    assert [(r["what"], r["proposed_by"], r["age_days"]) for r in rows] == [
        ("credit line L-000001", "u-officer", 10),
        ("credit line L-000002", "u-officer", 10),
    ]
    assert rows[0]["amount"] == {"amount": "5000.00", "currency": "CNY"}

    officer = run(
        "--db", url, "approvals", "--actor", "u-other", "--role", "officer", "--format", "csv"
    )
    assert officer.exit_code == 0
    assert officer.stdout.splitlines()[1:] and all(
        "L-000001" in line for line in officer.stdout.splitlines()[1:]
    )  # 10,000 authority
    own = run(
        "--db",
        url,
        "approvals",
        "--actor",
        "u-officer",
        "--role",
        "general_manager",
        "--format",
        "csv",
    )
    assert own.stdout.splitlines()[1:] == []  # their own proposals

    bad = run("--db", url, "approvals", "--actor", "u-x", "--role", "wizard")
    assert bad.exit_code != 0 and "unknown role(s) wizard" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_call_backs_lists_each_managers_campaign_customers_until_contacted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'book.db'}"
    with ClientBook.open(url) as book:
        for number, manager in (("C-000001", "m-1"), ("C-000002", "m-2")):
            book.customers.register(
                number=number,
                kind="individual",
                name="Holder",
                manager=manager,
                tier="vip",
                by=OFFICER,
                on=D,
            )
        book.campaigns.launch(
            number="WX-0001",
            kind="weather_warning",
            title="Typhoon",
            tiers=["vip"],
            by=OFFICER,
            on=D,
        )
        book.customers.record_contact(
            book.customers.id_of("C-000002"),
            channel="call",
            purpose="service",
            outcome="warned",
            by=OFFICER,
            on=D,
        )
    listed = run("--db", url, "call-backs", "--as-of", "2026-03-20", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert [
        (r["manager"], r["customer"], r["due"], r["overdue"])
        for r in json.loads(listed.stdout)["rows"]
    ] == [("m-1", "C-000001", "2026-03-09", True)]
    mine = run(
        "--db", url, "call-backs", "--manager", "m-2", "--as-of", "2026-03-02", "--format", "csv"
    )
    assert mine.exit_code == 0 and mine.stdout.splitlines()[1:] == []
