"""Recordings: what the cache saw of a cluster, with the time each piece arrived.

A recording is one gzip file of JSON lines. The first line is the header::

    {"format": "kubectl-batch-recording", "version": 1, "started": "2026-...Z",
     "context": "...", "namespace": "etl" | null, "selector": "..." | null}

then one line per thing the cache was given, ``t`` seconds after ``started``:

    {"t": 0.21, "op": "LIST", "kind": "Job", "items": [...]}          # a (re-)list
    {"t": 3.5, "op": "ADDED"|"MODIFIED"|"DELETED", "kind": "Pod", "object": {...}}
    {"t": 0.2, "op": "STATE", "kind": "Event", "phase": "forbidden", "message": "..."}
    {"t": 9.1, "op": "LOG", "namespace": "etl", "pod": "p", "container": "main",
     "lines": [["2026-...Z", "text"], ...]}                             # what GET .../log returned
    {"t": 600.0, "op": "END"}

Objects are the cache's projections (kube/resources.py): no pod spec but container names,
so no environment values, command lines or mounted data. A file without its END line (the
recorder was killed), cut short or not JSON is refused with one sentence.
"""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from queue import Queue
from typing import Any

from kubectl_batch.domain.timeutil import UTC, parse_time
from kubectl_batch.kube import logs
from kubectl_batch.kube.cache import ClusterCache, Phase
from kubectl_batch.kube.client import ApiClient
from kubectl_batch.kube.resources import ALL, PODS, Obj, Resource

FORMAT = "kubectl-batch-recording"
VERSION = 1
#: A pod's logs are captured when it is first seen running, when it ends, and when the
#: recording stops (if it is still there).
_CAPTURE_PHASES = ("Running", "Succeeded", "Failed")


class RecordingError(ValueError):
    """The file is not a whole recording (one sentence, with the file's name)."""


@dataclass(frozen=True)
class Entry:
    t: float
    op: str
    kind: str = ""
    data: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class LogCapture:
    at: datetime
    namespace: str
    pod: str
    container: str
    lines: tuple[logs.LogLine, ...]


@dataclass
class Recording:
    path: str
    started: datetime
    ended: datetime
    context: str
    namespace: str | None
    selector: str | None
    entries: list[Entry]

    def at(self, t: float) -> datetime:
        return self.started + timedelta(seconds=t)

    def log_captures(self) -> list[LogCapture]:
        out = []
        for e in self.entries:
            if e.op == "LOG":
                lines = tuple(
                    logs.LogLine(parse_time(stamp) if stamp else None, text)
                    for stamp, text in e.data.get("lines") or ()
                )
                out.append(
                    LogCapture(
                        self.at(e.t),
                        e.data["namespace"],
                        e.data["pod"],
                        e.data["container"],
                        lines,
                    )
                )
        return out


# -- writing ---------------------------------------------------------------------------------
class RecordingWriter:
    """Appends entries to a recording from any thread; ``close`` writes END."""

    def __init__(
        self,
        path: str | Path,
        *,
        context: str,
        namespace: str | None,
        selector: str | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.path, self.clock = str(path), clock
        self.started = clock()
        self._lock = threading.Lock()
        # mtime=0: the same recording gives the same bytes.
        self._out = gzip.GzipFile(self.path, "wb", compresslevel=9, mtime=0)
        self.count = 0
        self._write(
            {
                "format": FORMAT,
                "version": VERSION,
                "started": _precise(self.started),
                "context": context,
                "namespace": namespace,
                "selector": selector,
            }
        )

    def _write(self, line: dict[str, Any]) -> None:
        data = json.dumps(line, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        with self._lock:
            self._out.write(data)

    def now(self) -> float:
        return round((self.clock() - self.started).total_seconds(), 3)

    def entry(self, op: str, kind: str = "", **data: Any) -> None:
        self._write({"t": self.now(), "op": op, **({"kind": kind} if kind else {}), **data})
        self.count += 1

    def close(self) -> None:
        self._write({"t": self.now(), "op": "END"})
        self._out.close()


class RecordingCache(ClusterCache):
    """A :class:`ClusterCache` that writes down everything its reflectors give it."""

    def __init__(
        self,
        writer: RecordingWriter,
        client: ApiClient,
        namespace: str | None,
        selector: str | None = None,
        resources: Iterable[Resource] = ALL,
    ) -> None:
        self.writer = writer
        #: Held while an arrival is stamped, written and applied: whoever holds it sees the
        #: cache exactly as the recording has it up to now.
        self.lock = threading.RLock()
        super().__init__(client, namespace, selector, resources, clock=writer.clock)

    def _set_state(self, kind: str, phase: Phase, message: str = "") -> None:
        with self.lock:
            self.writer.entry("STATE", kind, phase=phase.value, message=message)
            super()._set_state(kind, phase, message)

    def _replace(self, kind: str, items: list[Obj]) -> None:
        with self.lock:
            self.writer.entry("LIST", kind, items=items)
            super()._replace(kind, items)

    def _apply(self, kind: str, event_type: str, obj: Obj) -> None:
        with self.lock:
            self.writer.entry(event_type, kind, object=obj)
            super()._apply(kind, event_type, obj)


class LogRecorder(threading.Thread):
    """Captures what the log stream returns for each pod of the cache (its containers and
    init containers), on its own thread: when a pod is first seen running, when it ends,
    and for those still running at the end (:meth:`finish`)."""

    def __init__(self, writer: RecordingWriter, client: ApiClient, cache: ClusterCache) -> None:
        super().__init__(name="record-logs", daemon=True)
        self.writer, self.client, self.cache = writer, client, cache
        self._queue: Queue[Obj | None] = Queue()
        self._seen: set[tuple[str, str]] = set()
        cache.on_change = self._changed

    def _changed(self, kind: str, event_type: str, obj: Obj) -> None:
        if kind != PODS.kind or event_type == "DELETED":
            return
        phase = (obj.get("status") or {}).get("phase", "")
        uid = (obj.get("metadata") or {}).get("uid", "")
        if phase in _CAPTURE_PHASES and (uid, phase) not in self._seen:
            self._seen.add((uid, phase))
            self._queue.put(obj)

    def run(self) -> None:
        while True:
            pod = self._queue.get()
            if pod is None:
                return
            self._capture(pod)

    def _capture(self, pod: Obj) -> None:
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        names = [c.get("name", "") for c in (spec.get("initContainers") or [])]
        names += [c.get("name", "") for c in (spec.get("containers") or [])]
        for container in filter(None, names):
            try:
                lines = list(
                    logs.stream(self.client, meta["namespace"], meta["name"], container=container)
                )
            except Exception:  # noqa: BLE001 - no log (yet, or any more): nothing to record
                continue
            self.writer.entry(
                "LOG",
                namespace=meta["namespace"],
                pod=meta["name"],
                container=container,
                lines=[[_precise(ln.time) if ln.time else None, ln.text] for ln in lines],
            )

    def finish(self) -> None:
        """Capture the pods still running, then stop (waits for the queue to drain)."""
        for job in self.cache.jobs():
            for pod in self.cache.pods_of((job.get("metadata") or {}).get("uid", "")):
                if (pod.get("status") or {}).get("phase") == "Running":
                    self._queue.put(pod)
        self._queue.put(None)
        self.join()


def _precise(when: datetime) -> str:
    """RFC 3339 to the microsecond (metav1.Time's whole seconds would move the replay)."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


# -- reading ---------------------------------------------------------------------------------
def read(path: str | Path) -> Recording:
    """The whole recording, or RecordingError saying what is wrong with the file."""
    name = str(path)
    try:
        with gzip.open(name, "rb") as f:
            return _parse(name, _lines(f))
    except RecordingError:
        raise
    except FileNotFoundError:
        raise RecordingError(f"{name}: no such recording") from None
    except IsADirectoryError:
        raise RecordingError(f"{name}: is a directory, not a recording") from None
    except PermissionError:
        raise RecordingError(f"{name}: permission denied") from None
    except (EOFError, zlib.error) as exc:
        raise RecordingError(f"{name}: the recording is cut short ({exc})") from None
    except gzip.BadGzipFile as exc:
        if "Not a gzipped file" in str(exc):
            raise RecordingError(f"{name}: not a recording (not a gzip file)") from None
        raise RecordingError(f"{name}: the recording is damaged ({exc})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise RecordingError(f"{name}: not a valid recording ({exc})") from None


def _lines(f: Iterable[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, raw in enumerate(f, 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            raise ValueError(f"line {number} is not JSON") from None
        if not isinstance(line, dict):
            raise ValueError(f"line {number} is not a JSON object")
        yield number, line


def _parse(name: str, lines: Iterator[tuple[int, dict[str, Any]]]) -> Recording:
    first = next(lines, None)
    if first is None:
        raise RecordingError(f"{name}: the recording is empty")
    header = first[1]
    if header.get("format") != FORMAT:
        raise RecordingError(f"{name}: not a kubectl-batch recording")
    if header.get("version") != VERSION:
        raise RecordingError(
            f"{name}: a recording of format version {header.get('version')}; "
            f"this kubectl-batch reads version {VERSION}"
        )
    started = parse_time(header["started"])
    if started is None:
        raise ValueError("no start time")
    entries: list[Entry] = []
    end: float | None = None
    for number, line in lines:
        op, t = line.get("op"), line.get("t")
        if not isinstance(op, str) or not isinstance(t, (int, float)):
            raise ValueError(f"line {number} has no op and time")
        if end is not None:
            raise ValueError(f"line {number} follows the END line")
        if op == "END":
            end = float(t)
            continue
        data = {k: v for k, v in line.items() if k not in ("t", "op", "kind")}
        entries.append(Entry(float(t), op, line.get("kind", ""), data))
    if end is None:
        raise RecordingError(
            f"{name}: the recording is cut short (no END line: the recorder was stopped "
            "before it closed the file)"
        )
    entries.sort(key=lambda e: e.t)  # written by several threads: nearly sorted already
    return Recording(
        path=name,
        started=started,
        ended=started + timedelta(seconds=end),
        context=str(header.get("context") or ""),
        namespace=header.get("namespace"),
        selector=header.get("selector"),
        entries=entries,
    )
