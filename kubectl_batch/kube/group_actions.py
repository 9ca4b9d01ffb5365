"""The actions of a Job group: suspend or resume all its Jobs, retry its failed Jobs and
failed indexes. Each Job goes through the one-Job action of kube/actions (permission check
included); one result per Job, a failure of one never stops the others."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kubectl_batch.domain.jobs import (
    is_job_finished,
    is_suspended,
    job_status_text,
    read_lineage,
)
from kubectl_batch.kube.actions import (
    ActionError,
    ActionResult,
    rerun_job,
    retry_failed_indexes,
    set_suspend,
)
from kubectl_batch.kube.client import ApiClient

Obj = dict[str, Any]


def _meta(job: Obj) -> Obj:
    return job.get("metadata") or {}


def to_suspend(jobs: Iterable[Obj], suspend: bool) -> list[Obj]:
    """The Jobs a group suspend (or resume) changes: unfinished, not already so."""
    return [j for j in jobs if not is_job_finished(j) and is_suspended(j) != suspend]


def retry_kind_of(job: Obj) -> str | None:
    """How a finished Job of a group is retried: "indexes" (its failed indexes, in new
    Jobs), "job" (a failed non-indexed Job, re-run whole) or None (nothing to retry)."""
    if not is_job_finished(job):
        return None
    if (job.get("status") or {}).get("failedIndexes"):
        return "indexes"
    if job_status_text(job) == "Failed":
        return "job"
    return None


def to_retry(jobs: Iterable[Obj]) -> list[Obj]:
    """The group's Jobs to retry: those with failed indexes (retry-failed skips indexes an
    earlier retry re-ran) and the failed Jobs that no Job of the group re-runs yet (a
    group retried twice re-runs nothing twice)."""
    jobs = list(jobs)
    rerun = {lineage.retry_of for lineage in map(read_lineage, jobs) if lineage is not None}
    return [
        j
        for j in jobs
        if retry_kind_of(j) == "indexes"
        or (retry_kind_of(j) == "job" and _meta(j).get("name") not in rerun)
    ]


def _each(
    client: ApiClient, jobs: Iterable[Obj], act: Callable[[ApiClient, str, str], ActionResult]
) -> list[ActionResult]:
    results = []
    for job in jobs:
        ns, name = _meta(job).get("namespace", ""), _meta(job).get("name", "")
        try:
            results.append(act(client, ns, name))
        except ActionError as exc:
            results.append(ActionResult(f"job/{name}", ns, False, f"job {name}: {exc}", ok=False))
    return results


def suspend_all(client: ApiClient, jobs: Iterable[Obj], suspend: bool) -> list[ActionResult]:
    return _each(
        client,
        to_suspend(jobs, suspend),
        lambda c, ns, name: set_suspend(c, "Job", ns, name, suspend),
    )


def retry_all(client: ApiClient, jobs: Iterable[Obj]) -> list[ActionResult]:
    def retry(c: ApiClient, ns: str, name: str, kinds: dict[str, str]) -> ActionResult:
        if kinds[name] == "indexes":
            return retry_failed_indexes(c, ns, name)
        return rerun_job(c, ns, name)

    chosen = to_retry(jobs)
    kinds = {_meta(j).get("name", ""): retry_kind_of(j) or "" for j in chosen}
    return _each(client, chosen, lambda c, ns, name: retry(c, ns, name, kinds))
