"""No file cites a document the repository lacks: every Markdown file named in the code, tests
and the docs is a file of the repository's root or of docs/."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *ROOT.glob("clientbook/**/*.py"),
    *ROOT.glob("tests/**/*.py"),
    *ROOT.glob("*.md"),
    *ROOT.glob("docs/*.md"),
    *ROOT.glob("benchmarks/*.py"),
    *ROOT.glob("benchmarks/*.md"),
]


def test_every_cited_document_is_in_the_repository() -> None:
    present = {p.name for p in [*ROOT.glob("*.md"), *ROOT.glob("docs/*.md")]}
    cited = {
        (source.relative_to(ROOT), name)
        for source in SOURCES
        for name in re.findall(r"\b([A-Za-z][\w.-]*\.md)\b", source.read_text(encoding="utf-8"))
    }
    assert cited, "the sources cite documents"
    missing = sorted((str(s), n) for s, n in cited if Path(n).name not in present)
    assert not missing, missing
    assert {"DOMAIN.md", "ARCHITECTURE.md", "operations.md", "auditors.md"} <= present


def test_a_document_cited_with_its_folder_is_in_that_folder() -> None:
    cited = {
        (source.relative_to(ROOT), path)
        for source in SOURCES
        for path in re.findall(
            r"(?<![\w/.-])((?:[\w.-]+/)+[A-Za-z][\w.-]*\.md)\b", source.read_text(encoding="utf-8")
        )
    }
    assert {path for _, path in cited} >= {"docs/audit.md", "benchmarks/mutation.md"}
    missing = sorted((str(s), p) for s, p in cited if not (ROOT / p).is_file())
    assert not missing, missing
