"""The import rule: domain/ is pure, kube/ has no UI, nothing below reaches up."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
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
    # The screens and the commands share kube/ and domain/, not each other.
    "tui": ("kubectl_batch.commands", "kubectl_batch.cli"),
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


# Runs a command line as `kubectl batch` does and says which textual modules it imported.
_IMPORTS_OF = """
import sys
from kubectl_batch.cli import main
try:
    main(sys.argv[1:])
finally:
    print("textual:", sorted(m for m in sys.modules if m.split(".")[0] == "textual"))
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["next-runs", "--schedule", "0 9 * * 1-5", "--time-zone", "Europe/Berlin"],
        ["next-runs", "--kubeconfig", "/nonexistent/kubeconfig"],
        ["suspend", "cronjob/x", "--kubeconfig", "/nonexistent/kubeconfig"],
        ["resume", "job/x", "--kubeconfig", "/nonexistent/kubeconfig"],
        ["trigger", "cronjob/x", "--kubeconfig", "/nonexistent/kubeconfig"],
        ["retry-failed", "job/x", "--kubeconfig", "/nonexistent/kubeconfig"],
        ["rerun", "job/x", "--kubeconfig", "/nonexistent/kubeconfig"],
        ["delete", "-l", "team=ml", "--kubeconfig", "/nonexistent/kubeconfig"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_commands_without_the_ui_never_import_textual(argv):
    """`next-runs` in a watch loop and the scripted actions do not pay for Textual."""
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent), "KUBECONFIG": "/nonexistent"}
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS_OF, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "Traceback" not in done.stderr
    assert "textual: []" in done.stdout, done.stdout[-500:]
