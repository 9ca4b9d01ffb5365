"""The import rule: domain/ is pure, kube/ has no UI, nothing below reaches up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "kubectl_batch"

FORBIDDEN = {
    "domain": (
        "textual",
        "kubernetes",
        "urllib3",
        "yaml",
        "kubectl_batch.kube",
        "kubectl_batch.tui",
        "kubectl_batch.commands",
        "kubectl_batch.cli",
        "socket",
        "subprocess",
        "requests",
    ),
    "kube": ("textual", "kubectl_batch.tui", "kubectl_batch.commands", "kubectl_batch.cli"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_nothing_it_must_not(layer):
    offences = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in imported_modules(path):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[layer]):
                offences.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offences == []


def test_the_rule_catches_an_offence(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import textual.app\nfrom kubernetes import client\n")
    assert {"textual.app", "kubernetes"} <= imported_modules(bad)
