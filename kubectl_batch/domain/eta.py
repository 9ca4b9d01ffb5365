"""When a multi-completion Job will end, from the pods that already finished.

Throughput is the number of pods that succeeded within a sliding window
(:data:`WINDOW`, or since the Job started when it is younger) per minute; the
ETA is the remaining completions at that rate. The observed pod durations and
parallelism are the basis shown beside it (and a floor: the last wave takes at
least one mean pod duration). No estimate before :data:`MIN_FINISHED` pods
succeeded in the window: a rate from one or two pods is noise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .backoff import pod_finished_time
from .clock import Clock
from .timeutil import parse_time

__all__ = ["MIN_FINISHED", "WINDOW", "Estimate", "estimate"]

Obj = Mapping[str, Any]

#: The sliding window of the throughput.
WINDOW = timedelta(minutes=10)
#: Succeeded pods within the window needed before an estimate is given.
MIN_FINISHED = 3


@dataclass(frozen=True)
class Estimate:
    """The outlook of a Job with several completions still to go."""

    remaining: int
    parallelism: int
    #: Pods that succeeded within the window, and the window's length.
    finished_in_window: int
    window: timedelta
    #: Mean run time of the succeeded pods seen (None: none seen).
    mean_pod: timedelta | None
    #: Completions per minute over the window (None: not enough finished pods).
    per_minute: float | None
    #: When the last completion is expected (None: no estimate).
    eta: datetime | None

    @property
    def basis(self) -> str:
        """How the estimate was made, in one sentence."""
        mean = f", mean pod {_seconds(self.mean_pod)}" if self.mean_pod is not None else ""
        if self.per_minute is None:
            return (
                f"no estimate: {self.finished_in_window} pod(s) succeeded in the last "
                f"{_seconds(self.window)}, {MIN_FINISHED} needed{mean}; "
                f"{self.remaining} completion(s) remaining, parallelism {self.parallelism}"
            )
        return (
            f"{self.finished_in_window} pods succeeded in the last {_seconds(self.window)} "
            f"({self.per_minute:.2f}/min){mean}, parallelism {self.parallelism}: "
            f"{self.remaining} completion(s) remaining"
        )


def _seconds(d: timedelta | None) -> str:
    if d is None:
        return "?"
    total = int(d.total_seconds())
    if total < 120:
        return f"{total}s"
    return f"{total // 60}m{total % 60:02d}s"


def _started(pod: Obj) -> datetime | None:
    status = pod.get("status") or {}
    for cs in status.get("containerStatuses") or ():
        term = (cs.get("state") or {}).get("terminated") or {}
        if term.get("startedAt"):
            return parse_time(term["startedAt"])
    return parse_time(status.get("startTime"))


def estimate(job: Obj, pods: Iterable[Obj], clock: Clock) -> Estimate | None:
    """The ETA of an unfinished Job with ``spec.completions`` > 1; None for other Jobs."""
    spec, status = job.get("spec") or {}, job.get("status") or {}
    completions = spec.get("completions")
    if not isinstance(completions, int) or completions <= 1:
        return None
    succeeded = status.get("succeeded") or 0
    remaining = completions - succeeded
    if remaining <= 0:
        return None
    parallelism = spec.get("parallelism")
    parallelism = 1 if parallelism is None else parallelism
    now = clock()
    start = parse_time(status.get("startTime"))
    window = WINDOW if start is None or now - start > WINDOW else now - start
    durations: list[timedelta] = []
    in_window = 0
    for pod in pods:
        if (pod.get("status") or {}).get("phase") != "Succeeded":
            continue
        finished = pod_finished_time(pod)
        if finished is None:
            continue
        began = _started(pod)
        if began is not None and finished >= began:
            durations.append(finished - began)
        if now - finished <= window:
            in_window += 1
    mean = sum(durations, timedelta(0)) / len(durations) if durations else None
    if in_window < MIN_FINISHED or window <= timedelta(0):
        return Estimate(remaining, parallelism, in_window, window, mean, None, None)
    per_minute = in_window / (window.total_seconds() / 60)
    left = timedelta(minutes=remaining / per_minute)
    if mean is not None and left < mean and parallelism > 0:
        left = mean  # the last pods still have to run once
    return Estimate(remaining, parallelism, in_window, window, mean, per_minute, now + left)
