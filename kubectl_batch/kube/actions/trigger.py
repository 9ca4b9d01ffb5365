"""Trigger a CronJob: a Job made now, exactly as ``kubectl create job --from=cronjob/NAME``."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kubectl_batch.domain.jobs import CRONJOB_INSTANTIATE_ANNOTATION
from kubectl_batch.kube.actions.common import (
    ActionResult,
    Obj,
    create_job,
    dry,
    get_object,
    meta_of,
    name_with,
    random_suffix,
    require,
)
from kubectl_batch.kube.client import ApiClient


def manual_job_name(cronjob: str) -> str:
    """Our default name for a manual run: ``<cronjob>-manual-<5 random chars>`` (kubectl
    requires a name; the suffix uses the API server's generated-name alphabet)."""
    return name_with(cronjob, f"-manual-{random_suffix()}")


def job_from_cronjob(cronjob: Mapping[str, Any], name: str) -> Obj:
    """The Job ``kubectl create job NAME --from=cronjob/X`` sends (kubectl
    pkg/cmd/create/create_job.go, ``createJobFromCronJob``): the template's labels, its
    annotations over ``cronjob.kubernetes.io/instantiate: manual``, a controller
    ownerReference to the CronJob (no blockOwnerDeletion), the template's spec verbatim."""
    meta = meta_of(cronjob)
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
    created = create_job(
        client,
        namespace,
        lambda n: job_from_cronjob(cronjob, n),
        job_name,
        lambda: manual_job_name(name),
        dry_run,
    )
    made = meta_of(created).get("name") or job_name or ""
    return ActionResult(
        f"cronjob/{name}",
        namespace,
        True,
        dry(f"job/{made} created from cronjob/{name}", dry_run),
        dry_run=dry_run,
        created=made,
        outcome="triggered",
        created_all=(made,),
    )
