"""Schedule findings (domain/cron_warnings.py): one test per warning and per rejected form.

CronJobs and Jobs are the recorded ones of the test cluster (fixtures/cluster.json),
changed only where a test says so. Daylight-saving warnings are checked against the fire
times the controller's algorithm (domain/cron.py) gives on those dates.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fixtures.tui_fakes import recorded
from hypothesis import given, settings
from hypothesis import strategies as st

from kubectl_batch.domain.cron import ScheduleError, load_zone, parse_schedule
from kubectl_batch.domain.cron_warnings import cronjob_findings, nearest_supported
from kubectl_batch.domain.cronjobs import owned_jobs
from kubectl_batch.domain.quoting import go_quote

NOW = datetime(2026, 12, 2, tzinfo=timezone.utc)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def recorded_cronjob(name: str = "report-hourly", **spec) -> dict:
    cronjob = copy.deepcopy(
        next(c for c in recorded()["cronjobs"] if c["metadata"]["name"] == name)
    )
    cronjob["spec"].update(spec)
    for key in [k for k, v in spec.items() if v is None]:
        del cronjob["spec"][key]
    return cronjob


def manifest(schedule: str, time_zone: str | None = "UTC", **spec) -> dict:
    """A CronJob as written in a file: no status, no creationTimestamp."""
    body = {"schedule": schedule, **spec}
    if time_zone is not None:
        body["timeZone"] = time_zone
    return {"kind": "CronJob", "metadata": {"name": "x"}, "spec": body}


def codes(cronjob: dict, now: datetime = NOW, jobs=()) -> dict[str, str]:
    return {f.code: f.message for f in cronjob_findings(cronjob, now, jobs)}


# --------------------------------------------------------------------------
# both day fields
# --------------------------------------------------------------------------


def test_both_day_fields_restricted_warns_and_says_what_was_meant():
    message = codes(manifest("0 2 1-7 * 1", "Asia/Seoul"))["DayFieldsEither"]
    assert "fires when EITHER matches" in message
    assert "day-of-month 1-7 and also on every Monday" in message
    assert "`0 2 1-7 * *`" in message and '[ "$(date +%u)" = 1 ]' in message
    assert "no `#` in Kubernetes" in message
    # What it says is so: Mondays outside 1-7 fire, and days 1-7 that are not Mondays.
    runs = [
        t.astimezone(ZoneInfo("Asia/Seoul"))
        for t in parse_schedule("0 2 1-7 * 1").next_runs(NOW, "Asia/Seoul", 40)
    ]
    assert any(t.day > 7 and t.weekday() == 0 for t in runs)
    assert any(t.day <= 7 and t.weekday() != 0 for t in runs)
    parse_schedule("0 2 1-7 * *")  # the suggestion is accepted


@pytest.mark.parametrize(
    "schedule",
    ["0 2 1-7 * *", "0 2 * * 1", "0 2 */1 * 1", "0 2 1-7 * ?", "0 2 1-31 * 1", "@weekly"],
)
def test_one_day_field_or_a_star_bit_does_not_warn(schedule):
    assert "DayFieldsEither" not in codes(manifest(schedule))


def test_sunday_is_seven_in_the_date_test():
    assert '[ "$(date +%u)" = 7 ]' in codes(manifest("0 0 1-7 * 0"))["DayFieldsEither"]


# --------------------------------------------------------------------------
# daylight saving
# --------------------------------------------------------------------------


def local_runs(schedule: str, zone: str, day: str) -> list[datetime]:
    start = datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(zone)) - timedelta(days=1)
    runs = parse_schedule(schedule).next_runs(start.astimezone(timezone.utc), zone, 200)
    return [
        t.astimezone(ZoneInfo(zone))
        for t in runs
        if t.astimezone(ZoneInfo(zone)).date().isoformat() == day
    ]


def test_skipped_hour_names_the_date_and_the_run_that_does_not_happen():
    message = codes(manifest("30 2 * * *", "America/New_York"))["SkippedHour"]
    assert message.startswith("on 2027-03-14 02:00-03:00 does not exist in America/New_York")
    assert "the 02:30 run does not happen that day" in message
    assert local_runs("30 2 * * *", "America/New_York", "2027-03-14") == []


def test_repeated_hour_says_what_robfig_does():
    message = codes(manifest("30 1 * * *", "America/New_York"))["RepeatedHour"]
    assert message.startswith("on 2027-11-07 01:00-02:00 happens twice in America/New_York")
    assert "robfig/cron runs 01:30 twice" in message
    runs = local_runs("30 1 * * *", "America/New_York", "2027-11-07")
    assert [f"{t:%H:%M %Z}" for t in runs] == ["01:30 EDT", "01:30 EST"]


def test_east_of_utc_both_changes():
    found = codes(manifest("0,30 2 * * *", "Europe/Berlin"))
    assert "2027-03-28 02:00-03:00" in found["SkippedHour"]
    assert "the 02:00 and 02:30 runs do not happen" in found["SkippedHour"]
    assert "2027-10-31 02:00-03:00 happens twice" in found["RepeatedHour"]
    assert local_runs("0,30 2 * * *", "Europe/Berlin", "2027-03-28") == []


def test_only_the_next_12_months_count():
    found = codes(manifest("30 2 * * *", "America/New_York"), utc("2026-03-09T00:00:00Z"))
    assert "SkippedHour" not in found  # 2026-03-08 is past, 2027-03-14 more than a year ahead
    found = codes(manifest("30 1 * * *", "America/New_York"), utc("2026-03-09T00:00:00Z"))
    assert "2026-11-01" in found["RepeatedHour"]


@pytest.mark.parametrize(
    ("schedule", "zone"),
    [
        ("30 2 * * *", "Asia/Seoul"),  # no daylight saving
        ("0 * * * *", "America/New_York"),  # every hour: the clock change is what it asks for
        ("30 3 * * *", "America/New_York"),  # not in the changed hour
        ("30 2 * * 6", "America/New_York"),  # 2027-03-14 is a Sunday
    ],
)
def test_no_daylight_saving_warning_when_no_run_is_hit(schedule, zone):
    found = codes(manifest(schedule, zone))
    assert "SkippedHour" not in found and "RepeatedHour" not in found


# --------------------------------------------------------------------------
# time zone, deadlines, missed times, Forbid
# --------------------------------------------------------------------------


def test_no_time_zone_warns_that_the_controller_decides():
    cronjob = recorded_cronjob("db-backup")  # recorded without spec.timeZone
    assert "timeZone" not in cronjob["spec"]
    message = codes(cronjob, utc(recorded()["recordedAt"]))["NoTimeZone"]
    assert (
        "kube-controller-manager's own zone" in message and "UTC on almost every cluster" in message
    )
    assert "NoTimeZone" not in codes(recorded_cronjob())  # Europe/Berlin
    assert "NoTimeZone" not in codes(manifest("@every 1h", None))  # the zone plays no part


@pytest.mark.parametrize(
    ("deadline", "warns"), [(0, True), (5, True), (9, True), (10, False), (300, False)]
)
def test_short_starting_deadline(deadline, warns):
    found = codes(manifest("0 0 * * *", startingDeadlineSeconds=deadline))
    assert ("ShortStartingDeadline" in found) is warns
    if warns:
        assert f"startingDeadlineSeconds {deadline} is under 10s" in found["ShortStartingDeadline"]


def test_too_many_missed_times_since_the_last_schedule():
    now = utc(recorded()["recordedAt"])
    cronjob = recorded_cronjob()  # every minute, last scheduled 04:56
    assert "TooManyMissedTimes" not in codes(cronjob, now)
    assert "TooManyMissedTimes" in codes(cronjob, now + timedelta(minutes=102))
    assert "TooManyMissedTimes" not in codes(cronjob, now + timedelta(minutes=99))
    # startingDeadlineSeconds bounds how far back the controller counts.
    bounded = recorded_cronjob(startingDeadlineSeconds=600)
    assert "TooManyMissedTimes" not in codes(bounded, now + timedelta(hours=5))
    message = codes(cronjob, now + timedelta(hours=5))["TooManyMissedTimes"]
    assert "since its last schedule (2026-11-22 04:56Z)" in message


def test_forbid_with_jobs_longer_than_the_interval():
    data = recorded()
    now = utc(data["recordedAt"])
    cronjob = recorded_cronjob(concurrencyPolicy="Forbid")
    jobs = copy.deepcopy(owned_jobs(cronjob, data["jobs"]))
    assert len(jobs) == 2
    assert "ForbidSkips" not in codes(cronjob, now, jobs)  # they took 3 s of the minute
    for job in jobs:
        start = utc(job["status"]["startTime"])
        job["status"]["completionTime"] = (start + timedelta(minutes=4)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    message = codes(cronjob, now, jobs)["ForbidSkips"]
    assert "usually run 4m (median of the last 2)" in message
    assert "longer than the 60s between runs: most runs will be skipped" in message
    allow = recorded_cronjob(concurrencyPolicy="Allow")
    assert "ForbidSkips" not in codes(allow, now, jobs)
    assert "ForbidSkips" not in codes(cronjob, now, jobs[:1])  # one run is not "usually"


def test_never_fires():
    assert "NeverFires" in codes(manifest("0 0 30 2 *"))


def test_a_clean_schedule_has_no_findings():
    assert cronjob_findings(manifest("0 9 * * 1-5", "Europe/Berlin"), NOW) == []


# --------------------------------------------------------------------------
# rejected syntax: the error, and the nearest form the API accepts
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "nearest"),
    [
        ("0 0 L * *", "`0 0 28-31 * *` and exit early unless tomorrow is the 1st"),
        ("0 0 LW * *", "`0 0 28-31 * *`"),
        ("0 0 15W * *", "`0 0 15 * *`"),
        ("0 0 * * 1#1", "`0 0 1-7 * *` and exit early unless it is Monday"),
        ("0 0 * * MON#2", "`0 0 8-14 * *` and exit early unless it is Monday"),
        ("0 0 * * 5L", "`0 0 * * 5` and exit early unless it is the last Friday"),
        ("H 2 * * *", "`11 2 * * *` (a fixed value: Kubernetes does not spread start times"),
        ("0 0 0 * * *", "`0 0 * * *` (no seconds field"),
        ("0 30 2 * * * 2027", "`30 2 * * *` (no seconds or year field)"),
        ("TZ=Asia/Seoul 0 2 * * *", 'schedule `0 2 * * *` with spec.timeZone: "Asia/Seoul"'),
        ("CRON_TZ=Europe/Berlin @daily", 'schedule `@daily` with spec.timeZone: "Europe/Berlin"'),
        ("0 0 * * 7", "`0 0 * * 0` (Sunday is 0)"),
        ("0 0 * * 1-7", "`0 0 * * 1-6,0`"),
    ],
)
def test_rejected_syntax_gets_the_nearest_supported_form(schedule, nearest):
    with pytest.raises(ScheduleError):
        parse_schedule(schedule)  # (what the API rejects is unchanged)
    found = [f for f in cronjob_findings(manifest(schedule), NOW) if f.is_error]
    assert [f.code for f in found] == ["InvalidSchedule"]
    assert found[0].message.startswith(f"schedule {go_quote(schedule)}: ")
    assert f"nearest supported form: {nearest}" in found[0].message
    suggested = nearest_supported(schedule)
    assert suggested is not None
    parse_schedule(suggested.split("`")[1])  # always something the API accepts


def test_invalid_time_zone_is_an_error():
    found = cronjob_findings(manifest("0 0 * * *", "Mars/Base"), NOW)
    assert [(f.level, f.code) for f in found] == [("error", "InvalidTimeZone")]


# --------------------------------------------------------------------------
# one line: every rejected input is quoted as Go's %q
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("@hourly\n", r'"@hourly\n"'),
        ("0\t0", r'"0\t0"'),
        ("Asia/Seoul\u200b", r'"Asia/Seoul\u200b"'),
        ("0\xa00", r'"0\u00a00"'),
        ('a"b\\', r'"a\"b\\"'),
        ("\x7f\x00\r", r'"\x7f\x00\r"'),
        ("Zürich 😀", '"Zürich 😀"'),
        ("\U000e0001", r'"\U000e0001"'),
        ("\u2028", r'"\u2028"'),
    ],
)
def test_go_quote_is_strconv_quote(text, quoted):
    assert go_quote(text) == quoted


def one_line(message: str) -> bool:
    return len(message.splitlines()) == 1 and message.isprintable()


# Go's whitespace and the invisible characters users paste, among schedule characters.
SCHEDULE_TEXT = st.text(
    alphabet=st.sampled_from(
        list("0123456789*/,-?@ LWH#TZ=MONjan")
        + ["\n", "\t", "\r", "\u200b", "\xa0", "\u2028", "\x00", "\x85"]
    ),
    max_size=24,
)


@settings(max_examples=400, deadline=None)
@given(SCHEDULE_TEXT)
def test_every_rejected_schedule_is_one_line(text):
    try:
        parse_schedule(text)
    except ScheduleError as err:
        assert one_line(str(err)), str(err)
        for f in cronjob_findings(manifest(text), NOW):
            assert one_line(f.message), f.message


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("Aa/_-+.09 L") + ["\n", "\t", "\u200b", "\xa0", "\x00"]),
        max_size=20,
    )
)
def test_every_rejected_zone_is_one_line(text):
    try:
        load_zone(text)
    except ScheduleError as err:
        assert one_line(str(err)), str(err)


def test_never_fires_is_decided_as_robfig_walks():
    """The quick rule from the fields agrees with robfig's five-year walk."""
    import random

    from kubectl_batch.domain.cron_warnings import _never_fires

    rng = random.Random(7)
    for _ in range(400):
        dom = rng.choice(["*", "29", "30", "31", "30,31", "1-7", "*/2", ",", "15", "28-31", "?"])
        month = rng.choice(["*", "2", "4,6,9,11", "2,4", "1", "*/3", "11", ","])
        dow = rng.choice(["*", "1", "0-6", "*/2", ",", "?", "*/1"])
        schedule = parse_schedule(f"0 0 {dom} {month} {dow}")
        assert _never_fires(schedule, timezone.utc, NOW) == (schedule.next(NOW) is None), (
            schedule.expr
        )


def test_forbid_history_is_listed_only_when_more_detail_is_asked(capsys, monkeypatch):
    """Live next-runs lists the Jobs for the Forbid check with -o or named CronJobs only."""
    from kubectl_batch.cli import main

    cronjob = recorded_cronjob("db-backup")  # Forbid
    asked = []

    class Client:
        config = type("Config", (), {"namespace": "batch-demo"})()

        def list_pages(self, path, params=None, limit=500, prepare=None):
            asked.append(path)
            items = [cronjob] if path.endswith("/cronjobs") else copy.deepcopy(recorded()["jobs"])
            yield {"metadata": {}, "items": items}

    monkeypatch.setattr("kubectl_batch.commands.connect.connect", lambda args: Client())
    assert main(["next-runs"]) == 0
    assert asked == ["/apis/batch/v1/namespaces/batch-demo/cronjobs"]
    assert main(["next-runs", "-o", "wide"]) == 0
    assert asked[-1] == "/apis/batch/v1/namespaces/batch-demo/jobs"
    capsys.readouterr()


def test_many_runs_in_a_changed_hour_are_summed_up():
    found = codes(manifest("* 2 * * *", "America/New_York"))
    assert "the 60 runs from 02:00 to 02:59 do not happen that day" in found["SkippedHour"]
    assert local_runs("* 2 * * *", "America/New_York", "2027-03-14") == []
    found = codes(manifest("*/10 1 * * *", "America/New_York"))
    assert "robfig/cron runs the 6 runs from 01:00 to 01:50 twice" in found["RepeatedHour"]
    assert len(local_runs("*/10 1 * * *", "America/New_York", "2027-11-07")) == 12
