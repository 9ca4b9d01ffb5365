"""What the app looks at."""

from __future__ import annotations

from dataclasses import dataclass


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
