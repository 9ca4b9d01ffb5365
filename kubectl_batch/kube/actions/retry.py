"""What a user can do to Jobs and CronJobs: suspend/resume, trigger a CronJob, re-run failed
indexes, re-run a Job, delete by selector. One implementation for the CLI subcommands and the
terminal UI; each action checks permission first (SelfSubjectAccessReview) and reports one
:class:`ActionResult`, or raises :class:`ActionError` with one sentence.

Objects stay plain dicts, as everywhere in kube/.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from kubectl_batch.domain.indexes import IndexSet
from kubectl_batch.domain.jobs import (
    COMPLETION_INDEX_ANNOTATION,
    CONTROLLER_UID_LABEL,
    CRONJOB_INSTANTIATE_ANNOTATION,
    RETRY_INDEXES_ANNOTATION,
    RETRY_OF_LABEL,
    has_job_condition,
    is_indexed,
    is_job_finished,
    job_status_text,
)
from kubectl_batch.kube.access import can_i
from kubectl_batch.kube.client import ApiClient, ApiError
from kubectl_batch.kube.resources import CRONJOBS, JOB_POD_SELECTOR, JOBS, PODS, Resource

__all__ = [
    "ActionError",
    "ActionResult",
    "DeletePlan",
    "DeleteTarget",
    "RETRY_OF_UID_ANNOTATION",
    "can_i",
    "execute_delete",
    "get_object",
    "indexes_to_retry",
    "job_from_cronjob",
    "kubectl_ref",
    "manual_job_name",
    "normalize_kind",
    "plan_delete",
    "rerun_job",
    "rerun_job_body",
    "retry_failed_indexes",
    "retry_job_for_index",
    "select_objects",
    "set_suspend",
    "suspend_warning",
    "trigger_cronjob",
]

Obj = dict[str, Any]
T = TypeVar("T")

#: Annotation on a re-run Job: the uid of the Job it re-runs (names can be reused).
RETRY_OF_UID_ANNOTATION = "batch.kubectl-batch.io/retry-of-uid"
#: Default cap on the Jobs one ``retry-failed`` creates (one Job per failed index).
DEFAULT_MAX_RETRY_JOBS = 100
#: Env var the Job controller gives every container of an Indexed Job's pods.
COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX"
#: Labels the API server puts on a Job's pod template; a copy must not carry them.
CONTROLLER_TEMPLATE_LABELS = (
    CONTROLLER_UID_LABEL,
    "controller-uid",
    "batch.kubernetes.io/job-name",
    "job-name",
    COMPLETION_INDEX_ANNOTATION,  # the label of the same name, set on pods (1.28+)
)
# The API server's alphabet for generated names (apimachinery utilrand.String).
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_MAX_NAME = 63  # a Job's name is also the value of its pods' job-name label
_DRY_RUN = {"dryRun": "All"}
_MERGE_PATCH = "application/merge-patch+json"


class ActionError(ValueError):
    """Bad input, a forbidden action, a missing object: the text is one sentence."""


@dataclass(frozen=True)
class ActionResult:
    target: str  # "cronjob/nightly", "job/render" (lower-case kind/name, as kubectl)
    namespace: str
    changed: bool  # False when already in the wanted state (idempotent)
    message: str  # one sentence for the user
    dry_run: bool = False
    created: str | None = None  # name of a Job we created (the first, if several)
    #: False when this object's action failed (bulk actions report instead of raising).
    ok: bool = True
    #: kubectl-style outcome after ``kind.group/name``: "suspended", "created", "deleted"...
    outcome: str = ""
    #: Every Job created, in order (retry-failed creates one Job per index).
    created_all: tuple[str, ...] = ()
    #: The original's indexes re-run, for retry-failed ("1,3"); ``created_all`` follows
    #: the same ascending order.
    indexes: str | None = None


@dataclass(frozen=True)
class DeleteTarget:
    kind: str  # "Job" | "CronJob"
    namespace: str
    name: str
    uid: str
    pods: int  # pods that go with it (of its Jobs, for a CronJob); -1 when not known
    jobs: int = 0  # for a CronJob: the Jobs it owns, deleted with it

    @property
    def target(self) -> str:
        return f"{self.kind.lower()}/{self.name}"


@dataclass(frozen=True)
class DeletePlan:
    selector: str
    namespace: str | None  # None: all namespaces
    kinds: tuple[str, ...]
    targets: tuple[DeleteTarget, ...]

    @property
    def pods(self) -> int:
        return sum(t.pods for t in self.targets if t.pods > 0)


# ------------------------------------------------------------------------ kinds

_KIND_ALIASES = {
    "Job": ("job", "jobs", "job.batch", "jobs.batch", "job.v1.batch", "jobs.v1.batch"),
    "CronJob": (
        "cronjob",
        "cronjobs",
        "cj",
        "cronjob.batch",
        "cronjobs.batch",
        "cj.batch",
        "cronjob.v1.batch",
        "cronjobs.v1.batch",
    ),
}
_KIND_OF = {alias: kind for kind, aliases in _KIND_ALIASES.items() for alias in aliases}
_RESOURCES = {"Job": JOBS, "CronJob": CRONJOBS}


def is_kind(text: str) -> bool:
    return text.strip().lower() in _KIND_OF


def normalize_kind(text: str) -> str:
    """kubectl's spellings (``cj``, ``cronjobs``, ``job.batch``, ``Job``...) -> "Job"|"CronJob"."""
    kind = _KIND_OF.get(text.strip().lower())
    if kind is None:
        raise ActionError(
            f'unknown kind "{text}": kubectl batch acts on jobs and cronjobs '
            "(job, jobs, job.batch, cronjob, cronjobs, cj, cronjob.batch)"
        )
    return kind


def _resource(kind: str) -> Resource:
    return _RESOURCES[normalize_kind(kind)]


def target_of(kind: str, name: str) -> str:
    """``cronjob/nightly``: kubectl's kind/name form with a lower-case kind."""
    return f"{normalize_kind(kind).lower()}/{name}"


def kubectl_ref(target: str) -> str:
    """``cronjob/nightly`` -> ``cronjob.batch/nightly``, as kubectl prints it."""
    kind, _, name = target.partition("/")
    return f"{kind}.batch/{name}"


def _dry(text: str, dry_run: bool) -> str:
    return f"{text} (dry run)" if dry_run else text


# ------------------------------------------------------------------ API helpers


def _api(call: Callable[[], T], context: str = "") -> T:
    """Run one API call; what the user caused (403, 404, 400, 409, 422) becomes an
    ActionError with the API server's own sentence."""
    try:
        return call()
    except ApiError as exc:
        if exc.status in (400, 403, 404, 409, 422):
            raise ActionError(f"{context}{exc.message}") from None
        raise


def require(
    client: ApiClient, verb: str, resource: str, namespace: str | None, group: str = "batch"
) -> None:
    allowed, reason = can_i(client, verb, resource, group, namespace)
    if not allowed:
        raise ActionError(reason)


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def get_object(client: ApiClient, kind: str, namespace: str, name: str) -> Obj:
    """The Job or CronJob; a missing one is an ActionError (naming the other kind when an
    object of that name exists there, for ``job/x`` typed for ``cronjob/x``)."""
    kind = normalize_kind(kind)
    resource = _resource(kind)
    try:
        return client.get(resource.path(namespace, name))
    except ApiError as exc:
        if exc.status == 404:
            other = "CronJob" if kind == "Job" else "Job"
            try:
                client.get(_resource(other).path(namespace, name))
            except ApiError:
                raise ActionError(exc.message) from None
            raise ActionError(
                f"{exc.message} (there is a {target_of(other, name)}; "
                f"did you mean {target_of(other, name)}?)"
            ) from None
        if exc.status in (400, 403):
            raise ActionError(exc.message) from None
        raise


def select_objects(
    client: ApiClient, kinds: Iterable[str], namespace: str | None, selector: str
) -> list[Obj]:
    """Jobs/CronJobs matching a label selector (namespace None: all). Each dict gets
    ``kind`` set. An invalid selector is an ActionError."""
    out: list[Obj] = []
    for kind in kinds:
        resource = _resource(kind)
        try:
            for page in client.list_pages(resource.path(namespace), {"labelSelector": selector}):
                for item in page.get("items") or []:
                    item["kind"] = resource.kind
                    out.append(item)
        except ApiError as exc:
            if exc.status == 400:
                raise ActionError(f'invalid selector "{selector}": {exc.message}') from None
            if exc.status == 403:
                raise ActionError(exc.message) from None
            raise
    return out


def _random_suffix(n: int = 5) -> str:
    return "".join(secrets.choice(_NAME_ALPHABET) for _ in range(n))


def _name_with(base: str, suffix: str) -> str:
    """``base + suffix``, ``base`` cut so the name stays a valid 63-character Job name."""
    base = base[: _MAX_NAME - len(suffix)].rstrip("-.")
    return base + suffix


def _create_job(
    client: ApiClient,
    namespace: str,
    build: Callable[[str], Obj],
    name: str | None,
    make_name: Callable[[], str],
    dry_run: bool,
) -> Obj:
    """POST a Job; with a generated name, try fresh names on a name clash."""
    path = JOBS.path(namespace)
    params = _DRY_RUN if dry_run else None
    for attempt in range(3):
        body = build(name or make_name())
        try:
            return client.request("POST", path, params, body)
        except ApiError as exc:
            if exc.status == 409 and name is None and attempt < 2:
                continue
            if exc.status in (400, 403, 404, 409, 422):
                raise ActionError(f"cannot create job: {exc.message}") from None
            raise
    raise AssertionError("unreachable")


# ----------------------------------------------------------------- suspend/resume


def suspend_warning(job: Mapping[str, Any]) -> str | None:
    """What suspending this Job does to its running pods, for a confirmation; None when
    suspending it costs nothing (a CronJob, no running pods, already suspended, finished)."""
    if job.get("kind", "Job") != "Job":
        return None
    spec, status = job.get("spec") or {}, job.get("status") or {}
    if spec.get("suspend") is True or is_job_finished(job):
        return None
    active = status.get("active") or 0
    if active <= 0:
        return None
    name = _meta(job).get("name", "")
    pods = "pod" if active == 1 else "pods"
    text = (
        f"suspending job/{name} terminates its {active} running {pods} "
        "(not counted as failures); resuming starts new ones"
    )
    if spec.get("activeDeadlineSeconds") is not None:
        text += " and restarts its activeDeadlineSeconds"
    return text + "."


def set_suspend(
    client: ApiClient, kind: str, namespace: str, name: str, suspend: bool, dry_run: bool = False
) -> ActionResult:
    """Set ``spec.suspend`` with a JSON merge patch; idempotent."""
    kind = normalize_kind(kind)
    resource = _resource(kind)
    target = target_of(kind, name)
    require(client, "patch", resource.plural, namespace)
    obj = get_object(client, kind, namespace, name)
    current = (obj.get("spec") or {}).get("suspend") is True
    if current == suspend:
        outcome = "already suspended" if suspend else "not suspended (nothing to resume)"
        return ActionResult(
            target,
            namespace,
            False,
            _dry(f"{target} is {outcome}", dry_run),
            dry_run=dry_run,
            outcome=outcome,
        )
    if kind == "Job" and is_job_finished(obj):
        verb = "suspending" if suspend else "resuming"
        raise ActionError(
            f"{target} has already finished ({job_status_text(obj)}): "
            f"{verb} it would have no effect"
        )
    _api(
        lambda: client.request(
            "PATCH",
            resource.path(namespace, name),
            _DRY_RUN if dry_run else None,
            {"spec": {"suspend": suspend}},
            content_type=_MERGE_PATCH,
        )
    )
    outcome = "suspended" if suspend else "resumed"
    return ActionResult(
        target,
        namespace,
        True,
        _dry(f"{target} {outcome}", dry_run),
        dry_run=dry_run,
        outcome=outcome,
    )


# ----------------------------------------------------------------------- trigger


def manual_job_name(cronjob: str) -> str:
    """Our default name for a manual run: ``<cronjob>-manual-<5 random chars>`` (kubectl
    requires a name; the suffix uses the API server's generated-name alphabet)."""
    return _name_with(cronjob, f"-manual-{_random_suffix()}")


def job_from_cronjob(cronjob: Mapping[str, Any], name: str) -> Obj:
    """The Job ``kubectl create job NAME --from=cronjob/X`` sends (kubectl
    pkg/cmd/create/create_job.go, ``createJobFromCronJob``): the template's labels, its
    annotations over ``cronjob.kubernetes.io/instantiate: manual``, a controller
    ownerReference to the CronJob (no blockOwnerDeletion), the template's spec verbatim."""
    meta = _meta(cronjob)
    template = (cronjob.get("spec") or {}).get("jobTemplate") or {}
    tmeta = template.get("metadata") or {}
    annotations = {CRONJOB_INSTANTIATE_ANNOTATION: "manual"}
    annotations.update(tmeta.get("annotations") or {})
    job_meta: Obj = {
        "name": name,
        "namespace": meta.get("namespace"),
        "annotations": annotations,
        "ownerReferences": [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": meta.get("name"),
                "uid": meta.get("uid"),
                "controller": True,
            }
        ],
    }
    if tmeta.get("labels"):
        job_meta["labels"] = dict(tmeta["labels"])
    if not job_meta["namespace"]:
        del job_meta["namespace"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": job_meta,
        "spec": copy.deepcopy(template.get("spec") or {}),
    }


def trigger_cronjob(
    client: ApiClient,
    namespace: str,
    name: str,
    job_name: str | None = None,
    dry_run: bool = False,
) -> ActionResult:
    """Run a CronJob now: a Job made exactly as ``kubectl create job --from=cronjob/NAME``."""
    require(client, "create", "jobs", namespace)
    cronjob = get_object(client, "CronJob", namespace, name)
    created = _create_job(
        client,
        namespace,
        lambda n: job_from_cronjob(cronjob, n),
        job_name,
        lambda: manual_job_name(name),
        dry_run,
    )
    made = _meta(created).get("name") or job_name or ""
    return ActionResult(
        f"cronjob/{name}",
        namespace,
        True,
        _dry(f"job/{made} created from cronjob/{name}", dry_run),
        dry_run=dry_run,
        created=made,
        outcome="triggered",
        created_all=(made,),
    )


# ------------------------------------------------------------ re-runs and retries


def _copy_template(template: Mapping[str, Any]) -> Obj:
    """The pod template without what the API server set for the original Job."""
    template = copy.deepcopy(dict(template))
    tmeta = dict(template.get("metadata") or {})
    labels = {
        k: v for k, v in (tmeta.get("labels") or {}).items() if k not in CONTROLLER_TEMPLATE_LABELS
    }
    tmeta["labels"] = labels
    for key in ("creationTimestamp", "uid", "resourceVersion", "name", "generateName"):
        tmeta.pop(key, None)
    template["metadata"] = tmeta
    return template


def _job_labels(job: Mapping[str, Any]) -> dict[str, str]:
    return {
        k: v
        for k, v in (_meta(job).get("labels") or {}).items()
        if k not in CONTROLLER_TEMPLATE_LABELS
    }


def _lineage_meta(job: Mapping[str, Any], name: str, indexes: str | None) -> Obj:
    meta = _meta(job)
    labels = _job_labels(job)
    labels[RETRY_OF_LABEL] = meta.get("name", "")
    annotations = {RETRY_OF_UID_ANNOTATION: meta.get("uid", "")}
    if indexes is not None:
        annotations[RETRY_INDEXES_ANNOTATION] = indexes
    return {
        "name": name,
        "namespace": meta.get("namespace"),
        "labels": labels,
        "annotations": annotations,
    }


def rerun_job_body(job: Mapping[str, Any], name: str) -> Obj:
    """A new Job running the whole original again: its spec, minus the selector and the
    labels the API server generated, not suspended, with the retry lineage."""
    spec = copy.deepcopy(dict(job.get("spec") or {}))
    for key in ("selector", "manualSelector", "suspend"):
        spec.pop(key, None)
    spec["template"] = _copy_template(spec.get("template") or {})
    indexes = None
    if is_indexed(job) and spec.get("completions"):
        indexes = str(IndexSet.full(spec["completions"]))
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _lineage_meta(job, name, indexes),
        "spec": spec,
    }


def _set_index_env(containers: list[Obj] | None, index: int) -> None:
    for c in containers or ():
        env = c.setdefault("env", [])
        if not any(e.get("name") == COMPLETION_INDEX_ENV for e in env):
            env.append({"name": COMPLETION_INDEX_ENV, "value": str(index)})


def retry_job_for_index(job: Mapping[str, Any], index: int, name: str) -> Obj:
    """A NonIndexed one-pod Job re-running completion ``index`` of an Indexed ``job``.

    Its pod sees what the original index's pod saw: env ``JOB_COMPLETION_INDEX`` (unless a
    container defines it itself, as the controller does), the completion-index annotation
    and label, hostname ``<job>-<index>``. The per-index backoff limit becomes the Job's
    backoff limit; ``FailIndex`` pod-failure rules become ``FailJob`` (same effect for one
    index); success policy and max failed indexes, which need an Indexed Job, go.
    """
    spec = copy.deepcopy(dict(job.get("spec") or {}))
    per_index = spec.get("backoffLimitPerIndex")
    for key in (
        "selector",
        "manualSelector",
        "suspend",
        "completions",
        "parallelism",
        "completionMode",
        "backoffLimitPerIndex",
        "maxFailedIndexes",
        "successPolicy",
    ):
        spec.pop(key, None)
    spec["completions"] = 1
    spec["parallelism"] = 1
    spec["completionMode"] = "NonIndexed"
    if per_index is not None:
        spec["backoffLimit"] = per_index
    policy = spec.get("podFailurePolicy")
    if policy:
        for rule in policy.get("rules") or ():
            if rule.get("action") == "FailIndex":
                rule["action"] = "FailJob"
    template = _copy_template(spec.get("template") or {})
    tmeta = template["metadata"]
    tmeta["labels"][COMPLETION_INDEX_ANNOTATION] = str(index)
    tmeta["labels"][RETRY_OF_LABEL] = _meta(job).get("name", "")
    tmeta["annotations"] = dict(tmeta.get("annotations") or {})
    tmeta["annotations"][COMPLETION_INDEX_ANNOTATION] = str(index)
    pod = template.setdefault("spec", {})
    _set_index_env(pod.get("initContainers"), index)
    _set_index_env(pod.get("containers"), index)
    hostname = f"{_meta(job).get('name', '')}-{index}"
    if not pod.get("hostname") and len(hostname) <= _MAX_NAME:
        pod["hostname"] = hostname
    spec["template"] = template
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _lineage_meta(job, name, str(index)),
        "spec": spec,
    }


@dataclass(frozen=True)
class RetryState:
    """What retrying an Indexed Job would re-run, after its earlier retries."""

    #: Indexes of the original that did not succeed (failed or never ran to success).
    failed: IndexSet
    #: Of those, the ones an earlier retry Job re-ran successfully.
    retried_ok: IndexSet
    #: Of those, the ones an earlier retry Job is still running.
    in_progress: IndexSet
    #: What a retry now re-runs.
    todo: IndexSet


def _retries_of(jobs: Iterable[Mapping[str, Any]], original: Mapping[str, Any]):
    uid = _meta(original).get("uid")
    name = _meta(original).get("name")
    for j in jobs:
        meta = _meta(j)
        if (meta.get("labels") or {}).get(RETRY_OF_LABEL) != name:
            continue
        if (meta.get("annotations") or {}).get(RETRY_OF_UID_ANNOTATION) != uid:
            continue
        yield j


def indexes_to_retry(
    job: Mapping[str, Any], earlier: Iterable[Mapping[str, Any]] = ()
) -> RetryState:
    """The indexes a retry re-runs (pure; ``job`` must be a finished Indexed Job).

    A failed Job: every index not in ``status.completedIndexes`` — the failed ones and
    those that never succeeded because the Job ended first (DeadlineExceeded,
    MaxFailedIndexesExceeded, BackoffLimitExceeded, PodFailurePolicy). A complete Job
    (success policy met): its ``status.failedIndexes``. ``earlier`` are other Jobs of the
    namespace: retries of this very Job (label and uid) that succeeded or still run are
    subtracted, so retrying again never runs an index twice at once.
    """
    spec, status = job.get("spec") or {}, job.get("status") or {}
    completions = spec.get("completions") or 0
    completed = IndexSet.parse_lenient(status.get("completedIndexes"), completions)
    failed_ix = IndexSet.parse_lenient(status.get("failedIndexes"), completions)
    if has_job_condition(job, "Failed"):
        failed = IndexSet.full(completions) - completed
    else:
        failed = failed_ix - completed
    ok: list[int] = []
    running: list[int] = []
    for retry in _retries_of(earlier, job):
        text = (_meta(retry).get("annotations") or {}).get(RETRY_INDEXES_ANNOTATION) or ""
        try:
            ix = IndexSet.parse(text.strip())
        except ValueError:
            continue
        if has_job_condition(retry, "Complete"):
            ok.extend(ix)
        elif not is_job_finished(retry):
            running.extend(ix)
    retried_ok = IndexSet.from_indexes(ok) & failed
    in_progress = (IndexSet.from_indexes(running) & failed) - retried_ok
    return RetryState(failed, retried_ok, in_progress, failed - retried_ok - in_progress)


def _ix(indexes: IndexSet) -> str:
    """``index 2`` / ``indexes 1,3``."""
    return f"{'index' if len(indexes) == 1 else 'indexes'} {indexes}"


def _require_finished(job: Mapping[str, Any], target: str, what: str) -> None:
    if is_job_finished(job):
        return
    if (job.get("spec") or {}).get("suspend") is True:
        raise ActionError(f"{target} is suspended, not finished: resume it, or {what} once it ends")
    raise ActionError(
        f"{target} is still running ({job_status_text(job)}): {what} once it has finished"
    )


def retry_failed_indexes(
    client: ApiClient,
    namespace: str,
    job_name: str,
    dry_run: bool = False,
    max_jobs: int = DEFAULT_MAX_RETRY_JOBS,
) -> ActionResult:
    """Re-run exactly the failed (or never-succeeded) indexes of a finished Indexed Job,
    one new one-pod Job per index carrying its original ``JOB_COMPLETION_INDEX``. The
    original Job is never modified. See README "Retrying failed indexes"."""
    target = f"job/{job_name}"
    require(client, "create", "jobs", namespace)
    job = get_object(client, "Job", namespace, job_name)
    if not is_indexed(job):
        original = (_meta(job).get("labels") or {}).get(RETRY_OF_LABEL)
        if original and RETRY_INDEXES_ANNOTATION in (_meta(job).get("annotations") or {}):
            raise ActionError(
                f"{target} is a retry of job/{original}: retry the original "
                f"(`kubectl batch retry-failed job/{original}`), which skips what succeeded"
            )
        raise ActionError(
            f"{target} is not an Indexed Job, so it has no indexes to retry: "
            f"re-run it as a whole with `kubectl batch rerun {target}`"
        )
    _require_finished(job, target, "retry its failed indexes")
    try:
        earlier = select_objects(client, ["Job"], namespace, f"{RETRY_OF_LABEL}={job_name}")
    except ActionError:
        earlier = []  # cannot list: earlier retries are not subtracted
    state = indexes_to_retry(job, earlier)
    if not state.todo:
        if not state.failed:
            why = f"every index succeeded ({job_status_text(job)})"
        else:
            parts = []
            if state.retried_ok:
                parts.append(f"{_ix(state.retried_ok)} already succeeded in a retry")
            if state.in_progress:
                verb = "is" if len(state.in_progress) == 1 else "are"
                parts.append(f"{_ix(state.in_progress)} {verb} being retried now")
            why = " and ".join(parts)
        raise ActionError(f"nothing to retry in {target}: {why}")
    count = len(state.todo)
    if count > max_jobs:
        raise ActionError(
            f"{target} has {count} indexes to retry ({state.todo}) and a retry creates one "
            f"Job per index: more than the limit of {max_jobs} (raise it with --max-jobs {count})"
        )
    created: list[str] = []
    for index in state.todo:
        try:
            made = _create_job(
                client,
                namespace,
                lambda n, i=index: retry_job_for_index(job, i, n),
                None,
                lambda i=index: _name_with(job_name, f"-retry-{i}-{_random_suffix()}"),
                dry_run,
            )
        except ActionError as exc:
            done = ", ".join(created) or "none"
            raise ActionError(
                f"{exc} (retrying index {index} of {target}; retry jobs created so far: {done})"
            ) from None
        created.append(_meta(made).get("name", ""))
    jobs = "job" if count == 1 else "jobs"
    indexes = "index" if count == 1 else "indexes"
    return ActionResult(
        target,
        namespace,
        True,
        _dry(
            f"{target}: retrying {indexes} {state.todo} in {count} new {jobs} "
            f"({', '.join(created)})",
            dry_run,
        ),
        dry_run=dry_run,
        created=created[0],
        outcome=f"failed {indexes} {state.todo} retried",
        created_all=tuple(created),
        indexes=str(state.todo),
    )


def rerun_job(
    client: ApiClient, namespace: str, job_name: str, dry_run: bool = False
) -> ActionResult:
    """Run a finished Job again as a whole: a new Job from its template, with lineage."""
    target = f"job/{job_name}"
    require(client, "create", "jobs", namespace)
    job = get_object(client, "Job", namespace, job_name)
    _require_finished(job, target, "re-run it")
    made = _create_job(
        client,
        namespace,
        lambda n: rerun_job_body(job, n),
        None,
        lambda: _name_with(job_name, f"-rerun-{_random_suffix()}"),
        dry_run,
    )
    name = _meta(made).get("name", "")
    return ActionResult(
        target,
        namespace,
        True,
        _dry(f"job/{name} created to re-run {target}", dry_run),
        dry_run=dry_run,
        created=name,
        outcome="re-run",
        created_all=(name,),
    )


# ------------------------------------------------------------------------ delete


def _delete_options(uid: str, dry_run: bool = False) -> Obj:
    """DeleteOptions in the body. The API server reads a DELETE's options from its body when
    there is one and then ignores the query string: dryRun must be here, not in the URL."""
    options: Obj = {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        "propagationPolicy": "Background",
        "preconditions": {"uid": uid},
    }
    if dry_run:
        options["dryRun"] = ["All"]
    return options


def _count_pods(client: ApiClient, namespace: str | None) -> dict[str, int] | None:
    """Pods of Jobs per Job uid, None when pods cannot be listed."""
    counts: dict[str, int] = {}
    try:
        for page in client.list_pages(PODS.path(namespace), {"labelSelector": JOB_POD_SELECTOR}):
            for pod in page.get("items") or []:
                uid = (_meta(pod).get("labels") or {}).get(JOB_POD_SELECTOR)
                if uid:
                    counts[uid] = counts.get(uid, 0) + 1
    except ApiError as exc:
        if exc.status == 403:
            return None
        raise
    return counts


def _owned_jobs(client: ApiClient, namespace: str | None) -> dict[str, list[str]] | None:
    """Job uids per owning CronJob uid, None when Jobs cannot be listed."""
    owned: dict[str, list[str]] = {}
    try:
        for page in client.list_pages(JOBS.path(namespace)):
            for job in page.get("items") or []:
                meta = _meta(job)
                for ref in meta.get("ownerReferences") or ():
                    if ref.get("kind") == "CronJob" and ref.get("controller") is True:
                        owned.setdefault(ref.get("uid", ""), []).append(meta.get("uid", ""))
    except ApiError as exc:
        if exc.status == 403:
            return None
        raise
    return owned


def _describe_scope(kinds: Iterable[str], namespace: str | None) -> str:
    plural = " or ".join(_resource(k).plural for k in kinds)
    where = f"in namespace {namespace}" if namespace else "in any namespace"
    return f"{plural} {where}"


def plan_delete(
    client: ApiClient,
    namespace: str | None,
    selector: str,
    kinds: tuple[str, ...] = ("Job",),
    allow_all: bool = False,
) -> DeletePlan:
    """What ``execute_delete`` would delete: the matching objects, each validated with a
    server-side dry-run delete (dryRun=All, so permission and admission are checked), with
    the pods that go with them. An empty selector means everything only with ``allow_all``."""
    selector = (selector or "").strip()
    kinds = tuple(dict.fromkeys(normalize_kind(k) for k in kinds))
    if not kinds:
        raise ActionError("nothing to delete: no kind given")
    if not selector and not allow_all:
        raise ActionError(
            f"refusing to delete every one of the {_describe_scope(kinds, namespace)}: "
            "select them with -l SELECTOR, or pass --all to really delete them all"
        )
    for kind in kinds:
        require(client, "list", _resource(kind).plural, namespace)
    objects = select_objects(client, kinds, namespace, selector)
    namespaces = sorted({_meta(o).get("namespace", "") for o in objects})
    for ns in namespaces:
        for kind in kinds:
            if any(o["kind"] == kind and _meta(o).get("namespace") == ns for o in objects):
                require(client, "delete", _resource(kind).plural, ns)
    if not objects:
        how = f'selector "{selector}"' if selector else "--all"
        raise ActionError(f"no {_describe_scope(kinds, namespace)} match {how}: nothing to delete")
    pods = _count_pods(client, namespace)
    owned = _owned_jobs(client, namespace) if "CronJob" in kinds else {}
    targets: list[DeleteTarget] = []
    order = {k: i for i, k in enumerate(("Job", "CronJob"))}
    objects.sort(key=lambda o: (order[o["kind"]], _meta(o).get("namespace"), _meta(o).get("name")))
    for obj in objects:
        meta = _meta(obj)
        kind, ns, name, uid = obj["kind"], meta.get("namespace", ""), meta["name"], meta["uid"]
        resource = _resource(kind)
        try:
            client.request("DELETE", resource.path(ns, name), None, _delete_options(uid, True))
        except ApiError as exc:
            if exc.status in (404, 409):
                continue  # gone or replaced since the list: not ours to delete
            if exc.status in (400, 403, 422):
                raise ActionError(exc.message) from None
            raise
        job_uids = [uid] if kind == "Job" else (owned or {}).get(uid, [])
        if pods is None or (kind == "CronJob" and owned is None):
            npods = -1
        else:
            npods = sum(pods.get(u, 0) for u in job_uids)
        targets.append(
            DeleteTarget(
                kind=kind,
                namespace=ns,
                name=name,
                uid=uid,
                pods=npods,
                jobs=len(job_uids) if kind == "CronJob" else 0,
            )
        )
    if not targets:
        how = f'selector "{selector}"' if selector else "--all"
        raise ActionError(f"no {_describe_scope(kinds, namespace)} match {how}: nothing to delete")
    return DeletePlan(selector=selector, namespace=namespace, kinds=kinds, targets=tuple(targets))


def execute_delete(client: ApiClient, plan: DeletePlan) -> list[ActionResult]:
    """Delete exactly the planned objects: ``propagationPolicy: Background`` (a Job's pods go
    with it; the API default would orphan them) and ``preconditions.uid`` so an object
    re-created under the same name after the preview is never deleted. One result per
    object; a failure is reported (``ok=False``), never raised."""
    results: list[ActionResult] = []
    for t in plan.targets:
        target = t.target
        path = _resource(t.kind).path(t.namespace, t.name)
        try:
            client.request("DELETE", path, None, _delete_options(t.uid))
        except ApiError as exc:
            if exc.status == 404:
                results.append(
                    ActionResult(
                        target, t.namespace, False, f"{target} was already gone", outcome="gone"
                    )
                )
            elif exc.status == 409:
                results.append(
                    ActionResult(
                        target,
                        t.namespace,
                        False,
                        f"{target} was replaced after the preview (new uid): left alone",
                        outcome="replaced after the preview (new uid): left alone",
                    )
                )
            else:
                results.append(
                    ActionResult(
                        target,
                        t.namespace,
                        False,
                        f"{target} not deleted: {exc.message}",
                        ok=False,
                        outcome=f"not deleted: {exc.message}",
                    )
                )
            continue
        except Exception as exc:  # noqa: BLE001 - unreachable server etc.: report, go on
            results.append(
                ActionResult(
                    target,
                    t.namespace,
                    False,
                    f"{target} not deleted: {exc}",
                    ok=False,
                    outcome=f"not deleted: {exc}",
                )
            )
            continue
        results.append(
            ActionResult(target, t.namespace, True, f"{target} deleted", outcome="deleted")
        )
    return results
