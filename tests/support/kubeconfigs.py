"""Kubeconfigs for the test cluster as other users or through other routes."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import yaml


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _write(config: dict) -> Path:
    out = Path(tempfile.mkdtemp(prefix="kb-kubeconfig-")) / "config"
    out.write_text(yaml.safe_dump(config))
    return out


def server_of(kubeconfig: Path) -> tuple[str, int]:
    parts = urlsplit(_load(kubeconfig)["clusters"][0]["cluster"]["server"])
    return parts.hostname, parts.port


def via_port(kubeconfig: Path, port: int) -> Path:
    """The same identity, reaching the API server through 127.0.0.1:port."""
    config = _load(kubeconfig)
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = f"https://127.0.0.1:{port}"
    return _write(config)


def restricted(kubectl, namespace: str, rules: list[dict], name: str = "restricted") -> Path:
    """A ServiceAccount's kubeconfig holding only `rules` (RBAC PolicyRules) in `namespace`."""
    kubectl.run("create", "serviceaccount", name)
    kubectl.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": name, "namespace": namespace},
            "rules": rules,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
        },
    )
    token = kubectl.run("create", "token", name, "--duration=1h").stdout.strip()
    config = _load(kubectl.kubeconfig)
    cluster = config["clusters"][0]
    return _write(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [cluster],
            "users": [{"name": name, "user": {"token": token}}],
            "contexts": [
                {
                    "name": name,
                    "context": {"cluster": cluster["name"], "user": name, "namespace": namespace},
                }
            ],
            "current-context": name,
        }
    )
