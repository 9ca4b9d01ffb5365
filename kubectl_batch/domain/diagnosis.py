"""Why a Job is not making progress, and when it will end.

:func:`diagnose` reads a Job, its pods and the Events about both (as the API server
returns them, or as the cache projects them: kube/resources.py keeps the fields read here)
and gives a :class:`Diagnosis`: findings ordered by how much they matter, each with a
short form (one table cell) and the whole text (the Job's detail, ``kubectl batch why``).

What is found (see /work/shared/reference/batch-semantics.md):

- pods the scheduler cannot place (``PodScheduled=False``, ``FailedScheduling`` Events),
  the scheduler's message condensed;
- containers that cannot start: image pulls (``ErrImagePull``, ``ImagePullBackOff``,
  ``InvalidImageName``), configuration (``CreateContainerConfigError``, ``FailedMount``);
- init containers: which one runs, waits or fails (``Init:1/2 input: exit 1``);
- crash loops under ``restartPolicy: OnFailure``: restarts, last exit code, when the
  kubelet starts the container again, and how the restarts count towards backoffLimit;
- pods never created (``FailedCreate`` Events on the Job: quota, webhooks, Pod Security);
- a Job suspended by a queue (Kueue's queue-name label, or ``spec.managedBy`` naming
  another controller): resuming it by hand would bypass the queue (:func:`queued_in`);
- the Job controller waiting: pod-failure backoff (:mod:`.backoff`), terminating pods
  under ``podReplacementPolicy: Failed``, parallelism reached;
- when it ends: ``activeDeadlineSeconds``, ``ttlSecondsAfterFinished``, the ETA of a
  multi-completion Job (:mod:`.eta`), a work-queue Job draining.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any

from .backoff import job_backoff, next_pod_time
from .clock import Clock
from .eta import Estimate, estimate
from .jobs import (
    JOB_CONTROLLER_NAME,
    is_job_finished,
    is_pod_active,
    is_pod_terminating,
    is_suspended,
    only_replace_failed_pods,
)
from .timeutil import format_short_duration, parse_time

__all__ = [
    "KUEUE_QUEUE_LABEL",
    "Diagnosis",
    "Finding",
    "Severity",
    "backoff_limit_restarts",
    "condense_create_failure",
    "condense_unschedulable",
    "crash_loop_delay",
    "diagnose",
    "queued_in",
    "resume_refusal",
]

Obj = Mapping[str, Any]

#: Kueue's label naming the LocalQueue a Job waits in.
KUEUE_QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
#: The kubelet's crash-loop delay: 10 s, doubling, at most 5 min (kubelet defaults).
CRASH_LOOP_FIRST = timedelta(seconds=10)
CRASH_LOOP_MAX = timedelta(minutes=5)
#: The API default of ``spec.backoffLimit``.
DEFAULT_BACKOFF_LIMIT = 6


class Severity(str, Enum):
    #: Needs someone: the Job cannot progress by itself.
    STUCK = "stuck"
    #: Waits for something that will come by itself (a queue, a backoff, pods to go).
    WAITING = "waiting"
    #: Progressing: when it ends, what runs.
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One reason, in a short form (a table cell; "" for the detail only) and whole."""

    code: str
    severity: Severity
    short: str
    detail: str
    #: A countdown: ``short`` is followed by "<at_label> in <time left>", then by ``past``.
    at: datetime | None = None
    at_label: str = ""
    past: str = ""
    #: The word between ``at_label`` and the time left ("ETA 14m", "deadline in 12m").
    at_word: str = "in"
    #: The pods concerned (names).
    pods: tuple[str, ...] = ()

    def _countdown(self, now: datetime) -> str:
        if self.at is None:
            return ""
        if self.at > now:
            return " ".join(p for p in (self.at_label, self.at_word, left(self.at - now)) if p)
        return self.past

    def short_at(self, now: datetime) -> str:
        return ", ".join(p for p in (self.short, self._countdown(now)) if p)

    def detail_at(self, now: datetime) -> str:
        countdown = self._countdown(now)
        return f"{self.detail} ({countdown})" if countdown and self.detail else self.detail


def left(d: timedelta) -> str:
    """Time left, one unit, rounded up to the second (``40s``, ``12m``, ``3h``)."""
    return format_short_duration(timedelta(seconds=math.ceil(d.total_seconds())))


@dataclass(frozen=True)
class Diagnosis:
    findings: tuple[Finding, ...]

    @property
    def stuck(self) -> bool:
        """Something needs someone (``kubectl batch why`` exits 1)."""
        return any(f.severity is Severity.STUCK for f in self.findings)

    @property
    def problem(self) -> Finding | None:
        """The most important reason the Job does not progress, if any."""
        return next((f for f in self.findings if f.severity is not Severity.INFO), None)

    @property
    def severity(self) -> Severity | None:
        return self.problem.severity if self.problem else None

    def short_at(self, now: datetime) -> str:
        """The table cell: the main problem, else the outlook (``ETA 14m, deadline in 1h``)."""
        problem = self.problem
        if problem is not None:
            return problem.short_at(now)
        return ", ".join(s for f in self.findings if (s := f.short_at(now)))

    def next_change(self) -> datetime | None:
        """The first countdown instant (the cell's text changes then)."""
        return min((f.at for f in self.findings if f.at is not None), default=None)


# ------------------------------------------------------------------ helpers


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _event_time(event: Obj) -> datetime | None:
    series = event.get("series") or {}
    return parse_time(
        series.get("lastObservedTime")
        or event.get("lastTimestamp")
        or event.get("eventTime")
        or _meta(event).get("creationTimestamp")
    )


def _events_by_target(events: Iterable[Obj]) -> dict[str, list[Obj]]:
    out: dict[str, list[Obj]] = {}
    for e in events:
        uid = (e.get("involvedObject") or {}).get("uid")
        if uid:
            out.setdefault(uid, []).append(e)
    return out


def _latest(events: Sequence[Obj], reason: str) -> Obj | None:
    found = [e for e in events if e.get("reason") == reason]
    if not found:
        return None
    return max(found, key=lambda e: _event_time(e) or _NEVER)


_NEVER = datetime.min.replace(tzinfo=timezone.utc)
_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def _go_duration(text: str) -> timedelta | None:
    parts = _GO_DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return timedelta(seconds=sum(float(n) * _UNIT[u] for n, u in parts))


# ------------------------------------------------------- the scheduler's words

# "0/3 nodes are available: <reason>, <reason>." then what the post-filters (preemption,
# claims) add after ". ".
_AVAILABLE = re.compile(r"(\d+)/(\d+) nodes are available: (.*?)\.(?: |$)", re.S)
_COUNTED = re.compile(r"(\d+) (.*)")


def _selector_text(pod: Obj) -> str:
    selector = (pod.get("spec") or {}).get("nodeSelector") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def _condense_item(item: str, available: str, total: str, pod: Obj) -> str:
    item = item.strip().rstrip(".")
    m = _COUNTED.fullmatch(item)
    text = m.group(2) if m else item
    if text.startswith("Insufficient "):
        return f"insufficient {text[len('Insufficient ') :]} ({available}/{total} nodes)"
    if text == "node(s) didn't match Pod's node affinity/selector":
        selector = _selector_text(pod)
        if selector:
            return f"no node matches nodeSelector {selector}"
        return "no node matches the pod's node affinity"
    if text.startswith("node(s) had untolerated taint"):
        return "untolerated taint " + text[len("node(s) had untolerated taint") :].strip(" {}")
    if text == "pod has unbound immediate PersistentVolumeClaims":
        return "unbound PersistentVolumeClaims"
    return text


def condense_unschedulable(message: str, pod: Obj | None = None) -> str:
    """The scheduler's message in a few words: ``0/12 nodes are available: 12 Insufficient
    nvidia.com/gpu. preemption: ...`` -> ``insufficient nvidia.com/gpu (0/12 nodes)``."""
    message = _one_line(message)
    m = _AVAILABLE.match(message)
    if m is None:
        return message.split(" preemption:", 1)[0].strip().rstrip(".")
    available, total, rest = m.groups()
    items = [i for i in rest.split(", ") if i.strip()]
    return "; ".join(dict.fromkeys(_condense_item(i, available, total, pod or {}) for i in items))


# ------------------------------------------------------ FailedCreate messages

_POD_FORBIDDEN = re.compile(r'^(?:Error creating: )?pods "[^"]*" is forbidden: ')
_QUOTA = re.compile(r"exceeded quota: ([^,]+)")
_WEBHOOK = re.compile(r'admission webhook "([^"]+)" denied the request: (.*)')
_POD_SECURITY = re.compile(r'violates PodSecurity "([^"]+)"')


def condense_create_failure(message: str) -> str:
    """A FailedCreate message in a few words (``exceeded quota pods-max``)."""
    message = _one_line(message)
    rest = _POD_FORBIDDEN.sub("", message)
    rest = rest.removeprefix("Error creating: ")
    if m := _QUOTA.search(rest):
        return f"exceeded quota {m.group(1)}"
    if m := _WEBHOOK.search(rest):
        return f"webhook {m.group(1)} denied: {m.group(2)}"
    if m := _POD_SECURITY.search(rest):
        return f"violates PodSecurity {m.group(1)}"
    return rest


# ------------------------------------------------------------------- queues


def queued_in(job: Obj) -> str | None:
    """What holds this suspended Job back instead of a person: ``queue <name>`` (Kueue's
    queue-name label) or ``<controller>`` (``spec.managedBy``); None otherwise."""
    if not is_suspended(job):
        return None
    queue = (_meta(job).get("labels") or {}).get(KUEUE_QUEUE_LABEL)
    if queue:
        return str(queue)
    managed_by = (job.get("spec") or {}).get("managedBy")
    if managed_by and managed_by != JOB_CONTROLLER_NAME:
        return str(managed_by)
    return None


def resume_refusal(job: Obj) -> str | None:
    """Why resuming this Job by hand is refused (unless forced); None when it is not."""
    queue = queued_in(job)
    if queue is None:
        return None
    meta = _meta(job)
    return (
        f"job {meta.get('namespace', '')}/{meta.get('name', '')} is queued in {queue}: "
        "resuming it by hand would bypass the queue's quota"
    )


# ------------------------------------------------------------------- pods


def _restart_policy(job: Obj) -> str | None:
    return (((job.get("spec") or {}).get("template") or {}).get("spec") or {}).get("restartPolicy")


def backoff_limit_restarts(job: Obj, pods: Iterable[Obj]) -> int | None:
    """``pastBackoffLimitOnFailure``'s count: under ``restartPolicy: OnFailure`` the Job
    controller adds up the restarts of every container (init ones too) of the Job's
    Pending and Running pods, and fails the Job (BackoffLimitExceeded) once that reaches
    ``backoffLimit`` (any restart when it is 0). None for other restart policies."""
    if _restart_policy(job) != "OnFailure":
        return None
    total = 0
    for pod in pods:
        status = pod.get("status") or {}
        if status.get("phase") not in ("Pending", "Running"):
            continue
        for key in ("initContainerStatuses", "containerStatuses"):
            for cs in status.get(key) or ():
                total += int(cs.get("restartCount") or 0)
    return total


def crash_loop_delay(restarts: int, message: str = "") -> timedelta:
    """The kubelet's delay before it starts a crashed container again: what its
    ``back-off 40s restarting failed container`` message says, else the default
    10 s doubling per restart, at most 5 min."""
    m = re.search(r"back-off (\S+) restarting", message or "")
    if m and (said := _go_duration(m.group(1))) is not None:
        return said
    delay = CRASH_LOOP_FIRST
    for _ in range(1, max(1, restarts)):
        delay *= 2
        if delay >= CRASH_LOOP_MAX:
            return CRASH_LOOP_MAX
    return delay


_IMAGE_IN_MESSAGE = re.compile(r'image "([^"]+)"')
_IMAGE_REASONS = {"ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull"}
_CONFIG_REASONS = {"CreateContainerConfigError", "CreateContainerError", "RunContainerError"}


def _image_of(cs: Obj, message: str) -> str:
    m = _IMAGE_IN_MESSAGE.search(message)
    return m.group(1) if m else str(cs.get("image") or "?")


def _crash_loop(pod_name: str, cs: Obj, waiting: Obj, label: str, prefix: str = "") -> Finding:
    restarts = int(cs.get("restartCount") or 0)
    last = (cs.get("lastState") or {}).get("terminated") or {}
    code = last.get("exitCode")
    message = str(waiting.get("message") or "")
    finished = parse_time(last.get("finishedAt"))
    at = finished + crash_loop_delay(restarts, message) if finished is not None else None
    exit_text = f", exit {code}" if code is not None else ""
    reason = f" ({last['reason']})" if last.get("reason") and last.get("reason") != "Error" else ""
    return Finding(
        "crashloop",
        Severity.STUCK,
        f"{prefix}restarts {restarts}{exit_text}",
        f"pod {pod_name}: {label} {cs.get('name')} keeps crashing (CrashLoopBackOff): "
        f"restarted {restarts} time(s), last exit code {code}{reason}"
        + (f"; kubelet: {_one_line(message)}" if message else ""),
        at,
        "next start",
        "starting",
    )


def _waiting_container(pod_name: str, cs: Obj, label: str) -> Finding | None:
    waiting = (cs.get("state") or {}).get("waiting") or {}
    reason = waiting.get("reason") or ""
    message = str(waiting.get("message") or "")
    name = cs.get("name")
    if reason in _IMAGE_REASONS:
        image = _image_of(cs, message)
        return Finding(
            "image",
            Severity.STUCK,
            f"{reason} {image}",
            f"pod {pod_name}: {label} {name} cannot pull image {image} ({reason})"
            + (f": {_one_line(message)}" if message else ""),
        )
    if reason == "InvalidImageName":
        image = _image_of(cs, message)
        return Finding(
            "image",
            Severity.STUCK,
            f"invalid image name {image}",
            f"pod {pod_name}: {label} {name} has an invalid image name {image}"
            + (f": {_one_line(message)}" if message else ""),
        )
    if reason in _CONFIG_REASONS:
        text = _one_line(message) or reason
        return Finding(
            "config",
            Severity.STUCK,
            f"config: {text}",
            f"pod {pod_name}: {label} {name} cannot be created ({reason}): {text}",
        )
    if reason == "CrashLoopBackOff":
        return _crash_loop(pod_name, cs, waiting, label)
    return None


def _is_sidecar(pod: Obj, name: Any) -> bool:
    for c in (pod.get("spec") or {}).get("initContainers") or ():
        if c.get("name") == name:
            return bool(c.get("restartPolicy") == "Always")
    return False


def _init_finding(pod: Obj, pod_name: str) -> Finding | None:
    """The init container the pod is at, while it is not initialized (kubectl's Init:N/M)."""
    status = pod.get("status") or {}
    initialized = next(
        (c for c in status.get("conditions") or () if c.get("type") == "Initialized"), None
    )
    statuses = list(status.get("initContainerStatuses") or ())
    if not statuses or (initialized is not None and initialized.get("status") == "True"):
        return None
    done = 0
    for cs in statuses:
        state = cs.get("state") or {}
        term = state.get("terminated") or {}
        if term and term.get("exitCode") == 0:
            done += 1
            continue
        if _is_sidecar(pod, cs.get("name")) and (state.get("running") or cs.get("started")):
            done += 1
            continue
        head = f"Init:{done}/{len(statuses)} {cs.get('name')}"
        if term:
            code = term.get("exitCode")
            return Finding(
                "init",
                Severity.STUCK,
                f"{head}: exit {code}",
                f"pod {pod_name}: init container {cs.get('name')} failed with exit code "
                f"{code} ({term.get('reason') or 'Error'}); "
                f"{done} of {len(statuses)} init containers done",
            )
        waiting = state.get("waiting") or {}
        if waiting.get("reason") == "CrashLoopBackOff":
            last = (cs.get("lastState") or {}).get("terminated") or {}
            prefix = f"{head}: exit {last.get('exitCode')}, "
            crash = _crash_loop(pod_name, cs, waiting, "init container", prefix)
            return Finding(
                "init",
                Severity.STUCK,
                f"{head}: exit {last.get('exitCode')}, restarts {cs.get('restartCount') or 0}",
                crash.detail + f"; {done} of {len(statuses)} init containers done",
                crash.at,
                crash.at_label,
                crash.past,
            )
        other = _waiting_container(pod_name, cs, "init container")
        if other is not None:
            return other
        if state.get("running"):
            return Finding(
                "init",
                Severity.INFO,
                f"{head} running",
                f"pod {pod_name}: init container {cs.get('name')} is running; "
                f"{done} of {len(statuses)} init containers done",
            )
        return Finding(
            "init",
            Severity.INFO,
            f"{head} waiting",
            f"pod {pod_name}: init container {cs.get('name')} is waiting"
            + (f" ({waiting['reason']})" if waiting.get("reason") else "")
            + f"; {done} of {len(statuses)} init containers done",
        )
    return None


def _unschedulable(pod: Obj, pod_name: str, events: Sequence[Obj]) -> Finding | None:
    if (pod.get("spec") or {}).get("nodeName"):
        return None
    cond = next(
        (
            c
            for c in (pod.get("status") or {}).get("conditions") or ()
            if c.get("type") == "PodScheduled"
        ),
        None,
    )
    event = _latest(events, "FailedScheduling")
    message = ""
    if cond is not None and cond.get("status") == "False" and cond.get("message"):
        message = str(cond["message"])
    elif event is not None and (cond is None or cond.get("status") != "True"):
        message = str(event.get("message") or "")
    if not message:
        return None
    seen = ""
    if event is not None:
        count = event.get("count") or ((event.get("series") or {}).get("count")) or 1
        seen = f"; FailedScheduling seen {count} time(s)"
    return Finding(
        "unschedulable",
        Severity.STUCK,
        f"unschedulable: {condense_unschedulable(message, pod)}",
        f"pod {pod_name} cannot be scheduled: {_one_line(message)}{seen}",
    )


_MOUNT_EVENTS = ("FailedMount", "FailedAttachVolume")
_MOUNT_VOLUME = re.compile(r'MountVolume\.\w+ failed for volume "([^"]+)" ?: ?(.*)')


def _mount(pod: Obj, pod_name: str, events: Sequence[Obj]) -> Finding | None:
    if (pod.get("status") or {}).get("phase") != "Pending":
        return None
    for reason in _MOUNT_EVENTS:
        event = _latest(events, reason)
        if event is None:
            continue
        message = _one_line(str(event.get("message") or ""))
        m = _MOUNT_VOLUME.search(message)
        short = f"volume {m.group(1)}: {m.group(2)}" if m else message
        return Finding(
            "mount",
            Severity.STUCK,
            f"{reason}: {short}",
            f"pod {pod_name}: {reason}: {message}",
        )
    return None


def _pod_findings(pod: Obj, events: Sequence[Obj]) -> list[Finding]:
    name = str(_meta(pod).get("name") or "")
    found = _unschedulable(pod, name, events)
    if found is not None:
        return [found]
    out: list[Finding] = []
    init = _init_finding(pod, name)
    if init is not None:
        out.append(init)
    else:
        for cs in (pod.get("status") or {}).get("containerStatuses") or ():
            f = _waiting_container(name, cs, "container")
            if f is not None:
                out.append(f)
    if not any(f.severity is Severity.STUCK for f in out):
        mount = _mount(pod, name, events)
        if mount is not None:
            out.insert(0, mount)
    return out


# ------------------------------------------------------------------ the Job


def _merge(found: list[tuple[str, Finding]]) -> list[Finding]:
    """One Finding per distinct short text, with the pods it concerns (most pods first)."""
    groups: dict[tuple[str, str], list[tuple[str, Finding]]] = {}
    for pod_name, f in found:
        groups.setdefault((f.code, f.short), []).append((pod_name, f))
    out = []
    for (_, short), items in groups.items():
        first = items[0][1]
        names = tuple(n for n, _ in items)
        many = f" ({len(names)} pods)" if len(names) > 1 else ""
        detail = first.detail + (f"; also pods {', '.join(names[1:6])}" if len(names) > 1 else "")
        if len(names) > 6:
            detail += f" and {len(names) - 6} more"
        at = min((f.at for _, f in items if f.at is not None), default=None)
        out.append(replace(first, short=short + many, detail=detail, at=at, pods=names))
    order = {Severity.STUCK: 0, Severity.WAITING: 1, Severity.INFO: 2}
    out.sort(key=lambda f: (order[f.severity], -len(f.pods)))
    return out


def _create_failure(job: Obj, pods: Sequence[Obj], events: Sequence[Obj]) -> Finding | None:
    event = _latest(events, "FailedCreate")
    if event is None:
        return None
    when = _event_time(event)
    newest_pod = max(
        (t for p in pods if (t := parse_time(_meta(p).get("creationTimestamp"))) is not None),
        default=None,
    )
    if when is not None and newest_pod is not None and newest_pod > when:
        return None  # a pod was created since: the trouble is over
    message = _one_line(str(event.get("message") or ""))
    count = event.get("count") or ((event.get("series") or {}).get("count")) or 1
    return Finding(
        "create",
        Severity.STUCK,
        f"cannot create pods: {condense_create_failure(message)}",
        f"the Job controller cannot create pods (FailedCreate, {count} time(s)): {message}",
    )


def _controller_waits(job: Obj, pods: Sequence[Obj], clock: Clock) -> list[Finding]:
    out: list[Finding] = []
    until = next_pod_time(job, pods) if pods else None
    if until is not None:
        b = job_backoff(job, pods)
        why = (
            f"after {b.failures} failure(s) since the last success it waits {left(b.delay)}"
            if b is not None
            else "an index waits for its per-index backoff"
        )
        out.append(
            Finding(
                "backoff",
                Severity.WAITING,
                "",
                f"the Job controller backs off before the next pod: {why}",
                until,
                "retry",
                "retrying",
            )
        )
    spec, status = job.get("spec") or {}, job.get("status") or {}
    parallelism = spec.get("parallelism")
    parallelism = 1 if parallelism is None else parallelism
    completions = spec.get("completions")
    active = [p for p in pods if is_pod_active(p)]
    terminating = [p for p in pods if is_pod_terminating(p)]
    succeeded = status.get("succeeded") or 0
    remaining = (completions - succeeded) if isinstance(completions, int) else None
    want = min(parallelism, remaining) if remaining is not None else parallelism
    if terminating and only_replace_failed_pods(job) and len(active) < want:
        out.append(
            Finding(
                "terminating",
                Severity.WAITING,
                f"waiting for {len(terminating)} terminating pod(s)",
                f"podReplacementPolicy: Failed: the Job controller creates replacements only "
                f"once its {len(terminating)} terminating pod(s) are gone",
                pods=tuple(str(_meta(p).get("name") or "") for p in terminating),
            )
        )
    if remaining is not None and parallelism > 0 and len(active) >= parallelism < remaining:
        out.append(
            Finding(
                "parallelism",
                Severity.INFO,
                "",
                f"parallelism {parallelism} reached: {remaining - len(active)} more "
                "completion(s) wait for a running pod to finish",
            )
        )
    return out


def _outlook(job: Obj, pods: Sequence[Obj], clock: Clock) -> list[Finding]:
    """When it ends: the ETA, a work queue draining, the deadline, the TTL."""
    spec, status = job.get("spec") or {}, job.get("status") or {}
    out: list[Finding] = []
    if is_job_finished(job):
        ttl = spec.get("ttlSecondsAfterFinished")
        finished = None
        for c in status.get("conditions") or ():
            if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
                finished = parse_time(c.get("lastTransitionTime"))
                break
        if isinstance(ttl, int) and finished is not None:
            out.append(
                Finding(
                    "ttl",
                    Severity.INFO,
                    "",
                    f"ttlSecondsAfterFinished {ttl}: the TTL controller deletes the Job "
                    f"(and its pods) {ttl}s after it finished",
                    finished + timedelta(seconds=ttl),
                    "deleted",
                    "being deleted",
                )
            )
        return out
    if is_suspended(job):
        if spec.get("activeDeadlineSeconds") is not None:
            out.append(
                Finding(
                    "deadline",
                    Severity.INFO,
                    "",
                    f"activeDeadlineSeconds {spec['activeDeadlineSeconds']}: resuming the Job "
                    "resets its start time, so the deadline starts again",
                )
            )
        return out
    est = estimate(job, pods, clock)
    if est is not None:
        out.append(_eta_finding(est, clock))
    completions = spec.get("completions")
    succeeded = status.get("succeeded") or 0
    if completions is None and succeeded > 0:
        active = sum(1 for p in pods if is_pod_active(p))
        workers = succeeded + active
        out.append(
            Finding(
                "draining",
                Severity.INFO,
                f"draining: {succeeded} of {workers} workers done",
                f"work-queue Job (no completions): a worker succeeded, so no new pods start; "
                f"it completes once the {active} running worker(s) finish",
            )
        )
    deadline = spec.get("activeDeadlineSeconds")
    start = parse_time(status.get("startTime"))
    if isinstance(deadline, int) and start is not None:
        at = start + timedelta(seconds=deadline)
        out.append(
            Finding(
                "deadline",
                Severity.INFO,
                "",
                f"activeDeadlineSeconds {deadline} from its start: the Job fails with "
                f"DeadlineExceeded at {at.strftime('%Y-%m-%d %H:%M:%SZ')}",
                at,
                "deadline",
                "deadline passed",
            )
        )
    return out


def _eta_finding(est: Estimate, clock: Clock) -> Finding:
    if est.eta is None:
        return Finding("eta", Severity.INFO, "no estimate", est.basis)
    return Finding(
        "eta",
        Severity.INFO,
        "",
        f"ETA from throughput: {est.basis}",
        est.eta,
        "ETA",
        "ETA now",
        at_word="",
    )


def _queued(job: Obj) -> Finding | None:
    queue = queued_in(job)
    if queue is None:
        return None
    labels = _meta(job).get("labels") or {}
    by = (
        "Kueue keeps it suspended until its Workload is admitted"
        if labels.get(KUEUE_QUEUE_LABEL)
        else f"spec.managedBy {queue}: that controller, not the Job controller, resumes it"
    )
    return Finding(
        "queued",
        Severity.WAITING,
        f"queued in {queue}",
        f"suspended by a queue, not a person: {by}; resuming it by hand would bypass the "
        "queue's quota",
    )


def diagnose(job: Obj, pods: Iterable[Obj], events: Iterable[Obj], clock: Clock) -> Diagnosis:
    """Why ``job`` does not progress and when it will end. ``events``: the Events about the
    Job and its pods (others are ignored)."""
    pods = list(pods)
    by_target = _events_by_target(events)
    job_uid = str(_meta(job).get("uid") or "")
    findings: list[Finding] = []
    if not is_job_finished(job) and _meta(job).get("deletionTimestamp") is None:
        queued = _queued(job)
        if queued is not None:
            findings.append(queued)
        elif not is_suspended(job):
            created = _create_failure(job, pods, by_target.get(job_uid, []))
            if created is not None:
                findings.append(created)
            pod_found: list[tuple[str, Finding]] = []
            for pod in pods:
                if not is_pod_active(pod):
                    continue
                uid = str(_meta(pod).get("uid") or "")
                for f in _pod_findings(pod, by_target.get(uid, [])):
                    pod_found.append((str(_meta(pod).get("name") or ""), f))
            findings += _merge(pod_found)
            crash = [f for f in findings if f.code in ("crashloop", "init")]
            restarts = backoff_limit_restarts(job, pods)
            if crash and restarts:
                findings.append(_restart_budget(job, restarts))
            findings += _controller_waits(job, pods, clock)
    findings += _outlook(job, pods, clock)
    order = {Severity.STUCK: 0, Severity.WAITING: 1, Severity.INFO: 2}
    findings.sort(key=lambda f: order[f.severity])  # stable: the order found within each
    return Diagnosis(tuple(findings))


def _restart_budget(job: Obj, restarts: int) -> Finding:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    limit = spec.get("backoffLimit")
    limit = DEFAULT_BACKOFF_LIMIT if limit is None else limit
    failed = status.get("failed") or 0
    return Finding(
        "restarts",
        Severity.INFO,
        "",
        f"restartPolicy OnFailure: the pods' {restarts} container restart(s) count towards "
        f"backoffLimit {limit} (failed pods: {failed}); the Job fails with "
        f"BackoffLimitExceeded when the restarts reach {limit}"
        + (" (any restart, as the limit is 0)" if limit == 0 else ""),
    )
