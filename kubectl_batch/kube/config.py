"""Kubeconfig resolution the way kubectl does it, kept lean so commands start fast.

Order: --kubeconfig (one file) > $KUBECONFIG (several files, merged: the first file to
define a name wins, current-context from the first file that sets one) > ~/.kube/config;
with none of those, the in-cluster service account. Then --context, and the namespace from
-n, else the context's, else "default".
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IN_CLUSTER_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


class ConfigError(Exception):
    """The kubeconfig or flags cannot give a usable connection; the text is one sentence."""


@dataclass(frozen=True)
class Credentials:
    token: str | None = None
    token_file: str | None = None
    username: str | None = None
    password: str | None = None
    client_cert_file: str | None = None
    client_key_file: str | None = None
    client_cert_data: bytes | None = None
    client_key_data: bytes | None = None
    exec_config: dict[str, Any] | None = None
    auth_provider: dict[str, Any] | None = None


@dataclass(frozen=True)
class ClusterConfig:
    """Everything needed to reach one API server as one user."""

    context: str
    server: str
    namespace: str
    namespace_explicit: bool
    ca_file: str | None = None
    ca_data: bytes | None = None
    insecure: bool = False
    tls_server_name: str | None = None
    credentials: Credentials = field(default_factory=Credentials)
    request_timeout: float | None = None
    kubeconfig_paths: tuple[str, ...] = ()


def parse_request_timeout(value: str | None) -> float | None:
    """kubectl's --request-timeout: "0" means none; "30", "30s", "1m", "1h30m" are accepted."""
    if value is None or value.strip() in ("", "0"):
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    total, number, i = 0.0, "", 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit() or ch == ".":
            number += ch
            i += 1
            continue
        unit = "ms" if text.startswith("ms", i) else ch
        if unit not in units or not number:
            raise ConfigError(
                f'invalid --request-timeout "{value}": use a duration such as 30s, 1m or 0'
            )
        total += float(number) * units[unit]
        number = ""
        i += len(unit)
    if number:
        raise ConfigError(f'invalid --request-timeout "{value}": a unit (s, m, h) is missing')
    return total or None


def kubeconfig_paths(explicit: str | None, environ: dict[str, str] | None = None) -> list[Path]:
    environ = os.environ if environ is None else environ
    if explicit:
        path = Path(explicit).expanduser()
        if not path.exists():
            raise ConfigError(f"the kubeconfig file {explicit} does not exist")
        return [path]
    if environ.get("KUBECONFIG"):
        parts = [p for p in environ["KUBECONFIG"].split(os.pathsep) if p]
        return [Path(p).expanduser() for p in parts if Path(p).expanduser().exists()]
    default = Path(environ.get("HOME", str(Path.home()))) / ".kube" / "config"
    return [default] if default.exists() else []


def _load_yaml(path: Path) -> dict[str, Any]:
    import yaml  # deferred: only kubeconfig reading needs it

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        reason = getattr(exc, "strerror", None) or "it is not valid YAML"
        raise ConfigError(f"cannot read kubeconfig {path}: {reason}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"cannot read kubeconfig {path}: it is not a kubeconfig mapping")
    return data


def _resolve(path: str | None, base: Path) -> str | None:
    if not path:
        return None
    p = Path(path).expanduser()
    return str(p if p.is_absolute() else base / p)


def _b64(value: str | None, what: str) -> bytes | None:
    if not value:
        return None
    try:
        return base64.b64decode(value, validate=False)
    except ValueError:
        raise ConfigError(f"the kubeconfig's {what} is not valid base64") from None


@dataclass
class _Merged:
    current_context: str | None = None
    contexts: dict[str, tuple[dict, Path]] = field(default_factory=dict)
    clusters: dict[str, tuple[dict, Path]] = field(default_factory=dict)
    users: dict[str, tuple[dict, Path]] = field(default_factory=dict)


def _merge(paths: list[Path]) -> _Merged:
    merged = _Merged()
    for path in paths:
        data = _load_yaml(path)
        base = path.parent
        if not merged.current_context and data.get("current-context"):
            merged.current_context = data["current-context"]
        for key, target, inner in (
            ("contexts", merged.contexts, "context"),
            ("clusters", merged.clusters, "cluster"),
            ("users", merged.users, "user"),
        ):
            for entry in data.get(key) or []:
                if isinstance(entry, dict) and entry.get("name") not in target:
                    target[entry.get("name")] = (entry.get(inner) or {}, base)
    return merged


def context_names(explicit_kubeconfig: str | None = None) -> list[str]:
    """All context names, for switching contexts inside the app."""
    return sorted(_merge(kubeconfig_paths(explicit_kubeconfig)).contexts)


def load(
    kubeconfig: str | None = None,
    context: str | None = None,
    namespace: str | None = None,
    request_timeout: str | None = None,
    environ: dict[str, str] | None = None,
) -> ClusterConfig:
    timeout = parse_request_timeout(request_timeout)
    paths = kubeconfig_paths(kubeconfig, environ)
    if not paths:
        in_cluster = _in_cluster(namespace, timeout, environ)
        if in_cluster:
            return in_cluster
        raise ConfigError(
            "no kubeconfig found: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config"
        )
    merged = _merge(paths)
    name = context or merged.current_context
    if not name:
        raise ConfigError("the kubeconfig has no current context: pass --context")
    if name not in merged.contexts:
        raise ConfigError(f'context "{name}" does not exist in the kubeconfig')
    ctx, _ = merged.contexts[name]
    cluster_name = ctx.get("cluster")
    if cluster_name not in merged.clusters:
        raise ConfigError(
            f'context "{name}" refers to cluster "{cluster_name}", which is not defined'
        )
    cluster, cluster_base = merged.clusters[cluster_name]
    server = cluster.get("server")
    if not server:
        raise ConfigError(f'cluster "{cluster_name}" of context "{name}" has no server')
    user, user_base = merged.users.get(ctx.get("user"), ({}, paths[0].parent))
    creds = Credentials(
        token=user.get("token"),
        token_file=_resolve(user.get("tokenFile"), user_base),
        username=user.get("username"),
        password=user.get("password"),
        client_cert_file=_resolve(user.get("client-certificate"), user_base),
        client_key_file=_resolve(user.get("client-key"), user_base),
        client_cert_data=_b64(user.get("client-certificate-data"), "client-certificate-data"),
        client_key_data=_b64(user.get("client-key-data"), "client-key-data"),
        exec_config=_with_base(user.get("exec"), user_base),
        auth_provider=user.get("auth-provider"),
    )
    ns = namespace or ctx.get("namespace") or "default"
    return ClusterConfig(
        context=name,
        server=server.rstrip("/"),
        namespace=ns,
        namespace_explicit=bool(namespace),
        ca_file=_resolve(cluster.get("certificate-authority"), cluster_base),
        ca_data=_b64(cluster.get("certificate-authority-data"), "certificate-authority-data"),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=cluster.get("tls-server-name"),
        credentials=creds,
        request_timeout=timeout,
        kubeconfig_paths=tuple(str(p) for p in paths),
    )


def _with_base(exec_config: dict | None, base: Path) -> dict | None:
    if not exec_config:
        return None
    # kubectl runs a relative exec command relative to the kubeconfig's directory when it
    # contains a path separator.
    command = exec_config.get("command", "")
    if os.sep in command and not os.path.isabs(command):
        exec_config = dict(exec_config, command=str(base / command))
    return exec_config


def _in_cluster(
    namespace: str | None, timeout: float | None, environ: dict[str, str] | None
) -> ClusterConfig | None:
    environ = os.environ if environ is None else environ
    host, port = environ.get("KUBERNETES_SERVICE_HOST"), environ.get("KUBERNETES_SERVICE_PORT")
    token = IN_CLUSTER_DIR / "token"
    if not (host and port and token.exists()):
        return None
    if ":" in host:
        host = f"[{host}]"
    ns_file = IN_CLUSTER_DIR / "namespace"
    ns = namespace or (ns_file.read_text().strip() if ns_file.exists() else "default")
    return ClusterConfig(
        context="in-cluster",
        server=f"https://{host}:{port}",
        namespace=ns,
        namespace_explicit=bool(namespace),
        ca_file=str(IN_CLUSTER_DIR / "ca.crt"),
        credentials=Credentials(token_file=str(token)),
        request_timeout=timeout,
    )
