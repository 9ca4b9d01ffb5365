"""Kubeconfig resolution as kubectl does it, and failures as one sentence."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kubectl_batch.kube import config as kconfig
from kubectl_batch.kube.config import ConfigError, load, parse_request_timeout


def write(path: Path, contexts: dict, current: str | None = None, clusters=None, users=None):
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": current,
                "contexts": [{"name": n, "context": c} for n, c in contexts.items()],
                "clusters": [{"name": n, "cluster": c} for n, c in (clusters or {}).items()],
                "users": [{"name": n, "user": u} for n, u in (users or {}).items()],
            }
        )
    )
    return path


@pytest.fixture
def two_files(tmp_path):
    a = write(
        tmp_path / "a",
        {"dev": {"cluster": "c1", "user": "u1", "namespace": "etl"}},
        current="dev",
        clusters={"c1": {"server": "https://one:6443"}},
        users={"u1": {"token": "t1"}},
    )
    b = write(
        tmp_path / "b",
        {"dev": {"cluster": "c2", "user": "u2"}, "prod": {"cluster": "c2", "user": "u2"}},
        current="prod",
        clusters={"c2": {"server": "https://two:6443/", "certificate-authority": "ca.crt"}},
        users={"u2": {"tokenFile": "tok"}},
    )
    return a, b


def test_kubeconfig_env_merges_files_first_wins(two_files, tmp_path):
    a, b = two_files
    cfg = load(environ={"KUBECONFIG": f"{a}{os.pathsep}{b}", "HOME": str(tmp_path)})
    assert cfg.context == "dev"  # current-context of the first file that sets one
    assert cfg.server == "https://one:6443"  # "dev" of the first file wins
    assert cfg.namespace == "etl" and not cfg.namespace_explicit
    prod = load(context="prod", environ={"KUBECONFIG": f"{a}{os.pathsep}{b}"})
    assert prod.server == "https://two:6443"
    assert prod.namespace == "default"
    # Relative paths resolve against the file that names them.
    assert prod.ca_file == str(tmp_path / "ca.crt")
    assert prod.credentials.token_file == str(tmp_path / "tok")


def test_flag_namespace_beats_the_context(two_files):
    a, _ = two_files
    cfg = load(kubeconfig=str(a), namespace="ml")
    assert cfg.namespace == "ml" and cfg.namespace_explicit


def test_missing_files_in_kubeconfig_env_are_skipped(two_files, tmp_path):
    a, _ = two_files
    cfg = load(environ={"KUBECONFIG": f"{tmp_path / 'nope'}{os.pathsep}{a}"})
    assert cfg.context == "dev"


def test_default_path_is_home_kube_config(two_files, tmp_path):
    a, _ = two_files
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text(a.read_text())
    assert load(environ={"HOME": str(tmp_path)}).context == "dev"


def test_in_cluster_when_no_kubeconfig(tmp_path, monkeypatch):
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("tok")
    (sa / "namespace").write_text("batch-system")
    monkeypatch.setattr(kconfig, "IN_CLUSTER_DIR", sa)
    cfg = load(
        environ={
            "HOME": str(tmp_path),
            "KUBERNETES_SERVICE_HOST": "10.0.0.1",
            "KUBERNETES_SERVICE_PORT": "443",
        }
    )
    assert (cfg.context, cfg.server, cfg.namespace) == (
        "in-cluster",
        "https://10.0.0.1:443",
        "batch-system",
    )


@pytest.mark.parametrize(
    "kwargs,needle",
    [
        ({"kubeconfig": "/no/such/file"}, "does not exist"),
        ({"context": "nope"}, 'context "nope" does not exist'),
        ({"request_timeout": "soon"}, "--request-timeout"),
    ],
)
def test_errors_are_one_sentence(two_files, kwargs, needle):
    a, _ = two_files
    kwargs.setdefault("kubeconfig", str(a))
    with pytest.raises(ConfigError) as err:
        load(**kwargs)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_no_kubeconfig_at_all(tmp_path):
    with pytest.raises(ConfigError, match="no kubeconfig found"):
        load(environ={"HOME": str(tmp_path)})


def test_garbage_kubeconfig(tmp_path):
    bad = tmp_path / "bad"
    bad.write_text("{not: [yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load(kubeconfig=str(bad))


def test_nameless_entries_are_skipped(tmp_path):
    """A context (cluster, user) without a name can never be chosen; it once sat under a
    None key and the context picker's sorted list raised TypeError (found by mypy)."""
    path = write(
        tmp_path / "config",
        {"dev": {"cluster": "c", "user": "u"}},
        current="dev",
        clusters={"c": {"server": "https://one:6443"}},
        users={"u": {"token": "t"}},
    )
    data = yaml.safe_load(path.read_text())
    for key in ("contexts", "clusters", "users"):
        data[key].append({k: v for k, v in data[key][0].items() if k != "name"})
    path.write_text(yaml.safe_dump(data))
    assert kconfig.context_names(str(path)) == ["dev"]
    assert load(kubeconfig=str(path)).server == "https://one:6443"


@pytest.mark.parametrize(
    "text,seconds",
    [("0", None), ("30", 30), ("30s", 30), ("1m30s", 90), ("2h", 7200), ("500ms", 0.5)],
)
def test_request_timeout_like_kubectl(text, seconds):
    assert parse_request_timeout(text) == seconds


def test_unreachable_cluster_is_one_sentence_naming_context_and_server(two_files, tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = write(
        tmp_path / "down",
        {"lab": {"cluster": "c", "user": "u"}},
        current="lab",
        clusters={"c": {"server": f"https://127.0.0.1:{port}"}},
        users={"u": {}},
    )
    done = subprocess.run(
        [sys.executable, "-m", "kubectl_batch", "--kubeconfig", str(cfg)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"error: cannot reach the Kubernetes API server https://127.0.0.1:{port} of context "
        '"lab": connection refused\n'
    )
