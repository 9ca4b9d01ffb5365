"""From the global flags to a configured API client."""

from __future__ import annotations

import argparse

from kubectl_batch.kube.client import ApiClient
from kubectl_batch.kube.config import ClusterConfig, Overrides, load


def overrides(args: argparse.Namespace) -> Overrides:
    """kubectl's connection flags as given (absent ones are None)."""
    return Overrides(
        server=getattr(args, "server", None),
        token=getattr(args, "token", None),
        user=getattr(args, "user", None),
        cluster=getattr(args, "cluster", None),
        certificate_authority=getattr(args, "certificate_authority", None),
        client_certificate=getattr(args, "client_certificate", None),
        client_key=getattr(args, "client_key", None),
        insecure_skip_tls_verify=bool(getattr(args, "insecure_skip_tls_verify", False)),
        tls_server_name=getattr(args, "tls_server_name", None),
        impersonate=getattr(args, "as", None),
        impersonate_groups=tuple(getattr(args, "as_group", None) or ()),
        impersonate_uid=getattr(args, "as_uid", None),
    )


def cluster_config(
    args: argparse.Namespace, context: str | None = None, namespace: str | None = None
) -> ClusterConfig:
    return load(
        kubeconfig=args.kubeconfig,
        context=context or args.context,
        namespace=namespace if context else args.namespace,
        request_timeout=args.request_timeout,
        overrides=overrides(args),
    )


def connect(args: argparse.Namespace, context: str | None = None) -> ApiClient:
    """The client of the flags; ``context`` switches context (inside the app), keeping every
    connection flag but the namespace, which the new context chooses."""
    return ApiClient(cluster_config(args, context))


def scope_namespace(args: argparse.Namespace, client: ApiClient) -> str | None:
    """The namespace to list in, or None for all namespaces (-A)."""
    return None if args.all_namespaces else client.config.namespace
