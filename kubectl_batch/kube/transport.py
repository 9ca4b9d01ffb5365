"""How requests reach the API server: TLS (the trusted CAs, the client certificate, the
server name), the proxy, and the headers every request carries (impersonation, gzip).
One function per fact; :class:`~kubectl_batch.kube.client.ApiClient` puts them together."""

from __future__ import annotations

import os
import ssl
import tempfile
import warnings
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import urllib3
from urllib3 import HTTPHeaderDict

from kubectl_batch.kube import proxy
from kubectl_batch.kube.config import ClusterConfig, ConfigError

ClientCert = tuple[bytes, bytes]

# Characters a header name may hold as they are (RFC 7230 tchar, minus "%", the escape).
_HEADER_KEY_SAFE = "!#$&'*+-.^_`|~"


def impersonation_headers(config: ClusterConfig) -> list[tuple[str, str]]:
    """client-go's impersonating round tripper: one header per group and extra value;
    extra keys are percent-encoded where a header name cannot hold them."""
    who = config.impersonation
    if not who.user:
        return []
    headers = [("Impersonate-User", who.user)]
    if who.uid:
        headers.append(("Impersonate-Uid", who.uid))
    headers += [("Impersonate-Group", g) for g in who.groups]
    for key, values in who.extra:
        name = "Impersonate-Extra-" + quote(key, safe=_HEADER_KEY_SAFE)
        headers += [(name, v) for v in values]
    return headers


def base_headers(config: ClusterConfig, user_agent: str) -> HTTPHeaderDict:
    """What every request sends whatever it asks."""
    headers = HTTPHeaderDict({"Accept": "application/json", "User-Agent": user_agent})
    if not config.disable_compression:
        # As client-go (Go's transport): the API server gzips big answers, ~10x smaller;
        # urllib3 decompresses as the body streams in.
        headers["Accept-Encoding"] = "gzip"
    for name, value in impersonation_headers(config):
        headers.add(name, value)
    return headers


def ssl_context(config: ClusterConfig, client_cert: ClientCert | None = None) -> ssl.SSLContext:
    """Trust exactly what kubectl trusts: the named CA alone when there is one (no system
    roots added), the system roots otherwise, nothing with insecure-skip-tls-verify."""
    creds = config.credentials
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        if config.insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        elif config.ca_data:  # data wins over a file, as in client-go
            ctx.load_verify_locations(cadata=config.ca_data.decode())
        elif config.ca_file:
            ctx.load_verify_locations(cafile=config.ca_file)
        else:
            ctx.load_default_certs()
        if client_cert is not None:
            _load_cert_chain(ctx, *client_cert)
        elif config.secure and creds.static_client_cert:
            if creds.client_cert_data or creds.client_key_data:
                cert = creds.client_cert_data or _read(creds.client_cert_file)
                key = creds.client_key_data or _read(creds.client_key_file)
                _load_cert_chain(ctx, cert, key)
            elif creds.client_cert_file:  # (always, here: static_client_cert without data)
                ctx.load_cert_chain(creds.client_cert_file, creds.client_key_file)
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise ConfigError(
            f'cannot use the TLS settings of context "{config.context}": {exc}'
        ) from None
    return ctx


def _read(path: str | None) -> bytes:
    if not path:
        return b""
    with open(path, "rb") as f:
        return f.read()


def _load_cert_chain(ctx: ssl.SSLContext, cert: bytes, key: bytes) -> None:
    # ssl loads client certificates only from files: write them privately, then remove.
    with tempfile.TemporaryDirectory(prefix="kubectl-batch-") as tmp:
        cert_path, key_path = os.path.join(tmp, "crt"), os.path.join(tmp, "key")
        for path, data in ((cert_path, cert), (key_path, key)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data or b"")
        ctx.load_cert_chain(cert_path, key_path)


def proxy_url(config: ClusterConfig, environ: Mapping[str, str] | None = None) -> str | None:
    """The cluster's proxy-url, else the environment's proxy by Go's rules."""
    if config.proxy_url:
        return config.proxy_url
    return proxy.from_environment(config.server, os.environ if environ is None else environ)


def shown_proxy(config: ClusterConfig) -> str | None:
    """The proxy in use, as an error may name it (credentials left out)."""
    via = proxy_url(config)
    if not via:
        return None
    parts = urlsplit(via)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def pool_manager(
    config: ClusterConfig,
    maxsize: int,
    client_cert: ClientCert | None = None,
    environ: Mapping[str, str] | None = None,
) -> urllib3.PoolManager:
    kwargs: dict[str, Any] = {"maxsize": maxsize, "block": False, "retries": False}
    if config.secure:
        kwargs["ssl_context"] = ssl_context(config, client_cert)
        if config.tls_server_name:
            kwargs["server_hostname"] = config.tls_server_name
        if config.insecure:
            kwargs["cert_reqs"] = "CERT_NONE"
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    via = proxy_url(config, environ)
    if not via:
        return urllib3.PoolManager(**kwargs)
    parts = urlsplit(via)
    if parts.scheme == "socks5":
        return _socks(via, parts, kwargs)
    headers = {}
    if parts.username:
        auth = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers = urllib3.make_headers(proxy_basic_auth=auth)
    if parts.scheme == "https":
        # Go verifies an https proxy with the cluster's TLS settings; so do we.
        kwargs["proxy_ssl_context"] = ssl_context(config)
    return urllib3.ProxyManager(via, proxy_headers=headers, **kwargs)


def _socks(via: str, parts: Any, kwargs: dict[str, Any]) -> urllib3.PoolManager:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from urllib3.contrib.socks import SOCKSProxyManager
    except ImportError:
        raise ConfigError(
            f"the proxy-url {parts.scheme}://{parts.hostname}:{parts.port} needs SOCKS "
            "support, which is not installed: pip install 'kubectl-batch[socks]' (PySocks)"
        ) from None
    # Go's socks5 dialer lets the proxy resolve the server's name: urllib3's socks5h.
    remote = "socks5h" + via[len("socks5") :]
    return SOCKSProxyManager(remote, username=parts.username, password=parts.password, **kwargs)
