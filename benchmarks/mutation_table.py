"""The per-module table of benchmarks/mutation.md, from the results mutmut keeps in mutants/
(its `*.meta` files: each mutant's exit code). Run from the repository root after `mutmut run`:

    .venv/bin/python benchmarks/mutation_table.py            # the Markdown table
    .venv/bin/python benchmarks/mutation_table.py card       # and the survivors of card.py

Timeouts count as killed (the mutant made a test hang), as mutmut counts them; a mutant with no
exit code yet is "not checked"."""

from __future__ import annotations

import json
import sys
from pathlib import Path

KILLED = {1, 3, 36, 37, -24, 24, 152, 255}  # failed, pytest error, timeouts, type check
NO_TESTS = {5, 33}


def rows(root: Path) -> list[tuple[str, int, int, int, int, list[str]]]:
    """(module, killed, survived, no tests, not checked, survivors) per domain module."""
    table = []
    for meta in sorted((root / "mutants/clientbook/domain").glob("*.py.meta")):
        module = meta.name.removesuffix(".py.meta")
        if module == "__init__":
            continue
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        survivors = [name for name, code in codes.items() if code == 0]
        table.append(
            (
                module,
                sum(code in KILLED for code in codes.values()),
                len(survivors),
                sum(code in NO_TESTS for code in codes.values()),
                sum(code is None for code in codes.values()),
                survivors + [f"{n} (no tests)" for n, c in codes.items() if c in NO_TESTS],
            )
        )
    return table


def main(show: list[str]) -> None:
    table = rows(Path.cwd())
    print("| module | mutants | killed | survived | no tests | not checked | killed % |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    totals = [0, 0, 0, 0]
    for module, killed, survived, no_tests, unchecked, _ in table:
        checked = killed + survived + no_tests
        print(
            f"| {module} | {checked + unchecked} | {killed} | {survived} | {no_tests} | "
            f"{unchecked} | {100 * killed / max(1, checked):.1f} |"
        )
        totals = [t + v for t, v in zip(totals, (killed, survived, no_tests, unchecked))]
    killed, survived, no_tests, unchecked = totals
    checked = killed + survived + no_tests
    print(
        f"| **all** | {checked + unchecked} | {killed} | {survived} | {no_tests} | {unchecked} | "
        f"**{100 * killed / max(1, checked):.1f}** |"
    )
    for module, *_, survivors in table:
        if module in show:
            print(f"\n{module}:", *survivors, sep="\n  ")


if __name__ == "__main__":
    main(sys.argv[1:])
