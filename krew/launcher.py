#!/usr/bin/env python3
"""kubectl-batch, as installed by krew (krew/build.py puts this file in the release archive
as `kubectl-batch`, beside `lib/`, and again as `kubectl_complete-batch`: the program that
kubectl 1.26+ runs to complete `kubectl batch <TAB>`; each copy runs what its name says).

Runs the kubectl_batch package bundled in `lib/` next to this file's real path (krew links
~/.krew/bin/kubectl-batch here) with the host's Python 3.10+, and nothing from the host's
site-packages, so that a user's own textual/yaml/urllib3 never mix with the bundled ones.
Python writes its bytecode caches beside the bundled sources on the first run; later runs
start as fast as a pip install does.

Kept runnable by old Pythons (no f-strings) so that a too-old python3 gets a clear message.
"""

import os
import sys

MIN_PYTHON = (3, 10)
NEWER_PYTHONS = ("python3.14", "python3.13", "python3.12", "python3.11", "python3.10")
OVERRIDE = "KUBECTL_BATCH_PYTHON"  # the interpreter to use, when python3 on PATH won't do
REEXECED = "_KUBECTL_BATCH_REEXEC"
COMPLETE_PREFIX = "kubectl_complete-"


def _version(info):
    return ".".join(str(n) for n in info[:3])


def _reexec(python, script):
    env = dict(os.environ)
    env[REEXECED] = "1"
    try:
        os.execve(python, [python, script] + sys.argv[1:], env)
    except OSError as exc:
        sys.stderr.write("error: cannot run " + python + ": " + str(exc) + "\n")
        sys.exit(1)


def _which(name):
    for d in os.environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(d, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _pick_interpreter(script):
    """Re-exec under $KUBECTL_BATCH_PYTHON, or under a newer python3.X when this one is too old."""
    if os.environ.get(REEXECED):
        return
    override = os.environ.get(OVERRIDE)
    if override:
        _reexec(override, script)
    if sys.version_info >= MIN_PYTHON:
        return
    for name in NEWER_PYTHONS:
        found = _which(name)
        if found:
            _reexec(found, script)


def _isolate(here, lib):
    """sys.path: the bundle, then the standard library; no site-packages, no script dir."""

    def keep(entry):
        if not entry:  # the current directory
            return False
        parts = entry.replace("\\", "/").split("/")
        if "site-packages" in parts or "dist-packages" in parts:
            return False
        return os.path.realpath(entry) != here

    sys.path[:] = [lib] + [p for p in sys.path if keep(p)]
    if not sys.dont_write_bytecode and not os.access(lib, os.W_OK):
        # A shared, read-only install: keep the bytecode caches in the user's cache instead.
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        sys.pycache_prefix = os.path.join(cache, "kubectl-batch", "pycache")


def main():
    script = os.path.realpath(__file__)
    here = os.path.dirname(script)
    _pick_interpreter(script)
    os.environ.pop(REEXECED, None)
    if sys.version_info < MIN_PYTHON:
        sys.stderr.write(
            "error: kubectl batch needs Python "
            + _version(MIN_PYTHON)
            + " or newer; "
            + sys.executable
            + " is "
            + _version(sys.version_info)
            + ". Install a newer Python 3 (as python3 or python3.1X on your PATH), or set "
            + OVERRIDE
            + " to one.\n"
        )
        return 1
    lib = os.path.join(here, "lib")
    _isolate(here, lib)
    if os.path.basename(script).startswith(COMPLETE_PREFIX):
        from kubectl_batch.commands.complete import entry

        entry()  # exits
    from kubectl_batch.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
