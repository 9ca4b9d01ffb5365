"""Re-run a finished Job: the failed indexes of an Indexed Job (``retry-failed``, one new
one-pod Job per index) or the whole Job (``rerun``). New Jobs carry their lineage (label
``RETRY_OF_LABEL``, annotation ``RETRY_OF_UID_ANNOTATION``); the original is never modified."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kubectl_batch.domain.indexes import IndexSet
from kubectl_batch.domain.jobs import (
    COMPLETION_INDEX_ANNOTATION,
    CONTROLLER_UID_LABEL,
    LEGACY_CONTROLLER_UID_LABEL,
    RETRY_INDEXES_ANNOTATION,
    RETRY_OF_LABEL,
    has_job_condition,
    is_indexed,
    is_job_finished,
    job_status_text,
)
from kubectl_batch.kube.actions.common import (
    MAX_NAME,
    ActionError,
    ActionResult,
    Obj,
    create_job,
    dry,
    get_object,
    meta_of,
    name_with,
    random_suffix,
    require,
    select_objects,
)
from kubectl_batch.kube.client import ApiClient

#: Annotation on a re-run Job: the uid of the Job it re-runs (names can be reused).
RETRY_OF_UID_ANNOTATION = "batch.kubectl-batch.io/retry-of-uid"
#: Default cap on the Jobs one ``retry-failed`` creates (one Job per failed index).
DEFAULT_MAX_RETRY_JOBS = 100
#: Env var the Job controller gives every container of an Indexed Job's pods.
COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX"
#: Labels the API server puts on a Job's pod template; a copy must not carry them.
CONTROLLER_TEMPLATE_LABELS = (
    CONTROLLER_UID_LABEL,
    LEGACY_CONTROLLER_UID_LABEL,
    "batch.kubernetes.io/job-name",
    "job-name",
    COMPLETION_INDEX_ANNOTATION,  # the label of the same name, set on pods (1.28+)
)


def _copy_template(template: Mapping[str, Any]) -> Obj:
    """The pod template without what the API server set for the original Job."""
    copied = copy.deepcopy(dict(template))
    tmeta = dict(copied.get("metadata") or {})
    labels = {
        k: v for k, v in (tmeta.get("labels") or {}).items() if k not in CONTROLLER_TEMPLATE_LABELS
    }
    tmeta["labels"] = labels
    for key in ("creationTimestamp", "uid", "resourceVersion", "name", "generateName"):
        tmeta.pop(key, None)
    copied["metadata"] = tmeta
    return copied


def _job_labels(job: Mapping[str, Any]) -> dict[str, str]:
    return {
        k: v
        for k, v in (meta_of(job).get("labels") or {}).items()
        if k not in CONTROLLER_TEMPLATE_LABELS
    }


def _lineage_meta(job: Mapping[str, Any], name: str, indexes: str | None) -> Obj:
    meta = meta_of(job)
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
    tmeta["labels"][RETRY_OF_LABEL] = meta_of(job).get("name", "")
    tmeta["annotations"] = dict(tmeta.get("annotations") or {})
    tmeta["annotations"][COMPLETION_INDEX_ANNOTATION] = str(index)
    pod = template.setdefault("spec", {})
    _set_index_env(pod.get("initContainers"), index)
    _set_index_env(pod.get("containers"), index)
    hostname = f"{meta_of(job).get('name', '')}-{index}"
    if not pod.get("hostname") and len(hostname) <= MAX_NAME:
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


def _retries_of(
    jobs: Iterable[Mapping[str, Any]], original: Mapping[str, Any]
) -> Iterator[Mapping[str, Any]]:
    uid = meta_of(original).get("uid")
    name = meta_of(original).get("name")
    for j in jobs:
        meta = meta_of(j)
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
        text = (meta_of(retry).get("annotations") or {}).get(RETRY_INDEXES_ANNOTATION) or ""
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
        original = (meta_of(job).get("labels") or {}).get(RETRY_OF_LABEL)
        if original and RETRY_INDEXES_ANNOTATION in (meta_of(job).get("annotations") or {}):
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

        def build(n: str, i: int = index) -> Obj:
            return retry_job_for_index(job, i, n)

        def make_name(i: int = index) -> str:
            return name_with(job_name, f"-retry-{i}-{random_suffix()}")

        try:
            made = create_job(client, namespace, build, None, make_name, dry_run)
        except ActionError as exc:
            done = ", ".join(created) or "none"
            raise ActionError(
                f"{exc} (retrying index {index} of {target}; retry jobs created so far: {done})"
            ) from None
        created.append(meta_of(made).get("name", ""))
    jobs = "job" if count == 1 else "jobs"
    indexes = "index" if count == 1 else "indexes"
    return ActionResult(
        target,
        namespace,
        True,
        dry(
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
    made = create_job(
        client,
        namespace,
        lambda n: rerun_job_body(job, n),
        None,
        lambda: name_with(job_name, f"-rerun-{random_suffix()}"),
        dry_run,
    )
    name = meta_of(made).get("name", "")
    return ActionResult(
        target,
        namespace,
        True,
        dry(f"job/{name} created to re-run {target}", dry_run),
        dry_run=dry_run,
        created=name,
        outcome="re-run",
        created_all=(name,),
    )
