"""What a CronJob will do next, as the CronJob controller (v2, Kubernetes 1.36) decides it.

The controller's cycle (pkg/controller/cronjob/cronjob_controllerv2.go, syncCronJob):
anchor = status.lastScheduleTime, else creationTimestamp; the most recent fire time after the
anchor that is not after now is "due". A due time runs at once, unless
startingDeadlineSeconds has passed since it (MissSchedule: skipped, lastScheduleTime is
not moved, so it stays "missed" until a later fire time supersedes it), or the policy is
Forbid and a Job of this CronJob is active (JobAlreadyActive: it runs as soon as that Job
ends, deadline permitting). A suspended CronJob fires nothing; resumed without
startingDeadlineSeconds, its most recent missed time runs at once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from kubectl_batch.domain.cron import (
    Schedule,
    ScheduleError,
    ScheduleLoopError,
    load_zone,
    missed_starting_deadline,
    most_recent_schedule_time,
    next_schedule_time,
    parse_schedule,
    schedule_anchor,
)
from kubectl_batch.domain.jobs import jobs_by_cronjob
from kubectl_batch.domain.timeutil import parse_time

Obj = dict[str, Any]

DEFAULT_ZONE_LABEL = "UTC (controller default)"


class CronState(str, enum.Enum):
    SCHEDULED = "scheduled"  # waiting for its next fire time
    DUE = "due"  # a fire time has come; the controller is creating its Job now
    MISSED = "missed"  # the due time is past startingDeadlineSeconds: skipped
    BLOCKED = "blocked"  # Forbid and a Job is active: waits for it to end
    SUSPENDED = "suspended"
    INVALID = "invalid"  # the controller cannot parse the schedule or zone
    NEVER = "never"  # valid, but no fire time within five years


@dataclass(frozen=True)
class CronJobOutlook:
    namespace: str
    name: str
    schedule: str
    time_zone: str | None  # spec.timeZone as written
    zone: tzinfo | None  # loaded zone (None when invalid)
    suspended: bool
    state: CronState
    reason: str  # one sentence on the state, for the user
    pending_run: datetime | None  # the due / missed / blocked fire time
    next_runs: tuple[datetime, ...]  # upcoming fire times after now, soonest first (UTC)
    last_schedule: datetime | None
    last_successful: datetime | None
    active: tuple[str, ...]  # names of active Jobs (status.active)
    concurrency_policy: str
    starting_deadline_seconds: int | None

    @property
    def next_run(self) -> datetime | None:
        return self.next_runs[0] if self.next_runs else None

    @property
    def zone_label(self) -> str:
        return self.time_zone or DEFAULT_ZONE_LABEL


def cronjob_outlook(cronjob: Obj, now: datetime, count: int = 3) -> CronJobOutlook:
    meta, spec, status = (cronjob.get(k) or {} for k in ("metadata", "spec", "status"))
    expr = spec.get("schedule", "")
    tz_name = spec.get("timeZone")
    suspended = bool(spec.get("suspend"))
    deadline = spec.get("startingDeadlineSeconds")
    policy = spec.get("concurrencyPolicy") or "Allow"
    active = tuple((ref.get("name") or "") for ref in status.get("active") or [])
    last_schedule = parse_time(status.get("lastScheduleTime"))
    base = dict(
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        schedule=expr,
        time_zone=tz_name,
        suspended=suspended,
        last_schedule=last_schedule,
        last_successful=parse_time(status.get("lastSuccessfulTime")),
        active=active,
        concurrency_policy=policy,
        starting_deadline_seconds=deadline,
    )
    try:
        schedule = parse_schedule(expr)
        zone = load_zone(tz_name)
    except ScheduleError as exc:
        return CronJobOutlook(**base, **_no_runs(None, CronState.INVALID, str(exc)))
    anchor = schedule_anchor(parse_time(meta.get("creationTimestamp")) or now, last_schedule)
    try:
        due = next_schedule_time(
            schedule, zone, anchor=anchor, now=now, starting_deadline_seconds=deadline
        )
        pending = due.scheduled_time
        if pending is not None and last_schedule is not None and pending <= last_schedule:
            pending = None  # already run (the controller checks lastScheduleTime == scheduled)
        upcoming = _upcoming(schedule, zone, anchor, pending, now, count)
    except ScheduleLoopError as exc:
        return CronJobOutlook(**base, **_no_runs(zone, CronState.NEVER, str(exc)))

    def outlook(
        state: CronState,
        reason: str,
        runs: Iterable[datetime] = upcoming,
        pending_run: datetime | None = pending,
    ) -> CronJobOutlook:
        return CronJobOutlook(
            **base,
            zone=zone,
            state=state,
            reason=reason,
            pending_run=pending_run,
            next_runs=tuple(runs),
        )

    if suspended:
        reason = "suspended: no new Jobs are created"
        if pending is not None:
            reason += f"; resuming runs the missed {_hhmm(pending, zone)} run at once"
        return outlook(CronState.SUSPENDED, reason, runs=(), pending_run=pending)
    if due.error and not upcoming:
        return outlook(CronState.NEVER, f"the controller rejects this schedule: {due.error}")
    if not upcoming and pending is None:
        return outlook(
            CronState.NEVER, "no fire time within five years: the controller reports it invalid"
        )
    if pending is not None:
        when = _hhmm(pending, zone)
        if missed_starting_deadline(pending, now, deadline):
            return outlook(
                CronState.MISSED,
                f"missed the {when} run: startingDeadlineSeconds ({deadline}s) passed",
            )
        if policy == "Forbid" and active:
            return outlook(
                CronState.BLOCKED,
                f"the {when} run waits for job {active[0]} to finish (concurrencyPolicy Forbid)",
            )
        return outlook(CronState.DUE, f"the {when} run is due now")
    if deadline is not None:
        # The controller looks back only startingDeadlineSeconds: an older unrun time is
        # skipped without a Job. Say so, since that is what users ask about.
        late = most_recent_schedule_time(
            schedule, zone, anchor=anchor, now=now, include_starting_deadline=False
        ).most_recent
        if late is not None and late > anchor and missed_starting_deadline(late, now, deadline):
            return outlook(
                CronState.MISSED,
                f"missed the {_hhmm(late, zone)} run: startingDeadlineSeconds ({deadline}s) "
                "passed before it could start",
                pending_run=late,
            )
    if active and policy == "Forbid":
        return outlook(
            CronState.SCHEDULED,
            f"the next run is skipped if job {active[0]} is still active then "
            "(concurrencyPolicy Forbid)",
        )
    if active and policy == "Replace":
        return outlook(
            CronState.SCHEDULED,
            f"the next run replaces job {active[0]} if it is still active then "
            "(concurrencyPolicy Replace)",
        )
    return outlook(CronState.SCHEDULED, "")


def _no_runs(zone: tzinfo | None, state: CronState, reason: str) -> dict[str, Any]:
    return dict(zone=zone, state=state, reason=reason, pending_run=None, next_runs=())


def _upcoming(
    schedule: Schedule,
    zone: tzinfo,
    anchor: datetime,
    pending: datetime | None,
    now: datetime,
    count: int,
) -> list[datetime]:
    """Fire times after now. They chain from the anchor (or the pending run), not from now,
    because `@every` schedules count from the last run, not from the clock."""
    start = pending or anchor
    first = schedule.next(start, zone)
    if first is not None and first <= now:
        # Runs missed long ago (the controller's approximation found none due): count
        # from now rather than walking every missed time.
        start = now
    return schedule.next_runs(start, zone, count)


def _hhmm(t: datetime, zone: tzinfo) -> str:
    return t.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def owned_jobs(cronjob: Obj, jobs: list[Obj]) -> list[Obj]:
    """The CronJob's own Jobs (:func:`~.jobs.controller_of` is its uid), oldest first."""
    uid = (cronjob.get("metadata") or {}).get("uid")
    return jobs_by_cronjob(jobs).get(uid, []) if uid else []


def remaining(when: datetime | None, now: datetime) -> timedelta | None:
    return None if when is None else when - now
