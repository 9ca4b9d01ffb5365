"""Which proxy carries requests to the API server, by Go's rules (net/http
ProxyFromEnvironment, golang.org/x/net/http/httpproxy), which kubectl follows when the
cluster has no ``proxy-url``:

* ``HTTPS_PROXY`` for an https server, ``HTTP_PROXY`` for http (upper case first, then
  lower case); a value without a scheme means ``http://``.
* ``NO_PROXY``: comma-separated; ``*`` means no proxy at all; an IP address or CIDR range
  matches IP-literal hosts; ``example.com`` matches it and its subdomains, ``.example.com``
  (or ``*.example.com``) only its subdomains; each may end in ``:port``.
* ``localhost`` and loopback addresses are never proxied.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit


def _env(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name) or environ.get(name.lower()) or ""


def _split_host_port(entry: str) -> tuple[str, str]:
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else ""
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, port
    return entry, ""


def _bypassed(host: str, port: str, no_proxy: str) -> bool:
    host = host.lower().strip()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        try:
            network = ipaddress.ip_network(entry, strict=False) if "/" in entry else None
        except ValueError:
            network = None
        if network is not None:
            if ip is not None and ip in network:
                return True
            continue
        phost, pport = _split_host_port(entry)
        if pport and pport != port:
            continue
        try:
            pip = ipaddress.ip_address(phost)
        except ValueError:
            pip = None
        if pip is not None:
            if ip is not None and ip == pip:
                return True
            continue
        if not phost:
            continue
        if phost.startswith("*"):
            phost = phost[1:]
        if phost.startswith("."):
            if host.endswith(phost):
                return True
        elif host == phost or host.endswith("." + phost):
            return True
    return False


def from_environment(server: str, environ: Mapping[str, str]) -> str | None:
    """The proxy URL for ``server``, or None to connect directly."""
    parts = urlsplit(server)
    host = parts.hostname or ""
    port = str(parts.port or (443 if parts.scheme == "https" else 80))
    proxy = _env(environ, "HTTPS_PROXY" if parts.scheme == "https" else "HTTP_PROXY")
    if not proxy or host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    if _bypassed(host, port, _env(environ, "NO_PROXY")):
        return None
    return proxy if "://" in proxy else "http://" + proxy
