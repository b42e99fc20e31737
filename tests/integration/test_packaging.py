"""What an embedder installs: typed (PEP 561), the README's embedding example passes
`mypy --strict` against the installed package, and `clientbook.testing` has its extra."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import clientbook

ROOT = Path(__file__).resolve().parents[2]


def readme_block(first_line: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return next(b for b in blocks if b.startswith(first_line))


def test_the_readmes_embedding_example_passes_mypy_strict_against_the_installed_package(
    tmp_path: Path,
) -> None:
    assert resources.files("clientbook").joinpath("py.typed").is_file()
    example = tmp_path / "onboarding.py"
    example.write_text(readme_block("# my_bank/onboarding.py"))
    installed = Path(clientbook.__file__).resolve().parents[1]  # where `clientbook/` lies
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(example)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(installed)},  # found as installed: PEP 561 applies
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found in 1 source file" in done.stdout


def test_the_package_ships_its_type_marker_and_the_testing_extra_provides_hypothesis() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["clientbook"]
    assert any(
        d.startswith("hypothesis") for d in project["project"]["optional-dependencies"]["testing"]
    )
    assert "Typing :: Typed" in project["project"]["classifiers"]
