"""Job detail: status and conditions, progress (the per-index grid of an Indexed Job),
the selected index's attempts and backoff countdown, pods, events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from kubectl_batch.domain.backoff import next_pod_time
from kubectl_batch.domain.diagnosis import Diagnosis, Severity
from kubectl_batch.domain.index_progress import IndexDetail, IndexProgress, IndexState
from kubectl_batch.domain.jobs import (
    JobSummary,
    has_backoff_limit_per_index,
    has_job_wide_backoff_limit,
)
from kubectl_batch.domain.timeutil import format_countdown, parse_time
from kubectl_batch.tui.keymap import bindings
from kubectl_batch.tui.layout import Want
from kubectl_batch.tui.present import (
    INDEX_STYLE,
    POD_COLUMNS,
    STATUS_STYLE,
    WHY_STYLE,
    PodRow,
    age_text,
    bar,
    job_row,
    pod_row,
)
from kubectl_batch.tui.screens.base import (
    LiveScreen,
    ObjectActions,
    Selection,
    header_columns,
)
from kubectl_batch.tui.text import clean, labelled, literal, packed, wrapped
from kubectl_batch.tui.widgets.fitted_table import FittedTable
from kubectl_batch.tui.widgets.footer import KeyFooter
from kubectl_batch.tui.widgets.index_grid import URGENCY, IndexGrid
from kubectl_batch.tui.widgets.live_table import LiveTable
from kubectl_batch.tui.widgets.scope_bar import ScopeBar
from kubectl_batch.tui.widgets.text import show_text

if TYPE_CHECKING:
    from kubectl_batch.tui.ports import CacheView, ConnectionState

Obj = dict[str, Any]
MAX_EVENTS = 200


@dataclass(frozen=True)
class EventRow:
    uid: str
    namespace: str
    name: str
    obj: Obj = field(repr=False)
    time: datetime | None
    type: str
    reason: str
    object: str
    message: str
    count: int


def event_rows(events: list[Obj]) -> list[EventRow]:
    rows = []
    for e in events:
        meta, inv = e.get("metadata") or {}, e.get("involvedObject") or {}
        when = e.get("lastTimestamp") or e.get("eventTime") or meta.get("creationTimestamp")
        try:
            time = parse_time(when)
        except ValueError:
            time = None
        rows.append(
            EventRow(
                uid=meta.get("uid") or meta.get("name", ""),
                namespace=meta.get("namespace", ""),
                name=meta.get("name", ""),
                obj=e,
                time=time,
                type=e.get("type") or "",
                reason=e.get("reason") or "",
                object=f"{(inv.get('kind') or '').lower()}/{inv.get('name', '')}",
                message=e.get("message") or e.get("note") or "",
                count=int(e.get("count") or 1),
            )
        )
    rows.sort(key=lambda r: (r.time.timestamp() if r.time else 0.0, r.name), reverse=True)
    return rows[:MAX_EVENTS]


#: The events tables' columns; narrower, the message is cut (with …) and OBJECT goes.
EVENT_COLUMNS = (
    ("age", "AGE", Want(0, 6, 8, essential=True)),
    ("type", "TYPE", Want(1, 7, 7, essential=True)),
    ("reason", "REASON", Want(2, 12, 20, essential=True)),
    ("object", "OBJECT", Want(4, 12, 34)),
    ("message", "MESSAGE", Want(3, 20, 70, essential=True)),
)
CONDITION_COLUMNS = (
    ("type", "TYPE", Want(0, 12, 18, essential=True)),
    ("status", "STATUS", Want(1, 6, 6, essential=True)),
    ("reason", "REASON", Want(2, 12, 22, essential=True)),
    ("since", "SINCE", Want(4, 5, 7, essential=True)),
    ("message", "MESSAGE", Want(3, 16, 70, essential=True)),
)


def fill_events(table: FittedTable, rows: list[EventRow], now: datetime) -> None:
    """Events change rarely and are few: keyed rows, added or updated in place."""
    if not table.columns:
        for key, label, want in EVENT_COLUMNS:
            table.add_fitted_column(label, key, want)
    shown = {k.value for k in table.rows}
    fresh = {r.uid for r in rows}
    for gone in shown - fresh:
        if gone is not None:  # (always: rows are added with their uid as key)
            table.remove_row(gone)
    for r in rows:
        cells = (
            Text(age_text(r.time, now) + (f" x{r.count}" if r.count > 1 else "")),
            Text(r.type, "yellow" if r.type == "Warning" else ""),
            literal(r.reason, "bold"),
            literal(r.object),
            literal(r.message),
        )
        if r.uid in shown:
            for column, cell in zip(
                ("age", "type", "reason", "object", "message"), cells, strict=True
            ):
                table.update_cell(r.uid, column, cell)
        else:
            table.add_row(*cells, key=r.uid)


@dataclass(frozen=True)
class JobModel:
    job: Obj | None
    summary: JobSummary | None = None
    pods: list[PodRow] = field(default_factory=list)
    pod_objs: tuple[Obj, ...] = ()
    events: list[EventRow] = field(default_factory=list)
    progress: IndexProgress | None = None
    backoff_until: datetime | None = None
    states: Mapping[str, ConnectionState] = field(default_factory=dict)
    failed_index_count: int = 0
    diagnosis: Diagnosis | None = None


def build_job_model(cache: CacheView, uid: str, clock: Callable[[], datetime]) -> JobModel:
    job = cache.get("Job", uid)
    if job is None:
        return JobModel(None, states=cache.states())
    pods = cache.pods_of(uid)
    events = list(cache.events_for(uid))
    for pod in pods[:500]:
        events.extend(cache.events_for((pod.get("metadata") or {}).get("uid", "")))
    row = job_row(job, pods, clock, events)
    progress = None
    if row.summary.is_indexed and row.summary.spec_completions is not None:
        try:
            progress = IndexProgress(job, pods, clock)
        except ValueError:
            progress = None
    pod_rows = sorted(
        (pod_row(p) for p in pods),
        key=lambda r: (r.created.timestamp() if r.created else 0.0, r.name),
        reverse=True,
    )
    return JobModel(
        job=job,
        summary=row.summary,
        pods=pod_rows,
        pod_objs=tuple(pods),
        events=event_rows(events),
        progress=progress,
        backoff_until=next_pod_time(job, pods) if pods else None,
        states=cache.states(),
        failed_index_count=row.failed_index_count,
        diagnosis=row.diagnosis,
    )


def _line(label: str, value: Text | str, style: str = "") -> Text:
    return labelled(label, value, 14, style)


def header_text(model: JobModel, now: datetime, columns: int = 0) -> Text:
    """The Job's header; lines wider than ``columns`` (0: any width) wrap."""
    s, job = model.summary, model.job
    assert s is not None and job is not None
    spec = job.get("spec") or {}
    title = Text(f"job {clean(s.namespace)}/{clean(s.name)}  ", "bold")
    title.append(s.status, STATUS_STYLE.get(s.status, ""))
    if s.reason:
        title.append(f"  {clean(s.reason)}", "bold")
    out = [title]
    if s.message:
        out.append(wrapped(s.message, "italic"))
    progress = Text(f"{s.completions}  ")
    if s.spec_completions:
        progress.append_text(
            bar([(s.succeeded, "green"), (model.failed_index_count, "red")], s.spec_completions, 40)
        )
        progress.append(f"  {100 * s.succeeded / s.spec_completions:.1f}%")
    out.append(_line("completions", progress))
    counts = Text(f"active {s.active}  ready {s.ready}  failed {s.failed}")
    if s.terminating:
        counts.append(f"  terminating {s.terminating}")
    out.append(_line("pods", counts))
    if model.backoff_until is not None:
        left = model.backoff_until - now
        value = (
            f"next pod in {format_countdown(left)}"
            if left.total_seconds() > 0
            else "next pod due now"
        )
        out.append(_line("backoff", Text(value, "dark_orange")))
    out += why_lines(model, now)
    timing = f"started {s.start_time:%Y-%m-%d %H:%M:%S}Z" if s.start_time else "not started"
    if s.start_time:
        end = s.completion_time or now
        from kubectl_batch.domain.timeutil import format_duration

        timing += f"  duration {format_duration(end - s.start_time)}"
    timing += f"  age {age_text(s.created, now)}"
    out.append(_line("time", timing))
    policy = [
        f"completions {spec.get('completions', '-')}",
        f"parallelism {spec.get('parallelism', 1)}",
        f"mode {spec.get('completionMode', 'NonIndexed')}",
    ]
    if has_job_wide_backoff_limit(job):
        policy.append(f"backoffLimit {spec.get('backoffLimit', 6)}")
    if has_backoff_limit_per_index(job):
        per_index = f"backoffLimitPerIndex {spec['backoffLimitPerIndex']}"
        if not has_job_wide_backoff_limit(job):
            per_index += " (no Job-wide backoffLimit)"
        policy.append(per_index)
    for key in (
        "maxFailedIndexes",
        "activeDeadlineSeconds",
        "ttlSecondsAfterFinished",
    ):
        if spec.get(key) is not None:
            policy.append(f"{key} {spec[key]}")
    if spec.get("suspend"):
        policy.append("suspend true")
    out.append(packed("spec", policy, 14, columns))
    if s.owner_cronjob:
        origin = f"cronjob/{s.owner_cronjob}" + (" (manual run)" if s.is_manual else "")
        if s.scheduled_time:
            origin += f"  scheduled {s.scheduled_time:%Y-%m-%d %H:%M}Z"
        out.append(_line("created by", origin))
    if s.lineage is not None and s.lineage.retry_of:
        what = f"retry of {s.lineage.retry_of}"
        if s.lineage.retry_indexes_text:
            what += f" (indexes {s.lineage.retry_indexes_text})"
        out.append(_line("lineage", what, "cyan"))
    return Text("\n").join(out)


def why_lines(model: JobModel, now: datetime) -> list[Text]:
    """The whole diagnosis: each finding's text, the most pressing first (the WHY cell of
    the main screen is the first one's short form)."""
    d = model.diagnosis
    if d is None:
        return []
    out = []
    for f in d.findings:
        if f.code == "backoff":
            continue  # the backoff line above
        label = "why" if f.severity is not Severity.INFO else "outlook"
        out.append(_line(label, wrapped(f.detail_at(now), WHY_STYLE[f.severity])))
    return out


def legend(progress: IndexProgress) -> Text:
    text = Text()
    counts = progress.counts()
    for state in URGENCY:
        if counts[state]:
            text.append("■ ", INDEX_STYLE[state])
            text.append(f"{state.value} {counts[state]:,}   ")
    return text


def ranges_text(progress: IndexProgress, width: int = 100) -> Text:
    """The indexes of each unfinished state, compressed (``3,7,1000-1010``), cut to fit."""
    text = Text()
    for state in URGENCY:
        if state in (IndexState.SUCCEEDED, IndexState.NOT_STARTED):
            continue
        ixs = progress.states[state]
        if ixs:
            shown = str(ixs)
            if len(shown) > width:
                shown = shown[:width].rsplit(",", 1)[0] + f",… ({ixs.range_count} ranges)"
            text.append(f"{state.value:<12}", INDEX_STYLE[state])
            text.append(shown + "\n")
    return text


def index_detail_text(detail: IndexDetail, first: int, last: int, now: datetime) -> Text:
    text = Text()
    if last > first:
        text.append(f"indexes {first:,}-{last:,} (one cell)\n", "dim")
    text.append(f"index {detail.index}  ", "bold")
    text.append(detail.state.value, INDEX_STYLE[detail.state])
    text.append(f"\nattempts {detail.attempt_count}  failures {detail.failures}\n")
    if detail.backoff is not None:
        left = detail.backoff.until - now
        text.append(
            f"retry in {format_countdown(left)}" if left.total_seconds() > 0 else "retry due now",
            "bold dark_orange",
        )
        text.append(
            f"  (backoff {int(detail.backoff.delay.total_seconds())}s after failure "
            f"{detail.backoff.failures})\n",
            "dark_orange",
        )
    if not detail.attempts:
        text.append("no pod of this index exists now\n", "dim")
    for a in reversed(detail.attempts):
        number = f"#{a.number}" if a.number is not None else "#?"
        text.append(f"\n{number} ", "bold")
        text.append(clean(a.pod_name))
        text.append(
            f"\n   {a.phase}", {"Failed": "red", "Succeeded": "green"}.get(a.phase, "yellow")
        )
        if a.exit_code is not None:
            text.append(f"  exit {a.exit_code}", "red" if a.exit_code else "green")
        if a.reason:
            text.append(f"  {clean(a.reason)}", "bold")
        if a.started:
            text.append(f"\n   started {a.started:%H:%M:%S}Z")
        if a.finished:
            text.append(f"  finished {a.finished:%H:%M:%S}Z")
        if a.message:
            text.append("\n   " + clean(a.message)[:200], "italic")
    return text


class JobDetailScreen(ObjectActions, LiveScreen):
    BINDINGS = [
        *ObjectActions.OBJECT_BINDINGS,
        *bindings("goto-index", "tab-overview", "tab-pods", "tab-events"),
    ]

    def __init__(self, uid: str) -> None:
        super().__init__(classes="detail")
        self.uid = uid
        self.model: JobModel | None = None
        self._grid_choice: tuple[int, int, int] | None = None

    def compose(self) -> ComposeResult:
        yield ScopeBar()
        with TabbedContent(initial="overview"):
            with TabPane("Overview", id="overview"), VerticalScroll():
                yield Static("loading…", id="header", classes="detail-header")
                yield Static("Conditions", classes="section-title")
                yield FittedTable(id="conditions", cursor_type="row", show_cursor=False)
                with Vertical(id="indexes"):
                    yield Static("Indexes", classes="section-title", id="indexes-title")
                    with Horizontal(id="overview-columns"):
                        with Vertical(id="grid-column"):
                            yield Static("", id="legend")
                            yield IndexGrid(id="grid")
                            yield Static("", id="ranges")
                        yield Static("", id="index-detail")
            with TabPane("Pods", id="pods-tab"):
                yield LiveTable(list(POD_COLUMNS.values()), id="pods")
            with TabPane("Events", id="events-tab"):
                yield FittedTable(id="events", cursor_type="row")
        yield Static("", id="hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ScopeBar).show(scope=self.app.scope, extra="job detail")
        table = self.query_one("#conditions", FittedTable)
        for key, label, want in CONDITION_COLUMNS:
            table.add_fitted_column(label, key, want)
        self.query_one("#indexes").display = False

    # -- live -------------------------------------------------------------------------
    def build(self, cache: CacheView, clock: Callable[[], datetime]) -> JobModel:
        return build_job_model(cache, self.uid, clock)

    def show(self, model: JobModel) -> None:
        self.model = model
        now = self.app.clock()
        self.query_one(ScopeBar).show(states=model.states, now=now)
        if model.job is None:
            show_text(self.query_one("#header", Static), Text("this job was deleted", "bold red"))
            self.update_hint()
            return
        self._header(now)
        self._conditions(model, now)
        indexes = self.query_one("#indexes")
        indexes.display = model.progress is not None
        if model.progress is not None:
            grid = self.query_one(IndexGrid)
            show_text(self.query_one("#legend", Static), legend(model.progress))
            show_text(self.query_one("#ranges", Static), ranges_text(model.progress))
            grid.set_progress(model.progress)
        self.query_one("#pods", LiveTable).apply(model.pods, now)
        fill_events(self.query_one("#events", FittedTable), model.events, now)
        self._index_detail(now)
        self.update_hint()

    def _conditions(self, model: JobModel, now: datetime) -> None:
        table = self.query_one("#conditions", DataTable)
        table.clear()  # a handful of rows, replaced when the Job changes
        for c in (model.job or {}).get("status", {}).get("conditions") or []:
            since = parse_time(c.get("lastTransitionTime"))
            table.add_row(
                literal(c.get("type"), "bold"),
                Text(str(c.get("status", "")), "green" if c.get("status") == "True" else "dim"),
                literal(c.get("reason") or ""),
                Text(age_text(since, now)),
                literal(c.get("message") or "", "italic"),
            )

    def tick(self, now: datetime) -> None:
        if self.model is None or self.model.job is None:
            return
        self._header(now)
        self.query_one("#pods", LiveTable).tick(now)
        self._index_detail(now)

    def _header(self, now: datetime) -> None:
        """The header, wrapped to the width it has now."""
        if self.model is not None and self.model.job is not None:
            header = self.query_one("#header", Static)
            show_text(header, header_text(self.model, now, header_columns(self, header)))

    def on_resize(self) -> None:
        self.call_after_refresh(lambda: self._header(self.app.clock()))

    # -- the index grid -----------------------------------------------------------------
    @on(IndexGrid.Selected)
    def _index_selected(self, event: IndexGrid.Selected) -> None:
        self._grid_choice = (event.index, event.first, event.last)
        lay = self.query_one(IndexGrid).grid_layout
        title = Text("Indexes", "bold")
        if lay is not None and lay.size > 1:
            title.append(f"  one cell = {lay.size:,} indexes, showing the most urgent state", "dim")
        show_text(self.query_one("#indexes-title", Static), title)
        self._index_detail(self.app.clock())
        self.update_hint()

    def _index_detail(self, now: datetime) -> None:
        panel = self.query_one("#index-detail", Static)
        progress = self.model.progress if self.model else None
        if progress is None or self._grid_choice is None:
            show_text(panel, Text("select an index in the grid", "dim"))
            return
        index, first, last = self._grid_choice
        if index >= progress.completions:
            return
        show_text(panel, index_detail_text(progress.detail(index), first, last, now))

    def action_goto_index(self) -> None:
        from kubectl_batch.tui.screens.modals import PromptScreen

        progress = self.model.progress if self.model else None
        if progress is None:
            self.app.report_error("Go to index", "not an Indexed Job")
            return

        def done(value: str | None) -> None:
            if not value:
                return
            if not value.isdigit() or int(value) >= progress.completions:
                self.app.report_error("Go to index", f"no index {value!r} in this job")
                return
            grid = self.query_one(IndexGrid)
            self.query_one(TabbedContent).active = "overview"
            grid.select_index(int(value))  # announces the index: see _index_selected
            grid.focus()

        self.app.push_screen(PromptScreen("Go to index", "", f"0-{progress.completions - 1}"), done)

    def action_tab(self, tab: str) -> None:
        tabs = {"overview": "overview", "pods": "pods-tab", "events": "events-tab"}
        self.query_one(TabbedContent).active = tabs[tab]

    # -- selection ----------------------------------------------------------------------
    def selection(self) -> Selection | None:
        model = self.model
        if model is None or model.job is None:
            return None
        focused = self.focused
        if isinstance(focused, LiveTable) and focused.id == "pods":
            row = focused.selected
            if row is not None:
                return Selection("Pod", row.obj, job=model.job, pods=model.pod_objs)
        if isinstance(focused, IndexGrid) and self._grid_choice is not None:
            return Selection(
                "Job", model.job, job=model.job, index=self._grid_choice[0], pods=model.pod_objs
            )
        return Selection("Job", model.job, pods=model.pod_objs)

    def on_descendant_focus(self) -> None:
        self.update_hint()

    def on_data_table_row_highlighted(self) -> None:
        self.update_hint()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.data_table.id == "pods":
            self.action_logs()

    def action_open(self) -> None:
        sel = self.selection()
        if sel is not None and (sel.kind == "Pod" or sel.index is not None):
            self.action_logs()
        else:
            self.query_one(TabbedContent).active = "pods-tab"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "goto_index" and (self.model is None or self.model.progress is None):
            return None
        return super().check_action(action, parameters)

    def unavailable(self) -> dict[str, str]:
        out = super().unavailable()
        if self.model is None or self.model.progress is None:
            out["goto_index"] = "not an Indexed Job"
        return out
