"""A paginated LIST asks for each page while the one before is still arriving (over a slow
link the round trips overlap instead of adding up), never runs more than PAGES_AHEAD pages
ahead of its reader, and yields every item once, in order."""

from __future__ import annotations

import json
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from kubectl_batch.kube.client import PAGES_AHEAD, ApiClient, ApiError
from kubectl_batch.kube.config import ClusterConfig

ITEMS_PER_PAGE = 500  # pages of tens of KB: many chunks, as a real page


class PageServer(ThreadingHTTPServer):
    """Pages "p0", "p1", ... of a LIST of pods, gzipped when asked. With `hold`, each page's
    head (its metadata, with the next continue token) is sent first and the rest only
    once the next page has been asked for (or after a timeout): `asked_early` says which
    pages were asked for while the one before was still arriving."""

    daemon_threads = True

    def __init__(self, pages: int, hold: bool = False, gone_at: int | None = None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages, self.hold, self.gone_at = pages, hold, gone_at
        self.asked: list[int] = []
        self.asked_early: dict[int, bool] = {}
        self.arrived = {k: threading.Event() for k in range(pages)}
        self.lock = threading.Lock()

    def handle_error(self, request, client_address):
        pass  # a reader that stopped early closed its page's connection: expected

    def page(self, k: int) -> tuple[bytes, bytes]:
        """(head, rest) of page k's JSON."""
        more = f',"continue":"p{k + 1}"' if k + 1 < self.pages else ""
        head = f'{{"kind":"PodList","metadata":{{"resourceVersion":"77"{more}}},"items":['
        items = [
            {"metadata": {"name": f"pod-{k}-{i}", "namespace": "default"}}
            for i in range(ITEMS_PER_PAGE)
        ]
        return head.encode(), (",".join(map(json.dumps, items)) + "]}").encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: PageServer

    def log_message(self, *args):
        pass

    def do_GET(self):
        token = parse_qs(urlsplit(self.path).query).get("continue", ["p0"])[0]
        k = int(token[1:])
        server = self.server
        with server.lock:
            server.asked.append(k)
        server.arrived[k].set()
        if k == server.gone_at:
            body = json.dumps({"kind": "Status", "reason": "Expired", "code": 410}).encode()
            self.send_response(410)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        head, rest = server.page(k)
        gzipped = "gzip" in (self.headers.get("Accept-Encoding") or "")
        if gzipped:  # the head flushed on its own, as the API server's encoder streams
            packer = zlib.compressobj(wbits=31)
            head = packer.compress(head) + packer.flush(zlib.Z_SYNC_FLUSH)
            rest = packer.compress(rest) + packer.flush()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")  # as the API server answers a LIST
        self.end_headers()
        self._chunk(head)
        self.wfile.flush()
        if server.hold and k + 1 < server.pages:
            server.asked_early[k + 1] = server.arrived[k + 1].wait(2.0)
        for at in range(0, len(rest), 1000):
            self._chunk(rest[at : at + 1000])
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))


@pytest.fixture
def serve():
    servers: list[PageServer] = []

    def start(pages: int, **kwargs) -> tuple[PageServer, ApiClient]:
        server = PageServer(pages, **kwargs)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        config = ClusterConfig(
            context="pages",
            server=f"http://127.0.0.1:{server.server_address[1]}",
            namespace="default",
            namespace_explicit=False,
        )
        return server, ApiClient(config)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _names(pages) -> list[str]:
    return [item["metadata"]["name"] for page in pages for item in page["items"]]


def _every_name(pages: int) -> list[str]:
    return [f"pod-{k}-{i}" for k in range(pages) for i in range(ITEMS_PER_PAGE)]


def test_each_page_is_asked_for_while_the_one_before_is_still_arriving(serve):
    server, client = serve(5, hold=True)
    started = time.monotonic()
    pages = list(client.list_pages("/api/v1/pods", limit=ITEMS_PER_PAGE))
    assert _names(pages) == _every_name(5)
    assert [p["metadata"].get("continue") for p in pages] == ["p1", "p2", "p3", "p4", None]
    assert server.asked_early == {1: True, 2: True, 3: True, 4: True}
    assert server.asked == [0, 1, 2, 3, 4]
    assert time.monotonic() - started < 2.0  # no page waited for its hold to time out


def test_a_slow_reader_has_at_most_pages_ahead_pages_asked_for_beyond_it(serve):
    server, client = serve(10)
    pages = client.list_pages("/api/v1/pods", limit=ITEMS_PER_PAGE)
    first = next(pages)
    time.sleep(0.5)  # the reader is busy with the first page
    assert len(server.asked) == 1 + PAGES_AHEAD
    assert _names([first, *pages]) == _every_name(10)
    assert server.asked == list(range(10))  # each page once


def test_a_reader_that_stops_early_stops_the_pages_asked_for_ahead(serve):
    server, client = serve(10)
    for _page in client.list_pages("/api/v1/pods", limit=ITEMS_PER_PAGE):
        break
    time.sleep(0.3)
    assert len(server.asked) <= 1 + PAGES_AHEAD


def test_an_expired_continue_token_ends_the_list_with_the_servers_error(serve):
    server, client = serve(6, gone_at=3)
    seen = []
    with pytest.raises(ApiError) as gone:
        for page in client.list_pages("/api/v1/pods", limit=ITEMS_PER_PAGE):
            seen.append(page)
    assert gone.value.status == 410
    assert _names(seen) == _every_name(3)
