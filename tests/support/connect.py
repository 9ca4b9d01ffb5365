"""Shared pieces of the connection tests: a throwaway CA, the fake API server, kubeconfigs
pointing at it, and running ``kubectl-batch`` the way a user does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.fake_apiserver import FakeApiServer, Policy
from support.pki import Pki

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cret-token"


@pytest.fixture(scope="session")
def pki() -> Pki:
    return Pki()


@pytest.fixture
def api(pki):
    server = FakeApiServer(
        pki,
        client_ca=pki,
        policy=Policy(tokens={TOKEN: "jane"}, impersonators={"jane"}),
    )
    yield server
    server.close()


def write_kubeconfig(
    path: Path,
    server: str,
    user: dict,
    cluster: dict | None = None,
    namespace: str = "etl",
    extra_contexts: dict | None = None,
) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "test",
        "clusters": [{"name": "c", "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [
            {"name": "test", "context": {"cluster": "c", "user": "u", "namespace": namespace}}
        ],
    }
    for name, ctx in (extra_contexts or {}).items():
        config["contexts"].append({"name": name, "context": ctx})
    path.write_text(yaml.safe_dump(config))
    return path


def kubeconfig_for(tmp_path: Path, api: FakeApiServer, user: dict | None = None, **kw) -> Path:
    """A kubeconfig trusting the test CA, as ``jane`` (token) unless ``user`` says else."""
    cluster = {"certificate-authority": str(api.pki.ca_file), **kw.pop("cluster", {})}
    return write_kubeconfig(
        tmp_path / "kubeconfig", api.url, user or {"token": TOKEN}, cluster, **kw
    )


def run_cli(*args: str, env: dict | None = None, timeout: float = 60, **kw):
    """``kubectl-batch ARGS`` as a subprocess (this checkout's code), without a terminal."""
    full_env = dict(os.environ)
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY"):
        full_env.pop(name, None)
    full_env.pop("no_proxy", None)
    full_env.update(env or {})
    # This checkout's code first, whatever else the test puts on the path.
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "kubectl_batch", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        stdin=subprocess.DEVNULL,
        cwd=kw.pop("cwd", ROOT),  # `python -m` puts the working directory first on the path
        **kw,
    )
