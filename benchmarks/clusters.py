"""Benchmark clusters: one per size, made by tests/cluster/cluster.py, stopped (not deleted)
between runs so a loaded cluster is reused: etcd keeps its data across kwokctl stop/start."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

from benchmarks import dataset, load

ROOT = Path(__file__).resolve().parent.parent
CLUSTER_PY = ROOT / "tests" / "cluster" / "cluster.py"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cluster_module(name: str) -> ModuleType:
    """tests/cluster/cluster.py bound to cluster ``name`` (it reads KBT_CLUSTER_NAME)."""
    old = os.environ.get("KBT_CLUSTER_NAME")
    os.environ["KBT_CLUSTER_NAME"] = name
    try:
        spec = importlib.util.spec_from_file_location(f"bench_cluster_{name}", CLUSTER_PY)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    finally:
        if old is None:
            os.environ.pop("KBT_CLUSTER_NAME", None)
        else:
            os.environ["KBT_CLUSTER_NAME"] = old
    return module


def cluster_name(n: int) -> str:
    return f"kubectl-batch-bench-{n}"


class BenchCluster:
    def __init__(self, n: int):
        self.n = n
        self.name = cluster_name(n)
        self.mod = cluster_module(self.name)
        self.kubeconfig = str(self.mod.KUBECONFIG)

    def _kwokctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.mod.kwokctl(self.mod.build(), *args, check=check)

    def up(self) -> None:
        """Start the cluster: resume a stopped one (keeping its data), else create it."""
        try:
            self.mod.up()  # restarts the stopped components of an existing cluster
        except SystemExit as failed:
            say(f"{self.name} did not come back ({failed}): re-creating it")
            self.mod.up(recreate=True)

    def stop(self) -> None:
        self._kwokctl("stop", "cluster", check=False)

    def down(self) -> None:
        self.mod.down()

    def client(self):
        from kubectl_batch.kube.client import ApiClient
        from kubectl_batch.kube.config import load as load_config

        return ApiClient(load_config(kubeconfig=self.kubeconfig), max_connections=32)

    def ensure_loaded(self, workers: int) -> dataset.Dataset:
        """Load the dataset unless this cluster already holds it; return it."""
        client = self.client()
        marker = load.loaded_marker(client)
        if marker and marker.get("version") == str(dataset.DATASET_VERSION):
            loaded_at = datetime.fromisoformat(marker["loaded_at"])
            age = datetime.now(timezone.utc) - loaded_at
            if age.days < 30:
                say(f"{self.name}: reusing the loaded data ({marker.get('summary')})")
                data = dataset.generate(self.n, loaded_at)
                load.ensure_events(client, data, say, workers)
                return data
            say(f"{self.name}: data loaded {age.days} days ago: its CronJobs may fire, reloading")
        if marker is not None or _has_bench_objects(client):
            say(f"{self.name}: holds other or partly loaded data: re-creating the cluster")
            self.down()
            self.mod.up()
            client = self.client()
        now = datetime.now(timezone.utc).replace(microsecond=0)
        data = dataset.generate(self.n, now)
        summary = (
            f"{self.n} jobs {data.counts()}, {data.pod_count} pods, {len(data.cronjobs)} cronjobs"
        )
        say(f"{self.name}: loading {summary}")
        load.load(client, data, say, workers)
        load.ensure_events(client, data, say, workers)
        load.write_marker(
            client,
            {"version": dataset.DATASET_VERSION, "loaded_at": now.isoformat(), "summary": summary},
        )
        return data


def _has_bench_objects(client) -> bool:
    return bool(client.get("/apis/batch/v1/cronjobs", {"limit": 1}).get("items"))
