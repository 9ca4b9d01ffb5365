"""From the global flags to a configured API client."""

from __future__ import annotations

import argparse

from kubectl_batch.kube.client import ApiClient
from kubectl_batch.kube.config import ClusterConfig, load


def cluster_config(args: argparse.Namespace) -> ClusterConfig:
    return load(
        kubeconfig=args.kubeconfig,
        context=args.context,
        namespace=args.namespace,
        request_timeout=args.request_timeout,
    )


def connect(args: argparse.Namespace) -> ApiClient:
    return ApiClient(cluster_config(args))


def scope_namespace(args: argparse.Namespace, client: ApiClient) -> str | None:
    """The namespace to list in, or None for all namespaces (-A)."""
    return None if args.all_namespaces else client.config.namespace
