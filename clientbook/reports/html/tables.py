"""The HTML report's tables and blocks: a table of text cells (numbers right-aligned), a report's
listing as the command line shows it, a note, a figure. Cells are escaped here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from clientbook.reports.render import Listing, cell_text

NUMERIC = re.compile(r"^-?[\d,]+(\.\d+)?%?$")
NONE_NOTE = "None in this period"


def text_table(
    table_id: str, caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]]
) -> str:
    """A table of text cells (escaped here); the first column is the row's name."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>"
        + f'<th scope="row">{escape(cells[0])}</th>'
        + "".join(f"<td{_align(c)}>{escape(c)}</td>" for c in cells[1:])
        + "</tr>"
        for cells in rows
    )
    return (
        f'<div class="scroll"><table id="{table_id}"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _align(text: str) -> str:
    return ' class="num"' if NUMERIC.match(text) or text == "n/a" else ""


def note(text: str) -> str:
    return f'<p class="none">{escape(text)}</p>'


def figure(*charts: str) -> str:
    return f"<figure>{''.join(charts)}</figure>"


def listing_table(table_id: str, listing: Listing) -> str:
    """A report's table with the command line's columns and headings (currency in the
    heading of an amount column, as there)."""
    currencies = listing.currencies()
    money_columns = [c.money for c in listing.columns]
    rows = [
        [cell_text(v, c, m) for v, c, m in zip(row, currencies, money_columns)]
        for row in listing.rows
    ]
    if not rows:
        return note(f"{NONE_NOTE}: {listing.title}.")
    return text_table(table_id, listing.title, listing.headers(keys=False), rows)
