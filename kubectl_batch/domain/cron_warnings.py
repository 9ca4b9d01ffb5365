"""What is wrong, or likely not meant, in a CronJob's schedule: one function, findings out.

:func:`cronjob_findings` is used wherever a CronJob is shown or checked (``next-runs``,
live or on manifests, and the CronJob detail screen). Errors are what the API server
rejects (the schedule and time zone validation of :mod:`.cron`), each with the nearest
form it accepts (:func:`rejection_message`); warnings are what it accepts but what
probably does not do what its author thinks:

* both day fields restricted: robfig fires when EITHER matches;
* a daylight-saving change in the next 12 months hits a run (skipped or repeated hour);
* no ``spec.timeZone``: the controller manager's zone decides;
* ``startingDeadlineSeconds`` under 10 s; more than 100 missed start times;
* ``concurrencyPolicy: Forbid`` with Jobs that usually outlast the interval;
* a schedule that never fires within five years.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from kubectl_batch.domain.cron import (
    TOO_MANY_MISSED,
    EverySchedule,
    MissedSchedules,
    Schedule,
    ScheduleError,
    SpecSchedule,
    load_zone,
    most_recent_schedule_time,
    parse_schedule,
    schedule_anchor,
)
from kubectl_batch.domain.quoting import go_quote
from kubectl_batch.domain.timeutil import format_duration, parse_time

__all__ = [
    "CONTROLLER_PERIOD",
    "Finding",
    "cronjob_findings",
    "day_fields_either",
    "nearest_supported",
    "rejection_message",
]

Obj = dict[str, Any]

ERROR = "error"
WARNING = "warning"

CONTROLLER_PERIOD = 10
"""Seconds: the CronJob documentation's "the controller checks things every 10 seconds"."""

DST_HORIZON = timedelta(days=365)
#: Finished Jobs needed before "usually" means something.
MIN_HISTORY = 2

_STAR = 1 << 63
_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
# Go's unicode.IsSpace (the parser splits fields on it).
_SPACE = re.compile("[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


@dataclass(frozen=True)
class Finding:
    level: str
    """``error`` (the API server rejects the CronJob) or ``warning``."""
    code: str
    """A stable name, e.g. ``DayFieldsEither``, ``SkippedHour``, ``InvalidSchedule``."""
    message: str
    """One line."""

    @property
    def is_error(self) -> bool:
        return self.level == ERROR


def cronjob_findings(cronjob: Obj, now: datetime, jobs: Iterable[Obj] = ()) -> list[Finding]:
    """Everything worth telling about ``cronjob``'s schedule at ``now``.

    ``jobs`` are its own Jobs (for the Forbid check); a manifest has none, nor a status
    (then the missed-times check is skipped).
    """
    meta, spec = _mapping(cronjob.get("metadata")), _mapping(cronjob.get("spec"))
    expr, tz_name = spec.get("schedule"), spec.get("timeZone")
    if not isinstance(expr, str) or not (tz_name is None or isinstance(tz_name, str)):
        return [
            *([] if isinstance(expr, str) else [_NO_SCHEDULE]),
            *([] if tz_name is None or isinstance(tz_name, str) else [_NO_ZONE]),
        ]
    # The schedule's own findings, shared by the CronJobs that have the same schedule and
    # zone (within the hour): a thousand CronJobs have a few dozen schedules.
    hour = now.replace(minute=0, second=0, microsecond=0)
    schedule, zone, found = _schedule_findings(expr, tz_name, hour)
    out = list(found)
    if schedule is None or zone is None:
        return out
    deadline = spec.get("startingDeadlineSeconds")
    if isinstance(deadline, int) and deadline < CONTROLLER_PERIOD:
        out.append(
            Finding(
                WARNING,
                "ShortStartingDeadline",
                f"startingDeadlineSeconds {deadline} is under {CONTROLLER_PERIOD}s: the "
                f"controller checks CronJobs about every {CONTROLLER_PERIOD}s and may miss runs",
            )
        )
    try:
        created = parse_time(meta.get("creationTimestamp"))
    except ValueError:  # (a manifest's; the API server's are well-formed)
        created = None
    try:
        if created is not None:
            missed = _too_many_missed(schedule, zone, cronjob, created, now)
            if missed is not None:
                out.append(missed)
        if (spec.get("concurrencyPolicy") or "Allow") == "Forbid":
            forbid = _forbid_overlap(schedule, zone, jobs, now)
            if forbid is not None:
                out.append(forbid)
    except ScheduleError:  # robfig loops forever here (ScheduleLoopError): the outlook says so
        pass
    return out


_NO_SCHEDULE = Finding(ERROR, "InvalidSchedule", "spec.schedule is missing or not a string")
_NO_ZONE = Finding(ERROR, "InvalidTimeZone", "spec.timeZone is not a string")


@functools.lru_cache(maxsize=4096)
def _schedule_findings(
    expr: str, tz_name: str | None, hour: datetime
) -> tuple[Schedule | None, tzinfo | None, tuple[Finding, ...]]:
    """What the schedule and zone alone tell, from ``hour`` on: the API's verdict, never
    firing, both day fields, no zone, daylight saving."""
    out: list[Finding] = []
    schedule: Schedule | None = None
    zone: tzinfo | None = None
    try:
        schedule = parse_schedule(expr)
    except ScheduleError as err:
        out.append(Finding(ERROR, "InvalidSchedule", rejection_message(expr, err)))
    try:
        zone = load_zone(tz_name)
    except ScheduleError as err:
        out.append(Finding(ERROR, "InvalidTimeZone", _one_line(str(err))))
    if schedule is None or zone is None:
        return schedule, zone, tuple(out)
    if _never_fires(schedule, zone, hour):
        out.append(
            Finding(
                WARNING,
                "NeverFires",
                "no start time within five years: the controller reports the schedule invalid",
            )
        )
    if isinstance(schedule, SpecSchedule):
        either = day_fields_either(schedule)
        if either is not None:
            out.append(Finding(WARNING, "DayFieldsEither", either))
        if not tz_name:
            out.append(
                Finding(
                    WARNING,
                    "NoTimeZone",
                    "no spec.timeZone: the kube-controller-manager's own zone decides when it "
                    "fires (UTC on almost every cluster); set spec.timeZone to be sure",
                )
            )
        else:
            out += _daylight_saving(schedule, zone, tz_name, hour)
    return schedule, zone, tuple(out)


#: The longest each month can be (February: in leap years only).
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _never_fires(schedule: Schedule, zone: tzinfo, hour: datetime) -> bool:
    """robfig finds no start time within five years of ``hour``.

    Decided from the fields where that is sure (walking the calendar as robfig does is
    slow for a thousand CronJobs): an empty field; days that no allowed month has (30
    February). Only a schedule whose one possible day is 29 February is walked.
    """
    if not isinstance(schedule, SpecSchedule):
        return False
    s = schedule
    if not (s.minute & ~_STAR and s.hour & ~_STAR and s.month & ~_STAR):
        return True
    days, weekdays = s.dom & ((1 << 32) - 2), s.dow & 0x7F
    if s.dom & _STAR:
        return not weekdays  # every week has the day (or none ever does)
    if not s.dow & _STAR and weekdays:
        return False  # either field: every week has the weekday
    months = [m for m in range(1, 13) if s.month >> m & 1]
    if any(days & ((1 << (_MONTH_DAYS[m - 1] + 1)) - 2) for m in months):
        return False
    if 2 in months and days >> 29 & 1:  # 29 February: there is one within five years
        try:  # (unless the zone or the year 2100 say otherwise: ask robfig)
            return schedule.next(hour, zone) is None
        except ScheduleError:
            return True
    return True


def _mapping(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


# --------------------------------------------------------------------------
# Day fields
# --------------------------------------------------------------------------


def day_fields_either(schedule: SpecSchedule) -> str | None:
    """The warning for both day fields restricted (robfig ORs them), or None."""
    dom, dow = schedule.dom, schedule.dow
    if dom & _STAR or dow & _STAR:
        return None
    all_dom, all_dow = (1 << 32) - 2, (1 << 7) - 1
    if dom & all_dom in (0, all_dom) or dow & all_dow in (0, all_dow):
        return None  # one of them matches every day or no day: nothing to confuse
    fields = [f for f in _SPACE.split(schedule.expr) if f]
    days = [d for d in range(7) if dow >> d & 1]
    names = " or ".join(_DAYS[d] for d in days)
    meant = " ".join([*fields[:4], "*"])
    test = " || ".join(f'[ "$(date +%u)" = {d or 7} ]' for d in days)
    return (
        f"both day fields are restricted, so it fires when EITHER matches: on day-of-month "
        f"{fields[2]} and also on every {names}. If you meant only the {names} among those "
        f"days (e.g. the first Monday of the month), schedule `{meant}` and exit early "
        f"unless it is {names} (`{test} || exit 0`): there is no `#` in Kubernetes"
    )


# --------------------------------------------------------------------------
# Daylight saving
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)  # (a thousand CronJobs share a few zones and one now)
def _transitions(
    zone: tzinfo, start: datetime, end: datetime
) -> tuple[tuple[datetime, int, int], ...]:
    """(instant, offset before, offset after) of each UTC-offset change in [start, end)."""

    def offset(t: datetime) -> int:
        got = t.astimezone(zone).utcoffset()
        return 0 if got is None else int(got.total_seconds())

    out = []
    step = timedelta(days=1)  # no zone changes its offset twice within four days
    t, off = start, offset(start)
    while t < end:
        nxt = t + step
        nxt_off = offset(nxt)
        if nxt_off != off:
            lo, hi = t, nxt
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if offset(mid) == off:
                    lo = mid
                else:
                    hi = mid
            out.append((hi, off, nxt_off))
        t, off = nxt, nxt_off
    return tuple(out)


def _wall_matches(schedule: SpecSchedule, wall: datetime) -> bool:
    """Does robfig's spec match this local wall time (ignoring whether it exists)?"""
    return bool(
        schedule.minute >> wall.minute & 1
        and schedule.hour >> wall.hour & 1
        and schedule.month >> wall.month & 1
        and schedule._day_matches(wall.day, (wall.weekday() + 1) % 7)
    )


def _walls(schedule: SpecSchedule, first: datetime, seconds: int) -> list[datetime]:
    """The wall times in [first, first + seconds) that the schedule names."""
    out = []
    start, end = first.hour * 60 + first.minute, first.hour * 60 + first.minute + seconds // 60
    for hour in range(start // 60, (end + 59) // 60):
        # (hour bits first, without datetimes: a thousand CronJobs stop here)
        if hour < 24 and not schedule.hour >> hour & 1:
            continue
        for minute in range(max(start, hour * 60), min(end, hour * 60 + 60)):
            wall = first + timedelta(minutes=minute - start)
            if _wall_matches(schedule, wall):
                out.append(wall)
    return out


def _daylight_saving(
    schedule: SpecSchedule, zone: tzinfo, name: str, now: datetime
) -> list[Finding]:
    if schedule.hour & _STAR:
        return []  # it runs every hour anyway: a skipped or doubled hour is what it asks for
    out = []
    for instant, before, after in _transitions(zone, now, now + DST_HORIZON):
        naive = instant.replace(tzinfo=None)
        if after > before:  # clocks go forward: [local before, +gap) does not exist
            first = naive + timedelta(seconds=before)
            named = _walls(schedule, first, after - before)
            if not named:
                continue
            runs = _runs_between(schedule, zone, instant - timedelta(seconds=1), instant, 3600)
            moved = [r for r in runs if not _wall_matches(schedule, r.replace(tzinfo=None))]
            span = _span(first, after - before)
            what = _clock_times(named)
            runs_word = "run does" if len(named) == 1 else "do" if "runs" in what else "runs do"
            if moved:
                text = (
                    f"on {first:%Y-%m-%d} {span} does not exist in {name} (clocks go "
                    f"forward): the {what} {runs_word} not happen then; robfig/cron runs at "
                    f"{_and([f'{r:%H:%M %Z}' for r in moved])} instead"
                )
            else:
                text = (
                    f"on {first:%Y-%m-%d} {span} does not exist in {name} (clocks go forward): "
                    f"the {what} {runs_word} not happen that day"
                )
            out.append(Finding(WARNING, "SkippedHour", text))
        else:  # clocks go back: [local after, local before) happens twice
            first = naive + timedelta(seconds=after)
            named = _walls(schedule, first, before - after)
            if not named:
                continue
            gap = before - after
            runs = _runs_between(
                schedule, zone, instant - timedelta(seconds=gap + 1), instant, gap + 1
            )
            twice = [w for w in named if sum(r.replace(tzinfo=None) == w for r in runs) > 1]
            span = _span(first, gap)
            if twice:
                what = _clock_times(twice, "the ")
                tail = f"robfig/cron runs {what} twice (once in each offset)"
            else:
                what = _clock_times(named, "the ")
                tail = f"robfig/cron runs {what} only once"
            out.append(
                Finding(
                    WARNING,
                    "RepeatedHour",
                    f"on {first:%Y-%m-%d} {span} happens twice in {name} (clocks go back): {tail}",
                )
            )
    return out


def _runs_between(
    schedule: SpecSchedule, zone: tzinfo, after: datetime, around: datetime, seconds: int
) -> list[datetime]:
    """Local fire times after ``after`` and up to ``seconds`` after ``around``."""
    end = around + timedelta(seconds=seconds)
    out = []
    t = after
    for _ in range(2000):  # (an every-minute hour is 60 runs)
        try:
            nxt = schedule.next(t, zone)
        except ScheduleError:  # (robfig loops forever: the outlook says so)
            break
        if nxt is None or nxt > end:
            break
        out.append(nxt.astimezone(zone))
        t = nxt
    return out


def _clock_times(walls: list[datetime], article: str = "") -> str:
    """``02:00 and 02:30``, or ``60 runs from 02:00 to 02:59`` when there are many."""
    if len(walls) <= 4:
        return _and([f"{w:%H:%M}" for w in walls])
    return f"{article}{len(walls)} runs from {walls[0]:%H:%M} to {walls[-1]:%H:%M}"


def _span(first: datetime, seconds: int) -> str:
    return f"{first:%H:%M}-{first + timedelta(seconds=seconds):%H:%M}"


# --------------------------------------------------------------------------
# The controller's bookkeeping
# --------------------------------------------------------------------------


def _too_many_missed(
    schedule: Schedule, zone: tzinfo, cronjob: Obj, created: datetime, now: datetime
) -> Finding | None:
    spec, status = _mapping(cronjob.get("spec")), _mapping(cronjob.get("status"))
    try:
        last = parse_time(status.get("lastScheduleTime"))
    except ValueError:
        last = None
    anchor = schedule_anchor(created, last)
    try:
        first = schedule.next(anchor, zone)
    except ScheduleError:
        return None
    if first is None or first > now:
        return None  # nothing missed (the common case, and quick: the outlook asked too)
    deadline = spec.get("startingDeadlineSeconds")
    recent = most_recent_schedule_time(
        schedule,
        zone,
        anchor=anchor,
        now=now,
        starting_deadline_seconds=deadline if isinstance(deadline, int) else None,
    )
    if recent.missed is not MissedSchedules.MANY:
        return None
    since = "its last schedule" if last is not None else "it was created"
    return Finding(
        WARNING,
        "TooManyMissedTimes",
        f"more than {TOO_MANY_MISSED} start times passed without a run since {since} "
        f"({anchor:%Y-%m-%d %H:%M}Z): the controller reports TooManyMissedTimes and "
        "starts only the most recent one; set startingDeadlineSeconds so it stops counting "
        "so far back, or check why it was not running (suspended, clock skew)",
    )


def _interval(schedule: Schedule, zone: tzinfo, now: datetime) -> timedelta | None:
    """The shortest time between two of the next runs."""
    if isinstance(schedule, EverySchedule):
        return schedule.delay
    runs = schedule.next_runs(now, zone, 10)
    gaps = [b - a for a, b in zip(runs, runs[1:], strict=False)]
    return min(gaps) if gaps else None


def _forbid_overlap(
    schedule: Schedule, zone: tzinfo, jobs: Iterable[Obj], now: datetime
) -> Finding | None:
    from kubectl_batch.domain.jobs import JobSummary  # (here: --schedule and -f need none)

    took = []
    for job in jobs:
        summary = JobSummary.from_job(job, lambda: now)
        if summary.is_finished and summary.start_time is not None:
            end = summary.completion_time or summary.finished_time
            if end is not None:
                took.append(end - summary.start_time)
    if len(took) < MIN_HISTORY:
        return None
    took.sort()
    usual = took[len(took) // 2]  # the median (the upper one of an even count)
    interval = _interval(schedule, zone, now)  # (only now: for many schedules it is slow)
    if interval is None or usual <= interval:
        return None
    return Finding(
        WARNING,
        "ForbidSkips",
        f"concurrencyPolicy Forbid, and its Jobs usually run {format_duration(usual)} "
        f"(median of the last {len(took)}), longer than the {format_duration(interval)} "
        "between runs: most runs will be skipped (JobAlreadyActive)",
    )


# --------------------------------------------------------------------------
# Rejected syntax: the nearest form the API accepts
# --------------------------------------------------------------------------


def rejection_message(expr: str, err: ScheduleError) -> str:
    """The parser's one-line error, with the nearest schedule the API accepts if any."""
    text = _one_line(str(err))
    hint = nearest_supported(expr)
    return f"{text}; nearest supported form: {hint}" if hint else text


def _one_line(text: str) -> str:
    # The messages quote their input with go_quote; this only guards the rest.
    return " ".join(text.splitlines())


_TZ_PREFIX = re.compile(r"^\s*(?:CRON_)?TZ=(\S+)\s+(.*)$", re.DOTALL)
_NTH = re.compile(r"^([0-6]|[A-Za-z]{3})#([1-5])$")
_LAST_DOW = re.compile(r"^([0-6])L$", re.IGNORECASE)
_NEAREST_WEEKDAY = re.compile(r"^(\d+)W$", re.IGNORECASE)
_HASH = re.compile(r"^H(?:\((\d+)-(\d+)\))?(?:/(\d+))?$")
_FIELD_SPAN = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_DOW_NAMES = {d[:3].lower(): i for i, d in enumerate(_DAYS)}


def nearest_supported(expr: str) -> str | None:
    """What to write instead of a schedule the API rejects, or None when we do not know.

    The suggestion is checked with the real parser, so it is always accepted.
    """
    zone = None
    tz = _TZ_PREFIX.match(expr)
    if tz:
        zone, expr = tz.group(1), tz.group(2)
    fields = [f for f in _SPACE.split(expr) if f]
    dropped = ""
    if len(fields) == 6:
        dropped = "no seconds field: it runs at most once a minute"
        fields = fields[1:]
    elif len(fields) == 7:
        dropped = "no seconds or year field"
        fields = fields[1:6]
    advice: list[str] = []
    if len(fields) == 5:
        fields, advice = _replace_fields(expr, fields)
    suggestion = " ".join(fields) if len(fields) == 5 else expr.strip()
    try:
        parse_schedule(suggestion)
    except ScheduleError:
        return None
    parts = [f"`{suggestion}`" if not zone else f"schedule `{suggestion}`"]
    if zone:
        parts.append(f"with spec.timeZone: {go_quote(zone)} (TZ= is not allowed in the schedule)")
    if dropped:
        parts.append(f"({dropped})")
    parts += advice
    return " ".join(parts)


def _replace_fields(expr: str, fields: list[str]) -> tuple[list[str], list[str]]:
    fields = list(fields)
    advice: list[str] = []
    dom, dow = fields[2], fields[4]
    if dom.upper() in ("L", "LW") or dom.upper().startswith("L-"):
        fields[2] = "28-31"
        advice.append(
            'and exit early unless tomorrow is the 1st (`[ "$(date -d tomorrow +%d)" = 01 ] '
            "|| exit 0`): there is no `L` in Kubernetes"
        )
    elif m := _NEAREST_WEEKDAY.match(dom):
        fields[2] = m.group(1)
        advice.append("(there is no nearest-weekday `W` in Kubernetes: it runs on that day)")
    if m := _NTH.match(dow):
        day = _DOW_NAMES.get(m.group(1).lower())
        day = int(m.group(1)) if day is None else day
        n = int(m.group(2))
        if dom == "*" or dom == "?":
            fields[2], fields[4] = f"{7 * n - 6}-{7 * n}", "*"
            advice.append(
                f'and exit early unless it is {_DAYS[day]} (`[ "$(date +%u)" = {day or 7} ] '
                "|| exit 0`): there is no `#` in Kubernetes"
            )
    elif m := _LAST_DOW.match(dow):
        day = int(m.group(1))
        fields[4] = str(day)
        advice.append(
            f"and exit early unless it is the last {_DAYS[day]} of the month "
            '(`[ "$(date -d +7days +%m)" != "$(date +%m)" ] || exit 0`): there is no `L` in '
            "Kubernetes"
        )
    elif "7" in dow.split(",") or re.search(r"(^|,)[0-6]-7($|,|/)", dow):
        fields[4] = ",".join(_seven_as_zero(p) for p in dow.split(","))
        advice.append("(Sunday is 0)")
    for i, text in enumerate(fields):
        if m := _HASH.match(text):
            lo, hi = _FIELD_SPAN[i]
            if m.group(1):
                lo, hi = int(m.group(1)), int(m.group(2))
            step = m.group(3)
            value = lo + zlib.crc32(expr.encode()) % (hi - lo + 1)
            fields[i] = f"{value % int(step)}-{hi}/{step}" if step else str(value)
            if "Kubernetes does not spread" not in " ".join(advice):
                advice.append("(a fixed value: Kubernetes does not spread start times with `H`)")
    return fields, advice


def _seven_as_zero(part: str) -> str:
    if part == "7":
        return "0"
    m = re.fullmatch(r"([0-6])-7", part)
    if m:
        return "0-6" if m.group(1) == "0" else f"{m.group(1)}-6,0"
    return part


def _and(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + f" and {items[-1]}"
