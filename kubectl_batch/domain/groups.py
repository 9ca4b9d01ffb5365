"""Job groups: Jobs tied by a label (``jobgroup=jobexample``), seen and handled as one.

* :func:`shared_label_keys`: the label keys to group by, most common first.
* :func:`group_jobs` and :func:`summarize`: a group's row (its Jobs' states, completions,
  failures, oldest start, ETA, most urgent WHY). Per-Job figures come in through hooks
  (``eta_of``, ``why_of``) so this module does not compute them a second time.
* :func:`log_pods` and :func:`log_prefix`: which pods a group's (or a Job's) logs show and
  how each line says where it comes from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from .clock import Clock
from .jobs import (
    CONTROLLER_UID_LABEL,
    LEGACY_CONTROLLER_UID_LABEL,
    JobSummary,
    is_job_finished,
    pod_completion_index,
)
from .timeutil import parse_time

__all__ = [
    "NO_VALUE",
    "GroupSummary",
    "Why",
    "group_eta",
    "group_jobs",
    "group_selector",
    "group_value",
    "log_pods",
    "log_prefix",
    "shared_label_keys",
    "states_text",
    "summarize",
]

Obj = Mapping[str, Any]

#: The labels every Job's pods carry or that name one Job: never a group.
_NOT_GROUPS = frozenset(
    {
        CONTROLLER_UID_LABEL,
        LEGACY_CONTROLLER_UID_LABEL,
        "batch.kubernetes.io/job-name",
        "job-name",
        "batch.kubernetes.io/job-completion-index",
    }
)
#: The group of Jobs without the key.
NO_VALUE = ""
#: Completions seen over this window give the group's rate.
RATE_WINDOW = timedelta(minutes=10)
#: Completed Jobs/indexes in the window needed before a rate-based ETA.
MIN_DONE = 3
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: The order states are told in ("12 complete, 1 failed, 3 running").
_STATE_ORDER = (
    "Complete",
    "Failed",
    "Running",
    "Suspended",
    "FailureTarget",
    "SuccessCriteriaMet",
    "Terminating",
)


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _labels(obj: Obj) -> Obj:
    return _meta(obj).get("labels") or {}


# ------------------------------------------------------------------ grouping


def shared_label_keys(jobs: Iterable[Obj]) -> list[tuple[str, int]]:
    """Label keys of the Jobs with how many Jobs carry each, most common first (then by
    fewest distinct values: a key on every Job with one value each is no grouping), the
    per-Job controller labels left out."""
    count: Counter[str] = Counter()
    values: dict[str, set[str]] = {}
    for job in jobs:
        for key, value in _labels(job).items():
            if key in _NOT_GROUPS:
                continue
            count[key] += 1
            values.setdefault(key, set()).add(str(value))
    return sorted(count.items(), key=lambda kv: (-kv[1], len(values[kv[0]]), kv[0]))


def group_value(job: Obj, key: str) -> str:
    """The group of a Job: the value of its label ``key`` (:data:`NO_VALUE` without it)."""
    value = _labels(job).get(key)
    return NO_VALUE if value is None else str(value)


def group_jobs(jobs: Iterable[Obj], key: str) -> dict[str, list[Obj]]:
    """Jobs by :func:`group_value`."""
    groups: dict[str, list[Obj]] = {}
    for job in jobs:
        groups.setdefault(group_value(job, key), []).append(job)
    return groups


def group_selector(key: str, value: str) -> str:
    """The label selector of one group (``!key`` for the Jobs without the label)."""
    return f"!{key}" if value == NO_VALUE else f"{key}={value}"


# ------------------------------------------------------------------- summary


@dataclass(frozen=True)
class Why:
    """A Job's most pressing explanation, for the group row: the highest ``urgency``
    wins (the WHY column's own ranking, given through ``why_of``)."""

    urgency: int
    text: str
    job: str = ""


@dataclass(frozen=True)
class GroupSummary:
    key: str
    value: str
    jobs: int
    #: Jobs per kubectl STATUS ("Complete", "Failed", "Running", ...).
    states: Mapping[str, int]
    #: Completions done and wanted, summed over the Jobs (a Job without
    #: spec.completions wants one).
    succeeded: int
    completions: int
    #: Failed pods, summed.
    failed: int
    #: Jobs that failed (the Failed condition).
    failed_jobs: int
    active: int
    oldest_start: datetime | None
    #: When the whole group should be done, or None when unknown.
    eta: datetime | None
    why: Why | None
    #: Names of the Jobs, for the group's actions.
    names: tuple[str, ...]

    @property
    def selector(self) -> str:
        return group_selector(self.key, self.value)

    @property
    def finished(self) -> bool:
        return self.states.get("Complete", 0) + self.states.get("Failed", 0) == self.jobs

    @property
    def progress(self) -> float:
        return self.succeeded / self.completions if self.completions else 0.0


def states_text(states: Mapping[str, int]) -> str:
    """``12 complete, 1 failed, 3 running``: the states present, in a fixed order."""
    order = [s for s in _STATE_ORDER if states.get(s)] + sorted(
        s for s in states if s not in _STATE_ORDER and states[s]
    )
    return ", ".join(f"{states[s]} {s.lower()}" for s in order)


def group_eta(
    summaries: Sequence[JobSummary], now: datetime, job_etas: Sequence[datetime | None] = ()
) -> datetime | None:
    """When the group should be done: its remaining completions at the rate completions
    were made over the last :data:`RATE_WINDOW` (Jobs' completion times); never before
    the latest per-Job ETA (``job_etas``, of the unfinished Jobs). None without a rate."""
    unfinished = [s for s in summaries if not s.is_finished]
    if not unfinished:
        return None
    remaining = sum(max(_wanted(s) - s.succeeded, 0) for s in unfinished)
    since = now - RATE_WINDOW
    starts = [s.start_time for s in summaries if s.start_time is not None]
    window_start = max(since, min(starts)) if starts else since
    done = sum(
        _wanted(s)
        for s in summaries
        if s.completion_time is not None and s.completion_time >= window_start
    )
    rate_eta = None
    seconds = (now - window_start).total_seconds()
    if done >= MIN_DONE and seconds > 0:
        rate_eta = now + timedelta(seconds=remaining * seconds / done)
    known = [e for e in job_etas if e is not None]
    if rate_eta is None:
        # Per-Job figures alone tell the group's end only when every unfinished Job has one.
        return max(known) if known and len(known) == len(unfinished) else None
    return max([rate_eta, *known])


def _wanted(summary: JobSummary) -> int:
    return summary.spec_completions if summary.spec_completions is not None else 1


def summarize(
    key: str,
    value: str,
    jobs: Sequence[Obj],
    clock: Clock,
    eta_of: Callable[[Obj], datetime | None] | None = None,
    why_of: Callable[[Obj], Why | None] | None = None,
    summaries: Sequence[JobSummary] | None = None,
) -> GroupSummary:
    """One group's row; ``summaries`` (one per Job, in order) when already computed."""
    now = clock()
    if summaries is None:
        summaries = [JobSummary.from_job(dict(j), clock) for j in jobs]
    states = Counter(s.status for s in summaries)
    starts = [s.start_time for s in summaries if s.start_time is not None]
    etas = [eta_of(j) for j in jobs if not is_job_finished(j)] if eta_of else []
    whys = [w for w in (why_of(j) for j in jobs) if w is not None] if why_of else []
    return GroupSummary(
        key=key,
        value=value,
        jobs=len(summaries),
        states=dict(states),
        succeeded=sum(s.succeeded for s in summaries),
        completions=sum(_wanted(s) for s in summaries),
        failed=sum(s.failed for s in summaries),
        failed_jobs=states.get("Failed", 0),
        active=sum(s.active for s in summaries),
        oldest_start=min(starts) if starts else None,
        eta=group_eta(summaries, now, etas),
        why=max(whys, key=lambda w: w.urgency) if whys else None,
        names=tuple(s.name for s in summaries),
    )


# ---------------------------------------------------------------------- logs


def _created(pod: Obj) -> tuple[datetime, str]:
    when = parse_time(_meta(pod).get("creationTimestamp"))
    return (when or _EPOCH, _meta(pod).get("name", ""))


def log_pods(pods: Iterable[Obj], latest_only: bool) -> list[Obj]:
    """The pods whose logs to show, oldest first: every one, or with ``latest_only`` the
    latest attempt of each completion index (the latest pod, for pods without an index)."""
    ordered = sorted(pods, key=_created)
    if not latest_only:
        return ordered
    latest: dict[int | None, Obj] = {}
    for pod in ordered:
        latest[pod_completion_index(pod)] = pod
    return sorted(latest.values(), key=_created)


def log_prefix(job: str, pod: Obj, several_pods: bool) -> str:
    """``job/render[7]`` for an index, ``job/render/x7k2p`` for one of several pods of a
    non-indexed Job, ``job/render`` otherwise."""
    index = pod_completion_index(pod)
    if index is not None:
        return f"job/{job}[{index}]"
    if several_pods:
        return f"job/{job}/{_meta(pod).get('name', '')[-5:]}"
    return f"job/{job}"
