"""Output for people and scripts: a `Listing` (a titled table of typed values) rendered as a
terminal table, CSV or JSON, and a report object rendered as typed JSON.

Types are kept where the format can: JSON gives an amount as a string with its currency
(`{"amount": "30000000.00", "currency": "CNY"}`, never a float), dates in ISO form, counts as
numbers; CSV gives the amount alone and names the currency in the column's header, as the
terminal table does (`limit (CNY)`), right-aligned with thousands separators. One formatter,
`amount_text`, writes every amount a person reads."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import attrs
from attrs import frozen

from clientbook.domain.money import Money

FORMATS = ("table", "csv", "json")
CENT = Decimal("0.01")


@frozen
class Column:
    """A column: `key` names it in CSV and JSON, `label` in the terminal table."""

    key: str
    label: str = ""
    money: bool = False
    """Amounts given as bare Decimals (a report that does not know their currency)."""

    @property
    def heading(self) -> str:
        return self.label or self.key.replace("_", " ")


@frozen
class Listing:
    """A table of typed values (str, int, Decimal, Money, date, bool or None)."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    notes: tuple[str, ...] = ()

    def currency(self, index: int) -> str | None:
        """The one currency of a money column, named in its header; None if mixed or none."""
        values = [row[index] for row in self.rows if row[index] is not None]
        if not values or not all(isinstance(v, Money) for v in values):
            return None
        found = {v.currency for v in values}
        return found.pop() if len(found) == 1 else None

    def currencies(self) -> list[str | None]:
        return [self.currency(n) for n in range(len(self.columns))]

    def headers(self, *, keys: bool) -> list[str]:
        return [
            f"{name} ({currency})" if currency else name
            for name, currency in zip(
                (c.key if keys else c.heading for c in self.columns), self.currencies()
            )
        ]

    def numeric(self, index: int) -> bool:
        values = [row[index] for row in self.rows if row[index] is not None]
        return bool(values) and all(_is_number(v) for v in values)


def columns(*keys: str) -> tuple[Column, ...]:
    return tuple(Column(key) for key in keys)


def amount_text(amount: Decimal) -> str:
    """An amount as a person reads it: thousands separators, two decimals, rounded half up."""
    return f"{amount.quantize(CENT, ROUND_HALF_UP):,.2f}"


def plain(value: Any) -> Any:
    """A value as JSON keeps it: amounts as strings with their currency, dates ISO."""
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (UUID, Enum)):
        return str(value.value if isinstance(value, Enum) else value)
    if attrs.has(type(value)):
        return {f.name: plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list, set, frozenset)):
        return [plain(v) for v in value]
    return str(value)


def to_json(listing: Listing, **context: Any) -> str:
    """The listing as one JSON document: its title, `context` and rows keyed by column."""
    keys = [c.key for c in listing.columns]
    rows = [dict(zip(keys, map(plain, row))) for row in listing.rows]
    document = {"title": listing.title, **plain(context), "rows": rows}
    return json.dumps(document, indent=1, ensure_ascii=False)


def report_json(name: str, report: Any) -> str:
    """A report object as one JSON document, every figure of it, types kept."""
    return json.dumps({"report": name, **plain(report)}, indent=1, ensure_ascii=False)


def to_csv(listing: Listing) -> str:
    """The listing as CSV: a header of column keys (money columns name their currency)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(listing.headers(keys=True))
    currencies = listing.currencies()
    for row in listing.rows:
        writer.writerow([_csv_cell(v, c) for v, c in zip(row, currencies)])
    return out.getvalue()


def cell_text(value: Any, currency: str | None = None, money: bool = False) -> str:
    """A value as the terminal table shows it."""
    if value is None:
        return "-"
    if money and isinstance(value, Decimal):
        return amount_text(value)
    if isinstance(value, Money):
        text = amount_text(value.amount)
        return text if currency == value.currency else f"{text} {value.currency}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _csv_cell(value: Any, currency: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Money):
        return (
            str(value.amount) if currency == value.currency else f"{value.amount} {value.currency}"
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (Money, Decimal, int)) and not isinstance(value, bool)


def to_table(listing: Listing) -> Any:
    """The listing as its title (a line of its own, never wrapped to the table's width), a rich
    table (numbers right-aligned, money columns' currency in the header, None as "-") and its
    notes."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table()
    for n, heading in enumerate(listing.headers(keys=False)):
        table.add_column(heading, justify="right" if listing.numeric(n) else "left")
    currencies = listing.currencies()
    money = [column.money for column in listing.columns]
    for row in listing.rows:
        table.add_row(*(cell_text(v, c, m) for v, c, m in zip(row, currencies, money)))
    return Group(Text(listing.title, style="bold"), table, *map(Text, listing.notes))
