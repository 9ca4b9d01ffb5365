"""CronJob detail: the next fire times (in its zone and locally), its policy, the history of
its Jobs, and why runs were missed or skipped when the controller's events say so."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from kubectl_batch.domain.cron import ScheduleError, parse_schedule
from kubectl_batch.domain.cron_warnings import Finding, cronjob_findings
from kubectl_batch.domain.cron_words import describe_schedule
from kubectl_batch.domain.cronjobs import CronJobOutlook, cronjob_outlook, owned_jobs
from kubectl_batch.domain.timeutil import format_countdown
from kubectl_batch.tui.present import (
    CRON_STATE_STYLE,
    JOB_COLUMNS,
    JobRow,
    age_text,
    job_row,
    pick,
)
from kubectl_batch.tui.screens.base import (
    LiveScreen,
    ObjectActions,
    Selection,
    header_columns,
)
from kubectl_batch.tui.screens.job_detail import EventRow, event_rows, fill_events
from kubectl_batch.tui.text import clean, labelled, packed, wrapped
from kubectl_batch.tui.widgets.fitted_table import FittedTable
from kubectl_batch.tui.widgets.footer import KeyFooter
from kubectl_batch.tui.widgets.live_table import LiveTable
from kubectl_batch.tui.widgets.scope_bar import ScopeBar
from kubectl_batch.tui.widgets.text import show_text

if TYPE_CHECKING:
    from kubectl_batch.tui.ports import CacheView, ConnectionState

Obj = dict[str, Any]
NEXT_RUNS = 5
#: Events of the CronJob controller that explain a run that did not happen.
SKIP_REASONS = frozenset({"MissSchedule", "JobAlreadyActive", "TooManyMissedTimes"})
HISTORY_COLUMNS = pick(
    JOB_COLUMNS, ("name", "status", "completions", "pods", "duration", "age", "origin")
)


@dataclass(frozen=True)
class CronJobModel:
    cronjob: Obj | None
    outlook: CronJobOutlook | None = None
    history: list[JobRow] = field(default_factory=list)
    skipped: list[EventRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    states: Mapping[str, ConnectionState] = field(default_factory=dict)
    expires: datetime | None = None
    #: The schedule in words (None when the API would reject it), and what to warn about.
    description: str | None = None
    findings: list[Finding] = field(default_factory=list)


def build_cronjob_model(cache: CacheView, uid: str, clock: Callable[[], datetime]) -> CronJobModel:
    cronjob = cache.get("CronJob", uid)
    if cronjob is None:
        return CronJobModel(None, states=cache.states())
    now = clock()
    outlook = cronjob_outlook(cronjob, now, NEXT_RUNS)
    jobs = owned_jobs(cronjob, cache.jobs())
    history = [
        job_row(j, cache.pods_of((j.get("metadata") or {}).get("uid", "")), clock)
        for j in reversed(jobs)
    ]
    events = event_rows(cache.events_for(uid))
    return CronJobModel(
        cronjob=cronjob,
        outlook=outlook,
        history=history,
        skipped=[e for e in events if e.reason in SKIP_REASONS],
        events=events,
        states=cache.states(),
        expires=outlook.next_run,
        description=_description(outlook),
        findings=cronjob_findings(cronjob, now, jobs),
    )


def _description(outlook: CronJobOutlook) -> str | None:
    try:
        # The schedule line above names the zone already.
        schedule = parse_schedule(outlook.schedule)
        return describe_schedule(schedule, outlook.time_zone, with_zone=False)
    except ScheduleError:
        return None


LABEL_WIDTH = 16


def _line(label: str, value: Text | str, style: str = "") -> Text:
    return labelled(label, value, LABEL_WIDTH, style)


def next_run_line(run: datetime, zone: tzinfo | None, now: datetime, columns: int = 0) -> Text:
    """One fire time in the CronJob's zone, then locally (only where that reads
    differently) and how far ahead. Where that is wider than ``columns``, the local time
    is abbreviated (no date when it is the same day), then the line wraps."""
    there = run.astimezone(zone) if zone is not None else run
    local = run.astimezone()
    when = f"{there:%a %Y-%m-%d %H:%M %Z}"
    left = run - now
    countdown = f"in {format_countdown(left)}" if left.total_seconds() > 0 else "due"
    locally = [f"local {local:%a %Y-%m-%d %H:%M %Z}"]
    if f"{local:%Y-%m-%d %H:%M %Z}" == f"{there:%Y-%m-%d %H:%M %Z}":
        locally = []
    elif (
        columns
        and 2 + len(when) + 3 + len(locally[0]) + 3 + len(countdown) > columns
        and local.date() == there.date()
    ):
        locally = [f"local {local:%H:%M %Z}"]
    line = Text(f"  {when}", "bold")
    width = 2 + len(when)
    for part, style in [*((p, "dim") for p in locally), (countdown, "")]:
        if columns and width + 3 + len(part) > columns:
            line.append("\n    ")
            width = 4
        else:
            line.append("   ")
            width += 3
        line.append(part, style)
        width += len(part)
    return line


def header_text(model: CronJobModel, now: datetime, columns: int = 0) -> Text:
    """The CronJob's header; lines wider than ``columns`` (0: any width) wrap or are
    abbreviated."""
    o, cj = model.outlook, model.cronjob
    assert o is not None and cj is not None
    spec = cj.get("spec") or {}
    title = Text(f"cronjob {clean(o.namespace)}/{clean(o.name)}  ", "bold")
    title.append(o.state.value, CRON_STATE_STYLE[o.state] or "green")
    out = [title]
    if o.reason:
        out.append(wrapped(o.reason, "italic " + (CRON_STATE_STYLE[o.state] or "")))
    out.append(packed("schedule", [o.schedule, f"({o.zone_label})"], LABEL_WIDTH, columns))
    if model.description:
        out.append(_line("", wrapped(model.description, "italic")))
    for finding in model.findings:
        level, style = ("error", "red") if finding.is_error else ("warning", "yellow")
        out.append(wrapped(f"{level}: {finding.message}", style))
    deadline = o.starting_deadline_seconds
    policy = [
        f"concurrency {o.concurrency_policy}",
        f"startingDeadlineSeconds {deadline if deadline is not None else '-'}",
        f"history: {spec.get('successfulJobsHistoryLimit', 3)} successful, "
        f"{spec.get('failedJobsHistoryLimit', 1)} failed",
        f"suspend {str(o.suspended).lower()}",
    ]
    out.append(packed("policy", policy, LABEL_WIDTH, columns))
    last = (
        f"{o.last_schedule:%Y-%m-%d %H:%M:%S}Z ({age_text(o.last_schedule, now)} ago)"
        if o.last_schedule
        else "never"
    )
    out.append(_line("last schedule", last))
    ok = (
        f"{o.last_successful:%Y-%m-%d %H:%M:%S}Z ({age_text(o.last_successful, now)} ago)"
        if o.last_successful
        else "none yet"
    )
    out.append(_line("last success", ok))
    active = [f"{name}," for name in o.active[:-1]] + list(o.active[-1:]) or ["none"]
    out.append(packed("active jobs", active, LABEL_WIDTH, columns))
    out.append(Text("next runs", "bold dim"))
    if not o.next_runs:
        out.append(Text("  none", "dim"))
    for run in o.next_runs:
        out.append(next_run_line(run, o.zone, now, columns))
    return Text("\n").join(out)


class CronJobDetailScreen(ObjectActions, LiveScreen):
    BINDINGS = [*ObjectActions.OBJECT_BINDINGS]

    def __init__(self, uid: str) -> None:
        super().__init__(classes="detail")
        self.uid = uid
        self.model: CronJobModel | None = None

    def compose(self) -> ComposeResult:
        yield ScopeBar()
        with VerticalScroll():
            yield Static("loading…", id="header", classes="detail-header")
            yield Static("Missed and skipped runs", classes="section-title", id="missed-title")
            yield FittedTable(id="missed", cursor_type="row", show_cursor=False)
            yield Static("History", classes="section-title")
            yield LiveTable(HISTORY_COLUMNS, id="history")
            yield Static("Events", classes="section-title")
            yield FittedTable(id="events", cursor_type="row", show_cursor=False)
        yield Static("", id="hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ScopeBar).show(scope=self.app.scope, extra="cronjob detail")
        self.query_one("#history", LiveTable).focus()

    def build(self, cache: CacheView, clock: Callable[[], datetime]) -> CronJobModel:
        return build_cronjob_model(cache, self.uid, clock)

    def show(self, model: CronJobModel) -> None:
        self.model = model
        now = self.app.clock()
        self.query_one(ScopeBar).show(states=model.states, now=now)
        if model.cronjob is None:
            show_text(
                self.query_one("#header", Static), Text("this cronjob was deleted", "bold red")
            )
            return
        self._header(now)
        self.query_one("#history", LiveTable).apply(model.history, now)
        self.query_one("#missed-title").display = bool(model.skipped)
        missed = self.query_one("#missed", FittedTable)
        missed.display = bool(model.skipped)
        fill_events(missed, model.skipped, now)
        fill_events(self.query_one("#events", FittedTable), model.events, now)
        self.update_hint()

    def tick(self, now: datetime) -> None:
        if self.model is not None and self.model.cronjob is not None:
            self._header(now)
            self.query_one("#history", LiveTable).tick(now)

    def _header(self, now: datetime) -> None:
        """The header, wrapped to the width it has now."""
        if self.model is not None and self.model.cronjob is not None:
            header = self.query_one("#header", Static)
            show_text(header, header_text(self.model, now, header_columns(self, header)))

    def on_resize(self) -> None:
        self.call_after_refresh(lambda: self._header(self.app.clock()))

    def selection(self) -> Selection | None:
        """The keys act on the CronJob; `l` and enter on the Job selected in the history."""
        model = self.model
        return Selection("CronJob", model.cronjob) if model and model.cronjob else None

    def history_selection(self) -> Selection | None:
        row = self.query_one("#history", LiveTable).selected
        if row is None:
            return None
        return Selection("Job", row.obj, pods=tuple(self.app.cache.pods_of(row.uid)))

    def unavailable(self) -> dict[str, str]:
        out = super().unavailable()
        out.pop("logs", None)
        job = self.history_selection()
        if job is None:
            out["logs"] = "select a job in the history"
        elif not job.pods:
            out["logs"] = "the selected job has no pods"
        return out

    def action_logs(self) -> None:
        self.open_logs(self.history_selection())

    def on_descendant_focus(self) -> None:
        self.update_hint()

    def on_data_table_row_highlighted(self) -> None:
        self.update_hint()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        row = self.query_one("#history", LiveTable).selected
        if row is not None:
            from kubectl_batch.tui.screens.job_detail import JobDetailScreen

            self.app.push_screen(JobDetailScreen(row.uid))
