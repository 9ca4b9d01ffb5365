"""A live, thread-safe copy of the cluster's batch objects: list once, then watch.

One reflector thread per resource lists (paginated), then watches from the list's
resourceVersion with bookmarks and a bounded timeout, forever. It re-lists only when the
server says the version is too old (410 Gone); a dropped connection or a restarting API
server means reconnecting with capped backoff from the last version seen. Every re-list
replaces that resource's objects, so what was deleted meanwhile disappears. A 403 on one
resource marks only that resource forbidden; the others keep working.

Consumers read snapshots (`jobs()`, `pods_of(uid)` ...) from any thread and learn of
changes through `on_change` (called on the reflector thread: hand it on, do not block) or
by waiting on `wait_changed`.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from kubectl_batch.domain.jobs import CONTROLLER_UID_LABEL, LEGACY_CONTROLLER_UID_LABEL
from kubectl_batch.kube.client import ApiClient, ApiError, Unreachable
from kubectl_batch.kube.config import ConfigError
from kubectl_batch.kube.resources import ALL, PODS, Obj, Resource, list_all

#: Events kept about one object, the newest (a CronJob firing every minute gets three a
#: minute, kept by the API server for an hour).
MAX_EVENTS_PER_OBJECT = 50
#: Deleted objects remembered, so that their late Events are not kept (the API server keeps
#: Events for an hour after their object is gone; the views never show them).
REMEMBER_GONE = 10_000
#: Seconds after start when resources listed "after the tables" start regardless.
LATER_AT_THE_LATEST = 15.0


class Phase(str, Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class WatchState:
    kind: str
    phase: Phase
    since: datetime
    message: str = ""


ChangeListener = Callable[[str, str, Obj], None]  # (kind, "ADDED"|"MODIFIED"|"DELETED", obj)


class ReconnectDelay:
    """How long a watch waits before it reconnects: capped exponential backoff with
    jitter, 0.5 s, 1 s, 2 s ... 30 s. (Not :class:`~kubectl_batch.domain.backoff.Backoff`,
    the Job controller's delay after pod failures.)"""

    def __init__(self, first: float = 0.5, cap: float = 30.0):
        self.first, self.cap, self.attempt = first, cap, 0

    def next_delay(self) -> float:
        delay = min(self.cap, self.first * 2**self.attempt)
        self.attempt += 1
        return delay * random.uniform(0.8, 1.0)

    def reset(self) -> None:
        self.attempt = 0


class _Gone(Exception):
    """The resourceVersion we watch from is too old: re-list."""


class _Reflector(threading.Thread):
    def __init__(self, cache: ClusterCache, resource: Resource):
        super().__init__(name=f"watch-{resource.plural}", daemon=True)
        self.cache, self.resource = cache, resource
        self.stopping = threading.Event()
        self._response = None
        self.version = ""

    def stop(self) -> None:
        self.stopping.set()
        response = self._response
        if response is not None:
            # Closing a dead socket may fail; we are leaving anyway.
            with contextlib.suppress(Exception):
                response.shutdown() if hasattr(response, "shutdown") else response.close()

    def _sleep(self, seconds: float) -> None:
        self.stopping.wait(seconds)

    def run(self) -> None:
        backoff = ReconnectDelay()
        need_list = True
        while not self.stopping.is_set():
            try:
                if need_list:
                    self._list()
                    need_list = False
                    backoff.reset()
                self._watch(backoff)
            except _Gone:
                need_list = True
            except ApiError as exc:
                if exc.forbidden:
                    self.cache._set_state(self.resource.kind, Phase.FORBIDDEN, exc.message)
                    need_list = True
                    self._sleep(30.0)  # permissions may be granted later
                    continue
                if exc.gone:
                    need_list = True
                    continue
                self.cache._set_state(self.resource.kind, Phase.RECONNECTING, exc.message)
                self._sleep(backoff.next_delay())
            except (Unreachable, ConfigError, ValueError, OSError) as exc:
                # ConfigError: getting credentials failed (a login given up, a plugin
                # failing); the plugin runs again after the backoff.
                if self.stopping.is_set():
                    return
                self.cache._set_state(self.resource.kind, Phase.RECONNECTING, str(exc))
                self._sleep(backoff.next_delay())

    def _list(self) -> None:
        items, self.version = list_all(
            self.cache.client, self.resource, self.cache.namespace, self.cache.selector
        )
        self.cache._replace(self.resource.kind, items)
        self.cache._set_state(self.resource.kind, Phase.CONNECTED)

    def _watch(self, backoff: ReconnectDelay) -> None:
        params = {
            "labelSelector": self.resource.selector(self.cache.selector),
            "resourceVersion": self.version,
        }

        def opened(response: Any) -> None:
            self._response = response
            self.cache._set_state(self.resource.kind, Phase.CONNECTED)
            backoff.reset()

        # Spread the watches' restarts so they do not all reconnect at once.
        timeout = random.randint(240, 360)
        for event in self.cache.client.watch(
            self.resource.path(self.cache.namespace), params, timeout, on_open=opened
        ):
            if self.stopping.is_set():
                return
            kind, obj = event.get("type") or "", event.get("object") or {}
            if kind == "ERROR":
                if obj.get("code") == 410:
                    raise _Gone
                raise ApiError(obj.get("code", 500), obj.get("reason", ""), obj.get("message", ""))
            self.version = (obj.get("metadata") or {}).get("resourceVersion", self.version)
            if kind == "BOOKMARK":
                continue
            if self.resource.keep is not None and not self.resource.keep(obj):
                continue
            self.cache._apply(self.resource.kind, kind, self.resource.slim(obj))
        self._response = None
        # A watch that ends normally (server timeout) is simply renewed.


class ClusterCache:
    """Jobs, CronJobs, the pods of Jobs and their Events in one scope, kept current."""

    def __init__(
        self,
        client: ApiClient,
        namespace: str | None,
        selector: str | None = None,
        resources: Iterable[Resource] = ALL,
        on_change: ChangeListener | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        later_waits_for_screen: bool = False,
    ):
        self.client, self.namespace, self.selector = client, namespace, selector
        # With a screen, the resources listed "after the tables" wait until those tables
        # are on it (tables_shown): the first screen then has the CPU to itself.
        self._later_waits_for_screen = later_waits_for_screen
        self._shown_version = -1
        self.resources = tuple(resources)
        self.on_change = on_change
        self.clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._version = 0
        self._objects: dict[str, dict[str, Obj]] = {r.kind: {} for r in self.resources}
        self._pods_by_job: dict[str, dict[str, Obj]] = {}
        # Per Job: the cache version of the last change to its pods (cheap row signatures).
        self._pods_changed: dict[str, int] = {}
        self._events_by_uid: dict[str, dict[str, Obj]] = {}
        # Per Job: the cache version of the last Warning Event about it or one of its pods
        # (what domain/diagnosis.py reads: FailedScheduling, FailedCreate, FailedMount).
        self._warnings_changed: dict[str, int] = {}
        # uids of deleted Jobs, CronJobs and pods, oldest first (a dict keeps the order).
        self._gone: dict[str, None] = {}
        self._states: dict[str, WatchState] = {
            r.kind: WatchState(r.kind, Phase.CONNECTING, clock()) for r in self.resources
        }
        self._reflectors = [self._feeder(r) for r in self.resources]

    def _feeder(self, resource: Resource) -> _Reflector:
        """The thread that keeps ``resource`` current through ``_replace``, ``_apply`` and
        ``_set_state``: a reflector on the API server (a replay gives its own)."""
        return _Reflector(self, resource)

    # -- life ------------------------------------------------------------------------
    def start(self) -> ClusterCache:
        later = [r for r in self._reflectors if r.resource.after_the_tables]
        for reflector in self._reflectors:
            if reflector not in later:
                reflector.start()
        if later:
            threading.Thread(
                target=self._start_later, args=(later,), name="cache-later", daemon=True
            ).start()
        return self

    def _tables_listed(self) -> tuple[int, int]:
        """(listed, all) of the kinds the tables are built from, those not listed "after
        the tables" (call with the lock held)."""
        kinds = [r.kind for r in self.resources if not r.after_the_tables]
        listed = sum(self._states[k].phase is not Phase.CONNECTING for k in kinds)
        return listed, len(kinds)

    def _all_tables_listed(self) -> bool:
        listed, total = self._tables_listed()
        return listed == total

    def _start_later(self, reflectors: list[_Reflector]) -> None:
        deadline = time.monotonic() + LATER_AT_THE_LATEST
        with self._changed:
            self._changed.wait_for(self._all_tables_listed, deadline - time.monotonic())
            listed_at = self._version
            if self._later_waits_for_screen:
                self._changed.wait_for(
                    lambda: self._shown_version >= listed_at, deadline - time.monotonic()
                )
        for reflector in reflectors:
            if not reflector.stopping.is_set():
                reflector.start()

    def tables_shown(self, version: int) -> None:
        """The tables of cache version ``version`` are on screen, every row of them."""
        with self._changed:
            if version > self._shown_version:
                self._shown_version = version
                self._changed.notify_all()

    def stop(self) -> None:
        for reflector in self._reflectors:
            reflector.stop()

    def wait_synced(self, timeout: float = 30.0) -> bool:
        """True once every resource has been listed (or is forbidden)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while any(s.phase is Phase.CONNECTING for s in self._states.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def wait_rest_of_tables(self, timeout: float) -> bool:
        """Once some of the kinds the tables are built from are listed but not all, wait up
        to ``timeout`` for the rest. False, at once, while none is listed (ask again later);
        True once there is no more to wait for (waited, or all were listed)."""
        with self._changed:
            if self._tables_listed()[0] == 0:
                return False
            self._changed.wait_for(self._all_tables_listed, timeout)
            return True

    def wait_changed(self, seen_version: int, timeout: float) -> int:
        """Block until the cache changes after `seen_version` (or timeout); the new version."""
        with self._changed:
            if self._version == seen_version:
                self._changed.wait(timeout)
            return self._version

    # -- reads (any thread) ------------------------------------------------------------
    @property
    def version(self) -> int:
        return self._version

    @property
    def synced(self) -> bool:
        """Every resource has been listed once (or is forbidden, or was unreachable)."""
        with self._lock:
            return all(s.phase is not Phase.CONNECTING for s in self._states.values())

    def states(self) -> dict[str, WatchState]:
        with self._lock:
            return dict(self._states)

    def objects(self, kind: str) -> list[Obj]:
        with self._lock:
            return list(self._objects.get(kind, {}).values())

    def jobs(self) -> list[Obj]:
        return self.objects("Job")

    def cronjobs(self) -> list[Obj]:
        return self.objects("CronJob")

    def get(self, kind: str, uid: str) -> Obj | None:
        with self._lock:
            return self._objects.get(kind, {}).get(uid)

    def pods_of(self, job_uid: str) -> list[Obj]:
        with self._lock:
            return list(self._pods_by_job.get(job_uid, {}).values())

    def pods_revision(self, job_uid: str) -> int:
        """Changes whenever a pod of the Job is added, changed or removed."""
        return self._pods_changed.get(job_uid, 0)

    def warnings_revision(self, job_uid: str) -> int:
        """Changes whenever a Warning Event about the Job or one of its pods comes or goes."""
        return self._warnings_changed.get(job_uid, 0)

    def events_for(self, uid: str) -> list[Obj]:
        with self._lock:
            events = list(self._events_by_uid.get(uid, {}).values())
        return sorted(events, key=_event_time)

    # -- writes (reflector threads) -----------------------------------------------------
    def _set_state(self, kind: str, phase: Phase, message: str = "") -> None:
        with self._changed:
            current = self._states.get(kind)
            if current and current.phase is phase and current.message == message:
                return
            since = current.since if current and current.phase is phase else self.clock()
            self._states[kind] = WatchState(kind, phase, since, message)
            self._version += 1
            self._changed.notify_all()
        if self.on_change:
            self.on_change(kind, "STATE", {})

    def _replace(self, kind: str, items: list[Obj]) -> None:
        fresh = {_uid(o): o for o in items}
        # What changed is found before the lock is taken, so the UI thread's reads wait
        # for as little as can be (23,000 pods filed under it were a cursor key's 0.1 s
        # wait). Only for the kinds whose store no other thread writes: a deleted Job's
        # or pod's Events leave theirs from the Job and pod threads (_forget).
        changed = _changes(self._objects[kind], fresh) if kind != "Event" else None
        pods = _pods_by_job(o for _, o in changed) if changed and kind == PODS.kind else None
        with self._changed:
            if kind == "Event":
                fresh = {u: e for u, e in fresh.items() if _event_target(e) not in self._gone}
            old = self._objects[kind]
            if changed is None:
                changed = _changes(old, fresh)
            removed = [o for uid, o in old.items() if uid not in fresh]
            for obj in removed:
                self._unindex(kind, obj)
                self._forget(kind, obj)
            self._objects[kind] = fresh
            if pods is not None:
                self._file_pods(pods)
            else:
                for _, obj in changed:
                    self._index(kind, obj)
            self._version += 1
            self._changed.notify_all()
        if self.on_change:
            for obj in removed:
                self.on_change(kind, "DELETED", obj)
            for event_type, obj in changed:
                self.on_change(kind, event_type, obj)

    def _apply(self, kind: str, event_type: str, obj: Obj) -> None:
        uid = _uid(obj)
        with self._changed:
            store = self._objects[kind]
            old = store.get(uid)
            if old is not None:
                self._unindex(kind, old)
            if event_type == "DELETED":
                store.pop(uid, None)
                self._forget(kind, obj)
            elif kind == "Event" and _event_target(obj) in self._gone:
                store.pop(uid, None)  # about an object already deleted: never shown
            else:
                store[uid] = obj
                self._index(kind, obj)
            self._version += 1
            self._changed.notify_all()
        if self.on_change:
            self.on_change(kind, event_type, obj)

    def _index(self, kind: str, obj: Obj) -> None:
        if kind == PODS.kind:
            self._file_pods(_pods_by_job((obj,)))
        elif kind == "Event":
            target = _event_target(obj)
            if target:
                events = self._events_by_uid.setdefault(target, {})
                events[_uid(obj)] = obj
                if len(events) > MAX_EVENTS_PER_OBJECT:
                    # Out of the store too: an Event no view shows held its memory until
                    # the API server expired it, an hour later.
                    oldest = min(events.values(), key=_event_time)
                    del events[_uid(oldest)]
                    self._objects[kind].pop(_uid(oldest), None)
                    self._warning_changed(oldest, target)  # a Warning gone: diagnosis moves
                self._warning_changed(obj, target)

    def _file_pods(self, pods_by_job: dict[str, dict[str, Obj]]) -> None:
        revision = self._version + 1
        for job_uid, pods in pods_by_job.items():
            self._pods_by_job.setdefault(job_uid, {}).update(pods)
            self._pods_changed[job_uid] = revision

    def _unindex(self, kind: str, obj: Obj) -> None:
        if kind == PODS.kind:
            job_uid = _job_uid_of_pod(obj) or ""
            pods = self._pods_by_job.get(job_uid)
            if pods is not None:
                pods.pop(_uid(obj), None)
                self._pods_changed[job_uid] = self._version + 1
                if not pods:
                    del self._pods_by_job[job_uid]
                    # No pods: the revision goes back to 0, which differs from the one
                    # the rows last saw, and no entry outlives a deleted Job.
                    self._pods_changed.pop(job_uid, None)
        elif kind == "Event":
            target = _event_target(obj) or ""
            events = self._events_by_uid.get(target)
            if events is not None:
                events.pop(_uid(obj), None)
                if not events:
                    del self._events_by_uid[target]
            self._warning_changed(obj, target)

    def _warning_changed(self, event: Obj, target: str) -> None:
        if event.get("type") != "Warning":
            return
        job_uid: str | None = target if target in self._objects.get("Job", {}) else None
        if job_uid is None:
            pod = self._objects.get(PODS.kind, {}).get(target)
            job_uid = _job_uid_of_pod(pod) if pod is not None else None
        if job_uid:
            self._warnings_changed[job_uid] = self._version + 1

    def _forget(self, kind: str, obj: Obj) -> None:
        """A Job, CronJob or pod was deleted: drop its Events, now and when late ones come."""
        if kind == "Event":
            return
        uid = _uid(obj)
        self._warnings_changed.pop(uid, None)
        events = self._events_by_uid.pop(uid, None)
        if events:
            store = self._objects.get("Event", {})
            for event_uid in events:
                store.pop(event_uid, None)
        self._gone[uid] = None
        if len(self._gone) > REMEMBER_GONE:
            del self._gone[next(iter(self._gone))]


def _event_target(event: Obj) -> str | None:
    return (event.get("involvedObject") or {}).get("uid")


def _uid(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    return meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}"


def _rv(obj: Obj) -> str:
    return (obj.get("metadata") or {}).get("resourceVersion", "")


def _job_uid_of_pod(pod: Obj) -> str | None:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return labels.get(CONTROLLER_UID_LABEL) or labels.get(LEGACY_CONTROLLER_UID_LABEL)


def _changes(old: dict[str, Obj], fresh: dict[str, Obj]) -> list[tuple[str, Obj]]:
    """The objects a LIST added or changed, as watch events would have told them."""
    return [
        ("ADDED" if uid not in old else "MODIFIED", o)
        for uid, o in fresh.items()
        if old.get(uid) is None or _rv(old[uid]) != _rv(o)
    ]


def _pods_by_job(pods: Iterable[Obj]) -> dict[str, dict[str, Obj]]:
    """Pods by the uid of their Job (what :meth:`ClusterCache._index` files one by one)."""
    out: dict[str, dict[str, Obj]] = {}
    for pod in pods:
        job_uid = _job_uid_of_pod(pod)
        if job_uid:
            out.setdefault(job_uid, {})[_uid(pod)] = pod
    return out


def _event_time(event: Obj) -> str:
    return (
        event.get("lastTimestamp")
        or event.get("eventTime")
        or (event.get("metadata") or {}).get("creationTimestamp")
        or ""
    )
