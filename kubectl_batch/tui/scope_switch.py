"""Switching the scope from the UI: the namespace and context pickers, and connecting to
another context in a worker.

:class:`ScopeSwitcher` is mixed into :class:`~kubectl_batch.tui.app.BatchApp`, so its
``on_*`` message handlers and ``@work`` workers are the app's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message

from kubectl_batch.kube.errors import describe
from kubectl_batch.tui.actions import ActionFinished
from kubectl_batch.tui.scope import Scope

if TYPE_CHECKING:
    from kubectl_batch.tui.ports import HostApp

    _AppBase = HostApp
else:
    _AppBase = object


class Connected(Message):
    def __init__(self, client: Any, scope: Scope) -> None:
        super().__init__()
        self.client, self.scope = client, scope


class Listed(Message):
    """Choices fetched for a picker (namespaces, contexts)."""

    def __init__(self, what: str, values: list[str], error: str | None = None) -> None:
        super().__init__()
        self.what, self.values, self.error = what, values, error


class ScopeSwitcher(_AppBase):
    """Namespace and context pickers. Mixed into the App: uses what it does as a
    :class:`~kubectl_batch.tui.ports.Host` (its cache, scope, ``open_scope``...) and how it
    connects to another context."""

    _connect: Callable[[str | None], Any] | None
    _contexts: Callable[[], list[str]] | None

    def choose_namespace(self) -> None:
        self._list_namespaces()

    @work(thread=True, exclusive=True, group="list", exit_on_error=False)
    def _list_namespaces(self) -> None:
        try:
            names = self.kube.namespaces(self.client)
            self.post_message(Listed("namespace", names))
        except Exception as exc:  # noqa: BLE001 - fall back to typing a name
            self.post_message(Listed("namespace", [], describe(exc)))

    def choose_context(self) -> None:
        if self._contexts is not None:
            self._list_contexts()

    @work(thread=True, exclusive=True, group="list", exit_on_error=False)
    def _list_contexts(self) -> None:
        assert self._contexts is not None
        try:
            self.post_message(Listed("context", self._contexts()))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Listed("context", [], describe(exc)))

    def on_listed(self, message: Listed) -> None:
        from kubectl_batch.tui.screens.modals import ChoiceScreen, PromptScreen

        if message.what == "namespace":
            seen = {j.get("metadata", {}).get("namespace", "") for j in self.cache.jobs()}
            known = sorted(set(message.values) | seen - {""})
            if message.error or not known:
                self.push_screen(
                    PromptScreen(
                        "Namespace",
                        self.scope.namespace or "",
                        "a namespace (empty: all namespaces)",
                        suggestions=known,
                        help=f"Cannot list namespaces: {message.error}" if message.error else "",
                    ),
                    self._namespace_chosen,
                )
                return
            choices = [("", "all namespaces"), *((n, n) for n in known)]
            self.push_screen(
                ChoiceScreen("Namespace", choices, self.scope.namespace or ""),
                self._namespace_chosen,
            )
        elif message.what == "context":
            if message.error:
                self.report_error("Contexts", message.error)
                return
            self.push_screen(
                ChoiceScreen("Context", [(c, c) for c in message.values], self.scope.context or ""),
                self._switch_context,
            )

    def _namespace_chosen(self, value: str | None) -> None:
        """A picked or typed namespace; "" is all namespaces, None a cancelled picker."""
        if value is not None:
            self.switch_scope(namespace=value or None)

    def _switch_context(self, context: str | None) -> None:
        if context and context != self.scope.context:
            self._connect_to(context)

    @work(thread=True, exclusive=True, group="connect", exit_on_error=False)
    def _connect_to(self, context: str) -> None:
        assert self._connect is not None
        try:
            client = self._connect(context)
            namespace = getattr(getattr(client, "config", None), "namespace", None)
            scope = Scope(
                context, None if self.scope.all_namespaces else namespace, self.scope.selector
            )
            self.post_message(Connected(client, scope))
        except Exception as exc:  # noqa: BLE001
            self.post_message(ActionFinished(f"Context {context}", [], describe(exc)))

    def on_connected(self, message: Connected) -> None:
        self.open_scope(message.scope, client=message.client)
