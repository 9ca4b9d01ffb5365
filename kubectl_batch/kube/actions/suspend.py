"""Suspend and resume a Job or CronJob (``spec.suspend``)."""

from __future__ import annotations

from kubectl_batch.domain.diagnosis import resume_refusal
from kubectl_batch.domain.jobs import is_job_finished, job_status_text, suspend_warning
from kubectl_batch.kube.actions.common import (
    DRY_RUN,
    ActionError,
    ActionResult,
    api,
    dry,
    get_object,
    normalize_kind,
    require,
    resource_of,
    target_of,
)
from kubectl_batch.kube.client import ApiClient

_MERGE_PATCH = "application/merge-patch+json"

__all__ = ["set_suspend", "suspend_warning"]


def set_suspend(
    client: ApiClient,
    kind: str,
    namespace: str,
    name: str,
    suspend: bool,
    dry_run: bool = False,
    force: bool = False,
) -> ActionResult:
    """Set ``spec.suspend`` with a JSON merge patch; idempotent. Resuming a Job a queue
    holds (Kueue, ``spec.managedBy``) is refused unless ``force``: it bypasses the queue."""
    kind = normalize_kind(kind)
    resource = resource_of(kind)
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
            dry(f"{target} is {outcome}", dry_run),
            dry_run=dry_run,
            outcome=outcome,
        )
    if kind == "Job" and is_job_finished(obj):
        verb = "suspending" if suspend else "resuming"
        raise ActionError(
            f"{target} has already finished ({job_status_text(obj)}): "
            f"{verb} it would have no effect"
        )
    refusal = resume_refusal(obj) if kind == "Job" and not suspend and not force else None
    if refusal is not None:
        raise ActionError(f"{refusal}; use --force to resume it anyway")
    api(
        lambda: client.request(
            "PATCH",
            resource.path(namespace, name),
            DRY_RUN if dry_run else None,
            {"spec": {"suspend": suspend}},
            content_type=_MERGE_PATCH,
        )
    )
    outcome = "suspended" if suspend else "resumed"
    return ActionResult(
        target,
        namespace,
        True,
        dry(f"{target} {outcome}", dry_run),
        dry_run=dry_run,
        outcome=outcome,
    )
