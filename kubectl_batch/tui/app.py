"""The Textual app: owns the cache of the current scope and feeds the live screens from it.
Cluster actions and their outcome are in :mod:`~kubectl_batch.tui.actions`, the namespace
and context pickers in :mod:`~kubectl_batch.tui.scope_switch` (both mixed into the app).

Data flow: the :class:`~kubectl_batch.kube.cache.ClusterCache` keeps itself current on its
reflector threads. One refresher thread worker wakes at most four times a second, and
only when ``cache.version`` moved (or the screen asked), builds the active screen's model
off the UI thread and posts it; the screen applies it in place. A 1 s timer ticks the
countdowns of what is visible. Nothing here blocks on the API.
"""

from __future__ import annotations

import argparse
import gc
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from typing import Any

from textual import work
from textual._context import active_message_pump
from textual.app import App, ScreenStackError, SuspendNotSupported, SystemCommand
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import get_current_worker

from kubectl_batch.domain.clock import system_clock
from kubectl_batch.domain.timeutil import format_duration
from kubectl_batch.tui import failures, textual_fixes  # noqa: F401 - applied on import
from kubectl_batch.tui.actions import ActionRunner
from kubectl_batch.tui.collector import collect_seldom
from kubectl_batch.tui.keymap import KEYS, KeyInfo, bindings, key_display, load_keymap
from kubectl_batch.tui.ports import CacheView
from kubectl_batch.tui.scope import Scope, scope_of
from kubectl_batch.tui.scope_switch import ScopeSwitcher
from kubectl_batch.tui.screens.base import LiveScreen
from kubectl_batch.tui.screens.help import HelpScreen
from kubectl_batch.tui.screens.main import MainScreen
from kubectl_batch.tui.services import Access, Kube, Permissions
from kubectl_batch.tui.widgets.live_table import LiveTable

#: Seconds between two refreshes of a screen while the cache keeps changing.
REFRESH_INTERVAL = 0.25
# A change in the cluster wakes the refresher at once, but builds stay this far apart so
# heavy churn coalesces instead of rebuilding back to back.
MIN_BUILD_GAP = 0.1
#: A build waits for the model before it to be on screen, at most this long (seconds).
ON_SCREEN_WAIT = 2.0
#: Once the Jobs are listed, the first build waits this long at most for the rest of the
#: tables' LISTs (the pods): a table built without them is built again when they come,
#: and the two builds share the CPU with the pods' decoding. At 1,000 Jobs that put the
#: complete table 0.1-0.2 s later in a quarter of the runs; at 10,000 the pods take
#: seconds longer, and the first rows come this much later.
REST_OF_TABLES_WAIT = 0.25

#: Seconds between two full collections once the first tables are up. With the quiet
#: thresholds a steady churn (as many objects made as freed) hardly ever starts one, and
#: what a change leaves in reference cycles (the footer's old keys, Textual's render
#: state) piled up: the process grew by ~1 MB a minute and kept the pages. What the
#: collector walks is what was made after the freeze, ~10 ms at 10,000 Jobs.
COLLECT_EVERY = 20.0

#: Opens (and starts) the cache of a scope through a client.
OpenCache = Callable[[Any, Scope], CacheView]


class Refreshed(Message):
    """A screen's model, built off the UI thread."""

    def __init__(self, screen: LiveScreen, cache: CacheView, version: int, model: Any) -> None:
        super().__init__()
        self.screen, self.cache, self.version, self.model = screen, cache, version, model


class PermissionAnswered(Message):
    """Some permission became known: re-check the keys (coalesced)."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PermissionAnswered)


class BatchApp(ActionRunner, ScopeSwitcher, App):
    """kubectl batch: Jobs and CronJobs, live. Cluster actions come from
    :class:`ActionRunner`, the namespace and context pickers from :class:`ScopeSwitcher`."""

    CSS_PATH = "app.tcss"
    TITLE = "kubectl batch"
    BINDINGS = bindings("help", "quit", "back")
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        *,
        client: Any,
        scope: Scope,
        open_cache: OpenCache,
        connect: Callable[[str | None], Any] | None = None,
        contexts: Callable[[], list[str]] | None = None,
        kube: Any = None,
        clock: Callable[[], datetime] = system_clock,
        keymap: dict[str, str] | None = None,
        keymap_warnings: Iterable[str] = (),
        theme: str | None = None,
        remember_theme: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self._start_theme, self._remember_theme = theme, remember_theme
        self.client, self.scope = client, scope
        self.clock = clock
        self.kube: Kube = kube if kube is not None else Kube()
        self._open_cache, self._connect, self._contexts = open_cache, connect, contexts
        self._user_keymap = dict(keymap or {})
        self._keymap_warnings = list(keymap_warnings)
        self._cache: CacheView | None = None
        self._target: LiveScreen | None = None
        self._poke = threading.Event()  # rebuild even if the cache did not change
        self._wake = threading.Event()  # the refresher has something to look at
        # The last model posted is on screen, every row of it (tables add rows over frames).
        self._on_screen = threading.Event()
        self._on_screen.set()
        #: cache.version last put on screen (tests wait on it).
        self.shown_version = -1
        self._settled = False
        # The cache, and the version of it last shown, to tell once its tables are complete.
        self._shown_pending: tuple[CacheView, int] | None = None
        self._collector: Timer | None = None
        self.permissions = Permissions(self._can_i, self._start_permission, self._answered)
        #: One sentence per failure the app survived (see :meth:`contain_failure`).
        self.failures: list[str] = []
        self._running = False  # past start-up: failures are contained, not fatal
        self._broken: weakref.WeakSet[Any] = weakref.WeakSet()  # whose failure was told

    # -- life -------------------------------------------------------------------------
    def lend_terminal(self, client: Any) -> None:
        """Credential plugins of ``client`` that may talk to the user run through
        :meth:`run_with_terminal`; what the others write to stderr is a notification."""
        setter = getattr(client, "set_plugin_ui", None)
        if setter is not None:
            setter(self.run_with_terminal, self.show_plugin_output)

    def show_plugin_output(self, text: str) -> None:
        """From any thread: a credential plugin's stderr, as a notification (on the
        terminal itself when the app is not running)."""

        def show() -> None:
            self.notify(text, title="Credential plugin", markup=False, timeout=15)

        if threading.get_ident() == getattr(self, "_thread_id", None):
            show()
            return
        try:
            self.call_from_thread(show)
        except RuntimeError as exc:
            if "not running" not in str(exc):
                raise
            print(text, file=sys.__stderr__)

    def run_with_terminal(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` (a credential plugin re-run mid-session: an expired login) with the
        app suspended, so the plugin can prompt on the terminal and read the answer; the
        app resumes after. Called from any thread; the UI waits meanwhile."""
        if threading.get_ident() == getattr(self, "_thread_id", None):
            return self._suspended(fn)
        try:
            return self.call_from_thread(self._suspended, fn)
        except RuntimeError as exc:
            if "not running" not in str(exc):
                raise
            return fn()  # the app has not started or has ended: the terminal is free

    def _suspended(self, fn: Callable[[], Any]) -> Any:
        try:
            with self.suspend():
                return fn()
        except SuspendNotSupported:  # raised before fn runs: headless (tests), web
            return fn()

    def on_mount(self) -> None:
        if self._start_theme:
            self.theme = self._start_theme
        if self._remember_theme is not None:
            remember = self._remember_theme
            self.theme_changed_signal.subscribe(self, lambda theme: remember(theme.name))
        if self._user_keymap:
            self.set_keymap(self._user_keymap)
        for warning in self._keymap_warnings:
            self.notify(warning, title="Keymap", severity="warning", markup=False)
        self.open_scope(self.scope, client=self.client)
        self.push_screen(MainScreen())
        self.set_interval(1.0, self._tick)
        self._running = True

    def on_unmount(self) -> None:
        if self._cache is not None:
            self._cache.stop()

    @property
    def cache(self) -> CacheView:
        """The cache of the open scope (there is one from mounting on)."""
        if self._cache is None:
            raise RuntimeError("no scope is open yet")
        return self._cache

    def open_scope(self, scope: Scope, client: Any = None) -> None:
        """Look at ``scope`` (through ``client`` when it is another context's): a new cache,
        permissions asked again, and the main screen (detail screens show the old scope's
        objects). The one way a scope is opened: at start, and by every switch."""
        if client is not None:
            self.client = client
            self.lend_terminal(client)
        old = self._cache
        self.scope = scope
        cache = self._cache = self._open_cache(self.client, scope)
        if hasattr(cache, "on_change") and cache.on_change is None:
            cache.on_change = self._cluster_changed
        if old is not None:
            old.stop()
        self.shown_version = -1
        self._settled = False  # the new scope's first full tables are not shown yet
        self._refresher(cache)
        self.permissions.clear()
        while len(self.screen_stack) > 2 and not isinstance(self.screen, MainScreen):
            self.pop_screen()
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.scope_changed()
                self.follow_screen(screen)

    @property
    def can_switch_context(self) -> bool:
        return self._connect is not None and self._contexts is not None

    # -- feeding screens --------------------------------------------------------------------
    def follow_screen(self, screen: LiveScreen) -> None:
        """``screen`` is the one to keep current (it was pushed or uncovered)."""
        self._target = screen
        self.poke()

    def poke(self) -> None:
        """Rebuild the followed screen now (its query changed, or it was pushed): without
        waiting for the last model to be on screen, which is of the query before."""
        self._poke.set()
        self._on_screen.set()
        self._wake.set()

    def _cluster_changed(self, *_: Any) -> None:
        """Called on a reflector thread for every change: only wake the refresher."""
        self._wake.set()

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def _refresher(self, cache: CacheView) -> None:
        worker = get_current_worker()
        seen: tuple[int, LiveScreen | None] = (-1, None)
        expires: datetime | None = None
        last_build = 0.0
        rest_listed = False  # the tables' LISTs are all in, or were waited for once
        while not worker.is_cancelled:
            self._wake.wait(REFRESH_INTERVAL)
            self._wake.clear()
            time.sleep(max(0.0, last_build + MIN_BUILD_GAP - time.monotonic()))
            if not rest_listed:
                rest_listed = cache.wait_rest_of_tables(REST_OF_TABLES_WAIT)
            # A model built while the last is still being put on screen would only replace
            # it unseen, and building it takes the UI thread's turns at the GIL: at 30,000
            # Jobs a key pressed meanwhile waited twice as long.
            self._on_screen.wait(ON_SCREEN_WAIT)
            poked = self._poke.is_set()
            self._poke.clear()
            target = self._target
            if target is None or worker.is_cancelled:
                continue
            version = cache.version
            due = expires is not None and self.clock() >= expires
            if not poked and not due and seen == (version, target):
                continue
            last_build = time.monotonic()
            try:
                model = target.build(cache, self.clock)
            except Exception as exc:  # noqa: BLE001 - show it, keep refreshing
                self.call_from_thread(self.contain_failure, _what(target, "Building"), exc)
                seen, expires = (version, target), None
                continue
            seen = (version, target)
            expires = getattr(model, "expires", None)
            self._on_screen.clear()
            self.post_message(Refreshed(target, cache, version, model))

    def on_refreshed(self, message: Refreshed) -> None:
        if message.cache is not self.cache or not message.screen.is_attached:
            self._on_screen.set()
            return
        try:
            message.screen.show(message.model)
        except NoMatches:
            self._on_screen.set()
            return  # the screen is being taken down (leaving, quitting)
        except Exception as exc:  # noqa: BLE001 - what it could show stays
            self.contain_failure(_what(message.screen, "Showing"), exc)
        self._when_tables_complete(message.screen, self._on_screen.set)
        self.shown_version = message.version
        if not message.cache.synced:
            # The cache lists Events once the tables built from its first LISTs are shown.
            waiting = self._shown_pending is not None
            self._shown_pending = (message.cache, message.version)
            if not waiting:
                self._when_tables_complete(message.screen, self._tell_shown)
        if not self._settled and message.cache.synced:
            self._settled = True
            self._when_tables_complete(message.screen, self._freeze)

    def _when_tables_complete(self, screen: LiveScreen, then: Callable[[], None]) -> None:
        """``then()`` after the refresh by which ``screen``'s tables hold every row (a table
        adds its rows over frames), or once ``screen`` is gone."""

        def check() -> None:
            if screen.is_attached and not all(t.complete for t in screen.query(LiveTable)):
                self.call_after_refresh(check)  # rows still arriving
            else:
                then()

        self.call_after_refresh(check)

    def _tell_shown(self) -> None:
        if self._shown_pending is not None:
            cache, version = self._shown_pending
            self._shown_pending = None
            cache.tables_shown(version)  # the newest shown: its rows were added by now

    def _freeze(self) -> None:
        """Once the first full tables are on screen, move what exists then (the cache's
        objects, the rows, their cells) out of the cyclic collector's sight: they live as
        long as the app, and at 10,000 Jobs each full collection walked them for up to
        0.1 s, in the middle of putting a change on screen."""
        # Collect first: garbage frozen now would never be freed. The LISTs' objects are
        # frozen already (kube.resources.bulk_decoding), so this walks only the app's.
        gc.collect()
        gc.freeze()
        collect_seldom()  # (commands/ui.py did already, before the first LIST)
        if self._collector is None:
            self._collector = self.set_interval(COLLECT_EVERY, self._collect_garbage)

    def _collect_garbage(self) -> None:
        gc.collect()

    def _tick(self) -> None:
        try:
            screen = self.screen
        except ScreenStackError:
            return  # the app is closing: its screens are gone, its timer not yet
        if isinstance(screen, LiveScreen):
            try:
                screen.tick(self.clock())
            except NoMatches:
                pass  # the screen is being taken down
            except Exception as exc:  # noqa: BLE001
                self.contain_failure(_what(screen, "Updating"), exc)

    # -- failures ---------------------------------------------------------------------
    def contain_failure(self, where: str, error: BaseException) -> None:
        """A bug hit one screen or key: log the traceback, say so in one sentence, go on.
        The same failure again (a screen failing on every refresh) is told once."""
        told = failures.summary(where, error, failures.log_path())
        if told in self.failures:
            return
        message = failures.summary(where, error, failures.record(where, error))
        self.failures.append(message)
        self.notify(message, title="Something failed", severity="error", timeout=15, markup=False)

    async def _dispatch_action(self, namespace: Any, action_name: str, params: Any) -> bool:
        # Keys and the palette run actions here; a failing one must not end the app.
        try:
            return await super()._dispatch_action(namespace, action_name, params)
        except Exception as exc:  # noqa: BLE001
            self.contain_failure(f"The {action_name!r} key", exc)
            return True

    def _handle_exception(self, error: Exception) -> None:
        # Textual ends the app on any unhandled exception. Past start-up, one in a screen
        # or widget (composing, mounting, an event handler) is contained: that widget stops
        # handling messages, the rest of the app goes on. Start-up errors, and any in the
        # app's own message loop, still end it.
        pump = active_message_pump.get(None)
        if self._running and pump is not None and pump is not self:
            if pump in self._broken:
                return  # its later errors follow from the first (a screen half composed)
            self._broken.add(pump)
            self.contain_failure(_what(pump, "Handling an event of"), error)
            # Above the main screen (the stack's second), a broken screen is left.
            if isinstance(pump, Screen) and pump in self.screen_stack[2:]:
                # It no longer handles messages, so it would not even take esc.
                self.call_later(self._leave_broken, pump)
            return
        super()._handle_exception(error)

    def _leave_broken(self, screen: Screen) -> None:
        while screen in self.screen_stack[2:]:
            self.pop_screen()

    # -- scope ----------------------------------------------------------------------------
    def switch_scope(self, **changes: str | None) -> None:
        """Look at another namespace or selector: a new cache for the new scope."""
        scope = Scope(
            context=changes.get("context", self.scope.context),
            namespace=changes.get("namespace", self.scope.namespace),
            selector=changes.get("selector", self.scope.selector),
        )
        if scope != self.scope:
            self.open_scope(scope)

    # -- permissions ------------------------------------------------------------------------
    def _can_i(self, access: Access) -> tuple[bool, str]:
        return self.kube.actions.can_i(
            self.client,
            access.verb,
            access.resource,
            access.group,
            access.namespace,
            subresource=access.subresource,
        )

    def _start_permission(self, fetch: Callable[[], None]) -> None:
        self.run_worker(fetch, thread=True, group="can-i", exit_on_error=False)

    def _answered(self, access: Access) -> None:
        self.post_message(PermissionAnswered())

    def on_permission_answered(self) -> None:
        screen = self.screen
        update = getattr(screen, "update_hint", None)
        if update is not None:
            update()
        else:
            screen.refresh_bindings()

    # -- keys -------------------------------------------------------------------------------
    def key_table(self) -> list[KeyInfo]:
        keymap = getattr(self, "_keymap", {}) or {}
        return [
            KeyInfo(k.id, key_display(keymap.get(k.id, k.keys)), k.description)
            for k in KEYS.values()
        ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return not isinstance(self.screen, MainScreen)
        return True

    async def action_back(self) -> None:  # (async as App's: dispatched the same way)
        if not isinstance(self.screen, MainScreen) and len(self.screen_stack) > 2:
            self.pop_screen()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers the keys of the screen it was opened on (the enabled ones)."""
        seen = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not active.enabled or binding.action in seen or not binding.description:
                continue
            seen.add(binding.action)
            yield SystemCommand(
                binding.description,
                f"{binding.tooltip or binding.description} ({key_display(key)})",
                partial(self._run_from_palette, screen, active.node, binding.action),
            )
        yield from super().get_system_commands(screen)

    def _run_from_palette(self, screen: Screen, node: Any, action: str) -> None:
        self.call_later(self.run_action, action, node)


def _what(node: Any, doing: str) -> str:
    """``Showing the JobDetailScreen``: the words of a failure's sentence."""
    return f"{doing} the {type(node).__name__}"


def _open_cluster_cache(client: Any, scope: Scope) -> CacheView:
    from kubectl_batch.kube.cache import ClusterCache

    return ClusterCache(
        client, scope.namespace, scope.selector, later_waits_for_screen=True
    ).start()


def run_app(
    client: Any,
    args: argparse.Namespace,
    reconnect: Callable[[str | None], Any],
    started: CacheView | None = None,
) -> int:
    """Open the UI on ``client`` for the scope of the command-line flags; ``reconnect``
    gives the client of another context with the same connection flags. ``started`` is the
    cache of that scope if it was started already (its LISTs sent before Textual was even
    imported: see commands/ui.py)."""
    from kubectl_batch.kube.config import context_names
    from kubectl_batch.tui.themes import save_theme, saved_theme

    scope = scope_of(client, args)
    open_cache: OpenCache = _open_cluster_cache
    if started is not None:
        first = [started]

        def started_first(client: Any, scope: Scope) -> CacheView:
            return first.pop() if first else _open_cluster_cache(client, scope)

        open_cache = started_first

    keymap, warnings = load_keymap()
    app = BatchApp(
        client=client,
        scope=scope,
        open_cache=open_cache,
        connect=reconnect,
        contexts=lambda: context_names(args.kubeconfig),
        keymap=keymap,
        keymap_warnings=warnings,
        theme=getattr(args, "theme", None) or saved_theme(),
        remember_theme=save_theme,
    )
    app.run()
    return app.return_code or 0


class ReplayApp(BatchApp):
    """The UI on a recording (kube/replay.py): its cache, clock and answers, no context to
    switch to. Says so when it opens, and when the recording ends."""

    def __init__(self, replay: Any, name: str, scope: Scope, **kwargs: Any) -> None:
        super().__init__(
            client=replay,
            scope=scope,
            open_cache=lambda replay, scope: replay.open_cache(scope.namespace, scope.selector),
            kube=replay.kube,
            clock=replay.clock,
            **kwargs,
        )
        self.replay, self.recording_name = replay, name

    def on_mount(self) -> None:  # (Textual calls BatchApp's too, after this)
        self.call_after_refresh(self._announce)  # on the main screen, pushed meanwhile

    def _announce(self) -> None:
        recording, clock = self.replay.recording, self.replay.clock
        speed = f", {clock.speed:g}× as fast" if clock.speed != 1 else ""
        self.notify(
            f"Replaying {self.recording_name}, recorded {recording.started:%Y-%m-%d %H:%M} UTC "
            f"for {format_duration(recording.ended - recording.started)}{speed}. "
            "Actions are disabled; logs are as recorded.",
            title="Recording",
            timeout=10,
            markup=False,
        )
        left = clock.seconds_until(recording.ended)
        if left < 86_400:  # (not for a replay slowed down to a standstill)
            self.set_timer(left + 0.1, self._recording_ended)

    def _recording_ended(self) -> None:
        self.notify(
            f"The recording ends here: its clock stopped at {self.clock():%H:%M:%S} UTC.",
            title="Recording",
            timeout=30,
            markup=False,
        )


def replay_app(replay: Any, name: str, namespace: str | None, selector: str | None) -> BatchApp:
    keymap, warnings = load_keymap()
    return ReplayApp(
        replay,
        name,
        Scope(context=f"replay of {name}", namespace=namespace, selector=selector),
        keymap=keymap,
        keymap_warnings=warnings,
    )


def run_replay(replay: Any, name: str, namespace: str | None, selector: str | None) -> int:
    app = replay_app(replay, name, namespace, selector)
    app.run()
    return app.return_code or 0
