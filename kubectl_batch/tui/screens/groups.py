"""Job groups in the UI: the Jobs of the scope grouped by a label key (``G``), one row per
value of the key, with the group's figures (domain/groups.py); ``enter`` opens a group's
Jobs, ``esc`` comes back. The key is offered from the labels the Jobs share (most common
first), can be given with ``--group-by KEY``, and is remembered per context in
``$XDG_CONFIG_HOME/kubectl-batch/groups.yaml``.

A group's ETA and WHY come from its Jobs' own (domain/eta.py, domain/diagnosis.py), as the
Jobs table's cells do.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from kubectl_batch.domain.groups import (
    NO_VALUE,
    GroupSummary,
    Why,
    group_jobs,
    group_value,
    shared_label_keys,
    states_text,
    summarize,
)
from kubectl_batch.domain.jobs import JobSummary, is_job_finished
from kubectl_batch.tui.keymap import bindings, keymap_paths
from kubectl_batch.tui.layout import Fit
from kubectl_batch.tui.present import (
    BAR_WIDTH,
    COUNT_WIDTH,
    JOB_COLUMNS,
    MIN_BAR,
    Column,
    Completions,
    JobRow,
    RowSorter,
    age_text,
    countdown_text,
    job_columns,
)
from kubectl_batch.tui.screens.base import LiveScreen, ObjectActions, Selection
from kubectl_batch.tui.text import Cell, cell, literal
from kubectl_batch.tui.widgets.footer import KeyFooter
from kubectl_batch.tui.widgets.live_table import LiveTable
from kubectl_batch.tui.widgets.scope_bar import ScopeBar
from kubectl_batch.tui.widgets.text import show_text

if TYPE_CHECKING:
    from kubectl_batch.tui.screens.main import MainScreen

Obj = dict[str, Any]
NONE_SHOWN = "—"
#: The choice that turns grouping off.
UNGROUPED = "-"

_URGENCY = {"stuck": 2, "waiting": 1}


def job_eta(job: Any, pods: list[Obj], events: list[Obj], clock: Callable[[], datetime]) -> Any:
    """A Job's own ETA (domain/eta.py), None without one."""
    from kubectl_batch.domain.eta import estimate

    found = estimate(job, pods, clock)
    return found.eta if found is not None else None


def job_why(job: Any, pods: list[Obj], events: list[Obj], clock: Callable[[], datetime]) -> Any:
    """A Job's WHY (domain/diagnosis.py, as the Jobs table's WHY cell), when it is a problem."""
    from kubectl_batch.domain.diagnosis import diagnose

    problem = diagnose(job, pods, events, clock).problem
    if problem is None:
        return None
    name = (job.get("metadata") or {}).get("name", "")
    return Why(_URGENCY.get(problem.severity.value, 0), problem.short_at(clock()), name)


# ------------------------------------------------------------ remembered key


def prefs_path() -> Path:
    return keymap_paths()[0].parent / "groups.yaml"


def remembered_key(context: str | None, path: Path | None = None) -> str | None:
    import yaml

    try:
        data = yaml.safe_load((path or prefs_path()).read_text()) or {}
    except (OSError, yaml.YAMLError):
        return None
    value = data.get(context or "") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def remember_key(context: str | None, key: str | None, path: Path | None = None) -> None:
    """Keep (or, with None, forget) the context's key; a file we cannot write is no error
    worth stopping for: grouping works, it is just not remembered."""
    import yaml

    path = path or prefs_path()
    with contextlib.suppress(OSError, yaml.YAMLError):
        data = yaml.safe_load(path.read_text()) if path.exists() else {}
        data = data if isinstance(data, dict) else {}
        if key:
            data[context or ""] = key
        else:
            data.pop(context or "", None)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, default_flow_style=False))


#: ``--group-by KEY`` of the command line, for the app about to start.
_start_key: str | None = None
_restored: weakref.WeakSet[Any] = weakref.WeakSet()


def start_grouped(key: str | None) -> None:
    """Open the next app grouped by ``key`` (``--group-by``)."""
    global _start_key
    _start_key = key


def restore_grouping(main: MainScreen) -> None:
    """On the main screen's first showing: group as asked (--group-by) or remembered."""
    app = main.app
    if app in _restored:
        return
    _restored.add(app)
    key = _start_key or remembered_key(app.scope.context)
    if key:
        app.push_screen(GroupsScreen(key))


def choose_group_key(screen: LiveScreen, current: str | None = None) -> None:
    """``G``: pick the label key to group by from those the Jobs share."""
    from kubectl_batch.tui.screens.modals import ChoiceScreen

    app = screen.app
    jobs = app.cache.jobs() if app.cache is not None else []
    keys = shared_label_keys(jobs)
    if not keys and current is None:
        app.notify("the jobs have no labels to group by", title="Group", markup=False)
        return
    choices = [(k, f"{k}  ({n} of {len(jobs)} jobs)") for k, n in keys]
    if current is not None:
        choices.append((UNGROUPED, "(no grouping)"))

    def chosen(key: str | None) -> None:
        if key is None or key == current:
            return
        context = app.scope.context
        if key == UNGROUPED:
            remember_key(context, None)
            if isinstance(app.screen, GroupsScreen):
                app.pop_screen()
            return
        remember_key(context, key)
        if isinstance(app.screen, GroupsScreen):
            app.screen.regroup(key)
        else:
            app.push_screen(GroupsScreen(key))

    app.push_screen(ChoiceScreen("Group jobs by label", choices, current or ""), chosen)


# ---------------------------------------------------------------------- rows


@dataclass(frozen=True)
class GroupRow:
    uid: str  # the value (NO_VALUE: Jobs without the label)
    namespace: str
    name: str  # shown
    summary: GroupSummary
    jobs: tuple[Any, ...] = field(repr=False, compare=False)

    @property
    def kind(self) -> str:
        return "Group"


def _completions(r: GroupRow, now: datetime) -> Completions:
    s = r.summary
    return Completions(f"{s.succeeded}/{s.completions}", s.succeeded, s.failed_jobs, s.completions)


def _eta(r: GroupRow, now: datetime) -> Cell:
    s = r.summary
    if s.finished:
        return Cell("done", "green")
    if s.eta is None:
        return Cell(NONE_SHOWN, "dim")
    return Cell(f"in {countdown_text(s.eta, now)}" if s.eta > now else "any moment")


def _why(r: GroupRow, now: datetime) -> Cell:
    why = r.summary.why
    if why is None:
        return Cell(NONE_SHOWN, "dim")
    return cell(f"{why.job}: {why.text}" if why.job else why.text)


def _urgency(r: GroupRow) -> int:
    return -(r.summary.why.urgency if r.summary.why else -1)


def _never(value: datetime | None) -> float:
    return value.timestamp() if value is not None else float("inf")


GROUP_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        Column(
            "name",
            "GROUP",
            Fit(0, 12, 40, essential=True),
            lambda r, n: cell(r.name, "bold" if r.uid != NO_VALUE else "dim"),
            lambda r: r.name,
            sized_by="name",
        ),
        Column(
            "jobs",
            "JOBS",
            Fit(1, 4, 6, essential=True),
            lambda r, n: Cell(str(r.summary.jobs)),
            lambda r: r.summary.jobs,
        ),
        Column(
            "states",
            "STATES",
            Fit(2, 14, 30, essential=True),
            lambda r, n: cell(
                states_text(r.summary.states), "red" if r.summary.failed_jobs else ""
            ),
            lambda r: (-r.summary.failed_jobs, states_text(r.summary.states)),
        ),
        Column(
            "completions",
            "COMPLETIONS",
            Fit(3, COUNT_WIDTH + 1 + MIN_BAR, COUNT_WIDTH + 1 + BAR_WIDTH, essential=True),
            _completions,
            lambda r: r.summary.progress,
        ),
        Column(
            "failed",
            "FAILURES",
            Fit(5, 8, 8),
            lambda r, n: Cell(str(r.summary.failed), "red" if r.summary.failed else ""),
            lambda r: r.summary.failed,
        ),
        Column(
            "started",
            "STARTED",
            Fit(6, 7, 8),
            lambda r, n: Cell(
                age_text(r.summary.oldest_start, n) if r.summary.oldest_start else ""
            ),
            lambda r: _never(r.summary.oldest_start),
            live=True,
        ),
        Column("eta", "ETA", Fit(4, 8, 12), _eta, lambda r: _never(r.summary.eta), live=True),
        Column(
            "why",
            "WHY",
            Fit(7, 12, 50),
            _why,
            lambda r: -(r.summary.why.urgency if r.summary.why else -1),
        ),
    )
}


@dataclass(frozen=True)
class GroupsModel:
    rows: list[GroupRow]
    jobs: int
    states: dict[str, Any]


class GroupBuilder:
    """Group rows from the cache; each Job's summary is kept while its object stays the
    same (the fields a group reads do not move with the clock)."""

    def __init__(self) -> None:
        self._summaries: dict[str, tuple[str, JobSummary]] = {}
        self._figures: dict[str, tuple[tuple, tuple[Any, Any]]] = {}
        self._sorter = RowSorter()

    def summary(self, job: Any, clock: Callable[[], datetime]) -> JobSummary:
        meta = job.get("metadata") or {}
        uid, rv = meta.get("uid", ""), meta.get("resourceVersion", "")
        known = self._summaries.get(uid)
        if known is not None and known[0] == rv:
            return known[1]
        summary = JobSummary.from_job(job, clock)
        self._summaries[uid] = (rv, summary)
        return summary

    def build(
        self, cache: Any, clock: Callable[[], datetime], key: str, sort: tuple[str, bool]
    ) -> GroupsModel:
        from kubectl_batch.tui.screens.main import events_of

        jobs = cache.jobs()
        live = {(j.get("metadata") or {}).get("uid", "") for j in jobs}
        self._summaries = {u: s for u, s in self._summaries.items() if u in live}
        self._figures = {u: f for u, f in self._figures.items() if u in live}

        def figures(job: Any) -> tuple[Any, Any]:
            """(ETA, WHY) of an unfinished Job, kept while it, its pods and their
            Warnings stay the same."""
            meta = job.get("metadata") or {}
            uid = meta.get("uid", "")
            sig = (
                meta.get("resourceVersion", ""),
                cache.pods_revision(uid),
                cache.warnings_revision(uid),
            )
            known = self._figures.get(uid)
            if known is not None and known[0] == sig:
                return known[1]
            pods = cache.pods_of(uid)
            events = events_of(cache, job, uid, pods)
            made = (job_eta(job, pods, events, clock), job_why(job, pods, events, clock))
            self._figures[uid] = (sig, made)
            return made

        rows = []
        for value, members in group_jobs(jobs, key).items():
            summary = summarize(
                key,
                value,
                members,
                clock,
                eta_of=lambda j: figures(j)[0],
                why_of=lambda j: None if is_job_finished(j) else figures(j)[1],
                summaries=[self.summary(j, clock) for j in members],
            )
            shown = value if value != NO_VALUE else f"(no {key} label)"
            rows.append(GroupRow(value or "\0none", "", shown, summary, tuple(members)))
        column, reverse = sort
        return GroupsModel(
            self._sorter.sort(rows, GROUP_COLUMNS[column], reverse), len(jobs), cache.states()
        )


# ------------------------------------------------------------------- screens


class GroupsScreen(LiveScreen):
    """One row per group; ``enter`` opens the group's Jobs."""

    BINDINGS = [
        *bindings("open", "logs", "suspend", "retry", "delete", "group"),
        *bindings("sort", "reverse", "wide"),
    ]

    def __init__(self, key: str) -> None:
        super().__init__(id="groups-screen")
        self.key = key
        self.sort: tuple[str, bool] = ("name", False)
        self._builder = GroupBuilder()
        self._model: GroupsModel | None = None

    def compose(self) -> ComposeResult:
        yield ScopeBar(id="scope")
        yield Static("", id="groups-title", classes="table-title")
        yield LiveTable(tuple(GROUP_COLUMNS.values()), id="groups")
        yield Static("", id="hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ScopeBar).show(scope=self.app.scope)
        table = self.query_one("#groups", LiveTable)
        table.show_sort(*self.sort)
        table.focus()
        self._title()

    def regroup(self, key: str) -> None:
        self.key = key
        self._model = None
        self._title()
        self.app.poke()

    # -- live -------------------------------------------------------------------------
    def build(self, cache: Any, clock: Callable[[], datetime]) -> GroupsModel:
        return self._builder.build(cache, clock, self.key, self.sort)

    def show(self, model: GroupsModel) -> None:
        self._model = model
        now = self.app.clock()
        self.query_one("#groups", LiveTable).apply(model.rows, now)
        self.query_one(ScopeBar).show(scope=self.app.scope, states=model.states, now=now)
        self._title()

    def tick(self, now: datetime) -> None:
        self.query_one("#groups", LiveTable).tick(now)
        if self._model is not None:
            self.query_one(ScopeBar).show(states=self._model.states, now=now)

    def _title(self) -> None:
        m = self._model
        title = Text(" Groups ", "bold")
        title.append(f"by {self.key} ", "bold")
        if m is not None:
            title.append(f"({len(m.rows)} groups, {m.jobs} jobs)", "dim")
        show_text(self.query_one("#groups-title", Static), title)
        hint = Text("enter", "bold")
        hint.append(" the group's jobs · ", "dim")
        hint.append("G", "bold")
        hint.append(" another label or no grouping · ", "dim")
        hint.append("esc", "bold")
        hint.append(" all jobs", "dim")
        show_text(self.query_one("#hint", Static), hint)

    # -- keys -------------------------------------------------------------------------
    @property
    def selected(self) -> GroupRow | None:
        row = self.query_one("#groups", LiveTable).selected
        return row if isinstance(row, GroupRow) else None

    def on_data_table_row_selected(self, event: LiveTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        row = self.selected
        if row is not None:
            self.app.push_screen(GroupJobsScreen(self.key, row.summary.value))

    def action_group(self) -> None:
        choose_group_key(self, self.key)

    # -- group actions (the preview/confirmation machinery of the one-Job actions) -----
    def _selector(self, row: GroupRow) -> str:
        """The group's selector within the scope's own -l."""
        mine = row.summary.selector
        return f"{self.app.scope.selector},{mine}" if self.app.scope.selector else mine

    def action_logs(self) -> None:
        row = self.selected
        if row is not None:
            from kubectl_batch.tui.screens.group_logs import GroupLogsScreen

            self.app.push_screen(GroupLogsScreen(self.key, row.summary.value, row.name))

    def action_suspend(self) -> None:
        from kubectl_batch.kube import group_actions
        from kubectl_batch.tui.screens.modals import ConfirmScreen

        row = self.selected
        if row is None:
            return
        suspend = bool(group_actions.to_suspend(row.jobs, True))
        jobs = group_actions.to_suspend(row.jobs, suspend)
        if not jobs:
            self.app.notify("every job of the group has finished: nothing to suspend or resume")
            return
        verb = "Suspend" if suspend else "Resume"
        what = (
            "Their running pods are terminated (not counted as failures) and start again on resume."
            if suspend
            else "Their pods are created again; each start time (and activeDeadlineSeconds) "
            "restarts now."
        )
        lines: list[Text | str] = [f"{verb}s {len(jobs)} job(s) of group {row.name}. {what}"]
        lines += _names(jobs)

        def go(confirmed: bool | None) -> None:
            if confirmed:
                self.app.perform(
                    f"{verb} group {row.name}",
                    lambda kube, client: group_actions.suspend_all(client, jobs, suspend),
                )

        self.app.push_screen(
            ConfirmScreen(f"{verb} group {row.name}?", lines, verb, danger=suspend), go
        )

    def action_retry(self) -> None:
        from kubectl_batch.kube import group_actions
        from kubectl_batch.tui.screens.modals import ConfirmScreen

        row = self.selected
        if row is None:
            return
        jobs = group_actions.to_retry(row.jobs)
        if not jobs:
            self.app.notify("the group has no failed jobs or failed indexes to retry")
            return
        lines: list[Text | str] = [
            f"Retries {len(jobs)} job(s) of group {row.name}: the failed indexes of each "
            "(one new job per index) and failed jobs as a whole, in new jobs labelled as "
            "their retries; the originals are kept."
        ]
        lines += _names(jobs)

        def go(confirmed: bool | None) -> None:
            if confirmed:
                self.app.perform(
                    f"Retry group {row.name}",
                    lambda kube, client: group_actions.retry_all(client, jobs),
                )

        self.app.push_screen(ConfirmScreen(f"Retry group {row.name}?", lines, "Retry"), go)

    def action_delete(self) -> None:
        from kubectl_batch.tui.screens.modals import DeleteScopeScreen

        row = self.selected
        if row is None:
            return

        def chosen(answer: tuple[str, tuple[str, ...]] | None) -> None:
            if answer is None:
                return
            selector, kinds = answer
            if not selector:
                self.app.report_error("Delete", "give a label selector")
                return
            self.app.plan_delete(selector, kinds or ("Job",), None)

        self.app.push_screen(DeleteScopeScreen(None, selector=self._selector(row)), chosen)

    def _sort_by(self, column: str, reverse: bool) -> None:
        self.sort = (column, reverse)
        self.query_one("#groups", LiveTable).show_sort(column, reverse)
        self.app.poke()

    def action_sort(self) -> None:
        table = self.query_one("#groups", LiveTable)
        keys = table.visible_keys or list(GROUP_COLUMNS)
        current = self.sort[0]
        self._sort_by(
            keys[(keys.index(current) + 1) % len(keys)] if current in keys else keys[0], False
        )

    def action_reverse(self) -> None:
        self._sort_by(self.sort[0], not self.sort[1])

    def action_wide(self) -> None:
        table = self.query_one("#groups", LiveTable)
        table.wide = not table.wide

    def on_live_table_sort_requested(self, event: LiveTable.SortRequested) -> None:
        column, reverse = self.sort
        self._sort_by(event.column, not reverse if column == event.column else False)


def _names(jobs: list[Any], most: int = 20) -> list[Text | str]:
    lines: list[Text | str] = [
        literal(f"  • {(j.get('metadata') or {}).get('name', '')}") for j in jobs[:most]
    ]
    if len(jobs) > most:
        lines.append(f"  … and {len(jobs) - most} more")
    return lines


class GroupJobsScreen(ObjectActions, LiveScreen):
    """The Jobs of one group, as the main screen's Jobs table, with the same keys."""

    BINDINGS = [*ObjectActions.OBJECT_BINDINGS, *bindings("back")]

    def __init__(self, key: str, value: str) -> None:
        super().__init__(id="group-jobs")
        self.key, self.value = key, value
        self._sorter = RowSorter()
        self._states: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        yield ScopeBar(id="scope")
        yield Static("", id="jobs-title", classes="table-title")
        yield LiveTable(job_columns(self.app.scope.all_namespaces), id="jobs")
        yield Static("", id="hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        shown = self.value if self.value != NO_VALUE else f"no {self.key} label"
        self.query_one(ScopeBar).show(scope=self.app.scope, extra=f"group {self.key}={shown}")
        self.query_one("#jobs", LiveTable).focus()

    def build(self, cache: Any, clock: Callable[[], datetime]) -> tuple[list[JobRow], Any]:
        from kubectl_batch.tui.present import job_row

        rows = [
            job_row(j, cache.pods_of((j.get("metadata") or {}).get("uid", "")), clock)
            for j in cache.jobs()
            if group_value(j, self.key) == self.value
        ]
        return self._sorter.sort(rows, JOB_COLUMNS["age"], False), cache.states()

    def show(self, model: tuple[list[JobRow], Any]) -> None:
        rows, states = model
        now = self.app.clock()
        self.query_one("#jobs", LiveTable).apply(rows, now)
        self.query_one(ScopeBar).show(states=states, now=now)
        title = Text(f" Jobs of {self.key}={self.value} ", "bold")
        title.append(f"({len(rows)})", "dim")
        show_text(self.query_one("#jobs-title", Static), title)
        self.update_hint()

    def tick(self, now: datetime) -> None:
        self.query_one("#jobs", LiveTable).tick(now)

    def selection(self) -> Selection | None:
        row = self.query_one("#jobs", LiveTable).selected
        if not isinstance(row, JobRow):
            return None
        return Selection("Job", row.obj, pods=tuple(self.app.cache.pods_of(row.uid)))

    def on_data_table_row_highlighted(self) -> None:
        self.update_hint()

    def on_data_table_row_selected(self, event: LiveTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        row = self.query_one("#jobs", LiveTable).selected
        if isinstance(row, JobRow):
            from kubectl_batch.tui.screens.job_detail import JobDetailScreen

            self.app.push_screen(JobDetailScreen(row.uid))
