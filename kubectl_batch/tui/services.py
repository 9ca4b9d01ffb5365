"""What the TUI asks of the cluster, always from worker threads.

:class:`Kube` imports the kube modules on first use (inside the worker), so opening the
app does not pay for them and tests can hand the App fakes with the same attributes.
:class:`Permissions` answers ``check_action`` without blocking: it returns what it knows
(cached per verb, resource and namespace) and asks the API server in a worker otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class Kube:
    """The kube functions the TUI calls (from worker threads only)."""

    @property
    def actions(self) -> Any:
        from kubectl_batch.kube import actions

        return actions

    @property
    def logs(self) -> Any:
        from kubectl_batch.kube import logs

        return logs

    def read(self, client: Any, kind: str, namespace: str, name: str) -> dict[str, Any]:
        from kubectl_batch.kube.resources import read_whole

        return read_whole(client, kind, namespace, name)

    def namespaces(self, client: Any) -> list[str]:
        from kubectl_batch.kube.namespaces import list_namespaces

        return list_namespaces(client)


@dataclass(frozen=True)
class Access:
    verb: str
    resource: str
    group: str
    namespace: str
    subresource: str = ""


class Permissions:
    """SelfSubjectAccessReview answers, cached; unknown answers are fetched in the background.

    ``ask`` is called in a worker thread with an :class:`Access`; ``on_answer`` is called on
    the worker thread when an answer arrives (post a message from it).
    """

    def __init__(
        self,
        ask: Callable[[Access], tuple[bool, str]],
        start: Callable[[Callable[[], None]], None],
        on_answer: Callable[[Access], None],
    ):
        self._ask, self._start, self._on_answer = ask, start, on_answer
        self._known: dict[Access, tuple[bool, str]] = {}
        self._pending: set[Access] = set()
        self._lock = threading.Lock()

    def check(self, access: Access) -> tuple[bool, str] | None:
        """The cached answer, or None (and a question asked) when not known yet."""
        with self._lock:
            if access in self._known:
                return self._known[access]
            if access in self._pending:
                return None
            self._pending.add(access)
        self._start(lambda: self._fetch(access))
        return None

    def _fetch(self, access: Access) -> None:
        try:
            answer = self._ask(access)
        except Exception:  # noqa: BLE001 - cannot tell: let the action try and report
            answer = (True, "")
        with self._lock:
            self._known[access] = answer
            self._pending.discard(access)
        self._on_answer(access)

    def clear(self) -> None:
        with self._lock:
            self._known.clear()
