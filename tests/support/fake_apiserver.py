"""A local HTTPS API server for the connection tests: it checks credentials (bearer tokens,
basic auth, client certificates), honours impersonation like the real one, and records what
each request carried (headers, client certificate, SNI). Bound to 127.0.0.1 only.

Serves: /version, LIST and WATCH of cronjobs and jobs, PATCH of a cronjob, a (followed) pod
log, SelfSubjectAccessReview and SelfSubjectReview, and an OIDC issuer (discovery, token).
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from support.pki import Pki


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: list[tuple[str, str]]
    sni: str | None
    client_cn: str | None
    user: str | None  # who the request acts as (after impersonation)
    gzipped: bool = False

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


def jwt(claims: dict) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


def cronjob(name: str, namespace: str = "default") -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"uid-{name}",
            "resourceVersion": "5",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        # A zone and a deadline: next-runs has no warning for it (its stderr is the tests').
        "spec": {
            "schedule": "0 3 * * *",
            "timeZone": "UTC",
            "startingDeadlineSeconds": 3600,
            "suspend": False,
            "jobTemplate": {"spec": {}},
        },
        "status": {},
    }


@dataclass
class Policy:
    """Who is who, and who may do what."""

    tokens: dict[str, str] = field(default_factory=dict)  # bearer token -> user
    basic: dict[str, str] = field(default_factory=dict)  # "user:password" -> user
    impersonators: set[str] = field(default_factory=set)  # users allowed to impersonate
    forbidden: set[str] = field(default_factory=set)  # users whose SSARs are denied
    revoked: set[str] = field(default_factory=set)  # client certificate CNs refused (401)


class FakeApiServer:
    def __init__(
        self,
        pki: Pki,
        client_ca: Pki | None = None,
        hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "apiserver.test"),
        policy: Policy | None = None,
    ):
        self.pki = pki
        self.policy = policy or Policy()
        self.seen: list[Seen] = []
        self.cronjobs = [cronjob("nightly")]
        self.log_lines = [f"2026-01-01T00:00:0{i}Z line {i}" for i in range(3)]
        self.watch_events = [
            {"type": "ADDED", "object": cronjob("nightly")},
            {"type": "MODIFIED", "object": cronjob("nightly")},
        ]
        self.watch_hold = 0.0  # seconds a watch stays open after its events
        self.big_list = False  # answer LISTs padded past 64 KiB (worth compressing)
        self.refresh_tokens: dict[str, str] = {}  # OIDC refresh token -> user
        cert, key = pki.server(hosts)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        if client_ca is not None:
            ctx.load_verify_locations(cadata=client_ca.ca_pem.decode())
            ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.sni_callback = self._on_sni
        self._ctx = ctx
        self._sni = threading.local()
        self.handshake_failures = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _on_sni(self, sock, name, ctx) -> None:
        sock.sni_name = name

    def requests(self, path_part: str = "") -> list[Seen]:
        return [s for s in self.seen if path_part in s.path]

    # -- the handler ---------------------------------------------------------------------
    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def setup(self) -> None:
                try:
                    self.request = api._ctx.wrap_socket(self.request, server_side=True)
                except (ssl.SSLError, OSError):
                    api.handshake_failures += 1
                    self.request.close()
                    raise
                super().setup()

            def handle(self) -> None:
                with contextlib.suppress(ssl.SSLError, ConnectionError):
                    super().handle()

            def _who(self) -> tuple[str | None, str | None]:
                cert = self.request.getpeercert()
                cn = None
                if cert:
                    for rdn in cert.get("subject", ()):
                        for key, value in rdn:
                            if key == "commonName":
                                cn = value
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Bearer "):
                    return api.policy.tokens.get(auth[7:]), cn
                if auth.startswith("Basic "):
                    pair = base64.b64decode(auth[6:]).decode()
                    return api.policy.basic.get(pair), cn
                if cn in api.policy.revoked:
                    return None, cn
                return cn, cn

            def _send(self, status: int, body: dict | bytes, gzip_ok: bool = True) -> bool:
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                zipped = False
                headers = {"Content-Type": "application/json"}
                accepts = "gzip" in (self.headers.get("Accept-Encoding") or "")
                if gzip_ok and accepts and len(raw) > 1024:
                    raw, zipped = gzip.compress(raw), True
                    headers["Content-Encoding"] = "gzip"
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
                return zipped

            def _status(self, code: int, reason: str, message: str) -> None:
                body = {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "status": "Failure",
                    "message": message,
                    "reason": reason,
                    "code": code,
                }
                self._send(code, body)

            def _stream(self, lines: list[bytes], delay: float, hold: float = 0) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for line in lines:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                    self.wfile.flush()
                    time.sleep(delay)
                time.sleep(hold)  # a watch stays open a while with nothing to say
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                user, cn = self._who()
                acting = user
                seen = Seen(
                    self.command,
                    parts.path,
                    query,
                    list(self.headers.items()),
                    getattr(self.request, "sni_name", None),
                    cn,
                    None,
                )
                api.seen.append(seen)
                path = parts.path
                if path.startswith("/.well-known/openid-configuration"):
                    self._send(200, {"issuer": api.url, "token_endpoint": api.url + "/token"})
                    return
                if path == "/token":
                    form = parse_qs(body.decode())
                    rt = form.get("refresh_token", [""])[0]
                    if rt not in api.refresh_tokens:
                        self._send(400, {"error": "invalid_grant"})
                        return
                    who = api.refresh_tokens.pop(rt)
                    new_id = jwt({"sub": who, "exp": time.time() + 3600, "n": len(api.seen)})
                    api.policy.tokens[new_id] = who
                    new_rt = f"rt-{len(api.seen)}"
                    api.refresh_tokens[new_rt] = who
                    self._send(200, {"id_token": new_id, "refresh_token": new_rt})
                    return
                if user is None:
                    self._status(401, "Unauthorized", "Unauthorized")
                    return
                target = self.headers.get("Impersonate-User")
                if target:
                    if user not in api.policy.impersonators:
                        self._status(
                            403,
                            "Forbidden",
                            f'users "{target}" is forbidden: User "{user}" cannot impersonate '
                            'resource "users" in API group "" at the cluster scope',
                        )
                        return
                    acting = target
                seen.user = acting
                if path == "/version":
                    self._send(200, {"major": "1", "minor": "33", "gitVersion": "v1.33.0"})
                elif path.endswith("/selfsubjectreviews"):
                    review = json.loads(body or b"{}")
                    review["status"] = {"userInfo": {"username": acting}}
                    self._send(201, review)
                elif path.endswith("/selfsubjectaccessreviews"):
                    review = json.loads(body or b"{}")
                    review["status"] = {"allowed": acting not in api.policy.forbidden}
                    self._send(201, review)
                elif path.endswith("/log"):
                    lines = [line.encode() + b"\n" for line in api.log_lines]
                    self._stream(lines, 0.05 if query.get("follow") else 0)
                elif query.get("watch"):
                    events = api.watch_events if path.endswith("/cronjobs") else []
                    lines = [json.dumps(e).encode() + b"\n" for e in events]
                    self._stream(lines, 0.02, hold=api.watch_hold)
                elif path.rsplit("/", 1)[-1] in ("cronjobs", "jobs", "pods", "events"):
                    items = api.cronjobs if path.endswith("/cronjobs") else []
                    doc = {
                        "kind": "List",
                        "apiVersion": "batch/v1",
                        "metadata": {"resourceVersion": "7"},
                        "items": items,
                    }
                    if api.big_list:
                        doc["metadata"]["padding"] = "x" * 70000
                    seen.gzipped = self._send(200, doc)
                elif self.command == "PATCH" and "/cronjobs/" in path:
                    name = path.rsplit("/", 1)[-1]
                    obj = cronjob(name)
                    obj["spec"].update(json.loads(body).get("spec", {}))
                    self._send(200, obj)
                elif "/cronjobs/" in path:
                    name = path.rsplit("/", 1)[-1]
                    found = [c for c in api.cronjobs if c["metadata"]["name"] == name]
                    if found:
                        self._send(200, found[0])
                    else:
                        self._status(404, "NotFound", f'cronjobs.batch "{name}" not found')
                else:
                    self._status(404, "NotFound", "the server could not find the resource")

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

        return Handler
