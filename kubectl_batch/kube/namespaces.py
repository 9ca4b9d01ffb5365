"""Namespace names, for switching namespace inside the UI."""

from __future__ import annotations

from kubectl_batch.kube.client import ApiClient


def list_namespaces(client: ApiClient) -> list[str]:
    """Names of all namespaces, sorted (raises ApiError 403 where listing is forbidden)."""
    names: list[str] = []
    for page in client.list_pages("/api/v1/namespaces", {}, limit=500):
        names.extend((i.get("metadata") or {}).get("name", "") for i in page.get("items") or [])
    return sorted(n for n in names if n)
