"""`tests/cluster/cluster.py up` brings back what died and keeps the data (issue 19).

On a cluster of its own (KBT_CLUSTER_NAME), never the shared one the other tests use:
kwokctl gives it ports no other cluster has, and the processes killed here are found by its
own pid files (and checked to run from its own directory). Creating it takes seconds.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from conftest import Kubectl, job_manifest

from benchmarks import clusters as bench_clusters

CLUSTER_PY = Path(__file__).resolve().parents[1] / "cluster" / "cluster.py"


def cluster_module(name: str) -> ModuleType:
    module = bench_clusters.cluster_module(name)
    assert name == module.NAME
    return module


def cli(mod: ModuleType, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, str(CLUSTER_PY), *args],
        env=dict(os.environ, KBT_CLUSTER_NAME=mod.NAME),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert done.returncode == 0, f"cluster.py {' '.join(args)}: {done.stderr}"
    return done


@pytest.fixture(scope="module")
def own():
    """A cluster of this module's own, deleted at the end."""
    if os.environ.get("KBT_NO_CLUSTER"):
        pytest.skip("KBT_NO_CLUSTER is set")
    mod = cluster_module(f"kbt-restart-{uuid.uuid4().hex[:8]}")
    assert mod.NAME != "kubectl-batch-test"
    try:
        cli(mod, "up")
        yield mod
    finally:
        cli(mod, "down", check=False)
        assert not mod._workdir().exists()


def pids(mod: ModuleType) -> dict[str, int]:
    return {c: int(p.name) for c in mod.COMPONENTS if (p := mod._process(c))}


def kill(mod: ModuleType, *components: str) -> None:
    """SIGKILL the given components of ``mod``'s cluster, and wait until they are gone."""
    own_bin = mod._workdir() / "bin"
    for component in components:
        proc = mod._process(component)
        assert proc is not None, f"{component} is not running"
        argv0 = proc.joinpath("cmdline").read_bytes().split(b"\0", 1)[0]
        assert os.fsdecode(argv0) == str(own_bin / component)  # this cluster's, nobody else's
        os.kill(int(proc.name), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(mod._process(c) for c in components):
        assert time.monotonic() < deadline, "killed components still running"
        time.sleep(0.05)


def ca_of(kubeconfig: Path) -> bytes:
    """The CA the kubeconfig trusts, inline or from its file."""
    cluster = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]
    if "certificate-authority-data" in cluster:
        return base64.b64decode(cluster["certificate-authority-data"])
    return Path(cluster["certificate-authority"]).read_bytes()


def put_data(mod: ModuleType, namespace: str) -> dict:
    k = Kubectl(mod.KUBECONFIG, namespace)
    k.run("create", "namespace", namespace, ns=False)
    k.run("create", "configmap", "kept", "--from-literal=answer=42")
    return {
        "configmap": k.get("configmap", "kept"),
        "kubeconfig": mod.KUBECONFIG.read_bytes(),
        "ca": ca_of(mod.KUBECONFIG),
    }


def assert_kept(mod: ModuleType, namespace: str, before: dict) -> None:
    k = Kubectl(mod.KUBECONFIG, namespace)
    cm = k.get("configmap", "kept")
    assert cm["data"] == {"answer": "42"}
    assert cm["metadata"]["uid"] == before["configmap"]["metadata"]["uid"]
    assert mod.KUBECONFIG.read_bytes() == before["kubeconfig"]
    assert ca_of(mod.KUBECONFIG) == before["ca"]


def test_up_restarts_a_dead_api_server_and_keeps_the_data(own):
    before = put_data(own, "keep-1")
    running = pids(own)
    assert set(running) == set(own.COMPONENTS)

    kill(own, "kube-apiserver")
    assert cli(own, "status", check=False).returncode == 1

    out = cli(own, "up").stderr
    assert "restarting kube-apiserver" in out
    assert "starting cluster" not in out  # not re-created
    assert_kept(own, "keep-1", before)
    after = pids(own)
    assert after["kube-apiserver"] != running["kube-apiserver"]
    assert after["etcd"] == running["etcd"]  # what did not die is left alone
    assert cli(own, "status", check=False).returncode == 0

    # The controllers are back too: the Job controller runs a Job to completion.
    k = Kubectl(own.KUBECONFIG, "keep-1")
    k.wait_for(lambda: k.run("get", "sa", "default", check=False).returncode == 0, timeout=30)
    k.apply(job_manifest("after-restart"))
    k.wait_for(lambda: k.job_condition("after-restart", "Complete"), what="Complete")


def test_up_restarts_the_whole_control_plane_and_keeps_the_data(own):
    """As after a reboot: every process gone, etcd's data directory and the PKI still there."""
    before = put_data(own, "keep-2")
    kill(own, *own.COMPONENTS)

    out = cli(own, "up").stderr
    assert "restarting etcd, kube-apiserver" in out
    assert "starting cluster" not in out
    assert_kept(own, "keep-2", before)
    assert set(pids(own)) == set(own.COMPONENTS)
    # The new kwok controller holds the node's lease and plays pods again (a new one found
    # the lease of its dead predecessor and left every pod Pending: CI, 2026-12-01).
    k = Kubectl(own.KUBECONFIG, "keep-2")
    k.wait_for(lambda: k.run("get", "sa", "default", check=False).returncode == 0, timeout=30)
    k.apply(job_manifest("after-reboot"))
    k.wait_for(lambda: k.job_condition("after-reboot", "Complete"), what="Complete")
    # An up with nothing dead reuses it.
    assert "reusing running cluster" in cli(own, "up").stderr


def test_up_recreates_a_cluster_made_from_another_kwok_yaml(own):
    """KWOK's stages are fixed when a cluster is made: one kept from another revision of
    tests/cluster (a CI machine's cache) would play that revision's pod fates."""
    put_data(own, "keep-4")
    own._fingerprint_file().write_text("made-from-another-kwok-yaml")
    out = cli(own, "up").stderr
    assert "made from another kwok.yaml" in out and "starting cluster" in out
    k = Kubectl(own.KUBECONFIG)
    assert k.run("get", "namespace", "keep-4", check=False, ns=False).returncode != 0
    assert own._recorded_fingerprint() == own.fingerprint()
    assert "reusing running cluster" in cli(own, "up").stderr


def test_up_adopts_a_running_component_its_pid_file_lost(own):
    """A pid file naming another program (a reused pid, or a start that lost the race for
    the port): the component still runs, and starting a second one would fail on its port."""
    running = pids(own)
    (own._workdir() / "pids" / "kube-scheduler.pid").write_text(str(os.getpid()))
    assert cli(own, "status", check=False).returncode == 1

    assert "restarting" not in cli(own, "up").stderr
    assert pids(own) == running  # found again, nothing started twice
    assert cli(own, "status", check=False).returncode == 0


def test_up_recreate_starts_an_empty_cluster(own):
    before = put_data(own, "keep-3")
    out = cli(own, "up", "--recreate").stderr
    assert "starting cluster" in out
    k = Kubectl(own.KUBECONFIG)
    assert k.run("get", "namespace", "keep-3", check=False, ns=False).returncode != 0
    assert ca_of(own.KUBECONFIG) != before["ca"]
    assert cli(own, "status", check=False).returncode == 0
