"""Shared fixtures. Tests marked `cluster` run against the local test cluster
(tests/cluster), started on first use and reused; each gets its own namespace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "cluster"))

# Fixtures of the connection tests: a throwaway CA (`pki`), the local HTTPS API server (`api`).
pytest_plugins = ["support.connect"]


def pytest_collection_modifyitems(config, items):
    # Everything under tests/e2e talks to the cluster.
    for item in items:
        if "/tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.cluster)


class Kubectl:
    """kubectl against the test cluster: an independent witness of what our code does."""

    def __init__(self, kubeconfig: Path, namespace: str | None = None):
        self.kubeconfig = kubeconfig
        self.namespace = namespace

    def run(self, *args: str, input: str | None = None, check: bool = True, ns: bool = True):
        cmd = ["kubectl", "--kubeconfig", str(self.kubeconfig)]
        if ns and self.namespace:
            cmd += ["-n", self.namespace]
        done = subprocess.run(
            [*cmd, *args], input=input, capture_output=True, text=True, timeout=60
        )
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {done.stderr}")
        return done

    def apply(self, *objects: dict | str) -> None:
        docs = [o if isinstance(o, str) else yaml.safe_dump(o) for o in objects]
        self.run("apply", "-f", "-", input="\n---\n".join(docs))

    def create(self, *objects: dict | str) -> None:
        docs = [o if isinstance(o, str) else yaml.safe_dump(o) for o in objects]
        self.run("create", "-f", "-", input="\n---\n".join(docs))

    def get(self, *args: str) -> dict:
        return json.loads(self.run("get", *args, "-o", "json").stdout)

    def items(self, *args: str) -> list[dict]:
        return self.get(*args)["items"]

    def wait_for(self, predicate, timeout: float = 60, interval: float = 0.5, what: str = ""):
        """Poll `predicate` until it returns a truthy value; return that value."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(interval)
        raise AssertionError(
            f"timed out after {timeout}s waiting for {what or predicate}: {last!r}"
        )

    def job_condition(self, name: str, type_: str) -> dict | None:
        job = self.get("job", name)
        for cond in job.get("status", {}).get("conditions") or []:
            if cond["type"] == type_ and cond["status"] == "True":
                return cond
        return None


def kubectl_batch(
    cluster: Path, namespace: str, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess:
    """`kubectl batch ARGS` (this checkout's) against the test cluster, in ``namespace``."""
    return subprocess.run(
        [sys.executable, "-m", "kubectl_batch", *args, "--kubeconfig", str(cluster)]
        + ["-n", namespace],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def cluster() -> Path:
    """Kubeconfig of the running test cluster (started or reused)."""
    if os.environ.get("KBT_NO_CLUSTER"):
        pytest.skip("KBT_NO_CLUSTER is set")
    import cluster as test_cluster

    return test_cluster.up()


@pytest.fixture
def namespace(cluster: Path) -> str:
    name = f"kb-{uuid.uuid4().hex[:8]}"
    k = Kubectl(cluster)
    k.run("create", "namespace", name, ns=False)
    # Pods need the namespace's default ServiceAccount before the Job controller can make them.
    k.wait_for(
        lambda: k.run("get", "sa", "default", "-n", name, check=False, ns=False).returncode == 0,
        timeout=30,
        what="default service account",
    )
    yield name
    # Jobs first: a namespace deletion can leave a Job whose failed pod keeps the
    # job-tracking finalizer, and the namespace then never goes away.
    k.run("delete", "jobs,cronjobs", "--all", "-n", name, "--wait=false", check=False, ns=False)
    k.run("delete", "namespace", name, "--wait=false", check=False, ns=False)


@pytest.fixture
def kubectl(cluster: Path, namespace: str) -> Kubectl:
    return Kubectl(cluster, namespace)


def job_manifest(
    name: str,
    *,
    completions: int | None = 1,
    parallelism: int | None = None,
    indexed: bool = False,
    annotations: dict | None = None,
    labels: dict | None = None,
    **spec,
) -> dict:
    """A Job whose pods' fate is chosen by test annotations (see tests/cluster/kwok.yaml)."""
    job_spec = {
        "template": {
            "metadata": {"annotations": annotations or {}, "labels": labels or {}},
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "main", "image": "busybox"}],
            },
        },
        **spec,
    }
    if completions is not None:
        job_spec["completions"] = completions
    if parallelism is not None:
        job_spec["parallelism"] = parallelism
    if indexed:
        job_spec["completionMode"] = "Indexed"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": job_spec,
    }


def cronjob_manifest(
    name: str,
    schedule: str = "0 0 1 1 *",
    *,
    suspend: bool = False,
    cron_spec: dict | None = None,
    **template,
) -> dict:
    """A CronJob whose Jobs are `job_manifest(**template)`; `cron_spec` adds CronJob fields
    (timeZone, concurrencyPolicy, ...). The default schedule fires once a year."""
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {
            "schedule": schedule,
            "suspend": suspend,
            **(cron_spec or {}),
            "jobTemplate": {"metadata": {}, "spec": job_manifest("unused", **template)["spec"]},
        },
    }


@contextmanager
def served_logs(kubectl: Kubectl, namespace: str, *lines: str, follow: bool = False):
    """KWOK serves `lines` (CRI log format) as the logs of every `main` container in
    `namespace`; yields the file, which a test may append to (with follow=True)."""
    log_file = Path(tempfile.mkdtemp()) / "main.log"
    log_file.write_text("".join(line + "\n" for line in lines))
    os.chmod(log_file.parent, 0o755)  # kwok reads it as another user may
    os.chmod(log_file, 0o644)
    name = f"logs-{namespace}"
    kubectl.apply(
        {
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": "ClusterLogs",
            "metadata": {"name": name},
            "spec": {
                "selector": {"matchNamespaces": [namespace]},
                "logs": [{"containers": ["main"], "logsFile": str(log_file), "follow": follow}],
            },
        }
    )
    try:
        yield log_file
    finally:
        kubectl.run("delete", "clusterlogs", name, ns=False, check=False)
