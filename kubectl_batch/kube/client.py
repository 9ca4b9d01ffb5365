"""A small JSON client for the Kubernetes API over urllib3.

Objects stay plain dicts as the API sends them: the domain layer reads them directly, and
skipping the official client's model classes keeps start-up and memory small at 10,000 Jobs.
"""

from __future__ import annotations

import base64
import json
import os
import re
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

import urllib3

from kubectl_batch import __version__
from kubectl_batch.kube.config import ClusterConfig, ConfigError

try:  # orjson decodes a 126 MB LIST of pods in a third less time; json is the fallback
    from orjson import loads as json_loads  # (the krew bundle is pure Python: no orjson)
except ImportError:  # pragma: no cover - depends on the install
    from json import loads as json_loads

USER_AGENT = f"kubectl-batch/{__version__}"
DEFAULT_TIMEOUT = 30.0


class ApiError(Exception):
    """The API server answered with an error status."""

    def __init__(self, status: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.details = details or {}

    @property
    def forbidden(self) -> bool:
        return self.status == 403

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def gone(self) -> bool:
        return self.status == 410


class Unreachable(Exception):
    """No answer from the API server (refused, timed out, TLS failure...)."""

    def __init__(self, config: ClusterConfig, detail: str):
        super().__init__(
            f'cannot reach the Kubernetes API server {config.server} of context "{config.context}"'
            f": {detail}"
        )
        self.detail = detail


def _describe(exc: BaseException) -> str:
    text = str(getattr(exc, "reason", None) or exc)
    for needle, said in (
        ("Connection refused", "connection refused"),
        ("timed out", "the connection timed out"),
        ("CERTIFICATE_VERIFY_FAILED", "its TLS certificate is not trusted"),
        ("Name or service not known", "the host name does not resolve"),
        ("No route to host", "no route to host"),
    ):
        if needle in text:
            return said
    return text.split(": ", 1)[-1][:200]


_CONTINUE = re.compile(rb'"continue":"([A-Za-z0-9+/=_-]*)"')


def _peek_continue(raw: bytes) -> str | None:
    """The continue token of a list answer, read from its metadata at the head."""
    head = raw[:4096]
    items = head.find(b'"items":')
    match = _CONTINUE.search(head, 0, items if items >= 0 else len(head))
    return match.group(1).decode() if match and match.group(1) else None


class ExecCredentials:
    """Runs a client-go exec credential plugin and caches its answer until it expires."""

    def __init__(self, spec: dict[str, Any]):
        self.spec = spec
        self._lock = threading.Lock()
        self._status: dict[str, Any] | None = None
        self._expires: datetime | None = None

    def get(self, force: bool = False) -> dict[str, Any]:
        with self._lock:
            now = datetime.now(timezone.utc)
            if force or self._status is None or (self._expires and now >= self._expires):
                self._status = self._run()
                exp = self._status.get("expirationTimestamp")
                self._expires = datetime.fromisoformat(exp.replace("Z", "+00:00")) if exp else None
            return self._status

    def _run(self) -> dict[str, Any]:
        api_version = self.spec.get("apiVersion", "client.authentication.k8s.io/v1")
        env = dict(os.environ)
        for item in self.spec.get("env") or []:
            env[item["name"]] = item.get("value", "")
        env["KUBERNETES_EXEC_INFO"] = json.dumps(
            {
                "apiVersion": api_version,
                "kind": "ExecCredential",
                "spec": {"interactive": False},
            }
        )
        command = self.spec.get("command", "")
        try:
            done = subprocess.run(
                [command, *(self.spec.get("args") or [])],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            hint = self.spec.get("installHint", "").strip().splitlines()
            extra = f" ({hint[0]})" if hint else ""
            raise ConfigError(
                f'the credential plugin "{command}" could not run: {exc}{extra}'
            ) from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no error text"])[-1]
            raise ConfigError(f'the credential plugin "{command}" failed: {last}')
        try:
            return json.loads(done.stdout).get("status") or {}
        except ValueError:
            raise ConfigError(
                f'the credential plugin "{command}" printed no ExecCredential'
            ) from None


class ApiClient:
    """Blocking JSON calls to one API server; safe to share between threads."""

    def __init__(self, config: ClusterConfig, max_connections: int = 8):
        self.config = config
        self._exec = (
            ExecCredentials(config.credentials.exec_config)
            if config.credentials.exec_config
            else None
        )
        parts = urlsplit(config.server)
        self._base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        kwargs: dict[str, Any] = {"maxsize": max_connections, "block": False, "retries": False}
        if parts.scheme == "https":
            kwargs["ssl_context"] = self._ssl_context()
            if config.tls_server_name:
                kwargs["server_hostname"] = config.tls_server_name
            if config.insecure:
                kwargs["cert_reqs"] = "CERT_NONE"
                urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._pool = urllib3.PoolManager(**kwargs)

    # -- connection set-up ------------------------------------------------------------
    def _ssl_context(self) -> ssl.SSLContext:
        cfg, creds = self.config, self.config.credentials
        ctx = ssl.create_default_context()
        try:
            if cfg.insecure:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            elif cfg.ca_file or cfg.ca_data:
                ctx.load_verify_locations(
                    cafile=cfg.ca_file, cadata=cfg.ca_data.decode() if cfg.ca_data else None
                )
            cert, key = creds.client_cert_data, creds.client_key_data
            if self._exec and not (creds.token or creds.client_cert_file or cert):
                status = self._exec.get()
                if status.get("clientCertificateData"):
                    cert = status["clientCertificateData"].encode()
                    key = status.get("clientKeyData", "").encode()
            if cert or creds.client_cert_file:
                self._load_client_cert(ctx, cert, key)
        except (OSError, ssl.SSLError, ValueError) as exc:
            raise ConfigError(
                f'cannot use the TLS settings of context "{cfg.context}": {exc}'
            ) from None
        return ctx

    def _load_client_cert(self, ctx: ssl.SSLContext, cert: bytes | None, key: bytes | None):
        creds = self.config.credentials
        if not cert:
            ctx.load_cert_chain(creds.client_cert_file, creds.client_key_file)
            return
        # ssl loads client certificates only from files: write them privately, then remove.
        with tempfile.TemporaryDirectory(prefix="kubectl-batch-") as tmp:
            cert_path, key_path = os.path.join(tmp, "crt"), os.path.join(tmp, "key")
            for path, data in ((cert_path, cert), (key_path, key)):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(data or b"")
            if key is None and creds.client_key_file:
                key_path = creds.client_key_file
            ctx.load_cert_chain(cert_path, key_path)

    def _auth_headers(self, refresh: bool = False) -> dict[str, str]:
        creds = self.config.credentials
        token = creds.token
        if creds.token_file:
            try:
                with open(creds.token_file) as f:  # re-read: projected tokens rotate
                    token = f.read().strip()
            except OSError as exc:
                raise ConfigError(
                    f"cannot read the token file {creds.token_file}: {exc.strerror}"
                ) from None
        if not token and self._exec:
            token = self._exec.get(force=refresh).get("token")
        if not token and creds.auth_provider:
            token = (creds.auth_provider.get("config") or {}).get("id-token")
        if token:
            return {"Authorization": f"Bearer {token}"}
        if creds.username is not None:
            raw = f"{creds.username}:{creds.password or ''}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        return {}

    # -- requests ---------------------------------------------------------------------
    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        query = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        query = {
            k: ("true" if v is True else "false" if v is False else v) for k, v in query.items()
        }
        return self._base + path + ("?" + urlencode(query) if query else "")

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float | None = None,
        stream: bool = False,
    ) -> urllib3.BaseHTTPResponse:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        if timeout is None:
            timeout = self.config.request_timeout or DEFAULT_TIMEOUT
        for attempt in (0, 1):
            headers.update(self._auth_headers(refresh=attempt == 1))
            try:
                response = self._pool.request(
                    method,
                    self.url(path, params),
                    body=data,
                    headers=headers,
                    timeout=urllib3.Timeout(connect=min(timeout, 10.0), read=timeout),
                    preload_content=not stream,
                    redirect=False,
                )
            except urllib3.exceptions.HTTPError as exc:
                raise Unreachable(self.config, _describe(exc)) from None
            if response.status == 401 and self._exec and attempt == 0:
                continue  # the plugin's credential may have been revoked early: ask again
            break
        if response.status >= 400:
            raw = response.data if not stream else response.read()
            response.release_conn()
            raise self._error(response.status, raw)
        return response

    def _error(self, status: int, raw: bytes) -> ApiError:
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        message = body.get("message") or raw.decode(errors="replace").strip() or f"HTTP {status}"
        return ApiError(status, body.get("reason", ""), message, body.get("details"))

    def request(self, method: str, path: str, params=None, body=None, **kwargs) -> dict[str, Any]:
        response = self._send(method, path, params, body, **kwargs)
        return json_loads(response.data) if response.data else {}

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.request("GET", path, params)

    def list_pages(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        limit: int = 500,
        prepare: Callable[[bytes], bytes] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Each page of a paginated LIST; the last page carries the list's resourceVersion.

        The next page is asked for while this one is decoded: the continue token is read
        from the head of the raw answer (the list's metadata comes before its items), so
        the API server prepares page k+1 while we decode page k. The token is checked
        against the decoded page; should they differ, the early answer is dropped."""
        params = dict(params or {}, limit=limit)
        prefetch: Future | None = None
        with ThreadPoolExecutor(1, thread_name_prefix="list-prefetch") as pool:
            raw = self._send("GET", path, params).data
            while True:
                early = _peek_continue(raw)
                if early:
                    prefetch = pool.submit(
                        self._send, "GET", path, dict(params, **{"continue": early})
                    )
                if raw and prepare is not None:
                    raw = prepare(raw)
                page = json_loads(raw) if raw else {}
                yield page
                token = (page.get("metadata") or {}).get("continue")
                if not token:
                    return
                params["continue"] = token
                if prefetch is not None and early == token:
                    raw, prefetch = prefetch.result().data, None
                else:
                    if prefetch is not None:
                        prefetch.cancel()
                    raw, prefetch = self._send("GET", path, params).data, None

    def stream_lines(
        self, path: str, params: dict[str, Any] | None, read_timeout: float, on_open=None
    ) -> Iterator[bytes]:
        """Lines of a streaming answer (watch events, logs). `on_open` gets the response so
        another thread can close it to stop the stream at once."""
        response = self._send("GET", path, params, timeout=read_timeout, stream=True)
        if on_open:
            on_open(response)
        pending = b""
        try:
            for chunk in response.stream(65536, decode_content=True):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                yield from lines
            if pending:
                yield pending
        except urllib3.exceptions.HTTPError as exc:
            raise Unreachable(self.config, _describe(exc)) from None
        except (AttributeError, ValueError, OSError):
            # The response was closed from another thread (cancellation).
            return
        finally:
            response.release_conn()

    def watch(
        self, path: str, params: dict[str, Any], timeout_seconds: int = 300, on_open=None
    ) -> Iterator[dict[str, Any]]:
        """Watch events as dicts. The server ends the watch after timeout_seconds; reads that
        stall much longer than that mean a dead connection."""
        params = dict(params, watch=True, timeoutSeconds=timeout_seconds, allowWatchBookmarks=True)
        for line in self.stream_lines(path, params, timeout_seconds + 30.0, on_open):
            if line.strip():
                yield json_loads(line)

    def server_version(self) -> dict[str, Any]:
        return self.get("/version")
