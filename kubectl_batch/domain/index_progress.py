"""Per-index progress of an Indexed Job, from the Job and its pods.

Built for ``completions`` in the hundreds of thousands: the state of every
index is kept run-length encoded (one :class:`~.indexes.IndexSet` per
:class:`IndexState`); per-index detail (attempts, exit codes, backoff) is only
computed, lazily, for indexes that have pods.

A pod's index is its ``batch.kubernetes.io/job-completion-index`` annotation
(the label as a fallback). Attempt numbers come from the per-index failure
count annotations the controller writes when ``backoffLimitPerIndex`` is set
(``batch.kubernetes.io/job-index-failure-count`` and
``batch.kubernetes.io/job-index-ignored-failure-count``: failures of the index
before that pod); without them only the pods still present are known.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from .backoff import (
    Backoff,
    failed_indexes,
    index_backoffs,
    index_failure_count,
    index_ignored_failure_count,
    job_backoff,
    pod_finished_time,
    succeeded_indexes,
)
from .clock import Clock
from .indexes import IndexSet
from .jobs import (
    INDEX_FAILURE_COUNT_ANNOTATION,
    has_backoff_limit_per_index,
    has_job_condition,
    is_indexed,
    is_job_finished,
    is_pod_active,
    is_pod_failed,
    is_pod_terminating,
    pod_completion_index,
)
from .timeutil import parse_time

__all__ = ["Attempt", "IndexDetail", "IndexProgress", "IndexState", "index_progress"]

Obj = Mapping[str, Any]


class IndexState(str, Enum):
    """What an index is doing. Listed in precedence order."""

    #: In ``status.completedIndexes`` (or its pod succeeded, not yet counted).
    SUCCEEDED = "succeeded"
    #: In ``status.failedIndexes`` (``backoffLimitPerIndex`` exhausted or FailIndex).
    FAILED = "failed"
    #: A pod of the index is in phase Running.
    RUNNING = "running"
    #: A pod of the index exists and is not running yet (Pending/Unknown).
    PENDING = "pending"
    #: Its only live pod is being deleted.
    TERMINATING = "terminating"
    #: A previous attempt failed; the controller waits for the backoff delay.
    BACKING_OFF = "backing-off"
    #: Attempted before, no pod now; the Job will create one (free slot, ~1 s sync).
    WAITING = "waiting"
    #: Attempted before, not succeeded, and the Job will not create more pods
    #: (finished, failing, suspended or deleted).
    INCOMPLETE = "incomplete"
    #: No pod seen for this index (never started, or its pods are gone).
    NOT_STARTED = "not-started"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Attempt:
    """One pod of an index."""

    pod_name: str
    uid: str | None
    phase: str
    #: 1-based attempt number from the failure-count annotations (None without them).
    number: int | None
    #: ``job-index-failure-count`` / ``job-index-ignored-failure-count`` of the pod.
    failure_count: int
    ignored_failure_count: int
    created: datetime | None
    started: datetime | None
    #: When it finished (backoff finish-time rules), for terminal or deleted pods.
    finished: datetime | None
    #: Exit code of the first container that exited non-zero, 0 when all
    #: terminated with 0, None when unknown.
    exit_code: int | None
    #: Container termination reason (Error, OOMKilled ...) or the pod's reason
    #: (Evicted, DeadlineExceeded ...) or its DisruptionTarget reason.
    reason: str | None
    message: str | None
    container: str | None
    node: str | None
    deleting: bool

    @property
    def failed(self) -> bool:
        return self.phase == "Failed"


@dataclass(frozen=True)
class IndexDetail:
    index: int
    state: IndexState
    #: Pods present for the index, oldest attempt first.
    attempts: tuple[Attempt, ...]
    #: Attempts made so far (annotations, else the pods present).
    attempt_count: int
    #: Failed attempts so far, including failures a podFailurePolicy ignored.
    failures: int
    #: Pending backoff (per index, or the whole Job's for a retried index).
    backoff: Backoff | None

    @property
    def failed_attempts(self) -> tuple[Attempt, ...]:
        return tuple(a for a in self.attempts if a.failed)

    @property
    def last_attempt(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None


def _attempt(pod: Obj, job: Obj, per_index: bool) -> Attempt:
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    phase = status.get("phase") or "Unknown"
    fc = index_failure_count(pod)
    ifc = index_ignored_failure_count(pod)
    annotations = meta.get("annotations") or {}
    has_counts = per_index or INDEX_FAILURE_COUNT_ANNOTATION in annotations
    exit_code: int | None = None
    reason: str | None = None
    message: str | None = None
    container: str | None = None
    statuses = list(status.get("containerStatuses") or ())
    terminated = [
        (cs.get("name"), t) for cs in statuses if (t := (cs.get("state") or {}).get("terminated"))
    ]
    for name, t in terminated:
        code = t.get("exitCode")
        if isinstance(code, int) and code != 0:
            exit_code, reason, message, container = code, t.get("reason"), t.get("message"), name
            break
    else:
        if terminated and len(terminated) == len(statuses):
            exit_code = 0
    if reason is None and status.get("reason"):
        reason, message = status.get("reason"), status.get("message")
    if reason is None and phase == "Failed":
        for c in status.get("conditions") or ():
            if c.get("type") == "DisruptionTarget" and c.get("status") == "True":
                reason, message = c.get("reason"), c.get("message")
                break
    deleting = meta.get("deletionTimestamp") is not None
    finished = (
        pod_finished_time(pod)
        if phase in ("Succeeded", "Failed") or is_pod_failed(pod, job)
        else None
    )
    try:
        started = parse_time(status.get("startTime"))
    except ValueError:
        started = None
    return Attempt(
        pod_name=meta.get("name", ""),
        uid=meta.get("uid"),
        phase=phase,
        number=fc + ifc + 1 if has_counts else None,
        failure_count=fc,
        ignored_failure_count=ifc,
        created=parse_time(meta.get("creationTimestamp")),
        started=started,
        finished=finished,
        exit_code=exit_code,
        reason=reason,
        message=message,
        container=container,
        node=(pod.get("spec") or {}).get("nodeName"),
        deleting=deleting,
    )


class IndexProgress:
    """State of every index of an Indexed Job, run-length encoded.

    ``states`` maps every :class:`IndexState` to the (possibly empty) set of
    indexes in it; the sets partition ``[0, completions)``.
    """

    def __init__(self, job: Obj, pods: Iterable[Obj], clock: Clock) -> None:
        if not is_indexed(job):
            raise ValueError("not an Indexed Job")
        completions = (job.get("spec") or {}).get("completions")
        if not isinstance(completions, int) or completions < 0:
            raise ValueError("an Indexed Job needs spec.completions")
        self.job = job
        self.completions = completions
        now = clock()
        uid = (job.get("metadata") or {}).get("uid")

        by_index: dict[int, list[Obj]] = {}
        unindexed: list[Obj] = []
        mine: list[Obj] = []
        for p in pods:
            if uid and not _owned_by(p, uid):
                continue
            mine.append(p)
            ix = pod_completion_index(p)
            if ix is None or ix >= completions:
                unindexed.append(p)
            else:
                by_index.setdefault(ix, []).append(p)
        self._pods_by_index = by_index
        #: Pods with no valid index, or an index >= completions.
        self.unindexed_pods: tuple[Obj, ...] = tuple(unindexed)

        succeeded = succeeded_indexes(job, mine)
        succeeded_by_pod = [
            ix
            for ix, ps in by_index.items()
            if ix not in succeeded
            and any((p.get("status") or {}).get("phase") == "Succeeded" for p in ps)
        ]
        if succeeded_by_pod:
            succeeded = succeeded | IndexSet.from_indexes(succeeded_by_pod)
        failed = failed_indexes(job, mine) - succeeded

        # Backoffs still running at `now`.
        self.job_backoff: Backoff | None = None
        backoffs: dict[int, Backoff] = {}
        if has_backoff_limit_per_index(job):
            backoffs = {ix: b for ix, b in index_backoffs(job, mine).items() if b.until > now}
        else:
            jb = job_backoff(job, mine)
            if jb is not None and jb.until > now:
                self.job_backoff = jb

        stopped = (
            is_job_finished(job)
            or (job.get("spec") or {}).get("suspend") is True
            or (job.get("metadata") or {}).get("deletionTimestamp") is not None
            or has_job_condition(job, "FailureTarget")
            or has_job_condition(job, "SuccessCriteriaMet")
        )

        buckets: dict[IndexState, list[int]] = {s: [] for s in IndexState}
        self._state_by_pod_index: dict[int, IndexState] = {}
        for ix, ps in by_index.items():
            if ix in succeeded or ix in failed:
                continue
            state = self._live_state(ix, ps, backoffs, stopped, job)
            buckets[state].append(ix)
            self._state_by_pod_index[ix] = state

        states: dict[IndexState, IndexSet] = {}
        states[IndexState.SUCCEEDED] = succeeded
        states[IndexState.FAILED] = failed
        for s in IndexState:
            if s not in (IndexState.SUCCEEDED, IndexState.FAILED, IndexState.NOT_STARTED):
                states[s] = IndexSet.from_indexes(buckets[s])
        taken = IndexSet().union(*states.values())
        states[IndexState.NOT_STARTED] = taken.complement(completions)
        #: Every state (in precedence order) to its indexes.
        self.states: dict[IndexState, IndexSet] = {s: states[s] for s in IndexState}
        #: Per-index backoffs still running (``backoffLimitPerIndex`` Jobs).
        self.backoffs: dict[int, Backoff] = {
            ix: b for ix, b in backoffs.items() if ix in self.states[IndexState.BACKING_OFF]
        }
        self._details: dict[int, IndexDetail] = {}

    def _live_state(
        self,
        ix: int,
        pods: list[Obj],
        backoffs: dict[int, Backoff],
        stopped: bool,
        job: Obj,
    ) -> IndexState:
        phases = [(p.get("status") or {}).get("phase") for p in pods if is_pod_active(p)]
        if "Running" in phases:
            return IndexState.RUNNING
        if phases:
            return IndexState.PENDING
        if any(is_pod_terminating(p) for p in pods):
            return IndexState.TERMINATING
        if stopped:
            return IndexState.INCOMPLETE
        if ix in backoffs:
            return IndexState.BACKING_OFF
        if self.job_backoff is not None and any(is_pod_failed(p, job) for p in pods):
            return IndexState.BACKING_OFF
        return IndexState.WAITING

    # ---------------------------------------------------------------- queries

    def state_of(self, index: int) -> IndexState:
        if not 0 <= index < self.completions:
            raise IndexError(index)
        if index in self._state_by_pod_index:
            return self._state_by_pod_index[index]
        for s, ixs in self.states.items():
            if index in ixs:
                return s
        return IndexState.NOT_STARTED  # unreachable: the states partition the range

    def counts(self) -> dict[IndexState, int]:
        return {s: len(ixs) for s, ixs in self.states.items()}

    def runs(self) -> Iterator[tuple[int, int, IndexState]]:
        """``(first, last, state)`` inclusive runs covering ``[0, completions)`` in order."""
        pieces = sorted(
            (first, last, s) for s, ixs in self.states.items() for first, last in ixs.iter_ranges()
        )
        return iter(pieces)

    @property
    def indexes_with_pods(self) -> IndexSet:
        return IndexSet.from_indexes(self._pods_by_index)

    def pods_of(self, index: int) -> tuple[Obj, ...]:
        return tuple(self._pods_by_index.get(index, ()))

    def detail(self, index: int) -> IndexDetail:
        """Attempts, failures and backoff of one index (computed once, on demand)."""
        d = self._details.get(index)
        if d is None:
            d = self._detail(index)
            self._details[index] = d
        return d

    def details(self) -> Iterator[IndexDetail]:
        """Detail of every index that has pods, ascending."""
        for ix in sorted(self._pods_by_index):
            yield self.detail(ix)

    @property
    def next_backoff_expiry(self) -> datetime | None:
        """The earliest running backoff expiry (per-index or whole Job)."""
        times = [b.until for b in self.backoffs.values()]
        if self.job_backoff is not None and self.states[IndexState.BACKING_OFF]:
            times.append(self.job_backoff.until)
        return min(times) if times else None

    def _detail(self, index: int) -> IndexDetail:
        state = self.state_of(index)
        pods = self._pods_by_index.get(index, [])
        per_index = has_backoff_limit_per_index(self.job)
        attempts = sorted(
            (_attempt(p, self.job, per_index) for p in pods),
            key=lambda a: (
                a.number or 0,
                a.created.timestamp() if a.created else 0.0,
                a.pod_name,
            ),
        )
        attempt_count = len(attempts)
        failures = sum(1 for a in attempts if a.failed)
        for a in attempts:
            if a.number is not None:
                attempt_count = max(attempt_count, a.number)
                failures = max(failures, a.number - (0 if a.failed else 1))
        backoff: Backoff | None = None
        if state is IndexState.BACKING_OFF:
            backoff = self.backoffs.get(index) or self.job_backoff
        return IndexDetail(
            index=index,
            state=state,
            attempts=tuple(attempts),
            attempt_count=attempt_count,
            failures=failures,
            backoff=backoff,
        )


def _owned_by(pod: Obj, uid: str) -> bool:
    """False only when the pod's controller is known to be another object."""
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller") is True:
            return ref.get("uid") in (None, uid)
    return True


def index_progress(job: Obj, pods: Iterable[Obj], clock: Clock) -> IndexProgress:
    return IndexProgress(job, pods, clock)
