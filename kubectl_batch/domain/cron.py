"""CronJob schedules, exactly as Kubernetes evaluates them.

This is a port of what kube-controller-manager and kube-apiserver do with
``spec.schedule`` and ``spec.timeZone``:

* parsing: ``github.com/robfig/cron/v3`` v3.0.1 ``ParseStandard`` (parser.go),
  plus the API server's extra checks (``validateScheduleFormat`` and
  ``validateTimeZone`` in ``pkg/apis/batch/validation``): no ``TZ``/``CRON_TZ``
  in the schedule, IANA zone names only;
* fire times: robfig's ``SpecSchedule.Next`` (spec.go) and
  ``ConstantDelaySchedule.Next`` (constantdelay.go, for ``@every``), evaluated
  in the CronJob's zone with a faithful emulation of Go's ``time`` package
  (``time.Date`` normalisation of non-existent and repeated wall-clock times,
  ``AddDate``, ``Truncate``), so daylight-saving behaviour matches the
  controller case by case, including its quirks (a daily job at 02:30 does not
  run at all on a spring-forward day in New York, and ``Next`` gives up after
  five years);
* the controller's bookkeeping: ``mostRecentScheduleTime``,
  ``nextScheduleTime`` and ``nextScheduleTimeDuration`` from
  ``pkg/controller/cronjob/utils.go`` (Kubernetes v1.36), including the
  interval approximation it uses to count missed runs.

Everything here is pure (the only I/O is loading zone data through
:mod:`zoneinfo`) and uses the standard library only.

Time zones: when ``spec.timeZone`` is unset the controller uses its own local
zone, which is UTC on most clusters; we assume UTC (:data:`DEFAULT_ZONE`).
All returned datetimes are aware and in UTC; convert them with
``.astimezone(zone)`` for display.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TypeVar
from zoneinfo import ZoneInfo

from kubectl_batch.domain.quoting import go_quote

__all__ = [
    "DEFAULT_ZONE",
    "NEXT_SCHEDULE_DELTA",
    "TOO_MANY_MISSED",
    "DueRun",
    "EverySchedule",
    "MissedSchedules",
    "RecentSchedule",
    "Schedule",
    "ScheduleError",
    "ScheduleLoopError",
    "SpecSchedule",
    "load_zone",
    "missed_starting_deadline",
    "most_recent_schedule_time",
    "next_requeue_delay",
    "next_schedule_time",
    "parse_duration",
    "parse_schedule",
    "schedule_anchor",
]

DEFAULT_ZONE: tzinfo = timezone.utc
"""Zone used when ``spec.timeZone`` is unset.

The controller really uses kube-controller-manager's local zone; that is UTC
on most clusters (and on all managed ones we know of)."""

TOO_MANY_MISSED = 100
"""More missed start times than this make the controller emit ``TooManyMissedTimes``."""

NEXT_SCHEDULE_DELTA = timedelta(milliseconds=100)
"""Padding the controller adds when it requeues a CronJob for its next run."""


class ScheduleError(ValueError):
    """A schedule or time zone that Kubernetes would reject (one sentence)."""


class ScheduleLoopError(ScheduleError):
    """robfig/cron's ``Next`` never returns for this schedule, zone and instant.

    This happens when a zone skips a whole calendar day (Pacific/Apia skipped
    2011-12-30): ``time.Date`` maps that midnight back onto the day before, so
    robfig's day loop steps in place forever and kube-controller-manager's sync
    of the CronJob hangs. We detect the cycle instead of spinning.
    """


# --------------------------------------------------------------------------
# Go time emulation. Instants are integers (Unix seconds, or nanoseconds where
# noted); a zone is only ever asked "what is the UTC offset at this instant",
# which is all Go's time package needs (see _go_date for why).
# --------------------------------------------------------------------------

_NS = 1_000_000_000
_GO_ZERO_UNIX = -62_135_596_800  # Go's zero Time, 0001-01-01T00:00:00Z
_GO_ZERO_NS = _GO_ZERO_UNIX * _NS
_MAX_DURATION = (1 << 63) - 1  # time.Duration bounds, in nanoseconds
_MIN_DURATION = -(1 << 63)
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Offsets are looked up inside the range Python's datetime can represent even
# after adding a zone offset. Only Go's zero time (year 1, which the controller
# feeds back into Next when Next gives up) falls outside it, and every zone is
# on its constant LMT offset there, so clamping does not change any answer.
_SAFE_MIN_UNIX = -62_104_060_800  # 0002-01-01T00:00:00Z
_SAFE_MAX_UNIX = 253_370_764_800  # 9998-12-31T00:00:00Z


def _wrap64(n: int) -> int:
    """Go int64 arithmetic wrap-around."""
    return (n + (1 << 63)) % (1 << 64) - (1 << 63)


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year, m in 1..12)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (m <= 2), m, d


def _month_days(y: int, m: int) -> int:
    if m == 2:
        return 29 if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def _seconds(delta: timedelta | None) -> int:
    return 0 if delta is None else delta.days * 86400 + delta.seconds


#: _civil_from_days memo: robfig's loops ask for the same few days again and again.
_CIVIL: dict[int, tuple[int, int, int]] = {}


# Zone data is read from zoneinfo by sampling the offset every _SPAN_STEP seconds
# and bisecting between samples that differ down to the transition second. That
# is exact as long as no zone changes its offset twice within _SPAN_STEP: in the
# IANA database the closest two changes are about four days apart (Africa/Freetown
# 1939; Brazil 2000; Asia/Gaza from 2040); test_cron checks this for every zone.
_SPAN_STEP = 12 * 3600
_CHUNK_BITS = 21  # sampled one chunk (2**21 s, about 24 days) at a time, when first needed
_FAR = 1 << 62


class _Zone:
    """Instant -> UTC offset (seconds), like Go's ``Location.lookup``.

    Also tells how long an offset lasts (:meth:`steady`), which lets robfig's
    loops skip steps instead of taking them one by one.
    """

    __slots__ = ("tz", "name", "_chunks", "_last", "_fields")

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.name = str(getattr(tz, "key", None) or tz)
        # chunk -> (starts, offsets): the offset changes to offsets[i] at starts[i]
        self._chunks: dict[int, tuple[list[int], list[int]]] = {}
        # (lo, hi, offset) of the span found last: most lookups fall in it again. (One
        # tuple, so that another thread never sees half of an update.)
        self._last = (0, 0, 0)
        self._fields: dict[int, tuple[int, int, int, int, int, int, int]] = {}
        if isinstance(tz, timezone):  # a fixed offset: one span for all time
            self._last = (-_FAR, _FAR, _seconds(tz.utcoffset(None)))

    def _utcoffset(self, sec: int) -> timedelta | None:
        clamped = min(max(sec, _SAFE_MIN_UNIX), _SAFE_MAX_UNIX)
        return (_UNIX_EPOCH + timedelta(seconds=clamped)).astimezone(self.tz).utcoffset()

    def _chunk(self, k: int) -> tuple[list[int], list[int]]:
        got = self._chunks.get(k)
        if got is None:
            start = k << _CHUNK_BITS
            end = start + (1 << _CHUNK_BITS)
            points = [*range(start, end, _SPAN_STEP), end]
            try:  # the quick way; some platforms have no timestamps before 1970
                tz, at = self.tz, datetime.fromtimestamp
                lo, hi = _SAFE_MIN_UNIX, _SAFE_MAX_UNIX
                samples = [at(min(max(x, lo), hi), tz).utcoffset() for x in points]
            except (OverflowError, OSError, ValueError):
                samples = [self._utcoffset(x) for x in points]
            starts, offsets = [start], [_seconds(samples[0])]
            for i in range(1, len(points)):
                prev = samples[i - 1]
                if samples[i] != prev:  # one change between the two: find its second
                    lo, hi = points[i - 1], points[i]
                    while hi - lo > 1:
                        mid = (lo + hi) // 2
                        if self._utcoffset(mid) == prev:
                            lo = mid
                        else:
                            hi = mid
                    if hi < end:  # (a change at `end` belongs to the next chunk)
                        starts.append(hi)
                        offsets.append(_seconds(samples[i]))
            if len(self._chunks) > 1024:
                self._chunks.clear()
            got = self._chunks[k] = (starts, offsets)
        return got

    def span(self, sec: int) -> tuple[int, int, int]:
        """(lo, hi, offset): the offset at ``sec``, the same on [lo, hi) (hi may end a chunk)."""
        last = self._last
        if last[0] <= sec < last[1]:
            return last
        k = sec >> _CHUNK_BITS
        starts, offsets = self._chunk(k)
        i = len(starts) - 1
        while starts[i] > sec:
            i -= 1
        hi = starts[i + 1] if i + 1 < len(starts) else (k + 1) << _CHUNK_BITS
        last = self._last = (starts[i], hi, offsets[i])
        return last

    def offset(self, sec: int) -> int:
        lo, hi, off = self._last
        return off if lo <= sec < hi else self.span(sec)[2]

    def steady(self, a: int, b: int) -> int:
        """How long the offset in effect at ``a`` lasts: the first instant after ``a``
        with another offset, or any instant after ``b`` (the search stops there)."""
        _, hi, off = self.span(a)
        while hi <= b:
            _, after, nxt = self.span(hi)
            if nxt != off:
                break
            hi = after
        return hi

    def fields(self, sec: int) -> tuple[int, int, int, int, int, int, int]:
        """(year, month, day, hour, minute, second, weekday Sun=0) of an instant."""
        got = self._fields.get(sec)  # robfig's loops look at the same instants again
        if got is None:
            lo, hi, off = self._last
            if not lo <= sec < hi:
                off = self.span(sec)[2]
            days, rem = divmod(sec + off, 86400)
            ymd = _CIVIL.get(days)
            if ymd is None:
                if len(_CIVIL) > 65536:
                    _CIVIL.clear()
                ymd = _CIVIL[days] = _civil_from_days(days)
            hh, rem = divmod(rem, 3600)
            mm, ss = divmod(rem, 60)
            if len(self._fields) > 8192:  # (about 1.5 MB per zone at most)
                self._fields.clear()
            got = self._fields[sec] = (*ymd, hh, mm, ss, (days + 4) % 7)
        return got

    def date(self, year: int, month: int, day: int, hour: int, minute: int, sec: int) -> int:
        """Go's ``time.Date(year, month, day, hour, minute, sec, 0, loc).Unix()``.

        Go normalises out-of-range fields, computes the wall clock as if it were
        UTC (``unix``), looks up the offset in effect at that instant, and, if
        ``unix - offset`` falls outside that offset's period, uses the offset in
        effect at ``unix - offset`` instead. Because the offset is constant within
        a period, that is exactly ``unix - offset(unix - offset(unix))``.

        Which offset wins in a gap or overlap therefore depends on which side of
        the transition the wall time *read as UTC* lies, not on Python's
        ``fold``: west of UTC a non-existent time moves back (New York
        2024-03-10 02:30 -> 01:30 EST) and a repeated one takes its first
        occurrence (EDT); east of UTC a non-existent time moves forward (Berlin
        2024-03-31 02:30 -> 03:30 CEST) and a repeated one takes its second
        occurrence (CET).
        """
        year, m0 = divmod(year * 12 + (month - 1), 12)
        minute, sec = minute + sec // 60, sec % 60
        hour, minute = hour + minute // 60, minute % 60
        day, hour = day + hour // 24, hour % 24
        unix = (_days_from_civil(year, m0 + 1, 1) + day - 1) * 86400 + hour * 3600
        unix += minute * 60 + sec
        return unix - self.offset(unix - self.offset(unix))

    def add_date(self, sec: int, years: int, months: int, days: int) -> int:
        """Go's ``t.AddDate(years, months, days)`` (for a whole-second ``t``)."""
        y, m, d, hh, mm, ss, _ = self.fields(sec)
        return self.date(y + years, m + months, d + days, hh, mm, ss)


def _instant_ns(dt: datetime, what: str) -> int:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got naive {dt.isoformat()}")
    delta = dt - _UNIX_EPOCH
    return (delta.days * 86400 + delta.seconds) * _NS + delta.microseconds * 1000


def _to_datetime(ns: int) -> datetime:
    sec, rem = divmod(ns, _NS)
    if rem == 0:  # fire times are whole seconds: the quicker way
        try:
            return datetime.fromtimestamp(sec, timezone.utc)
        except (OverflowError, OSError, ValueError):
            pass
    return _UNIX_EPOCH + timedelta(seconds=sec, microseconds=rem // 1000)


def _go_sub(t_ns: int, u_ns: int) -> int:
    """Go's ``t.Sub(u)``: a Duration, saturated at its int64 bounds."""
    return min(max(t_ns - u_ns, _MIN_DURATION), _MAX_DURATION)


def _go_round_second(d: int) -> int:
    """Go's ``Duration.Round(time.Second)``."""
    m = _NS
    if d < 0:
        r = -(-d % m)  # Go's % truncates towards zero
        r = -r
        if r + r < m:
            return d + r
        d1 = d - m + r
        return d1 if d1 >= _MIN_DURATION else _MIN_DURATION
    r = d % m
    if r + r < m:
        return d - r
    d1 = d + m - r
    return d1 if d1 <= _MAX_DURATION else _MAX_DURATION


def _go_seconds_int(d: int) -> int:
    """Go's ``int64(d.Seconds())`` (float64 arithmetic, then truncation)."""
    sec = d // _NS if d >= 0 else -(-d // _NS)
    nsec = d - sec * _NS
    return int(float(sec) + float(nsec) / 1e9)


_ZONES: dict[tzinfo, _Zone] = {}


def _resolve_zone(tz: tzinfo | str | None) -> _Zone:
    if isinstance(tz, _Zone):
        return tz
    if tz is None or isinstance(tz, str):
        tz = load_zone(tz)
    zone = _ZONES.get(tz)
    if zone is None:
        if len(_ZONES) > 64:
            _ZONES.clear()
        zone = _ZONES[tz] = _Zone(tz)
    return zone


# --------------------------------------------------------------------------
# Time zones (validateTimeZone + Go's time.LoadLocation)
# --------------------------------------------------------------------------

_ZONE_PART = re.compile(r"[A-Za-z.\-_0-9+]{1,14}")


_K = TypeVar("_K")
_V = TypeVar("_V")


def _remembered(memo: dict[_K, _V], key: _K, make: Callable[[_K], _V], limit: int) -> _V:
    """``make(key)``, remembered in ``memo`` (emptied when it reaches ``limit``: the TUI runs
    for hours); errors are raised, not remembered."""
    value = memo.get(key)
    if value is None:
        value = make(key)
        if len(memo) >= limit:
            memo.clear()
        memo[key] = value
    return value


def load_zone(name: str | None) -> tzinfo:
    """The zone for ``spec.timeZone``; ``None`` or ``""`` means unset: :data:`DEFAULT_ZONE` (UTC).

    Accepts exactly what the API server accepts: every ``/``-separated part made
    of ``A-Za-z0-9._-+`` (at most 14 characters, not ``.``/``..``, not starting
    with ``-``), not ``Local`` (any case), and loadable as an IANA zone.
    (The API itself rejects ``timeZone: ""``; we treat it as unset.)
    Raises :class:`ScheduleError` otherwise.
    """
    if name is None or name == "":
        return DEFAULT_ZONE
    return _remembered(_LOADED, name, _load_zone, 1024)


#: load_zone memo: every CronJob of a list names its zone again.
_LOADED: dict[str, tzinfo] = {}


def _load_zone(name: str) -> tzinfo:
    for part in name.split("/"):
        if part in (".", "..") or part.startswith("-") or not _ZONE_PART.fullmatch(part):
            raise ScheduleError(
                f"time zone {go_quote(name)} is not a valid IANA zone name "
                "(the API allows only parts of 1-14 characters from A-Z a-z 0-9 . _ - +, "
                'separated by "/")'
            )
    if name.lower() == "local":
        raise ScheduleError(
            f"time zone {go_quote(name)} is not allowed: the API requires an explicit IANA zone, "
            'not "Local"'
        )
    if name == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (OSError, ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ScheduleError(
            f"unknown time zone {go_quote(name)} (not in the IANA database)"
        ) from exc


# --------------------------------------------------------------------------
# Go's time.ParseDuration
# --------------------------------------------------------------------------

_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 micro sign
    "μs": 1_000,  # U+03BC Greek mu
    "ms": 1_000_000,
    "s": _NS,
    "m": 60 * _NS,
    "h": 3600 * _NS,
}


def parse_duration(text: str) -> int:
    """Go's ``time.ParseDuration``, in nanoseconds; raises ValueError like Go errors.

    ``[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+`` with units ns, us/µs/μs, ms, s, m, h;
    a bare ``0`` is allowed; the result must fit an int64.
    """
    s = text
    neg = False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise ValueError(f"invalid duration {go_quote(text)}")
    total = 0
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            raise ValueError(f"invalid duration {go_quote(text)}")
        # leadingInt
        i, v = 0, 0
        while i < len(s) and "0" <= s[i] <= "9":
            if v > (1 << 63) // 10:
                raise ValueError(f"invalid duration {go_quote(text)}")
            v = v * 10 + ord(s[i]) - 48
            if v > 1 << 63:
                raise ValueError(f"invalid duration {go_quote(text)}")
            i += 1
        pre = i > 0
        s = s[i:]
        f, scale, post = 0, 1.0, False
        if s and s[0] == ".":
            s = s[1:]
            # leadingFraction
            i, overflow = 0, False
            while i < len(s) and "0" <= s[i] <= "9":
                if not overflow:
                    if f > ((1 << 63) - 1) // 10:
                        overflow = True
                    else:
                        y = f * 10 + ord(s[i]) - 48
                        if y > 1 << 63:
                            overflow = True
                        else:
                            f = y
                            scale *= 10
                i += 1
            post = i > 0
            s = s[i:]
        if not pre and not post:
            raise ValueError(f"invalid duration {go_quote(text)}")
        i = 0
        while i < len(s) and not (s[i] == "." or "0" <= s[i] <= "9"):
            i += 1
        if i == 0:
            raise ValueError(f"missing unit in duration {go_quote(text)}")
        unit_name, s = s[:i], s[i:]
        unit = _UNITS.get(unit_name)
        if unit is None:
            raise ValueError(f"unknown unit {go_quote(unit_name)} in duration {go_quote(text)}")
        if v > (1 << 63) // unit:
            raise ValueError(f"invalid duration {go_quote(text)}")
        v *= unit
        if f > 0:
            v += int(float(f) * (float(unit) / scale))
            if v > 1 << 63:
                raise ValueError(f"invalid duration {go_quote(text)}")
        total += v
        if total > 1 << 63:
            raise ValueError(f"invalid duration {go_quote(text)}")
    if neg:
        return -total
    if total > (1 << 63) - 1:
        raise ValueError(f"invalid duration {go_quote(text)}")
    return total


# --------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------

_STAR_BIT = 1 << 63


@dataclass(frozen=True)
class _Bounds:
    name: str
    lo: int
    hi: int
    names: dict[str, int] | None = None


_MINUTES = _Bounds("minute", 0, 59)
_HOURS = _Bounds("hour", 0, 23)
_DOM = _Bounds("day-of-month", 1, 31)
_MONTHS = _Bounds(
    "month",
    1,
    12,
    {
        m: i + 1
        for i, m in enumerate(
            ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
        )
    },
)
_DOW = _Bounds(
    "day-of-week",
    0,
    6,
    {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))},
)
_FIELDS = (_MINUTES, _HOURS, _DOM, _MONTHS, _DOW)


def _bits(lo: int, hi: int, step: int) -> int:
    return sum(1 << i for i in range(lo, hi + 1, step))


def _all(b: _Bounds) -> int:
    return _bits(b.lo, b.hi, 1) | _STAR_BIT


class Schedule:
    """A parsed CronJob schedule (``parse_schedule``); see :meth:`next`."""

    expr: str

    def _next_ns(self, ns: int, zone: _Zone) -> int | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def next(self, after: datetime, tz: tzinfo | str | None = None) -> datetime | None:
        """The first fire time strictly after ``after``, as the controller computes it.

        ``tz`` is the CronJob's zone: a tzinfo, a ``spec.timeZone`` name, or None
        for :data:`DEFAULT_ZONE`. Returns an aware UTC datetime, or None when
        robfig gives up (no match within five years, e.g. ``0 0 30 2 *``).
        Raises :class:`ScheduleLoopError` where robfig would never return (zones
        that skipped a calendar day, e.g. Pacific/Apia on 2011-12-30), and
        :class:`ScheduleError` for an invalid ``tz`` name.
        """
        got = self._next_ns(_instant_ns(after, "after"), _resolve_zone(tz))
        return None if got is None else _to_datetime(got)

    def next_runs(
        self, after: datetime, tz: tzinfo | str | None = None, count: int = 5
    ) -> list[datetime]:
        """Up to ``count`` successive fire times after ``after`` (fewer if robfig gives up)."""
        zone = _resolve_zone(tz)
        out: list[datetime] = []
        ns = _instant_ns(after, "after")
        for _ in range(count):
            got = self._next_ns(ns, zone)
            if got is None:
                break
            ns = got
            out.append(_to_datetime(ns))
        return out


_NEXT_MEMO: dict[tuple[Schedule, int, _Zone], int | None] = {}


@dataclass(frozen=True)
class SpecSchedule(Schedule):
    """robfig's ``SpecSchedule``: one bit set per allowed value (bit 63 = "star bit").

    Day-of-month and day-of-week combine with AND when either has the star bit
    (``*``, ``?``, ``*/1``), with OR otherwise (``*/2`` clears the star bit).
    """

    expr: str
    minute: int
    hour: int
    dom: int
    month: int
    dow: int

    def _day_matches(self, day: int, weekday: int) -> bool:
        dom_match = (1 << day) & self.dom != 0
        dow_match = (1 << weekday) & self.dow != 0
        if self.dom & _STAR_BIT or self.dow & _STAR_BIT:
            return dom_match and dow_match
        return dom_match or dow_match

    def _next_ns(self, ns: int, zone: _Zone) -> int | None:
        # Memoized: a CronJob's fire times chain from the same anchors again and again
        # (most recent and upcoming runs share them; a live view recomputes every CronJob
        # on each change), and walking the calendar the way robfig does is slow in Python.
        key = (self, ns, zone)
        try:
            return _NEXT_MEMO[key]
        except KeyError:
            pass
        got = self._walk_next_ns(ns, zone)  # ScheduleLoopError is raised, not memoized
        if len(_NEXT_MEMO) >= 16384:
            _NEXT_MEMO.clear()
        _NEXT_MEMO[key] = got
        return got

    def _walk_next_ns(self, ns: int, zone: _Zone, jump: bool = True) -> int | None:
        """robfig's ``SpecSchedule.Next``, line by line.

        Each loop steps one unit (month, day, hour, minute, second) until its field
        matches. With ``jump``, the steps that can only count the field up without
        stopping are skipped first (the ``_skip_*`` calls): the result is the same
        (``jump=False`` takes every step, as robfig does; the tests compare both).
        """
        if self.minute & ~_STAR_BIT == 0 or self.hour & ~_STAR_BIT == 0:
            # An empty field (e.g. minute ",") never matches: robfig walks five
            # years minute by minute and returns the zero time.
            return None
        # t = t.Add(1*time.Second - time.Duration(t.Nanosecond())): next whole second.
        t = ns // _NS + 1
        added = False
        # Only robfig's day loop can step backwards (time.Date normalisation and
        # its midnight correction); after the first reset the loop state is just
        # t, so a repeated t there is an endless loop.
        day_seen: set[int] = set()
        year_limit = zone.fields(t)[0] + 5
        while True:  # WRAP:
            y, mo, d, hh, mm, ss, wd = zone.fields(t)
            if y > year_limit:
                return None
            wrapped = False
            while (1 << mo) & self.month == 0:
                if not added:
                    added = True
                    t = zone.date(y, mo, 1, 0, 0, 0)
                if jump:
                    t = self._skip_months(zone, t)
                t = zone.add_date(t, 0, 1, 0)
                y, mo, d, hh, mm, ss, wd = zone.fields(t)
                if mo == 1:
                    wrapped = True
                    break
            if wrapped:
                continue
            while not self._day_matches(d, wd):
                if not added:
                    added = True
                    t = zone.date(y, mo, d, 0, 0, 0)
                elif t in day_seen:
                    raise ScheduleLoopError(
                        f"schedule {go_quote(self.expr)} in zone {zone.name}: "
                        "robfig/cron loops forever "
                        f"looking for the run after {_to_datetime(ns).isoformat()} (in this zone "
                        f"time.Date cannot step past {y:04d}-{mo:02d}-{d:02d}), so "
                        "kube-controller-manager would hang on this CronJob"
                    )
                day_seen.add(t)
                if jump:
                    t = self._skip_days(zone, t)
                t = zone.add_date(t, 0, 0, 1)
                y, mo, d, hh, mm, ss, wd = zone.fields(t)
                # Midnight may not exist (DST at 00:00): robfig nudges back to it.
                if hh != 0:
                    t += (24 - hh) * 3600 if hh > 12 else -hh * 3600
                    y, mo, d, hh, mm, ss, wd = zone.fields(t)
                if d == 1:
                    wrapped = True
                    break
            if wrapped:
                continue
            while (1 << hh) & self.hour == 0:
                if not added:
                    added = True
                    t = zone.date(y, mo, d, hh, 0, 0)
                if jump:
                    t = _skip(zone, t, 3600, _passed(self.hour, zone.fields(t)[3], 24))
                t += 3600
                y, mo, d, hh, mm, ss, wd = zone.fields(t)
                if hh == 0:
                    wrapped = True
                    break
            if wrapped:
                continue
            while (1 << mm) & self.minute == 0:
                if not added:
                    added = True
                    t -= (t - _GO_ZERO_UNIX) % 60  # Truncate(time.Minute): absolute, not local
                if jump:
                    t = _skip(zone, t, 60, _passed(self.minute, zone.fields(t)[4], 60))
                t += 60
                y, mo, d, hh, mm, ss, wd = zone.fields(t)
                if mm == 0:
                    wrapped = True
                    break
            if wrapped:
                continue
            while ss != 0:  # the seconds field is always "0"
                added = True  # (Truncate(time.Second) is a no-op on whole seconds)
                if jump:
                    t = _skip(zone, t, 1, 59 - ss)
                t += 1
                y, mo, d, hh, mm, ss, wd = zone.fields(t)
                if ss == 0:
                    wrapped = True
                    break
            if wrapped:
                continue
            return t * _NS

    # The skips. While the zone's offset stays the same, adding an hour (minute,
    # second) to t just counts the local hour up by one, and AddDate adds exactly
    # the day's or month's length at the same wall time. So the steps that only
    # pass over values the loop neither stops nor wraps at can be taken at once,
    # as many of them as stay within the offset in effect at t. The last step
    # (the one that matches or wraps) is always taken by the loop itself.

    def _skip_months(self, zone: _Zone, t: int) -> int:
        y, mo, d, hh, _, _, _ = zone.fields(t)
        if d > 28:  # AddDate would normalise e.g. Jan 31 + 1 month to Mar 3
            return t
        # Go's time.Date also reads the offset at the wall time read as UTC: it
        # must be the same there too.
        margin = max(zone.offset(t), 0)
        lengths = []
        m = mo + 1
        while m <= 12 and (1 << m) & self.month == 0:
            lengths.append(86400 * _month_days(y, m - 1))
            m += 1
        if not lengths:
            return t
        end = zone.steady(t, t + sum(lengths) + margin)
        for length in lengths:
            if t + length + margin >= end:
                break
            t += length
        return t

    def _skip_days(self, zone: _Zone, t: int) -> int:
        y, mo, d, hh, _, _, wd = zone.fields(t)
        if hh != 0:  # robfig's midnight correction follows the step
            return t
        n, last = 0, _month_days(y, mo)
        while d + n + 1 <= last and not self._day_matches(d + n + 1, (wd + n + 1) % 7):
            n += 1
        if n == 0:
            return t
        margin = max(zone.offset(t), 0)  # as for months
        end = zone.steady(t, t + 86400 * n + margin)
        return t + 86400 * max(0, min(n, (end - 1 - margin - t) // 86400))


def _passed(bits: int, value: int, wrap: int) -> int:
    """How many values after ``value`` a loop passes before an allowed one (or ``wrap``)."""
    rest = (bits & ((1 << wrap) - 1)) >> (value + 1)
    return (rest & -rest).bit_length() - 1 if rest else wrap - value - 1


def _skip(zone: _Zone, t: int, unit: int, steps: int) -> int:
    """t moved ``steps`` steps of ``unit`` seconds, or fewer: as far as the offset lasts."""
    if steps <= 0:
        return t
    end = zone.steady(t, t + unit * steps)
    return t + unit * min(steps, (end - 1 - t) // unit)


@dataclass(frozen=True)
class EverySchedule(Schedule):
    """robfig's ``ConstantDelaySchedule`` (``@every <duration>``).

    ``delay`` is the duration rounded down to whole seconds, at least one
    second. Fire times are ``after + delay`` with ``after``'s sub-second part
    dropped; the zone plays no part.
    """

    expr: str
    delay_ns: int

    @property
    def delay(self) -> timedelta:
        return timedelta(seconds=self.delay_ns // _NS)

    def _next_ns(self, ns: int, zone: _Zone) -> int | None:
        return ns + self.delay_ns - ns % _NS


_DESCRIPTORS = {
    "@yearly": (1 << 0, 1 << 0, 1 << 1, 1 << 1, _all(_DOW)),
    "@annually": (1 << 0, 1 << 0, 1 << 1, 1 << 1, _all(_DOW)),
    "@monthly": (1 << 0, 1 << 0, 1 << 1, _all(_MONTHS), _all(_DOW)),
    "@weekly": (1 << 0, 1 << 0, _all(_DOM), _all(_MONTHS), 1 << 0),
    "@daily": (1 << 0, 1 << 0, _all(_DOM), _all(_MONTHS), _all(_DOW)),
    "@midnight": (1 << 0, 1 << 0, _all(_DOM), _all(_MONTHS), _all(_DOW)),
    "@hourly": (1 << 0, _all(_HOURS), _all(_DOM), _all(_MONTHS), _all(_DOW)),
}

# Go's unicode.IsSpace, which strings.Fields splits on (Python's str.split
# also splits on U+001C..U+001F, Go does not).
_GO_SPACE = re.compile("[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
_GO_INT = re.compile(r"[+-]?[0-9]+")

_UNSUPPORTED = (  # only for error messages: compiled (and cached by re) when needed
    (r".*#.*", '"#" (nth weekday of the month)'),
    (r"(?i)L|LW|L-\d+|\d+L|[0-7]?L", '"L" (last day)'),
    (r"(?i)\d*W", '"W" (nearest weekday)'),
    (r"(?i)H(\(\d+-\d+\))?(/\d+)?", '"H" (hashed value)'),
)


def _go_lower(s: str) -> str:
    # Go's strings.ToLower maps rune by rune (U+0130 'İ' -> 'i'); Python's
    # str.lower() would give "i̇" and miss e.g. "FRİ".
    if s.isascii():
        return s.lower()
    return "".join("i" if c == "\u0130" else (c.lower() if len(c.lower()) == 1 else c) for c in s)


class _FieldError(Exception):
    pass


def _atoi(text: str) -> int:
    """robfig's mustParseInt: Go strconv.Atoi (ASCII digits, optional sign, int64), >= 0."""
    if not _GO_INT.fullmatch(text):
        raise _FieldError(f"{go_quote(text)} is not a number")
    n = int(text)
    if not -(1 << 63) <= n < 1 << 63:
        raise _FieldError(f"{go_quote(text)} is out of range")
    if n < 0:
        raise _FieldError(f"negative number {n} is not allowed")
    return n


def _int_or_name(text: str, b: _Bounds) -> int:
    if b.names is not None:
        named = b.names.get(_go_lower(text))
        if named is not None:
            return named
        if not _GO_INT.fullmatch(text):
            names = ", ".join(n.upper() for n in b.names)
            raise _FieldError(f"{go_quote(text)} is neither a number nor one of {names}")
    return _atoi(text)


def _get_range(expr: str, b: _Bounds) -> int:
    """robfig getRange: ``number | number "-" number [ "/" number ]`` (or ``*``/``?``)."""
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    extra = 0
    if low_and_high[0] in ("*", "?"):
        # Anything after "*-" is ignored by robfig: "*-5" means "*".
        start, end, extra = b.lo, b.hi, _STAR_BIT
    else:
        start = _int_or_name(low_and_high[0], b)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], b)
        else:
            raise _FieldError(f'{go_quote(expr)} has too many "-"')
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _atoi(range_and_step[1])
        if single:  # "N/step" means "N-max/step"
            end = b.hi
        if step > 1:
            extra = 0
    else:
        raise _FieldError(f'{go_quote(expr)} has too many "/"')
    if start < b.lo:
        raise _FieldError(f"value {start} is below the minimum {b.lo} (allowed {b.lo}-{b.hi})")
    # (robfig only checks end > max; a start > max then fails as start > end.
    # Same verdict, clearer message.)
    if start > b.hi or end > b.hi:
        high = start if start > b.hi else end
        hint = " (Sunday is 0; 7 is not accepted)" if b is _DOW and high == 7 else ""
        raise _FieldError(f"value {high} is above the maximum {b.hi} (allowed {b.lo}-{b.hi}){hint}")
    if start > end:
        raise _FieldError(
            f"range {go_quote(expr)} starts after it ends (wrap-around ranges are not supported)"
        )
    if step == 0:
        raise _FieldError(f"step in {go_quote(expr)} must be a positive number")
    return _bits(start, end, step) | extra


#: _get_field memo: (text, field name) -> bits; a thousand schedules share a few fields.
_FIELD_BITS: dict[tuple[str, str], int] = {}


def _get_field(text: str, b: _Bounds, expr: str) -> int:
    bits = _FIELD_BITS.get((text, b.name))
    if bits is None:
        bits = _parse_field(text, b, expr)  # errors are raised, not memoized
        if len(_FIELD_BITS) >= 4096:
            _FIELD_BITS.clear()
        _FIELD_BITS[text, b.name] = bits
    return bits


def _parse_field(text: str, b: _Bounds, expr: str) -> int:
    bits = 0
    for part in (p for p in text.split(",") if p):
        try:
            bits |= _get_range(part, b)
        except _FieldError as err:
            for pattern, feature in _UNSUPPORTED:
                if re.fullmatch(pattern, part):
                    raise ScheduleError(
                        f"schedule {go_quote(expr)}: {b.name} field {go_quote(text)} "
                        "is not supported: "
                        f"{feature} is not part of the 5-field robfig/cron syntax "
                        "the CronJob API uses"
                    ) from None
            raise ScheduleError(
                f"schedule {go_quote(expr)}: {b.name} field {go_quote(text)}: {err}"
            ) from None
    return bits


_PARSED: dict[str, Schedule] = {}


def parse_schedule(expr: str) -> Schedule:
    """Parse ``spec.schedule`` exactly as the API server and the controller do.

    Raises :class:`ScheduleError` (one sentence naming the problem and where)
    for anything the API would reject: empty schedules, ``TZ``/``CRON_TZ``,
    anything but exactly five fields, ``L``/``W``/``#``/``H``, out-of-range
    values (day-of-week is 0-6), unknown descriptors and bad ``@every``
    durations. ``@every`` durations are rounded down to whole seconds, minimum
    one second (so ``@every 500ms`` and even ``@every -1h`` mean every second).
    """
    return _remembered(_PARSED, expr, _parse_schedule, 4096)


def _parse_schedule(expr: str) -> Schedule:
    if expr == "":
        raise ScheduleError("schedule is empty")
    if "TZ" in expr:
        raise ScheduleError(
            f"schedule {go_quote(expr)}: TZ= and CRON_TZ= are not allowed in the schedule "
            "(the API rejects them; set spec.timeZone instead)"
        )
    if expr.startswith("@"):
        return _parse_descriptor(expr)
    fields = [f for f in _GO_SPACE.split(expr) if f]
    if len(fields) != 5:
        hint = ""
        if len(fields) in (6, 7):
            hint = "; seconds and year fields are not supported"
        elif len(fields) == 1 and fields[0].startswith("@"):
            hint = "; descriptors like @daily must not have leading spaces"
        raise ScheduleError(
            f"schedule {go_quote(expr)}: expected exactly 5 fields "
            f"(minute hour day-of-month month day-of-week), found {len(fields)}{hint}"
        )
    minute, hour, dom, month, dow = (
        _get_field(text, b, expr) for text, b in zip(fields, _FIELDS, strict=True)
    )
    return SpecSchedule(expr, minute, hour, dom, month, dow)


def _parse_descriptor(expr: str) -> Schedule:
    spec = _DESCRIPTORS.get(expr)
    if spec is not None:
        return SpecSchedule(expr, *spec)
    if expr.startswith("@every "):
        text = expr[len("@every ") :]
        try:
            delay = parse_duration(text)
        except ValueError as err:
            raise ScheduleError(
                f"schedule {go_quote(expr)}: {go_quote(text)} is not a Go duration "
                "such as 90s, 15m or 1h30m "
                f"({err})"
            ) from None
        delay = max(delay, _NS)
        return EverySchedule(expr, delay - delay % _NS)
    known = "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @every <duration>"
    raise ScheduleError(f"schedule {go_quote(expr)}: unknown descriptor (supported: {known})")


# --------------------------------------------------------------------------
# The controller's bookkeeping (pkg/controller/cronjob/utils.go)
# --------------------------------------------------------------------------


class MissedSchedules(enum.Enum):
    """How many start times were missed, as the controller classifies it."""

    NONE = "none"
    FEW = "few"
    MANY = "many"  # more than TOO_MANY_MISSED


@dataclass(frozen=True)
class RecentSchedule:
    """Result of :func:`most_recent_schedule_time` (Go: 4 return values)."""

    earliest: datetime
    """The anchor, moved forward to ``now - startingDeadlineSeconds`` if later."""
    most_recent: datetime | None
    """The most recent start time at or before now, or None (none due, or the quirk)."""
    missed: MissedSchedules
    error: str | None = None
    """Set when the controller reports ``InvalidSchedule`` (interval < 1 s)."""


@dataclass(frozen=True)
class DueRun:
    """Result of :func:`next_schedule_time`."""

    scheduled_time: datetime | None
    """The start time the controller would run now, or None."""
    too_many_missed: bool
    """The controller emits a ``TooManyMissedTimes`` warning event."""
    error: str | None = None


def schedule_anchor(creation_timestamp: datetime, last_schedule_time: datetime | None) -> datetime:
    """The controller's starting point: ``status.lastScheduleTime``, else creation time."""
    return creation_timestamp if last_schedule_time is None else last_schedule_time


def _recent_ns(
    schedule: Schedule,
    zone: _Zone,
    earliest: int,
    now: int,
    starting_deadline_seconds: int | None,
    include_starting_deadline: bool,
) -> tuple[int, int | None, MissedSchedules, str | None]:
    def nxt(t: int) -> int:
        got = schedule._next_ns(t, zone)
        return _GO_ZERO_NS if got is None else got

    missed = MissedSchedules.NONE
    if include_starting_deadline and starting_deadline_seconds is not None:
        deadline = now + _wrap64(-_NS * starting_deadline_seconds)
        if deadline > earliest:
            earliest = deadline
    t1 = nxt(earliest)
    t2 = nxt(t1)
    if now < t1:
        return earliest, None, missed, None
    if now < t2:
        return earliest, t1, missed, None
    between = _go_seconds_int(_go_round_second(_go_sub(t2, t1)))
    if between < 1:
        return earliest, None, missed, "time difference between two schedules is less than 1 second"
    elapsed = _go_seconds_int(_go_sub(now, t1))
    count = elapsed // between + 1  # both non-negative here: Go's / agrees
    # The controller's approximation: jump (count - 2) "intervals" past t1 and
    # walk forward from there. For irregular schedules this can overshoot the
    # real most recent time, which is then not reported.
    potential = t1 + _wrap64(_wrap64((count - 2) * between) * _NS)
    most_recent: int | None = None
    t = nxt(potential)
    while t <= now:
        if t == _GO_ZERO_NS:
            # Next gave up inside the loop: Go would restart from year 1 and spin forever.
            return (
                earliest,
                None,
                missed,
                "no start time within five years of a missed one; "
                "the controller would loop forever on this CronJob",
            )
        most_recent = t
        t = nxt(t)
    if count > TOO_MANY_MISSED:
        missed = MissedSchedules.MANY
    elif count > 0:
        missed = MissedSchedules.FEW
    if most_recent is None or most_recent == _GO_ZERO_NS:
        return earliest, None, missed, None
    return earliest, most_recent, missed, None


def most_recent_schedule_time(
    schedule: Schedule,
    tz: tzinfo | str | None,
    *,
    anchor: datetime,
    now: datetime,
    starting_deadline_seconds: int | None = None,
    include_starting_deadline: bool = True,
) -> RecentSchedule:
    """The controller's ``mostRecentScheduleTime``.

    ``anchor`` is ``status.lastScheduleTime`` or else ``metadata.creationTimestamp``
    (:func:`schedule_anchor`). With ``include_starting_deadline``, an anchor older
    than ``now - startingDeadlineSeconds`` is moved up to it. Then, with t1 and t2
    the next two fire times after the anchor: nothing is due if ``now < t1``; t1
    is due if ``now < t2``; otherwise the controller estimates the number of
    missed runs as ``(now - t1) // (t2 - t1) + 1`` and looks for the most recent
    one starting two estimated intervals back, which can miss it for irregular
    schedules (e.g. ``0 0 1,2 * *``: then ``most_recent`` is None although runs
    were missed). ``error`` is set when t2 - t1 rounds to under one second, which
    is how a schedule with no run within five years (``0 0 30 2 *``) surfaces,
    and when the controller would spin forever because ``Next`` gave up inside
    its search loop. :class:`ScheduleLoopError` propagates from ``Next``.
    """
    zone = _resolve_zone(tz)
    earliest, recent, missed, err = _recent_ns(
        schedule,
        zone,
        _instant_ns(anchor, "anchor"),
        _instant_ns(now, "now"),
        starting_deadline_seconds,
        include_starting_deadline,
    )
    return RecentSchedule(
        _to_datetime(earliest), None if recent is None else _to_datetime(recent), missed, err
    )


def next_schedule_time(
    schedule: Schedule,
    tz: tzinfo | str | None,
    *,
    anchor: datetime,
    now: datetime,
    starting_deadline_seconds: int | None = None,
) -> DueRun:
    """The controller's ``nextScheduleTime``: the start time to run now, if any.

    ``too_many_missed`` is the ``TooManyMissedTimes`` warning (more than 100
    missed start times since the anchor, or since ``now -
    startingDeadlineSeconds``); it is only raised when a run is due. Whether the
    due run is then skipped as too late is :func:`missed_starting_deadline`.
    """
    r = most_recent_schedule_time(
        schedule,
        tz,
        anchor=anchor,
        now=now,
        starting_deadline_seconds=starting_deadline_seconds,
        include_starting_deadline=True,
    )
    if r.most_recent is None or r.most_recent > now:
        return DueRun(None, False, r.error)
    return DueRun(r.most_recent, r.missed is MissedSchedules.MANY, r.error)


def missed_starting_deadline(
    scheduled_time: datetime, now: datetime, starting_deadline_seconds: int | None
) -> bool:
    """True when the controller skips a due run with a ``MissSchedule`` event."""
    if starting_deadline_seconds is None:
        return False
    return scheduled_time + timedelta(seconds=starting_deadline_seconds) < now


def next_requeue_delay(
    schedule: Schedule, tz: tzinfo | str | None, *, anchor: datetime, now: datetime
) -> timedelta:
    """The controller's ``nextScheduleTimeDuration``: when it next looks at the CronJob.

    That is the next fire time after the most recent one (or after the anchor
    if none was missed, or after now) plus :data:`NEXT_SCHEDULE_DELTA`, minus
    now. Saturates like a Go Duration (about -292 years if Next gives up).
    """
    zone = _resolve_zone(tz)
    now_ns = _instant_ns(now, "now")
    earliest, recent, missed, err = _recent_ns(
        schedule, zone, _instant_ns(anchor, "anchor"), now_ns, None, False
    )
    if err is not None:
        base = now_ns
    elif recent is None:
        base = earliest if missed is MissedSchedules.NONE else now_ns
    else:
        base = recent
    nxt = schedule._next_ns(base, zone)
    nxt = _GO_ZERO_NS if nxt is None else nxt
    d = _go_sub(nxt + NEXT_SCHEDULE_DELTA // timedelta(microseconds=1) * 1000, now_ns)
    return timedelta(microseconds=d // 1000)
