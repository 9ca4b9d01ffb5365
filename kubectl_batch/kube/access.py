"""May we? SelfSubjectAccessReview before acting, so a forbidden action fails up front with a
sentence naming what is missing instead of half-way through."""

from __future__ import annotations

from kubectl_batch.kube.client import ApiClient, ApiError

SSAR_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
SSR_PATH = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


def _resource_text(resource: str, subresource: str) -> str:
    return f"{resource}/{subresource}" if subresource else resource


def who_am_i(client: ApiClient) -> str | None:
    """The user name the API server sees (SelfSubjectReview, 1.28+), None when unknown."""
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    try:
        review = client.request("POST", SSR_PATH, body=body)
    except ApiError:
        return None
    return ((review.get("status") or {}).get("userInfo") or {}).get("username") or None


def can_i(
    client: ApiClient,
    verb: str,
    resource: str,
    group: str,
    namespace: str | None,
    subresource: str = "",
    name: str = "",
) -> tuple[bool, str]:
    """``kubectl auth can-i``: (allowed, reason). The reason is one sentence when denied,
    e.g. ``forbidden: cannot patch cronjobs in namespace etl (user jane)``.

    ``namespace`` None asks about every namespace. When the review itself cannot be made
    (an API server without the authorization API, or a review that is itself forbidden)
    the answer is "allowed": the real request will then be refused by the API server, whose
    message is just as clear.
    """
    attributes = {
        "verb": verb,
        "group": group,
        "resource": resource,
        "subresource": subresource,
        "namespace": namespace or "",
        "name": name,
    }
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {k: v for k, v in attributes.items() if v}},
    }
    try:
        review = client.request("POST", SSAR_PATH, body=body)
    except ApiError:
        return True, ""
    status = review.get("status") or {}
    if status.get("allowed") and not status.get("denied"):
        return True, ""
    where = f"in namespace {namespace}" if namespace else "in all namespaces"
    what = _resource_text(resource, subresource)
    if name:
        what = f"{what} {name!r}"
    reason = f"forbidden: cannot {verb} {what} {where}"
    user = who_am_i(client)
    if user:
        reason += f" (user {user})"
    return False, reason
