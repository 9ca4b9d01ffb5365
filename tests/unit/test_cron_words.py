"""Schedules in words: each sentence checked against the fire times robfig's rules give.

Every case states the sentence, and the same meaning as a rule on local dates and clock
times (a transcription of the sentence); the fire times computed by domain/cron.py (the
controller's own algorithm) must be exactly the times that rule names, over a window long
enough to cross month, year and hour boundaries.
"""

from __future__ import annotations

import ast
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kubectl_batch.domain.cron import parse_schedule
from kubectl_batch.domain.cron_words import describe_schedule

START = datetime(2026, 12, 1, tzinfo=timezone.utc)
MONDAY, TUESDAY, THURSDAY, SATURDAY, SUNDAY = 0, 1, 3, 5, 6  # date.weekday()


def every_day(d: date) -> bool:
    return True


def at(*times: str) -> list[tuple[int, int]]:
    return [(int(t[:2]), int(t[3:])) for t in times]


def brute(zone_name: str, day_ok, times, days: int) -> list[datetime]:
    """The fire times a rule names: local dates x clock times, in UTC, after START."""
    zone = ZoneInfo(zone_name) if zone_name != "UTC" else timezone.utc
    first = START.astimezone(zone).date()
    out = []
    for n in range(days):
        d = first + timedelta(days=n)
        if day_ok(d):
            for h, m in times:
                t = datetime(d.year, d.month, d.day, h, m, tzinfo=zone).astimezone(timezone.utc)
                if START < t < START + timedelta(days=days - 1):
                    out.append(t)
    return sorted(out)


def fire_times(expr: str, zone: str, days: int) -> list[datetime]:
    end = START + timedelta(days=days - 1)
    schedule, out, t = parse_schedule(expr), [], START
    while (t := schedule.next(t, zone)) is not None and t < end:
        out.append(t)
    return out


# (schedule, zone, sentence, the sentence as a rule on dates, clock times, days to check)
CASES = [
    pytest.param(
        "0 2 1-7 * 1",
        "Asia/Seoul",
        "At 02:00, between day 1 and 7 of the month, or on any Monday (Asia/Seoul)",
        lambda d: d.day <= 7 or d.weekday() == MONDAY,
        at("02:00"),
        400,
        id="both day fields: either matches",
    ),
    pytest.param(
        "0 12 1-7 * 1-5",
        "UTC",
        "At 12:00, between day 1 and 7 of the month, or on any Monday through Friday (UTC)",
        lambda d: d.day <= 7 or d.weekday() < 5,
        at("12:00"),
        400,
        id="either matches, weekday range (cron-descriptor omits the or)",
    ),
    pytest.param(
        "0 0 */1 * 1",
        "UTC",
        "At 00:00, only on Monday (UTC)",
        lambda d: d.weekday() == MONDAY,
        at("00:00"),
        400,
        id="*/1 keeps the star bit: both must match",
    ),
    pytest.param(
        "0 0 ? * MON",
        "UTC",
        "At 00:00, only on Monday (UTC)",
        lambda d: d.weekday() == MONDAY,
        at("00:00"),
        400,
        id="? is *",
    ),
    pytest.param(
        "0 0 1-31 * 1",
        "UTC",
        "At 00:00 (UTC)",
        every_day,
        at("00:00"),
        400,
        id="1-31 has no star bit, so either: every day",
    ),
    pytest.param(
        "0 0 , * 1",
        "UTC",
        "At 00:00, only on Monday (UTC)",
        lambda d: d.weekday() == MONDAY,
        at("00:00"),
        400,
        id="an empty day-of-month leaves the weekdays",
    ),
    pytest.param(
        "0 0 */2 * *",
        "UTC",
        "At 00:00, every 2 days from day 1 through day 31 of the month, "
        "counting again from day 1 each month (UTC)",
        lambda d: d.day % 2 == 1,
        at("00:00"),
        400,
        id="day-of-month step restarts each month",
    ),
    pytest.param(
        "0 0 */2 * 1",
        "UTC",
        "At 00:00, every 2 days from day 1 through day 31 of the month, "
        "counting again from day 1 each month, or on any Monday (UTC)",
        lambda d: d.day % 2 == 1 or d.weekday() == MONDAY,
        at("00:00"),
        400,
        id="*/2 clears the star bit: either",
    ),
    pytest.param(
        "0 0 * * */2",
        "UTC",
        "At 00:00, only on Sunday, Tuesday, Thursday, and Saturday (UTC)",
        lambda d: d.weekday() in (SUNDAY, TUESDAY, THURSDAY, SATURDAY),
        at("00:00"),
        400,
        id="weekday step: the days it is (Saturday then Sunday)",
    ),
    pytest.param(
        "0 0 1 */5 *",
        "UTC",
        "At 00:00, on day 1 of the month, only in January, June, and November (UTC)",
        lambda d: d.day == 1 and d.month in (1, 6, 11),
        at("00:00"),
        800,
        id="month step that restarts each year",
    ),
    pytest.param(
        "0 0 1 */3 *",
        "UTC",
        "At 00:00, on day 1 of the month, every 3 months (UTC)",
        lambda d: d.day == 1 and d.month in (1, 4, 7, 10),
        at("00:00"),
        800,
        id="month step that is periodic",
    ),
    pytest.param(
        "0 */5 * * *",
        "UTC",
        "At 00:00, 05:00, 10:00, 15:00, and 20:00 (UTC)",
        every_day,
        at("00:00", "05:00", "10:00", "15:00", "20:00"),
        10,
        id="hour step that restarts each day (20:00 then 00:00)",
    ),
    pytest.param(
        "0 */6 * * *",
        "UTC",
        "Every 6 hours (UTC)",
        every_day,
        at("00:00", "06:00", "12:00", "18:00"),
        10,
        id="hour step that is periodic",
    ),
    pytest.param(
        "*/7 * * * *",
        "UTC",
        "Every 7 minutes, minutes 0 through 56 past the hour (UTC)",
        every_day,
        [(h, m) for h in range(24) for m in range(0, 60, 7)],
        3,
        id="minute step that restarts each hour",
    ),
    pytest.param(
        "*/15 9-17 * * 1-5",
        "Europe/Berlin",
        "Every 15 minutes, between 09:00 and 17:59, Monday through Friday (Europe/Berlin)",
        lambda d: d.weekday() < 5,
        [(h, m) for h in range(9, 18) for m in (0, 15, 30, 45)],
        30,
        id="office hours",
    ),
    pytest.param(
        "0,30 3 * * *",
        "UTC",
        "At 03:00 and 03:30 (UTC)",
        every_day,
        at("03:00", "03:30"),
        10,
        id="a few clock times",
    ),
    pytest.param(
        "0 0 * JAN,FEB SUN",
        "UTC",
        "At 00:00, only on Sunday, only in January and February (UTC)",
        lambda d: d.weekday() == SUNDAY and d.month in (1, 2),
        at("00:00"),
        400,
        id="names",
    ),
]


@pytest.mark.parametrize(("expr", "zone", "sentence", "day_ok", "times", "days"), CASES)
def test_sentence_and_fire_times_agree(expr, zone, sentence, day_ok, times, days):
    assert describe_schedule(parse_schedule(expr), zone) == sentence
    assert fire_times(expr, zone, days) == brute(zone, day_ok, times, days)


DESCRIPTORS = [
    ("@hourly", "0 * * * *", "Every hour (UTC)"),
    ("@daily", "0 0 * * *", "At 00:00 (UTC)"),
    ("@midnight", "0 0 * * *", "At 00:00 (UTC)"),
    ("@weekly", "0 0 * * 0", "At 00:00, only on Sunday (UTC)"),
    ("@monthly", "0 0 1 * *", "At 00:00, on day 1 of the month (UTC)"),
    ("@yearly", "0 0 1 1 *", "At 00:00, on day 1 of the month, only in January (UTC)"),
    ("@annually", "0 0 1 1 *", "At 00:00, on day 1 of the month, only in January (UTC)"),
]


@pytest.mark.parametrize(("descriptor", "fields", "sentence"), DESCRIPTORS)
def test_descriptors_read_as_their_five_fields(descriptor, fields, sentence):
    assert describe_schedule(parse_schedule(descriptor), "UTC") == sentence
    assert describe_schedule(parse_schedule(fields), "UTC") == sentence
    assert fire_times(descriptor, "UTC", 800) == fire_times(fields, "UTC", 800)


@pytest.mark.parametrize(
    ("expr", "sentence", "delay"),
    [
        ("@every 90m", "Every 1 hour 30 minutes", timedelta(minutes=90)),
        ("@every 1h", "Every hour", timedelta(hours=1)),
        ("@every 1500ms", "Every second", timedelta(seconds=1)),  # rounded down, like robfig
        ("@every 36h", "Every 1 day 12 hours", timedelta(hours=36)),
    ],
)
def test_every_is_a_delay_from_the_previous_run(expr, sentence, delay):
    schedule = parse_schedule(expr)
    words = describe_schedule(schedule, "Asia/Seoul")
    assert words.startswith(sentence + ", counted from the previous run")
    assert "not aligned to the clock" in words and "Asia/Seoul" not in words
    runs = schedule.next_runs(START + timedelta(seconds=7), "Asia/Seoul", 5)
    assert {b - a for a, b in zip(runs, runs[1:], strict=False)} == {delay}
    assert runs[0] == START + timedelta(seconds=7) + delay  # from the anchor, not :00


def test_no_time_zone_names_the_controller_default():
    assert (
        describe_schedule(parse_schedule("0 9 * * *")) == "At 09:00 (UTC, the controller's default)"
    )


@pytest.mark.parametrize("expr", [", * * * *", "0 , * * *", "0 0 * , *", "0 0 , * *"])
def test_a_field_matching_nothing_never_fires(expr):
    assert describe_schedule(parse_schedule(expr), "UTC").startswith("Never")
    assert parse_schedule(expr).next_runs(START, "UTC", 1) == []


def test_cron_descriptor_is_imported_by_cron_words_only():
    package = Path(__file__).resolve().parents[2] / "kubectl_batch"
    importers = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n.split(".")[0] == "cron_descriptor" for n in names):
                importers.append(path.relative_to(package).as_posix())
    assert sorted(set(importers)) == ["domain/cron_words.py"]


def test_every_accepted_schedule_reads_as_one_sentence():
    """Any schedule the API accepts gets a one-line sentence (cron-descriptor never fails)."""
    import random

    rng = random.Random(3)

    def part(lo: int, hi: int) -> str:
        a = rng.randint(lo, hi)
        b = rng.randint(a, hi)
        return rng.choice(
            [
                "*",
                "?",
                f"*/{rng.randint(1, hi)}",
                f"{a}-{b}",
                f"{a}-{b}/{rng.randint(1, 5)}",
                f"{a}/{rng.randint(1, 9)}",
                ",".join(str(rng.randint(lo, hi)) for _ in range(rng.randint(1, 5))),
                str(a),
            ]
        )

    for _ in range(500):
        expr = " ".join(part(lo, hi) for lo, hi in [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)])
        words = describe_schedule(parse_schedule(expr), "UTC")
        assert words and len(words.splitlines()) == 1, expr
