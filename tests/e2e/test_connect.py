"""Connecting as kubectl does, on the real test cluster: impersonating a restricted
ServiceAccount (from an identity allowed only to impersonate it), and a CONNECT proxy
between the tool and the API server carrying a LIST, a WATCH and a followed log."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import yaml
from conftest import cronjob_manifest, job_manifest, served_logs
from support import kubeconfigs
from support.connect_proxy import ConnectProxy

from kubectl_batch.kube import logs
from kubectl_batch.kube.client import ApiClient
from kubectl_batch.kube.config import load

ROOT = Path(__file__).resolve().parents[2]
READ_BATCH = [
    {"apiGroups": ["batch"], "resources": ["cronjobs", "jobs"], "verbs": ["get", "list", "watch"]}
]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kubectl_batch", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


def impersonator(kubectl, namespace: str, target: str) -> Path:
    """A ServiceAccount allowed nothing but to impersonate ServiceAccount ``target``."""
    rules = [
        {
            "apiGroups": [""],
            "resources": ["serviceaccounts"],
            "verbs": ["impersonate"],
            "resourceNames": [target],
        }
    ]
    return kubeconfigs.restricted(kubectl, namespace, rules, name="impersonator")


def test_impersonating_a_restricted_service_account(kubectl, namespace):
    kubectl.apply(cronjob_manifest("nightly", "0 3 * * *"))
    kubeconfigs.restricted(kubectl, namespace, READ_BATCH, name="reader")
    who = f"system:serviceaccount:{namespace}:reader"
    cfg = impersonator(kubectl, namespace, "reader")

    # Alone, the impersonator may not even list.
    alone = cli("next-runs", "--kubeconfig", str(cfg))
    assert alone.returncode == 1
    assert f"system:serviceaccount:{namespace}:impersonator" in alone.stderr
    assert "cannot list resource" in alone.stderr

    # As the reader: what the reader may see, in its namespace only.
    seen = cli("next-runs", "--kubeconfig", str(cfg), "--as", who)
    assert seen.returncode == 0, seen.stderr
    assert "nightly" in seen.stdout
    everywhere = cli("next-runs", "--kubeconfig", str(cfg), "--as", who, "-A")
    assert everywhere.returncode == 1
    assert f'User "{who}" cannot list resource "cronjobs"' in everywhere.stderr

    # An action: refused up front, naming the impersonated user; nothing changed.
    refused = cli("suspend", "cronjob/nightly", "--kubeconfig", str(cfg), "--as", who)
    assert refused.returncode == 1
    assert refused.stderr == (
        f"error: forbidden: cannot patch cronjobs in namespace {namespace} (user {who})\n"
    )
    assert kubectl.get("cronjob", "nightly")["spec"].get("suspend") is False

    # The kubeconfig's own `as:` does the same as --as.
    doc = yaml.safe_load(cfg.read_text())
    doc["users"][0]["user"]["as"] = who
    cfg.write_text(yaml.safe_dump(doc))
    again = cli("suspend", "cronjob/nightly", "--kubeconfig", str(cfg))
    assert again.stderr == refused.stderr


def test_a_proxy_carries_list_watch_and_followed_log(kubectl, namespace, cluster):
    proxy = ConnectProxy()
    try:
        doc = yaml.safe_load(Path(cluster).read_text())
        for entry in doc["clusters"]:
            entry["cluster"]["proxy-url"] = proxy.url()
        cfg = Path(kubeconfigs._write(doc))
        api_target = kubeconfigs.server_of(cluster)

        kubectl.apply(cronjob_manifest("nightly", "0 3 * * *"))
        listed = cli("next-runs", "--kubeconfig", str(cfg), "-n", namespace)
        assert listed.returncode == 0, listed.stderr
        assert "nightly" in listed.stdout

        client = ApiClient(load(kubeconfig=str(cfg), namespace=namespace))
        events: list[dict] = []

        def watch() -> None:
            path = f"/apis/batch/v1/namespaces/{namespace}/jobs"
            for event in client.watch(path, {}, timeout_seconds=20):
                events.append(event)
                if event["type"] == "ADDED" and event["object"]["metadata"].get("name") == "talks":
                    return

        with served_logs(
            kubectl,
            namespace,
            "2026-01-01T00:00:00Z stdout F epoch 1",
            "2026-01-01T00:00:01Z stdout F epoch 2",
            follow=True,
        ) as log_file:
            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            kubectl.apply(
                job_manifest("talks", annotations={"test.kubectl-batch.io/outcome": "run"})
            )
            watcher.join(30)
            assert any(e["object"]["metadata"].get("name") == "talks" for e in events)
            pod = kubectl.wait_for(
                lambda: [
                    p["metadata"]["name"]
                    for p in kubectl.items("pods", "-l", "batch.kubernetes.io/job-name=talks")
                    if p["status"].get("phase") == "Running"
                ],
                what="running pod",
            )[0]
            got: list[str] = []
            stream = {}

            def follow() -> None:
                for line in logs.stream(
                    client, namespace, pod, follow=True, on_open=lambda r: stream.update(r=r)
                ):
                    got.append(line.text)
                    if line.text == "epoch 3":
                        return

            reader = threading.Thread(target=follow, daemon=True)
            reader.start()
            kubectl.wait_for(lambda: len(got) >= 2, timeout=30, what="first lines")
            with log_file.open("a") as f:  # written while followed
                f.write("2026-01-01T00:00:02Z stdout F epoch 3\n")
            reader.join(30)
            if stream.get("r") is not None:
                stream["r"].close()
            assert got[:3] == ["epoch 1", "epoch 2", "epoch 3"]
        host, port = api_target
        assert proxy.tunnels
        assert {t.target for t in proxy.tunnels} == {f"{host}:{port}"}
        assert all(t.bytes_down > 0 for t in proxy.tunnels)
    finally:
        proxy.close()
