"""Unit tests for kubectl_batch.domain.cron (robfig/cron v3 + CronJob controller port).

Every expected fire time here was checked against the real robfig/cron v3.0.1
(tests/oracle/cron); test_cron_oracle.py does that on thousands of random cases.
Each test names the rule it pins.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from builders import offset_changes
from hypothesis import given, settings
from hypothesis import strategies as st

from kubectl_batch.domain import cron
from kubectl_batch.domain.cron import (
    EverySchedule,
    MissedSchedules,
    ScheduleError,
    ScheduleLoopError,
    SpecSchedule,
    load_zone,
    parse_duration,
    parse_schedule,
)

UTC = timezone.utc
STAR = 1 << 63


def utc(*args: int, us: int = 0) -> datetime:
    return datetime(*args, microsecond=us, tzinfo=UTC)


def local(zone: str, runs: list[datetime]) -> list[str]:
    tz = ZoneInfo(zone)
    return [r.astimezone(tz).isoformat() for r in runs]


def bits(*values: int) -> int:
    return sum(1 << v for v in values)


def spec(expr: str) -> SpecSchedule:
    s = parse_schedule(expr)
    assert isinstance(s, SpecSchedule)
    return s


# --------------------------------------------------------------------------
# parsing: accepted syntax
# --------------------------------------------------------------------------


class TestStarBit:
    """Rule: DOM/DOW combine with AND if either has the star bit, OR otherwise."""

    @pytest.mark.parametrize("token", ["*", "?", "*/1", "?/1"])
    def test_star_question_and_step_one_set_the_star_bit(self, token):
        assert spec(f"0 0 * * {token}").dow & STAR
        assert spec(f"0 0 {token} * *").dom & STAR

    @pytest.mark.parametrize("token", ["*/2", "?/3", "0-6", "1-31", "0,1,2,3,4,5,6"])
    def test_step_over_one_and_explicit_values_clear_it(self, token):
        field = "dow" if token not in ("1-31",) else "dom"
        expr = f"0 0 * * {token}" if field == "dow" else f"0 0 {token} * *"
        assert not getattr(spec(expr), field) & STAR

    def test_star_dow_means_and(self):
        # dom 1 AND any weekday: only the 1st of each month.
        runs = parse_schedule("0 0 1 * *").next_runs(utc(2024, 1, 1), None, 2)
        assert runs == [utc(2024, 2, 1), utc(2024, 3, 1)]

    def test_star_slash_one_dow_still_means_and(self):
        runs = parse_schedule("0 0 1 * */1").next_runs(utc(2024, 1, 1), None, 2)
        assert runs == [utc(2024, 2, 1), utc(2024, 3, 1)]

    def test_star_slash_two_dow_means_or(self):
        # Unlike Vixie cron (which ANDs whenever the field starts with "*"),
        # robfig ORs: the 1st, or Sun/Tue/Thu/Sat. 2024-01-01 is a Monday.
        runs = parse_schedule("0 0 1 * */2").next_runs(utc(2024, 1, 1), None, 4)
        assert runs == [utc(2024, 1, 2), utc(2024, 1, 4), utc(2024, 1, 6), utc(2024, 1, 7)]

    def test_both_restricted_means_or(self):
        # 13th OR Friday.
        runs = parse_schedule("0 0 13 * 5").next_runs(utc(2024, 1, 1), None, 3)
        assert runs == [utc(2024, 1, 5), utc(2024, 1, 12), utc(2024, 1, 13)]


class TestFieldSyntax:
    def test_single_value_with_step_means_value_to_max(self):
        """Rule: "N/step" means "N-max/step"."""
        assert spec("5/15 * * * *").minute == bits(5, 20, 35, 50)
        assert spec("0 0 * jan/3 *").month == bits(1, 4, 7, 10)
        assert spec("0 0 * * mon/2").dow == bits(1, 3, 5)

    def test_ranges_lists_and_steps(self):
        s = spec("1,2,10-12 9-17/4 1-5,31 * *")
        assert s.minute == bits(1, 2, 10, 11, 12)
        assert s.hour == bits(9, 13, 17)
        assert s.dom == bits(1, 2, 3, 4, 5, 31)

    @pytest.mark.parametrize("name", ["JAN", "jan", "Jan", "jAN"])
    def test_month_names_are_case_insensitive(self, name):
        assert spec(f"0 0 1 {name} *").month == bits(1)

    def test_weekday_names_and_name_ranges(self):
        assert spec("0 0 * * MON-FRI").dow == bits(1, 2, 3, 4, 5)
        assert spec("0 0 * * sun,Sat").dow == bits(0, 6)
        assert spec("0 0 * Mar-May *").month == bits(3, 4, 5)

    def test_names_lowercased_like_go(self):
        """Rule: Go's strings.ToLower maps U+0130 'İ' to 'i', so "FRİ" is Friday."""
        assert spec("0 0 * * FRİ").dow == bits(5)

    def test_names_only_in_month_and_weekday_fields(self):
        with pytest.raises(ScheduleError, match="minute field"):
            parse_schedule("jan * * * *")

    def test_weekday_zero_is_sunday(self):
        assert spec("0 0 * * 0").dow == bits(0)

    @pytest.mark.parametrize("token", ["*-5", "*-H", "?-L-x"])
    def test_star_range_ignores_the_rest(self, token):
        """Rule: robfig ignores whatever follows "*-" ("*-5" and even "*-H" are "*")."""
        assert spec(f"{token} * * * *").minute == spec("* * * * *").minute

    def test_go_atoi_accepts_plus_sign_and_leading_zeros(self):
        """Rule: values go through strconv.Atoi: "+5" and "007" are numbers."""
        assert spec("+5 007 * * *").minute == bits(5)
        assert spec("+5 007 * * *").hour == bits(7)

    def test_empty_list_items_are_skipped(self):
        """Rule: strings.FieldsFunc drops empty items: ",5," is "5"."""
        assert spec(",5, * * * *").minute == bits(5)

    def test_field_of_only_commas_never_fires(self):
        """Rule: "," parses to an empty field, so Next finds nothing (zero time)."""
        assert parse_schedule(", * * * *").next(utc(2024, 1, 1)) is None

    @pytest.mark.parametrize("sep", ["\t", "  ", "\u00a0", "\u2003", "\n"])
    def test_fields_split_on_go_unicode_spaces(self, sep):
        assert spec(sep.join(["5", "4", "*", "*", "*"])).hour == bits(4)

    def test_file_separator_is_not_a_go_space(self):
        """Rule: Python's str.split() splits on U+001C, Go's strings.Fields does not."""
        with pytest.raises(ScheduleError, match="expected exactly 5 fields"):
            parse_schedule("5\x1c4 * * *")

    def test_leading_and_trailing_space_around_fields_is_fine(self):
        assert spec("  0 0 * * *  ").hour == bits(0)


class TestDescriptors:
    @pytest.mark.parametrize(
        ("expr", "after", "expected"),
        [
            ("@yearly", utc(2024, 5, 5), utc(2025, 1, 1)),
            ("@annually", utc(2024, 5, 5), utc(2025, 1, 1)),
            ("@monthly", utc(2024, 5, 5), utc(2024, 6, 1)),
            ("@weekly", utc(2024, 5, 5), utc(2024, 5, 12)),  # Sundays
            ("@daily", utc(2024, 5, 5, 1), utc(2024, 5, 6)),
            ("@midnight", utc(2024, 5, 5, 1), utc(2024, 5, 6)),
            ("@hourly", utc(2024, 5, 5, 1, 1), utc(2024, 5, 5, 2)),
        ],
    )
    def test_descriptors(self, expr, after, expected):
        assert parse_schedule(expr).next(after) == expected

    @pytest.mark.parametrize(
        ("text", "seconds"),
        [
            ("1h30m", 5400),
            ("1.5h", 5400),
            (".5m", 30),
            ("1.m", 60),
            ("90s", 90),
            ("+7m", 420),
            ("1500ms", 1),  # rounded down to whole seconds
            ("500ms", 1),  # minimum one second
            ("1µs", 1),
            ("0", 1),
            ("0s", 1),
            ("-1h", 1),  # negative durations become one second too
            ("25h", 90000),
            ("1h1h", 7200),
        ],
    )
    def test_every_rounds_to_whole_seconds_minimum_one(self, text, seconds):
        """Rule: robfig Every(): < 1 s becomes 1 s, sub-second parts are dropped."""
        s = parse_schedule(f"@every {text}")
        assert isinstance(s, EverySchedule)
        assert s.delay == timedelta(seconds=seconds)

    def test_every_drops_the_sub_second_part_of_after(self):
        """Rule: ConstantDelaySchedule.Next = after + delay - after.Nanosecond()."""
        s = parse_schedule("@every 1h30m")
        assert s.next(utc(2024, 1, 1, us=500_000), "Europe/Berlin") == utc(2024, 1, 1, 1, 30)

    def test_every_ignores_zones_and_dst(self):
        s = parse_schedule("@every 1h")
        after = utc(2024, 3, 10, 6, 30)  # 01:30 EST, an hour before spring forward
        assert s.next_runs(after, "America/New_York", 2) == [
            utc(2024, 3, 10, 7, 30),
            utc(2024, 3, 10, 8, 30),
        ]


class TestParseDuration:
    """Rule: @every takes Go's time.ParseDuration syntax exactly."""

    @pytest.mark.parametrize(
        ("text", "ns"),
        [
            ("0", 0),
            ("-0", 0),
            ("1ns", 1),
            ("1us", 1000),
            ("1μs", 1000),
            ("2h45m", (2 * 3600 + 45 * 60) * 10**9),
            ("0.0000000001h", 360),
            ("0.1234567890123456789012345h", 444_444_440_444),  # float64 maths, like Go
            ("1.99999999999999999999999999s", 2 * 10**9),
            ("1.m", 60 * 10**9),
            ("1.0000000001h", 3600 * 10**9 + 360),
            ("9223372036854775807ns", 2**63 - 1),
            ("2562047h47m16.854775807s", 2**63 - 1),
            ("-9223372036854775808ns", -(2**63)),
        ],
    )
    def test_valid(self, text, ns):
        assert parse_duration(text) == ns

    @pytest.mark.parametrize(
        "text",
        [
            "", "+", "-", "1", "1d", "1e3s", ".s", "1h ", " 1h", "1 h", "1H",
            "9223372036854775808ns", "2562047h47m16.854775808s", "1.5.5s", "١s", "1_0s",
        ],
    )  # fmt: skip
    def test_invalid(self, text):
        with pytest.raises(ValueError):
            parse_duration(text)

    @given(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 10_000))
    def test_hms_round_trip(self, h, m, s):
        assert parse_duration(f"{h}h{m}m{s}s") == (h * 3600 + m * 60 + s) * 10**9


# --------------------------------------------------------------------------
# parsing: rejections
# --------------------------------------------------------------------------


class TestRejections:
    @pytest.mark.parametrize(
        ("expr", "message"),
        [
            ("0 0 L * *", 'day-of-month field "L" is not supported'),
            ("0 0 15W * *", 'day-of-month field "15W" is not supported'),
            ("0 0 LW * *", "is not supported"),
            ("0 0 * * 5L", 'day-of-week field "5L" is not supported'),
            ("0 0 * * 1#3", 'day-of-week field "1#3" is not supported'),
            ("H * * * *", 'minute field "H" is not supported'),
            ("H/15 * * * *", 'minute field "H/15" is not supported'),
            ("0 H(0-5) * * *", 'hour field "H(0-5)" is not supported'),
        ],
    )
    def test_quartz_and_jenkins_extensions(self, expr, message):
        """Rule: L, W, #, H are not robfig syntax; say so specifically."""
        with pytest.raises(ScheduleError, match=message.replace("(", r"\(").replace(")", r"\)")):
            parse_schedule(expr)

    def test_message_names_schedule_field_and_syntax(self):
        with pytest.raises(ScheduleError) as err:
            parse_schedule("0 0 L * *")
        assert str(err.value).startswith('schedule "0 0 L * *": day-of-month field "L"')
        assert "5-field robfig/cron syntax" in str(err.value)

    @pytest.mark.parametrize(
        ("expr", "count"),
        [("0 0 0 * * *", 6), ("0 0 0 * * * 2024", 7), ("0 0 * * * ?", 6), ("* * * *", 4), (" ", 0)],
    )
    def test_field_count(self, expr, count):
        """Rule: exactly five fields; no seconds or year field."""
        with pytest.raises(ScheduleError, match=f"expected exactly 5 fields.*found {count}"):
            parse_schedule(expr)

    def test_six_fields_hint_at_seconds(self):
        with pytest.raises(ScheduleError, match="seconds and year fields are not supported"):
            parse_schedule("0 0 0 * * *")

    @pytest.mark.parametrize(
        "expr",
        ["TZ=UTC 0 0 * * *", "CRON_TZ=Europe/Berlin 0 0 * * *", "TZ=UTC @daily", "0 0 * * * TZ"],
    )
    def test_tz_in_schedule(self, expr):
        """Rule: the API rejects any schedule containing "TZ" (use spec.timeZone)."""
        with pytest.raises(ScheduleError, match="set spec.timeZone instead"):
            parse_schedule(expr)

    def test_lowercase_tz_is_just_a_bad_field_count(self):
        with pytest.raises(ScheduleError, match="found 6"):
            parse_schedule("tz=UTC 0 0 * * *")

    @pytest.mark.parametrize("expr", ["0 0 * * 7", "0 0 * * 0-7", "0 0 * * 5-7", "0 0 * * 7/2"])
    def test_weekday_seven(self, expr):
        """Rule: weekday is 0-6; 7 is rejected (unlike many crons)."""
        with pytest.raises(ScheduleError, match="7 is not accepted"):
            parse_schedule(expr)

    @pytest.mark.parametrize(
        ("expr", "field"),
        [
            ("60 * * * *", "minute"),
            ("* 24 * * *", "hour"),
            ("* * 0 * *", "day-of-month"),
            ("* * 32 * *", "day-of-month"),
            ("* * * 0 *", "month"),
            ("* * * 13 *", "month"),
            ("0-60 * * * *", "minute"),
            ("60/5 * * * *", "minute"),
        ],
    )
    def test_out_of_range(self, expr, field):
        with pytest.raises(ScheduleError, match=f"{field} field"):
            parse_schedule(expr)

    @pytest.mark.parametrize(
        ("expr", "message"),
        [
            ("5-3 * * * *", "starts after it ends"),
            ("*/0 * * * *", "must be a positive number"),
            ("*/-1 * * * *", "negative number"),
            ("1-2-3 * * * *", 'too many "-"'),
            ("1/2/3 * * * *", 'too many "/"'),
            ("x * * * *", "not a number"),
            ("5- * * * *", "not a number"),
            ("-5 * * * *", "not a number"),
            ("*/ * * * *", "not a number"),
            ("0x5 * * * *", "not a number"),
            ("1_0 * * * *", "not a number"),
            ("٣ * * * *", "not a number"),  # Python int() would accept Arabic-Indic digits
            ("0/9223372036854775808 * * * *", "out of range"),
            ("0 0 * foo *", "neither a number nor one of JAN"),
        ],
    )
    def test_malformed_ranges(self, expr, message):
        with pytest.raises(ScheduleError, match=message):
            parse_schedule(expr)

    def test_huge_step_that_fits_int64_is_accepted(self):
        assert spec("0/9223372036854775807 * * * *").minute == bits(0)

    @pytest.mark.parametrize(
        "expr",
        [
            "@reboot",
            "@Daily",
            "@daily ",
            "@every",
            "@every ",
            "@every 1d",
            "@every  1h",
            "@every 1h ",
        ],
    )
    def test_bad_descriptors(self, expr):
        """Rule: descriptors match exactly (case, trailing space); @every needs a Go duration."""
        with pytest.raises(ScheduleError, match=r"descriptor|Go duration"):
            parse_schedule(expr)

    def test_descriptor_with_leading_space_is_a_one_field_spec(self):
        with pytest.raises(ScheduleError, match="found 1"):
            parse_schedule(" @daily")

    def test_empty(self):
        with pytest.raises(ScheduleError, match="empty"):
            parse_schedule("")

    def test_schedule_error_is_a_value_error(self):
        assert issubclass(ScheduleError, ValueError)


# --------------------------------------------------------------------------
# property tests for validation
# --------------------------------------------------------------------------

FIELD_BOUNDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]


@st.composite
def range_expr(draw, lo: int, hi: int) -> tuple[str, set[int]]:
    kind = draw(
        st.sampled_from(["star", "value", "range", "range_step", "value_step", "star_step"])
    )
    if kind == "star":
        return draw(st.sampled_from(["*", "?"])), set(range(lo, hi + 1))
    if kind == "star_step":
        step = draw(st.integers(1, hi - lo + 2))
        return f"*/{step}", set(range(lo, hi + 1, step))
    a = draw(st.integers(lo, hi))
    if kind == "value":
        return str(a), {a}
    if kind == "value_step":
        step = draw(st.integers(1, 70))
        return f"{a}/{step}", set(range(a, hi + 1, step))
    b = draw(st.integers(a, hi))
    if kind == "range":
        return f"{a}-{b}", set(range(a, b + 1))
    step = draw(st.integers(1, 70))
    return f"{a}-{b}/{step}", set(range(a, b + 1, step))


@st.composite
def field_expr(draw, index: int) -> tuple[str, set[int]]:
    lo, hi = FIELD_BOUNDS[index]
    parts = draw(st.lists(range_expr(lo, hi), min_size=1, max_size=4))
    return ",".join(p for p, _ in parts), set().union(*(v for _, v in parts))


@st.composite
def well_formed(draw) -> tuple[str, list[set[int]]]:
    fields = [draw(field_expr(i)) for i in range(5)]
    return " ".join(f for f, _ in fields), [v for _, v in fields]


@given(well_formed())
def test_well_formed_specs_parse_to_their_values(case):
    """Property: every well-formed 5-field spec parses, to exactly the listed values."""
    expr, values = case
    s = spec(expr)
    for got, want in zip((s.minute, s.hour, s.dom, s.month, s.dow), values, strict=True):
        assert got & ~STAR == bits(*want)


@given(well_formed(), st.sampled_from(["7", "0-7", "3-7", "7/1", "1,7", "7-7"]))
def test_any_weekday_seven_is_rejected(case, dow):
    """Property: a day-of-week field mentioning 7 is always rejected."""
    expr, _ = case
    fields = expr.split(" ")
    fields[4] = dow
    with pytest.raises(ScheduleError, match="day-of-week"):
        parse_schedule(" ".join(fields))


@given(well_formed(), st.integers(0, 4), st.data())
def test_out_of_range_values_are_rejected(case, index, data):
    """Property: a value outside a field's bounds anywhere in the field is rejected."""
    expr, _ = case
    lo, hi = FIELD_BOUNDS[index]
    bad = data.draw(st.one_of(st.integers(hi + 1, 10_000), st.just(lo - 1) if lo else st.nothing()))
    fields = expr.split(" ")
    fields[index] = data.draw(st.sampled_from([f"{bad}", f"{fields[index]},{bad}", f"{lo}-{bad}"]))
    with pytest.raises(ScheduleError):
        parse_schedule(" ".join(fields))


@settings(max_examples=150)
@given(
    well_formed(),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
)
def test_next_in_utc_matches_and_nothing_earlier_matches(case, after):
    """Property (UTC): next() is strictly later, matches every field, and is the first match."""
    expr, values = case
    s = spec(expr)
    after = after.replace(tzinfo=UTC)
    got = s.next(after)
    star = bool(s.dom & STAR or s.dow & STAR)

    def matches(t: datetime) -> bool:
        dom_ok, dow_ok = t.day in values[2], (t.isoweekday() % 7) in values[4]
        day_ok = (dom_ok and dow_ok) if star else (dom_ok or dow_ok)
        return t.minute in values[0] and t.hour in values[1] and t.month in values[3] and day_ok

    if got is None:
        return
    assert got > after and got.second == 0 and got.microsecond == 0 and matches(got)
    if got - after < timedelta(hours=6):
        t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
        while t < got:
            assert not matches(t), t
            t += timedelta(minutes=1)


@given(
    st.text(alphabet="LWH#lwh0123456789-,/", min_size=1, max_size=6).filter(
        lambda s: any(c in s for c in "LWH#lwh")
    )
)
def test_letters_l_w_h_and_hash_never_parse_in_the_minute_field(token):
    """Property: L/W/H/# never make a valid minute field (but "*-H" is "*", see above)."""
    with pytest.raises(ScheduleError, match="minute field"):
        parse_schedule(f"{token} * * * *")


# --------------------------------------------------------------------------
# time zones
# --------------------------------------------------------------------------


class TestZones:
    def test_unset_zone_is_utc(self):
        assert load_zone(None) is cron.DEFAULT_ZONE is UTC
        assert load_zone("") is UTC

    def test_iana_names(self):
        assert load_zone("UTC").utcoffset(None) == timedelta(0)
        assert str(load_zone("America/New_York")) == "America/New_York"
        assert str(load_zone("Etc/GMT+5")) == "Etc/GMT+5"

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("Local", '"Local"'),
            ("local", '"Local"'),
            ("LOCAL", '"Local"'),
            (" UTC", "not a valid IANA zone name"),
            ("UTC ", "not a valid IANA zone name"),
            ("America/New York", "not a valid IANA zone name"),
            ("America//New_York", "not a valid IANA zone name"),
            ("/UTC", "not a valid IANA zone name"),
            ("../zoneinfo/UTC", "not a valid IANA zone name"),
            ("-UTC", "not a valid IANA zone name"),
            ("America/Buenos_Aires_x1", "not a valid IANA zone name"),  # part > 14 chars
            ("Mars/Olympus", "unknown time zone"),
            ("zone.tab", "unknown time zone"),  # a file in the zoneinfo dir, not a zone
        ],
    )
    def test_rejected_names(self, name, message):
        """Rule: the API's validateTimeZone (character set, no Local, must load)."""
        with pytest.raises(ScheduleError, match=message):
            load_zone(name)

    def test_next_accepts_zone_names(self):
        s = parse_schedule("0 9 * * *")
        assert s.next(utc(2024, 1, 1), "Asia/Kolkata") == utc(2024, 1, 1, 3, 30)
        with pytest.raises(ScheduleError):
            s.next(utc(2024, 1, 1), "Mars/Olympus")


# --------------------------------------------------------------------------
# Next: basics, give-up, DST
# --------------------------------------------------------------------------


class TestNext:
    def test_strictly_after(self):
        assert parse_schedule("0 0 * * *").next(utc(2024, 1, 1)) == utc(2024, 1, 2)
        assert parse_schedule("0 0 * * *").next(utc(2023, 12, 31, 23, 59, 59, us=999_999)) == utc(
            2024, 1, 1
        )

    def test_returns_aware_utc(self):
        got = parse_schedule("0 9 * * *").next(utc(2024, 1, 1), "Europe/Berlin")
        assert got == utc(2024, 1, 1, 8) and got.tzinfo is UTC

    def test_after_in_any_zone(self):
        after = datetime(2024, 1, 1, 10, tzinfo=ZoneInfo("Asia/Tokyo"))  # 01:00Z
        assert parse_schedule("0 * * * *").next(after) == utc(2024, 1, 1, 2)

    def test_naive_after_is_an_error(self):
        with pytest.raises(ValueError, match="aware"):
            parse_schedule("* * * * *").next(datetime(2024, 1, 1))

    def test_next_runs(self):
        runs = parse_schedule("*/20 * * * *").next_runs(utc(2024, 1, 1), None, 4)
        assert runs == [utc(2024, 1, 1, 0, m) for m in (20, 40)] + [
            utc(2024, 1, 1, 1, 0),
            utc(2024, 1, 1, 1, 20),
        ]

    def test_gives_up_after_five_years(self):
        """Rule: no match within five years -> None (Go's zero time)."""
        assert parse_schedule("0 0 30 2 *").next(utc(2024, 1, 1)) is None
        assert parse_schedule("0 0 31 4,6,9,11 *").next_runs(utc(2024, 1, 1), None, 3) == []

    def test_leap_day_gives_up_across_2100(self):
        """Rule: the 5-year limit bites for Feb 29 around 2100 (no leap day 2097-2103)."""
        s = parse_schedule("0 0 29 2 *")
        assert s.next(utc(2024, 3, 1)) == utc(2028, 2, 29)
        assert s.next(utc(2096, 3, 1)) is None

    def test_next_runs_stops_at_give_up(self):
        assert parse_schedule("0 0 29 2 *").next_runs(utc(2088, 1, 1), None, 5) == [
            utc(2088, 2, 29),
            utc(2092, 2, 29),
            utc(2096, 2, 29),
        ]

    def test_odd_second_offsets_use_absolute_truncation(self):
        """Rule: Truncate(time.Minute) works on absolute time (Africa/Monrovia was -0:44:30)."""
        runs = parse_schedule("5 12 * * *").next_runs(utc(1950, 1, 1), "Africa/Monrovia", 2)
        assert local("Africa/Monrovia", runs) == [
            "1950-01-01T12:05:00-00:44:30",
            "1950-01-02T12:05:00-00:44:30",
        ]


class TestGoTimeDate:
    """Rule: Go's time.Date resolves gaps/overlaps by the zone's sign, not like Python's fold."""

    @pytest.mark.parametrize(
        ("zone", "wall", "expected"),
        [
            ("America/New_York", (2024, 3, 10, 2, 30), "2024-03-10T01:30:00-05:00"),  # gap: back
            ("America/New_York", (2024, 11, 3, 1, 30), "2024-11-03T01:30:00-04:00"),  # 1st
            ("Europe/Berlin", (2024, 3, 31, 2, 30), "2024-03-31T03:30:00+02:00"),  # gap: fwd
            ("Europe/Berlin", (2024, 10, 27, 2, 30), "2024-10-27T02:30:00+01:00"),  # 2nd
            ("Pacific/Apia", (2011, 12, 30, 0, 0), "2011-12-29T00:00:00-10:00"),  # lost day
            ("America/New_York", (2024, 13, 32, 25, 61), "2025-02-02T02:01:00-05:00"),  # norm
        ],
    )
    def test_go_date(self, zone, wall, expected):
        z = cron._resolve_zone(zone)
        unix = z.date(*wall, 0)
        assert datetime.fromtimestamp(unix, ZoneInfo(zone)).isoformat() == expected


class TestDaylightSaving:
    def test_new_york_spring_forward_skips_the_day(self):
        """Rule: 02:30 does not exist on 2024-03-10; robfig skips that day (no 03:30 run)."""
        runs = parse_schedule("30 2 * * *").next_runs(utc(2024, 3, 9, 12), "America/New_York", 3)
        assert local("America/New_York", runs) == [
            "2024-03-11T02:30:00-04:00",
            "2024-03-12T02:30:00-04:00",
            "2024-03-13T02:30:00-04:00",
        ]

    def test_new_york_fall_back_runs_twice(self):
        """Rule: 01:30 happens twice on 2024-11-03 and robfig fires at both."""
        runs = parse_schedule("30 1 * * *").next_runs(utc(2024, 11, 2, 12), "America/New_York", 3)
        assert local("America/New_York", runs) == [
            "2024-11-03T01:30:00-04:00",
            "2024-11-03T01:30:00-05:00",
            "2024-11-04T01:30:00-05:00",
        ]

    def test_new_york_hourly_across_both_transitions(self):
        """Rule: hourly jobs follow real hours: 01:00 then 03:00; 01:00 EDT, 01:00 EST, 02:00."""
        s = parse_schedule("0 * * * *")
        spring = s.next_runs(utc(2024, 3, 10, 5, 30), "America/New_York", 2)
        assert local("America/New_York", spring) == [
            "2024-03-10T01:00:00-05:00",
            "2024-03-10T03:00:00-04:00",
        ]
        fall = s.next_runs(utc(2024, 11, 3, 4, 30), "America/New_York", 3)
        assert local("America/New_York", fall) == [
            "2024-11-03T01:00:00-04:00",
            "2024-11-03T01:00:00-05:00",
            "2024-11-03T02:00:00-05:00",
        ]

    def test_berlin_spring_and_fall(self):
        s = parse_schedule("30 2 * * *")
        spring = s.next_runs(utc(2024, 3, 30), "Europe/Berlin", 2)
        assert local("Europe/Berlin", spring) == [
            "2024-03-30T02:30:00+01:00",
            "2024-04-01T02:30:00+02:00",  # 2024-03-31 skipped
        ]
        fall = s.next_runs(utc(2024, 10, 26), "Europe/Berlin", 3)
        assert local("Europe/Berlin", fall) == [
            "2024-10-26T02:30:00+02:00",
            "2024-10-27T02:30:00+02:00",
            "2024-10-27T02:30:00+01:00",  # twice
        ]

    def test_lord_howe_half_hour_fall_back(self):
        """Rule: Lord Howe repeats 01:30-02:00 (30-minute DST): */30 fires at 01:30 twice."""
        runs = parse_schedule("*/30 * * * *").next_runs(
            utc(2024, 4, 6, 14), "Australia/Lord_Howe", 3
        )
        assert local("Australia/Lord_Howe", runs) == [
            "2024-04-07T01:30:00+11:00",
            "2024-04-07T01:30:00+10:30",
            "2024-04-07T02:00:00+10:30",
        ]

    def test_lord_howe_two_am_skipped_on_both_transition_days(self):
        """Rule: hour stepping is +1h absolute, so 02:00 is jumped over on 04-07 and 10-06."""
        s = parse_schedule("0 2 * * *")
        fall = s.next(utc(2024, 4, 6), "Australia/Lord_Howe")
        spring = s.next(utc(2024, 10, 5), "Australia/Lord_Howe")
        assert local("Australia/Lord_Howe", [fall, spring]) == [
            "2024-04-08T02:00:00+10:30",
            "2024-10-07T02:00:00+11:00",
        ]

    def test_santiago_midnight_gap_skips_the_day(self):
        """Rule: midnight does not exist on 2024-09-08 in Santiago; robfig's day loop skips it."""
        runs = parse_schedule("0 0 * * *").next_runs(utc(2024, 9, 6), "America/Santiago", 3)
        assert local("America/Santiago", runs) == [
            "2024-09-06T00:00:00-04:00",
            "2024-09-07T00:00:00-04:00",
            "2024-09-09T00:00:00-03:00",
        ]

    def test_sao_paulo_midnight_gap_skips_the_day(self):
        runs = parse_schedule("0 0 * * *").next_runs(utc(2018, 11, 3), "America/Sao_Paulo", 2)
        assert local("America/Sao_Paulo", runs) == [
            "2018-11-03T00:00:00-03:00",
            "2018-11-05T00:00:00-02:00",
        ]

    def test_apia_skipped_day_with_hourly_stepping(self):
        """Rule: Samoa skipped 2011-12-30; daily runs go from the 29th to the 31st."""
        runs = parse_schedule("0 12 * * *").next_runs(utc(2011, 12, 29), "Pacific/Apia", 2)
        assert local("Pacific/Apia", runs) == [
            "2011-12-29T12:00:00-10:00",
            "2011-12-31T12:00:00+14:00",
        ]

    @pytest.mark.parametrize("expr", ["0 0 1 * *", "0 12 31 * *", "0 0 * * 6"])
    def test_apia_skipped_day_makes_robfig_loop_forever(self, expr):
        """Rule: stepping a day from 2011-12-29 00:00 in Apia lands on itself; robfig hangs."""
        with pytest.raises(ScheduleLoopError, match="loops forever"):
            parse_schedule(expr).next(utc(2011, 12, 29, 12), "Pacific/Apia")


# --------------------------------------------------------------------------
# the controller's bookkeeping
# --------------------------------------------------------------------------


class TestMostRecentScheduleTime:
    every5 = parse_schedule("*/5 * * * *")

    def test_nothing_due_yet(self):
        r = cron.most_recent_schedule_time(
            self.every5, None, anchor=utc(2024, 1, 1), now=utc(2024, 1, 1, 0, 4)
        )
        assert r == cron.RecentSchedule(utc(2024, 1, 1), None, MissedSchedules.NONE)

    def test_first_run_due(self):
        r = cron.most_recent_schedule_time(
            self.every5, None, anchor=utc(2024, 1, 1), now=utc(2024, 1, 1, 0, 7)
        )
        assert r.most_recent == utc(2024, 1, 1, 0, 5) and r.missed is MissedSchedules.NONE

    def test_only_the_most_recent_missed_run_and_too_many(self):
        """Rule: >100 missed start times -> MANY / TooManyMissedTimes, still runs the latest."""
        due = cron.next_schedule_time(
            self.every5, None, anchor=utc(2024, 1, 1), now=utc(2024, 1, 1, 10, 2)
        )
        assert due == cron.DueRun(utc(2024, 1, 1, 10), True)

    def test_few_missed_is_not_too_many(self):
        due = cron.next_schedule_time(
            self.every5, None, anchor=utc(2024, 1, 1), now=utc(2024, 1, 1, 1, 2)
        )
        assert due == cron.DueRun(utc(2024, 1, 1, 1), False)

    def test_starting_deadline_moves_the_anchor(self):
        """Rule: the controller never looks before now - startingDeadlineSeconds."""
        r = cron.most_recent_schedule_time(
            self.every5,
            None,
            anchor=utc(2024, 1, 1),
            now=utc(2024, 1, 1, 10),
            starting_deadline_seconds=200,
        )
        assert r.earliest == utc(2024, 1, 1, 9, 56, 40)
        assert r.most_recent == utc(2024, 1, 1, 10)
        assert r.missed is MissedSchedules.NONE

    def test_interval_approximation_quirk_loses_a_missed_run(self):
        """Rule: missed runs are counted with t2 - t1 as the interval; for "0 0 1,2 * *" from
        Dec 31 (t1 = Jan 1, t2 = Jan 2) the search starts at Jan 19 and misses Jan 2."""
        s = parse_schedule("0 0 1,2 * *")
        r = cron.most_recent_schedule_time(s, None, anchor=utc(2023, 12, 31), now=utc(2024, 1, 20))
        assert r.most_recent is None and r.missed is MissedSchedules.FEW and r.error is None
        due = cron.next_schedule_time(s, None, anchor=utc(2023, 12, 31), now=utc(2024, 1, 20))
        assert due.scheduled_time is None
        delay = cron.next_requeue_delay(s, None, anchor=utc(2023, 12, 31), now=utc(2024, 1, 20))
        assert delay == timedelta(days=12, milliseconds=100)  # next look: Feb 1

    def test_schedule_without_runs_is_an_invalid_schedule(self):
        """Rule: t1, t2 both zero -> "time difference ... less than 1 second" (InvalidSchedule)."""
        s = parse_schedule("0 0 30 2 *")
        due = cron.next_schedule_time(s, None, anchor=utc(2024, 3, 9, 12), now=utc(2025, 3, 9))
        assert due.scheduled_time is None
        assert due.error == "time difference between two schedules is less than 1 second"

    def test_give_up_inside_the_search_loop(self):
        """Rule: t1 is the zero time (no Feb 29 in 2097-2102), Go then walks from year 4 and
        gives up again at 300 AD, restarting forever; we report that instead of hanging."""
        s = parse_schedule("0 0 29 2 *")
        due = cron.next_schedule_time(s, None, anchor=utc(2097, 1, 1), now=utc(2098, 1, 1))
        assert due.scheduled_time is None and "loop forever" in (due.error or "")

    def test_every_schedule(self):
        s = parse_schedule("@every 90s")
        due = cron.next_schedule_time(s, None, anchor=utc(2024, 1, 1), now=utc(2024, 1, 1, 0, 10))
        assert due == cron.DueRun(utc(2024, 1, 1, 0, 9), False)

    def test_zone_is_used(self):
        s = parse_schedule("0 9 * * *")
        due = cron.next_schedule_time(
            s, "America/New_York", anchor=utc(2024, 1, 1), now=utc(2024, 1, 1, 15)
        )
        assert due.scheduled_time == utc(2024, 1, 1, 14)

    def test_requeue_delay(self):
        """Rule: nextScheduleTimeDuration = next run after the latest one + 100 ms - now."""
        delay = cron.next_requeue_delay(
            self.every5, None, anchor=utc(2024, 1, 1), now=utc(2024, 1, 1, 0, 7)
        )
        assert delay == timedelta(minutes=3, milliseconds=100)

    def test_missed_starting_deadline(self):
        """Rule: tooLate = scheduledTime + startingDeadlineSeconds < now (MissSchedule)."""
        t = utc(2024, 1, 1)
        assert not cron.missed_starting_deadline(t, t + timedelta(days=9), None)
        assert not cron.missed_starting_deadline(t, t + timedelta(seconds=10), 10)
        assert cron.missed_starting_deadline(t, t + timedelta(seconds=10, microseconds=1), 10)

    def test_schedule_anchor(self):
        assert cron.schedule_anchor(utc(2024, 1, 1), None) == utc(2024, 1, 1)
        assert cron.schedule_anchor(utc(2024, 1, 1), utc(2024, 2, 1)) == utc(2024, 2, 1)


# --------------------------------------------------------------------------
# zone data, and the skips in robfig's loops
# --------------------------------------------------------------------------

DST_ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Europe/London",
    "Australia/Lord_Howe",  # 30-minute DST
    "America/Santiago",  # DST at 24:00
    "America/Havana",  # DST at midnight
    "America/Asuncion",  # DST at midnight, on 2023-10-01 too
    "America/Sao_Paulo",  # DST at midnight until 2019
    "Asia/Beirut",
    "Asia/Tehran",
    "Asia/Gaza",
    "Africa/Casablanca",  # negative DST around Ramadan
    "Antarctica/Troll",  # 2-hour DST
    "Pacific/Chatham",  # +12:45 / +13:45
    "Pacific/Apia",  # skipped 2011-12-30
    "America/St_Johns",
    "Africa/Monrovia",  # -0:44:30 until 1972
    "Europe/Amsterdam",  # +0:19:32 until 1937
    "Asia/Tokyo",
    "Etc/GMT-14",
    "UTC",
]


def stamp(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


class TestZoneData:
    """Rule: offsets are zoneinfo's, to the second; sampling every _SPAN_STEP finds them all."""

    @pytest.mark.parametrize("zone", DST_ZONES)
    def test_offsets_and_spans_match_zoneinfo(self, zone):
        import random

        rng = random.Random(zone)
        tz, z = ZoneInfo(zone), cron._Zone(ZoneInfo(zone))
        changes = offset_changes(zone, stamp(2010, 1, 1), stamp(2013, 1, 1))
        changes += offset_changes(zone, stamp(2024, 1, 1), stamp(2027, 1, 1))
        instants = [c + d for c in changes for d in (-3601, -1, 0, 1, 1799, 3600)]
        instants += [rng.randint(stamp(1900, 1, 1), stamp(2100, 1, 1)) for _ in range(100)]
        for sec in instants:
            want = datetime.fromtimestamp(sec, tz).utcoffset() // timedelta(seconds=1)
            assert z.offset(sec) == want, (zone, sec)
            lo, hi, off = z.span(sec)
            assert lo <= sec < hi and off == want
            assert datetime.fromtimestamp(lo, tz).utcoffset() // timedelta(seconds=1) == off
            end = z.steady(sec, sec + 400 * 86400)
            if end <= sec + 400 * 86400:  # a real change: the offset differs there
                assert datetime.fromtimestamp(end, tz).utcoffset() // timedelta(seconds=1) != off
                assert end in changes or not (stamp(2010, 1, 1) < end < stamp(2013, 1, 1))

    def test_no_zone_changes_its_offset_twice_within_the_sampling_step(self):
        """_Zone samples the offset every _SPAN_STEP: it would miss a change and its undoing
        closer together than that. None of the IANA zones installed here has one (the closest
        are about four days apart). Reads the TZif data with the pure-Python zoneinfo."""
        import zoneinfo

        zi = pytest.importorskip("zoneinfo._zoneinfo")
        if not hasattr(zi.ZoneInfo, "no_cache"):
            pytest.skip("this zoneinfo has no pure-Python implementation to read TZif data")
        closest = (float("inf"), "")
        for key in sorted(zoneinfo.available_timezones()):
            z = zi.ZoneInfo.no_cache(key)
            prev = z._tti_before.utcoff if z._tti_before else None
            changes = []
            for when, tti in zip(z._trans_utc, z._ttinfos, strict=True):
                if tti.utcoff != prev:
                    changes.append(when)
                prev = tti.utcoff
            rule = z._tz_after
            if hasattr(rule, "transitions"):  # a POSIX TZ rule after the table: to 2400
                first = datetime.fromtimestamp(changes[-1], UTC).year if changes else 1970
                std, dst = rule.std.utcoff.total_seconds(), rule.dst.utcoff.total_seconds()
                after = changes[-1] if changes else float("-inf")
                for year in range(max(first, 1970), 2401):
                    start, end = rule.transitions(year)
                    changes += [t for t in (start - std, end - dst) if t > after]
            changes.sort()
            for a, b in zip(changes, changes[1:], strict=False):
                closest = min(closest, (b - a, key))
        assert closest[0] > cron._SPAN_STEP, closest


class TestSkips:
    """Rule: skipping the steps robfig's loops take within one offset changes nothing."""

    SCHEDULES = [
        "30 2 * * *", "*/7 1-3 * * *", "0 */2 * * *", "0 0 * * *", "30 0 * * *", "59 23 * * *",
        "15 1,2,3 * * *", "*/30 * * * *", "0 * * * *", "* * * * *", "0 0 1 * *", "0 12 31 * *",
        "0 0 29 2 *", "0 0 30 2 *", "30 2 15 3 *", "0 0 1 11 *", "30 1 * 10 0", "0 9 * * 1-5",
        "45 23 28-31 * *", "0 0 * * 6", "0 3 1,15 3,4,9,10 *", "*/15 9-17 * 1 1-5", "@hourly",
        "@daily", "@weekly", "@monthly", "@yearly", "0 0 */10 */3 *", "5 4 * 12 *",
        "0,30 0-3 25-31 3,10 *", "0 2 * 3 0", "1 0 1 1 *", "0 0 * * 1,3,5", "59 23 31 12 *",
        "0 1 * * *", "0 2 * * *", "0 3 * * *", "30 3 * * *", "0 4 * * *", "0 23 * * *",
    ]  # fmt: skip

    @staticmethod
    def random_schedule(rng) -> str:
        return " ".join(
            [
                rng.choice(["0", "30", "*/7", "*/15", "59", str(rng.randint(0, 59))]),
                rng.choice(["*", "0", "1", "2", "3", "23", "1-3", "*/2", str(rng.randint(0, 23))]),
                rng.choice(["*", "*", "1", "15", "28-31", "*/10", str(rng.randint(1, 31))]),
                rng.choice(["*", "*", "3", "10", "3,10", "*/4", str(rng.randint(1, 12))]),
                rng.choice(["*", "*", "0", "1-5", "6", str(rng.randint(0, 6))]),
            ]
        )

    @staticmethod
    def compare(expr: str, zone: str, ns: int, count: int) -> int:
        s, z = spec(expr), cron._resolve_zone(zone)
        for i in range(count):
            try:
                stepped = s._walk_next_ns(ns, z, jump=False)
            except ScheduleLoopError as err:
                stepped = str(err)
            try:
                jumped = s._walk_next_ns(ns, z)
            except ScheduleLoopError as err:
                jumped = str(err)
            assert jumped == stepped, (expr, zone, ns)
            if not isinstance(stepped, int):
                return i + 1
            ns = stepped
        return count

    @pytest.mark.parametrize("zone", [z for z in DST_ZONES if z != "UTC" and "GMT" not in z])
    def test_every_schedule_across_each_change(self, zone):
        """Each schedule from shortly (and long) before each offset change of a few years."""
        changes = offset_changes(zone, stamp(2011, 1, 1), stamp(2012, 1, 1))
        changes += offset_changes(zone, stamp(2025, 1, 1), stamp(2026, 1, 1))
        for change in changes:
            for expr in self.SCHEDULES:
                for before in (1, 2 * 3600, 86400 + 1, 40 * 86400):
                    self.compare(expr, zone, (change - before) * 1_000_000_000, 2)

    @pytest.mark.parametrize("expr", ["0 0 1 3 *", "0 0 * 2 *", "30 1 31 * *", "0 0 * 12 0"])
    def test_months_from_a_first_that_time_date_moves_to_the_day_before(self, expr):
        """Rule: 2023-10-01 00:00 does not exist in Asuncion; time.Date gives Sep 30 23:00,
        from which AddDate(0, 1, 0) normalises day 30 (Jan 30 + 1 month is Mar 2)."""
        self.compare(expr, "America/Asuncion", stamp(2023, 10, 1, 4, 30) * 1_000_000_000, 4)

    def test_jumping_walk_equals_the_step_by_step_walk(self):
        import random

        rng = random.Random(20240310)
        starts: dict[str, list[int]] = {}
        for zone in DST_ZONES:
            changes = offset_changes(zone, stamp(2011, 1, 1), stamp(2013, 1, 1))
            changes += offset_changes(zone, stamp(2024, 1, 1), stamp(2027, 1, 1))
            starts[zone] = changes
        cases = 0
        for _ in range(1500):
            zone = rng.choice(DST_ZONES)
            expr = rng.choice(self.SCHEDULES) if rng.random() < 0.6 else self.random_schedule(rng)
            r = rng.random()
            if starts[zone] and r < 0.6:
                sec = rng.choice(starts[zone]) + rng.choice(
                    [rng.randint(-86400, 86400), rng.randint(-60 * 86400, 86400), -1, 0, 1]
                )
            elif r < 0.7:
                sec = rng.randint(stamp(1925, 1, 1), stamp(1972, 6, 1))  # odd-second offsets
            else:
                sec = rng.randint(stamp(1995, 1, 1), stamp(2045, 1, 1))
            ns = sec * 1_000_000_000 + rng.choice([0, 1, 999_999_999])
            cases += self.compare(expr, zone, ns, 3)
        assert cases > 3000
