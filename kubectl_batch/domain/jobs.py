"""What a Job is doing, read from the Job dict as the API returns it.

:class:`JobSummary` gives the columns of ``kubectl get jobs`` computed exactly
as kubectl 1.36 does (``pkg/printers/internalversion/printers.go``,
``printJob``) plus the facts a UI needs (counts, finished/suspended, owning
CronJob, retry lineage). The module also holds the controller's predicates on
Jobs and their Pods (``pkg/controller/job``) shared by :mod:`.backoff` and
:mod:`.index_progress`.

Lineage of re-runs made by this project (written by the retry feature, read
here):

* label :data:`RETRY_OF_LABEL` (``batch.kubectl-batch.io/retry-of``) on a Job
  created to re-run another one: the original Job's name;
* annotation :data:`RETRY_INDEXES_ANNOTATION`
  (``batch.kubectl-batch.io/retry-indexes``): the original's completion
  indexes this Job re-runs, in the controller's index format (``1,3-5,7``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from .clock import Clock
from .indexes import IndexSet
from .timeutil import UNKNOWN, format_duration, parse_time

__all__ = [
    "COMPLETION_INDEX_ANNOTATION",
    "CONTROLLER_UID_LABEL",
    "CRONJOB_INSTANTIATE_ANNOTATION",
    "CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION",
    "INDEX_FAILURE_COUNT_ANNOTATION",
    "INDEX_IGNORED_FAILURE_COUNT_ANNOTATION",
    "JOB_CONTROLLER_NAME",
    "JOB_TRACKING_FINALIZER",
    "RETRY_INDEXES_ANNOTATION",
    "RETRY_OF_LABEL",
    "SuspendWarning",
    "UNBOUNDED_BACKOFF_LIMIT",
    "LEGACY_CONTROLLER_UID_LABEL",
    "JobSummary",
    "Lineage",
    "completions_text",
    "controller_of",
    "find_condition",
    "has_backoff_limit_per_index",
    "has_job_condition",
    "has_job_wide_backoff_limit",
    "has_tracking_finalizer",
    "is_indexed",
    "is_job_finished",
    "is_managed_by_job_controller",
    "is_pod_active",
    "is_pod_failed",
    "is_pod_ready",
    "is_pod_terminal",
    "is_pod_terminating",
    "is_suspended",
    "job_status_text",
    "jobs_by_cronjob",
    "only_replace_failed_pods",
    "owner_cronjob",
    "pod_completion_index",
    "read_lineage",
    "reason_words",
    "suspend_warning",
]

#: Label on a Job re-running (part of) another Job: the original Job's name.
RETRY_OF_LABEL = "batch.kubectl-batch.io/retry-of"
#: Annotation on such a Job: the original's indexes it re-runs (``1,3-5,7``).
RETRY_INDEXES_ANNOTATION = "batch.kubectl-batch.io/retry-indexes"

COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
INDEX_FAILURE_COUNT_ANNOTATION = "batch.kubernetes.io/job-index-failure-count"
INDEX_IGNORED_FAILURE_COUNT_ANNOTATION = "batch.kubernetes.io/job-index-ignored-failure-count"
JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
#: Label the API server puts on every Job's pods (and its selector): the Job's uid.
CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
#: The same label as written before Kubernetes 1.27 (still set alongside it).
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
CRONJOB_INSTANTIATE_ANNOTATION = "cronjob.kubernetes.io/instantiate"
#: ``spec.managedBy`` value meaning the built-in Job controller.
JOB_CONTROLLER_NAME = "kubernetes.io/job-controller"

Obj = Mapping[str, Any]

_ATOI = re.compile(r"\+?[0-9]+\Z")


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def _status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


# --------------------------------------------------------------------- Jobs


def find_condition(job: Obj, cond_type: str) -> Obj | None:
    """The first condition of this type (``findConditionByType``)."""
    c: Obj
    for c in _status(job).get("conditions") or ():
        if c.get("type") == cond_type:
            return c
    return None


def has_job_condition(job: Obj, cond_type: str) -> bool:
    """printers.go ``hasJobCondition``: the *first* condition of the type has status True."""
    c = find_condition(job, cond_type)
    return c is not None and c.get("status") == "True"


def is_job_finished(job: Obj) -> bool:
    """``util.IsJobFinished``: any ``Complete`` or ``Failed`` condition with status True."""
    for c in _status(job).get("conditions") or ():  # (a loop: a row asks this three times)
        if c.get("status") == "True" and c.get("type") in ("Complete", "Failed"):
            return True
    return False


@dataclass(frozen=True)
class SuspendWarning:
    """What suspending a Job costs, in the words both the CLI and the TUI show."""

    #: What suspending does to its active pods (names as written: the UI cleans them).
    suspending: str
    #: What resuming it later does.
    resuming: str

    def __str__(self) -> str:
        return f"{self.suspending} {self.resuming}"


def suspend_warning(job: Obj, active: int | None = None) -> SuspendWarning | None:
    """What suspending this Job does to its ``active`` pods (default ``status.active``),
    for a confirmation; None when suspending it costs nothing (a CronJob, no active pods,
    already suspended, finished)."""
    if job.get("kind", "Job") != "Job" or is_suspended(job) or is_job_finished(job):
        return None
    if active is None:
        active = _status(job).get("active") or 0
    if active <= 0:
        return None
    meta = _meta(job)
    resuming = "Resuming later restarts them and resets the job's start time"
    if _spec(job).get("activeDeadlineSeconds") is not None:
        resuming += " (and so its activeDeadlineSeconds)"
    return SuspendWarning(
        f"Suspending job {meta.get('namespace', '')}/{meta.get('name', '')} deletes its "
        f"{active} active pod(s); they are not counted as failures.",
        resuming + ".",
    )


def is_indexed(job: Obj) -> bool:
    return _spec(job).get("completionMode") == "Indexed"


def is_suspended(job: Obj) -> bool:
    """``spec.suspend`` (what the controller acts on; the condition may lag)."""
    return _spec(job).get("suspend") is True


def has_backoff_limit_per_index(job: Obj) -> bool:
    return _spec(job).get("backoffLimitPerIndex") is not None


#: The API server's default ``backoffLimit`` when ``backoffLimitPerIndex`` is set
#: (MaxInt32): no Job-wide limit, only the per-index one.
UNBOUNDED_BACKOFF_LIMIT = 2**31 - 1


def has_job_wide_backoff_limit(job: Obj) -> bool:
    """False when only ``backoffLimitPerIndex`` limits retries (``backoffLimit`` is then
    MaxInt32, the API server's default for such Jobs)."""
    limit = _spec(job).get("backoffLimit", 6)
    return not (has_backoff_limit_per_index(job) and limit == UNBOUNDED_BACKOFF_LIMIT)


def only_replace_failed_pods(job: Obj) -> bool:
    """``onlyReplaceFailedPods``: ``podReplacementPolicy: Failed`` or a podFailurePolicy."""
    spec = _spec(job)
    return spec.get("podReplacementPolicy") == "Failed" or spec.get("podFailurePolicy") is not None


def is_managed_by_job_controller(job: Obj) -> bool:
    """False when ``spec.managedBy`` hands the Job to another controller."""
    managed_by = _spec(job).get("managedBy")
    return managed_by is None or managed_by == JOB_CONTROLLER_NAME


def job_status_text(job: Obj) -> str:
    """kubectl's STATUS column (printers.go ``printJob``, 1.36), in its order."""
    if has_job_condition(job, "Complete"):
        return "Complete"
    if has_job_condition(job, "Failed"):
        return "Failed"
    if _meta(job).get("deletionTimestamp") is not None:
        return "Terminating"
    if has_job_condition(job, "Suspended"):
        return "Suspended"
    if has_job_condition(job, "FailureTarget"):
        return "FailureTarget"
    if has_job_condition(job, "SuccessCriteriaMet"):
        return "SuccessCriteriaMet"
    return "Running"


def completions_text(job: Obj) -> str:
    """kubectl's COMPLETIONS column: ``3/5``; without completions ``0/1`` or ``0/1 of 3``."""
    succeeded = _int(_status(job).get("succeeded"))
    spec = _spec(job)
    completions = spec.get("completions")
    if completions is not None:
        return f"{succeeded}/{completions}"
    parallelism = _int(spec.get("parallelism"))
    if parallelism > 1:
        return f"{succeeded}/1 of {parallelism}"
    return f"{succeeded}/1"


def _reason(job: Obj, status: str) -> tuple[str | None, str | None]:
    """Reason and message of the condition that explains the STATUS column."""
    order = {
        "Complete": ("Complete", "SuccessCriteriaMet"),
        "Failed": ("Failed", "FailureTarget"),
        "Terminating": ("FailureTarget", "SuccessCriteriaMet"),
        "Suspended": ("Suspended",),
        "FailureTarget": ("FailureTarget",),
        "SuccessCriteriaMet": ("SuccessCriteriaMet",),
    }.get(status, ())
    for t in order:
        c = find_condition(job, t)
        if c is not None and c.get("status") == "True" and c.get("reason"):
            return c.get("reason"), c.get("message") or None
    # A terminal condition without a reason (older clusters): keep its message.
    for t in order:
        c = find_condition(job, t)
        if c is not None and c.get("status") == "True":
            return None, c.get("message") or None
    return None, None


# The Job controller's condition reasons in the words a table cell has room for.
_REASON_WORDS = {
    "BackoffLimitExceeded": "backoff limit",
    "DeadlineExceeded": "deadline",
    "FailedIndexes": "failed indexes",
    "MaxFailedIndexesExceeded": "max failed indexes",
    "PodFailurePolicy": "pod failure policy",
    "SuccessPolicy": "success policy",
    "CompletionsReached": "completions reached",
    "JobSuspended": "suspended",
}
# A reason that only says again what its status says.
_SAYS_NOTHING = {
    ("Complete", "CompletionsReached"),
    ("SuccessCriteriaMet", "CompletionsReached"),
    ("Suspended", "JobSuspended"),
}
_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def reason_words(status: str, reason: str | None) -> str | None:
    """The reason behind a Job's ``status`` in a few lower-case words (``backoff limit``,
    ``deadline``, ``success policy``), or None when it adds nothing to the status (a
    Complete Job's CompletionsReached). A reason this does not know is split into words."""
    if not reason or (status, reason) in _SAYS_NOTHING:
        return None
    known = _REASON_WORDS.get(reason)
    if known is not None:
        return known
    return _WORD_START.sub(" ", reason).lower()


def _cronjob_controller_ref(obj: Obj) -> Obj | None:
    """The ownerReference of the CronJob that controls ``obj``: ``controller`` is the
    boolean true (as the API server writes it; a string ``"true"`` does not count), the
    kind is CronJob and the group is batch. The one rule for "a CronJob owns this Job"."""
    refs: list[Obj] = _meta(obj).get("ownerReferences") or []
    for ref in refs:
        if (
            ref.get("controller") is True
            and ref.get("kind") == "CronJob"
            and str(ref.get("apiVersion") or "").startswith("batch/")
        ):
            return ref
    return None


def controller_of(obj: Obj) -> str | None:
    """uid of the CronJob that controls ``obj`` (see :func:`_cronjob_controller_ref`)."""
    ref = _cronjob_controller_ref(obj)
    return (ref.get("uid") or None) if ref is not None else None


def owner_cronjob(obj: Obj) -> str | None:
    """Name of the controlling CronJob (the same rule as :func:`controller_of`)."""
    ref = _cronjob_controller_ref(obj)
    return ref.get("name") if ref is not None else None


J = TypeVar("J", bound=Obj)


def jobs_by_cronjob(jobs: Iterable[J]) -> dict[str, list[J]]:
    """The Jobs of each controlling CronJob's uid (:func:`controller_of`), oldest first."""
    by_owner: dict[str, list[J]] = {}
    for job in jobs:
        owner = controller_of(job)
        if owner:
            by_owner.setdefault(owner, []).append(job)
    for owned in by_owner.values():
        owned.sort(key=lambda j: _meta(j).get("creationTimestamp") or "")
    return by_owner


@dataclass(frozen=True)
class Lineage:
    """Where a re-run Job comes from (see the module docstring)."""

    retry_of: str | None
    #: The original's indexes re-run here; None when absent or unreadable.
    retry_indexes: IndexSet | None
    #: The annotation as written (kept when it does not parse).
    retry_indexes_text: str | None


def read_lineage(job: Obj) -> Lineage | None:
    """Read the retry lineage label/annotation; None when the Job has neither."""
    meta = _meta(job)
    retry_of = (meta.get("labels") or {}).get(RETRY_OF_LABEL) or None
    text = (meta.get("annotations") or {}).get(RETRY_INDEXES_ANNOTATION)
    if retry_of is None and text is None:
        return None
    indexes: IndexSet | None = None
    if text is not None:
        try:
            indexes = IndexSet.parse(text.strip())
        except ValueError:
            indexes = None
    return Lineage(retry_of=retry_of, retry_indexes=indexes, retry_indexes_text=text)


# --------------------------------------------------------------------- Pods


def pod_completion_index(pod: Obj) -> int | None:
    """The pod's completion index, or None when missing or invalid.

    The controller reads the annotation only (``getCompletionIndex``); the
    label (1.28+) is used here as a fallback when the annotation is absent.
    """
    meta = _meta(pod)
    value = (meta.get("annotations") or {}).get(COMPLETION_INDEX_ANNOTATION)
    if value is None:
        value = (meta.get("labels") or {}).get(COMPLETION_INDEX_ANNOTATION)
    if not isinstance(value, str) or _ATOI.match(value) is None:
        return None
    return int(value)


def has_tracking_finalizer(pod: Obj) -> bool:
    return JOB_TRACKING_FINALIZER in (_meta(pod).get("finalizers") or ())


def is_pod_terminal(pod: Obj) -> bool:
    return _status(pod).get("phase") in ("Succeeded", "Failed")


def is_pod_active(pod: Obj) -> bool:
    """``controller.IsPodActive``: not Succeeded/Failed and not being deleted."""
    return not is_pod_terminal(pod) and _meta(pod).get("deletionTimestamp") is None


def is_pod_terminating(pod: Obj) -> bool:
    """``controller.IsPodTerminating``: being deleted and not terminal yet."""
    return not is_pod_terminal(pod) and _meta(pod).get("deletionTimestamp") is not None


def is_pod_failed(pod: Obj, job: Obj) -> bool:
    """``isPodFailed``: phase Failed, or (unless only failed pods are replaced)
    deleted before it succeeded."""
    phase = _status(pod).get("phase")
    if phase == "Failed":
        return True
    if only_replace_failed_pods(job):
        return False
    return _meta(pod).get("deletionTimestamp") is not None and phase != "Succeeded"


def is_pod_ready(pod: Obj) -> bool:
    c: Obj
    for c in _status(pod).get("conditions") or ():
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


# ---------------------------------------------------------------- summary


@dataclass(frozen=True)
class JobSummary:
    """One Job as ``kubectl get jobs`` shows it, plus what a UI needs."""

    name: str
    namespace: str
    uid: str
    #: kubectl's STATUS column.
    status: str
    #: Reason of the condition behind ``status`` (BackoffLimitExceeded, SuccessPolicy, ...).
    reason: str | None
    message: str | None
    #: kubectl's COMPLETIONS column ("3/5", "0/1 of 3").
    completions: str
    spec_completions: int | None
    parallelism: int | None
    succeeded: int
    failed: int
    active: int
    ready: int
    terminating: int
    #: kubectl's DURATION column ("" before the Job started).
    duration: str
    #: kubectl's AGE column.
    age: str
    #: What ``duration`` is computed from (None before the Job started).
    elapsed: timedelta | None
    created: datetime | None
    start_time: datetime | None
    completion_time: datetime | None
    #: When the Complete/Failed condition became True (also set for failed Jobs).
    finished_time: datetime | None
    is_indexed: bool
    is_finished: bool
    #: ``spec.suspend`` (the Suspended condition may lag behind it).
    is_suspended: bool
    backoff_limit: int | None
    backoff_limit_per_index: int | None
    max_failed_indexes: int | None
    owner_cronjob: str | None
    #: ``batch.kubernetes.io/cronjob-scheduled-timestamp`` of a Job created by a CronJob.
    scheduled_time: datetime | None
    #: Made by ``kubectl create job --from=cronjob/...``
    #: (annotation ``cronjob.kubernetes.io/instantiate: manual``).
    is_manual: bool
    lineage: Lineage | None

    @classmethod
    def from_job(cls, job: Obj, clock: Clock) -> JobSummary:
        now = clock()
        meta, spec, status = _meta(job), _spec(job), _status(job)
        annotations = meta.get("annotations") or {}

        created = parse_time(meta.get("creationTimestamp"))
        start = parse_time(status.get("startTime"))
        completion = parse_time(status.get("completionTime"))
        # printJob: no start -> ""; running -> since start; else completion - start.
        # (A failed Job has no completionTime, so its DURATION keeps growing.)
        if start is None:
            elapsed = None
            duration = ""
        else:
            elapsed = (completion - start) if completion is not None else (now - start)
            duration = format_duration(elapsed)
        age = format_duration(now - created) if created is not None else UNKNOWN

        finished_time = None
        for c in status.get("conditions") or ():
            if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
                finished_time = parse_time(c.get("lastTransitionTime"))
                break

        text = job_status_text(job)
        reason, message = _reason(job, text)
        try:
            scheduled = parse_time(annotations.get(CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION))
        except ValueError:
            scheduled = None

        return cls(
            name=meta.get("name", ""),
            namespace=meta.get("namespace", ""),
            uid=meta.get("uid", ""),
            status=text,
            reason=reason,
            message=message,
            completions=completions_text(job),
            spec_completions=spec.get("completions"),
            parallelism=spec.get("parallelism"),
            succeeded=_int(status.get("succeeded")),
            failed=_int(status.get("failed")),
            active=_int(status.get("active")),
            ready=_int(status.get("ready")),
            terminating=_int(status.get("terminating")),
            duration=duration,
            age=age,
            elapsed=elapsed,
            created=created,
            start_time=start,
            completion_time=completion,
            finished_time=finished_time,
            is_indexed=is_indexed(job),
            is_finished=is_job_finished(job),
            is_suspended=is_suspended(job),
            backoff_limit=spec.get("backoffLimit"),
            backoff_limit_per_index=spec.get("backoffLimitPerIndex"),
            max_failed_indexes=spec.get("maxFailedIndexes"),
            owner_cronjob=owner_cronjob(job),
            scheduled_time=scheduled,
            is_manual=annotations.get(CRONJOB_INSTANTIATE_ANNOTATION) == "manual",
            lineage=read_lineage(job),
        )
