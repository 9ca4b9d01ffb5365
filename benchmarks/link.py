"""A network link between a client and the API server, played on loopback: a TCP relay that
adds a one-way delay to every byte and limits the bandwidth of each direction, as a client
on a laptop sees a cluster in a cloud region (default 100 Mbit/s, 25 ms each way).

    with Link(("127.0.0.1", 6443), LinkProfile.parse("100mbit:25ms")) as link:
        kubeconfig = link.kubeconfig(original_kubeconfig, directory)

TLS goes through untouched (the relay sees bytes): the client checks the server's
certificate as it would without the relay, since the relay listens on 127.0.0.1 too.
"""

from __future__ import annotations

import contextlib
import queue
import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

_UNITS = {"kbit": 1e3, "mbit": 1e6, "gbit": 1e9}
CHUNK = 16 * 1024  # bytes sent at a time: the pacing's grain (1.3 ms at 100 Mbit/s)


@dataclass(frozen=True)
class LinkProfile:
    bits_per_second: float
    one_way_delay: float  # seconds

    @classmethod
    def parse(cls, spec: str) -> LinkProfile:
        """``100mbit:25ms`` (bandwidth of each direction : delay each way)."""
        m = re.fullmatch(r"\s*([0-9.]+)\s*(kbit|mbit|gbit)\s*:\s*([0-9.]+)\s*ms\s*", spec.lower())
        if not m:
            raise ValueError(f"link profile {spec!r}: expected e.g. 100mbit:25ms")
        return cls(float(m.group(1)) * _UNITS[m.group(2)], float(m.group(3)) / 1000)

    def __str__(self) -> str:
        return f"{self.bits_per_second / 1e6:g} Mbit/s, {self.one_way_delay * 1000:g} ms each way"


class _Pacer:
    """One direction of the link: its bytes leave no faster than the bandwidth, whatever
    connection they belong to (they share the link)."""

    def __init__(self, bytes_per_second: float):
        self.rate = bytes_per_second
        self.free_at = 0.0
        self.lock = threading.Lock()

    def slot(self, size: int) -> float:
        """The monotonic time at which ``size`` more bytes may leave."""
        with self.lock:
            start = max(time.monotonic(), self.free_at)
            self.free_at = start + size / self.rate
            return start


class Link:
    def __init__(self, target: tuple[str, int], profile: LinkProfile):
        self.target = target
        self.profile = profile
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._up = _Pacer(profile.bits_per_second / 8)
        self._down = _Pacer(profile.bits_per_second / 8)
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        with self._lock:
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.close()

    @classmethod
    def to_cluster_of(cls, kubeconfig: str | Path, profile: LinkProfile) -> Link:
        """A link to the API server of ``kubeconfig``'s current cluster."""
        server = urlsplit(_current_cluster(yaml.safe_load(Path(kubeconfig).read_text()))["server"])
        return cls((server.hostname or "127.0.0.1", server.port or 443), profile)

    def kubeconfig(self, original: str | Path, directory: Path) -> Path:
        """A copy of ``original`` whose current cluster is reached through this link."""
        config = yaml.safe_load(Path(original).read_text())
        cluster = _current_cluster(config)
        cluster["server"] = f"{urlsplit(cluster['server']).scheme}://127.0.0.1:{self.port}"
        path = directory / f"link-{self.port}.kubeconfig"
        path.write_text(yaml.safe_dump(config))
        return path

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets += [client, upstream]
            # The kernel completed the client's TCP handshake on loopback: its first bytes
            # wait the round trip a real handshake would have cost.
            handshake = 2 * self.profile.one_way_delay
            for src, dst, pacer, first in (
                (client, upstream, self._up, handshake),
                (upstream, client, self._down, 0.0),
            ):
                # Bounded: a sender faster than the link is held back, as TCP's window does
                # (64 chunks, 1 MiB, about the bandwidth-delay product of the default link).
                pending: queue.Queue[tuple[float, bytes] | None] = queue.Queue(maxsize=64)
                threading.Thread(
                    target=self._read, args=(src, pending, pacer, first), daemon=True
                ).start()
                threading.Thread(target=self._write, args=(dst, pending), daemon=True).start()

    def _read(self, src: socket.socket, pending: queue.Queue, pacer: _Pacer, first: float) -> None:
        """Stamp each chunk with the time it arrives at the far end: put on the link when
        the link is free, all of it sent at the bandwidth, then one delay on the way."""
        try:
            while data := src.recv(CHUNK):
                sent = pacer.slot(len(data)) + len(data) / pacer.rate
                pending.put((sent + self.profile.one_way_delay + first, data))
                first = 0.0
        except OSError:
            pass
        pending.put(None)

    @staticmethod
    def _write(dst: socket.socket, pending: queue.Queue) -> None:
        try:
            while (item := pending.get()) is not None:
                arrives, data = item
                wait = arrives - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)


def _current_cluster(config: dict) -> dict:
    context = next(c for c in config["contexts"] if c["name"] == config["current-context"])
    name = context["context"]["cluster"]
    return next(c["cluster"] for c in config["clusters"] if c["name"] == name)
