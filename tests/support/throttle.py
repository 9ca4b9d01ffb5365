"""An HTTPS relay in front of the test cluster's API server that answers 429 Too Many
Requests to a share of Job creates, as an overloaded API server (or its priority and
fairness) does: some before the create reaches the server, some after it was done (the
answer lost), so a client that retries blindly would duplicate and one that gives up
would lose items. Everything else is passed through, with the kubeconfig's own identity.
"""

from __future__ import annotations

import base64
import random
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import urllib3
import yaml

from support.pki import Pki

_STATUS_429 = (
    b'{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Too many requests, '
    b'please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":1},'
    b'"code":429}'
)


def _file(data: str | None, path: str | None, suffix: str) -> str | None:
    if path:
        return path
    if not data:
        return None
    out = Path(tempfile.mkdtemp(prefix="kb-throttle-")) / f"data{suffix}"
    out.write_bytes(base64.b64decode(data))
    return str(out)


class ThrottlingRelay:
    def __init__(
        self, kubeconfig: Path, before: float = 0.2, after: float = 0.1, seed: int = 14
    ) -> None:
        config = yaml.safe_load(kubeconfig.read_text())
        cluster = config["clusters"][0]["cluster"]
        user = config["users"][0]["user"]
        self.upstream = cluster["server"].rstrip("/")
        self.before, self.after = before, after
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.throttled_before = 0
        self.throttled_after = 0
        self.creates = 0
        self._pool = urllib3.PoolManager(
            maxsize=16,
            cert_reqs="CERT_NONE",
            cert_file=_file(
                user.get("client-certificate-data"), user.get("client-certificate"), ".crt"
            ),
            key_file=_file(user.get("client-key-data"), user.get("client-key"), ".key"),
            retries=False,
        )
        self._token = user.get("token")
        urllib3.disable_warnings()
        pki = Pki("throttle relay CA")
        cert, key = pki.server(("127.0.0.1",))
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                create = self.command == "POST" and self.path.split("?")[0].endswith("/jobs")
                fate = relay._fate() if create else "pass"
                if fate == "before":
                    return self._throttled()
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("content-type", "accept", "user-agent")
                }
                if relay._token:
                    headers["Authorization"] = f"Bearer {relay._token}"
                answer = relay._pool.request(
                    self.command, relay.upstream + self.path, body=body, headers=headers
                )
                if fate == "after" and answer.status < 300:
                    return self._throttled()  # created, but the client never hears it
                data = answer.data
                self.send_response(answer.status)
                self.send_header(
                    "Content-Type", answer.headers.get("Content-Type", "application/json")
                )
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _throttled(self) -> None:
                self.send_response(429)
                self.send_header("Content-Type", "application/json")
                self.send_header("Retry-After", "1")
                self.send_header("Content-Length", str(len(_STATUS_429)))
                self.end_headers()
                self.wfile.write(_STATUS_429)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.kubeconfig = self._kubeconfig(config, pki)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _fate(self) -> str:
        with self._lock:
            self.creates += 1
            roll = self._random.random()
            if roll < self.before:
                self.throttled_before += 1
                return "before"
            if roll < self.before + self.after:
                self.throttled_after += 1
                return "after"
            return "pass"

    def _kubeconfig(self, config: dict, pki: Pki) -> Path:
        cluster = config["clusters"][0]["cluster"]
        cluster.pop("insecure-skip-tls-verify", None)
        cluster.pop("certificate-authority", None)
        cluster["certificate-authority-data"] = base64.b64encode(pki.ca_pem).decode()
        cluster["server"] = f"https://127.0.0.1:{self.port}"
        out = Path(tempfile.mkdtemp(prefix="kb-throttle-")) / "config"
        out.write_text(yaml.safe_dump(config))
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
