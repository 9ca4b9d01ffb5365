"""API timestamps and the way kubectl prints durations.

* :func:`parse_time` turns the RFC 3339 strings the API server writes
  (``metav1.Time`` ``"2026-03-09T13:00:00Z"``, ``metav1.MicroTime``
  ``"2026-03-09T13:00:00.123456Z"``) into aware UTC datetimes.
* :func:`format_duration` / :func:`format_age` are Go's
  ``k8s.io/apimachinery/pkg/util/duration.HumanDuration``, which kubectl uses
  for the AGE and DURATION columns (``printers.go`` ``translateTimestampSince``).
* :func:`format_short_duration` is ``duration.ShortHumanDuration``.
* :func:`format_countdown` is a compact "time left" text (``37s``, ``4m10s``).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone

__all__ = [
    "UNKNOWN",
    "format_age",
    "format_age_since",
    "format_countdown",
    "format_duration",
    "format_short_duration",
    "parse_time",
    "to_rfc3339",
]

UTC = timezone.utc

#: What kubectl prints for a missing timestamp (``translateTimestampSince``).
UNKNOWN = "<unknown>"

_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))\Z"
)


def parse_time(value: str | datetime | None) -> datetime | None:
    """Parse an API timestamp to an aware UTC datetime.

    ``None`` and ``""`` give ``None`` (the API omits unset times or writes
    ``null``). An aware datetime is converted to UTC; a naive one is taken as
    UTC. Fractions beyond microseconds (Go writes up to nanoseconds) are
    truncated. Anything that is not RFC 3339 raises :class:`ValueError`.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    if not isinstance(value, str):
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}")
    # Fast path: what metav1.Time always writes, "2006-01-02T15:04:05Z".
    if len(value) == 20 and value[19] == "Z" and value[10] == "T":
        try:
            return datetime(
                int(value[0:4]),
                int(value[5:7]),
                int(value[8:10]),
                int(value[11:13]),
                int(value[14:16]),
                int(value[17:19]),
                tzinfo=UTC,
            )
        except ValueError:
            pass  # fall through to the strict parser for a proper message
    m = _RFC3339.match(value)
    if m is None:
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}")
    year, month, day, hour, minute, second, frac, z, sign, oh, om = m.groups()
    micro = int((frac + "00000")[:6]) if frac else 0
    sec = int(second)
    leap = sec == 60  # RFC 3339 allows a leap second; Go folds it into the next minute
    try:
        dt = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            59 if leap else sec,
            micro,
            tzinfo=UTC,
        )
    except ValueError as e:
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}: {e}") from None
    if leap:
        dt += timedelta(seconds=1)
    if not z:
        offset = timedelta(hours=int(oh), minutes=int(om))
        dt = dt - offset if sign == "+" else dt + offset
    return dt


def to_rfc3339(dt: datetime) -> str:
    """Format like ``metav1.Time`` (UTC, whole seconds, ``Z``)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _micros(d: timedelta) -> int:
    return d // timedelta(microseconds=1)


def _trunc_div(a: int, b: int) -> int:
    """Integer division truncating toward zero, like Go's ``int(x/y)``."""
    q = abs(a) // b
    return q if a >= 0 else -q


def format_duration(d: timedelta) -> str:
    """``duration.HumanDuration``: ~2-3 significant figures (``5m30s``, ``3h``, ``2d5h``)."""
    us = _micros(d)
    seconds = _trunc_div(us, 1_000_000)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        if s == 0:
            return f"{minutes}m"
        return f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        if m == 0:
            return f"{hours}h"
        return f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        if h == 0:
            return f"{hours // 24}d"
        return f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        if dy == 0:
            return f"{hours // 24 // 365}y"
        return f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def format_age(delta: timedelta) -> str:
    """The AGE column: ``HumanDuration(now - creationTimestamp)``."""
    return format_duration(delta)


def format_age_since(when: datetime | str | None, now: datetime) -> str:
    """``translateTimestampSince``: ``<unknown>`` for a missing time."""
    t = parse_time(when)
    if t is None:
        return UNKNOWN
    return format_duration(now - t)


def format_short_duration(d: timedelta) -> str:
    """``duration.ShortHumanDuration``: one unit only (``45s``, ``3m``, ``5h``, ``2d``, ``1y``)."""
    us = _micros(d)
    seconds = _trunc_div(us, 1_000_000)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 24:
        return f"{hours}h"
    if hours < 24 * 365:
        return f"{hours // 24}d"
    return f"{hours // 24 // 365}y"


def format_countdown(remaining: timedelta | float | int | None) -> str:
    """Short time-left text for a countdown: ``37s``, ``4m10s``, ``4m0s``, ``1h5m``, ``2d3h``.

    Rounds *up* to whole seconds so a countdown shows ``1s`` until it really
    reaches zero; ``None``, zero and negative values give ``0s``. Accepts a
    timedelta or a number of seconds.
    """
    if remaining is None:
        return "0s"
    secs = remaining.total_seconds() if isinstance(remaining, timedelta) else float(remaining)
    if not secs > 0:  # also catches NaN
        return "0s"
    if math.isinf(secs):
        return "∞"
    total = math.ceil(secs)
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m{total % 60}s"
    if total < 86400:
        return f"{total // 3600}h{(total % 3600) // 60}m"
    return f"{total // 86400}d{(total % 86400) // 3600}h"
