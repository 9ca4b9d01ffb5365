"""The resources we read, where they live in the API, and how much of each we keep."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kubectl_batch.domain.jobs import CONTROLLER_UID_LABEL
from kubectl_batch.kube.client import ApiClient

Obj = dict[str, Any]

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


# The cache holds what the lists, the details and the domain rules read; the YAML view and
# every action GET the whole object. Pods and Jobs are most of the memory at 10,000 Jobs, so
# they are projected onto the fields read, and their repeated small strings (phases,
# reasons, timestamps, container names) are interned: one copy shared by every pod.
_POD_CONDITIONS = frozenset({"Ready", "DisruptionTarget"})
# Kept only while not True (domain/diagnosis.py: unschedulable, init containers): most pods
# have them True, and they would cost every pod two more dicts.
_POD_CONDITIONS_UNLESS_TRUE = frozenset({"PodScheduled", "Initialized"})
_CONDITION = ("type", "status", "reason", "message", "lastProbeTime", "lastTransitionTime")
_intern = sys.intern


def _interned(value: Any) -> Any:
    return _intern(value) if type(value) is str and len(value) <= 64 else value


def _pick(src: Obj | None, keys: tuple[str, ...]) -> Obj:
    if not src:
        return {}
    # _interned, inline: this runs for every field kept of every pod of a LIST.
    return {
        k: _intern(v) if type(v) is str and len(v) <= 64 else v
        for k in keys
        if (v := src.get(k)) is not None
    }


_TERMINATED = ("exitCode", "signal", "reason", "message", "startedAt", "finishedAt")
_STATE_KEYS = {
    "terminated": _TERMINATED,
    "running": ("startedAt",),
    "waiting": ("reason", "message"),
}


def _container_state(state: Obj | None) -> Obj:
    if not state:
        return {}
    return {k: _pick(v, _STATE_KEYS[k]) for k, v in state.items() if k in _STATE_KEYS}


def _container_status(c: Obj) -> Obj:
    out = _pick(c, ("name", "restartCount", "ready"))
    out["state"] = _container_state(c.get("state"))
    if out["state"].get("waiting"):
        out["image"] = _interned(c.get("image"))  # which image does not pull
    out["lastState"] = _container_state(c.get("lastState"))
    return out


def _pod_status(status: Obj) -> Obj:
    out = _pick(status, ("phase", "reason", "message", "startTime"))
    conditions = [
        _pick(c, _CONDITION)
        for c in status.get("conditions") or ()
        if c.get("type") in _POD_CONDITIONS
        or (c.get("type") in _POD_CONDITIONS_UNLESS_TRUE and c.get("status") != "True")
    ]
    if conditions:
        out["conditions"] = conditions
    for key in ("containerStatuses", "initContainerStatuses"):
        if status.get(key):
            out[key] = [_container_status(c) for c in status[key]]
    return out


def _pod_meta(meta: Obj) -> Obj:
    out = _pick(
        meta,
        (
            "name", "namespace", "uid", "resourceVersion", "creationTimestamp",
            "deletionTimestamp", "deletionGracePeriodSeconds",
        ),
    )  # fmt: skip
    for key in ("labels", "annotations"):
        if meta.get(key):
            out[key] = {_intern(k): _interned(v) for k, v in meta[key].items()}
    annotations = out.get("annotations")
    if annotations:
        annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    if meta.get("ownerReferences"):
        out["ownerReferences"] = [
            _pick(r, ("apiVersion", "kind", "name", "uid", "controller"))
            for r in meta["ownerReferences"]
        ]
    if meta.get("finalizers"):
        out["finalizers"] = [_intern(f) for f in meta["finalizers"]]
    return out


def slim_pod(pod: Obj) -> Obj:
    """A pod as the batch views read it: identity, index, phase, container outcomes."""
    spec = pod.get("spec") or {}
    return {
        "metadata": _pod_meta(pod.get("metadata") or {}),
        "spec": {
            "nodeName": _interned(spec.get("nodeName")),
            "restartPolicy": _interned(spec.get("restartPolicy")),
            "containers": [_pick(c, ("name",)) for c in spec.get("containers") or ()],
            # restartPolicy Always marks a sidecar: it finishes last (domain/backoff.py).
            "initContainers": [
                _pick(c, ("name", "restartPolicy")) for c in spec.get("initContainers") or ()
            ],
            "terminationGracePeriodSeconds": spec.get("terminationGracePeriodSeconds"),
            # What "no node matches nodeSelector k=v" names (domain/diagnosis.py).
            **({"nodeSelector": spec["nodeSelector"]} if spec.get("nodeSelector") else {}),
        },
        "status": _pod_status(pod.get("status") or {}),
    }


def _slim_job_spec(spec: Obj) -> Obj:
    """A Job spec whose pod template keeps only its restartPolicy and container names."""
    if not spec.get("template"):
        return spec
    pod_spec = spec["template"].get("spec") or {}
    return {
        **spec,
        "template": {
            "spec": {
                "restartPolicy": pod_spec.get("restartPolicy"),
                "containers": [_pick(c, ("name",)) for c in pod_spec.get("containers") or ()],
            }
        },
    }


def slim_job(job: Obj) -> Obj:
    """A Job without its pod template's spec (the pods' own specs say what ran; rerun and
    retry GET the Job) and without managed fields."""
    job = slim_object(job)
    spec = job.get("spec")
    if spec and spec.get("template"):
        job["spec"] = _slim_job_spec(spec)
    status = job.get("status")
    if status and status.get("conditions"):
        job["status"] = {
            **status,
            "conditions": [_pick(c, _CONDITION) for c in status["conditions"]],
        }
    return job


def slim_cronjob(cronjob: Obj) -> Obj:
    """A CronJob whose jobTemplate is projected as a Job's is (trigger GETs the CronJob):
    no pod spec, so no environment values or commands are kept (or recorded)."""
    cronjob = slim_object(cronjob)
    spec = cronjob.get("spec")
    template = (spec or {}).get("jobTemplate")
    if spec and template and template.get("spec"):
        cronjob["spec"] = {
            **spec,
            "jobTemplate": {**template, "spec": _slim_job_spec(template["spec"])},
        }
    return cronjob


_MANAGED_FIELDS = b',"managedFields":['
_METADATA_END = b']},"spec":{'


def drop_managed_fields(raw: bytes) -> bytes:
    """A LIST page of objects with a ``spec`` as JSON, less every ``managedFields``, before
    it is decoded: they are a third of a pod's bytes and most of its small objects (about
    60 % of the time to decode and free a page of pods).

    The API server writes ObjectMeta's fields in the Go struct's order, which ends with
    managedFields, and an object's ``spec`` follows its metadata. So the managed fields of
    an object run from ``,"managedFields":[`` to the first ``]},"spec":{`` after it: that
    sequence cannot occur inside them (their keys all start with ``f:``, ``k:``, ``v:``,
    ``i:`` or ``.``, and a quote inside a JSON string is always escaped). Where the
    sequence is not found the rest is left as it is, and the decoded objects are slimmed
    anyway."""
    find = raw.find
    start = find(_MANAGED_FIELDS)
    if start < 0:
        return raw
    parts, pos = [], 0
    while start >= 0:
        end = find(_METADATA_END, start)
        if end < 0:
            break
        parts.append(raw[pos:start])
        pos = end + 1  # keep "]" out, "}" in: the metadata object closes there
        start = find(_MANAGED_FIELDS, pos)
    parts.append(raw[pos:])
    return b"".join(parts)


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
    #: Items per LIST page (kubectl's chunk size).
    page_size: int = 500
    #: Applied to each raw LIST page before it is decoded.
    prepare: Callable[[bytes], bytes] | None = None
    #: Listed once the others have been (it feeds only the detail screens): the first
    #: table then has the CPU to itself.
    after_the_tables: bool = False

    def path(self, namespace: str | None, name: str | None = None) -> str:
        base = self.api_prefix + (f"/namespaces/{namespace}" if namespace else "")
        return f"{base}/{self.plural}" + (f"/{name}" if name else "")

    def selector(self, user_selector: str | None) -> str | None:
        parts = [self.base_selector, user_selector if self.takes_user_selector else None]
        return ",".join(p for p in parts if p) or None


JOBS = Resource("Job", "jobs", "/apis/batch/v1", slim=slim_job, prepare=drop_managed_fields)
CRONJOBS = Resource(
    "CronJob", "cronjobs", "/apis/batch/v1", slim=slim_cronjob, prepare=drop_managed_fields
)
PODS = Resource(
    "Pod",
    "pods",
    "/api/v1",
    slim=slim_pod,
    prepare=drop_managed_fields,
    base_selector=CONTROLLER_UID_LABEL,  # every Job's pods (the API server sets it)
    takes_user_selector=False,
    # kubectl's 500 too: each page costs a round trip, and through a 25 ms link 92 pages of
    # 250 kept the first complete table of 10,000 Jobs waiting 3 s longer; peak RSS did
    # not grow (freed pages go back to the system: commands/malloc.py).
)
EVENTS = Resource(
    "Event",
    "events",
    "/api/v1",
    takes_user_selector=False,
    keep=lambda e: (e.get("involvedObject") or {}).get("kind") in EVENT_KINDS,
    after_the_tables=True,
)
ALL = (JOBS, CRONJOBS, PODS, EVENTS)
BY_KIND = {r.kind: r for r in ALL}


def read_whole(client: ApiClient, kind: str, namespace: str, name: str) -> Obj:
    """One object as the server has it now, whole but for managed fields (what kubectl
    get -o yaml shows): the cache keeps only the parts the views read."""
    return slim_object(client.get(BY_KIND[kind].path(namespace, name)))


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
            if _gc_was_enabled and gc.get_freeze_count():
                # A LIST again (a re-list after 410 Gone, a new scope): collect what is
                # garbage now, or the freeze at the end would keep it for good. Only what
                # was made since the last freeze is walked.
                gc.collect()
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


def list_pages(
    client: ApiClient,
    resource: Resource,
    namespace: str | None,
    selector: str | None = None,
    page_size: int | None = None,
) -> Iterator[tuple[list[Obj], str]]:
    """One paginated LIST, page by page as it arrives: (the page's kept, slimmed items,
    resourceVersion so far; the last page's is the list's). The next page is already
    being asked for while the caller works on this one."""
    version = ""
    params = {"labelSelector": resource.selector(selector)}
    with bulk_decoding():
        for page in client.list_pages(
            resource.path(namespace),
            params,
            limit=page_size or resource.page_size,
            prepare=resource.prepare,
        ):
            keep = resource.keep
            items = [resource.slim(i) for i in page.get("items") or () if keep is None or keep(i)]
            version = (page.get("metadata") or {}).get("resourceVersion", version)
            yield items, version


def list_all(
    client: ApiClient,
    resource: Resource,
    namespace: str | None,
    selector: str | None = None,
    page_size: int | None = None,
) -> tuple[list[Obj], str]:
    """One paginated LIST: (slimmed items, resourceVersion of the list)."""
    items: list[Obj] = []
    version = ""
    for page, version_so_far in list_pages(client, resource, namespace, selector, page_size):
        items += page
        version = version_so_far
    return items, version
