"""Reports and their output, public for the command line and for embedders: the renderers that
turn a listing into a terminal table, CSV or JSON (`render.py`), each report's tables
(`listings.py`), the report catalogue with manifests and reproduce (`catalogue.py`), the
complaints, card portfolio, managers, contribution and credit reports (`complaints.py`,
`portfolio.py`, `managers.py`, `contribution.py`, `credit.py`), the HTML report (`html/`) and
the `book.reports` facade (`facade.py`)."""

from clientbook.reports.listings import listings
from clientbook.reports.render import (
    FORMATS,
    Column,
    Listing,
    amount_text,
    columns,
    plain,
    report_json,
    to_csv,
    to_json,
    to_table,
)

__all__ = [
    "FORMATS",
    "Column",
    "Listing",
    "amount_text",
    "columns",
    "listings",
    "plain",
    "report_json",
    "to_csv",
    "to_json",
    "to_table",
]
