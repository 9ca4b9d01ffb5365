"""Delete Jobs and CronJobs by label selector: a plan validated by a server-side dry run
(:func:`plan_delete`), then exactly the planned objects (:func:`execute_delete`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kubectl_batch.domain.jobs import CONTROLLER_UID_LABEL, controller_of
from kubectl_batch.kube.actions.common import (
    ActionError,
    ActionResult,
    Obj,
    meta_of,
    normalize_kind,
    require,
    resource_of,
    select_objects,
)
from kubectl_batch.kube.client import ApiClient, ApiError
from kubectl_batch.kube.resources import JOBS, PODS, list_pages


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
        for pods, _ in list_pages(client, PODS, namespace):  # PODS selects Jobs' pods
            for pod in pods:
                uid = (meta_of(pod).get("labels") or {}).get(CONTROLLER_UID_LABEL)
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
        for jobs, _ in list_pages(client, JOBS, namespace):
            for job in jobs:
                owner = controller_of(job)
                if owner:
                    owned.setdefault(owner, []).append(meta_of(job).get("uid", ""))
    except ApiError as exc:
        if exc.status == 403:
            return None
        raise
    return owned


def _describe_scope(kinds: Iterable[str], namespace: str | None) -> str:
    plural = " or ".join(resource_of(k).plural for k in kinds)
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
        require(client, "list", resource_of(kind).plural, namespace)
    objects = select_objects(client, kinds, namespace, selector)
    namespaces = sorted({meta_of(o).get("namespace", "") for o in objects})
    for ns in namespaces:
        for kind in kinds:
            if any(o["kind"] == kind and meta_of(o).get("namespace") == ns for o in objects):
                require(client, "delete", resource_of(kind).plural, ns)
    if not objects:
        how = f'selector "{selector}"' if selector else "--all"
        raise ActionError(f"no {_describe_scope(kinds, namespace)} match {how}: nothing to delete")
    pods = _count_pods(client, namespace)
    owned = _owned_jobs(client, namespace) if "CronJob" in kinds else {}
    targets: list[DeleteTarget] = []
    order = {k: i for i, k in enumerate(("Job", "CronJob"))}
    objects.sort(
        key=lambda o: (order[o["kind"]], meta_of(o).get("namespace"), meta_of(o).get("name"))
    )
    for obj in objects:
        meta = meta_of(obj)
        kind, ns, name, uid = obj["kind"], meta.get("namespace", ""), meta["name"], meta["uid"]
        resource = resource_of(kind)
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
        path = resource_of(t.kind).path(t.namespace, t.name)
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
