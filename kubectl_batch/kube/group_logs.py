"""The logs of many pods at once, following the pods that start later: every pod of the
Jobs a filter picks, each streamed in its own thread (kube.logs.stream), its lines handed
to one callback with where they come from. Used by `kubectl batch logs` and the UI's group
logs; the pods come from a :class:`~kubectl_batch.kube.cache.ClusterCache` (anything with
``jobs()``, ``pods_of(uid)``, ``version`` and ``wait_changed``).

Which pods: :func:`kubectl_batch.domain.groups.log_pods` (every pod, or the latest attempt
of each index/Job). A pod is streamed once its container can have logs (it left Pending);
a followed stream that drops while its pod runs resumes from its last line's time.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubectl_batch.domain.groups import log_pods, log_prefix
from kubectl_batch.domain.jobs import is_job_finished, is_pod_terminal, pod_completion_index
from kubectl_batch.kube import logs
from kubectl_batch.kube.client import ApiClient, ApiError

Obj = dict[str, Any]
RESUME_DELAY = 1.0


def _meta(obj: Mapping[str, Any]) -> Any:
    return obj.get("metadata") or {}


@dataclass(frozen=True)
class PodRef:
    namespace: str
    name: str
    uid: str
    job: str
    index: int | None
    #: ``job/render[7]``: what each of its lines is prefixed with.
    prefix: str


@dataclass(frozen=True)
class LogOptions:
    follow: bool = False
    previous: bool = False
    container: str | None = None
    since_time: datetime | None = None
    tail_lines: int | None = None
    latest_only: bool = True
    #: Only the pods of this completion index.
    index: int | None = None
    #: Streams at once at most (0: no limit).
    max_streams: int = 0


def can_have_logs(pod: Obj) -> bool:
    """A container of the pod started (running or ended): its log can be read."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Running", "Succeeded", "Failed"):
        return True
    return any(
        (c.get("state") or {}).get("running") or (c.get("state") or {}).get("terminated")
        for c in status.get("containerStatuses") or ()
    )


def default_container(pod: Obj) -> str | None:
    """kubectl's default: the kubectl.kubernetes.io/default-container annotation, else the
    first container."""
    annotated = (_meta(pod).get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    names = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or ()]
    if annotated in names:
        return str(annotated)
    return str(names[0]) if names and len(names) > 1 else None  # one container: none needed


class LogFollower:
    """Streams the logs of the pods of the Jobs ``wants(job)`` picks, from ``cache``.

    ``emit(pod, line)`` and ``failed(pod, sentence)`` are called from reader threads.
    :meth:`run` blocks: without ``follow`` until every pod present at the start has been
    read; with it until :meth:`stop` (or, with ``until_finished``, until every picked Job
    has finished and its streams ended)."""

    def __init__(
        self,
        client: ApiClient,
        cache: Any,
        wants: Callable[[Obj], bool],
        options: LogOptions,
        emit: Callable[[PodRef, logs.LogLine], None],
        failed: Callable[[PodRef, str], None] | None = None,
        until_finished: bool = False,
    ) -> None:
        self.client, self.cache, self.wants, self.options = client, cache, wants, options
        self.emit, self.failed = emit, failed
        self.until_finished = until_finished
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._started: set[str] = set()  # pod uids
        self._running: dict[str, threading.Thread] = {}
        self._handles: dict[str, Any] = {}
        self._slots = threading.Semaphore(options.max_streams) if options.max_streams else None
        self.matched_jobs = 0

    # -- control ------------------------------------------------------------------------
    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            handles = list(self._handles.values())
        for handle in handles:
            with contextlib.suppress(Exception):  # closing anyway
                handle.shutdown() if hasattr(handle, "shutdown") else handle.close()

    @property
    def stopped(self) -> bool:
        return self._stopping.is_set()

    def run(self, cancelled: Callable[[], bool] | None = None) -> None:
        """``cancelled``: polled (about once a second); once it says so, :meth:`stop`."""
        seen = -1
        while not self._stopping.is_set():
            if cancelled is not None and cancelled():
                self.stop()
                break
            seen = self.cache.version
            jobs = self.scan()
            if not self.options.follow:
                break
            finished = jobs and all(is_job_finished(j) for j in jobs)
            if self.until_finished and finished and not self._busy():
                return
            self.cache.wait_changed(seen, 1.0)
        self.join(cancelled)

    def join(self, cancelled: Callable[[], bool] | None = None) -> None:
        while True:
            if cancelled is not None and cancelled() and not self._stopping.is_set():
                self.stop()
            with self._lock:
                threads = list(self._running.values())
            if not threads:
                return
            for thread in threads:
                thread.join(0.2)

    def _busy(self) -> bool:
        with self._lock:
            return bool(self._running)

    # -- pods ---------------------------------------------------------------------------
    def scan(self) -> list[Obj]:
        """Start a stream for each wanted pod not streamed yet; the picked Jobs."""
        jobs = [j for j in self.cache.jobs() if self.wants(j)]
        self.matched_jobs = len(jobs)
        for job in jobs:
            uid = _meta(job).get("uid", "")
            pods = [
                p
                for p in self.cache.pods_of(uid)
                if can_have_logs(p)
                and (self.options.index is None or pod_completion_index(p) == self.options.index)
            ]
            chosen = log_pods(pods, self.options.latest_only)
            several = len(chosen) > 1
            for pod in chosen:
                pod_uid = _meta(pod).get("uid", "")
                if pod_uid in self._started:
                    continue
                self._started.add(pod_uid)
                name = _meta(job).get("name", "")
                ref = PodRef(
                    _meta(pod).get("namespace", ""),
                    _meta(pod).get("name", ""),
                    pod_uid,
                    name,
                    pod_completion_index(pod),
                    log_prefix(name, pod, several),
                )
                thread = threading.Thread(
                    target=self._stream, args=(ref, pod), name=f"logs-{ref.name}", daemon=True
                )
                with self._lock:
                    self._running[pod_uid] = thread
                thread.start()
        return jobs

    def _pod_now(self, ref: PodRef) -> Obj | None:
        for job in self.cache.jobs():
            if _meta(job).get("name") == ref.job:
                for pod in self.cache.pods_of(_meta(job).get("uid", "")):
                    if _meta(pod).get("uid") == ref.uid:
                        return pod
        return None

    def _stream(self, ref: PodRef, pod: Obj) -> None:
        try:
            if self._slots is not None:
                while not self._slots.acquire(timeout=0.5):
                    if self._stopping.is_set():
                        return
            try:
                self._read(ref, pod)
            finally:
                if self._slots is not None:
                    self._slots.release()
        finally:
            with self._lock:
                self._running.pop(ref.uid, None)
                self._handles.pop(ref.uid, None)

    def _read(self, ref: PodRef, pod: Obj) -> None:
        o = self.options
        container = o.container or default_container(pod)
        follow = o.follow and not o.previous
        since, last = o.since_time, None

        def opened(handle: Any) -> None:
            with self._lock:
                self._handles[ref.uid] = handle
            if self._stopping.is_set():
                with contextlib.suppress(Exception):
                    handle.shutdown() if hasattr(handle, "shutdown") else handle.close()

        while not self._stopping.is_set():
            try:
                for entry in logs.stream(
                    self.client,
                    ref.namespace,
                    ref.name,
                    container=container,
                    follow=follow,
                    previous=o.previous,
                    tail_lines=o.tail_lines if last is None else None,
                    since_time=last or since,
                    on_open=opened,
                ):
                    if self._stopping.is_set():
                        return
                    if last is not None and entry.time is not None and entry.time <= last:
                        continue  # resumed: already shown
                    self.emit(ref, entry)
                    if entry.time is not None:
                        last = entry.time
            except ApiError as exc:
                if not (follow and exc.status == 400 and "waiting to start" in exc.message):
                    self._fail(ref, exc.message)
                    return
            except Exception as exc:  # noqa: BLE001 - told as one sentence per pod
                if self._stopping.is_set():
                    return
                self._fail(ref, str(exc))
                return
            if not follow or self._stopping.is_set():
                return
            now = self._pod_now(ref)
            if now is None or is_pod_terminal(now):
                return  # its container ended: the stream said everything
            # The stream ended while its pod runs (a dropped or timed-out read): resume.
            time.sleep(RESUME_DELAY)

    def _fail(self, ref: PodRef, sentence: str) -> None:
        if self.failed is not None and not self._stopping.is_set():
            self.failed(ref, sentence)
