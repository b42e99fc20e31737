"""The UCI "default of credit card clients" CSV (Yeh & Lien, 2009; CC BY 4.0) read into the
card holders the import replays (`clientbook/application/uci_import.py` says what maps to
which command). A file that is not the data set's shape is refused before anything is written.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Iterator, Sequence

from clientbook.application.uci_import import Holder
from clientbook.domain.errors import ImportFileError

COLUMNS = ("ID", *(f"X{n}" for n in range(1, 24)), "Y")
"""The data set's header: the holder's id, X1 … X23 and Y (default next month)."""


def read_holders(path: Path, limit: int | None = None) -> Iterator[Holder]:
    """The card holders in the file, in order; ImportFileError names the file and line of the
    first thing that is not the UCI data set's shape (a missing column, a short row, text where
    a number belongs, bytes that are not text)."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            _check_header(path, reader.fieldnames)
            for n, row in enumerate(reader):
                if limit is not None and n >= limit:
                    return
                yield _holder(path, reader.line_num, row)
    except (UnicodeDecodeError, csv.Error) as error:
        raise ImportFileError(
            f"{path} is not a UCI card CSV file (text, comma-separated): {error}"
        ) from None


def read_uci_file(path: Path, rows: int | None = None) -> list[Holder]:
    """The whole file's card holders (the first `rows`), read before anything is written: a
    file that is not the data set's shape, or holds no card holder, is refused."""
    if rows is not None and rows < 1:
        raise ImportFileError(f"rows is a number of card holders, at least 1, not {rows}")
    holders = list(read_holders(path, rows))
    if not holders:
        raise ImportFileError(f"{path} holds no card holders (only a header?): nothing to import")
    return holders


def _check_header(path: Path, header: Sequence[str] | None) -> None:
    missing = [column for column in COLUMNS if column not in (header or ())]
    if missing:
        raise ImportFileError(
            f"{path} is not the UCI card data: its header lacks the column"
            f"{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(expected {COLUMNS[0]}, {COLUMNS[1]} … {COLUMNS[-2]}, {COLUMNS[-1]})"
        )


def _holder(path: Path, line: int, row: dict[str, str | None]) -> Holder:
    """One row as a holder; a short or non-numeric row is named by its line."""
    empty = [column for column in COLUMNS if not row.get(column)]
    if empty:
        raise ImportFileError(
            f"{path}, line {line}: no value for {', '.join(empty)} (a truncated row?)"
        )
    try:
        return Holder(
            id=int(str(row["ID"])),
            limit=Decimal(str(row["X1"])),
            age=int(str(row["X5"])),
            bills=tuple(Decimal(str(row[f"X{c}"])) for c in range(17, 11, -1)),
            payments=tuple(Decimal(str(row[f"X{c}"])) for c in range(23, 17, -1)),
            defaulted=row["Y"] == "1",
        )
    except (ValueError, ArithmeticError):
        raise ImportFileError(
            f"{path}, line {line}: ID and X5 (age) are whole numbers and X1, X12 … X23 "
            f"amounts; found {', '.join(str(row[c]) for c in COLUMNS[:6])} …"
        ) from None
