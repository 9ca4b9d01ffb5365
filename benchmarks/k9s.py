"""k9s on the same cluster, in the same run: its jobs view driven in a pseudo-terminal.

    python benchmarks/k9s.py --kubeconfig PATH --jobs N      # one run, prints JSON

k9s is built from the Go module proxy at a pinned version (cached beside the test
cluster's binaries, never in the repo) and started as a user would, `k9s -A -c jobs`, with a
fresh configuration directory, at 200x50. What the terminal shows is kept by a terminal
emulator (pyte), so what is measured is what a person would see:

* time from start until the jobs view's title counts every Job (`Jobs(all)[N]`);
* its RSS then, and over an idle minute with its CPU time (k9s refreshes on a timer);
* change to screen: a Job made Complete on the server, until its row reads `1/1` in the
  view filtered on the latency Jobs (k9s's `/` filter, typed in).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

import pyte

VERSION = "v0.50.16"
CACHE = Path.home() / ".cache" / "kubectl-batch-bench" / f"k9s-{VERSION}"
SIZE = (200, 50)
# (k9s groups thousands: "jobs(all)[10,020]")
_TITLE = re.compile(r"jobs\((?P<scope>[^)]*)\)\[\s*(?P<count>[\d,]+)\s*\]", re.IGNORECASE)


def build() -> Path:
    """The pinned k9s binary, built with `go install` the first time (a few minutes)."""
    binary = CACHE / "k9s"
    if binary.exists():
        return binary
    if not shutil.which("go"):
        raise SystemExit("k9s: Go is needed to build it (go install github.com/derailed/k9s)")
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"k9s: building {VERSION} from the Go module proxy", file=sys.stderr, flush=True)
    subprocess.run(
        ["go", "install", f"github.com/derailed/k9s@{VERSION}"],
        check=True,
        env=dict(os.environ, GOBIN=str(CACHE)),
    )
    return binary


class K9s:
    """A running k9s whose screen can be read, and typed into."""

    def __init__(self, binary: Path, kubeconfig: str, *args: str):
        self.home = Path(tempfile.mkdtemp(prefix="kbt-k9s-"))
        cols, rows = SIZE
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.lock = threading.Lock()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.home),
            "TERM": "xterm-256color",
            "KUBECONFIG": kubeconfig,
            # A fresh configuration: no skin, no aliases, no remembered view.
            "K9S_CONFIG_DIR": str(self.home / "k9s"),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_STATE_HOME": str(self.home / "state"),
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_CACHE_HOME": str(self.home / "cache"),
        }
        self.t0 = time.monotonic()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: k9s on the terminal's slave side
            os.execve(str(binary), [str(binary), *args], env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.stream.feed(data)

    def text(self) -> str:
        with self.lock:
            return "\n".join(self.screen.display)

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait_for(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := predicate(self.text()):
                return found
            time.sleep(0.02)
        raise RuntimeError(f"k9s: no {what} within {timeout:.0f} s; screen:\n{self.text()}")

    def proc_kb(self, field: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGTERM)
        for _ in range(50):
            if os.waitpid(self.pid, os.WNOHANG) != (0, 0):
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self.fd)
        shutil.rmtree(self.home, ignore_errors=True)


def job_count(text: str) -> int | None:
    m = _TITLE.search(text)
    return int(m.group("count").replace(",", "")) if m else None


def run(
    kubeconfig: str,
    jobs: int,
    idle: float = 60,
    complete=None,
    latency_jobs: int = 0,
) -> dict:
    """One k9s run: start to every Job counted, RSS, idle CPU, and (with ``complete``, a
    function making latency Job i Complete and returning the time it asked) change to
    screen for ``latency_jobs`` Jobs named latency-NN."""
    k9s = K9s(build(), kubeconfig, "-A", "-c", "jobs", "--readonly")
    result: dict = {}
    try:
        k9s.wait_for(lambda t: (job_count(t) or 0) >= jobs, 900, f"title counting {jobs} Jobs")
        result["all_jobs"] = time.monotonic() - k9s.t0
        result["rss_mb"] = k9s.proc_kb("VmRSS") / 1024
        if idle:
            cpu0, t0 = k9s.cpu_seconds(), time.monotonic()
            time.sleep(idle)
            result["idle_cpu_percent"] = 100 * (k9s.cpu_seconds() - cpu0) / (time.monotonic() - t0)
            result["idle_seconds"] = idle
            result["rss_idle_mb"] = k9s.proc_kb("VmRSS") / 1024
        if complete and latency_jobs:
            k9s.type("/latency-\r")  # k9s's filter: only the latency Jobs on screen
            k9s.wait_for(lambda t: "latency-00" in t, 30, "filtered view of the latency Jobs")
            ms = []
            for i in range(latency_jobs):
                time.sleep(0.3 + 0.5 * ((i * 7919) % 100) / 100)  # not in step with its timer
                name = f"latency-{i:02d}"
                asked = complete(i)
                with contextlib.suppress(RuntimeError):
                    k9s.wait_for(lambda t, n=name: _row_complete(t, n), 15, f"{name} 1/1")
                    ms.append((time.monotonic() - asked) * 1000)
            result["latency_ms"] = ms
            result["latency_missed"] = latency_jobs - len(ms)
        result["rss_peak_mb"] = k9s.proc_kb("VmHWM") / 1024
    finally:
        k9s.close()
    return result


def _row_complete(text: str, name: str) -> bool:
    return any(name in line and re.search(r"\b1/1\b", line) for line in text.splitlines())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--jobs", type=int, required=True, help="Jobs on the cluster")
    parser.add_argument("--idle", type=float, default=60)
    args = parser.parse_args()
    print(json.dumps(run(args.kubeconfig, args.jobs, args.idle), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
