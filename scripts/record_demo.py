#!/usr/bin/env python3
"""Makes the demo recording that `kubectl batch --demo` replays (kubectl_batch/data/).

    python3 tests/cluster/cluster.py up        # the project's test cluster (KWOK nodes)
    python3 scripts/record_demo.py             # ~5 minutes; writes kubectl_batch/data/demo.jsonl.gz

It creates namespace demo-batch on the test cluster, serves a short log for every pod in it
(KWOK pods have no real logs: a kwok ClusterLogs resource points them at a file), starts
applies the workloads below, records them with `kubectl batch record -n demo-batch`, then
deletes the namespace. Pods choose their fate with the test cluster's annotations
(tests/cluster/kwok.yaml): how long they run, whether they fail.

The workloads are the Job patterns of the Kubernetes documentation and the states the UI
explains: a sequential Job, fixed completions with parallelism, a work queue, an Indexed
Job, Jobs expanded from one template (label jobgroup=process-items), failures with
backoff, a failing index under backoffLimitPerIndex, an active deadline, a pod no node can
take (a nodeSelector no node has), and CronJobs with Allow, Forbid and Replace, a time
zone and a suspended one. (Init containers are left out: the test cluster's pods do not
run them yet.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "kubectl_batch" / "data" / "demo.jsonl.gz"
KUBECONFIG = Path.home() / ".cache/kubectl-batch-test-cluster/kubectl-batch-test.kubeconfig"
NAMESPACE = "demo-batch"
MAX_BYTES = 1_000_000

FATE = "test.kubectl-batch.io/"


def job_spec(
    *,
    run: str = "5s",
    outcome: str = "succeed",
    fail_indexes: str | None = None,
    labels: dict | None = None,
    node_selector: dict | None = None,
    **spec: object,
) -> dict:
    annotations = {FATE + "duration": run, FATE + "outcome": outcome}
    if fail_indexes is not None:
        annotations[FATE + "fail-indexes"] = fail_indexes
        annotations[FATE + "exit-code"] = "3"
    pod_spec: dict = {
        "restartPolicy": "Never",
        "containers": [{"name": "main", "image": "registry.example/batch/worker:1.4"}],
    }
    if node_selector:
        pod_spec["nodeSelector"] = node_selector
    return {
        "template": {
            "metadata": {"annotations": annotations, "labels": labels or {}},
            "spec": pod_spec,
        },
        **spec,
    }


def job(name: str, labels: dict | None = None, **kwargs: object) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": job_spec(labels=labels, **kwargs),  # type: ignore[arg-type]
    }


def cronjob(name: str, schedule: str, cron: dict | None = None, **kwargs: object) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {
            "schedule": schedule,
            **(cron or {}),
            "jobTemplate": {"spec": job_spec(**kwargs)},  # type: ignore[arg-type]
        },
    }


def workloads() -> list[dict]:
    items = [
        # Sequential: one pod at a time until 5 have succeeded.
        job("nightly-backup-steps", completions=5, parallelism=1, run="8s"),
        # Fixed completion count with parallelism.
        job("render-frames", completions=12, parallelism=3, run="12s"),
        # Work queue: no completions; done when a worker succeeds and all have ended.
        job("queue-workers", parallelism=4, run="40s"),
        # Indexed: each pod gets its JOB_COMPLETION_INDEX.
        job("shard-reindex", completions=8, parallelism=4, completionMode="Indexed", run="15s"),
        # Failures with exponential backoff (10 s, 20 s, 40 s ...) until backoffLimit.
        job("flaky-import", outcome="fail", backoffLimit=4, run="3s"),
        # A failing index under backoffLimitPerIndex: the others still complete.
        job(
            "score-partitions",
            completions=6,
            parallelism=3,
            completionMode="Indexed",
            backoffLimitPerIndex=1,
            fail_indexes="4",
            run="6s",
        ),
        # Past its activeDeadlineSeconds: the running pod is ended, the Job fails.
        job("slow-report", outcome="run", activeDeadlineSeconds=45, run="1h"),
        # No node has this label: the pod stays Pending, FailedScheduling.
        job("gpu-train", node_selector={"accelerator": "nvidia-h100"}, run="1m"),
        # CronJobs: overlapping runs with each concurrency policy.
        cronjob("sync-allow", "* * * * *", {"concurrencyPolicy": "Allow"}, run="100s"),
        cronjob("sync-forbid", "* * * * *", {"concurrencyPolicy": "Forbid"}, run="100s"),
        cronjob("sync-replace", "* * * * *", {"concurrencyPolicy": "Replace"}, run="100s"),
        cronjob("report-berlin", "30 6 * * 1-5", {"timeZone": "Europe/Berlin"}, run="20s"),
        cronjob("weekly-cleanup", "0 3 * * 0", {"suspend": True}),
    ]
    # Jobs expanded from one template (the docs' "parallel processing using expansions").
    for item in ("apple", "banana", "cherry"):
        items.append(job(f"process-item-{item}", labels={"jobgroup": "process-items"}, run="20s"))
    return items


class Kubectl:
    def __init__(self, kubeconfig: Path) -> None:
        self.base = ["kubectl", f"--kubeconfig={kubeconfig}"]

    def __call__(self, *args: str, input: str | None = None, check: bool = True) -> str:
        done = subprocess.run(
            [*self.base, *args], input=input, capture_output=True, text=True, check=False
        )
        if check and done.returncode != 0:
            sys.exit(f"record_demo.py: kubectl {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def apply(self, *objects: dict) -> None:
        docs = {"apiVersion": "v1", "kind": "List", "items": list(objects)}
        self("apply", "-n", NAMESPACE, "-f", "-", input=json.dumps(docs))


def log_file(start: datetime) -> Path:
    """What every demo pod logs (CRI format), stamped around the recording's start."""
    lines = [
        "starting worker 1.4 (demo)",
        "connected to queue batch-demo",
        "processing batch 1/3: 512 items",
        "processing batch 2/3: 512 items",
        "processing batch 3/3: 311 items",
        "wrote 1335 results",
        "done in 4.2s",
    ]
    path = Path(tempfile.mkdtemp(prefix="kubectl-batch-demo-")) / "main.log"
    stamp = lambda i: (start + timedelta(seconds=0.7 * i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # noqa: E731
    path.write_text("".join(f"{stamp(i)} stdout F {t}\n" for i, t in enumerate(lines)))
    os.chmod(path.parent, 0o755)  # kwok reads it as another user may
    os.chmod(path, 0o644)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubeconfig", type=Path, default=KUBECONFIG)
    parser.add_argument("--duration", default="5m", help="how long to record (default 5m)")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args()
    kubectl = Kubectl(args.kubeconfig)
    kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=true")
    kubectl("create", "namespace", NAMESPACE)
    logs = log_file(datetime.now(timezone.utc))
    clusterlogs = {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "ClusterLogs",
        "metadata": {"name": f"logs-{NAMESPACE}"},
        "spec": {
            "selector": {"matchNamespaces": [NAMESPACE]},
            "logs": [{"containers": ["main"], "logsFile": str(logs), "follow": False}],
        },
    }
    kubectl("apply", "-f", "-", input=json.dumps(clusterlogs))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    # The workloads first: the replay then opens on full tables, everything under way.
    for item in workloads():
        kubectl.apply(item)
    recorder = subprocess.Popen(
        [
            sys.executable, "-m", "kubectl_batch", f"--kubeconfig={args.kubeconfig}",
            "record", "-n", NAMESPACE, "--duration", args.duration, "-o", str(args.output),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        if recorder.wait() != 0:
            return 1
    finally:
        if recorder.poll() is None:
            recorder.terminate()
            recorder.wait()
        kubectl("delete", "namespace", NAMESPACE, "--wait=false", check=False)
        kubectl("delete", "clusterlogs", f"logs-{NAMESPACE}", check=False)
    size = args.output.stat().st_size
    print(f"record_demo.py: {args.output} is {size / 1000:.0f} kB", file=sys.stderr)
    if size > MAX_BYTES:
        print(f"record_demo.py: error: more than {MAX_BYTES // 1000} kB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
