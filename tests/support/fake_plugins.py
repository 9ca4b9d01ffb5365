"""Fake exec credential plugins: small Python scripts written at test time. Each records the
ExecCredential it was given (KUBERNETES_EXEC_INFO) and whether its stdin was a terminal in
``calls.jsonl`` next to it, then runs its body with these helpers:

* ``n``: which call this is (1, 2, ...);
* ``answer(status, api_version=VERSION)``: print an ExecCredential and exit;
* ``in_seconds(s)``: an RFC 3339 timestamp ``s`` seconds ahead, with nanoseconds.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

VERSION = "client.authentication.k8s.io/v1"

PRELUDE = """
import datetime, json, os, sys
HERE = os.path.dirname(os.path.abspath(__file__))
LOG = os.path.join(HERE, "calls.jsonl")
info = json.loads(os.environ.get("KUBERNETES_EXEC_INFO", "null"))
with open(LOG, "a") as f:
    f.write(json.dumps({"info": info, "tty": os.isatty(0), "env": os.environ.get("FAKE_ENV")}))
    f.write("\\n")
with open(LOG) as f:
    n = sum(1 for _ in f)

def answer(status, api_version=%(version)r):
    print(json.dumps({"apiVersion": api_version, "kind": "ExecCredential", "status": status}))
    sys.exit(0)

def in_seconds(s):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=s)
    return t.strftime("%%Y-%%m-%%dT%%H:%%M:%%S.") + "%%06d123Z" %% t.microsecond
"""


def make_plugin(directory: Path, name: str, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!{sys.executable}\n" + PRELUDE % {"version": VERSION} + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def calls(plugin: Path) -> list[dict]:
    log = plugin.parent / "calls.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def exec_user(plugin: Path, **spec) -> dict:
    """A kubeconfig user running ``plugin`` (v1, IfAvailable unless ``spec`` says else)."""
    entry = {"apiVersion": VERSION, "command": str(plugin), "interactiveMode": "IfAvailable"}
    entry.update(spec)
    return {"exec": {k: v for k, v in entry.items() if v is not None}}
