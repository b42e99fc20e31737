"""The README's "Embedding clientbook" example runs as written: the embedder's service, then
their property test with clientbook.testing."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks(section: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, re.S)


def test_the_embedding_example_and_its_property_test_run() -> None:
    service, test = _blocks("Embedding clientbook")
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(service, "README: onboarding", "exec"), namespace)
    exec(compile(test, "README: test_onboarding", "exec"), namespace)
    property_test = namespace["test_onboarding_completes_or_writes_nothing"]
    assert callable(property_test)
    property_test()


def test_the_public_api_is_what_clientbook_exports() -> None:
    import clientbook

    for name in clientbook.__all__:
        assert getattr(clientbook, name) is not None, name
    assert {"ClientBook", "PastBook", "run_report", "reproduce", "DomainError"} <= set(
        clientbook.__all__
    )
