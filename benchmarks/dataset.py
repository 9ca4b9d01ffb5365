"""The benchmark's cluster contents, generated deterministically (no I/O here).

N Jobs in mixed states with their pods, 1,000 CronJobs (some owning Jobs) and one Event per
Job and CronJob, spread over 20 namespaces. Every Job has ``spec.managedBy:
example.com/bench``, so the real Job controller leaves it alone and we write its status
(through the /status subresource) the way the controller would; its pods are made by us too,
with the labels, annotations and ownerReference the controller sets, and a status we write
(see :mod:`benchmarks.load`). CronJobs fire only once a year, in a month at least two months
away, and their Job template is managed by the benchmark too: nothing moves by itself.

Mix of Jobs (fractions of N): 55 % complete, 12 % failed, 20 % running, 8 % suspended,
5 % pending (pods not scheduled). About 10 % of finished Jobs and 30 % of running Jobs are
Indexed, with up to 100,000 completions and fragmented completed/failed index sets.
At N = 10,000 this gives about 25,000 pods, of which about 10,000 finished: under the pod
garbage collector's default threshold (12,500 terminated pods), so none are collected.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

Obj = dict[str, Any]

#: Bump when the generated contents change: a cached cluster with another version reloads.
DATASET_VERSION = 5
MANAGED_BY = "example.com/bench"
NAMESPACES = tuple(f"bench-{i:02d}" for i in range(20))
CRONJOBS = 1000
NODE = "node-000000"  # the KWOK node the running and finished pods are bound to
SCHEDULER = "bench-unscheduled"  # no scheduler has this name: pending pods stay pending

TEAMS = ("etl", "ml", "render", "backup", "report", "billing", "search", "media")
TASKS = ("ingest", "train", "frames", "snapshot", "daily", "invoices", "reindex", "encode")
ZONES = (None, None, None, "UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")


def rfc3339(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def managed_job(ns: str, name: str, labels: dict[str, str] | None = None) -> Obj:
    """A one-pod Job the Job controller leaves alone (``spec.managedBy``) and no scheduler
    places: the benchmarks write its status themselves."""
    meta: Obj = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = dict(labels)
    return {
        "metadata": meta,
        "spec": {
            "managedBy": MANAGED_BY,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "schedulerName": SCHEDULER,
                    "containers": [{"name": "main", "image": "busybox"}],
                }
            },
        },
    }


def finished_status(complete: bool, now: str) -> Obj:
    """The status the Job controller writes when a one-pod Job succeeds or fails."""
    cond = {"status": "True", "lastProbeTime": now, "lastTransitionTime": now}
    if complete:
        cond.update(
            reason="CompletionsReached", message="Reached expected number of succeeded pods"
        )
        conds = [dict(cond, type="SuccessCriteriaMet"), dict(cond, type="Complete")]
        done = {"succeeded": 1, "completionTime": now}
        return {"active": 0, "ready": 0, **done, "conditions": conds}
    cond.update(
        reason="BackoffLimitExceeded", message="Job has reached the specified backoff limit"
    )
    conds = [dict(cond, type="FailureTarget"), dict(cond, type="Failed")]
    return {"active": 0, "ready": 0, "failed": 1, "conditions": conds}


def _ranges(indexes: list[int]) -> str:
    """Sorted distinct indexes in the controller's format: 0-3,7,9-10."""
    out: list[str] = []
    i = 0
    while i < len(indexes):
        j = i
        while j + 1 < len(indexes) and indexes[j + 1] == indexes[j] + 1:
            j += 1
        a, b = indexes[i], indexes[j]
        out.append(str(a) if a == b else f"{a}-{b}")
        i = j + 1
    return ",".join(out)


def _complement(indexes: list[int], completions: int) -> str:
    """The indexes of [0, completions) not in the sorted list, in the controller's format."""
    out: list[str] = []
    start = 0
    for ix in [*indexes, completions]:
        if ix > start:
            out.append(str(start) if ix - 1 == start else f"{start}-{ix - 1}")
        start = ix + 1
    return ",".join(out)


@dataclass
class PodPlan:
    name: str
    fate: str  # Running | Succeeded | Failed | Pending
    index: int | None = None
    exit_code: int = 0
    reason: str = ""


@dataclass
class JobPlan:
    namespace: str
    name: str
    state: str  # complete | failed | running | suspended | pending
    body: Obj
    status: Obj
    pods: list[PodPlan] = field(default_factory=list)
    cronjob: str | None = None  # name of the owning CronJob (same namespace)


@dataclass
class CronPlan:
    namespace: str
    name: str
    body: Obj
    owns: list[str] = field(default_factory=list)  # names of owned Jobs
    failed: int = 0  # how many of them failed
    active: list[str] = field(default_factory=list)
    last_schedule: str | None = None
    last_successful: str | None = None


@dataclass
class Dataset:
    n: int
    jobs: list[JobPlan]
    cronjobs: list[CronPlan]

    @property
    def pod_count(self) -> int:
        return sum(len(j.pods) for j in self.jobs)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for j in self.jobs:
            out[j.state] = out.get(j.state, 0) + 1
        return out


def _container(rng: random.Random, team: str, task: str, indexed: bool) -> Obj:
    args = ["--shard", "$(JOB_COMPLETION_INDEX)"] if indexed else ["--once"]
    return {
        "name": "main",
        "image": f"registry.example.com/{team}/{task}:1.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
        "command": ["python", "-m", f"{team}.{task}"],
        "args": args,
        "env": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "TEAM", "value": team},
            {"name": "BUCKET", "value": f"s3://{team}-data/{task}"},
        ],
        "resources": {
            "requests": {"cpu": "250m", "memory": "256Mi"},
            "limits": {"memory": "512Mi"},
        },
    }


def _job_body(
    rng: random.Random,
    ns: str,
    name: str,
    team: str,
    task: str,
    *,
    indexed: bool,
    completions: int,
    parallelism: int,
    backoff_limit: int,
    per_index: int | None = None,
    suspend: bool = False,
) -> Obj:
    labels = {"app.kubernetes.io/name": task, "team": team}
    spec: Obj = {
        "managedBy": MANAGED_BY,
        "completions": completions,
        "parallelism": parallelism,
        "backoffLimit": backoff_limit,
        "suspend": suspend,
        "template": {
            "metadata": {"labels": dict(labels)},
            "spec": {
                "restartPolicy": "Never",
                "schedulerName": SCHEDULER,
                "containers": [_container(rng, team, task, indexed)],
            },
        },
    }
    if indexed:
        spec["completionMode"] = "Indexed"
    if per_index is not None:
        spec["backoffLimitPerIndex"] = per_index
        spec.pop("backoffLimit")
    meta: Obj = {"name": name, "namespace": ns, "labels": labels}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec}


def _cond(kind: str, reason: str, message: str, when: str) -> Obj:
    return {
        "type": kind,
        "status": "True",
        "lastProbeTime": when,
        "lastTransitionTime": when,
        "reason": reason,
        "message": message,
    }


def _future_month(now: datetime, ahead: int) -> int:
    return (now.month - 1 + ahead) % 12 + 1


def _cron_schedules(rng: random.Random, now: datetime) -> tuple[str, bool]:
    """(schedule, suspended). Active schedules fire only in a month 2 to 10 months away;
    suspended ones may be frequent (they never fire)."""
    month = _future_month(now, rng.randint(2, 10))
    m, h, d = rng.randint(0, 59), rng.randint(0, 23), rng.randint(1, 28)
    active = (
        f"{m} {h} {d} {month} *",
        f"{m} {h} * {month} 1-5",
        f"*/15 * * {month} *",
        f"0 */6 * {month} *",
        f"{m} {h} 1,15 {month} *",
        f"{m} {h} * {month} 0",
        f"{m} 9-17 * {month} 1-5",
    )
    suspended = ("*/5 * * * *", "@hourly", "@daily", f"{m} {h} * * *", f"{m} {h} * * 1", "@weekly")
    if rng.random() < 0.25:
        return rng.choice(suspended), True
    return rng.choice(active), False


def generate(n: int, now: datetime, seed: int = 8) -> Dataset:
    rng = random.Random(seed * 1_000_003 + n)
    start = now - timedelta(hours=6)

    # CronJobs first: some Jobs are theirs.
    crons: list[CronPlan] = []
    for c in range(CRONJOBS):
        ns = NAMESPACES[c % len(NAMESPACES)]
        team, task = TEAMS[c % len(TEAMS)], TASKS[(c // 3) % len(TASKS)]
        name = f"{team}-{task}-cron-{c:04d}"
        schedule, suspended = _cron_schedules(rng, now)
        zone = rng.choice(ZONES)
        spec: Obj = {
            "schedule": schedule,
            "suspend": suspended,
            "concurrencyPolicy": rng.choice(("Allow", "Forbid", "Forbid", "Replace")),
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 1,
            "jobTemplate": {
                "metadata": {"labels": {"team": team}},
                "spec": {
                    "managedBy": MANAGED_BY,
                    "backoffLimit": 2,
                    "template": {
                        "metadata": {"labels": {"team": team, "app.kubernetes.io/name": task}},
                        "spec": {
                            "restartPolicy": "Never",
                            "schedulerName": SCHEDULER,
                            "containers": [_container(rng, team, task, False)],
                        },
                    },
                },
            },
        }
        if zone:
            spec["timeZone"] = zone
        if rng.random() < 0.3:
            spec["startingDeadlineSeconds"] = rng.choice((60, 300, 3600))
        body = {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": name, "namespace": ns, "labels": {"team": team}},
            "spec": spec,
        }
        crons.append(CronPlan(ns, name, body))
    # Only yearly, non-suspended CronJobs own Jobs: their last fire time is simple to know.
    owners: dict[str, list[CronPlan]] = {}
    for c in crons:
        if not c.body["spec"]["suspend"] and _dom(c) != "*":
            owners.setdefault(c.namespace, []).append(c)

    states = (
        ["complete"] * 55 + ["failed"] * 12 + ["running"] * 20 + ["suspended"] * 8 + ["pending"] * 5
    )
    jobs: list[JobPlan] = []
    owned_budget = n * 3 // 10
    for i in range(n):
        ns = NAMESPACES[i % len(NAMESPACES)]
        state = states[rng.randrange(len(states))]
        team, task = TEAMS[rng.randrange(len(TEAMS))], TASKS[rng.randrange(len(TASKS))]
        name = f"{team}-{task}-{i:05d}"
        cron: CronPlan | None = None
        if i < owned_budget and state in ("complete", "failed", "running") and owners.get(ns):
            mine = owners[ns]
            cron = mine[(i // len(NAMESPACES)) % len(mine)]
            # At most 2 Jobs, at most 1 failed: under the CronJob's history limits (3 and
            # 1), so the CronJob controller deletes none of them.
            if len(cron.owns) >= 2 or (state == "failed" and cron.failed):
                cron = None
        if cron is not None:
            name = f"{cron.name}-{29000000 + i}"
        jobs.append(_job(rng, ns, name, team, task, state, start, now))
        if cron is not None:
            jobs[-1].cronjob = cron.name
            cron.owns.append(name)
            cron.failed += state == "failed"
            if state == "running":
                cron.active.append(name)
    for cron in crons:
        if cron.owns:
            cron.last_schedule = rfc3339(_last_fire(cron, now))
            cron.last_successful = cron.last_schedule
    return Dataset(n, jobs, crons)


def _last_fire(cron: CronPlan, now: datetime) -> datetime:
    """The most recent fire time not after now (of a schedule firing once or twice a year),
    so the CronJob controller sees no missed run."""
    from kubectl_batch.domain.cron import parse_schedule

    spec = cron.body["spec"]
    schedule = parse_schedule(spec["schedule"])
    t = schedule.next(now - timedelta(days=400), spec.get("timeZone"))
    while True:
        nxt = schedule.next(t, spec.get("timeZone"))
        if nxt is None or nxt > now:
            return t
        t = nxt


def _dom(c: CronPlan) -> str:
    fields = c.body["spec"]["schedule"].split()
    return fields[2] if len(fields) == 5 else "*"


def _job(
    rng: random.Random,
    ns: str,
    name: str,
    team: str,
    task: str,
    state: str,
    start: datetime,
    now: datetime,
) -> JobPlan:
    t0 = start + timedelta(seconds=rng.randint(0, 5 * 3600))
    started = rfc3339(t0)
    finished = rfc3339(min(now, t0 + timedelta(seconds=rng.randint(5, 1800))))
    big = rng.random() < (0.3 if state == "running" else 0.1)
    indexed = big or rng.random() < 0.05
    completions = rng.choice((10, 100, 1000, 10000, 100000)) if big else rng.choice((1, 1, 1, 3))
    parallelism = min(completions, rng.choice((1, 2, 4)) if not big else rng.randint(4, 32))
    kw: Obj = dict(indexed=indexed, completions=completions, parallelism=parallelism)
    pods: list[PodPlan] = []
    status: Obj = {"startTime": started}

    def pod(fate: str, index: int | None = None, **extra: Any) -> None:
        suffix = "".join(rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
        pname = f"{name}-{index}-{suffix}" if index is not None else f"{name}-{suffix}"
        pods.append(PodPlan(pname, fate, index, **extra))

    if state == "complete":
        body = _job_body(rng, ns, name, team, task, backoff_limit=6, **kw)
        status.update(
            succeeded=completions,
            active=0,
            ready=0,
            completionTime=finished,
            conditions=[
                _cond(
                    "SuccessCriteriaMet",
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                    finished,
                ),
                _cond(
                    "Complete",
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                    finished,
                ),
            ],
        )
        # A third have lost their pods to the pod garbage collector (more than 12,500
        # terminated pods in the cluster), as on a busy real cluster.
        keep = rng.random() < 0.67
        if indexed:
            status["completedIndexes"] = f"0-{completions - 1}" if completions > 1 else "0"
            for ix in range(max(0, completions - 3), completions) if keep else ():
                pod("Succeeded", ix)
        else:
            for _ in range(completions if keep else 0):
                pod("Succeeded")
    elif state == "failed":
        if indexed and completions >= 100:
            body = _job_body(rng, ns, name, team, task, backoff_limit=0, per_index=1, **kw)
            # A fragmented failure: every k-th index of the first ones failed (twice:
            # backoffLimitPerIndex 1), all others succeeded.
            step = rng.choice((2, 7, 50, 500))
            failed = list(range(1, min(completions, 5000), step))
            status.update(
                failed=2 * len(failed),
                succeeded=completions - len(failed),
                failedIndexes=_ranges(failed),
                completedIndexes=_complement(failed, completions),
            )
            reason, message = "FailedIndexes", "Job has failed indexes"
            for ix in failed[-2:]:
                pod("Failed", ix, exit_code=1, reason="Error")
                pod("Failed", ix, exit_code=1, reason="Error")
        else:
            backoff = rng.randint(1, 3)
            body = _job_body(rng, ns, name, team, task, backoff_limit=backoff, **kw)
            status.update(failed=backoff + 1, succeeded=0)
            if indexed:
                status["completedIndexes"] = ""
            reason, message = "BackoffLimitExceeded", "Job has reached the specified backoff limit"
            oom = rng.random() < 0.3
            for _ in range(backoff + 1):
                pod(
                    "Failed",
                    0 if indexed else None,
                    exit_code=137 if oom else 1,
                    reason="OOMKilled" if oom else "Error",
                )
        status.update(
            active=0,
            ready=0,
            conditions=[
                _cond("FailureTarget", reason, message, finished),
                _cond("Failed", reason, message, finished),
            ],
        )
    elif state in ("running", "pending"):
        body = _job_body(rng, ns, name, team, task, backoff_limit=6, **kw)
        fate = "Running" if state == "running" else "Pending"
        if indexed:
            frontier = rng.randint(0, completions - parallelism)
            running = list(range(frontier, frontier + parallelism))
            done = list(range(frontier))
            # Out-of-order finishes just past the frontier: a fragmented completed set.
            extra = [
                ix
                for ix in range(frontier + parallelism, min(completions, frontier + 200))
                if rng.random() < 0.3
            ]
            done += extra
            if done:
                status["completedIndexes"] = _ranges(done)
            status["succeeded"] = len(done)
            for ix in running:
                pod(fate, ix)
        else:
            running = list(range(parallelism))
            status["succeeded"] = 0
            for _ in running:
                pod(fate)
        status.update(active=len(running), ready=len(running) if fate == "Running" else 0)
    else:  # suspended
        body = _job_body(rng, ns, name, team, task, backoff_limit=6, suspend=True, **kw)
        status = {
            "active": 0,
            "ready": 0,
            "conditions": [
                _cond("Suspended", "JobSuspended", "Job suspended", started),
            ],
        }
    status.setdefault("terminating", 0)
    status.setdefault("uncountedTerminatedPods", {})
    return JobPlan(ns, name, state, body, status, pods)
