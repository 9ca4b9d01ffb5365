"""What a user can do to Jobs and CronJobs: suspend/resume, trigger a CronJob, re-run failed
indexes, re-run a Job, delete by selector. One implementation for the CLI subcommands and the
terminal UI; each action checks permission first (SelfSubjectAccessReview) and reports one
:class:`ActionResult`, or raises :class:`ActionError` with one sentence.

Objects stay plain dicts, as everywhere in kube/. One module per action (suspend, trigger,
retry, delete) on what they share (common); this package re-exports their API.
"""

from __future__ import annotations

from kubectl_batch.kube.access import can_i
from kubectl_batch.kube.actions.common import (
    ActionError,
    ActionResult,
    get_object,
    kubectl_ref,
    normalize_kind,
    select_objects,
)
from kubectl_batch.kube.actions.delete import DeletePlan, DeleteTarget, execute_delete, plan_delete
from kubectl_batch.kube.actions.retry import (
    RETRY_OF_UID_ANNOTATION,
    indexes_to_retry,
    rerun_job,
    rerun_job_body,
    retry_failed_indexes,
    retry_job_for_index,
)
from kubectl_batch.kube.actions.suspend import set_suspend, suspend_warning
from kubectl_batch.kube.actions.trigger import job_from_cronjob, manual_job_name, trigger_cronjob

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
