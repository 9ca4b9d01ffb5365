"""kubectl finds the installed plugin and hands it its arguments."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from kubectl_batch import __version__

pytestmark = pytest.mark.skipif(
    not (shutil.which("kubectl") and shutil.which("kubectl-batch")),
    reason="needs kubectl and the installed kubectl-batch script (tests/run installs it)",
)


def kubectl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["kubectl", *args], capture_output=True, text=True, timeout=60)


def test_kubectl_plugin_list_shows_it():
    assert "kubectl-batch" in kubectl("plugin", "list").stdout


def test_help_and_version_through_kubectl():
    help_text = kubectl("batch", "--help")
    assert help_text.returncode == 0
    assert help_text.stdout.startswith("usage: kubectl batch")
    for flag in (
        "--kubeconfig",
        "--context",
        "--namespace",
        "--all-namespaces",
        "--selector",
        "--request-timeout",
    ):
        assert flag in help_text.stdout
    assert kubectl("batch", "--version").stdout.strip() == f"kubectl-batch {__version__}"


def test_subcommand_arguments_reach_the_plugin():
    done = kubectl(
        "batch",
        "next-runs",
        "--schedule",
        "@daily",
        "--after",
        "2026-01-01T00:00:00Z",
        "--count",
        "1",
        "-o",
        "json",
    )
    assert done.returncode == 0, done.stderr
    assert '"2026-01-02T00:00:00Z"' in done.stdout
