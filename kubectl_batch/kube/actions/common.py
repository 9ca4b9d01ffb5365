"""What every action shares: its result and error, kubectl's kind spellings, the API calls
(permission check, get, list by selector, create a Job) and generated Job names."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from kubectl_batch.kube.access import can_i
from kubectl_batch.kube.client import ApiClient, ApiError
from kubectl_batch.kube.resources import CRONJOBS, JOBS, Resource

Obj = dict[str, Any]
T = TypeVar("T")

# The API server's alphabet for generated names (apimachinery utilrand.String).
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
MAX_NAME = 63  # a Job's name is also the value of its pods' job-name label
DRY_RUN = {"dryRun": "All"}


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


def resource_of(kind: str) -> Resource:
    return _RESOURCES[normalize_kind(kind)]


def target_of(kind: str, name: str) -> str:
    """``cronjob/nightly``: kubectl's kind/name form with a lower-case kind."""
    return f"{normalize_kind(kind).lower()}/{name}"


def kubectl_ref(target: str) -> str:
    """``cronjob/nightly`` -> ``cronjob.batch/nightly``, as kubectl prints it."""
    kind, _, name = target.partition("/")
    return f"{kind}.batch/{name}"


def dry(text: str, dry_run: bool) -> str:
    return f"{text} (dry run)" if dry_run else text


# ------------------------------------------------------------------ API helpers


def api(call: Callable[[], T], context: str = "") -> T:
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


def meta_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def get_object(client: ApiClient, kind: str, namespace: str, name: str) -> Obj:
    """The Job or CronJob; a missing one is an ActionError (naming the other kind when an
    object of that name exists there, for ``job/x`` typed for ``cronjob/x``)."""
    kind = normalize_kind(kind)
    resource = resource_of(kind)
    try:
        return client.get(resource.path(namespace, name))
    except ApiError as exc:
        if exc.status == 404:
            other = "CronJob" if kind == "Job" else "Job"
            try:
                client.get(resource_of(other).path(namespace, name))
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
        resource = resource_of(kind)
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


def random_suffix(n: int = 5) -> str:
    return "".join(secrets.choice(_NAME_ALPHABET) for _ in range(n))


def name_with(base: str, suffix: str) -> str:
    """``base + suffix``, ``base`` cut so the name stays a valid 63-character Job name."""
    base = base[: MAX_NAME - len(suffix)].rstrip("-.")
    return base + suffix


def create_job(
    client: ApiClient,
    namespace: str,
    build: Callable[[str], Obj],
    name: str | None,
    make_name: Callable[[], str],
    dry_run: bool,
) -> Obj:
    """POST a Job; with a generated name, try fresh names on a name clash."""
    path = JOBS.path(namespace)
    params = DRY_RUN if dry_run else None
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
