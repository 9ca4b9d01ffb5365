"""kubectl-batch and kubectl_complete-batch of this checkout as executables in a directory,
as pip installs them: put it first on PATH and kubectl finds both."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROGRAMS = {
    "kubectl-batch": "from kubectl_batch.cli import main; sys.exit(main())",
    "kubectl_complete-batch": "from kubectl_batch.commands.complete import entry; entry()",
}


def write_plugin_bin(out: Path) -> Path:
    for name, code in PROGRAMS.items():
        script = out / name
        script.write_text(
            f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(ROOT)!r})\n{code}\n"
        )
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return out


def run_with(
    bin_dir: Path, program: str, *args: str, env: dict | None = None, timeout: float = 30, **kw
):
    """``program ARGS`` with ``bin_dir`` first on PATH."""
    full_env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **(env or {})}
    return subprocess.run(
        [program, *args], capture_output=True, text=True, env=full_env, timeout=timeout, **kw
    )


def answer(stdout: str) -> tuple[list[str], int]:
    """cobra's __complete output: (candidates without their descriptions, directive)."""
    *lines, last = stdout.splitlines()
    assert last.startswith(":"), stdout
    return [line.split("\t")[0] for line in lines], int(last[1:])
