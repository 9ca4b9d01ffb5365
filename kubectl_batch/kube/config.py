"""Kubeconfig resolution the way kubectl does it, kept lean so commands start fast.

Order: --kubeconfig (one file) > $KUBECONFIG (several files, merged: the first file to
define a name wins, current-context from the first file that sets one) > ~/.kube/config;
with none of those, the in-cluster service account. Then --context, and the namespace from
-n, else the context's, else "default".
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
    #: The kubeconfig file that defines this user: where refreshed OIDC tokens are written.
    source: str | None = None

    @property
    def static_client_cert(self) -> bool:
        return bool(self.client_cert_file or self.client_cert_data)


@dataclass(frozen=True)
class Impersonation:
    """Who to act as (kubectl --as/--as-group/--as-uid, the kubeconfig's as*)."""

    user: str | None = None
    uid: str | None = None
    groups: tuple[str, ...] = ()
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Overrides:
    """kubectl's connection flags. Each one given beats the kubeconfig, field by field, as
    client-go's ConfigOverrides do; paths are relative to the working directory."""

    server: str | None = None
    token: str | None = None
    user: str | None = None
    cluster: str | None = None
    certificate_authority: str | None = None
    client_certificate: str | None = None
    client_key: str | None = None
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    impersonate: str | None = None
    impersonate_groups: tuple[str, ...] = ()
    impersonate_uid: str | None = None


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
    impersonation: Impersonation = field(default_factory=Impersonation)
    proxy_url: str | None = None
    disable_compression: bool = False
    #: The cluster's client.authentication.k8s.io/exec extension, for provideClusterInfo.
    exec_extension: Any = None
    user_name: str = ""
    cluster_name: str = ""

    @property
    def secure(self) -> bool:
        """client-go sends credentials only over TLS."""
        return self.server.startswith("https://")


def parse_request_timeout(value: str | None) -> float | None:
    """kubectl's --request-timeout: "0" means none; "30", "30s", "1m", "1h30m" are accepted."""
    if value is None or value.strip() in ("", "0"):
        return None
    return parse_duration(value, "--request-timeout") or None


def parse_duration(value: str, flag: str) -> float:
    """A Go-style duration of a flag ("30", "30s", "1m", "1h30m", "500ms") in seconds."""
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
            raise ConfigError(f'invalid {flag} "{value}": use a duration such as 30s, 1m or 0')
        total += float(number) * units[unit]
        number = ""
        i += len(unit)
    if number or not text:
        raise ConfigError(f'invalid {flag} "{value}": a unit (s, m, h) is missing')
    return total


def kubeconfig_paths(explicit: str | None, environ: Mapping[str, str] | None = None) -> list[Path]:
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
    """Entries keep the file that defined them (relative paths resolve against its
    directory; refreshed OIDC tokens are written back into it)."""
    merged = _Merged()
    for path in paths:
        data = _load_yaml(path)
        if not merged.current_context and data.get("current-context"):
            merged.current_context = data["current-context"]
        for key, target, inner in (
            ("contexts", merged.contexts, "context"),
            ("clusters", merged.clusters, "cluster"),
            ("users", merged.users, "user"),
        ):
            for entry in data.get(key) or []:
                # A nameless entry can never be selected, and its None key would break the
                # sorted context list of the picker: skip it.
                if not isinstance(entry, dict) or not isinstance(name := entry.get("name"), str):
                    continue
                if name not in target:
                    target[name] = (entry.get(inner) or {}, path)
    return merged


def context_names(explicit_kubeconfig: str | None = None) -> list[str]:
    """All context names, for switching contexts inside the app."""
    return sorted(_merge(kubeconfig_paths(explicit_kubeconfig)).contexts)


# Every setting of a kubeconfig cluster and user (client-go's clientcmd/api/v1 types).
# Each one is honoured; a key outside these is refused rather than silently ignored.
CLUSTER_KEYS = frozenset(
    {
        "server",
        "tls-server-name",
        "insecure-skip-tls-verify",
        "certificate-authority",
        "certificate-authority-data",
        "proxy-url",
        "disable-compression",
        "extensions",
    }
)
USER_KEYS = frozenset(
    {
        "client-certificate",
        "client-certificate-data",
        "client-key",
        "client-key-data",
        "token",
        "tokenFile",
        "as",
        "as-uid",
        "as-groups",
        "as-user-extra",
        "username",
        "password",
        "auth-provider",
        "exec",
        "extensions",
    }
)
CONTEXT_KEYS = frozenset({"cluster", "user", "namespace", "extensions"})
EXEC_EXTENSION = "client.authentication.k8s.io/exec"


def _check_keys(entry: dict, known: frozenset[str], what: str, name: str) -> None:
    unknown = sorted(set(entry) - known)
    if unknown:
        raise ConfigError(
            f'{what} "{name}" in the kubeconfig has the setting "{unknown[0]}", which is not '
            "a kubeconfig setting kubectl knows"
        )


def load(
    kubeconfig: str | None = None,
    context: str | None = None,
    namespace: str | None = None,
    request_timeout: str | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Overrides | None = None,
) -> ClusterConfig:
    """The connection kubectl would make with these flags (client-go's DirectClientConfig:
    the context's cluster and user, then each flag given over them)."""
    flags = overrides or Overrides()
    timeout = parse_request_timeout(request_timeout)
    paths = kubeconfig_paths(kubeconfig, environ)
    if not paths and not flags.server:
        in_cluster = _in_cluster(namespace, timeout, environ, flags)
        if in_cluster:
            return in_cluster
        raise ConfigError(
            "no kubeconfig found: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config"
        )
    merged = _merge(paths)
    name = context or merged.current_context or ""
    if name and name not in merged.contexts:
        raise ConfigError(f'context "{name}" does not exist in the kubeconfig')
    if not name and not flags.server:
        raise ConfigError("the kubeconfig has no current context: pass --context")
    ctx = merged.contexts[name][0] if name else {}
    cluster_name = flags.cluster or ctx.get("cluster") or ""
    if flags.cluster and flags.cluster not in merged.clusters:
        raise ConfigError(f'cluster "{flags.cluster}" does not exist')
    if cluster_name not in merged.clusters and not flags.server:
        raise ConfigError(
            f'context "{name}" refers to cluster "{cluster_name}", which is not defined'
        )
    user_name = flags.user or ctx.get("user") or ""
    if flags.user and flags.user not in merged.users:
        raise ConfigError(f'auth info "{flags.user}" does not exist')
    cluster, cluster_path = merged.clusters.get(cluster_name, ({}, paths[0] if paths else None))
    user, user_path = merged.users.get(user_name, ({}, paths[0] if paths else None))
    _check_keys(ctx, CONTEXT_KEYS, "context", name)
    _check_keys(cluster, CLUSTER_KEYS, "cluster", cluster_name)
    _check_keys(user, USER_KEYS, "user", user_name)
    server = flags.server or cluster.get("server")
    if not server:
        raise ConfigError(f'cluster "{cluster_name}" of context "{name}" has no server')
    cluster_base = cluster_path.parent if cluster_path else Path.cwd()
    user_base = user_path.parent if user_path else Path.cwd()
    ca_file, ca_data, insecure, tls_server_name = _trust(cluster, cluster_base, flags)
    creds = _credentials(user, user_name, user_base, flags, user_path)
    tls = bool(insecure or ca_file or ca_data or creds.static_client_cert)
    server = _server_url(server, tls, name)
    extensions = {
        e.get("name"): e.get("extension")
        for e in cluster.get("extensions") or []
        if isinstance(e, dict)
    }
    proxy_url = cluster.get("proxy-url") or None
    if proxy_url:
        _check_proxy_url(proxy_url)
    ns = namespace or ctx.get("namespace") or "default"
    return ClusterConfig(
        context=name,
        server=server,
        namespace=ns,
        namespace_explicit=bool(namespace),
        ca_file=ca_file,
        ca_data=ca_data,
        insecure=insecure,
        tls_server_name=tls_server_name,
        credentials=creds,
        request_timeout=timeout,
        kubeconfig_paths=tuple(str(p) for p in paths),
        impersonation=_impersonation(user, user_name, flags),
        proxy_url=proxy_url,
        disable_compression=bool(cluster.get("disable-compression")),
        exec_extension=extensions.get(EXEC_EXTENSION),
        user_name=user_name,
        cluster_name=cluster_name,
    )


def _trust(
    cluster: dict, base: Path, flags: Overrides
) -> tuple[str | None, bytes | None, bool, str | None]:
    """(CA file, CA data, insecure-skip-tls-verify, tls-server-name), flags merged."""
    ca_file = _resolve(cluster.get("certificate-authority"), base)
    ca_data = _b64(cluster.get("certificate-authority-data"), "certificate-authority-data")
    insecure = bool(cluster.get("insecure-skip-tls-verify"))
    if flags.insecure_skip_tls_verify or flags.certificate_authority:
        # client-go: either flag replaces the kubeconfig's whole trust setting.
        insecure = flags.insecure_skip_tls_verify
        ca_file, ca_data = _resolve(flags.certificate_authority, Path.cwd()), None
    tls_server_name = cluster.get("tls-server-name")
    if flags.tls_server_name or flags.server:
        # --server without --tls-server-name drops the kubeconfig's (it named another host).
        tls_server_name = flags.tls_server_name
    if insecure and (ca_file or ca_data):
        raise ConfigError(
            "specifying a root certificates file with the insecure flag is not allowed"
        )
    return ca_file, ca_data, insecure, tls_server_name or None


def _server_url(server: str, tls: bool, context: str) -> str:
    if "://" not in server:
        # client-go's DefaultServerURL: a bare host:port is https when TLS is configured.
        server = ("https://" if tls else "http://") + server
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        where = f' of context "{context}"' if context else ""
        raise ConfigError(f'the server "{server}"{where} is not an http(s) URL')
    return server.rstrip("/")


def _credentials(
    user: dict, user_name: str, base: Path, flags: Overrides, source: Path | None
) -> Credentials:
    cert_file = _resolve(user.get("client-certificate"), base)
    cert_data = _b64(user.get("client-certificate-data"), "client-certificate-data")
    key_file = _resolve(user.get("client-key"), base)
    key_data = _b64(user.get("client-key-data"), "client-key-data")
    if flags.client_certificate:
        cert_file, cert_data = _resolve(flags.client_certificate, Path.cwd()), None
    if flags.client_key:
        key_file, key_data = _resolve(flags.client_key, Path.cwd()), None
    token = flags.token or user.get("token")
    if token and user.get("username"):
        raise ConfigError(
            f"more than one authentication method found for {user_name}; "
            "found [token basicAuth], only one is allowed"
        )
    exec_config = _with_base(user.get("exec"), base)
    if exec_config:
        from kubectl_batch.kube.exec_plugin import validate

        validate(exec_config, user_name)
    provider = user.get("auth-provider")
    if provider:
        from kubectl_batch.kube.oidc import validate_provider

        validate_provider(provider)
    return Credentials(
        token=token,
        token_file=_resolve(user.get("tokenFile"), base),
        username=user.get("username"),
        password=user.get("password"),
        client_cert_file=cert_file,
        client_key_file=key_file,
        client_cert_data=cert_data,
        client_key_data=key_data,
        exec_config=exec_config,
        auth_provider=provider,
        source=str(source) if source else None,
    )


def _impersonation(user: dict, user_name: str, flags: Overrides) -> Impersonation:
    extra = user.get("as-user-extra") or {}
    if not isinstance(extra, dict):
        raise ConfigError(f'the kubeconfig\'s as-user-extra of user "{user_name}" is not a map')
    who = Impersonation(
        user=flags.impersonate or user.get("as") or None,
        uid=flags.impersonate_uid or user.get("as-uid") or None,
        groups=tuple(flags.impersonate_groups or user.get("as-groups") or ()),
        extra=tuple(
            (str(k), tuple(str(v) for v in (vs if isinstance(vs, list) else [vs])))
            for k, vs in sorted(extra.items())
        ),
    )
    if not who.user and (who.uid or who.groups or who.extra):
        raise ConfigError(
            "invalid configuration: requesting uid, groups or user-extra for "
            f"{user_name or '--as-group'} without impersonating a user"
        )
    return who


def _check_proxy_url(url: str) -> None:
    scheme = url.partition("://")[0] if "://" in url else ""
    if scheme not in ("http", "https", "socks5"):
        raise ConfigError(f'unsupported scheme "{scheme}", must be http, https, or socks5')


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
    namespace: str | None,
    timeout: float | None,
    environ: Mapping[str, str] | None,
    flags: Overrides,
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
    # client-go's in-cluster config takes only --server, --token and --certificate-authority.
    return ClusterConfig(
        context="in-cluster",
        server=f"https://{host}:{port}",
        namespace=ns,
        namespace_explicit=bool(namespace),
        ca_file=flags.certificate_authority or str(IN_CLUSTER_DIR / "ca.crt"),
        credentials=Credentials(token=flags.token, token_file=None if flags.token else str(token)),
        request_timeout=timeout,
        impersonation=_impersonation({}, "in-cluster", flags),
    )
