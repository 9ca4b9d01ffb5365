"""The main screen: the CronJobs and the Jobs of the scope, live."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from kubectl_batch.domain.cronjobs import CronState
from kubectl_batch.domain.jobs import is_job_finished, jobs_by_cronjob
from kubectl_batch.tui.keymap import bindings
from kubectl_batch.tui.present import (
    CRONJOB_COLUMNS,
    JOB_COLUMNS,
    Column,
    CronJobRow,
    JobRow,
    RowSorter,
    cronjob_columns,
    cronjob_row,
    job_columns,
    job_row,
    job_row_for_pods,
    name_matches,
)
from kubectl_batch.tui.screens import groups
from kubectl_batch.tui.screens.base import LiveScreen, ObjectActions, Selection
from kubectl_batch.tui.widgets.footer import KeyFooter
from kubectl_batch.tui.widgets.live_table import LiveTable, PreparedRows, prepare_rows
from kubectl_batch.tui.widgets.scope_bar import ScopeBar
from kubectl_batch.tui.widgets.text import show_text

if TYPE_CHECKING:
    from kubectl_batch.tui.ports import CacheView, ConnectionState

Obj = dict[str, Any]


@dataclass(frozen=True)
class MainModel:
    states: Mapping[str, ConnectionState]
    #: The rows shown, with the cells of those that changed rendered off the UI thread.
    cron_table: PreparedRows
    job_table: PreparedRows
    total_cronjobs: int
    total_jobs: int
    #: Rebuild at this time even if nothing changed (a CronJob's next run comes due).
    expires: datetime | None

    @property
    def cronjobs(self) -> Sequence[CronJobRow]:
        return self.cron_table.rows

    @property
    def jobs(self) -> Sequence[JobRow]:
        return self.job_table.rows


def _signature(job: Obj, pods: Sequence[Obj]) -> tuple:
    rv = (job.get("metadata") or {}).get("resourceVersion", "")
    return (rv, tuple((p.get("metadata") or {}).get("resourceVersion", "") for p in pods))


_FOREVER = datetime.max.replace(tzinfo=timezone.utc)


def events_of(cache: Any, job: Obj, job_uid: str, pods: Sequence[Obj]) -> list[Obj]:
    """The Events about a Job and its pods (what its WHY cell reads; nothing for a finished
    Job, whose WHY reads no Event)."""
    if not job_uid or is_job_finished(job):
        return []
    events = list(cache.events_for(job_uid))
    for pod in pods:
        events += cache.events_for((pod.get("metadata") or {}).get("uid", ""))
    return events


def _valid_until(row: CronJobRow) -> datetime | None:
    """Until when a CronJob row's outlook stays true without a change to the objects; None:
    recompute every time (a due, blocked or suspended run's story moves with the clock)."""
    state = row.outlook.state
    if state in (CronState.INVALID, CronState.NEVER):
        return _FOREVER
    if state in (CronState.SCHEDULED, CronState.MISSED) and row.outlook.next_run is not None:
        return row.outlook.next_run
    return None


def _still_valid(until: datetime | None, now: datetime) -> bool:
    return until is not None and now < until


class RowBuilder:
    """Rows of the main tables, recomputed only for objects that changed (thread-safe)."""

    def __init__(
        self, job_columns: tuple[Column, ...] = (), cron_columns: tuple[Column, ...] = ()
    ) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, tuple[tuple, JobRow]] = {}
        # A CronJob's row holds until its object or its Jobs change, or the clock reaches
        # the moment its outlook can change (its next fire time).
        self._crons: dict[str, tuple[tuple, datetime | None, CronJobRow]] = {}
        self._job_columns, self._cron_columns = job_columns, cron_columns
        self._job_sorter, self._cron_sorter = RowSorter(), RowSorter()
        # Jobs of each CronJob, oldest first; recomputed only when a Job came, went or changed.
        self._owned: dict[str, list[Obj]] = {}

    def build(
        self,
        cache: CacheView,
        clock: Callable[[], datetime],
        needle: str,
        sorts: dict[str, tuple[str, bool]],
    ) -> MainModel:
        with self._lock:
            now = clock()
            jobs = cache.jobs()
            fresh: dict[str, tuple[tuple, JobRow]] = {}
            changed: list[JobRow] = []
            jobs_moved = len(jobs) != len(self._jobs)  # a Job came, went or changed
            for job in jobs:
                meta = job.get("metadata") or {}
                uid = meta.get("uid", "")
                sig = (
                    meta.get("resourceVersion", ""),
                    cache.pods_revision(uid),
                    cache.warnings_revision(uid),
                )
                known = self._jobs.get(uid)
                if known is not None and known[0] == sig:
                    fresh[uid] = known
                    continue
                pods = cache.pods_of(uid) if uid else []
                events = events_of(cache, job, uid, pods)
                if known is not None and known[0][0] == sig[0]:
                    # Only its pods, or the Warning Events about them, changed.
                    row = job_row_for_pods(known[1], pods, clock, events)
                else:
                    row = job_row(job, pods, clock, events)
                    jobs_moved = True
                fresh[uid] = (sig, row)
                if known is None or row is not known[1]:
                    changed.append(row)
            self._jobs = fresh
            job_rows = [row for _, row in fresh.values()]

            if jobs_moved:
                self._owned = jobs_by_cronjob(jobs)
            cron_rows = []
            crons_changed: list[CronJobRow] = []
            crons: dict[str, tuple[tuple, datetime | None, CronJobRow]] = {}
            for cj in cache.cronjobs():
                uid = (cj.get("metadata") or {}).get("uid", "")
                owned = self._owned.get(uid, ())
                sig = _signature(cj, owned)
                kept = self._crons.get(uid)
                if kept is not None and kept[0] == sig and _still_valid(kept[1], now):
                    crons[uid] = kept
                else:
                    cron_row = cronjob_row(cj, owned, now)
                    crons[uid] = (sig, _valid_until(cron_row), cron_row)
                    crons_changed.append(cron_row)
                cron_rows.append(crons[uid][2])
            self._crons = crons
            expires = min(
                (r.outlook.next_run for r in cron_rows if r.outlook.next_run is not None),
                default=None,
            )
            job_sort, job_reverse = sorts["jobs"]
            cron_sort, cron_reverse = sorts["cronjobs"]
            if needle:
                job_rows_shown = [r for r in job_rows if name_matches(r, needle)]
                cron_rows_shown = [r for r in cron_rows if name_matches(r, needle)]
            else:
                job_rows_shown, cron_rows_shown = job_rows, cron_rows
            return MainModel(
                states=cache.states(),
                cron_table=prepare_rows(
                    self._cron_columns,
                    self._cron_sorter.sort(
                        cron_rows_shown, CRONJOB_COLUMNS[cron_sort], cron_reverse
                    ),
                    now,
                    crons_changed,
                ),
                job_table=prepare_rows(
                    self._job_columns,
                    self._job_sorter.sort(job_rows_shown, JOB_COLUMNS[job_sort], job_reverse),
                    now,
                    changed,
                ),
                total_cronjobs=len(cron_rows),
                total_jobs=len(job_rows),
                expires=expires,
            )


class MainScreen(ObjectActions, LiveScreen):
    """CronJobs above, Jobs below; enter opens, the other keys act on the selected row."""

    BINDINGS = [
        *ObjectActions.OBJECT_BINDINGS,
        *bindings("filter", "selector", "namespace", "context", "sort", "reverse", "wide"),
        *bindings("group"),
    ]

    def __init__(self) -> None:
        super().__init__(id="main")
        self.needle = ""
        self.sorts: dict[str, tuple[str, bool]] = {
            "jobs": ("age", False),
            "cronjobs": ("name", False),
        }
        self._builder = RowBuilder()
        self._model: MainModel | None = None
        self._columns_for: bool | None = None

    def compose(self) -> ComposeResult:
        yield ScopeBar(id="scope")
        yield Static("", id="cronjobs-title", classes="table-title")
        yield LiveTable(id="cronjobs")
        yield Static("", id="jobs-title", classes="table-title")
        yield LiveTable(id="jobs")
        yield Static("", id="hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.set_scope_columns()
        self.query_one("#jobs", LiveTable).focus()
        self._titles()
        groups.restore_grouping(self)  # --group-by, or the key remembered for the context

    def action_group(self) -> None:
        groups.choose_group_key(self)

    # -- scope ------------------------------------------------------------------------
    def set_scope_columns(self) -> None:
        """Columns for the current scope (NAMESPACE only with all namespaces)."""
        all_ns = self.app.scope.all_namespaces
        if all_ns == self._columns_for:
            return
        self._columns_for = all_ns
        self._builder = RowBuilder(job_columns(all_ns), cronjob_columns(all_ns))
        self.query_one("#jobs", LiveTable).set_columns(job_columns(all_ns))
        self.query_one("#cronjobs", LiveTable).set_columns(cronjob_columns(all_ns))
        for name in ("jobs", "cronjobs"):
            self.query_one(f"#{name}", LiveTable).show_sort(*self.sorts[name])
        self.query_one(ScopeBar).show(scope=self.app.scope)

    def scope_changed(self) -> None:
        self._columns_for = None
        self.set_scope_columns()
        self._model = None
        self._titles()

    # -- live -------------------------------------------------------------------------
    def build(self, cache: CacheView, clock: Callable[[], datetime]) -> MainModel:
        return self._builder.build(cache, clock, self.needle, dict(self.sorts))

    def show(self, model: MainModel) -> None:
        self._model = model
        now = self.app.clock()
        self.query_one("#cronjobs", LiveTable).apply(model.cron_table, now)
        self.query_one("#jobs", LiveTable).apply(model.job_table, now)
        self.query_one(ScopeBar).show(scope=self.app.scope, states=model.states, now=now)
        self._titles()
        self.update_hint()

    def tick(self, now: datetime) -> None:
        for name in ("#cronjobs", "#jobs"):
            self.query_one(name, LiveTable).tick(now)
        if self._model is not None:
            self.query_one(ScopeBar).show(states=self._model.states, now=now)

    def _titles(self) -> None:
        m = self._model
        extra = f"  filter: {self.needle}" if self.needle else ""
        for name, shown, total in (
            ("cronjobs", len(m.cronjobs) if m else 0, m.total_cronjobs if m else 0),
            ("jobs", len(m.jobs) if m else 0, m.total_jobs if m else 0),
        ):
            count = f"{shown}" if shown == total else f"{shown} of {total}"
            title = Text(f" {name.replace('cronjobs', 'CronJobs').replace('jobs', 'Jobs')} ")
            title.stylize("bold")
            title.append(f"({count}){extra}", "dim")
            show_text(self.query_one(f"#{name}-title", Static), title)

    # -- selection ----------------------------------------------------------------------
    def _table(self) -> LiveTable:
        focused = self.focused
        if isinstance(focused, LiveTable):
            return focused
        return self.query_one("#jobs", LiveTable)

    def selection(self) -> Selection | None:
        row = self._table().selected
        if row is None:
            return None
        if isinstance(row, JobRow):
            return Selection("Job", row.obj, pods=tuple(self.app.cache.pods_of(row.uid)))
        return Selection(row.kind, row.obj)

    def on_data_table_row_highlighted(self) -> None:
        self.update_hint()

    def on_descendant_focus(self) -> None:
        self.update_hint()

    def on_data_table_row_selected(self, event: LiveTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        row = self._table().selected
        if isinstance(row, JobRow):
            from kubectl_batch.tui.screens.job_detail import JobDetailScreen

            self.app.push_screen(JobDetailScreen(row.uid))
        elif isinstance(row, CronJobRow):
            from kubectl_batch.tui.screens.cronjob_detail import CronJobDetailScreen

            self.app.push_screen(CronJobDetailScreen(row.uid))

    # -- filter and sort ----------------------------------------------------------------
    def action_filter(self) -> None:
        from kubectl_batch.tui.screens.modals import PromptScreen

        def done(value: str | None) -> None:
            if value is not None:
                self.needle = value
                self._titles()
                self.app.poke()

        self.app.push_screen(
            PromptScreen("Filter by name", self.needle, "part of a name (empty: no filter)"),
            done,
        )

    def action_selector(self) -> None:
        from kubectl_batch.tui.screens.modals import PromptScreen

        def done(value: str | None) -> None:
            if value is not None:
                self.app.switch_scope(selector=value or None)

        self.app.push_screen(
            PromptScreen(
                "Label selector",
                self.app.scope.selector or "",
                "e.g. team=ml,tier!=dev (empty: all)",
                help="Selects jobs and cronjobs on the server, as kubectl -l does.",
            ),
            done,
        )

    def action_namespace(self) -> None:
        self.app.choose_namespace()

    def action_context(self) -> None:
        self.app.choose_context()

    def _sort_by(self, table: LiveTable, column: str, reverse: bool) -> None:
        name = str(table.id)
        self.sorts[name] = (column, reverse)
        table.show_sort(column, reverse)
        self.app.poke()

    def action_sort(self) -> None:
        table = self._table()
        keys = table.visible_keys or [c.key for c in table.columns_spec]
        current, reverse = self.sorts[str(table.id)]
        nxt = keys[(keys.index(current) + 1) % len(keys)] if current in keys else keys[0]
        self._sort_by(table, nxt, False)

    def action_reverse(self) -> None:
        table = self._table()
        column, reverse = self.sorts[str(table.id)]
        self._sort_by(table, column, not reverse)

    def action_wide(self) -> None:
        """Every column at its preferred width (sideways scroll), or the fitted layout."""
        for table in self.query(LiveTable):
            table.wide = not table.wide

    def on_live_table_sort_requested(self, event: LiveTable.SortRequested) -> None:
        column, reverse = self.sorts[str(event.table.id)]
        self._sort_by(event.table, event.column, not reverse if column == event.column else False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "context" and not self.app.can_switch_context:
            return None
        return super().check_action(action, parameters)
