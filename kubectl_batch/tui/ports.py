"""The two seams of the screens: what they read from the cache (:class:`CacheView`) and what
they ask of the app (:class:`Host`).

:class:`~kubectl_batch.kube.cache.ClusterCache` and :class:`~kubectl_batch.tui.app.BatchApp`
implement them, and so do the tests' fakes; mypy checks both sides, so a change on one side
that the other does not follow is a type error, not a test that passes on a fake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from kubectl_batch.tui.keymap import KeyInfo
from kubectl_batch.tui.scope import Scope
from kubectl_batch.tui.services import Kube, Permissions

if TYPE_CHECKING:
    from textual.app import App

    from kubectl_batch.tui.screens.base import LiveScreen, Selection

Obj = dict[str, Any]


class ConnectionState(Protocol):
    """How the watch of one kind is doing (shown in the scope bar)."""

    @property
    def kind(self) -> str: ...
    @property
    def phase(self) -> str: ...  # "connecting" | "connected" | "reconnecting" | "forbidden"
    @property
    def since(self) -> datetime: ...
    @property
    def message(self) -> str: ...


class CacheView(Protocol):
    """The cluster's objects of one scope, as the screens and the app read them (any thread)."""

    @property
    def version(self) -> int:
        """Moves on every change."""
        ...

    @property
    def synced(self) -> bool:
        """Every kind has been listed once (or is forbidden, or was unreachable)."""
        ...

    def states(self) -> Mapping[str, ConnectionState]: ...
    def jobs(self) -> list[Obj]: ...
    def cronjobs(self) -> list[Obj]: ...
    def get(self, kind: str, uid: str) -> Obj | None: ...
    def pods_of(self, job_uid: str) -> list[Obj]: ...
    def pods_revision(self, job_uid: str) -> int:
        """Changes whenever a pod of the Job is added, changed or removed."""
        ...

    def warnings_revision(self, job_uid: str) -> int:
        """Changes whenever a Warning Event about the Job or one of its pods comes or goes."""
        ...

    def events_for(self, uid: str) -> list[Obj]: ...
    def wait_rest_of_tables(self, timeout: float) -> bool:
        """Some of the kinds the tables show are listed, not all: wait up to ``timeout`` for
        the rest. False at once while none is listed; True once none is left to wait for."""
        ...

    def tables_shown(self, version: int) -> None:
        """The tables built from cache ``version`` are on screen, every row of them (what
        the cache lists only after the tables, it may list now)."""
        ...

    def stop(self) -> None: ...


class Host(Protocol):
    """What the screens ask of the app, besides what any Textual app does."""

    scope: Scope
    clock: Callable[[], datetime]
    #: The API client of the scope's context (only ever used through ``kube``).
    client: Any
    kube: Kube
    permissions: Permissions

    @property
    def cache(self) -> CacheView:
        """The cache of the open scope."""
        ...

    @property
    def can_switch_context(self) -> bool: ...

    # -- the screens' life --
    def follow_screen(self, screen: LiveScreen) -> None: ...
    def poke(self) -> None: ...
    def key_table(self) -> list[KeyInfo]: ...

    # -- the cluster, through the app's workers --
    def perform(self, title: str, call: Callable[[Any, Any], Any]) -> None: ...
    def plan_delete(
        self, selector: str, kinds: tuple[str, ...], selection: Selection | None
    ) -> None: ...

    # -- telling the user --
    def report_error(self, title: str, error: str) -> None: ...
    def contain_failure(self, where: str, error: BaseException) -> None: ...

    # -- the scope --
    def open_scope(self, scope: Scope, client: Any = None) -> None: ...
    def switch_scope(self, **changes: str | None) -> None: ...
    def choose_namespace(self) -> None: ...
    def choose_context(self) -> None: ...


if TYPE_CHECKING:

    class HostApp(App[Any], Host):
        """The type of a screen's ``self.app``: a Textual app that is a :class:`Host`."""
