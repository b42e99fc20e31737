"""The README's command table tells the truth: every command it lists exists, takes every
option it shows, and its `--help` runs; the demo forms the groups the README promises."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from clientbook import ClientBook
from clientbook.cli import main
from clientbook.demo import Demo

README = Path(__file__).resolve().parents[2] / "README.md"


def table_commands() -> list[tuple[list[str], set[str]]]:
    """(command words, options shown) per row of the README's command table."""
    rows = re.findall(r"^\| `clientbook ([^`]+)` \|", README.read_text(), re.M)
    commands = []
    for row in rows:
        words = [w for w in row.split()[:2] if re.fullmatch(r"[a-z][a-z-]*(/[a-z]+)*", w)]
        if words[1:] and words[1].upper() == words[1]:
            words = words[:1]
        for variant in words[-1].split("/"):
            commands.append(([*words[:-1], variant], set(re.findall(r"--[a-z][a-z-]*", row))))
    return commands


@pytest.mark.parametrize(
    "command, options",
    table_commands(),
    ids=lambda v: str(sorted(v) if isinstance(v, set) else v),  # the same in every process
)
def test_every_command_in_the_readme_exists_with_the_options_it_shows(
    command: list[str], options: set[str]
) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0, (command, result.output)
    missing = {o for o in options if o not in result.output}
    assert not missing, f"clientbook {' '.join(command)} has no {missing}"


def test_the_readme_lists_every_command() -> None:
    listed = {" ".join(c) for c, _ in table_commands()}
    for name, command in main.commands.items():
        subcommands = getattr(command, "commands", None)
        for full in [f"{name} {s}" for s in subcommands] if subcommands else [name]:
            assert full in listed, f"the README's table lacks clientbook {full}"


def test_the_demo_forms_three_groups_and_leaves_one_connection_outside_them() -> None:
    """At the default demo's pace (one customer a day), credit waits for the firms it needs."""
    with ClientBook.open("memory:") as book:
        last = Demo(book, seed=2026, managers=8, start=date(2026, 7, 1)).run(customers=40, days=80)
        groups = book.credit_reports.concentration(as_of=last).groups
        outside = book.credit_reports.detect_groups().outside
    assert len(groups) == 3
    assert len(outside) == 1 and outside[0][2] == "same_guarantor"
    assert not {outside[0][0], outside[0][1]} <= {m.number for g in groups for m in g.members}
