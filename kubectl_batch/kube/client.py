"""A small JSON client for the Kubernetes API over urllib3.

Objects stay plain dicts as the API sends them: the domain layer reads them directly, and
skipping the official client's model classes keeps start-up and memory small at 10,000 Jobs.
"""

from __future__ import annotations

import contextlib
import json
import queue
import re
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode, urlsplit

import urllib3

from kubectl_batch import __version__
from kubectl_batch.kube.auth import Authenticator
from kubectl_batch.kube.config import ClusterConfig
from kubectl_batch.kube.exec_plugin import Around, ShowStderr
from kubectl_batch.kube.transport import ClientCert, base_headers, pool_manager, shown_proxy

json_loads: Callable[[bytes | str], Any]
try:  # orjson decodes a 126 MB LIST of pods in a third less time; json is the fallback
    from orjson import loads as json_loads  # (the krew bundle is pure Python: no orjson)
except ImportError:  # pragma: no cover - depends on the install
    from json import loads as json_loads

USER_AGENT = f"kubectl-batch/{__version__}"
DEFAULT_TIMEOUT = 30.0


class ApiError(Exception):
    """The API server answered with an error status."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        details: dict | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.details = details or {}
        #: Seconds to wait before trying again (429, 503): the Retry-After header, else
        #: the Status's details.retryAfterSeconds.
        self.retry_after = retry_after

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
        where = f' of context "{config.context}"' if config.context else ""
        super().__init__(f"cannot reach the Kubernetes API server {config.server}{where}: {detail}")
        self.detail = detail


_TUNNEL = re.compile(r"Tunnel connection failed: (\d{3}[^'\")]*)")


def _describe(exc: BaseException) -> str:
    text = str(getattr(exc, "reason", None) or exc)
    tunnel = _TUNNEL.search(text)
    if tunnel:
        return f"the proxy refused the tunnel: {tunnel.group(1).strip()}"
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


#: Pages of one LIST asked for ahead of its reader; their raw bodies wait in memory.
PAGES_AHEAD = 2
#: Enough of a page's head to hold the list's metadata (its continue token).
_HEAD_BYTES = 4096


class ApiClient:
    """Blocking JSON calls to one API server; safe to share between threads."""

    def __init__(self, config: ClusterConfig, max_connections: int = 8):
        self.config = config
        self._auth = Authenticator(config)
        parts = urlsplit(config.server)
        self._base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self._headers = base_headers(config, USER_AGENT)
        self._max_connections = max_connections
        self._pool_lock = threading.Lock()
        self._pool_cert: ClientCert | None = None
        self._pool = pool_manager(config, max_connections)
        self._proxy = shown_proxy(config)
        self._streams: weakref.WeakSet = weakref.WeakSet()  # open watches and log streams
        self._rotated_out: weakref.WeakSet = weakref.WeakSet()  # those ended by a rotation

    def set_plugin_ui(self, around: Around | None, show_stderr: ShowStderr | None) -> None:
        """For a UI that owns the terminal: credential plugins that may talk to the user run
        through ``around`` (it suspends itself there); the stderr of the others goes to
        ``show_stderr`` rather than over the screen."""
        self._auth.set_plugin_ui(around, show_stderr)

    # -- connection set-up ------------------------------------------------------------
    def _pool_for(self, cert: ClientCert | None) -> urllib3.PoolManager:
        """The pool whose TLS context holds the plugin's current client certificate: a
        rotated certificate (Teleport, Pinniped: minutes long) gets a new context and
        pool; the old pool's idle connections are closed, as client-go closes them."""
        if cert == self._pool_cert:
            return self._pool
        with self._pool_lock:
            if cert != self._pool_cert:
                old, rotated = self._pool, self._pool_cert is not None
                self._pool = pool_manager(self.config, self._max_connections, cert)
                self._pool_cert = cert
                old.clear()
                if rotated:
                    self._end_streams()
            return self._pool

    def _end_streams(self) -> None:
        """End the watches and log streams still on the old certificate's connections
        (client-go closes every connection when the certificate rotates); their readers
        reconnect with the new one."""
        for response in list(self._streams):
            self._rotated_out.add(response)
            with contextlib.suppress(Exception):
                response.shutdown() if hasattr(response, "shutdown") else response.close()

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
        ends_on_rotation: bool = True,
    ) -> urllib3.BaseHTTPResponse:
        headers = self._headers.copy()
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        if timeout is None:
            timeout = self.config.request_timeout or DEFAULT_TIMEOUT
        answer = None
        for attempt in (0, 1):
            # A 401 re-runs the plugin (its credential may have been revoked early).
            answer = self._auth.plugin_answer(force=attempt == 1, stale=answer)
            headers.update(self._auth.headers(answer))
            pool = self._pool_for(answer.client_cert if answer else None)
            try:
                response = pool.request(
                    method,
                    self.url(path, params),
                    body=data,
                    headers=headers,
                    timeout=urllib3.Timeout(connect=min(timeout, 10.0), read=timeout),
                    preload_content=not stream,
                    redirect=False,
                )
            except urllib3.exceptions.HTTPError as exc:
                detail = _describe(exc)
                if isinstance(exc, urllib3.exceptions.ProxyError) and self._proxy:
                    detail = f"through the proxy {self._proxy}: {detail}"
                raise Unreachable(self.config, detail) from None
            if response.status == 401 and self._auth.exec and attempt == 0:
                response.drain_conn()
                response.release_conn()
                continue
            break
        if stream and ends_on_rotation and response.status < 400:
            self._streams.add(response)
        if response.status >= 400:
            raw = response.data if not stream else response.read()
            response.release_conn()
            raise self._error(response.status, raw, response.headers.get("Retry-After"))
        return response

    def _error(self, status: int, raw: bytes, retry_after: str | None = None) -> ApiError:
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        message = body.get("message") or raw.decode(errors="replace").strip() or f"HTTP {status}"
        details = body.get("details") or {}
        wait: float | None = None
        with contextlib.suppress(TypeError, ValueError):
            wait = float(retry_after or details.get("retryAfterSeconds") or "nan")
        wait = wait if wait is not None and wait >= 0 else None  # NaN and <0: not given
        return ApiError(status, body.get("reason", ""), message, details, retry_after=wait)

    def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
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

        Pages come through a `_PageChain`: the next page is asked for while this one is
        still arriving and being decoded. Its continue token is checked against the decoded
        page; should they differ, the pages asked for early are dropped."""
        params = dict(params or {}, limit=limit)
        with ThreadPoolExecutor(PAGES_AHEAD + 1, thread_name_prefix="list-page") as pool:
            chain = _PageChain(self, pool, path, params, None)
            try:
                raw: bytes | None = chain.take_first()
                while True:
                    if raw and prepare is not None:
                        raw = prepare(raw)
                    page = json_loads(raw) if raw else {}
                    yield page
                    token = (page.get("metadata") or {}).get("continue")
                    if not token:
                        return
                    raw = chain.take(token)
                    if raw is None:
                        chain.stop()
                        chain = _PageChain(self, pool, path, params, token)
                        raw = chain.take_first()
            finally:
                chain.stop()

    def stream_lines(
        self,
        path: str,
        params: dict[str, Any] | None,
        read_timeout: float,
        on_open: Callable[[urllib3.BaseHTTPResponse], None] | None = None,
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
            if response in self._rotated_out:
                return  # ended on purpose: the client certificate rotated
            raise Unreachable(self.config, _describe(exc)) from None
        except (AttributeError, ValueError, OSError):
            # The response was closed from another thread (cancellation).
            return
        finally:
            response.release_conn()

    def watch(
        self,
        path: str,
        params: dict[str, Any],
        timeout_seconds: int = 300,
        on_open: Callable[[urllib3.BaseHTTPResponse], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Watch events as dicts. The server ends the watch after timeout_seconds; reads that
        stall much longer than that mean a dead connection."""
        params = dict(params, watch=True, timeoutSeconds=timeout_seconds, allowWatchBookmarks=True)
        for line in self.stream_lines(path, params, timeout_seconds + 30.0, on_open):
            if line.strip():
                yield json_loads(line)

    def server_version(self) -> dict[str, Any]:
        return self.get("/version")


class _PageChain:
    """The pages of one LIST from a continue token on. Each page's next is asked for as soon
    as its head has come (a list's metadata, with the continue token, precedes its items),
    so over a slow link page k+1 is on its way while page k still arrives and is decoded,
    and the round trips overlap instead of adding up. At most PAGES_AHEAD pages are asked
    for ahead of the reader, so a slow reader does not hold the whole LIST in memory."""

    def __init__(
        self,
        client: ApiClient,
        pool: ThreadPoolExecutor,
        path: str,
        params: dict[str, Any],
        token: str | None,
    ):
        self._client, self._pool, self._path, self._params = client, pool, path, params
        self._room = threading.Semaphore(PAGES_AHEAD)
        self._stopped = threading.Event()
        self._asked: queue.SimpleQueue[tuple[str, Future[bytes]]] = queue.SimpleQueue()
        self._first = pool.submit(self._fetch, token)

    def take_first(self) -> bytes:
        return self._take(self._first)

    def take(self, token: str) -> bytes | None:
        """The page after the one just read, whose continue token is `token`; None when
        the page asked for early was asked with another token."""
        try:
            early, future = self._asked.get_nowait()
        except queue.Empty:
            return None
        if early != token:
            return None
        return self._take(future)

    def stop(self) -> None:
        self._stopped.set()

    def _take(self, future: Future[bytes]) -> bytes:
        try:
            return future.result()
        finally:
            self._room.release()

    def _fetch(self, token: str | None) -> bytes:
        while not self._room.acquire(timeout=0.2):
            if self._stopped.is_set():
                return b""
        if self._stopped.is_set():
            return b""
        params = dict(self._params, **{"continue": token}) if token else self._params
        client = self._client
        response = client._send("GET", self._path, params, stream=True, ends_on_rotation=False)
        try:
            body = bytearray()
            while len(body) < _HEAD_BYTES and b'"items":' not in body:
                chunk = response.read1(_HEAD_BYTES, decode_content=True)  # what has come
                if not chunk:
                    break
                body += chunk
            early = _peek_continue(bytes(body))
            if early and not self._stopped.is_set():  # (a stopped chain's pool may be shut)
                self._asked.put((early, self._pool.submit(self._fetch, early)))
            # read1 to the end too: stream() after read1 misreads a chunked answer's framing
            while chunk := response.read1(262144, decode_content=True):
                if self._stopped.is_set():
                    response.close()  # nobody reads this page any more: drop its connection
                    return b""
                body += chunk
        except urllib3.exceptions.HTTPError as exc:
            raise Unreachable(client.config, _describe(exc)) from None
        finally:
            response.release_conn()
        return bytes(body)
