"""Puts a :mod:`benchmarks.dataset` into a cluster, cheaply, through our own ApiClient.

Per Job: POST the Job (``spec.managedBy`` set, so the Job controller ignores it), PATCH its
/status as the controller would; per pod: POST it (unscheduled: a scheduler name no scheduler
has), PATCH its /status (Running, Succeeded or Failed, as a kubelet writes it), then bind it
to the KWOK node (a real Binding, so it shows a node as scheduled pods do). KWOK leaves such
pods alone: its stages only act on pods without a pod IP, or on Running pods meant to
finish. Pending pods stay unscheduled. Work runs on a bounded thread pool.

Events expire (the API server's --event-ttl, 1 h): :func:`ensure_events` re-creates them
when a cached cluster has lost them.
"""

from __future__ import annotations

import random
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime, timezone
from typing import Any

from benchmarks.dataset import NAMESPACES, NODE, CronPlan, Dataset, JobPlan, PodPlan, rfc3339
from kubectl_batch.kube.client import ApiClient, ApiError

Obj = dict[str, Any]
MERGE = "application/merge-patch+json"
MARKER = "kubectl-batch-bench"  # ConfigMap in "default" saying what is loaded

JOBS = "/apis/batch/v1/namespaces/{ns}/jobs"
CRONJOBS = "/apis/batch/v1/namespaces/{ns}/cronjobs"
PODS = "/api/v1/namespaces/{ns}/pods"
EVENTS = "/api/v1/namespaces/{ns}/events"


def _retry(fn: Callable[[], Any], attempts: int = 5) -> Any:
    for attempt in range(attempts):
        try:
            return fn()
        except ApiError as exc:
            if exc.status not in (409, 429, 500, 503, 504) or attempt == attempts - 1:
                raise
            if exc.status == 409 and "already exists" in exc.message:
                raise
        except Exception:  # noqa: BLE001 - connection hiccups under load
            if attempt == attempts - 1:
                raise
        time.sleep(0.2 * 2**attempt)
    return None


def _create(client: ApiClient, path: str, body: Obj) -> Obj:
    try:
        return _retry(lambda: client.request("POST", path, body=body))
    except ApiError as exc:
        if exc.status != 409:
            raise
        name = body["metadata"]["name"]
        return client.get(f"{path}/{name}")  # created by an interrupted earlier load


def _patch_status(client: ApiClient, path: str, status: Obj) -> Obj:
    return _retry(
        lambda: client.request(
            "PATCH", path + "/status", body={"status": status}, content_type=MERGE
        )
    )


# -------------------------------------------------------------------------------- pods


def _pod_body(job: JobPlan, uid: str, plan: PodPlan) -> Obj:
    spec = job.body["spec"]
    template = spec["template"]
    labels = dict(template["metadata"]["labels"])
    labels.update(
        {
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": job.name,
            "controller-uid": uid,
            "job-name": job.name,
        }
    )
    # KWOK would finish a Running pod of its node whose outcome is not "run" (kwok.yaml).
    annotations: Obj = {"test.kubectl-batch.io/outcome": "run"}
    pod_spec = dict(template["spec"])
    if plan.index is not None:
        labels["batch.kubernetes.io/job-completion-index"] = str(plan.index)
        annotations["batch.kubernetes.io/job-completion-index"] = str(plan.index)
        pod_spec["hostname"] = f"{job.name}-{plan.index}"[:63]
        container = dict(pod_spec["containers"][0])
        container["env"] = [
            *container["env"],
            {
                "name": "JOB_COMPLETION_INDEX",
                "valueFrom": {
                    "fieldRef": {
                        "fieldPath": "metadata.labels['batch.kubernetes.io/job-completion-index']"
                    }
                },
            },
        ]
        pod_spec["containers"] = [container]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": plan.name,
            "namespace": job.namespace,
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "name": job.name,
                    "uid": uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": pod_spec,
    }


def _pod_status(plan: PodPlan, ip: str, started: str, finished: str) -> Obj:
    def cond(kind: str, ok: bool, reason: str | None = None) -> Obj:
        c = {
            "type": kind,
            "status": "True" if ok else "False",
            "lastProbeTime": None,
            "lastTransitionTime": started,
        }
        if reason:
            c["reason"] = reason
        return c

    running = plan.fate == "Running"
    if running:
        state = {"running": {"startedAt": started}}
    else:
        state = {
            "terminated": {
                "exitCode": plan.exit_code,
                "reason": plan.reason or "Completed",
                "startedAt": started,
                "finishedAt": finished,
                "containerID": f"containerd://{zlib.crc32(plan.name.encode()):08x}",
            }
        }
    done_reason = None if running else "PodCompleted"
    return {
        "phase": plan.fate,
        "hostIP": "10.0.0.1",
        "hostIPs": [{"ip": "10.0.0.1"}],
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": started,
        "conditions": [
            cond("PodReadyToStartContainers", running),
            cond("Initialized", True),
            cond("Ready", running, done_reason),
            cond("ContainersReady", running, done_reason),
        ],
        "containerStatuses": [
            {
                "name": "main",
                "image": "registry.example.com/app:1.0",
                "imageID": "registry.example.com/app@sha256:" + "0" * 64,
                "containerID": f"containerd://{zlib.crc32(plan.name.encode()):08x}",
                "ready": running,
                "started": running,
                "restartCount": 0,
                "state": state,
            }
        ],
    }


def _load_pod(client: ApiClient, job: JobPlan, uid: str, plan: PodPlan, n: int) -> None:
    path = PODS.format(ns=job.namespace)
    created = _create(client, path, _pod_body(job, uid, plan))
    if plan.fate == "Pending" or (created.get("spec") or {}).get("nodeName"):
        return
    started = job.status.get("startTime") or rfc3339(datetime.now(timezone.utc))
    finished = job.status.get("completionTime") or (job.status.get("conditions") or [{}])[-1].get(
        "lastTransitionTime", started
    )
    ip = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    try:
        _patch_status(client, f"{path}/{plan.name}", _pod_status(plan, ip, started, finished))
    except ApiError as exc:
        if exc.not_found:  # its Job was deleted meanwhile (a CronJob's history limit)
            return
        raise
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": plan.name},
        "target": {"apiVersion": "v1", "kind": "Node", "name": NODE},
    }
    _retry(lambda: client.request("POST", f"{path}/{plan.name}/binding", body=binding))


# -------------------------------------------------------------------------------- jobs


def _load_job(
    client: ApiClient, job: JobPlan, cron_uids: dict[tuple[str, str], str], last: dict, n: int
) -> tuple[str, str, str]:
    body = job.body
    if job.cronjob:
        body = dict(body, metadata=dict(body["metadata"]))
        body["metadata"]["ownerReferences"] = [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": job.cronjob,
                "uid": cron_uids[(job.namespace, job.cronjob)],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        body["metadata"]["annotations"] = {
            "batch.kubernetes.io/cronjob-scheduled-timestamp": last[(job.namespace, job.cronjob)]
        }
    path = JOBS.format(ns=job.namespace)
    created = _create(client, path, body)
    uid = created["metadata"]["uid"]
    if not created.get("status"):
        _patch_status(client, f"{path}/{job.name}", job.status)
    for i, plan in enumerate(job.pods):
        _load_pod(client, job, uid, plan, n * 8 + i)
    return job.namespace, job.name, uid


def _load_cron(client: ApiClient, cron: CronPlan) -> str:
    return _create(client, CRONJOBS.format(ns=cron.namespace), cron.body)["metadata"]["uid"]


def _cron_status(client: ApiClient, cron: CronPlan, job_uids: dict) -> None:
    status: Obj = {
        "lastScheduleTime": cron.last_schedule,
        "lastSuccessfulTime": cron.last_successful,
    }
    if cron.active:
        status["active"] = [
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "name": name,
                "namespace": cron.namespace,
                "uid": job_uids[(cron.namespace, name)],
            }
            for name in cron.active
        ]
    _patch_status(client, f"{CRONJOBS.format(ns=cron.namespace)}/{cron.name}", status)


class Progress:
    def __init__(self, total: int, say: Callable[[str], None], what: str):
        self.total, self.say, self.what = total, say, what
        self.done, self.t0, self.last = 0, time.perf_counter(), 0.0
        self.lock = threading.Lock()

    def tick(self) -> None:
        with self.lock:
            self.done += 1
            now = time.perf_counter()
            if now - self.last > 10 or self.done == self.total:
                self.last = now
                rate = self.done / max(1e-9, now - self.t0)
                self.say(f"  {self.what}: {self.done}/{self.total} ({rate:.0f}/s)")


def _run_all(pool: ThreadPoolExecutor, fns: list[Callable[[], Any]], progress: Progress) -> list:
    futures = [pool.submit(fn) for fn in fns]
    out = []
    for future in as_completed(futures):
        out.append(future.result())
        progress.tick()
    return out


def load(client: ApiClient, data: Dataset, say: Callable[[str], None], workers: int = 8) -> None:
    """Create everything of ``data`` (idempotent: what exists is kept)."""
    t0 = time.perf_counter()
    for ns in (*NAMESPACES, "bench-latency"):
        try:
            client.request("POST", "/api/v1/namespaces", body={"metadata": {"name": ns}})
        except ApiError as exc:
            if exc.status != 409:
                raise
    with ThreadPoolExecutor(workers) as pool:
        crons = data.cronjobs
        uids = _run_all(
            pool,
            [lambda c=c: (c.namespace, c.name, _load_cron(client, c)) for c in crons],
            Progress(len(crons), say, "cronjobs"),
        )
        cron_uids = {(ns, name): uid for ns, name, uid in uids}
        last = {(c.namespace, c.name): c.last_schedule for c in crons}
        # Big Jobs first so the pool stays busy to the end.
        jobs = sorted(data.jobs, key=lambda j: -len(j.pods))
        done = _run_all(
            pool,
            [lambda j=j, i=i: _load_job(client, j, cron_uids, last, i) for i, j in enumerate(jobs)],
            Progress(len(jobs), say, f"jobs ({data.pod_count} pods)"),
        )
        job_uids = {(ns, name): uid for ns, name, uid in done}
        owners = [c for c in crons if c.owns]
        _run_all(
            pool,
            [lambda c=c: _cron_status(client, c, job_uids) for c in owners],
            Progress(len(owners), say, "cronjob statuses"),
        )
    say(f"  loaded in {time.perf_counter() - t0:.0f} s")


# ------------------------------------------------------------------------------ events


def _count(client: ApiClient, path: str) -> int:
    page = client.get(path, {"limit": 1})
    return len(page.get("items") or []) + int(
        (page.get("metadata") or {}).get("remainingItemCount") or 0
    )


def ensure_events(
    client: ApiClient, data: Dataset, say: Callable[[str], None], workers: int = 8
) -> int:
    """One Event per Job (as the Job controller would have left) and per owning CronJob;
    re-created when the cluster has expired them. Returns how many exist."""
    want = len(data.jobs) + sum(1 for c in data.cronjobs if c.owns)
    have = _count(client, "/api/v1/events")
    if have >= want:
        return have
    say(f"  events: {have} of {want} left (they expire after 1 h): re-creating")
    for ns in NAMESPACES:
        client.request("DELETE", EVENTS.format(ns=ns))
    jobs = _uids(client, "/apis/batch/v1/jobs")
    crons = _uids(client, "/apis/batch/v1/cronjobs")
    now = rfc3339(datetime.now(timezone.utc))
    reasons = {
        "complete": ("Normal", "Completed", "Job completed"),
        "failed": (
            "Warning",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
        ),
        "running": ("Normal", "SuccessfulCreate", "Created pod"),
        "pending": ("Normal", "SuccessfulCreate", "Created pod"),
        "suspended": ("Normal", "Suspended", "Job suspended"),
    }
    bodies = []
    for j in data.jobs:
        if (j.namespace, j.name) in jobs:
            kind, reason, message = reasons[j.state]
            bodies.append(
                event(
                    j.namespace,
                    "Job",
                    j.name,
                    jobs[(j.namespace, j.name)],
                    kind,
                    reason,
                    message,
                    "job-controller",
                    now,
                )
            )
    for c in data.cronjobs:
        if c.owns and (c.namespace, c.name) in crons:
            bodies.append(
                event(
                    c.namespace,
                    "CronJob",
                    c.name,
                    crons[(c.namespace, c.name)],
                    "Normal",
                    "SawCompletedJob",
                    f"Saw completed job: {c.owns[0]}, condition: Complete",
                    "cronjob-controller",
                    now,
                )
            )
    with ThreadPoolExecutor(workers) as pool:
        _run_all(
            pool,
            [
                lambda b=b: _create(client, EVENTS.format(ns=b["metadata"]["namespace"]), b)
                for b in bodies
            ],
            Progress(len(bodies), say, "events"),
        )
    return _count(client, "/api/v1/events")


def _uids(client: ApiClient, path: str) -> dict[tuple[str, str], str]:
    out = {}
    for page in client.list_pages(path, {}, limit=500):
        for item in page.get("items") or []:
            meta = item["metadata"]
            out[(meta["namespace"], meta["name"])] = meta["uid"]
    return out


def event(
    ns: str,
    kind: str,
    name: str,
    uid: str,
    type_: str,
    reason: str,
    message: str,
    component: str,
    now: str,
) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{name}.{random.getrandbits(64):016x}", "namespace": ns},
        "involvedObject": {
            "apiVersion": "batch/v1",
            "kind": kind,
            "name": name,
            "namespace": ns,
            "uid": uid,
        },
        "reason": reason,
        "message": message,
        "type": type_,
        "source": {"component": component},
        "reportingComponent": component,
        "reportingInstance": "",
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }


# ------------------------------------------------------------------------------ marker


def loaded_marker(client: ApiClient) -> Obj | None:
    try:
        return client.get(f"/api/v1/namespaces/default/configmaps/{MARKER}").get("data") or {}
    except ApiError as exc:
        if exc.not_found:
            return None
        raise


def write_marker(client: ApiClient, data: Obj) -> None:
    body = {"metadata": {"name": MARKER}, "data": {k: str(v) for k, v in data.items()}}
    try:
        client.request("POST", "/api/v1/namespaces/default/configmaps", body=body)
    except ApiError as exc:
        if exc.status != 409:
            raise
        client.request("PUT", f"/api/v1/namespaces/default/configmaps/{MARKER}", body=body)
