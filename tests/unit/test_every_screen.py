"""No screen may bring the app down (issue 19): every screen, for every Job and CronJob of
the recorded shapes (tests/unit/fixtures/shapes.json: what benchmarks/dataset.py generates,
recorded from the test cluster, plus cluster.json), at 80x24 and 200x50.

For each object: its detail screen (a Job's three tabs, and the index grid moved to several
indexes), its logs, YAML, the help, and every dialog its keys open. Nothing may raise, no
failure may have been contained, and each screen must show the object's name."""

from __future__ import annotations

import json

import pytest
from fixtures.tui_fakes import HERE, make_app, recorded, settle

from kubectl_batch.tui.screens.cronjob_detail import CronJobDetailScreen
from kubectl_batch.tui.screens.job_detail import JobDetailScreen
from kubectl_batch.tui.screens.main import MainScreen
from kubectl_batch.tui.widgets.index_grid import IndexGrid

SIZES = [(80, 24), (200, 50)]


def shapes() -> dict:
    data = json.loads((HERE / "shapes.json").read_text())
    cluster = recorded()
    for key in ("jobs", "cronjobs", "pods", "events"):
        data[key] = data[key] + cluster[key]
    return data


def screen_text(app) -> str:
    return "\n".join(
        "".join(segment.text for segment in line) for line in app.screen._compositor.render_strips()
    )


async def back_to(pilot, app, screen_type) -> None:
    for _ in range(4):
        if isinstance(app.screen, screen_type):
            return
        await pilot.press("escape")
        await pilot.pause()
    assert isinstance(app.screen, screen_type), app.screen


async def keys_and_back(pilot, app, keys: str, home) -> None:
    """Each key opens what it opens (a dialog, logs, YAML, help); then back."""
    for key in keys:
        await pilot.press(key)
        await pilot.pause()
        await back_to(pilot, app, home)


def names(items: list[dict]) -> list[tuple[str, str]]:
    return [(o["metadata"]["namespace"], o["metadata"]["uid"]) for o in items]


@pytest.mark.asyncio
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_screen_of_every_job_and_cronjob_opens(size):
    data = shapes()
    app = make_app(data, namespace=None)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        for job in data["jobs"]:
            uid, name = job["metadata"]["uid"], job["metadata"]["name"]
            app.push_screen(JobDetailScreen(uid))
            await settle(pilot, app)
            detail = app.screen
            assert isinstance(detail, JobDetailScreen)
            assert name[: size[0] // 3] in screen_text(app), name
            for tab in "213":
                await pilot.press(tab)
                await pilot.pause()
            await pilot.press("1")
            grids = detail.query(IndexGrid)
            if grids and job["spec"].get("completionMode") == "Indexed":
                grids.first().focus()
                await pilot.press("home", "right", "right", "down", "end", "pageup")
                await pilot.pause()
            await keys_and_back(pilot, app, "lysrD?", JobDetailScreen)
            await back_to(pilot, app, MainScreen)
        for cronjob in data["cronjobs"]:
            uid, name = cronjob["metadata"]["uid"], cronjob["metadata"]["name"]
            app.push_screen(CronJobDetailScreen(uid))
            await settle(pilot, app)
            assert isinstance(app.screen, CronJobDetailScreen)
            assert name[: size[0] // 3] in screen_text(app), name
            await keys_and_back(pilot, app, "ystD?", CronJobDetailScreen)
            await back_to(pilot, app, MainScreen)
        assert app.failures == []
    assert app.return_code in (None, 0)


@pytest.mark.asyncio
async def test_a_failed_indexed_job_with_a_long_failed_index_list_opens():
    """The crash of issue 19: more failed-index ranges than the line holds."""
    data = shapes()
    job = max(data["jobs"], key=lambda j: len(j["status"].get("failedIndexes") or ""))
    assert len(job["status"]["failedIndexes"]) > 200
    app = make_app(data, namespace=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.push_screen(JobDetailScreen(job["metadata"]["uid"]))
        await settle(pilot, app)
        assert " ranges)" in screen_text(app)
        assert app.failures == []
