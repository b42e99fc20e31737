"""Helpers of the input-guard tests: a small book of every kind of aggregate, good arguments
for any command from its type hints, bad values for each parameter, and a store snapshot."""

from __future__ import annotations

import hashlib
import inspect
import sqlite3
import typing
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Iterator
from uuid import UUID, uuid4

from clientbook import Actor, ClientBook, Money
from clientbook.domain.actor import ROLES
from clientbook.domain.group import Link
from clientbook.domain.policy import PolicySettings
from clientbook.infrastructure.store import parse_store_url
from clientbook.testing import change_policy

D = date(2026, 1, 5)
EVERYONE = Actor("u-everyone", ROLES - {"batch"})
SECOND = Actor("u-second", ROLES - {"batch"})
CARD_NUMBERS = (
    "4111111111111111",
    "4111 1111 1111 1111",
    "5500-0000-0000-0004",
    "6222 0212 3456 7890 128",
    "a card: 378282246310005 (amex)",
)
"""Luhn-valid primary account numbers, bare and with separators."""


def luhn_complete(body: str) -> str:
    """The body with its Luhn check digit appended."""
    for digit in "0123456789":
        from clientbook.domain.card_numbers import luhn_valid

        if luhn_valid(body + digit):
            return body + digit
    raise AssertionError("unreachable")


def build(book: ClientBook) -> dict[str, UUID]:
    """One of each aggregate a command can name; `closed` is a closed customer."""
    ids: dict[str, UUID] = {}
    change_policy(book, "net_capital", "100000000.00", reason="audited", by=EVERYONE, on=D)
    for n, key in ((1, "customer"), (2, "closed"), (3, "other")):
        ids[key] = book.customers.register(
            number=f"C-00000{n}",
            kind="organisation",
            name=f"Firm {n}",
            manager="m-001",
            by=EVERYONE,
            on=D,
        )
    book.customers.activate(ids["customer"], by=EVERYONE, on=D)
    book.customers.close(ids["closed"], reason="moved away", by=EVERYONE, on=D)
    ids["complaint"] = book.complaints.receive(
        customer=ids["customer"],
        category="damages",
        channel="hotline",
        request="refund",
        department="branch 12",
        by=EVERYONE,
        on=D,
    )
    ids["line"] = book.credit.propose_line(
        number="L-000001",
        customer=ids["customer"],
        product="working_capital",
        limit=Money("1000.00"),
        rate=Decimal("4.35"),
        start=D,
        maturity=D + timedelta(365),
        review=D + timedelta(180),
        by=EVERYONE,
        on=D,
    )
    ids["group"] = book.credit.form_group(
        name="Wang Group",
        lead_branch="Shanghai",
        lead_manager="m-001",
        limit=Money("0.00"),
        by=EVERYONE,
        on=D,
    )
    ids["account"] = book.cards.apply(
        number="K-000001",
        customer=ids["customer"],
        monthly_income=Money("20000.00"),
        age=40,
        by=EVERYONE,
        on=D,
    )
    ids["campaign"] = book.campaigns.launch(
        number="FEST-2026",
        kind="festival",
        title="Spring festival",
        tiers=["vip"],
        by=EVERYONE,
        on=D,
    )
    return ids


UUID_PARAMETERS = {
    "customer": "customer",
    "complaint": "complaint",
    "line_id": "line",
    "group_ref": "group",
    "account": "account",
    "first": "customer",
    "second": "other",
    "campaign": "campaign",
}


def commands(service: Any) -> list[str]:
    """The public commands of a service (each takes `by`)."""
    names = [
        n
        for n in dir(service)
        if not n.startswith("_") and getattr(getattr(service, n), "idempotent", False)
    ]
    if hasattr(service, "erase_personal_data"):
        names.append("erase_personal_data")
    return sorted(names)


def hints(service: Any, command: str) -> dict[str, Any]:
    func = inspect.unwrap(getattr(type(service), command))
    return {
        n: h
        for n, h in typing.get_type_hints(func).items()
        if n not in ("return", "idempotency_key")
    }


def good(name: str, hint: Any, ids: dict[str, UUID]) -> Any:
    """A well-formed value of a parameter (the command may still refuse it on a rule)."""
    if typing.get_origin(hint) in (typing.Union, __import__("types").UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if name == "tiers":
        return ["vip", "a"]
    if isinstance(typing.get_origin(hint), type):
        return [(D + timedelta(30), Money("1.00"))]
    values: dict[Any, Callable[[], Any]] = {
        str: lambda: "ok",
        Money: lambda: Money("1.00"),
        date: lambda: D,
        Actor: lambda: EVERYONE,
        int: lambda: 1,
        Decimal: lambda: Decimal("1"),
        bool: lambda: True,
        UUID: lambda: ids[UUID_PARAMETERS[name]],
        Link: lambda: Link("control", "share register", Decimal("70")),
        PolicySettings: PolicySettings,
    }
    return values[hint]()


def optional(hint: Any) -> bool:
    return type(None) in typing.get_args(hint)


def bad_values(name: str, hint: Any, ids: dict[str, UUID]) -> list[Any]:
    """Values no command may take for this parameter: wrong types, bad text, bad numbers."""
    wrong_types: list[Any] = [object(), 1.5, b"bytes"] + ([] if optional(hint) else [None])
    inner = next((a for a in typing.get_args(hint) if a is not type(None)), hint)
    by_type: dict[Any, list[Any]] = {
        str: [
            "a\x00b",
            "\x07bell",
            "lone \ud800 surrogate",
            "x" * 100_001,
            "tab\tbed",
            *CARD_NUMBERS,
            12,
        ],
        Money: [Decimal("1.00"), "1.00", 100],
        date: ["2026-01-05", datetime(2026, 1, 5), 20260105],
        Actor: ["u-clerk"],
        int: ["forty", True, 10**12, Decimal(3)],
        Decimal: [Decimal("NaN"), Decimal("Infinity"), Decimal("1e30"), "4.35"],
        bool: ["yes", 1],
        UUID: [str(ids.get(UUID_PARAMETERS.get(name, ""), uuid4())), uuid4()],
        Link: ["control", Link("control", "a\x00", Decimal("70"))],
    }
    if name in ("annual_fee", "monthly_income"):
        by_type[Money].append(Money("-1.00"))
    if name == "age":
        by_type[int].append(-5)
    if name == "name" or name in ("reason", "request", "outcome"):
        by_type[str].remove("tab\tbed") if name != "name" else None
    if isinstance(typing.get_origin(inner), type) and inner is not str:
        return wrong_types + ["abc", [("2026-02-01", Money("1.00"))], [(D, 1.5)]]
    return wrong_types + by_type.get(inner, [])


NUMBERS = {
    "customers": "C-000099",
    "cards": "K-000099",
    "credit": "L-000099",
    "campaigns": "FEST-2099",
}
NEW_BUSINESS = {("cards", "apply"), ("credit", "propose_line")}
"""Commands a closed customer may not give (a complaint from a former customer is allowed)."""


def arguments(service: Any, command: str, ids: dict[str, UUID]) -> dict[str, Any]:
    """Well-formed arguments for a command."""
    values = {n: good(n, h, ids) for n, h in hints(service, command).items()}
    if isinstance(values.get("number"), str):
        values["number"] = NUMBERS[service.area]
    return values


def calls(service: Any, ids: dict[str, UUID]) -> Iterator[tuple[str, str, Any, dict[str, Any]]]:
    """Every (command, parameter, bad value, arguments) of a service."""
    for command in commands(service):
        params = hints(service, command)
        good_args = arguments(service, command, ids)
        for name, hint in params.items():
            if name == "policy":
                values: list[Any] = ["policy", None]
            else:
                values = bad_values(name, hint, ids)
            if name == "customer" and (service.area, command) in NEW_BUSINESS:
                values.append(ids["closed"])
            for value in values:
                yield command, name, value, {**good_args, name: value}


def snapshot(url: str) -> tuple[int, str]:
    """Every row of every table of the store, as one digest (and the row count)."""
    rows: list[str] = []
    store = parse_store_url(url)
    if url.startswith("sqlite"):
        connection = sqlite3.connect(f"file:{store.sqlite_path}?mode=ro", uri=True)
        tables = [
            r[0]
            for r in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        for table in tables:
            rows += sorted(f"{table}:{r!r}" for r in connection.execute(f'SELECT * FROM "{table}"'))
        connection.close()
    else:
        import psycopg

        with psycopg.connect(store.postgres_conninfo) as connection:
            tables = [
                r[0]
                for r in connection.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                    "ORDER BY table_name",
                    (store.postgres_schema,),
                )
            ]
            for table in tables:
                query = f'SELECT * FROM "{store.postgres_schema}"."{table}"'
                rows += sorted(f"{table}:{r!r}" for r in connection.execute(query))  # type: ignore[arg-type]
    return len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()
