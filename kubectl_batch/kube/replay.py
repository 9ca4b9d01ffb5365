"""Replaying a recording (kube/recording.py) instead of talking to an API server.

:class:`ReplayCache` is the ordinary :class:`~kubectl_batch.kube.cache.ClusterCache` whose
reflectors are replaced by feeders that hand it the recorded LISTs, watch events and watch
states, through the same ``_replace`` / ``_apply`` / ``_set_state`` the reflectors call,
each when the replay's clock reaches the moment it arrived. The screens cannot tell.

:class:`ReplayClock` is the recording's time: from ``--start`` (default its beginning), at
``--speed``, standing still at its end. :class:`ReplayKube` stands in for the TUI's
:class:`~kubectl_batch.tui.services.Kube`: the YAML view shows the recorded projection,
logs are what the log stream returned when recorded, and every permission but reading logs
is refused with :data:`REASON`, so the screens show their actions disabled.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, cast

from kubectl_batch.domain.labels import label_matcher
from kubectl_batch.kube.cache import ClusterCache, Phase, _Reflector, _uid
from kubectl_batch.kube.client import ApiClient, ApiError
from kubectl_batch.kube.logs import LogLine
from kubectl_batch.kube.recording import Entry, LogCapture, Recording
from kubectl_batch.kube.resources import ALL, BY_KIND, Obj, Resource

#: Why every action is disabled while replaying.
REASON = "replaying a recording"
_EVENT_OPS = ("ADDED", "MODIFIED", "DELETED")


class ReplayClock:
    """Now, in the recording: ``origin`` plus the time since the replay began, times
    ``speed``; it stops at ``end``."""

    def __init__(
        self,
        origin: datetime,
        end: datetime,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.origin, self.end, self.speed = origin, end, speed
        self._monotonic = monotonic
        self._began = monotonic()

    def __call__(self) -> datetime:
        elapsed = (self._monotonic() - self._began) * self.speed
        return min(self.end, self.origin + timedelta(seconds=elapsed))

    def seconds_until(self, when: datetime) -> float:
        """Real seconds until the clock shows ``when`` (0 if past)."""
        return max(0.0, (when - self()).total_seconds() / self.speed)

    def wait_until(self, when: datetime, cancel: threading.Event) -> bool:
        """Block until the clock shows ``when``; False if ``cancel`` was set first."""
        while not cancel.is_set():
            wait = self.seconds_until(when)
            if wait <= 0:
                return True
            cancel.wait(min(wait, 60.0))  # (a very slow replay: beyond what wait takes)
        return False


def _fold(entries: list[Entry]) -> tuple[dict[str, Obj] | None, Entry | None]:
    """The objects after ``entries`` (None: never listed) and the last watch state."""
    objects: dict[str, Obj] | None = None
    state = None
    for e in entries:
        if e.op == "LIST":
            objects = {_uid(o): o for o in e.data["items"]}
        elif e.op == "STATE":
            state = e
        elif e.op in _EVENT_OPS and objects is not None:
            obj = e.data["object"]
            if e.op == "DELETED":
                objects.pop(_uid(obj), None)
            else:
                objects[_uid(obj)] = obj
    return objects, state


class Replay:
    """An opened recording: its entries by kind, its logs and its clock."""

    def __init__(
        self, recording: Recording, speed: float = 1.0, start: datetime | None = None
    ) -> None:
        if not speed > 0:
            raise ValueError(f"invalid --speed {speed}: it must be more than 0")
        origin = recording.started if start is None else start
        if not recording.started <= origin <= recording.ended:
            raise ValueError(
                f"--start {origin.isoformat()} is outside the recording "
                f"({recording.started.isoformat()} to {recording.ended.isoformat()})"
            )
        self.recording = recording
        self.clock = ReplayClock(origin, recording.ended, speed)
        self.by_kind: dict[str, list[Entry]] = {}
        for e in recording.entries:
            if e.kind in BY_KIND and e.op != "LOG":
                self.by_kind.setdefault(e.kind, []).append(e)
        self._times = {k: [e.t for e in v] for k, v in self.by_kind.items()}
        self.logs: dict[tuple[str, str], list[LogCapture]] = {}
        self.first_container: dict[tuple[str, str], str] = {}
        for capture in recording.log_captures():
            self.logs.setdefault((capture.namespace, capture.pod), []).append(capture)
            self.first_container.setdefault((capture.namespace, capture.pod), capture.container)
        self.kube = ReplayKube(self)

    def elapsed(self) -> float:
        """Seconds of the recording replayed so far (where its entries' ``t`` are)."""
        return (self.clock() - self.recording.started).total_seconds()

    def entries_until(self, kind: str, t: float) -> tuple[list[Entry], list[Entry]]:
        """``kind``'s entries up to ``t``, and those after."""
        entries = self.by_kind.get(kind, [])
        cut = bisect.bisect_right(self._times.get(kind, []), t)
        return entries[:cut], entries[cut:]

    def open_cache(self, namespace: str | None, selector: str | None) -> ReplayCache:
        cache = ReplayCache(self, namespace, selector)
        cache.start()
        return cache

    def namespaces(self) -> list[str]:
        seen = {
            (o.get("metadata") or {}).get("namespace", "")
            for entries in self.by_kind.values()
            for e in entries
            for o in (e.data.get("items") or [e.data.get("object") or {}])
        }
        return sorted(n for n in seen if n)

    def object_now(self, kind: str, namespace: str, name: str) -> Obj | None:
        objects, _ = _fold(self.entries_until(kind, self.elapsed())[0])
        for obj in (objects or {}).values():
            meta = obj.get("metadata") or {}
            if meta.get("namespace") == namespace and meta.get("name") == name:
                return obj
        return None


class ReplayCache(ClusterCache):
    """A ClusterCache fed from a recording (of the scope's namespace and selector)."""

    def __init__(self, replay: Replay, namespace: str | None, selector: str | None) -> None:
        self.replay = replay
        recorded = replay.recording
        self.selector_error = ""
        match: Callable[[Any], bool] = lambda labels: True  # noqa: E731
        if selector and selector != recorded.selector:
            try:
                match = label_matcher(selector)
            except ValueError as exc:
                self.selector_error = f"invalid label selector: {exc}"
        self._match = match
        super().__init__(
            cast(ApiClient, None), namespace, selector, resources=ALL, clock=replay.clock
        )

    def keeps(self, resource: Resource, obj: Obj) -> bool:
        """Is ``obj`` in this cache's scope (a recording of more than it is replayed)?"""
        meta = obj.get("metadata") or {}
        if self.namespace is not None and meta.get("namespace") != self.namespace:
            return False
        return not resource.takes_user_selector or self._match(meta.get("labels") or {})

    def _feeder(self, resource: Resource) -> _Reflector:
        return _ReplayFeeder(self, resource)


class _ReplayFeeder(_Reflector):
    """Hands one resource's recorded entries to the cache as the replay clock reaches them."""

    cache: ReplayCache

    def run(self) -> None:
        cache, kind = self.cache, self.resource.kind
        if cache.selector_error:
            cache._set_state(kind, Phase.RECONNECTING, cache.selector_error)
            return
        replay = cache.replay
        past, future = replay.entries_until(kind, replay.elapsed())
        # Where the recording is now, in one LIST (a --start in its middle, a new scope).
        objects, state = _fold(past)
        if objects is not None:
            self._give(Entry(0.0, "LIST", kind, {"items": list(objects.values())}))
            self._give(state or Entry(0.0, "STATE", kind, {"phase": Phase.CONNECTED.value}))
        elif state is not None:
            self._give(state)
        for entry in future:
            if not replay.clock.wait_until(replay.recording.at(entry.t), self.stopping):
                return
            self._give(entry)

    def _give(self, entry: Entry) -> None:
        cache, resource = self.cache, self.resource
        if entry.op == "LIST":
            cache._replace(
                resource.kind, [o for o in entry.data["items"] if cache.keeps(resource, o)]
            )
        elif entry.op == "STATE":
            phase = Phase(entry.data.get("phase", Phase.CONNECTED.value))
            cache._set_state(resource.kind, phase, entry.data.get("message", ""))
        elif entry.op in _EVENT_OPS:
            obj = entry.data["object"]
            # Out of scope now (its labels changed): gone, as a watch with a selector says.
            op = entry.op if cache.keeps(resource, obj) else "DELETED"
            cache._apply(resource.kind, op, obj)


# -- what the TUI asks of "the cluster" -----------------------------------------------------
class _Refused(ApiError):
    def __init__(self) -> None:
        super().__init__(403, "Forbidden", f"{REASON}: nothing can be changed")


class ReplayActions:
    """kube.actions while replaying: only reading logs is allowed; the rest says why not."""

    def can_i(
        self,
        client: Any,
        verb: str,
        resource: str,
        group: str = "",
        namespace: str | None = None,
        subresource: str = "",
    ) -> tuple[bool, str]:
        if (verb, resource, subresource) == ("get", "pods", "log"):
            return True, ""
        return False, REASON

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise _Refused()

        return refuse


class _Handle:
    """What ``on_open`` gets: closing it ends a followed replayed log."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def close(self) -> None:
        self.closed.set()

    shutdown = close


class ReplayLogs:
    """kube.logs while replaying: what the log stream returned when it was recorded (the
    latest capture the replay clock has reached; following yields the later ones' new
    lines as the clock reaches them)."""

    def __init__(self, replay: Replay) -> None:
        self.replay = replay

    def stream(
        self,
        client: Any,
        namespace: str,
        pod: str,
        *,
        container: str | None = None,
        follow: bool = False,
        previous: bool = False,
        tail_lines: int | None = None,
        since_time: datetime | None = None,
        on_open: Callable[[Any], None] | None = None,
    ) -> Iterator[LogLine]:
        replay = self.replay
        name = container or replay.first_container.get((namespace, pod), "")
        if previous:
            raise ApiError(
                400,
                "BadRequest",
                f'previous terminated container "{name}" in pod "{pod}" not found',
            )
        handle = _Handle()
        if on_open is not None:
            on_open(handle)
        captures = [c for c in replay.logs.get((namespace, pod), []) if c.container == name]
        now = replay.clock()
        reached = [c for c in captures if c.at <= now]
        shown: tuple[LogLine, ...] = reached[-1].lines if reached else ()
        lines = [
            ln for ln in shown if since_time is None or ln.time is None or ln.time > since_time
        ]
        if tail_lines is not None:
            lines = lines[-tail_lines:] if tail_lines else []
        yield from lines
        if not follow:
            return
        for capture in captures[len(reached) :]:
            if not replay.clock.wait_until(capture.at, handle.closed):
                return
            yield from capture.lines[len(shown) :]
            shown = capture.lines


def _before(line: LogLine, since: datetime | None) -> bool:
    return since is not None and line.time is not None and line.time <= since


class ReplayKube:
    """The TUI's Kube, answered from the recording."""

    def __init__(self, replay: Replay) -> None:
        self.replay = replay
        self.actions = ReplayActions()
        self.logs = ReplayLogs(replay)

    def read(self, client: Any, kind: str, namespace: str, name: str) -> Obj:
        obj = self.replay.object_now(kind, namespace, name)
        if obj is None:
            raise ApiError(404, "NotFound", f'{kind.lower()}s "{name}" not found')
        return obj

    def namespaces(self, client: Any) -> list[str]:
        return self.replay.namespaces()
