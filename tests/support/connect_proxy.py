"""A local HTTP CONNECT proxy (optionally itself behind TLS, an "https proxy") that records
what it tunnelled. ``hosts`` maps names only the proxy can resolve (``apiserver.test``) to
addresses, which proves a request went through it. Bound to 127.0.0.1 only."""

from __future__ import annotations

import select
import socket
import socketserver
import ssl
import threading
from dataclasses import dataclass


@dataclass
class Tunnel:
    target: str
    headers: dict[str, str]
    bytes_up: int = 0
    bytes_down: int = 0


class ConnectProxy:
    def __init__(
        self,
        hosts: dict[str, str] | None = None,
        tls: ssl.SSLContext | None = None,
        password: str | None = None,
    ):
        self.hosts = hosts or {}
        self.tunnels: list[Tunnel] = []
        self.password = password  # "user:pass" required as Proxy-Authorization, if set
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock = self.request
                if tls is not None:
                    try:
                        sock = tls.wrap_socket(sock, server_side=True)
                    except (ssl.SSLError, OSError):
                        return
                proxy._tunnel(sock)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _tunnel(self, sock: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                return
            head += chunk
        lines = head.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        pairs = (line.split(": ", 1) for line in lines[1:] if ": " in line)
        headers = {k.lower(): v for k, v in pairs}  # names are case-insensitive
        if method != "CONNECT":
            sock.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        tunnel = Tunnel(target, headers)
        self.tunnels.append(tunnel)
        if self.password is not None:
            import base64

            want = "Basic " + base64.b64encode(self.password.encode()).decode()
            if headers.get("proxy-authorization") != want:
                sock.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                return
        host, _, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((self.hosts.get(host, host), int(port)), 5)
        except OSError:
            sock.sendall(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            return
        sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        with upstream:
            self._pipe(sock, upstream, tunnel)

    @staticmethod
    def _pipe(client: socket.socket, upstream: socket.socket, tunnel: Tunnel) -> None:
        pair = {client: upstream, upstream: client}
        while True:
            # An SSL socket may hold decrypted bytes select() cannot see.
            ready = [s for s in pair if isinstance(s, ssl.SSLSocket) and s.pending()]
            if not ready:
                ready, _, _ = select.select(list(pair), [], [], 30)
            if not ready:
                return
            for s in ready:
                try:
                    data = s.recv(65536)
                except (OSError, ssl.SSLError):
                    return
                if not data:
                    return
                pair[s].sendall(data)
                if s is client:
                    tunnel.bytes_up += len(data)
                else:
                    tunnel.bytes_down += len(data)


class Socks5Proxy:
    """A minimal SOCKS5 proxy (no authentication, CONNECT only) recording its targets;
    names in ``hosts`` are resolved by it, as a SOCKS proxy resolves for its clients."""

    def __init__(self, hosts: dict[str, str] | None = None):
        self.hosts = hosts or {}
        self.targets: list[str] = []
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _serve(self, sock: socket.socket) -> None:
        def read(n: int) -> bytes:
            data = b""
            while len(data) < n:
                chunk = sock.recv(n - len(data))
                if not chunk:
                    raise ConnectionError
                data += chunk
            return data

        try:
            _, methods = read(2)
            read(methods)
            sock.sendall(b"\x05\x00")  # no authentication
            _, cmd, _, kind = read(4)
            if kind == 3:  # a domain name: the proxy resolves it
                host = read(read(1)[0]).decode()
            elif kind == 1:
                host = socket.inet_ntoa(read(4))
            else:
                host = socket.inet_ntop(socket.AF_INET6, read(16))
            port = int.from_bytes(read(2), "big")
            self.targets.append(f"{host}:{port}")
            upstream = socket.create_connection((self.hosts.get(host, host), port), 5)
        except (OSError, ValueError):
            sock.sendall(b"\x05\x04\x00\x01" + b"\x00" * 6)
            return
        sock.sendall(b"\x05\x00\x00\x01" + b"\x00" * 6)
        with upstream:
            ConnectProxy._pipe(sock, upstream, Tunnel(f"{host}:{port}", {}))
