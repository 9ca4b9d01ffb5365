"""Domain objects turned into what the tables show: rows, columns, cells and their styles.

A row (:class:`JobRow`, :class:`CronJobRow`, :class:`PodRow`) is computed once per version
of its object (off the UI thread) and keeps the timestamps its time-dependent cells are
computed from, so the 1 s tick re-renders only those "live" cells of the visible rows.
A :class:`Column` knows its label, width, how to render a row's cell at ``now`` and how to
sort rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from kubectl_batch.domain.clock import Clock
from kubectl_batch.domain.cronjobs import CronJobOutlook, CronState, cronjob_outlook
from kubectl_batch.domain.diagnosis import Diagnosis, Severity, diagnose
from kubectl_batch.domain.index_progress import IndexState
from kubectl_batch.domain.indexes import IndexSet
from kubectl_batch.domain.jobs import (
    JobSummary,
    is_pod_ready,
    pod_completion_index,
    reason_words,
)
from kubectl_batch.domain.timeutil import (
    UNKNOWN,
    format_countdown,
    format_duration,
    parse_time,
)
from kubectl_batch.tui.layout import Fit
from kubectl_batch.tui.text import Cell, CellText, cell, clean, cut_words, literal

Obj = dict[str, Any]

STATUS_STYLE = {
    "Complete": "green",
    "Failed": "bold red",
    "FailureTarget": "red",
    "SuccessCriteriaMet": "green",
    "Terminating": "dim",
    "Suspended": "magenta",
    "Running": "yellow",
}

INDEX_STYLE: dict[IndexState, str] = {
    IndexState.SUCCEEDED: "green",
    IndexState.FAILED: "bold red",
    IndexState.RUNNING: "yellow",
    IndexState.PENDING: "cyan",
    IndexState.TERMINATING: "magenta",
    IndexState.BACKING_OFF: "dark_orange",
    IndexState.WAITING: "blue",
    IndexState.INCOMPLETE: "red",
    IndexState.NOT_STARTED: "grey42",
}

CRON_STATE_STYLE = {
    CronState.SCHEDULED: "",
    CronState.DUE: "yellow",
    CronState.MISSED: "bold red",
    CronState.BLOCKED: "dark_orange",
    CronState.SUSPENDED: "magenta",
    CronState.INVALID: "bold red",
    CronState.NEVER: "red",
}

#: Outcome of a Job in a CronJob's strip of recent runs.
OUTCOME_MARK = {
    "Complete": ("✓", "green"),
    "SuccessCriteriaMet": ("✓", "green"),
    "Failed": ("✗", "bold red"),
    "FailureTarget": ("✗", "red"),
    "Suspended": ("‖", "magenta"),
    "Terminating": ("·", "dim"),
    "Running": ("●", "yellow"),
}

#: The WHY cell: what needs someone, what waits by itself, how it ends.
WHY_STYLE = {Severity.STUCK: "bold red", Severity.WAITING: "dark_orange", Severity.INFO: ""}
_WHY_ORDER = {Severity.STUCK: 0, Severity.WAITING: 1, Severity.INFO: 2, None: 3}
NO_DIAGNOSIS = Diagnosis(())

BAR_FULL, BAR_EMPTY = "█", "░"


def bar(parts: Sequence[tuple[int, str]], total: int, width: int) -> Text:
    """A progress bar of ``width`` cells: each (count, style) part takes its share."""
    text = Text(end="")
    if total <= 0 or width <= 0:
        return text
    cells = [min(width, round(width * count / total)) for count, _ in parts]
    for i, (count, _) in enumerate(parts):
        if count > 0 and cells[i] == 0:
            cells[i] = 1  # a few failures in 100,000 must still show
    while sum(cells) > width:
        cells[cells.index(max(cells))] -= 1
    for n, (_, style) in zip(cells, parts, strict=True):
        text.append(BAR_FULL * n, style)
    text.append(BAR_EMPTY * (width - sum(cells)), "grey35")
    return text


# Cells many rows share (thousands of Jobs read "1/1" with a full bar, or "Failed
# BackoffLimitExceeded"): made once and shared, never changed once made.
class Completions:
    """A COMPLETIONS cell: the count, then a bar in what the column's width leaves (at
    least :data:`MIN_BAR` cells, else none). Drawn at render time, so a narrower column
    shrinks the bar without any cell being made again."""

    __slots__ = ("text", "succeeded", "failed", "total")

    def __init__(self, text: str, succeeded: int, failed: int, total: int | None) -> None:
        self.text, self.succeeded, self.failed, self.total = text, succeeded, failed, total

    def line(self, width: int) -> Text:
        return _completions_line(self.text, self.succeeded, self.failed, self.total, width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.line(options.max_width)

    @property
    def plain(self) -> str:
        """The cell at its preferred width (what a wide table shows)."""
        return self.line(COUNT_WIDTH + 1 + BAR_WIDTH).plain

    def __str__(self) -> str:
        return self.plain

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Completions):
            return (self.text, self.succeeded, self.failed, self.total) == (
                other.text,
                other.succeeded,
                other.failed,
                other.total,
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


#: The COMPLETIONS column: the count (``0/100000`` fits), a space, the bar.
COUNT_WIDTH, BAR_WIDTH, MIN_BAR = 8, 8, 3


@lru_cache(maxsize=4096)
def _completions_line(
    text: str, succeeded: int, failed: int, total: int | None, width: int
) -> Text:
    """The cell at a column width (shared, never changed once made)."""
    count = text.ljust(COUNT_WIDTH)
    cell = Text(count, end="", no_wrap=True, overflow="ellipsis")
    room = width - len(count) - 1
    if total and room >= MIN_BAR:
        cell.append(" ")
        cell.append_text(bar([(succeeded, "green"), (failed, "red")], total, room))
    return cell


@lru_cache(maxsize=4096)
def _completions_cell(text: str, succeeded: int, failed: int, total: int | None) -> Completions:
    return Completions(text, succeeded, failed, total)


class StatusCell:
    """A STATUS cell with the reason behind it in words (``Failed backoff limit``): what
    the column's width leaves of the reason is cut between words, with ``…``."""

    __slots__ = ("status", "reason")

    def __init__(self, status: str, reason: str) -> None:
        self.status, self.reason = status, reason

    def line(self, width: int) -> Text:
        return _status_line(self.status, self.reason, width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.line(options.max_width)

    @property
    def plain(self) -> str:
        return f"{self.status} {self.reason}"

    def __str__(self) -> str:
        return self.plain

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StatusCell):
            return (self.status, self.reason) == (other.status, other.reason)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


@lru_cache(maxsize=1024)
def _status_cell(status: str, reason: str) -> StatusCell:
    return StatusCell(status, clean(reason))


@lru_cache(maxsize=1024)
def _status_line(status: str, reason: str, width: int) -> Text:
    """The cell at a column width (shared, never changed once made)."""
    line = Text(status, STATUS_STYLE.get(status, ""), end="", no_wrap=True, overflow="ellipsis")
    room = width - len(status) - 1
    if room > 0:
        line.append(" " + cut_words(reason, room), "dim")
    return line


def age_text(since: datetime | None, now: datetime) -> str:
    return format_duration(now - since) if since is not None else UNKNOWN


def countdown_text(until: datetime, now: datetime) -> str:
    return format_countdown(until - now)


# ------------------------------------------------------------------ rows


@dataclass(frozen=True)
class JobRow:
    uid: str
    namespace: str
    name: str
    obj: Obj = field(repr=False, compare=False)
    summary: JobSummary
    #: When the controller creates the next pod, while it is backing off.
    backoff_until: datetime | None
    pods: int
    failed_index_count: int
    #: Why it does not progress, and when it ends (domain/diagnosis.py).
    diagnosis: Diagnosis = NO_DIAGNOSIS

    @property
    def kind(self) -> str:
        return "Job"

    def why(self, now: datetime) -> CellText:
        d = self.diagnosis
        return cell(d.short_at(now), WHY_STYLE[d.severity or Severity.INFO])

    def why_order(self) -> tuple[int, str]:
        d = self.diagnosis
        first = d.problem or (d.findings[0] if d.findings else None)
        return _WHY_ORDER[d.severity], first.short if first is not None else ""

    def duration(self, now: datetime) -> str:
        s = self.summary
        if s.start_time is None:
            return ""
        end = s.completion_time or now
        return format_duration(end - s.start_time)

    def backoff(self, now: datetime) -> CellText:
        if self.backoff_until is None:
            return Cell("")
        if self.backoff_until > now:
            return Cell(f"retry in {countdown_text(self.backoff_until, now)}", "dark_orange")
        return Cell("retrying", "dark_orange")

    def status(self) -> CellText | StatusCell:
        s = self.summary
        reason = reason_words(s.status, s.reason)
        if not reason:
            return Cell(s.status, STATUS_STYLE.get(s.status, ""))
        return _status_cell(s.status, reason)

    def completions(self) -> Completions:
        s = self.summary
        return _completions_cell(
            s.completions, s.succeeded, self.failed_index_count, s.spec_completions
        )

    def origin(self) -> CellText:
        """Where the Job comes from: its CronJob, or the Job it re-runs."""
        s = self.summary
        if s.lineage is not None and s.lineage.retry_of:
            what = f"retry of {clean(s.lineage.retry_of)}"
            if s.lineage.retry_indexes_text:
                what += f" (indexes {clean(s.lineage.retry_indexes_text)})"
            return Cell(what, "cyan")
        if s.owner_cronjob:
            manual = " (manual)" if s.is_manual else ""
            return Cell(f"cronjob/{clean(s.owner_cronjob)}{manual}")
        return Cell("")


def _backoff_until(d: Diagnosis) -> datetime | None:
    """The backoff countdown (domain/backoff.next_pod_time, as the diagnosis found it)."""
    return next((f.at for f in d.findings if f.code == "backoff"), None)


def job_row(job: Obj, pods: Sequence[Obj], clock: Clock, events: Sequence[Obj] = ()) -> JobRow:
    """``events``: the Events about the Job and its pods (the WHY cell reads them)."""
    summary = JobSummary.from_job(job, clock)
    diagnosis = diagnose(job, pods, events, clock)
    failed_count = 0
    if summary.is_indexed and summary.spec_completions:
        failed_text = (job.get("status") or {}).get("failedIndexes")
        if failed_text:
            failed_count = len(IndexSet.parse_lenient(failed_text, summary.spec_completions))
    return JobRow(
        uid=summary.uid or f"{summary.namespace}/{summary.name}",
        namespace=summary.namespace,
        name=summary.name,
        obj=job,
        summary=summary,
        backoff_until=_backoff_until(diagnosis),
        pods=len(pods),
        failed_index_count=failed_count,
        diagnosis=diagnosis,
    )


def job_row_for_pods(
    row: JobRow, pods: Sequence[Obj], clock: Clock, events: Sequence[Obj] = ()
) -> JobRow:
    """``row`` after only its Job's pods (or the Warning Events about them) changed: the
    Job's own columns stay, the pod-derived ones are recomputed, and the same row comes back
    if they did not move (so a first pod list of 20,000 pods redraws no row for nothing)."""
    diagnosis = diagnose(row.obj, pods, events, clock)
    if diagnosis == row.diagnosis and len(pods) == row.pods:
        return row
    return replace(
        row, backoff_until=_backoff_until(diagnosis), pods=len(pods), diagnosis=diagnosis
    )


@dataclass(frozen=True)
class CronJobRow:
    uid: str
    namespace: str
    name: str
    obj: Obj = field(repr=False, compare=False)
    outlook: CronJobOutlook
    #: Status texts of its Jobs, oldest first (the last few).
    recent: tuple[str, ...]

    @property
    def kind(self) -> str:
        return "CronJob"

    def next_run(self, now: datetime) -> CellText:
        o = self.outlook
        if o.state is CronState.SCHEDULED and o.next_run is not None:
            if o.next_run <= now:
                return Cell("due now", "yellow")
            return Cell(f"in {countdown_text(o.next_run, now)}")
        label = {CronState.DUE: "due now"}.get(o.state, o.state.value)
        return Cell(label, CRON_STATE_STYLE[o.state])

    def strip(self) -> Text:
        text = Text(end="", no_wrap=True, overflow="ellipsis")
        for status in self.recent:
            mark, style = OUTCOME_MARK.get(status, ("?", ""))
            text.append(mark, style)
        return text


def cronjob_row(cronjob: Obj, owned: Sequence[Obj], now: datetime, recent: int = 8) -> CronJobRow:
    meta = cronjob.get("metadata") or {}
    from kubectl_batch.domain.jobs import job_status_text

    return CronJobRow(
        uid=meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}",
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        obj=cronjob,
        outlook=cronjob_outlook(cronjob, now, 1),  # the table shows the next run alone
        recent=tuple(job_status_text(j) for j in owned[-recent:]),
    )


@dataclass(frozen=True)
class PodRow:
    uid: str
    namespace: str
    name: str
    obj: Obj = field(repr=False, compare=False)
    phase: str
    index: int | None
    ready: bool
    restarts: int
    exit_code: int | None
    reason: str
    node: str
    created: datetime | None
    failure_count: str

    @property
    def kind(self) -> str:
        return "Pod"


def pod_row(pod: Obj) -> PodRow:
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    statuses = list(status.get("containerStatuses") or ())
    exit_code, reason = None, status.get("reason") or ""
    for cs in statuses:
        state = cs.get("state") or {}
        term = state.get("terminated")
        if term:
            if exit_code is None or term.get("exitCode"):
                exit_code = term.get("exitCode")
                reason = term.get("reason") or reason
        elif state.get("waiting"):
            reason = state["waiting"].get("reason") or reason
    annotations = meta.get("annotations") or {}
    return PodRow(
        uid=meta.get("uid") or meta.get("name", ""),
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        obj=pod,
        phase=("Terminating" if meta.get("deletionTimestamp") else status.get("phase") or "?"),
        index=pod_completion_index(pod),
        ready=is_pod_ready(pod),
        restarts=sum(int(cs.get("restartCount") or 0) for cs in statuses),
        exit_code=exit_code,
        reason=reason,
        node=(pod.get("spec") or {}).get("nodeName") or "",
        created=parse_time(meta.get("creationTimestamp")),
        failure_count=annotations.get("batch.kubernetes.io/job-index-failure-count", ""),
    )


POD_PHASE_STYLE = {
    "Succeeded": "green",
    "Failed": "bold red",
    "Running": "yellow",
    "Pending": "cyan",
    "Terminating": "magenta",
}


# ---------------------------------------------------------------- columns


#: What a table cell holds.
TableCell = CellText | Completions | StatusCell


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    #: Its priority and widths in the layout (see :mod:`kubectl_batch.tui.layout`).
    fit: Fit
    render: Callable[[Any, datetime], TableCell]
    sort: Callable[[Any], Any]
    #: Changes with time alone: re-rendered by the 1 s tick.
    live: bool = False
    #: The row attribute (a DNS name: one cell per character) whose longest value sizes
    #: the column, up to ``fit.preferred``.
    sized_by: str | None = None


def _never(value: datetime | None) -> float:
    return value.timestamp() if value is not None else float("-inf")


def _text(get: Callable[[Any], object], style: str = "") -> Callable[[Any, datetime], CellText]:
    return lambda row, now: cell(get(row), style)


def _namespace(priority: int) -> Column:
    """NAMESPACE (with all namespaces): essential, after the columns a table shows at 80
    columns, which still fit beside it there."""
    return Column(
        "namespace",
        "NAMESPACE",
        Fit(priority, 9, 20, essential=True),
        _text(lambda r: r.namespace),
        lambda r: r.namespace,
        sized_by="namespace",
    )


def _name(label: str = "NAME", style: str = "bold") -> Column:
    return Column(
        "name",
        label,
        Fit(0, 14, 40, essential=True),
        _text(lambda r: r.name, style),
        lambda r: r.name,
        sized_by="name",
    )


JOB_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        _namespace(5),
        _name(),
        Column(
            "status",
            "STATUS",
            Fit(1, 12, 27, essential=True),
            lambda r, n: r.status(),
            lambda r: r.summary.status,
        ),
        Column(
            "completions",
            "COMPLETIONS",
            Fit(2, COUNT_WIDTH + 1 + MIN_BAR, COUNT_WIDTH + 1 + BAR_WIDTH, essential=True),
            lambda r, n: r.completions(),
            lambda r: (
                r.summary.succeeded / r.summary.spec_completions
                if r.summary.spec_completions
                else 0.0
            ),
        ),
        Column(
            "pods",
            "A/R/F",
            Fit(6, 5, 8),
            lambda r, n: Cell(
                f"{r.summary.active}/{r.summary.ready}/{r.summary.failed}",
                "red" if r.summary.failed else "",
            ),
            lambda r: (r.summary.active, r.summary.failed),
        ),
        Column(
            "why",
            "WHY",
            Fit(3, 12, 24, essential=True),
            lambda r, n: r.why(n),
            lambda r: r.why_order(),
            live=True,
        ),
        Column(
            "duration",
            "DURATION",
            Fit(7, 8, 8),
            lambda r, n: Cell(r.duration(n)),
            lambda r: r.summary.elapsed or timedelta(0),
            live=True,
        ),
        Column(
            "age",
            "AGE",
            Fit(4, 6, 6, essential=True),
            lambda r, n: Cell(age_text(r.summary.created, n)),
            lambda r: -_never(r.summary.created),
            live=True,
        ),
        Column(
            "origin", "FROM", Fit(8, 12, 36), lambda r, n: r.origin(), lambda r: r.origin().plain
        ),
    )
}

CRONJOB_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        _namespace(4),
        _name(),
        Column(
            "schedule",
            "SCHEDULE",
            Fit(2, 9, 16, essential=True),
            _text(lambda r: r.outlook.schedule),
            lambda r: r.name,
        ),
        Column(
            "timezone",
            "TIME ZONE",
            Fit(5, 10, 16),
            lambda r, n: literal(
                r.outlook.time_zone or "UTC*", "" if r.outlook.time_zone else "dim"
            ),
            lambda r: r.outlook.time_zone or "",
        ),
        Column(
            "suspend",
            "SUSP",
            Fit(8, 4, 4),
            lambda r, n: Cell("yes", "magenta") if r.outlook.suspended else Cell(""),
            lambda r: r.outlook.suspended,
        ),
        Column(
            "active",
            "ACT",
            Fit(9, 3, 3),
            lambda r, n: Cell(str(len(r.outlook.active))),
            lambda r: len(r.outlook.active),
        ),
        Column(
            "last_schedule",
            "LAST RUN",
            Fit(7, 8, 8),
            lambda r, n: Cell(
                age_text(r.outlook.last_schedule, n) if r.outlook.last_schedule else "never"
            ),
            lambda r: -_never(r.outlook.last_schedule),
            live=True,
        ),
        Column(
            "next",
            "NEXT RUN",
            Fit(1, 9, 12, essential=True),
            lambda r, n: r.next_run(n),
            lambda r: _never(r.outlook.next_run),
            live=True,
        ),
        Column(
            "last_success",
            "LAST OK",
            Fit(6, 7, 8),
            lambda r, n: Cell(
                age_text(r.outlook.last_successful, n) if r.outlook.last_successful else "-"
            ),
            lambda r: -_never(r.outlook.last_successful),
            live=True,
        ),
        Column(
            "recent",
            "RECENT",
            Fit(3, 8, 8, essential=True),
            lambda r, n: r.strip(),
            lambda r: r.recent,
        ),
    )
}

POD_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        _name("POD", ""),
        Column(
            "index",
            "INDEX",
            Fit(2, 5, 6, essential=True),
            lambda r, n: Cell("" if r.index is None else str(r.index)),
            lambda r: -1 if r.index is None else r.index,
        ),
        Column(
            "phase",
            "PHASE",
            Fit(1, 9, 12, essential=True),
            lambda r, n: Cell(r.phase, POD_PHASE_STYLE.get(r.phase, "")),
            lambda r: r.phase,
        ),
        Column(
            "ready",
            "READY",
            Fit(6, 5, 5),
            lambda r, n: Cell("yes" if r.ready else "no"),
            lambda r: r.ready,
        ),
        Column(
            "exit",
            "EXIT",
            Fit(3, 4, 5, essential=True),
            lambda r, n: Cell(
                "" if r.exit_code is None else str(r.exit_code),
                "red" if r.exit_code else "",
            ),
            lambda r: -1 if r.exit_code is None else r.exit_code,
        ),
        Column(
            "reason",
            "REASON",
            Fit(4, 10, 18, essential=True),
            _text(lambda r: r.reason),
            lambda r: r.reason,
        ),
        Column(
            "failures",
            "FAILS",
            Fit(7, 5, 5),
            _text(lambda r: r.failure_count),
            lambda r: r.failure_count,
        ),
        Column("node", "NODE", Fit(8, 8, 14), _text(lambda r: r.node), lambda r: r.node),
        Column(
            "age",
            "AGE",
            Fit(5, 6, 6, essential=True),
            lambda r, n: Cell(age_text(r.created, n)),
            lambda r: -_never(r.created),
            live=True,
        ),
    )
}


def pick(columns: dict[str, Column], keys: Iterable[str]) -> tuple[Column, ...]:
    return tuple(columns[k] for k in keys)


def job_columns(all_namespaces: bool) -> tuple[Column, ...]:
    keys = [k for k in JOB_COLUMNS if k != "namespace" or all_namespaces]
    return pick(JOB_COLUMNS, keys)


def cronjob_columns(all_namespaces: bool) -> tuple[Column, ...]:
    keys = [k for k in CRONJOB_COLUMNS if k != "namespace" or all_namespaces]
    return pick(CRONJOB_COLUMNS, keys)


class RowSorter:
    """Rows ordered by a column (ties by namespace/name), remembering each row's sort key
    while the row object and the column stay the same: a live table re-sorts 10,000 rows
    after every change."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[Any, Column, tuple]] = {}

    def sort(self, rows: Iterable[Any], column: Column, reverse: bool) -> list[Any]:
        known, keys = self._keys, {}
        for r in rows:
            k = known.get(r.uid)
            if k is None or k[0] is not r or k[1] is not column:
                k = (r, column, (column.sort(r), r.namespace, r.name))
            keys[r.uid] = k
        self._keys = keys
        return [k[0] for k in sorted(keys.values(), key=_third, reverse=reverse)]


def _third(item: tuple) -> Any:
    return item[2]


def name_matches(row: Any, needle: str) -> bool:
    """The `/` filter: case-insensitive substring of the name (or ``namespace/name``)."""
    if not needle:
        return True
    needle = needle.lower()
    return needle in row.name.lower() or needle in f"{row.namespace}/{row.name}".lower()
