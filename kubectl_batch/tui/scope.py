"""What the app looks at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scope:
    """What the app looks at: kubeconfig context, namespace (None: all), label selector."""

    context: str | None
    namespace: str | None
    selector: str | None = None

    @property
    def all_namespaces(self) -> bool:
        return self.namespace is None

    def describe(self) -> str:
        ns = "all namespaces" if self.namespace is None else f"namespace {self.namespace}"
        sel = f" · -l {self.selector}" if self.selector else ""
        return f"{self.context or 'in-cluster'} · {ns}{sel}"


def scope_of(client: Any, args: Any) -> Scope:
    """The scope the command-line flags ask for, on ``client``'s context."""
    return Scope(
        # With --server and no context, the server names where we look.
        context=client.config.context or client.config.server,
        namespace=None if getattr(args, "all_namespaces", False) else client.config.namespace,
        selector=getattr(args, "selector", None),
    )
