"""The tables fit the terminal: what the headers and rows on screen show at 80x24, 120x40
and 200x50, after a resize, with -A and in wide mode."""

from __future__ import annotations

import copy
import re

import pytest
from fixtures.tui_fakes import make_app, settle
from test_tui_main import job_named, select, table

pytestmark = pytest.mark.asyncio

JOBS_AT_80 = ["NAME", "STATUS", "COMPLETIONS", "WHY", "AGE ▲"]
EVERY_JOB_COLUMN = [
    "NAME",
    "STATUS",
    "COMPLETIONS",
    "A/R/F",
    "WHY",
    "DURATION",
    "AGE ▲",
    "FROM",
]


def screen_line(app, name: str, y: int) -> str:
    """Line ``y`` of a table as it is on screen (0: the header)."""
    return table(app, name).render_line(y).text


def headers(app, name: str) -> list[str]:
    """The column headers on screen, left to right."""
    return [h for h in re.split(r"\s{2,}", screen_line(app, name, 0).strip()) if h]


def row_on_screen(app, name: str, row_name: str) -> str:
    t = table(app, name)
    uid = next(uid for uid, row in t.rows_by_uid.items() if row.name == row_name)
    return screen_line(app, name, t.get_row_index(uid) + 1 - int(t.scroll_y))


def scrolls_sideways(app, name: str) -> bool:
    t = table(app, name)
    return t.virtual_size.width > t.scrollable_content_region.width


async def test_at_80x24_the_columns_that_matter_are_on_screen():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert headers(app, "jobs") == JOBS_AT_80
        crons = headers(app, "cronjobs")
        for label in ("NAME ▲", "SCHEDULE", "NEXT RUN", "RECENT"):
            assert label in crons
        assert not scrolls_sideways(app, "jobs") and not scrolls_sideways(app, "cronjobs")
        flaky = row_on_screen(app, "jobs", "flaky-import")
        assert "retry in 2s" in flaky and flaky.rstrip().endswith("s")  # AGE, last
        assert "in 26s" in row_on_screen(app, "cronjobs", "db-backup")


async def test_wider_terminals_show_more_columns():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        # WHY (what holds a Job back) comes before DURATION.
        assert headers(app, "jobs") == [
            "NAME",
            "STATUS",
            "COMPLETIONS",
            "A/R/F",
            "WHY",
            "AGE ▲",
        ]
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot, app)
        assert headers(app, "jobs") == EVERY_JOB_COLUMN
        assert "retry of render-frames (indexes 3,7)" in row_on_screen(
            app, "jobs", "render-frames-retry"
        )
        assert headers(app, "cronjobs") == [
            "NAME ▲",
            "SCHEDULE",
            "TIME ZONE",
            "SUSP",
            "ACT",
            "LAST RUN",
            "NEXT RUN",
            "LAST OK",
            "RECENT",
        ]


async def test_the_layout_follows_a_resize_without_restarting():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        select(app, "render-frames")
        assert headers(app, "jobs") == JOBS_AT_80
        await pilot.resize_terminal(200, 50)
        await pilot.pause(0.2)
        assert headers(app, "jobs") == EVERY_JOB_COLUMN
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        assert headers(app, "jobs") == JOBS_AT_80
        assert not scrolls_sideways(app, "jobs")
        assert table(app, "jobs").selected.name == "render-frames"  # the cursor stayed


async def test_the_progress_bar_shrinks_before_the_column_goes():
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot, app)
        assert row_on_screen(app, "jobs", "etl-daily").count("█") == 8
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        line = row_on_screen(app, "jobs", "etl-daily")
        assert 3 <= line.count("█") < 8
        assert "1/1" in line


async def test_a_long_name_is_cut_with_an_ellipsis_and_name_fits_the_longest():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        name_width = table(app, "jobs").columns["name"].width
        assert name_width == len("report-hourly-29922056")  # the longest name
        long = copy.deepcopy(job_named(app, "etl-daily"))
        long["metadata"].update(
            name="nightly-warehouse-export-to-the-analytics-bucket-eu-west", uid="long"
        )
        app.cache.put("Job", long)
        await settle(pilot, app)
        line = row_on_screen(app, "jobs", long["metadata"]["name"])
        assert re.search(r" nightly-warehouse-export[a-z-]*… ", line)  # cut, with …
        assert headers(app, "jobs") == JOBS_AT_80  # the name did not push AGE out
        app.cache.delete("Job", "long")
        await settle(pilot, app)
        assert table(app, "jobs").columns["name"].width == name_width


async def test_all_namespaces_adds_namespace_with_the_same_rules():
    app = make_app(namespace=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert headers(app, "jobs")[:3] == ["NAMESPACE", "NAME", "STATUS"]
        longest = max(len(r.namespace) for r in table(app, "jobs").rows_by_uid.values())
        assert table(app, "jobs").columns["namespace"].width == longest
        assert headers(app, "cronjobs")[0] == "NAMESPACE"
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        assert headers(app, "jobs") == ["NAMESPACE", *JOBS_AT_80]
        assert headers(app, "cronjobs")[:2] == ["NAMESPACE", "NAME ▲"]


async def test_wide_shows_every_column_and_scrolls_sideways():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("w")
        await pilot.pause(0.2)
        t = table(app, "jobs")
        assert t.visible_keys == [c.key for c in t.columns_spec]
        assert scrolls_sideways(app, "jobs")
        assert headers(app, "jobs")[:3] == ["NAME", "STATUS", "COMPLETIONS"]
        t.scroll_to(x=t.max_scroll_x, animate=False)
        await pilot.pause(0.2)
        assert headers(app, "jobs")[-1] == "FROM"
        await pilot.press("w")
        await pilot.pause(0.2)
        assert headers(app, "jobs") == JOBS_AT_80
        assert not scrolls_sideways(app, "jobs")


async def test_sort_cycles_through_the_columns_on_screen():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        table(app, "jobs").focus()
        seen = []
        for _ in range(5):
            await pilot.press("o")
            await pilot.pause(0.05)
            seen.append(app.screen.sorts["jobs"][0])
        assert seen == ["name", "status", "completions", "why", "age"]


def header_lines(app) -> list[str]:
    """The detail header as it is on screen, line by line."""
    header = app.screen.query_one("#header")
    return [header.render_line(y).text.rstrip() for y in range(header.size.height)]


async def open_detail(pilot, app, name: str, table_name: str = "jobs") -> None:
    await settle(pilot, app)
    select(app, name, table_name)
    await pilot.press("enter")
    await settle(pilot, app)
    await pilot.pause(0.2)


async def test_the_job_spec_line_wraps_under_its_value_and_unwraps_when_wider():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_detail(pilot, app, "render-frames")
        lines = header_lines(app)
        spec = next(i for i, line in enumerate(lines) if line.startswith("spec "))
        assert lines[spec].endswith("mode Indexed")
        # backoffLimit is MaxInt32 (the API server's default with a per-index limit): said
        # in words, not as a number.
        assert lines[spec + 1] == " " * 14 + "backoffLimitPerIndex 1 (no Job-wide backoffLimit)"
        assert all(len(line) <= 78 for line in lines)
        await pilot.resize_terminal(200, 50)
        await pilot.pause(0.3)
        lines = header_lines(app)
        assert any(
            line.startswith("spec ")
            and line.endswith("backoffLimitPerIndex 1 (no Job-wide backoffLimit)")
            for line in lines
        )


async def test_the_cronjob_header_wraps_and_abbreviates_instead_of_cutting():
    app = make_app()
    async with app.run_test(size=(60, 30)) as pilot:
        await open_detail(pilot, app, "db-backup", "cronjobs")
        lines = header_lines(app)
        policy = next(i for i, line in enumerate(lines) if line.startswith("policy "))
        assert lines[policy] == "policy          concurrency Forbid"
        assert lines[policy + 1].strip() == "startingDeadlineSeconds 300"
        assert lines[policy + 1].startswith(" " * 16)
        # local time reads the same as the zone's (UTC here): left out, not cut
        assert "  Sun 2026-11-22 04:57 UTC   in 26s" in lines
        assert not any("local" in line for line in lines)
        assert all(len(line) <= 58 for line in lines)


def widget_lines(app, selector: str) -> list[str]:
    widget = app.screen.query_one(selector)
    return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]


async def test_the_delete_preview_fits_80_columns_with_its_counts_on_screen():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        select(app, "render-frames")
        await pilot.press("D", "enter")
        await pilot.pause(0.5)
        lines = widget_lines(app, "#delete-targets")
        assert lines[0].split()[-2:] == ["JOBS", "PODS"]
        assert "render-frames" in lines[1] and lines[1].endswith("26")


async def test_help_at_80_columns_wraps_the_reasons_instead_of_cutting_them():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        select(app, "etl-daily")
        await pilot.press("question_mark")
        await pilot.pause(0.5)
        lines = widget_lines(app, "#help-keys")
        i = next(i for i, line in enumerate(lines) if "Suspend or resume" in line)
        # the row takes two lines: both columns wrap, side by side
        what = [re.split(r"\s{2,}", line.strip()) for line in lines[i : i + 2]]
        assert what[0][-1] + " " + what[1][-1] == "the job has finished"
        assert what[0][1] + " " + what[1][0] == "Suspend or resume the selected job/cronjob"


async def test_the_detail_tables_keep_the_message_on_screen_at_80_columns():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_detail(pilot, app, "render-frames")
        conditions = re.split(r"\s{2,}", widget_lines(app, "#conditions")[0].strip())
        assert conditions == ["TYPE", "STATUS", "REASON", "SINCE", "MESSAGE"]
        await pilot.press("3")
        await pilot.pause(0.3)
        lines = widget_lines(app, "#events")
        assert re.split(r"\s{2,}", lines[0].strip()) == ["AGE", "TYPE", "REASON", "MESSAGE"]
        assert "Job has failed indexes" in lines[1]
        events = app.screen.query_one("#events")
        assert events.virtual_size.width <= events.scrollable_content_region.width
        await pilot.resize_terminal(140, 40)
        await pilot.pause(0.3)
        assert "OBJECT" in widget_lines(app, "#events")[0]


async def test_a_narrow_scope_bar_keeps_the_connection_state_and_cuts_the_scope():
    app = make_app()
    async with app.run_test(size=(60, 24)) as pilot:
        await open_detail(pilot, app, "render-frames")
        bar = widget_lines(app, "ScopeBar")[0]
        assert bar.endswith("● connected")
        assert "…" in bar and len(bar) <= 60
