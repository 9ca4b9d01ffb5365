"""The logs of a group of Jobs (groups.py's ``l``): imported when first opened, with the
logs screen it extends (its RichLog is not needed to start)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual.worker import get_current_worker

from kubectl_batch.domain.groups import group_value
from kubectl_batch.tui.keymap import bindings
from kubectl_batch.tui.screens.logs import TAIL, Line, LogSource, LogsScreen, LogTarget
from kubectl_batch.tui.text import clean
from kubectl_batch.tui.widgets.scope_bar import ScopeBar


class GroupLogsScreen(LogsScreen):
    """Every pod of every Job of a group, interleaved as they come, each line prefixed
    with its Job (and index), following the pods that start later (kube/group_logs.py).
    ``a``: every pod, or the latest attempt of each index/Job only (the default)."""

    BINDINGS = [*LogsScreen.BINDINGS, *bindings("all-pods")]

    def __init__(self, key: str, value: str, shown: str) -> None:
        source = LogSource("", "", ("(each pod's default)",))
        super().__init__(LogTarget(f"group {key}={shown}", (source,)))
        self.key, self.value = key, value
        self.latest_only = True
        self._follower: Any = None

    def _start(self, since: datetime | None) -> None:
        from kubectl_batch.kube.group_logs import LogFollower, LogOptions

        self._generation += 1
        self._ended.clear()
        self._started.clear()
        generation = self._generation
        options = LogOptions(
            follow=self.follow and not self.previous,
            previous=self.previous,
            container=self.container,
            since_time=since,
            tail_lines=None if since is not None else TAIL,
            latest_only=self.latest_only,
        )

        def emit(ref: Any, entry: Any) -> None:
            if since is not None and entry.time is not None and entry.time <= since:
                return  # resumed: already shown
            self._deliver(generation, 0, Line(entry.time, f"{ref.prefix} ", clean(entry.text)))

        def failed(ref: Any, sentence: str) -> None:
            self.app.call_from_thread(
                self.app.notify, f"{ref.name}: {sentence}", title="Logs", severity="error",
                markup=False,
            )  # fmt: skip

        key, value = self.key, self.value
        self._follower = LogFollower(
            self.app.client,
            self.app.cache,
            lambda job: group_value(job, key) == value,
            options,
            emit,
            failed,
        )
        follower = self._follower

        def follow() -> None:
            worker = get_current_worker()
            follower.run(cancelled=lambda: worker.is_cancelled or not self.is_attached)

        self.run_worker(follow, thread=True, group="logs", exit_on_error=False)
        self._status()

    def _stop(self) -> None:
        self._generation += 1
        if self._follower is not None:
            self._follower.stop()

    def on_mount(self) -> None:
        super().on_mount()
        self._show_mode()

    def _show_mode(self) -> None:
        mode = "every pod" if not self.latest_only else "the latest attempt of each index/job"
        self.query_one(ScopeBar).show(extra=f"logs of {self.target.title} ({mode})")

    def action_all_pods(self) -> None:
        self.latest_only = not self.latest_only
        self._show_mode()
        self._restart()
