"""A CronJob schedule in one English sentence, true to robfig/cron's rules.

The phrasing is cron-descriptor's (the only module that imports it), applied not to the
text the user wrote but to a canonical expression rebuilt from the parsed schedule (the
bits :mod:`.cron` fires by), so that what robfig means is what gets described:

* ``?`` and ``*/1`` are ``*`` (they keep robfig's "star bit"), descriptors (``@daily``...)
  are their five fields, names and lists are values;
* a step is called "every N" only where it really is periodic: ``*/15`` minutes, ``*/6``
  hours, ``*/3`` months. Where the count restarts each hour, day or year (``*/7`` minutes:
  ...:56 then :00; ``*/5`` hours: 20:00 then 00:00; ``*/5`` months) the range is said;
  day-of-week steps become the days they are;

and where cron-descriptor's sentence is not what robfig does, ours is:

* both day fields restricted: robfig fires when EITHER matches ("..., or on any Monday");
  cron-descriptor says "or" for some forms only (not for ``1-7 * 1-5``);
* day-of-month steps: ``*/2`` is days 1, 3, ..., 31 and again 1 (the 31st and the 1st
  both fire): not "every 2 days";
* a few clock times (``0,30 3 * * *``): "At 03:00 and 03:30";
* ``@every``: a fixed delay counted from the previous run, not aligned to the clock;
* fields that match nothing (``,``): never.
"""

from __future__ import annotations

import functools

from kubectl_batch.domain.cron import EverySchedule, Schedule, SpecSchedule

__all__ = ["describe_schedule", "describe_every", "zone_words"]

_STAR = 1 << 63
_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")

#: Clock times listed one by one up to this many ("At 03:00 and 03:30").
_MAX_TIMES = 6


def zone_words(time_zone: str | None) -> str:
    """How the description names the zone its times are in."""
    return time_zone or "UTC, the controller's default"


def describe_schedule(
    schedule: Schedule, time_zone: str | None = None, *, with_zone: bool = True
) -> str:
    """One sentence: when ``schedule`` fires, in ``time_zone`` (``spec.timeZone``; None: unset).

    ``At 02:00, between day 1 and 7 of the month, or on any Monday (Asia/Seoul)``; without
    the zone where it is shown beside the sentence already.
    """
    if isinstance(schedule, EverySchedule):
        return describe_every(schedule)
    assert isinstance(schedule, SpecSchedule)
    sentence = _describe_spec(schedule)
    if sentence.startswith("Never") or not with_zone:
        return sentence
    return f"{sentence} ({zone_words(time_zone)})"


def describe_every(schedule: EverySchedule) -> str:
    seconds = schedule.delay_ns // 1_000_000_000
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        n, seconds = divmod(seconds, size)
        if n:
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    every = " ".join(parts)
    if every.startswith("1 ") and len(parts) == 1:
        every = every[2:]  # "Every hour", not "Every 1 hour"
    return (
        f"Every {every}, counted from the previous run (the first one that long after the "
        "CronJob was created), not aligned to the clock; the time zone plays no part"
    )


def _values(bits: int, lo: int, hi: int) -> list[int]:
    return [v for v in range(lo, hi + 1) if bits >> v & 1]


def _progression(values: list[int]) -> int | None:
    """The step of values a, a+s, a+2s, ... (at least three of them, s > 1), or None."""
    if len(values) < 3:
        return None
    step = values[1] - values[0]
    if step < 2 or any(b - a != step for a, b in zip(values, values[1:], strict=False)):
        return None
    return step


def _listed(values: list[int]) -> str:
    """Values as cron text: runs of three or more as ranges (``1-5,10``)."""
    out: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        if j - i >= 2:
            out.append(f"{values[i]}-{values[j]}")
        else:
            out.extend(str(v) for v in values[i : j + 1])
        i = j + 1
    return ",".join(out)


def _cyclic(bits: int, lo: int, hi: int) -> str:
    """A minute, hour or month field as cron text that means what robfig fires at."""
    values = _values(bits, lo, hi)
    if len(values) == hi - lo + 1:
        return "*"
    step = _progression(values)
    if step is None:
        return _listed(values)
    if values[0] == lo and (hi - lo + 1) % step == 0 and values[-1] + step > hi:
        return f"*/{step}"  # really periodic: the gap over the wrap is the step too
    return f"{values[0]}-{values[-1]}/{step}"


@functools.lru_cache(maxsize=4096)  # (cron-descriptor reads its catalogue each time)
def _describe_spec(s: SpecSchedule) -> str:
    from cron_descriptor import CasingTypeEnum, ExpressionDescriptor, Options

    minutes, hours = _values(s.minute, 0, 59), _values(s.hour, 0, 23)
    months = _values(s.month, 1, 12)
    dom, dow = _values(s.dom, 1, 31), _values(s.dow, 0, 6)
    if not minutes or not hours or not months:
        return "Never: a field of this schedule matches no value"
    either = not (s.dom & _STAR or s.dow & _STAR)  # robfig: OR of the day fields
    if either and (len(dom) == 31 or len(dow) == 7):
        dom, dow, either = list(range(1, 32)), list(range(7)), False  # every day
    elif either and not dom:
        dom, either = list(range(1, 32)), False  # only the weekdays can match
    elif either and not dow:
        dow, either = list(range(7)), False
    elif not either and (not dom or not dow):
        return "Never: a day field of this schedule matches no value"

    month = _cyclic(s.month, 1, 12)
    if month != "*" and not month.startswith("*/"):
        month = _listed(months)  # "only in January, June and November", not "every 5 months"
    dom_step = _progression(dom) if len(dom) < 31 else None
    dom_text = "*" if len(dom) == 31 else _listed(dom) if dom_step is None else "*"
    dow_text = "*" if len(dow) == 7 else _listed(dow)
    minute_text, hour_text = _cyclic(s.minute, 0, 59), _cyclic(s.hour, 0, 23)
    canonical = " ".join(
        (
            minute_text,
            hour_text,
            dom_text,
            month,
            "*" if either else dow_text,
        )
    )
    options = Options(
        casing_type=CasingTypeEnum.Sentence, locale_code="en_US", use_24hour_time_format=True
    )
    words = ExpressionDescriptor(canonical, options)
    time = words.get_time_of_day_description()
    periodic = "*/" in minute_text + hour_text  # "Every 6 hours" says it better
    if len(minutes) * len(hours) <= _MAX_TIMES and len(minutes) * len(hours) > 1 and not periodic:
        time = "At " + _and([f"{h:02d}:{m:02d}" for h in hours for m in minutes])
    days = words.get_day_of_month_description()
    if dom_step is not None:
        first, last = dom[0], dom[-1]
        days = (
            f", every {dom_step} days from day {first} through day {last} of the month, "
            f"counting again from day {first} each month"
        )
    weekdays = (", or on any " + _weekdays(dow)) if either else words.get_day_of_week_description()
    sentence = time + days + weekdays + words.get_month_description()
    sentence = words.transform_verbosity(sentence, use_verbose_format=False)
    return str(ExpressionDescriptor.transform_case(sentence, CasingTypeEnum.Sentence))


def _weekdays(dow: list[int]) -> str:
    names = []
    for part in _listed(dow).split(","):
        a, _, b = part.partition("-")
        names.append(f"{_DAYS[int(a)]} through {_DAYS[int(b)]}" if b else _DAYS[int(a)])
    return _and(names, "or")


def _and(items: list[str], word: str = "and") -> str:
    if len(items) <= 2:
        return f" {word} ".join(items)
    return ", ".join(items[:-1]) + f", {word} {items[-1]}"
