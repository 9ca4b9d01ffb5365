"""Small builders for Job and Pod dicts shaped like the API server's JSON."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

UTC = timezone.utc
NOW = datetime(2026, 3, 9, 13, 0, 0, tzinfo=UTC)

_uids = itertools.count(1)


def ts(dt: datetime | None) -> str | None:
    """RFC 3339 as metav1.Time writes it."""
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(seconds: float = 0, minutes: float = 0, hours: float = 0, days: float = 0) -> datetime:
    return NOW - timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days)


def _uid() -> str:
    return f"00000000-0000-4000-8000-{next(_uids):012d}"


def condition(
    type_: str,
    status: str = "True",
    reason: str | None = None,
    message: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    c: dict[str, Any] = {
        "type": type_,
        "status": status,
        "lastProbeTime": ts(at or NOW),
        "lastTransitionTime": ts(at or NOW),
    }
    if reason is not None:
        c["reason"] = reason
    if message is not None:
        c["message"] = message
    return c


def job(
    name: str = "demo",
    namespace: str = "default",
    *,
    uid: str | None = None,
    created: datetime | None = None,
    completions: int | None = 1,
    parallelism: int | None = 1,
    indexed: bool = False,
    backoff_limit: int | None = 6,
    backoff_limit_per_index: int | None = None,
    max_failed_indexes: int | None = None,
    suspend: bool = False,
    pod_failure_policy: dict[str, Any] | None = None,
    pod_replacement_policy: str | None = None,
    start: datetime | None = None,
    completion: datetime | None = None,
    active: int | None = None,
    ready: int | None = 0,
    terminating: int | None = 0,
    succeeded: int | None = None,
    failed: int | None = None,
    completed_indexes: str | None = None,
    failed_indexes: str | None = None,
    conditions: list[dict[str, Any]] | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    owner_cronjob: str | None = None,
    deletion: datetime | None = None,
) -> dict[str, Any]:
    uid = uid or _uid()
    created = created or ago(minutes=5)
    meta: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": uid,
        "resourceVersion": "1234",
        "generation": 1,
        "creationTimestamp": ts(created),
        "labels": {
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": name,
            "controller-uid": uid,
            "job-name": name,
            **(labels or {}),
        },
    }
    if annotations:
        meta["annotations"] = dict(annotations)
    if owner_cronjob:
        meta["ownerReferences"] = [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": owner_cronjob,
                "uid": _uid(),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    if deletion is not None:
        meta["deletionTimestamp"] = ts(deletion)
        meta["deletionGracePeriodSeconds"] = 0
        meta["finalizers"] = ["foregroundDeletion"]
    spec: dict[str, Any] = {
        "backoffLimit": backoff_limit,
        "completionMode": "Indexed" if indexed else "NonIndexed",
        "suspend": suspend,
        "podReplacementPolicy": pod_replacement_policy
        or ("Failed" if pod_failure_policy else "TerminatingOrFailed"),
        "manualSelector": False,
        "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
        "template": {
            "metadata": {"labels": {"batch.kubernetes.io/job-name": name}},
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "main", "image": "busybox:1.36"}],
            },
        },
    }
    if completions is not None:
        spec["completions"] = completions
    if parallelism is not None:
        spec["parallelism"] = parallelism
    if backoff_limit_per_index is not None:
        spec["backoffLimitPerIndex"] = backoff_limit_per_index
    if max_failed_indexes is not None:
        spec["maxFailedIndexes"] = max_failed_indexes
    if pod_failure_policy is not None:
        spec["podFailurePolicy"] = pod_failure_policy
    status: dict[str, Any] = {}
    if start is not None:
        status["startTime"] = ts(start)
    if completion is not None:
        status["completionTime"] = ts(completion)
    for key, value in (
        ("active", active),
        ("ready", ready),
        ("terminating", terminating),
        ("succeeded", succeeded),
        ("failed", failed),
    ):
        if value is not None:
            status[key] = value
    if indexed:
        status["completedIndexes"] = completed_indexes or ""
    if failed_indexes is not None:
        status["failedIndexes"] = failed_indexes
    if conditions:
        status["conditions"] = conditions
    status["uncountedTerminatedPods"] = {}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": spec,
        "status": status,
    }


def container_status(
    name: str = "main",
    *,
    running_since: datetime | None = None,
    exit_code: int | None = None,
    started: datetime | None = None,
    finished: datetime | None = None,
    reason: str | None = None,
    waiting: str | None = None,
) -> dict[str, Any]:
    if exit_code is not None:
        state: dict[str, Any] = {
            "terminated": {
                "exitCode": exit_code,
                "reason": reason or ("Completed" if exit_code == 0 else "Error"),
                "startedAt": ts(started or (finished or NOW) - timedelta(seconds=5)),
                "finishedAt": ts(finished),
                "containerID": "containerd://abc",
            }
        }
    elif running_since is not None:
        state = {"running": {"startedAt": ts(running_since)}}
    else:
        state = {"waiting": {"reason": waiting or "ContainerCreating"}}
    return {
        "name": name,
        "state": state,
        "ready": running_since is not None,
        "restartCount": 0,
        "image": "busybox:1.36",
        "imageID": "",
        "started": running_since is not None,
    }


def pod(
    job_obj: dict[str, Any],
    *,
    name: str | None = None,
    index: int | None = None,
    phase: str = "Running",
    created: datetime | None = None,
    started: datetime | None = None,
    finished: datetime | None = None,
    exit_code: int | None = None,
    reason: str | None = None,
    pod_reason: str | None = None,
    failure_count: int | None = None,
    ignored_failure_count: int | None = None,
    finalizer: bool = True,
    deletion: datetime | None = None,
    grace: int | None = None,
    ready_false_at: datetime | None = None,
    containers: list[dict[str, Any]] | None = None,
    init_containers: list[dict[str, Any]] | None = None,
    init_statuses: list[dict[str, Any]] | None = None,
    node: str | None = "node-1",
) -> dict[str, Any]:
    """A pod of ``job_obj``. ``phase`` Succeeded/Failed with ``finished`` gives a terminated
    container; ``containers`` overrides the container statuses entirely."""
    jmeta = job_obj["metadata"]
    jname, juid = jmeta["name"], jmeta["uid"]
    created = created or ago(minutes=2)
    uid = _uid()
    name = name or (f"{jname}-{index}-{uid[-5:]}" if index is not None else f"{jname}-{uid[-5:]}")
    labels = {
        "batch.kubernetes.io/controller-uid": juid,
        "batch.kubernetes.io/job-name": jname,
        "controller-uid": juid,
        "job-name": jname,
    }
    annotations: dict[str, str] = {}
    if index is not None:
        labels["batch.kubernetes.io/job-completion-index"] = str(index)
        annotations["batch.kubernetes.io/job-completion-index"] = str(index)
    if failure_count is not None:
        annotations["batch.kubernetes.io/job-index-failure-count"] = str(failure_count)
    if ignored_failure_count is not None:
        annotations["batch.kubernetes.io/job-index-ignored-failure-count"] = str(
            ignored_failure_count
        )
    meta: dict[str, Any] = {
        "name": name,
        "generateName": name.rsplit("-", 1)[0] + "-",
        "namespace": jmeta["namespace"],
        "uid": uid,
        "creationTimestamp": ts(created),
        "labels": labels,
        "annotations": annotations,
        "ownerReferences": [
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "name": jname,
                "uid": juid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    }
    if finalizer:
        meta["finalizers"] = ["batch.kubernetes.io/job-tracking"]
    if deletion is not None:
        meta["deletionTimestamp"] = ts(deletion)
        meta["deletionGracePeriodSeconds"] = 30 if grace is None else grace
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "containers": [{"name": "main", "image": "busybox:1.36"}],
    }
    if init_containers:
        spec["initContainers"] = init_containers
    if node:
        spec["nodeName"] = node
    if index is not None:
        spec["hostname"] = f"{jname}-{index}"
    conditions: list[dict[str, Any]] = []
    if containers is not None:
        statuses = containers
    elif phase in ("Succeeded", "Failed") and finished is not None:
        code = exit_code if exit_code is not None else (0 if phase == "Succeeded" else 1)
        statuses = [
            container_status(exit_code=code, started=started, finished=finished, reason=reason)
        ]
    elif phase == "Running":
        statuses = [container_status(running_since=started or created + timedelta(seconds=2))]
    else:
        statuses = [container_status()]
    if ready_false_at is not None:
        conditions.append(condition("Ready", "False", "PodCompleted", at=ready_false_at))
    elif phase == "Running":
        conditions.append(condition("Ready", "True", at=started or created))
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": conditions,
        "containerStatuses": statuses,
        "qosClass": "BestEffort",
    }
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    if phase != "Pending":
        status["startTime"] = ts(started or created + timedelta(seconds=1))
    if pod_reason:
        status["reason"] = pod_reason
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def offset_changes(zone: str, first: int, last: int) -> list[int]:
    """The instants a zone's offset changes in [first, last), from zoneinfo directly."""
    tz = ZoneInfo(zone)

    def off(sec: int) -> timedelta | None:
        return datetime.fromtimestamp(sec, tz).utcoffset()

    out, t, step, prev = [], first, 3 * 3600, off(first)
    while t < last:
        cur = off(t + step)
        if cur != prev:
            lo, hi = t, t + step
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if off(mid) == prev else (lo, mid)
            out.append(hi)
            prev = cur
        t += step
    return out
