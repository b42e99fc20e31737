"""The table every benchmark prints (rich is a dependency of clientbook, so it is always there)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def show_table(
    title: str,
    cols: tuple[str, ...],
    data: list[tuple[str, ...]],
    right: set[int],
    notes: list[str],
) -> None:
    """Columns whose index is in `right` are right-aligned; `notes` are printed under the table."""
    table = Table(title=title, title_justify="left")
    for i, c in enumerate(cols):
        table.add_column(
            c, justify="right" if i in right else "left", no_wrap=c != "notes", overflow="fold"
        )
    for d in data:
        table.add_row(*d)
    console = Console(width=max(200, Console().width))
    console.print(table)
    for n in notes:
        console.print(n, highlight=False)
