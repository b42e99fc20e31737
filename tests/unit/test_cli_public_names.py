"""The command line uses only public names: what `clientbook`, `clientbook.reports` and
`clientbook.adapters` export (`__all__`), and the public modules `clientbook.demo`,
`clientbook.reports.html` and `clientbook.verify`; never a layer's insides."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

CLI = Path(__file__).resolve().parents[2] / "clientbook" / "cli"
EXPORTING = ("clientbook", "clientbook.reports", "clientbook.adapters")
PUBLIC_MODULES = {
    "clientbook.demo": {"Demo"},
    "clientbook.reports.html": {"collect", "render_html"},
    "clientbook.verify": {"load_public_key"},
}  # the offline verifier's module


def imports() -> list[tuple[str, str, str]]:
    found = []
    for source in CLI.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("clientbook"):
                found += [(source.name, str(node.module), alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                found += [
                    (source.name, a.name, "*")
                    for a in node.names
                    if a.name.startswith("clientbook")
                ]
    return found


def test_the_command_line_imports_only_public_names() -> None:
    found = imports()
    assert {module for _, module, _ in found} >= {"clientbook", "clientbook.reports"}
    for source, module, name in found:
        if module == "clientbook.cli" or module.startswith("clientbook.cli."):
            continue  # the package's own modules
        if module in EXPORTING:
            assert name in importlib.import_module(module).__all__, (source, module, name)
        else:
            assert name in PUBLIC_MODULES.get(module, set()), (source, module, name)
