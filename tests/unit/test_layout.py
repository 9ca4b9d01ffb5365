"""The layout: which columns a table shows at a width, and how wide; how a detail
header's lines wrap or are abbreviated at a width."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import fixtures.tui_fakes  # noqa: F401 - local time is UTC, as on every machine

from kubectl_batch.tui.layout import Fit, Want, fit, want
from kubectl_batch.tui.present import CRONJOB_COLUMNS, JOB_COLUMNS, Column
from kubectl_batch.tui.screens.cronjob_detail import next_run_line
from kubectl_batch.tui.text import packed


def wants(columns: list[Column], longest: int = 22) -> list[Want]:
    return [want(c.fit, len(c.label), longest if c.sized_by else None) for c in columns]


def shown(columns: dict[str, Column], width: int, longest: int = 22, namespaces: bool = False):
    """Labels of the columns shown (in order) at a table ``width`` with a scrollbar."""
    cols = [c for c in columns.values() if c.key != "namespace" or namespaces]
    widths = fit(wants(cols, longest), width - 1)
    return [c.label for c, w in zip(cols, widths, strict=True) if w]


def test_at_80_columns_the_jobs_table_shows_the_columns_that_matter():
    assert shown(JOB_COLUMNS, 80) == ["NAME", "STATUS", "COMPLETIONS", "WHY", "AGE"]


def test_at_80_columns_the_cronjobs_table_shows_schedule_next_run_and_recent():
    assert shown(CRONJOB_COLUMNS, 80, longest=40) == ["NAME", "SCHEDULE", "NEXT RUN", "RECENT"]


def test_short_names_leave_room_for_more_columns():
    assert "TIME ZONE" in shown(CRONJOB_COLUMNS, 80, longest=13)


def test_wider_terminals_add_the_rest_in_priority_order():
    seen: list[str] = []
    for width in range(80, 260):
        now = shown(JOB_COLUMNS, width)
        assert set(seen) <= set(now), f"a column went away at {width}"
        seen = now
    assert seen == [c.label for c in JOB_COLUMNS.values() if c.key != "namespace"]
    added = [
        label
        for width in range(81, 260)
        for label in shown(JOB_COLUMNS, width)
        if label not in shown(JOB_COLUMNS, width - 1)
    ]
    assert added == ["A/R/F", "DURATION", "FROM"]


def test_all_namespaces_adds_namespace_beside_the_columns_that_matter_at_80():
    at_80 = ["NAMESPACE", "NAME", "STATUS", "COMPLETIONS", "WHY", "AGE"]
    assert shown(JOB_COLUMNS, 80, namespaces=True) == at_80
    assert shown(CRONJOB_COLUMNS, 80, longest=40, namespaces=True) == [
        "NAMESPACE",
        "NAME",
        "SCHEDULE",
        "NEXT RUN",
        "RECENT",
    ]


def test_optional_columns_come_strictly_in_priority_order():
    seen: list[str] = []
    for width in range(60, 260):
        now = shown(CRONJOB_COLUMNS, width, longest=14)
        added = [label for label in now if label not in seen]
        seen = now
        assert len(added) <= 1 or width == 60, (width, added)
    w = [Want(0, 10, 10, essential=True), Want(1, 20, 20), Want(2, 3, 3)]
    assert fit(w, 30) == [10, 0, 0]  # the small one waits for the one before it


def test_the_table_never_overflows_while_its_essential_columns_fit():
    cols = list(JOB_COLUMNS.values())
    for width in range(60, 300):
        widths = fit(wants(cols), width)
        assert sum(w + 2 for w in widths if w) <= width


def test_essential_columns_shrink_to_their_minimum_before_one_goes():
    w = [
        Want(0, 10, 20, essential=True),
        Want(1, 8, 17, essential=True),
        Want(2, 6, 6, essential=True),
    ]
    assert fit(w, 50) == [20, 17, 6]
    assert fit(w, 40) == [20, 8, 6]  # what is left goes by priority
    assert fit(w, 30) == [10, 8, 6]
    assert fit(w, 29) == [17, 8, 0]  # the least important goes, the others grow back
    assert fit(w, 5) == [10, 0, 0]  # the first always stays (the table scrolls)


def test_an_optional_column_never_squeezes_a_more_important_one():
    w = [Want(0, 10, 20, essential=True), Want(1, 5, 12)]
    assert fit(w, 28) == [20, 0]
    assert fit(w, 29) == [20, 5]  # it shrinks itself before it goes
    assert fit(w, 40) == [20, 12]


def test_wide_shows_every_column_at_its_preferred_width():
    w = [Want(0, 10, 20, essential=True), Want(1, 5, 12)]
    assert fit(w, 10, wide=True) == [20, 12]


def test_a_column_sized_by_content_is_as_wide_as_its_longest_text_up_to_the_cap():
    name = Fit(0, 16, 40, essential=True)
    assert want(name, 4, 13) == Want(0, 13, 13, True)
    assert want(name, 4, 30) == Want(0, 16, 30, True)
    assert want(name, 4, 63) == Want(0, 16, 40, True)
    assert want(name, 6, 0) == Want(0, 6, 6, True)  # never narrower than its header


def test_a_header_is_never_cut_by_the_minimum():
    assert want(Fit(3, 5, 8), 11) == Want(3, 11, 11, False)


def test_a_header_line_packs_its_items_under_the_first_one():
    items = ["completions 24", "parallelism 6", "backoffLimit 2147483647"]
    assert (
        packed("spec", items, 6).plain
        == "spec  completions 24  parallelism 6  backoffLimit 2147483647"
    )
    assert packed("spec", items, 6, 40).plain.split("\n") == [
        "spec  completions 24  parallelism 6",
        "      backoffLimit 2147483647",
    ]


def test_next_run_lines_abbreviate_the_local_time_then_wrap():
    now = datetime(2026, 3, 9, 12, 0, tzinfo=timezone.utc)
    run = now + timedelta(minutes=30)
    berlin = ZoneInfo("Europe/Berlin")
    wide = next_run_line(run, berlin, now).plain
    assert wide == "  Mon 2026-03-09 13:30 CET   local Mon 2026-03-09 12:30 UTC   in 30m0s"
    assert next_run_line(run, berlin, now, 50).plain.split("\n") == [
        "  Mon 2026-03-09 13:30 CET   local 12:30 UTC",
        "    in 30m0s",
    ]
    assert (
        next_run_line(run, timezone.utc, now, 40).plain == "  Mon 2026-03-09 12:30 UTC   in 30m0s"
    )
    assert next_run_line(run, berlin, now, 30).plain.split("\n") == [
        "  Mon 2026-03-09 13:30 CET",
        "    local 12:30 UTC   in 30m0s",
    ]
