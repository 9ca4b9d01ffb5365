#!/usr/bin/env python3
"""How much longer `kubectl batch --demo` takes to start than the live UI (target: under a
second more). Not part of the test suite.

    python3 benchmarks/demo_start.py [--runs 5]

Uses the shared test cluster (tests/cluster/cluster.py up): creates namespace bench-demo
holding the demo's workloads (scripts/record_demo.py), then runs benchmarks/probe.py
alternately live (`-n bench-demo`) and with --demo, each from process start to its first
complete table (every Job and CronJob on screen), and prints the medians and the median
of the per-run differences. Deletes the namespace after.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

NAMESPACE = "bench-demo"
TARGET = 1.0


def first_table(extra: list[str]) -> float:
    """Seconds from starting the probe to its first complete table."""
    from benchmarks.run import stop_probe

    report = Path(tempfile.mkstemp(prefix="kbt-demo-probe-", suffix=".jsonl")[1])
    cmd = [sys.executable, str(ROOT / "benchmarks" / "probe.py"), "--report", str(report)]
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [*cmd, *extra], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the probe exited: {proc.stderr.read().decode()}")
            for line in report.read_text().splitlines():
                event = json.loads(line)
                if event["event"] == "table":
                    return event["t"] - t0
            if time.monotonic() > t0 + 60:
                raise RuntimeError("no complete table within 60 s")
            time.sleep(0.02)
    finally:
        stop_probe(proc)
        report.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    import record_demo

    subprocess.run(
        [sys.executable, str(ROOT / "tests" / "cluster" / "cluster.py"), "up"],
        check=True,
        capture_output=True,
    )
    kubectl = record_demo.Kubectl(record_demo.KUBECONFIG)
    kubectl("create", "namespace", NAMESPACE)
    try:
        for item in record_demo.workloads():
            kubectl("apply", "-n", NAMESPACE, "-f", "-", input=json.dumps(item))
        live_args = ["--kubeconfig", str(record_demo.KUBECONFIG), "--namespace", NAMESPACE]
        live, demo = [], []
        for _ in range(opts.runs):
            live.append(first_table(live_args))
            demo.append(first_table(["--demo"]))
    finally:
        kubectl("delete", "namespace", NAMESPACE, "--wait=false", check=False)
    more = statistics.median(d - lv for d, lv in zip(demo, live, strict=True))
    print("| start-up to the first complete table | median | target |")
    print("|---|---|---|")
    print(f"| live, -n {NAMESPACE} | {statistics.median(live):.2f} s | |")
    print(f"| --demo | {statistics.median(demo):.2f} s | |")
    print(f"| --demo minus live (per run) | {more:+.2f} s | < +{TARGET:.0f} s |")
    return 0 if more < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
