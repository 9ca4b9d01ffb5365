"""Job and CronJob detail screens, and the YAML view."""

from __future__ import annotations

import copy
import time

import pytest
from fixtures.tui_fakes import FakeKube, make_app, recorded, settle
from test_tui_main import SIZE, job_named, select

from kubectl_batch.domain.index_progress import IndexState
from kubectl_batch.tui.screens.cronjob_detail import CronJobDetailScreen
from kubectl_batch.tui.screens.job_detail import JobDetailScreen
from kubectl_batch.tui.widgets.index_grid import IndexGrid

pytestmark = pytest.mark.asyncio


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def open_job(pilot, app, name: str) -> None:
    await settle(pilot, app)
    select(app, name)
    await pilot.press("enter")
    await settle(pilot, app)
    await pilot.pause(0.2)
    assert isinstance(app.screen, JobDetailScreen)


async def test_indexed_job_grid_shows_failed_indexes_and_their_attempts():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_job(pilot, app, "render-frames")
        header = text(app, "#header")
        assert "job batch-demo/render-frames  Failed  FailedIndexes" in header
        assert "22/24" in header and "backoffLimitPerIndex 1" in header
        conditions = app.screen.query_one("#conditions")
        assert [conditions.get_row_at(i)[0].plain for i in range(conditions.row_count)] == [
            "FailureTarget",
            "Failed",
        ]
        grid = app.screen.query_one(IndexGrid)
        states = grid.cell_states
        assert len(states) == 24 and grid.grid_layout.size == 1
        assert [i for i, s in enumerate(states) if s is IndexState.FAILED] == [3, 7]
        assert "failed 2" in text(app, "#legend") and "succeeded 22" in text(app, "#legend")
        grid.focus()
        await pilot.press("right", "right", "right")  # index 3
        await pilot.pause()
        detail = text(app, "#index-detail")
        assert "index 3  failed" in detail
        assert "Failed  exit 2  Error" in detail
        assert detail.count("#1 ") == 1 and detail.count("#2 ") == 1  # two attempts


async def test_large_indexed_job_renders_its_compressed_grid_quickly():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_job(pilot, app, "param-sweep-100k")
        screen = app.screen
        start = time.monotonic()
        model = screen.build(app.cache, app.clock)  # the refresher thread's work
        assert time.monotonic() - start < 1.0
        start = time.monotonic()
        screen.show(model)  # the UI thread's work: the compressed grid
        assert time.monotonic() - start < 0.5
        grid = app.screen.query_one(IndexGrid)
        lay = grid.grid_layout
        assert lay.size > 1 and lay.cells * lay.size >= 100_000
        assert grid.cell_states[0] is IndexState.RUNNING  # indexes 0-7 run
        assert "one cell = " in text(app, "#indexes-title")
        assert "running 8" in text(app, "#legend") and "not-started 99,992" in text(app, "#legend")
        await pilot.press("g", *"99999", "enter")
        await pilot.pause()
        assert "index 99999  not-started" in text(app, "#index-detail")


async def test_backoff_countdown_of_a_failing_job_ticks():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_job(pilot, app, "flaky-import")
        assert "next pod in 2s" in text(app, "#header")
        app.clock.advance(1)
        await pilot.pause(1.2)
        assert "next pod in 1s" in text(app, "#header")
        assert app.screen.query_one("#indexes").display is False  # not Indexed


async def test_pods_and_events_tabs():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_job(pilot, app, "flaky-import")
        await pilot.press("2")
        await pilot.pause()
        pods = app.screen.query_one("#pods")
        assert pods.row_count == 4
        assert {pods.get_cell(uid, "phase").plain for uid in pods.order} == {"Failed"}
        await pilot.press("3")
        await pilot.pause()
        events = app.screen.query_one("#events")
        reasons = {events.get_row_at(i)[2].plain for i in range(events.row_count)}
        assert "SuccessfulCreate" in reasons


async def test_untrusted_text_is_shown_literally():
    data = recorded()
    job = next(j for j in data["jobs"] if j["metadata"]["name"] == "oom-crunch")
    job["status"]["conditions"][0]["message"] = "[bold red]boom[/] \x1b[2J\x1b]0;pwned\x07done"
    app = make_app(data)
    async with app.run_test(size=SIZE) as pilot:
        await open_job(pilot, app, "oom-crunch")
        conditions = app.screen.query_one("#conditions")
        assert conditions.get_row_at(0)[4].plain == "[bold red]boom[/] done"


async def test_a_deleted_job_says_so():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_job(pilot, app, "etl-daily")
        app.cache.delete("Job", job_named(app, "etl-daily")["metadata"]["uid"])
        await settle(pilot, app)
        assert "this job was deleted" in text(app, "#header")
        await pilot.press("escape")
        await settle(pilot, app)
        assert "etl-daily" not in [
            r.name for r in app.screen.query_one("#jobs").rows_by_uid.values()
        ]


async def _yaml_of(pilot, app, name: str) -> str:
    """Select the Job ``name``, press y, and wait for the YAML view to have read it."""
    await settle(pilot, app)
    select(app, name)
    await pilot.press("y")
    for _ in range(100):
        await pilot.pause(0.02)
        body = app.screen.query_one("#yaml").text
        if not body.startswith("# reading"):
            return body
    raise AssertionError("the YAML view never showed the object")


async def test_yaml_of_the_selected_object_is_read_whole_from_the_server():
    kube = FakeKube()
    job = next(j for j in kube.objects["jobs"] if j["metadata"]["name"] == "etl-daily")
    job["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.example/etl:7"
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        body = await _yaml_of(pilot, app, "etl-daily")
        assert "name: etl-daily" in body and "kind: Job" in body
        # The cache drops the pod template's spec; the YAML view shows it all.
        assert "image: registry.example/etl:7" in body
        assert kube.reads == [("Job", "batch-demo", "etl-daily")]


async def test_yaml_view_falls_back_to_the_cached_copy_and_says_so():
    kube = FakeKube(objects={})
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        body = await _yaml_of(pilot, app, "etl-daily")
        assert body.startswith("# could not read it from the API server")
        assert "name: etl-daily" in body


async def test_cronjob_detail_next_runs_policy_history_and_missed_runs():
    data = recorded()
    cronjob = next(c for c in data["cronjobs"] if c["metadata"]["name"] == "db-backup")
    event = copy.deepcopy(next(e for e in data["events"] if e["reason"] == "SuccessfulCreate"))
    event["metadata"].update(uid="missed-1", name="db-backup.missed")
    event.update(
        reason="JobAlreadyActive",
        type="Normal",
        message="Not starting job because prior execution is running and concurrency policy "
        "is Forbid",
        involvedObject={**event["involvedObject"], "uid": cronjob["metadata"]["uid"]},
    )
    data["events"].append(event)
    app = make_app(data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        select(app, "db-backup", "cronjobs")
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.pause(0.2)
        assert isinstance(app.screen, CronJobDetailScreen)
        header = text(app, "#header")
        assert "concurrency Forbid  startingDeadlineSeconds 300" in header
        assert "history: 3 successful, 3 failed" in header
        assert "Sun 2026-11-22 04:57 UTC" in header and "in 26s" in header
        # The zone is UTC, and so is local time here: said once.
        assert "local " not in header
        history = app.screen.query_one("#history")
        assert [history.rows_by_uid[u].name for u in history.order] == [
            "db-backup-29922056",
            "db-backup-29922055",
        ]
        missed = app.screen.query_one("#missed")
        assert missed.display and missed.get_row_at(0)[2].plain == "JobAlreadyActive"
        await pilot.press("enter")  # open the selected run
        await settle(pilot, app)
        assert isinstance(app.screen, JobDetailScreen)


async def test_a_permission_answered_while_a_screen_is_still_being_built_waits_for_it():
    """The answer to a can-i check arrives on a thread: a screen just pushed may not have
    its widgets yet. Seen in CI: the app stopped on NoMatches('#history')."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        cronjob = next(r for r in app.cache.cronjobs() if r["metadata"]["name"] == "db-backup")
        app.push_screen(CronJobDetailScreen(cronjob["metadata"]["uid"]))
        app.on_permission_answered()  # before the new screen has composed
        await settle(pilot, app)
        await pilot.pause(0.2)
        assert isinstance(app.screen, CronJobDetailScreen)
        assert "concurrency Forbid" in text(app, "#header")
        assert "select a job in the history" not in text(app, "#hint")
