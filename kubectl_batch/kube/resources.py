"""The resources we read, where they live in the API, and how much of each we keep."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kubectl_batch.kube.client import ApiClient

Obj = dict[str, Any]

# Every Job's pods carry this label (set by the API server since 1.27).
JOB_POD_SELECTOR = "batch.kubernetes.io/controller-uid"
EVENT_KINDS = frozenset({"Job", "CronJob", "Pod"})


def _slim_meta(meta: Obj) -> Obj:
    meta = dict(meta)
    meta.pop("managedFields", None)
    annotations = meta.get("annotations")
    if annotations and "kubectl.kubernetes.io/last-applied-configuration" in annotations:
        annotations = dict(annotations)
        del annotations["kubectl.kubernetes.io/last-applied-configuration"]
        meta["annotations"] = annotations
    return meta


def slim_object(obj: Obj) -> Obj:
    """Drop what no screen shows and what costs the most memory: managed fields and the
    last-applied copy of the object."""
    obj = dict(obj)
    obj["metadata"] = _slim_meta(obj.get("metadata") or {})
    return obj


def slim_pod(pod: Obj) -> Obj:
    """A pod as the batch views need it: identity, index, phase, container outcomes."""
    spec = pod.get("spec") or {}
    return {
        "metadata": _slim_meta(pod.get("metadata") or {}),
        "spec": {
            "nodeName": spec.get("nodeName"),
            "restartPolicy": spec.get("restartPolicy"),
            "containers": [{"name": c.get("name")} for c in spec.get("containers") or []],
            "initContainers": [{"name": c.get("name")} for c in spec.get("initContainers") or []],
            "terminationGracePeriodSeconds": spec.get("terminationGracePeriodSeconds"),
        },
        "status": pod.get("status") or {},
    }


@dataclass(frozen=True)
class Resource:
    """One listable, watchable resource type."""

    kind: str
    plural: str
    api_prefix: str  # "/api/v1" or "/apis/batch/v1"
    slim: Callable[[Obj], Obj] = slim_object
    # Fixed label selector combined with the user's (pods: only those of Jobs).
    base_selector: str | None = None
    # The user's -l selects Jobs and CronJobs, not their pods or events.
    takes_user_selector: bool = True
    keep: Callable[[Obj], bool] | None = None

    def path(self, namespace: str | None, name: str | None = None) -> str:
        base = self.api_prefix + (f"/namespaces/{namespace}" if namespace else "")
        return f"{base}/{self.plural}" + (f"/{name}" if name else "")

    def selector(self, user_selector: str | None) -> str | None:
        parts = [self.base_selector, user_selector if self.takes_user_selector else None]
        return ",".join(p for p in parts if p) or None


JOBS = Resource("Job", "jobs", "/apis/batch/v1")
CRONJOBS = Resource("CronJob", "cronjobs", "/apis/batch/v1")
PODS = Resource(
    "Pod",
    "pods",
    "/api/v1",
    slim=slim_pod,
    base_selector=JOB_POD_SELECTOR,
    takes_user_selector=False,
)
EVENTS = Resource(
    "Event",
    "events",
    "/api/v1",
    takes_user_selector=False,
    keep=lambda e: (e.get("involvedObject") or {}).get("kind") in EVENT_KINDS,
)
ALL = (JOBS, CRONJOBS, PODS, EVENTS)


_gc_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = False


@contextmanager
def bulk_decoding() -> Iterator[None]:
    """Pause the cyclic garbage collector while big LISTs are decoded (any thread).

    Decoding 20,000 pods makes millions of dicts; meanwhile the collector would walk the
    growing heap again and again (it tripled the time of such a LIST). The decoded objects
    are plain JSON, free of cycles (reference counting frees them), so when the last
    decoding ends they are moved out of the collector's sight (gc.freeze) instead of being
    walked by every later full collection, and the collector is enabled again."""
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        if _gc_holders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_was_enabled:
                gc.freeze()
                gc.enable()


def list_all(
    client: ApiClient,
    resource: Resource,
    namespace: str | None,
    selector: str | None = None,
    page_size: int = 500,
) -> tuple[list[Obj], str]:
    """One paginated LIST: (slimmed items, resourceVersion of the list)."""
    items: list[Obj] = []
    version = ""
    params = {"labelSelector": resource.selector(selector)}
    with bulk_decoding():
        for page in client.list_pages(resource.path(namespace), params, limit=page_size):
            for item in page.get("items") or []:
                if resource.keep is None or resource.keep(item):
                    items.append(resource.slim(item))
            version = (page.get("metadata") or {}).get("resourceVersion", version)
    return items, version
