"""Logs of a pod, of an index (its latest attempt) or of all pods of a Job, interleaved with
a prefix. Follow on/off, previous container, container choice, search, wrap, timestamps.

Each pod streams in its own thread worker through ``kube.logs.stream``; lines are handed
to the UI in batches (at most ten a second per pod), kept in a ring buffer of
:data:`RING` lines and shown literally (control sequences stripped, never markup).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import RichLog, Static
from textual.worker import get_current_worker

from kubectl_batch.domain.jobs import pod_completion_index
from kubectl_batch.kube.errors import describe
from kubectl_batch.tui.keymap import bindings
from kubectl_batch.tui.text import clean
from kubectl_batch.tui.widgets.footer import KeyFooter
from kubectl_batch.tui.widgets.scope_bar import ScopeBar
from kubectl_batch.tui.widgets.text import show_text

if TYPE_CHECKING:
    from kubectl_batch.tui.ports import HostApp

Obj = dict[str, Any]
#: Lines kept (and shown) at most.
RING = 10_000
#: Lines asked for when a stream starts.
TAIL = 1_000
#: Pods streamed at once for "all pods of a job" (the newest).
MAX_PODS = 12
BATCH_SECONDS = 0.1
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _created(pod: Obj) -> str:
    return _meta(pod).get("creationTimestamp") or ""


@dataclass(frozen=True)
class LogSource:
    namespace: str
    pod: str
    containers: tuple[str, ...]
    prefix: str = ""
    running: bool = True


def _source(pod: Obj, prefix: str = "") -> LogSource:
    spec = pod.get("spec") or {}
    names = tuple(c.get("name", "") for c in spec.get("containers") or ()) + tuple(
        c.get("name", "") for c in spec.get("initContainers") or ()
    )
    phase = (pod.get("status") or {}).get("phase")
    return LogSource(
        _meta(pod).get("namespace", ""),
        _meta(pod).get("name", ""),
        names,
        prefix,
        running=phase not in ("Succeeded", "Failed"),
    )


@dataclass(frozen=True)
class LogTarget:
    title: str
    sources: tuple[LogSource, ...]

    @classmethod
    def for_pod(cls, pod: Obj) -> LogTarget:
        return cls(f"pod {_meta(pod).get('name', '')}", (_source(pod),))

    @classmethod
    def for_index(cls, job: Obj, index: int, pods: Sequence[Obj]) -> LogTarget | None:
        mine = [p for p in pods if pod_completion_index(p) == index]
        if not mine:
            return None
        latest = max(mine, key=_created)
        name = _meta(job).get("name", "")
        return cls(
            f"index {index} of job {name} ({_meta(latest).get('name', '')})", (_source(latest),)
        )

    @classmethod
    def for_job(cls, job: Obj, pods: Sequence[Obj]) -> LogTarget | None:
        if not pods:
            return None
        newest = sorted(pods, key=_created, reverse=True)[:MAX_PODS]
        if len(newest) == 1:
            return cls(f"job {_meta(job).get('name', '')}", (_source(newest[0]),))
        sources = []
        for p in sorted(newest, key=_created):
            ix = pod_completion_index(p)
            prefix = f"[{ix}] " if ix is not None else f"[{_meta(p).get('name', '')[-5:]}] "
            sources.append(_source(p, prefix))
        more = f", newest {MAX_PODS} of {len(pods)} pods" if len(pods) > MAX_PODS else ""
        return cls(f"job {_meta(job).get('name', '')} (all pods{more})", tuple(sources))


@dataclass(frozen=True)
class Line:
    time: datetime | None
    prefix: str
    text: str


class LogEnded(Message):
    def __init__(self, generation: int, source: int, error: str | None) -> None:
        super().__init__()
        self.generation, self.source, self.error = generation, source, error


class LogsScreen(Screen):
    BINDINGS = bindings(
        "back", "follow", "previous", "container", "search", "next-match", "wrap", "timestamps"
    )

    app: HostApp

    def __init__(self, target: LogTarget) -> None:
        super().__init__(classes="logs")
        self.target = target
        self.follow = True
        self.previous = False
        self.wrap = False
        self.timestamps = False
        self.container: str | None = None
        self.needle = ""
        self.buffer: deque[Line] = deque(maxlen=RING)
        self._generation = 0
        self._handles: dict[int, Any] = {}
        self._handles_lock = threading.Lock()
        self._ended: dict[int, str | None] = {}
        self._match = -1
        self._inbox: list[tuple[int, int, Line]] = []
        self._inbox_lock = threading.Lock()
        self._started: set[int] = set()

    # -- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield ScopeBar()
        yield RichLog(
            id="log", max_lines=RING, wrap=False, markup=False, highlight=False, auto_scroll=True
        )
        yield Static("", id="log-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ScopeBar).show(scope=self.app.scope, extra=f"logs of {self.target.title}")
        self.query_one(RichLog).focus()
        self.set_interval(BATCH_SECONDS, self._drain)
        self._start(since=None)

    def on_unmount(self) -> None:
        self._stop()

    # -- streaming ------------------------------------------------------------------------
    def _start(self, since: datetime | None) -> None:
        self._generation += 1
        self._ended.clear()
        self._started.clear()
        for i, source in enumerate(self.target.sources):
            self.run_worker(
                lambda i=i, source=source, g=self._generation: self._stream(g, i, source, since),
                thread=True,
                group="logs",
                exit_on_error=False,
            )
        self._status()

    def _stop(self) -> None:
        self._generation += 1
        with self._handles_lock:
            handles, self._handles = list(self._handles.values()), {}
        for handle in handles:
            with contextlib.suppress(Exception):  # it is closing anyway
                # shutdown() unblocks the reader thread at once; close() would wait for it
                # (it takes the TLS socket's lock the blocked read holds).
                handle.shutdown() if hasattr(handle, "shutdown") else handle.close()

    def _stream(
        self, generation: int, index: int, source: LogSource, since: datetime | None
    ) -> None:
        worker = get_current_worker()
        kube, client = self.app.kube, self.app.client

        def opened(handle: Any) -> None:
            with self._handles_lock:
                self._handles[index] = handle
            if generation != self._generation:
                with contextlib.suppress(Exception):
                    handle.shutdown() if hasattr(handle, "shutdown") else handle.close()

        def live() -> bool:
            return not worker.is_cancelled and generation == self._generation

        container = self.container if self.container in source.containers else None
        last = since
        error = None
        follow = self.follow and not self.previous
        while live():
            try:
                for entry in kube.logs.stream(
                    client,
                    source.namespace,
                    source.pod,
                    container=container,
                    follow=follow,
                    previous=self.previous,
                    tail_lines=None if last is not None else TAIL,
                    since_time=last,
                    on_open=opened,
                ):
                    if not live():
                        return
                    if since is not None and entry.time is not None and entry.time <= since:
                        continue  # resumed: already shown
                    self._deliver(
                        generation, index, Line(entry.time, source.prefix, clean(entry.text))
                    )
                    if entry.time is not None:
                        last = entry.time
            except Exception as exc:  # noqa: BLE001 - shown on the status line
                error = describe(exc)
            if error or not follow or not live():
                break
            # The stream ended while following: the container ended, or a quiet read timed
            # out. Resume from the last line's time (a finished container ends it at once).
            since = last
            time.sleep(1.0)
            if not source.running:
                break
        if live():
            self.post_message(LogEnded(generation, index, error))

    def _deliver(self, generation: int, source: int, line: Line) -> None:
        """From a reader thread: queue a line for the UI (bounded: the oldest are dropped)."""
        with self._inbox_lock:
            self._inbox.append((generation, source, line))
            if len(self._inbox) > 2 * RING:
                del self._inbox[:RING]

    def _drain(self) -> None:
        """Ten times a second: put the queued lines on screen, in one batch per pod."""
        with self._inbox_lock:
            items, self._inbox = self._inbox, []
        if not items:
            return
        log = self.query_one(RichLog)
        by_source: dict[int, list[Line]] = {}
        for generation, source, line in items:
            if generation == self._generation:
                by_source.setdefault(source, []).append(line)
        for source, lines in by_source.items():
            first = source not in self._started
            self._started.add(source)
            if first and self.buffer and len(self.target.sources) > 1:
                # Another pod's tail arrived: interleave by time and redraw once.
                merged = sorted([*self.buffer, *lines], key=lambda ln: ln.time or _EPOCH)
                self.buffer.clear()
                self.buffer.extend(merged)
                self._redraw()
            else:
                self.buffer.extend(lines)
                for line in lines[-self.buffer.maxlen :] if self.buffer.maxlen else lines:
                    log.write(self._line_text(line))
        self._status()

    def on_log_ended(self, message: LogEnded) -> None:
        if message.generation != self._generation:
            return
        self._ended[message.source] = message.error
        if message.error:
            pod = self.target.sources[message.source].pod
            self.app.notify(f"{pod}: {message.error}", title="Logs", severity="error", markup=False)
        self._status()

    # -- drawing --------------------------------------------------------------------------
    def _line_text(self, line: Line) -> Text:
        text = Text(no_wrap=not self.wrap, end="")
        if line.prefix:
            text.append(line.prefix, "cyan")
        if self.timestamps and line.time is not None:
            text.append(line.time.strftime("%Y-%m-%dT%H:%M:%S.%fZ "), "dim")
        body = Text(line.text)
        if self.needle:
            body.highlight_words([self.needle], "black on yellow", case_sensitive=False)
        text.append_text(body)
        return text

    def _redraw(self) -> None:
        log = self.query_one(RichLog)
        log.wrap = self.wrap
        log.clear()
        for line in self.buffer:
            log.write(self._line_text(line))

    def _status(self) -> None:
        if not self.is_mounted:
            return
        done = len(self._ended) == len(self.target.sources)
        if self.previous:
            state = Text("previous container", "magenta")
        elif self.follow and not done:
            state = Text("● following", "green")
        elif self.follow:
            state = Text("■ ended", "dim")
        else:
            state = Text("‖ paused", "yellow")
        text = Text(end="")
        text.append_text(state)
        text.append(f"  {len(self.buffer):,} lines", "dim")
        if len(self.buffer) == RING:
            text.append(f" (last {RING:,} kept)", "dim")
        containers = self.target.sources[0].containers
        text.append(f"  container {self.container or (containers[0] if containers else '?')}")
        text.append(f"  wrap {'on' if self.wrap else 'off'}", "dim")
        if self.needle:
            count = sum(1 for ln in self.buffer if self.needle.lower() in ln.text.lower())
            text.append(f"  search {clean(self.needle)!r}: {count} match(es)", "yellow")
        errors = [e for e in self._ended.values() if e]
        if errors:
            text.append("  " + errors[-1], "red")
        show_text(self.query_one("#log-status", Static), text)

    # -- keys -----------------------------------------------------------------------------
    def action_follow(self) -> None:
        if self.previous:
            self.app.notify("a previous container's log is complete: nothing to follow")
            return
        self.follow = not self.follow
        log = self.query_one(RichLog)
        log.auto_scroll = self.follow
        if self.follow:
            last = next((ln.time for ln in reversed(self.buffer) if ln.time), None)
            self._start(since=last)
            log.scroll_end(animate=False)
        else:
            self._stop()
            self._status()

    def _restart(self) -> None:
        self._stop()
        self.buffer.clear()
        self.query_one(RichLog).clear()
        self._start(since=None)

    def action_previous(self) -> None:
        self.previous = not self.previous
        self._restart()

    def action_container(self) -> None:
        from kubectl_batch.tui.screens.modals import ChoiceScreen

        names = self.target.sources[0].containers
        if len(names) < 2:
            self.app.notify(f"the pod has one container: {names[0] if names else '?'}")
            return

        def chosen(name: str | None) -> None:
            if name and name != self.container:
                self.container = name
                self._restart()

        self.app.push_screen(
            ChoiceScreen("Container", [(n, n) for n in names], self.container or names[0]),
            chosen,
        )

    def action_search(self) -> None:
        from kubectl_batch.tui.screens.modals import PromptScreen

        def done(value: str | None) -> None:
            if value is None:
                return
            self.needle = value
            self._match = -1
            self._redraw()
            self._status()
            if value:
                self.action_next_match()

        self.app.push_screen(PromptScreen("Search", self.needle, "text (empty: none)"), done)

    def action_next_match(self) -> None:
        if not self.needle:
            return
        needle = self.needle.lower()
        lines = list(self.buffer)
        for step in range(1, len(lines) + 1):
            i = (self._match + step) % len(lines)
            if needle in lines[i].text.lower():
                self._match = i
                log = self.query_one(RichLog)
                log.auto_scroll = False
                log.scroll_to(y=i, animate=False)
                return
        self.app.notify(f"no line contains {self.needle!r}", markup=False)

    def action_wrap(self) -> None:
        self.wrap = not self.wrap
        self._redraw()
        self._status()

    def action_timestamps(self) -> None:
        self.timestamps = not self.timestamps
        self._redraw()
