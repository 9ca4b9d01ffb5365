"""When the Job controller will create the next pod after pod failures.

Reproduces ``pkg/controller/job/backoff_utils.go`` and the parts of
``job_controller.go`` (``syncJob``/``manageJob``) that decide whether a Job
wants pods at all, as of Kubernetes 1.36.

Delay after ``n`` failures (``getRemainingTimeForFailuresCount``)::

    n = 0 -> no delay
    delay = min(10s * 2**(n-1), 600s)     10, 20, 40, 80, 160, 320, 600, 600 ...

measured from the finish time of the last failed pod (:func:`pod_finished_time`).
The controller re-syncs the Job when the delay expires (never sooner than its
1 s batch period) and creates the pod then.

What ``n`` is:

* **Whole Job** (no ``backoffLimitPerIndex``): the number of failed pods since
  the last success. The controller keeps that count *in memory*
  (``backoffRecord``, ``failuresAfterLastSuccess``), not in the API, so
  :func:`job_backoff` approximates it from the pods that still exist: the
  failed pods that finished after the latest succeeded pod finished. It
  under-counts when failed pods were deleted (TTL, pod GC, by hand) and
  over-counts right after a kube-controller-manager restart (the controller
  starts again from 0). Failures ignored by a ``podFailurePolicy`` *do* count
  here, as in the controller. Pods the controller deleted itself (suspend,
  too many pods) lose the tracking finalizer before deletion and are not
  counted.
* **Per index** (``backoffLimitPerIndex`` set): exact. For the last failed pod
  of the index that the controller keeps (with its tracking finalizer) until
  the replacement exists, ``n = failure-count + ignored-failure-count + 1``
  (annotations ``batch.kubernetes.io/job-index-failure-count`` and
  ``batch.kubernetes.io/job-index-ignored-failure-count``). The whole-job
  delay is not used for such Jobs.

No backoff at all when the Job is suspended, finished (or has
FailureTarget/SuccessCriteriaMet), being deleted, managed by another
controller, or does not want more pods (:func:`wants_more_pods`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .clock import Clock
from .indexes import IndexSet
from .jobs import (
    INDEX_FAILURE_COUNT_ANNOTATION,
    INDEX_IGNORED_FAILURE_COUNT_ANNOTATION,
    has_backoff_limit_per_index,
    has_job_condition,
    has_tracking_finalizer,
    is_indexed,
    is_job_finished,
    is_managed_by_job_controller,
    is_pod_active,
    is_pod_failed,
    is_pod_terminating,
    is_suspended,
    only_replace_failed_pods,
    pod_completion_index,
)
from .timeutil import parse_time

__all__ = [
    "DEFAULT_POD_FAILURE_BACKOFF",
    "MAX_POD_FAILURE_BACKOFF",
    "MAX_POD_CREATE_PER_SYNC",
    "SYNC_JOB_BATCH_PERIOD",
    "Backoff",
    "backoff_delay",
    "failed_indexes",
    "index_absolute_failure_count",
    "index_backoff",
    "index_backoffs",
    "index_failure_count",
    "index_ignored_failure_count",
    "is_backing_off",
    "job_backoff",
    "next_pod_time",
    "pod_finished_time",
    "remaining",
    "remaining_seconds",
    "succeeded_indexes",
    "wants_more_pods",
]

#: ``DefaultJobPodFailureBackOff``
DEFAULT_POD_FAILURE_BACKOFF = timedelta(seconds=10)
#: ``MaxJobPodFailureBackOff``
MAX_POD_FAILURE_BACKOFF = timedelta(minutes=10)
#: ``SyncJobBatchPeriod``: a delayed re-sync is never scheduled sooner than this.
SYNC_JOB_BATCH_PERIOD = timedelta(seconds=1)
#: ``MaxPodCreateDeletePerSync``
MAX_POD_CREATE_PER_SYNC = 500

Obj = Mapping[str, Any]
_INT32_MAX = 2**31 - 1
_ATOI = re.compile(r"[+-]?[0-9]+\Z")


def backoff_delay(failures: int) -> timedelta:
    """Delay before the next pod after ``failures`` consecutive failures."""
    if failures <= 0:
        return timedelta(0)
    delay = DEFAULT_POD_FAILURE_BACKOFF
    for _ in range(1, failures):
        delay *= 2
        if delay >= MAX_POD_FAILURE_BACKOFF:
            return MAX_POD_FAILURE_BACKOFF
    return delay


# ----------------------------------------------------------- finish times


def _latest_finish(
    prev: datetime | None, statuses: Iterable[Obj], names: set[str] | None
) -> tuple[bool, datetime | None]:
    """``latestFinishTime``: (ok, latest); not ok when a container is not terminated."""
    finish = prev
    for cs in statuses:
        if names is not None and cs.get("name") not in names:
            continue
        terminated = (cs.get("state") or {}).get("terminated")
        t = parse_time(terminated.get("finishedAt")) if terminated else None
        if t is None:
            return False, None
        if finish is None or finish < t:
            finish = t
    return True, finish


def _finish_from_containers(pod: Obj) -> datetime | None:
    status = pod.get("status") or {}
    ok, finish = _latest_finish(None, status.get("containerStatuses") or (), None)
    if not ok:
        return None
    # SidecarContainers (GA, always on): restartable init containers finish last.
    sidecars = {
        c.get("name")
        for c in (pod.get("spec") or {}).get("initContainers") or ()
        if c.get("restartPolicy") == "Always"
    }
    ok, finish = _latest_finish(finish, status.get("initContainerStatuses") or (), sidecars)
    return finish if ok else None


def pod_finished_time(pod: Obj) -> datetime | None:
    """``getFinishedTime``: when a pod finished, for backoff purposes.

    1. all containers (and sidecars) terminated: the latest ``finishedAt``;
    2. else a ``Ready=False`` condition: its ``lastTransitionTime``;
    3. else deleted: ``deletionTimestamp - deletionGracePeriodSeconds``;
    4. else ``creationTimestamp`` (None only if even that is missing).
    """
    t = _finish_from_containers(pod)
    if t is not None:
        return t
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            if c.get("status") == "False":
                t = parse_time(c.get("lastTransitionTime"))
                if t is not None:
                    return t
            break
    meta = pod.get("metadata") or {}
    deleted = parse_time(meta.get("deletionTimestamp"))
    if deleted is not None:
        return deleted - timedelta(seconds=meta.get("deletionGracePeriodSeconds") or 0)
    return parse_time(meta.get("creationTimestamp"))


# ------------------------------------------------------ per-index counters


def _annotation_int32(pod: Obj, key: str) -> int:
    """``parseInt32``: 0 when missing, unparsable, negative or > MaxInt32."""
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(key)
    if value is None:
        return 0
    if not isinstance(value, str) or _ATOI.match(value) is None:
        return 0
    n = int(value)
    return n if 0 <= n <= _INT32_MAX else 0


def index_failure_count(pod: Obj) -> int:
    """``batch.kubernetes.io/job-index-failure-count``: failures of the index before this pod."""
    return _annotation_int32(pod, INDEX_FAILURE_COUNT_ANNOTATION)


def index_ignored_failure_count(pod: Obj) -> int:
    """``batch.kubernetes.io/job-index-ignored-failure-count``."""
    return _annotation_int32(pod, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION)


def index_absolute_failure_count(pod: Obj) -> int:
    """``getIndexAbsoluteFailureCount``: failure-count + ignored-failure-count."""
    return index_failure_count(pod) + index_ignored_failure_count(pod)


# ------------------------------------------------------------------ result


@dataclass(frozen=True)
class Backoff:
    """A pending pod-failure backoff."""

    #: ``n`` in the formula.
    failures: int
    #: Finish time of the failed pod the delay is measured from.
    last_failure: datetime
    delay: timedelta
    #: The completion index (per-index backoff), else None.
    index: int | None = None
    #: The failed pod the delay is measured from (per-index backoff).
    pod_name: str | None = None

    @property
    def until(self) -> datetime:
        """When the controller creates the next pod (give or take ~1 s)."""
        return self.last_failure + self.delay

    def remaining(self, clock: Clock) -> timedelta:
        return remaining(self.until, clock)


def remaining(at: datetime | None, clock: Clock) -> timedelta:
    """Time left until ``at`` (zero when None or past)."""
    if at is None:
        return timedelta(0)
    left = at - clock()
    return left if left > timedelta(0) else timedelta(0)


def remaining_seconds(at: datetime | None, clock: Clock) -> float:
    """Seconds left until ``at`` (0.0 when None or past)."""
    return remaining(at, clock).total_seconds()


def is_backing_off(at: datetime | None, clock: Clock) -> bool:
    return at is not None and at > clock()


# ------------------------------------------------------ does it want pods


def _uncounted(job: Obj) -> tuple[set[str], set[str]]:
    u = (job.get("status") or {}).get("uncountedTerminatedPods") or {}
    return set(u.get("succeeded") or ()), set(u.get("failed") or ())


def _uid(pod: Obj) -> str | None:
    return (pod.get("metadata") or {}).get("uid")


def _completions(job: Obj) -> int | None:
    c = (job.get("spec") or {}).get("completions")
    return c if isinstance(c, int) else None


def succeeded_indexes(job: Obj, pods: Iterable[Obj] | None) -> IndexSet:
    """``calculateSucceededIndexes``: completedIndexes plus succeeded pods not counted yet."""
    completions = _completions(job) or 0
    done = IndexSet.parse_lenient((job.get("status") or {}).get("completedIndexes"), completions)
    if pods is None:
        return done
    new = [
        ix
        for p in pods
        if (p.get("status") or {}).get("phase") == "Succeeded"
        and has_tracking_finalizer(p)
        and (ix := pod_completion_index(p)) is not None
        and ix < completions
    ]
    return done | IndexSet.from_indexes(new) if new else done


def failed_indexes(job: Obj, pods: Iterable[Obj] | None) -> IndexSet:
    """``calculateFailedIndexes`` (new failures only evaluated without a podFailurePolicy)."""
    completions = _completions(job) or 0
    failed = IndexSet.parse_lenient((job.get("status") or {}).get("failedIndexes"), completions)
    spec = job.get("spec") or {}
    limit = spec.get("backoffLimitPerIndex")
    if pods is None or limit is None or spec.get("podFailurePolicy") is not None:
        return failed
    new = [
        ix
        for p in pods
        if has_tracking_finalizer(p)
        and is_pod_failed(p, job)
        and index_failure_count(p) >= limit
        and (ix := pod_completion_index(p)) is not None
        and ix < completions
    ]
    return failed | IndexSet.from_indexes(new) if new else failed


def _can_sync_pods(job: Obj) -> bool:
    """The controller would run ``manageJob`` and may create pods."""
    if not is_managed_by_job_controller(job):
        return False
    if (job.get("metadata") or {}).get("deletionTimestamp") is not None:
        return False
    if is_suspended(job) or is_job_finished(job):
        return False
    # A pending FailureTarget/SuccessCriteriaMet: the controller only deletes pods.
    return not (
        has_job_condition(job, "FailureTarget") or has_job_condition(job, "SuccessCriteriaMet")
    )


def _pods_wanted(job: Obj, pods: list[Obj] | None) -> int:
    """``manageJob``'s ``diff = wantActive - terminating - active`` (0 when none)."""
    if not _can_sync_pods(job):
        return 0
    spec = job.get("spec") or {}
    status = job.get("status") or {}
    parallelism = spec.get("parallelism")
    parallelism = 1 if parallelism is None else parallelism  # API default
    completions = _completions(job)

    if pods is None:
        active = status.get("active") or 0
        terminating = status.get("terminating") or 0
        unc_succeeded, _ = _uncounted(job)
        succeeded = (status.get("succeeded") or 0) + len(unc_succeeded)
        if is_indexed(job) and completions is not None:
            succeeded = len(succeeded_indexes(job, None))
    else:
        active = sum(1 for p in pods if is_pod_active(p))
        terminating = sum(1 for p in pods if is_pod_terminating(p))
        if is_indexed(job) and completions is not None:
            succeeded = len(succeeded_indexes(job, pods))
        else:
            unc_succeeded, unc_failed = _uncounted(job)
            new = sum(
                1
                for p in pods
                if (p.get("status") or {}).get("phase") == "Succeeded"
                and has_tracking_finalizer(p)
                and _uid(p) not in unc_succeeded
                and _uid(p) not in unc_failed
            )
            succeeded = (status.get("succeeded") or 0) + new + len(unc_succeeded)

    if completions is None:
        want = active if succeeded > 0 else parallelism
    else:
        want = max(0, min(completions - succeeded, parallelism))
    if not only_replace_failed_pods(job):
        terminating = 0
    return max(0, want - terminating - active)


def wants_more_pods(job: Obj, pods: Iterable[Obj] | None = None) -> bool:
    """Whether the controller wants to create pods now (ignoring backoff).

    False when suspended, finished, FailureTarget/SuccessCriteriaMet, being
    deleted, managed by another controller, or when active (plus, with
    ``podReplacementPolicy: Failed``, terminating) pods already fill
    ``min(parallelism, completions - succeeded)``. With ``pods`` the counts
    come from the pods, as in the controller; without, from the status.
    """
    return _pods_wanted(job, list(pods) if pods is not None else None) > 0


# --------------------------------------------------------------- whole Job


def _counted_failure(pod: Obj, job: Obj) -> bool:
    """A failure the controller counted (or will count) in its backoff record.

    It counts failed pods while they still hold the tracking finalizer. Pods it
    deletes itself (suspend, too many pods) lose the finalizer *before* the
    delete and are never counted; a deleted pod without the finalizer is
    taken to be one of those. A failed pod without the finalizer and not
    being deleted was counted earlier.
    """
    if not is_pod_failed(pod, job):
        return False
    if has_tracking_finalizer(pod):
        return True
    return (pod.get("metadata") or {}).get("deletionTimestamp") is None


def job_backoff(job: Obj, pods: Iterable[Obj]) -> Backoff | None:
    """Whole-Job backoff, approximated from the pods (see the module docstring).

    None when the Job uses ``backoffLimitPerIndex``, does not want pods, or
    has no failure since its last success. The returned backoff may already
    have expired: check :meth:`Backoff.remaining`.
    """
    pods = list(pods)
    if has_backoff_limit_per_index(job) or not wants_more_pods(job, pods):
        return None
    return _failures_since_last_success(job, pods)


def _failures_since_last_success(job: Obj, pods: list[Obj]) -> Backoff | None:
    last_success: datetime | None = None
    for p in pods:
        if (p.get("status") or {}).get("phase") == "Succeeded":
            t = pod_finished_time(p)
            if t is not None and (last_success is None or t > last_success):
                last_success = t
    n = 0
    last_failure: datetime | None = None
    for p in pods:
        if not _counted_failure(p, job):
            continue
        t = pod_finished_time(p)
        if t is None or (last_success is not None and not t > last_success):
            continue
        n += 1
        if last_failure is None or t > last_failure:
            last_failure = t
    if n == 0 or last_failure is None:
        return None
    return Backoff(failures=n, last_failure=last_failure, delay=backoff_delay(n))


# --------------------------------------------------------------- per index


def _index_backoffs(job: Obj, pods: list[Obj]) -> dict[int, Backoff]:
    completions = _completions(job)
    if completions is None or not has_backoff_limit_per_index(job):
        return {}
    if _pods_wanted(job, pods) <= 0:
        return {}
    unc_succeeded, unc_failed = _uncounted(job)
    succeeded = succeeded_indexes(job, pods)
    failed = failed_indexes(job, pods)
    active = {ix for p in pods if is_pod_active(p) and (ix := pod_completion_index(p)) is not None}
    # getPodsWithDelayedDeletionPerIndex: per index, the failed pod the
    # controller keeps (finalizer) until it has created the replacement.
    last: dict[int, tuple[int, datetime, Obj]] = {}
    for p in pods:
        if not has_tracking_finalizer(p) or not is_pod_failed(p, job):
            continue
        uid = _uid(p)
        if uid is not None and (uid in unc_succeeded or uid in unc_failed):
            continue
        ix = pod_completion_index(p)
        if ix is None or ix >= completions or ix in active or ix in succeeded or ix in failed:
            continue
        finished = pod_finished_time(p)
        if finished is None:
            continue
        key = (index_absolute_failure_count(p), finished)
        prev = last.get(ix)
        if prev is None or (prev[0], prev[1]) <= key:
            last[ix] = (key[0], key[1], p)
    out: dict[int, Backoff] = {}
    for ix, (count, finished, p) in last.items():
        n = count + 1
        out[ix] = Backoff(
            failures=n,
            last_failure=finished,
            delay=backoff_delay(n),
            index=ix,
            pod_name=(p.get("metadata") or {}).get("name"),
        )
    return out


def index_backoffs(job: Obj, pods: Iterable[Obj]) -> dict[int, Backoff]:
    """Per-index backoffs of a ``backoffLimitPerIndex`` Job, by index.

    Only indexes waiting for a replacement pod appear (not succeeded, not
    failed, no active pod). Entries may have expired: check
    :meth:`Backoff.remaining`. Empty when the Job does not want more pods
    (:func:`wants_more_pods`: suspended, finished, being deleted, parallelism
    full, ...) or has no per-index backoff limit. An index also needs to be
    among the lowest pending indexes that fit in parallelism to get its pod
    (see :func:`next_pod_time`).
    """
    return _index_backoffs(job, list(pods))


def index_backoff(job: Obj, index: int, pods: Iterable[Obj]) -> Backoff | None:
    """The backoff of one index (``pods``: all the Job's pods, to know what is active)."""
    return _index_backoffs(job, list(pods)).get(index)


# ---------------------------------------------------------------- next pod


def _first_pending_indexes(job: Obj, pods: list[Obj], count: int) -> list[int]:
    """``firstPendingIndexes``."""
    completions = _completions(job) or 0
    busy = {
        ix
        for p in pods
        if (is_pod_active(p) or (only_replace_failed_pods(job) and is_pod_terminating(p)))
        and (ix := pod_completion_index(p)) is not None
    }
    non_pending = (
        succeeded_indexes(job, pods) | IndexSet.from_indexes(busy) | failed_indexes(job, pods)
    )
    return non_pending.complement(completions).take(count)


def next_pod_time(job: Obj, pods: Iterable[Obj]) -> datetime | None:
    """The instant the controller will create the Job's next pod, when it is backing off.

    None when it is not backing off: nothing is wanted (suspended, finished,
    parallelism full, ...) or a pod can be created at once. The instant may be
    in the past (the delay has just expired): use :func:`remaining`.

    Whole-Job backoff is approximated (see the module docstring). With
    ``backoffLimitPerIndex`` it is exact: the controller considers the lowest
    pending indexes that fit in parallelism, creates pods for those whose
    delay expired, and otherwise waits for the earliest one.
    """
    pods = list(pods)
    diff = _pods_wanted(job, pods)
    if diff <= 0:
        return None
    if not has_backoff_limit_per_index(job):
        b = _failures_since_last_success(job, pods)
        return b.until if b is not None else None
    if not is_indexed(job):
        return None
    candidates = _first_pending_indexes(job, pods, min(diff, MAX_POD_CREATE_PER_SYNC))
    if not candidates:
        return None
    backoffs = _index_backoffs(job, pods)
    times = []
    for ix in candidates:
        b = backoffs.get(ix)
        if b is None:
            return None  # this index gets its pod right away
        times.append(b.until)
    return min(times)
